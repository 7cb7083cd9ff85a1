/* health.c -- GET /api/v1/health: the one endpoint without a token, for
 * load balancers, systemd and `curl` while the daemon starts.
 *
 * Design: it answers 503 {"status": "starting"} until the runtime is
 * ready, so a probe can wait for readiness and liveness alike. */
#include "api.h"

#ifndef VD_VERSION
#define VD_VERSION "0.1.0"
#endif

enum MHD_Result vd_api_health(vd_req *r)
{
    int ready = vd_runtime_ready(r->rt);
    /* auth: whether the other endpoints want the token, so a client (the
     * console) can ask for it before its first request instead of after a 401. */
    json_t *body = json_pack("{s:s,s:s,s:f,s:b}", "status", ready ? "ok" : "starting", "version",
                             VD_VERSION, "uptime_s", vd_api_uptime(r->srv), "auth",
                             r->srv->token_len > 0);
    return vd_api_reply_json(r, ready ? 200 : 503, body);
}
