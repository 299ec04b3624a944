/* Runs independent pieces of work on several threads: the start-up's encoding of
 * texts, which reads shared state only. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "igc_base.h"

typedef struct {
    void (*fn)(void *arg, size_t i);
    void *arg;
    size_t n, chunk;
    atomic_size_t next;
} par_job;

static void *par_run(void *p) {
    par_job *j = p;
    for (size_t i; (i = atomic_fetch_add(&j->next, j->chunk)) < j->n;)
        for (size_t k = i; k < j->n && k < i + j->chunk; k++) j->fn(j->arg, k);
    return NULL;
}

int igc_par_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > IGC_PAR_MAX ? IGC_PAR_MAX : (int)n;
}

void igc_par_for(size_t n, int threads, void (*fn)(void *arg, size_t i), void *arg) {
    if (threads > IGC_PAR_MAX) threads = IGC_PAR_MAX;
    if ((size_t)threads > n) threads = (int)n;
    /* pieces small enough that no thread is left with a long tail */
    size_t chunk = threads > 1 ? n / ((size_t)threads * 16) : n;
    par_job j = {fn, arg, n, chunk ? chunk : 1, 0};
    pthread_t th[IGC_PAR_MAX];
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&th[started], NULL, par_run, &j) == 0) started++;
    par_run(&j); /* the calling thread works too, and alone when no thread could start */
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
}
