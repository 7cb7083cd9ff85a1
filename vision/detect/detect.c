/* detect.c -- the detector object: the kind names and the kind guess, the
 * lookup of the adapter's method table, and the post-processing shared by
 * every adapter (map back to source pixels, filters, NMS, sorting, zones).
 *
 * The design choice: a detector resolves its kind to a vd_det_adapter once,
 * at creation, and decodes only through it; every adapter appends
 * candidates in model-input pixels, and finish() here is the single place
 * where geometry, filters and NMS are applied, so the adapters cannot
 * disagree on them. The list and the adapters' helpers are in
 * candidates.c, zones in zone.c. */
#include "adapter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- kinds ---- */

/* indexed by vd_det_kind; VD_DET_AUTO has no adapter */
static const vd_det_adapter *const adapters[] = {
    [VD_DET_YOLOV5] = &det_yolov5,           [VD_DET_YOLOV8] = &det_yolov8,
    [VD_DET_TORCHVISION] = &det_torchvision, [VD_DET_SSD] = &det_ssd,
    [VD_DET_CENTERNET] = &det_centernet,     [VD_DET_CLASSIFY] = &det_classify,
};
#define N_ADAPTERS (int)(sizeof adapters / sizeof adapters[0])

static const vd_det_adapter *adapter_of(vd_det_kind kind)
{
    return (int)kind >= 0 && (int)kind < N_ADAPTERS ? adapters[kind] : NULL;
}

int vd_det_kind_parse(const char *s, vd_det_kind *kind, vd_error *err)
{
    vd_det_kind k = !strcmp(s, "auto") ? VD_DET_AUTO : !strcmp(s, "yolo11") ? VD_DET_YOLOV8 : -1;
    for (int i = 0; i < N_ADAPTERS && (int)k < 0; i++)
        if (adapters[i] && !strcmp(s, adapters[i]->name))
            k = adapters[i]->kind;
    if ((int)k < 0)
        return vd_error_set(err, VD_EINVAL,
                            "unknown detector kind '%s' (expected yolov5, yolov8, yolo11, "
                            "torchvision, ssd, centernet, classify or auto)", s);
    *kind = k;
    return VD_OK;
}

const char *vd_det_kind_name(vd_det_kind kind)
{
    const vd_det_adapter *ad = adapter_of(kind);
    return ad ? ad->name : kind == VD_DET_AUTO ? "auto" : "?";
}

int vd_det_kind_accepts(vd_det_kind kind, int ndim, const int64_t *shape, vd_dtype dtype)
{
    const vd_det_adapter *ad = adapter_of(kind);
    if (!ad || ndim < 0 || ndim > VD_TENSOR_MAX_DIMS || (ndim && !shape))
        return 0;
    vd_tensor t;
    vd_tensor_view(&t, dtype, ndim, shape, NULL);
    return ad->check(ad, &t, 0, NULL) == VD_OK;
}

/* "output [1,100,6]" or "3 outputs", for the guess's message */
static void outputs_str(int n, const int *ndims, const int64_t (*shapes)[VD_TENSOR_MAX_DIMS],
                        char *buf, size_t size)
{
    if (n != 1 || ndims[0] < 0 || ndims[0] > VD_TENSOR_MAX_DIMS) {
        snprintf(buf, size, "%d outputs", n);
        return;
    }
    vd_tensor t;
    char s[96];
    vd_tensor_view(&t, VD_DTYPE_F32, ndims[0], shapes[0], NULL);
    snprintf(buf, size, "output %s", vd_tensor_shape_str(&t, s, sizeof s));
}

int vd_det_kind_guess(int n, const int *ndims, const int64_t (*shapes)[VD_TENSOR_MAX_DIMS],
                      const vd_dtype *dtypes, int n_labels, vd_det_kind *kind, vd_error *err)
{
    const det_outputs o = {n, ndims, shapes, dtypes, n_labels};
    char fit[128] = "", what[128];
    int n_fit = 0;
    vd_det_kind found = VD_DET_AUTO;
    for (int i = 0; i < N_ADAPTERS; i++)
        if (adapters[i] && adapters[i]->looks_like(adapters[i], &o)) {
            found = adapters[i]->kind;
            size_t len = strlen(fit);
            snprintf(fit + len, sizeof fit - len, "%s%s", n_fit++ ? ", " : "", adapters[i]->name);
        }
    if (n_fit == 1) {
        *kind = found;
        return VD_OK;
    }
    outputs_str(n, ndims, shapes, what, sizeof what);
    if (n_fit)
        return vd_error_set(err, VD_EINVAL, "cannot tell the detector kind: %s fits several "
                            "(%s) with %d labels", what, fit, n_labels);
    return vd_error_set(err, VD_EINVAL, "cannot tell the detector kind: %s fit%s no known "
                        "layout with %d labels", what, n == 1 ? "s" : "", n_labels);
}

