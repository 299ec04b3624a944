/* igc_api: the HTTP JSON API and the web screens of igcd, over an igc_app. */
#ifndef IGC_API_H
#define IGC_API_H

#include "igc_app.h"
#include "igc_http.h"

/* The one route allowed a body over --max-body (a whole taxonomy revision). */
#define IGC_API_REVISIONS_PATH "/api/v1/taxonomy/revisions"
/* Registers every route on the router; a stays borrowed and must outlive it. */
int igc_api_register(igc_http_router *r, igc_app *a);

#endif
