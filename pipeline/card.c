/* card.c -- model cards (JSON, jansson). See card.h. Every key has one
 * small handler found in a table, so an unknown key is simply "not in the
 * table" and each error names the file and the key path. Input keys are
 * turned into text and handed to vd_tf_spec_set(), the same parser the
 * CLI flags use. */
#include "card.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    vd_card *c;
    const char *name;     /* file name for messages */
    const char *base_dir; /* NULL: paths as given */
    vd_error *err;
} ctx;

static int bad(ctx *x, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(ctx *x, const char *key, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return vd_error_set(x->err, VD_EINVAL, "%s: %s: %s", x->name, key, why);
}

static int resolve(ctx *x, const char *key, const char *v, char *out)
{
    int n;
    if (v[0] == '/' || !x->base_dir || !*x->base_dir)
        n = snprintf(out, VD_CARD_PATH_MAX, "%s", v);
    else
        n = snprintf(out, VD_CARD_PATH_MAX, "%s/%s", x->base_dir, v);
    return n >= VD_CARD_PATH_MAX ? bad(x, key, "path too long") : VD_OK;
}

static int want_string(ctx *x, const char *key, const json_t *v, const char **s)
{
    if (!json_is_string(v) || !*json_string_value(v))
        return bad(x, key, "expected a non-empty string");
    *s = json_string_value(v);
    return VD_OK;
}

static int want_number(ctx *x, const char *key, const json_t *v, double lo, double hi, double *d)
{
    if (!json_is_number(v))
        return bad(x, key, "expected a number");
    *d = json_number_value(v);
    if (!(*d >= lo && *d <= hi))
        return bad(x, key, "%g is outside [%g, %g]", *d, lo, hi);
    return VD_OK;
}

/* ---- top-level keys ---- */

static int k_path(ctx *x, const char *key, const json_t *v)
{
    const char *s = NULL;
    int rc = want_string(x, key, v, &s);
    return rc ? rc : resolve(x, key, s, x->c->path);
}

static int k_kind(ctx *x, const char *key, const json_t *v)
{
    const char *s = NULL;
    int rc = want_string(x, key, v, &s);
    if (rc)
        return rc;
    vd_error e;
    if (vd_det_kind_parse(s, &x->c->kind, &e))
        return bad(x, key, "%s", e.msg);
    return VD_OK;
}

static int k_labels(ctx *x, const char *key, const json_t *v)
{
    const char *s = NULL;
    int rc = want_string(x, key, v, &s);
    if (rc)
        return rc;
    if (!strcmp(s, "coco80") || !strcmp(s, "coco91")) {
        snprintf(x->c->labels, VD_CARD_PATH_MAX, "%s", s);
        return VD_OK;
    }
    return resolve(x, key, s, x->c->labels);
}

static int k_threshold(ctx *x, const char *key, const json_t *v)
{
    double d = 0;
    int rc = want_number(x, key, v, 0, 1, &d);
    if (!rc)
        x->c->threshold = (float)d;
    return rc;
}

static int k_iou(ctx *x, const char *key, const json_t *v)
{
    double d = 0;
    int rc = want_number(x, key, v, 0, 1, &d);
    if (!rc)
        x->c->iou = (float)d;
    return rc;
}

static int k_max_det(ctx *x, const char *key, const json_t *v)
{
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100000)
        return bad(x, key, "expected an integer in [1, 100000]");
    x->c->max_detections = (int)json_integer_value(v);
    return VD_OK;
}

static int k_top_k(ctx *x, const char *key, const json_t *v)
{
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000)
        return bad(x, key, "expected an integer in [1, 1000]");
    x->c->top_k = (int)json_integer_value(v);
    return VD_OK;
}

/* A non-empty array of non-empty strings into an owned char *[]. */
static int string_list(ctx *x, const char *key, const json_t *v, const char *what, char ***out,
                       int *n_out)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return bad(x, key, "expected a non-empty array of %s", what);
    size_t n = json_array_size(v);
    *out = calloc(n, sizeof **out);
    if (!*out)
        return vd_error_set(x->err, VD_ENOMEM, "%s: out of memory", x->name);
    for (size_t i = 0; i < n; i++) {
        const char *s = NULL;
        int rc = want_string(x, key, json_array_get(v, i), &s);
        if (rc)
            return rc;
        if (!((*out)[i] = strdup(s)))
            return vd_error_set(x->err, VD_ENOMEM, "%s: out of memory", x->name);
        *n_out = (int)i + 1;
    }
    return VD_OK;
}

static int k_classes(ctx *x, const char *key, const json_t *v)
{
    return string_list(x, key, v, "label names", &x->c->classes, &x->c->n_classes);
}

static int k_outputs(ctx *x, const char *key, const json_t *v)
{
    return string_list(x, key, v, "model output names", &x->c->outputs, &x->c->n_outputs);
}

static int k_description(ctx *x, const char *key, const json_t *v)
{
    return json_is_string(v) ? VD_OK : bad(x, key, "expected a string");
}

