/* shape.c -- kernel family "shape": ops that move or reinterpret bytes
 * without arithmetic (Reshape, Transpose, Slice, Concat, Gather, Pad ...).
 *
 * Every op here is dtype-agnostic: it copies elements by their byte size,
 * so int64 shape subgraphs and float tensors share one kernel. Copies with
 * a regular pattern go through vd_nn_copy_strided (copy.h). An op whose
 * output shape depends on an input's data (Reshape's shape, Slice's
 * starts ...) computes it in infer() when that input is constant, returns
 * VD_EUNSUPPORTED otherwise, and recomputes it in run() when the runtime
 * hands it an output without storage (vd_nn_kernel_ensure_out). Ops that
 * move data in a layout pattern (Concat, Split, Slice, Gather, Pad ...)
 * live in layout.c; this file holds the re-shaping and constant ones. */
#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "kernel.h"
#include "copy.h"
#include "vectorize.h"

/* Reshape, Flatten, Squeeze, Unsqueeze, Identity: the bytes do not move. */
static int run_same_bytes(const vd_nn_node *n, vd_tensor *const *in,
                               vd_tensor *const *out, vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    if (out[0]->data != in[0]->data)
        memcpy(out[0]->data, in[0]->data, vd_tensor_nbytes(in[0]));
    return VD_OK;
}

static int identity_infer(const vd_nn_node *n, vd_tensor *const *in,
                          vd_tensor *const *out, vd_error *err)
{
    (void)n;
    (void)err;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, in[0]->shape);
    return VD_OK;
}

/* Load time: input/output counts; anything not listed is 1 in, 1 out. */
static const vd_nn_kernel_arity arity[] = {
    {"Reshape", 0, 2, 2, 1, 1}, {"Squeeze", 13, 1, 2, 1, 1}, {"Unsqueeze", 13, 2, 2, 1, 1},
    {"Constant", 0, 0, 0, 1, 1}, {"Range", 0, 3, 3, 1, 1}, {NULL, 0, 0, 0, 0, 0},
};

static int shape_init(vd_nn_node *n, vd_error *err)
{
    return vd_nn_kernel_check_arity(arity, n, 1, 1, err);
}

/* ---- Reshape ---- */

static int reshape_infer(const vd_nn_node *n, vd_tensor *const *in,
                         vd_tensor *const *out, vd_error *err)
{
    int rc = vd_nn_kernel_need_data(in[1], "shape", err);
    if (rc < 0)
        return rc;
    int64_t s[VD_TENSOR_MAX_DIMS];
    int nd = vd_nn_kernel_read_ints(in[1], s, VD_TENSOR_MAX_DIMS, "shape", err);
    if (nd < 0)
        return nd;
    int allowzero = (int)vd_nn_attr_int(n, "allowzero", 0);
    for (int i = 0; i < nd; i++)
        if (s[i] > VD_NN_KERNEL_MAX_NUMEL)
            return vd_error_set(err, VD_ELIMIT, "shape[%d] = %lld is too large", i,
                                (long long)s[i]);
    int infer_at = -1;
    int64_t known = 1, numel = vd_tensor_numel(in[0]);
    for (int i = 0; i < nd; i++) {
        if (s[i] == 0 && !allowzero) {
            if (i >= in[0]->ndim)
                return vd_error_set(err, VD_EINVAL,
                                    "shape[%d] = 0 copies a dim the rank-%d input lacks",
                                    i, in[0]->ndim);
            s[i] = in[0]->shape[i];
        }
        if (s[i] == -1) {
            if (infer_at >= 0)
                return vd_error_set(err, VD_EINVAL, "shape has more than one -1");
            infer_at = i;
            continue;
        }
        if (s[i] < 0)
            return vd_error_set(err, VD_EINVAL, "shape[%d] = %lld is negative", i,
                                (long long)s[i]);
        known *= s[i]; /* both <= 2^30: no overflow */
        if (known > VD_NN_KERNEL_MAX_NUMEL)
            return vd_error_set(err, VD_ELIMIT, "shape asks for more than %lld elements",
                                (long long)VD_NN_KERNEL_MAX_NUMEL);
    }
    if (infer_at >= 0) {
        if (known == 0 || numel % known)
            return vd_error_set(err, VD_EINVAL,
                                "cannot infer -1 in shape: %lld elements over %lld",
                                (long long)numel, (long long)known);
        s[infer_at] = numel / known;
        known = numel;
    }
    if (known != numel) {
        char b[96];
        return vd_error_set(err, VD_EINVAL, "cannot reshape %s (%lld elements) to %lld elements",
                            vd_tensor_shape_str(in[0], b, sizeof b), (long long)numel,
                            (long long)known);
    }
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, nd, s);
    return VD_OK;
}

