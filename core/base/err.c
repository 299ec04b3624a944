#include "igc_base.h"

static const struct {
    int err;
    const char *code;
    const char *text;
} table[] = {
    {IGC_OK, "ok", "success"},
    {IGC_ENOMEM, "out_of_memory", "out of memory"},
    {IGC_EINVAL, "invalid_input", "invalid argument or input"},
    {IGC_EIO, "io_error", "input/output error"},
    {IGC_ENOTFOUND, "not_found", "not found"},
    {IGC_EPARSE, "parse_error", "malformed document"},
    {IGC_EFULL, "storage_full", "storage map is full"},
    {IGC_ETOOBIG, "too_large", "input over a size limit"},
    {IGC_EUTF8, "invalid_utf8", "invalid UTF-8"},
    {IGC_ESTATE, "bad_state", "operation not valid in the current state"},
    {IGC_ERULES, "rules_error", "rules failed to load, run or pass their tests"},
    {IGC_ETIMEOUT, "timeout", "budget or deadline exceeded"},
    {IGC_EVERSION, "version_mismatch", "file format or version mismatch"},
    {IGC_EUNSUP, "unsupported", "feature not built in"},
    {IGC_EEXIST, "already_exists", "already present"},
};

const char *igc_strerror(int err) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].err == err) return table[i].text;
    return "unknown error";
}

const char *igc_errcode(int err) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].err == err) return table[i].code;
    return "unknown_error";
}
