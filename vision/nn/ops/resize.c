/* resize.c -- Resize (opset 10, 11, 13, 18, 19), Upsample (7, 9),
 * DepthToSpace, SpaceToDepth: ops that move pixels between positions.
 *
 * Resize is separable: nearest, N-linear and N-cubic interpolation all
 * equal a sequence of 1-D resizes, one per axis whose mapping is not the
 * identity. Each pass reads one table per output coordinate (1, 2 or 4
 * source indices and their weights), built once per call from the
 * coordinate_transformation_mode, nearest_mode, cubic_coeff_a and
 * exclude_outside, so the inner loops are plain gathers and blends over
 * contiguous rows. tf_crop_and_resize marks out-of-range coordinates and a
 * last pass writes extrapolation_value there. Opset 18's axes and
 * keep_aspect_ratio_policy only change how the per-dim scales and output
 * sizes are resolved (rz_resolve); antialias = 1 with linear or cubic is
 * refused at load. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

typedef enum rz_ct {
    CT_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_PYTORCH, CT_TF_NN, CT_TF_CROP,
    CT_HP_SYMMETRIC, /* opset 19 */
} rz_ct;
typedef enum rz_keep { KEEP_STRETCH, KEEP_NOT_LARGER, KEEP_NOT_SMALLER } rz_keep;
typedef enum rz_nm { NM_ROUND_FLOOR, NM_ROUND_CEIL, NM_FLOOR, NM_CEIL, NM_SIMPLE } rz_nm;

typedef struct rz_params {
    int taps;            /* 1 nearest, 2 linear, 4 cubic */
    float cubic_a;
    int exclude_outside;
    rz_ct ct;
    rz_nm nm;
    float extrap;
    int layout;          /* 7: scales attribute; 9: (X, scales); 11: (X, roi, scales, sizes) */
    int nscales;
    float scales[VD_TENSOR_MAX_DIMS];
    int naxes;           /* opset 18: scales/sizes/roi cover these axes only; 0 = all */
    int64_t axes[VD_TENSOR_MAX_DIMS];
    rz_keep keep;        /* opset 18: keep_aspect_ratio_policy (with sizes) */
} rz_params;

static int pick(const char *v, const char *const *names, int n, const char *attr, int *out,
                vd_error *err)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) {
            *out = i;
            return VD_OK;
        }
    return vd_error_set(err, VD_EUNSUPPORTED, "attribute %s = \"%s\" is not supported", attr,
                        v);
}

/* Opset 18's attributes: antialias, axes, keep_aspect_ratio_policy. */
static int rz18_init(const vd_nn_node *n, rz_params *p, vd_error *err)
{
    if (vd_nn_attr_int(n, "antialias", 0) && p->taps > 1)
        return vd_error_set(err, VD_EUNSUPPORTED, "attribute antialias = %lld is not supported "
                            "(no antialiasing filter for linear/cubic downscaling)",
                            (long long)vd_nn_attr_int(n, "antialias", 0));
    const int64_t *a;
    p->naxes = vd_nn_attr_ints(n, "axes", &a);
    if (p->naxes > VD_TENSOR_MAX_DIMS)
        return vd_error_set(err, VD_EINVAL, "attribute axes has %d values (at most %d)",
                            p->naxes, VD_TENSOR_MAX_DIMS);
    if (p->naxes)
        memcpy(p->axes, a, sizeof *a * (size_t)p->naxes);
    static const char *const keeps[] = {"stretch", "not_larger", "not_smaller"};
    int v = 0;
    int rc = pick(vd_nn_attr_string(n, "keep_aspect_ratio_policy", "stretch"), keeps, 3,
                  "keep_aspect_ratio_policy", &v, err);
    p->keep = (rz_keep)v;
    return rc;
}

