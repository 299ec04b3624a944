#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "igc_app.h"
#include "igc_http.h"

/* The screen's fields: where they live in the request, their Korean label and the
 * longest text accepted (characters). */
typedef struct {
    const char *obj, *key, *path, *label;
    size_t max_chars;
    size_t off;
    int describes; /* a description of the business: a placeholder in it is blank too */
} field_def;

#define OFF(f) offsetof(igc_req, f)
static const field_def fields[] = {
    {"company", "name", "company.name", "기업명", 100, OFF(company_name), 0},
    {"company", "brn", "company.brn", "사업자등록번호", 20, OFF(brn), 0},
    {"company", "ceo", "company.ceo", "대표자명", 50, OFF(ceo), 0},
    {"tech", "ksic_code", "tech.ksic_code", "업종코드", 10, OFF(ksic_code), 0},
    {"tech", "ksic_name", "tech.ksic_name", "업종명", 100, OFF(ksic_name), 1},
    {"tech", "main_product", "tech.main_product", "주요제품", 1000, OFF(main_product), 1},
    {"tech", "product_use", "tech.product_use", "제품용도", 3000, OFF(product_use), 1},
    {"tech", "tech_business_name", "tech.tech_business_name", "기술사업명", 300, OFF(tech_business_name), 1},
    {"tech", "tech_class", "tech.tech_class", "기술분류", 20, OFF(tech_class), 0},
};

/* Values that stand for "nothing to say", written where a field must not stay empty
 * ("없음", "미정", "N/A"), compared without spaces, punctuation or case. */
static const char *const placeholders[] = {"없음", "없다", "없슴", "미정", "미상", "모름", "해당없음", "해당사항없음",
                                           "미입력", "입력없음", "공란", "na", "none", "null", "nil", "tbd", "unknown"};

/* 1 when a description (업종명, 주요제품, 제품용도, 기술사업명) says nothing about the
 * business: blank, only punctuation, only digits ("1", "2024") or a placeholder word.
 * An answer made from it would rest on the KSIC code alone while looking confident. */
static int says_nothing(const char *s) {
    if (igc_no_content(s)) return 1;
    char k[32];
    size_t n = 0, len = strlen(s);
    int letter = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp = (unsigned char)s[i];
        int w = cp < 0x80 ? 1 : igc_utf8_decode(s + i, len - i, &cp);
        if (w <= 0) return 0; /* not UTF-8: the caller's check says so */
        /* letters: Latin, Hangul (syllables and jamo), CJK ideographs */
        int is_letter = (cp < 0x80 && isalpha((int)cp)) || (cp >= 0xC0 && cp <= 0x24F) ||
                        (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F) ||
                        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x4E00 && cp <= 0x9FFF);
        letter |= is_letter;
        if (is_letter || (cp < 0x80 && isdigit((int)cp))) {
            if (n + (size_t)w >= sizeof k) n = sizeof k; /* longer than any placeholder */
            else
                for (int j = 0; j < w; j++) k[n++] = (char)tolower((unsigned char)s[i + (size_t)j]);
        }
        i += (size_t)w;
    }
    if (!letter) return 1; /* digits and marks only */
    if (n >= sizeof k) return 0;
    k[n] = '\0';
    for (size_t i = 0; i < sizeof placeholders / sizeof *placeholders; i++)
        if (strcmp(k, placeholders[i]) == 0) return 1;
    return 0;
}

/* Blank for the request: no content at all, or, for a description, nothing said. */
static int field_blank(const field_def *f, const char *s) { return f->describes ? says_nothing(s) : igc_no_content(s); }
#define NFIELDS (sizeof fields / sizeof fields[0])
#undef OFF

static char **slot(igc_req *r, const field_def *f) { return (char **)((char *)r + f->off); }

void igc_req_free(igc_req *r) {
    for (size_t i = 0; i < NFIELDS; i++) free(*slot(r, &fields[i]));
    free(r->sido);
    free(r->sigungu);
    memset(r, 0, sizeof *r);
}

static int verr(igc_verr *e, int status, const char *code, const char *msg) {
    e->status = status;
    e->code = code;
    snprintf(e->message, sizeof e->message, "%s", msg);
    return IGC_EINVAL;
}

cJSON *igc_verr_json(const igc_verr *e) {
    cJSON *o = cJSON_CreateObject(), *er = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(er, "code", e->code);
    cJSON_AddStringToObject(er, "message", e->message);
    cJSON *fs = cJSON_AddArrayToObject(er, "fields");
    for (size_t i = 0; i < e->nfields; i++) cJSON_AddItemToArray(fs, cJSON_CreateString(e->fields[i]));
    return o;
}

