/* indexing.c -- kernel family "indexing": ops that place or pick elements
 * by computed positions (Trilu, EyeLike, OneHot, Scatter, ScatterElements,
 * ScatterND, Compress).
 *
 * None of these is hot in detection models, so each is a plain serial
 * loop over positions with bounds checks; what matters is exactness and
 * a run-time VD_ERANGE naming the bad index instead of a wild write. */
#include <string.h>

#include "kernel.h"
#include "copy.h"
#include "vectorize.h"

static int64_t prod(const int64_t *s, int b, int e)
{
    int64_t p = 1;
    for (int i = b; i < e; i++)
        p *= s[i];
    return p;
}

static int same_as_input(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                         vd_error *err)
{
    (void)n, (void)err;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, in[0]->shape);
    return VD_OK;
}

/* Load time: input/output counts; anything not listed is 3 in, 1 out. */
static const vd_nn_kernel_arity arity[] = {
    {"Trilu", 0, 1, 2, 1, 1}, {"EyeLike", 0, 1, 1, 1, 1}, {"Compress", 0, 2, 2, 1, 1},
    {NULL, 0, 0, 0, 0, 0},
};

static int index_init(vd_nn_node *n, vd_error *err)
{
    return vd_nn_kernel_check_arity(arity, n, 3, 1, err);
}

/* ---- Trilu ---- */

static int trilu_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    if (in[0]->ndim < 2)
        return vd_error_set(err, VD_EINVAL, "input must have rank >= 2, not %d", in[0]->ndim);
    if (n->n_in > 1 && in[1] && vd_tensor_numel(in[1]) != 1)
        return vd_error_set(err, VD_EINVAL, "k must be a scalar");
    return same_as_input(n, in, out, err);
}

static int trilu_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int64_t k = n->n_in > 1 && in[1] ? vd_nn_tensor_get_i64(in[1], 0) : 0;
    int upper = (int)vd_nn_attr_int(n, "upper", 1), r = in[0]->ndim;
    int64_t rows = in[0]->shape[r - 2], cols = in[0]->shape[r - 1];
    int64_t mats = prod(in[0]->shape, 0, r - 2);
    size_t es = vd_dtype_size(in[0]->dtype);
    const char *x = in[0]->data;
    char *y = out[0]->data;
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                size_t off = (size_t)((m * rows + i) * cols + j) * es;
                int keep = upper ? j - i >= k : j - i <= k;
                if (keep)
                    memcpy(y + off, x + off, es);
                else
                    memset(y + off, 0, es);
            }
    return VD_OK;
}

/* ---- EyeLike ---- */

static int eyelike_dtype(const vd_nn_node *n, const vd_tensor *x, vd_error *err)
{
    const vd_nn_attr *a = vd_nn_attr_find(n, "dtype");
    if (!a)
        return (int)x->dtype;
    static const int map[] = {[1] = VD_DTYPE_F32, [2] = VD_DTYPE_U8, [3] = VD_DTYPE_I8,
                              [4] = VD_DTYPE_U16, [5] = VD_DTYPE_I16, [6] = VD_DTYPE_I32,
                              [7] = VD_DTYPE_I64, [9] = VD_DTYPE_BOOL, [11] = VD_DTYPE_F64};
    if (a->i < 1 || a->i > 11 || (!map[a->i] && a->i != 1))
        return vd_error_set(err, VD_EUNSUPPORTED, "attribute dtype = %lld is not supported",
                            (long long)a->i);
    return map[a->i];
}

static int eyelike_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                         vd_error *err)
{
    if (in[0]->ndim != 2)
        return vd_error_set(err, VD_EINVAL, "input must be 2-D, not rank %d", in[0]->ndim);
    int dt = eyelike_dtype(n, in[0], err);
    if (dt < 0)
        return dt;
    vd_nn_kernel_set_shape(out[0], (vd_dtype)dt, 2, in[0]->shape);
    return VD_OK;
}

