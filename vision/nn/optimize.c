/* optimize.c -- load-time graph rewrites, run once per model.
 *
 *   fold      nodes whose inputs are all constant run once, with their own
 *             kernels, and become constants;
 *   gelu      the subgraphs exporters at opset <= 17 write for Gelu (erf and
 *             tanh forms) and Mish (x * Tanh(Softplus(x))) become one Gelu
 *             or Mish node (the opset 18/20 kernels), constants matched
 *             within float tolerance;
 *   bn        Conv -> BatchNormalization folds into the Conv's weights;
 *   add       Conv -> Add(conv, r), r computed earlier: r becomes an extra
 *             Conv input added in its epilogue (node->add_in), before the
 *             activation the next pass may fuse (ResNet/BlazeFace blocks);
 *   act       Relu/Clip/LeakyRelu/Sigmoid/SiLU/HardSwish/HardSigmoid/Tanh/
 *             Gelu/Mish after Conv/ConvTranspose/Gemm/MatMul becomes node->act;
 *   transpose Transposes sink below elementwise ops (NHWC exports wrap
 *             every conv in a pair), then pairs that undo each other go.
 *
 * A rewrite only happens when the intermediate value has a single reader
 * and is not a graph output, so no result a user can see ever changes.
 * Removed nodes are marked dead (op == NULL) and compacted at the end. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "model.h"

#define NODE_PREFIX(err, n, m) \
    vd_error_prefix(err, "node '%s' (%s, opset %lld): ", (n)->name, (n)->op_type, (long long)(m)->opset)

static int is_op(const vd_nn_node *n, const char *type)
{
    return n->op && !strcmp(n->op_type, type);
}

static const vd_tensor *const_in(const vd_nn_model *m, const vd_nn_node *n, int k)
{
    if (k >= n->n_in || n->in[k] < 0 || !m->values[n->in[k]].is_const)
        return NULL;
    return &m->values[n->in[k]].t;
}

/* ---- constant folding ---- */

int vd_nn_node_eval_const(vd_nn_model *m, int i, vd_error *err)
{
    vd_nn_node *n = &m->nodes[i];
    vd_tensor *inp[n->n_in + 1], outs[n->n_out + 1], *outp[n->n_out + 1];
    vd_nn_ctx ctx = {.threads = 1, .err = err};
    for (int k = 0; k < n->n_in; k++)
        inp[k] = n->in[k] >= 0 ? &m->values[n->in[k]].t : NULL;
    memset(outs, 0, sizeof outs);
    for (int o = 0; o < n->n_out; o++)
        outp[o] = &outs[o];
    int rc = n->op->infer(n, inp, outp, err);
    int dynamic = n->op->flags & VD_NN_OP_DYNAMIC;
    for (int o = 0; !rc && !dynamic && o < n->n_out; o++)
        rc = vd_tensor_alloc(&outs[o], outs[o].dtype, outs[o].ndim, outs[o].shape, err);
    size_t ws = !rc && n->op->workspace ? n->op->workspace(n, inp, outp) : 0;
    if (!rc && ws && !(ctx.workspace = aligned_alloc(64, (ws + 63) & ~(size_t)63)))
        rc = vd_error_set(err, VD_ENOMEM, "cannot allocate %zu bytes of workspace", ws);
    ctx.workspace_size = ws;
    if (!rc)
        rc = n->op->run(n, inp, outp, &ctx);
    free(ctx.workspace);
    for (int o = 0; o < n->n_out; o++) {
        if (!rc && n->out[o] >= 0) {
            vd_nn_value *v = &m->values[n->out[o]];
            v->t = outs[o];
            v->is_const = 1;
            v->producer = -1;
        } else {
            vd_tensor_free(&outs[o]);
        }
    }
    if (rc)
        return NODE_PREFIX(err, n, m), rc;
    vd_nn_node_clear(n);
    return VD_OK;
}

static int all_inputs_const(const vd_nn_model *m, const vd_nn_node *n)
{
    for (int k = 0; k < n->n_in; k++)
        if (n->in[k] >= 0 && !m->values[n->in[k]].is_const)
            return 0;
    return 1;
}

static int pass_fold(vd_nn_model *m, vd_error *err)
{
    for (int i = 0; i < m->n_nodes; i++) {
        if (!m->nodes[i].op || !all_inputs_const(m, &m->nodes[i]))
            continue;
        int rc = vd_nn_node_eval_const(m, i, err);
        if (rc)
            return rc;
    }
    return VD_OK;
}

/* ---- Gelu and Mish from their decompositions ---- */

/* Value v is a 0-d float32 constant within float rounding of ref. (0-d
 * only: a [1] constant could widen a rank-0 result.) */
static int const_near(const vd_nn_model *m, int v, double ref)
{
    const vd_tensor *t = v >= 0 && m->values[v].is_const ? &m->values[v].t : NULL;
    return t && t->dtype == VD_DTYPE_F32 && t->ndim == 0 && t->data &&
           fabs(*(const float *)t->data - ref) <= 1e-5 * fabs(ref);
}

/* The node writing v, if it is an `op` whose only reader is the subgraph
 * being matched (one use, not a graph output); else NULL. */
