/* centernet.c -- the adapter for detections already decoded inside the
 * graph: one output [B,K,6] of x1,y1,x2,y2,score,class in input px
 * (CenterNet-style heads, and YOLOv10's end-to-end [1,300,6] export).
 *
 * The design choice: the graph did its own NMS, so none is run here; the
 * column order is assumed, since nothing in the shape can tell it. */
#include "adapter.h"

static int check(const vd_det_adapter *ad, const vd_tensor *t, int i, vd_error *err)
{
    int rc = det_expect(ad, t, i, 3, err);
    if (!rc && !det_dim_is(t->shape[2], 6))
        rc = vd_error_set(err, VD_EINVAL, "output %d has %lld columns; expected %s", i,
                          (long long)t->shape[2], ad->layout);
    return rc;
}

static int looks_like(const vd_det_adapter *ad, const det_outputs *o)
{
    (void)ad;
    return o->n == 1 && o->ndims[0] == 3 && o->shapes[0][1] > 0 && o->shapes[0][2] == 6;
}

static int decode(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                  vd_error *err)
{
    int rc = det_single(d->ad, o, n, b, err);
    if (rc)
        return rc;
    const float *p = (const float *)o->data + (int64_t)b * o->shape[1] * 6;
    for (int64_t k = 0; k < o->shape[1]; k++, p += 6) {
        if (p[4] < d->o.threshold || !(p[5] >= 0) || p[5] > 1e6f)
            continue;
        if ((rc = det_add(d, out, (int)p[5], p[4], p[0], p[1], p[2], p[3], err)))
            return rc;
    }
    return VD_OK;
}

const vd_det_adapter det_centernet = {
    .kind = VD_DET_CENTERNET,
    .name = "centernet",
    .layout = "float32 [B,K,6] x1,y1,x2,y2,score,class (centernet)",
    .check = check,
    .looks_like = looks_like,
    .decode = decode,
};
