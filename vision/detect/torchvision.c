/* torchvision.c -- the adapter for torchvision's detection models as
 * exported (Faster R-CNN, RetinaNet, SSDlite, FCOS...): three
 * post-processed outputs without batch dimension, boxes [N,4] x1,y1,x2,y2
 * (input px, float), labels [N] (int64 or int32) and scores [N] (float).
 *
 * The design choice: the three outputs are told apart by dtype and shape,
 * not by position, since exports do not agree on their order; the graph
 * did its own NMS, so none is run here. */
#include "adapter.h"

enum { BOXES, LABELS, SCORES };

/* Which output t can be, or -1. */
static int role(const vd_tensor *t)
{
    int integer = t->dtype == VD_DTYPE_I64 || t->dtype == VD_DTYPE_I32;
    if (t->ndim == 2 && det_dim_is(t->shape[1], 4) && t->dtype == VD_DTYPE_F32)
        return BOXES;
    if (t->ndim == 1 && integer)
        return LABELS;
    if (t->ndim == 1 && t->dtype == VD_DTYPE_F32)
        return SCORES;
    return -1;
}

static int check(const vd_det_adapter *ad, const vd_tensor *t, int i, vd_error *err)
{
    char s[96];
    if (role(t) < 0)
        return vd_error_set(err, VD_EINVAL, "output %d is %s %s; expected one of %s", i,
                            vd_dtype_name(t->dtype), vd_tensor_shape_str(t, s, sizeof s),
                            ad->layout);
    return VD_OK;
}

static int looks_like(const vd_det_adapter *ad, const det_outputs *o)
{
    (void)ad;
    int fit = 0;
    for (int i = 0; i < o->n; i++)
        fit += (o->ndims[i] == 2 && o->shapes[i][1] == 4 && o->dtypes[i] == VD_DTYPE_F32) ||
               o->ndims[i] == 1;
    return o->n == 3 && fit == 3;
}

/* Output index of each role in r[]; all three must be there, with one N. */
static int roles(const vd_tensor *o, int n, int *r, vd_error *err)
{
    r[BOXES] = r[LABELS] = r[SCORES] = -1;
    for (int i = 0; i < n; i++)
        if (role(&o[i]) >= 0)
            r[role(&o[i])] = i;
    if (n != 3 || r[BOXES] < 0 || r[LABELS] < 0 || r[SCORES] < 0)
        return vd_error_set(err, VD_EINVAL,
                            "torchvision adapter needs 3 outputs: boxes float32 [N,4], labels "
                            "int64 [N], scores float32 [N] (got %d outputs)", n);
    int64_t nb = o[r[BOXES]].shape[0], nl = o[r[LABELS]].shape[0], ns = o[r[SCORES]].shape[0];
    if (nb != nl || nl != ns)
        return vd_error_set(err, VD_EINVAL, "torchvision outputs disagree on N: %lld/%lld/%lld",
                            (long long)nb, (long long)nl, (long long)ns);
    return VD_OK;
}

static int decode(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                  vd_error *err)
{
    int r[3];
    if (b) /* one image per run: no batch dimension */
        return vd_error_set(err, VD_ERANGE, "torchvision outputs have no batch item %d", b);
    int rc = roles(o, n, r, err);
    if (rc)
        return rc;
    const vd_tensor *lab = &o[r[LABELS]];
    const float *bx = o[r[BOXES]].data, *sc = o[r[SCORES]].data;
    for (int64_t k = 0; k < o[r[BOXES]].shape[0]; k++) {
        int64_t l = lab->dtype == VD_DTYPE_I64 ? ((const int64_t *)lab->data)[k]
                                                : ((const int32_t *)lab->data)[k];
        if (sc[k] < d->o.threshold || l < 0 || l > 1000000)
            continue;
        const float *p = bx + 4 * k;
        if ((rc = det_add(d, out, (int)l, sc[k], p[0], p[1], p[2], p[3], err)))
            return rc;
    }
    return VD_OK;
}

const vd_det_adapter det_torchvision = {
    .kind = VD_DET_TORCHVISION,
    .name = "torchvision",
    .layout = "boxes float32 [N,4], labels int64 [N], scores float32 [N] (torchvision)",
    .check = check,
    .looks_like = looks_like,
    .decode = decode,
};
