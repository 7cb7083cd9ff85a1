/* detections.c -- GET /api/v1/detections: committed detections, newest
 * first, filtered, one keyset page at a time.
 *
 * Design: the server only validates and passes the filters on; the page
 * is the store's keyset query, ordered by (ts, id) with an opaque cursor,
 * so a client paging while rows arrive never sees a row twice or misses
 * one. Only committed rows are returned: whatever a client was given
 * survives a crash; answers are cached by the store's generation (cache.c). */
#include <stdlib.h>

#include "api.h"

int vd_api_store_query(vd_req *r, vd_store_query *q, vd_error *err)
{
    long limit = 100;
    q->stream = vd_api_arg(r, "stream");
    q->label = vd_api_arg(r, "label");
    q->zone = vd_api_arg(r, "zone");
    q->cursor = vd_api_arg(r, "cursor");
    q->in_progress = -1;
    if (vd_api_arg_time(r, "since", &q->since, err) || vd_api_arg_time(r, "until", &q->until, err) ||
        vd_api_arg_int(r, "limit", 1, 1000, &limit, err))
        return VD_EINVAL;
    q->limit = (int)limit;
    return 0;
}

/* A store error on a bad cursor is the client's (400), anything else ours. */
enum MHD_Result vd_api_store_error(vd_req *r, int rc, const vd_error *err)
{
    if (rc == VD_EINVAL)
        return vd_api_error(r, 400, "cursor: %s", err->msg);
    return vd_api_error(r, vd_api_status_of(rc) == 400 ? 500 : vd_api_status_of(rc), "%s",
                        err->msg);
}

json_t *vd_api_page(json_t *rows, const char *key, char *next)
{
    json_t *o = json_pack("{s:o,s:s?}", key, rows, "next_cursor", next);
    free(next);
    return o;
}

enum MHD_Result vd_api_list_reply(vd_req *r, const vd_store_query *q, vd_api_list_fn build)
{
    uint64_t gen = vd_store_generation(vd_runtime_store(r->rt)); /* before the query */
    enum MHD_Result ret;
    if (vd_api_cache_reply(r, gen, &ret))
        return ret;
    vd_error err = {0};
    int rc = 0;
    json_t *page = build(r, q, &rc, &err);
    if (rc)
        return vd_api_store_error(r, rc, &err);
    size_t n;
    char *text = vd_api_dump(page, &n);
    if (!text)
        return vd_api_error(r, 500, "out of memory");
    vd_api_cache_put(r, gen, text, n);
    return vd_api_reply_bytes(r, 200, "application/json", text, n);
}

static json_t *detections_page(vd_req *r, const vd_store_query *q, int *rc, vd_error *err)
{
    vd_store_detection *rows = NULL;
    int n = 0;
    char *next = NULL;
    if ((*rc = vd_store_query_detections(vd_runtime_store(r->rt), q, &rows, &n, &next, err)))
        return NULL;
    json_t *list = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(list, vd_json_detection(&rows[i]));
    free(rows);
    return vd_api_page(list, "detections", next);
}

enum MHD_Result vd_api_detections_list(vd_req *r)
{
    vd_store_query q = {0};
    vd_error err = {0};
    double min_score = 0;
    if (vd_api_store_query(r, &q, &err) ||
        vd_api_arg_double(r, "min_score", 0, 1, &min_score, &err))
        return vd_api_error(r, 400, "%s", err.msg);
    q.min_score = (float)min_score;
    return vd_api_list_reply(r, &q, detections_page);
}
