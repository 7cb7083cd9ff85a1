/* layout.c -- kernel family "layout": ops that move elements in a pattern
 * set by attributes or integer inputs (Concat, Split, Slice, Gather,
 * GatherElements, GatherND, Expand, Tile, Pad).
 *
 * Like shape.c, everything is dtype-agnostic (bytes by element size).
 * Slice, Expand and Tile are one strided copy each (copy.h): Tile views
 * the output as [r0, d0, r1, d1, ...] with a 0 stride on the repeats, so
 * no op computes a source index per element. */
#include <stdlib.h>
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

/* Load time: input/output counts; anything not listed is 2 in, 1 out. */
static const vd_nn_kernel_arity arity[] = {
    {"Concat", 0, 1, -1, 1, 1}, {"Split", 2, 1, 1, 1, 64}, {"Split", 13, 1, 2, 1, 64},
    {"Split", 18, 1, 2, 1, 64}, {"Slice", 1, 1, 1, 1, 1}, {"Slice", 10, 3, 5, 1, 1},
    {"Pad", 2, 1, 1, 1, 1}, {"Pad", 11, 2, 3, 1, 1},
    {"Pad", 18, 2, 4, 1, 1}, {"Pad", 19, 2, 4, 1, 1}, {NULL, 0, 0, 0, 0, 0},
};

static int layout_init(vd_nn_node *n, vd_error *err)
{
    return vd_nn_kernel_check_arity(arity, n, 2, 1, err);
}

/* ---- Concat ---- */

static int concat_init(vd_nn_node *n, vd_error *err)
{
    int rc = layout_init(n, err);
    if (rc < 0)
        return rc;
    if (!vd_nn_attr_find(n, "axis") && n->opset >= 4)
        return vd_error_set(err, VD_EINVAL, "attribute axis is required");
    return VD_OK;
}

static int concat_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_error *err)
{
    int r = in[0]->ndim, axis;
    int rc = vd_nn_axis(vd_nn_attr_int(n, "axis", 1), r, &axis, err);
    if (rc < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, r, in[0]->shape);
    for (int i = 1; i < n->n_in; i++) {
        char a[96], b[96];
        int ok = in[i] && in[i]->ndim == r && in[i]->dtype == in[0]->dtype;
        for (int d = 0; ok && d < r; d++)
            ok = d == axis || in[i]->shape[d] == in[0]->shape[d];
        if (!ok)
            return vd_error_set(err, VD_EINVAL,
                                "input %d %s %s does not match input 0 %s %s on axis %d", i,
                                in[i] ? vd_dtype_name(in[i]->dtype) : "(missing)",
                                in[i] ? vd_tensor_shape_str(in[i], a, sizeof a) : "",
                                vd_dtype_name(in[0]->dtype),
                                vd_tensor_shape_str(in[0], b, sizeof b), axis);
        out[0]->shape[axis] += in[i]->shape[axis];
    }
    return VD_OK;
}

/* Copy `part` (contiguous, `len` slots along axis) to or from slots
 * [at, at + len) of `whole` along axis: one strided copy of
 * [outer, len * inner] rows. Concat and Split are loops over this. */
static void slab_copy(vd_nn_ctx *ctx, const vd_tensor *whole, int axis, int64_t at,
                      int64_t len, void *part, int to_whole)
{
    size_t es = vd_dtype_size(whole->dtype);
    int64_t inner = prod(whole->shape, axis + 1, whole->ndim);
    int64_t shape[2] = {prod(whole->shape, 0, axis), len * inner};
    int64_t wst[2] = {whole->shape[axis] * inner, 1}, pst[2] = {len * inner, 1};
    char *w = (char *)whole->data + (size_t)(at * inner) * es;
    if (to_whole)
        vd_nn_copy_strided(ctx, w, wst, part, pst, shape, 2, es);
    else
        vd_nn_copy_strided(ctx, part, pst, w, wst, shape, 2, es);
}

static int concat_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int axis;
    vd_nn_axis(vd_nn_attr_int(n, "axis", 1), in[0]->ndim, &axis, NULL);
    for (int i = 0, at = 0; i < n->n_in; at += (int)in[i]->shape[axis], i++)
        slab_copy(ctx, out[0], axis, at, in[i]->shape[axis], in[i]->data, 1);
    return VD_OK;
}

/* ---- Split: sizes from attribute (< 13), input (>= 13) or num_outputs (18) ---- */