static int rz_init(vd_nn_node *n, vd_error *err)
{
    rz_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    n->params = p;
    int upsample = !strcmp(n->op_type, "Upsample");
    p->layout = upsample ? (n->opset < 9 ? 7 : 9) : (n->opset < 11 ? 9 : 11);
    p->ct = CT_ASYMMETRIC;
    p->nm = NM_SIMPLE;
    static const char *const modes[] = {"nearest", "linear", "bilinear", "cubic"};
    int m = 0, v = 0;
    int rc = pick(vd_nn_attr_string(n, "mode", "nearest"), modes, 4, "mode", &m, err);
    if (rc)
        return rc;
    p->taps = m == 0 ? 1 : (m == 3 ? 4 : 2);
    p->cubic_a = vd_nn_attr_float(n, "cubic_coeff_a", -0.75f);
    p->exclude_outside = vd_nn_attr_int(n, "exclude_outside", 0) != 0;
    if (p->layout == 11) {
        static const char *const cts[] = {"half_pixel", "align_corners", "asymmetric",
                                          "pytorch_half_pixel", "tf_half_pixel_for_nn",
                                          "tf_crop_and_resize", "half_pixel_symmetric"};
        static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                          "ceil"};
        if ((rc = pick(vd_nn_attr_string(n, "coordinate_transformation_mode", "half_pixel"),
                       cts, n->opset >= 19 ? 7 : 6, "coordinate_transformation_mode",
                       &v, err)))
            return rc;
        p->ct = (rz_ct)v;
        if ((rc = pick(vd_nn_attr_string(n, "nearest_mode", "round_prefer_floor"), nms, 4,
                       "nearest_mode", &v, err)))
            return rc;
        p->nm = (rz_nm)v;
        p->extrap = vd_nn_attr_float(n, "extrapolation_value", 0.0f);
    }
    if (p->taps == 4 && p->layout != 11)
        return vd_error_set(err, VD_EUNSUPPORTED, "mode = cubic needs Resize opset 11 or later");
    if (!upsample && n->opset >= 18 && (rc = rz18_init(n, p, err)))
        return rc;
    if (p->layout == 7) {
        const float *s;
        p->nscales = vd_nn_attr_floats(n, "scales", &s);
        if (!p->nscales || p->nscales > VD_TENSOR_MAX_DIMS)
            return vd_error_set(err, VD_EINVAL, "attribute scales is required");
        memcpy(p->scales, s, sizeof(float) * (size_t)p->nscales);
    }
    return VD_OK;
}

typedef struct rz_dims {
    int ndim;
    int64_t in[VD_TENSOR_MAX_DIMS], out[VD_TENSOR_MAX_DIMS];
    float scale[VD_TENSOR_MAX_DIMS], roi0[VD_TENSOR_MAX_DIMS], roi1[VD_TENSOR_MAX_DIMS];
} rz_dims;

static const vd_tensor *opt_in(const vd_nn_node *n, vd_tensor *const *in, int i)
{
    return i < n->n_in && in[i] && vd_tensor_numel(in[i]) > 0 ? in[i] : NULL;
}

/* dim[k]: the input dim that scales/sizes value k applies to (opset 18's
 * axes attribute, else k itself). Each dim at most once. */
static int rz_dims_of(const vd_nn_node *n, int rank, int *dim, int *cnt, vd_error *err)
{
    const rz_params *p = n->params;
    unsigned seen = 0;
    *cnt = p->naxes ? p->naxes : rank;
    for (int k = 0; k < *cnt; k++) {
        if (!p->naxes) {
            dim[k] = k;
            continue;
        }
        int rc = vd_nn_axis(p->axes[k], rank, &dim[k], err);
        if (rc < 0)
            return vd_error_prefix(err, "%s: attribute axes: ", n->op_type), rc;
        if (seen & (1u << dim[k]))
            return vd_error_set(err, VD_EINVAL, "%s: attribute axes repeats axis %d",
                                n->op_type, dim[k]);
        seen |= 1u << dim[k];
    }
    return VD_OK;
}

/* keep_aspect_ratio_policy not_larger / not_smaller: one scale for every
 * listed dim, the smallest / largest of sizes/in; out = round(scale * in). */
static void rz_keep_aspect(const rz_params *p, const int *dim, int cnt, rz_dims *r)
{
    float s = p->keep == KEEP_NOT_LARGER ? INFINITY : -INFINITY;
    for (int k = 0; k < cnt; k++) {
        float v = r->scale[dim[k]];
        s = p->keep == KEEP_NOT_LARGER ? fminf(s, v) : fmaxf(s, v);
    }
    for (int k = 0; k < cnt; k++) {
        float o = roundf(s * (float)r->in[dim[k]]);
        r->scale[dim[k]] = s;
        r->out[dim[k]] = o >= 0 && o < 1e12f ? (int64_t)o : -1;
    }
}