/* ---- input ---- */

/* JSON value -> the text vd_tf_spec_set() parses. */
static int input_text(ctx *x, const char *key, const char *sub, const json_t *v, char *buf,
                      size_t n)
{
    char path[64];
    snprintf(path, sizeof path, "%s.%s", key, sub);
    if (json_is_string(v)) {
        snprintf(buf, n, "%s", json_string_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(buf, n, "%d", json_is_true(v));
    } else if (json_is_number(v)) {
        snprintf(buf, n, "%.9g", json_number_value(v));
    } else if (json_is_array(v) && json_array_size(v) >= 1 && json_array_size(v) <= 3) {
        int size = !strcmp(sub, "size");
        if (size && json_array_size(v) != 2)
            return bad(x, path, "expected [W, H]");
        size_t off = 0;
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_number(e))
                return bad(x, path, "element %zu is not a number", i);
            off += (size_t)snprintf(buf + off, n - off, "%s%.9g", i ? (size ? "x" : ",") : "",
                                    json_number_value(e));
        }
    } else {
        return bad(x, path, "unsupported JSON value");
    }
    return VD_OK;
}

static int k_input(ctx *x, const char *key, const json_t *v)
{
    if (!json_is_object(v))
        return bad(x, key, "expected an object");
    const char *sub;
    json_t *val;
    json_object_foreach((json_t *)v, sub, val) {
        static const char *const keys[] = {"size", "resize", "pad_value", "interpolation",
                                           "antialias", "layout", "channels", "range",
                                           "mean", "std"};
        size_t i, nk = sizeof keys / sizeof keys[0];
        for (i = 0; i < nk && strcmp(keys[i], sub); i++)
            ;
        char path[64], text[256];
        snprintf(path, sizeof path, "%s.%s", key, sub);
        if (i == nk)
            return bad(x, path, "unknown key (expected size, resize, pad_value, interpolation, "
                                "antialias, layout, channels, range, mean, std)");
        int rc = input_text(x, key, sub, val, text, sizeof text);
        if (rc)
            return rc;
        vd_error e;
        if (vd_tf_spec_set(&x->c->input, sub, text, &e))
            return bad(x, path, "%s", e.msg);
        if (!strcmp(sub, "size"))
            x->c->has_input_size = 1;
    }
    return VD_OK;
}

/* ---- filters ---- */

static int filter_number(ctx *x, const char *path, const json_t *o, const char *k, float *out)
{
    const json_t *v = json_object_get(o, k);
    if (!v)
        return VD_OK;
    double d = 0;
    int rc = want_number(x, path, v, 0, 1e12, &d);
    if (!rc)
        *out = (float)d;
    return rc;
}

static int parse_filter(ctx *x, const char *path, const json_t *o, vd_det_filter *f)
{
    if (!json_is_object(o))
        return bad(x, path, "expected an object");
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)o, k, val) {
        if (strcmp(k, "label") && strcmp(k, "min_area") && strcmp(k, "max_area") &&
            strcmp(k, "min_aspect") && strcmp(k, "max_aspect"))
            return bad(x, path, "unknown key '%s' (expected label, min_area, max_area, "
                                "min_aspect, max_aspect)", k);
    }
    const char *label = NULL;
    int rc = want_string(x, path, json_object_get(o, "label"), &label);
    if (rc)
        return rc;
    snprintf(f->label, sizeof f->label, "%s", label);
    if ((rc = filter_number(x, path, o, "min_area", &f->min_area)) ||
        (rc = filter_number(x, path, o, "max_area", &f->max_area)) ||
        (rc = filter_number(x, path, o, "min_aspect", &f->min_aspect)) ||
        (rc = filter_number(x, path, o, "max_aspect", &f->max_aspect)))
        return rc;
    return VD_OK;
}

static int k_filters(ctx *x, const char *key, const json_t *v)
{
    if (!json_is_array(v))
        return bad(x, key, "expected an array of {label, min_area, ...}");
    size_t n = json_array_size(v);
    x->c->filters = calloc(n + 1, sizeof *x->c->filters);
    if (!x->c->filters)
        return vd_error_set(x->err, VD_ENOMEM, "%s: out of memory", x->name);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s[%zu]", key, i);
        int rc = parse_filter(x, path, json_array_get(v, i), &x->c->filters[i]);
        if (rc)
            return rc;
        x->c->n_filters = (int)i + 1;
    }
    return VD_OK;
}

/* ---- ssd ---- */

static int ssd_strides(ctx *x, const char *path, const json_t *v)
{
    vd_ssd_opts *s = &x->c->ssd;
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > 8)
        return bad(x, path, "expected an array of 1 to 8 strides");
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 1024)
            return bad(x, path, "stride %zu is not an integer in [1, 1024]", i);
        s->strides[i] = (int)json_integer_value(e);
    }
    s->n_strides = (int)json_array_size(v);
    return VD_OK;
}