/* 기술분류: national S&T standard classification, two letters then 2-4 digits (EE0101). */
static int tech_class_ok(const char *s) {
    size_t n = strlen(s);
    if (n < 4 || n > 6 || !isupper((unsigned char)s[0]) || !isupper((unsigned char)s[1])) return 0;
    for (size_t i = 2; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* company.address {sido, sigungu}: optional (absent, null or both blank), else official
 * names from the region list (igc_region_check). Sets r->sido/sigungu; 0 or IGC_EINVAL.
 * Not strict (file rows): names as people write them are taken (igc_region_normalize),
 * and one naming no place is left out, noted in r->address_dropped. */
static int req_address(const cJSON *doc, int strict, igc_req *r, igc_verr *e) {
    const cJSON *co = cJSON_GetObjectItemCaseSensitive(doc, "company");
    const cJSON *ad = cJSON_IsObject(co) ? cJSON_GetObjectItemCaseSensitive(co, "address") : NULL;
    if (!ad || cJSON_IsNull(ad)) return 0;
    if (!cJSON_IsObject(ad)) {
        e->fields[e->nfields++] = "company.address";
        return verr(e, 400, "invalid_type", "소재지(company.address)는 {\"sido\": 광역, \"sigungu\": 시·군·구} 객체여야 합니다.");
    }
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(ad, "sido"), *sg = cJSON_GetObjectItemCaseSensitive(ad, "sigungu");
    if ((sd && !cJSON_IsString(sd) && !cJSON_IsNull(sd)) || (sg && !cJSON_IsString(sg) && !cJSON_IsNull(sg))) {
        e->fields[e->nfields++] = sd && !cJSON_IsString(sd) && !cJSON_IsNull(sd) ? "company.address.sido"
                                                                                 : "company.address.sigungu";
        return verr(e, 400, "invalid_type", "소재지의 광역(sido)과 시·군·구(sigungu)는 문자열이어야 합니다.");
    }
    r->sido = igc_strdup(cJSON_IsString(sd) ? sd->valuestring : "");
    r->sigungu = igc_strdup(cJSON_IsString(sg) ? sg->valuestring : "");
    if (!r->sido || !r->sigungu) return verr(e, 500, "out_of_memory", "서버 메모리가 부족합니다.");
    igc_trim(r->sido);
    igc_trim(r->sigungu);
    if (!*r->sido && !*r->sigungu) {
        free(r->sido), free(r->sigungu);
        r->sido = r->sigungu = NULL;
        return 0;
    }
    const igc_region *rg = NULL;
    int rc = igc_region_check(r->sido, r->sigungu, &rg);
    if (rc == 0) return 0;
    if (!strict) {
        /* a file's address as people write it ("경기"/"수원"): its official names; one that
         * names no place is left out (it only serves the regional programmes) and said in the row */
        const char *os, *og;
        if (igc_region_normalize(r->sido, r->sigungu, &os, &og) == 0) {
            char *ns = igc_strdup(os), *ng = igc_strdup(og ? og : "");
            if (!ns || !ng) {
                free(ns), free(ng);
                return verr(e, 500, "out_of_memory", "서버 메모리가 부족합니다.");
            }
            free(r->sido), free(r->sigungu);
            r->sido = ns, r->sigungu = ng;
            return 0;
        }
        snprintf(r->address_dropped, sizeof r->address_dropped, "%.60s %.60s", r->sido, r->sigungu);
        free(r->sido), free(r->sigungu);
        r->sido = r->sigungu = NULL;
        return 0;
    }
    char m[400];
    if (rc == IGC_ENOTFOUND) {
        e->fields[e->nfields++] = "company.address.sido";
        snprintf(m, sizeof m, "알 수 없는 광역(시·도) 이름입니다: '%.60s'. 목록의 정식 이름(예: 강원특별자치도)을 골라 주세요.",
                 r->sido);
    } else {
        e->fields[e->nfields++] = "company.address.sigungu";
        if (!*r->sigungu)
            snprintf(m, sizeof m, "소재지의 시·군·구를 골라 주세요 (%s).", rg->sido);
        else
            snprintf(m, sizeof m, "%s에 '%.60s'라는 시·군·구가 없습니다. 목록에서 골라 주세요.", rg->sido, r->sigungu);
    }
    return verr(e, 400, "invalid_address", m);
}

int igc_req_from_json(const igc_app *a, const cJSON *doc, int strict, igc_req *r, igc_verr *e) {
    memset(r, 0, sizeof *r);
    memset(e, 0, sizeof *e);
    if (!cJSON_IsObject(doc)) return verr(e, 400, "invalid_json", "요청 본문은 JSON 객체여야 합니다.");
    for (int pass = 0; pass < 2; pass++) {
        const char *objname = pass ? "tech" : "company";
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, objname);
        if (o && !cJSON_IsObject(o) && !cJSON_IsNull(o)) {
            e->fields[e->nfields++] = objname;
            return verr(e, 400, "invalid_type", pass ? "tech 항목은 JSON 객체여야 합니다." : "company 항목은 JSON 객체여야 합니다.");
        }
    }
    /* Types first, then blanks (all reported at once), then lengths and formats. */
    for (size_t i = 0; i < NFIELDS; i++) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, fields[i].obj);
        const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, fields[i].key) : NULL;
        if (v && !cJSON_IsString(v) && !cJSON_IsNull(v)) {
            e->fields[e->nfields++] = fields[i].path;
            char m[256];
            snprintf(m, sizeof m, "%s 항목은 문자열이어야 합니다.", fields[i].label);
            igc_req_free(r);
            return verr(e, 400, "invalid_type", m);
        }
        char *s = igc_strdup(v && cJSON_IsString(v) ? v->valuestring : "");
        if (!s) {
            igc_req_free(r);
            return verr(e, 500, "out_of_memory", "서버 메모리가 부족합니다.");
        }
        *slot(r, &fields[i]) = igc_trim(s);
    }
    /* A field of only punctuation (".", "-") is as blank as an empty one, and so is a
     * description that says nothing ("없음", "1"): an answer made from it would look
     * confident while resting on nothing. */
    char blanks[400] = "";
    int said_nothing = 0; /* a value was given but says nothing: the message says why it counts as blank */
    if (strict) {
        for (size_t i = 0; i < NFIELDS; i++)
            if (field_blank(&fields[i], *slot(r, &fields[i]))) {
                e->fields[e->nfields++] = fields[i].path;
                size_t l = strlen(blanks);
                snprintf(blanks + l, sizeof blanks - l, "%s%s", l ? ", " : "", fields[i].label);
                said_nothing |= !igc_no_content(*slot(r, &fields[i]));
            }
    } else if (says_nothing(r->ksic_name) && says_nothing(r->main_product) && says_nothing(r->product_use) &&
               says_nothing(r->tech_business_name)) {
        static const char *tech[] = {"tech.ksic_name", "tech.main_product", "tech.product_use", "tech.tech_business_name"};
        for (int i = 0; i < 4; i++) e->fields[e->nfields++] = tech[i];
        snprintf(blanks, sizeof blanks, "업종명, 주요제품, 제품용도, 기술사업명 중 하나 이상");
        said_nothing = !igc_no_content(r->ksic_name) || !igc_no_content(r->main_product) ||
                       !igc_no_content(r->product_use) || !igc_no_content(r->tech_business_name);
    }
    if (e->nfields) {
        char m[640];
        snprintf(m, sizeof m, "공란 입력: %s 항목을 입력해 주세요.%s", blanks,
                 said_nothing ? " ('없음', '미정'이나 숫자만 쓴 값처럼 사업 내용을 말하지 않는 값도 공란으로 봅니다.)" : "");
        igc_req_free(r);
        return verr(e, 400, "blank_field", m);
    }
    for (size_t i = 0; i < NFIELDS; i++)
        if (igc_utf8_len(*slot(r, &fields[i])) > fields[i].max_chars) {
            e->fields[e->nfields++] = fields[i].path;
            char m[256];
            snprintf(m, sizeof m, "%s 항목이 너무 깁니다 (최대 %zu자).", fields[i].label, fields[i].max_chars);
            igc_req_free(r);
            return verr(e, 400, "field_too_long", m);
        }
    if (!igc_blank(r->brn) && igc_brn_normalize(r->brn, r->brn10) != 0) {
        e->fields[e->nfields++] = "company.brn";
        igc_req_free(r);
        return verr(e, 400, "invalid_brn", "사업자등록번호가 올바르지 않습니다. 10자리 숫자와 검증번호를 확인해 주세요.");
    }
    if (!igc_blank(r->ksic_code)) {
        igc_ksic_match m;
        int rc = igc_ksic_resolve(a->ksic, r->ksic_code, !strict, &m);
        if (rc) {
            e->fields[e->nfields++] = "tech.ksic_code";
            igc_req_free(r);
            if (rc == IGC_EINVAL)
                return verr(e, 400, "invalid_ksic",
                            strict ? "업종코드는 5자리 숫자(KSIC)여야 합니다." : "업종코드는 2~5자리 숫자(KSIC)여야 합니다.");
            return verr(e, 400, "invalid_ksic", "존재하지 않는 업종코드입니다 (KSIC 11차 또는 10차 코드를 입력해 주세요).");
        }
        /* A KSIC-10 code split into several KSIC-11 codes: ask which instead of taking the
         * first (the batch tool keeps igc_ksic_resolve's choice). */
        const igc_ksic_entry *split[8];
        size_t nsplit = m.mapped_from[0] ? igc_ksic_map10(a->ksic, m.mapped_from, split, 8) : 0;
        if (strict && nsplit > 1) {
            char msg[sizeof e->message];
            int o = snprintf(msg, sizeof msg, "업종코드 %s(KSIC 10차)는 11차에서 ", m.mapped_from);
            for (size_t i = 0; i < nsplit && i < 8 && o > 0 && (size_t)o < sizeof msg; i++)
                o += snprintf(msg + o, sizeof msg - (size_t)o, "%s%s(%s)", i ? ", " : "", split[i]->code,
                              split[i]->name);
            if (o > 0 && (size_t)o < sizeof msg)
                snprintf(msg + o, sizeof msg - (size_t)o, "%s", "로 나뉘었습니다. 이 중 하나를 입력해 주세요.");
            e->fields[e->nfields++] = "tech.ksic_code";
            igc_req_free(r);
            return verr(e, 400, "ambiguous_ksic", msg);
        }
    }
    if (!igc_blank(r->tech_class) && !tech_class_ok(r->tech_class)) {
        e->fields[e->nfields++] = "tech.tech_class";
        igc_req_free(r);
        return verr(e, 400, "invalid_tech_class", "기술분류 코드 형식이 올바르지 않습니다 (예: EE0101).");
    }
    if (req_address(doc, strict, r, e)) {
        igc_req_free(r);
        return IGC_EINVAL;
    }
    return 0;
}

