/* test_nn_kernels_heavy.c -- the heavy kernels (conv, gemm, norm, pool,
 * resize, detect, softmax) against naive reference loops written here,
 * on random data, over many attribute combinations.
 *
 * Nodes are built by hand and driven through the op contract directly
 * (init, infer, workspace, run), so these tests pin the kernels without
 * the loader. Exactness against data nobody here wrote comes from the
 * ONNX node tests (test_nn_conformance.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/nn/ctx.h"
#include "vision/nn/graph.h"

/* ---- a hand-built node ---- */

typedef struct tnode {
    vd_nn_node n;
    vd_nn_attr attrs[16];
    int idx[16];
    char names[16][32];
} tnode;

static void tn_init(tnode *t, const char *op)
{
    memset(t, 0, sizeof *t);
    t->n.name = (char *)op;
    t->n.op_type = (char *)op;
    t->n.attrs = t->attrs;
    t->n.in = t->idx;
    t->n.out = t->idx + 8;
    for (int i = 0; i < 16; i++)
        t->idx[i] = i;
}

static vd_nn_attr *tn_attr(tnode *t, const char *name, vd_nn_attr_type type)
{
    vd_nn_attr *a = &t->attrs[t->n.n_attrs++];
    snprintf(t->names[t->n.n_attrs - 1], 32, "%s", name);
    a->name = t->names[t->n.n_attrs - 1];
    a->type = type;
    return a;
}

static void tn_int(tnode *t, const char *name, int64_t v)
{
    tn_attr(t, name, VD_NN_ATTR_INT)->i = v;
}

static void tn_float(tnode *t, const char *name, float v)
{
    tn_attr(t, name, VD_NN_ATTR_FLOAT)->f = v;
}

static void tn_str(tnode *t, const char *name, const char *v)
{
    tn_attr(t, name, VD_NN_ATTR_STRING)->s = (char *)v;
}

/* v must outlive the node (tests pass static or caller arrays). */
static void tn_ints(tnode *t, const char *name, int n, int64_t *v)
{
    vd_nn_attr *a = tn_attr(t, name, VD_NN_ATTR_INTS);
    a->n = n;
    a->ints = v;
}

/* Worker threads for the kernels under test (each suite runs 1 and 2). */
static int test_threads = 1;

/* Runs the node; allocates outputs. Returns the first failing code. */
static int tn_run(tnode *t, int opset, vd_tensor **in, int n_in, vd_tensor *out,
                  int n_out, vd_error *err)
{
    t->n.n_in = n_in;
    t->n.n_out = n_out;
    t->n.opset = opset;
    t->n.op = vd_nn_op_find(t->n.op_type, opset);
    cr_assert(t->n.op, "no op %s at opset %d", t->n.op_type, opset);
    int rc = t->n.op->init(&t->n, err);
    vd_tensor *outs[8];
    for (int i = 0; i < n_out; i++) {
        memset(&out[i], 0, sizeof out[i]);
        outs[i] = &out[i];
    }
    if (!rc)
        rc = t->n.op->infer(&t->n, in, outs, err);
    for (int i = 0; !rc && i < n_out; i++) {
        if (t->n.op->flags & VD_NN_OP_DYNAMIC)
            continue;
        vd_tensor shape = out[i];
        rc = vd_tensor_alloc(&out[i], shape.dtype, shape.ndim, shape.shape, err);
    }
    size_t ws = !rc && t->n.op->workspace ? t->n.op->workspace(&t->n, in, outs) : 0;
    void *wsp = ws ? aligned_alloc(64, (ws + 63) / 64 * 64) : NULL;
    vd_nn_pool *pool = NULL;
    if (test_threads > 1)
        cr_assert_eq(vd_nn_pool_create(&pool, test_threads, NULL), 0);
    vd_nn_ctx ctx = {.threads = test_threads, .workspace = wsp, .workspace_size = ws,
                     .err = err, .pool = pool};
    if (!rc)
        rc = t->n.op->run(&t->n, in, outs, &ctx);
    vd_nn_pool_free(&pool);
    free(wsp);
    if (t->n.op->fini)
        t->n.op->fini(&t->n);
    else
        free(t->n.params);
    t->n.params = NULL;
    return rc;
}

/* ---- tensors and comparison ---- */

static uint64_t rng_state = 88172645463325252ull;

static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static vd_tensor *tensor_rand(vd_tensor *t, int ndim, const int64_t *shape)
{
    cr_assert_eq(vd_tensor_alloc(t, VD_DTYPE_F32, ndim, shape, NULL), 0);
    float *d = t->data;
    for (int64_t i = 0; i < vd_tensor_numel(t); i++)
        d[i] = frand();
    return t;
}

static void expect_close(const vd_tensor *got, const float *ref, int ndim,
                         const int64_t *shape, const char *what)
{
    cr_assert_eq(got->ndim, ndim, "%s: rank %d, expected %d", what, got->ndim, ndim);
    for (int i = 0; i < ndim; i++)
        cr_assert_eq(got->shape[i], shape[i], "%s: dim %d is %lld, expected %lld", what, i,
                     (long long)got->shape[i], (long long)shape[i]);
    const float *g = got->data;
    for (int64_t i = 0; i < vd_tensor_numel(got); i++)
        cr_assert(fabsf(g[i] - ref[i]) <= 1e-4f + 1e-4f * fabsf(ref[i]),
                  "%s: element %lld is %g, expected %g", what, (long long)i, g[i], ref[i]);
}

static float ref_act(vd_nn_act_kind k, float a, float b, float x)
{
    switch (k) {
    case VD_NN_ACT_RELU: return x > 0 ? x : 0;
    case VD_NN_ACT_CLIP: return fminf(fmaxf(x, a), b);
    case VD_NN_ACT_LEAKY: return x >= 0 ? x : a * x;
    case VD_NN_ACT_SIGMOID: return 1 / (1 + expf(-x));
    case VD_NN_ACT_SILU: return x / (1 + expf(-x));
    case VD_NN_ACT_HARDSWISH: return x * fminf(fmaxf(x + 3, 0), 6) / 6;
    default: return x;
    }
}

/* ---- Conv / ConvTranspose ---- */

typedef struct conv_cfg {
    int nsp;                 /* 1 or 2 */
    int64_t n, c, m, group;
    int64_t in[2], k[2], s[2], d[2], pads[4];
    const char *auto_pad;    /* NULL: explicit pads */
    vd_nn_act_kind act;
    int bias;
    int64_t opad[2];         /* ConvTranspose */
} conv_cfg;

/* Explicit (pb, pe) and output size of one dim, computed independently. */
static void ref_dim(const conv_cfg *c, int i, int transposed, int64_t *pb, int64_t *pe,
                    int64_t *out)
{
    int64_t in = c->in[i], s = c->s[i], dk = (c->k[i] - 1) * c->d[i] + 1;
    *pb = c->pads[i];
    *pe = c->pads[i + c->nsp];
    if (c->auto_pad && strcmp(c->auto_pad, "VALID")) {
        int64_t target = transposed ? in * s : (in + s - 1) / s;
        int64_t total = transposed ? s * (in - 1) + c->opad[i] + dk - target
                                   : (target - 1) * s + dk - in;
        if (total < 0)
            total = 0;
        int upper = !strcmp(c->auto_pad, "SAME_UPPER");
        *pb = upper ? total / 2 : total - total / 2;
        *pe = total - *pb;
    } else if (c->auto_pad) {
        *pb = *pe = 0;
    }
    *out = transposed ? s * (in - 1) + c->opad[i] + dk - *pb - *pe
                      : (in + *pb + *pe - dk) / s + 1;
}

