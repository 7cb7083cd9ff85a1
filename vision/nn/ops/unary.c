/* unary.c -- kernel family "unary": one-input elementwise math and
 * activations (Sqrt ... Round, Relu ... Gelu, Clip), plus Cast, Dropout,
 * IsNaN and IsInf.
 *
 * Design choice: each math op is written once as an expression in x (and
 * its attributes a, b) and instantiated for float and double through
 * <tgmath.h>, so the float loop calls expf/tanhf and vectorises while the
 * double loop keeps double precision. Ops that also take integers (Abs,
 * Neg, Sign, Relu, Clip) get integer loops from the same expression. */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>

#include "kernel.h"
#include "vectorize.h"
#include "vision/nn/pb.h"

/* Attribute values of one node, parsed at load time. */
typedef struct un_prm {
    double a, b;          /* alpha/beta/gamma/min/max as the op defines */
    int64_t ia, ib;       /* integer Clip bounds */
    int flag;             /* Gelu: tanh approximation */
} un_prm;

typedef void (*un_fn)(const void *x, void *y, int64_t n, const un_prm *p);

#define UN_LOOP(name, T, EXPR)                                                  \
    VD_NN_CLONES_AVX2 static void name(const void *x_, void *y_, int64_t n, const un_prm *p)     \
    {                                                                           \
        const T *in = x_;                                                       \
        T *out = y_;                                                            \
        const T a = (T)p->a, b = (T)p->b;                                       \
        (void)a, (void)b;                                                       \
        for (int64_t i = 0; i < n; i++) {                                       \
            const T x = in[i];                                                  \
            out[i] = (T)(EXPR);                                                 \
        }                                                                       \
    }