int igc_req_from_body(const igc_app *a, const char *body, size_t len, int strict, igc_req *r, cJSON **doc,
                      igc_verr *e) {
    memset(r, 0, sizeof *r);
    memset(e, 0, sizeof *e);
    *doc = NULL;
    if (igc_utf8_text_end(body, len) < len)
        return verr(e, 400, "invalid_utf8", "요청 본문이 올바른 UTF-8 텍스트가 아닙니다.");
    const char *code, *msg;
    int rc = igc_http_json_parse(body, len, doc, &code, &msg);
    if (rc == IGC_ENOMEM) return verr(e, 500, code, msg);
    if (rc) return verr(e, 400, code, msg);
    return igc_req_from_json(a, *doc, strict, r, e);
}

cJSON *igc_req_company_json(const igc_req *r) {
    cJSON *co = cJSON_CreateObject();
    cJSON_AddStringToObject(co, "name", r->company_name);
    cJSON_AddStringToObject(co, "brn", r->brn10[0] ? r->brn10 : r->brn);
    cJSON_AddStringToObject(co, "ceo", r->ceo);
    if (r->sido) {
        cJSON *ad = cJSON_AddObjectToObject(co, "address");
        cJSON_AddStringToObject(ad, "sido", r->sido);
        cJSON_AddStringToObject(ad, "sigungu", r->sigungu ? r->sigungu : "");
    }
    return co;
}

