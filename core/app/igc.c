/* igc: the command-line tool. Offline classification of many companies, the
 * client's metrics on a labelled file, model training and tuning, history import
 * and the rule tests, all with the same engine as the server. */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "igc_app.h"
#include "igc_embed.h"
#include "igc_eval.h"
#include "igc_tune.h"

#define IGC_CLI_MAX_THREADS 64

static const char *usage =
    "usage: igc [options] COMMAND [args]\n"
    "       igc help COMMAND, igc COMMAND --help  one command in detail\n"
    "commands:\n"
    "  classify --in FILE.csv --out FILE.jsonl|FILE.csv [--format jsonl|csv] [--threads N]\n"
    "                                            classify many companies (columns: uid, company, brn, ceo,\n"
    "                                            ksic_code, ksic_name, main_product, product_use,\n"
    "                                            tech_business_name, tech_class, or 기업명 ... 기술분류)\n"
    "  eval --in LABELLED.csv [--history FILE.csv | --no-history] [--signals LIST] [--no-rules]\n"
    "       [--errors N] [--json] [--loo]        the client's metrics on a labelled file (--loo: leave\n"
    "                                            each row's own past judgment out, for history files)\n"
    "  eval --in LABELLED.csv --predictions F.jsonl  the same metrics for another system's answers\n"
    "  eval --in LABELLED.csv --revision FILE --crosswalk FILE [--history FILE.csv]\n"
    "                                            the same under a new revision: history and labels mapped\n"
    "                                            through the crosswalk (a split label is right when the answer\n"
    "                                            is any of its parts, also reported apart)\n"
    "  train [--out FILE] [--if-missing] [--seed N] [--epochs N] [--dim N] [--sources LIST]\n"
    "                                            train the embedding model from the data directory\n"
    "  tune --history FILE.csv [--out FILE] [--folds N] [--if-missing] [--signals LIST] [--rows-out F.tsv]\n"
    "       [--seed N] [--epochs N] [--dim N] [--sources LIST]  (the training options of the model in use)\n"
    "                                            fit engine parameters on past judgments\n"
    "                                            (--if-missing: only when absent or fitted for another model;\n"
    "                                            --rows-out: each row's applicability evidence, for analysis)\n"
    "  history import FILE.csv                   add labelled past judgments to the store\n"
    "  history stats                             exemplars per item\n"
    "  rules test [DIR]                          run the rule tests (default: the rules directory)\n"
    "  programmes test [DIR]                     run the support programmes' tests (default: --programmes)\n"
    "  lexicon check [FILE]                      validate the index-term dictionary (default: the copy in\n"
    "                                            --lexicon-dir) and list terms that fire on other items'\n"
    "                                            or KSIC texts; exit 2 when it does not load\n"
    "  users add NAME --role examiner|reviewer|policy|admin [--days N]\n"
    "                                            create a user; its bearer token alone on the last line\n"
    "  users list                                users, roles, expiry (never the tokens)\n"
    "  users revoke NAME                         the user's token stops working at once\n"
    "  audit export [--since DATE]               the audit log, one JSON object a line\n"
    "  judgments purge --before DATE [--all]     retention: delete superseded and voided judgments saved\n"
    "                                            before DATE (--all: every judgment), logged and audited\n"
    "  taxonomy check FILE --crosswalk FILE [--json]  validate a new revision with its crosswalk from the\n"
    "                                            current one (schema, codes, completeness both ways) and\n"
    "                                            list rules and dictionary entries naming codes it lacks;\n"
    "                                            exit 0 when valid, 1 with the report otherwise\n"
    "  reclassify [--revision FILE --crosswalk FILE] [--batch N] [--json]\n"
    "                                            re-classify every stored judgment under the active revision\n"
    "                                            (or FILE, staged over the store's exemplars); resumes a job\n"
    "                                            left running; report files under <db>/reclass/\n"
    "options (environment variable in the second column):\n";

static void help(FILE *f) { fprintf(f, "%s%s  %-20s %-22s %s\n", usage, igc_config_help(), "--help", "", "this text"); }

/* What one command's usage lines leave out. */
static const struct {
    const char *cmd, *text;
} help_more[] = {
    {"classify",
     "입력 (--in): CSV, 첫 줄은 머리글. 열 이름은 영어 또는 입력 화면의 한국어 이름(순서 무관):\n"
     "  uid (없으면 줄 번호), company 기업명, brn 사업자등록번호, ceo 대표자명, ksic_code 업종코드,\n"
     "  ksic_name 업종명, main_product 주요제품, product_use 제품용도, tech_business_name 기술사업명,\n"
     "  tech_class 기술분류, sido 광역, sigungu 시군구 (소재지: 정식 이름, 예 강원특별자치도, 정선군)\n"
     "  인코딩: UTF-8(BOM 있어도 됨), 또는 엑셀이 저장한 CP949(EUC-KR): UTF-8로 바꿔 읽고 그렇다고 알림.\n"
     "  모르는 열은 경고하고 읽지 않음. 읽을 열이 하나도 없거나, 따옴표가 닫히지 않았거나, 어느 인코딩으로도\n"
     "  읽을 수 없는 글자가 있으면 줄 번호와 함께 거부(종료 코드 2, 아무것도 분류하지 않음).\n"
     "출력 (--out FILE, '-'는 표준 출력): 임시 파일에 다 쓴 뒤 바꿔 넣으므로 실패해도 기존 파일은 그대로.\n"
     "  줄 순서는 입력 순서 그대로. --threads N: 동시에 분류할 스레드 수, 1 이상의 정수(기본: 모든 CPU 코어).\n"
     "  --format jsonl  (기본) 한 줄에 한 회사: {uid, applicable, reasons, needs_review, items:[{code, name,\n"
     "                  score, keywords}], taxonomy_version, engine_version, rules_version, ...} 또는 {uid, error}\n"
     "  --format csv    (FILE이 .csv로 끝나면 기본) 엑셀에서 바로 여는 UTF-8(BOM) CSV, 한 줄에 한 회사:\n"
     "                  uid, company, applicable, item1_code, item1_name, item1_score, ... item3_score,\n"
     "                  reasons, needs_review, review_note, programmes, error_code, error_message, *_version\n"
     "행마다의 입력 오류(사업자등록번호 등)는 그 행의 error에 쓰고 나머지를 계속 분류(종료 코드 0).\n"
     "저장소(--db)의 과거 판별을 근거로 씀: 비어 있으면 정확도가 크게 낮음(igc history import).\n"},
    {"eval",
     "입력 파일은 classify와 같은 규칙(인코딩, 한국어 머리글, 줄 번호가 있는 거부)으로 읽고, 정답 열 label1\n"
     "(label2, label3, none_reason)이 있어야 함. --history를 주지 않으면 --db 저장소의 과거 판별을 씀.\n"
     "결과: 정확도, top-1/top-3, macro-F1 등(--json: 한 줄 JSON). 정의는 docs/evaluation.md.\n"
     "--history FILE은 history import와 같은 검사를 거침(틀린 행이 있으면 줄 번호와 함께 거부).\n"
     "--predictions F.jsonl: 엔진 대신 다른 시스템의 답. 한 줄에 JSON 객체 하나(빈 줄은 건너뜀):\n"
     "  {\"uid\": 문자열, \"applicable\": true|false, \"items\": [\"품목코드\", ...], \"needs_review\": true|false(없어도 됨)}\n"
     "  --in의 모든 행에 그 uid의 줄이 하나씩 있어야 함. 형식이 틀린 줄(invalid_json, invalid_type, missing_field,\n"
     "  invalid_encoding), 같은 uid 두 번(duplicate_uid), 빈 파일(empty_file), 답이 없는 행(missing_predictions)은\n"
     "  줄 번호·코드와 함께 거부(종료 코드 2, 지표를 내지 않음). --in에 없는 uid의 줄은 채점하지 않고 그 수를 알림.\n"},
    {"history",
     "import FILE.csv: uid와 label1이 있는 CSV(labeled/ 형식; UTF-8 또는 CP949, classify와 같은 규칙)를\n"
     "  저장소(--db)에 과거 판별로 넣음. 같은 uid는 덮어씀. 실행 중인 igcd가 1초 안에 가져감.\n"
     "  행마다 검사하고, 하나라도 틀리면 한 행도 넣지 않고 줄 번호·코드와 함께 거부(종료 코드 2):\n"
     "  label1..3이 현재 분류체계에 없는 코드(unknown_item), none_reason이 generic_supplier, wholesale_retail,\n"
     "  merchandise_only, not_innovation, insufficient_info, other가 아니거나 품목과 함께 옴(invalid_none_reason),\n"
     "  confidence가 high, medium, low, 빈칸이 아님(invalid_confidence), label1 열이 없음(missing_label1).\n"
     "stats: 저장소의 품목별 사례 수.\n"},
    {"users",
     "add NAME --role ROLE [--days N]: 사용자를 만들고 인증 토큰을 표준 출력의 마지막 줄에 그것만 씀(다시 볼 수\n"
     "  없으니 바로 전달). 역할: examiner 심사역, reviewer 검토자, policy 정책담당, admin 관리자.\n"
     "  토큰 유효기간 기본 --token-days(90일). 같은 이름의 사용 중인 사용자가 있으면 거부(종료 코드 2).\n"
     "list: 이름, 역할, 만든 때, 만료, 취소 여부(토큰은 보이지 않음). revoke NAME: 토큰을 즉시 무효로.\n"
     "저장소에 사용자가 있으면 igcd는 시작할 때 인증을 켬(docs/security.md).\n"},
    {"audit",
     "export [--since DATE]: 감사 기록(분류, 저장, 열람, 확정/무효, 정책 변경, 로그인)을 한 줄에 JSON 하나로\n"
     "  씀. DATE(YYYY-MM-DD 또는 ISO 시각, UTC) 이후만. 사업자등록번호는 가려져 있음.\n"},
    {"judgments",
     "purge --before DATE [--all]: 보존 기한 정리. DATE 전에 저장된 판별 중 대체되었거나 무효인 것을(--all:\n"
     "  모두) 지우고, 지운 id를 감사 기록과 로그에 남김. 이 명령 말고는 판별이 지워지지 않음.\n"},
    {"taxonomy",
     "check FILE --crosswalk FILE: 새 개편 파일(같은 형식의 JSON)과 지금 개편에서의 대응표(CSV: <이전>_code,\n"
     "  <이전>_name, <새>_code, <새>_name, relation, note)를 검사. 분류체계 형식, 대응표의 줄마다 코드·관계,\n"
     "  두 개편의 모든 품목이 대응표에 있는지, 규칙 파일(--rules)과 색인어 사전이 새 개편에 없는 코드를 쓰는지.\n"
     "  올바르면 0, 아니면 보고서와 함께 1. 운영 절차: docs/operations.md (개편 전환).\n"},
    {"reclassify",
     "저장소의 모든 판별(가져온 과거 판별 포함)을 활성 개편으로 다시 분류. 원래 기록은 그대로 두고 결과는\n"
     "  따로(reclass) 저장. --revision/--crosswalk를 주면 그 개편을 먼저 세우고(저장소 판별을 대응표로 옮겨)\n"
     "  활성으로 삼음. 중간에 죽어도 다시 실행하면 이어서 함(진행 상황은 저장소에). 끝나면 관계별 건수,\n"
     "  일치율, 검토 목록을 화면에 요약하고 <db>/reclass/<작업>.json, .csv에 씀.\n"},
    {"rules",
     "test [DIR]: 규칙 폴더(기본 --rules)를 새로 읽어 *_test.lua 시험을 모두 돌림. 모두 통과하면 0,\n"
     "  규칙을 읽지 못했거나 시험이 실패하면 1.\n"},
    {"programmes",
     "test [DIR]: 지원사업 폴더(기본 --programmes)를 새로 읽어 *_test.lua 시험을 모두 돌림. 모두 통과하면 0,\n"
     "  읽지 못했거나 시험이 실패하면 1. 파일 쓰는 법은 docs/rules-guide.md 8장.\n"},
};

/* One command's help: its lines of the usage text, then help_more. 2 when the
 * command is unknown. */
