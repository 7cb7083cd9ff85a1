/* reduce.c -- kernel family "reduce": ReduceX, ArgMax/ArgMin, CumSum.
 *
 * Design choice: every reduction runs on one canonical layout, [outer, R,
 * inner], reducing the middle dim. Axes that are contiguous once unit dims
 * are ignored (the usual case: spatial dims, channels, the last axis) map
 * onto it directly; any other axis set is first transposed so the reduced
 * axes come last (one strided copy). Accumulation is in double for every
 * dtype, over 64-wide strips of `inner` so the inner loop vectorises; when
 * inner is 1 (a contiguous line per output) the line is split in 8 lanes
 * instead, for the same reason. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "copy.h"
#include "vectorize.h"

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_SUMSQ, R_LOGSUM, R_LSE };

static const struct {
    const char *name;
    int kind;
} kinds[] = {
    {"ReduceSum", R_SUM}, {"ReduceMean", R_MEAN}, {"ReduceMax", R_MAX},
    {"ReduceMin", R_MIN}, {"ReduceProd", R_PROD}, {"ReduceL1", R_L1},
    {"ReduceL2", R_L2}, {"ReduceSumSquare", R_SUMSQ}, {"ReduceLogSum", R_LOGSUM},
    {"ReduceLogSumExp", R_LSE},
};

static int reduce_kind(const char *op_type)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, op_type))
            return kinds[i].kind;
    return -1;
}

/* The reduced axes as a bit mask (0: nothing reduced); *noop for
 * noop_with_empty_axes with no axes. */
static int reduce_mask(const vd_nn_node *n, vd_tensor *const *in, unsigned *mask,
                       int *noop, vd_error *err)
{
    int r = in[0]->ndim, cnt;
    int64_t axes[VD_TENSOR_MAX_DIMS];
    int attr_axes = n->op->since_opset < (reduce_kind(n->op_type) == R_SUM ? 13 : 18);
    *noop = 0;
    if (attr_axes) {
        const int64_t *v;
        cnt = vd_nn_attr_ints(n, "axes", &v);
        if (cnt > VD_TENSOR_MAX_DIMS)
            return vd_error_set(err, VD_EINVAL, "too many axes (%d)", cnt);
        if (cnt)
            memcpy(axes, v, sizeof *v * (size_t)cnt);
    } else if (n->n_in > 1 && in[1]) {
        int rc = vd_nn_kernel_need_data(in[1], "axes", err);
        if (rc < 0)
            return rc;
        cnt = vd_nn_kernel_read_ints(in[1], axes, VD_TENSOR_MAX_DIMS, "axes", err);
        if (cnt < 0)
            return cnt;
    } else {
        cnt = 0;
    }
    if (cnt == 0) {
        *noop = !attr_axes && vd_nn_attr_int(n, "noop_with_empty_axes", 0);
        *mask = *noop ? 0 : (1u << r) - 1;
        return VD_OK;
    }
    *mask = 0;
    for (int i = 0; i < cnt; i++) {
        int a;
        int rc = vd_nn_axis(axes[i], r, &a, err);
        if (rc < 0)
            return rc;
        *mask |= 1u << a;
    }
    return VD_OK;
}

static void reduced_shape(const vd_tensor *x, unsigned mask, int keep, vd_tensor *out,
                          vd_dtype dt)
{
    int64_t s[VD_TENSOR_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (!((mask >> d) & 1))
            s[nd++] = x->shape[d];
        else if (keep)
            s[nd++] = 1;
    vd_nn_kernel_set_shape(out, dt, nd, s);
}

/* Opset 20 gives ReduceMax and ReduceMin bool inputs: any / all. */
static int bool_ok(const vd_nn_node *n)
{
    int k = reduce_kind(n->op_type);
    return n->op->since_opset >= 20 && (k == R_MAX || k == R_MIN);
}

static int reduce_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_error *err)
{
    unsigned mask;
    int noop;
    int rc = reduce_mask(n, in, &mask, &noop, err);
    if (rc < 0)
        return rc;
    vd_dtype dt = in[0]->dtype;
    if ((dt == VD_DTYPE_BOOL && !bool_ok(n)) || dt == VD_DTYPE_U16 || dt == VD_DTYPE_I16)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s on %s%s", n->op_type, vd_dtype_name(dt),
                            dt == VD_DTYPE_BOOL ? " (ReduceMax/ReduceMin from opset 20 only)"
                                                : "");
    reduced_shape(in[0], mask, (int)vd_nn_attr_int(n, "keepdims", 1), out[0], dt);
    return VD_OK;
}

