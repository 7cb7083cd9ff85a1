/* streams.c -- /api/v1/streams: list, read, add, change and remove
 * streams at runtime, and each stream's latest analysed frame.
 *
 * Design: the body of POST is a config stream entry and PATCH a merge
 * patch of one; both go through the config's own validator
 * (vd_stream_config_from_json / _patch), so a key means the same in the
 * YAML file and in the API, and a 400 names the key the same way. The
 * stream objects come from vd_json_stream, whose URL is redacted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static enum MHD_Result reply_stream(vd_req *r, unsigned status, const char *id)
{
    vd_stream_status info;
    vd_error err = {0};
    int rc = vd_runtime_stream_get(r->rt, id, &info, &err);
    if (rc)
        return vd_api_error(r, vd_api_status_of(rc), "%s", err.msg);
    return vd_api_reply_json(r, status, vd_json_stream(&info));
}

/* The JSON object of a body, or NULL after answering 400. */
static json_t *body_object(vd_req *r, enum MHD_Result *ret)
{
    json_error_t je;
    json_t *obj = r->body_len ? json_loadb(r->body, r->body_len, 0, &je) : NULL;
    if (!r->body_len)
        *ret = vd_api_error(r, 400, "body: empty; expected a JSON object");
    else if (!obj)
        *ret = vd_api_error(r, 400, "body: invalid JSON at line %d column %d: %s", je.line,
                            je.column, je.text);
    else if (!json_is_object(obj)) {
        json_decref(obj);
        obj = NULL;
        *ret = vd_api_error(r, 400, "body: expected a JSON object");
    }
    return obj;
}

enum MHD_Result vd_api_streams_list(vd_req *r)
{
    json_t *list = json_array();
    int n = vd_runtime_stream_count(r->rt);
    for (int i = 0; i < n; i++) {
        vd_stream_status info;
        if (vd_runtime_stream_at(r->rt, i, &info) == 0)
            json_array_append_new(list, vd_json_stream(&info));
    }
    return vd_api_reply_json(r, 200, json_pack("{s:o}", "streams", list));
}

enum MHD_Result vd_api_streams_get(vd_req *r)
{
    return reply_stream(r, 200, r->params[0]);
}

enum MHD_Result vd_api_streams_create(vd_req *r)
{
    enum MHD_Result ret;
    json_t *obj = body_object(r, &ret);
    if (!obj)
        return ret;
    vd_stream_config sc;
    memset(&sc, 0, sizeof sc);
    vd_error err = {0};
    int rc = vd_stream_config_from_json(&sc, obj, vd_runtime_config(r->rt), &err);
    json_decref(obj);
    if (rc)
        return vd_api_error(r, 400, "%s", err.msg);
    char id[VD_STORE_ID_MAX];
    snprintf(id, sizeof id, "%s", sc.id);
    rc = vd_runtime_stream_add(r->rt, &sc, &err);
    if (rc) {
        vd_stream_config_free(&sc);
        if (rc == 1)
            return vd_api_error(r, 409, "stream '%s' exists; PATCH or DELETE it instead", id);
        return vd_api_error(r, vd_api_status_of(rc), "%s", err.msg);
    }
    return reply_stream(r, 201, id);
}

enum MHD_Result vd_api_streams_patch(vd_req *r)
{
    const char *id = r->params[0];
    vd_stream_status info;
    vd_error err = {0};
    int rc = vd_runtime_stream_get(r->rt, id, &info, &err);
    if (rc)
        return vd_api_error(r, vd_api_status_of(rc), "%s", err.msg);
    enum MHD_Result ret;
    json_t *patch = body_object(r, &ret);
    if (!patch)
        return ret;
    vd_stream_config sc;
    memset(&sc, 0, sizeof sc);
    rc = vd_stream_config_copy(&sc, info.config, &err);
    if (!rc)
        rc = vd_stream_config_patch(&sc, patch, vd_runtime_config(r->rt), &err);
    json_decref(patch);
    if (rc) {
        vd_stream_config_free(&sc);
        return vd_api_error(r, rc == VD_ENOMEM ? 500 : 400, "%s", err.msg);
    }
    rc = vd_runtime_stream_update(r->rt, id, &sc, &err); /* takes sc on success, as add */
    if (rc) {
        vd_stream_config_free(&sc);
        return vd_api_error(r, vd_api_status_of(rc), "%s", err.msg);
    }
    return reply_stream(r, 200, id);
}

enum MHD_Result vd_api_streams_delete(vd_req *r)
{
    vd_error err = {0};
    int rc = vd_runtime_stream_remove(r->rt, r->params[0], &err);
    if (rc)
        return vd_api_error(r, vd_api_status_of(rc), "%s", err.msg);
    return vd_api_reply_empty(r, 204);
}

enum MHD_Result vd_api_streams_snapshot(vd_req *r)
{
    vd_error err = {0};
    int annotate = 0;
    if (vd_api_arg_bool(r, "annotate", &annotate, &err))
        return vd_api_error(r, 400, "%s", err.msg);
    void *jpeg = NULL;
    size_t n = 0;
    int rc = vd_runtime_stream_snapshot(r->rt, r->params[0], annotate, &jpeg, &n, &err);
    if (rc == VD_EOF)
        return vd_api_error(r, 404, "stream '%s' has no analysed frame yet", r->params[0]);
    if (rc)
        return vd_api_error(r, vd_api_status_of(rc), "%s", err.msg);
    return vd_api_reply_bytes(r, 200, "image/jpeg", jpeg, n);
}