static int command_help(FILE *f, const char *cmd) {
    const char *p = strstr(usage, "commands:\n");
    size_t cl = strlen(cmd);
    int found = 0, in = 0;
    for (p = p ? strchr(p, '\n') + 1 : NULL; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        /* a command's line starts with two spaces; its continuation lines with more */
        if (len > 2 && p[0] == ' ' && p[1] == ' ' && p[2] != ' ')
            in = strncmp(p + 2, cmd, cl) == 0 && (p[2 + cl] == ' ' || p[2 + cl] == '\n');
        else if (len && p[0] != ' ')
            in = 0;
        if (in) {
            fprintf(f, "%s%.*s\n", found ? "" : "usage: igc [options] COMMAND [args]\n", (int)len, p);
            found = 1;
        }
        p = nl ? nl + 1 : NULL;
    }
    if (!found) return 2;
    for (size_t i = 0; i < sizeof help_more / sizeof *help_more; i++)
        if (strcmp(cmd, help_more[i].cmd) == 0) fprintf(f, "\n%s", help_more[i].text);
    fprintf(f, "\noptions common to every command (--data, --db, --model, ...): igc --help\n");
    return 0;
}

static int die(const char *msg, const char *detail) {
    fprintf(stderr, "igc: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    return 2;
}

typedef struct {
    const char *in, *out, *history, *signals, *dir, *predictions, *rows_out, *sources;
    int no_history, json, if_missing, errors, loo;
    long seed, epochs, dim, folds;
    long threads; /* classify: 0 = every online core */
    const char *format; /* classify: jsonl or csv */
    const char *role, *since, *before; /* users add, audit export, judgments purge */
    long days;
    int all;
    const char *crosswalk, *revision; /* taxonomy check, reclassify, eval under a new revision */
    long batch;
} args;

/* On a terminal every call; in a log each thousand rows and at the end. */
static void progress(const char *what, size_t done, size_t total) {
    static size_t last;
    int tty = isatty(2);
    /* a terminal redraws one line; a log (journald, a file) gets a line per 10% or 10,000 rows */
    size_t step = tty ? 1000 : total ? (total / 10 > 10000 ? 10000 : total / 10 > 0 ? total / 10 : 1) : 10000;
    int crossed = done / step != last / step || done < last;
    last = done;
    if (!crossed && done != total) return;
    const char *lead = tty ? "\r" : "", *end = tty && done != total ? "" : "\n";
    if (total) fprintf(stderr, "%s%s: %zu/%zu (%.0f%%)%s", lead, what, done, total, 100.0 * (double)done / (double)total, end);
    else fprintf(stderr, "%s%s: %zu%s", lead, what, done, end);
}

/* ---- classify / eval share the CSV row reader ---- */

/* The request document of a file row, validated like the API's (leniently). */
static cJSON *row_doc(const igc_row *r) {
    cJSON *d = cJSON_CreateObject(), *co = cJSON_AddObjectToObject(d, "company"), *te = cJSON_AddObjectToObject(d, "tech");
    cJSON_AddStringToObject(co, "name", r->in.company_name);
    cJSON_AddStringToObject(co, "brn", r->brn);
    cJSON_AddStringToObject(co, "ceo", r->ceo);
    if ((r->sido && *r->sido) || (r->sigungu && *r->sigungu)) {
        cJSON *ad = cJSON_AddObjectToObject(co, "address");
        cJSON_AddStringToObject(ad, "sido", r->sido ? r->sido : "");
        cJSON_AddStringToObject(ad, "sigungu", r->sigungu ? r->sigungu : "");
    }
    cJSON_AddStringToObject(te, "ksic_code", r->in.ksic_code);
    cJSON_AddStringToObject(te, "ksic_name", r->in.ksic_name);
    cJSON_AddStringToObject(te, "main_product", r->in.main_product);
    cJSON_AddStringToObject(te, "product_use", r->in.product_use);
    cJSON_AddStringToObject(te, "tech_business_name", r->in.tech_business_name);
    cJSON_AddStringToObject(te, "tech_class", r->in.tech_class);
    return d;
}

/* The classify output, written beside its final name and renamed at the end: a run
 * that fails never leaves a truncated file where the last good one was. */
typedef struct {
    FILE *f;
    char *tmp; /* NULL for stdout */
    const char *path;
} out_file;

static int out_open(out_file *o, const char *path) {
    *o = (out_file){.path = path};
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        return 0;
    }
    size_t n = strlen(path) + 16;
    if (!(o->tmp = malloc(n))) return IGC_ENOMEM;
    snprintf(o->tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        free(o->tmp);
        o->tmp = NULL;
        return IGC_EIO;
    }
    /* the mode a plain fopen would give, or the replaced file's */
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, stat(path, &st) == 0 ? st.st_mode & 07777 : 0666 & ~mask);
    if (!(o->f = fdopen(fd, "w"))) {
        close(fd);
        unlink(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
        return IGC_EIO;
    }
    return 0;
}

static int out_close(out_file *o, int keep) {
    int rc = 0;
    if (!o->tmp) return o->f && fflush(o->f) ? IGC_EIO : 0;
    if (keep && (fflush(o->f) || fsync(fileno(o->f)))) rc = IGC_EIO;
    if (fclose(o->f)) rc = IGC_EIO;
    if (keep && !rc && rename(o->tmp, o->path)) rc = IGC_EIO;
    if (!keep || rc) unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return rc;
}

/* Columns of the CSV output, one company a line (Excel: UTF-8 with a BOM). */
static const char *const csv_versions[] = {"taxonomy_version", "engine_version", "rules_version", "lexicon_version",
                                           "programmes_version"};

static void csv_header(igc_buf *b) {
    igc_buf_puts(b, "\xEF\xBB\xBFuid,company,applicable");
    for (int k = 1; k <= 3; k++) igc_buf_printf(b, ",item%d_code,item%d_name,item%d_score", k, k, k);
    igc_buf_puts(b, ",reasons,needs_review,review_note,programmes,error_code,error_message");
    for (size_t k = 0; k < sizeof csv_versions / sizeof *csv_versions; k++) igc_buf_printf(b, ",%s", csv_versions[k]);
    igc_buf_puts(b, "\r\n");
}

static const char *jstr_or(const cJSON *o, const char *k, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* One CSV line from the JSONL line of a row (line) and its company name. */
static void csv_line(igc_buf *b, const cJSON *line, const char *company) {
    const cJSON *err = cJSON_GetObjectItem(line, "error"), *items = cJSON_GetObjectItem(line, "items");
    igc_csv_field(b, jstr_or(line, "uid", ""));
    igc_buf_puts(b, ",");
    igc_csv_field(b, company);
    igc_buf_puts(b, err ? "," : cJSON_IsTrue(cJSON_GetObjectItem(line, "applicable")) ? ",true" : ",false");
    for (int k = 0; k < 3; k++) {
        const cJSON *it = cJSON_GetArrayItem(items, k);
        igc_buf_puts(b, ",");
        igc_csv_field(b, jstr_or(it, "code", ""));
        igc_buf_puts(b, ",");
        igc_csv_field(b, jstr_or(it, "name", ""));
        if (it) igc_buf_printf(b, ",%.3f", cJSON_GetNumberValue(cJSON_GetObjectItem(it, "score")));
        else igc_buf_puts(b, ",");
    }
    igc_buf reasons = {0};
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(line, "reasons"))
        igc_buf_printf(&reasons, "%s%s (%s)", reasons.len ? " / " : "", jstr_or(r, "message", ""), jstr_or(r, "code", ""));
    igc_buf_puts(b, ",");
    igc_csv_field(b, reasons.data ? reasons.data : "");
    igc_buf_free(&reasons);
    igc_buf_puts(b, err ? "," : cJSON_IsTrue(cJSON_GetObjectItem(line, "needs_review")) ? ",true" : ",false");
    igc_buf_puts(b, ",");
    igc_csv_field(b, jstr_or(line, "review_note", ""));
    /* the programmes shown, "id: why" each (an ended one says so in its why) */
    igc_buf progs = {0};
    const char *lost = jstr_or(line, "address_unrecognized", "");
    if (*lost) igc_buf_printf(&progs, "(소재지 '%s'를 알 수 없어 소재지 없이 판단)", lost);
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(line, "programmes"))
        igc_buf_printf(&progs, "%s%s: %s", progs.len ? " / " : "", jstr_or(r, "id", ""), jstr_or(r, "why", ""));
    igc_buf_puts(b, ",");
    igc_csv_field(b, progs.data ? progs.data : "");
    igc_buf_free(&progs);
    igc_buf_puts(b, ",");
    igc_csv_field(b, jstr_or(err, "code", ""));
    igc_buf_puts(b, ",");
    igc_csv_field(b, jstr_or(err, "message", ""));
    for (size_t k = 0; k < sizeof csv_versions / sizeof *csv_versions; k++) {
        igc_buf_puts(b, ",");
        igc_csv_field(b, jstr_or(line, csv_versions[k], ""));
    }
    igc_buf_puts(b, "\r\n");
}

static int ends_with_csv(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && strcasecmp(path + n - 4, ".csv") == 0;
}

/* One row of `igc classify`: its request document and, once classified, its output
 * line. Rows are classified in batches by every core and written in file order. */
typedef struct {
    cJSON *doc;
    char *uid, *company;
    igc_buf text;
    int bad;
} crow;

typedef struct {
    igc_app *a;
    crow *rows;
    size_t n;
    atomic_size_t next;
    int csv;
    size_t block; /* rows a worker takes at a time */
} cbatch;

/* A classified row's output line: its answer res (taken), or its error. */
static void row_answer(cJSON *line, crow *cr, int crc, cJSON *res) {
    if (crc) {
        cJSON *er = cJSON_AddObjectToObject(line, "error");
        cJSON_AddStringToObject(er, "code", igc_errcode(crc));
        cJSON_AddStringToObject(er, "message", "분류 중 오류가 발생했습니다.");
        cr->bad = 1;
        return;
    }
    static const char *keep[] = {"applicable", "reasons", "needs_review", "review_note", "items",
                                 "programmes", "taxonomy_version", "engine_version", "rules_version",
                                 "lexicon_version", "programmes_version"};
    for (size_t k = 0; k < sizeof keep / sizeof *keep; k++)
        if (cJSON_HasObjectItem(res, keep[k]))
            cJSON_AddItemToObject(line, keep[k], cJSON_DetachItemFromObject(res, keep[k]));
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(line, "items")) {
        static const char *drop[] = {"rank", "theme", "theme_name", "field", "field_name", "signals"};
        for (int k = 0; k < 6; k++) cJSON_DeleteItemFromObject(it, drop[k]);
    }
    cJSON_Delete(res);
}

/* Rows a worker takes at a time: the engine's dense products are made for a block
 * of rows together (igc_app_classify_many). */
enum { CLI_BLOCK = 32 };

/* Classifies rows[0..n) (n <= CLI_BLOCK) and writes their output lines. */
static void classify_rows(igc_app *a, crow *rows, size_t n, int csv) {
    cJSON *line[CLI_BLOCK], *res[CLI_BLOCK];
    igc_req req[CLI_BLOCK];
    const igc_req *valid[CLI_BLOCK];
    size_t at[CLI_BLOCK], nv = 0;
    int rcs[CLI_BLOCK];
    for (size_t i = 0; i < n; i++) {
        crow *cr = &rows[i];
        line[i] = cJSON_CreateObject();
        cJSON_AddStringToObject(line[i], "uid", cr->uid);
        igc_verr ve;
        if (igc_req_from_json(a, cr->doc, 0, &req[nv], &ve)) {
            cJSON *err = igc_verr_json(&ve);
            cJSON_AddItemToObject(line[i], "error", cJSON_DetachItemFromObject(err, "error"));
            cJSON_Delete(err);
            cr->bad = 1;
            continue;
        }
        valid[nv] = &req[nv];
        at[nv++] = i;
    }
    igc_engine *eng = igc_engine_ref(a->engine);
    /* the output keeps no 분류근거 and no similar judgments: not made */
    igc_app_classify_many(a, eng, valid, nv, 0, res, rcs);
    igc_engine_unref(eng);
    for (size_t v = 0; v < nv; v++) {
        row_answer(line[at[v]], &rows[at[v]], rcs[v], res[v]);
        /* an address naming no place was left out: the regional programmes were judged without it */
        if (req[v].address_dropped[0])
            cJSON_AddStringToObject(line[at[v]], "address_unrecognized", req[v].address_dropped);
        igc_req_free(&req[v]);
    }
    for (size_t i = 0; i < n; i++) {
        crow *cr = &rows[i];
        if (csv) {
            csv_line(&cr->text, line[i], cr->company);
        } else {
            char *txt = cJSON_PrintUnformatted(line[i]);
            if (txt && !igc_buf_puts(&cr->text, txt)) igc_buf_append(&cr->text, "\n", 1);
            free(txt);
        }
        cJSON_Delete(line[i]);
    }
}

static void *classify_worker(void *arg) {
    cbatch *b = arg;
    for (size_t i; (i = atomic_fetch_add(&b->next, b->block)) < b->n;)
        classify_rows(b->a, &b->rows[i], b->n - i < b->block ? b->n - i : b->block, b->csv);
    return NULL;
}

