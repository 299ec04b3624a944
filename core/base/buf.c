#include <stdlib.h>
#include <string.h>

#include "igc_base.h"

static int grow(igc_buf *b, size_t need) {
    if (b->len + need + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + need + 1) {
        if (cap > SIZE_MAX / 2) return IGC_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) return IGC_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int igc_buf_append(igc_buf *b, const void *p, size_t n) {
    if (grow(b, n)) return IGC_ENOMEM;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int igc_buf_puts(igc_buf *b, const char *s) { return igc_buf_append(b, s, strlen(s)); }

int igc_buf_printf(igc_buf *b, const char *fmt, ...) {
    /* Formatted once into the room already there; a second time only when it did
     * not fit. */
    if (grow(b, 128)) return IGC_ENOMEM;
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->data[b->len] = '\0';
        return IGC_EINVAL;
    }
    if ((size_t)n >= room) {
        if (grow(b, (size_t)n)) {
            b->data[b->len] = '\0';
            return IGC_ENOMEM;
        }
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
    return 0;
}

void igc_buf_free(igc_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