/* ---- detector ---- */

static int resolve_classes(vd_detector *d, const vd_detector_opts *o, vd_error *err)
{
    if (!o->classes || o->n_classes <= 0)
        return VD_OK;
    d->class_keep = calloc((size_t)(d->labels.count + 1), 1);
    if (!d->class_keep)
        return vd_error_set(err, VD_ENOMEM, "detector: out of memory");
    for (int i = 0; i < o->n_classes; i++) {
        int idx = vd_labels_find(&d->labels, o->classes[i]);
        if (idx < 0)
            return vd_error_set(err, VD_EINVAL, "class '%s' is not in the model's labels (%d labels)",
                                o->classes[i], d->labels.count);
        d->class_keep[idx] = 1;
    }
    return VD_OK;
}

static int copy_labels(vd_labels *dst, const vd_labels *src, vd_error *err)
{
    memset(dst, 0, sizeof *dst);
    if (!src || src->count == 0)
        return VD_OK;
    dst->names = calloc((size_t)src->count, sizeof *dst->names);
    if (!dst->names)
        return vd_error_set(err, VD_ENOMEM, "detector: out of memory");
    dst->count = src->count;
    for (int i = 0; i < src->count; i++)
        if (!(dst->names[i] = strdup(src->names[i] ? src->names[i] : "")))
            return vd_error_set(err, VD_ENOMEM, "detector: out of memory");
    return VD_OK;
}

static int check_opts(const vd_detector_opts *o, vd_error *err)
{
    if (!adapter_of(o->kind))
        return vd_error_set(err, VD_EINVAL, "detector: kind must be resolved (not auto)");
    if (o->input_w <= 0 || o->input_h <= 0)
        return vd_error_set(err, VD_EINVAL, "detector: input size %dx%d is not positive",
                            o->input_w, o->input_h);
    if (o->threshold > 1 || o->iou > 1)
        return vd_error_set(err, VD_EINVAL,
                            "detector: threshold %g and iou %g must be in [0,1]",
                            o->threshold, o->iou);
    if (o->n_zones > VD_DET_MAX_ZONES || o->n_zones < 0)
        return vd_error_set(err, VD_EINVAL, "detector: %d zones (at most %d)", o->n_zones,
                            VD_DET_MAX_ZONES);
    if (o->n_filters < 0 || o->n_classes < 0)
        return vd_error_set(err, VD_EINVAL, "detector: negative filter/class count");
    return VD_OK;
}

static int copy_arrays(vd_detector *d, const vd_detector_opts *o, vd_error *err)
{
    if (o->n_filters > 0) {
        d->filters = malloc((size_t)o->n_filters * sizeof *d->filters);
        if (!d->filters)
            return vd_error_set(err, VD_ENOMEM, "detector: out of memory");
        memcpy(d->filters, o->filters, (size_t)o->n_filters * sizeof *d->filters);
    }
    d->o.filters = d->filters;
    for (int i = 0; i < o->n_zones; i++)
        d->zones[i] = o->zones[i];
    d->o.zones = d->zones;
    d->o.classes = NULL; /* resolved into class_keep */
    return VD_OK;
}

int vd_detector_create(vd_detector **out, const vd_detector_opts *opts,
                       const vd_labels *labels, vd_error *err)
{
    *out = NULL;
    int rc = check_opts(opts, err);
    if (rc)
        return rc;
    vd_detector *d = calloc(1, sizeof *d);
    if (!d)
        return vd_error_set(err, VD_ENOMEM, "detector: out of memory");
    d->o = *opts;
    d->ad = adapter_of(opts->kind);
    if (d->o.threshold < 0)
        d->o.threshold = 0.25f;
    if (d->o.iou < 0)
        d->o.iou = 0.45f;
    if (d->o.max_detections <= 0)
        d->o.max_detections = 100;
    if (d->o.top_k <= 0)
        d->o.top_k = 5;
    if ((rc = copy_labels(&d->labels, labels, err)) || (rc = copy_arrays(d, opts, err)) ||
        (rc = resolve_classes(d, opts, err)) || (d->ad->init && (rc = d->ad->init(d, err)))) {
        vd_detector_free(&d);
        return rc;
    }
    *out = d;
    return VD_OK;
}