/* Classifies rows[0..n) on `threads` threads (the calling one included). */
static void classify_batch(igc_app *a, crow *rows, size_t n, int csv, int threads) {
    /* blocks small enough that every thread gets several (a short file is not left to
     * one thread), at most CLI_BLOCK */
    size_t block = n / ((size_t)threads * 4);
    cbatch b = {a, rows, n, 0, csv, block < 1 ? 1 : block > CLI_BLOCK ? CLI_BLOCK : block};
    pthread_t th[IGC_CLI_MAX_THREADS];
    int started = 0;
    for (int t = 1; t < threads && (size_t)t < n; t++)
        if (pthread_create(&th[started], NULL, classify_worker, &b) == 0) started++;
    classify_worker(&b);
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
}

static void crow_clear(crow *cr) {
    cJSON_Delete(cr->doc);
    free(cr->uid), free(cr->company);
    igc_buf_free(&cr->text);
    memset(cr, 0, sizeof *cr);
}

/* Threads for batch commands: --threads, else every online core. */
static int cli_threads(const args *ar) {
    long n = ar->threads > 0 ? ar->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > IGC_CLI_MAX_THREADS ? IGC_CLI_MAX_THREADS : (int)n;
}

/* The system account running igc, for the audit log: the real user id's account ($USER can be
 * set to anything). */
static const char *operator_name(void) {
    static char name[160];
    if (name[0]) return name;
    const struct passwd *pw = getpwuid(getuid());
    snprintf(name, sizeof name, "%s", pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "(unknown account)");
    /* root through sudo: who asked for it (only root can set this) */
    const char *su = getuid() == 0 ? getenv("SUDO_USER") : NULL;
    if (su && *su) snprintf(name + strlen(name), sizeof name - strlen(name), " (sudo: %.60s)", su);
    return name;
}

/* A batch run on the service's store with other rules or programmes than the service's
 * (igc's default folders are not igcd's --rules, --programmes): its answers would differ
 * from the screens'. igcd records the versions it uses in the store. */
static void warn_policy_differs(igc_app *a) {
    if (!a->store) return;
    static const char *const what[2] = {"rules", "programmes"};
    igc_rules *sets[2] = {a->rules, a->programmes};
    const char *dirs[2] = {a->cfg.rules_dir, a->cfg.programmes_dir};
    for (int k = 0; k < 2; k++) {
        char key[48], *svc = NULL;
        snprintf(key, sizeof key, "service.%s", what[k]);
        if (!sets[k] || igc_store_meta_get(a->store, key, &svc)) continue;
        igc_rules_version *v = igc_rules_acquire(sets[k]);
        if (strcmp(igc_rules_version_id(v), svc) != 0)
            fprintf(stderr,
                    "igc: 이 명령의 %s(%s, 버전 %s)가 서비스(igcd)가 쓰는 것(버전 %s)과 다릅니다: 결과가 화면과 다를 "
                    "수 있으니 igcd와 같은 --%s(또는 IGC_%s)로 실행하십시오 (policy_mismatch) / %s differ from the "
                    "service's\n",
                    k ? "연계 지원사업" : "적용원칙 규칙", dirs[k], igc_rules_version_id(v), svc, what[k],
                    k ? "PROGRAMMES" : "RULES", what[k]);
        igc_rules_release(v);
        free(svc);
    }
}

/* An audit record of a batch command in the store it used (none: no record):
 * who ran it on this machine, what it read and what came of it. The rows' own
 * 사업자등록번호 are not listed (the file is the operator's), only the counts. */
static void audit_batch(igc_app *a, const char *action, cJSON *fields) {
    if (!a->store || !fields) {
        cJSON_Delete(fields);
        return;
    }
    cJSON_AddStringToObject(fields, "taxonomy_version", igc_engine_taxonomy(a->engine)->version);
    cJSON_AddStringToObject(fields, "engine_version", igc_engine_version(a->engine));
    if (igc_app_audit(a, NULL, action, operator_name(), fields) || igc_app_audit_flush(a))
        fprintf(stderr, "igc: 감사 기록을 쓰지 못했습니다 / the audit record was not written\n");
}

static int cmd_classify(igc_app *a, const args *ar) {
    if (!ar->in || !ar->out) return die("classify needs --in FILE.csv and --out FILE.jsonl (or FILE.csv)", NULL);
    int csv = ar->format ? strcmp(ar->format, "csv") == 0 : ends_with_csv(ar->out);
    if (ar->format && !csv && strcmp(ar->format, "jsonl") != 0)
        return die("--format은 jsonl 또는 csv입니다 (unsupported_output) / --format is jsonl or csv", ar->format);
    struct stat si, so;
    if (strcmp(ar->out, "-") && stat(ar->in, &si) == 0 && stat(ar->out, &so) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        return die("결과를 입력 파일에 덮어쓰지 않습니다: --out에 다른 파일 이름을 주십시오 (output_is_input) / "
                   "the output would replace the input",
                   ar->out);
    const char *dot = strrchr(ar->out, '.');
    if (dot && (strcasecmp(dot, ".xlsx") == 0 || strcasecmp(dot, ".xls") == 0))
        return die("엑셀 통합 문서(.xlsx, .xls)로는 쓰지 않습니다: --out 결과.csv(엑셀에서 그대로 열림) 또는 결과.jsonl로 "
                   "지정하십시오 (unsupported_output) / write FILE.csv or FILE.jsonl",
                   ar->out);
    igc_rows *rows;
    igc_buf msg = {0};
    int rc = igc_rows_open_msg(ar->in, &rows, &msg);
    if (rc) {
        die("입력 파일을 읽지 않았습니다 / input refused", msg.data ? msg.data : igc_strerror(rc));
        igc_buf_free(&msg);
        return 2;
    }
    out_file out;
    if ((rc = out_open(&out, ar->out))) {
        igc_rows_close(rows);
        return die("결과 파일을 만들 수 없습니다: 폴더가 있는지, 쓸 권한이 있는지 확인하십시오 (cannot_write_output) / "
                   "cannot write output",
                   ar->out);
    }
    size_t total = igc_rows_count(rows), done = 0, bad = 0;
    int threads = cli_threads(ar);
    enum { BATCH = 512 };
    crow *batch = calloc(BATCH, sizeof *batch);
    if (!batch) {
        igc_rows_close(rows);
        out_close(&out, 0);
        return die("out of memory", NULL);
    }
    if (csv) {
        igc_buf head = {0};
        csv_header(&head);
        fwrite(head.data, 1, head.len, out.f);
        igc_buf_free(&head);
    }
    double t0 = igc_now_ms();
    igc_row r;
    for (;;) {
        size_t n = 0;
        while (n < BATCH && (rc = igc_rows_next(rows, &r)) == 1) {
            crow *cr = &batch[n++];
            cr->doc = row_doc(&r);
            cr->uid = igc_strdup(r.uid);
            cr->company = igc_strdup(r.in.company_name);
        }
        classify_batch(a, batch, n, csv, threads);
        for (size_t i = 0; i < n; i++) {
            if (batch[i].text.len) fwrite(batch[i].text.data, 1, batch[i].text.len, out.f);
            bad += (size_t)batch[i].bad;
            crow_clear(&batch[i]);
        }
        done += n;
        if (n) progress("classify", done, total);
        if (rc != 1) break;
    }
    free(batch);
    double ms = igc_now_ms() - t0;
    if (rc < 0) {
        die("입력 파일을 끝까지 읽지 못해 결과를 쓰지 않았습니다 / input refused", igc_rows_error(rows));
        out_close(&out, 0);
        igc_rows_close(rows);
        return 2;
    }
    igc_rows_close(rows);
    if (ferror(out.f)) {
        out_close(&out, 0);
        return die("결과 파일을 끝까지 쓰지 못했습니다: 디스크 여유를 확인하십시오 (cannot_write_output) / cannot write output",
                   ar->out);
    }
    if (out_close(&out, 1))
        return die("결과 파일을 끝까지 쓰지 못했습니다: 디스크 여유를 확인하십시오 (cannot_write_output) / cannot write output",
                   ar->out);
    fprintf(stderr, "classified %zu rows (%zu errors) in %.1f ms (%.0f rows/s, %d threads)\n", done, bad, ms,
            ms > 0 ? done / (ms / 1000) : 0.0, threads);
    cJSON *f = cJSON_CreateObject();
    char rin[PATH_MAX], rout[PATH_MAX];
    cJSON_AddStringToObject(f, "input", realpath(ar->in, rin) ? rin : ar->in);
    cJSON_AddStringToObject(f, "output", strcmp(ar->out, "-") && realpath(ar->out, rout) ? rout : ar->out);
    cJSON_AddNumberToObject(f, "rows", (double)done);
    cJSON_AddNumberToObject(f, "errors", (double)bad);
    audit_batch(a, "batch.classify", f);
    return 0;
}

static int apply_signals(igc_app *a, const char *list) {
    igc_engine_params p = *igc_engine_get_params(a->engine);
    for (int s = 0; s < IGC_SIG_N; s++) p.use[s] = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int found = 0;
        for (int s = 0; s < IGC_SIG_N; s++)
            if (strcmp(tok, igc_engine_signal_names[s]) == 0) p.use[s] = 1, found = 1;
        if (!found) return IGC_EINVAL;
    }
    /* rebuild the engine with the ablated parameters */
    igc_engine *e;
    int rc = igc_app_engine_new(a, a->enc, &p, &e);
    if (rc) return rc;
    igc_engine_unref(a->engine);
    a->engine = e;
    return 0;
}

/* What is wrong with the labels of one row of a past-judgments file under taxonomy tx,
 * into msg with the row's line and a stable code (the API's where it has one). 0, or
 * IGC_EINVAL. */
static int history_row_check(const igc_taxonomy *tx, const char *path, const igc_row *r, igc_buf *msg) {
    static const char *const col[3] = {"label1", "label2", "label3"};
    const char *item = NULL;
    for (int k = 0; k < 3; k++) {
        if (!*r->labels[k]) continue;
        if (!igc_taxonomy_item(tx, r->labels[k])) {
            igc_buf_printf(msg,
                           "%s %zu번째 줄: %s의 품목코드 '%s'가 현재 분류체계(%s)에 없습니다 (unknown_item). 다른 개정판의 "
                           "코드라면 개편 대응표(crosswalk)에서 지금 개정판의 코드로 바꾸어 가져오십시오",
                           path, r->line, col[k], r->labels[k], tx->version);
            return IGC_EINVAL;
        }
        if (!item) item = r->labels[k];
    }
    if (*r->none_reason && !igc_none_reason_known(r->none_reason)) {
        igc_buf_printf(msg, "%s %zu번째 줄: none_reason '%s'을(를) 알 수 없습니다. " IGC_NONE_REASONS " 중 하나여야 합니다 "
                            "(invalid_none_reason)", path, r->line, r->none_reason);
        return IGC_EINVAL;
    }
    if (*r->none_reason && item) {
        igc_buf_printf(msg, "%s %zu번째 줄: 품목(%s)과 해당 없음 사유(none_reason %s)를 함께 쓸 수 없습니다. 사유는 품목이 "
                            "없을 때만 씁니다 (invalid_none_reason)", path, r->line, item, r->none_reason);
        return IGC_EINVAL;
    }
    if (*r->confidence && strcmp(r->confidence, "high") && strcmp(r->confidence, "medium") && strcmp(r->confidence, "low")) {
        igc_buf_printf(msg, "%s %zu번째 줄: confidence '%s'을(를) 알 수 없습니다. high, medium, low 중 하나이거나 "
                            "빈칸(high)이어야 합니다 (invalid_confidence)", path, r->line, r->confidence);
        return IGC_EINVAL;
    }
    return 0;
}

/* Checks a past-judgments file (history import, eval and tune --history) before any
 * row of it is used: the reader's refusals (encoding, quotes, columns), the label1
 * column, and every row's labels against the engine's taxonomy. All or nothing: a
 * bad row refuses the file, with one message naming its line and code. 0, or 2 with
 * the message printed. */