static vd_nn_node *inner(const vd_nn_model *m, int v, const char *op)
{
    if (v < 0 || m->values[v].producer < 0 || vd_nn_model_is_output(m, v) ||
        vd_nn_model_uses(m, v) != 1)
        return NULL;
    vd_nn_node *p = &m->nodes[m->values[v].producer];
    return is_op(p, op) && p->n_out == 1 && p->n_in == (is_op(p, "Erf") || is_op(p, "Tanh") ||
                                                         is_op(p, "Softplus") ? 1 : 2)
               ? p : NULL;
}

/* The nodes a match will remove (all but the last one, which is rewritten). */
typedef struct fuse_set {
    vd_nn_node *n[12];
    int count;
} fuse_set;

static vd_nn_node *take(fuse_set *s, vd_nn_node *n)
{
    if (n && s->count < 12)
        s->n[s->count++] = n;
    return n;
}

/* b = op(a, c) in either order, with a given: c (commutative ops). */
static int other_of(const vd_nn_node *b, int a)
{
    return b->in[0] == a ? b->in[1] : b->in[1] == a ? b->in[0] : -1;
}

/* c = x^3 as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x). */
static int cube_of(const vd_nn_model *m, int c, int x, fuse_set *s)
{
    vd_nn_node *p = inner(m, c, "Pow");
    if (p)
        return p->in[0] == x && const_near(m, p->in[1], 3.0) && take(s, p);
    vd_nn_node *q = take(s, inner(m, c, "Mul"));
    if (!q || other_of(q, x) < 0)
        return 0;
    vd_nn_node *sq = take(s, inner(m, other_of(q, x), "Mul"));
    return sq && sq->in[0] == x && sq->in[1] == x;
}

/* u = sqrt(2/pi) * (x + 0.044715 * x^3), factors in any order. */
static int tanh_arg_of(const vd_nn_model *m, int u, int x, fuse_set *s)
{
    vd_nn_node *mu = take(s, inner(m, u, "Mul"));
    int k = !mu ? -1 : const_near(m, mu->in[0], 0.7978845608028654) ? 1
                     : const_near(m, mu->in[1], 0.7978845608028654) ? 0 : -1;
    vd_nn_node *add = k < 0 ? NULL : take(s, inner(m, mu->in[k], "Add"));
    int w = add ? other_of(add, x) : -1;
    vd_nn_node *mw = take(s, inner(m, w, "Mul"));
    if (!mw)
        return 0;
    int c = const_near(m, mw->in[0], 0.044715) ? mw->in[1]
            : const_near(m, mw->in[1], 0.044715) ? mw->in[0] : -1;
    return cube_of(m, c, x, s);
}

/* a = 1 + Erf(x / sqrt 2) (Div by 1.4142135 or Mul by 0.70710678), or
 * 1 + Tanh(tanh_arg). *tanh_form says which. */
static int gelu_sum_of(const vd_nn_model *m, int a, int x, fuse_set *s, int *tanh_form)
{
    vd_nn_node *add = take(s, inner(m, a, "Add"));
    int k = !add                            ? -1
            : const_near(m, add->in[0], 1.0) ? 1
            : const_near(m, add->in[1], 1.0) ? 0
                                             : -1;
    if (k < 0)
        return 0;
    vd_nn_node *e = inner(m, add->in[k], "Erf");
    if (take(s, e)) {
        *tanh_form = 0;
        vd_nn_node *d = take(s, inner(m, e->in[0], "Div"));
        if (d)
            return d->in[0] == x && const_near(m, d->in[1], M_SQRT2);
        vd_nn_node *mu = take(s, inner(m, e->in[0], "Mul"));
        return mu && const_near(m, other_of(mu, x), M_SQRT1_2);
    }
    vd_nn_node *t = take(s, inner(m, add->in[k], "Tanh"));
    *tanh_form = 1;
    return t && tanh_arg_of(m, t->in[0], x, s);
}

/* Matches a = gelu_sum_of(x) on top of the nodes in *s plus mq; on
 * success *s holds them all. */
static int gelu_try(const vd_nn_model *m, int x, int a, vd_nn_node *mq, fuse_set *s,
                    int *tanh_form)
{
    fuse_set t = *s;
    take(&t, mq);
    if (x < 0 || a < 0 || x == a || !gelu_sum_of(m, a, x, &t, tanh_form))
        return 0;
    *s = t;
    return 1;
}

/* f = 0.5 * (x * a), x * (a * 0.5) or a * (x * 0.5), any operand order,
 * with a = gelu_sum_of(x). Sets *x. */