/* residual: a Conv with a fused residual Add (node->add_in) of Y's shape. */
static void conv_case_add(const conv_cfg *c, int transposed, int residual)
{
    int nsp = c->nsp;
    int64_t xs[4] = {c->n, c->c}, ws[4], bs[1] = {c->m}, pb[2], pe[2], os[2];
    int64_t cg = c->c / c->group, mg = c->m / c->group;
    ws[0] = transposed ? c->c : c->m;
    ws[1] = transposed ? mg : cg;
    int64_t ksz = 1, insp = 1, outsp = 1;
    for (int i = 0; i < nsp; i++) {
        xs[2 + i] = c->in[i];
        ws[2 + i] = c->k[i];
        ref_dim(c, i, transposed, &pb[i], &pe[i], &os[i]);
        ksz *= c->k[i];
        insp *= c->in[i];
        outsp *= os[i];
    }
    vd_tensor x, w, b, r, out[1];
    vd_tensor *in[4] = {tensor_rand(&x, 2 + nsp, xs), tensor_rand(&w, 2 + nsp, ws),
                        c->bias ? tensor_rand(&b, 1, bs) : NULL, NULL};
    int64_t oshape[4] = {c->n, c->m, os[0], os[1]};
    if (residual)
        in[3] = tensor_rand(&r, 2 + nsp, oshape);
    /* reference, written as plain loops over (n, out channel, out pos) or
     * as a scatter for the transposed case */
    float *ref = calloc((size_t)(c->n * c->m * outsp), sizeof(float));
    const float *X = x.data, *W = w.data, *B = c->bias ? b.data : NULL;
    int64_t H = nsp == 2 ? c->in[0] : 1, Wd = c->in[nsp - 1];
    int64_t OH = nsp == 2 ? os[0] : 1, OW = os[nsp - 1];
    int64_t KH = nsp == 2 ? c->k[0] : 1, KW = c->k[nsp - 1];
    int64_t SH = nsp == 2 ? c->s[0] : 1, SW = c->s[nsp - 1];
    int64_t DH = nsp == 2 ? c->d[0] : 1, DW = c->d[nsp - 1];
    int64_t PH = nsp == 2 ? pb[0] : 0, PW = pb[nsp - 1];
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t g = 0; g < c->group; g++)
            for (int64_t ci = 0; ci < cg; ci++)
                for (int64_t co = 0; co < mg; co++)
                    for (int64_t kh = 0; kh < KH; kh++)
                        for (int64_t kw = 0; kw < KW; kw++) {
                            int64_t C = g * cg + ci, M = g * mg + co;
                            float wv = transposed ? W[((C * mg + co) * KH + kh) * KW + kw]
                                                  : W[((M * cg + ci) * KH + kh) * KW + kw];
                            const float *xp = X + (n * c->c + C) * insp;
                            float *yp = ref + (n * c->m + M) * outsp;
                            if (!transposed) {
                                for (int64_t oh = 0; oh < OH; oh++)
                                    for (int64_t ow = 0; ow < OW; ow++) {
                                        int64_t ih = oh * SH - PH + kh * DH;
                                        int64_t iw = ow * SW - PW + kw * DW;
                                        if (ih >= 0 && ih < H && iw >= 0 && iw < Wd)
                                            yp[oh * OW + ow] += wv * xp[ih * Wd + iw];
                                    }
                            } else {
                                for (int64_t ih = 0; ih < H; ih++)
                                    for (int64_t iw = 0; iw < Wd; iw++) {
                                        int64_t oh = ih * SH - PH + kh * DH;
                                        int64_t ow = iw * SW - PW + kw * DW;
                                        if (oh >= 0 && oh < OH && ow >= 0 && ow < OW)
                                            yp[oh * OW + ow] += wv * xp[ih * Wd + iw];
                                    }
                            }
                        }
    for (int64_t i = 0; i < c->n * c->m * outsp; i++)
        ref[i] = ref_act(c->act, 0.5f, 1.5f,
                         ref[i] + (B ? B[i / outsp % c->m] : 0.0f) +
                             (residual ? ((const float *)r.data)[i] : 0.0f));

    tnode t;
    tn_init(&t, transposed ? "ConvTranspose" : "Conv");
    int64_t k[2], s[2], d[2], p[4], op[2];
    memcpy(k, c->k, sizeof k);
    memcpy(s, c->s, sizeof s);
    memcpy(d, c->d, sizeof d);
    memcpy(p, c->pads, sizeof p);
    memcpy(op, c->opad, sizeof op);
    tn_ints(&t, "kernel_shape", nsp, k);
    tn_ints(&t, "strides", nsp, s);
    tn_ints(&t, "dilations", nsp, d);
    if (c->auto_pad)
        tn_str(&t, "auto_pad", c->auto_pad);
    else
        tn_ints(&t, "pads", 2 * nsp, p);
    if (transposed)
        tn_ints(&t, "output_padding", nsp, op);
    tn_int(&t, "group", c->group);
    t.n.act.kind = c->act;
    t.n.act.alpha = 0.5f;
    t.n.act.beta = 1.5f;
    t.n.add_in = residual ? 3 : 0;
    vd_error err = {0};
    int rc = tn_run(&t, 17, in, residual ? 4 : 3, out, 1, &err);
    cr_assert_eq(rc, 0, "%s", err.msg);
    char what[160];
    snprintf(what, sizeof what, "%s %dD c%lld m%lld g%lld k%lld s%lld d%lld ap %s act %d",
             t.n.op_type, nsp, (long long)c->c, (long long)c->m, (long long)c->group,
             (long long)c->k[0], (long long)c->s[0], (long long)c->d[0],
             c->auto_pad ? c->auto_pad : "-", c->act);
    expect_close(&out[0], ref, 2 + nsp, oshape, what);
    free(ref);
    vd_tensor_free(&out[0]);
    vd_tensor_free(&x);
    vd_tensor_free(&w);
    if (c->bias)
        vd_tensor_free(&b);
    if (residual)
        vd_tensor_free(&r);
}

static void conv_case(const conv_cfg *c, int transposed)
{
    conv_case_add(c, transposed, 0);
}