static int history_file_check(igc_app *a, const char *path) {
    igc_rows *rows = NULL;
    igc_buf msg = {0};
    /* the import reads the file again and warns then (unknown columns, CP949): once is enough */
    igc_log_set_level(a->cfg.log_level > IGC_LOG_ERROR ? a->cfg.log_level : IGC_LOG_ERROR);
    int rc = igc_rows_open_msg(path, &rows, &msg);
    igc_log_set_level(a->cfg.log_level);
    if (!rc && !igc_rows_labelled(rows)) {
        igc_buf_printf(&msg, "%s 1번째 줄: 과거 판별 파일에는 uid와 label1 열이 있어야 하는데 label1 열이 없습니다 "
                             "(missing_label1)", path);
        rc = IGC_EPARSE;
    }
    const igc_taxonomy *tx = igc_engine_taxonomy(a->engine);
    igc_row r;
    while (!rc && (rc = igc_rows_next(rows, &r)) == 1) rc = history_row_check(tx, path, &r, &msg);
    if (rc < 0 && !msg.len) igc_buf_puts(&msg, rows && *igc_rows_error(rows) ? igc_rows_error(rows) : igc_strerror(rc));
    igc_rows_close(rows);
    if (rc < 0) die("과거 판별 파일을 읽지 않았습니다 / past judgments refused", msg.data);
    igc_buf_free(&msg);
    return rc < 0 ? 2 : 0;
}

static int load_history(igc_app *a, const args *ar) {
    if (ar->no_history) return 0;
    if (ar->history) {
        size_t n, skipped;
        int rc = igc_app_import_history(a, ar->history, 0, &n, &skipped);
        if (rc) return rc;
        fprintf(stderr, "history: %zu exemplars from %s (%zu skipped)\n", n, ar->history, skipped);
        return 0;
    }
    struct stat st;
    if (stat(a->cfg.db_dir, &st) == 0) {
        int rc = igc_store_open(a->cfg.db_dir, a->cfg.map_mb, &a->store);
        if (rc) return rc;
        size_t n;
        rc = igc_app_load_exemplars(a, &n);
        fprintf(stderr, "history: %zu exemplars from the store %s\n", n, a->cfg.db_dir);
        return rc;
    }
    fprintf(stderr, "history: none (no --history and no store at %s)\n", a->cfg.db_dir);
    return 0;
}

/* Another system's answers (eval --predictions), one JSON object a line:
 * {uid: string, applicable: boolean, items: [code strings], needs_review: boolean
 * (optional)}. Sorted by uid for lookup; each remembers its line and whether a row of
 * the input used it. */
typedef struct {
    const char *uid; /* in doc */
    cJSON *doc;
    size_t line;
    int used;
} pred_row;

typedef struct {
    pred_row *rows;
    size_t n;
} pred_set;

static int pred_cmp(const void *x, const void *y) {
    const pred_row *a = x, *b = y;
    int c = strcmp(a->uid, b->uid);
    return c ? c : a->line < b->line ? -1 : a->line > b->line;
}

static void pred_free(pred_set *p) {
    for (size_t i = 0; i < p->n; i++) cJSON_Delete(p->rows[i].doc);
    free(p->rows);
    memset(p, 0, sizeof *p);
}

static int pred_key_cmp(const void *key, const void *row) { return strcmp(key, ((const pred_row *)row)->uid); }

/* The answer for uid (uids are unique once read), or NULL. */
static pred_row *pred_find(pred_set *p, const char *uid) {
    return p->n ? bsearch(uid, p->rows, p->n, sizeof *p->rows, pred_key_cmp) : NULL;
}

/* What is wrong with one parsed line, as a Korean message and a stable code; NULL when
 * it is an answer as documented. */
static const char *pred_line_error(const cJSON *o, const char **code) {
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "uid"), *app = cJSON_GetObjectItemCaseSensitive(o, "applicable"),
                *items = cJSON_GetObjectItemCaseSensitive(o, "items"), *rev = cJSON_GetObjectItemCaseSensitive(o, "needs_review"),
                *it;
    *code = "missing_field";
    if (!uid) return "uid 항목이 없습니다";
    if (!app) return "applicable 항목이 없습니다";
    if (!items) return "items 항목이 없습니다";
    *code = "invalid_type";
    if (!cJSON_IsString(uid) || !*uid->valuestring) return "uid는 비어 있지 않은 문자열이어야 합니다";
    if (!cJSON_IsBool(app)) return "applicable은 true 또는 false여야 합니다";
    if (!cJSON_IsArray(items)) return "items는 품목코드 문자열의 배열이어야 합니다";
    cJSON_ArrayForEach(it, items) if (!cJSON_IsString(it) || !*it->valuestring) return "items는 품목코드 문자열의 배열이어야 합니다";
    if (rev && !cJSON_IsBool(rev)) return "needs_review는 true 또는 false여야 합니다";
    return NULL;
}

/* Reads and checks the whole file before anything is scored: a line that is not one
 * such object, a uid twice or a file without answers is refused with its line and
 * code in msg (the caller's message, Korean). 0, or an IGC_E* code with msg set. */
static int read_predictions(const char *path, pred_set *out, igc_buf *msg) {
    memset(out, 0, sizeof *out);
    char *txt;
    size_t len;
    int rc = igc_read_file(path, &txt, &len);
    if (rc) {
        igc_buf_printf(msg, "%s: %s (%s)", path, rc == IGC_ENOTFOUND ? "파일이 없습니다" : "파일을 읽을 수 없습니다",
                       rc == IGC_ENOTFOUND ? "not_found" : "io_error");
        return rc;
    }
    size_t cap = 0, line = 0;
    for (char *p = txt, *nl; !rc && p < txt + len; p = nl + 1) {
        nl = memchr(p, '\n', (size_t)(txt + len - p));
        if (!nl) nl = txt + len;
        line++;
        size_t ll = (size_t)(nl - p);
        while (ll && (p[ll - 1] == '\r' || p[ll - 1] == ' ' || p[ll - 1] == '\t')) ll--;
        size_t lead = 0;
        while (lead < ll && (p[lead] == ' ' || p[lead] == '\t')) lead++;
        if (lead == ll) continue; /* a blank line */
        const char *code = NULL, *what = NULL;
        cJSON *o = NULL;
        const char *end = NULL;
        if (igc_utf8_text_end(p, ll) < ll) {
            code = "invalid_encoding", what = "UTF-8 텍스트가 아닙니다";
        } else if (!(o = cJSON_ParseWithLengthOpts(p, ll, &end, 0)) || !cJSON_IsObject(o) || end != p + ll) {
            code = "invalid_json", what = "한 줄에 JSON 객체 하나가 있어야 합니다 ({\"uid\": ..., \"applicable\": ..., \"items\": [...]})";
        } else {
            what = pred_line_error(o, &code);
        }
        if (!what && out->n == cap) {
            cap = cap ? cap * 2 : 256;
            pred_row *g = realloc(out->rows, cap * sizeof *g);
            if (!g) rc = IGC_ENOMEM, what = "메모리가 부족합니다", code = "out_of_memory";
            else out->rows = g;
        }
        if (what) {
            igc_buf_printf(msg, "%s %zu번째 줄: %s (%s)", path, line, what, code);
            cJSON_Delete(o);
            if (!rc) rc = IGC_EPARSE;
            break;
        }
        out->rows[out->n++] = (pred_row){cJSON_GetObjectItemCaseSensitive(o, "uid")->valuestring, o, line, 0};
    }
    free(txt);
    if (!rc && !out->n) {
        igc_buf_printf(msg, "%s: 답이 한 줄도 없는 빈 파일입니다 (empty_file)", path);
        rc = IGC_EPARSE;
    }
    if (!rc) {
        qsort(out->rows, out->n, sizeof *out->rows, pred_cmp);
        for (size_t i = 1; i < out->n && !rc; i++)
            if (strcmp(out->rows[i].uid, out->rows[i - 1].uid) == 0) {
                igc_buf_printf(msg, "%s %zu번째 줄: uid '%s'의 답이 %zu번째 줄에도 있습니다. 한 회사에 한 줄만 씁니다 (duplicate_uid)",
                               path, out->rows[i].line, out->rows[i].uid, out->rows[i - 1].line);
                rc = IGC_EPARSE;
            }
    }
    if (rc) pred_free(out);
    return rc;
}

static void print_report(FILE *f, const cJSON *r);
static int load_revision(igc_app *a, const char *file, const char *cwfile, cJSON **report, igc_taxonomy **tx,
                         igc_crosswalk **cw, char **txt, size_t *tlen, char **csv, size_t *clen);

/* eval --revision FILE --crosswalk FILE: the engine of that revision over the history
 * seen through the crosswalk (history file, else the store). */
static int eval_revision(igc_app *a, const args *ar) {
    cJSON *report = NULL;
    igc_taxonomy *tx = NULL;
    igc_crosswalk *cw = NULL;
    char *txt = NULL, *csv = NULL;
    size_t tl = 0, cl = 0;
    int rc = load_revision(a, ar->revision, ar->crosswalk, &report, &tx, &cw, &txt, &tl, &csv, &cl);
    free(txt), free(csv);
    if (rc) {
        if (report) print_report(stderr, report);
        cJSON_Delete(report);
        return rc;
    }
    if (!ar->history && !ar->no_history) {
        struct stat st;
        if (stat(a->cfg.db_dir, &st) == 0 && (rc = igc_store_open(a->cfg.db_dir, a->cfg.map_mb, &a->store))) return rc;
    }
    igc_bundle *b = NULL;
    rc = igc_app_bundle_build_from(a, tx, cw, report, ar->no_history ? NULL : ar->history, &b);
    if (!rc) {
        const cJSON *ex = cJSON_GetObjectItem(report, "exemplars"), *e;
        fprintf(stderr, "revision %s: history seen through the crosswalk:", tx->version);
        cJSON_ArrayForEach(e, ex) fprintf(stderr, " %s %d", e->string, e->valueint);
        fputc('\n', stderr);
        b->report = report;
        report = NULL;
        igc_app_bundle_install(a, b);
    }
    cJSON_Delete(report);
    igc_taxonomy_unref(tx);
    return rc;
}

/* The labels of a labelled row under the active revision's crosswalk: one new item
 * where the old one became one; for a split item the part the answer ranks highest
 * when it ranks any (right when the answer is any part), else the first part; removed
 * items drop out. *split (may be NULL) is set when a label was split, *gone when every
 * label was removed. Strings live in the crosswalk. */
static void map_row_labels(const igc_crosswalk *cw, const char *const in[3], const char *const *pred, size_t np,
                           const char *out[3], int *split, int *gone) {
    int n = 0, had = 0;
    *split = 0;
    for (int k = 0; k < 3; k++) {
        out[k] = "";
        const igc_xw_row *rows[64];
        if (!in[k] || !*in[k]) continue;
        had = 1;
        size_t nr = igc_crosswalk_targets(cw, in[k], rows, 64);
        if (nr > 64) nr = 64;
        const char *m = NULL;
        if (nr == 1 && rows[0]->relation != IGC_XW_REMOVED) m = rows[0]->to;
        else if (nr > 1) {
            *split = 1;
            for (size_t p = 0; p < np && !m; p++)
                for (size_t j = 0; j < nr; j++)
                    if (strcmp(pred[p], rows[j]->to) == 0) m = rows[j]->to;
            if (!m) m = rows[0]->to;
        }
        if (m) out[n++] = m;
    }
    for (int k = n; k < 3; k++) out[k] = "";
    *gone = had && n == 0;
}

static int eval_rows(igc_app *a, const args *ar, pred_set *preds);

static int cmd_eval(igc_app *a, const args *ar) {
    if (!ar->in) return die("eval needs --in LABELLED.csv", NULL);
    int rc;
    pred_set preds = {0};
    if (ar->predictions) {
        igc_buf pmsg = {0};
        rc = read_predictions(ar->predictions, &preds, &pmsg);
        if (rc) {
            die("예측 파일을 읽지 않았습니다 / predictions refused", pmsg.data ? pmsg.data : igc_strerror(rc));
            igc_buf_free(&pmsg);
            return 2;
        }
    }
    /* the history file is of the revision in use, also when --revision maps it */
    if (ar->history && !ar->no_history && history_file_check(a, ar->history)) {
        pred_free(&preds);
        return 2;
    }
    rc = eval_rows(a, ar, ar->predictions ? &preds : NULL);
    pred_free(&preds);
    return rc;
}

