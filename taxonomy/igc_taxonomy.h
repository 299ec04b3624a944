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

#endif