cJSON *igc_req_tech_json(const igc_req *r) {
    cJSON *te = cJSON_CreateObject();
    cJSON_AddStringToObject(te, "ksic_code", r->ksic_code);
    cJSON_AddStringToObject(te, "ksic_name", r->ksic_name);
    cJSON_AddStringToObject(te, "main_product", r->main_product);
    cJSON_AddStringToObject(te, "product_use", r->product_use);
    cJSON_AddStringToObject(te, "tech_business_name", r->tech_business_name);
    cJSON_AddStringToObject(te, "tech_class", r->tech_class);
    return te;
}

void igc_req_engine_input(const igc_req *r, igc_engine_input *in) {
    in->company_name = r->company_name;
    in->ksic_code = r->ksic_code;
    in->ksic_name = r->ksic_name;
    in->main_product = r->main_product;
    in->product_use = r->product_use;
    in->tech_business_name = r->tech_business_name;
    in->tech_class = r->tech_class;
    in->owner = r->brn10[0] ? igc_app_owner(r->brn10) : 0;
}

uint64_t igc_app_owner(const char *brn10) {
    unsigned char h[32];
    igc_sha256(brn10, strlen(brn10), h);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | h[i];
    return v ? v : 1;
}

/* ---- classification ---- */

static int lookup_item(void *ud, const char *code, igc_rules_item *out) {
    const igc_taxonomy *t = ud;
    const igc_tx_item *it = igc_taxonomy_item(t, code);
    if (!it) return IGC_ENOTFOUND;
    out->code = it->code;
    out->name = it->name;
    out->theme = it->theme;
    out->theme_name = igc_taxonomy_item_theme(t, it)->name;
    out->field = it->field;
    out->field_name = igc_taxonomy_item_field(t, it)->name;
    out->definition = it->definition;
    out->examples = it->examples;
    return 0;
}

static void add_reason(cJSON *reasons, const char *code, const char *msg, const char *rule) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "message", msg);
    cJSON_AddStringToObject(o, "rule", rule);
    cJSON_AddItemToArray(reasons, o);
}

/* Why needs_review is set, in words an examiner reads: review_reasons [{code, message}],
 * [] when it is not. First a rule that erred (rules_failed) and an input of unknown
 * words; then the engine's two tests, those of igc_engine_classify() with the operating
 * point in force; a rule's note last. */
static void add_review_reasons(cJSON *o, const igc_engine_result *res, const igc_engine_params *p,
                               const igc_rules_verdict *v, int rules_failed) {
    cJSON *arr = cJSON_AddArrayToObject(o, "review_reasons");
    char m[512];
    if (rules_failed)
        add_reason(arr, "rule_error",
                   "적용원칙 규칙 가운데 오류로 끝난 것이 있어 그 규칙 없이 판별했습니다: 제외 사유가 빠졌을 수 있으니 "
                   "확인해 주십시오 (상태 화면의 규칙 오류).",
                   "rules");
    if (!res->known_words)
        add_reason(arr, "unknown_words",
                   "입력한 업종명·주요제품·제품용도·기술사업명의 낱말을 품목 설명, 색인어 사전, 사례, 판별 이력 어디에서도 "
                   "찾지 못했습니다: 업종코드와 낱말 조각만으로 낸 결과이니 내용을 확인해 주십시오.",
                   "engine");
    if (!res->needs_review && !v->needs_review) return;
    if (res->needs_review && p && fabs(res->p_applicable - p->apply_threshold) < p->review_margin) {
        /* the margin is the operating point's (igc tune): say what it is for, since 84%
         * against 64% does not read as "close" */
        snprintf(m, sizeof m,
                 "해당 여부가 분명하지 않습니다: 해당 가능성 %.0f%%와 판정 기준 %.0f%%의 차이가 %.0f%%p로, 확인이 "
                 "필요한 범위(기준 ±%.0f%%p) 안에 있습니다. 과거 판별에서 이 범위의 자동 판정은 틀린 때가 많아, "
                 "심사역의 확인을 거치도록 정해 두었습니다.",
                 res->p_applicable * 100, p->apply_threshold * 100,
                 fabs(res->p_applicable - p->apply_threshold) * 100, p->review_margin * 100);
        add_reason(arr, "near_threshold", m, "engine");
    }
    if (res->needs_review && p && res->applicable && res->ncands && res->cands[0].score < p->review_min_score) {
        snprintf(m, sizeof m,
                 "1순위 품목의 확률이 %.0f%%로 기준 %.0f%%보다 낮습니다: 다른 품목일 수 있으니 후보를 함께 보십시오.",
                 res->cands[0].score * 100, p->review_min_score * 100);
        add_reason(arr, "low_top_score", m, "engine");
    }
    if (v->needs_review) add_reason(arr, "rule", v->review_note[0] ? v->review_note : "적용원칙 규칙이 검토를 요청했습니다.",
                                    "rules");
}