static int gelu_product(const vd_nn_model *m, const vd_nn_node *f, int *x, fuse_set *s,
                        int *tanh_form)
{
    for (int o = 0; o < 2; o++) {
        int p = f->in[o], cand[2][2], nc = 0;
        vd_nn_node *mq = inner(m, f->in[1 - o], "Mul");
        if (!mq)
            continue;
        int half = const_near(m, mq->in[0], 0.5) ? 0 : const_near(m, mq->in[1], 0.5) ? 1 : -1;
        if (const_near(m, p, 0.5)) { /* (x, a) is mq's operands, either way */
            memcpy(cand, (int[2][2]){{mq->in[0], mq->in[1]}, {mq->in[1], mq->in[0]}},
                   sizeof cand);
            nc = 2;
        } else if (half >= 0) { /* mq is a * 0.5 (x = p) or x * 0.5 (a = p) */
            int w = mq->in[1 - half];
            memcpy(cand, (int[2][2]){{p, w}, {w, p}}, sizeof cand);
            nc = 2;
        }
        for (int c = 0; c < nc; c++)
            if (gelu_try(m, cand[c][0], cand[c][1], mq, s, tanh_form)) {
                *x = cand[c][0];
                return 1;
            }
    }
    return 0;
}

/* f = Mul(x, Tanh(Softplus(x))), either order. Sets *x. */
static int mish_product(const vd_nn_model *m, const vd_nn_node *f, int *x, fuse_set *s)
{
    for (int o = 0; o < 2; o++) {
        vd_nn_node *t = inner(m, f->in[1 - o], "Tanh");
        vd_nn_node *sp = t ? inner(m, t->in[0], "Softplus") : NULL;
        if (sp && sp->in[0] == f->in[o]) {
            *x = f->in[o];
            take(s, t);
            take(s, sp);
            return 1;
        }
    }
    return 0;
}

/* f becomes op_type(x) (a Gelu carries approximate = "tanh" when asked). */
static int become_unary(vd_nn_node *f, const char *op_type, int x, const char *approx,
                        vd_error *err)
{
    char *type = strdup(op_type);
    vd_nn_attr *attrs = calloc(2, sizeof *attrs);
    if (!type || !attrs || (approx && (!(attrs[0].name = strdup("approximate")) ||
                                       !(attrs[0].s = strdup(approx))))) {
        free(type);
        if (attrs)
            free(attrs[0].name), free(attrs[0].s);
        free(attrs);
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    attrs[0].type = VD_NN_ATTR_STRING;
    free(f->op_type);
    free(f->attrs); /* Mul has no attributes */
    f->op_type = type;
    f->op = vd_nn_op_find(op_type, 20);
    f->attrs = attrs;
    f->n_attrs = approx ? 1 : 0;
    f->in[0] = x;
    f->n_in = 1;
    return vd_nn_node_reinit(f, err);
}

static int pass_gelu_mish(vd_nn_model *m, vd_error *err)
{
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node *f = &m->nodes[i];
        if (!is_op(f, "Mul") || f->n_in != 2 || f->n_out != 1 || f->in[0] < 0 || f->in[1] < 0)
            continue;
        fuse_set s = {.count = 0};
        int x = -1, tanh_form = 0, rc = VD_OK;
        if (mish_product(m, f, &x, &s))
            rc = become_unary(f, "Mish", x, NULL, err);
        else if ((s.count = 0, gelu_product(m, f, &x, &s, &tanh_form)))
            rc = become_unary(f, "Gelu", x, tanh_form ? "tanh" : NULL, err);
        else
            continue;
        if (rc)
            return NODE_PREFIX(err, f, m), rc;
        for (int k = 0; k < s.count; k++)
            vd_nn_node_clear(s.n[k]);
    }
    return VD_OK;
}

/* ---- Conv + BatchNormalization ---- */

static int bn_params_ok(const vd_nn_model *m, const vd_nn_node *bn, int64_t channels)
{
    if (bn->n_in != 5 || vd_nn_attr_int(bn, "training_mode", 0))
        return 0;
    for (int k = 1; k < 5; k++) {
        const vd_tensor *t = const_in(m, bn, k);
        if (!t || t->dtype != VD_DTYPE_F32 || vd_tensor_numel(t) != channels)
            return 0;
    }
    for (int o = 1; o < bn->n_out; o++)
        if (bn->out[o] >= 0 && vd_nn_model_uses(m, bn->out[o]))
            return 0;
    return 1;
}