Test(nn_kernels_heavy, conv_configurations)
{
    static const conv_cfg cfgs[] = {
        /* general im2col path, 2-D */
        {2, 2, 3, 8, 1, {9, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 0, 1, {0}},
        {2, 1, 4, 6, 1, {10, 7}, {3, 2}, {2, 1}, {1, 1}, {0, 1, 2, 0}, NULL,
         VD_NN_ACT_RELU, 1, {0}},
        {2, 1, 4, 6, 2, {12, 12}, {3, 3}, {1, 2}, {2, 1}, {2, 1, 0, 3}, NULL,
         VD_NN_ACT_LEAKY, 1, {0}},
        {2, 2, 6, 9, 3, {8, 9}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER",
         VD_NN_ACT_SILU, 1, {0}},
        {2, 1, 3, 4, 1, {8, 9}, {4, 4}, {2, 3}, {1, 1}, {0}, "SAME_LOWER",
         VD_NN_ACT_CLIP, 0, {0}},
        {2, 1, 3, 4, 1, {8, 9}, {3, 2}, {2, 1}, {1, 2}, {0}, "VALID",
         VD_NN_ACT_HARDSWISH, 1, {0}},
        /* tiling: output bigger than one im2col tile */
        {2, 1, 64, 8, 1, {40, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_SIGMOID, 1, {0}},
        /* 1x1 fast path, and 1x1 with stride (im2col) */
        {2, 2, 16, 12, 1, {5, 7}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_RELU, 1, {0}},
        {2, 1, 8, 12, 2, {6, 7}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, 0, 0, {0}},
        {2, 1, 8, 12, 1, {6, 7}, {1, 1}, {2, 2}, {1, 1}, {0}, NULL, 0, 1, {0}},
        /* depthwise 3x3 / 5x5, strides 1 and 2, multiplier 2, dilation */
        {2, 2, 8, 8, 8, {13, 17}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_RELU, 1, {0}},
        {2, 1, 8, 8, 8, {13, 17}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER",
         VD_NN_ACT_CLIP, 1, {0}},
        {2, 1, 5, 5, 5, {20, 21}, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, NULL, 0, 1, {0}},
        {2, 1, 5, 5, 5, {20, 21}, {5, 5}, {2, 2}, {1, 1}, {1, 2, 2, 1}, NULL, 0, 0, {0}},
        {2, 1, 4, 8, 4, {11, 9}, {3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, NULL, 0, 1, {0}},
        {2, 1, 3, 3, 3, {6, 30}, {2, 4}, {1, 3}, {1, 1}, {0, 3, 1, 0}, NULL, 0, 1, {0}},
        /* planes too large for the padded scratch: border-column path */
        {2, 1, 2, 2, 2, {72, 75}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_RELU, 1, {0}},
        {2, 1, 2, 4, 2, {80, 70}, {5, 5}, {2, 2}, {1, 1}, {2, 1, 2, 2}, NULL, 0, 1, {0}},
        /* 1-D */
        {1, 2, 3, 5, 1, {17}, {3}, {2}, {1}, {1, 2}, NULL, VD_NN_ACT_RELU, 1, {0}},
        {1, 1, 4, 4, 4, {17}, {5}, {1}, {2}, {0}, "SAME_UPPER", 0, 1, {0}},
        {1, 1, 4, 6, 2, {16}, {4}, {3}, {1}, {0}, "SAME_LOWER", 0, 0, {0}},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            conv_case(&cfgs[i], 0);
}

/* 3x3 stride-1 group-1 convs with >= 48 input and output channels take
 * the Winograd F(2x2, 3x3) path (conv_winograd.c): odd and even sizes
 * (partial 2x2 tiles at the bottom and right), pads 0, 1 and asymmetric,
 * batch 2, fused activations, and a 40x41 plane that spans several tile
 * blocks, on 1 and 2 threads, against the same naive loops. */
Test(nn_kernels_heavy, conv_winograd)
{
    static const conv_cfg cfgs[] = {
        {2, 2, 48, 48, 1, {9, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_SILU, 1, {0}},
        {2, 1, 64, 50, 1, {8, 8}, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, NULL,
         VD_NN_ACT_RELU, 0, {0}},
        {2, 1, 48, 64, 1, {7, 13}, {3, 3}, {1, 1}, {1, 1}, {0, 1, 2, 1}, NULL,
         VD_NN_ACT_LEAKY, 1, {0}},
        {2, 2, 56, 48, 1, {10, 5}, {3, 3}, {1, 1}, {1, 1}, {0}, "SAME_UPPER",
         VD_NN_ACT_CLIP, 1, {0}},
        {2, 1, 48, 48, 1, {3, 3}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 0, 1, {0}},
        {2, 1, 64, 64, 1, {40, 41}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_SIGMOID, 1, {0}},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            conv_case(&cfgs[i], 0);
}

/* Depthwise convs (conv_dw.c): the band path's edges -- odd sizes and
 * asymmetric pads, stride 2 on odd inputs (the column/row phases of
 * different lengths), planes split into several bands, a fused residual
 * Add with Relu (inline in the write-out) or with another activation,
 * stride 2 on short rows (split per band) and long rows (split per row),
 * channel multiplier 2, row dilation on the 3x3 fast path, kernels with
 * no fast path (3x5, 1x1 with pads, column dilation), mixed strides, a
 * plane smaller than the kernel, 1-D -- and the per-row fallback (stride
 * 3, a row too wide for the band scratch), on 1 and 2 threads. */
Test(nn_kernels_heavy, conv_depthwise)
{
    static const struct { conv_cfg c; int residual; } cfgs[] = {
        {{2, 2, 3, 3, 3, {70, 69}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_RELU, 1, {0}}, 1},
        {{2, 1, 4, 4, 4, {33, 31}, {3, 3}, {2, 2}, {1, 1}, {0, 0, 1, 1}, NULL, 0, 1, {0}}, 0},
        {{2, 1, 4, 4, 4, {33, 31}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_SIGMOID, 1, {0}}, 1},
        {{2, 1, 2, 2, 2, {21, 75}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 0}, NULL,
         VD_NN_ACT_RELU, 1, {0}}, 1},
        {{2, 1, 3, 3, 3, {23, 25}, {5, 5}, {2, 2}, {1, 1}, {2, 1, 1, 2}, NULL,
         VD_NN_ACT_CLIP, 1, {0}}, 0},
        {{2, 2, 3, 6, 3, {9, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 0, 1, {0}}, 1},
        {{2, 1, 3, 6, 3, {19, 18}, {5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}, NULL,
         VD_NN_ACT_RELU, 0, {0}}, 0},
        {{2, 1, 2, 2, 2, {15, 16}, {3, 3}, {1, 1}, {2, 1}, {2, 1, 2, 1}, NULL, 0, 1, {0}}, 0},
        {{2, 1, 2, 2, 2, {15, 16}, {3, 3}, {1, 1}, {1, 2}, {1, 2, 1, 2}, NULL, 0, 1, {0}}, 1},
        {{2, 1, 2, 2, 2, {11, 13}, {3, 5}, {1, 2}, {1, 1}, {1, 2, 0, 1}, NULL,
         VD_NN_ACT_LEAKY, 1, {0}}, 0},
        {{2, 1, 2, 2, 2, {6, 5}, {1, 1}, {1, 1}, {1, 1}, {1, 0, 2, 1}, NULL, 0, 1, {0}}, 0},
        {{2, 1, 2, 2, 2, {12, 11}, {3, 3}, {2, 1}, {1, 1}, {1, 1, 1, 1}, NULL, 0, 1, {0}}, 0},
        {{2, 1, 2, 2, 2, {2, 3}, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, NULL, 0, 1, {0}}, 1},
        {{2, 1, 2, 2, 2, {13, 14}, {3, 3}, {3, 3}, {1, 1}, {1, 1, 1, 1}, NULL, 0, 1, {0}}, 1},
        {{2, 1, 2, 2, 2, {4, 1500}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_RELU, 1, {0}}, 1},
        {{2, 1, 2, 2, 2, {6, 700}, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, NULL, 0, 1, {0}}, 0},
        {{1, 2, 4, 4, 4, {33}, {3}, {1}, {1}, {1, 1}, NULL, VD_NN_ACT_RELU, 1, {0}}, 1},
        {{1, 1, 4, 8, 4, {33}, {5}, {2}, {1}, {2, 1}, NULL, 0, 1, {0}}, 0},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            conv_case_add(&cfgs[i].c, 0, cfgs[i].residual);
}

/* Convs with <= 4 input channels, and wide stride-1 ones with <= 16 in
 * and <= 32 out, take the direct kernel (conv_direct.c):
 * 1 to 4 channels, output channel counts that leave a partial 6-channel
 * panel (1, 5, 7, 13) or none (24), rows narrower than, equal to and
 * just past a 16-column tile (8, 15, 16, 17, 33), stride 1 and 2 in
 * either dim, asymmetric pads, kernels from 2x2 to 7x7 and 1x3, a fused
 * residual Add with Relu (in registers) or SiLU (after), batch 2, inputs
 * tall enough for several bands of a worker's scratch, 3x3 with up to
 * 32 channels in and 64 out at stride 1 and 2, on 1 and 2 threads,
 * against the naive loops. */
Test(nn_kernels_heavy, conv_direct_few_channels)
{
    static const struct { conv_cfg c; int residual; } cfgs[] = {
        {{2, 2, 3, 24, 1, {32, 32}, {5, 5}, {2, 2}, {1, 1}, {1, 1, 2, 2}, NULL,
          VD_NN_ACT_RELU, 1, {0}}, 0},
        {{2, 1, 3, 16, 1, {33, 35}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_SILU, 1, {0}}, 0},
        {{2, 2, 1, 5, 1, {9, 17}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_RELU, 1, {0}}, 1},
        {{2, 1, 2, 7, 1, {12, 16}, {2, 2}, {1, 1}, {1, 1}, {0, 0, 1, 1}, NULL, 0, 0, {0}}, 1},
        {{2, 1, 4, 13, 1, {20, 37}, {7, 7}, {2, 2}, {1, 1}, {3, 3, 3, 3}, NULL,
          VD_NN_ACT_SILU, 1, {0}}, 1},
        {{2, 1, 3, 6, 1, {11, 30}, {1, 3}, {1, 2}, {1, 1}, {0, 1, 0, 0}, NULL, 0, 1, {0}}, 0},
        {{2, 2, 3, 1, 1, {14, 15}, {3, 3}, {2, 1}, {1, 1}, {0, 2, 1, 0}, NULL,
          VD_NN_ACT_LEAKY, 1, {0}}, 0},
        {{2, 1, 3, 8, 1, {16, 66}, {5, 5}, {1, 2}, {1, 1}, {0}, "SAME_UPPER",
          VD_NN_ACT_CLIP, 1, {0}}, 1},
        /* taller than one band of the 64 KiB scratch: 2 and 3 bands, batch 2 */
        {{2, 2, 3, 7, 1, {130, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_RELU, 1, {0}}, 1},
        {{2, 2, 4, 6, 1, {300, 70}, {5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}, NULL,
          VD_NN_ACT_SILU, 1, {0}}, 0},
        /* wide stride-1 layers, cin 5..16 and cout <= 32 over rows of >= 64:
         * YOLOv8n's C2f bottleneck shape, a partial 6-channel panel (13, 32),
         * rows ending in a partial tile (66, 100), one output row per band
         * (16 channels x 162 columns), 5x5 with asymmetric pads */
        {{2, 2, 16, 16, 1, {40, 160}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_SILU, 1, {0}}, 1},
        {{2, 1, 8, 13, 1, {21, 66}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_RELU, 1, {0}}, 1},
        {{2, 2, 12, 32, 1, {9, 100}, {5, 5}, {1, 1}, {1, 1}, {2, 1, 2, 3}, NULL, 0, 1, {0}}, 0},
        {{2, 1, 5, 8, 1, {17, 64}, {3, 3}, {1, 1}, {1, 1}, {0}, "SAME_UPPER",
          VD_NN_ACT_LEAKY, 1, {0}}, 0},
        {{2, 1, 16, 32, 1, {12, 80}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_SILU, 1, {0}}, 1},
        /* 3x3 with 17..32 channels in and up to 64 out, stride 2 and 1
         * (rows of 16 to 96): YOLOv8n's 16->32 s2, 32->64 s2 and 32->32 s1
         * at odd sizes, partial panels (37, 64 = 10x6 + 4), one-row bands */
        {{2, 2, 32, 64, 1, {21, 35}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_SILU, 1, {0}}, 1},
        {{2, 1, 17, 37, 1, {19, 33}, {3, 3}, {2, 2}, {1, 1}, {0, 1, 1, 0}, NULL,
          VD_NN_ACT_RELU, 1, {0}}, 0},
        {{2, 2, 32, 32, 1, {9, 81}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_RELU, 0, {0}}, 1},
        {{2, 1, 24, 20, 1, {40, 16}, {3, 3}, {1, 2}, {1, 1}, {1, 1, 1, 1}, NULL,
          VD_NN_ACT_HARDSWISH, 1, {0}}, 0},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            conv_case_add(&cfgs[i].c, 0, cfgs[i].residual);
}

/* 1x1 convs with 1 to 64 input channels and >= 8 output channels take
 * the direct kernel (conv_pw.c): 4-channel x 24-column register tiles
 * over chunks of up to 192 columns packed per worker. Input channel
 * counts 1, 5, 16, 33, 64 (the largest it takes) and 65 (sgemm, for the
 * boundary), output counts leaving a partial 4-channel block (9, 13, 30)
 * or none (8, 24), spatial sizes below one tile (3x7 = 21), one tile and
 * a bit (5x5 = 25), just below one chunk (10x19 = 190), a chunk plus a
 * tail (13x17 = 221) and several chunks (20x30, 64x64), batch 1 and 3;
 * bias or none, a fused residual with Relu (in registers), SiLU and
 * HardSwish (after the tile), on 1 and 2 threads, against the naive
 * loops (tolerance 1e-4 absolute + 1e-4 relative, as every conv here). */
Test(nn_kernels_heavy, conv_pointwise_direct)
{
    static const struct { conv_cfg c; int residual; } cfgs[] = {
        {{2, 1, 1, 8, 1, {3, 7}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_RELU, 1, {0}}, 0},
        {{2, 3, 5, 9, 1, {5, 5}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_RELU, 1, {0}}, 1},
        {{2, 1, 16, 64, 1, {64, 64}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_RELU, 1,
          {0}}, 0},
        {{2, 1, 16, 13, 1, {10, 19}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_SILU, 0,
          {0}}, 1},
        {{2, 2, 33, 30, 1, {13, 17}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_HARDSWISH,
          1, {0}}, 0},
        {{2, 1, 64, 24, 1, {20, 30}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, 0, 1, {0}}, 1},
        {{2, 1, 65, 8, 1, {13, 17}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_RELU, 1, {0}},
         1},
        {{1, 3, 24, 9, 1, {100, 1}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_SILU, 1, {0}},
         1},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            conv_case_add(&cfgs[i].c, 0, cfgs[i].residual);
    test_threads = 1;
}

/* A batch of 1x1 convs is one parallel_for over (image, group, column
 * block): 4 workers on 2 images cut each image's columns in two, with a
 * fused residual and Relu, and 3 groups on 2 workers. */
Test(nn_kernels_heavy, conv_pointwise_batch_items)
{
    static const struct { conv_cfg c; int residual, threads; } cfgs[] = {
        {{2, 2, 8, 12, 1, {24, 24}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_RELU, 1, {0}},
         1, 4},
        {{2, 3, 6, 9, 3, {20, 30}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, VD_NN_ACT_SILU, 1, {0}},
         0, 2},
        {{2, 1, 8, 12, 1, {33, 17}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, 0, 0, {0}}, 1, 3},
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++) {
        test_threads = cfgs[i].threads;
        conv_case_add(&cfgs[i].c, 0, cfgs[i].residual);
    }
    test_threads = 1;
}

Test(nn_kernels_heavy, conv_transpose_configurations)
{
    static const conv_cfg cfgs[] = {
        {2, 2, 3, 4, 1, {5, 6}, {3, 3}, {1, 1}, {1, 1}, {0}, NULL, 0, 1, {0}},
        {2, 1, 4, 6, 2, {5, 4}, {4, 4}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL,
         VD_NN_ACT_RELU, 1, {0}},
        {2, 1, 3, 2, 1, {4, 5}, {3, 3}, {3, 2}, {1, 1}, {1, 0, 0, 1}, NULL, 0, 0, {1, 1}},
        {2, 1, 2, 2, 1, {4, 5}, {3, 2}, {1, 1}, {2, 2}, {0}, NULL, VD_NN_ACT_SIGMOID, 1, {0}},
        {2, 1, 2, 3, 1, {4, 5}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_UPPER", 0, 1, {0}},
        {2, 1, 2, 3, 1, {4, 5}, {3, 3}, {2, 2}, {1, 1}, {0}, "SAME_LOWER", 0, 1, {0}},
        {2, 1, 4, 4, 4, {6, 6}, {2, 2}, {2, 2}, {1, 1}, {0}, NULL, 0, 1, {0}},
        {2, 1, 64, 8, 1, {24, 24}, {2, 2}, {2, 2}, {1, 1}, {0}, NULL, 0, 1, {0}},
        /* 128 x 16 column rows: several tiles of input positions */
        {2, 1, 2, 128, 1, {20, 20}, {4, 4}, {2, 2}, {1, 1}, {1, 1, 1, 1}, NULL, 0, 1, {0}},
        {1, 2, 3, 4, 1, {7}, {3}, {2}, {1}, {1, 0}, NULL, 0, 1, {1}},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            conv_case(&cfgs[i], 1);
}

Test(nn_kernels_heavy, conv_rejects_bad_input)
{
    int64_t xs[4] = {1, 3, 8, 8}, ws[4] = {4, 2, 3, 3};
    vd_tensor x, w, out[1];
    vd_tensor *in[2] = {tensor_rand(&x, 4, xs), tensor_rand(&w, 4, ws)};
    tnode t;
    tn_init(&t, "Conv");
    vd_error err = {0};
    cr_assert_neq(tn_run(&t, 17, in, 2, out, 1, &err), 0);
    cr_assert(strstr(err.msg, "does not fit"), "%s", err.msg);
    x.dtype = VD_DTYPE_F64;
    tn_init(&t, "Conv");
    cr_assert_eq(tn_run(&t, 17, in, 2, out, 1, &err), VD_EUNSUPPORTED);
    cr_assert(strstr(err.msg, "float64"), "%s", err.msg);
    x.dtype = VD_DTYPE_F32;
    tn_init(&t, "Conv");
    tn_str(&t, "auto_pad", "SAME");
    cr_assert_neq(tn_run(&t, 17, in, 2, out, 1, &err), 0);
    cr_assert(strstr(err.msg, "auto_pad"), "%s", err.msg);
    vd_tensor_free(&x);
    vd_tensor_free(&w);
}

/* ---- Gemm / MatMul ---- */

static void gemm_case(int64_t m, int64_t n, int64_t k, int ta, int tb, float alpha,
                      float beta, int cnd, const int64_t *cshape, vd_nn_act_kind act)
{
    int64_t as[2] = {ta ? k : m, ta ? m : k}, bs[2] = {tb ? n : k, tb ? k : n};
    vd_tensor a, b, c, out[1];
    vd_tensor *in[3] = {tensor_rand(&a, 2, as), tensor_rand(&b, 2, bs),
                        cnd >= 0 ? tensor_rand(&c, cnd, cshape) : NULL};
    const float *A = a.data, *B = b.data;
    float *ref = malloc(sizeof(float) * (size_t)(m * n));
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0;
            for (int64_t l = 0; l < k; l++)
                acc += (double)(ta ? A[l * m + i] : A[i * k + l]) *
                       (tb ? B[j * k + l] : B[l * n + j]);
            float cv = 0;
            if (cnd >= 0) {
                int64_t r = cnd == 2 && cshape[0] != 1 ? i : 0;
                int64_t q = cnd >= 1 && cshape[cnd - 1] != 1 ? j : 0;
                cv = ((float *)c.data)[cnd == 2 ? r * cshape[1] + q : q];
            }
            ref[i * n + j] = ref_act(act, 0, 6, alpha * (float)acc + beta * cv);
        }
    tnode t;
    tn_init(&t, "Gemm");
    tn_int(&t, "transA", ta);
    tn_int(&t, "transB", tb);
    tn_float(&t, "alpha", alpha);
    tn_float(&t, "beta", beta);
    t.n.act.kind = act;
    t.n.act.beta = 6;
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 13, in, 3, out, 1, &err), 0, "%s", err.msg);
    int64_t os[2] = {m, n};
    expect_close(&out[0], ref, 2, os, "Gemm");
    free(ref);
    vd_tensor_free(&out[0]);
    vd_tensor_free(&a);
    vd_tensor_free(&b);
    if (cnd >= 0)
        vd_tensor_free(&c);
}

Test(nn_kernels_heavy, gemm_configurations)
{
    int64_t cm[2] = {7, 5}, cr[2] = {1, 5}, cc[2] = {7, 1}, cv[1] = {5}, c1[1] = {1};
    gemm_case(7, 5, 9, 0, 0, 1, 1, 2, cm, 0);
    gemm_case(7, 5, 9, 1, 0, 0.5f, 2, 2, cr, VD_NN_ACT_RELU);
    gemm_case(7, 5, 9, 0, 1, 1, 0.25f, 2, cc, 0);
    gemm_case(7, 5, 9, 1, 1, 2, 1, 1, cv, VD_NN_ACT_CLIP);
    gemm_case(7, 5, 9, 0, 0, 1, 1, 1, c1, 0);
    gemm_case(7, 5, 9, 0, 0, 1, 1, 0, c1, 0);
    gemm_case(7, 5, 9, 0, 1, 1, 1, -1, NULL, 0);
    gemm_case(3, 200, 64, 0, 1, 1, 1, 1, (int64_t[]){200}, VD_NN_ACT_RELU);
    /* one row: the sgemv path, every transpose combination */
    for (int ta = 0; ta <= 1; ta++)
        for (int tb = 0; tb <= 1; tb++)
            gemm_case(1, 50, 30, ta, tb, 1.5f, 1, 1, (int64_t[]){50}, 0);
    /* large enough for the two-worker column and row splits */
    test_threads = 2;
    gemm_case(64, 300, 40, 0, 0, 1, 1, 1, (int64_t[]){300}, VD_NN_ACT_SILU);
    gemm_case(300, 20, 40, 1, 1, 1, 1, 2, (int64_t[]){300, 1}, 0);
    test_threads = 1;
}

static void matmul_case(int na, const int64_t *as, int nb, const int64_t *bs, int no,
                        const int64_t *os)
{
    vd_tensor a, b, out[1];
    vd_tensor *in[2] = {tensor_rand(&a, na, as), tensor_rand(&b, nb, bs)};
    /* Reference: promote to rank 4 with broadcasting by hand. */
    int64_t A4[4] = {1, 1, 1, 1}, B4[4] = {1, 1, 1, 1};
    int64_t m = na == 1 ? 1 : as[na - 2], k = as[na - 1], n = nb == 1 ? 1 : bs[nb - 1];
    for (int i = 0; i < na - 2; i++)
        A4[4 - (na - 2) + i - 2] = as[i];
    for (int i = 0; i < nb - 2; i++)
        B4[4 - (nb - 2) + i - 2] = bs[i];
    int64_t b0 = A4[0] > B4[0] ? A4[0] : B4[0], b1 = A4[1] > B4[1] ? A4[1] : B4[1];
    float *ref = malloc(sizeof(float) * (size_t)(b0 * b1 * m * n));
    const float *Ad = a.data, *Bd = b.data;
    for (int64_t i0 = 0; i0 < b0; i0++)
        for (int64_t i1 = 0; i1 < b1; i1++) {
            int64_t ao = ((A4[0] > 1 ? i0 : 0) * A4[1] + (A4[1] > 1 ? i1 : 0)) * m * k;
            int64_t bo = ((B4[0] > 1 ? i0 : 0) * B4[1] + (B4[1] > 1 ? i1 : 0)) * k * n;
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < n; j++) {
                    double acc = 0;
                    for (int64_t l = 0; l < k; l++)
                        acc += (double)Ad[ao + i * k + l] * Bd[bo + l * n + j];
                    ref[((i0 * b1 + i1) * m + i) * n + j] = (float)acc;
                }
        }
    tnode t;
    tn_init(&t, "MatMul");
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 13, in, 2, out, 1, &err), 0, "%s", err.msg);
    expect_close(&out[0], ref, no, os, "MatMul");
    free(ref);
    vd_tensor_free(&out[0]);
    vd_tensor_free(&a);
    vd_tensor_free(&b);
}

Test(nn_kernels_heavy, matmul_broadcasting)
{
    matmul_case(2, (int64_t[]){3, 4}, 2, (int64_t[]){4, 5}, 2, (int64_t[]){3, 5});
    matmul_case(3, (int64_t[]){2, 3, 4}, 2, (int64_t[]){4, 5}, 3, (int64_t[]){2, 3, 5});
    matmul_case(2, (int64_t[]){3, 4}, 3, (int64_t[]){2, 4, 5}, 3, (int64_t[]){2, 3, 5});
    matmul_case(4, (int64_t[]){2, 1, 3, 4}, 3, (int64_t[]){3, 4, 5}, 4,
                (int64_t[]){2, 3, 3, 5});
    matmul_case(1, (int64_t[]){4}, 3, (int64_t[]){2, 4, 5}, 2, (int64_t[]){2, 5});
    matmul_case(3, (int64_t[]){2, 3, 4}, 1, (int64_t[]){4}, 2, (int64_t[]){2, 3});
    matmul_case(1, (int64_t[]){4}, 1, (int64_t[]){4}, 0, (int64_t[]){1});
    int64_t as[2] = {3, 4}, bs[2] = {5, 6};
    vd_tensor a, b, out[1];
    vd_tensor *in[2] = {tensor_rand(&a, 2, as), tensor_rand(&b, 2, bs)};
    tnode t;
    tn_init(&t, "MatMul");
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 13, in, 2, out, 1, &err), VD_EINVAL);
    cr_assert(strstr(err.msg, "inner dimensions"), "%s", err.msg);
    vd_tensor_free(&a);
    vd_tensor_free(&b);
}

/* ---- pooling ---- */

typedef struct pool_cfg {
    int max;
    int64_t c, h, w, k[2], s[2], d[2], pads[4];
    int ceil, include_pad;
    const char *auto_pad;
    int indices;
} pool_cfg;

static int64_t ref_pool_dim(const pool_cfg *c, int i, int64_t in, int64_t *pb)
{
    int64_t s = c->s[i], dk = (c->k[i] - 1) * c->d[i] + 1, pe;
    *pb = c->pads[i];
    pe = c->pads[i + 2];
    if (c->auto_pad) {
        int64_t out = (in + s - 1) / s, total = (out - 1) * s + dk - in;
        total = total < 0 ? 0 : total;
        *pb = !strcmp(c->auto_pad, "SAME_UPPER") ? total / 2 : total - total / 2;
        return out;
    }
    int64_t span = in + *pb + pe - dk;
    if (!c->ceil)
        return span / s + 1;
    int64_t out = (span + s - 1) / s + 1;
    return (out - 1) * s >= in + *pb ? out - 1 : out;
}

static void pool_case(const pool_cfg *c)
{
    int64_t xs[4] = {2, c->c, c->h, c->w}, pb[2], os[2];
    vd_tensor x, out[2];
    vd_tensor *in[1] = {tensor_rand(&x, 4, xs)};
    os[0] = ref_pool_dim(c, 0, c->h, &pb[0]);
    os[1] = ref_pool_dim(c, 1, c->w, &pb[1]);
    int64_t pe[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        int64_t dk = (c->k[i] - 1) * c->d[i] + 1, in = i ? c->w : c->h;
        pe[i] = c->auto_pad ? (os[i] - 1) * c->s[i] + dk - in - pb[i] : c->pads[i + 2];
        pe[i] = pe[i] < 0 ? 0 : pe[i];
    }
    int64_t n_out = 2 * c->c * os[0] * os[1];
    float *ref = malloc(sizeof(float) * (size_t)n_out);
    int64_t *ref_idx = malloc(sizeof(int64_t) * (size_t)n_out);
    const float *X = x.data;
    for (int64_t p = 0; p < 2 * c->c; p++)
        for (int64_t oh = 0; oh < os[0]; oh++)
            for (int64_t ow = 0; ow < os[1]; ow++) {
                float best = -INFINITY, sum = 0;
                int64_t cnt = 0, pad_cnt = 0, at = -1;
                for (int64_t kh = 0; kh < c->k[0]; kh++)
                    for (int64_t kw = 0; kw < c->k[1]; kw++) {
                        int64_t ih = oh * c->s[0] - pb[0] + kh * c->d[0];
                        int64_t iw = ow * c->s[1] - pb[1] + kw * c->d[1];
                        if (ih >= -pb[0] && ih < c->h + pe[0] && iw >= -pb[1] &&
                            iw < c->w + pe[1])
                            pad_cnt++;
                        if (ih < 0 || ih >= c->h || iw < 0 || iw >= c->w)
                            continue;
                        float v = X[(p * c->h + ih) * c->w + iw];
                        if (v > best) {
                            best = v;
                            at = p * c->h * c->w + ih * c->w + iw;
                        }
                        sum += v;
                        cnt++;
                    }
                int64_t o = (p * os[0] + oh) * os[1] + ow;
                ref[o] = c->max ? best : sum / (float)(c->include_pad ? pad_cnt : cnt);
                ref_idx[o] = at;
            }
    tnode t;
    tn_init(&t, c->max ? "MaxPool" : "AveragePool");
    int64_t k[2], s[2], d[2], p[4];
    memcpy(k, c->k, sizeof k);
    memcpy(s, c->s, sizeof s);
    memcpy(d, c->d, sizeof d);
    memcpy(p, c->pads, sizeof p);
    tn_ints(&t, "kernel_shape", 2, k);
    tn_ints(&t, "strides", 2, s);
    tn_ints(&t, "dilations", 2, d);
    if (c->auto_pad)
        tn_str(&t, "auto_pad", c->auto_pad);
    else
        tn_ints(&t, "pads", 4, p);
    tn_int(&t, "ceil_mode", c->ceil);
    if (!c->max)
        tn_int(&t, "count_include_pad", c->include_pad);
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 12, in, 1, out, c->indices ? 2 : 1, &err), 0, "%s", err.msg);
    int64_t shape[4] = {2, c->c, os[0], os[1]};
    char what[96];
    snprintf(what, sizeof what, "%s k%lld s%lld d%lld ceil %d pad %d", t.n.op_type,
             (long long)c->k[0], (long long)c->s[0], (long long)c->d[0], c->ceil,
             c->include_pad);
    expect_close(&out[0], ref, 4, shape, what);
    if (c->indices) {
        cr_assert_eq(out[1].dtype, VD_DTYPE_I64);
        for (int64_t i = 0; i < n_out; i++)
            cr_assert_eq(((int64_t *)out[1].data)[i], ref_idx[i], "%s: index %lld", what,
                         (long long)i);
        vd_tensor_free(&out[1]);
    }
    free(ref);
    free(ref_idx);
    vd_tensor_free(&out[0]);
    vd_tensor_free(&x);
}

Test(nn_kernels_heavy, pool_configurations)
{
    static const pool_cfg cfgs[] = {
        {1, 3, 8, 8, {2, 2}, {2, 2}, {1, 1}, {0}, 0, 0, NULL, 1},
        {1, 2, 9, 11, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 1, 0, NULL, 1},
        {1, 2, 12, 10, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, 0, 0, NULL, 0},
        {1, 2, 10, 10, {3, 2}, {1, 2}, {2, 2}, {1, 0, 2, 1}, 0, 0, NULL, 1},
        {1, 2, 7, 9, {3, 3}, {2, 2}, {1, 1}, {0}, 0, 0, "SAME_UPPER", 0},
        {0, 3, 8, 8, {2, 2}, {2, 2}, {1, 1}, {0}, 0, 0, NULL, 0},
        {0, 2, 9, 11, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 1, 0, NULL, 0},
        {0, 2, 9, 11, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 1, 1, NULL, 0},
        {0, 2, 10, 7, {3, 2}, {2, 1}, {1, 1}, {1, 0, 2, 1}, 0, 1, NULL, 0},
        {0, 2, 7, 9, {3, 3}, {2, 2}, {1, 1}, {0}, 0, 0, "SAME_LOWER", 0},
        /* rows wider than the row-reduction scratch */
        {1, 1, 3, 5000, {2, 3}, {1, 2}, {1, 1}, {0, 1, 0, 1}, 0, 0, NULL, 0},
        {0, 1, 3, 5000, {2, 3}, {1, 2}, {1, 1}, {0, 1, 0, 1}, 0, 1, NULL, 0},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            pool_case(&cfgs[i]);
    test_threads = 1;
}

/* The 2-D MaxPool fast path (pool.c: 2x2 s2, 3x3 s1/s2, 5x5 s1 without
 * Indices): odd sizes with and without ceil_mode (windows past the input
 * end), symmetric and asymmetric pads, BlazeFace's 64x64 2x2 s2, SPPF's
 * 5x5 s1 pad 2, a wide plane split into several bands, and 2x2 s2 with
 * Indices (which keeps the per-window path), on 1 and 2 threads. */
Test(nn_kernels_heavy, pool_max_fast_path)
{
    static const pool_cfg cfgs[] = {
        {1, 3, 9, 11, {2, 2}, {2, 2}, {1, 1}, {0}, 0, 0, NULL, 0},
        {1, 3, 9, 11, {2, 2}, {2, 2}, {1, 1}, {0}, 1, 0, NULL, 0},
        {1, 4, 64, 64, {2, 2}, {2, 2}, {1, 1}, {0}, 0, 0, NULL, 0},
        {1, 2, 13, 15, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 1, 0, NULL, 0},
        {1, 2, 13, 15, {3, 3}, {2, 2}, {1, 1}, {0, 1, 2, 0}, 0, 0, NULL, 0},
        {1, 2, 9, 7, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 0, 0, NULL, 0},
        {1, 2, 20, 20, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, 0, 0, NULL, 0},
        {1, 1, 40, 300, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, 0, 0, NULL, 0},
        {1, 1, 41, 301, {3, 3}, {2, 2}, {1, 1}, {1, 0, 0, 1}, 1, 0, NULL, 0},
        {1, 3, 9, 11, {2, 2}, {2, 2}, {1, 1}, {0}, 1, 0, NULL, 1},
    };
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; i++)
            pool_case(&cfgs[i]);
    test_threads = 1;
}

Test(nn_kernels_heavy, global_pools)
{
    int64_t xs[4] = {2, 3, 5, 7};
    vd_tensor x, out[1];
    vd_tensor *in[1] = {tensor_rand(&x, 4, xs)};
    for (int max = 0; max <= 1; max++) {
        float ref[6];
        for (int p = 0; p < 6; p++) {
            float acc = max ? -INFINITY : 0;
            for (int i = 0; i < 35; i++) {
                float v = ((float *)x.data)[p * 35 + i];
                acc = max ? fmaxf(acc, v) : acc + v;
            }
            ref[p] = max ? acc : acc / 35;
        }
        tnode t;
        tn_init(&t, max ? "GlobalMaxPool" : "GlobalAveragePool");
        vd_error err = {0};
        cr_assert_eq(tn_run(&t, 13, in, 1, out, 1, &err), 0, "%s", err.msg);
        int64_t os[4] = {2, 3, 1, 1};
        expect_close(&out[0], ref, 4, os, t.n.op_type);
        vd_tensor_free(&out[0]);
    }
    vd_tensor_free(&x);
}

/* ---- softmax family: both axis semantics ---- */

Test(nn_kernels_heavy, softmax_axis_semantics)
{
    static const char *const ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
    int64_t xs[3] = {2, 3, 4};
    vd_tensor x, out[1];
    vd_tensor *in[1] = {tensor_rand(&x, 3, xs)};
    const float *X = x.data;
    /* (opset, axis) -> the [outer, d, inner] split the spec defines */
    static const struct { int opset, axis; int64_t outer, d, inner; } cases[] = {
        {11, 1, 2, 12, 1}, {11, 0, 1, 24, 1}, {11, -1, 6, 4, 1},
        {13, 1, 2, 3, 4},  {13, 0, 1, 2, 12}, {13, -1, 6, 4, 1},
    };
    for (int op = 0; op < 3; op++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            float ref[24];
            int64_t d = cases[c].d, inner = cases[c].inner;
            for (int64_t o = 0; o < cases[c].outer; o++)
                for (int64_t i = 0; i < inner; i++) {
                    const float *r = X + o * d * inner + i;
                    float *y = ref + o * d * inner + i;
                    double mx = -INFINITY, sum = 0;
                    int64_t arg = 0;
                    for (int64_t k = 0; k < d; k++)
                        if (r[k * inner] > mx) {
                            mx = r[k * inner];
                            arg = k;
                        }
                    for (int64_t k = 0; k < d; k++)
                        sum += exp(r[k * inner] - mx);
                    for (int64_t k = 0; k < d; k++)
                        y[k * inner] = op == 0 ? (float)(exp(r[k * inner] - mx) / sum)
                                     : op == 1 ? (float)(r[k * inner] - mx - log(sum))
                                               : (float)(k == arg);
                }
            tnode t;
            tn_init(&t, ops[op]);
            tn_int(&t, "axis", cases[c].axis);
            vd_error err = {0};
            cr_assert_eq(tn_run(&t, cases[c].opset, in, 1, out, 1, &err), 0, "%s", err.msg);
            char what[64];
            snprintf(what, sizeof what, "%s opset %d axis %d", ops[op], cases[c].opset,
                     cases[c].axis);
            expect_close(&out[0], ref, 3, xs, what);
            vd_tensor_free(&out[0]);
        }
    vd_tensor_free(&x);
}

/* Softmax along a strided axis runs SM_COLS (64) positions at a time:
 * [2, 16, 150] on axis 1 (YOLOv8's DFL shape) is two full blocks and a
 * partial one per image, against a double reference; a NaN makes its
 * whole column NaN (vmath's exp alone would clamp it to a finite value). */
Test(nn_kernels_heavy, softmax_strided_blocks_and_nan)
{
    int64_t xs[3] = {2, 16, 150};
    vd_tensor x, out[1];
    vd_tensor *in[1] = {tensor_rand(&x, 3, xs)};
    float *X = x.data;
    for (int64_t i = 0; i < 2 * 16 * 150; i++)
        X[i] *= 8.0f; /* a wide range, so exp's accuracy matters */
    X[1 * 16 * 150 + 5 * 150 + 77] = NAN;
    static float ref[2 * 16 * 150];
    for (int64_t o = 0; o < 2; o++)
        for (int64_t i = 0; i < 150; i++) {
            const float *r = X + o * 16 * 150 + i;
            double mx = -INFINITY, sum = 0;
            for (int64_t k = 0; k < 16; k++)
                mx = r[k * 150] > mx ? r[k * 150] : mx;
            for (int64_t k = 0; k < 16; k++)
                sum += exp(r[k * 150] - mx);
            for (int64_t k = 0; k < 16; k++)
                ref[o * 16 * 150 + k * 150 + i] = (float)(exp(r[k * 150] - mx) / sum);
        }
    for (int64_t k = 0; k < 16; k++)
        ref[1 * 16 * 150 + k * 150 + 77] = NAN;
    for (test_threads = 1; test_threads <= 2; test_threads++) {
        tnode t;
        tn_init(&t, "Softmax");
        tn_int(&t, "axis", 1);
        vd_error err = {0};
        cr_assert_eq(tn_run(&t, 13, in, 1, out, 1, &err), 0, "%s", err.msg);
        float *Y = out[0].data;
        for (int64_t k = 0; k < 16; k++) { /* the NaN column, then the rest */
            cr_assert(isnan(Y[1 * 16 * 150 + k * 150 + 77]), "bin %lld of the NaN column",
                      (long long)k);
            ref[1 * 16 * 150 + k * 150 + 77] = Y[1 * 16 * 150 + k * 150 + 77] = 0;
        }
        expect_close(&out[0], ref, 3, xs, "Softmax [2,16,150] axis 1");
        for (int64_t k = 0; k < 16; k++)
            ref[1 * 16 * 150 + k * 150 + 77] = NAN;
        vd_tensor_free(&out[0]);
    }
    test_threads = 1;
    vd_tensor_free(&x);
}

/* ---- normalisations ---- */

Test(nn_kernels_heavy, batch_and_instance_norm)
{
    int64_t xs[4] = {2, 3, 4, 5}, cs[1] = {3};
    vd_tensor x, sc, b, mean, var, out[1];
    tensor_rand(&x, 4, xs);
    tensor_rand(&sc, 1, cs);
    tensor_rand(&b, 1, cs);
    tensor_rand(&mean, 1, cs);
    tensor_rand(&var, 1, cs);
    for (int i = 0; i < 3; i++)
        ((float *)var.data)[i] = fabsf(((float *)var.data)[i]) + 0.1f;
    const float *X = x.data, *S = sc.data, *B = b.data, *M = mean.data, *V = var.data;
    float ref[120];
    for (int inst = 0; inst <= 1; inst++) {
        for (int p = 0; p < 6; p++) {
            int c = p % 3;
            double m = M[c], v = V[c];
            if (inst) {
                m = v = 0;
                for (int i = 0; i < 20; i++)
                    m += X[p * 20 + i] / 20.0;
                for (int i = 0; i < 20; i++)
                    v += (X[p * 20 + i] - m) * (X[p * 20 + i] - m) / 20.0;
            }
            for (int i = 0; i < 20; i++)
                ref[p * 20 + i] = (float)(S[c] * (X[p * 20 + i] - m) / sqrt(v + 1e-3) + B[c]);
        }
        tnode t;
        tn_init(&t, inst ? "InstanceNormalization" : "BatchNormalization");
        tn_float(&t, "epsilon", 1e-3f);
        vd_tensor *in[5] = {&x, &sc, &b, &mean, &var};
        vd_error err = {0};
        cr_assert_eq(tn_run(&t, 15, in, inst ? 3 : 5, out, 1, &err), 0, "%s", err.msg);
        expect_close(&out[0], ref, 4, xs, t.n.op_type);
        vd_tensor_free(&out[0]);
    }
    tnode t;
    tn_init(&t, "BatchNormalization");
    tn_int(&t, "training_mode", 1);
    vd_tensor *in[5] = {&x, &sc, &b, &mean, &var};
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 15, in, 5, out, 1, &err), VD_EUNSUPPORTED);
    cr_assert(strstr(err.msg, "training_mode"), "%s", err.msg);
    vd_tensor *all[5] = {&x, &sc, &b, &mean, &var};
    for (int i = 0; i < 5; i++)
        vd_tensor_free(all[i]);
}

