/*
 * igc_ksic: the Korean Standard Industrial Classification tables (KSIC-11, KSIC-10 and
 * their official concordance), loaded from the data directory.
 *
 * Input codes arrive as KSIC-11 (current), KSIC-10 (older records) or, in historical
 * records, as a 2- to 4-digit prefix. igc_ksic_resolve() turns any of them into a
 * KSIC-11 entry or prefix level with its section, division and group names.
 */
#ifndef IGC_KSIC_H
#define IGC_KSIC_H

#include <stddef.h>

typedef struct igc_ksic_entry {
    char code[6];           /* 5-digit code */
    char *name, *name_en;
    char sec[2];            /* section letter, "C" */
    char *sec_name;
    char div2[3], grp3[4], cls4[5];
    char *div2_name, *grp3_name, *cls4_name;
    char *desc5, *examples5, *exclusions5, *desc4;
} igc_ksic_entry;

typedef struct igc_ksic igc_ksic;

typedef struct igc_ksic_match {
    const igc_ksic_entry *entry; /* the 5-digit KSIC-11 entry, NULL for a prefix */
    const igc_ksic_entry *first; /* first KSIC-11 entry under the prefix (for names) */
    int level;                   /* digits matched: 2..5 */
    char code[6];                /* the KSIC-11 code or prefix */
    char mapped_from[6];         /* the KSIC-10 code it was mapped from, or "" */
    const char *name;            /* name at that level */
} igc_ksic_match;

/* Loads ksic/ksic11_hierarchy.csv, ksic11_descriptions.csv, ksic10_hierarchy.csv and
 * ksic11_to_ksic10.csv under data_dir. Returns 0, IGC_ENOTFOUND or IGC_EPARSE. */
int igc_ksic_load(const char *data_dir, igc_ksic **out);
/* Frees the tables. */
void igc_ksic_free(igc_ksic *k);
/* KSIC-11 entry by exact 5-digit code, or NULL. */
const igc_ksic_entry *igc_ksic_find(const igc_ksic *k, const char *code5);
/* Resolves a code: 5 digits (KSIC-11, else KSIC-10 through the concordance), or with
 * allow_prefix a 2-4 digit prefix of KSIC-11. Returns 0, IGC_EINVAL (not digits / bad
 * length) or IGC_ENOTFOUND (unknown code). */
int igc_ksic_resolve(const igc_ksic *k, const char *code, int allow_prefix, igc_ksic_match *m);
/* The KSIC-11 entries a KSIC-10 code maps to through the concordance, each once: several
 * when the code was split in the revision (10th 21300 -> 11th 21301, 21309), in which case
 * igc_ksic_resolve() gives only the first. Writes up to max of them to out (out may be NULL
 * when max is 0) and returns how many there are; 0 when the concordance does not list it. */
size_t igc_ksic_map10(const igc_ksic *k, const char *code10, const igc_ksic_entry **out, size_t max);
/* Number of KSIC-11 entries and the i-th one (for training corpora). */
size_t igc_ksic_count(const igc_ksic *k);
const igc_ksic_entry *igc_ksic_at(const igc_ksic *k, size_t i);

#endif