static int fold_bn(vd_nn_model *m, vd_nn_node *c, vd_nn_node *bn, vd_error *err)
{
    const vd_tensor *w = const_in(m, c, 1), *b = const_in(m, c, 2);
    const float *scale = const_in(m, bn, 1)->data, *shift = const_in(m, bn, 2)->data;
    const float *mean = const_in(m, bn, 3)->data, *var = const_in(m, bn, 4)->data;
    float eps = vd_nn_attr_float(bn, "epsilon", 1e-5f);
    int64_t M = w->shape[0], per = vd_tensor_numel(w) / (M ? M : 1);
    vd_tensor nw, nb;
    int rc = vd_tensor_alloc(&nw, VD_DTYPE_F32, w->ndim, w->shape, err);
    if (rc)
        return rc;
    if ((rc = vd_tensor_alloc(&nb, VD_DTYPE_F32, 1, &M, err))) {
        vd_tensor_free(&nw);
        return rc;
    }
    for (int64_t o = 0; o < M; o++) {
        float s = scale[o] / sqrtf(var[o] + eps);
        for (int64_t k = 0; k < per; k++)
            ((float *)nw.data)[o * per + k] = ((const float *)w->data)[o * per + k] * s;
        float bias = b ? ((const float *)b->data)[o] : 0.0f;
        ((float *)nb.data)[o] = (bias - mean[o]) * s + shift[o];
    }
    int vw = vd_nn_model_add_const(m, c->name, &nw);
    int vb = vw < 0 ? vw : vd_nn_model_add_const(m, bn->name, &nb);
    int *in = vb < 0 ? NULL : realloc(c->in, 3 * sizeof *in);
    if (!in) {
        vd_tensor_free(&nw);
        vd_tensor_free(&nb);
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    c->in = in;
    c->n_in = 3;
    c->in[1] = vw;
    c->in[2] = vb;
    c->out[0] = bn->out[0];
    m->values[c->out[0]].producer = (int)(c - m->nodes);
    vd_nn_node_clear(bn);
    return vd_nn_node_reinit(c, err);
}

static int pass_bn(vd_nn_model *m, vd_error *err)
{
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node *c = &m->nodes[i];
        if (!is_op(c, "Conv") || c->act.kind || c->n_out != 1 || c->out[0] < 0)
            continue;
        const vd_tensor *w = const_in(m, c, 1);
        if (!w || w->dtype != VD_DTYPE_F32 || w->ndim < 3 ||
            (c->n_in > 2 && c->in[2] >= 0 && (!const_in(m, c, 2) || const_in(m, c, 2)->dtype != VD_DTYPE_F32 ||
                                               vd_tensor_numel(const_in(m, c, 2)) != w->shape[0])))
            continue;
        int j = vd_nn_model_sole_consumer(m, c->out[0]);
        if (j < 0 || !is_op(&m->nodes[j], "BatchNormalization") || m->nodes[j].in[0] != c->out[0] ||
            !bn_params_ok(m, &m->nodes[j], w->shape[0]))
            continue;
        int rc = fold_bn(m, c, &m->nodes[j], err);
        if (rc)
            return NODE_PREFIX(err, c, m), rc;
    }
    return VD_OK;
}

/* ---- activation fusion ---- */

static int producer_fusable(const vd_nn_node *n)
{
    return (is_op(n, "Conv") || is_op(n, "ConvTranspose") || is_op(n, "Gemm") ||
            is_op(n, "MatMul")) && !n->act.kind && n->n_out == 1 && n->out[0] >= 0;
}

/* Scalar float constant input k, or def when omitted. 0 if not constant. */
static int const_scalar(const vd_nn_model *m, const vd_nn_node *n, int k, float def, float *v)
{
    *v = def;
    if (k >= n->n_in || n->in[k] < 0)
        return 1;
    const vd_tensor *t = const_in(m, n, k);
    if (!t || t->dtype != VD_DTYPE_F32 || vd_tensor_numel(t) != 1)
        return 0;
    *v = *(const float *)t->data;
    return 1;
}

/* The activation node a computes, or kind NONE if it isn't one we fuse. */
static vd_nn_act act_of(const vd_nn_model *m, const vd_nn_node *a)
{
    vd_nn_act act = {VD_NN_ACT_NONE, 0, 0};
    if (is_op(a, "Relu")) {
        act.kind = VD_NN_ACT_RELU;
    } else if (is_op(a, "LeakyRelu")) {
        act = (vd_nn_act){VD_NN_ACT_LEAKY, vd_nn_attr_float(a, "alpha", 0.01f), 0};
    } else if (is_op(a, "Sigmoid")) {
        act.kind = VD_NN_ACT_SIGMOID;
    } else if (is_op(a, "Tanh")) {
        act.kind = VD_NN_ACT_TANH;
    } else if (is_op(a, "Gelu")) {
        act.kind = strcmp(vd_nn_attr_string(a, "approximate", "none"), "tanh")
                       ? VD_NN_ACT_GELU : VD_NN_ACT_GELU_TANH;
    } else if (is_op(a, "Mish")) {
        act.kind = VD_NN_ACT_MISH;
    } else if (is_op(a, "HardSwish")) {
        act.kind = VD_NN_ACT_HARDSWISH;
    } else if (is_op(a, "HardSigmoid")) {
        act = (vd_nn_act){VD_NN_ACT_HARDSIGMOID, vd_nn_attr_float(a, "alpha", 0.2f),
                          vd_nn_attr_float(a, "beta", 0.5f)};
    } else if (is_op(a, "Clip") && a->opset < 11) {
        act = (vd_nn_act){VD_NN_ACT_CLIP, vd_nn_attr_float(a, "min", -FLT_MAX),
                          vd_nn_attr_float(a, "max", FLT_MAX)};
    } else if (is_op(a, "Clip") && const_scalar(m, a, 1, -FLT_MAX, &act.alpha) &&
               const_scalar(m, a, 2, FLT_MAX, &act.beta)) {
        act.kind = VD_NN_ACT_CLIP;
    }
    return act;
}