static int ssd_key(ctx *x, const char *path, const char *k, const json_t *v)
{
    vd_ssd_opts *s = &x->c->ssd;
    double d = 0;
    int rc;
    if (!strcmp(k, "strides"))
        return ssd_strides(x, path, v);
    if (!strcmp(k, "anchors_per_layer")) {
        if (!(rc = want_number(x, path, v, 1, 64, &d)))
            s->anchors_per_layer = (int)d;
    } else if (!strcmp(k, "anchor_offset")) {
        if (!(rc = want_number(x, path, v, 0, 1, &d)))
            s->anchor_offset = d == 0 ? -1.0f : (float)d; /* <0 is "0" in vd_ssd_opts */
    } else if (!strcmp(k, "keypoints")) {
        if (!(rc = want_number(x, path, v, 0, VD_DET_MAX_KEYPOINTS, &d)))
            s->n_keypoints = (int)d;
    } else if (!strcmp(k, "nms")) {
        const char *m = NULL;
        if (!(rc = want_string(x, path, v, &m))) {
            if (strcmp(m, "weighted") && strcmp(m, "plain"))
                return bad(x, path, "'%s' (expected weighted or plain)", m);
            s->plain_nms = !strcmp(m, "plain");
        }
    } else {
        return bad(x, path, "unknown key (expected strides, anchors_per_layer, anchor_offset, "
                            "keypoints, nms)");
    }
    return rc;
}

static int k_ssd(ctx *x, const char *key, const json_t *v)
{
    if (!json_is_object(v))
        return bad(x, key, "expected an object");
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val) {
        char path[64];
        snprintf(path, sizeof path, "%s.%s", key, k);
        int rc = ssd_key(x, path, k, val);
        if (rc)
            return rc;
    }
    return VD_OK;
}

/* ---- entry points ---- */

static const struct {
    const char *key;
    int (*fn)(ctx *, const char *, const json_t *);
} handlers[] = {
    {"path", k_path},       {"kind", k_kind},         {"labels", k_labels},
    {"input", k_input},     {"threshold", k_threshold}, {"iou", k_iou},
    {"max_detections", k_max_det}, {"top_k", k_top_k}, {"classes", k_classes},
    {"outputs", k_outputs}, {"filters", k_filters}, {"ssd", k_ssd},
    {"description", k_description},
};

void vd_card_init(vd_card *c)
{
    memset(c, 0, sizeof *c);
    vd_tf_spec_default(&c->input, 640, 640);
    c->kind = VD_DET_AUTO;
    c->threshold = c->iou = -1;
}

int vd_card_from_json(vd_card *c, const json_t *obj, const char *base_dir, const char *name,
                      vd_error *err)
{
    vd_card_init(c);
    ctx x = {c, name ? name : "model", base_dir, err};
    if (!json_is_object(obj))
        return vd_error_set(err, VD_EINVAL, "%s: a model card must be a JSON object", x.name);
    const char *key;
    json_t *v;
    int rc = VD_OK;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i, n = sizeof handlers / sizeof handlers[0];
        for (i = 0; i < n && strcmp(handlers[i].key, key); i++)
            ;
        rc = i == n ? bad(&x, key, "unknown key (expected path, kind, labels, input, threshold, "
                                   "iou, max_detections, top_k, classes, outputs, filters, ssd, "
                                   "description)")
                    : handlers[i].fn(&x, key, v);
        if (rc)
            break;
    }
    if (!rc && !c->path[0])
        rc = vd_error_set(err, VD_EINVAL, "%s: path: missing (the model file)", x.name);
    if (rc)
        vd_card_free(c);
    return rc;
}

int vd_card_load(vd_card *c, const char *file, vd_error *err)
{
    vd_card_init(c);
    json_error_t je;
    json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        FILE *f = fopen(file, "r");
        if (!f)
            return vd_error_set(err, VD_ENOTFOUND, "%s: cannot open the model card", file);
        fclose(f);
        return vd_error_set(err, VD_EFORMAT, "%s:%d:%d: %s", file, je.line, je.column, je.text);
    }
    char dir[VD_CARD_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    int rc = vd_card_from_json(c, root, dir, file, err);
    json_decref(root);
    return rc;
}

void vd_card_detector_opts(const vd_card *c, vd_detector_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = c->kind;
    o->input_w = c->input.width;
    o->input_h = c->input.height;
    o->threshold = c->threshold;
    o->iou = c->iou;
    o->max_detections = c->max_detections;
    o->top_k = c->top_k;
    o->classes = (const char *const *)c->classes;
    o->n_classes = c->n_classes;
    o->filters = c->filters;
    o->n_filters = c->n_filters;
    o->ssd = c->ssd;
}

static void free_list(char ***list, int *n)
{
    for (int i = 0; i < *n; i++)
        free((*list)[i]);
    free(*list);
    *list = NULL;
    *n = 0;
}

void vd_card_free(vd_card *c)
{
    free_list(&c->classes, &c->n_classes);
    free_list(&c->outputs, &c->n_outputs);
    free(c->filters);
    c->filters = NULL;
    c->n_filters = 0;
}
