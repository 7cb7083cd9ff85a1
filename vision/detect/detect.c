/* detect.c -- the detector object, the shared post-processing (map back to
 * source pixels, filters, NMS, zones) and the detection list. The format
 * adapters live in detect_yolo.c (grid/row layouts) and detect_ssd.c
 * (anchors). Every adapter appends candidates in model-input pixels;
 * det_finish() here is the single place where geometry, filters and NMS
 * are applied, so the adapters cannot disagree on them. */
#include "detect.h"
#include "detect_internal.h"
#include "vision/box/box.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- list ---- */

int vd_det_list_push(vd_det_list *l, const vd_detection *d, vd_error *err)
{
    if (l->count == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        vd_detection *p = realloc(l->items, (size_t)cap * sizeof *p);
        if (!p)
            return vd_error_set(err, VD_ENOMEM, "detections: out of memory");
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count++] = *d;
    return VD_OK;
}

void vd_det_list_clear(vd_det_list *l) { l->count = 0; }

void vd_det_list_free(vd_det_list *l)
{
    free(l->items);
    l->items = NULL;
    l->count = l->cap = 0;
}

void vd_det_list_sort(vd_det_list *l)
{
    /* insertion sort: stable, and lists are short after thresholding */
    for (int i = 1; i < l->count; i++) {
        vd_detection t = l->items[i];
        int j = i - 1;
        while (j >= 0 && l->items[j].score < t.score) {
            l->items[j + 1] = l->items[j];
            j--;
        }
        l->items[j + 1] = t;
    }
}

/* ---- kinds ---- */

static const struct {
    const char *name;
    vd_det_kind kind;
} kind_names[] = {
    {"auto", VD_DET_AUTO},       {"yolov5", VD_DET_YOLOV5},
    {"yolov8", VD_DET_YOLOV8},   {"yolo11", VD_DET_YOLOV8},
    {"torchvision", VD_DET_TORCHVISION}, {"ssd", VD_DET_SSD},
    {"centernet", VD_DET_CENTERNET},     {"classify", VD_DET_CLASSIFY},
};

int vd_det_kind_parse(const char *s, vd_det_kind *kind, vd_error *err)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (!strcmp(s, kind_names[i].name)) {
            *kind = kind_names[i].kind;
            return VD_OK;
        }
    return vd_error_set(err, VD_EINVAL,
                        "unknown detector kind '%s' (expected yolov5, yolov8, yolo11, "
                        "torchvision, ssd, centernet, classify or auto)", s);
}

const char *vd_det_kind_name(vd_det_kind kind)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (kind_names[i].kind == kind)
            return kind_names[i].name;
    return "?";
}

/* ---- zones ---- */

int vd_zone_parse(vd_zone *z, const char *spec, vd_error *err)
{
    memset(z, 0, sizeof *z);
    const char *colon = strchr(spec, ':');
    if (!colon || colon == spec || colon - spec >= VD_DET_NAME_MAX)
        return vd_error_set(err, VD_EINVAL,
                            "zone '%s': expected NAME:x1,y1,x2,y2,x3,y3[,...]", spec);
    memcpy(z->name, spec, (size_t)(colon - spec));
    const char *p = colon + 1;
    float v[2 * VD_ZONE_MAX_POINTS];
    int n = 0;
    while (*p) {
        char *end;
        float f = strtof(p, &end);
        if (end == p || (*end && *end != ',') || !isfinite(f) || f < 0 || f > 1)
            return vd_error_set(err, VD_EINVAL,
                                "zone '%s': coordinate %d is not a number in [0,1]", spec, n + 1);
        if (n == 2 * VD_ZONE_MAX_POINTS)
            return vd_error_set(err, VD_EINVAL, "zone '%s': more than %d points", spec,
                                VD_ZONE_MAX_POINTS);
        v[n++] = f;
        p = *end ? end + 1 : end;
    }
    if (n % 2 || n < 6)
        return vd_error_set(err, VD_EINVAL,
                            "zone '%s': need at least 3 x,y pairs (got %d numbers)", spec, n);
    z->n = n / 2;
    for (int i = 0; i < z->n; i++) {
        z->pts[i][0] = v[2 * i];
        z->pts[i][1] = v[2 * i + 1];
    }
    return VD_OK;
}