/* x -> Sigmoid -> s, Mul(x, s): returns the Mul's index, else -1. */
static int silu_mul(const vd_nn_model *m, int x, int *sig)
{
    if (vd_nn_model_is_output(m, x) || vd_nn_model_uses(m, x) != 2)
        return -1;
    for (int i = 0; i < m->n_nodes; i++) {
        const vd_nn_node *s = &m->nodes[i];
        if (!is_op(s, "Sigmoid") || s->in[0] != x || s->out[0] < 0)
            continue;
        int j = vd_nn_model_sole_consumer(m, s->out[0]);
        const vd_nn_node *mul = j >= 0 ? &m->nodes[j] : NULL;
        if (mul && is_op(mul, "Mul") && mul->n_in == 2 &&
            ((mul->in[0] == x && mul->in[1] == s->out[0]) ||
             (mul->in[1] == x && mul->in[0] == s->out[0]))) {
            *sig = i;
            return j;
        }
    }
    return -1;
}

static void absorb(vd_nn_model *m, vd_nn_node *p, vd_nn_node *last, vd_nn_act act)
{
    p->act = act;
    p->out[0] = last->out[0];
    m->values[p->out[0]].producer = (int)(p - m->nodes);
}

static void pass_act(vd_nn_model *m)
{
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node *p = &m->nodes[i];
        if (!producer_fusable(p))
            continue;
        int sig, mul = silu_mul(m, p->out[0], &sig);
        if (mul >= 0) {
            absorb(m, p, &m->nodes[mul], (vd_nn_act){VD_NN_ACT_SILU, 0, 0});
            vd_nn_node_clear(&m->nodes[sig]);
            vd_nn_node_clear(&m->nodes[mul]);
            continue;
        }
        int j = vd_nn_model_sole_consumer(m, p->out[0]);
        if (j < 0 || m->nodes[j].in[0] != p->out[0] || m->nodes[j].out[0] < 0)
            continue;
        vd_nn_act act = act_of(m, &m->nodes[j]);
        if (act.kind) {
            absorb(m, p, &m->nodes[j], act);
            vd_nn_node_clear(&m->nodes[j]);
        }
    }
}

/* ---- residual Add fusion ---- */

/* Index of the node that writes value v, or -1 (input or constant). */
static int writer_of(const vd_nn_model *m, int v)
{
    for (int i = 0; i < m->n_nodes; i++)
        for (int o = 0; m->nodes[i].op && o < m->nodes[i].n_out; o++)
            if (m->nodes[i].out[o] == v)
                return i;
    return -1;
}

/* Whether constant value v is float32 and all zeros. */
static int const_zeros(const vd_nn_model *m, int v)
{
    const vd_tensor *t = &m->values[v].t;
    if (!m->values[v].is_const || t->dtype != VD_DTYPE_F32 || !t->data)
        return 0;
    const float *d = t->data;
    for (int64_t i = 0; i < vd_tensor_numel(t); i++)
        if (d[i] != 0.0f)
            return 0;
    return 1;
}

/* tf2onnx writes a residual that gains channels as Concat([r, zeros],
 * axis 1) (BlazeFace: 10 of them). When only the Add reads it, return r:
 * the conv adds r to its first channels and the zeros are never stored. */
static int pad_source(const vd_nn_model *m, int v, int add)
{
    int c = writer_of(m, v);
    const vd_nn_node *n = c >= 0 ? &m->nodes[c] : NULL;
    if (!n || !is_op(n, "Concat") || n->n_in != 2 || vd_nn_attr_int(n, "axis", 0) != 1 ||
        n->in[0] < 0 || n->in[1] < 0 || !const_zeros(m, n->in[1]) ||
        vd_nn_model_sole_consumer(m, v) != add)
        return -1;
    return n->in[0];
}

/* The other operand r must come from an earlier node so the Conv, which now
 * reads it, still runs after its producer; the conv must not have an
 * activation yet (the Add comes before any activation). */
static int pass_add(vd_nn_model *m)
{
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node *p = &m->nodes[i];
        if (!is_op(p, "Conv") || p->act.kind || p->add_in || p->n_out != 1 ||
            p->out[0] < 0 || p->n_in > 3)
            continue;
        int j = vd_nn_model_sole_consumer(m, p->out[0]);
        vd_nn_node *a = j >= 0 ? &m->nodes[j] : NULL;
        if (!a || !is_op(a, "Add") || a->n_in != 2 || a->n_attrs || a->out[0] < 0 ||
            a->in[0] == a->in[1])
            continue;
        int r = a->in[0] == p->out[0] ? a->in[1] : a->in[0];
        int pr = r >= 0 ? pad_source(m, r, j) : -1, cat = pr >= 0 ? writer_of(m, r) : -1;
        r = pr >= 0 ? pr : r;
        int w = r >= 0 && !m->values[r].is_const ? writer_of(m, r) : -1;
        if (w < 0 || w >= i)
            continue;
        if (cat >= 0)
            vd_nn_node_clear(&m->nodes[cat]);
        p->add_pad = cat >= 0;
        int *in = realloc(p->in, 4 * sizeof *in);
        if (!in)
            return VD_ENOMEM;
        for (int k = p->n_in; k < 3; k++)
            in[k] = -1;
        in[3] = r;
        p->in = in;
        p->n_in = 4;
        p->add_in = 3;
        p->out[0] = a->out[0];
        m->values[p->out[0]].producer = i;
        vd_nn_node_clear(a);
    }
    return VD_OK;
}