/* ---- Flatten ---- */

static int flatten_infer(const vd_nn_node *n, vd_tensor *const *in,
                         vd_tensor *const *out, vd_error *err)
{
    int64_t axis = vd_nn_attr_int(n, "axis", 1), r = in[0]->ndim;
    if (axis < 0)
        axis += r;
    if (axis < 0 || axis > r)
        return vd_error_set(err, VD_EINVAL, "axis %lld out of range for rank %lld",
                            (long long)vd_nn_attr_int(n, "axis", 1), (long long)r);
    int64_t s[2] = {1, 1};
    for (int i = 0; i < r; i++)
        s[i >= axis] *= in[0]->shape[i];
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, 2, s);
    return VD_OK;
}

/* ---- Squeeze / Unsqueeze: axes from the attribute (< 13) or input ---- */

static int get_axes(const vd_nn_node *n, vd_tensor *const *in, int64_t *axes,
                    vd_error *err)
{
    if (n->op->since_opset < 13) {
        const int64_t *v;
        int cnt = vd_nn_attr_ints(n, "axes", &v);
        if (cnt > VD_TENSOR_MAX_DIMS)
            return vd_error_set(err, VD_EINVAL, "too many axes (%d)", cnt);
        for (int i = 0; i < cnt; i++)
            axes[i] = v[i];
        return cnt;
    }
    if (n->n_in < 2 || !in[1])
        return 0;
    int rc = vd_nn_kernel_need_data(in[1], "axes", err);
    if (rc < 0)
        return rc;
    return vd_nn_kernel_read_ints(in[1], axes, VD_TENSOR_MAX_DIMS, "axes", err);
}

/* Normalise axes against rank into a mask; rejects duplicates. */
static int axes_mask(const int64_t *axes, int cnt, int rank, unsigned *mask,
                     vd_error *err)
{
    *mask = 0;
    for (int i = 0; i < cnt; i++) {
        int a;
        int rc = vd_nn_axis(axes[i], rank, &a, err);
        if (rc < 0)
            return rc;
        if (*mask & (1u << a))
            return vd_error_set(err, VD_EINVAL, "axis %lld repeated", (long long)axes[i]);
        *mask |= 1u << a;
    }
    return VD_OK;
}

static int squeeze_infer(const vd_nn_node *n, vd_tensor *const *in,
                         vd_tensor *const *out, vd_error *err)
{
    int64_t axes[VD_TENSOR_MAX_DIMS], s[VD_TENSOR_MAX_DIMS];
    int cnt = get_axes(n, in, axes, err);
    if (cnt < 0)
        return cnt;
    unsigned mask = 0;
    int rc = axes_mask(axes, cnt, in[0]->ndim, &mask, err);
    if (rc < 0)
        return rc;
    int nd = 0;
    for (int i = 0; i < in[0]->ndim; i++) {
        int64_t d = in[0]->shape[i];
        if (cnt == 0 ? d == 1 : (mask >> i) & 1) {
            if (d != 1)
                return vd_error_set(err, VD_EINVAL, "cannot squeeze axis %d of size %lld",
                                    i, (long long)d);
            continue;
        }
        s[nd++] = d;
    }
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, nd, s);
    return VD_OK;
}