Test(nn_kernels_heavy, layer_norm)
{
    int64_t xs[3] = {2, 3, 8};
    vd_tensor x, sc, b, out[3];
    tensor_rand(&x, 3, xs);
    for (int axis = 1; axis <= 2; axis++) {
        int64_t len = axis == 1 ? 24 : 8, rows = 48 / len;
        tensor_rand(&sc, 3 - axis, xs + axis);
        tensor_rand(&b, 3 - axis, xs + axis);
        const float *X = x.data, *S = sc.data, *B = b.data;
        float ref[48], rmean[6], ristd[6];
        for (int64_t r = 0; r < rows; r++) {
            double m = 0, v = 0;
            for (int64_t i = 0; i < len; i++)
                m += X[r * len + i] / (double)len;
            for (int64_t i = 0; i < len; i++)
                v += (X[r * len + i] - m) * (X[r * len + i] - m) / (double)len;
            rmean[r] = (float)m;
            ristd[r] = (float)(1 / sqrt(v + 1e-5));
            for (int64_t i = 0; i < len; i++)
                ref[r * len + i] = (float)((X[r * len + i] - m) / sqrt(v + 1e-5) * S[i] + B[i]);
        }
        tnode t;
        tn_init(&t, "LayerNormalization");
        tn_int(&t, "axis", axis - 3);
        vd_tensor *in[3] = {&x, &sc, &b};
        vd_error err = {0};
        cr_assert_eq(tn_run(&t, 17, in, 3, out, 3, &err), 0, "%s", err.msg);
        expect_close(&out[0], ref, 3, xs, "LayerNormalization Y");
        int64_t ss[3] = {2, axis == 1 ? 1 : 3, 1};
        expect_close(&out[1], rmean, 3, ss, "LayerNormalization Mean");
        expect_close(&out[2], ristd, 3, ss, "LayerNormalization InvStdDev");
        for (int i = 0; i < 3; i++)
            vd_tensor_free(&out[i]);
        vd_tensor_free(&sc);
        vd_tensor_free(&b);
    }
    vd_tensor_free(&x);
}