/* ---- Concat into a 1x1 Conv ----
 *
 * YOLOv8's C2f, SPPF and neck end every Concat in a 1x1 conv: W x
 * [a; b; c] is W_a a + W_b b + W_c c, so the conv reads the parts where
 * they are (one accumulating sgemm each) and the concatenated tensor is
 * never written (at batch 8 the copy cost 2.3x per image what it does at
 * batch 1). Only when the attributes make the conv 1x1, stride 1,
 * unpadded, group 1, the Concat is on axis 1 and the conv is its only
 * reader. */
static int attr_all(const vd_nn_node *n, const char *name, int64_t want)
{
    const int64_t *v;
    int k = vd_nn_attr_ints(n, name, &v);
    for (int i = 0; i < k; i++)
        if (v[i] != want)
            return 0;
    return 1;
}

static int is_pointwise_conv(const vd_nn_model *m, const vd_nn_node *p)
{
    const vd_tensor *w = p->in[1] >= 0 ? &m->values[p->in[1]].t : NULL;
    const char *ap = vd_nn_attr_string(p, "auto_pad", "NOTSET");
    return is_op(p, "Conv") && vd_nn_attr_int(p, "group", 1) == 1 && attr_all(p, "strides", 1) &&
           attr_all(p, "pads", 0) && attr_all(p, "kernel_shape", 1) &&
           (!strcmp(ap, "NOTSET") || !strcmp(ap, "VALID")) && w &&
           m->values[p->in[1]].is_const && w->ndim == 4 && w->shape[2] == 1 && w->shape[3] == 1;
}

static int pass_concat_conv(vd_nn_model *m)
{
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node *p = &m->nodes[i];
        if (!p->op || p->n_cat || p->in[0] < 0 || p->n_in > 4 || !is_pointwise_conv(m, p))
            continue;
        int ci = writer_of(m, p->in[0]);
        vd_nn_node *c = ci >= 0 ? &m->nodes[ci] : NULL;
        if (!c || !is_op(c, "Concat") || vd_nn_attr_int(c, "axis", 0) != 1 || c->n_in < 2 ||
            vd_nn_model_sole_consumer(m, p->in[0]) != i)
            continue;
        int ok = 1;
        for (int k = 0; k < c->n_in; k++)
            ok &= c->in[k] >= 0;
        int *in = ok ? malloc((size_t)(4 + c->n_in - 1) * sizeof *in) : NULL;
        if (!ok)
            continue;
        if (!in)
            return VD_ENOMEM;
        in[0] = c->in[0];
        for (int k = 1; k < 4; k++)
            in[k] = k < p->n_in ? p->in[k] : -1;
        for (int k = 1; k < c->n_in; k++)
            in[3 + k] = c->in[k];
        free(p->in);
        p->in = in;
        p->n_in = 4 + c->n_in - 1;
        p->n_cat = c->n_in;
        vd_nn_node_clear(c);
    }
    return VD_OK;
}

/* ---- Transposes (NHWC exports wrap every conv in a pair) ---- */

static const int64_t *perm_of(const vd_nn_node *t, int *rank)
{
    const int64_t *p;
    *rank = vd_nn_attr_ints(t, "perm", &p);
    return *rank ? p : NULL; /* the default (reverse) perm needs the rank: left alone */
}

static int same_perm(const vd_nn_node *a, const vd_nn_node *b)
{
    int ra, rb;
    const int64_t *pa = perm_of(a, &ra), *pb = perm_of(b, &rb);
    return pa && pb && ra == rb && !memcmp(pa, pb, (size_t)ra * sizeof *pa);
}

static int is_scalar_const(const vd_nn_model *m, int v)
{
    return v >= 0 && m->values[v].is_const && vd_tensor_numel(&m->values[v].t) == 1;
}

