/*
 * igc_taxonomy: one loaded revision of the 혁신성장 공동기준 (themes > fields > items).
 *
 * A loaded taxonomy is immutable and reference-counted. The service keeps a pointer to
 * the current one; each request takes a reference for its whole life, so a revision can
 * be swapped in at run time while older requests finish on the one they started with.
 * Nothing outside this module may cache item codes: they belong to a revision.
 */
#ifndef IGC_TAXONOMY_H
#define IGC_TAXONOMY_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "igc_base.h"

typedef struct igc_tx_theme {
    char *code, *name;
} igc_tx_theme;

typedef struct igc_tx_field {
    char *code, *name, *theme;
    size_t theme_idx;
} igc_tx_field;

typedef struct igc_tx_item {
    char *code, *name, *theme, *field;
    char *definition, *examples, *notes;
    size_t theme_idx, field_idx;
    int text_damaged;
} igc_tx_item;

typedef struct igc_taxonomy {
    char *version;       /* e.g. "igc-6": unique per revision, recorded in every judgment */
    int revision;
    char *standard;
    char *sha;           /* short content hash of the source file */
    igc_tx_theme *themes;
    size_t nthemes;
    igc_tx_field *fields;
    size_t nfields;
    igc_tx_item *items;
    size_t nitems;
    /* private */
    int refs;
    size_t *order;       /* item indices sorted by code, for lookups */
} igc_taxonomy;

/* Loads and validates a taxonomy JSON file. On failure returns IGC_EPARSE (or
 * IGC_ENOTFOUND/IGC_EIO) and, when err is given, a message naming the problem
 * ("items[12]: field 'F99' is not defined"). The result has one reference. */
int igc_taxonomy_load(const char *path, igc_taxonomy **out, igc_buf *err);
/* Same from a JSON text in memory. */
int igc_taxonomy_parse(const char *json, size_t len, igc_taxonomy **out, igc_buf *err);
/* Takes one more reference; returns t. */
igc_taxonomy *igc_taxonomy_ref(igc_taxonomy *t);
/* Drops a reference; frees the taxonomy with the last one. NULL is fine. */
void igc_taxonomy_unref(igc_taxonomy *t);
/* Item by code, or NULL. */
const igc_tx_item *igc_taxonomy_item(const igc_taxonomy *t, const char *code);
/* Theme and field of an item (never NULL for a loaded taxonomy). */
const igc_tx_theme *igc_taxonomy_item_theme(const igc_taxonomy *t, const igc_tx_item *it);
const igc_tx_field *igc_taxonomy_item_field(const igc_taxonomy *t, const igc_tx_item *it);
/* JSON of the whole taxonomy: version, themes, fields, items (code, name, theme, field);
 * with_text adds definition, examples and notes. NULL on allocation failure. */
cJSON *igc_taxonomy_to_json(const igc_taxonomy *t, int with_text);
/* JSON of one item with its theme/field names and texts. */
cJSON *igc_taxonomy_item_json(const igc_taxonomy *t, const igc_tx_item *it);
/* JSON of an item's identity only: code, name, theme, theme_name, field, field_name
 * (what lists and answers show). */
cJSON *igc_taxonomy_item_ref_json(const igc_taxonomy *t, const igc_tx_item *it);

/* ---- crosswalk between two revisions (crosswalk.c) ----
 *
 * A crosswalk says, for every item of an older revision, what it became in the newer
 * one, one CSV row per pair: <from>_code, <from>_name, <to>_code, <to>_name, relation,
 * note (the header names the revisions, e.g. v6_code ... v7_name; columns are found
 * by their suffix). relation is one of:
 *   same     text unchanged (the code may differ)      1:1
 *   renamed  new name, same scope                      1:1
 *   revised  scope or text changed                     1:1
 *   split    one old item became several: one row per part (1:N, at least 2 rows)
 *   merged   several old items became one: one row per source (N:1, at least 2 rows)
 *   new      no old item (from columns blank)
 *   removed  no new item (to columns blank)
 * A loaded crosswalk is validated against both revisions: every old item and every new
 * item appears, every code exists, relations are consistent. It is immutable and
 * reference-counted (atomic) like a taxonomy.
 */
enum {
    IGC_XW_SAME, IGC_XW_RENAMED, IGC_XW_REVISED, IGC_XW_SPLIT, IGC_XW_MERGED, IGC_XW_NEW, IGC_XW_REMOVED,
    IGC_XW_NREL
};
/* "same", "renamed", "revised", "split", "merged", "new", "removed" */
extern const char *const igc_crosswalk_relation_names[IGC_XW_NREL];

typedef struct igc_xw_row {
    const char *from, *from_name; /* "" for new */
    const char *to, *to_name;     /* "" for removed */
    const char *note;
    int relation;                 /* IGC_XW_* */
    size_t line;                  /* 1-based line in the CSV */
} igc_xw_row;

typedef struct igc_crosswalk igc_crosswalk;

/* Parses and validates a crosswalk CSV (UTF-8) from revision `from` to revision `to`.
 * Every problem found (up to 30) is written to err, one Korean line each naming the CSV
 * line ("12번째 줄: ..."), or the item for completeness ("6차 품목 F10001(…)이(가)
 * 대응표에 없습니다"). Name differences from the taxonomies are warnings, written to
 * warn (may be NULL) and not fatal. Returns 0, IGC_EPARSE (not CSV, header),
 * IGC_EINVAL (content), IGC_ENOMEM; *out only on success, with one reference (it keeps
 * references on both taxonomies). name is used in messages (may be NULL). */
int igc_crosswalk_parse(const char *csv, size_t len, igc_taxonomy *from, igc_taxonomy *to,
                        igc_crosswalk **out, igc_buf *err, igc_buf *warn);
/* Same from a file. */
int igc_crosswalk_load(const char *path, igc_taxonomy *from, igc_taxonomy *to, igc_crosswalk **out,
                       igc_buf *err, igc_buf *warn);
igc_crosswalk *igc_crosswalk_ref(igc_crosswalk *cw);
void igc_crosswalk_unref(igc_crosswalk *cw);
/* The two revisions (borrowed). */
igc_taxonomy *igc_crosswalk_from(const igc_crosswalk *cw);
igc_taxonomy *igc_crosswalk_to(const igc_crosswalk *cw);
/* All rows, in file order. */
const igc_xw_row *igc_crosswalk_rows(const igc_crosswalk *cw, size_t *n);
/* Rows whose old code is `from` (several for a split), written to rows (up to max);
 * returns how many there are (may exceed max). 0 when the code is unknown. */
size_t igc_crosswalk_targets(const igc_crosswalk *cw, const char *from, const igc_xw_row **rows, size_t max);
/* Rows whose new code is `to` (several for a merge), likewise. */
size_t igc_crosswalk_sources(const igc_crosswalk *cw, const char *to, const igc_xw_row **rows, size_t max);
/* Relation index by name, or -1. */
int igc_crosswalk_relation(const char *name);
/* Counts of rows by relation, and of old and new items, as JSON:
 * {from, to, rows, relations:{same:n,...}}. */
cJSON *igc_crosswalk_summary_json(const igc_crosswalk *cw);

#endif