void vd_detector_free(vd_detector **pd)
{
    vd_detector *d = *pd;
    if (!d)
        return;
    vd_labels_free(&d->labels);
    free(d->class_keep);
    free(d->filters);
    free(d->anchors);
    free(d);
    *pd = NULL;
}

vd_det_kind vd_detector_kind(const vd_detector *d) { return d->o.kind; }

int vd_detector_zone_count(const vd_detector *d) { return d->o.n_zones; }

const char *vd_detector_zone_name(const vd_detector *d, int z)
{
    return z >= 0 && z < d->o.n_zones ? d->zones[z].name : NULL;
}

/* ---- shared post-processing ---- */

/* Box and keypoints (as zero-size boxes) through vd_box_unmap, which also
 * clips to the source frame. */
static void map_back(const vd_tf_geom *g, vd_detection *x)
{
    vd_box_unmap(&x->bbox, 1, g);
    for (int k = 0; k < x->n_keypoints; k++) {
        vd_box p = {x->keypoints[k][0], x->keypoints[k][1], x->keypoints[k][0],
                    x->keypoints[k][1]};
        vd_box_unmap(&p, 1, g);
        x->keypoints[k][0] = p.x1;
        x->keypoints[k][1] = p.y1;
    }
}

static int passes_filter(const vd_det_filter *f, const vd_detection *x)
{
    float w = x->box[2] - x->box[0], h = x->box[3] - x->box[1];
    float area = w * h, aspect = h > 0 ? w / h : INFINITY;
    if ((f->min_area > 0 && area < f->min_area) || (f->max_area > 0 && area > f->max_area))
        return 0;
    if ((f->min_aspect > 0 && aspect < f->min_aspect) ||
        (f->max_aspect > 0 && aspect > f->max_aspect))
        return 0;
    return 1;
}

static int passes_filters(const vd_detector *d, const vd_detection *x)
{
    for (int i = 0; i < d->o.n_filters; i++) {
        const vd_det_filter *f = &d->filters[i];
        if ((!strcmp(f->label, "*") || !strcmp(f->label, x->name)) && !passes_filter(f, x))
            return 0;
    }
    return 1;
}

/* After any adapter: NMS if the family wants it, map back, filter, sort,
 * cap, zones -- the one place where they happen. */
static int finish(const vd_detector *d, const vd_tf_geom *g, int nms, vd_det_list *out,
                  vd_error *err)
{
    if (!g || g->scale_x <= 0 || g->scale_y <= 0 || g->src_w <= 0 || g->src_h <= 0)
        return vd_error_set(err, VD_EINVAL, "detector: missing or bad preprocessing geometry");
    if (nms && d->o.iou > 0) {
        int rc = det_nms(out, d->o.iou, 1, err);
        if (rc)
            return rc;
    }
    int n = 0;
    for (int i = 0; i < out->count; i++) {
        vd_detection *x = &out->items[i];
        map_back(g, x);
        if (x->box[2] <= x->box[0] || x->box[3] <= x->box[1] || !passes_filters(d, x))
            continue;
        out->items[n++] = *x;
    }
    out->count = n;
    vd_det_list_sort(out);
    if (out->count > d->o.max_detections)
        out->count = d->o.max_detections;
    vd_zones_mark(d->zones, d->o.n_zones, g->src_w, g->src_h, out);
    return VD_OK;
}

/* ---- decode ---- */

int vd_detector_decode(const vd_detector *d, const vd_tensor *outputs, int n_outputs, int b,
                       const vd_tf_geom *geom, vd_det_list *out, vd_error *err)
{
    vd_det_list_clear(out);
    if (n_outputs <= 0 || !outputs)
        return vd_error_set(err, VD_EINVAL, "detector: no model outputs");
    if (b < 0)
        return vd_error_set(err, VD_EINVAL, "detector: batch index %d", b);
    int rc = d->ad->decode(d, outputs, n_outputs, b, out, err);
    if (!rc)
        rc = finish(d, geom, d->ad->nms, out, err);
    if (rc)
        vd_det_list_clear(out);
    return rc;
}