static int split_sizes(const vd_nn_node *n, vd_tensor *const *in, int axis, int64_t *sz,
                       vd_error *err)
{
    int64_t dim = in[0]->shape[axis], cnt = n->n_out, total = 0;
    int have = 0;
    if (n->op->since_opset < 13) {
        const int64_t *v;
        have = vd_nn_attr_ints(n, "split", &v);
        for (int i = 0; i < have && i < cnt; i++)
            sz[i] = v[i];
    } else if (n->n_in > 1 && in[1]) {
        int rc = vd_nn_kernel_need_data(in[1], "split", err);
        if (rc < 0)
            return rc;
        int64_t tmp[64];
        have = vd_nn_kernel_read_ints(in[1], tmp, 64, "split", err);
        if (have < 0)
            return have;
        for (int i = 0; i < have && i < cnt; i++)
            sz[i] = tmp[i];
    }
    if (have) {
        if (have != cnt)
            return vd_error_set(err, VD_EINVAL, "split has %d sizes for %lld outputs", have,
                                (long long)cnt);
        for (int i = 0; i < cnt; i++) {
            if (sz[i] < 0)
                return vd_error_set(err, VD_EINVAL, "split[%d] = %lld is negative", i,
                                    (long long)sz[i]);
            total += sz[i];
        }
        if (total != dim)
            return vd_error_set(err, VD_EINVAL, "split sizes sum to %lld, axis %d has %lld",
                                (long long)total, axis, (long long)dim);
        return VD_OK;
    }
    int64_t num = vd_nn_attr_int(n, "num_outputs", 0);
    if (num && num != cnt)
        return vd_error_set(err, VD_EINVAL, "num_outputs %lld but the node has %lld outputs",
                            (long long)num, (long long)cnt);
    if (!num && dim % cnt)
        return vd_error_set(err, VD_EINVAL, "axis %d of size %lld does not split evenly in %lld",
                            axis, (long long)dim, (long long)cnt);
    /* Opset 18: ceil-sized chunks, the last one smaller. */
    int64_t chunk = (dim + cnt - 1) / cnt;
    for (int i = 0; i < cnt; i++) {
        int64_t left = dim - total;
        sz[i] = left < chunk ? (left > 0 ? left : 0) : chunk;
        total += sz[i];
    }
    return VD_OK;
}

static int split_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    int axis;
    int rc = vd_nn_axis(vd_nn_attr_int(n, "axis", 0), in[0]->ndim, &axis, err);
    if (rc < 0)
        return rc;
    if (n->n_out > 64)
        return vd_error_set(err, VD_EUNSUPPORTED, "%d outputs (at most 64)", n->n_out);
    int64_t sz[64];
    rc = split_sizes(n, in, axis, sz, err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n->n_out; i++) {
        if (!out[i])
            continue;
        vd_nn_kernel_set_shape(out[i], in[0]->dtype, in[0]->ndim, in[0]->shape);
        out[i]->shape[axis] = sz[i];
    }
    return VD_OK;
}

static int split_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int axis;
    vd_nn_axis(vd_nn_attr_int(n, "axis", 0), in[0]->ndim, &axis, NULL);
    /* An omitted output still occupies its slice of the input. */
    int64_t sz[64];
    split_sizes(n, in, axis, sz, NULL);
    for (int64_t i = 0, at = 0; i < n->n_out; at += sz[i], i++)
        if (out[i])
            slab_copy(ctx, in[0], axis, at, sz[i], out[i]->data, 0);
    return VD_OK;
}

/* ---- Slice ---- */

typedef struct slice_plan {
    int64_t start[VD_TENSOR_MAX_DIMS], step[VD_TENSOR_MAX_DIMS], count[VD_TENSOR_MAX_DIMS];
} slice_plan;

static int slice_param(const vd_nn_node *n, vd_tensor *const *in, int which, int64_t *v,
                       vd_error *err)
{
    static const char *const names[] = {"", "starts", "ends", "axes", "steps"};
    if (n->op->since_opset < 10) {
        const int64_t *a;
        int cnt = vd_nn_attr_ints(n, names[which], &a);
        if (cnt > VD_TENSOR_MAX_DIMS)
            return vd_error_set(err, VD_EINVAL, "%s has %d values", names[which], cnt);
        if (cnt == 0 && which < 3)
            return vd_error_set(err, VD_EINVAL, "attribute %s is required", names[which]);
        if (cnt)
            memcpy(v, a, sizeof *v * (size_t)cnt);
        return cnt == 0 ? -100 : cnt;
    }
    if (which >= n->n_in || !in[which])
        return -100; /* absent: caller uses the default */
    int rc = vd_nn_kernel_need_data(in[which], names[which], err);
    if (rc < 0)
        return rc;
    return vd_nn_kernel_read_ints(in[which], v, VD_TENSOR_MAX_DIMS, names[which], err);
}

