/* test_nn_kernels_light.c -- the light kernel families (elementwise,
 * unary, reduce, shape, layout) driven through the op contract directly:
 * init, infer, run on hand-built nodes, with no loader in between.
 *
 * References are independent: small loops written here from the ONNX
 * spec's wording, or numpy itself (VD_PYTHON) for the index-heavy ops
 * (Pad reflect, negative-step Slice, Transpose, reductions over split
 * axes, broadcasting). Every opset-versioned variant of an op gets a case
 * so that the registry's since_opset entries are each exercised. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/nn/ctx.h"
#include "vision/nn/graph.h"

/* ---- a hand-built node ---- */

typedef struct tc {
    vd_nn_node n;
    vd_nn_attr attrs[8];
    int idx[32];
    vd_tensor in[8], out[8];
    vd_tensor *inp[8], *outp[8];
    vd_error err;
} tc;

static void tc_begin(tc *c, const char *op, int n_in, int n_out)
{
    memset(c, 0, sizeof *c);
    c->n.name = (char *)op;
    c->n.op_type = (char *)op;
    c->n.attrs = c->attrs;
    c->n.in = c->idx;
    c->n.out = c->idx + 16;
    c->n.n_in = n_in;
    c->n.n_out = n_out;
    for (int i = 0; i < 16; i++)
        c->idx[i] = c->idx[16 + i] = i;
    for (int i = 0; i < 8; i++) {
        c->inp[i] = &c->in[i];
        c->outp[i] = &c->out[i];
    }
}

static vd_nn_attr *tc_attr(tc *c, const char *name, vd_nn_attr_type type)
{
    vd_nn_attr *a = &c->attrs[c->n.n_attrs++];
    a->name = (char *)name;
    a->type = type;
    return a;
}

static void tc_int(tc *c, const char *name, int64_t v) { tc_attr(c, name, VD_NN_ATTR_INT)->i = v; }
static void tc_float(tc *c, const char *name, float v) { tc_attr(c, name, VD_NN_ATTR_FLOAT)->f = v; }
static void tc_str(tc *c, const char *name, const char *s) { tc_attr(c, name, VD_NN_ATTR_STRING)->s = (char *)s; }

static void tc_ints(tc *c, const char *name, int n, const int64_t *v)
{
    vd_nn_attr *a = tc_attr(c, name, VD_NN_ATTR_INTS);
    a->n = n;
    a->ints = (int64_t *)v;
}

/* Input i as a view of caller data (which must outlive the run). */
static void tc_in(tc *c, int i, vd_dtype dt, int nd, const int64_t *shape, const void *data)
{
    vd_tensor_view(&c->in[i], dt, nd, shape, (void *)data);
}

static void tc_none(tc *c, int i) { c->inp[i] = NULL; }

/* A 1-D int64 input (shape/axes/starts/...). */
static void tc_in_i64(tc *c, int i, int n, const int64_t *v)
{
    int64_t s = n;
    tc_in(c, i, VD_DTYPE_I64, 1, &s, v);
}

/* The worker pool kernels run on (NULL: serial), set by the threads suite. */
static vd_nn_pool *tc_pool;

/* Run the node at `opset`: init, infer, allocate, run. First failing code. */
static int tc_run(tc *c, int opset)
{
    c->n.opset = opset;
    c->n.op = vd_nn_op_find(c->n.op_type, opset);
    cr_assert(c->n.op, "no definition of %s at opset %d", c->n.op_type, opset);
    int rc = c->n.op->init ? c->n.op->init(&c->n, &c->err) : 0;
    if (!rc)
        rc = c->n.op->infer(&c->n, c->inp, c->outp, &c->err);
    int dyn = c->n.op->flags & VD_NN_OP_DYNAMIC;
    for (int i = 0; !rc && !dyn && i < c->n.n_out; i++) {
        vd_tensor s = c->out[i];
        rc = vd_tensor_alloc(&c->out[i], s.dtype, s.ndim, s.shape, &c->err);
    }
    vd_nn_ctx ctx = {.threads = tc_pool ? 2 : 1, .err = &c->err, .pool = tc_pool};
    if (!rc)
        rc = c->n.op->run(&c->n, c->inp, c->outp, &ctx);
    if (c->n.op->fini)
        c->n.op->fini(&c->n);
    else
        free(c->n.params);
    c->n.params = NULL;
    return rc;
}

static void tc_free(tc *c)
{
    for (int i = 0; i < 8; i++)
        vd_tensor_free(&c->out[i]);
}

static void expect_shape(const vd_tensor *t, int nd, const int64_t *shape, const char *what)
{
    char b[96];
    cr_assert_eq(t->ndim, nd, "%s: rank %d (%s), expected %d", what, t->ndim,
                 vd_tensor_shape_str(t, b, sizeof b), nd);
    for (int i = 0; i < nd; i++)
        cr_assert_eq(t->shape[i], shape[i], "%s: got %s, dim %d should be %lld", what,
                     vd_tensor_shape_str(t, b, sizeof b), i, (long long)shape[i]);
}

static double get(const vd_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case VD_DTYPE_F32: return ((const float *)t->data)[i];
    case VD_DTYPE_F64: return ((const double *)t->data)[i];
    case VD_DTYPE_I64: return (double)((const int64_t *)t->data)[i];
    case VD_DTYPE_I32: return ((const int32_t *)t->data)[i];
    case VD_DTYPE_I8: return ((const int8_t *)t->data)[i];
    default: return ((const uint8_t *)t->data)[i];
    }
}

static void expect_vals(const vd_tensor *t, const double *ref, int64_t n, double tol,
                        const char *what)
{
    cr_assert_eq(vd_tensor_numel(t), n, "%s: %lld elements, expected %lld", what,
                 (long long)vd_tensor_numel(t), (long long)n);
    for (int64_t i = 0; i < n; i++) {
        double g = get(t, i);
        if ((isnan(ref[i]) && isnan(g)) || g == ref[i])
            continue;
        cr_assert(fabs(g - ref[i]) <= tol + tol * fabs(ref[i]),
                  "%s: element %lld is %.7g, expected %.7g", what, (long long)i, g, ref[i]);
    }
}

/* Deterministic test data: x[i] = i * step + base. */
static float *ramp(float *x, int64_t n, float step, float base)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)i * step + base;
    return x;
}

/* ---- numpy as the reference ---- */

/* Evaluates a numpy expression (x = the ramp of `n` floats defined the same
 * way as ramp(), named in the setup) and reads its flattened values. */
static int64_t numpy(const char *setup, const char *expr, double *out, int64_t max)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -c \"import numpy as np; %s; r = np.asarray(%s, dtype=np.float64).ravel(); "
             "print(len(r)); print(' '.join(repr(float(v)) for v in r))\"",
             VD_PYTHON, setup, expr);
    FILE *p = popen(cmd, "r");
    cr_assert(p, "cannot run %s", VD_PYTHON);
    long long n = -1;
    cr_assert_eq(fscanf(p, "%lld", &n), 1, "numpy did not answer for %s", expr);
    cr_assert(n <= max, "numpy result too large (%lld)", n);
    for (long long i = 0; i < n; i++)
        cr_assert_eq(fscanf(p, "%lf", &out[i]), 1);
    cr_assert_eq(pclose(p), 0, "numpy failed on %s", expr);
    return n;
}

/* ======================= elementwise ======================= */

Test(elementwise, add_broadcast_matches_numpy)
{
    /* [2,1,3] + [4,1] -> [2,4,3]: both sides broadcast. */
    static float a[6], b[4];
    ramp(a, 6, 0.5f, -1), ramp(b, 4, 1.25f, 0.1f);
    tc c;
    tc_begin(&c, "Add", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){2, 1, 3}, a);
    tc_in(&c, 1, VD_DTYPE_F32, 2, (int64_t[]){4, 1}, b);
    cr_assert_eq(tc_run(&c, 14), 0, "%s", c.err.msg);
    double ref[64];
    int64_t n = numpy("a = (np.arange(6, dtype=np.float32) * np.float32(0.5) - 1).reshape(2,1,3); "
                      "b = (np.arange(4, dtype=np.float32) * np.float32(1.25) + np.float32(0.1)).reshape(4,1)",
                      "a + b", ref, 64);
    expect_shape(&c.out[0], 3, (int64_t[]){2, 4, 3}, "Add");
    expect_vals(&c.out[0], ref, n, 1e-6, "Add");
    tc_free(&c);
}

Test(elementwise, row_broadcast_bias_and_scalar)
{
    /* The bias-like [C,1,1] against [N,C,H,W] and a scalar on the left. */
    enum { N = 2, C = 3, H = 5, W = 7 };
    static float x[N * C * H * W], bias[C], s = 2.5f;
    ramp(x, N * C * H * W, 0.01f, -1), ramp(bias, C, 10, 1);
    tc c;
    tc_begin(&c, "Sub", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){N, C, H, W}, x);
    tc_in(&c, 1, VD_DTYPE_F32, 3, (int64_t[]){C, 1, 1}, bias);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    static double ref[N * C * H * W];
    for (int i = 0; i < N * C * H * W; i++)
        ref[i] = x[i] - bias[(i / (H * W)) % C];
    expect_vals(&c.out[0], ref, N * C * H * W, 1e-6, "Sub bias");
    tc_free(&c);

    tc_begin(&c, "Mul", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 0, NULL, &s);
    tc_in(&c, 1, VD_DTYPE_F32, 4, (int64_t[]){N, C, H, W}, x);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    for (int i = 0; i < N * C * H * W; i++)
        ref[i] = 2.5 * x[i];
    expect_vals(&c.out[0], ref, N * C * H * W, 1e-6, "Mul scalar");
    tc_free(&c);
}

