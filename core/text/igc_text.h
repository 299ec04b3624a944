/*
 * igc_text: Korean-aware text normalisation and subword features.
 *
 * Korean compounds freely ("리튬이온배터리양극재") and attaches particles to nouns
 * ("배터리를"), so matching on whole words alone misses most evidence. A text is
 * split into words (runs of Hangul, or of Latin letters and digits; digits join the
 * Hangul that follows, as in "2차전지"), particles are stripped, and each word yields:
 *   - the whole word                        (kind IGC_FEAT_WORD)
 *   - Hangul syllable bigrams and trigrams   (IGC_FEAT_BI, IGC_FEAT_TRI)
 * Latin tokens ("BIM", "RPA", "5G") are lower-cased whole words. Features are 64-bit
 * hashes of kind + string, each remembering which word it came from, so that scores
 * can be traced back to the input's own words (기여 키워드).
 */
#ifndef IGC_TEXT_H
#define IGC_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum { IGC_FEAT_WORD = 1, IGC_FEAT_BI = 2, IGC_FEAT_TRI = 3 };

typedef struct igc_word {
    char *norm;      /* normalised form (lower-case, particles stripped), NUL-terminated */
    size_t start;    /* byte span of the surface form in the source text */
    size_t end;
    int hangul;      /* 1 when the word is Hangul (possibly with leading digits) */
} igc_word;

typedef struct igc_words {
    igc_word *w;
    size_t n;
    size_t cap;
} igc_words;

typedef struct igc_feat {
    uint64_t id;     /* hash of kind and string */
    uint32_t word;   /* index into the igc_words it came from */
    uint8_t kind;    /* IGC_FEAT_* */
} igc_feat;

typedef struct igc_feats {
    igc_feat *f;
    size_t n;
    size_t cap;
} igc_feats;

/* Splits valid UTF-8 text into normalised words, appending to out (so several
 * fields can be gathered into one list). Returns 0 or IGC_ENOMEM. */
int igc_text_words(const char *text, igc_words *out);
/* Frees the words and zeroes the list. */
void igc_text_words_free(igc_words *w);
/* Appends the subword features of words[from..n) to out. */
int igc_text_features(const igc_words *words, size_t from, igc_feats *out);
/* Convenience: features of a whole text (words are discarded). */
int igc_text_features_of(const char *text, igc_feats *out);
/* Frees the feature list and zeroes it. */
void igc_text_feats_free(igc_feats *f);
/* Hash id of one feature string of a kind, as igc_text_features computes it. */
uint64_t igc_text_feat_id(int kind, const char *s, size_t n);
/* 1 when the normalised word is a stop word (generic words such as 제조, 서비스,
 * 및, 등) that should not be reported as a keyword on its own. */
int igc_text_is_stopword(const char *norm);

#endif
