/* events.c -- /api/v1/events: the event lifecycle (new, update, end) as
 * stored, one event, and its best snapshot.
 *
 * Design: an event's "snapshot_box" is the box in the snapshot's own frame
 * (not the best box of the event, which may come from another frame:
 * frigate#2574), so a client can draw it on the JPEG it downloads. */
#include <stdlib.h>

#include "api.h"

static json_t *events_page(vd_req *r, const vd_store_query *q, int *rc, vd_error *err)
{
    vd_store_event *rows = NULL;
    int n = 0;
    char *next = NULL;
    if ((*rc = vd_store_query_events(vd_runtime_store(r->rt), q, &rows, &n, &next, err)))
        return NULL;
    json_t *list = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(list, vd_json_event(&rows[i]));
    free(rows);
    return vd_api_page(list, "events", next);
}

enum MHD_Result vd_api_events_list(vd_req *r)
{
    vd_store_query q = {0};
    vd_error err = {0};
    int in_progress = -1;
    if (vd_api_store_query(r, &q, &err) || vd_api_arg_bool(r, "in_progress", &in_progress, &err))
        return vd_api_error(r, 400, "%s", err.msg);
    q.in_progress = in_progress;
    return vd_api_list_reply(r, &q, events_page);
}

/* The {id} segment of /events/{id}, or 0 after answering 400. */
static int64_t event_id(vd_req *r, enum MHD_Result *ret)
{
    int64_t id = 0;
    if (vd_api_parse_id(r->params[0], &id))
        *ret = vd_api_error(r, 400, "id: '%s' is not a positive integer", r->params[0]);
    return id;
}

enum MHD_Result vd_api_events_get(vd_req *r)
{
    enum MHD_Result ret = MHD_NO;
    int64_t id = event_id(r, &ret);
    if (!id)
        return ret;
    vd_store_event e;
    vd_error err = {0};
    int rc = vd_store_get_event(vd_runtime_store(r->rt), id, &e, &err);
    if (rc)
        return vd_api_store_error(r, rc, &err);
    return vd_api_reply_json(r, 200, vd_json_event(&e));
}

enum MHD_Result vd_api_events_snapshot(vd_req *r)
{
    enum MHD_Result ret = MHD_NO;
    int64_t id = event_id(r, &ret);
    if (!id)
        return ret;
    void *jpeg = NULL;
    size_t n = 0;
    vd_error err = {0};
    int rc = vd_store_get_snapshot(vd_runtime_store(r->rt), id, &jpeg, &n, &err);
    if (rc)
        return vd_api_store_error(r, rc, &err);
    return vd_api_reply_bytes(r, 200, "image/jpeg", jpeg, n);
}