static int slice_make(const vd_nn_node *n, vd_tensor *const *in, slice_plan *p,
                      vd_error *err)
{
    const vd_tensor *x = in[0];
    int64_t st[VD_TENSOR_MAX_DIMS], en[VD_TENSOR_MAX_DIMS], ax[VD_TENSOR_MAX_DIMS],
        sp[VD_TENSOR_MAX_DIMS];
    int ns = slice_param(n, in, 1, st, err);
    int ne = slice_param(n, in, 2, en, err);
    if (ns < 0 || ne < 0)
        return ns < 0 && ns != -100 ? ns : (ne != -100 && ne < 0 ? ne : VD_EINVAL);
    if (ns != ne)
        return vd_error_set(err, VD_EINVAL, "starts has %d values, ends %d", ns, ne);
    int na = slice_param(n, in, 3, ax, err), nsp = slice_param(n, in, 4, sp, err);
    if ((na < 0 && na != -100) || (nsp < 0 && nsp != -100))
        return na < 0 && na != -100 ? na : nsp;
    if (na == -100)
        for (na = 0; na < ns; na++)
            ax[na] = na;
    if (nsp == -100)
        for (nsp = 0; nsp < ns; nsp++)
            sp[nsp] = 1;
    if (na != ns || nsp != ns)
        return vd_error_set(err, VD_EINVAL, "starts, ends, axes, steps differ in length");
    for (int d = 0; d < x->ndim; d++) {
        p->start[d] = 0;
        p->step[d] = 1;
        p->count[d] = x->shape[d];
    }
    unsigned seen = 0;
    for (int i = 0; i < ns; i++) {
        int a;
        int rc = vd_nn_axis(ax[i], x->ndim, &a, err);
        if (rc < 0)
            return rc;
        if ((seen >> a) & 1)
            return vd_error_set(err, VD_EINVAL, "axis %lld repeated", (long long)ax[i]);
        seen |= 1u << a;
        int64_t dim = x->shape[a], s = st[i], e = en[i], step = sp[i];
        if (step == 0)
            return vd_error_set(err, VD_EINVAL, "steps[%d] is 0", i);
        if (s < 0)
            s += dim;
        if (e < 0)
            e += dim;
        if (step > 0) {
            s = s < 0 ? 0 : (s > dim ? dim : s);
            e = e < 0 ? 0 : (e > dim ? dim : e);
            p->count[a] = e > s ? (e - s + step - 1) / step : 0;
        } else {
            s = s < 0 ? 0 : (s > dim - 1 ? dim - 1 : s);
            e = e < -1 ? -1 : (e > dim - 1 ? dim - 1 : e);
            p->count[a] = s > e ? (s - e + (-step) - 1) / (-step) : 0;
        }
        p->start[a] = p->count[a] ? s : 0;
        p->step[a] = step;
    }
    return VD_OK;
}

static int slice_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    slice_plan p;
    int rc = slice_make(n, in, &p, err);
    if (rc < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, p.count);
    return VD_OK;
}

static int slice_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    slice_plan p;
    rc = slice_make(n, in, &p, NULL);
    if (rc < 0)
        return vd_nn_ctx_fail(ctx, rc, "bad slice parameters");
    int r = in[0]->ndim;
    int64_t ist[VD_TENSOR_MAX_DIMS], ost[VD_TENSOR_MAX_DIMS], sst[VD_TENSOR_MAX_DIMS], off = 0;
    vd_nn_copy_strides(in[0]->shape, r, ist);
    vd_nn_copy_strides(out[0]->shape, r, ost);
    for (int d = 0; d < r; d++) {
        off += p.start[d] * ist[d];
        sst[d] = p.step[d] * ist[d];
    }
    size_t es = vd_dtype_size(in[0]->dtype);
    vd_nn_copy_strided(ctx, out[0]->data, ost, (char *)in[0]->data + off * (int64_t)es, sst,
                     out[0]->shape, r, es);
    return VD_OK;
}