/* ---- the [outer, R, inner] kernel ---- */

#define STRIP 64

typedef struct red_job {
    int kind;
    const vd_tensor *x;
    vd_tensor *y;
    int64_t outer, R, inner, strips;
} red_job;

#define RLOOP(T, STMT)                                                 \
    for (int64_t r = 0; r < j->R; r++) {                               \
        const T *row = xp + r * j->inner;                              \
        for (int64_t i = 0; i < w; i++) {                              \
            double v = (double)row[i];                                 \
            STMT;                                                      \
        }                                                              \
    }

#define RED_STRIP(T)                                                           \
    static void strip_##T(const red_job *j, const T *xp, int64_t w, double *acc, \
                          double *mx)                                          \
    {                                                                          \
        switch (j->kind) {                                                     \
        case R_MAX: RLOOP(T, acc[i] = v > acc[i] || v != v ? v : acc[i]); break; \
        case R_MIN: RLOOP(T, acc[i] = v < acc[i] || v != v ? v : acc[i]); break; \
        case R_PROD: RLOOP(T, acc[i] *= v); break;                             \
        case R_L1: RLOOP(T, acc[i] += fabs(v)); break;                         \
        case R_L2:                                                             \
        case R_SUMSQ: RLOOP(T, acc[i] += v * v); break;                        \
        case R_LSE:                                                            \
            RLOOP(T, mx[i] = v > mx[i] ? v : mx[i]);                           \
            RLOOP(T, acc[i] += exp(v - mx[i]));                                \
            break;                                                             \
        default: RLOOP(T, acc[i] += v); break;                                 \
        }                                                                      \
    }
RED_STRIP(float)
RED_STRIP(double)
RED_STRIP(int8_t)
RED_STRIP(uint8_t)
RED_STRIP(int32_t)
RED_STRIP(int64_t)

static void run_strip(const red_job *j, const void *xp, int64_t w, double *acc, double *mx)
{
    switch (j->x->dtype) {
    case VD_DTYPE_F32: strip_float(j, xp, w, acc, mx); break;
    case VD_DTYPE_F64: strip_double(j, xp, w, acc, mx); break;
    case VD_DTYPE_I8: strip_int8_t(j, xp, w, acc, mx); break;
    case VD_DTYPE_U8:
    case VD_DTYPE_BOOL: strip_uint8_t(j, xp, w, acc, mx); break;
    case VD_DTYPE_I32: strip_int32_t(j, xp, w, acc, mx); break;
    default: strip_int64_t(j, xp, w, acc, mx); break;
    }
}

/* Merge partial result (a2, m2) into (*acc, *mx). */
static void combine(int kind, double *acc, double *mx, double a2, double m2)
{
    switch (kind) {
    case R_MAX: *acc = a2 > *acc || a2 != a2 ? a2 : *acc; break;
    case R_MIN: *acc = a2 < *acc || a2 != a2 ? a2 : *acc; break;
    case R_PROD: *acc *= a2; break;
    case R_LSE: {
        double m = m2 > *mx ? m2 : *mx;
        if (m != -INFINITY) {
            *acc = *acc * exp(*mx - m) + a2 * exp(m2 - m);
            *mx = m;
        }
        break;
    }
    default: *acc += a2; break;
    }
}

/* inner == 1: a contiguous line per output. Reducing it as [R/8, 8] gives
 * eight independent accumulators (no add-latency chain, vectorised); the
 * lanes and the tail are merged after. */
/* The common float case of red_line, sums only: lanes fixed at 8 so the
 * loop compiles to packed converts and adds. */