static int rz_resolve(const vd_nn_node *n, vd_tensor *const *in, rz_dims *r, vd_error *err)
{
    const rz_params *p = n->params;
    const vd_tensor *x = in[0];
    const vd_tensor *roi = p->layout == 11 ? opt_in(n, in, 1) : NULL;
    const vd_tensor *scales = p->layout == 9 ? opt_in(n, in, 1)
                              : p->layout == 11 ? opt_in(n, in, 2) : NULL;
    const vd_tensor *sizes = p->layout == 11 ? opt_in(n, in, 3) : NULL;
    int dim[VD_TENSOR_MAX_DIMS], want;
    int rc = vd_nn_check_f32(n, in, 1, err);
    if (!rc)
        rc = rz_dims_of(n, x->ndim, dim, &want, err);
    if (rc)
        return rc;
    const vd_tensor *src = sizes ? sizes : scales;
    int64_t cnt = src ? vd_tensor_numel(src) : p->nscales;
    if (!src && p->layout != 7)
        return vd_error_set(err, VD_EINVAL, "%s: needs scales or sizes", n->op_type);
    if (src && !src->data) /* computed in the graph: the session asks again at run time */
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: %s is not constant at plan time",
                            n->op_type, sizes ? "sizes" : "scales"), VD_NN_NEEDS_DATA;
    if (cnt != want)
        return vd_error_set(err, VD_EINVAL, "%s: %s has %lld values for %d %s", n->op_type,
                            sizes ? "sizes" : "scales", (long long)cnt, want,
                            p->naxes ? "axes" : "dims of the input");
    if (p->ct == CT_TF_CROP && (!roi || !roi->data || vd_tensor_numel(roi) != 2 * want))
        return vd_error_set(err, VD_EINVAL, "%s: tf_crop_and_resize needs a constant roi of "
                            "%d values", n->op_type, 2 * want);
    r->ndim = x->ndim;
    for (int i = 0; i < x->ndim; i++) {
        r->in[i] = r->out[i] = x->shape[i];
        r->scale[i] = 1.0f;
        r->roi0[i] = 0.0f;
        r->roi1[i] = 1.0f;
    }
    for (int k = 0; k < want; k++) {
        int i = dim[k];
        if (sizes) {
            r->out[i] = vd_nn_tensor_get_i64(sizes, k);
            r->scale[i] = r->in[i] ? (float)r->out[i] / (float)r->in[i] : 1.0f;
        } else {
            r->scale[i] = scales ? ((const float *)scales->data)[k] : p->scales[k];
            float o = floorf(r->scale[i] * (float)r->in[i]);
            r->out[i] = o >= 0 && o < 1e12f ? (int64_t)o : -1;
        }
        if (p->ct == CT_TF_CROP) {
            r->roi0[i] = ((const float *)roi->data)[k];
            r->roi1[i] = ((const float *)roi->data)[k + want];
            if (!isfinite(r->roi0[i]) || !isfinite(r->roi1[i]) ||
                fabsf(r->roi0[i]) > 1e6f || fabsf(r->roi1[i]) > 1e6f)
                return vd_error_set(err, VD_EINVAL, "%s: roi [%g, %g] on dim %d is not "
                                    "finite or beyond +-1e6", n->op_type, r->roi0[i],
                                    r->roi1[i], i);
        }
    }
    if (sizes && p->keep != KEEP_STRETCH)
        rz_keep_aspect(p, dim, want, r);
    for (int i = 0; i < x->ndim; i++)
        if (r->out[i] <= 0 || !(r->scale[i] > 0))
            return vd_error_set(err, VD_EINVAL, "%s: dim %d: scale %g gives output size %lld",
                                n->op_type, i, r->scale[i], (long long)r->out[i]);
    return VD_OK;
}

/* A dim with scale 1 keeps its indices (as in onnxruntime), even where
 * tf_half_pixel_for_nn's half-pixel shift would round them up; only a
 * crop moves it. */
static int rz_dim_moves(const rz_params *p, const rz_dims *r, int d)
{
    return r->out[d] != r->in[d] || r->scale[d] != 1.0f || p->ct == CT_TF_CROP;
}