Test(elementwise, integer_arithmetic_and_division_by_zero)
{
    static int64_t a[4] = {7, -7, 9, 5}, b[4] = {2, 2, 0, -1};
    static const char *ops[] = {"Add", "Sub", "Mul", "Div", "Max", "Min"};
    double ref[6][4] = {{9, -5, 9, 4}, {5, -9, 9, 6}, {14, -14, 0, -5},
                        {3, -3, 0, -5}, {7, 2, 9, 5}, {2, -7, 0, -1}};
    for (int k = 0; k < 6; k++) {
        tc c;
        tc_begin(&c, ops[k], 2, 1);
        tc_in_i64(&c, 0, 4, a);
        tc_in_i64(&c, 1, 4, b);
        cr_assert_eq(tc_run(&c, 13), 0, "%s: %s", ops[k], c.err.msg);
        cr_assert_eq(c.out[0].dtype, VD_DTYPE_I64);
        expect_vals(&c.out[0], ref[k], 4, 0, ops[k]); /* truncating division; x/0 -> 0 */
        tc_free(&c);
    }
}

Test(elementwise, mod_sign_rules)
{
    static int32_t a[4] = {-4, 7, 5, -3}, b[4] = {3, -3, 3, -2};
    double py[4] = {2, -2, 2, -1}, cf[4] = {-1, 1, 2, -1};
    for (int f = 0; f < 2; f++) {
        tc c;
        tc_begin(&c, "Mod", 2, 1);
        tc_int(&c, "fmod", f);
        tc_in(&c, 0, VD_DTYPE_I32, 1, (int64_t[]){4}, a);
        tc_in(&c, 1, VD_DTYPE_I32, 1, (int64_t[]){4}, b);
        cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
        expect_vals(&c.out[0], f ? cf : py, 4, 0, f ? "Mod fmod=1" : "Mod fmod=0");
        tc_free(&c);
    }
}

Test(elementwise, pow_mixed_dtypes)
{
    static float x[3] = {2, -3, 0.5f}, yf[3] = {2, 2, 3};
    static int64_t yi[3] = {3, 2, -1};
    tc c;
    tc_begin(&c, "Pow", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){3}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){3}, yi);
    cr_assert_eq(tc_run(&c, 15), 0, "%s", c.err.msg);
    cr_assert_eq(c.out[0].dtype, VD_DTYPE_F32);
    expect_vals(&c.out[0], (double[]){8, 9, 2}, 3, 1e-6, "Pow f32^i64");
    tc_free(&c);

    tc_begin(&c, "Pow", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){3}, x);
    tc_in(&c, 1, VD_DTYPE_F32, 1, (int64_t[]){3}, yf);
    cr_assert_eq(tc_run(&c, 7), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){4, 9, 0.125}, 3, 1e-6, "Pow f32^f32");
    tc_free(&c);
}

Test(elementwise, variadic_sum_mean_max_broadcast)
{
    static float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {10, 20, 30}, d[2] = {100, 200};
    tc c;
    double sum[6], mean[6], mx[6];
    for (int i = 0; i < 6; i++) {
        double v[3] = {a[i], b[i % 3], d[i / 3]};
        sum[i] = v[0] + v[1] + v[2];
        mean[i] = sum[i] / 3;
        mx[i] = fmax(fmax(v[0], v[1]), v[2]);
    }
    const char *ops[] = {"Sum", "Mean", "Max"};
    const double *refs[] = {sum, mean, mx};
    for (int k = 0; k < 3; k++) {
        tc_begin(&c, ops[k], 3, 1);
        tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, a);
        tc_in(&c, 1, VD_DTYPE_F32, 1, (int64_t[]){3}, b);
        tc_in(&c, 2, VD_DTYPE_F32, 2, (int64_t[]){2, 1}, d);
        cr_assert_eq(tc_run(&c, 13), 0, "%s: %s", ops[k], c.err.msg);
        expect_shape(&c.out[0], 2, (int64_t[]){2, 3}, ops[k]);
        expect_vals(&c.out[0], refs[k], 6, 1e-6, ops[k]);
        tc_free(&c);
    }
}

Test(elementwise, comparisons_logic_where)
{
    static float a[4] = {1, 2, 3, 4}, b[1] = {2.5f};
    static const char *ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
    double ref[5][4] = {{0, 0, 0, 0}, {1, 1, 0, 0}, {0, 0, 1, 1}, {1, 1, 0, 0}, {0, 0, 1, 1}};
    tc c;
    for (int k = 0; k < 5; k++) {
        tc_begin(&c, ops[k], 2, 1);
        tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){4}, a);
        tc_in(&c, 1, VD_DTYPE_F32, 1, (int64_t[]){1}, b);
        cr_assert_eq(tc_run(&c, 16), 0, "%s: %s", ops[k], c.err.msg);
        cr_assert_eq(c.out[0].dtype, VD_DTYPE_BOOL, "%s must give bool", ops[k]);
        expect_vals(&c.out[0], ref[k], 4, 0, ops[k]);
        tc_free(&c);
    }
    static uint8_t p[4] = {0, 0, 1, 1}, q[4] = {0, 1, 0, 1};
    static const char *lops[] = {"And", "Or", "Xor"};
    double lref[3][4] = {{0, 0, 0, 1}, {0, 1, 1, 1}, {0, 1, 1, 0}};
    for (int k = 0; k < 3; k++) {
        tc_begin(&c, lops[k], 2, 1);
        tc_in(&c, 0, VD_DTYPE_BOOL, 1, (int64_t[]){4}, p);
        tc_in(&c, 1, VD_DTYPE_BOOL, 1, (int64_t[]){4}, q);
        cr_assert_eq(tc_run(&c, 7), 0, "%s", c.err.msg);
        expect_vals(&c.out[0], lref[k], 4, 0, lops[k]);
        tc_free(&c);
    }
    tc_begin(&c, "Not", 1, 1);
    tc_in(&c, 0, VD_DTYPE_BOOL, 1, (int64_t[]){4}, q);
    cr_assert_eq(tc_run(&c, 1), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, 0, 1, 0}, 4, 0, "Not");
    tc_free(&c);

    /* Where broadcasts all three: cond [2,1], x [3], y scalar. */
    static uint8_t cond[2] = {1, 0};
    static int64_t xv[3] = {1, 2, 3}, yv = -9;
    tc_begin(&c, "Where", 3, 1);
    tc_in(&c, 0, VD_DTYPE_BOOL, 2, (int64_t[]){2, 1}, cond);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){3}, xv);
    tc_in(&c, 2, VD_DTYPE_I64, 0, NULL, &yv);
    cr_assert_eq(tc_run(&c, 16), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 3}, "Where");
    expect_vals(&c.out[0], (double[]){1, 2, 3, -9, -9, -9}, 6, 0, "Where");
    tc_free(&c);
}

Test(elementwise, prelu_slope_broadcast)
{
    static float x[8] = {-1, 2, -3, 4, -5, 6, -7, 8}, slope[2] = {0.5f, 0.25f};
    tc c;
    tc_begin(&c, "PRelu", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){1, 2, 2, 2}, x);
    tc_in(&c, 1, VD_DTYPE_F32, 3, (int64_t[]){2, 1, 1}, slope);
    cr_assert_eq(tc_run(&c, 16), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){-0.5, 2, -1.5, 4, -1.25, 6, -1.75, 8}, 8, 1e-6, "PRelu");
    tc_free(&c);
}

Test(elementwise, bad_shapes_and_dtypes_are_named)
{
    static float a[6], b[4];
    static int64_t i[6];
    tc c;
    tc_begin(&c, "Add", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, a);
    tc_in(&c, 1, VD_DTYPE_F32, 2, (int64_t[]){2, 2}, b);
    cr_assert_eq(tc_run(&c, 14), VD_EINVAL);
    cr_assert(strstr(c.err.msg, "[2,3]") && strstr(c.err.msg, "[2,2]"), "message: %s", c.err.msg);
    tc_free(&c);
    tc_begin(&c, "Mul", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, a);
    tc_in(&c, 1, VD_DTYPE_I64, 2, (int64_t[]){2, 3}, i);
    cr_assert_eq(tc_run(&c, 14), VD_EINVAL);
    cr_assert(strstr(c.err.msg, "int64") && strstr(c.err.msg, "float32"), "message: %s", c.err.msg);
    tc_free(&c);
    tc_begin(&c, "And", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){6}, a);
    tc_in(&c, 1, VD_DTYPE_F32, 1, (int64_t[]){6}, a);
    cr_assert_eq(tc_run(&c, 7), VD_EUNSUPPORTED);
    cr_assert(strstr(c.err.msg, "float32"), "message: %s", c.err.msg);
    tc_free(&c);
}

/* ======================= unary ======================= */

static void unary_case(const char *op, int opset, const float *x, int n, const double *ref,
                       double tol)
{
    tc c;
    tc_begin(&c, op, 1, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){n}, x);
    cr_assert_eq(tc_run(&c, opset), 0, "%s: %s", op, c.err.msg);
    expect_vals(&c.out[0], ref, n, tol, op);
    tc_free(&c);
}

