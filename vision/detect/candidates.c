/* candidates.c -- the detection list and the helpers the adapters fill it
 * with: labels and class filter, one candidate, output checks, and NMS
 * over a list.
 *
 * The design choice: NMS runs on the list where it lies. vision/box's
 * sweep reads each detection's vd_box, score and label through a strided
 * view, and its only scratch is an index array the list keeps between
 * frames, so a decode allocates nothing once the list has grown. */
#include "adapter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the list ---- */

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
    free(l->scratch);
    memset(l, 0, sizeof *l);
}

/* a ranks before b: higher score, NaN last (as NMS visits them) */
static int ranks_before(float a, float b) { return isnan(b) ? !isnan(a) : a > b; }

void vd_det_list_sort(vd_det_list *l)
{
    /* insertion sort: stable, and lists are short after thresholding */
    for (int i = 1; i < l->count; i++) {
        vd_detection t = l->items[i];
        int j = i - 1;
        while (j >= 0 && ranks_before(t.score, l->items[j].score)) {
            l->items[j + 1] = l->items[j];
            j--;
        }
        l->items[j + 1] = t;
    }
}

/* ---- candidates ---- */

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
    x.bbox = (vd_box){x1, y1, x2, y2};
    return vd_det_list_push(out, &x, err);
}

int det_argmax(const float *p, int64_t c, int64_t step, float *best)
{
    int bi = 0;
    float bv = p[0];
    for (int64_t i = 1; i < c; i++)
        if (p[i * step] > bv) {
            bv = p[i * step];
            bi = (int)i;
        }
    *best = bv;
    return bi;
}

/* ---- output checks ---- */

int det_expect(const vd_det_adapter *ad, const vd_tensor *t, int i, int ndim, vd_error *err)
{
    char s[96];
    if (t->dtype != VD_DTYPE_F32 || t->ndim != ndim)
        return vd_error_set(err, VD_EINVAL, "output %d is %s %s; expected %s", i,
                            vd_dtype_name(t->dtype), vd_tensor_shape_str(t, s, sizeof s),
                            ad->layout);
    return VD_OK;
}

int det_single(const vd_det_adapter *ad, const vd_tensor *o, int n, int b, vd_error *err)
{
    if (n != 1)
        return vd_error_set(err, VD_EINVAL, "%d outputs; expected one %s", n, ad->layout);
    int rc = ad->check(ad, o, 0, err);
    if (rc)
        return rc;
    if (b >= o->shape[0])
        return vd_error_set(err, VD_ERANGE, "batch index %d but outputs have batch %lld", b,
                            (long long)o->shape[0]);
    return VD_OK;
}

/* ---- NMS ---- */

int det_nms(vd_det_list *l, float iou, int classwise, vd_error *err)
{
    int n = l->count;
    if (n <= 1)
        return VD_OK;
    if (l->scratch_cap < 2 * n) { /* sized by the list's capacity: grows with it, not per call */
        int cap = 2 * (l->cap > n ? l->cap : n);
        int *p = realloc(l->scratch, (size_t)cap * sizeof *p);
        if (!p)
            return vd_error_set(err, VD_ENOMEM, "nms: out of memory for %d detections", n);
        l->scratch = p;
        l->scratch_cap = cap;
    }
    int *idx = l->scratch, *kept = l->scratch + n;
    const vd_detection *x = l->items;
    vd_nms_view v = {&x->bbox, &x->score, classwise ? &x->label : NULL,
                     sizeof *x, sizeof *x, sizeof *x};
    for (int i = 0; i < n; i++) {
        idx[i] = i;
        kept[i] = 0;
    }
    vd_nms_order(&v, idx, n);
    int k = vd_nms_sweep(&v, idx, n, iou, n);
    for (int j = 0; j < k; j++)
        kept[idx[j]] = 1;
    int m = 0;
    for (int i = 0; i < n; i++)
        if (kept[i])
            l->items[m++] = l->items[i];
    l->count = m;
    return VD_OK;
}