/* ---- Resize: a direct (non-separable) reference per output element ---- */

static float ref_coord(const char *ct, float o, float scale, int64_t in, int64_t out)
{
    if (scale == 1 && in == out) /* onnxruntime leaves such dims alone */
        return o;
    if (!strcmp(ct, "half_pixel"))
        return (o + 0.5f) / scale - 0.5f;
    if (!strcmp(ct, "pytorch_half_pixel"))
        return out > 1 ? (o + 0.5f) / scale - 0.5f : 0;
    if (!strcmp(ct, "align_corners"))
        return out > 1 ? o * (float)(in - 1) / (float)(out - 1) : 0;
    if (!strcmp(ct, "tf_half_pixel_for_nn"))
        return (o + 0.5f) / scale;
    return o / scale; /* asymmetric */
}

static int64_t ref_nearest(const char *nm, float x, int64_t in)
{
    int64_t i;
    if (!strcmp(nm, "floor"))
        i = (int64_t)floorf(x);
    else if (!strcmp(nm, "ceil"))
        i = (int64_t)ceilf(x);
    else if (!strcmp(nm, "round_prefer_ceil"))
        i = (int64_t)floorf(x + 0.5f);
    else /* round_prefer_floor */
        i = (int64_t)ceilf(x - 0.5f);
    return i < 0 ? 0 : (i >= in ? in - 1 : i);
}

