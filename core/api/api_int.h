/* Internal to igc_api: what the route table (api.c) and the handlers (api_*.c) share. */
#ifndef IGC_API_INT_H
#define IGC_API_INT_H

#include "igc_api.h"

/* Who makes the request being handled: set by the guard around each handler, per
 * thread; a handler that queues work captures it first (workers have none). */
extern _Thread_local const igc_user *igc__api_user;
/* The caller's name for records, NULL in open mode. */
const char *igc__api_who(void);

/* Answers status with o as the body (o is consumed; NULL answers 500 out_of_memory). */
void igc__api_send_json(igc_http_response *res, int status, cJSON *o);
/* Answers a validation error: its status, code, Korean message and fields. */
void igc__api_send_verr(igc_http_response *res, const igc_verr *e);
/* 0 when a POST's content type, if given, is JSON; else answers 415 and returns -1. */
int igc__api_check_json_type(const igc_http_request *req, igc_http_response *res);
/* A POST's body as a JSON object (an empty body is {}); NULL with the error sent
 * (415 for another content type, 400 invalid_json for anything but an object). */
cJSON *igc__api_body_object(const igc_http_request *req, igc_http_response *res);
/* Content type, body and the screen's fields of a classify or save request; -1 with
 * the error already in res. */
int igc__api_parse_request(igc_app *a, const igc_http_request *req, igc_http_response *res, igc_req *r, cJSON **doc);
/* Runs run(job) on libuv's thread pool and answer(job, res) back on the loop, then
 * done(job); all three at once, here, when the answer cannot be deferred. */
void igc__api_offload(const igc_http_request *req, igc_http_response *res, void *job, void (*run)(void *),
                      void (*answer)(void *, igc_http_response *), void (*done)(void *));
/* An item by code, ignoring ASCII case and surrounding blanks; NULL when none. */
const igc_tx_item *igc__api_item_by_code(const igc_taxonomy *t, const char *code);
/* The session id of the request's cookie into sid ("" when none). */
void igc__api_cookie_sid(const igc_http_request *req, char sid[40]);

/* ---- the handlers, by file; ud is the igc_app. The route table in api.c says
 * which path and roles each serves. ---- */
/* api_status.c */
void igc__api_healthz(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_readyz(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_status(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_static(void *ud, const igc_http_request *req, igc_http_response *res);
/* api_users.c */
void igc__api_session_get(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_session_post(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_session_delete(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_users(void *ud, const igc_http_request *req, igc_http_response *res);
/* api_taxonomy.c */
void igc__api_taxonomy(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_search(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_item(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_ksic(void *ud, const igc_http_request *req, igc_http_response *res);
/* api_classify.c */
void igc__api_classify(void *ud, const igc_http_request *req, igc_http_response *res);
/* api_judgments.c */
void igc__api_judgment_post(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_judgment_list(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_judgment_get(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_judgment_confirm(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_judgment_void(void *ud, const igc_http_request *req, igc_http_response *res);
/* api_policy.c */
void igc__api_rules(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_rules_reload(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_programmes(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_programmes_reload(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_regions(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_lexicon(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_lexicon_reload(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_lexicon_item(void *ud, const igc_http_request *req, igc_http_response *res);
/* api_revisions.c */
void igc__api_revisions_get(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_revision_post(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_activate(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_rollback(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_reclassify_post(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_reclassify_get(void *ud, const igc_http_request *req, igc_http_response *res);
void igc__api_reclassify_report(void *ud, const igc_http_request *req, igc_http_response *res);

#endif