/* The programmes list for a verdict (applicable, reason) on items[0..n), the firm's
 * KSIC (km) and address; NULL when the set failed outright (logged). */
static cJSON *programmes_eval(igc_rules_version *pv, const igc_req *req, const igc_ksic_match *km, int applicable,
                              const char *reason, const igc_rules_prog_item *items, size_t n, const char *today,
                              unsigned *failed) {
    const igc_ksic_entry *ke = km ? km->first : NULL;
    char div[3] = "", grp[4] = "";
    if (ke) snprintf(div, sizeof div, "%s", ke->div2), snprintf(grp, sizeof grp, "%s", ke->grp3);
    igc_rules_prog_input in = {
        .applicable = applicable, .reason = reason ? reason : "", .items = items, .nitems = n,
        .ksic_code = req->ksic_code, .ksic_section = ke ? ke->sec : "", .ksic_section_name = ke ? ke->sec_name : "",
        .ksic_division = ke && km->level >= 2 ? div : "",
        .ksic_division_name = ke && km->level >= 2 ? ke->div2_name : "",
        .ksic_group = ke && km->level >= 3 ? grp : "",
        .ksic_group_name = ke && km->level >= 3 ? ke->grp3_name : "",
        .sido = req->sido ? req->sido : "", .sigungu = req->sigungu ? req->sigungu : "", .date = today};
    cJSON *list = NULL;
    int rc = igc_rules_programmes_eval_counted(pv, &in, &list, failed);
    if (rc) igc_log(IGC_LOG_WARN, "programmes: evaluation failed (%s)", igc_strerror(rc));
    return list;
}

/* The support programmes the verdict unlocks (a->programmes), on the answer's own items:
 * programmes [{id, name, agency, benefit, kind, status, why, period, to_check}] and
 * programmes_version. A failing set answers with what it could. */
static void add_programmes(igc_app *a, cJSON *o, const igc_req *req, const igc_engine_result *res,
                           const char *today) {
    igc_rules_version *pv = a->programmes ? igc_rules_acquire(a->programmes) : NULL;
    cJSON *list = NULL;
    if (pv) {
        igc_rules_prog_item items[IGC_TOP];
        size_t n = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(o, "items")) {
            if (n == IGC_TOP) break;
            items[n++] = (igc_rules_prog_item){
                cJSON_GetStringValue(cJSON_GetObjectItem(x, "code")), cJSON_GetStringValue(cJSON_GetObjectItem(x, "name")),
                cJSON_GetStringValue(cJSON_GetObjectItem(x, "theme")),
                cJSON_GetStringValue(cJSON_GetObjectItem(x, "theme_name")),
                cJSON_GetStringValue(cJSON_GetObjectItem(x, "field")),
                cJSON_GetStringValue(cJSON_GetObjectItem(x, "field_name")),
                cJSON_GetNumberValue(cJSON_GetObjectItem(x, "score"))};
        }
        const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "reasons"), 0);
        unsigned failed = 0;
        list = programmes_eval(pv, req, &res->ksic, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "applicable")),
                               r0 ? cJSON_GetStringValue(cJSON_GetObjectItem(r0, "code")) : "", items, n, today,
                               &failed);
        if (failed) {
            /* a programme that erred is missing from the list: the examiner must not read the
             * list as complete */
            cJSON_ReplaceItemInObjectCaseSensitive(o, "needs_review", cJSON_CreateTrue());
            cJSON *rr = cJSON_GetObjectItemCaseSensitive(o, "review_reasons");
            if (rr)
                add_reason(rr, "programme_error",
                           "연계 지원사업 가운데 판단 중 오류가 난 사업이 있어 목록에서 빠졌습니다: 목록이 전부가 아니니 "
                           "정책 담당자에게 알려 주십시오 (상태 화면의 연계 우대지원 오류).",
                           "programmes");
        }
    }
    cJSON_AddItemToObject(o, "programmes", list ? list : cJSON_CreateArray());
    cJSON_AddStringToObject(o, "programmes_version", pv ? igc_rules_version_id(pv) : "none");
    igc_rules_release(pv);
}