Test(unary, math_and_activations_against_formulas)
{
    static float x[9] = {-4, -1.5f, -0.5f, 0, 0.5f, 1.5f, 2.5f, 3, 7};
    double r[9];
    struct { const char *op; int opset; double (*f)(double); } cases[] = {
        {"Exp", 13, exp}, {"Tanh", 13, tanh}, {"Erf", 13, erf}, {"Abs", 13, fabs},
        {"Floor", 13, floor}, {"Ceil", 13, ceil},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int i = 0; i < 9; i++)
            r[i] = cases[k].f(x[i]);
        unary_case(cases[k].op, cases[k].opset, x, 9, r, 1e-6);
    }
    for (int i = 0; i < 9; i++) r[i] = 1 / (1 + exp(-x[i]));
    unary_case("Sigmoid", 13, x, 9, r, 1e-6);
    for (int i = 0; i < 9; i++) r[i] = x[i] * fmin(fmax(x[i] / 6 + 0.5, 0), 1);
    unary_case("HardSwish", 14, x, 9, r, 1e-6);
    for (int i = 0; i < 9; i++) r[i] = log(1 + exp(x[i]));
    unary_case("Softplus", 1, x, 9, r, 1e-6);
    for (int i = 0; i < 9; i++) r[i] = x[i] * tanh(log(1 + exp(x[i])));
    unary_case("Mish", 18, x, 9, r, 1e-6);
    for (int i = 0; i < 9; i++) r[i] = x[i] > 0 ? x[i] : 0;
    unary_case("Relu", 14, x, 9, r, 0);
    for (int i = 0; i < 9; i++) r[i] = x[i] > 0 ? 1.0507009873554805 * x[i]
                                              : 1.0507009873554805 * 1.6732632423543772 * (exp(x[i]) - 1);
    unary_case("Selu", 6, x, 9, r, 1e-6);
    for (int i = 0; i < 9; i++) r[i] = 0.5 * x[i] * (1 + erf(x[i] / sqrt(2)));
    unary_case("Gelu", 20, x, 9, r, 1e-6);
}

Test(unary, round_is_half_to_even)
{
    static float x[8] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, -2.6f};
    unary_case("Round", 11, x, 8, (double[]){0, 2, 2, -0.0, -2, -2, 2, -3}, 0);
}

Test(unary, attributes_leaky_elu_hardsigmoid_gelu_tanh)
{
    static float x[5] = {-2, -0.5f, 0, 1, 3};
    double r[5];
    tc c;
    tc_begin(&c, "LeakyRelu", 1, 1);
    tc_float(&c, "alpha", 0.2f);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, x);
    cr_assert_eq(tc_run(&c, 16), 0, "%s", c.err.msg);
    for (int i = 0; i < 5; i++) r[i] = x[i] >= 0 ? x[i] : 0.2 * x[i];
    expect_vals(&c.out[0], r, 5, 1e-6, "LeakyRelu");
    tc_free(&c);

    tc_begin(&c, "HardSigmoid", 1, 1);
    tc_float(&c, "alpha", 0.5f);
    tc_float(&c, "beta", 0.6f);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, x);
    cr_assert_eq(tc_run(&c, 6), 0, "%s", c.err.msg);
    for (int i = 0; i < 5; i++) r[i] = fmax(0, fmin(1, 0.5 * x[i] + 0.6));
    expect_vals(&c.out[0], r, 5, 1e-6, "HardSigmoid");
    tc_free(&c);

    tc_begin(&c, "Gelu", 1, 1);
    tc_str(&c, "approximate", "tanh");
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, x);
    cr_assert_eq(tc_run(&c, 20), 0, "%s", c.err.msg);
    for (int i = 0; i < 5; i++)
        r[i] = 0.5 * x[i] * (1 + tanh(sqrt(2 / M_PI) * (x[i] + 0.044715 * pow(x[i], 3))));
    expect_vals(&c.out[0], r, 5, 1e-6, "Gelu tanh");
    tc_free(&c);

    tc_begin(&c, "Gelu", 1, 1);
    tc_str(&c, "approximate", "cubic");
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, x);
    cr_assert_eq(tc_run(&c, 20), VD_EINVAL);
    cr_assert(strstr(c.err.msg, "cubic"), "message: %s", c.err.msg);
    tc_free(&c);
    cr_assert_null(vd_nn_op_find("Gelu", 17), "Gelu exists from opset 20 only");
}

Test(unary, clip_attribute_and_input_forms)
{
    static float x[5] = {-3, -1, 0, 2, 9};
    tc c;
    tc_begin(&c, "Clip", 1, 1); /* opset 6: attributes */
    tc_float(&c, "min", -1.5f);
    tc_float(&c, "max", 2.5f);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, x);
    cr_assert_eq(tc_run(&c, 6), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){-1.5, -1, 0, 2, 2.5}, 5, 0, "Clip-6");
    tc_free(&c);

    static float lo = 0, hi = 6;
    tc_begin(&c, "Clip", 3, 1); /* opset 11: inputs, max omitted */
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, x);
    tc_in(&c, 1, VD_DTYPE_F32, 0, NULL, &lo);
    tc_none(&c, 2);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){0, 0, 0, 2, 9}, 5, 0, "Clip-13 min only");
    tc_free(&c);

    tc_begin(&c, "Clip", 3, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, x);
    tc_in(&c, 1, VD_DTYPE_F32, 0, NULL, &lo);
    tc_in(&c, 2, VD_DTYPE_F32, 0, NULL, &hi);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){0, 0, 0, 2, 6}, 5, 0, "Relu6 as Clip-11");
    tc_free(&c);

    static int8_t xi[4] = {-128, -5, 5, 127}, li = -10, hi8 = 10;
    tc_begin(&c, "Clip", 3, 1);
    tc_in(&c, 0, VD_DTYPE_I8, 1, (int64_t[]){4}, xi);
    tc_in(&c, 1, VD_DTYPE_I8, 0, NULL, &li);
    tc_in(&c, 2, VD_DTYPE_I8, 0, NULL, &hi8);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){-10, -5, 5, 10}, 4, 0, "Clip int8");
    tc_free(&c);
}

Test(unary, cast_between_dtypes)
{
    static float f[5] = {-2.7f, -0.0f, 0.4f, 3.9f, 250.0f};
    static int64_t big[3] = {-5, 0, 1ll << 40};
    static uint8_t b[3] = {1, 0, 1};
    tc c;
    tc_begin(&c, "Cast", 1, 1);
    tc_int(&c, "to", 6); /* INT32: truncation toward zero */
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, f);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    cr_assert_eq(c.out[0].dtype, VD_DTYPE_I32);
    expect_vals(&c.out[0], (double[]){-2, 0, 0, 3, 250}, 5, 0, "Cast f32->i32");
    tc_free(&c);

    tc_begin(&c, "Cast", 1, 1);
    tc_int(&c, "to", 9); /* BOOL */
    tc_in(&c, 0, VD_DTYPE_I64, 1, (int64_t[]){3}, big);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    cr_assert_eq(c.out[0].dtype, VD_DTYPE_BOOL);
    expect_vals(&c.out[0], (double[]){1, 0, 1}, 3, 0, "Cast i64->bool");
    tc_free(&c);

    tc_begin(&c, "Cast", 1, 1);
    tc_int(&c, "to", 11); /* DOUBLE, exact for 2^40 */
    tc_in(&c, 0, VD_DTYPE_I64, 1, (int64_t[]){3}, big);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){-5, 0, 1099511627776.0}, 3, 0, "Cast i64->f64");
    tc_free(&c);

    tc_begin(&c, "Cast", 1, 1);
    tc_int(&c, "to", 1);
    tc_in(&c, 0, VD_DTYPE_BOOL, 1, (int64_t[]){3}, b);
    cr_assert_eq(tc_run(&c, 9), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, 0, 1}, 3, 0, "Cast bool->f32");
    tc_free(&c);

    tc_begin(&c, "Cast", 1, 1);
    tc_int(&c, "to", 8); /* STRING */
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){5}, f);
    cr_assert_eq(tc_run(&c, 13), VD_EUNSUPPORTED);
    cr_assert(strstr(c.err.msg, "STRING"), "message: %s", c.err.msg);
    tc_free(&c);
}

/* Float to integer outside the target's range is UB as a C cast and
 * unspecified in ONNX: it saturates, NaN gives 0 (the fuzzer found the
 * plain cast of -inf to int8). */