#define UN_FLT(op, EXPR) UN_LOOP(op##_f32, float, EXPR) UN_LOOP(op##_f64, double, EXPR)
#define UN_INT(op, EXPR)                                                        \
    UN_LOOP(op##_i8, int8_t, EXPR) UN_LOOP(op##_i16, int16_t, EXPR)             \
    UN_LOOP(op##_i32, int32_t, EXPR) UN_LOOP(op##_i64, int64_t, EXPR)
#define FLT_TAB(op) [VD_DTYPE_F32] = op##_f32, [VD_DTYPE_F64] = op##_f64
#define INT_TAB(op)                                                             \
    [VD_DTYPE_I8] = op##_i8, [VD_DTYPE_I16] = op##_i16, [VD_DTYPE_I32] = op##_i32, \
    [VD_DTYPE_I64] = op##_i64

/* exp through the vectorisable float version for float, libm for double */
#define EXP(x) _Generic((x), float: vd_nn_expf((float)(x)), default: exp(x))
/* 1/(1+e^-x) saturates cleanly: e^-x is clamped, never inf */
#define SIGM(x) (1.0f / (1.0f + EXP(-(x))))
#define SOFTPLUS(x) ((x) > 0 ? (x) + log1p(EXP(-(x))) : log1p(EXP(x)))
/* tanh = (1-e)/(1+e) with e = e^-2|x|; an odd series near 0 where 1-e cancels */
#define TANH_F(x) (fabs(x) < 0.04f ? (x) * (1.0f + (x) * (x) * (-0.33333333f + (x) * (x) * 0.13333333f)) \
                   : copysign((1.0f - EXP(-2.0f * fabs(x))) / (1.0f + EXP(-2.0f * fabs(x))), (x)))
#define TANH(x) _Generic((x), float: TANH_F(x), default: tanh(x))

UN_FLT(sqrt, sqrt(x))
UN_FLT(exp, EXP(x))
UN_FLT(log, log(x))
UN_FLT(recip, 1.0f / x)
UN_FLT(floor, floor(x))
UN_FLT(ceil, ceil(x))
UN_FLT(round, rint(x)) /* default rounding mode: half to even */
UN_FLT(erf, erf(x))
UN_FLT(sin, sin(x))
UN_FLT(cos, cos(x))
UN_FLT(tan, tan(x))
UN_FLT(asin, asin(x))
UN_FLT(acos, acos(x))
UN_FLT(atan, atan(x))
UN_FLT(sinh, sinh(x))
UN_FLT(cosh, cosh(x))
UN_FLT(asinh, asinh(x))
UN_FLT(acosh, acosh(x))
UN_FLT(atanh, atanh(x))
UN_FLT(shrink, x < -a ? x + b : (x > a ? x - b : 0.0f))
UN_FLT(tanh, TANH(x))
UN_LOOP(sigmoid_f64, double, SIGM(x))
/* float: act.c's, so a fused Sigmoid and this op give the same bits */
static void sigmoid_f32(const void *x, void *y, int64_t n, const un_prm *p)
{
    (void)p;
    vd_nn_act_sigmoid(y, x, n);
}
UN_FLT(softplus, SOFTPLUS(x))
UN_FLT(softsign, x / (1.0f + fabs(x)))
UN_FLT(leaky, x >= 0 ? x : a * x)
UN_FLT(elu, x >= 0 ? x : a * (EXP(x) - 1.0f))
UN_FLT(selu, x > 0 ? b * x : b * (a * EXP(x) - a))
UN_FLT(celu, fmax(x, 0.0f) + fmin(0.0f, a * (exp(x / a) - 1.0f)))
UN_FLT(thresh, x > a ? x : 0.0f)
UN_FLT(hsigmoid, fmax(0.0f, fmin(1.0f, a * x + b)))
UN_FLT(hswish, x * fmax(0.0f, fmin(1.0f, x / 6.0f + 0.5f)))
UN_FLT(mish, x * TANH(SOFTPLUS(x)))
UN_FLT(gelu, p->flag ? 0.5f * x * (1.0f + tanh(0.7978845608028654 * (x + 0.044715f * x * x * x)))
                     : 0.5f * x * (1.0f + erf(x * 0.7071067811865476)))
UN_FLT(abs, fabs(x))
/* integer negation wraps (-INT_MIN stays INT_MIN) instead of overflowing */
UN_INT(abs, x < 0 ? (__typeof__(x))(0 - (uint64_t)x) : x)
UN_FLT(neg, -x)
UN_INT(neg, (__typeof__(x))(0 - (uint64_t)x))
UN_FLT(sign, (x > 0) - (x < 0))
UN_INT(sign, (x > 0) - (x < 0))
UN_FLT(relu, x > 0 ? x : 0.0f)
UN_INT(relu, x > 0 ? x : 0)
/* max bound wins when min > max, as ONNX says; NaN stays NaN */
#define CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x)) > (hi) ? (hi) : ((x) < (lo) ? (lo) : (x))
UN_FLT(clip, CLAMP(x, a, b))
UN_LOOP(clip_i8, int8_t, CLAMP(x, p->ia, p->ib))
UN_LOOP(clip_i16, int16_t, CLAMP(x, p->ia, p->ib))
UN_LOOP(clip_i32, int32_t, CLAMP(x, p->ia, p->ib))
UN_LOOP(clip_i64, int64_t, CLAMP(x, p->ia, p->ib))
UN_LOOP(clip_u8, uint8_t, CLAMP(x, p->ia, p->ib))
UN_LOOP(clip_u16, uint16_t, CLAMP(x, p->ia, p->ib))

/* One row per op type: its loops and the attributes it reads into a, b. */
typedef struct un_def {
    const char *name;
    un_fn fn[VD_DTYPE_COUNT];
    const char *an, *bn; /* attribute names for a and b (NULL: none) */
    double da, db;       /* their defaults */
} un_def;

#define D(name, op, ...) {name, {FLT_TAB(op)}, __VA_ARGS__}
#define DI(name, op) {name, {FLT_TAB(op), INT_TAB(op)}, NULL, NULL, 0, 0}

static const un_def defs[] = {
    D("Sqrt", sqrt, NULL, NULL, 0, 0),
    D("Exp", exp, NULL, NULL, 0, 0),
    D("Log", log, NULL, NULL, 0, 0),
    D("Reciprocal", recip, NULL, NULL, 0, 0),
    D("Floor", floor, NULL, NULL, 0, 0),
    D("Ceil", ceil, NULL, NULL, 0, 0),
    D("Round", round, NULL, NULL, 0, 0),
    D("Erf", erf, NULL, NULL, 0, 0),
    D("Sin", sin, NULL, NULL, 0, 0),
    D("Cos", cos, NULL, NULL, 0, 0),
    D("Tan", tan, NULL, NULL, 0, 0),
    D("Asin", asin, NULL, NULL, 0, 0),
    D("Acos", acos, NULL, NULL, 0, 0),
    D("Atan", atan, NULL, NULL, 0, 0),
    D("Sinh", sinh, NULL, NULL, 0, 0),
    D("Cosh", cosh, NULL, NULL, 0, 0),
    D("Asinh", asinh, NULL, NULL, 0, 0),
    D("Acosh", acosh, NULL, NULL, 0, 0),
    D("Atanh", atanh, NULL, NULL, 0, 0),
    D("Shrink", shrink, "lambd", "bias", 0.5, 0),
    D("Tanh", tanh, NULL, NULL, 0, 0),
    D("Sigmoid", sigmoid, NULL, NULL, 0, 0),
    D("Softplus", softplus, NULL, NULL, 0, 0),
    D("Softsign", softsign, NULL, NULL, 0, 0),
    D("LeakyRelu", leaky, "alpha", NULL, 0.01, 0),
    D("Elu", elu, "alpha", NULL, 1.0, 0),
    D("Selu", selu, "alpha", "gamma", 1.67326319217681884765625,
      1.05070102214813232421875),
    D("Celu", celu, "alpha", NULL, 1.0, 0),
    D("ThresholdedRelu", thresh, "alpha", NULL, 1.0, 0),
    D("HardSigmoid", hsigmoid, "alpha", "beta", 0.2, 0.5),
    D("HardSwish", hswish, NULL, NULL, 0, 0),
    D("Mish", mish, NULL, NULL, 0, 0),
    D("Gelu", gelu, NULL, NULL, 0, 0),
    DI("Abs", abs),
    DI("Neg", neg),
    DI("Sign", sign),
    DI("Relu", relu),
    {"Clip", {FLT_TAB(clip), INT_TAB(clip), [VD_DTYPE_U8] = clip_u8,
              [VD_DTYPE_U16] = clip_u16}, "min", "max", -FLT_MAX, FLT_MAX},
};

static const un_def *find_def(const char *name)
{
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++)
        if (!strcmp(defs[i].name, name))
            return &defs[i];
    return NULL;
}