/* ---- Gather, GatherElements, GatherND ---- */

static int gather_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_error *err)
{
    const vd_tensor *x = in[0], *idx = in[1];
    int axis;
    int rc = vd_nn_axis(vd_nn_attr_int(n, "axis", 0), x->ndim, &axis, err);
    if (rc < 0)
        return rc;
    if (idx->dtype != VD_DTYPE_I64 && idx->dtype != VD_DTYPE_I32)
        return vd_error_set(err, VD_EINVAL, "indices must be int64 or int32, not %s",
                            vd_dtype_name(idx->dtype));
    int nd = x->ndim - 1 + idx->ndim;
    if (nd > VD_TENSOR_MAX_DIMS)
        return vd_error_set(err, VD_EINVAL, "result rank %d exceeds %d", nd, VD_TENSOR_MAX_DIMS);
    int64_t s[VD_TENSOR_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < axis; i++)
        s[k++] = x->shape[i];
    for (int i = 0; i < idx->ndim; i++)
        s[k++] = idx->shape[i];
    for (int i = axis + 1; i < x->ndim; i++)
        s[k++] = x->shape[i];
    vd_nn_kernel_set_shape(out[0], x->dtype, nd, s);
    return VD_OK;
}

static int bad_index(vd_nn_ctx *ctx, int64_t v, int64_t dim, int axis)
{
    return vd_nn_ctx_fail(ctx, VD_ERANGE, "index %lld out of range [-%lld, %lld) on axis %d",
                          (long long)v, (long long)dim, (long long)dim, axis);
}

static int gather_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *x = in[0], *idx = in[1];
    int axis;
    vd_nn_axis(vd_nn_attr_int(n, "axis", 0), x->ndim, &axis, NULL);
    size_t es = vd_dtype_size(x->dtype);
    int64_t outer = prod(x->shape, 0, axis), dim = x->shape[axis];
    int64_t ni = vd_tensor_numel(idx);
    size_t blk = (size_t)prod(x->shape, axis + 1, x->ndim) * es;
    char *o = out[0]->data;
    for (int64_t b = 0; b < outer; b++)
        for (int64_t j = 0; j < ni; j++, o += blk) {
            int64_t v = vd_nn_tensor_get_i64(idx, j), w = v < 0 ? v + dim : v;
            if (w < 0 || w >= dim)
                return bad_index(ctx, v, dim, axis);
            memcpy(o, (const char *)x->data + ((size_t)(b * dim + w)) * blk, blk);
        }
    return VD_OK;
}

static int gather_el_infer(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out, vd_error *err)
{
    int axis;
    int rc = vd_nn_axis(vd_nn_attr_int(n, "axis", 0), in[0]->ndim, &axis, err);
    if (rc < 0)
        return rc;
    rc = vd_nn_kernel_check_elements_idx(in[0], in[1], axis, err);
    if (rc < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[1]->ndim, in[1]->shape);
    return VD_OK;
}

static int gather_el_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                         vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *x = in[0], *idx = in[1];
    int axis, r = x->ndim;
    vd_nn_axis(vd_nn_attr_int(n, "axis", 0), r, &axis, NULL);
    size_t es = vd_dtype_size(x->dtype);
    int64_t xst[VD_TENSOR_MAX_DIMS], pos[VD_TENSOR_MAX_DIMS] = {0};
    vd_nn_copy_strides(x->shape, r, xst);
    int64_t total = vd_tensor_numel(idx);
    for (int64_t i = 0; i < total; i++) {
        int64_t v = vd_nn_tensor_get_i64(idx, i), dim = x->shape[axis];
        int64_t w = v < 0 ? v + dim : v, off = 0;
        if (w < 0 || w >= dim)
            return bad_index(ctx, v, dim, axis);
        for (int d = 0; d < r; d++)
            off += (d == axis ? w : pos[d]) * xst[d];
        memcpy((char *)out[0]->data + (size_t)i * es, (const char *)x->data + (size_t)off * es,
               es);
        for (int d = r - 1; d >= 0 && ++pos[d] == idx->shape[d]; d--)
            pos[d] = 0;
    }
    return VD_OK;
}