static void resize_case(const char *mode, const char *ct, const char *nm, float sh, float sw,
                        const int64_t *sizes)
{
    int64_t xs[4] = {1, 2, 5, 6};
    vd_tensor x, sc, sz, out[1];
    tensor_rand(&x, 4, xs);
    int64_t oh = sizes ? sizes[2] : (int64_t)floorf(5 * sh);
    int64_t ow = sizes ? sizes[3] : (int64_t)floorf(6 * sw);
    if (sizes) {
        sh = (float)oh / 5;
        sw = (float)ow / 6;
    }
    float *ref = malloc(sizeof(float) * (size_t)(2 * oh * ow));
    const float *X = x.data;
    for (int64_t c = 0; c < 2; c++)
        for (int64_t y = 0; y < oh; y++)
            for (int64_t xo = 0; xo < ow; xo++) {
                float fy = ref_coord(ct, (float)y, sh, 5, oh);
                float fx = ref_coord(ct, (float)xo, sw, 6, ow);
                const float *P = X + c * 30;
                float v;
                if (!strcmp(mode, "nearest")) {
                    v = P[ref_nearest(nm, fy, 5) * 6 + ref_nearest(nm, fx, 6)];
                } else if (!strcmp(mode, "cubic")) {
                    /* Keys kernel, A = -0.75, over the 4x4 taps around (fy, fx) */
                    v = 0;
                    for (int ky = -1; ky <= 2; ky++)
                        for (int kx = -1; kx <= 2; kx++) {
                            float ty = floorf(fy) + (float)ky, tx = floorf(fx) + (float)kx;
                            float wgt = 1;
                            float dd[2] = {fabsf(fy - ty), fabsf(fx - tx)};
                            for (int a = 0; a < 2; a++) {
                                float t = dd[a], A = -0.75f;
                                wgt *= t <= 1 ? ((A + 2) * t - (A + 3)) * t * t + 1
                                              : ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
                            }
                            int64_t iy = (int64_t)fminf(fmaxf(ty, 0), 4);
                            int64_t ix = (int64_t)fminf(fmaxf(tx, 0), 5);
                            v += wgt * P[iy * 6 + ix];
                        }
                } else {
                    fy = fminf(fmaxf(fy, 0), 4);
                    fx = fminf(fmaxf(fx, 0), 5);
                    int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
                    int64_t y1 = y0 + 1 < 5 ? y0 + 1 : 4, x1 = x0 + 1 < 6 ? x0 + 1 : 5;
                    float wy = fy - (float)y0, wx = fx - (float)x0;
                    v = (1 - wy) * ((1 - wx) * P[y0 * 6 + x0] + wx * P[y0 * 6 + x1]) +
                        wy * ((1 - wx) * P[y1 * 6 + x0] + wx * P[y1 * 6 + x1]);
                }
                ref[(c * oh + y) * ow + xo] = v;
            }
    int64_t n4[1] = {4};
    cr_assert_eq(vd_tensor_alloc(&sc, VD_DTYPE_F32, 1, n4, NULL), 0);
    cr_assert_eq(vd_tensor_alloc(&sz, VD_DTYPE_I64, 1, n4, NULL), 0);
    float scales[4] = {1, 1, sh, sw};
    memcpy(sc.data, scales, sizeof scales);
    if (sizes)
        memcpy(sz.data, sizes, 4 * sizeof(int64_t));
    tnode t;
    tn_init(&t, "Resize");
    tn_str(&t, "mode", mode);
    tn_str(&t, "coordinate_transformation_mode", ct);
    if (nm)
        tn_str(&t, "nearest_mode", nm);
    vd_tensor *in[4] = {&x, NULL, sizes ? NULL : &sc, sizes ? &sz : NULL};
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 13, in, 4, out, 1, &err), 0, "%s", err.msg);
    int64_t os[4] = {1, 2, oh, ow};
    char what[128];
    snprintf(what, sizeof what, "Resize %s %s %s %gx%g", mode, ct, nm ? nm : "", sh, sw);
    expect_close(&out[0], ref, 4, os, what);
    free(ref);
    vd_tensor_free(&out[0]);
    vd_tensor_free(&x);
    vd_tensor_free(&sc);
    vd_tensor_free(&sz);
}