static float rz_coord(const rz_params *p, const rz_dims *r, int d, int64_t o)
{
    float s = r->scale[d], fo = (float)o;
    float in = (float)r->in[d], out = (float)r->out[d];
    switch (p->ct) {
    case CT_HALF_PIXEL: return (fo + 0.5f) / s - 0.5f;
    case CT_PYTORCH: return out > 1 ? (fo + 0.5f) / s - 0.5f : 0.0f;
    case CT_ALIGN_CORNERS: return out > 1 ? fo * (in - 1) / (out - 1) : 0.0f;
    case CT_TF_NN: return (fo + 0.5f) / s;
    case CT_HP_SYMMETRIC: { /* half_pixel, re-centred when out != scale * in */
        float adjust = out / (s * in);
        return in / 2 * (1 - adjust) + (fo + 0.5f) / s - 0.5f;
    }
    case CT_TF_CROP:
        return out > 1 ? r->roi0[d] * (in - 1) + fo * (r->roi1[d] - r->roi0[d]) * (in - 1) /
                                                     (out - 1)
                       : 0.5f * (r->roi0[d] + r->roi1[d]) * (in - 1);
    case CT_ASYMMETRIC:
    default: return fo / s;
    }
}

static int64_t rz_nearest(rz_nm nm, float x, float scale)
{
    switch (nm) {
    case NM_ROUND_FLOOR: return x == floorf(x) + 0.5f ? (int64_t)floorf(x) : (int64_t)roundf(x);
    case NM_ROUND_CEIL: return (int64_t)roundf(x);
    case NM_FLOOR: return (int64_t)floorf(x);
    case NM_CEIL: return (int64_t)ceilf(x);
    case NM_SIMPLE:
    default: return scale < 1.0f ? (int64_t)ceilf(x) : (int64_t)x;
    }
}

/* Per output coordinate o of one dim: taps source indices idx[o*taps + t]
 * with weights w[o*taps + t], and whether o is out of range (tf_crop). */
typedef struct rz_table {
    int64_t *idx;
    float *w;
    unsigned char *oob;
} rz_table;

/* Keys' cubic convolution weights for the taps at floor(x) - 1 .. + 2. */
static void cubic_weights(float a, float s, float *w)
{
    float s1 = s + 1, s2 = 1 - s, s3 = 2 - s;
    w[0] = ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a;
    w[1] = ((a + 2) * s - (a + 3)) * s * s + 1;
    w[2] = ((a + 2) * s2 - (a + 3)) * s2 * s2 + 1;
    w[3] = ((a * s3 - 5 * a) * s3 + 8 * a) * s3 - 4 * a;
}

static void rz_table_fill(const rz_params *p, const rz_dims *r, int d, rz_table *t)
{
    int64_t last = r->in[d] - 1;
    int nt = p->taps;
    for (int64_t o = 0; o < r->out[d]; o++) {
        float x = rz_coord(p, r, d, o);
        int64_t *idx = t->idx + o * nt;
        float *w = t->w + o * nt;
        t->oob[o] = p->ct == CT_TF_CROP && (x < 0 || x > (float)last);
        if (nt == 1) {
            int64_t i = rz_nearest(p->nm, x, r->scale[d]);
            idx[0] = i < 0 ? 0 : (i > last ? last : i);
            w[0] = 1;
        } else if (nt == 2) {
            x = x < 0 ? 0 : (x > (float)last ? (float)last : x);
            int64_t i = (int64_t)x;
            idx[0] = i > last ? last : i;
            idx[1] = idx[0] + 1 > last ? last : idx[0] + 1;
            w[1] = x - (float)idx[0];
            w[0] = 1 - w[1];
        } else {
            int64_t i0 = (int64_t)floorf(x);
            float sum = 0;
            cubic_weights(p->cubic_a, x - (float)i0, w);
            for (int k = 0; k < 4; k++) {
                int64_t i = i0 - 1 + k;
                if (p->exclude_outside && (i < 0 || i > last))
                    w[k] = 0;
                sum += w[k];
                idx[k] = i < 0 ? 0 : (i > last ? last : i);
            }
            for (int k = 0; k < 4 && p->exclude_outside && sum != 0; k++)
                w[k] /= sum;
        }
    }
}