static int eyelike_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int64_t k = vd_nn_attr_int(n, "k", 0), rows = out[0]->shape[0], cols = out[0]->shape[1];
    memset(out[0]->data, 0, vd_tensor_nbytes(out[0]));
    for (int64_t i = 0; i < rows; i++)
        if (i + k >= 0 && i + k < cols)
            vd_nn_kernel_set_f64(out[0], i * cols + i + k, 1);
    return VD_OK;
}

/* ---- OneHot ---- */

static int onehot_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_error *err)
{
    int rc = vd_nn_kernel_need_data(in[1], "depth", err);
    if (rc < 0)
        return rc;
    if (vd_tensor_numel(in[1]) != 1 || vd_tensor_numel(in[2]) != 2)
        return vd_error_set(err, VD_EINVAL, "depth must hold 1 value and values 2");
    int64_t depth = (int64_t)vd_nn_kernel_get_f64(in[1], 0);
    if (depth < 1 || depth > VD_NN_KERNEL_MAX_NUMEL)
        return vd_error_set(err, VD_EINVAL, "depth %lld must be in [1, 2^30]", (long long)depth);
    int r = in[0]->ndim + 1, axis;
    if (r > VD_TENSOR_MAX_DIMS)
        return vd_error_set(err, VD_EINVAL, "result rank %d too large", r);
    if ((rc = vd_nn_axis(vd_nn_attr_int(n, "axis", -1), r, &axis, err)) < 0)
        return rc;
    int64_t s[VD_TENSOR_MAX_DIMS];
    for (int d = 0, j = 0; d < r; d++)
        s[d] = d == axis ? depth : in[0]->shape[j++];
    if ((rc = vd_nn_kernel_check_numel(r, s, err)) < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[2]->dtype, r, s);
    return VD_OK;
}

static int onehot_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int axis;
    vd_nn_axis(vd_nn_attr_int(n, "axis", -1), out[0]->ndim, &axis, NULL);
    int64_t depth = out[0]->shape[axis];
    int64_t outer = prod(out[0]->shape, 0, axis), inner = prod(out[0]->shape, axis + 1, out[0]->ndim);
    size_t es = vd_dtype_size(out[0]->dtype);
    const char *off = in[2]->data, *on = off + es;
    char *y = out[0]->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t d = 0; d < depth; d++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t v = (int64_t)vd_nn_kernel_get_f64(in[0], o * inner + i);
                if (v < 0)
                    v += depth;
                memcpy(y + (size_t)((o * depth + d) * inner + i) * es, v == d ? on : off, es);
            }
    return VD_OK;
}

/* ---- Scatter, ScatterElements, ScatterND ---- */

enum { SC_NONE, SC_ADD, SC_MUL, SC_MAX, SC_MIN };

static int scatter_mode(const vd_nn_node *n, vd_error *err)
{
    const char *r = vd_nn_attr_string(n, "reduction", "none");
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(r, names[i]) && (i < 3 || n->opset >= 18))
            return i;
    return vd_error_set(err, VD_EUNSUPPORTED, "attribute reduction = \"%s\" is not supported%s",
                        r, strcmp(r, "max") && strcmp(r, "min") ? "" : " before opset 18");
}

static int scatter_init(vd_nn_node *n, vd_error *err)
{
    int rc = index_init(n, err);
    if (rc < 0)
        return rc;
    rc = scatter_mode(n, err);
    return rc < 0 ? rc : VD_OK;
}

static void scatter_put(vd_tensor *y, int64_t at, const vd_tensor *u, int64_t from, int mode)
{
    size_t es = vd_dtype_size(y->dtype);
    if (mode == SC_NONE) {
        memcpy((char *)y->data + (size_t)at * es, (const char *)u->data + (size_t)from * es, es);
        return;
    }
    double a = vd_nn_kernel_get_f64(y, at), b = vd_nn_kernel_get_f64(u, from);
    double r = mode == SC_ADD ? a + b : mode == SC_MUL ? a * b : mode == SC_MAX ? (a > b ? a : b)
                                                                             : (a < b ? a : b);
    vd_nn_kernel_set_f64(y, at, r);
}