Test(nn_kernels_heavy, resize_modes)
{
    static const char *const cts[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                      "asymmetric", "tf_half_pixel_for_nn"};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                      "ceil"};
    static const float sc[][2] = {{2, 2}, {1.5f, 2.5f}, {0.6f, 0.5f}, {1, 3}};
    int64_t sizes[4] = {1, 2, 7, 4};
    for (test_threads = 1; test_threads <= 2; test_threads++)
        for (int s = 0; s < 4; s++)
            for (int c = 0; c < 5; c++) {
                for (int n = 0; n < 4; n++)
                    resize_case("nearest", cts[c], nms[n], sc[s][0], sc[s][1], NULL);
                if (c != 4) {
                    resize_case("linear", cts[c], NULL, sc[s][0], sc[s][1], NULL);
                    resize_case("cubic", cts[c], NULL, sc[s][0], sc[s][1], NULL);
                }
            }
    test_threads = 1;
    resize_case("linear", "half_pixel", NULL, 0, 0, sizes);
    resize_case("nearest", "asymmetric", "floor", 0, 0, sizes);

    int64_t xs[4] = {1, 1, 4, 4};
    vd_tensor x, out[1];
    vd_tensor *in[1] = {tensor_rand(&x, 4, xs)};
    tnode t;
    tn_init(&t, "Resize");
    tn_str(&t, "mode", "area");
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 13, in, 1, out, 1, &err), VD_EUNSUPPORTED);
    cr_assert(strstr(err.msg, "area"), "%s", err.msg);
    vd_tensor_free(&x);
}

