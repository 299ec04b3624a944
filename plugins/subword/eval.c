/* Nearest-item check on labelled history rows, without touching labeled/dev.csv. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "embed_internal.h"

/* Cosine of two bags (rows ascending). */
static float bag_cos(const emb__bag *a, const emb__bag *b) {
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < a->n; i++) na += (double)a->wt[i] * a->wt[i];
    for (size_t i = 0; i < b->n; i++) nb += (double)b->wt[i] * b->wt[i];
    for (size_t i = 0, j = 0; i < a->n && j < b->n;) {
        if (a->row[i] == b->row[j]) dot += (double)a->wt[i++] * b->wt[j++];
        else if (a->row[i] < b->row[j]) i++;
        else j++;
    }
    return na > 0 && nb > 0 ? (float)(dot / sqrt(na * nb)) : 0;
}

int igc_embed_eval_history(const igc_embed_model *m, const char *data_dir, int holdout_mod, int holdout_fold,
                           int mode, igc_embed_eval *res) {
    if (!m || !data_dir || !res) return IGC_EINVAL;
    memset(res, 0, sizeof *res);
    emb__item *it = NULL;
    size_t ni = 0, nh = 0;
    emb__hrow *h = NULL;
    int rc = emb__load_items(data_dir, &it, &ni);
    if (!rc) rc = emb__load_history(data_dir, &h, &nh);
    if (rc || !ni) {
        emb__free_items(it, ni);
        return rc ? rc : IGC_EPARSE;
    }
    int d = m->dim;
    float *iv = calloc(ni * (size_t)d, sizeof *iv);
    emb__bag *ib = calloc(ni, sizeof *ib);
    float *q = malloc((size_t)d * sizeof *q), *score = malloc(ni * sizeof *score);
    if (!iv || !ib || !q || !score) rc = IGC_ENOMEM;
    for (size_t i = 0; i < ni && !rc; i++) {
        igc_buf t = {0};
        rc = igc_embed_item_text(it[i].name, it[i].definition, &t);
        if (!rc) {
            int e = mode == IGC_EMBED_EVAL_BAG ? emb__bag_of(m, t.data, &ib[i])
                                               : igc_embed_encode(m, t.data, iv + i * (size_t)d);
            if (e && e != IGC_ENOTFOUND) rc = e;
        }
        igc_buf_free(&t);
    }
    double mrr = 0;
    for (size_t r = 0; r < nh && !rc; r++) {
        if (holdout_mod > 0 && !igc_embed_history_heldout(h[r].row, holdout_mod, holdout_fold)) continue;
        if (!*h[r].label[0]) continue;
        long gold[3] = {-1, -1, -1};
        for (int j = 0; j < 3; j++)
            for (size_t i = 0; i < ni && *h[r].label[j]; i++)
                if (strcmp(it[i].code, h[r].label[j]) == 0) gold[j] = (long)i;
        if (gold[0] < 0) continue;
        res->rows++;
        int e;
        if (mode == IGC_EMBED_EVAL_BAG) {
            emb__bag qb;
            e = emb__bag_of(m, h[r].query, &qb);
            if (!e && !qb.n) e = IGC_ENOTFOUND;
            for (size_t i = 0; i < ni && !e; i++) score[i] = bag_cos(&qb, &ib[i]);
            emb__bag_free(&qb);
        } else {
            e = igc_embed_encode(m, h[r].query, q);
            for (size_t i = 0; i < ni && !e; i++) {
                const float *v = iv + i * (size_t)d;
                float s = 0;
                for (int k = 0; k < d; k++) s += q[k] * v[k];
                score[i] = s;
            }
        }
        if (e == IGC_ENOTFOUND) continue; /* nothing known: counts as a miss */
        if (e) {
            rc = e;
            break;
        }
        /* The three best items, ties broken by taxonomy order. */
        long best[3] = {-1, -1, -1};
        for (size_t i = 0; i < ni; i++) {
            for (int k = 0; k < 3; k++) {
                if (best[k] < 0 || score[i] > score[best[k]]) {
                    for (int t = 2; t > k; t--) best[t] = best[t - 1];
                    best[k] = (long)i;
                    break;
                }
            }
        }
        int hit1 = 0, hit3 = 0;
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 3; j++)
                if (best[k] >= 0 && best[k] == gold[j]) {
                    hit3 = 1;
                    if (k == 0) hit1 = 1;
                }
        res->top1 += hit1;
        res->top3 += hit3;
        res->top1_label1 += best[0] == gold[0];
        res->top3_label1 += best[0] == gold[0] || best[1] == gold[0] || best[2] == gold[0];
        size_t rank = 1;
        for (size_t i = 0; i < ni; i++)
            if (score[i] > score[gold[0]] || (score[i] == score[gold[0]] && (long)i < gold[0])) rank++;
        mrr += 1.0 / (double)rank;
    }
    res->mrr = res->rows ? mrr / res->rows : 0;
    for (size_t i = 0; ib && i < ni; i++) emb__bag_free(&ib[i]);
    free(ib);
    free(iv);
    free(q);
    free(score);
    emb__free_items(it, ni);
    emb__free_history(h, nh);
    return rc;
}