Test(unary, cast_out_of_range_saturates)
{
    static float f[6] = {-INFINITY, INFINITY, NAN, 1e20f, -1e20f, -1.5f};
    static const struct { int to; double want[6]; } cases[] = {
        {3, {-128, 127, 0, 127, -128, -1}},                   /* INT8 */
        {2, {0, 255, 0, 255, 0, 0}},                          /* UINT8 */
        {6, {INT32_MIN, INT32_MAX, 0, INT32_MAX, INT32_MIN, -1}}, /* INT32 */
        {7, {-9223372036854775808.0, 9223372036854775807.0, 0, 9223372036854775807.0,
             -9223372036854775808.0, -1}},                    /* INT64 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tc c;
        tc_begin(&c, "Cast", 1, 1);
        tc_int(&c, "to", cases[k].to);
        tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){6}, f);
        cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
        expect_vals(&c.out[0], cases[k].want, 6, 0, "Cast to saturating type");
        tc_free(&c);
    }
}

Test(unary, dropout_is_identity_with_full_mask_and_isnan_isinf)
{
    static float x[4] = {1, NAN, INFINITY, -INFINITY};
    tc c;
    tc_begin(&c, "Dropout", 1, 2);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){4}, x);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, NAN, INFINITY, -INFINITY}, 4, 0, "Dropout");
    cr_assert_eq(c.out[1].dtype, VD_DTYPE_BOOL);
    expect_vals(&c.out[1], (double[]){1, 1, 1, 1}, 4, 0, "Dropout mask");
    tc_free(&c);

    tc_begin(&c, "IsNaN", 1, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){4}, x);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){0, 1, 0, 0}, 4, 0, "IsNaN");
    tc_free(&c);

    tc_begin(&c, "IsInf", 1, 1);
    tc_int(&c, "detect_negative", 0);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){4}, x);
    cr_assert_eq(tc_run(&c, 10), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){0, 0, 1, 0}, 4, 0, "IsInf positive only");
    tc_free(&c);
}

/* ======================= reduce ======================= */

#define X24 "x = (np.arange(120, dtype=np.float32) * np.float32(0.05) - np.float32(2)).reshape(2,3,4,5)"

Test(reduce, split_axes_and_keepdims_match_numpy)
{
    static float x[120];
    ramp(x, 120, 0.05f, -2);
    struct { const char *op; const char *np; } cases[] = {
        {"ReduceSum", "x.sum(axis=(0,2), keepdims=True)"},
        {"ReduceMean", "x.mean(axis=(0,2), keepdims=True)"},
        {"ReduceMax", "x.max(axis=(0,2), keepdims=True)"},
        {"ReduceMin", "x.min(axis=(0,2), keepdims=True)"},
        {"ReduceProd", "x.prod(axis=(0,2), keepdims=True)"},
        {"ReduceL1", "np.abs(x).sum(axis=(0,2), keepdims=True)"},
        {"ReduceL2", "np.sqrt((x.astype(np.float64)**2).sum(axis=(0,2), keepdims=True))"},
        {"ReduceSumSquare", "(x.astype(np.float64)**2).sum(axis=(0,2), keepdims=True)"},
        {"ReduceLogSumExp", "np.log(np.exp(x.astype(np.float64)).sum(axis=(0,2), keepdims=True))"},
    };
    /* {0, 2}: a gap between the axes (transposed path); {1, 2, 3}: one
     * contiguous line of 60 per output (8 lanes plus a tail of 4). */
    static const int64_t gap[2] = {0, -2}, line[3] = {-3, -2, -1};
    for (int v = 0; v < 2; v++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            tc c;
            tc_begin(&c, cases[k].op, 1, 1);
            tc_ints(&c, "axes", v ? 3 : 2, v ? line : gap);
            tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){2, 3, 4, 5}, x);
            cr_assert_eq(tc_run(&c, 11), 0, "%s: %s", cases[k].op, c.err.msg);
            double ref[120];
            char expr[256];
            snprintf(expr, sizeof expr, "%s", cases[k].np);
            if (v) /* same expression over axes (1,2,3) */
                for (char *p = strstr(expr, "(0,2)"); p; p = strstr(p, "(0,2)")) {
                    memmove(p + 7, p + 5, strlen(p + 5) + 1);
                    memcpy(p, "(1,2,3)", 7);
                }
            int64_t n = numpy(X24, expr, ref, 120);
            expect_shape(&c.out[0], 4, v ? (int64_t[]){2, 1, 1, 1} : (int64_t[]){1, 3, 1, 5},
                         cases[k].op);
            expect_vals(&c.out[0], ref, n, 1e-5, expr);
            tc_free(&c);
        }
}

Test(reduce, axes_input_forms_by_opset)
{
    static float x[120];
    ramp(x, 120, 0.05f, -2);
    static const int64_t ax[2] = {2, 3}, none[1] = {0};
    double ref[120];
    int64_t n = numpy(X24, "x.sum(axis=(2,3))", ref, 120);
    tc c;
    /* ReduceSum-13 and ReduceMean-18 take axes as an input ... */
    tc_begin(&c, "ReduceSum", 2, 1);
    tc_int(&c, "keepdims", 0);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){2, 3, 4, 5}, x);
    tc_in_i64(&c, 1, 2, ax);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 3}, "ReduceSum-13");
    expect_vals(&c.out[0], ref, n, 1e-5, "ReduceSum-13");
    tc_free(&c);

    n = numpy(X24, "x.mean(axis=(2,3))", ref, 120);
    tc_begin(&c, "ReduceMean", 2, 1);
    tc_int(&c, "keepdims", 0);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){2, 3, 4, 5}, x);
    tc_in_i64(&c, 1, 2, ax);
    cr_assert_eq(tc_run(&c, 18), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], ref, n, 1e-5, "ReduceMean-18");
    tc_free(&c);

    /* ... ReduceMean-13 still takes an attribute and rejects nothing else. */
    tc_begin(&c, "ReduceMean", 1, 1);
    tc_ints(&c, "axes", 2, ax);
    tc_int(&c, "keepdims", 0);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){2, 3, 4, 5}, x);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], ref, n, 1e-5, "ReduceMean-13");
    tc_free(&c);

    /* Empty axes: reduce everything, or nothing with noop_with_empty_axes. */
    tc_begin(&c, "ReduceMax", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){2, 3, 4, 5}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){0}, none);
    cr_assert_eq(tc_run(&c, 18), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 4, (int64_t[]){1, 1, 1, 1}, "ReduceMax all");
    expect_vals(&c.out[0], (double[]){x[119]}, 1, 0, "ReduceMax all");
    tc_free(&c);

    tc_begin(&c, "ReduceSum", 2, 1);
    tc_int(&c, "noop_with_empty_axes", 1);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){2, 3, 4, 5}, x);
    tc_none(&c, 1);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    static double same[120];
    for (int i = 0; i < 120; i++) same[i] = x[i];
    expect_vals(&c.out[0], same, 120, 0, "ReduceSum noop");
    tc_free(&c);

    /* Axes not known at plan time: infer says so (the runtime re-plans). */
    tc_begin(&c, "ReduceSum", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){2, 3, 4, 5}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){2}, NULL);
    cr_assert_eq(tc_run(&c, 13), VD_NN_NEEDS_DATA);
    cr_assert(strstr(c.err.msg, "axes"), "message: %s", c.err.msg);
    tc_free(&c);
}

Test(reduce, int64_sum_and_prod_are_exact)
{
    static int64_t v[4] = {3, 4, 5, 6};
    tc c;
    tc_begin(&c, "ReduceProd", 1, 1);
    tc_int(&c, "keepdims", 0);
    tc_in_i64(&c, 0, 4, v);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    cr_assert_eq(c.out[0].dtype, VD_DTYPE_I64);
    cr_assert_eq(c.out[0].ndim, 0);
    cr_assert_eq(((int64_t *)c.out[0].data)[0], 360);
    tc_free(&c);
}

Test(reduce, argmax_argmin_select_last_index)
{
    static float x[8] = {1, 5, 5, 0, 2, 2, 7, 7};
    tc c;
    for (int last = 0; last < 2; last++) {
        tc_begin(&c, "ArgMax", 1, 1);
        tc_int(&c, "axis", -1);
        tc_int(&c, "select_last_index", last);
        tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 4}, x);
        cr_assert_eq(tc_run(&c, 12), 0, "%s", c.err.msg);
        cr_assert_eq(c.out[0].dtype, VD_DTYPE_I64);
        expect_shape(&c.out[0], 2, (int64_t[]){2, 1}, "ArgMax");
        expect_vals(&c.out[0], last ? (double[]){2, 3} : (double[]){1, 2}, 2, 0, "ArgMax");
        tc_free(&c);
    }
    tc_begin(&c, "ArgMin", 1, 1);
    tc_int(&c, "axis", 0);
    tc_int(&c, "keepdims", 0);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 4}, x);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 1, (int64_t[]){4}, "ArgMin");
    expect_vals(&c.out[0], (double[]){0, 1, 0, 0}, 4, 0, "ArgMin");
    tc_free(&c);
}

Test(reduce, topk_versions_and_ties)
{
    static float x[6] = {3, 1, 3, 2, 9, 1};
    static int64_t k = 3;
    tc c;
    tc_begin(&c, "TopK", 2, 2); /* opset 11: largest, ties by lower index */
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){1, 6}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){1}, &k);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){9, 3, 3}, 3, 0, "TopK values");
    expect_vals(&c.out[1], (double[]){4, 0, 2}, 3, 0, "TopK indices");
    tc_free(&c);

    tc_begin(&c, "TopK", 2, 2);
    tc_int(&c, "largest", 0);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){1, 6}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){1}, &k);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, 1, 2}, 3, 0, "TopK smallest");
    expect_vals(&c.out[1], (double[]){1, 5, 3}, 3, 0, "TopK smallest idx");
    tc_free(&c);

    tc_begin(&c, "TopK", 1, 2); /* opset 1: k attribute */
    tc_int(&c, "k", 2);
    tc_int(&c, "axis", 0);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){6, 1}, x);
    cr_assert_eq(tc_run(&c, 9), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 1}, "TopK-1");
    expect_vals(&c.out[1], (double[]){4, 0}, 2, 0, "TopK-1 idx");
    tc_free(&c);

    /* NaN orders as the largest value (a total order: no undefined sort). */
    static float xn[3] = {1, NAN, 3};
    static int64_t k3 = 3;
    for (int largest = 0; largest < 2; largest++) {
        tc_begin(&c, "TopK", 2, 2);
        tc_int(&c, "largest", largest);
        tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){3}, xn);
        tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){1}, &k3);
        cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
        expect_vals(&c.out[1], largest ? (double[]){1, 2, 0} : (double[]){0, 2, 1}, 3, 0,
                    "TopK NaN order");
        tc_free(&c);
    }

    static int64_t k9 = 9;
    tc_begin(&c, "TopK", 2, 2);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){1, 6}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){1}, &k9);
    cr_assert_eq(tc_run(&c, 11), VD_EINVAL);
    cr_assert(strstr(c.err.msg, "k = 9"), "message: %s", c.err.msg);
    tc_free(&c);
}