static int gather_nd_infer(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out, vd_error *err)
{
    const vd_tensor *x = in[0], *idx = in[1];
    int64_t b = vd_nn_attr_int(n, "batch_dims", 0);
    if (idx->ndim < 1 || b < 0 || b >= idx->ndim || b >= x->ndim)
        return vd_error_set(err, VD_EINVAL, "batch_dims %lld invalid for ranks %d and %d",
                            (long long)b, x->ndim, idx->ndim);
    int64_t k = idx->shape[idx->ndim - 1];
    if (k < 1 || b + k > x->ndim)
        return vd_error_set(err, VD_EINVAL, "index depth %lld too large for data rank %d",
                            (long long)k, x->ndim);
    if (idx->dtype != VD_DTYPE_I64 && idx->dtype != VD_DTYPE_I32)
        return vd_error_set(err, VD_EINVAL, "indices must be int64 or int32");
    for (int i = 0; i < b; i++)
        if (x->shape[i] != idx->shape[i])
            return vd_error_set(err, VD_EINVAL, "batch dim %d differs", i);
    int64_t s[VD_TENSOR_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < idx->ndim - 1; i++)
        s[nd++] = idx->shape[i];
    for (int i = (int)(b + k); i < x->ndim; i++) {
        if (nd == VD_TENSOR_MAX_DIMS)
            return vd_error_set(err, VD_EINVAL, "result rank too large");
        s[nd++] = x->shape[i];
    }
    vd_nn_kernel_set_shape(out[0], x->dtype, nd, s);
    return VD_OK;
}

static int gather_nd_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                         vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *x = in[0], *idx = in[1];
    int b = (int)vd_nn_attr_int(n, "batch_dims", 0);
    int k = (int)idx->shape[idx->ndim - 1];
    size_t es = vd_dtype_size(x->dtype);
    int64_t xst[VD_TENSOR_MAX_DIMS];
    vd_nn_copy_strides(x->shape, x->ndim, xst);
    int64_t batches = prod(x->shape, 0, b);
    int64_t per_batch = prod(idx->shape, b, idx->ndim - 1);
    size_t blk = (size_t)prod(x->shape, b + k, x->ndim) * es;
    char *o = out[0]->data;
    for (int64_t bi = 0; bi < batches; bi++)
        for (int64_t j = 0; j < per_batch; j++, o += blk) {
            int64_t off = b ? bi * xst[b - 1] : 0;
            for (int t = 0; t < k; t++) {
                int64_t v = vd_nn_tensor_get_i64(idx, (bi * per_batch + j) * k + t);
                int64_t dim = x->shape[b + t], w = v < 0 ? v + dim : v;
                if (w < 0 || w >= dim)
                    return bad_index(ctx, v, dim, b + t);
                off += w * xst[b + t];
            }
            memcpy(o, (const char *)x->data + (size_t)off * es, blk);
        }
    return VD_OK;
}

/* ---- Expand, Tile ---- */

static int expand_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_error *err)
{
    (void)n;
    int rc = vd_nn_kernel_need_data(in[1], "shape", err);
    if (rc < 0)
        return rc;
    vd_tensor want = {.dtype = in[0]->dtype};
    want.ndim = vd_nn_kernel_read_ints(in[1], want.shape, VD_TENSOR_MAX_DIMS, "shape", err);
    if (want.ndim < 0)
        return want.ndim;
    int nd;
    int64_t s[VD_TENSOR_MAX_DIMS];
    rc = vd_nn_broadcast_shape(in[0], &want, &nd, s, err);
    if (rc < 0 || (rc = vd_nn_kernel_check_numel(nd, s, err)) < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, nd, s);
    return VD_OK;
}

static int expand_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *x = in[0];
    int nd = out[0]->ndim, lead = nd - x->ndim;
    int64_t ist[VD_TENSOR_MAX_DIMS], ost[VD_TENSOR_MAX_DIMS], sst[VD_TENSOR_MAX_DIMS];
    vd_nn_copy_strides(x->shape, x->ndim, ist);
    vd_nn_copy_strides(out[0]->shape, nd, ost);
    for (int d = 0; d < nd; d++)
        sst[d] = d < lead || x->shape[d - lead] == 1 ? 0 : ist[d - lead];
    vd_nn_copy_strided(ctx, out[0]->data, ost, x->data, sst, out[0]->shape, nd,
                     vd_dtype_size(x->dtype));
    return VD_OK;
}