static int scatter_el_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                            vd_error *err)
{
    int axis;
    int rc = vd_nn_axis(vd_nn_attr_int(n, "axis", 0), in[0]->ndim, &axis, err);
    if (rc < 0)
        return rc;
    int same = in[1]->ndim == in[2]->ndim;
    for (int d = 0; same && d < in[1]->ndim; d++)
        same = in[1]->shape[d] == in[2]->shape[d];
    if (!same)
        return vd_error_set(err, VD_EINVAL, "indices and updates differ in shape");
    if (in[2]->dtype != in[0]->dtype)
        return vd_error_set(err, VD_EINVAL, "updates must match data in dtype");
    rc = vd_nn_kernel_check_elements_idx(in[0], in[1], axis, err);
    if (rc < 0)
        return rc;
    return same_as_input(n, in, out, err);
}

/* Both scatters start from a copy of the data (or run in place on it). */
static int scatter_begin(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                         vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    if (out[0]->data != in[0]->data)
        memcpy(out[0]->data, in[0]->data, vd_tensor_nbytes(in[0]));
    return VD_OK;
}

static int scatter_el_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                          vd_nn_ctx *ctx)
{
    int rc = scatter_begin(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int axis, r = in[0]->ndim, mode = scatter_mode(n, NULL);
    vd_nn_axis(vd_nn_attr_int(n, "axis", 0), r, &axis, NULL);
    int64_t st[VD_TENSOR_MAX_DIMS], pos[VD_TENSOR_MAX_DIMS] = {0};
    vd_nn_copy_strides(in[0]->shape, r, st);
    int64_t total = vd_tensor_numel(in[1]), dim = in[0]->shape[axis];
    for (int64_t i = 0; i < total; i++) {
        int64_t v = vd_nn_tensor_get_i64(in[1], i), w = v < 0 ? v + dim : v, at = 0;
        if (w < 0 || w >= dim)
            return vd_nn_ctx_fail(ctx, VD_ERANGE, "index %lld out of range [-%lld, %lld) on axis %d",
                                  (long long)v, (long long)dim, (long long)dim, axis);
        for (int d = 0; d < r; d++)
            at += (d == axis ? w : pos[d]) * st[d];
        scatter_put(out[0], at, in[2], i, mode);
        for (int d = r - 1; d >= 0 && ++pos[d] == in[1]->shape[d]; d--)
            pos[d] = 0;
    }
    return VD_OK;
}

static int scatter_nd_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                            vd_error *err)
{
    const vd_tensor *x = in[0], *idx = in[1], *u = in[2];
    int64_t k = idx->ndim ? idx->shape[idx->ndim - 1] : 0;
    if (idx->ndim < 1 || k < 1 || k > x->ndim)
        return vd_error_set(err, VD_EINVAL, "indices' last dim %lld invalid for data rank %d",
                            (long long)k, x->ndim);
    int urank = idx->ndim - 1 + x->ndim - (int)k, ok = u->ndim == urank && u->dtype == x->dtype;
    for (int d = 0; ok && d < idx->ndim - 1; d++)
        ok = u->shape[d] == idx->shape[d];
    for (int d = (int)k; ok && d < x->ndim; d++)
        ok = u->shape[idx->ndim - 1 + d - k] == x->shape[d];
    if (!ok)
        return vd_error_set(err, VD_EINVAL, "updates do not match indices and data");
    return same_as_input(n, in, out, err);
}