static int unsqueeze_infer(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out, vd_error *err)
{
    int64_t axes[VD_TENSOR_MAX_DIMS], s[VD_TENSOR_MAX_DIMS];
    int cnt = get_axes(n, in, axes, err);
    if (cnt < 0)
        return cnt;
    int nd = in[0]->ndim + cnt;
    if (nd > VD_TENSOR_MAX_DIMS)
        return vd_error_set(err, VD_EINVAL, "result rank %d exceeds %d", nd,
                            VD_TENSOR_MAX_DIMS);
    unsigned mask = 0;
    int rc = axes_mask(axes, cnt, nd, &mask, err);
    if (rc < 0)
        return rc;
    for (int i = 0, j = 0; i < nd; i++)
        s[i] = (mask >> i) & 1 ? 1 : in[0]->shape[j++];
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, nd, s);
    return VD_OK;
}

/* ---- Shape, Size ---- */

static void shape_range(const vd_nn_node *n, int r, int64_t *b, int64_t *e)
{
    *b = vd_nn_attr_int(n, "start", 0);
    *e = vd_nn_attr_int(n, "end", r);
    if (*b < 0)
        *b += r;
    if (*e < 0)
        *e += r;
    *b = *b < 0 ? 0 : (*b > r ? r : *b);
    *e = *e < *b ? *b : (*e > r ? r : *e);
}

static int shape_infer(const vd_nn_node *n, vd_tensor *const *in,
                       vd_tensor *const *out, vd_error *err)
{
    (void)err;
    int64_t b, e;
    shape_range(n, in[0]->ndim, &b, &e);
    int64_t len = e - b;
    vd_nn_kernel_set_shape(out[0], VD_DTYPE_I64, 1, &len);
    return VD_OK;
}

static int shape_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int64_t b, e;
    shape_range(n, in[0]->ndim, &b, &e);
    for (int64_t i = b; i < e; i++)
        ((int64_t *)out[0]->data)[i - b] = in[0]->shape[i];
    return VD_OK;
}

static int size_infer(const vd_nn_node *n, vd_tensor *const *in,
                      vd_tensor *const *out, vd_error *err)
{
    (void)n, (void)in, (void)err;
    vd_nn_kernel_set_shape(out[0], VD_DTYPE_I64, 0, NULL);
    return VD_OK;
}

static int size_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc == 0)
        *(int64_t *)out[0]->data = vd_tensor_numel(in[0]);
    return rc;
}

/* ---- Transpose ---- */

static int transpose_perm(const vd_nn_node *n, int r, int *perm, vd_error *err)
{
    const int64_t *p;
    int cnt = vd_nn_attr_ints(n, "perm", &p);
    if (cnt == 0) {
        for (int i = 0; i < r; i++)
            perm[i] = r - 1 - i;
        return VD_OK;
    }
    if (cnt != r)
        return vd_error_set(err, VD_EINVAL, "perm has %d entries for rank %d", cnt, r);
    unsigned seen = 0;
    for (int i = 0; i < r; i++) {
        if (p[i] < 0 || p[i] >= r || (seen >> p[i]) & 1)
            return vd_error_set(err, VD_EINVAL, "perm is not a permutation of 0..%d",
                                r - 1);
        seen |= 1u << p[i];
        perm[i] = (int)p[i];
    }
    return VD_OK;
}

static int transpose_infer(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out, vd_error *err)
{
    int perm[VD_TENSOR_MAX_DIMS];
    int rc = transpose_perm(n, in[0]->ndim, perm, err);
    if (rc < 0)
        return rc;
    int64_t s[VD_TENSOR_MAX_DIMS];
    for (int i = 0; i < in[0]->ndim; i++)
        s[i] = in[0]->shape[perm[i]];
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, s);
    return VD_OK;
}

/* Blocked transpose of `batch` [rows, cols] matrices of 4-byte elements:
 * the NCHW<->NHWC case that tf2onnx graphs are full of. */