static int tile_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_error *err)
{
    (void)n;
    int rc = vd_nn_kernel_need_data(in[1], "repeats", err);
    if (rc < 0)
        return rc;
    int64_t rep[VD_TENSOR_MAX_DIMS], s[VD_TENSOR_MAX_DIMS];
    int cnt = vd_nn_kernel_read_ints(in[1], rep, VD_TENSOR_MAX_DIMS, "repeats", err);
    if (cnt < 0)
        return cnt;
    if (cnt != in[0]->ndim)
        return vd_error_set(err, VD_EINVAL, "repeats has %d values for rank %d", cnt,
                            in[0]->ndim);
    for (int d = 0; d < cnt; d++) {
        if (rep[d] < 0)
            return vd_error_set(err, VD_EINVAL, "repeats[%d] = %lld is negative", d,
                                (long long)rep[d]);
        if (rep[d] > VD_NN_KERNEL_MAX_NUMEL)
            return vd_error_set(err, VD_ELIMIT, "repeats[%d] = %lld is too large", d,
                                (long long)rep[d]);
        s[d] = in[0]->shape[d] * rep[d];
    }
    if ((rc = vd_nn_kernel_check_numel(cnt, s, err)) < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, cnt, s);
    return VD_OK;
}

static int tile_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *x = in[0];
    int r = x->ndim;
    int64_t ist[VD_TENSOR_MAX_DIMS], ost[VD_TENSOR_MAX_DIMS];
    int64_t shp[2 * VD_TENSOR_MAX_DIMS], dst[2 * VD_TENSOR_MAX_DIMS], sst[2 * VD_TENSOR_MAX_DIMS];
    vd_nn_copy_strides(x->shape, r, ist);
    vd_nn_copy_strides(out[0]->shape, r, ost);
    for (int d = 0; d < r; d++) {
        shp[2 * d] = x->shape[d] ? out[0]->shape[d] / x->shape[d] : 0;
        shp[2 * d + 1] = x->shape[d];
        dst[2 * d] = x->shape[d] * ost[d];
        dst[2 * d + 1] = ost[d];
        sst[2 * d] = 0;
        sst[2 * d + 1] = ist[d];
    }
    vd_nn_copy_strided(ctx, out[0]->data, dst, x->data, sst, shp, 2 * r,
                     vd_dtype_size(x->dtype));
    return VD_OK;
}

/* ---- Pad ---- */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

static int pad_mode(const vd_nn_node *n, vd_error *err)
{
    const char *m = vd_nn_attr_string(n, "mode", "constant");
    if (!strcmp(m, "constant"))
        return PAD_CONSTANT;
    if (!strcmp(m, "reflect"))
        return PAD_REFLECT;
    if (!strcmp(m, "edge"))
        return PAD_EDGE;
    if (!strcmp(m, "wrap") && n->opset >= 19)
        return PAD_WRAP;
    return vd_error_set(err, VD_EUNSUPPORTED, "attribute mode = \"%s\" is not supported%s", m,
                        strcmp(m, "wrap") ? "" : " before opset 19");
}

static int pad_init(vd_nn_node *n, vd_error *err)
{
    int rc = layout_init(n, err);
    if (rc < 0)
        return rc;
    rc = pad_mode(n, err);
    return rc < 0 ? rc : VD_OK;
}

/* pads[2*r]: begins then ends, for every axis (absent axes get 0). */
static int pad_amounts(const vd_nn_node *n, vd_tensor *const *in, int64_t *pads,
                       vd_error *err)
{
    int r = in[0]->ndim, cnt;
    int64_t raw[2 * VD_TENSOR_MAX_DIMS], axes[VD_TENSOR_MAX_DIMS];
    if (n->op->since_opset < 11) {
        const int64_t *v;
        cnt = vd_nn_attr_ints(n, "pads", &v);
        if (cnt > 2 * VD_TENSOR_MAX_DIMS)
            cnt = 2 * VD_TENSOR_MAX_DIMS + 1;
        else if (cnt)
            memcpy(raw, v, sizeof *v * (size_t)cnt);
    } else {
        int rc = vd_nn_kernel_need_data(in[1], "pads", err);
        if (rc < 0)
            return rc;
        cnt = vd_nn_kernel_read_ints(in[1], raw, 2 * VD_TENSOR_MAX_DIMS, "pads", err);
        if (cnt < 0)
            return cnt;
    }
    int na = r;
    for (int i = 0; i < r; i++)
        axes[i] = i;
    if (n->n_in > 3 && in[3]) {
        int rc = vd_nn_kernel_need_data(in[3], "axes", err);
        if (rc < 0)
            return rc;
        na = vd_nn_kernel_read_ints(in[3], axes, VD_TENSOR_MAX_DIMS, "axes", err);
        if (na < 0)
            return na;
    }
    if (cnt != 2 * na)
        return vd_error_set(err, VD_EINVAL, "pads has %d values, expected %d", cnt, 2 * na);
    memset(pads, 0, sizeof *pads * 2 * (size_t)r);
    for (int i = 0; i < na; i++) {
        int a;
        int rc = vd_nn_axis(axes[i], r, &a, err);
        if (rc < 0)
            return rc;
        pads[a] = raw[i];
        pads[r + a] = raw[na + i];
    }
    return VD_OK;
}

