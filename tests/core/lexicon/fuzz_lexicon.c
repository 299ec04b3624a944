/*
 * libFuzzer target for the lexicon loader and matcher: any bytes as a lexicon file
 * against the real taxonomy and KSIC tables, then the same bytes as input text.
 * Build (clang): cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DIGC_SANITIZE=ON -DIGC_FUZZ=ON
 *   && cmake --build build-fuzz --target fuzz_lexicon
 * Run: build-fuzz/tests/core/lexicon/fuzz_lexicon -max_total_time=60 CORPUS_DIR
 * (seed the corpus with a few lines of taxonomy/igc-v6-lexicon.jsonl).
 */
#include <stdlib.h>
#include <string.h>

#include "igc_lexicon.h"

static igc_taxonomy *tx;
static igc_ksic *ksic;
static igc_lexicon *shared_lx; /* the shipped file, to match fuzz text against */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!tx) {
        const char *dir = getenv("IGC_DATA") ? getenv("IGC_DATA") : IGC_TEST_DATA_DIR;
        char p[4096];
        snprintf(p, sizeof p, "%s/taxonomy/igc-v6.json", dir);
        if (igc_taxonomy_load(p, &tx, NULL) || igc_ksic_load(dir, &ksic)) abort();
        snprintf(p, sizeof p, "%s/taxonomy/igc-v6-lexicon.jsonl", dir);
        if (igc_lexicon_load(p, tx, ksic, &shared_lx, NULL)) abort();
    }
    igc_lexicon *lx = NULL;
    igc_buf err = {0};
    int rc = igc_lexicon_parse((const char *)data, size, "fuzz", tx, ksic, &lx, &err);
    if (rc == 0) {
        for (size_t i = 0; i < tx->nitems; i++) {
            const igc_lex_item *li = igc_lexicon_item(lx, i);
            if (li) cJSON_Delete(igc_lexicon_item_json(lx, li, ksic));
        }
        for (uint32_t t = 0; t < igc_lexicon_nterms(lx); t++)
            if (igc_lexicon_find(lx, igc_lexicon_term(lx, t)->text) != t) abort();
    } else if (!err.data || !*err.data) {
        abort(); /* every refusal says why */
    }
    igc_buf_free(&err);
    /* the bytes as input text (valid UTF-8 only, as the API guarantees) */
    if (igc_utf8_valid((const char *)data, size) && !memchr(data, 0, size)) {
        char *s = malloc(size + 1);
        memcpy(s, data, size);
        s[size] = '\0';
        igc_words w = {0};
        igc_lex_hits h = {0};
        igc_text_words(s, &w);
        igc_lexicon_match(lx ? lx : shared_lx, &w, &h);
        igc_lexicon_match_cues(lx ? lx : shared_lx, &w, &h);
        for (size_t i = 0; i < h.n; i++)
            if (h.h[i].word0 + h.h[i].nwords > w.n) abort();
        igc_lex_hits_free(&h);
        igc_text_words_free(&w);
        free(s);
    }
    igc_lexicon_unref(lx);
    return 0;
}
