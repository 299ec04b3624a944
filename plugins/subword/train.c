/* Training: vocabulary and idf from the corpus, then in-batch softmax (InfoNCE) over
 * positive pairs with row-wise Adagrad. Everything that touches the weights runs in
 * a fixed order from a seeded generator, so a seed gives the same file bit for bit. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "embed_internal.h"

/* How often each source's pairs are visited per epoch: the domain pairs are few
 * but are what retrieval needs; general Korean pairs only regularise. */
static const int src_repeat[] = {3, 1, 1, 4, 1, 1, 3};
/* a source added without its repeat would silently never be trained */
_Static_assert(sizeof src_repeat / sizeof src_repeat[0] == EMB_NSRC, "one repeat per training source");

void igc_embed_train_defaults(igc_embed_train_opts *o, const char *data_dir) {
    memset(o, 0, sizeof *o);
    o->data_dir = data_dir;
    o->dim = 128;
    o->epochs = 8;
    o->seed = 42;
    o->threads = 1;
    o->sources = IGC_EMBED_SRC_DEFAULT;
    o->min_count = 2;
    o->batch = 128;
    o->lr = 0.1f;
    o->temperature = 0.05f;
}

static void fill_defaults(const igc_embed_train_opts *in, igc_embed_train_opts *o) {
    igc_embed_train_opts d;
    igc_embed_train_defaults(&d, in->data_dir);
    *o = *in;
    if (!o->dim) o->dim = d.dim;
    if (!o->epochs) o->epochs = d.epochs;
    if (o->epochs < 0) o->epochs = 0;
    if (!o->seed) o->seed = d.seed;
    if (o->threads <= 0) o->threads = 1;
    if (!o->sources) o->sources = d.sources;
    if (o->min_count <= 0) o->min_count = d.min_count;
    if (o->batch <= 1) o->batch = d.batch;
    if (!(o->lr > 0)) o->lr = d.lr;
    if (!(o->temperature > 0)) o->temperature = d.temperature;
}

/* ---- seeded generator (splitmix64): plain integer arithmetic, same everywhere ---- */
static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static float next_unit(uint64_t *s) { return (float)(next_u64(s) >> 40) * (1.0f / 16777216.0f); }

/* ---- document frequency of features ---- */
typedef struct {
    uint64_t *key; /* 0 = empty (a feature id of 0 is remapped to 1 first: harmless) */
    uint32_t *cnt;
    uint64_t mask;
    size_t n;
} dfmap;