/* Elementwise ops that commute with any transpose of their tensor inputs. */
static int elementwise(const vd_nn_node *u)
{
    static const char *const ops[] = {
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSwish", "HardSigmoid", "Elu",
        "Selu", "Celu", "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Softplus", "Mish",
        "Gelu", "Erf", "Floor", "Ceil", "Round", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", NULL};
    for (const char *const *o = ops; *o; o++)
        if (is_op(u, *o))
            return u->n_out == 1;
    return 0;
}

/* u reads p's output once (being its only reader) and otherwise only
 * scalar constants: p can move below u unchanged. */
static int sinks_through(const vd_nn_model *m, const vd_nn_node *p, const vd_nn_node *u)
{
    int seen = 0, rank;
    if (!perm_of(p, &rank))
        return 0;
    for (int k = 0; k < u->n_in; k++) {
        int v = u->in[k];
        if (v == p->out[0])
            seen++;
        else if (v >= 0 && (!is_scalar_const(m, v) || m->values[v].t.ndim > rank))
            return 0; /* a higher-rank scalar would change the output's rank */
    }
    return seen == 1;
}

/* p (slot i) -> u (slot j) becomes u -> p: u now computes in p's input
 * layout, p transposes u's result. Slots swap, so the order stays valid
 * (u's other inputs are constants, nothing between reads t or u's output). */
static void sink_unary(vd_nn_model *m, int i, int j)
{
    vd_nn_node p = m->nodes[i], u = m->nodes[j];
    int t = p.out[0], y = u.out[0];
    for (int k = 0; k < u.n_in; k++)
        if (u.in[k] == t)
            u.in[k] = p.in[0];
    u.out[0] = t;
    p.in[0] = t;
    p.out[0] = y;
    m->nodes[i] = u;
    m->nodes[j] = p;
    m->values[t].producer = i;
    m->values[y].producer = j;
}

/* p1 (slot i1) and p2 (slot i2), same perm, feed binary u (slot j):
 * u(p1(a), p2(b)) = p(u(a, b)). u takes the later slot, p1 u's slot. */
static void sink_binary(vd_nn_model *m, int i1, int i2, int j)
{
    vd_nn_node p = m->nodes[i1], u = m->nodes[j];
    int k = i1 > i2 ? i1 : i2, t = p.out[0], y = u.out[0];
    u.in[0] = p.in[0];
    u.in[1] = m->nodes[i2].in[0];
    u.out[0] = t;
    p.in[0] = t;
    p.out[0] = y;
    vd_nn_node_clear(&m->nodes[i2]);
    memset(&m->nodes[i1], 0, sizeof m->nodes[i1]); /* moved to slot j */
    m->nodes[k] = u;
    m->nodes[j] = p;
    m->values[t].producer = k;
    m->values[y].producer = j;
}

/* c re-laid out for an op that moves above Transpose p: left-padded with
 * ones to p's rank, then permuted by p's inverse, so that
 * u(p(a), c) == p(u(a, c')). Returns the new constant or -1. */
static int const_through(vd_nn_model *m, const vd_nn_node *p, int c)
{
    int rank;
    const int64_t *perm = perm_of(p, &rank);
    const vd_tensor *t = &m->values[c].t;
    if (!perm || t->ndim > rank || rank > VD_TENSOR_MAX_DIMS || !t->data)
        return -1;
    int64_t src[VD_TENSOR_MAX_DIMS], dst[VD_TENSOR_MAX_DIMS], stride[VD_TENSOR_MAX_DIMS];
    for (int d = 0; d < rank; d++)
        src[d] = d < rank - t->ndim ? 1 : t->shape[d - (rank - t->ndim)];
    for (int d = 0; d < rank; d++) /* dst[perm[d]] = src[d]: p(dst) == src */
        if (perm[d] < 0 || perm[d] >= rank)
            return -1;
        else
            dst[perm[d]] = src[d];
    vd_tensor out;
    if (vd_tensor_alloc(&out, t->dtype, rank, dst, NULL))
        return -1;
    for (int64_t d = rank - 1, acc = 1; d >= 0; d--)
        stride[d] = acc, acc *= dst[d];
    size_t es = vd_dtype_size(t->dtype);
    int64_t n = vd_tensor_numel(t), idx[VD_TENSOR_MAX_DIMS] = {0};
    for (int64_t i = 0; i < n; i++) { /* walk src in order, scatter to dst */
        int64_t o = 0;
        for (int d = 0; d < rank; d++)
            o += idx[d] * stride[perm[d]];
        memcpy((char *)out.data + o * es, (const char *)t->data + i * es, es);
        for (int d = rank - 1; d >= 0 && ++idx[d] == src[d]; d--)
            idx[d] = 0;
    }
    int v = vd_nn_model_add_const(m, m->values[c].name, &out);
    if (v < 0)
        vd_tensor_free(&out);
    return v;
}

static int sink_once(vd_nn_model *m, int i)
{
    vd_nn_node *p = &m->nodes[i];
    if (!is_op(p, "Transpose") || vd_nn_model_is_output(m, p->out[0]))
        return 0;
    int j = vd_nn_model_sole_consumer(m, p->out[0]);
    if (j < 0 || !elementwise(&m->nodes[j]))
        return 0;
    vd_nn_node *u = &m->nodes[j];
    if (sinks_through(m, p, u)) {
        sink_unary(m, i, j);
        return 1;
    }
    if (u->n_in != 2 || u->in[0] < 0 || u->in[1] < 0 || u->in[0] == u->in[1])
        return 0;
    int other = u->in[0] == p->out[0] ? u->in[1] : u->in[0];
    if (m->values[other].is_const) { /* a per-channel bias, a BN scale ... */
        int c = const_through(m, p, other);
        if (c < 0)
            return 0;
        u->in[u->in[0] == other ? 0 : 1] = c;
        sink_unary(m, i, j);
        return 1;
    }
    int i2 = m->values[other].producer;
    if (i2 < 0 || !is_op(&m->nodes[i2], "Transpose") || !same_perm(p, &m->nodes[i2]) ||
        vd_nn_model_sole_consumer(m, other) != j)
        return 0;
    int i0 = m->values[u->in[0]].producer, i1 = m->values[u->in[1]].producer;
    sink_binary(m, i0, i1, j);
    return 1;
}

/* A Transpose reading a Transpose that it undoes reads the original. */
static void cancel_pairs(vd_nn_model *m)
{
    for (int j = 0; j < m->n_nodes; j++) {
        vd_nn_node *b = &m->nodes[j];
        int i = is_op(b, "Transpose") ? m->values[b->in[0]].producer : -1;
        if (i < 0 || !is_op(&m->nodes[i], "Transpose"))
            continue;
        int ra, rb;
        const int64_t *pa = perm_of(&m->nodes[i], &ra), *pb = perm_of(b, &rb);
        int identity = pa && pb && ra == rb;
        for (int k = 0; identity && k < ra; k++)
            identity = pb[k] >= 0 && pb[k] < ra && pa[pb[k]] == k;
        if (!identity)
            continue;
        vd_nn_model_replace_uses(m, b->out[0], m->nodes[i].in[0]);
        vd_nn_node_clear(b); /* the first one goes with the dead nodes */
    }
}

static void pass_transpose(vd_nn_model *m)
{
    for (int i = 0; i < m->n_nodes; i++)
        while (sink_once(m, i))
            ; /* slot i now holds the op the Transpose moved below */
    cancel_pairs(m);
}

/* ---- clean-up ---- */

/* Readers per value (live node inputs + graph outputs), in one sweep. */
static int *use_counts(const vd_nn_model *m)
{
    int *uses = calloc((size_t)m->n_values + 1, sizeof *uses);
    for (int i = 0; uses && i < m->n_nodes; i++)
        for (int k = 0; m->nodes[i].op && k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0)
                uses[m->nodes[i].in[k]]++;
    for (int j = 0; uses && j < m->n_outputs; j++)
        uses[m->output_vals[j]]++;
    return uses;
}

/* Nodes nobody reads, last to first so that whole dead chains go. */
static int pass_dead(vd_nn_model *m)
{
    int *uses = use_counts(m);
    if (!uses)
        return VD_ENOMEM;
    for (int i = m->n_nodes - 1; i >= 0; i--) {
        vd_nn_node *n = &m->nodes[i];
        int used = 0;
        for (int o = 0; n->op && o < n->n_out && !used; o++)
            used = n->out[o] >= 0 && uses[n->out[o]];
        if (!n->op || used)
            continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0)
                uses[n->in[k]]--;
        vd_nn_node_clear(n);
    }
    free(uses);
    return VD_OK;
}