static int pad_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    int64_t pads[2 * VD_TENSOR_MAX_DIMS], s[VD_TENSOR_MAX_DIMS];
    int r = in[0]->ndim;
    int rc = pad_amounts(n, in, pads, err);
    if (rc < 0)
        return rc;
    int mode = pad_mode(n, err);
    for (int d = 0; d < r; d++) {
        if (pads[d] > VD_NN_KERNEL_MAX_NUMEL || pads[r + d] > VD_NN_KERNEL_MAX_NUMEL ||
            pads[d] < -VD_NN_KERNEL_MAX_NUMEL || pads[r + d] < -VD_NN_KERNEL_MAX_NUMEL)
            return vd_error_set(err, VD_ELIMIT, "pads on axis %d are too large", d);
        s[d] = in[0]->shape[d] + pads[d] + pads[r + d];
        if (s[d] < 0)
            return vd_error_set(err, VD_EINVAL, "pads on axis %d leave a negative size", d);
        if (mode != PAD_CONSTANT && s[d] > 0 && in[0]->shape[d] == 0)
            return vd_error_set(err, VD_EINVAL, "cannot %s-pad the empty axis %d",
                                vd_nn_attr_string(n, "mode", ""), d);
    }
    if ((rc = vd_nn_kernel_check_numel(r, s, err)) < 0)
        return rc;
    if (n->op->since_opset >= 11 && n->n_in > 2 && in[2] && in[2]->dtype != in[0]->dtype)
        return vd_error_set(err, VD_EINVAL, "constant_value is %s, the data %s",
                            vd_dtype_name(in[2]->dtype), vd_dtype_name(in[0]->dtype));
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, r, s);
    return VD_OK;
}

/* Source index along one axis for output position i; -1 = pad value. */
static int64_t pad_src(int mode, int64_t i, int64_t begin, int64_t dim)
{
    int64_t j = i - begin;
    if (j >= 0 && j < dim)
        return j;
    switch (mode) {
    case PAD_EDGE: return j < 0 ? 0 : dim - 1;
    case PAD_WRAP: return ((j % dim) + dim) % dim;
    case PAD_REFLECT:
        if (dim == 1)
            return 0;
        {
            int64_t period = 2 * (dim - 1);
            j = ((j % period) + period) % period;
            return j < dim ? j : period - j;
        }
    default: return -1;
    }
}

/* One output row: the edges element by element through the map (or the
 * pad value), the interior [lo, hi) as one memcpy. */
static void pad_row(char *o, const char *src, const int64_t *map, int64_t inner, int64_t lo,
                    int64_t hi, size_t es, const void *val, int outside)
{
    for (int64_t i = 0; i < inner; i++) {
        if (i == lo && hi > lo) {
            memcpy(o + (size_t)lo * es, src + (size_t)map[lo] * es, (size_t)(hi - lo) * es);
            i = hi - 1;
            continue;
        }
        const void *from = outside || map[i] < 0 ? val : src + (size_t)map[i] * es;
        if (es == 4)
            memcpy(o + (size_t)i * 4, from, 4);
        else
            memcpy(o + (size_t)i * es, from, es);
    }
}

