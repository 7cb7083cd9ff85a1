/* config_json.c -- stream entries as the API sees them: parsed from a JSON
 * body (POST), changed by a merge patch (PATCH), written back as JSON, and
 * copied/compared/freed for the runtime's reload.
 *
 * Design: a PATCH is applied to the entry's own JSON form (RFC 7386 merge
 * patch: null deletes a key) and the result goes through the very parser
 * of POST and of the YAML file, so a patched entry can never hold a value
 * the config file would refuse. */
#define _GNU_SOURCE
#include "config.h"
#include "config_tree.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int vd_stream_config_from_json(vd_stream_config *s, const json_t *obj, const vd_config *cfg,
                               vd_error *err)
{
    vd_cfg_ctx c = {.file = "request", .err = err};
    vd_cfg_node root;
    memset(s, 0, sizeof *s);
    if (!obj || !json_is_object(obj))
        return vd_error_set(err, VD_EINVAL, "request: the body must be a JSON object (a stream "
                            "entry)");
    int rc = vd_cfg_tree_json(&root, obj, err);
    if (rc)
        return rc;
    char *dir = cfg->path ? vd_cfg_dirname(cfg->path) : NULL;
    rc = vd_cfg_parse_stream(&c, &root, "", cfg, dir, s);
    vd_cfg_tree_free(&root);
    free(dir);
    if (!rc && (rc = vd_config_source_allowed(cfg, s->url, err)) != 0) {
        vd_error_prefix(err, "request: url: ");
        vd_stream_config_free(s);
    }
    return rc;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *zones_json(const vd_stream_config *s)
{
    json_t *z = json_object();
    for (int i = 0; i < s->n_zones; i++) {
        json_t *poly = json_array();
        for (int k = 0; k < s->zones[i].n; k++)
            json_array_append_new(poly, json_pack("[f, f]", (double)s->zones[i].pts[k][0],
                                                  (double)s->zones[i].pts[k][1]));
        json_object_set_new(z, s->zones[i].name, poly);
    }
    return z;
}

json_t *vd_stream_config_to_json(const vd_stream_config *s, int redact)
{
    static const char *const bp[] = {NULL, "drop", "block"};
    char url[2048];
    if (redact)
        vd_url_redact(s->url, url, sizeof url);
    json_t *o = json_pack("{s:s, s:s, s:f, s:b, s:b, s:f, s:b}", "id", s->id, "url",
                          redact ? url : s->url, "timeout", s->timeout, "realtime", s->realtime,
                          "loop", s->loop, "fps", s->fps, "track", s->track);
    if (!o)
        return NULL;
    if (s->rtsp_transport)
        json_object_set_new(o, "rtsp_transport", json_string(s->rtsp_transport));
    json_object_set_new(o, "reconnect", json_pack("{s:f, s:f}", "min", s->reconnect_min, "max",
                                                  s->reconnect_max));
    if (s->backpressure != VD_BP_DEFAULT)
        json_object_set_new(o, "backpressure", json_string(bp[s->backpressure]));
    if (s->model) {
        json_t *d = json_pack("{s:s, s:b}", "model", s->model, "enabled", s->detect_enabled);
        if (s->threshold >= 0)
            json_object_set_new(d, "threshold", json_real(s->threshold));
        if (s->classes) {
            json_t *cl = json_array();
            for (int i = 0; i < s->n_classes; i++)
                json_array_append_new(cl, str_or_null(s->classes[i]));
            json_object_set_new(d, "classes", cl);
        }
        json_object_set_new(o, "detect", d);
    }
    json_object_set_new(o, "motion", json_pack("{s:b, s:b}", "gate", s->motion_gate, "detect",
                                               s->motion_detect));
    json_object_set_new(o, "zones", zones_json(s));
    return o;
}

/* RFC 7386: objects merge member by member, null deletes, anything else
 * replaces. */
static void merge_patch(json_t *target, const json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v) {
        json_t *t = json_object_get(target, k);
        if (json_is_null(v))
            json_object_del(target, k);
        else if (json_is_object(v) && json_is_object(t))
            merge_patch(t, v);
        else if (json_is_object(v)) {
            json_t *fresh = json_object();
            merge_patch(fresh, v);
            json_object_set_new(target, k, fresh);
        } else
            json_object_set(target, k, v);
    }
}