typedef struct tr2_job {
    const uint32_t *src;
    uint32_t *dst;
    int64_t rows, cols, tiles_c, tiles_per_batch;
    int64_t th;         /* rows per tile: TR_TILE, or TR_NARROW for <= 4 columns */
} tr2_job;

#define TR_TILE 32
#define TR_NARROW 2048

/* One 4x4 block: d[c][r] = s[r][c] for r, c < 4 (strides in elements). */
static inline void block4(const uint32_t *s, int64_t ss, uint32_t *d, int64_t ds)
{
#if defined(__SSE2__)
    __m128 a = _mm_loadu_ps((const float *)s), b = _mm_loadu_ps((const float *)(s + ss));
    __m128 c = _mm_loadu_ps((const float *)(s + 2 * ss));
    __m128 e = _mm_loadu_ps((const float *)(s + 3 * ss));
    _MM_TRANSPOSE4_PS(a, b, c, e); /* shuffles only: bit patterns are kept */
    _mm_storeu_ps((float *)d, a);
    _mm_storeu_ps((float *)(d + ds), b);
    _mm_storeu_ps((float *)(d + 2 * ds), c);
    _mm_storeu_ps((float *)(d + 3 * ds), e);
#else
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            d[c * ds + r] = s[r * ss + c];
#endif
}

/* Tile [r0, r1) x [c0, c1) in 4x4 blocks, scalar at the ragged edges.
 * The block loop runs along the array whose other stride is the long one:
 * the lines a tile touches there are a large (often 4 KiB-multiple) stride
 * apart and would all land in one cache set, so they are streamed through
 * once instead of being revisited. */
static void tile(const uint32_t *s, uint32_t *d, int64_t rows, int64_t cols, int64_t r0,
                 int64_t r1, int64_t c0, int64_t c1)
{
    int64_t r4 = r0 + (r1 - r0) / 4 * 4, c4 = c0 + (c1 - c0) / 4 * 4;
    if (cols >= rows) {
        for (int64_t r = r0; r < r4; r += 4)
            for (int64_t c = c0; c < c4; c += 4)
                block4(s + r * cols + c, cols, d + c * rows + r, rows);
    } else {
        for (int64_t c = c0; c < c4; c += 4)
            for (int64_t r = r0; r < r4; r += 4)
                block4(s + r * cols + c, cols, d + c * rows + r, rows);
    }
    for (int64_t r = r0; r < r1; r++)
        for (int64_t c = r < r4 ? c4 : c0; c < c1; c++)
            d[c * rows + r] = s[r * cols + c];
}

/* A few columns (NHWC -> NCHW of an RGB image: cols = 3): one pass per
 * column, reading with a constant stride and writing one sequential row,
 * instead of the scalar edge loop of tile(). */
static inline __attribute__((always_inline)) void narrow_cols(const uint32_t *s, uint32_t *d,
                                                              int64_t rows, int cols,
                                                              int64_t r0, int64_t r1)
{
    for (int c = 0; c < cols; c++)
        for (int64_t r = r0; r < r1; r++)
            d[c * rows + r] = s[r * cols + c];
}

VD_NN_CLONES_AVX2 static void tile_narrow(const uint32_t *s, uint32_t *d, int64_t rows,
                                         int64_t cols, int64_t r0, int64_t r1)
{
    switch (cols) {
    case 1: narrow_cols(s, d, rows, 1, r0, r1); break;
    case 2: narrow_cols(s, d, rows, 2, r0, r1); break;
    case 3: narrow_cols(s, d, rows, 3, r0, r1); break;
    default: narrow_cols(s, d, rows, 4, r0, r1); break;
    }
}