static int compact(vd_nn_model *m)
{
    int k = 0;
    for (int i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].op)
            m->nodes[k++] = m->nodes[i];
    m->n_nodes = k;
    for (int v = 0; v < m->n_values; v++)
        m->values[v].producer = -1;
    m->node_ops = calloc((size_t)k + 1, sizeof *m->node_ops);
    if (!m->node_ops)
        return VD_ENOMEM;
    for (int i = 0; i < k; i++) {
        vd_nn_node *n = &m->nodes[i];
        for (int o = 0; o < n->n_out; o++)
            if (n->out[o] >= 0)
                m->values[n->out[o]].producer = i;
        const char *act = n->act.kind ? vd_nn_act_name(n->act.kind) : "";
        const char *add = n->add_in ? "+Add" : "", *cat = n->n_cat > 1 ? "Concat+" : "";
        size_t len = strlen(cat) + strlen(n->op_type) + strlen(add) + strlen(act) + 2;
        if (!(m->node_ops[i] = malloc(len)))
            return VD_ENOMEM;
        snprintf(m->node_ops[i], len, "%s%s%s%s%s", cat, n->op_type, add, *act ? "+" : "", act);
    }
    return VD_OK;
}

/* Constants nobody reads any more (pre-fold weights, BN params) are
 * released; the rest is what sessions share. */
static int weigh(vd_nn_model *m)
{
    int *uses = use_counts(m);
    if (!uses)
        return VD_ENOMEM;
    m->weight_bytes = 0;
    for (int v = 0; v < m->n_values; v++) {
        vd_nn_value *val = &m->values[v];
        if (!val->is_const)
            continue;
        if (uses[v])
            m->weight_bytes += vd_tensor_nbytes(&val->t);
        else
            vd_tensor_free(&val->t);
    }
    free(uses);
    return VD_OK;
}

/* node->const_in, once the graph is final. */
static void mark_const_inputs(vd_nn_model *m)
{
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node *n = &m->nodes[i];
        n->const_in = 0;
        for (int k = 0; k < n->n_in && k < 32; k++)
            if (n->in[k] >= 0 && m->values[n->in[k]].is_const)
                n->const_in |= 1u << k;
    }
}

int vd_nn_model_optimize(vd_nn_model *m, vd_error *err)
{
    m->n_params = 0;
    for (int v = 0; v < m->n_values; v++)
        if (m->values[v].is_const && m->values[v].t.data)
            m->n_params += vd_tensor_numel(&m->values[v].t);
    int rc = pass_fold(m, err);
    if (!rc)
        rc = pass_gelu_mish(m, err);
    if (!rc)
        rc = pass_bn(m, err);
    if (rc)
        return rc;
    pass_transpose(m); /* first: sinking can bring an activation next to its conv */
    if (pass_add(m) || pass_concat_conv(m))
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    pass_act(m);
    if (pass_dead(m) || compact(m) || weigh(m))
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    mark_const_inputs(m);
    return VD_OK;
}