typedef struct un_params {
    const un_def *def;
    un_prm p;
} un_params;

/* Every op here has one input and one output except these. */
static const vd_nn_kernel_arity arity[] = {
    {"Clip", 11, 1, 3, 1, 1}, {"CastLike", 0, 2, 2, 1, 1}, {"Dropout", 7, 1, 1, 1, 2},
    {"Dropout", 10, 1, 1, 1, 2}, {"Dropout", 12, 1, 3, 1, 2}, {NULL, 0, 0, 0, 0, 0},
};

static int unary_arity(const vd_nn_node *n, vd_error *err)
{
    return vd_nn_kernel_check_arity(arity, n, 1, 1, err);
}

static int arity_init(vd_nn_node *n, vd_error *err)
{
    return unary_arity(n, err);
}

static int un_init(vd_nn_node *n, vd_error *err)
{
    int rc = unary_arity(n, err);
    if (rc < 0)
        return rc;
    const un_def *def = find_def(n->op_type);
    if (!def)
        return vd_error_set(err, VD_EUNSUPPORTED, "no unary kernel for %s", n->op_type);
    un_params *q = calloc(1, sizeof *q);
    if (!q)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    q->def = def;
    q->p.a = def->an ? vd_nn_attr_float(n, def->an, (float)def->da) : def->da;
    q->p.b = def->bn ? vd_nn_attr_float(n, def->bn, (float)def->db) : def->db;
    q->p.ia = INT64_MIN;
    q->p.ib = INT64_MAX;
    if (!strcmp(def->name, "Gelu")) {
        const char *ap = vd_nn_attr_string(n, "approximate", "none");
        if (strcmp(ap, "none") && strcmp(ap, "tanh")) {
            free(q);
            return vd_error_set(err, VD_EINVAL, "attribute approximate = \"%s\"", ap);
        }
        q->p.flag = !strcmp(ap, "tanh");
    }
    n->params = q;
    return VD_OK;
}

static int un_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_error *err)
{
    const un_params *q = n->params;
    if (!q->def->fn[in[0]->dtype])
        return vd_error_set(err, VD_EUNSUPPORTED, "%s on %s is not supported", q->def->name,
                            vd_dtype_name(in[0]->dtype));
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, in[0]->shape);
    return VD_OK;
}

typedef struct un_job {
    un_fn fn;
    const char *x;
    char *y;
    size_t es;
    const un_prm *p;
} un_job;