VD_NN_CLONES_AVX2 static double sum_line_f32(const float *x, int64_t R, int squares)
{
    double l[8] = {0};
    int64_t r = 0;
    if (squares)
        for (; r + 8 <= R; r += 8)
            for (int k = 0; k < 8; k++)
                l[k] += (double)x[r + k] * x[r + k];
    else
        for (; r + 8 <= R; r += 8)
            for (int k = 0; k < 8; k++)
                l[k] += x[r + k];
    for (; r < R; r++)
        l[0] += squares ? (double)x[r] * x[r] : x[r];
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

static void red_line(const red_job *j, const char *xp, double *acc, double *mx, double init)
{
    if (j->x->dtype == VD_DTYPE_F32 && (j->kind == R_SUM || j->kind == R_MEAN ||
                                        j->kind == R_SUMSQ || j->kind == R_L2)) {
        *acc = sum_line_f32((const float *)xp, j->R, j->kind == R_SUMSQ || j->kind == R_L2);
        *mx = -INFINITY;
        return;
    }
    enum { LANES = 8 };
    double la[LANES], lm[LANES], ta = init, tm = -INFINITY;
    size_t es = vd_dtype_size(j->x->dtype);
    red_job body = *j, tail = *j;
    body.R = j->R / LANES;
    body.inner = LANES;
    tail.R = j->R % LANES;
    tail.inner = 1;
    for (int k = 0; k < LANES; k++)
        la[k] = init, lm[k] = -INFINITY;
    run_strip(&body, xp, LANES, la, lm);
    run_strip(&tail, xp + (size_t)(body.R * LANES) * es, 1, &ta, &tm);
    *acc = la[0];
    *mx = lm[0];
    for (int k = 1; k < LANES; k++)
        combine(j->kind, acc, mx, la[k], lm[k]);
    combine(j->kind, acc, mx, ta, tm);
}

static void red_tasks(void *arg, int64_t begin, int64_t end)
{
    const red_job *j = arg;
    double acc[STRIP], mx[STRIP];
    size_t es = vd_dtype_size(j->x->dtype);
    for (int64_t t = begin; t < end; t++) {
        int64_t o = t / j->strips, i0 = t % j->strips * STRIP;
        int64_t w = j->inner - i0 < STRIP ? j->inner - i0 : STRIP;
        double init = j->kind == R_MAX ? -INFINITY : j->kind == R_MIN ? INFINITY
                    : j->kind == R_PROD ? 1 : 0;
        for (int64_t i = 0; i < w; i++) {
            acc[i] = init;
            mx[i] = -INFINITY;
        }
        const char *xp = (const char *)j->x->data + (size_t)(o * j->R * j->inner + i0) * es;
        if (j->inner == 1 && j->R >= 16)
            red_line(j, xp, acc, mx, init);
        else
            run_strip(j, xp, w, acc, mx);
        for (int64_t i = 0; i < w; i++) {
            double v = acc[i];
            switch (j->kind) {
            case R_MEAN: v /= (double)j->R; break;
            case R_L2: v = sqrt(v); break;
            case R_LOGSUM: v = log(v); break;
            case R_LSE: v = j->R ? log(v) + mx[i] : -INFINITY; break;
            default: break;
            }
            if (j->y->dtype == VD_DTYPE_BOOL) /* an empty max is false, min true */
                v = v > 0;
            vd_nn_kernel_set_f64(j->y, o * j->inner + i0 + i, v);
        }
    }
}

/* Moves the reduced axes of x last into a malloc'ed copy when they are not
 * already one contiguous run; sets outer/R/inner for the kernel. */
static int canonical(vd_nn_ctx *ctx, const vd_tensor *x, unsigned mask, vd_tensor *view,
                     void **owned, int64_t *outer, int64_t *R, int64_t *inner)
{
    int first = -1, last = -1, gap = 0, kept_since = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (x->shape[d] == 1)
            continue;
        if ((mask >> d) & 1) {
            gap |= first >= 0 && kept_since;
            if (first < 0)
                first = d;
            last = d;
            kept_since = 0;
        } else if (first >= 0) {
            kept_since = 1;
        }
    }
    *view = *x;
    *owned = NULL;
    *outer = *R = *inner = 1;
    for (int d = 0; d < x->ndim; d++) {
        if ((mask >> d) & 1)
            *R *= x->shape[d];
        else if (!gap && first >= 0 && d > last)
            *inner *= x->shape[d];
        else
            *outer *= x->shape[d];
    }
    if (!gap)
        return VD_OK;
    /* Kept axes first, then reduced ones. */
    int64_t st[VD_TENSOR_MAX_DIMS], shp[VD_TENSOR_MAX_DIMS], sst[VD_TENSOR_MAX_DIMS],
        dst[VD_TENSOR_MAX_DIMS];
    vd_nn_copy_strides(x->shape, x->ndim, st);
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int d = 0; d < x->ndim; d++)
            if ((int)((mask >> d) & 1) == pass) {
                shp[k] = x->shape[d];
                sst[k++] = st[d];
            }
    vd_nn_copy_strides(shp, k, dst);
    *owned = malloc(vd_tensor_nbytes(x) + 1);
    if (!*owned)
        return vd_nn_ctx_fail(ctx, VD_ENOMEM, "out of memory for a %zu-byte transpose",
                              vd_tensor_nbytes(x));
    vd_nn_copy_strided(ctx, *owned, dst, x->data, sst, shp, k, vd_dtype_size(x->dtype));
    view->data = *owned;
    *inner = 1;
    return VD_OK;
}