/* Workspace: the tables, then two ping-pong buffers for intermediates. */
static size_t rz_layout(const rz_params *p, const rz_dims *r, size_t *tab_bytes,
                        int64_t *mid)
{
    int64_t sum = 0, cur[VD_TENSOR_MAX_DIMS], passes = 0, total = 1;
    for (int d = 0; d < r->ndim; d++) {
        sum += r->out[d];
        cur[d] = r->in[d];
        total *= r->in[d];
    }
    *mid = 0;
    for (int d = r->ndim - 1; d >= 0; d--) {
        if (!rz_dim_moves(p, r, d))
            continue;
        if (passes++ && total > *mid)
            *mid = total;   /* the previous pass's result is an intermediate */
        total = total / cur[d] * r->out[d];
        cur[d] = r->out[d];
    }
    /* each dim's table starts 8-aligned: up to 7 padding bytes per dim */
    *tab_bytes = ((size_t)sum * ((size_t)p->taps * (sizeof(int64_t) + sizeof(float)) + 1) +
                  8 * (size_t)r->ndim + 63) / 64 * 64;
    return *tab_bytes + 2 * (size_t)*mid * sizeof(float);
}

static int rz_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_error *err)
{
    rz_dims r;
    int rc = rz_resolve(n, in, &r, err);
    if (rc)
        return rc;
    out[0]->dtype = VD_DTYPE_F32;
    out[0]->ndim = r.ndim;
    memcpy(out[0]->shape, r.out, sizeof(int64_t) * (size_t)r.ndim);
    return VD_OK;
}

static size_t rz_workspace(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out)
{
    (void)out;
    rz_dims r;
    size_t tb;
    int64_t mid;
    return rz_resolve(n, in, &r, NULL) ? 0 : rz_layout(n->params, &r, &tb, &mid);
}

typedef struct rz_pass {
    const rz_table *t;
    int taps;
    const float *src;
    float *dst;
    int64_t lin, lout, inner;
} rz_pass;

/* Linear along the innermost axis: a gather of two taps per output. The
 * tap count is a constant here (the generic loop's runtime count kept gcc
 * from unrolling or vectorising anything); a zero second weight still
 * copies, so an unused inf/NaN neighbour cannot leak in. */
VD_NN_CLONES VD_NN_HOT static void rz_row_lin(float *restrict d, const float *restrict s,
                                             const rz_table *t, int64_t lout)
{
    const int64_t *idx = t->idx;
    const float *w = t->w;
    for (int64_t k = 0; k < lout; k++) {
        float a = s[idx[2 * k]], b = s[idx[2 * k + 1]];
        d[k] = w[2 * k + 1] == 0.0f ? a : w[2 * k] * a + w[2 * k + 1] * b;
    }
}

/* Linear along an outer axis: a blend of two contiguous rows. */
VD_NN_CLONES VD_NN_HOT static void rz_blend2(float *restrict d, const float *restrict a,
                                            const float *restrict b, float wa, float wb,
                                            int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        d[i] = wa * a[i] + wb * b[i];
}

static void rz_pass_range(void *arg, int64_t begin, int64_t end)
{
    const rz_pass *j = arg;
    int64_t inner = j->inner;
    int nt = j->taps;
    for (int64_t o = begin; o < end; o++) {
        const float *s = j->src + o * j->lin * inner;
        float *d = j->dst + o * j->lout * inner;
        if (nt == 2 && inner == 1) {
            rz_row_lin(d, s, j->t, j->lout);
            continue;
        }
        for (int64_t k = 0; k < j->lout; k++, d += inner) {
            const int64_t *idx = j->t->idx + k * nt;
            const float *w = j->t->w + k * nt;
            if (nt == 1 || (nt == 2 && w[1] == 0.0f)) {
                if (inner == 1)
                    d[0] = s[idx[0]];
                else
                    memcpy(d, s + idx[0] * inner, (size_t)inner * sizeof(float));
                continue;
            }
            if (nt == 2) {
                rz_blend2(d, s + idx[0] * inner, s + idx[1] * inner, w[0], w[1], inner);
                continue;
            }
            for (int64_t i = 0; i < inner; i++) {
                float acc = 0;
                for (int t = 0; t < nt; t++)
                    acc += w[t] * s[idx[t] * inner + i];
                d[i] = acc;
            }
        }
    }
}