static void un_range(void *arg, int64_t b, int64_t e)
{
    const un_job *j = arg;
    j->fn(j->x + (size_t)b * j->es, j->y + (size_t)b * j->es, e - b, j->p);
}

static void un_apply(vd_nn_ctx *ctx, un_fn fn, const vd_tensor *x, vd_tensor *y,
                     const un_prm *p)
{
    un_job j = {fn, x->data, y->data, vd_dtype_size(x->dtype), p};
    vd_nn_parallel_for(ctx, vd_tensor_numel(x), VD_NN_KERNEL_GRAIN / 4, un_range, &j);
}

static int un_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                  vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    const un_params *q = n->params;
    un_apply(ctx, q->def->fn[in[0]->dtype], in[0], out[0], &q->p);
    return VD_OK;
}

/* ---- Clip from opset 11: bounds are optional scalar inputs ---- */

static int clip_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_error *err)
{
    for (int i = 1; i < n->n_in && i < 3; i++)
        if (in[i] && (in[i]->dtype != in[0]->dtype || vd_tensor_numel(in[i]) != 1))
            return vd_error_set(err, VD_EINVAL, "%s must be a scalar of the input's dtype",
                                i == 1 ? "min" : "max");
    return un_infer(n, in, out, err);
}

static int clip_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    un_prm p = ((const un_params *)n->params)->p;
    vd_dtype dt = in[0]->dtype;
    int fl = dt == VD_DTYPE_F32 || dt == VD_DTYPE_F64;
    if (!fl) {
        /* Integer defaults: the dtype's own range, via the 64-bit limits. */
        p.a = 0, p.b = 0;
    }
    if (n->n_in > 1 && in[1]) {
        p.a = vd_nn_kernel_get_f64(in[1], 0);
        p.ia = vd_nn_tensor_get_i64(in[1], 0);
    }
    if (n->n_in > 2 && in[2]) {
        p.b = vd_nn_kernel_get_f64(in[2], 0);
        p.ib = vd_nn_tensor_get_i64(in[2], 0);
    }
    if (fl && (!(n->n_in > 1 && in[1])))
        p.a = -INFINITY;
    if (fl && (!(n->n_in > 2 && in[2])))
        p.b = INFINITY;
    un_apply(ctx, find_def("Clip")->fn[dt], in[0], out[0], &p);
    return VD_OK;
}

/* ---- Cast, CastLike ---- */

static int cast_to(const vd_nn_node *n, vd_tensor *const *in, vd_error *err)
{
    if (!strcmp(n->op_type, "CastLike"))
        return in && in[1] ? (int)in[1]->dtype : VD_EINVAL;
    int64_t to = vd_nn_attr_int(n, "to", -1);
    int dt = vd_nn_dtype_from_onnx((int32_t)to);
    if (dt < 0)
        return vd_error_set(err, VD_EUNSUPPORTED, "attribute to = %lld (%s) is not supported",
                            (long long)to, vd_nn_onnx_type_name((int32_t)to));
    return dt;
}

static int cast_init(vd_nn_node *n, vd_error *err)
{
    int rc = unary_arity(n, err);
    if (rc < 0)
        return rc;
    if (!strcmp(n->op_type, "CastLike"))
        return VD_OK;
    if (!vd_nn_attr_find(n, "to"))
        return vd_error_set(err, VD_EINVAL, "attribute to is required");
    int dt = cast_to(n, NULL, err);
    return dt < 0 ? dt : VD_OK;
}

static int cast_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_error *err)
{
    int dt = cast_to(n, in, err);
    if (dt < 0)
        return dt;
    vd_nn_kernel_set_shape(out[0], (vd_dtype)dt, in[0]->ndim, in[0]->shape);
    return VD_OK;
}

#define CAST_LOOP(TI, TO)                                                 \
    do {                                                                  \
        const TI *s_ = (const TI *)x->data;                               \
        TO *d_ = (TO *)y->data;                                           \
        if (y->dtype == VD_DTYPE_BOOL)                                    \
            for (int64_t i = 0; i < cnt; i++)                             \
                d_[i] = (TO)(s_[i] != 0);                                 \
        else                                                              \
            for (int64_t i = 0; i < cnt; i++)                             \
                d_[i] = (TO)s_[i];                                        \
    } while (0)