Test(reduce, cumsum_exclusive_reverse)
{
    static float x[6] = {1, 2, 3, 4, 5, 6};
    static int64_t axis = 1;
    double ref[4][6] = {{1, 3, 6, 4, 9, 15}, {0, 1, 3, 0, 4, 9},
                        {6, 5, 3, 15, 11, 6}, {5, 3, 0, 11, 6, 0}};
    for (int m = 0; m < 4; m++) {
        tc c;
        tc_begin(&c, "CumSum", 2, 1);
        tc_int(&c, "exclusive", m & 1);
        tc_int(&c, "reverse", m >> 1);
        tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
        tc_in(&c, 1, VD_DTYPE_I64, 0, NULL, &axis);
        cr_assert_eq(tc_run(&c, 14), 0, "%s", c.err.msg);
        expect_vals(&c.out[0], ref[m], 6, 0, "CumSum");
        tc_free(&c);
    }
}

/* ======================= shape & layout ======================= */

Test(shape, reshape_zero_minus_one_allowzero)
{
    static float x[24];
    static const int64_t s1[3] = {0, -1, 2}, s2[2] = {0, 4};
    tc c;
    tc_begin(&c, "Reshape", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){2, 3, 4}, x);
    tc_in_i64(&c, 1, 3, s1);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 3, (int64_t[]){2, 6, 2}, "Reshape 0,-1");
    tc_free(&c);

    tc_begin(&c, "Reshape", 2, 1); /* allowzero: 0 is a real zero -> 0 != 24 */
    tc_int(&c, "allowzero", 1);
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){2, 3, 4}, x);
    tc_in_i64(&c, 1, 2, s2);
    cr_assert_eq(tc_run(&c, 14), VD_EINVAL);
    cr_assert(strstr(c.err.msg, "[2,3,4]"), "message: %s", c.err.msg);
    tc_free(&c);

    tc_begin(&c, "Reshape", 2, 1); /* shape unknown at plan time */
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){2, 3, 4}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){3}, NULL);
    cr_assert_eq(tc_run(&c, 13), VD_NN_NEEDS_DATA);
    cr_assert(strstr(c.err.msg, "not constant"), "message: %s", c.err.msg);
    tc_free(&c);
}

Test(shape, flatten_squeeze_unsqueeze_by_opset)
{
    static float x[6];
    static const int64_t ax[2] = {0, -1};
    tc c;
    tc_begin(&c, "Flatten", 1, 1);
    tc_int(&c, "axis", -1);
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){1, 2, 3}, x);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 3}, "Flatten");
    tc_free(&c);

    tc_begin(&c, "Squeeze", 1, 1); /* opset 11: attribute */
    tc_ints(&c, "axes", 2, ax);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){1, 2, 3, 1}, x);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 3}, "Squeeze-11");
    tc_free(&c);

    tc_begin(&c, "Squeeze", 2, 1); /* opset 13: input; absent -> all unit dims */
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){1, 2, 3, 1}, x);
    tc_none(&c, 1);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 3}, "Squeeze-13");
    tc_free(&c);

    tc_begin(&c, "Squeeze", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){1, 2, 3, 1}, x);
    tc_in_i64(&c, 1, 1, (int64_t[]){1});
    cr_assert_eq(tc_run(&c, 13), VD_EINVAL);
    cr_assert(strstr(c.err.msg, "size 2"), "message: %s", c.err.msg);
    tc_free(&c);

    tc_begin(&c, "Unsqueeze", 1, 1);
    tc_ints(&c, "axes", 2, ax);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 4, (int64_t[]){1, 2, 3, 1}, "Unsqueeze-11");
    tc_free(&c);

    tc_begin(&c, "Unsqueeze", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    tc_in_i64(&c, 1, 2, ax);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 4, (int64_t[]){1, 2, 3, 1}, "Unsqueeze-13");
    tc_free(&c);
}

Test(shape, shape_size_start_end)
{
    static float x[1];
    tc c;
    tc_begin(&c, "Shape", 1, 1);
    tc_int(&c, "start", 1);
    tc_int(&c, "end", -1);
    tc_in(&c, 0, VD_DTYPE_F32, 4, (int64_t[]){1, 3, 0, 5}, x);
    cr_assert_eq(tc_run(&c, 15), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){3, 0}, 2, 0, "Shape-15");
    tc_free(&c);
    tc_begin(&c, "Size", 1, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){2, 3, 4}, NULL);
    c.in[0].data = (void *)x; /* Size reads no data */
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){24}, 1, 0, "Size");
    tc_free(&c);
}

static void transpose_vs_numpy(int nd, const int64_t *shape, const int64_t *perm,
                               const char *np_shape, const char *np_perm)
{
    static float x[32768];
    int64_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= shape[i];
    cr_assert_leq(n, 32768);
    ramp(x, n, 1, 0);
    tc c;
    tc_begin(&c, "Transpose", 1, 1);
    tc_ints(&c, "perm", nd, perm);
    tc_in(&c, 0, VD_DTYPE_F32, nd, shape, x);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    static double ref[32768];
    char setup[256], expr[256];
    snprintf(setup, sizeof setup, "x = np.arange(%lld, dtype=np.float32).reshape(%s)",
             (long long)n, np_shape);
    snprintf(expr, sizeof expr, "x.transpose(%s)", np_perm);
    int64_t m = numpy(setup, expr, ref, 32768);
    expect_vals(&c.out[0], ref, m, 0, expr);
    tc_free(&c);
}

Test(shape, transpose_fast_paths_and_general)
{
    /* NCHW->NHWC and back (blocked tiles, sizes not multiples of 32). */
    transpose_vs_numpy(4, (int64_t[]){2, 3, 33, 7}, (int64_t[]){0, 2, 3, 1}, "2,3,33,7", "0,2,3,1");
    transpose_vs_numpy(4, (int64_t[]){2, 33, 7, 3}, (int64_t[]){0, 3, 1, 2}, "2,33,7,3", "0,3,1,2");
    transpose_vs_numpy(4, (int64_t[]){2, 6, 33, 7}, (int64_t[]){0, 2, 3, 1}, "2,6,33,7", "0,2,3,1");
    transpose_vs_numpy(4, (int64_t[]){2, 33, 7, 6}, (int64_t[]){0, 3, 1, 2}, "2,33,7,6", "0,3,1,2");
    /* NHWC->NCHW with <= 4 channels (the narrow path), rows past one tile. */
    transpose_vs_numpy(4, (int64_t[]){2, 70, 40, 4}, (int64_t[]){0, 3, 1, 2}, "2,70,40,4", "0,3,1,2");
    transpose_vs_numpy(4, (int64_t[]){1, 50, 45, 2}, (int64_t[]){0, 3, 1, 2}, "1,50,45,2", "0,3,1,2");
    transpose_vs_numpy(4, (int64_t[]){3, 41, 67, 3}, (int64_t[]){0, 3, 1, 2}, "3,41,67,3", "0,3,1,2");
    transpose_vs_numpy(2, (int64_t[]){37, 45}, (int64_t[]){1, 0}, "37,45", "1,0");
    transpose_vs_numpy(2, (int64_t[]){45, 37}, (int64_t[]){1, 0}, "45,37", "1,0");
    /* General 5-D. */
    transpose_vs_numpy(5, (int64_t[]){2, 3, 4, 5, 2}, (int64_t[]){3, 0, 4, 2, 1}, "2,3,4,5,2",
                       "3,0,4,2,1");
}

Test(layout, slice_negative_steps_and_clamping)
{
    static float x[60];
    ramp(x, 60, 1, 0);
    static const int64_t st[3] = {2, -1, -1}, en[3] = {0, -100, -6}, ax[3] = {0, 1, 2},
                         sp[3] = {-1, -2, -2};
    tc c;
    tc_begin(&c, "Slice", 5, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){3, 4, 5}, x);
    tc_in_i64(&c, 1, 3, st);
    tc_in_i64(&c, 2, 3, en);
    tc_in_i64(&c, 3, 3, ax);
    tc_in_i64(&c, 4, 3, sp);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    double ref[60];
    int64_t n = numpy("x = np.arange(60, dtype=np.float32).reshape(3,4,5)",
                      "x[2:0:-1, -1:-100:-2, -1:-6:-2]", ref, 60);
    expect_shape(&c.out[0], 3, (int64_t[]){2, 2, 3}, "Slice");
    expect_vals(&c.out[0], ref, n, 0, "Slice");
    tc_free(&c);

    /* Opset 1: attributes, ends past the end are clamped. */
    static const int64_t s1[1] = {1}, e1[1] = {1000}, a1[1] = {-1};
    tc_begin(&c, "Slice", 1, 1);
    tc_ints(&c, "starts", 1, s1);
    tc_ints(&c, "ends", 1, e1);
    tc_ints(&c, "axes", 1, a1);
    tc_in(&c, 0, VD_DTYPE_F32, 3, (int64_t[]){3, 4, 5}, x);
    cr_assert_eq(tc_run(&c, 9), 0, "%s", c.err.msg);
    n = numpy("x = np.arange(60, dtype=np.float32).reshape(3,4,5)", "x[..., 1:1000]", ref, 60);
    expect_vals(&c.out[0], ref, n, 0, "Slice-1");
    tc_free(&c);
}