static int scatter_nd_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                          vd_nn_ctx *ctx)
{
    int rc = scatter_begin(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *x = in[0], *idx = in[1];
    int k = (int)idx->shape[idx->ndim - 1], mode = scatter_mode(n, NULL);
    int64_t st[VD_TENSOR_MAX_DIMS];
    vd_nn_copy_strides(x->shape, x->ndim, st);
    int64_t tuples = prod(idx->shape, 0, idx->ndim - 1), blk = prod(x->shape, k, x->ndim);
    for (int64_t t = 0; t < tuples; t++) {
        int64_t at = 0;
        for (int d = 0; d < k; d++) {
            int64_t v = vd_nn_tensor_get_i64(idx, t * k + d), dim = x->shape[d];
            int64_t w = v < 0 ? v + dim : v;
            if (w < 0 || w >= dim)
                return vd_nn_ctx_fail(ctx, VD_ERANGE, "index %lld out of range on axis %d",
                                      (long long)v, d);
            at += w * st[d];
        }
        for (int64_t e = 0; e < blk; e++)
            scatter_put(out[0], at + e, in[2], t * blk + e, mode);
    }
    return VD_OK;
}

/* ---- Compress ---- */

static int compress_count(const vd_tensor *cond, int64_t limit)
{
    int64_t c = 0, n = vd_tensor_numel(cond);
    for (int64_t i = 0; i < n && i < limit; i++)
        c += ((const uint8_t *)cond->data)[i] != 0;
    return (int)c;
}

static int compress_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                          vd_error *err)
{
    int rc = vd_nn_kernel_need_data(in[1], "condition", err);
    if (rc < 0)
        return rc;
    if (in[1]->dtype != VD_DTYPE_BOOL || in[1]->ndim != 1)
        return vd_error_set(err, VD_EINVAL, "condition must be a 1-D bool tensor");
    const vd_nn_attr *a = vd_nn_attr_find(n, "axis");
    if (!a) {
        int64_t c = compress_count(in[1], vd_tensor_numel(in[0]));
        vd_nn_kernel_set_shape(out[0], in[0]->dtype, 1, &c);
        return VD_OK;
    }
    int axis;
    if ((rc = vd_nn_axis(a->i, in[0]->ndim, &axis, err)) < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, in[0]->shape);
    out[0]->shape[axis] = compress_count(in[1], in[0]->shape[axis]);
    return VD_OK;
}

static int compress_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_nn_attr *a = vd_nn_attr_find(n, "axis");
    int axis = 0;
    int64_t outer = 1, dim = vd_tensor_numel(in[0]), inner = 1;
    if (a) {
        vd_nn_axis(a->i, in[0]->ndim, &axis, NULL);
        outer = prod(in[0]->shape, 0, axis);
        dim = in[0]->shape[axis];
        inner = prod(in[0]->shape, axis + 1, in[0]->ndim);
    }
    size_t blk = (size_t)inner * vd_dtype_size(in[0]->dtype);
    int64_t nc = vd_tensor_numel(in[1]);
    const uint8_t *c = in[1]->data;
    char *y = out[0]->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < dim && i < nc; i++)
            if (c[i]) {
                memcpy(y, (const char *)in[0]->data + (size_t)(o * dim + i) * blk, blk);
                y += blk;
            }
    return VD_OK;
}

#define A(...) (const char *const[]){__VA_ARGS__, NULL}

const vd_nn_op vd_nn_ops_indexing[] = {
    {"Trilu", 14, 0, A("upper"), index_init, NULL, trilu_infer, NULL, trilu_run},
    {"EyeLike", 9, VD_NN_OP_FOLDABLE, A("dtype", "k"), index_init, NULL, eyelike_infer, NULL,
     eyelike_run},
    {"OneHot", 9, 0, A("axis"), index_init, NULL, onehot_infer, NULL, onehot_run},
    {"Scatter", 9, 0, A("axis"), index_init, NULL, scatter_el_infer, NULL, scatter_el_run},
    {"ScatterElements", 11, 0, A("axis"), index_init, NULL, scatter_el_infer, NULL,
     scatter_el_run},
    {"ScatterElements", 16, 0, A("axis", "reduction"), scatter_init, NULL, scatter_el_infer,
     NULL, scatter_el_run},
    /* 18: reduction max and min (scatter_mode checks the version) */
    {"ScatterElements", 18, 0, A("axis", "reduction"), scatter_init, NULL, scatter_el_infer,
     NULL, scatter_el_run},
    {"ScatterND", 11, 0, NULL, index_init, NULL, scatter_nd_infer, NULL, scatter_nd_run},
    {"ScatterND", 16, 0, A("reduction"), scatter_init, NULL, scatter_nd_infer, NULL,
     scatter_nd_run},
    {"ScatterND", 18, 0, A("reduction"), scatter_init, NULL, scatter_nd_infer, NULL,
     scatter_nd_run},
    {"Compress", 9, 0, A("axis"), index_init, NULL, compress_infer, NULL, compress_run},
    {0},
};
