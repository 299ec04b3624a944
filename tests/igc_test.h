/*
 * igc_test: a tiny test harness. Each test file defines TEST(name) functions and
 * lists them in one table passed to igc_test_main(), as libuv registers its tests.
 * A failed CHECK prints file:line and the expression and marks the test failed;
 * the process exits non-zero if any test failed.
 */
#ifndef IGC_TEST_H
#define IGC_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern int igc_test_failed_;

#define TEST(name) static void name(void)
#define CHECK(expr)                                                               \
    do {                                                                          \
        if (!(expr)) {                                                            \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #expr);     \
            igc_test_failed_ = 1;                                                 \
        }                                                                         \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                        \
    do {                                                                          \
        long long a_ = (long long)(a), b_ = (long long)(b);                       \
        if (a_ != b_) {                                                           \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld vs %lld)\n", __FILE__,  \
                    __LINE__, #a, #b, a_, b_);                                    \
            igc_test_failed_ = 1;                                                 \
        }                                                                         \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                        \
    do {                                                                          \
        const char *a_ = (a), *b_ = (b);                                          \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                  \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" vs \"%s\")\n",        \
                    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",               \
                    b_ ? b_ : "(null)");                                          \
            igc_test_failed_ = 1;                                                 \
        }                                                                         \
    } while (0)
/* Fails the test and returns from it when expr is false (for preconditions). */
#define REQUIRE(expr)                                                             \
    do {                                                                          \
        if (!(expr)) {                                                            \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #expr);     \
            igc_test_failed_ = 1;                                                 \
            return;                                                               \
        }                                                                         \
    } while (0)

typedef struct {
    const char *name;
    void (*fn)(void);
} igc_test_case;

#define TEST_ENTRY(name) {#name, name}

/* Runs every case (or only argv[1] when given); returns the exit status. */
static inline int igc_test_main(int argc, char **argv, const igc_test_case *cases, size_t n) {
    int failed = 0, ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
        igc_test_failed_ = 0;
        cases[i].fn();
        ran++;
        fprintf(stderr, "%s %s\n", igc_test_failed_ ? "not ok" : "ok", cases[i].name);
        failed += igc_test_failed_;
    }
    fprintf(stderr, "%d passed, %d failed\n", ran - failed, failed);
    return failed ? 1 : (ran ? 0 : 1);
}
#define IGC_TEST_MAIN(...)                                                        \
    int igc_test_failed_;                                                         \
    int main(int argc, char **argv) {                                             \
        static const igc_test_case cases_[] = {__VA_ARGS__};                      \
        return igc_test_main(argc, argv, cases_, sizeof cases_ / sizeof cases_[0]); \
    }

/* Removes a test's LMDB environment directory (its data.mdb and lock.mdb, then the
 * directory itself). */
static inline void igc_test_rm_lmdb_dir(const char *dir) {
    char p[4200];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

/* Directory of ../shared/data for tests (set by CMake), overridable by IGC_DATA. */
static inline const char *igc_test_data_dir(void) {
    const char *e = getenv("IGC_DATA");
    return e && *e ? e : IGC_TEST_DATA_DIR;
}

#endif