static void tr2_tiles(void *arg, int64_t begin, int64_t end)
{
    const tr2_job *j = arg;
    for (int64_t t = begin; t < end; t++) {
        int64_t b = t / j->tiles_per_batch, k = t % j->tiles_per_batch;
        int64_t r0 = k / j->tiles_c * j->th, c0 = k % j->tiles_c * TR_TILE;
        int64_t r1 = r0 + j->th < j->rows ? r0 + j->th : j->rows;
        int64_t c1 = c0 + TR_TILE < j->cols ? c0 + TR_TILE : j->cols;
        const uint32_t *s = j->src + b * j->rows * j->cols;
        uint32_t *d = j->dst + b * j->rows * j->cols;
        if (j->cols <= 4)
            tile_narrow(s, d, j->rows, j->cols, r0, r1);
        else
            tile(s, d, j->rows, j->cols, r0, r1, c0, c1);
    }
}

static int transpose_run(const vd_nn_node *n, vd_tensor *const *in,
                         vd_tensor *const *out, vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int r = in[0]->ndim, perm[VD_TENSOR_MAX_DIMS];
    transpose_perm(n, r, perm, NULL);
    int64_t ist[VD_TENSOR_MAX_DIMS], ost[VD_TENSOR_MAX_DIMS], sst[VD_TENSOR_MAX_DIMS];
    vd_nn_copy_strides(in[0]->shape, r, ist);
    vd_nn_copy_strides(out[0]->shape, r, ost);
    /* Collapse input axes that stay neighbours in perm; if what is left
     * is a batched 2-D transpose, use the blocked kernel. */
    int64_t cs[VD_TENSOR_MAX_DIMS];
    int cp[VD_TENSOR_MAX_DIMS], nd = 0;
    for (int i = 0; i < r; i++) {
        if (i > 0 && perm[i] == perm[i - 1] + 1) {
            cs[nd - 1] *= in[0]->shape[perm[i]];
            continue;
        }
        cs[nd] = in[0]->shape[perm[i]];
        cp[nd++] = perm[i];
    }
    size_t es = vd_dtype_size(in[0]->dtype);
    if (es == 4 && (nd == 2 || (nd == 3 && cp[0] < cp[1] && cp[0] < cp[2])) &&
        cp[nd - 1] < cp[nd - 2]) {
        tr2_job j = {.src = in[0]->data, .dst = out[0]->data};
        j.rows = cs[nd - 1];
        j.cols = cs[nd - 2];
        int64_t batch = nd == 3 ? cs[0] : 1;
        j.th = j.cols <= 4 ? TR_NARROW : TR_TILE;
        j.tiles_c = (j.cols + TR_TILE - 1) / TR_TILE;
        j.tiles_per_batch = (j.rows + j.th - 1) / j.th * j.tiles_c;
        vd_nn_parallel_for(ctx, batch * j.tiles_per_batch,
                           VD_NN_KERNEL_GRAIN / (j.th * TR_TILE) + 1, tr2_tiles, &j);
        return VD_OK;
    }
    for (int i = 0; i < r; i++)
        sst[i] = ist[perm[i]];
    vd_nn_copy_strided(ctx, out[0]->data, ost, in[0]->data, sst, out[0]->shape, r, es);
    return VD_OK;
}

/* ---- Constant, ConstantOfShape ---- */

static int constant_init(vd_nn_node *n, vd_error *err)
{
    int rc = shape_init(n, err);
    if (rc < 0)
        return rc;
    if (n->n_attrs != 1)
        return vd_error_set(err, VD_EINVAL,
                            "needs exactly one of value, value_float(s), value_int(s)");
    return VD_OK;
}

