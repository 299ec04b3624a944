/* Internal layout of igc_lexicon, shared by lexicon.c and check.c. */
#ifndef IGC_LEXICON_INT_H
#define IGC_LEXICON_INT_H

#include "igc_lexicon.h"

typedef struct lex_arena {
    struct arena_chunk *head;
} lex_arena;

/* A hash slot: key bytes (not owned), and the head of a chain of entries (id + 1; 0 = empty). */
typedef struct lex_slot {
    uint64_t h;
    const char *k;
    uint32_t klen;
    uint32_t head;
} lex_slot;

typedef struct lex_table {
    lex_slot *s;
    size_t cap, n; /* cap is a power of two, at most half full */
} lex_table;

typedef struct lex_entry {
    const char **w;      /* normalised words */
    uint32_t nw;
    uint32_t next_first; /* next entry with the same first word (id + 1) */
    uint32_t next_comp;  /* next entry with the same compound key (id + 1) */
    int joined;          /* its compound key is several words written together */
} lex_entry;

typedef struct lex_dict {
    lex_entry *e;
    size_t n, cap;
    lex_table first;     /* first word -> chain */
    lex_table comp;      /* Hangul form without spaces (>= 3 syllables) -> chain */
    size_t comp_max_cp;  /* longest compound key, in code points */
} lex_dict;

typedef struct lex_cue {
    const char *text;
    uint32_t item;
} lex_cue;

struct igc_lexicon {
    int refs;
    igc_taxonomy *tx;
    char version[96];
    igc_lex_item *items;   /* per taxonomy item; .item NULL when the file has no line */
    const char **names;    /* per taxonomy item: the "name" the file gives, or NULL */
    size_t nlines;
    igc_lex_term *terms;   /* parallel to tdict.e */
    size_t nterms, termcap;
    lex_dict tdict;
    lex_table byform;      /* normalised form ("bim 설계") -> term id + 1 */
    lex_cue *cues;         /* parallel to cdict.e */
    size_t ncues, cuecap;
    lex_dict cdict;
    lex_arena ar;
    igc_lex_ksic *kdiv;      /* every item's typical KSIC codes, by their first two digits */
    size_t kdiv0[101];       /* division d's entries: kdiv[kdiv0[d] .. kdiv0[d + 1]) */
};

#endif
