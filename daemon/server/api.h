/* api.h -- what the API resource files (health.c, streams.c, ...) share
 * with the server core: the request, the route table, the replies.
 *
 * A request (vd_req) lives from the first call of the access handler to
 * MHD's "completed" notification. The core routes it, checks the token,
 * the content type and the body size, collects the body, and only then
 * calls the route's handler once, with the whole body. A handler answers
 * with one of the vd_api_reply_* / vd_api_error calls (which queue the
 * response and return what MHD expects), or suspends the request
 * (vd_api_detect_start) and answers later. Everything runs on the loop
 * thread. */
#ifndef VD_SERVER_API_H
#define VD_SERVER_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "daemon/runtime/runtime.h"
#include "server.h"

#define VD_API_PARAM_MAX 128

typedef struct vd_req vd_req;
typedef enum MHD_Result (*vd_api_fn)(vd_req *r);

enum {
    VD_ROUTE_PUBLIC = 1,      /* no token needed, answered while starting */
    VD_ROUTE_BODY_JSON = 2,   /* application/json body */
    VD_ROUTE_BODY_IMAGE = 4,  /* image/jpeg or image/png body */
    VD_ROUTE_BODY_FORM = 8,   /* multipart/form-data or urlencoded (DeepStack) */
    VD_ROUTE_DEEPSTACK = 16,  /* errors as {"success": false, "error"}; api_key field */
};

typedef struct vd_route {
    const char *method;
    const char *pattern;      /* "/api/v1/streams/{}": {} is one path segment */
    vd_api_fn fn;
    unsigned flags;
} vd_route;

/* routes.c: the table, matching, and the Allow header of a path. */
extern const vd_route vd_api_routes[];
extern const int vd_api_n_routes;
/* The route for method+path, with up to 2 captured segments. *path_known
 * is set when some route has this path (then a missing method is 405 and
 * allow lists the methods, "GET, POST"). */
const vd_route *vd_api_route_match(const char *method, const char *path,
                                   char params[2][VD_API_PARAM_MAX], int *path_known,
                                   char *allow, size_t allow_n);

/* A multipart/urlencoded field kept by the form parser (DeepStack). */
typedef struct vd_api_field {
    char *data;
    size_t len, cap;
    int seen;
} vd_api_field;

struct vd_job;

struct vd_req {
    vd_server *srv;
    vd_runtime *rt;
    struct MHD_Connection *conn;
    const vd_route *route;
    int route_index;
    char params[2][VD_API_PARAM_MAX];
    char allow[64];            /* the Allow header of a 405 */
    uint64_t t0_ns;
    unsigned status;           /* of the queued response; 0 none yet */
    /* body */
    char *body;
    size_t body_len, body_cap;
    int body_too_large;
    int form_bad;              /* the form parser refused the body */
    struct MHD_PostProcessor *pp;
    vd_api_field f_image, f_min_confidence, f_api_key;
    /* async (detection): see vd_api_detect_start */
    struct vd_job *job;
    struct vd_req *job_next;   /* in srv->jobs while the job is in flight */
    int in_handler;
    int dispatched;            /* the handler ran (a resume must not run it again) */
    int deferred;              /* bodiless: begin() runs at the final call */
    int retry_after;           /* s, the Retry-After header of a 429 */
    json_t *late_json;         /* the answer that arrived while suspended */
    unsigned late_status;
};

/* server.c: the server. Internal to daemon/server; resources read it. */
#define VD_API_LAT_BUCKETS 12
extern const double vd_api_lat_le[VD_API_LAT_BUCKETS]; /* seconds */
typedef struct vd_api_route_stats {
    int64_t count;
    int64_t bucket[VD_API_LAT_BUCKETS];
    double sum_s;
    int64_t by_class[6];       /* by status / 100 */
} vd_api_route_stats;

struct vd_live;
struct vd_api_cache_entry;