int vd_zone_contains(const vd_zone *z, float x, float y)
{
    int in = 0;
    for (int i = 0, j = z->n - 1; i < z->n; j = i++) {
        float xi = z->pts[i][0], yi = z->pts[i][1];
        float xj = z->pts[j][0], yj = z->pts[j][1];
        /* half-open in y: an edge covers [min y, max y) */
        if ((yi > y) != (yj > y)) {
            float xc = xi + (y - yi) * (xj - xi) / (yj - yi);
            if (x < xc)
                in = !in;
        }
    }
    return in;
}

void vd_zones_mark(const vd_zone *zones, int n, int src_w, int src_h, vd_det_list *l)
{
    for (int i = 0; i < l->count; i++) {
        vd_detection *x = &l->items[i];
        float px = (x->box[0] + x->box[2]) * 0.5f / (float)src_w;
        float py = x->box[3] / (float)src_h;
        x->zones = 0;
        for (int z = 0; z < n && z < VD_DET_MAX_ZONES; z++)
            if (vd_zone_contains(&zones[z], px, py))
                x->zones |= 1u << z;
    }
}

/* ---- detector ---- */

static void default_ssd(vd_ssd_opts *s, int input_w)
{
    if (s->n_strides == 0) {
        /* MediaPipe: front 128 model {8,16,16,16}, back 256 model {16,32,32,32} */
        int base = input_w >= 256 ? 16 : 8;
        s->n_strides = 4;
        s->strides[0] = base;
        s->strides[1] = s->strides[2] = s->strides[3] = 2 * base;
    }
    if (s->anchors_per_layer <= 0)
        s->anchors_per_layer = 2;
    if (s->anchor_offset == 0)
        s->anchor_offset = 0.5f;
    else if (s->anchor_offset < 0)
        s->anchor_offset = 0;
}

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
    if (o->kind == VD_DET_AUTO || (int)o->kind < 0 || o->kind > VD_DET_CLASSIFY)
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
    if (d->o.threshold < 0)
        d->o.threshold = 0.25f;
    if (d->o.iou < 0)
        d->o.iou = 0.45f;
    if (d->o.max_detections <= 0)
        d->o.max_detections = 100;
    if (d->o.top_k <= 0)
        d->o.top_k = 5;
    if ((rc = copy_labels(&d->labels, labels, err)) || (rc = copy_arrays(d, opts, err)) ||
        (rc = resolve_classes(d, opts, err)))
        goto fail;
    if (d->o.kind == VD_DET_SSD) {
        default_ssd(&d->o.ssd, d->o.input_w);
        if ((rc = det_ssd_anchors(d, err)))
            goto fail;
    }
    *out = d;
    return VD_OK;
fail:
    vd_detector_free(&d);
    return rc;
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

void det_set_label(const vd_detector *d, vd_detection *x, int label)
{
    x->label = label;
    const char *n = vd_labels_name(&d->labels, label);
    if (n && *n)
        snprintf(x->name, sizeof x->name, "%s", n);
    else
        snprintf(x->name, sizeof x->name, "class_%d", label);
}

int det_class_wanted(const vd_detector *d, int label)
{
    if (!d->class_keep)
        return 1;
    return label >= 0 && label < d->labels.count && d->class_keep[label];
}

int det_add(const vd_detector *d, vd_det_list *out, int label, float score, float x1, float y1,
            float x2, float y2, vd_error *err)
{
    if (!det_class_wanted(d, label))
        return VD_OK;
    vd_detection x;
    memset(&x, 0, sizeof x);
    det_set_label(d, &x, label);
    x.score = score;
    x.box[0] = x1;
    x.box[1] = y1;
    x.box[2] = x2;
    x.box[3] = y2;
    return vd_det_list_push(out, &x, err);
}