#define CAST_FROM(TI)                                                     \
    switch (y->dtype) {                                                   \
    case VD_DTYPE_F32: CAST_LOOP(TI, float); break;                       \
    case VD_DTYPE_F64: CAST_LOOP(TI, double); break;                      \
    case VD_DTYPE_I64: CAST_LOOP(TI, int64_t); break;                     \
    case VD_DTYPE_I32: CAST_LOOP(TI, int32_t); break;                     \
    case VD_DTYPE_I16: CAST_LOOP(TI, int16_t); break;                     \
    case VD_DTYPE_U16: CAST_LOOP(TI, uint16_t); break;                    \
    case VD_DTYPE_I8: CAST_LOOP(TI, int8_t); break;                       \
    case VD_DTYPE_U8:                                                     \
    case VD_DTYPE_BOOL: CAST_LOOP(TI, uint8_t); break;                    \
    default: break;                                                       \
    }

static int is_float(vd_dtype t)
{
    return t == VD_DTYPE_F32 || t == VD_DTYPE_F64;
}

static void cast_copy(const vd_tensor *x, vd_tensor *y)
{
    int64_t cnt = vd_tensor_numel(x);
    if (is_float(x->dtype) && !is_float(y->dtype) && y->dtype != VD_DTYPE_BOOL) {
        /* float to integer: saturating (a plain C cast of -inf or 1e20 is
         * undefined behaviour; ONNX leaves the value unspecified) */
        for (int64_t i = 0; i < cnt; i++)
            vd_nn_kernel_set_f64(y, i, vd_nn_kernel_get_f64(x, i));
        return;
    }
    switch (x->dtype) {
    case VD_DTYPE_F32: CAST_FROM(float); break;
    case VD_DTYPE_F64: CAST_FROM(double); break;
    case VD_DTYPE_I64: CAST_FROM(int64_t); break;
    case VD_DTYPE_I32: CAST_FROM(int32_t); break;
    case VD_DTYPE_I16: CAST_FROM(int16_t); break;
    case VD_DTYPE_U16: CAST_FROM(uint16_t); break;
    case VD_DTYPE_I8: CAST_FROM(int8_t); break;
    case VD_DTYPE_U8:
    case VD_DTYPE_BOOL: CAST_FROM(uint8_t); break;
    default: break;
    }
}

static int cast_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    if (in[0]->dtype == out[0]->dtype) {
        if (in[0]->data != out[0]->data)
            memcpy(out[0]->data, in[0]->data, vd_tensor_nbytes(in[0]));
        return VD_OK;
    }
    cast_copy(in[0], out[0]);
    return VD_OK;
}

/* ---- Dropout: inference is the identity; the mask keeps everything ---- */

static int dropout_training(const vd_nn_node *n, vd_tensor *const *in, vd_error *err)
{
    if (n->n_in < 3 || !in[2])
        return 0;
    if (!in[2]->data)
        return vd_error_set(err, VD_EUNSUPPORTED, "training_mode is not constant");
    double ratio = n->n_in > 1 && in[1] && in[1]->data ? vd_nn_kernel_get_f64(in[1], 0) : 0.5;
    if (vd_nn_tensor_get_i64(in[2], 0) && ratio != 0)
        return vd_error_set(err, VD_EUNSUPPORTED,
                            "training_mode with ratio %g (random dropout) is not supported",
                            ratio);
    return 0;
}

static int dropout_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                         vd_error *err)
{
    int rc = dropout_training(n, in, err);
    if (rc < 0)
        return rc;
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, in[0]->shape);
    if (n->n_out > 1 && out[1])
        vd_nn_kernel_set_shape(out[1], n->op->since_opset >= 10 ? VD_DTYPE_BOOL : in[0]->dtype,
                              in[0]->ndim, in[0]->shape);
    return VD_OK;
}

static int dropout_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    if (in[0]->data != out[0]->data)
        memcpy(out[0]->data, in[0]->data, vd_tensor_nbytes(in[0]));
    if (n->n_out > 1 && out[1]) {
        int64_t cnt = vd_tensor_numel(out[1]);
        for (int64_t i = 0; i < cnt; i++)
            vd_nn_kernel_set_f64(out[1], i, 1);
    }
    return VD_OK;
}

/* ---- IsNaN, IsInf ---- */