Test(layout, concat_split_versions)
{
    static int64_t a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    tc c;
    tc_begin(&c, "Concat", 2, 1);
    tc_int(&c, "axis", -1);
    tc_in(&c, 0, VD_DTYPE_I64, 2, (int64_t[]){2, 2}, a);
    tc_in(&c, 1, VD_DTYPE_I64, 2, (int64_t[]){2, 1}, b);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, 2, 5, 3, 4, 6}, 6, 0, "Concat");
    tc_free(&c);

    tc_begin(&c, "Concat", 2, 1);
    tc_int(&c, "axis", 0);
    tc_in(&c, 0, VD_DTYPE_I64, 2, (int64_t[]){2, 2}, a);
    tc_in(&c, 1, VD_DTYPE_I64, 2, (int64_t[]){2, 1}, b);
    cr_assert_eq(tc_run(&c, 13), VD_EINVAL);
    cr_assert(strstr(c.err.msg, "input 1"), "message: %s", c.err.msg);
    tc_free(&c);

    static float x[7] = {0, 1, 2, 3, 4, 5, 6};
    static const int64_t sp[2] = {3, 4};
    /* Split-11 attribute, Split-13 input, Split-18 num_outputs (uneven). */
    for (int v = 0; v < 3; v++) {
        int opset = v == 0 ? 11 : v == 1 ? 13 : 18;
        tc_begin(&c, "Split", v == 1 ? 2 : 1, 2);
        if (v == 0)
            tc_ints(&c, "split", 2, sp);
        if (v == 1)
            tc_in_i64(&c, 1, 2, sp);
        if (v == 2)
            tc_int(&c, "num_outputs", 2);
        tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){7}, x);
        cr_assert_eq(tc_run(&c, opset), 0, "Split-%d: %s", opset, c.err.msg);
        int64_t first = v == 2 ? 4 : 3;
        expect_shape(&c.out[0], 1, &first, "Split first");
        expect_vals(&c.out[1], v == 2 ? (double[]){4, 5, 6} : (double[]){3, 4, 5, 6},
                    v == 2 ? 3 : 4, 0, "Split second");
        tc_free(&c);
    }
}

Test(layout, gather_family)
{
    static float x[12];
    ramp(x, 12, 1, 0);
    static int64_t idx[3] = {2, -1, 0}, bad[1] = {3};
    tc c;
    tc_begin(&c, "Gather", 2, 1);
    tc_int(&c, "axis", 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){3, 4}, x);
    tc_in_i64(&c, 1, 3, idx);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){3, 3}, "Gather");
    expect_vals(&c.out[0], (double[]){2, 3, 0, 6, 7, 4, 10, 11, 8}, 9, 0, "Gather");
    tc_free(&c);

    tc_begin(&c, "Gather", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){3, 4}, x);
    tc_in_i64(&c, 1, 1, bad);
    cr_assert_eq(tc_run(&c, 13), VD_ERANGE);
    cr_assert(strstr(c.err.msg, "index 3"), "message: %s", c.err.msg);
    tc_free(&c);

    static int64_t ge[4] = {0, 2, 1, -1};
    tc_begin(&c, "GatherElements", 2, 1);
    tc_int(&c, "axis", 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){3, 4}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 2, (int64_t[]){2, 2}, ge);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){0, 2, 5, 7}, 4, 0, "GatherElements");
    tc_free(&c);

    static int64_t nd[4] = {1, 0, 0, 2};
    tc_begin(&c, "GatherND", 2, 1);
    tc_int(&c, "batch_dims", 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 6}, x);
    tc_in(&c, 1, VD_DTYPE_I64, 3, (int64_t[]){2, 2, 1}, nd);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, 0, 6, 8}, 4, 0, "GatherND");
    tc_free(&c);
}

Test(layout, expand_tile_pad_match_numpy)
{
    static float x[6];
    ramp(x, 6, 1, 1);
    double ref[256];
    const char *setup = "x = np.arange(1, 7, dtype=np.float32).reshape(2,3)";
    tc c;
    tc_begin(&c, "Expand", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    tc_in_i64(&c, 1, 3, (int64_t[]){2, 1, 3});
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    int64_t n = numpy(setup, "x * np.ones((2,1,3))", ref, 256);
    expect_vals(&c.out[0], ref, n, 0, "Expand");
    tc_free(&c);

    tc_begin(&c, "Tile", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    tc_in_i64(&c, 1, 2, (int64_t[]){3, 2});
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    n = numpy(setup, "np.tile(x, (3,2))", ref, 256);
    expect_shape(&c.out[0], 2, (int64_t[]){6, 6}, "Tile");
    expect_vals(&c.out[0], ref, n, 0, "Tile");
    tc_free(&c);

    struct { const char *mode, *np; } modes[] = {
        {"reflect", "np.pad(x, ((1,1),(2,2)), mode='reflect')"},
        {"edge", "np.pad(x, ((1,1),(2,2)), mode='edge')"},
        {"constant", "np.pad(x, ((1,1),(2,2)), mode='constant', constant_values=-7)"},
    };
    static float val = -7;
    static const int64_t pads[4] = {1, 2, 1, 2};
    for (int m = 0; m < 3; m++) {
        tc_begin(&c, "Pad", 3, 1);
        tc_str(&c, "mode", modes[m].mode);
        tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
        tc_in_i64(&c, 1, 4, pads);
        tc_in(&c, 2, VD_DTYPE_F32, 0, NULL, &val);
        cr_assert_eq(tc_run(&c, 13), 0, "%s: %s", modes[m].mode, c.err.msg);
        n = numpy(setup, modes[m].np, ref, 256);
        expect_vals(&c.out[0], ref, n, 0, modes[m].mode);
        tc_free(&c);
    }
    /* Pad-2 attributes, negative pads crop; Pad-18 axes input. */
    static const int64_t p2[4] = {0, -1, 1, 0};
    tc_begin(&c, "Pad", 1, 1);
    tc_ints(&c, "pads", 4, p2);
    tc_float(&c, "value", 9);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    cr_assert_eq(tc_run(&c, 9), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){2, 3, 5, 6, 9, 9}, 6, 0, "Pad-2 crop");
    tc_free(&c);

    tc_begin(&c, "Pad", 4, 1);
    tc_str(&c, "mode", "edge");
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    tc_in_i64(&c, 1, 2, (int64_t[]){1, 0});
    tc_none(&c, 2);
    tc_in_i64(&c, 3, 1, (int64_t[]){-1});
    cr_assert_eq(tc_run(&c, 18), 0, "%s", c.err.msg);
    n = numpy(setup, "np.pad(x, ((0,0),(1,0)), mode='edge')", ref, 256);
    expect_vals(&c.out[0], ref, n, 0, "Pad-18 axes");
    tc_free(&c);

    tc_begin(&c, "Pad", 1, 1);
    tc_str(&c, "mode", "wrap");
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    c.n.opset = 13;
    const vd_nn_op *op = vd_nn_op_find("Pad", 13);
    cr_assert_eq(op->init(&c.n, &c.err), VD_EUNSUPPORTED, "wrap before opset 19");
    cr_assert(strstr(c.err.msg, "wrap"), "message: %s", c.err.msg);
}

Test(layout, constants_range_nonzero)
{
    tc c;
    static const int64_t iv[3] = {4, 5, 6};
    tc_begin(&c, "Constant", 0, 1);
    tc_ints(&c, "value_ints", 3, iv);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    cr_assert_eq(c.out[0].dtype, VD_DTYPE_I64);
    expect_vals(&c.out[0], (double[]){4, 5, 6}, 3, 0, "Constant");
    tc_free(&c);

    static int32_t one = 3;
    vd_nn_attr *a;
    tc_begin(&c, "ConstantOfShape", 1, 1);
    a = tc_attr(&c, "value", VD_NN_ATTR_TENSOR);
    vd_tensor_view(&a->t, VD_DTYPE_I32, 1, (int64_t[]){1}, &one);
    tc_in_i64(&c, 0, 2, (int64_t[]){2, 2});
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    cr_assert_eq(c.out[0].dtype, VD_DTYPE_I32);
    expect_vals(&c.out[0], (double[]){3, 3, 3, 3}, 4, 0, "ConstantOfShape");
    tc_free(&c);

    static float fs = 1, fl = 2.1f, fd = 0.3f;
    tc_begin(&c, "Range", 3, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 0, NULL, &fs);
    tc_in(&c, 1, VD_DTYPE_F32, 0, NULL, &fl);
    tc_in(&c, 2, VD_DTYPE_F32, 0, NULL, &fd);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    double ref[16];
    int64_t n = numpy("pass", "np.arange(np.float32(1), np.float32(2.1), np.float32(0.3), dtype=np.float32)",
                      ref, 16);
    expect_vals(&c.out[0], ref, n, 1e-6, "Range float");
    tc_free(&c);

    static int64_t is = 10, il = 1, id = -3;
    tc_begin(&c, "Range", 3, 1);
    tc_in(&c, 0, VD_DTYPE_I64, 0, NULL, &is);
    tc_in(&c, 1, VD_DTYPE_I64, 0, NULL, &il);
    tc_in(&c, 2, VD_DTYPE_I64, 0, NULL, &id);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){10, 7, 4}, 3, 0, "Range int");
    tc_free(&c);

    static float m[6] = {0, 1, 0, 2, 3, 0};
    tc_begin(&c, "NonZero", 1, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, m);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 3}, "NonZero");
    expect_vals(&c.out[0], (double[]){0, 1, 1, 1, 0, 1}, 6, 0, "NonZero");
    tc_free(&c);
}