static int reduce_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    unsigned mask;
    int noop;
    /* noop_with_empty_axes: every element is reduced alone (mask 0, R = 1),
     * so ReduceSumSquare gives x^2, ReduceL1 |x|, ReduceLogSum log x and the
     * others x: ONNX's corrected spec (onnx PR 7394) and onnxruntime >= 1.24. */
    reduce_mask(n, in, &mask, &noop, NULL);
    red_job j = {.kind = reduce_kind(n->op_type), .y = out[0]};
    vd_tensor view;
    void *owned;
    rc = canonical(ctx, in[0], mask, &view, &owned, &j.outer, &j.R, &j.inner);
    if (rc < 0)
        return rc;
    j.x = &view;
    j.strips = (j.inner + STRIP - 1) / STRIP;
    int64_t per_task = j.R * (j.inner < STRIP ? j.inner : STRIP);
    vd_nn_parallel_for(ctx, j.outer * j.strips,
                       VD_NN_KERNEL_GRAIN / (per_task ? per_task : 1) + 1, red_tasks, &j);
    free(owned);
    return VD_OK;
}

/* ---- ArgMax, ArgMin ---- */

static int arg_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    int axis;
    int rc = vd_nn_axis(vd_nn_attr_int(n, "axis", 0), in[0]->ndim, &axis, err);
    if (rc < 0)
        return rc;
    if (in[0]->shape[axis] == 0)
        return vd_error_set(err, VD_EINVAL, "axis %d is empty", axis);
    if (in[0]->dtype == VD_DTYPE_BOOL)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s on bool", n->op_type);
    reduced_shape(in[0], 1u << axis, (int)vd_nn_attr_int(n, "keepdims", 1), out[0],
                  VD_DTYPE_I64);
    return VD_OK;
}

static int arg_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int axis;
    vd_nn_axis(vd_nn_attr_int(n, "axis", 0), in[0]->ndim, &axis, NULL);
    int is_max = !strcmp(n->op_type, "ArgMax");
    int last = (int)vd_nn_attr_int(n, "select_last_index", 0);
    const vd_tensor *x = in[0];
    int64_t R = x->shape[axis], outer = 1, inner = 1;
    for (int d = 0; d < x->ndim; d++)
        if (d < axis)
            outer *= x->shape[d];
        else if (d > axis)
            inner *= x->shape[d];
    int64_t *y = out[0]->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t base = o * R * inner + i, best = 0;
            double bv = vd_nn_kernel_get_f64(x, base);
            for (int64_t r = 1; r < R; r++) {
                double v = vd_nn_kernel_get_f64(x, base + r * inner);
                int better = is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                if (better) {
                    bv = v;
                    best = r;
                }
            }
            y[o * inner + i] = best;
        }
    return VD_OK;
}

/* ---- CumSum ---- */

static int cumsum_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_error *err)
{
    (void)n;
    int rc = vd_nn_kernel_need_data(in[1], "axis", err);
    if (rc < 0)
        return rc;
    int axis;
    if ((rc = vd_nn_axis(vd_nn_tensor_get_i64(in[1], 0), in[0]->ndim, &axis, err)) < 0)
        return rc;
    vd_dtype dt = in[0]->dtype;
    if (dt != VD_DTYPE_F32 && dt != VD_DTYPE_F64 && dt != VD_DTYPE_I32 && dt != VD_DTYPE_I64)
        return vd_error_set(err, VD_EUNSUPPORTED, "CumSum on %s", vd_dtype_name(dt));
    vd_nn_kernel_set_shape(out[0], dt, in[0]->ndim, in[0]->shape);
    return VD_OK;
}

#define CUMSUM(T)                                                               \
    static void cumsum_##T(const T *x, T *y, int64_t outer, int64_t R, int64_t inner, \
                           int excl, int rev)                                   \
    {                                                                           \
        for (int64_t o = 0; o < outer; o++)                                     \
            for (int64_t i = 0; i < inner; i++) {                               \
                T acc = 0;                                                      \
                for (int64_t t = 0; t < R; t++) {                               \
                    int64_t r = rev ? R - 1 - t : t;                            \
                    int64_t at = (o * R + r) * inner + i;                       \
                    T v = x[at];                                                \
                    if (!excl)                                                  \
                        acc = ADD(acc, v);                                      \
                    y[at] = acc;                                                \
                    if (excl)                                                   \
                        acc = ADD(acc, v);                                      \
                }                                                               \
            }                                                                   \
    }