/* authlimit.c: one client address and its failed tokens in the window. */
#define VD_API_AUTH_SLOTS 256
typedef struct vd_api_auth_slot {
    unsigned char key[16];
    size_t key_len;
    int n;                     /* 401s since start; 0: free */
    double start;              /* s since the server started */
} vd_api_auth_slot;
#define VD_API_CACHE_N 32

struct vd_server {
    uv_loop_t *loop;
    vd_runtime *rt;
    vd_server_opts o;          /* defaults filled in; token points at token_copy */
    char *token_copy;
    size_t token_len;
    struct MHD_Daemon *mhd;
    int port;
    uv_poll_t poll;            /* MHD's epoll fd */
    uv_timer_t timer;          /* MHD_get_timeout, and kicks after a resume */
    uv_timer_t keepalive;      /* SSE comments */
    int open_handles;          /* freed when the last uv_close callback ran */
    int stopping;
    int kicked;                /* vd_api_kick() ran (maybe inside MHD_run) */
    uint64_t t_start_ns;
    vd_api_route_stats *route_stats; /* vd_api_n_routes + 1 (the last: unrouted) */
    struct vd_live *live;      /* SSE clients, a list */
    int n_live;
    int64_t live_dropped, live_sent;
    struct vd_req *jobs;       /* requests with a detection in flight */
    struct vd_api_cache_entry *cache[VD_API_CACHE_N]; /* cache.c */
    unsigned cache_next;
    int64_t cache_hits;
    struct vd_static *www;     /* the web console's files (static.c) */
    vd_api_auth_slot auth[VD_API_AUTH_SLOTS]; /* authlimit.c */
    int64_t auth_refused;      /* 429s answered */
};

double vd_api_uptime(const vd_server *s);
/* Run MHD on the next turn of the loop (after a resume). */
void vd_api_kick(vd_server *s);
/* Constant-time comparison of a presented token with the configured one;
 * 1 when none is configured. */
int vd_api_token_ok(const vd_server *s, const char *presented, size_t n);

/* authlimit.c: 1 (r->retry_after set) when r's address has used up its
 * failed tokens; count one more failure for r's address. */
int vd_api_auth_blocked(vd_req *r);
void vd_api_auth_failed(vd_req *r);

/* reply.c */
/* Queue resp (consumed) with its content type; the common tail of replies. */
enum MHD_Result vd_api_queue(vd_req *r, unsigned status, struct MHD_Response *resp,
                             const char *content_type);
/* Compact JSON text (malloc'ed) of body (consumed); NULL on failure. */
char *vd_api_dump(json_t *body, size_t *n);
enum MHD_Result vd_api_reply_json(vd_req *r, unsigned status, json_t *body); /* steals body */
enum MHD_Result vd_api_reply_bytes(vd_req *r, unsigned status, const char *content_type,
                                   void *data, size_t n); /* takes malloc'ed data */
enum MHD_Result vd_api_reply_empty(vd_req *r, unsigned status);
/* {"error": {"code", "message"}}, the code from the status (one table);
 * for DeepStack routes {"success": false, "error": message}. */
