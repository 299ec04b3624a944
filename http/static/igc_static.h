/*
 * igc_static: the web screens (HTML, CSS, JS under http/static/) compiled into
 * the binary, so igcd serves them without a document root on disk.
 */
#ifndef IGC_STATIC_H
#define IGC_STATIC_H

#include <stddef.h>

typedef struct {
    const char *path;         /* "/index.html" */
    const char *content_type; /* "text/html; charset=utf-8" */
    const unsigned char *data;
    size_t len;
} igc_static_file;

/* Looks up "/index.html", "/app.js", ... ("/" maps to "/index.html"); NULL if absent.
 * A query string or fragment ("?v=1", "#/input") is ignored. */
const igc_static_file *igc_static_find(const char *path);

/* Number of embedded files, and the i-th one (NULL when out of range), for listings and tests. */
size_t igc_static_count(void);
const igc_static_file *igc_static_at(size_t i);

#endif