/* ======================= threads ======================= */

/* The same big ops on a 2-worker pool give bit-identical results to the
 * serial run: chunk boundaries fall mid-row and mid-tile. */
static void run_both(tc *serial, tc *par, int opset)
{
    tc_pool = NULL;
    cr_assert_eq(tc_run(serial, opset), 0, "%s", serial->err.msg);
    cr_assert_eq(vd_nn_pool_create(&tc_pool, 2, NULL), 0);
    int rc = tc_run(par, opset);
    vd_nn_pool_free(&tc_pool);
    cr_assert_eq(rc, 0, "%s", par->err.msg);
    cr_assert(vd_tensor_same_shape(&serial->out[0], &par->out[0]));
    cr_assert_eq(memcmp(serial->out[0].data, par->out[0].data, vd_tensor_nbytes(&par->out[0])), 0,
                 "%s differs between 1 and 2 threads", serial->n.op_type);
    tc_free(serial);
    tc_free(par);
}

Test(threads, pool_matches_serial)
{
    enum { N = 3, C = 37, H = 41, W = 43, T = N * C * H * W };
    static float x[T], bias[C];
    ramp(x, T, 0.001f, -50), ramp(bias, C, 0.5f, -3);
    static const int64_t shape[4] = {N, C, H, W}, bshape[3] = {C, 1, 1}, perm[4] = {0, 2, 3, 1},
                         axes[2] = {1, 3};
    tc a, b;
    const char *ops[] = {"Add", "Transpose", "ReduceMean", "Sigmoid", "Slice", "Concat"};
    static const int64_t st[1] = {1}, en[1] = {-1}, ax[1] = {2}, sp[1] = {2};
    for (int k = 0; k < 6; k++) {
        tc *both[2] = {&a, &b};
        for (int j = 0; j < 2; j++) {
            tc *c = both[j];
            int nin = k == 0 || k == 5 ? 2 : k == 4 ? 5 : 1;
            tc_begin(c, ops[k], nin, 1);
            tc_in(c, 0, VD_DTYPE_F32, 4, shape, x);
            if (k == 0)
                tc_in(c, 1, VD_DTYPE_F32, 3, bshape, bias);
            if (k == 1)
                tc_ints(c, "perm", 4, perm);
            if (k == 5) { /* one long row per input: the segmented copy */
                tc_in(c, 1, VD_DTYPE_F32, 4, shape, x);
                tc_int(c, "axis", 0);
            }
            if (k == 2)
                tc_ints(c, "axes", 2, axes);
            if (k == 4) {
                tc_in_i64(c, 1, 1, st), tc_in_i64(c, 2, 1, en);
                tc_in_i64(c, 3, 1, ax), tc_in_i64(c, 4, 1, sp);
            }
        }
        run_both(&a, &b, 13);
    }
}

/* ======================= extras: indexing, trig, shifts ======================= */

Test(indexing, trilu_eyelike_onehot)
{
    static float x[12];
    ramp(x, 12, 1, 1);
    static int64_t k = -1;
    for (int up = 0; up < 2; up++) {
        tc c;
        tc_begin(&c, "Trilu", 2, 1);
        tc_int(&c, "upper", up);
        tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){3, 4}, x);
        tc_in(&c, 1, VD_DTYPE_I64, 0, NULL, &k);
        cr_assert_eq(tc_run(&c, 14), 0, "%s", c.err.msg);
        double ref[12];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                ref[i * 4 + j] = (up ? j - i >= -1 : j - i <= -1) ? x[i * 4 + j] : 0;
        expect_vals(&c.out[0], ref, 12, 0, up ? "Trilu upper" : "Trilu lower");
        tc_free(&c);
    }
    tc c;
    tc_begin(&c, "EyeLike", 1, 1);
    tc_int(&c, "k", 1);
    tc_int(&c, "dtype", 7);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, x);
    cr_assert_eq(tc_run(&c, 9), 0, "%s", c.err.msg);
    cr_assert_eq(c.out[0].dtype, VD_DTYPE_I64);
    expect_vals(&c.out[0], (double[]){0, 1, 0, 0, 0, 1}, 6, 0, "EyeLike");
    tc_free(&c);

    static int64_t idx[3] = {0, -1, 5}, depth = 3;
    static float vals[2] = {-1, 4};
    tc_begin(&c, "OneHot", 3, 1);
    tc_int(&c, "axis", 0);
    tc_in_i64(&c, 0, 3, idx);
    tc_in(&c, 1, VD_DTYPE_I64, 0, NULL, &depth);
    tc_in(&c, 2, VD_DTYPE_F32, 1, (int64_t[]){2}, vals);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){3, 3}, "OneHot");
    /* rows are depth positions, columns the indices; 5 is out of range */
    expect_vals(&c.out[0], (double[]){4, -1, -1, -1, -1, -1, -1, 4, -1}, 9, 0, "OneHot");
    tc_free(&c);
}

Test(indexing, scatter_and_compress)
{
    static float data[6] = {1, 2, 3, 4, 5, 6}, upd[2] = {10, 20};
    static int64_t ie[2] = {2, 2};
    tc c;
    tc_begin(&c, "ScatterElements", 3, 1);
    tc_int(&c, "axis", 1);
    tc_str(&c, "reduction", "add");
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, data);
    tc_in(&c, 1, VD_DTYPE_I64, 2, (int64_t[]){1, 2}, ie);
    tc_in(&c, 2, VD_DTYPE_F32, 2, (int64_t[]){1, 2}, upd);
    cr_assert_eq(tc_run(&c, 16), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, 2, 33, 4, 5, 6}, 6, 0, "ScatterElements add");
    tc_free(&c);

    static int64_t ind[1] = {-1};
    static float row[3] = {7, 8, 9};
    tc_begin(&c, "ScatterND", 3, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, data);
    tc_in(&c, 1, VD_DTYPE_I64, 2, (int64_t[]){1, 1}, ind);
    tc_in(&c, 2, VD_DTYPE_F32, 2, (int64_t[]){1, 3}, row);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){1, 2, 3, 7, 8, 9}, 6, 0, "ScatterND");
    tc_free(&c);

    static int64_t bad[2] = {3, 0};
    tc_begin(&c, "ScatterElements", 3, 1);
    tc_int(&c, "axis", 1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, data);
    tc_in(&c, 1, VD_DTYPE_I64, 2, (int64_t[]){1, 2}, bad);
    tc_in(&c, 2, VD_DTYPE_F32, 2, (int64_t[]){1, 2}, upd);
    cr_assert_eq(tc_run(&c, 13), VD_ERANGE);
    cr_assert(strstr(c.err.msg, "index 3"), "message: %s", c.err.msg);
    tc_free(&c);

    static uint8_t cond[3] = {0, 1, 1};
    tc_begin(&c, "Compress", 2, 1);
    tc_int(&c, "axis", -1);
    tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){2, 3}, data);
    tc_in(&c, 1, VD_DTYPE_BOOL, 1, (int64_t[]){3}, cond);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_shape(&c.out[0], 2, (int64_t[]){2, 2}, "Compress");
    expect_vals(&c.out[0], (double[]){2, 3, 5, 6}, 4, 0, "Compress");
    tc_free(&c);
}

Test(unary, trig_shrink_bitshift_reduce_noop)
{
    static float x[4] = {-0.9f, -0.2f, 0.3f, 0.8f}, y[4] = {1.5f, 2, 3, 10};
    double r[4];
    struct { const char *op; double (*f)(double); const float *in; } cases[] = {
        {"Asin", asin, x}, {"Acos", acos, x}, {"Atan", atan, x}, {"Tan", tan, x},
        {"Sinh", sinh, x}, {"Cosh", cosh, x}, {"Asinh", asinh, x}, {"Atanh", atanh, x},
        {"Acosh", acosh, y},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        for (int i = 0; i < 4; i++)
            r[i] = cases[k].f(cases[k].in[i]);
        unary_case(cases[k].op, 9, cases[k].in, 4, r, 1e-6);
    }
    unary_case("Shrink", 9, x, 4, (double[]){-0.9, 0, 0, 0.8}, 1e-6); /* lambd 0.5, bias 0 */

    static uint8_t a[3] = {1, 3, 200}, s[3] = {1, 2, 9};
    tc c;
    tc_begin(&c, "BitShift", 2, 1);
    tc_str(&c, "direction", "LEFT");
    tc_in(&c, 0, VD_DTYPE_U8, 1, (int64_t[]){3}, a);
    tc_in(&c, 1, VD_DTYPE_U8, 1, (int64_t[]){3}, s);
    cr_assert_eq(tc_run(&c, 11), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){2, 12, 0}, 3, 0, "BitShift left");
    tc_free(&c);

    /* noop_with_empty_axes reduces nothing, but SumSquare still squares each
     * element (ONNX's corrected spec, onnx PR 7394; onnxruntime does so). */
    tc_begin(&c, "ReduceSumSquare", 1, 1);
    tc_int(&c, "noop_with_empty_axes", 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){4}, x);
    cr_assert_eq(tc_run(&c, 18), 0, "%s", c.err.msg);
    expect_vals(&c.out[0], (double[]){x[0] * x[0], x[1] * x[1], x[2] * x[2], x[3] * x[3]}, 4,
                1e-6, "ReduceSumSquare noop");
    tc_free(&c);
}