/* tf_crop_and_resize: elements with any coordinate outside the input. */
static void rz_extrapolate(const rz_dims *r, rz_table *const *tabs, float v, float *y)
{
    int64_t idx[VD_TENSOR_MAX_DIMS] = {0}, total = 1;
    for (int d = 0; d < r->ndim; d++)
        total *= r->out[d];
    for (int64_t e = 0; e < total; e++) {
        int oob = 0;
        for (int d = 0; d < r->ndim; d++)
            oob |= tabs[d] && tabs[d]->oob[idx[d]];
        if (oob)
            y[e] = v;
        for (int d = r->ndim - 1; d >= 0 && ++idx[d] == r->out[d]; d--)
            idx[d] = 0;
    }
}

static int rz_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                  vd_nn_ctx *ctx)
{
    const rz_params *p = n->params;
    rz_dims r;
    vd_error e;
    if (rz_resolve(n, in, &r, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    size_t tb;
    int64_t mid, cur[VD_TENSOR_MAX_DIMS], total = 1, outer;
    rz_layout(p, &r, &tb, &mid);
    unsigned char *ws = vd_nn_ctx_workspace(ctx);
    float *buf[2] = {(float *)(ws + tb), (float *)(ws + tb) + mid};
    rz_table tab[VD_TENSOR_MAX_DIMS], *tabs[VD_TENSOR_MAX_DIMS] = {0};
    unsigned char *tp = ws;
    int npass = 0, last = -1, extrap = 0;
    for (int d = 0; d < r.ndim; d++) {
        cur[d] = r.in[d];
        total *= r.in[d];
        if (!rz_dim_moves(p, &r, d))
            continue;
        tab[d].idx = (int64_t *)tp;
        tab[d].w = (float *)(tab[d].idx + r.out[d] * p->taps);
        tab[d].oob = (unsigned char *)(tab[d].w + r.out[d] * p->taps);
        tp = (unsigned char *)(((uintptr_t)(tab[d].oob + r.out[d]) + 7) & ~(uintptr_t)7);
        rz_table_fill(p, &r, d, &tab[d]);
        tabs[d] = &tab[d];
        npass++;
        last = last < 0 ? d : last;   /* lowest moving dim: the final pass */
        extrap |= p->ct == CT_TF_CROP;
    }
    if (!npass) {
        memcpy(out[0]->data, in[0]->data, vd_tensor_nbytes(out[0]));
        return VD_OK;
    }
    const float *src = in[0]->data;
    for (int d = r.ndim - 1, k = 0; d >= 0; d--) {
        if (!tabs[d])
            continue;
        outer = total / cur[d];
        int64_t inner = 1;
        for (int i = d + 1; i < r.ndim; i++)
            inner *= cur[i];
        outer /= inner;
        float *dst = d == last ? (float *)out[0]->data : buf[k++ & 1];
        rz_pass j = {tabs[d], p->taps, src, dst, cur[d], r.out[d], inner};
        vd_nn_parallel_for(ctx, outer, 4096 / (r.out[d] * inner + 1) + 1, rz_pass_range, &j);
        total = total / cur[d] * r.out[d];
        cur[d] = r.out[d];
        src = dst;
    }
    if (extrap)
        rz_extrapolate(&r, tabs, p->extrap, out[0]->data);
    return VD_OK;
}

/* ---- DepthToSpace / SpaceToDepth ---- */

typedef struct d2s_params {
    int64_t b;
    int crd, to_space;
} d2s_params;

static int d2s_init(vd_nn_node *n, vd_error *err)
{
    d2s_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    n->params = p;
    p->to_space = !strcmp(n->op_type, "DepthToSpace");
    p->b = vd_nn_attr_int(n, "blocksize", 0);
    if (p->b < 1 || p->b > 65536)
        return vd_error_set(err, VD_EINVAL, "attribute blocksize = %lld must be in [1, 65536]",
                            (long long)p->b);
    static const char *const modes[] = {"DCR", "CRD"};
    int m = 0;
    int rc = p->to_space ? pick(vd_nn_attr_string(n, "mode", "DCR"), modes, 2, "mode", &m, err)
                         : VD_OK;
    p->crd = m;
    return rc;
}

static int d2s_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    const d2s_params *p = n->params;
    const vd_tensor *x = in[0];
    if (x->ndim != 4 || vd_dtype_size(x->dtype) != 4)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: input must be a 4-D tensor of a 4-byte "
                            "type (got rank %d, %s)", n->op_type, x->ndim,
                            vd_dtype_name(x->dtype));
    int64_t bb = p->b * p->b;
    if (p->to_space ? x->shape[1] % bb : (x->shape[2] % p->b || x->shape[3] % p->b))
        return vd_error_set(err, VD_EINVAL, "%s: input dims do not divide by blocksize %lld",
                            n->op_type, (long long)p->b);
    out[0]->dtype = x->dtype;
    out[0]->ndim = 4;
    out[0]->shape[0] = x->shape[0];
    out[0]->shape[1] = p->to_space ? x->shape[1] / bb : x->shape[1] * bb;
    out[0]->shape[2] = p->to_space ? x->shape[2] * p->b : x->shape[2] / p->b;
    out[0]->shape[3] = p->to_space ? x->shape[3] * p->b : x->shape[3] / p->b;
    return VD_OK;
}