int igc_embed_eval_names(const igc_embed_model *m, const char *data_dir, int mode, igc_embed_eval *res) {
    if (!m || !data_dir || !res) return IGC_EINVAL;
    memset(res, 0, sizeof *res);
    emb__item *it = NULL;
    size_t ni = 0;
    int rc = emb__load_items(data_dir, &it, &ni);
    if (rc) return rc;
    int d = m->dim;
    float *iv = calloc(ni ? ni * (size_t)d : 1, sizeof *iv);
    emb__bag *ib = calloc(ni ? ni : 1, sizeof *ib), *nb = calloc(ni ? ni : 1, sizeof *nb);
    float *nv = calloc(ni ? ni * (size_t)d : 1, sizeof *nv);
    char *known = calloc(ni ? ni : 1, 1);
    if (!iv || !ib || !nb || !nv || !known) rc = IGC_ENOMEM;
    for (size_t i = 0; i < ni && !rc; i++) {
        igc_buf t = {0};
        rc = igc_embed_item_text(it[i].name, it[i].definition, &t);
        int e1 = 0, e2 = 0;
        if (!rc && mode == IGC_EMBED_EVAL_BAG) {
            e1 = emb__bag_of(m, t.data, &ib[i]);
            e2 = emb__bag_of(m, it[i].name, &nb[i]);
        } else if (!rc) {
            e1 = igc_embed_encode(m, t.data, iv + i * (size_t)d);
            e2 = igc_embed_encode(m, it[i].name, nv + i * (size_t)d);
        }
        if (e1 && e1 != IGC_ENOTFOUND) rc = e1;
        if (e2 && e2 != IGC_ENOTFOUND) rc = e2;
        if (mode == IGC_EMBED_EVAL_BAG) e2 = nb[i].n ? 0 : IGC_ENOTFOUND;
        if (!rc) known[i] = !e2;
        igc_buf_free(&t);
    }
    double mrr = 0;
    for (size_t q = 0; q < ni && !rc; q++) {
        res->rows++;
        float self = 0;
        size_t rank = 1;
        /* Scores computed twice (self first) to keep no per-query buffer. */
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < ni; i++) {
                float s;
                if (mode == IGC_EMBED_EVAL_BAG) {
                    s = bag_cos(&nb[q], &ib[i]);
                } else {
                    s = 0;
                    for (int k = 0; k < d; k++) s += nv[q * (size_t)d + (size_t)k] * iv[i * (size_t)d + (size_t)k];
                }
                if (pass == 0 && i == q) self = s;
                if (pass == 1 && (s > self || (s == self && i < q))) rank++;
            }
        }
        if (!known[q]) continue; /* nothing known: a miss */
        res->top1 += rank == 1;
        res->top3 += rank <= 3;
        mrr += 1.0 / (double)rank;
    }
    res->top1_label1 = res->top1;
    res->top3_label1 = res->top3;
    res->mrr = res->rows ? mrr / res->rows : 0;
    for (size_t i = 0; i < ni; i++) {
        if (ib) emb__bag_free(&ib[i]);
        if (nb) emb__bag_free(&nb[i]);
    }
    free(ib);
    free(nb);
    free(iv);
    free(nv);
    free(known);
    emb__free_items(it, ni);
    return rc;
}