/* eval over the labelled rows of --in: the engine's answers, or preds (may be NULL). */
static int eval_rows(igc_app *a, const args *ar, pred_set *preds) {
    int rc;
    if (ar->signals && (rc = apply_signals(a, ar->signals))) return die("bad --signals (lexical,dense,knn,ksic_prior,lexicon,cases)", NULL);
    if (ar->revision || ar->crosswalk) {
        if (!ar->revision || !ar->crosswalk) return die("eval needs both --revision FILE and --crosswalk FILE", NULL);
        if ((rc = eval_revision(a, ar))) return die("cannot build the revision", igc_strerror(rc));
    } else if ((rc = load_history(a, ar))) {
        return die("과거 판별을 읽지 못했습니다 / cannot load history", igc_strerror(rc));
    }
    const igc_crosswalk *xw = ar->revision ? a->bundle->crosswalk : NULL;
    size_t split_rows = 0, split_top1 = 0, removed_rows = 0;
    igc_rows *rows;
    igc_buf msg = {0};
    if ((rc = igc_rows_open_msg(ar->in, &rows, &msg))) {
        die("입력 파일을 읽지 않았습니다 / input refused", msg.data ? msg.data : igc_strerror(rc));
        igc_buf_free(&msg);
        return 2;
    }
    if (!igc_rows_labelled(rows)) {
        igc_rows_close(rows);
        return die("eval needs a labelled file (column label1)", NULL);
    }
    igc_eval *ev = NULL, *ev_rank = NULL, *ev_sure = NULL; /* ev_rank: the ranking alone, as if every row were
                                                            * applicable; ev_sure: the rows decided alone
                                                            * (needs_review false) */
    if (igc_eval_new(&ev) || igc_eval_new(&ev_rank) || igc_eval_new(&ev_sure)) {
        igc_rows_close(rows);
        igc_eval_free(ev), igc_eval_free(ev_rank), igc_eval_free(ev_sure);
        return die("out of memory", NULL);
    }
    size_t flagged = 0;
    size_t done = 0;
    /* are the probabilities the answers state borne out? P(applicable) over all rows,
     * the rank-1 item's score over rows with a label */
    igc_calib cal_app = {0}, cal_rank1 = {0};
    igc_row r;
    double ms = 0;
    igc_buf errs = {0};
    size_t uncovered = 0; /* rows preds has no answer for */
    igc_buf uncovered_uids = {0};
    while ((rc = igc_rows_next(rows, &r)) == 1) {
        cJSON *doc = row_doc(&r);
        igc_req req;
        igc_verr ve;
        const char *pred[3] = {0};
        size_t np = 0;
        int app = 0, review = 0;
        cJSON *res = NULL;
        if (preds) {
            /* another system's answers, looked up by uid: the same metrics for a peer */
            pred_row *pw = pred_find(preds, r.uid);
            if (!pw) {
                /* never scored as "not applicable": the run is refused below */
                if (uncovered++ < 5) igc_buf_printf(&uncovered_uids, "%s%s", uncovered > 1 ? ", " : "", r.uid);
                cJSON_Delete(doc);
                continue;
            }
            pw->used = 1;
            const cJSON *pr = pw->doc;
            app = cJSON_IsTrue(cJSON_GetObjectItem(pr, "applicable"));
            review = cJSON_IsTrue(cJSON_GetObjectItem(pr, "needs_review")); /* routing, when the peer has one */
            cJSON *it;
            cJSON_ArrayForEach(it, cJSON_GetObjectItem(pr, "items")) if (np < 3 && cJSON_IsString(it)) pred[np++] =
                it->valuestring;
        } else if (igc_req_from_json(a, doc, 0, &req, &ve) == 0) {
            double t0 = igc_now_ms();
            char key[300];
            snprintf(key, sizeof key, "hist:%s", r.uid);
            if (igc_app_classify_excluding(a, &req, ar->loo ? key : NULL, 0, &res) == 0) {
                ms += igc_now_ms() - t0;
                app = cJSON_IsTrue(cJSON_GetObjectItem(res, "applicable"));
                review = cJSON_IsTrue(cJSON_GetObjectItem(res, "needs_review"));
                cJSON *it;
                cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "items")) if (np < 3) pred[np++] =
                    cJSON_GetObjectItem(it, "code")->valuestring;
            }
            igc_req_free(&req);
        }
        const char *const *labels = r.labels;
        const char *mapped[3];
        if (xw) {
            int split = 0, gone = 0;
            map_row_labels(xw, r.labels, pred, np, mapped, &split, &gone);
            if (gone) {
                /* its item was removed: the row's truth under the new revision is unknown */
                removed_rows++;
                cJSON_Delete(res);
                cJSON_Delete(doc);
                continue;
            }
            labels = mapped;
            if (split) {
                split_rows++;
                split_top1 += app && np && strcmp(pred[0], mapped[0]) == 0;
            }
        }
        int has = *labels[0] || *labels[1] || *labels[2];
        int hit1 = has && np && (!strcmp(pred[0], labels[0]) || !strcmp(pred[0], labels[1]) || !strcmp(pred[0], labels[2]));
        if (res) {
            igc_calib_add(&cal_app, cJSON_GetNumberValue(cJSON_GetObjectItem(res, "p_applicable")), has);
            const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "items"), 0);
            if (has && first) igc_calib_add(&cal_rank1, cJSON_GetNumberValue(cJSON_GetObjectItem(first, "score")), hit1);
        }
        igc_eval_add(ev, labels, app, pred, np);
        igc_eval_add(ev_rank, labels, 1, pred, np);
        if (review) flagged++;
        else igc_eval_add(ev_sure, labels, app, pred, np);
        if (ar->errors) {
            int ok = has ? app && hit1 : !app;
            if (!ok)
                igc_buf_printf(&errs, "  %-6s %s | truth=%-8s pred=%-8s %s | %s\n", r.uid, r.in.company_name,
                               has ? labels[0] : r.none_reason, app && np ? pred[0] : "-", app ? "" : "(n/a)",
                               r.in.main_product);
        }
        cJSON_Delete(res);
        cJSON_Delete(doc);
        progress("eval", ++done, 0);
    }
    if (done) fputc('\n', stderr); /* after the progress counter */
    if (uncovered && rc >= 0) {
        igc_buf m = {0};
        igc_buf_printf(&m, "%s: --in의 %zu행에 답이 없습니다 (uid %s%s). 모든 행에 한 줄씩 답이 있어야 합니다 "
                           "(missing_predictions)", ar->predictions, uncovered, uncovered_uids.data,
                       uncovered > 5 ? " ..." : "");
        die("예측 파일을 채점하지 않았습니다 / predictions refused", m.data);
        igc_buf_free(&m);
        igc_buf_free(&uncovered_uids);
        igc_buf_free(&errs);
        igc_eval_free(ev), igc_eval_free(ev_rank), igc_eval_free(ev_sure);
        igc_rows_close(rows);
        return 2;
    }
    igc_buf_free(&uncovered_uids);
    if (preds) {
        size_t extra = 0;
        for (size_t i = 0; i < preds->n; i++) extra += !preds->rows[i].used;
        if (extra)
            fprintf(stderr, "igc: 예측 파일의 %zu줄은 --in에 없는 uid라 채점하지 않았습니다 / %zu predictions for uids "
                            "not in the input were left out\n", extra, extra);
    }
    if (xw)
        fprintf(stderr,
                "under %s: labels mapped through the crosswalk; %zu rows with a split label (right when the answer is any "
                "of its parts): top-1 %zu of %zu (%.3f); %zu rows left out (their item was removed)\n",
                a->bundle->version, split_rows, split_top1, split_rows, split_rows ? (double)split_top1 / (double)split_rows : 0.0,
                removed_rows);
    igc_eval_metrics m, mr, mu;
    igc_eval_compute(ev, &m);
    igc_eval_compute(ev_rank, &mr);
    igc_eval_compute(ev_sure, &mu);
    /* routing: the share the service decides alone and how often it is right there */
    double auto_share = m.rows ? (double)mu.rows / (double)m.rows : 0;
    if (ar->json) {
        printf("{\"rows\":%zu,\"labelled\":%zu,\"accuracy\":%.4f,\"top1\":%.4f,\"top3\":%.4f,\"macro_f1\":%.4f,"
               "\"micro_f1\":%.4f,\"weighted_f1\":%.4f,"
               "\"na_precision\":%.4f,\"na_recall\":%.4f,\"rank_top1\":%.4f,\"rank_top3\":%.4f,\"needs_review\":%zu,"
               "\"accuracy_unflagged\":%.4f,\"auto_share\":%.4f,\"auto_accuracy\":%.4f,"
               "\"ece_applicable\":%.4f,\"ece_rank1\":%.4f,\"split_rows\":%zu,\"split_top1\":%zu,\"removed_rows\":%zu,"
               "\"taxonomy_version\":\"%s\",\"ms_per_row\":%.4f}\n",
               m.rows, m.labelled, m.accuracy, m.top1, m.top3, m.macro_f1, m.micro_f1, m.weighted_f1, m.na_precision,
               m.na_recall, mr.top1, mr.top3, flagged, mu.accuracy, auto_share, mu.accuracy, igc_calib_ece(&cal_app),
               igc_calib_ece(&cal_rank1), split_rows, split_top1, removed_rows, a->bundle->version,
               done ? ms / (double)done : 0.0);
    } else {
        printf("file        %s\nengine      %s\nrules       %s\nrows        %zu (%zu with an item, %zu not applicable)\n"
               "accuracy    %.3f\ntop-1       %.3f\ntop-3       %.3f\nmacro-F1    %.3f (%zu items)\n"
               "micro-F1    %.3f (items and 'not applicable' as classes: the accuracy again)\n"
               "weighted-F1 %.3f (the same classes, each weighted by its rows)\n"
               "n/a prec.   %.3f\nn/a recall  %.3f\nranking alone (every row treated as applicable): top-1 %.3f, "
               "top-3 %.3f\ndecided alone: %zu of %zu rows (%.3f), accuracy there %.3f; %zu flagged for review\n"
               "ms per row  %.3f\n",
               ar->in, ar->predictions ? ar->predictions : igc_engine_version(a->engine),
               ar->predictions ? "n/a (predictions file)" : a->rules ? "on" : "off", m.rows, m.labelled, m.none_rows,
               m.accuracy, m.top1, m.top3, m.macro_f1, m.items_in_labels, m.micro_f1, m.weighted_f1, m.na_precision,
               m.na_recall, mr.top1, mr.top3, mu.rows, m.rows, auto_share, mu.accuracy, flagged,
               done ? ms / (double)done : 0.0);
        if (igc_calib_count(&cal_app)) {
            igc_buf t = {0};
            igc_buf_printf(&t, "calibration: stated probability against the share that came true\n"
                               "P(applicable), %zu rows, expected error %.3f\n",
                           igc_calib_count(&cal_app), igc_calib_ece(&cal_app));
            igc_calib_table(&cal_app, &t);
            igc_buf_printf(&t, "rank-1 score, %zu rows with an item, expected error %.3f\n", igc_calib_count(&cal_rank1),
                           igc_calib_ece(&cal_rank1));
            igc_calib_table(&cal_rank1, &t);
            printf("%s", t.data ? t.data : "");
            igc_buf_free(&t);
        }
        if (ar->errors) {
            igc_buf conf = {0};
            igc_eval_confusions(ev, &conf, (size_t)ar->errors);
            printf("most frequent confusions (truth -> predicted rank 1, '-' = not applicable):\n%s", conf.data ? conf.data : "");
            printf("errors:\n%s", errs.data ? errs.data : "");
            igc_buf_free(&conf);
        }
    }
    igc_buf_free(&errs);
    igc_eval_free(ev);
    igc_eval_free(ev_rank);
    igc_eval_free(ev_sure);
    int ret = rc < 0 ? die("입력 파일을 끝까지 읽지 못했습니다 / input refused", igc_rows_error(rows)) : 0;
    igc_rows_close(rows);
    return ret;
}

static void train_progress(void *ud, const char *stage, double fr) {
    (void)ud;
    static char last[64];
    static int lastpct = -1;
    int pct = (int)(fr * 100);
    if (strcmp(last, stage) == 0 && pct == lastpct) return;
    /* into a log file: a line per stage and per quarter, not a counter */
    if (!isatty(2) && strcmp(last, stage) == 0 && pct / 25 == lastpct / 25) return;
    snprintf(last, sizeof last, "%s", stage);
    lastpct = pct;
    fprintf(stderr, isatty(2) ? "\rtrain: %-24s %3d%%%s" : "train: %-24s %3d%%\n%s", stage, pct,
            isatty(2) && pct >= 100 ? "\n" : "");
}