/* One mapping between the "deep" [N, C*b*b, H, W] and the "wide"
 * [N, C, H*b, W*b] layouts, walked in either direction. */
static int d2s_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    (void)ctx;
    const d2s_params *p = n->params;
    const vd_tensor *wide = p->to_space ? out[0] : in[0], *deep = p->to_space ? in[0] : out[0];
    uint32_t *wd = wide->data, *dp = deep->data;
    int64_t b = p->b, N = deep->shape[0], C = wide->shape[1];
    int64_t H = deep->shape[2], W = deep->shape[3];
    for (int64_t nb = 0; nb < N; nb++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t i = 0; i < b; i++)
                    for (int64_t j = 0; j < b; j++) {
                        int64_t ch = p->crd ? c * b * b + i * b + j : (i * b + j) * C + c;
                        uint32_t *drow = dp + ((nb * C * b * b + ch) * H + h) * W;
                        uint32_t *wrow = wd + ((nb * C + c) * H * b + h * b + i) * W * b + j;
                        if (p->to_space)
                            for (int64_t w = 0; w < W; w++) wrow[w * b] = drow[w];
                        else
                            for (int64_t w = 0; w < W; w++) drow[w] = wrow[w * b];
                    }
    return VD_OK;
}

static const char *const rz11_attrs[] = {"coordinate_transformation_mode", "cubic_coeff_a",
                                         "exclude_outside", "extrapolation_value", "mode",
                                         "nearest_mode", NULL};
static const char *const rz18_attrs[] = {"antialias", "axes", "coordinate_transformation_mode",
                                         "cubic_coeff_a", "exclude_outside",
                                         "extrapolation_value", "keep_aspect_ratio_policy",
                                         "mode", "nearest_mode", NULL};
static const char *const mode_attrs[] = {"mode", NULL};
static const char *const up7_attrs[] = {"mode", "scales", NULL};
static const char *const d2s_attrs[] = {"blocksize", "mode", NULL};
static const char *const s2d_attrs[] = {"blocksize", NULL};

#define RZ_OP(name, since, attrs) \
    {name, since, 0, attrs, rz_init, NULL, rz_infer, rz_workspace, rz_run}

const vd_nn_op vd_nn_ops_resize[] = {
    RZ_OP("Upsample", 7, up7_attrs),
    RZ_OP("Upsample", 9, mode_attrs),
    RZ_OP("Resize", 10, mode_attrs),
    RZ_OP("Resize", 11, rz11_attrs),
    RZ_OP("Resize", 18, rz18_attrs), /* + antialias, axes, keep_aspect_ratio_policy */
    RZ_OP("Resize", 19, rz18_attrs), /* + half_pixel_symmetric */
    {"DepthToSpace", 1, VD_NN_OP_FOLDABLE, d2s_attrs, d2s_init, NULL, d2s_infer, NULL,
     d2s_run},
    {"SpaceToDepth", 1, VD_NN_OP_FOLDABLE, s2d_attrs, d2s_init, NULL, d2s_infer, NULL,
     d2s_run},
    {0},
};