/* integer sums wrap instead of overflowing (undefined in C) */
#define ADD(a, b) _Generic((a), float: (a) + (b), double: (a) + (b), \
                           default: (__typeof__(a))((uint64_t)(a) + (uint64_t)(b)))
CUMSUM(float)
CUMSUM(double)
CUMSUM(int32_t)
CUMSUM(int64_t)

static int cumsum_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int axis;
    vd_nn_axis(vd_nn_tensor_get_i64(in[1], 0), in[0]->ndim, &axis, NULL);
    int excl = (int)vd_nn_attr_int(n, "exclusive", 0), rev = (int)vd_nn_attr_int(n, "reverse", 0);
    int64_t R = in[0]->shape[axis], outer = 1, inner = 1;
    for (int d = 0; d < in[0]->ndim; d++)
        if (d < axis)
            outer *= in[0]->shape[d];
        else if (d > axis)
            inner *= in[0]->shape[d];
    const void *x = in[0]->data;
    void *y = out[0]->data;
    switch (in[0]->dtype) {
    case VD_DTYPE_F32: cumsum_float(x, y, outer, R, inner, excl, rev); break;
    case VD_DTYPE_F64: cumsum_double(x, y, outer, R, inner, excl, rev); break;
    case VD_DTYPE_I32: cumsum_int32_t(x, y, outer, R, inner, excl, rev); break;
    default: cumsum_int64_t(x, y, outer, R, inner, excl, rev); break;
    }
    return VD_OK;
}

/* Load time: input/output counts; anything not listed is 1 in, 1 out. */
static const vd_nn_kernel_arity arity[] = {
    {"ReduceSum", 13, 1, 2, 1, 1}, {"ReduceMean", 18, 1, 2, 1, 1},
    {"ReduceMax", 18, 1, 2, 1, 1}, {"ReduceMin", 18, 1, 2, 1, 1},
    {"ReduceProd", 18, 1, 2, 1, 1}, {"ReduceL1", 18, 1, 2, 1, 1},
    {"ReduceL2", 18, 1, 2, 1, 1}, {"ReduceSumSquare", 18, 1, 2, 1, 1},
    {"ReduceLogSum", 18, 1, 2, 1, 1}, {"ReduceLogSumExp", 18, 1, 2, 1, 1},
    {"ReduceMax", 20, 1, 2, 1, 1}, {"ReduceMin", 20, 1, 2, 1, 1},
    {"CumSum", 0, 2, 2, 1, 1}, {NULL, 0, 0, 0, 0, 0},
};

static int red_init(vd_nn_node *n, vd_error *err)
{
    return vd_nn_kernel_check_arity(arity, n, 1, 1, err);
}

#define A(...) (const char *const[]){__VA_ARGS__, NULL}
#define RED_ATTR A("axes", "keepdims")
#define RED_IN A("keepdims", "noop_with_empty_axes")
#define RD(name, since, attrs) {name, since, 0, attrs, red_init, NULL, reduce_infer, NULL, reduce_run}
#define RED2(name) RD(name, 1, RED_ATTR), RD(name, 18, RED_IN)
/* 20: ReduceMax and ReduceMin take bool (bool_ok). */

const vd_nn_op vd_nn_ops_reduce[] = {
    RD("ReduceSum", 1, RED_ATTR), RD("ReduceSum", 13, RED_IN),
    RED2("ReduceMean"), RED2("ReduceMax"), RED2("ReduceMin"), RED2("ReduceProd"),
    RD("ReduceMax", 20, RED_IN), RD("ReduceMin", 20, RED_IN),
    RED2("ReduceL1"), RED2("ReduceL2"), RED2("ReduceSumSquare"), RED2("ReduceLogSum"),
    RED2("ReduceLogSumExp"),
    {"ArgMax", 1, 0, A("axis", "keepdims", "select_last_index"), red_init, NULL, arg_infer, NULL,
     arg_run},
    {"ArgMin", 1, 0, A("axis", "keepdims", "select_last_index"), red_init, NULL, arg_infer, NULL,
     arg_run},
    {"CumSum", 11, 0, A("exclusive", "reverse"), red_init, NULL, cumsum_infer, NULL, cumsum_run},
    {0},
};