static int constant_infer(const vd_nn_node *n, vd_tensor *const *in,
                          vd_tensor *const *out, vd_error *err)
{
    (void)in;
    const vd_nn_attr *a = &n->attrs[0];
    int64_t len = a->n;
    switch (a->type) {
    case VD_NN_ATTR_TENSOR:
        vd_nn_kernel_set_shape(out[0], a->t.dtype, a->t.ndim, a->t.shape);
        return VD_OK;
    case VD_NN_ATTR_FLOAT: vd_nn_kernel_set_shape(out[0], VD_DTYPE_F32, 0, NULL); return VD_OK;
    case VD_NN_ATTR_INT: vd_nn_kernel_set_shape(out[0], VD_DTYPE_I64, 0, NULL); return VD_OK;
    case VD_NN_ATTR_FLOATS: vd_nn_kernel_set_shape(out[0], VD_DTYPE_F32, 1, &len); return VD_OK;
    case VD_NN_ATTR_INTS: vd_nn_kernel_set_shape(out[0], VD_DTYPE_I64, 1, &len); return VD_OK;
    default:
        return vd_error_set(err, VD_EUNSUPPORTED, "attribute %s: unsupported type", a->name);
    }
}

static int constant_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_nn_attr *a = &n->attrs[0];
    switch (a->type) {
    case VD_NN_ATTR_TENSOR: memcpy(out[0]->data, a->t.data, vd_tensor_nbytes(&a->t)); break;
    case VD_NN_ATTR_FLOAT: *(float *)out[0]->data = a->f; break;
    case VD_NN_ATTR_INT: *(int64_t *)out[0]->data = a->i; break;
    case VD_NN_ATTR_FLOATS: memcpy(out[0]->data, a->floats, sizeof(float) * a->n); break;
    case VD_NN_ATTR_INTS: memcpy(out[0]->data, a->ints, sizeof(int64_t) * a->n); break;
    default: break;
    }
    return VD_OK;
}

static int cos_init(vd_nn_node *n, vd_error *err)
{
    int rc = shape_init(n, err);
    if (rc < 0)
        return rc;
    const vd_nn_attr *a = vd_nn_attr_find(n, "value");
    if (a && (a->type != VD_NN_ATTR_TENSOR || vd_tensor_numel(&a->t) != 1))
        return vd_error_set(err, VD_EINVAL, "attribute value must be a one-element tensor");
    return VD_OK;
}

static int cos_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    int rc = vd_nn_kernel_need_data(in[0], "shape", err);
    if (rc < 0)
        return rc;
    int64_t s[VD_TENSOR_MAX_DIMS];
    int nd = vd_nn_kernel_read_ints(in[0], s, VD_TENSOR_MAX_DIMS, "shape", err);
    if (nd < 0)
        return nd;
    for (int i = 0; i < nd; i++)
        if (s[i] < 0)
            return vd_error_set(err, VD_EINVAL, "shape[%d] = %lld is negative", i,
                                (long long)s[i]);
    if ((rc = vd_nn_kernel_check_numel(nd, s, err)) < 0)
        return rc;
    const vd_nn_attr *a = vd_nn_attr_find(n, "value");
    vd_nn_kernel_set_shape(out[0], a ? a->t.dtype : VD_DTYPE_F32, nd, s);
    return VD_OK;
}

static int cos_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_nn_attr *a = vd_nn_attr_find(n, "value");
    float zero = 0;
    const void *v = a ? a->t.data : &zero;
    size_t es = vd_dtype_size(out[0]->dtype);
    int64_t cnt = vd_tensor_numel(out[0]), one = 0;
    /* A 0-stride copy is a fill. */
    vd_nn_copy_strided(ctx, out[0]->data, (int64_t[]){1}, v, &one, &cnt, 1, es);
    return VD_OK;
}

/* ---- Range ---- */

