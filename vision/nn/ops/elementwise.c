/* elementwise.c -- kernel family "elementwise": binary and variadic ops
 * with numpy broadcasting (Add ... Pow, Min/Max/Sum/Mean, comparisons,
 * logic, Where).
 *
 * Design choice: broadcasting is resolved once per call into a collapsed
 * index space. Every input gets element strides against the output shape
 * (0 on broadcast dims); adjacent dims that are contiguous for all inputs
 * merge. What is left is "rows" of an inner dim along which each input
 * is either contiguous or a single repeated value, so the typed inner
 * loops below never compute an index: same-shape tensors are one row,
 * a scalar is a 0 stride, and a [C,1,1] bias against [N,C,H,W] becomes
 * N*C rows of H*W with the bias fixed per row. */
#include <math.h>
#include <string.h>

#include "kernel.h"
#include "copy.h"
#include "vectorize.h"

#define EW_MAX_IN 3

/* The integer loops share one expression for signed and unsigned types;
 * "y == -1" and "y < 0" are then always false for the unsigned ones. */
#pragma GCC diagnostic ignored "-Wtype-limits"

/* o[i] = f(p0[i*s0], p1[i*s1], ...) for i < n; s are 0 or 1. */
typedef void (*ew_fn)(void *o, const void *const *p, const int64_t *s, int64_t n);

/* Binary loop with the three stride cases split out so that each one
 * vectorises. EXPR reads x and y. */
#define BIN(name, TI, TO, EXPR)                                                  \
    VD_NN_CLONES_AVX2 static void name(void *o_, const void *const *p, const int64_t *s, int64_t n) \
    {                                                                            \
        TO *o = o_;                                                              \
        const TI *a = p[0], *b = p[1];                                           \
        if (s[0] && s[1]) {                                                      \
            for (int64_t i = 0; i < n; i++) {                                    \
                TI x = a[i], y = b[i];                                           \
                o[i] = (TO)(EXPR);                                               \
            }                                                                    \
        } else if (s[0]) {                                                       \
            TI y = b[0];                                                         \
            for (int64_t i = 0; i < n; i++) {                                    \
                TI x = a[i];                                                     \
                o[i] = (TO)(EXPR);                                               \
            }                                                                    \
        } else {                                                                 \
            TI x = a[0];                                                         \
            for (int64_t i = 0; i < n; i++) {                                    \
                TI y = b[i * s[1]];                                              \
                o[i] = (TO)(EXPR);                                               \
            }                                                                    \
        }                                                                        \
    }

/* One table per op: kernel per input dtype (NULL: not supported). */
#define TAB_ENTRY(op, sfx, dt) [dt] = op##_##sfx,

