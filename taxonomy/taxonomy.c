#define _GNU_SOURCE /* qsort_r */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_taxonomy.h"

static int fail(igc_buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(igc_buf *err, const char *fmt, ...) {
    if (err) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        err->len = 0;
        igc_buf_puts(err, msg);
    }
    return IGC_EPARSE;
}

/* Copies a required non-blank string member. */
static int get_str(const cJSON *obj, const char *key, int required, char **out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return IGC_EPARSE;
        *out = igc_strdup("");
        return *out ? 0 : IGC_ENOMEM;
    }
    if (!cJSON_IsString(v) || (required && igc_blank(v->valuestring))) return IGC_EPARSE;
    *out = igc_strdup(v->valuestring);
    return *out ? 0 : IGC_ENOMEM;
}

static int cmp_code(const void *a, const void *b, void *ctx) {
    const igc_taxonomy *t = ctx;
    return strcmp(t->items[*(const size_t *)a].code, t->items[*(const size_t *)b].code);
}

static void free_tx(igc_taxonomy *t) {
    if (!t) return;
    for (size_t i = 0; i < t->nthemes; i++) free(t->themes[i].code), free(t->themes[i].name);
    for (size_t i = 0; i < t->nfields; i++)
        free(t->fields[i].code), free(t->fields[i].name), free(t->fields[i].theme);
    for (size_t i = 0; i < t->nitems; i++) {
        igc_tx_item *it = &t->items[i];
        free(it->code), free(it->name), free(it->theme), free(it->field);
        free(it->definition), free(it->examples), free(it->notes);
    }
    free(t->themes), free(t->fields), free(t->items), free(t->order);
    free(t->version), free(t->standard), free(t->sha);
    free(t);
}

static long find_theme(const igc_taxonomy *t, const char *code) {
    for (size_t i = 0; i < t->nthemes; i++)
        if (strcmp(t->themes[i].code, code) == 0) return (long)i;
    return -1;
}
static long find_field(const igc_taxonomy *t, const char *code) {
    for (size_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].code, code) == 0) return (long)i;
    return -1;
}

