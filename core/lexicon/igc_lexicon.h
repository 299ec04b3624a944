/*
 * igc_lexicon: the index-term dictionary (색인어 사전) of one taxonomy revision.
 *
 * The file (taxonomy/igc-v6-lexicon.jsonl, one JSON object per line per item) lists for
 * an item the terms firms write for it ("양극재", "BIM 설계"), its typical KSIC-11
 * codes, the items it is easily mixed up with (each with a Korean cue telling them
 * apart) and phrases that signal no item applies. Policy staff edit it; a loaded
 * lexicon is validated against one taxonomy and the KSIC tables, immutable and
 * reference-counted (atomic), so a running service can swap in an edited file while
 * requests in flight finish on the one they took.
 *
 * Matching works on the words of igc_text_words(): a term is normalised the same way
 * and matches where its word sequence appears contiguously in the input (Latin words
 * only as whole tokens: "RTO" never fires in "RTOS"). A single-word Hangul term of at
 * least 3 syllables also matches inside a longer input compound ("양극재" in
 * "리튬이온배터리양극재"), as does a multi-word Hangul term written without its spaces
 * ("스마트 팜" in "스마트팜솔루션"); such hits say partial = 1 unless the whole input word
 * is the term. Two-syllable terms never match inside a word ("제조" not in "제조사").
 * Matching only reads the lexicon: it is safe from several threads at once.
 */
#ifndef IGC_LEXICON_H
#define IGC_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "igc_base.h"
#include "igc_ksic.h"
#include "igc_taxonomy.h"
#include "igc_text.h"

typedef struct igc_lexicon igc_lexicon;

typedef struct igc_lex_confusable {
    const igc_tx_item *item;            /* the item easily mixed up with this one */
    const char *cue;                    /* Korean sentence telling them apart */
} igc_lex_confusable;

typedef struct igc_lex_item {           /* one line of the file */
    const igc_tx_item *item;            /* in the taxonomy it was loaded against */
    const char *const *terms;           /* as written (trimmed) */
    size_t nterms;
    const char *const *ksic;            /* 5-digit KSIC-11, most typical first */
    size_t nksic;
    const igc_lex_confusable *confusable;
    size_t nconfusable;
    const char *const *na_cues;         /* not-applicable cues, as written */
    size_t nna_cues;
    size_t line;                        /* 1-based line in the file */
} igc_lex_item;

typedef struct igc_lex_ksic {          /* an item's typical KSIC code */
    uint32_t item;                      /* taxonomy item index */
    const char *code;                   /* 5-digit KSIC-11 */
} igc_lex_ksic;

typedef struct igc_lex_term {           /* a distinct term (by normalised form) */
    const char *text;                   /* as first written */
    const uint32_t *items;              /* taxonomy item indices that list it, ascending */
    size_t nitems;
    double idf;                         /* log(nitems_with_any_term / nitems): specificity across items */
} igc_lex_term;

typedef struct igc_lex_hit {
    uint32_t term;                      /* igc_lexicon_term() id (or igc_lexicon_cue() id) */
    uint32_t word0, nwords;             /* span in the input igc_words */
    int partial;                        /* 1: found inside a longer Hangul compound word */
} igc_lex_hit;

typedef struct igc_lex_hits {
    igc_lex_hit *h;
    size_t n, cap;
} igc_lex_hits;

/* Loads and validates a lexicon file against a taxonomy (takes a reference on tx) and
 * the KSIC tables (borrowed, only during the call). Every problem found (up to 20) is
 * written to err, one line each, naming the line of the file ("12번째 줄 (F10001):
 * ..."): bad JSON or invalid UTF-8, a missing or mistyped field (code, terms, ksic,
 * confusable, not_applicable_cues), an unknown item code, an item listed twice, an
 * unknown KSIC-11 code, an empty or duplicate term within an item, an empty cue.
 * Returns 0, IGC_EPARSE (syntax, missing field), IGC_EINVAL (content), IGC_ENOTFOUND
 * or IGC_EIO (file) or IGC_ENOMEM; *out is set only on success, with one reference. */
int igc_lexicon_load(const char *path, igc_taxonomy *tx, const igc_ksic *ksic, igc_lexicon **out, igc_buf *err);
/* Same from a text in memory; name is used in messages only (may be NULL). */
int igc_lexicon_parse(const char *text, size_t len, const char *name, igc_taxonomy *tx, const igc_ksic *ksic,
                      igc_lexicon **out, igc_buf *err);