static int df_add(dfmap *d, uint64_t id) {
    if (!id) id = 1;
    if (!d->key || (d->n + 1) * 2 > d->mask + 1) {
        uint64_t cap = d->key ? (d->mask + 1) * 2 : 1 << 16;
        uint64_t *k = calloc(cap, sizeof *k);
        uint32_t *c = calloc(cap, sizeof *c);
        if (!k || !c) {
            free(k);
            free(c);
            return IGC_ENOMEM;
        }
        for (uint64_t i = 0; d->key && i <= d->mask; i++) {
            if (!d->key[i]) continue;
            uint64_t h = (d->key[i] * 0x9E3779B97F4A7C15ULL) >> 20 & (cap - 1);
            while (k[h]) h = (h + 1) & (cap - 1);
            k[h] = d->key[i];
            c[h] = d->cnt[i];
        }
        free(d->key);
        free(d->cnt);
        d->key = k;
        d->cnt = c;
        d->mask = cap - 1;
    }
    uint64_t h = (id * 0x9E3779B97F4A7C15ULL) >> 20 & d->mask;
    while (d->key[h] && d->key[h] != id) h = (h + 1) & d->mask;
    if (!d->key[h]) {
        d->key[h] = id;
        d->n++;
    }
    d->cnt[h]++;
    return 0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Builds the model skeleton: vocabulary (features in >= min_count texts), idf, and
 * weights drawn uniformly from the seed. */
static int build_vocab(const emb__corpus *c, const igc_embed_train_opts *o, igc_embed_model **out) {
    dfmap d = {0};
    igc_feats f = {0};
    int rc = 0;
    for (size_t t = 0; t < c->ntext && !rc; t++) {
        f.n = 0;
        if ((rc = igc_text_features_of(c->text[t], &f))) break;
        uint64_t *ids = malloc((f.n ? f.n : 1) * sizeof *ids);
        if (!ids) {
            rc = IGC_ENOMEM;
            break;
        }
        for (size_t i = 0; i < f.n; i++) ids[i] = f.f[i].id ? f.f[i].id : 1;
        qsort(ids, f.n, sizeof *ids, cmp_u64);
        for (size_t i = 0; i < f.n && !rc; i++)
            if (!i || ids[i] != ids[i - 1]) rc = df_add(&d, ids[i]);
        free(ids);
    }
    igc_text_feats_free(&f);
    uint64_t *keep = NULL;
    size_t nk = 0;
    if (!rc) {
        keep = malloc((d.n ? d.n : 1) * sizeof *keep);
        if (!keep) rc = IGC_ENOMEM;
        for (uint64_t i = 0; !rc && d.key && i <= d.mask; i++)
            if (d.key[i] && d.cnt[i] >= (uint32_t)o->min_count) keep[nk++] = d.key[i];
    }
    if (!rc && !nk) {
        igc_log(IGC_LOG_ERROR, "embed: empty vocabulary (no feature in %d texts)", o->min_count);
        rc = IGC_EINVAL;
    }
    igc_embed_model *m = NULL;
    if (!rc) {
        qsort(keep, nk, sizeof *keep, cmp_u64);
        rc = emb__model_new(o->dim, (uint32_t)nk, &m);
    }
    if (!rc) {
        double N = (double)c->ntext;
        for (size_t i = 0; i < nk; i++) {
            uint64_t id = keep[i];
            uint64_t h = (id * 0x9E3779B97F4A7C15ULL) >> 20 & d.mask;
            while (d.key[h] != id) h = (h + 1) & d.mask;
            m->ids[i] = id;
            m->idf[i] = (float)(log((N + 1) / (d.cnt[h] + 1)) + 1);
        }
        uint64_t s = o->seed;
        float a = sqrtf(3.0f / (float)o->dim); /* unit expected row norm */
        size_t nw = nk * (size_t)o->dim;
        for (size_t i = 0; i < nw; i++) m->w[i] = (2 * next_unit(&s) - 1) * a;
        rc = emb__model_finish(m);
    }
    free(keep);
    free(d.key);
    free(d.cnt);
    if (rc) {
        igc_embed_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- parallel-for over independent items (each writes only its own outputs) ---- */
typedef struct {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t from, to;
} pjob;

static void *pjob_run(void *arg) {
    pjob *j = arg;
    for (size_t i = j->from; i < j->to; i++) j->fn(j->ctx, i);
    return NULL;
}

static void pfor(int threads, size_t n, void (*fn)(void *ctx, size_t i), void *ctx) {
    if (threads <= 1 || n < 2) {
        for (size_t i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    pjob jobs[64] = {{0}};
    pthread_t tid[64];
    int started[64] = {0};
    size_t per = (n + (size_t)threads - 1) / (size_t)threads;
    for (int t = 0; t < threads; t++) {
        size_t a = (size_t)t * per, b = a + per < n ? a + per : n;
        jobs[t] = (pjob){fn, ctx, a < n ? a : n, b};
        /* The calling thread takes the first chunk; a thread that fails to start
         * has its chunk run here instead. */
        if (t && pthread_create(&tid[t], NULL, pjob_run, &jobs[t]) == 0) started[t] = 1;
    }
    pjob_run(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else pjob_run(&jobs[t]);
    }
}

/* ---- one training batch ---- */
typedef struct {
    igc_embed_model *m;
    const emb__bag *bags;
    const uint32_t *text; /* 2B slots: a sides then b sides */
    int B, dim;
    float inv_tau;
    float *x, *norm, *S, *dS, *g;
} batch;

static void fwd_one(void *ctx, size_t i) {
    batch *b = ctx;
    const emb__bag *bag = &b->bags[b->text[i]];
    float *u = b->x + i * (size_t)b->dim;
    int d = b->dim;
    memset(u, 0, (size_t)d * sizeof *u);
    for (size_t f = 0; f < bag->n; f++) {
        const float *v = b->m->w + (size_t)bag->row[f] * (size_t)d;
        float wt = bag->wt[f];
        for (int k = 0; k < d; k++) u[k] += wt * v[k];
    }
    double s = 0;
    for (int k = 0; k < d; k++) s += (double)u[k] * u[k];
    float n = (float)sqrt(s);
    b->norm[i] = n;
    if (n > 0)
        for (int k = 0; k < d; k++) u[k] /= n;
}

static void logits_row(void *ctx, size_t i) {
    batch *b = ctx;
    const float *xa = b->x + i * (size_t)b->dim;
    for (int j = 0; j < b->B; j++) {
        const float *xb = b->x + ((size_t)b->B + (size_t)j) * (size_t)b->dim;
        float s = 0;
        for (int k = 0; k < b->dim; k++) s += xa[k] * xb[k];
        b->S[i * (size_t)b->B + (size_t)j] = s * b->inv_tau;
    }
}

/* Gradient wrt the unnormalised vector u of slot i: g = dL/dx, then through x = u/|u|. */
static void grad_one(void *ctx, size_t i) {
    batch *b = ctx;
    int d = b->dim, B = b->B;
    float *g = b->g + i * (size_t)d;
    memset(g, 0, (size_t)d * sizeof *g);
    for (int j = 0; j < B; j++) {
        float w;
        const float *other;
        if (i < (size_t)B) {
            w = b->dS[i * (size_t)B + (size_t)j];
            other = b->x + ((size_t)B + (size_t)j) * (size_t)d;
        } else {
            w = b->dS[(size_t)j * (size_t)B + (i - (size_t)B)];
            other = b->x + (size_t)j * (size_t)d;
        }
        if (w == 0) continue;
        w *= b->inv_tau;
        for (int k = 0; k < d; k++) g[k] += w * other[k];
    }
    const float *x = b->x + i * (size_t)d;
    float n = b->norm[i];
    if (!(n > 0)) {
        memset(g, 0, (size_t)d * sizeof *g);
        return;
    }
    float gx = 0;
    for (int k = 0; k < d; k++) gx += g[k] * x[k];
    for (int k = 0; k < d; k++) g[k] = (g[k] - gx * x[k]) / n;
}

/* Symmetric InfoNCE over S (rows: a -> b, columns: b -> a). Other pairs sharing a
 * text with pair i are masked out of i's negatives: they are positives too.
 * Returns the batch loss. */
static double softmax_grad(batch *b, const uint32_t *ta, const uint32_t *tb) {
    int B = b->B;
    double loss = 0;
    memset(b->dS, 0, (size_t)B * (size_t)B * sizeof *b->dS);
    float *p = malloc((size_t)B * sizeof *p);
    if (!p) return NAN;
    for (int dir = 0; dir < 2; dir++) {
        for (int i = 0; i < B; i++) {
            float mx = -INFINITY;
            for (int j = 0; j < B; j++) {
                int masked = j != i && (ta[j] == ta[i] || tb[j] == tb[i]);
                float s = dir ? b->S[(size_t)j * (size_t)B + (size_t)i] : b->S[(size_t)i * (size_t)B + (size_t)j];
                p[j] = masked ? -INFINITY : s;
                if (p[j] > mx) mx = p[j];
            }
            double z = 0;
            for (int j = 0; j < B; j++) z += p[j] == -INFINITY ? 0 : exp((double)(p[j] - mx));
            for (int j = 0; j < B; j++) {
                float q = p[j] == -INFINITY ? 0 : (float)(exp((double)(p[j] - mx)) / z);
                float gij = (q - (j == i)) / (2.0f * (float)B);
                if (dir) b->dS[(size_t)j * (size_t)B + (size_t)i] += gij;
                else b->dS[(size_t)i * (size_t)B + (size_t)j] += gij;
            }
            loss += -((double)(p[i] - mx) - log(z)) / (2.0 * B);
        }
    }
    free(p);
    return loss;
}

/* Row-wise Adagrad step on the rows of one bag. With nparts > 1 only rows in this
 * part's blocks of 64 (blocks of 64 keep parts off each other's cache lines in acc):
 * threads split the rows, each row still sees its updates in batch order, and the
 * result does not depend on the thread count. */
static void apply_update(igc_embed_model *m, float *acc, const emb__bag *bag, const float *g, float lr,
                         uint32_t nparts, uint32_t part) {
    int d = m->dim;
    float g2 = 0;
    for (int k = 0; k < d; k++) g2 += g[k] * g[k];
    g2 /= (float)d;
    for (size_t f = 0; f < bag->n; f++) {
        uint32_t r = bag->row[f];
        if (nparts > 1 && (r >> 6) % nparts != part) continue;
        float wt = bag->wt[f];
        float *v = m->w + (size_t)r * (size_t)d;
        acc[r] += wt * wt * g2;
        float step = lr * wt / (sqrtf(acc[r]) + 1e-10f);
        for (int k = 0; k < d; k++) v[k] -= step * g[k];
    }
}

typedef struct {
    batch *b;
    float *acc;
    float lr;
    uint32_t nparts;
} upd;

static void update_part(void *ctx, size_t part) {
    upd *u = ctx;
    batch *b = u->b;
    for (int i = 0; i < 2 * b->B; i++)
        apply_update(b->m, u->acc, &b->bags[b->text[i]], b->g + (size_t)i * (size_t)b->dim, u->lr, u->nparts,
                     (uint32_t)part);
}

static void report_eval(cJSON *o, const char *key, const igc_embed_eval *e) {
    cJSON *x = cJSON_AddObjectToObject(o, key);
    if (!x) return;
    cJSON_AddNumberToObject(x, "rows", e->rows);
    double n = e->rows ? e->rows : 1;
    cJSON_AddNumberToObject(x, "top1", round(e->top1 / n * 1e4) / 1e4);
    cJSON_AddNumberToObject(x, "top3", round(e->top3 / n * 1e4) / 1e4);
    cJSON_AddNumberToObject(x, "top1_label1", round(e->top1_label1 / n * 1e4) / 1e4);
    cJSON_AddNumberToObject(x, "top3_label1", round(e->top3_label1 / n * 1e4) / 1e4);
    cJSON_AddNumberToObject(x, "mrr", round(e->mrr * 1e4) / 1e4);
}

static void progress(const igc_embed_train_opts *o, const char *stage, double f) {
    if (o->progress) o->progress(o->progress_ud, stage, f);
}

int igc_embed_train_model(const igc_embed_train_opts *in, const char *out_path, igc_buf *report,
                          igc_embed_model **out) {
    if (out) *out = NULL;
    if (!in || !in->data_dir) return IGC_EINVAL;
    if (in->dim < 0 || in->dim > IGC_EMBED_MAX_DIM || in->batch > 4096 || in->threads > 64) return IGC_EINVAL;
    igc_embed_train_opts o;
    fill_defaults(in, &o);
    double t0 = igc_now_ms();
    cJSON *rep = cJSON_CreateObject();
    emb__corpus c;
    igc_embed_model *m = NULL;
    emb__bag *bags = NULL;
    uint32_t *order = NULL, *slots = NULL;
    float *acc = NULL;
    batch b = {0};
    size_t ntrain = 0;

    progress(&o, "corpus", 0);
    int rc = emb__corpus_build(&o, &c);
    if (rc) {
        cJSON_Delete(rep);
        return rc;
    }
    progress(&o, "vocabulary", 0);
    if ((rc = build_vocab(&c, &o, &m))) goto done;
    bags = calloc(c.ntext ? c.ntext : 1, sizeof *bags);
    if (!bags) {
        rc = IGC_ENOMEM;
        goto done;
    }
    for (size_t t = 0; t < c.ntext && !rc; t++) rc = emb__bag_of(m, c.text[t], &bags[t]);
    if (rc) goto done;

    /* Pairs with a side that has no known feature teach nothing. */
    size_t per_epoch = 0, usable = 0;
    for (size_t i = 0; i < c.npair; i++)
        if (bags[c.pair[i].a].n && bags[c.pair[i].b].n) per_epoch += (size_t)src_repeat[c.pair[i].src], usable++;
    order = malloc((per_epoch ? per_epoch : 1) * sizeof *order);
    int B = o.batch;
    if (per_epoch < (size_t)B) B = per_epoch >= 2 ? (int)per_epoch : 2; /* a tiny corpus: one batch */
    if (per_epoch < 2 && o.epochs > 0) igc_log(IGC_LOG_WARN, "embed: fewer than 2 usable pairs; nothing to train");
    slots = malloc((size_t)B * 2 * sizeof *slots);
    acc = calloc(m->nfeat, sizeof *acc);
    b = (batch){m, bags, slots, B, o.dim, 1.0f / o.temperature, NULL, NULL, NULL, NULL, NULL};
    b.x = malloc((size_t)B * 2 * (size_t)o.dim * sizeof *b.x);
    b.g = malloc((size_t)B * 2 * (size_t)o.dim * sizeof *b.g);
    b.norm = malloc((size_t)B * 2 * sizeof *b.norm);
    b.S = malloc((size_t)B * (size_t)B * sizeof *b.S);
    b.dS = malloc((size_t)B * (size_t)B * sizeof *b.dS);
    if (!order || !slots || !acc || !b.x || !b.g || !b.norm || !b.S || !b.dS) {
        rc = IGC_ENOMEM;
        goto done;
    }

    cJSON *corpus = cJSON_AddObjectToObject(rep, "corpus");
    cJSON_AddNumberToObject(corpus, "texts", (double)c.ntext);
    cJSON_AddNumberToObject(corpus, "pairs", (double)c.npair);
    cJSON_AddNumberToObject(corpus, "usable_pairs", (double)usable);
    for (int s = 0; s < EMB_NSRC; s++) cJSON_AddNumberToObject(corpus, emb__src_name[s], (double)c.per_src[s]);
    cJSON_AddNumberToObject(corpus, "history_rows_left_out", (double)c.history_left_out);
    cJSON_AddNumberToObject(rep, "features", m->nfeat);
    cJSON_AddNumberToObject(rep, "dim", o.dim);
    cJSON_AddNumberToObject(rep, "epochs", o.epochs);
    cJSON_AddNumberToObject(rep, "seed", (double)o.seed);
    cJSON_AddNumberToObject(rep, "batch", B);
    cJSON_AddNumberToObject(rep, "lr", round(o.lr * 1e6) / 1e6);
    cJSON_AddNumberToObject(rep, "temperature", round(o.temperature * 1e6) / 1e6);
    cJSON_AddNumberToObject(rep, "min_count", o.min_count);
    cJSON_AddNumberToObject(rep, "threads", o.threads);
    igc_embed_eval ev;
    if (o.holdout_mod > 0 && report) {
        if (!igc_embed_eval_history(m, o.data_dir, o.holdout_mod, o.holdout_fold, IGC_EMBED_EVAL_BAG, &ev))
            report_eval(rep, "heldout_idf_bag", &ev);
        if (!igc_embed_eval_history(m, o.data_dir, o.holdout_mod, o.holdout_fold, IGC_EMBED_EVAL_MODEL, &ev))
            report_eval(rep, "heldout_random_init", &ev);
    }

    cJSON *losses = cJSON_AddArrayToObject(rep, "loss");
    uint64_t rng = o.seed ^ 0xA5A5A5A5DEADBEEFULL;
    size_t nbatch = per_epoch / (size_t)B, done_b = 0, total_b = nbatch * (size_t)o.epochs;
    uint32_t *ta = slots, *tb = slots + B;
    for (int ep = 0; ep < o.epochs; ep++) {
        size_t k = 0;
        for (size_t i = 0; i < c.npair; i++)
            if (bags[c.pair[i].a].n && bags[c.pair[i].b].n)
                for (int r = 0; r < src_repeat[c.pair[i].src]; r++) order[k++] = (uint32_t)i;
        for (size_t i = k; i > 1; i--) {
            size_t j = (size_t)(next_u64(&rng) % i);
            uint32_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        double eloss = 0;
        for (size_t bi = 0; bi < nbatch; bi++) {
            for (int i = 0; i < B; i++) {
                const emb__pair *p = &c.pair[order[bi * (size_t)B + (size_t)i]];
                ta[i] = p->a;
                tb[i] = p->b;
            }
            pfor(o.threads, (size_t)B * 2, fwd_one, &b);
            pfor(o.threads, (size_t)B, logits_row, &b);
            eloss += softmax_grad(&b, ta, tb);
            pfor(o.threads, (size_t)B * 2, grad_one, &b);
            upd u = {&b, acc, o.lr, (uint32_t)o.threads};
            pfor(o.threads, (size_t)o.threads, update_part, &u);
            if (++done_b % 16 == 0) progress(&o, "train", (double)done_b / (double)total_b);
        }
        double mean = nbatch ? eloss / (double)nbatch : 0;
        cJSON_AddItemToArray(losses, cJSON_CreateNumber(round(mean * 1e4) / 1e4));
        igc_log(IGC_LOG_DEBUG, "embed: epoch %d/%d loss %.4f", ep + 1, o.epochs, mean);
    }
    ntrain = total_b * (size_t)B;
    progress(&o, "train", 1);
    if ((rc = emb__model_finish(m))) goto done;
    cJSON_AddNumberToObject(rep, "pairs_seen", (double)ntrain);
    cJSON_AddStringToObject(rep, "version", m->version);
    if (o.holdout_mod > 0 && report) {
        if (!igc_embed_eval_history(m, o.data_dir, o.holdout_mod, o.holdout_fold, IGC_EMBED_EVAL_MODEL, &ev))
            report_eval(rep, "heldout_trained", &ev);
    }
    if (report) {
        if (!igc_embed_eval_names(m, o.data_dir, IGC_EMBED_EVAL_BAG, &ev))
            report_eval(rep, "item_names_idf_bag", &ev);
        if (!igc_embed_eval_names(m, o.data_dir, IGC_EMBED_EVAL_MODEL, &ev))
            report_eval(rep, "item_names_trained", &ev);
    }
    if (out_path) {
        progress(&o, "write", 0);
        if ((rc = igc_embed_save(m, out_path))) goto done;
    }
    cJSON_AddNumberToObject(rep, "seconds", round((igc_now_ms() - t0) / 100) / 10);
    progress(&o, "done", 1);
    igc_log(IGC_LOG_INFO, "embed: trained %s: %u features, %zu pairs, %.1f s", m->version, m->nfeat, usable,
            (igc_now_ms() - t0) / 1000);

done:
    if (!rc && report) {
        char *js = cJSON_Print(rep);
        rc = js ? igc_buf_puts(report, js) : IGC_ENOMEM;
        if (!rc) rc = igc_buf_puts(report, "\n");
        free(js);
    }
    cJSON_Delete(rep);
    for (size_t t = 0; bags && t < c.ntext; t++) emb__bag_free(&bags[t]);
    free(bags);
    emb__corpus_free(&c);
    free(order);
    free(slots);
    free(acc);
    free(b.x);
    free(b.g);
    free(b.norm);
    free(b.S);
    free(b.dS);
    if (!rc && out) *out = m;
    else igc_embed_free(m);
    return rc;
}

int igc_embed_train(const igc_embed_train_opts *o, const char *out_path, igc_buf *report) {
    if (!out_path) return IGC_EINVAL;
    return igc_embed_train_model(o, out_path, report, NULL);
}

unsigned igc_embed_sources_parse(const char *list) {
    unsigned mask = 0;
    char buf[256];
    if (!list || strlen(list) >= sizeof buf) return 0;
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < EMB_NSRC; i++)
            if (strcmp(t, emb__src_name[i]) == 0) mask |= 1u << i, found = 1;
        if (!found) return 0;
    }
    return mask;
}
