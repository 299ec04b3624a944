#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "igc_base.h"

int igc_read_file(const char *path, char **out, size_t *len) {
    *out = NULL;
    if (len) *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? IGC_ENOTFOUND : IGC_EIO;
    /* A regular file is read straight into a buffer of its size: growing one chunk at
     * a time copied a large file several times over. The loop still reads what is
     * there when the size is unknown (a pipe) or changed meanwhile. */
    struct stat st;
    size_t cap = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
    char *data = malloc(cap);
    size_t n = 0, got;
    int err = !data;
    while (!err) {
        if (n == cap - 1) { /* full: grow only if there is more (the usual case is EOF here) */
            int c = fgetc(f);
            if (c == EOF) break;
            char *p = cap > SIZE_MAX / 2 ? NULL : realloc(data, cap * 2);
            if (!p) {
                err = 1;
                break;
            }
            data = p, cap *= 2;
            data[n++] = (char)c;
        }
        if ((got = fread(data + n, 1, cap - 1 - n, f)) == 0) break;
        n += got;
    }
    int rerr = ferror(f);
    fclose(f);
    if (err || rerr) {
        free(data);
        return err ? IGC_ENOMEM : IGC_EIO;
    }
    data[n] = '\0';
    *out = data;
    if (len) *len = n;
    return 0;
}

int igc_write_file_atomic(const char *path, const void *data, size_t len) {
    size_t pl = strlen(path);
    char *tmp = malloc(pl + 16);
    if (!tmp) return IGC_ENOMEM;
    snprintf(tmp, pl + 16, "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        free(tmp);
        return IGC_EIO;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            close(fd);
            unlink(tmp);
            free(tmp);
            return IGC_EIO;
        }
        p += w;
        left -= (size_t)w;
    }
    /* fsync before rename: after a crash the file is either the old or the whole new one. */
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        free(tmp);
        return IGC_EIO;
    }
    free(tmp);
    return 0;
}