int vd_stream_config_patch(vd_stream_config *s, const json_t *patch, const vd_config *cfg,
                           vd_error *err)
{
    if (!patch || !json_is_object(patch))
        return vd_error_set(err, VD_EINVAL, "request: the body must be a JSON object (a merge "
                            "patch of the stream entry)");
    const json_t *id = json_object_get(patch, "id");
    if (id && !(json_is_string(id) && !strcmp(json_string_value(id), s->id)))
        return vd_error_set(err, VD_EINVAL, "request: id: cannot be changed");
    json_t *doc = vd_stream_config_to_json(s, 0);
    if (!doc)
        return vd_error_set(err, VD_ENOMEM, "request: out of memory");
    merge_patch(doc, patch);
    vd_stream_config next;
    int rc = vd_stream_config_from_json(&next, doc, cfg, err);
    json_decref(doc);
    if (rc)
        return rc;
    vd_stream_config_free(s);
    *s = next;
    return 0;
}

static int dup_str(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && !*dst ? VD_ENOMEM : 0;
}

int vd_stream_config_copy(vd_stream_config *dst, const vd_stream_config *src, vd_error *err)
{
    *dst = *src;
    dst->id = dst->url = dst->rtsp_transport = dst->model = NULL;
    dst->classes = NULL;
    dst->zones = NULL;
    dst->n_classes = dst->n_zones = 0;
    int rc = dup_str(&dst->id, src->id) || dup_str(&dst->url, src->url) ||
             dup_str(&dst->rtsp_transport, src->rtsp_transport) ||
             dup_str(&dst->model, src->model);
    if (!rc && src->classes && !(dst->classes = calloc((size_t)src->n_classes + 1, sizeof(char *))))
        rc = 1;
    for (int i = 0; !rc && src->classes && i < src->n_classes; i++, dst->n_classes++)
        rc = dup_str(&dst->classes[i], src->classes[i]);
    if (!rc && src->n_zones) {
        if ((dst->zones = malloc((size_t)src->n_zones * sizeof *dst->zones))) {
            memcpy(dst->zones, src->zones, (size_t)src->n_zones * sizeof *dst->zones);
            dst->n_zones = src->n_zones;
        } else
            rc = 1;
    }
    if (rc) {
        vd_stream_config_free(dst);
        return vd_error_set(err, VD_ENOMEM, "stream entry: out of memory");
    }
    return 0;
}

void vd_stream_config_free(vd_stream_config *s)
{
    if (!s)
        return;
    free(s->id);
    free(s->url);
    free(s->rtsp_transport);
    free(s->model);
    for (int i = 0; s->classes && i < s->n_classes; i++)
        free(s->classes[i]);
    free(s->classes);
    free(s->zones);
    memset(s, 0, sizeof *s);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

int vd_stream_config_equal(const vd_stream_config *a, const vd_stream_config *b)
{
    if (!same_str(a->id, b->id) || !same_str(a->url, b->url) ||
        !same_str(a->rtsp_transport, b->rtsp_transport) || !same_str(a->model, b->model) ||
        a->timeout != b->timeout || a->reconnect_min != b->reconnect_min ||
        a->reconnect_max != b->reconnect_max || a->realtime != b->realtime ||
        a->backpressure != b->backpressure || a->loop != b->loop || a->fps != b->fps ||
        a->threshold != b->threshold || a->detect_enabled != b->detect_enabled ||
        a->motion_gate != b->motion_gate || a->motion_detect != b->motion_detect ||
        a->track != b->track || a->n_classes != b->n_classes || a->n_zones != b->n_zones ||
        !a->classes != !b->classes)
        return 0;
    for (int i = 0; a->classes && i < a->n_classes; i++)
        if (!same_str(a->classes[i], b->classes[i]))
            return 0;
    for (int i = 0; i < a->n_zones; i++) {
        const vd_zone *x = &a->zones[i], *y = &b->zones[i];
        if (strcmp(x->name, y->name) || x->n != y->n ||
            memcmp(x->pts, y->pts, (size_t)x->n * sizeof x->pts[0]))
            return 0;
    }
    return 1;
}