static int cmd_train(const igc_config *cfg, const args *ar) {
    const char *out = ar->out ? ar->out : cfg->model;
    struct stat st;
    if (ar->if_missing && stat(out, &st) != 0) {
        /* the first build: no model yet is the normal state, not an error to log */
        fprintf(stderr, "train: no model at %s yet: training it once (a few minutes)\n", out);
    } else if (ar->if_missing) {
        igc_embed_model *m;
        if (igc_embed_load(out, &m) == 0) {
            igc_embed_free(m);
            fprintf(stderr, "train: %s is present and valid; nothing to do\n", out);
            return 0;
        }
    }
    igc_embed_train_opts o;
    igc_embed_train_defaults(&o, cfg->data_dir);
    if (ar->seed) o.seed = (uint64_t)ar->seed;
    if (ar->epochs) o.epochs = (int)ar->epochs;
    if (ar->dim) o.dim = (int)ar->dim;
    if (ar->sources && !(o.sources = igc_embed_sources_parse(ar->sources)))
        return die("bad --sources (taxonomy,ksic,companies,history,general,lexicon,cases)", NULL);
    o.threads = 2;
    o.progress = train_progress;
    /* make the model's directory */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0', mkdir(dir, 0755);
    igc_buf rep = {0};
    double t0 = igc_now_ms();
    int rc = igc_embed_train(&o, out, &rep);
    if (rc) {
        igc_buf_free(&rep);
        return die("training failed", igc_strerror(rc));
    }
    fprintf(stderr, "train: wrote %s in %.1f s\n", out, (igc_now_ms() - t0) / 1000);
    if (rep.data) printf("%s\n", rep.data);
    igc_buf_free(&rep);
    return 0;
}

static void tune_progress(void *ud, size_t done) {
    (void)ud;
    progress("tune", done, 0);
}

/* Leave-one-out on history is only honest for the dense signal when the embedding
 * never saw the row: for each fold, train a model without every TUNE_HOLDOUT-th
 * history row (offset by the fold) and score those rows only. */
#define TUNE_HOLDOUT 4

static int tuning_engine(igc_app *a, const args *ar, int fold, igc_encoder **enc_out, igc_engine **out) {
    igc_embed_train_opts o;
    igc_embed_train_defaults(&o, a->cfg.data_dir);
    /* the fold models must be trained like the model in use */
    if (ar->seed) o.seed = (uint64_t)ar->seed;
    if (ar->epochs) o.epochs = (int)ar->epochs;
    if (ar->dim) o.dim = (int)ar->dim;
    if (ar->sources && !(o.sources = igc_embed_sources_parse(ar->sources))) return IGC_EINVAL;
    o.holdout_mod = TUNE_HOLDOUT;
    o.holdout_fold = fold;
    o.threads = 2;
    o.progress = train_progress;
    igc_embed_model *m;
    int rc = igc_embed_train_model(&o, NULL, NULL, &m);
    if (rc) return rc;
    if ((rc = igc_embed_encoder(m, enc_out))) {
        igc_embed_free(m);
        return rc;
    }
    rc = igc_app_engine_new(a, *enc_out, igc_engine_get_params(a->engine), out);
    if (rc) igc_encoder_free(*enc_out);
    return rc;
}

static int cmd_tune(igc_app *a, const args *ar) {
    if (!ar->history) return die("tune needs --history FILE.csv", NULL);
    int folds = ar->folds > 0 ? (int)ar->folds : TUNE_HOLDOUT, rc = 0;
    const char *model = a->enc ? a->enc->version : "none";
    if (ar->signals && (rc = apply_signals(a, ar->signals))) return die("bad --signals (lexical,dense,knn,ksic_prior,lexicon,cases)", NULL);
    if (ar->if_missing) {
        /* fitted weights belong to one model: refit only when it changed */
        igc_engine_params old;
        igc_engine_params_default(&old);
        if (igc_engine_params_load(ar->out ? ar->out : a->cfg.params, &old) == 0 && strcmp(old.model, model) == 0) {
            fprintf(stderr, "tune: parameters for model %s are present; nothing to do\n", model);
            return 0;
        }
    }
    /* refused before minutes of training, not after */
    if (history_file_check(a, ar->history)) return 2;
    if (folds > TUNE_HOLDOUT) folds = TUNE_HOLDOUT;
    igc_tune_set *set;
    if (igc_tune_set_new(&set)) return die("out of memory", NULL);
    if (!a->enc) {
        /* no embedding: every history row can be scored leave-one-out */
        if (!(rc = load_history(a, ar))) {
            igc_tune_opts o = {ar->history, 0, 0, tune_progress, NULL};
            rc = igc_tune_collect(set, a->engine, &o);
        }
    }
    for (int fold = 0; a->enc && fold < folds && !rc; fold++) {
        fprintf(stderr, "tune: fold %d of %d\n", fold + 1, folds);
        igc_encoder *enc;
        igc_engine *saved = a->engine, *e;
        if ((rc = tuning_engine(a, ar, fold, &enc, &e))) break;
        a->engine = e;
        if (!(rc = load_history(a, ar))) {
            igc_tune_opts o = {ar->history, TUNE_HOLDOUT, fold, tune_progress, NULL};
            rc = igc_tune_collect(set, e, &o);
        }
        a->engine = saved;
        igc_engine_unref(e);
        igc_encoder_free(enc);
    }
    fputc('\n', stderr);
    igc_engine_params p;
    igc_buf rep = {0};
    if (!rc) rc = igc_tune_fit(set, igc_engine_get_params(a->engine), &p, &rep);
    if (!rc) snprintf(p.model, sizeof p.model, "%s", model);
    if (!rc && ar->rows_out && (rc = igc_tune_rows_write(set, ar->rows_out))) {
        igc_tune_set_free(set);
        igc_buf_free(&rep);
        return die("cannot write --rows-out", igc_strerror(rc));
    }
    igc_tune_set_free(set);
    if (rc) {
        igc_buf_free(&rep);
        return die("tuning failed", igc_strerror(rc));
    }
    const char *out = ar->out ? ar->out : a->cfg.params;
    rc = igc_engine_params_save(out, &p);
    printf("%s", rep.data ? rep.data : "");
    igc_buf_free(&rep);
    if (rc) return die("cannot write parameters", igc_strerror(rc));
    fprintf(stderr, "tune: wrote %s\n", out);
    return 0;
}

static int cmd_history(igc_app *a, const char *sub, const args *ar) {
    if (sub && strcmp(sub, "import") == 0) {
        if (!ar->in) return die("history import needs FILE.csv", NULL);
        if (history_file_check(a, ar->in)) return 2;
        size_t n, skipped;
        int rc = igc_app_import_history(a, ar->in, 1, &n, &skipped);
        if (rc) return die("과거 판별을 저장하지 못했습니다 / import failed", igc_strerror(rc));
        igc_store_stats st = {0};
        igc_store_stat(a->store, &st);
        printf("imported %zu past judgments from %s (%zu rows skipped: no usable label); the store now holds %zu exemplars\n",
               n, ar->in, skipped, st.exemplars);
        cJSON *f = cJSON_CreateObject();
        char rin[PATH_MAX];
        cJSON_AddStringToObject(f, "input", realpath(ar->in, rin) ? rin : ar->in);
        cJSON_AddNumberToObject(f, "imported", (double)n);
        cJSON_AddNumberToObject(f, "skipped", (double)skipped);
        audit_batch(a, "history.import", f);
        return 0;
    }
    if (sub && strcmp(sub, "stats") == 0) {
        const igc_taxonomy *tx = igc_engine_taxonomy(a->engine);
        size_t with = 0;
        printf("exemplars   %zu (not applicable: %zu)\n", igc_engine_exemplar_count(a->engine), igc_engine_none_count(a->engine));
        printf("%-8s %6s  %s\n", "item", "count", "name");
        for (size_t i = 0; i < tx->nitems; i++) {
            size_t n = igc_engine_label_count(a->engine, &tx->items[i]);
            if (!n) continue;
            with++;
            printf("%-8s %6zu  %s\n", tx->items[i].code, n, tx->items[i].name);
        }
        printf("items with at least one exemplar: %zu of %zu\n", with, tx->nitems);
        return 0;
    }
    return die("history needs 'import FILE.csv' or 'stats'", NULL);
}

static int cmd_rules_test(const igc_config *cfg, const char *dir, igc_rules_kind kind) {
    igc_buf rep = {0};
    int failed = 0, total = 0;
    const char *dflt = kind == IGC_RULES_KIND_PROGRAMMES ? cfg->programmes_dir : cfg->rules_dir;
    igc_rules_limits lim = {.places = igc_region_places()};
    int rc = igc_rules_test_dir_kind(dir ? dir : dflt, kind, &lim, &rep, &failed, &total);
    printf("%s", rep.data ? rep.data : "");
    /* a load error counts as one failure of zero tests: none ran */
    if (failed > total)
        printf(kind == IGC_RULES_KIND_PROGRAMMES
                   ? "지원사업 파일을 읽지 못해 시험을 하나도 돌리지 못했습니다 / the programmes did not load: no test ran\n"
                   : "규칙을 읽지 못해 시험을 하나도 돌리지 못했습니다 / the rules did not load: no test ran\n");
    else printf("%d passed, %d failed\n", total - failed, failed);
    igc_buf_free(&rep);
    return rc || failed ? 1 : 0;
}

/* Validates a lexicon file (default: the staff's copy, else the data directory's
 * seed) and prints the collision report; 2 when it does not load. */
static int cmd_lexicon_check(const igc_config *cfg, const char *file) {
    igc_ksic *k = NULL;
    igc_taxonomy *tx = NULL;
    char txpath[PATH_MAX + 32], path[PATH_MAX + 64];
    if (cfg->taxonomy[0]) snprintf(txpath, sizeof txpath, "%s", cfg->taxonomy);
    else snprintf(txpath, sizeof txpath, "%s/taxonomy/igc-v6.json", cfg->data_dir);
    /* the revision the service's store has active (the 7th after a switch): its dictionary
     * names that revision's codes */
    struct stat sdb;
    igc_store *store = NULL;
    char *active = NULL;
    if (!cfg->taxonomy[0] && stat(cfg->db_dir, &sdb) == 0 && igc_store_open(cfg->db_dir, cfg->map_mb, &store) == 0 &&
        igc_store_meta_get(store, "taxonomy.active", &active) == 0 && strchr(active, '/') == NULL) {
        char rp[PATH_MAX + 32];
        snprintf(rp, sizeof rp, "%s/revisions/%s/taxonomy.json", cfg->db_dir, active);
        if (stat(rp, &sdb) == 0) snprintf(txpath, sizeof txpath, "%s", rp);
    }
    free(active);
    if (store) igc_store_close(store);
    igc_buf e = {0};
    int rc = igc_ksic_load(cfg->data_dir, &k);
    if (rc) return die("cannot read the KSIC tables", igc_strerror(rc));
    if ((rc = igc_taxonomy_load(txpath, &tx, &e))) {
        die("cannot read the taxonomy", e.data ? e.data : igc_strerror(rc));
        igc_buf_free(&e);
        igc_ksic_free(k);
        return 1;
    }
    if (file) {
        snprintf(path, sizeof path, "%s", file);
    } else {
        static igc_app shell; /* the path convention lives with the app */
        shell.cfg = *cfg;
        igc_config_finish(&shell.cfg); /* beside the store, as igcd finds it */
        igc_app_lexicon_path(&shell, tx, path, sizeof path);
        struct stat st;
        if (stat(path, &st) != 0) {
            fprintf(stderr, "igc: %s does not exist yet (igcd seeds it at its first start); checking the seed\n", path);
            snprintf(path, sizeof path, "%s/taxonomy/igc-v%d-lexicon.jsonl", cfg->data_dir, tx->revision);
        }
    }
    igc_lexicon *lx = NULL;
    rc = igc_lexicon_load(path, tx, k, &lx, &e);
    int ret = 0;
    if (rc) {
        fprintf(stderr, "igc: 색인어 사전을 읽을 수 없습니다 / the lexicon does not load: %s\n%s\n", path,
                e.data ? e.data : igc_strerror(rc));
        ret = 2;
    } else {
        igc_buf rep = {0};
        size_t n = 0;
        rc = igc_lexicon_check(lx, k, &rep, &n);
        printf("%s%s", path, "\n");
        fputs(rep.data ? rep.data : "", stdout);
        igc_buf_free(&rep);
        if (rc) ret = die("lexicon check failed", igc_strerror(rc));
    }
    igc_lexicon_unref(lx);
    igc_buf_free(&e);
    igc_taxonomy_unref(tx);
    igc_ksic_free(k);
    return ret;
}

typedef struct {
    const char *since;
    size_t n;
} audit_ctx;

static int audit_cb(void *ud, const char *key, const char *json, size_t len) {
    audit_ctx *c = ud;
    (void)key;
    if (c->since) {
        cJSON *o = cJSON_ParseWithLength(json, len);
        const char *at = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "at"));
        int skip = !at || strcmp(at, c->since) < 0;
        cJSON_Delete(o);
        if (skip) return 0;
    }
    fwrite(json, 1, len, stdout);
    fputc('\n', stdout);
    c->n++;
    return ferror(stdout) ? IGC_EIO : 0;
}