static int isx_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    (void)n;
    if (in[0]->dtype != VD_DTYPE_F32 && in[0]->dtype != VD_DTYPE_F64)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s on %s", n->op_type,
                            vd_dtype_name(in[0]->dtype));
    vd_nn_kernel_set_shape(out[0], VD_DTYPE_BOOL, in[0]->ndim, in[0]->shape);
    return VD_OK;
}

static int isx_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int nan = !strcmp(n->op_type, "IsNaN");
    int neg = (int)vd_nn_attr_int(n, "detect_negative", 1);
    int pos = (int)vd_nn_attr_int(n, "detect_positive", 1);
    uint8_t *o = out[0]->data;
    int64_t cnt = vd_tensor_numel(in[0]);
    for (int64_t i = 0; i < cnt; i++) {
        double v = vd_nn_kernel_get_f64(in[0], i);
        o[i] = nan ? isnan(v) : (isinf(v) && ((v > 0 && pos) || (v < 0 && neg)));
    }
    return VD_OK;
}

#define A(...) (const char *const[]){__VA_ARGS__, NULL}
#define IP VD_NN_OP_INPLACE
#define U(name, since, attrs) {name, since, IP, attrs, un_init, NULL, un_infer, NULL, un_run}

const vd_nn_op vd_nn_ops_unary[] = {
    U("Sqrt", 1, NULL), U("Exp", 1, NULL), U("Log", 1, NULL), U("Reciprocal", 1, NULL),
    U("Floor", 1, NULL), U("Ceil", 1, NULL), U("Round", 11, NULL), U("Erf", 9, NULL),
    U("Sin", 7, NULL), U("Cos", 7, NULL), U("Tan", 7, NULL), U("Asin", 7, NULL),
    U("Acos", 7, NULL), U("Atan", 7, NULL), U("Sinh", 9, NULL), U("Cosh", 9, NULL),
    U("Asinh", 9, NULL), U("Acosh", 9, NULL), U("Atanh", 9, NULL),
    U("Shrink", 9, A("lambd", "bias")), U("Tanh", 1, NULL), U("Sigmoid", 1, NULL),
    U("Softplus", 1, NULL), U("Softsign", 1, NULL), U("LeakyRelu", 1, A("alpha")),
    U("Elu", 1, A("alpha")), U("Selu", 1, A("alpha", "gamma")), U("Celu", 12, A("alpha")),
    U("ThresholdedRelu", 10, A("alpha")), U("HardSigmoid", 1, A("alpha", "beta")),
    U("HardSwish", 14, NULL), U("Mish", 18, NULL), U("Gelu", 20, A("approximate")),
    U("Abs", 1, NULL), U("Neg", 1, NULL), U("Sign", 9, NULL), U("Relu", 1, NULL),
    U("Clip", 1, A("min", "max")),
    {"Clip", 11, IP, NULL, un_init, NULL, clip_infer, NULL, clip_run},
    /* 19 adds saturate, which only affects float8 targets (refused): accepted. */
    {"Cast", 1, 0, A("to"), cast_init, NULL, cast_infer, NULL, cast_run},
    {"Cast", 19, 0, A("to", "saturate"), cast_init, NULL, cast_infer, NULL, cast_run},
    {"CastLike", 15, 0, NULL, cast_init, NULL, cast_infer, NULL, cast_run},
    {"CastLike", 19, 0, A("saturate"), cast_init, NULL, cast_infer, NULL, cast_run},
    {"Dropout", 7, IP, A("ratio"), arity_init, NULL, dropout_infer, NULL, dropout_run},
    {"Dropout", 10, IP, A("ratio"), arity_init, NULL, dropout_infer, NULL, dropout_run},
    {"Dropout", 12, IP, A("seed"), arity_init, NULL, dropout_infer, NULL, dropout_run},
    {"IsNaN", 9, 0, NULL, arity_init, NULL, isx_infer, NULL, isx_run},
    {"IsInf", 10, 0, A("detect_negative", "detect_positive"), arity_init, NULL, isx_infer, NULL,
     isx_run},
    /* 20 only adds float8 input types (refused by the loader). */
    {"IsNaN", 20, 0, NULL, arity_init, NULL, isx_infer, NULL, isx_run},
    {"IsInf", 20, 0, A("detect_negative", "detect_positive"), arity_init, NULL, isx_infer, NULL,
     isx_run},
    {0},
};
