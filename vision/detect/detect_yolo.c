/* detect_yolo.c -- adapters for row/column layouts: YOLOv5 [B,N,5+C],
 * YOLOv8/11 [B,4+C,N], torchvision's post-processed boxes/labels/scores,
 * CenterNet-style [B,K,6] and classification [B,C]; plus the shape-based
 * kind guess. Each keeps only the best class per box (single-label NMS,
 * as ultralytics does by default). */
#include "detect_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int expect(const vd_tensor *t, int idx, int ndim, const char *what, vd_error *err)
{
    char s[96];
    if (t->dtype != VD_DTYPE_F32 || t->ndim != ndim)
        return vd_error_set(err, VD_EINVAL, "output %d is %s %s; expected %s", idx,
                            vd_dtype_name(t->dtype), vd_tensor_shape_str(t, s, sizeof s), what);
    return VD_OK;
}

static int check_batch(const vd_tensor *t, int b, vd_error *err)
{
    if (b >= t->shape[0])
        return vd_error_set(err, VD_ERANGE, "batch index %d but outputs have batch %lld", b,
                            (long long)t->shape[0]);
    return VD_OK;
}

/* Best class of `c` scores at stride `step`: index and value. */
static int argmax(const float *p, int64_t c, int64_t step, float *best)
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

static int add_cxcywh(const vd_detector *d, vd_det_list *out, int label, float score, float cx,
                      float cy, float w, float h, vd_error *err)
{
    return det_add(d, out, label, score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, err);
}

int det_decode_yolo(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                    vd_error *err)
{
    int v5 = d->o.kind == VD_DET_YOLOV5;
    const char *want = v5 ? "float32 [B,N,5+C] (yolov5)" : "float32 [B,4+C,N] (yolov8)";
    int rc = n != 1 ? vd_error_set(err, VD_EINVAL, "%d outputs; expected one %s", n, want)
                    : expect(o, 0, 3, want, err);
    if (rc || (rc = check_batch(o, b, err)))
        return rc;
    int64_t rows = v5 ? o->shape[1] : o->shape[2];
    int64_t cols = v5 ? o->shape[2] : o->shape[1];
    int64_t nc = cols - (v5 ? 5 : 4);
    if (nc < 1)
        return vd_error_set(err, VD_EINVAL, "output 0 has %lld values per box; %s needs at least %d",
                            (long long)cols, want, v5 ? 6 : 5);
    const float *base = (const float *)o->data + (int64_t)b * rows * cols;
    /* v5: element (r, k) at r*cols + k; v8: at k*rows + r */
    int64_t rs = v5 ? cols : 1, ks = v5 ? 1 : rows;
    for (int64_t r = 0; r < rows; r++) {
        const float *p = base + r * rs;
        float obj = v5 ? p[4 * ks] : 1.0f;
        if (obj < d->o.threshold)
            continue;
        float best;
        int c = argmax(p + (v5 ? 5 : 4) * ks, nc, ks, &best);
        float score = obj * best;
        if (score < d->o.threshold)
            continue;
        if ((rc = add_cxcywh(d, out, c, score, p[0], p[ks], p[2 * ks], p[3 * ks], err)))
            return rc;
    }
    return VD_OK;
}

int det_decode_centernet(const vd_detector *d, const vd_tensor *o, int n, int b,
                         vd_det_list *out, vd_error *err)
{
    const char *want = "float32 [B,K,6] x1,y1,x2,y2,score,class (centernet)";
    int rc = n != 1 ? vd_error_set(err, VD_EINVAL, "%d outputs; expected one %s", n, want)
                    : expect(o, 0, 3, want, err);
    if (rc || (rc = check_batch(o, b, err)))
        return rc;
    if (o->shape[2] != 6)
        return vd_error_set(err, VD_EINVAL, "output 0 has %lld columns; expected %s",
                            (long long)o->shape[2], want);
    const float *p = (const float *)o->data + (int64_t)b * o->shape[1] * 6;
    for (int64_t k = 0; k < o->shape[1]; k++, p += 6) {
        if (p[4] < d->o.threshold || !(p[5] >= 0) || p[5] > 1e6f)
            continue;
        if ((rc = det_add(d, out, (int)p[5], p[4], p[0], p[1], p[2], p[3], err)))
            return rc;
    }
    return VD_OK;
}

/* Which of the three torchvision outputs is which: boxes [N,4] float,
 * labels [N] integer, scores [N] float. */
static int tv_roles(const vd_tensor *o, int n, int *ib, int *il, int *is, vd_error *err)
{
    *ib = *il = *is = -1;
    for (int i = 0; i < n; i++) {
        const vd_tensor *t = &o[i];
        int integer = t->dtype == VD_DTYPE_I64 || t->dtype == VD_DTYPE_I32;
        if (t->ndim == 2 && t->shape[1] == 4 && t->dtype == VD_DTYPE_F32)
            *ib = i;
        else if (t->ndim == 1 && integer)
            *il = i;
        else if (t->ndim == 1 && t->dtype == VD_DTYPE_F32)
            *is = i;
    }
    if (n != 3 || *ib < 0 || *il < 0 || *is < 0)
        return vd_error_set(err, VD_EINVAL,
                            "torchvision adapter needs 3 outputs: boxes float32 [N,4], labels "
                            "int64 [N], scores float32 [N] (got %d outputs)", n);
    if (o[*ib].shape[0] != o[*il].shape[0] || o[*il].shape[0] != o[*is].shape[0])
        return vd_error_set(err, VD_EINVAL, "torchvision outputs disagree on N: %lld/%lld/%lld",
                            (long long)o[*ib].shape[0], (long long)o[*il].shape[0],
                            (long long)o[*is].shape[0]);
    return VD_OK;
}

