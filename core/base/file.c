#include <errno.h>
#include <fcntl.h>
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
    igc_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (igc_buf_append(&b, chunk, n)) {
            fclose(f);
            igc_buf_free(&b);
            return IGC_ENOMEM;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        igc_buf_free(&b);
        return IGC_EIO;
    }
    if (!b.data && igc_buf_append(&b, "", 0)) return IGC_ENOMEM;
    *out = b.data;
    if (len) *len = b.len;
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