cJSON *igc_app_programmes_decided(igc_app *a, const igc_req *req, const igc_taxonomy *t, const igc_tx_item *chosen,
                                  const char *none_reason, const char *date) {
    igc_rules_version *pv = a->programmes ? igc_rules_acquire(a->programmes) : NULL;
    if (!pv) return cJSON_CreateArray();
    igc_ksic_match km;
    int known = igc_ksic_resolve(a->ksic, req->ksic_code, 1, &km) == 0;
    igc_rules_prog_item it = {0};
    if (chosen)
        it = (igc_rules_prog_item){chosen->code, chosen->name, chosen->theme, igc_taxonomy_item_theme(t, chosen)->name,
                                   chosen->field, igc_taxonomy_item_field(t, chosen)->name, 1.0};
    cJSON *list = programmes_eval(pv, req, known ? &km : NULL, chosen != NULL, chosen ? "" : none_reason, &it,
                                  chosen ? 1 : 0, date, NULL);
    igc_rules_release(pv);
    return list ? list : cJSON_CreateArray();
}

int igc_app_classify(igc_app *a, const igc_req *req, int with_input, cJSON **out) {
    return igc_app_classify_excluding(a, req, NULL, with_input, out);
}

/* Who saved a past judgment shown as similar (judgments saved through the API
 * carry their examiner; imported history has none). */
static void add_examiner(igc_app *a, const char *key, cJSON *x) {
    char *txt = NULL;
    size_t len = 0;
    if (!a->store || !key || strncmp(key, "hist:", 5) == 0 || igc_store_exemplar_get(a->store, key, &txt, &len)) return;
    cJSON *o = cJSON_ParseWithLength(txt, len);
    free(txt);
    const char *ex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "examiner"));
    if (ex) cJSON_AddStringToObject(x, "examiner", ex);
    cJSON_Delete(o);
}

/* 이 기업의 이전 판별: the company's judgments, newest first (at most 5). */
static cJSON *previous_judgments(igc_app *a, const char *brn10) {
    cJSON *arr = cJSON_CreateArray();
    igc_store_ids ids;
    if (igc_store_judgment_list_brn(a->store, brn10, 5, &ids)) return arr;
    static const char *copy[] = {"saved_at", "chosen_item", "chosen_item_name", "none_reason", "examiner",
                                 "status", "confirmed", "confirmed_by", "void_reason"};
    for (size_t i = 0; i < ids.n; i++) {
        cJSON *d, *x = igc_app_judgment_brief(a, ids.ids[i], copy, sizeof copy / sizeof copy[0], &d);
        if (!x) continue;
        if (!cJSON_GetObjectItemCaseSensitive(x, "status")) cJSON_AddStringToObject(x, "status", "current");
        cJSON_AddItemToArray(arr, x);
        cJSON_Delete(d);
    }
    igc_store_ids_free(&ids);
    return arr;
}

int igc_app_classify_excluding(igc_app *a, const igc_req *req, const char *exclude_key, int with_input, cJSON **out) {
    igc_engine *eng = igc_engine_ref(a->engine);
    int rc = igc_app_classify_engine(a, eng, req, exclude_key, with_input, out);
    igc_engine_unref(eng);
    return rc;
}

/* One classification on engine, the dense part taken from slot bi of batch when given. */
static int classify_with(igc_app *a, igc_engine *engine, const igc_req *req, const igc_engine_batch *batch, size_t bi,
                         const char *exclude_key, int with_input, int detail, cJSON **out);

int igc_app_classify_engine(igc_app *a, igc_engine *engine, const igc_req *req, const char *exclude_key,
                            int with_input, cJSON **out) {
    return classify_with(a, engine, req, NULL, 0, exclude_key, with_input, 1, out);
}

void igc_app_classify_many(igc_app *a, igc_engine *engine, const igc_req *const *reqs, size_t n, int detail,
                           cJSON **out, int *rcs) {
    igc_engine_input *in = calloc(n ? n : 1, sizeof *in);
    igc_engine_batch *b = NULL;
    if (in) {
        for (size_t i = 0; i < n; i++) igc_req_engine_input(reqs[i], &in[i]);
        /* without the batch (no memory for it) each is classified alone: the same answers */
        if (igc_engine_batch_new(engine, in, n, &b)) b = NULL;
    }
    for (size_t i = 0; i < n; i++) rcs[i] = classify_with(a, engine, reqs[i], b, i, NULL, 0, detail, &out[i]);
    igc_engine_batch_free(b);
    free(in);
}

/* An item's "basis" (분류근거) into x: the engine's sentences, then the rules' (one per line)
 * as one paragraph, and cue, a not-applicable cue the input holds, when not NULL. */
static void add_basis(cJSON *x, const char *engine_basis, const igc_buf *rules_basis, const char *cue) {
    igc_buf basis = {0};
    igc_buf_puts(&basis, engine_basis ? engine_basis : "");
    if (rules_basis->len) {
        igc_buf_puts(&basis, " ");
        igc_buf_append(&basis, rules_basis->data, rules_basis->len);
    }
    for (size_t b = 0; b < basis.len; b++)
        if (basis.data[b] == '\n') basis.data[b] = ' ';
    if (cue) igc_buf_printf(&basis, " 단, '%s'은(는) 색인어 사전의 해당 없음 단서이니 확인하십시오.", cue);
    igc_trim(basis.data ? basis.data : (char *)"");
    cJSON_AddStringToObject(x, "basis", basis.data ? basis.data : "");
    igc_buf_free(&basis);
}

