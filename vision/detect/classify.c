/* classify.c -- the classification adapter: one output [B,C] of class
 * scores becomes the top-k classes for the whole frame, each a detection
 * whose box is the whole model input (so the whole frame once mapped).
 *
 * The design choice: a softmax is applied unless the row already is a
 * probability vector (all in [0,1], sum within 1e-3 of 1), on a private
 * copy, so logits and probabilities both work and the caller's output
 * tensor is never written. */
#include "adapter.h"

#include <math.h>
#include <string.h>

static int check(const vd_det_adapter *ad, const vd_tensor *t, int i, vd_error *err)
{
    int rc = det_expect(ad, t, i, 2, err);
    if (!rc && t->shape[1] == 0)
        rc = vd_error_set(err, VD_EINVAL, "output %d has no classes; expected %s", i,
                          ad->layout);
    return rc;
}

static int looks_like(const vd_det_adapter *ad, const det_outputs *o)
{
    (void)ad;
    return o->n == 1 && o->ndims[0] == 2 && o->shapes[0][1] > 1;
}

/* Softmax in place unless the row is already a probability vector. */
static void to_probabilities(float *p, int64_t c)
{
    double sum = 0;
    int probs = 1;
    for (int64_t i = 0; i < c; i++) {
        sum += p[i];
        if (p[i] < 0 || p[i] > 1)
            probs = 0;
    }
    if (probs && fabs(sum - 1) <= 1e-3)
        return;
    float mx = p[0];
    for (int64_t i = 1; i < c; i++)
        mx = p[i] > mx ? p[i] : mx;
    sum = 0;
    for (int64_t i = 0; i < c; i++)
        sum += (p[i] = expf(p[i] - mx));
    for (int64_t i = 0; i < c; i++)
        p[i] = (float)(p[i] / sum);
}

static int decode(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                  vd_error *err)
{
    int rc = det_single(d->ad, o, n, b, err);
    if (rc)
        return rc;
    int64_t c = o->shape[1];
    vd_tensor row;
    int64_t shape[1] = {c};
    if ((rc = vd_tensor_alloc(&row, VD_DTYPE_F32, 1, shape, err)))
        return rc;
    float *p = row.data;
    memcpy(p, (const float *)o->data + (int64_t)b * c, (size_t)c * sizeof *p);
    to_probabilities(p, c);
    for (int k = 0; k < d->o.top_k && rc == 0; k++) {
        float best;
        int i = det_argmax(p, c, 1, &best);
        if (best < d->o.threshold || best < 0)
            break;
        p[i] = -1; /* taken */
        rc = det_add(d, out, i, best, 0, 0, (float)d->o.input_w, (float)d->o.input_h, err);
    }
    vd_tensor_free(&row);
    return rc;
}

const vd_det_adapter det_classify = {
    .kind = VD_DET_CLASSIFY,
    .name = "classify",
    .layout = "float32 [B,C] class scores (classify)",
    .check = check,
    .looks_like = looks_like,
    .decode = decode,
};