static int range_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    (void)n;
    static const char *const names[] = {"start", "limit", "delta"};
    for (int i = 0; i < 3; i++) {
        int rc = vd_nn_kernel_need_data(in[i], names[i], err);
        if (rc < 0)
            return rc;
        if (vd_tensor_numel(in[i]) != 1 || in[i]->dtype != in[0]->dtype)
            return vd_error_set(err, VD_EINVAL, "%s must be a scalar of the start's dtype",
                                names[i]);
    }
    vd_dtype dt = in[0]->dtype;
    if (dt != VD_DTYPE_F32 && dt != VD_DTYPE_F64 && dt != VD_DTYPE_I64 &&
        dt != VD_DTYPE_I32 && dt != VD_DTYPE_I16)
        return vd_error_set(err, VD_EUNSUPPORTED, "Range on %s", vd_dtype_name(dt));
    int64_t cnt;
    if (dt == VD_DTYPE_F32 || dt == VD_DTYPE_F64) {
        double s = vd_nn_kernel_get_f64(in[0], 0), l = vd_nn_kernel_get_f64(in[1], 0),
               d = vd_nn_kernel_get_f64(in[2], 0);
        if (d == 0)
            return vd_error_set(err, VD_EINVAL, "delta is 0");
        double c = ceil((l - s) / d);
        if (c > (double)VD_NN_KERNEL_MAX_NUMEL)
            return vd_error_set(err, VD_ELIMIT, "Range of %g elements", c);
        cnt = c > 0 ? (int64_t)c : 0;
    } else {
        int64_t s = vd_nn_tensor_get_i64(in[0], 0), l = vd_nn_tensor_get_i64(in[1], 0),
                d = vd_nn_tensor_get_i64(in[2], 0);
        if (d == 0)
            return vd_error_set(err, VD_EINVAL, "delta is 0");
        /* in double: l - s may overflow int64 */
        double c = ceil(((double)l - (double)s) / (double)d);
        if (c > (double)VD_NN_KERNEL_MAX_NUMEL)
            return vd_error_set(err, VD_ELIMIT, "Range of %g elements", c);
        __int128 span = (__int128)l - s; /* exact: l - s may overflow int64 */
        cnt = c > 0 ? (int64_t)(span / d + ((span % d) != 0 && ((span < 0) == (d < 0)))) : 0;
    }
    vd_nn_kernel_set_shape(out[0], dt, 1, &cnt);
    return VD_OK;
}

static int range_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int64_t cnt = out[0]->shape[0];
    if (in[0]->dtype == VD_DTYPE_F32 || in[0]->dtype == VD_DTYPE_F64) {
        double s = vd_nn_kernel_get_f64(in[0], 0), d = vd_nn_kernel_get_f64(in[2], 0);
        if (in[0]->dtype == VD_DTYPE_F32) {
            /* float accumulation order of the reference: start + i*delta */
            float fs = (float)s, fd = (float)d;
            for (int64_t i = 0; i < cnt; i++)
                ((float *)out[0]->data)[i] = fs + (float)i * fd;
        } else {
            for (int64_t i = 0; i < cnt; i++)
                ((double *)out[0]->data)[i] = s + (double)i * d;
        }
    } else {
        int64_t s = vd_nn_tensor_get_i64(in[0], 0), d = vd_nn_tensor_get_i64(in[2], 0);
        for (int64_t i = 0; i < cnt; i++) {
            int64_t v = s + i * d;
            switch (out[0]->dtype) {
            case VD_DTYPE_I64: ((int64_t *)out[0]->data)[i] = v; break;
            case VD_DTYPE_I32: ((int32_t *)out[0]->data)[i] = (int32_t)v; break;
            default: ((int16_t *)out[0]->data)[i] = (int16_t)v; break;
            }
        }
    }
    return VD_OK;
}

/* ---- NonZero (dynamic) ---- */

static int nonzero_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                         vd_error *err)
{
    (void)n, (void)err;
    int64_t s[2] = {in[0]->ndim, -1};
    vd_nn_kernel_set_shape(out[0], VD_DTYPE_I64, 2, s);
    return VD_OK;
}

static int nonzero_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_nn_ctx *ctx)
{
    (void)n;
    const vd_tensor *x = in[0];
    int64_t total = vd_tensor_numel(x), nnz = 0;
    for (int64_t i = 0; i < total; i++)
        nnz += vd_nn_kernel_get_f64(x, i) != 0;
    int64_t s[2] = {x->ndim, nnz};
    int rc = vd_nn_ctx_alloc_output(ctx, out[0], VD_DTYPE_I64, 2, s);
    if (rc < 0)
        return rc;
    int64_t *o = out[0]->data, k = 0;
    for (int64_t i = 0; i < total; i++) {
        if (vd_nn_kernel_get_f64(x, i) == 0)
            continue;
        int64_t r = i;
        for (int d = x->ndim - 1; d >= 0; d--) {
            o[d * nnz + k] = r % x->shape[d];
            r /= x->shape[d];
        }
        k++;
    }
    return VD_OK;
}

