/* igc_static: the embedded web screens match the files in http/static byte for byte. */
#include "igc_test.h"
#include "igc_static.h"

#include <dirent.h>
#include <sys/stat.h>

#define STATIC_DIR IGC_TEST_SOURCE_DIR "/http/static"

/* Reads a whole file; returns its length or -1. */
static long slurp(const char *path, unsigned char **out) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        *out = malloc((size_t)n + 1);
        if (!*out || fread(*out, 1, (size_t)n, f) != (size_t)n) {
            free(*out);
            *out = NULL;
            n = -1;
        }
    }
    fclose(f);
    return n;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Web files the embedding must contain: everything but build inputs and C sources. */
static int is_web_file(const char *name) {
    return name[0] != '.' && strcmp(name, "CMakeLists.txt") != 0 && !ends_with(name, ".cmake") &&
           !ends_with(name, ".c") && !ends_with(name, ".h");
}

TEST(root_maps_to_index) {
    const igc_static_file *root = igc_static_find("/");
    const igc_static_file *index = igc_static_find("/index.html");
    REQUIRE(root != NULL);
    CHECK(root == index);
    CHECK_EQ_STR(root->path, "/index.html");
    CHECK_EQ_STR(root->content_type, "text/html; charset=utf-8");
    CHECK(root->len > 100);
    CHECK(memcmp(root->data, "<!doctype html>", 15) == 0);
}

TEST(query_and_fragment_are_ignored) {
    const igc_static_file *index = igc_static_find("/index.html");
    CHECK(igc_static_find("/?v=2") == index);
    CHECK(igc_static_find("/#/input") == index);
    CHECK(igc_static_find("/index.html?x=1#y") == index);
    const igc_static_file *app = igc_static_find("/app.js?v=3");
    REQUIRE(app != NULL);
    CHECK_EQ_STR(app->path, "/app.js");
}

TEST(content_types) {
    const struct { const char *path, *type; } want[] = {
        {"/app.js", "text/javascript; charset=utf-8"},
        {"/util.js", "text/javascript; charset=utf-8"},
        {"/style.css", "text/css; charset=utf-8"},
        {"/favicon.svg", "image/svg+xml"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const igc_static_file *f = igc_static_find(want[i].path);
        CHECK(f != NULL);
        if (f) CHECK_EQ_STR(f->content_type, want[i].type);
    }
}

TEST(absent_and_hostile_paths) {
    const char *bad[] = {"", "index.html", "/nope.js", "/index.htm", "/index.html/", "/CMakeLists.txt",
                         "/embed.cmake", "/igc_static.h", "/igc_static.c", "/../index.html",
                         "//index.html", "/app.js\x01", "/APP.JS"};
    CHECK(igc_static_find(NULL) == NULL);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (igc_static_find(bad[i]) != NULL) {
            fprintf(stderr, "  unexpected hit for \"%s\"\n", bad[i]);
            CHECK(0);
        }
    }
}

TEST(every_entry_matches_its_file) {
    size_t n = igc_static_count();
    REQUIRE(n >= 5);
    CHECK(igc_static_at(n) == NULL);
    for (size_t i = 0; i < n; i++) {
        const igc_static_file *f = igc_static_at(i);
        REQUIRE(f && f->path[0] == '/');
        if (i > 0) CHECK(strcmp(igc_static_at(i - 1)->path, f->path) < 0); /* sorted, unique */
        CHECK(igc_static_find(f->path) == f);
        char path[4096];
        snprintf(path, sizeof path, "%s%s", STATIC_DIR, f->path);
        unsigned char *disk = NULL;
        long len = slurp(path, &disk);
        CHECK(len >= 0);
        if (len >= 0) {
            CHECK_EQ_INT(f->len, len);
            if ((size_t)len == f->len) CHECK(memcmp(disk, f->data, f->len) == 0);
        }
        free(disk);
    }
}

TEST(every_web_file_is_embedded) {
    DIR *d = opendir(STATIC_DIR);
    REQUIRE(d != NULL);
    size_t seen = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096], key[1024];
        snprintf(path, sizeof path, "%s/%s", STATIC_DIR, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !is_web_file(e->d_name)) continue;
        snprintf(key, sizeof key, "/%s", e->d_name);
        if (!igc_static_find(key)) {
            fprintf(stderr, "  not embedded: %s\n", key);
            CHECK(0);
        }
        seen++;
    }
    closedir(d);
    CHECK_EQ_INT(seen, igc_static_count());
}

IGC_TEST_MAIN(TEST_ENTRY(root_maps_to_index), TEST_ENTRY(query_and_fragment_are_ignored),
              TEST_ENTRY(content_types), TEST_ENTRY(absent_and_hostile_paths),
              TEST_ENTRY(every_entry_matches_its_file), TEST_ENTRY(every_web_file_is_embedded))