/* The vectorised float exp behind Exp/Sigmoid/Tanh/Elu/Selu/Mish, over a
 * dense grid against libm in double. */
Test(unary, fast_exp_accuracy_dense_grid)
{
    enum { N = 20001 };
    static float x[N];
    static double r[N];
    tc c;
    struct { const char *op; float lo, hi; double tol; } cases[] = {
        {"Exp", -87, 88, 1e-6}, {"Sigmoid", -100, 100, 1e-6}, {"Tanh", -10, 10, 1e-6},
        {"Tanh", -0.1f, 0.1f, 1e-6},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        ramp(x, N, (cases[k].hi - cases[k].lo) / (N - 1), cases[k].lo);
        for (int i = 0; i < N; i++) {
            double v = x[i];
            r[i] = k == 0 ? exp(v) : k == 1 ? 1 / (1 + exp(-v)) : tanh(v);
        }
        tc_begin(&c, cases[k].op, 1, 1);
        tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){N}, x);
        cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
        const float *g = c.out[0].data;
        for (int i = 0; i < N; i++) {
            double err = fabs(g[i] - r[i]), lim = cases[k].tol * (k == 0 ? fabs(r[i]) : 1);
            cr_assert(err <= lim + 1e-30, "%s(%.9g) = %.9g, expected %.9g", cases[k].op, x[i],
                      g[i], r[i]);
        }
        tc_free(&c);
    }
}

/* ======================= run-time shapes ======================= */

/* When a shape operand is not constant at plan time, infer() says so and
 * the session runs the node with output storage left to the kernel: run()
 * must infer the shape from the actual data and allocate the output. */
Test(dynamic, run_allocates_when_shape_input_was_unknown)
{
    static float x[24];
    ramp(x, 24, 1, 0);
    static int64_t shape[2] = {4, -1}, k = 2;
    vd_error err = {0};
    vd_nn_ctx ctx = {.threads = 1, .err = &err};
    struct { const char *op; int n_in, n_out; } cases[] = {{"Reshape", 2, 1}, {"TopK", 2, 2}};
    for (int v = 0; v < 2; v++) {
        tc c;
        tc_begin(&c, cases[v].op, cases[v].n_in, cases[v].n_out);
        c.n.opset = 13;
        c.n.op = vd_nn_op_find(cases[v].op, 13);
        tc_in(&c, 0, VD_DTYPE_F32, 2, (int64_t[]){4, 6}, x);
        tc_in(&c, 1, VD_DTYPE_I64, 1, (int64_t[]){v ? 1 : 2}, NULL); /* unknown at plan time */
        cr_assert_eq(c.n.op->infer(&c.n, c.inp, c.outp, &c.err), VD_NN_NEEDS_DATA, "%s", cases[v].op);
        c.in[1].data = v ? (void *)&k : (void *)shape; /* known at run time */
        memset(c.out, 0, sizeof c.out);
        cr_assert_eq(c.n.op->run(&c.n, c.inp, c.outp, &ctx), 0, "%s: %s", cases[v].op, err.msg);
        if (v == 0) {
            expect_shape(&c.out[0], 2, (int64_t[]){4, 6}, "Reshape at run time");
            double ref[24];
            for (int i = 0; i < 24; i++)
                ref[i] = x[i];
            expect_vals(&c.out[0], ref, 24, 0, "Reshape data");
        } else {
            expect_shape(&c.out[0], 2, (int64_t[]){4, 2}, "TopK at run time");
            expect_vals(&c.out[0], (double[]){5, 4, 11, 10, 17, 16, 23, 22}, 8, 0, "TopK values");
            expect_vals(&c.out[1], (double[]){5, 4, 5, 4, 5, 4, 5, 4}, 8, 0, "TopK indices");
        }
        tc_free(&c);
    }
}

/* Integer overflow wraps (two's complement) rather than being undefined:
 * folding at load time runs on whatever constants a model file holds. */
Test(elementwise, integer_overflow_wraps)
{
    static int64_t a[2] = {INT64_MAX, INT64_MIN}, one[1] = {1};
    tc c;
    tc_begin(&c, "Add", 2, 1);
    tc_in_i64(&c, 0, 2, a);
    tc_in_i64(&c, 1, 1, one);
    cr_assert_eq(tc_run(&c, 14), 0, "%s", c.err.msg);
    cr_assert_eq(((int64_t *)c.out[0].data)[0], INT64_MIN);
    tc_free(&c);
    static int32_t m[1] = {INT32_MIN};
    tc_begin(&c, "Neg", 1, 1);
    tc_in(&c, 0, VD_DTYPE_I32, 1, (int64_t[]){1}, m);
    cr_assert_eq(tc_run(&c, 13), 0, "%s", c.err.msg);
    cr_assert_eq(((int32_t *)c.out[0].data)[0], INT32_MIN);
    tc_free(&c);
}

/* Input/output counts are checked at load time (init), so a malformed
 * node never reaches infer()/run() with a missing operand. */
Test(arity, wrong_counts_and_missing_inputs_fail_at_init)
{
    struct { const char *op; int opset, n_in, n_out, omit; const char *msg; } cases[] = {
        {"Add", 14, 1, 1, -1, "1 inputs"},      {"Where", 16, 3, 1, 1, "input 1 is required"},
        {"Relu", 14, 2, 1, -1, "2 inputs"},     {"ReduceSum", 11, 2, 1, -1, "2 inputs"},
        {"TopK", 11, 1, 2, -1, "1 inputs"},     {"Reshape", 14, 2, 1, 1, "input 1 is required"},
        {"Slice", 13, 2, 1, -1, "2 inputs"},    {"Concat", 13, 0, 1, -1, "0 inputs"},
        {"Split", 13, 1, 65, -1, "65 outputs"}, {"ScatterND", 13, 2, 1, -1, "2 inputs"},
        {"Gather", 13, 2, 0, -1, "0 outputs"},  {"Clip", 13, 4, 1, -1, "4 inputs"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tc c;
        tc_begin(&c, cases[k].op, cases[k].n_in, cases[k].n_out);
        int idx[80];
        for (int i = 0; i < 80; i++)
            idx[i] = i;
        c.n.in = idx;
        c.n.out = idx + 8;
        if (cases[k].omit >= 0)
            idx[cases[k].omit] = -1;
        c.n.opset = cases[k].opset;
        c.n.op = vd_nn_op_find(cases[k].op, cases[k].opset);
        cr_assert(c.n.op && c.n.op->init, "%s has no init", cases[k].op);
        cr_assert_eq(c.n.op->init(&c.n, &c.err), VD_EINVAL, "%s", cases[k].op);
        cr_assert(strstr(c.err.msg, cases[k].msg), "%s: message '%s'", cases[k].op, c.err.msg);
        free(c.n.params);
    }
}

/* Shapes read from data are bounded: a hostile file gets VD_ELIMIT, not an
 * int64 overflow or a terabyte allocation. */
Test(limits, huge_shapes_from_data_are_refused)
{
    static float x[1];
    static int64_t big[3] = {1ll << 40, 1ll << 40, 1ll << 40};
    tc c;
    tc_begin(&c, "ConstantOfShape", 1, 1);
    tc_in_i64(&c, 0, 3, big);
    cr_assert_eq(tc_run(&c, 13), VD_ELIMIT, "%s", c.err.msg);
    tc_free(&c);
    tc_begin(&c, "Expand", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){1}, x);
    tc_in_i64(&c, 1, 3, big);
    cr_assert_eq(tc_run(&c, 13), VD_ELIMIT, "%s", c.err.msg);
    tc_free(&c);
    tc_begin(&c, "Tile", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){1}, x);
    tc_in_i64(&c, 1, 1, big);
    cr_assert_eq(tc_run(&c, 13), VD_ELIMIT, "%s", c.err.msg);
    tc_free(&c);
    tc_begin(&c, "Reshape", 2, 1);
    tc_in(&c, 0, VD_DTYPE_F32, 1, (int64_t[]){1}, x);
    tc_in_i64(&c, 1, 3, big);
    cr_assert_eq(tc_run(&c, 13), VD_ELIMIT, "%s", c.err.msg);
    tc_free(&c);
    static int64_t r0 = INT64_MIN, r1 = INT64_MAX, r2 = 1;
    tc_begin(&c, "Range", 3, 1);
    tc_in(&c, 0, VD_DTYPE_I64, 0, NULL, &r0);
    tc_in(&c, 1, VD_DTYPE_I64, 0, NULL, &r1);
    tc_in(&c, 2, VD_DTYPE_I64, 0, NULL, &r2);
    cr_assert_eq(tc_run(&c, 11), VD_ELIMIT, "%s", c.err.msg);
    tc_free(&c);
}