static int pad_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *x = in[0];
    int r = x->ndim, mode = pad_mode(n, NULL);
    int64_t pads[2 * VD_TENSOR_MAX_DIMS];
    pad_amounts(n, in, pads, NULL);
    size_t es = vd_dtype_size(x->dtype);
    /* The pad value, in the data's dtype. */
    uint64_t val_bytes = 0;
    vd_tensor val = {.dtype = x->dtype, .data = &val_bytes};
    if (n->op->since_opset < 11)
        vd_nn_kernel_set_f64(&val, 0, vd_nn_attr_float(n, "value", 0));
    else if (n->n_in > 2 && in[2] && vd_tensor_numel(in[2]) > 0)
        memcpy(&val_bytes, in[2]->data, es);
    int64_t total_map = 0;
    for (int d = 0; d < r; d++)
        total_map += out[0]->shape[d];
    int64_t *map = malloc(sizeof *map * (size_t)(total_map + 1));
    if (!map)
        return vd_nn_ctx_fail(ctx, VD_ENOMEM, "Pad: out of memory");
    int64_t *m[VD_TENSOR_MAX_DIMS], ist[VD_TENSOR_MAX_DIMS], pos[VD_TENSOR_MAX_DIMS] = {0};
    vd_nn_copy_strides(x->shape, r, ist);
    for (int d = 0, k = 0; d < r; k += (int)out[0]->shape[d], d++) {
        m[d] = map + k;
        for (int64_t i = 0; i < out[0]->shape[d]; i++)
            m[d][i] = pad_src(mode, i, pads[d], x->shape[d]);
    }
    int64_t total = vd_tensor_numel(out[0]);
    int64_t inner = r ? out[0]->shape[r - 1] : 1;
    /* On the last axis, [lo, hi) maps onto consecutive source elements. */
    int64_t b = r ? pads[r - 1] : 0, dim = r ? x->shape[r - 1] : 1;
    int64_t lo = b < 0 ? 0 : (b > inner ? inner : b);
    int64_t hi = b + dim < lo ? lo : (b + dim > inner ? inner : b + dim);
    int64_t one = 0;
    const int64_t *last = r ? m[r - 1] : &one;
    char *o = out[0]->data;
    const char *src = x->data;
    for (int64_t row = 0; row * inner < total && inner > 0; row++, o += (size_t)inner * es) {
        int64_t off = 0;
        int outside = 0;
        for (int d = 0; d < r - 1; d++) {
            int64_t s = m[d][pos[d]];
            outside |= s < 0;
            off += s * ist[d];
        }
        pad_row(o, src + (size_t)off * es, last, inner, outside ? inner : lo, outside ? inner : hi,
                es, &val_bytes, outside);
        for (int d = r - 2; d >= 0 && ++pos[d] == out[0]->shape[d]; d--)
            pos[d] = 0;
    }
    free(map);
    return VD_OK;
}

/* ---- table ---- */

#define A(...) (const char *const[]){__VA_ARGS__, NULL}
#define F VD_NN_OP_FOLDABLE

const vd_nn_op vd_nn_ops_layout[] = {
    {"Concat", 1, F, A("axis"), concat_init, NULL, concat_infer, NULL, concat_run},
    {"Split", 2, F, A("axis", "split"), layout_init, NULL, split_infer, NULL, split_run},
    {"Split", 13, F, A("axis"), layout_init, NULL, split_infer, NULL, split_run},
    {"Split", 18, F, A("axis", "num_outputs"), layout_init, NULL, split_infer, NULL, split_run},
    {"Slice", 1, F, A("starts", "ends", "axes"), layout_init, NULL, slice_infer, NULL, slice_run},
    {"Slice", 10, F, NULL, layout_init, NULL, slice_infer, NULL, slice_run},
    {"Gather", 1, F, A("axis"), layout_init, NULL, gather_infer, NULL, gather_run},
    {"GatherElements", 11, F, A("axis"), layout_init, NULL, gather_el_infer, NULL, gather_el_run},
    {"GatherND", 11, F, A("batch_dims"), layout_init, NULL, gather_nd_infer, NULL, gather_nd_run},
    {"Expand", 8, F, NULL, layout_init, NULL, expand_infer, NULL, expand_run},
    {"Tile", 6, F, NULL, layout_init, NULL, tile_infer, NULL, tile_run},
    {"Pad", 2, F, A("mode", "pads", "value"), pad_init, NULL, pad_infer, NULL, pad_run},
    {"Pad", 11, F, A("mode"), pad_init, NULL, pad_infer, NULL, pad_run},
    {"Pad", 18, F, A("mode"), pad_init, NULL, pad_infer, NULL, pad_run}, /* + axes input */
    {"Pad", 19, F, A("mode"), pad_init, NULL, pad_infer, NULL, pad_run}, /* + mode wrap */
    {0},
};