static int parse_doc(const cJSON *root, igc_taxonomy *t, igc_buf *err) {
    if (!cJSON_IsObject(root)) return fail(err, "최상위가 JSON 객체가 아닙니다 / top level is not a JSON object");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(root, "revision");
    if (!cJSON_IsString(ver) || igc_blank(ver->valuestring))
        return fail(err, "개편 이름 'version'(문자열)이 없습니다 / missing string member 'version'");
    if (!cJSON_IsNumber(rev)) return fail(err, "차수 'revision'(숫자)이 없습니다 / missing number member 'revision'");
    t->version = igc_strdup(ver->valuestring);
    t->revision = rev->valueint;
    if (get_str(root, "standard", 0, &t->standard)) return IGC_ENOMEM;
    const cJSON *themes = cJSON_GetObjectItemCaseSensitive(root, "themes");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(root, "fields");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
    if (!cJSON_IsArray(themes) || !cJSON_GetArraySize(themes))
        return fail(err, "테마 목록 'themes'가 없거나 비었습니다 / missing or empty array 'themes'");
    if (!cJSON_IsArray(fields) || !cJSON_GetArraySize(fields))
        return fail(err, "분야 목록 'fields'가 없거나 비었습니다 / missing or empty array 'fields'");
    if (!cJSON_IsArray(items) || !cJSON_GetArraySize(items))
        return fail(err, "품목 목록 'items'가 없거나 비었습니다 / missing or empty array 'items'");

    size_t n = (size_t)cJSON_GetArraySize(themes);
    if (!(t->themes = calloc(n, sizeof *t->themes))) return IGC_ENOMEM;
    const cJSON *e;
    cJSON_ArrayForEach(e, themes) {
        igc_tx_theme *th = &t->themes[t->nthemes];
        if (!cJSON_IsObject(e) || get_str(e, "code", 1, &th->code) || get_str(e, "name", 1, &th->name))
            return t->nthemes++, fail(err, "themes[%ld]: 'code'와 'name'이 있어야 합니다 / needs non-blank 'code' and 'name'", (long)t->nthemes - 1);
        t->nthemes++;
        if (find_theme(t, th->code) != (long)t->nthemes - 1)
            return fail(err, "themes[%ld]: 코드 '%s'가 겹칩니다 / duplicate code", (long)t->nthemes - 1, th->code);
    }
    n = (size_t)cJSON_GetArraySize(fields);
    if (!(t->fields = calloc(n, sizeof *t->fields))) return IGC_ENOMEM;
    cJSON_ArrayForEach(e, fields) {
        igc_tx_field *f = &t->fields[t->nfields++];
        long i = (long)t->nfields - 1;
        if (!cJSON_IsObject(e) || get_str(e, "code", 1, &f->code) || get_str(e, "name", 1, &f->name) ||
            get_str(e, "theme", 1, &f->theme))
            return fail(err, "fields[%ld]: 'code', 'name', 'theme'가 있어야 합니다 / needs non-blank 'code', 'name' and 'theme'", i);
        long th = find_theme(t, f->theme);
        if (th < 0) return fail(err, "fields[%ld]: 테마 '%s'가 정의되지 않았습니다 / theme is not defined", i, f->theme);
        f->theme_idx = (size_t)th;
        if (find_field(t, f->code) != i) return fail(err, "fields[%ld]: 코드 '%s'가 겹칩니다 / duplicate code", i, f->code);
    }
    n = (size_t)cJSON_GetArraySize(items);
    if (!(t->items = calloc(n, sizeof *t->items)) || !(t->order = calloc(n, sizeof *t->order))) return IGC_ENOMEM;
    cJSON_ArrayForEach(e, items) {
        igc_tx_item *it = &t->items[t->nitems++];
        long i = (long)t->nitems - 1;
        if (!cJSON_IsObject(e)) return fail(err, "items[%ld]: 객체가 아닙니다 / not an object", i);
        static const char *req[] = {"code", "name", "theme", "field", "definition"};
        char **dst[] = {&it->code, &it->name, &it->theme, &it->field, &it->definition};
        for (int k = 0; k < 5; k++)
            if (get_str(e, req[k], 1, dst[k]))
                return fail(err, "items[%ld]: '%s'가 없거나 비었습니다 / missing or blank", i, req[k]);
        if (get_str(e, "examples", 0, &it->examples) || get_str(e, "notes", 0, &it->notes))
            return fail(err, "items[%ld]: 'examples'와 'notes'는 문자열이어야 합니다 / must be strings", i);
        it->text_damaged = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "text_damaged"));
        long th = find_theme(t, it->theme), fi = find_field(t, it->field);
        if (th < 0) return fail(err, "items[%ld]: 테마 '%s'가 정의되지 않았습니다 / theme is not defined", i, it->theme);
        if (fi < 0) return fail(err, "items[%ld]: 분야 '%s'가 정의되지 않았습니다 / field is not defined", i, it->field);
        if (t->fields[fi].theme_idx != (size_t)th)
            return fail(err, "items[%ld]: 분야 '%s'는 다른 테마에 속합니다 / field belongs to another theme", i, it->field);
        it->theme_idx = (size_t)th;
        it->field_idx = (size_t)fi;
        t->order[i] = (size_t)i;
    }
    qsort_r(t->order, t->nitems, sizeof *t->order, cmp_code, t);
    for (size_t i = 1; i < t->nitems; i++)
        if (strcmp(t->items[t->order[i]].code, t->items[t->order[i - 1]].code) == 0)
            return fail(err, "items: 품목코드 '%s'가 겹칩니다 / duplicate code", t->items[t->order[i]].code);
    return 0;
}

int igc_taxonomy_parse(const char *json, size_t len, igc_taxonomy **out, igc_buf *err) {
    *out = NULL;
    if (!igc_utf8_valid(json, len)) return fail(err, "파일이 올바른 UTF-8이 아닙니다 / not valid UTF-8");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (root && end) {
        /* one document only: trailing text means a damaged or concatenated file */
        while (end < json + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) end++;
        if (end < json + len && *end) {
            long off = (long)(end - json);
            cJSON_Delete(root);
            return fail(err, "JSON 문서 뒤 %ld번째 바이트에 다른 글이 있습니다 / unexpected text after the JSON document", off);
        }
    }
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long off = at && at >= json && at <= json + len ? (long)(at - json) : -1;
        return fail(err, "JSON 형식 오류(%ld번째 바이트 근처) / malformed JSON", off);
    }
    igc_taxonomy *t = calloc(1, sizeof *t);
    if (!t) {
        cJSON_Delete(root);
        return IGC_ENOMEM;
    }
    int rc = parse_doc(root, t, err);
    cJSON_Delete(root);
    if (rc) {
        free_tx(t);
        return rc;
    }
    char sha[17];
    snprintf(sha, sizeof sha, "%016llx", (unsigned long long)igc_hash64(json, len, 0));
    t->sha = igc_strdup(sha);
    t->refs = 1;
    *out = t;
    return 0;
}