/* ---- table ---- */

#define A(...) (const char *const[]){__VA_ARGS__, NULL}
#define SAME VD_NN_OP_FOLDABLE | VD_NN_OP_INPLACE

const vd_nn_op vd_nn_ops_shape[] = {
    {"Identity", 1, SAME, NULL, shape_init, NULL, identity_infer, NULL, run_same_bytes},
    {"Reshape", 5, SAME, NULL, shape_init, NULL, reshape_infer, NULL, run_same_bytes},
    {"Reshape", 14, SAME, A("allowzero"), shape_init, NULL, reshape_infer, NULL,
     run_same_bytes},
    /* Opset 19/20 versions below only add types (float8, ...) the loader refuses. */
    {"Reshape", 19, SAME, A("allowzero"), shape_init, NULL, reshape_infer, NULL,
     run_same_bytes},
    {"Identity", 19, SAME, NULL, shape_init, NULL, identity_infer, NULL, run_same_bytes},
    {"Flatten", 1, SAME, A("axis"), shape_init, NULL, flatten_infer, NULL,
     run_same_bytes},
    {"Squeeze", 1, SAME, A("axes"), shape_init, NULL, squeeze_infer, NULL,
     run_same_bytes},
    {"Squeeze", 13, SAME, NULL, shape_init, NULL, squeeze_infer, NULL, run_same_bytes},
    {"Unsqueeze", 1, SAME, A("axes"), shape_init, NULL, unsqueeze_infer, NULL,
     run_same_bytes},
    {"Unsqueeze", 13, SAME, NULL, shape_init, NULL, unsqueeze_infer, NULL,
     run_same_bytes},
    {"Shape", 1, VD_NN_OP_FOLDABLE, NULL, shape_init, NULL, shape_infer, NULL, shape_run},
    {"Shape", 15, VD_NN_OP_FOLDABLE, A("start", "end"), shape_init, NULL, shape_infer, NULL,
     shape_run},
    {"Shape", 19, VD_NN_OP_FOLDABLE, A("start", "end"), shape_init, NULL, shape_infer, NULL,
     shape_run},
    {"Size", 1, VD_NN_OP_FOLDABLE, NULL, shape_init, NULL, size_infer, NULL, size_run},
    {"Size", 19, VD_NN_OP_FOLDABLE, NULL, shape_init, NULL, size_infer, NULL, size_run},
    {"Transpose", 1, VD_NN_OP_FOLDABLE, A("perm"), shape_init, NULL, transpose_infer, NULL,
     transpose_run},
    {"Constant", 1, VD_NN_OP_FOLDABLE,
     A("value", "value_float", "value_floats", "value_int", "value_ints"), constant_init,
     NULL, constant_infer, NULL, constant_run},
    {"Constant", 19, VD_NN_OP_FOLDABLE,
     A("value", "value_float", "value_floats", "value_int", "value_ints"), constant_init,
     NULL, constant_infer, NULL, constant_run},
    {"ConstantOfShape", 9, VD_NN_OP_FOLDABLE, A("value"), cos_init, NULL, cos_infer, NULL,
     cos_run},
    {"ConstantOfShape", 20, VD_NN_OP_FOLDABLE, A("value"), cos_init, NULL, cos_infer, NULL,
     cos_run},
    {"Range", 11, VD_NN_OP_FOLDABLE, NULL, shape_init, NULL, range_infer, NULL, range_run},
    {"NonZero", 9, VD_NN_OP_DYNAMIC, NULL, shape_init, NULL, nonzero_infer, NULL, nonzero_run},
    {0},
};
