/*
 * igc_lexicon_check: where a lexicon's terms fire outside their own item.
 *
 * Every other item's texts (name, definition, examples, notes) and every KSIC-11
 * entry's texts (name, description, examples) are run through the matcher once; a hit
 * of a term on text it does not belong to is a collision. Collisions are warnings for
 * policy staff: a term that fires on a neighbour's definition will pull firms towards
 * the wrong item too.
 */
#include <stdlib.h>
#include <string.h>

#include "igc_lexicon.h"
#include "lexicon_int.h"

enum { F_NAME = 1, F_DEF = 2, F_EX = 4, F_NOTES = 8, F_KNAME = 16, F_KDESC = 32, F_KEX = 64 };

typedef struct coll {
    uint32_t item, term;
    uint32_t target;     /* item index, or KSIC entry index */
    uint8_t ksic;        /* target is a KSIC entry */
    uint8_t fields;      /* F_* where it fired */
    uint8_t whole;       /* at least one whole-word hit */
} coll;

typedef struct colls {
    coll *c;
    size_t n, cap;
} colls;

static int push(colls *cs, coll c) {
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 1024;
        coll *p = realloc(cs->c, cap * sizeof *p);
        if (!p) return IGC_ENOMEM;
        cs->c = p;
        cs->cap = cap;
    }
    cs->c[cs->n++] = c;
    return 0;
}

static int lists(const igc_lex_term *t, uint32_t item) {
    for (size_t k = 0; k < t->nitems; k++)
        if (t->items[k] == item) return 1;
    return 0;
}

static int lists_ksic(const igc_lex_item *li, const char *code) {
    for (size_t k = 0; li && k < li->nksic; k++)
        if (strcmp(li->ksic[k], code) == 0) return 1;
    return 0;
}

/* Matches text and records a collision for every item of each hit term that is not
 * the target (or, for KSIC, does not list the code). */
static int scan(const igc_lexicon *lx, const char *text, uint32_t target, int ksic, const char *kcode, uint8_t field,
                colls *cs) {
    if (!text || !*text) return 0;
    igc_words w = {0};
    igc_lex_hits h = {0};
    int rc = igc_text_words(text, &w);
    if (!rc) rc = igc_lexicon_match(lx, &w, &h);
    for (size_t i = 0; !rc && i < h.n; i++) {
        const igc_lex_term *t = &lx->terms[h.h[i].term];
        if (!ksic && lists(t, target)) continue;
        for (size_t k = 0; !rc && k < t->nitems; k++) {
            uint32_t it = t->items[k];
            if (ksic && lists_ksic(igc_lexicon_item(lx, it), kcode)) continue;
            rc = push(cs, (coll){it, h.h[i].term, target, (uint8_t)ksic, field, (uint8_t)!h.h[i].partial});
        }
    }
    igc_lex_hits_free(&h);
    igc_text_words_free(&w);
    return rc;
}

static int cmp_coll(const void *a, const void *b) {
    const coll *x = a, *y = b;
    if (x->item != y->item) return x->item < y->item ? -1 : 1;
    if (x->ksic != y->ksic) return x->ksic < y->ksic ? -1 : 1;
    if (x->term != y->term) return x->term < y->term ? -1 : 1;
    if (x->target != y->target) return x->target < y->target ? -1 : 1;
    return 0;
}

static void fields_text(uint8_t f, igc_buf *b) {
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {{F_NAME, "품목명"}, {F_DEF, "정의"},      {F_EX, "예시"},       {F_NOTES, "참고"},
                 {F_KNAME, "업종명"}, {F_KDESC, "업종 설명"}, {F_KEX, "업종 예시"}};
    int first = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].bit) {
            igc_buf_printf(b, "%s%s", first ? "" : "·", names[i].name);
            first = 0;
        }
}

static int is_confusable(const igc_lex_item *li, const igc_tx_item *other) {
    for (size_t k = 0; li && k < li->nconfusable; k++)
        if (li->confusable[k].item == other) return 1;
    return 0;
}

/* Terms of one item written in two ways that normalise alike ("AR·VR", "AR/VR"). */
static size_t report_same_forms(const igc_lexicon *lx, igc_buf *r) {
    size_t n = 0;
    for (size_t i = 0; i < lx->tx->nitems; i++) {
        const igc_lex_item *li = igc_lexicon_item(lx, i);
        for (size_t a = 0; li && a < li->nterms; a++) {
            int64_t ia = igc_lexicon_find(lx, li->terms[a]);
            for (size_t b = a + 1; b < li->nterms; b++)
                if (ia >= 0 && igc_lexicon_find(lx, li->terms[b]) == ia) {
                    igc_buf_printf(r, "  경고 %s: \"%s\"와 \"%s\"는 같은 색인어로 취급됩니다 (띄어쓰기·기호만 다름)\n",
                                   li->item->code, li->terms[a], li->terms[b]);
                    n++;
                }
        }
    }
    return n;
}