static int classify_with(igc_app *a, igc_engine *engine, const igc_req *req, const igc_engine_batch *batch, size_t bi,
                         const char *exclude_key, int with_input, int detail, cJSON **out) {
    double t0 = igc_now_ms();
    *out = NULL;
    igc_engine *eng = igc_engine_ref(engine);
    igc_taxonomy *tx = igc_engine_taxonomy(eng);
    igc_engine_input in;
    igc_req_engine_input(req, &in);
    igc_engine_result res;
    /* 분류근거 only for the items shown, once the rules have chosen them */
    int rc = igc_engine_classify_in(eng, &in, batch, bi, exclude_key, IGC_ENGINE_DEFER_BASIS, &res);
    /* the engine changed since the batch was made: this one alone */
    if (rc == IGC_ESTATE) rc = igc_engine_classify_in(eng, &in, NULL, 0, exclude_key, IGC_ENGINE_DEFER_BASIS, &res);
    if (rc) {
        igc_engine_unref(eng);
        return rc;
    }
    /* Rules see the engine's candidates and may drop, re-score or explain them. */
    igc_rules_candidate rc_[IGC_ENGINE_MAX_CANDS];
    memset(rc_, 0, sizeof rc_);
    igc_rules_verdict verdict = {.applicable = 1};
    int rules_failed = 0; /* a rule that errs is left out: the answer then needs a person */
    igc_rules_version *rv = a->rules ? igc_rules_acquire(a->rules) : NULL;
    for (size_t i = 0; i < res.ncands; i++) {
        igc_rules_candidate *c = &rc_[i];
        igc_strlcpy(c->code, res.cands[i].item->code, sizeof c->code);
        c->score = res.cands[i].score;
        for (int s = 0; s < IGC_SIG_N; s++) {
            c->signal_names[s] = igc_engine_signal_names[s];
            c->signals[s] = res.cands[i].sig[s];
        }
        c->nsignals = IGC_SIG_N;
        c->keywords = (const char **)res.cands[i].keywords;
        c->nkeywords = res.cands[i].nkeywords;
    }
    if (rv) {
        const igc_ksic_entry *ke = res.ksic.first;
        char div[3] = "", grp[4] = "";
        if (ke) snprintf(div, sizeof div, "%s", ke->div2), snprintf(grp, sizeof grp, "%s", ke->grp3);
        igc_rules_input ri = {
            .company_name = req->company_name, .ksic_code = req->ksic_code, .ksic_name = req->ksic_name,
            .main_product = req->main_product, .product_use = req->product_use,
            .tech_business_name = req->tech_business_name, .tech_class = req->tech_class,
            .ksic_section = ke ? ke->sec : "", .ksic_section_name = ke ? ke->sec_name : "",
            .ksic_division = ke && res.ksic.level >= 2 ? div : "",
            .ksic_division_name = ke && res.ksic.level >= 2 ? ke->div2_name : "",
            .ksic_group = ke && res.ksic.level >= 3 ? grp : "",
            .ksic_group_name = ke && res.ksic.level >= 3 ? ke->grp3_name : "",
            .cands = rc_, .ncands = res.ncands, .item_lookup = lookup_item, .lookup_ud = tx};
        rc = igc_rules_eval(rv, &ri, &verdict);
        if (rc) igc_log(IGC_LOG_WARN, "rules: evaluation failed (%s); answering without them", igc_strerror(rc));
        rules_failed = rc || verdict.failed;
        rc = 0;
    }
    /* Order the surviving candidates by (possibly re-scored) score. */
    size_t order[IGC_ENGINE_MAX_CANDS], n = 0;
    for (size_t i = 0; i < res.ncands; i++)
        if (!rc_[i].dropped) order[n++] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && rc_[order[j]].score > rc_[order[j - 1]].score; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    cJSON *o = cJSON_CreateObject();
    char today[11];
    igc_today_seoul(today);
    cJSON_AddStringToObject(o, "classified_on", today);
    int applicable = res.applicable && verdict.applicable && n > 0;
    cJSON_AddBoolToObject(o, "applicable", applicable);
    cJSON_AddNumberToObject(o, "p_applicable", (double)(int)(res.p_applicable * 1000 + 0.5) / 1000);
    cJSON *reasons = cJSON_AddArrayToObject(o, "reasons");
    if (!verdict.applicable)
        add_reason(reasons, verdict.reason_code, verdict.reason_message, verdict.rule_id);
    if (!res.applicable) {
        char m[768];
        int k = snprintf(m, sizeof m,
                         "입력된 제품·기술에서 혁신성장 품목에 해당하는 근거가 부족합니다 (해당 가능성 %.0f%%, 유사 판별 이력 중 "
                         "'해당 없음' %.0f%%).",
                         res.p_applicable * 100, res.na_knn * 100);
        if (res.na_cue[0] && k > 0 && (size_t)k < sizeof m)
            snprintf(m + k, sizeof m - (size_t)k, " '%s'은(는) 색인어 사전의 해당 없음 단서입니다.", res.na_cue);
        add_reason(reasons, "not_innovation", m, "engine");
    } else if (!n) {
        add_reason(reasons, "all_items_excluded", "적용원칙에 따라 후보 품목이 모두 제외되었습니다.", "rules");
    }
    /* No word of the input known anywhere, or a rule that erred: whatever the scores
     * say, the answer is left to the examiner (review_reasons says why). */
    int review = res.needs_review || verdict.needs_review || rules_failed || !res.known_words;
    cJSON_AddBoolToObject(o, "needs_review", review);
    if (verdict.needs_review && verdict.review_note[0]) cJSON_AddStringToObject(o, "review_note", verdict.review_note);
    double gap = n > 1 ? rc_[order[0]].score - rc_[order[1]].score : n ? rc_[order[0]].score : 0;
    cJSON_AddNumberToObject(o, "confidence_gap", (double)(int)(gap * 1000 + 0.5) / 1000);
    add_review_reasons(o, &res, igc_engine_get_params(eng), &verdict, rules_failed);
    cJSON *items = cJSON_AddArrayToObject(o, "items");
    for (size_t k = 0; k < n && k < IGC_TOP; k++) {
        size_t i = order[k];
        int brc = detail ? igc_engine_result_basis(eng, &res, i) : 0;
        if (brc) igc_log(IGC_LOG_WARN, "classify: 분류근거 not written (%s)", igc_strerror(brc));
        const igc_engine_cand *c = &res.cands[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "rank", (double)(k + 1));
        cJSON *ref = igc_taxonomy_item_ref_json(tx, c->item), *fld;
        cJSON_ArrayForEach(fld, ref) cJSON_AddStringToObject(x, fld->string, fld->valuestring);
        cJSON_Delete(ref);
        double sc = rc_[i].score < 0 ? 0 : rc_[i].score > 1 ? 1 : rc_[i].score;
        cJSON_AddNumberToObject(x, "score", (double)(int)(sc * 1000 + 0.5) / 1000);
        cJSON *sig = cJSON_AddObjectToObject(x, "signals");
        for (int s = 0; s < IGC_SIG_N; s++)
            cJSON_AddNumberToObject(sig, igc_engine_signal_names[s], (double)(int)(c->sig[s] * 1000 + 0.5) / 1000);
        /* an applicable answer despite a not-applicable cue: the examiner should see it */
        if (detail) add_basis(x, c->basis, &rc_[i].basis, k == 0 && applicable && res.na_cue[0] ? res.na_cue : NULL);
        cJSON *kw = cJSON_AddArrayToObject(x, "keywords");
        for (size_t w = 0; w < c->nkeywords; w++) cJSON_AddItemToArray(kw, cJSON_CreateString(c->keywords[w]));
        /* the item's index terms found in the input (also among the keywords when they drove it) */
        cJSON *terms = cJSON_AddArrayToObject(x, "terms");
        for (size_t w = 0; w < c->nterms; w++) cJSON_AddItemToArray(terms, cJSON_CreateString(c->terms[w]));
        cJSON_AddItemToArray(items, x);
    }
    cJSON *nbs = cJSON_AddArrayToObject(o, "similar_judgments");
    for (size_t j = 0; detail && j < res.nneighbors; j++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "company", res.neighbors[j].company);
        if (res.neighbors[j].label) cJSON_AddStringToObject(x, "item", res.neighbors[j].label);
        else cJSON_AddNullToObject(x, "item");
        if (res.neighbors[j].none_reason) cJSON_AddStringToObject(x, "none_reason", res.neighbors[j].none_reason);
        cJSON_AddNumberToObject(x, "similarity", (double)(int)(res.neighbors[j].sim * 1000 + 0.5) / 1000);
        add_examiner(a, res.neighbors[j].key, x);
        cJSON_AddItemToArray(nbs, x);
    }
    /* the company's own judgments are never its similar ones: shown apart */
    if (with_input && a->store && req->brn10[0]) cJSON_AddItemToObject(o, "previous_judgments", previous_judgments(a, req->brn10));
    if (res.ksic.level) {
        cJSON *k = cJSON_AddObjectToObject(o, "ksic");
        cJSON_AddStringToObject(k, "code", res.ksic.code);
        cJSON_AddStringToObject(k, "name", res.ksic.name ? res.ksic.name : "");
        cJSON_AddStringToObject(k, "section", res.ksic.first ? res.ksic.first->sec : "");
        cJSON_AddStringToObject(k, "section_name", res.ksic.first ? res.ksic.first->sec_name : "");
        if (res.ksic.mapped_from[0]) cJSON_AddStringToObject(k, "mapped_from", res.ksic.mapped_from);
    }
    if (with_input) {
        cJSON_AddItemToObject(o, "company", igc_req_company_json(req));
        cJSON_AddItemToObject(o, "tech", igc_req_tech_json(req));
    }
    cJSON_AddStringToObject(o, "taxonomy_version", tx->version);
    cJSON_AddStringToObject(o, "engine_version", igc_engine_version(eng));
    cJSON_AddStringToObject(o, "rules_version", rv ? igc_rules_version_id(rv) : "none");
    cJSON_AddStringToObject(o, "lexicon_version", res.lexicon_version);
    add_programmes(a, o, req, &res, today);
    cJSON_AddNumberToObject(o, "elapsed_ms", (double)(int)((igc_now_ms() - t0) * 1000) / 1000);
    for (size_t i = 0; i < res.ncands; i++) igc_buf_free(&rc_[i].basis);
    igc_rules_release(rv);
    igc_engine_result_free(&res);
    igc_engine_unref(eng);
    *out = o;
    return 0;
}