/* Takes one more reference (atomic); returns lx. NULL is fine. */
igc_lexicon *igc_lexicon_ref(igc_lexicon *lx);
/* Drops a reference; the last one frees the lexicon and its taxonomy reference. NULL is fine. */
void igc_lexicon_unref(igc_lexicon *lx);
/* Taxonomy version and a short hash of the file's bytes, e.g. "igc-6/3f9a1c2e". */
const char *igc_lexicon_version(const igc_lexicon *lx);
/* The taxonomy it was loaded against (borrowed; take a reference to keep it). */
igc_taxonomy *igc_lexicon_taxonomy(const igc_lexicon *lx);
/* The typical KSIC codes (of every item) that share code's first two digits, the
 * KSIC division ("26..."): *n entries, none when code does not start with two digits. */
const igc_lex_ksic *igc_lexicon_ksic_division(const igc_lexicon *lx, const char *code, size_t *n);
/* The line of taxonomy item item_index, or NULL when the file has none for it. */
const igc_lex_item *igc_lexicon_item(const igc_lexicon *lx, size_t item_index);
/* Number of items with a line in the file. */
size_t igc_lexicon_nitems(const igc_lexicon *lx);
/* Number of distinct terms (by normalised form); ids are 0..n-1. */
size_t igc_lexicon_nterms(const igc_lexicon *lx);
/* Term by id, or NULL when out of range. */
const igc_lex_term *igc_lexicon_term(const igc_lexicon *lx, uint32_t id);
/* Id of the term whose normalised form equals that of text, or -1. */
int64_t igc_lexicon_find(const igc_lexicon *lx, const char *text);

/* Appends the term hits in words (from igc_text_words; several fields may be gathered
 * in one list: a multi-word term never spans two of them, told apart by the byte spans
 * starting again), in input order: every span where a term matches, overlapping ones
 * included; a term several items list is one hit (its items say which). Returns 0 or
 * IGC_ENOMEM. */
int igc_lexicon_match(const igc_lexicon *lx, const igc_words *w, igc_lex_hits *out);
/* Same for the not-applicable cues; hit.term indexes igc_lexicon_cue(). A cue written
 * under several items has one id per item. */
int igc_lexicon_match_cues(const igc_lexicon *lx, const igc_words *w, igc_lex_hits *out);
/* Number of not-applicable cues (one per item and cue). */
size_t igc_lexicon_ncues(const igc_lexicon *lx);
/* Cue text by id (NULL when out of range); *item_index (may be NULL) gets the
 * taxonomy index of the item that lists it. */
const char *igc_lexicon_cue(const igc_lexicon *lx, uint32_t id, size_t *item_index);
/* Frees a hit list and zeroes it. */
void igc_lex_hits_free(igc_lex_hits *h);

/* Writes a report of collisions to report: terms of an item that fire on OTHER items'
 * name, definition, examples or notes (unless that item lists the term too), and on
 * KSIC-11 names, descriptions and examples of codes the item does not list; grouped
 * per item, one line each, then summary counts. Also warns about items of the
 * taxonomy without a line, terms written twice in one item in forms that normalise
 * alike ("AR·VR", "AR/VR") and names that differ from the taxonomy's. *ncollisions
 * (may be NULL) gets the number of collision lines. ksic may be NULL (no KSIC part).
 * Returns 0 or IGC_ENOMEM. */
int igc_lexicon_check(const igc_lexicon *lx, const igc_ksic *ksic, igc_buf *report, size_t *ncollisions);

/* {code, name, line, terms:[...], ksic:[{code,name}], confusable:[{code,name,cue}],
 * not_applicable_cues:[...]} of one item line (ksic may be NULL: codes only). */
cJSON *igc_lexicon_item_json(const igc_lexicon *lx, const igc_lex_item *li, const igc_ksic *ksic);

/* Carries the dictionary text of the crosswalk's old revision (old_text, JSONL) over to
 * its new revision, writing the new JSONL text to out (load it with igc_lexicon_parse
 * against igc_crosswalk_to(cw)): same, renamed and revised items keep their terms,
 * typical KSIC codes and cues; merged items take the union of their sources; the terms
 * of a split item go to the part whose name, definition and examples they resemble most
 * (syllable bigrams; a term like none goes to every part); new items start from their
 * name and examples; confusable items are mapped when they became one item. Every item
 * staff should look at is appended to review_list as {kind: new|split|merged|revised|
 * removed, code, name, message (Korean)}. Returns 0, IGC_EPARSE (a line is not JSON,
 * named in err) or IGC_ENOMEM. */
int igc_lexicon_carry(const char *old_text, size_t len, const igc_crosswalk *cw, igc_buf *out, cJSON *review_list,
                      igc_buf *err);
#endif