/* Box and keypoints (as zero-size boxes) through vd_box_unmap, which also
 * clips to the source frame. */
static void map_back(const vd_tf_geom *g, vd_detection *x)
{
    vd_box b = {x->box[0], x->box[1], x->box[2], x->box[3]};
    vd_box_unmap(&b, 1, g);
    x->box[0] = b.x1;
    x->box[1] = b.y1;
    x->box[2] = b.x2;
    x->box[3] = b.y2;
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

int det_finish(const vd_detector *d, const vd_tf_geom *g, int nms, vd_det_list *out,
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

/* NMS through vision/ops: class-wise (batched) or across classes. */
int det_nms(vd_det_list *l, float iou, int classwise, vd_error *err)
{
    int n = l->count;
    if (n <= 1)
        return VD_OK;
    vd_box *boxes = malloc((size_t)n * sizeof *boxes);
    float *scores = malloc((size_t)n * sizeof *scores);
    int *cls = malloc((size_t)n * sizeof *cls), *keep = malloc((size_t)n * sizeof *keep);
    vd_detection *copy = malloc((size_t)n * sizeof *copy);
    int rc = VD_OK, n_keep = 0;
    if (!boxes || !scores || !cls || !keep || !copy) {
        rc = vd_error_set(err, VD_ENOMEM, "nms: out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const vd_detection *x = &l->items[i];
        boxes[i] = (vd_box){x->box[0], x->box[1], x->box[2], x->box[3]};
        scores[i] = x->score;
        cls[i] = classwise ? x->label : 0;
    }
    rc = vd_nms_batched(boxes, scores, cls, n, iou, keep, &n_keep, err);
    if (rc)
        goto out;
    memcpy(copy, l->items, (size_t)n * sizeof *copy);
    for (int i = 0; i < n_keep; i++)
        l->items[i] = copy[keep[i]];
    l->count = n_keep;
out:
    free(boxes);
    free(scores);
    free(cls);
    free(keep);
    free(copy);
    return rc;
}

/* ---- dispatch ---- */

int vd_detector_decode(const vd_detector *d, const vd_tensor *outputs, int n_outputs, int b,
                       const vd_tf_geom *geom, vd_det_list *out, vd_error *err)
{
    vd_det_list_clear(out);
    if (n_outputs <= 0 || !outputs)
        return vd_error_set(err, VD_EINVAL, "detector: no model outputs");
    if (b < 0)
        return vd_error_set(err, VD_EINVAL, "detector: batch index %d", b);
    int rc;
    switch (d->o.kind) {
    case VD_DET_YOLOV5:
    case VD_DET_YOLOV8:
        rc = det_decode_yolo(d, outputs, n_outputs, b, out, err);
        break;
    case VD_DET_TORCHVISION: /* one image per run: no batch dimension */
        rc = b ? vd_error_set(err, VD_ERANGE, "torchvision outputs have no batch item %d", b)
               : det_decode_torchvision(d, outputs, n_outputs, out, err);
        break;
    case VD_DET_CENTERNET:
        rc = det_decode_centernet(d, outputs, n_outputs, b, out, err);
        break;
    case VD_DET_CLASSIFY:
        rc = det_decode_classify(d, outputs, n_outputs, b, out, err);
        break;
    case VD_DET_SSD:
        rc = det_decode_ssd(d, outputs, n_outputs, b, out, err);
        break;
    default:
        rc = vd_error_set(err, VD_EINVAL, "detector: kind not resolved");
    }
    if (rc) {
        vd_det_list_clear(out);
        return rc;
    }
    int nms = d->o.kind == VD_DET_YOLOV5 || d->o.kind == VD_DET_YOLOV8;
    rc = det_finish(d, geom, nms, out, err);
    if (rc)
        vd_det_list_clear(out);
    return rc;
}