/* A date YYYY-MM-DD, or an ISO time starting with one. */
static int date_ok(const char *d) {
    if (!d || strlen(d) < 10) return 0;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? d[i] != '-' : (d[i] < '0' || d[i] > '9')) return 0;
    return 1;
}

/* An audit record of a change made on the server's console (the operator is
 * the system account running igc). */
static void audit_user(igc_store *s, const char *action, const char *name, const char *role) {
    cJSON *o = cJSON_CreateObject();
    char now[21];
    igc_iso_now(now);
    cJSON_AddStringToObject(o, "at", now);
    cJSON_AddStringToObject(o, "action", action);
    cJSON_AddStringToObject(o, "user", operator_name());
    cJSON_AddStringToObject(o, "object", name);
    if (role) cJSON_AddStringToObject(o, "role", role);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (t && igc_store_audit_append(s, t, strlen(t))) fprintf(stderr, "igc: the audit record was not written\n");
    free(t);
}

/* users, audit and judgments: commands on the store alone (no model, no rules). */
static int cmd_store(const igc_config *cfg, const char *cmd, const char *sub, const char *arg, const args *ar) {
    int users = strcmp(cmd, "users") == 0, audit = strcmp(cmd, "audit") == 0;
    if (users && (!sub || (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "revoke"))))
        return die("users 다음에는 'add 이름 --role 역할', 'list', 'revoke 이름' 중 하나를 씁니다 / users needs add, list or revoke", NULL);
    if (audit && (!sub || strcmp(sub, "export"))) return die("audit 다음에는 'export [--since 날짜]'를 씁니다 / audit needs export", NULL);
    if (!users && !audit && (!sub || strcmp(sub, "purge"))) return die("judgments 다음에는 'purge --before 날짜'를 씁니다 / judgments needs purge", NULL);
    int role = 0;
    if (users && strcmp(sub, "list") != 0 && !igc_auth_name_ok(arg))
        return die("사용자 이름은 영문자·숫자와 . _ - @로 된 1~64자입니다 / a user name is 1-64 of A-Z a-z 0-9 . _ - @", arg);
    if (users && strcmp(sub, "add") == 0 && !(role = igc_auth_role_parse(ar->role)))
        return die("--role은 examiner(심사역), reviewer(검토자), policy(정책 담당), admin(관리자) 중 하나입니다 / --role must be examiner, reviewer, policy or admin", ar->role);
    if (users && strcmp(sub, "add") == 0 && ar->days && (ar->days < 1 || ar->days > 3650))
        return die("--days는 1~3650일입니다 / --days must be 1..3650", NULL);
    if (audit && ar->since && !date_ok(ar->since)) return die("--since는 YYYY-MM-DD 형식의 날짜입니다 / --since must be YYYY-MM-DD", ar->since);
    if (!users && !audit && !date_ok(ar->before)) return die("purge에는 --before YYYY-MM-DD(이 날짜 전의 판별을 지움)가 필요합니다 / purge needs --before YYYY-MM-DD", ar->before);
    /* only adding the first user may make a store; the rest read or change one that exists
     * (an export from a mistyped --db was an empty file and a new store) */
    struct stat sdb;
    if (!(users && strcmp(sub, "add") == 0) && stat(cfg->db_dir, &sdb) != 0) {
        fprintf(stderr, "igc: 저장소 %s가 없습니다: --db로 서비스의 저장소를 주십시오 (store_not_found) / no such store\n",
                cfg->db_dir);
        return 2;
    }
    igc_store *s;
    int rc = igc_store_open(cfg->db_dir, cfg->map_mb, &s);
    if (rc) {
        igc_buf m = {0};
        if (access(cfg->db_dir, W_OK) != 0) { /* LMDB writes its lock file even to read */
            igc_app_not_writable(&m, cfg->db_dir, rc);
            fprintf(stderr, "igc: %s (읽기만 하려면 쓸 수 있는 곳에 복사해 쓰십시오)\n", m.data ? m.data : "");
            igc_buf_free(&m);
        } else
            fprintf(stderr, "igc: 저장소 %s를 열지 못했습니다 / cannot open the store: %s\n", cfg->db_dir, igc_strerror(rc));
        return 1;
    }
    int ret = 0;
    if (users && strcmp(sub, "add") == 0) {
        char tok[IGC_AUTH_TOKEN_SIZE];
        unsigned days = (unsigned)(ar->days ? ar->days : (long)cfg->token_days);
        rc = igc_auth_user_add(s, arg, role, days ? days : 90, tok);
        if (rc == IGC_EEXIST) ret = die("같은 이름의 사용자가 있습니다(먼저 revoke하십시오) / an active user has that name", arg);
        else if (rc) ret = die("사용자를 만들지 못했습니다 / cannot add the user", igc_strerror(rc));
        if (!rc) {
            audit_user(s, "user.add", arg, igc_auth_role_name(role));
            printf("user %s (%s) added; token valid %u days. Give it to the user now: it is not stored.\n%s\n", arg,
                   igc_auth_role_name(role), days ? days : 90, tok);
        }
    } else if (users && strcmp(sub, "revoke") == 0) {
        rc = igc_auth_user_revoke(s, arg);
        if (rc == IGC_ENOTFOUND) ret = die("그런 이름의 사용자가 없습니다 / no active user of that name", arg);
        else if (rc) ret = die("사용자를 해지하지 못했습니다 / cannot revoke the user", igc_strerror(rc));
        else {
            audit_user(s, "user.revoke", arg, NULL);
            printf("user %s revoked\n", arg);
        }
    } else if (users) {
        cJSON *arr = igc_auth_user_list(s);
        const cJSON *u;
        if (!arr) ret = die("cannot read the users", NULL);
        cJSON_ArrayForEach(u, arr) {
            const char *rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "revoked_at"));
            printf("%-24s %-9s created %s expires %s%s%s\n",
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "name")),
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "role")),
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "created_at")),
                   cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "expires_at")), rv ? " revoked " : "",
                   rv ? rv : (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "active")) ? "" : " expired"));
        }
        cJSON_Delete(arr);
    } else if (audit) {
        audit_ctx c = {ar->since, 0};
        rc = igc_store_audit_foreach(s, audit_cb, &c);
        if (rc) ret = die("cannot read the audit log", igc_strerror(rc));
    } else {
        igc_app a;
        memset(&a, 0, sizeof a);
        a.cfg = *cfg;
        a.store = s;
        size_t n = 0;
        rc = igc_app_judgment_purge(&a, operator_name(), ar->before, ar->all, &n);
        if (rc) ret = die("purge failed (nothing deleted)", igc_strerror(rc));
        else printf("%zu judgment(s) deleted\n", n);
    }
    igc_store_close(s);
    return ret;
}

/* Prints a staging report for people: what is wrong, then what staff should review. */
static void print_report(FILE *f, const cJSON *r) {
    const cJSON *tj = cJSON_GetObjectItem(r, "taxonomy"), *cj = cJSON_GetObjectItem(r, "crosswalk"), *e;
    fprintf(f, "개편 검사 / revision check: %s -> %s\n",
            cJSON_GetStringValue(cJSON_GetObjectItem(r, "from")) ? cJSON_GetStringValue(cJSON_GetObjectItem(r, "from")) : "?",
            cJSON_GetStringValue(cJSON_GetObjectItem(r, "version")) ? cJSON_GetStringValue(cJSON_GetObjectItem(r, "version")) : "?");
    if (cJSON_GetObjectItem(tj, "error")) fprintf(f, "분류체계 오류: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(tj, "error")));
    else if (tj)
        fprintf(f, "분류체계: 테마 %d, 분야 %d, 품목 %d\n", cJSON_GetObjectItem(tj, "themes")->valueint,
                cJSON_GetObjectItem(tj, "fields")->valueint, cJSON_GetObjectItem(tj, "items")->valueint);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(cj, "errors")) fprintf(f, "대응표 오류: %s\n", e->valuestring);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(cj, "warnings")) fprintf(f, "대응표 경고: %s\n", e->valuestring);
    const cJSON *sum = cJSON_GetObjectItem(cj, "summary");
    if (sum) {
        fprintf(f, "대응표: %d줄 (", cJSON_GetObjectItem(sum, "rows")->valueint);
        int first = 1;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(sum, "relations")) fprintf(f, "%s%s %d", first ? "" : ", ", e->string, e->valueint), first = 0;
        fprintf(f, ")\n");
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "rules")) fprintf(f, "규칙 오류: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")));
    const cJSON *lx = cJSON_GetObjectItem(r, "lexicon");
    if (lx && cJSON_GetObjectItem(lx, "version")) {
        fprintf(f, "색인어 사전 %s: 새 개편에 없는 코드의 품목 %d개 (대응표로 옮김), 삭제 품목 %d개의 색인어는 옮기지 않음, 품목 연결(confusable) %d개 빠짐\n",
                cJSON_GetStringValue(cJSON_GetObjectItem(lx, "version")),
                cJSON_GetObjectItem(lx, "items_with_codes_the_revision_lacks")->valueint,
                cJSON_GetObjectItem(lx, "removed_items_with_terms")->valueint,
                cJSON_GetObjectItem(lx, "confusable_links_dropped")->valueint);
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(lx, "removed_items"))
            fprintf(f, "  삭제 품목 %s %s: 색인어 %d개 (사전 %d번째 줄)\n", cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")),
                    cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")), cJSON_GetObjectItem(e, "terms")->valueint,
                    cJSON_GetObjectItem(e, "line")->valueint);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(lx, "review"))
        fprintf(f, "검토 (%s) %s %s: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(e, "kind")),
                cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")), cJSON_GetStringValue(cJSON_GetObjectItem(e, "name")),
                cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")));
    const cJSON *ex = cJSON_GetObjectItem(r, "exemplars");
    if (ex) {
        fprintf(f, "과거 판별:");
        cJSON_ArrayForEach(e, ex) fprintf(f, " %s %d", e->string, e->valueint);
        fprintf(f, "\n");
    }
    fprintf(f, "%s\n", cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")) ? "결과: 올바름 / valid" : "결과: 고칠 것이 있음 / NOT valid");
}

/* Reads the revision and crosswalk files and checks them against the app's revision. */
static int load_revision(igc_app *a, const char *file, const char *cwfile, cJSON **report, igc_taxonomy **tx,
                         igc_crosswalk **cw, char **txt, size_t *tlen, char **csv, size_t *clen) {
    int rc = igc_read_file(file, txt, tlen);
    if (rc) return die("개편 분류체계 파일을 읽을 수 없습니다 / cannot read the revision file", file), rc;
    rc = igc_read_file(cwfile, csv, clen);
    if (rc) return die("대응표 파일을 읽을 수 없습니다 / cannot read the crosswalk", cwfile), rc;
    size_t skip = *clen >= 3 && memcmp(*csv, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    rc = igc_app_revision_check(a, *txt, *tlen, *csv + skip, *clen - skip, report, tx, cw);
    size_t bad = igc_utf8_text_end(*txt, *tlen);
    cJSON *tj = *report ? cJSON_GetObjectItem(*report, "taxonomy") : NULL;
    if (bad < *tlen && cJSON_GetObjectItem(tj, "error")) {
        /* the parser refuses the file without saying where: the line, for the people fixing it */
        size_t line = 1;
        for (size_t i = 0; i < bad; i++) line += (*txt)[i] == '\n';
        char m[PATH_MAX + 200];
        snprintf(m, sizeof m, "%s %zu번째 줄: UTF-8이 아닌 글자가 있습니다. UTF-8로 다시 저장해 주세요 (invalid_encoding)",
                 file, line);
        cJSON_ReplaceItemInObject(tj, "error", cJSON_CreateString(m));
    }
    return rc;
}

static int cmd_taxonomy_check(const igc_config *cfg, const char *file, const args *ar) {
    if (!file || !ar->crosswalk) return die("taxonomy check needs FILE --crosswalk FILE", NULL);
    igc_config c = *cfg;
    c.no_rules = 1; /* the rules are read as files here, never run */
    igc_app app;
    igc_buf err = {0};
    int rc = igc_app_open(&app, &c, 0, &err);
    if (rc) {
        die("cannot start", err.data);
        igc_buf_free(&err);
        igc_app_close(&app);
        return 2;
    }
    igc_buf_free(&err);
    app.cfg.no_rules = cfg->no_rules;
    cJSON *report = NULL;
    char *txt = NULL, *csv = NULL;
    size_t tl = 0, cl = 0;
    rc = load_revision(&app, file, ar->crosswalk, &report, NULL, NULL, &txt, &tl, &csv, &cl);
    free(txt), free(csv);
    int ok = rc == 0 && report && cJSON_IsTrue(cJSON_GetObjectItem(report, "ok"));
    if (report && ar->json) {
        char *j = cJSON_Print(report);
        if (j) puts(j);
        free(j);
    } else if (report) {
        print_report(stdout, report);
    }
    cJSON_Delete(report);
    igc_app_close(&app);
    return ok ? 0 : 1;
}

static void reclass_progress(void *ud, size_t done, size_t total) {
    (void)ud;
    fprintf(stderr, "reclassify: %zu/%zu\n", done, total);
}

static int cmd_reclassify(igc_app *a, const args *ar) {
    int rc;
    if (ar->revision || ar->crosswalk) {
        if (!ar->revision || !ar->crosswalk) return die("reclassify needs both --revision FILE and --crosswalk FILE", NULL);
        cJSON *report = NULL;
        igc_taxonomy *tx = NULL;
        igc_crosswalk *cw = NULL;
        char *txt = NULL, *csv = NULL;
        size_t tl = 0, cl = 0;
        rc = load_revision(a, ar->revision, ar->crosswalk, &report, &tx, &cw, &txt, &tl, &csv, &cl);
        if (rc) {
            if (report) print_report(stderr, report);
            cJSON_Delete(report);
            free(txt), free(csv);
            return 2;
        }
        double t0 = igc_now_ms();
        /* kept with the store, so a later run (or igcd) finds the revision again */
        if (igc_app_revision_save(a, tx->version, txt, tl, csv, cl))
            fprintf(stderr, "igc: the revision's files could not be kept under %s/revisions\n", a->cfg.db_dir);
        rc = igc_app_revision_stage(a, NULL, tx, cw, report);
        char ver[64];
        snprintf(ver, sizeof ver, "%s", tx->version);
        if (!rc) rc = igc_app_revision_activate(a, ver);
        free(txt), free(csv);
        if (rc) return die("cannot build the revision", igc_strerror(rc));
        fprintf(stderr, "reclassify: revision %s built over %zu exemplars in %.0f ms\n", ver,
                igc_engine_exemplar_count(a->engine), igc_now_ms() - t0);
    } else {
        igc_app_revision_restore(a);
    }
    char id[32];
    rc = igc_reclass_resume(a, 0, (size_t)ar->batch, reclass_progress, NULL, id);
    if (rc == IGC_ENOTFOUND || rc == IGC_ESTATE) rc = igc_reclass_start(a, 0, (size_t)ar->batch, reclass_progress, NULL, id);
    if (rc) return die("re-classification failed", igc_strerror(rc));
    cJSON *job = igc_reclass_json(a, id);
    if (!job) return die("re-classification job not found", id);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "job", id);
    cJSON_AddNumberToObject(f, "judgments", cJSON_GetNumberValue(cJSON_GetObjectItem(job, "done")));
    audit_batch(a, "reclassify", f);
    if (ar->json) {
        char *j = cJSON_Print(job);
        if (j) puts(j);
        free(j);
    } else {
        const cJSON *rep = cJSON_GetObjectItem(job, "report"), *e;
        printf("재분류 작업 %s (%s -> %s): %s, %d건\n", id, cJSON_GetStringValue(cJSON_GetObjectItem(job, "from")) ? cJSON_GetStringValue(cJSON_GetObjectItem(job, "from")) : "-",
               cJSON_GetStringValue(cJSON_GetObjectItem(job, "to")), cJSON_GetStringValue(cJSON_GetObjectItem(job, "state")),
               cJSON_GetObjectItem(job, "done")->valueint);
        if (rep) {
            printf("엔진과 대응표 일치 %d건 (%.1f%%), 검토 필요 %d건\n", cJSON_GetObjectItem(rep, "agree")->valueint,
                   100 * cJSON_GetObjectItem(rep, "agreement")->valuedouble, cJSON_GetObjectItem(rep, "needs_review")->valueint);
            printf("%-16s %8s %8s %8s\n", "relation", "judgments", "agree", "review");
            cJSON_ArrayForEach(e, cJSON_GetObjectItem(rep, "by_relation"))
                printf("%-16s %8d %8d %8d\n", e->string, cJSON_GetObjectItem(e, "judgments")->valueint,
                       cJSON_GetObjectItem(e, "agree")->valueint, cJSON_GetObjectItem(e, "needs_review")->valueint);
            printf("보고서: %s, %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(rep, "json")),
                   cJSON_GetStringValue(cJSON_GetObjectItem(rep, "csv")));
        }
    }
    int ok = strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(job, "state")), "done") == 0;
    cJSON_Delete(job);
    return ok ? 0 : 2;
}