int igc_taxonomy_load(const char *path, igc_taxonomy **out, igc_buf *err) {
    char *data;
    size_t len;
    *out = NULL;
    int rc = igc_read_file(path, &data, &len);
    if (rc) {
        if (err) igc_buf_printf(err, "%s: %s", path, igc_strerror(rc));
        return rc;
    }
    rc = igc_taxonomy_parse(data, len, out, err);
    free(data);
    return rc;
}

igc_taxonomy *igc_taxonomy_ref(igc_taxonomy *t) {
    if (t) __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

void igc_taxonomy_unref(igc_taxonomy *t) {
    if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0) free_tx(t);
}

const igc_tx_item *igc_taxonomy_item(const igc_taxonomy *t, const char *code) {
    if (!t || !code) return NULL;
    size_t lo = 0, hi = t->nitems;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->items[t->order[mid]].code, code);
        if (!c) return &t->items[t->order[mid]];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const igc_tx_theme *igc_taxonomy_item_theme(const igc_taxonomy *t, const igc_tx_item *it) {
    return &t->themes[it->theme_idx];
}
const igc_tx_field *igc_taxonomy_item_field(const igc_taxonomy *t, const igc_tx_item *it) {
    return &t->fields[it->field_idx];
}

cJSON *igc_taxonomy_item_ref_json(const igc_taxonomy *t, const igc_tx_item *it) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "code", it->code);
    cJSON_AddStringToObject(o, "name", it->name);
    cJSON_AddStringToObject(o, "theme", it->theme);
    cJSON_AddStringToObject(o, "theme_name", t->themes[it->theme_idx].name);
    cJSON_AddStringToObject(o, "field", it->field);
    cJSON_AddStringToObject(o, "field_name", t->fields[it->field_idx].name);
    return o;
}

cJSON *igc_taxonomy_item_json(const igc_taxonomy *t, const igc_tx_item *it) {
    cJSON *o = igc_taxonomy_item_ref_json(t, it);
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "definition", it->definition);
    cJSON_AddStringToObject(o, "examples", it->examples);
    cJSON_AddStringToObject(o, "notes", it->notes);
    cJSON_AddBoolToObject(o, "text_damaged", it->text_damaged);
    return o;
}

cJSON *igc_taxonomy_to_json(const igc_taxonomy *t, int with_text) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "version", t->version);
    cJSON_AddNumberToObject(o, "revision", t->revision);
    cJSON_AddStringToObject(o, "standard", t->standard);
    cJSON *th = cJSON_AddArrayToObject(o, "themes");
    for (size_t i = 0; i < t->nthemes; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "code", t->themes[i].code);
        cJSON_AddStringToObject(e, "name", t->themes[i].name);
        cJSON_AddItemToArray(th, e);
    }
    cJSON *fi = cJSON_AddArrayToObject(o, "fields");
    for (size_t i = 0; i < t->nfields; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "code", t->fields[i].code);
        cJSON_AddStringToObject(e, "name", t->fields[i].name);
        cJSON_AddStringToObject(e, "theme", t->fields[i].theme);
        cJSON_AddItemToArray(fi, e);
    }
    cJSON *its = cJSON_AddArrayToObject(o, "items");
    for (size_t i = 0; i < t->nitems; i++) {
        const igc_tx_item *it = &t->items[i];
        cJSON *e;
        if (with_text) {
            e = igc_taxonomy_item_json(t, it);
        } else {
            e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "code", it->code);
            cJSON_AddStringToObject(e, "name", it->name);
            cJSON_AddStringToObject(e, "theme", it->theme);
            cJSON_AddStringToObject(e, "field", it->field);
        }
        cJSON_AddItemToArray(its, e);
    }
    return o;
}
