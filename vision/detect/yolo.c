/* yolo.c -- what the YOLOv5 and YOLOv8 adapters share: their outputs are
 * one [B,.,.] block of boxes, each cx,cy,w,h (input px)[, objectness],
 * C class scores, either along the last dim (v5 rows) or along dim 1 (v8
 * columns). Their tables point at these two methods with a
 * det_yolo_layout as params.
 *
 * The design choice: the block is read in place through strides, so v8's
 * columns are never transposed; and only the best class of a box becomes
 * a candidate, scored objectness * class score (ultralytics' single-label
 * default), class-wise NMS following in the shared finish. */
#include "adapter.h"

int det_yolo_check(const vd_det_adapter *ad, const vd_tensor *t, int i, vd_error *err)
{
    const det_yolo_layout *y = ad->params;
    int rc = det_expect(ad, t, i, 3, err), least = 4 + y->objectness + 1;
    int64_t values = rc ? 0 : t->shape[y->values_dim];
    if (!rc && values >= 0 && values < least)
        rc = vd_error_set(err, VD_EINVAL, "output %d has %lld values per box; %s needs at least %d",
                          i, (long long)values, ad->layout, least);
    return rc;
}

/* Recognised without being told: the values of a box run along the
 * shorter dim (N anchors outnumber 4+C values), C matching the labels;
 * v5's rows and v8's columns are thereby told apart. */
int det_yolo_looks_like(const vd_det_adapter *ad, const det_outputs *o)
{
    const det_yolo_layout *y = ad->params;
    if (o->n != 1 || o->ndims[0] != 3)
        return 0;
    int64_t values = o->shapes[0][y->values_dim], rows = o->shapes[0][3 - y->values_dim];
    int64_t first = 4 + y->objectness;
    return values > first && rows > values && (o->n_labels <= 0 || values == first + o->n_labels);
}

int det_yolo_decode(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                    vd_error *err)
{
    const det_yolo_layout *y = d->ad->params;
    int rc = det_single(d->ad, o, n, b, err);
    if (rc)
        return rc;
    int64_t values = o->shape[y->values_dim], rows = o->shape[3 - y->values_dim];
    int64_t rs = y->values_dim == 2 ? values : 1, ks = y->values_dim == 2 ? 1 : rows;
    int64_t first = 4 + y->objectness, n_classes = values - first;
    const float *base = (const float *)o->data + (int64_t)b * rows * values;
    float thr = d->o.threshold;
    for (int64_t r = 0; r < rows && !rc; r++) {
        const float *p = base + r * rs; /* value k of this box: p[k * ks] */
        float obj = y->objectness ? p[4 * ks] : 1.0f, best;
        if (obj < thr)
            continue;
        int c = det_argmax(p + first * ks, n_classes, ks, &best);
        float score = obj * best, cx = p[0], cy = p[ks], w = p[2 * ks], h = p[3 * ks];
        if (!(score < thr)) /* as a NaN score always was: kept */
            rc = det_add(d, out, c, score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, err);
    }
    return rc;
}