int det_decode_torchvision(const vd_detector *d, const vd_tensor *o, int n, vd_det_list *out,
                           vd_error *err)
{
    int ib, il, is;
    int rc = tv_roles(o, n, &ib, &il, &is, err);
    if (rc)
        return rc;
    const float *bx = o[ib].data, *sc = o[is].data;
    for (int64_t k = 0; k < o[ib].shape[0]; k++) {
        int64_t lab = o[il].dtype == VD_DTYPE_I64 ? ((const int64_t *)o[il].data)[k]
                                                   : ((const int32_t *)o[il].data)[k];
        if (sc[k] < d->o.threshold || lab < 0 || lab > 1000000)
            continue;
        const float *p = bx + 4 * k;
        if ((rc = det_add(d, out, (int)lab, sc[k], p[0], p[1], p[2], p[3], err)))
            return rc;
    }
    return VD_OK;
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

int det_decode_classify(const vd_detector *d, const vd_tensor *o, int n, int b,
                        vd_det_list *out, vd_error *err)
{
    const char *want = "float32 [B,C] class scores (classify)";
    int rc = n != 1 ? vd_error_set(err, VD_EINVAL, "%d outputs; expected one %s", n, want)
                    : expect(o, 0, 2, want, err);
    if (rc || (rc = check_batch(o, b, err)))
        return rc;
    int64_t c = o->shape[1];
    /* a private copy: the softmax must not write into the caller's output */
    vd_tensor row;
    int64_t shape[1] = {c};
    if ((rc = vd_tensor_alloc(&row, VD_DTYPE_F32, 1, shape, err)))
        return rc;
    float *p = row.data;
    memcpy(p, (const float *)o->data + (int64_t)b * c, (size_t)c * sizeof *p);
    to_probabilities(p, c);
    for (int k = 0; k < d->o.top_k && rc == 0; k++) {
        float best;
        int i = argmax(p, c, 1, &best);
        if (best < d->o.threshold || best < 0)
            break;
        p[i] = -1; /* taken */
        rc = det_add(d, out, i, best, 0, 0, (float)d->o.input_w, (float)d->o.input_h, err);
    }
    vd_tensor_free(&row);
    return rc;
}

/* ---- kind guess ---- */

static int guess_single(int ndim, const int64_t *s, int n_labels, vd_det_kind *kind,
                        vd_error *err)
{
    if (ndim == 2 && s[1] > 1) {
        *kind = VD_DET_CLASSIFY;
        return VD_OK;
    }
    if (ndim != 3 || s[1] <= 0 || s[2] <= 0)
        return vd_error_set(err, VD_EINVAL, "cannot guess the detector kind from one output of "
                            "%d dims: give --kind", ndim);
    int64_t a = s[1], c = s[2];
    int v5 = c >= 6 && a > c && (n_labels <= 0 || c == 5 + n_labels);
    int v8 = a >= 5 && c > a && (n_labels <= 0 || a == 4 + n_labels);
    int cn = c == 6;
    if (v5 + v8 + cn == 1) {
        *kind = v5 ? VD_DET_YOLOV5 : v8 ? VD_DET_YOLOV8 : VD_DET_CENTERNET;
        return VD_OK;
    }
    return vd_error_set(err, VD_EINVAL,
                        "output [%lld,%lld,%lld] fits %s with %d labels: give --kind "
                        "(yolov5, yolov8, centernet, ...)",
                        (long long)s[0], (long long)a, (long long)c,
                        v5 + v8 + cn ? "several detector kinds" : "no known layout", n_labels);
}

int vd_det_kind_guess(int n, const int *ndims, const int64_t (*shapes)[VD_TENSOR_MAX_DIMS],
                      const vd_dtype *dtypes, int n_labels, vd_det_kind *kind, vd_error *err)
{
    if (n == 1)
        return guess_single(ndims[0], shapes[0], n_labels, kind, err);
    int n_scores = 0, n_regs = 0, n_tv = 0;
    for (int i = 0; i < n; i++) {
        const int64_t *s = shapes[i];
        if (ndims[i] == 3 && s[2] == 1)
            n_scores++;
        else if (ndims[i] == 3 && s[2] >= 4 && s[2] % 2 == 0)
            n_regs++;
        if ((ndims[i] == 2 && s[1] == 4 && dtypes[i] == VD_DTYPE_F32) || ndims[i] == 1)
            n_tv++;
    }
    if (n >= 2 && n_scores == n_regs && n_scores + n_regs == n) {
        *kind = VD_DET_SSD;
        return VD_OK;
    }
    if (n == 3 && n_tv == 3) {
        *kind = VD_DET_TORCHVISION;
        return VD_OK;
    }
    return vd_error_set(err, VD_EINVAL,
                        "cannot guess the detector kind from %d outputs: give --kind", n);
}