#define DEF_INT(op, TO_SAME, TOB, EXPR)                                  \
    BIN(op##_i8, int8_t, TO_SAME(int8_t), EXPR)                          \
    BIN(op##_i16, int16_t, TO_SAME(int16_t), EXPR)                       \
    BIN(op##_i32, int32_t, TO_SAME(int32_t), EXPR)                       \
    BIN(op##_i64, int64_t, TO_SAME(int64_t), EXPR)                       \
    BIN(op##_u8, uint8_t, TO_SAME(uint8_t), EXPR)                        \
    BIN(op##_u16, uint16_t, TO_SAME(uint16_t), EXPR)
#define DEF_FLT(op, TO_SAME, EXPR)                                       \
    BIN(op##_f32, float, TO_SAME(float), EXPR)                           \
    BIN(op##_f64, double, TO_SAME(double), EXPR)
#define INT_TAB(op)                                                      \
    [VD_DTYPE_I8] = op##_i8, [VD_DTYPE_I16] = op##_i16,                  \
    [VD_DTYPE_I32] = op##_i32, [VD_DTYPE_I64] = op##_i64,                \
    [VD_DTYPE_U8] = op##_u8, [VD_DTYPE_U16] = op##_u16,
#define FLT_TAB(op) [VD_DTYPE_F32] = op##_f32, [VD_DTYPE_F64] = op##_f64,
#define SAME(T) T
#define BOOL(T) uint8_t

/* Same expression for every numeric dtype. */
#define DEF_NUM(op, TO, EXPR)                                            \
    DEF_FLT(op, TO, EXPR)                                                \
    DEF_INT(op, TO, , EXPR)                                              \
    static const ew_fn op##_tab[VD_DTYPE_COUNT] = {FLT_TAB(op) INT_TAB(op)};

/* Integer +, -, * wrap around (two's complement) instead of overflowing,
 * which C leaves undefined: constant folding runs on whatever a model file
 * holds. WRAP computes in uint64_t and converts back (modulo in GCC). */
#define WRAP(x, e) ((__typeof__(x))(e))
#define DEF_NUM2(op, TO, FEXPR, IEXPR)                                   \
    DEF_FLT(op, TO, FEXPR)                                               \
    DEF_INT(op, TO, , IEXPR)                                             \
    static const ew_fn op##_tab[VD_DTYPE_COUNT] = {FLT_TAB(op) INT_TAB(op)};

DEF_NUM2(add, SAME, x + y, WRAP(x, (uint64_t)x + (uint64_t)y))
DEF_NUM2(sub, SAME, x - y, WRAP(x, (uint64_t)x - (uint64_t)y))
DEF_NUM2(mul, SAME, x * y, WRAP(x, (uint64_t)x * (uint64_t)y))
DEF_NUM(min, SAME, x < y || x != x ? x : y)
DEF_NUM(max, SAME, x > y || x != x ? x : y)
DEF_NUM2(prelu, SAME, x < 0 ? x * y : x, x < 0 ? WRAP(x, (uint64_t)x * (uint64_t)y) : x)
DEF_NUM(less, BOOL, x < y)
DEF_NUM(greater, BOOL, x > y)
DEF_NUM(less_eq, BOOL, x <= y)
DEF_NUM(greater_eq, BOOL, x >= y)

/* Equal also takes bool. */
DEF_FLT(eq, BOOL, x == y)
DEF_INT(eq, BOOL, , x == y)
static const ew_fn eq_tab[VD_DTYPE_COUNT] = {
    FLT_TAB(eq) INT_TAB(eq)[VD_DTYPE_BOOL] = eq_u8};

/* Integer division by 0 would trap; it yields 0 (ONNX leaves it undefined). */
DEF_FLT(div, SAME, x / y)
DEF_INT(div, SAME, , y == 0 ? 0 : (y == -1 ? (__typeof__(x))(0 - (uint64_t)x) : x / y))
static const ew_fn div_tab[VD_DTYPE_COUNT] = {FLT_TAB(div) INT_TAB(div)};

/* Mod: fmod=0 takes the divisor's sign (Python), fmod=1 the dividend's (C). */
#define PYMOD(x, y) ((x) % (y) != 0 && (((x) % (y) < 0) != ((y) < 0)) ? (x) % (y) + (y) : (x) % (y))
DEF_FLT(mod_c, SAME, fmod(x, y))
DEF_INT(mod_c, SAME, , y == 0 || y == -1 ? 0 : x % y)
DEF_FLT(mod_py, SAME, x - floor(x / y) * y)
DEF_INT(mod_py, SAME, , y == 0 || y == -1 ? 0 : PYMOD(x, y))
static const ew_fn mod_c_tab[VD_DTYPE_COUNT] = {FLT_TAB(mod_c) INT_TAB(mod_c)};
static const ew_fn mod_py_tab[VD_DTYPE_COUNT] = {FLT_TAB(mod_py) INT_TAB(mod_py)};

BIN(and_b, uint8_t, uint8_t, x && y)
BIN(or_b, uint8_t, uint8_t, x || y)
BIN(xor_b, uint8_t, uint8_t, !x != !y)
static const ew_fn and_tab[VD_DTYPE_COUNT] = {[VD_DTYPE_BOOL] = and_b};
static const ew_fn or_tab[VD_DTYPE_COUNT] = {[VD_DTYPE_BOOL] = or_b};
static const ew_fn xor_tab[VD_DTYPE_COUNT] = {[VD_DTYPE_BOOL] = xor_b};

/* BitShift on the unsigned dtypes; shifting by the width or more gives 0. */
BIN(shl_u8, uint8_t, uint8_t, y >= 8 ? 0 : x << y)
BIN(shl_u16, uint16_t, uint16_t, y >= 16 ? 0 : x << y)
BIN(shr_u8, uint8_t, uint8_t, y >= 8 ? 0 : x >> y)
BIN(shr_u16, uint16_t, uint16_t, y >= 16 ? 0 : x >> y)
static const ew_fn shl_tab[VD_DTYPE_COUNT] = {[VD_DTYPE_U8] = shl_u8, [VD_DTYPE_U16] = shl_u16};
static const ew_fn shr_tab[VD_DTYPE_COUNT] = {[VD_DTYPE_U8] = shr_u8, [VD_DTYPE_U16] = shr_u16};

/* Pow: the base's dtype is the output's; the exponent may differ. */
/* Mixed base/exponent dtypes each get their own loop. */
#define POW2(name, TB, TE, EXPR)                                                 \
    static void name(void *o_, const void *const *p, const int64_t *s, int64_t n) \
    {                                                                            \
        TB *o = o_;                                                              \
        const TB *a = p[0];                                                      \
        const TE *b = p[1];                                                      \
        for (int64_t i = 0; i < n; i++) {                                        \
            TB x = a[i * s[0]];                                                  \
            TE y = b[i * s[1]];                                                  \
            o[i] = (TB)(EXPR);                                                   \
        }                                                                        \
    }
#define POW_BASE(sfx, TB, EXPR)                       \
    POW2(pow_##sfx##_f32, TB, float, EXPR)            \
    POW2(pow_##sfx##_f64, TB, double, EXPR)           \
    POW2(pow_##sfx##_i32, TB, int32_t, EXPR)          \
    POW2(pow_##sfx##_i64, TB, int64_t, EXPR)
POW_BASE(f64, double, pow(x, (double)y))
/* An integer power saturates to its type (4^100, 0^-1 = inf, (-2)^0.5 = NaN
 * -> 0): the plain cast of an out-of-range double is undefined behaviour. */
POW_BASE(i32, int32_t, vd_nn_sat_int(pow((double)x, (double)y), INT32_MIN, INT32_MAX))
POW_BASE(i64, int64_t, vd_nn_sat_int(pow((double)x, (double)y), -0x1p63, 0x1p63))
POW2(pow_f32_f64, float, double, pow((double)x, y))
POW2(pow_f32_i32, float, int32_t, pow((double)x, (double)y))
POW2(pow_f32_i64, float, int64_t, pow((double)x, (double)y))
/* float^float: the hot case (YOLO's (2*sigmoid)^2); squares stay exact. */
VD_NN_CLONES_AVX2 static void pow_f32_f32(void *o_, const void *const *p, const int64_t *s, int64_t n)
{
    float *o = o_;
    const float *a = p[0], *b = p[1];
    if (!s[1] && b[0] == 2.0f) {
        for (int64_t i = 0; i < n; i++)
            o[i] = a[i * s[0]] * a[i * s[0]];
        return;
    }
    for (int64_t i = 0; i < n; i++)
        o[i] = powf(a[i * s[0]], b[i * s[1]]);
}
#define POW_EXP_TAB(sfx)                                                  \
    {[VD_DTYPE_F32] = pow_##sfx##_f32, [VD_DTYPE_F64] = pow_##sfx##_f64,  \
     [VD_DTYPE_I32] = pow_##sfx##_i32, [VD_DTYPE_I64] = pow_##sfx##_i64}
static const ew_fn pow_tab[VD_DTYPE_COUNT][VD_DTYPE_COUNT] = {
    [VD_DTYPE_F32] = POW_EXP_TAB(f32),
    [VD_DTYPE_F64] = POW_EXP_TAB(f64),
    [VD_DTYPE_I32] = POW_EXP_TAB(i32),
    [VD_DTYPE_I64] = POW_EXP_TAB(i64),
};

/* Where(cond, x, y) by element size. */
#define WHERE(name, T)                                                           \
    static void name(void *o_, const void *const *p, const int64_t *s, int64_t n) \
    {                                                                            \
        T *o = o_;                                                               \
        const uint8_t *c = p[0];                                                 \
        const T *x = p[1], *y = p[2];                                            \
        for (int64_t i = 0; i < n; i++)                                          \
            o[i] = c[i * s[0]] ? x[i * s[1]] : y[i * s[2]];                      \
    }
WHERE(where_1, uint8_t)
WHERE(where_2, uint16_t)
WHERE(where_4, uint32_t)
WHERE(where_8, uint64_t)

static void not_b(void *o_, const void *const *p, const int64_t *s, int64_t n)
{
    uint8_t *o = o_;
    const uint8_t *a = p[0];
    for (int64_t i = 0; i < n; i++)
        o[i] = !a[i * s[0]];
}

/* ---- the broadcast walker ---- */

typedef struct ew_job {
    ew_fn fn;
    int k, nd;
    char *o;
    size_t oes, es[EW_MAX_IN];
    const char *in[EW_MAX_IN];
    int64_t shape[VD_TENSOR_MAX_DIMS], st[EW_MAX_IN][VD_TENSOR_MAX_DIMS];
} ew_job;

static void ew_range(void *arg, int64_t begin, int64_t end)
{
    const ew_job *j = arg;
    int last = j->nd - 1;
    int64_t inner = j->shape[last], idx[VD_TENSOR_MAX_DIMS] = {0}, off[EW_MAX_IN] = {0};
    int64_t r = begin / inner, col = begin % inner, sl[EW_MAX_IN];
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = r % j->shape[d];
        r /= j->shape[d];
        for (int i = 0; i < j->k; i++)
            off[i] += idx[d] * j->st[i][d];
    }
    for (int i = 0; i < j->k; i++)
        sl[i] = j->st[i][last];
    for (int64_t pos = begin; pos < end; col = 0) {
        int64_t cnt = inner - col < end - pos ? inner - col : end - pos;
        const void *p[EW_MAX_IN];
        for (int i = 0; i < j->k; i++)
            p[i] = j->in[i] + (size_t)(off[i] + col * sl[i]) * j->es[i];
        j->fn(j->o + (size_t)pos * j->oes, p, sl, cnt);
        pos += cnt;
        for (int d = last - 1; d >= 0; d--) {
            for (int i = 0; i < j->k; i++)
                off[i] += j->st[i][d];
            if (++idx[d] < j->shape[d])
                break;
            for (int i = 0; i < j->k; i++)
                off[i] -= j->st[i][d] * j->shape[d];
            idx[d] = 0;
        }
    }
}

/* out = fn(in[0..k)) with every input broadcast against out's shape. */
static void ew_apply(vd_nn_ctx *ctx, ew_fn fn, vd_tensor *out, const vd_tensor *const *in,
                     int k)
{
    ew_job j = {.fn = fn, .k = k, .o = out->data, .oes = vd_dtype_size(out->dtype)};
    int nd = out->ndim;
    int64_t full[EW_MAX_IN][VD_TENSOR_MAX_DIMS];
    for (int i = 0; i < k; i++) {
        int64_t st[VD_TENSOR_MAX_DIMS];
        int lead = nd - in[i]->ndim;
        vd_nn_copy_strides(in[i]->shape, in[i]->ndim, st);
        for (int d = 0; d < nd; d++)
            full[i][d] = d < lead || in[i]->shape[d - lead] == 1 ? 0 : st[d - lead];
        j.in[i] = in[i]->data;
        j.es[i] = vd_dtype_size(in[i]->dtype);
    }
    for (int d = 0; d < nd; d++) {
        int64_t s = out->shape[d];
        if (s == 0)
            return;
        if (s == 1)
            continue;
        int merge = j.nd > 0;
        for (int i = 0; merge && i < k; i++)
            merge = j.st[i][j.nd - 1] == full[i][d] * s;
        if (merge) {
            j.shape[j.nd - 1] *= s;
            for (int i = 0; i < k; i++)
                j.st[i][j.nd - 1] = full[i][d];
            continue;
        }
        j.shape[j.nd] = s;
        for (int i = 0; i < k; i++)
            j.st[i][j.nd] = full[i][d];
        j.nd++;
    }
    if (j.nd == 0) {
        j.nd = 1;
        j.shape[0] = 1;
        for (int i = 0; i < k; i++)
            j.st[i][0] = 0;
    }
    vd_nn_parallel_for(ctx, vd_tensor_numel(out), VD_NN_KERNEL_GRAIN, ew_range, &j);
}

/* ---- infer ---- */

static int ew_check_dtype(const ew_fn *tab, const vd_tensor *t, int i, vd_error *err)
{
    if (!tab[t->dtype])
        return vd_error_set(err, VD_EUNSUPPORTED, "input %d: dtype %s is not supported", i,
                            vd_dtype_name(t->dtype));
    return VD_OK;
}

/* Broadcast all present inputs from `first`; dtypes must match from `same`. */
static int ew_shape(const vd_nn_node *n, vd_tensor *const *in, int first, int same,
                    vd_dtype out_dt, vd_tensor *out, vd_error *err)
{
    vd_tensor acc = *in[first];
    for (int i = first; i < n->n_in; i++) {
        if (!in[i])
            return vd_error_set(err, VD_EINVAL, "input %d is missing", i);
        if (i >= same && in[i]->dtype != in[same]->dtype)
            return vd_error_set(err, VD_EINVAL, "input %d is %s but input %d is %s", i,
                                vd_dtype_name(in[i]->dtype), same,
                                vd_dtype_name(in[same]->dtype));
        int rc = vd_nn_broadcast_shape(&acc, in[i], &acc.ndim, acc.shape, err);
        if (rc < 0)
            return rc;
    }
    vd_nn_kernel_set_shape(out, out_dt, acc.ndim, acc.shape);
    return VD_OK;
}

/* ---- ops: each is a table, an output-dtype rule and an arity ---- */

typedef struct ew_def {
    const ew_fn *tab;
    int bool_out;   /* comparisons */
    int mean;       /* divide the sum by the input count */
} ew_def;

static int ew_infer(const ew_def *def, const vd_nn_node *n, vd_tensor *const *in,
                    vd_tensor *const *out, vd_error *err)
{
    if (n->n_in < 1 || !in[0])
        return vd_error_set(err, VD_EINVAL, "needs at least one input");
    int rc = ew_check_dtype(def->tab, in[0], 0, err);
    if (rc < 0)
        return rc;
    if (def->mean && in[0]->dtype != VD_DTYPE_F32 && in[0]->dtype != VD_DTYPE_F64)
        return vd_error_set(err, VD_EUNSUPPORTED, "Mean of %s", vd_dtype_name(in[0]->dtype));
    return ew_shape(n, in, 0, 0, def->bool_out ? VD_DTYPE_BOOL : in[0]->dtype, out[0], err);
}

static void scale(vd_tensor *t, double f)
{
    int64_t cnt = vd_tensor_numel(t);
    if (t->dtype == VD_DTYPE_F32)
        for (int64_t i = 0; i < cnt; i++)
            ((float *)t->data)[i] = (float)(((float *)t->data)[i] * f);
    else
        for (int64_t i = 0; i < cnt; i++)
            ((double *)t->data)[i] *= f;
}

static int ew_run(const ew_def *def, const vd_nn_node *n, vd_tensor *const *in,
                  vd_tensor *const *out, vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    ew_fn fn = def->tab[in[0]->dtype];
    if (n->n_in == 1) {
        if (out[0]->data != in[0]->data)
            memcpy(out[0]->data, in[0]->data, vd_tensor_nbytes(in[0]));
        return VD_OK;
    }
    const vd_tensor *pair[2] = {in[0], in[1]};
    ew_apply(ctx, fn, out[0], pair, 2);
    for (int i = 2; i < n->n_in; i++) {
        pair[0] = out[0];
        pair[1] = in[i];
        ew_apply(ctx, fn, out[0], pair, 2);
    }
    if (def->mean)
        scale(out[0], 1.0 / n->n_in);
    return VD_OK;
}

#define EW_OP(name, ...)                                                              \
    static const ew_def def_##name = {.tab = __VA_ARGS__};                                  \
    static int infer_##name(const vd_nn_node *n, vd_tensor *const *in,               \
                            vd_tensor *const *out, vd_error *err)                    \
    {                                                                                \
        return ew_infer(&def_##name, n, in, out, err);                               \
    }                                                                                \
    static int run_##name(const vd_nn_node *n, vd_tensor *const *in,                 \
                          vd_tensor *const *out, vd_nn_ctx *ctx)                     \
    {                                                                                \
        return ew_run(&def_##name, n, in, out, ctx);                                 \
    }

EW_OP(add, add_tab)
EW_OP(sub, sub_tab)
EW_OP(mul, mul_tab)
EW_OP(div, div_tab)
EW_OP(min, min_tab)
EW_OP(max, max_tab)
EW_OP(sum, add_tab)
EW_OP(mean, add_tab, .mean = 1)
EW_OP(equal, eq_tab, .bool_out = 1)
EW_OP(less, less_tab, .bool_out = 1)
EW_OP(greater, greater_tab, .bool_out = 1)
EW_OP(less_eq, less_eq_tab, .bool_out = 1)
EW_OP(greater_eq, greater_eq_tab, .bool_out = 1)
EW_OP(and, and_tab, .bool_out = 1)
EW_OP(or, or_tab, .bool_out = 1)
EW_OP(xor, xor_tab, .bool_out = 1)
EW_OP(prelu_any, prelu_tab)

static const ew_def *mod_def(const vd_nn_node *n)
{
    static const ew_def c = {.tab = mod_c_tab}, py = {.tab = mod_py_tab};
    return vd_nn_attr_int(n, "fmod", 0) ? &c : &py;
}

static int mod_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    return ew_infer(mod_def(n), n, in, out, err);
}

static int mod_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    return ew_run(mod_def(n), n, in, out, ctx);
}

/* PRelu: the slope broadcasts to X, never the other way. */
static int prelu_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    int rc = infer_prelu_any(n, in, out, err);
    if (rc < 0)
        return rc;
    if (!vd_tensor_same_shape(out[0], in[0])) {
        char a[96], b[96];
        return vd_error_set(err, VD_EINVAL, "slope %s does not broadcast to X %s",
                            vd_tensor_shape_str(in[1], a, sizeof a),
                            vd_tensor_shape_str(in[0], b, sizeof b));
    }
    return VD_OK;
}

static const ew_def *shift_def(const vd_nn_node *n)
{
    static const ew_def l = {.tab = shl_tab}, r = {.tab = shr_tab};
    return strcmp(vd_nn_attr_string(n, "direction", ""), "LEFT") ? &r : &l;
}

static int ew_init(vd_nn_node *n, vd_error *err);

static int shift_init(vd_nn_node *n, vd_error *err)
{
    int rc = ew_init(n, err);
    if (rc < 0)
        return rc;
    const char *d = vd_nn_attr_string(n, "direction", "");
    if (strcmp(d, "LEFT") && strcmp(d, "RIGHT"))
        return vd_error_set(err, VD_EINVAL, "attribute direction = \"%s\" (LEFT or RIGHT)", d);
    return VD_OK;
}

static int shift_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    return ew_infer(shift_def(n), n, in, out, err);
}

static int shift_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    return ew_run(shift_def(n), n, in, out, ctx);
}

static int pow_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    if (!pow_tab[in[0]->dtype][in[1]->dtype])
        return vd_error_set(err, VD_EUNSUPPORTED, "Pow of %s to %s is not supported",
                            vd_dtype_name(in[0]->dtype), vd_dtype_name(in[1]->dtype));
    return ew_shape(n, in, 0, 2, in[0]->dtype, out[0], err);
}

static int pow_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *p[2] = {in[0], in[1]};
    ew_apply(ctx, pow_tab[in[0]->dtype][in[1]->dtype], out[0], p, 2);
    return VD_OK;
}

static int where_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    if (in[0]->dtype != VD_DTYPE_BOOL)
        return vd_error_set(err, VD_EINVAL, "condition must be bool, not %s",
                            vd_dtype_name(in[0]->dtype));
    return ew_shape(n, in, 0, 1, in[1]->dtype, out[0], err);
}

static int where_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    static const ew_fn by_size[9] = {[1] = where_1, [2] = where_2, [4] = where_4,
                                     [8] = where_8};
    const vd_tensor *p[3] = {in[0], in[1], in[2]};
    ew_apply(ctx, by_size[vd_dtype_size(in[1]->dtype)], out[0], p, 3);
    return VD_OK;
}

static int not_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    (void)n;
    if (in[0]->dtype != VD_DTYPE_BOOL)
        return vd_error_set(err, VD_EINVAL, "input must be bool, not %s",
                            vd_dtype_name(in[0]->dtype));
    vd_nn_kernel_set_shape(out[0], VD_DTYPE_BOOL, in[0]->ndim, in[0]->shape);
    return VD_OK;
}

static int not_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const vd_tensor *p[1] = {in[0]};
    ew_apply(ctx, not_b, out[0], p, 1);
    return VD_OK;
}

#define A(...) (const char *const[]){__VA_ARGS__, NULL}
#define IP VD_NN_OP_INPLACE
static const vd_nn_kernel_arity arity[] = {
    {"Min", 0, 1, -1, 1, 1}, {"Max", 0, 1, -1, 1, 1}, {"Sum", 0, 1, -1, 1, 1},
    {"Mean", 0, 1, -1, 1, 1}, {"Where", 0, 3, 3, 1, 1}, {"Not", 0, 1, 1, 1, 1},
    {NULL, 0, 0, 0, 0, 0},
};

/* Load time: input and output counts; every op not in the table is binary. */
static int ew_init(vd_nn_node *n, vd_error *err)
{
    return vd_nn_kernel_check_arity(arity, n, 2, 1, err);
}

/* In place only where the output has the input's element size; a bool
 * result written over float input would clobber unread elements. */
#define E(name, since, fn, fl) {name, since, fl, NULL, ew_init, NULL, infer_##fn, NULL, run_##fn}

const vd_nn_op vd_nn_ops_elementwise[] = {
    E("Add", 7, add, IP), E("Sub", 7, sub, IP), E("Mul", 7, mul, IP), E("Div", 7, div, IP),
    E("Min", 1, min, IP), E("Max", 1, max, IP), E("Sum", 1, sum, IP), E("Mean", 1, mean, IP),
    E("Equal", 7, equal, 0), E("Equal", 19, equal, 0), /* 19: + string (refused) */ E("Less", 7, less, 0), E("Greater", 7, greater, 0),
    E("LessOrEqual", 12, less_eq, 0), E("GreaterOrEqual", 12, greater_eq, 0),
    E("And", 7, and, IP), E("Or", 7, or, IP), E("Xor", 7, xor, IP),
    {"Mod", 10, IP, A("fmod"), ew_init, NULL, mod_infer, NULL, mod_run},
    {"PRelu", 7, IP, NULL, ew_init, NULL, prelu_infer, NULL, run_prelu_any},
    {"BitShift", 11, IP, A("direction"), shift_init, NULL, shift_infer, NULL, shift_run},
    {"Pow", 7, IP, NULL, ew_init, NULL, pow_infer, NULL, pow_run},
    {"Where", 9, 0, NULL, ew_init, NULL, where_infer, NULL, where_run},
    {"Not", 1, IP, NULL, ew_init, NULL, not_infer, NULL, not_run},
    {0},
};