enum MHD_Result vd_api_error(vd_req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The status a runtime/store error code maps to (VD_ENOTFOUND -> 404, ...). */
unsigned vd_api_status_of(int vd_code);
const char *vd_api_code_name(unsigned status);
json_t *vd_api_error_body(unsigned status, const char *message);

/* Query arguments: absent leaves *out unchanged and returns 0; a bad value
 * returns VD_EINVAL with err naming the parameter and the accepted range. */
const char *vd_api_arg(vd_req *r, const char *key);
int vd_api_arg_int(vd_req *r, const char *key, long lo, long hi, long *out, vd_error *err);
int vd_api_arg_double(vd_req *r, const char *key, double lo, double hi, double *out,
                      vd_error *err);
int vd_api_arg_bool(vd_req *r, const char *key, int *out, vd_error *err);
/* epoch seconds or ISO 8601 UTC ("2026-12-06T07:00:00.250Z") */
int vd_api_arg_time(vd_req *r, const char *key, double *out, vd_error *err);
/* A path segment that must be a positive integer id. */
int vd_api_parse_id(const char *s, int64_t *out);

/* detections.c: the filters detections and events share (stream, label,
 * zone, since, until, limit, cursor); 0 or VD_EINVAL naming the parameter. */
int vd_api_store_query(vd_req *r, vd_store_query *q, vd_error *err);
/* A store error: VD_EINVAL is the cursor's (400), VD_ENOTFOUND 404, else 500. */
enum MHD_Result vd_api_store_error(vd_req *r, int rc, const vd_error *err);
/* {key: rows, "next_cursor": next or null}; frees next. */
json_t *vd_api_page(json_t *rows, const char *key, char *next);
/* A list answer: from the cache when the store has not changed, else
 * build() runs the query (*rc: its store error). */
typedef json_t *(*vd_api_list_fn)(vd_req *r, const vd_store_query *q, int *rc, vd_error *err);
enum MHD_Result vd_api_list_reply(vd_req *r, const vd_store_query *q, vd_api_list_fn build);

/* cache.c: list answers by (route, query string, store generation). */
int vd_api_cache_reply(vd_req *r, uint64_t gen, enum MHD_Result *ret); /* 1: answered */
void vd_api_cache_put(vd_req *r, uint64_t gen, const char *body, size_t n);
void vd_api_cache_free(struct vd_api_cache_entry **e);

/* detect.c: on-demand detection through the runtime, shared by
 * /api/v1/detect and the DeepStack routes. The answer is built by
 * `format` on the loop thread when the worker is done, and the suspended
 * request resumes with it. */
typedef json_t *(*vd_job_format)(vd_req *r, const vd_image_result *res, unsigned *status);
enum MHD_Result vd_api_detect_start(vd_req *r, const char *model, float min_score,
                                    const void *data, size_t n, vd_job_format format);
/* Add "damaged": true to a detection answer o when the image was decoded
 * with concealment (absent otherwise, so clean answers are unchanged).
 * Returns o (NULL stays NULL). */
json_t *vd_api_mark_damaged(json_t *o, const vd_image_result *res);
/* A request whose job is in flight is going away: the job is detached and
 * freed by its callback. */
void vd_api_job_detach(vd_req *r);

/* live.c: SSE clients; the server closes them all on stop. */
void vd_api_live_stop_all(vd_server *s);
void vd_api_live_keepalive(vd_server *s);

/* models.c: one model's object, shared by /models and /stats. */
json_t *vd_api_model_json(const vd_model_stats *m);
/* The model of /v1/vision/detection and /api/v1/detect without ?model=:
 * the config's deepstack_model, else the first; NULL without models. */
const char *vd_api_default_model(vd_runtime *rt);

/* Handlers, one file per resource. */
enum MHD_Result vd_api_health(vd_req *r);
enum MHD_Result vd_api_streams_list(vd_req *r);
enum MHD_Result vd_api_streams_get(vd_req *r);
enum MHD_Result vd_api_streams_create(vd_req *r);
enum MHD_Result vd_api_streams_patch(vd_req *r);
enum MHD_Result vd_api_streams_delete(vd_req *r);
enum MHD_Result vd_api_streams_snapshot(vd_req *r);
enum MHD_Result vd_api_detections_list(vd_req *r);
enum MHD_Result vd_api_events_list(vd_req *r);
enum MHD_Result vd_api_events_get(vd_req *r);
enum MHD_Result vd_api_events_snapshot(vd_req *r);
enum MHD_Result vd_api_live(vd_req *r);
enum MHD_Result vd_api_detect(vd_req *r);
enum MHD_Result vd_api_deepstack_detection(vd_req *r);
enum MHD_Result vd_api_deepstack_custom(vd_req *r);
enum MHD_Result vd_api_models(vd_req *r);
enum MHD_Result vd_api_stats_get(vd_req *r);
enum MHD_Result vd_api_metrics(vd_req *r);

#endif