int igc_lexicon_check(const igc_lexicon *lx, const igc_ksic *ksic, igc_buf *report, size_t *ncollisions) {
    if (!lx || !report) return IGC_EINVAL;
    const igc_taxonomy *tx = lx->tx;
    colls cs = {0};
    int rc = 0;
    for (size_t j = 0; !rc && j < tx->nitems; j++) {
        const igc_tx_item *it = &tx->items[j];
        uint32_t t = (uint32_t)j;
        if (!rc) rc = scan(lx, it->name, t, 0, NULL, F_NAME, &cs);
        if (!rc) rc = scan(lx, it->definition, t, 0, NULL, F_DEF, &cs);
        if (!rc) rc = scan(lx, it->examples, t, 0, NULL, F_EX, &cs);
        if (!rc) rc = scan(lx, it->notes, t, 0, NULL, F_NOTES, &cs);
    }
    size_t nk = ksic ? igc_ksic_count(ksic) : 0;
    for (size_t k = 0; !rc && k < nk; k++) {
        const igc_ksic_entry *e = igc_ksic_at(ksic, k);
        uint32_t t = (uint32_t)k;
        if (!rc) rc = scan(lx, e->name, t, 1, e->code, F_KNAME, &cs);
        if (!rc) rc = scan(lx, e->desc5, t, 1, e->code, F_KDESC, &cs);
        if (!rc) rc = scan(lx, e->examples5, t, 1, e->code, F_KEX, &cs);
    }
    if (rc) {
        free(cs.c);
        return rc;
    }
    /* merge repeats of (item, kind, term, target): fields and whole-word flags add up */
    if (cs.n) qsort(cs.c, cs.n, sizeof *cs.c, cmp_coll); /* cs.c is NULL while empty */
    size_t u = 0;
    for (size_t i = 0; i < cs.n; i++) {
        if (u && cmp_coll(&cs.c[u - 1], &cs.c[i]) == 0) {
            cs.c[u - 1].fields |= cs.c[i].fields;
            cs.c[u - 1].whole |= cs.c[i].whole;
        } else {
            cs.c[u++] = cs.c[i];
        }
    }
    cs.n = u;

    size_t shared = 0, with_terms = 0, missing = 0;
    for (size_t t = 0; t < lx->nterms; t++) shared += lx->terms[t].nitems > 1;
    for (size_t i = 0; i < tx->nitems; i++) {
        const igc_lex_item *li = igc_lexicon_item(lx, i);
        with_terms += li && li->nterms;
        missing += !li;
    }
    igc_buf_printf(report, "색인어 사전 점검 / lexicon check: %s — 품목 %zu개, 색인어 %zu개 (정규화 기준)\n",
                   lx->version, lx->nlines, lx->nterms);
    igc_buf_puts(report, "충돌: 한 품목의 색인어가 다른 품목의 품목명·정의·예시·참고, 또는 그 품목이 적지 않은 KSIC 업종의 "
                         "이름·설명·예시에서 잡히는 경우입니다 (경고).\n");

    /* warnings first: lines missing, names that differ, forms that normalise alike */
    size_t warnings = 0;
    for (size_t i = 0; i < tx->nitems; i++) {
        const igc_lex_item *li = igc_lexicon_item(lx, i);
        if (!li) {
            igc_buf_printf(report, "  경고 %s %s: 사전에 줄이 없습니다 (no line for this item)\n", tx->items[i].code,
                           tx->items[i].name);
            warnings++;
        } else if (lx->names[i] && strcmp(lx->names[i], tx->items[i].name) != 0) {
            igc_buf_printf(report, "  경고 %s: 이름 \"%s\"가 분류체계의 \"%s\"와 다릅니다 (%zu번째 줄)\n",
                           tx->items[i].code, lx->names[i], tx->items[i].name, li->line);
            warnings++;
        }
    }
    warnings += report_same_forms(lx, report);

    size_t n_item = 0, n_ksic = 0, items_hit = 0;
    igc_buf fb = {0};
    for (size_t i = 0; i < cs.n;) {
        uint32_t item = cs.c[i].item;
        const igc_tx_item *own = &tx->items[item];
        const igc_lex_item *li = igc_lexicon_item(lx, item);
        igc_buf_printf(report, "\n[%s] %s\n", own->code, own->name);
        items_hit++;
        for (; i < cs.n && cs.c[i].item == item; i++) {
            const coll *c = &cs.c[i];
            const igc_lex_term *t = &lx->terms[c->term];
            fb.len = 0;
            if (fb.data) fb.data[0] = '\0';
            fields_text(c->fields, &fb);
            if (!c->ksic) {
                const igc_tx_item *o = &tx->items[c->target];
                igc_buf_printf(report, "  충돌 \"%s\" → %s %s (%s%s)%s\n", t->text, o->code, o->name,
                               fb.data ? fb.data : "", c->whole ? "" : ", 합성어 안에서 부분 일치",
                               is_confusable(li, o) ? " [혼동 품목으로 등록됨]" : "");
                n_item++;
            } else {
                const igc_ksic_entry *e = igc_ksic_at(ksic, c->target);
                igc_buf_printf(report, "  충돌 \"%s\" → KSIC %s %s (%s%s)\n", t->text, e->code, e->name,
                               fb.data ? fb.data : "", c->whole ? "" : ", 합성어 안에서 부분 일치");
                n_ksic++;
            }
        }
    }
    igc_buf_free(&fb);
    igc_buf_printf(report,
                   "\n요약 / summary: 충돌 %zu건 (다른 품목의 설명 %zu건, KSIC 업종 설명 %zu건) — 충돌이 있는 품목 %zu개; "
                   "경고 %zu건; 여러 품목에 함께 등록된 색인어 %zu개; 색인어가 있는 품목 %zu개, 줄이 없는 품목 %zu개\n",
                   n_item + n_ksic, n_item, n_ksic, items_hit, warnings, shared, with_terms, missing);
    if (ncollisions) *ncollisions = n_item + n_ksic;
    free(cs.c);
    return 0;
}