int main(int argc, char **argv) {
    igc_config cfg;
    igc_config_init(&cfg);
    args ar = {0};
    const char *pos[4] = {0};
    int npos = 0, want_help = 0;
    igc_buf err = {0};
    for (int i = 1; i < argc;) {
        int rc = igc_config_option(&cfg, argc, argv, &i, &err);
        if (rc < 0) return die(err.data, NULL);
        if (rc == 1) continue;
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name, field)                                              \
    if (strcmp(a, name) == 0) {                                       \
        if (!v) return die(name " needs a value", NULL);              \
        ar.field = v;                                                 \
        i += 2;                                                       \
        continue;                                                     \
    }
#define NUM(name, field)                                              \
    if (strcmp(a, name) == 0) {                                       \
        if (!v) return die(name " needs a value", NULL);              \
        long long n_;                                                 \
        if (igc_parse_ll(v, &n_))                                     \
            return die(name "에는 정수를 주십시오 / " name " needs a whole number", v); \
        ar.field = n_;                                                \
        i += 2;                                                       \
        continue;                                                     \
    }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            want_help = 1; /* of the command, when one is named */
            i++;
            continue;
        }
        OPT("--in", in) OPT("--out", out) OPT("--predictions", predictions) OPT("--history", history) OPT("--signals", signals) OPT("--sources", sources)
        OPT("--rows-out", rows_out) OPT("--crosswalk", crosswalk) OPT("--revision", revision) NUM("--batch", batch)
        OPT("--format", format) OPT("--role", role) OPT("--since", since) OPT("--before", before)
        NUM("--days", days)
        if (strcmp(a, "--all") == 0) { ar.all = 1; i++; continue; }
        NUM("--seed", seed) NUM("--epochs", epochs) NUM("--dim", dim) NUM("--errors", errors) NUM("--folds", folds)
        if (strcmp(a, "--threads") == 0) {
            /* 0 would silently mean "every core", the default: refused like any count below 1 */
            long long t;
            if (!v || igc_parse_ll(v, &t) || t < 1)
                return die("--threads에는 1 이상의 정수를 주십시오 / --threads needs a whole number of at least 1", v ? v : "");
            ar.threads = t;
            i += 2;
            continue;
        }
        if (strcmp(a, "--no-history") == 0) { ar.no_history = 1; i++; continue; }
        if (strcmp(a, "--no-rules") == 0) { cfg.no_rules = 1; i++; continue; }
        if (strcmp(a, "--no-lexicon") == 0) { cfg.no_lexicon = 1; i++; continue; }
        if (strcmp(a, "--json") == 0) { ar.json = 1; i++; continue; }
        if (strcmp(a, "--loo") == 0) { ar.loo = 1; i++; continue; }
        if (strcmp(a, "--if-missing") == 0) { ar.if_missing = 1; i++; continue; }
        if (a[0] == '-' && a[1]) return die("unknown option (see --help)", a);
        if (npos < 4) pos[npos++] = a;
        i++;
#undef OPT
#undef NUM
    }
    igc_buf_free(&err);
    if (npos && strcmp(pos[0], "help") == 0) {
        want_help = 1;
        memmove(pos, pos + 1, sizeof pos - sizeof *pos);
        npos--;
    }
    if (want_help) {
        if (!npos) {
            help(stdout);
            return 0;
        }
        if (command_help(stdout, pos[0])) return die("unknown command (see igc --help)", pos[0]);
        return 0;
    }
    if (!npos) {
        help(stderr);
        return 2;
    }
    const char *cmd = pos[0];
    if (strcmp(cmd, "train") == 0) return cmd_train(&cfg, &ar);
    if (strcmp(cmd, "rules") == 0) {
        if (npos < 2 || strcmp(pos[1], "test") != 0) return die("rules needs 'test [DIR]'", NULL);
        return cmd_rules_test(&cfg, npos > 2 ? pos[2] : NULL, IGC_RULES_KIND_POLICY);
    }
    if (strcmp(cmd, "programmes") == 0) {
        if (npos < 2 || strcmp(pos[1], "test") != 0) return die("programmes needs 'test [DIR]'", NULL);
        return cmd_rules_test(&cfg, npos > 2 ? pos[2] : NULL, IGC_RULES_KIND_PROGRAMMES);
    }
    if (strcmp(cmd, "lexicon") == 0) {
        if (npos < 2 || strcmp(pos[1], "check") != 0) return die("lexicon needs 'check [FILE]'", NULL);
        return cmd_lexicon_check(&cfg, npos > 2 ? pos[2] : NULL);
    }
    if (strcmp(cmd, "users") == 0 || strcmp(cmd, "audit") == 0 || strcmp(cmd, "judgments") == 0)
        return cmd_store(&cfg, cmd, npos > 1 ? pos[1] : NULL, npos > 2 ? pos[2] : NULL, &ar);
    if (strcmp(cmd, "taxonomy") == 0) {
        if (npos < 2 || strcmp(pos[1], "check") != 0) return die("taxonomy needs 'check FILE --crosswalk FILE'", NULL);
        return cmd_taxonomy_check(&cfg, npos > 2 ? pos[2] : NULL, &ar);
    }
    int flags = IGC_APP_RULES;
    if (strcmp(cmd, "reclassify") == 0) {
        flags = IGC_APP_STORE | IGC_APP_EXEMPLARS;
    } else if (strcmp(cmd, "history") == 0) {
        /* import writes to the store only (re-importing replaces by key); stats reads it */
        flags = IGC_APP_STORE | (npos > 1 && strcmp(pos[1], "stats") == 0 ? IGC_APP_EXEMPLARS : 0);
        if (npos > 2 && !ar.in) ar.in = pos[2];
    } else if (strcmp(cmd, "tune") == 0) {
        flags = 0;
    } else if (strcmp(cmd, "classify") == 0) {
        /* the service's store gives the past judgments; none is created for a batch run */
        struct stat sb;
        if (stat(cfg.db_dir, &sb) == 0) flags |= IGC_APP_STORE | IGC_APP_EXEMPLARS;
        else
            fprintf(stderr, "igc: 저장소 %s가 없어 과거 판별 없이 분류합니다: 정확도가 크게 낮습니다. 서비스의 저장소를 "
                            "--db로 주십시오 (no_past_judgments) / no store: classifying without past judgments\n",
                    cfg.db_dir);
    } else if (strcmp(cmd, "eval") != 0) {
        return die("unknown command (see --help)", cmd);
    }
    igc_app app;
    igc_buf oerr = {0};
    int rc = igc_app_open(&app, &cfg, flags, &oerr);
    if (rc) {
        die("cannot start", oerr.data);
        igc_buf_free(&oerr);
        igc_app_close(&app);
        return 1;
    }
    igc_buf_free(&oerr);
    int ret;
    /* batch classification answers, and imported judgments are checked and stored, under
     * the revision the service has active */
    int importing = strcmp(cmd, "history") == 0 && npos > 1 && strcmp(pos[1], "import") == 0;
    if ((strcmp(cmd, "classify") == 0 || importing) && igc_app_revision_restore(&app)) {
        if (importing) {
            fprintf(stderr, "igc: 저장소의 활성 분류체계 개정판을 복원하지 못해 가져오지 않았습니다 "
                            "(<저장소>/revisions/ 확인; revision_not_restored) / the active revision could not be restored\n");
            igc_app_close(&app);
            return 1;
        }
        fprintf(stderr, "igc: the active revision could not be restored; classifying under %s\n", app.bundle->version);
    }
    if (strcmp(cmd, "classify") == 0) warn_policy_differs(&app);
    if (strcmp(cmd, "classify") == 0) ret = cmd_classify(&app, &ar);
    else if (strcmp(cmd, "eval") == 0) ret = cmd_eval(&app, &ar);
    else if (strcmp(cmd, "tune") == 0) ret = cmd_tune(&app, &ar);
    else if (strcmp(cmd, "reclassify") == 0) ret = cmd_reclassify(&app, &ar);
    else ret = cmd_history(&app, npos > 1 ? pos[1] : NULL, &ar);
    igc_app_close(&app);
    return ret;
}