/* ---- NonMaxSuppression ---- */

static vd_tensor *scalar_tensor(vd_tensor *t, vd_dtype dt, double v)
{
    cr_assert_eq(vd_tensor_alloc(t, dt, 0, NULL, NULL), 0);
    if (dt == VD_DTYPE_I64)
        *(int64_t *)t->data = (int64_t)v;
    else
        *(float *)t->data = (float)v;
    return t;
}

static void nms_expect(int center, float iou, float score, int64_t max_out,
                       const int64_t *want, int64_t n_want)
{
    /* class 0: boxes 0 and 1 overlap (IoU 0.81), box 2 is apart; class 1
     * ranks box 2 first. Corners are given flipped for box 1. */
    static const float corners[3][4] = {{0, 0, 1, 1}, {1, 1, 0.1f, 0.1f}, {2, 2, 3, 3}};
    static const float scores[2][3] = {{0.9f, 0.8f, 0.7f}, {0.1f, 0.2f, 0.95f}};
    int64_t bs[3] = {1, 3, 4}, ss[3] = {1, 2, 3};
    vd_tensor b, s, mo, it, st, out[1];
    cr_assert_eq(vd_tensor_alloc(&b, VD_DTYPE_F32, 3, bs, NULL), 0);
    cr_assert_eq(vd_tensor_alloc(&s, VD_DTYPE_F32, 3, ss, NULL), 0);
    float *B = b.data;
    for (int i = 0; i < 3; i++) {
        const float *c = corners[i];
        if (center) { /* (xc, yc, w, h) of the same box */
            float y1 = fminf(c[0], c[2]), y2 = fmaxf(c[0], c[2]);
            float x1 = fminf(c[1], c[3]), x2 = fmaxf(c[1], c[3]);
            float v[4] = {(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1};
            memcpy(B + i * 4, v, sizeof v);
        } else {
            memcpy(B + i * 4, c, sizeof corners[i]);
        }
    }
    memcpy(s.data, scores, sizeof scores);
    vd_tensor *in[5] = {&b, &s, scalar_tensor(&mo, VD_DTYPE_I64, (double)max_out),
                        scalar_tensor(&it, VD_DTYPE_F32, iou),
                        score >= 0 ? scalar_tensor(&st, VD_DTYPE_F32, score) : NULL};
    tnode t;
    tn_init(&t, "NonMaxSuppression");
    tn_int(&t, "center_point_box", center);
    vd_error err = {0};
    cr_assert_eq(tn_run(&t, 11, in, 5, out, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(out[0].dtype, VD_DTYPE_I64);
    cr_assert_eq(out[0].ndim, 2);
    cr_assert_eq(out[0].shape[0], n_want, "NMS kept %lld triples, expected %lld",
                 (long long)out[0].shape[0], (long long)n_want);
    for (int64_t i = 0; i < n_want * 3; i++)
        cr_assert_eq(((int64_t *)out[0].data)[i], want[i], "NMS triple element %lld",
                     (long long)i);
    vd_tensor_free(&out[0]);
    vd_tensor *all[5] = {&b, &s, &mo, &it, &st};
    for (int i = 0; i < (score >= 0 ? 5 : 4); i++)
        vd_tensor_free(all[i]);
}

Test(nn_kernels_heavy, non_max_suppression)
{
    static const int64_t all[] = {0, 0, 0, 0, 0, 2, 0, 1, 2, 0, 1, 1};
    static const int64_t no_iou[] = {0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 2, 0, 1, 1, 0, 1, 0};
    static const int64_t top1[] = {0, 0, 0, 0, 1, 2};
    static const int64_t thr[] = {0, 0, 0, 0, 1, 2};
    for (int center = 0; center <= 1; center++) {
        nms_expect(center, 0.5f, -1, 10, all, 4);
        nms_expect(center, 0.9f, -1, 10, no_iou, 6);
        nms_expect(center, 0.5f, -1, 1, top1, 2);
        nms_expect(center, 0.5f, 0.85f, 10, thr, 2);
        nms_expect(center, 0.5f, -1, 0, NULL, 0);
    }
}

/* ---- DepthToSpace / SpaceToDepth ---- */

Test(nn_kernels_heavy, depth_space_round_trip)
{
    int64_t xs[4] = {2, 8, 3, 5};
    vd_tensor x, mid[1], back[1];
    tensor_rand(&x, 4, xs);
    const float *X = x.data;
    for (int crd = 0; crd <= 1; crd++) {
        tnode t;
        tn_init(&t, "DepthToSpace");
        tn_int(&t, "blocksize", 2);
        tn_str(&t, "mode", crd ? "CRD" : "DCR");
        vd_tensor *in[1] = {&x};
        vd_error err = {0};
        cr_assert_eq(tn_run(&t, 13, in, 1, mid, 1, &err), 0, "%s", err.msg);
        int64_t ms[4] = {2, 2, 6, 10};
        float *ref = malloc(sizeof(float) * 240);
        for (int64_t n = 0; n < 2; n++)
            for (int64_t c = 0; c < 2; c++)
                for (int64_t h = 0; h < 6; h++)
                    for (int64_t w = 0; w < 10; w++) {
                        int64_t i = h % 2, j = w % 2;
                        int64_t ch = crd ? c * 4 + i * 2 + j : (i * 2 + j) * 2 + c;
                        ref[((n * 2 + c) * 6 + h) * 10 + w] =
                            X[((n * 8 + ch) * 3 + h / 2) * 5 + w / 2];
                    }
        expect_close(&mid[0], ref, 4, ms, crd ? "DepthToSpace CRD" : "DepthToSpace DCR");
        free(ref);
        if (!crd) {
            tn_init(&t, "SpaceToDepth");
            tn_int(&t, "blocksize", 2);
            vd_tensor *in2[1] = {&mid[0]};
            cr_assert_eq(tn_run(&t, 13, in2, 1, back, 1, &err), 0, "%s", err.msg);
            expect_close(&back[0], X, 4, xs, "SpaceToDepth(DepthToSpace DCR)");
            vd_tensor_free(&back[0]);
        }
        vd_tensor_free(&mid[0]);
    }
    vd_tensor_free(&x);
}
