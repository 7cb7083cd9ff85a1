/* gemm.c -- Gemm and MatMul on the sgemm driver (sgemm.c).
 *
 * A batched MatMul whose right operand is a plain matrix is folded into
 * one tall sgemm instead of a loop of small ones. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "sgemm.h"

/* ---- Gemm ---- */

typedef struct gemm_params {
    int ta, tb;
    float alpha, beta;
} gemm_params;

static int gemm_init(vd_nn_node *n, vd_error *err)
{
    gemm_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    p->ta = vd_nn_attr_int(n, "transA", 0) != 0;
    p->tb = vd_nn_attr_int(n, "transB", 0) != 0;
    p->alpha = vd_nn_attr_float(n, "alpha", 1.0f);
    p->beta = vd_nn_attr_float(n, "beta", 1.0f);
    n->params = p;
    return VD_OK;
}

/* Strides of C broadcast to [m, n] (unidirectional, right-aligned). */
static int gemm_bias_strides(const vd_tensor *c, int64_t m, int64_t n, int64_t *rs,
                             int64_t *cs, vd_error *err)
{
    int64_t dr = c->ndim >= 2 ? c->shape[c->ndim - 2] : 1;
    int64_t dc = c->ndim >= 1 ? c->shape[c->ndim - 1] : 1;
    for (int i = 0; i < c->ndim - 2; i++)
        if (c->shape[i] != 1)
            dr = -1;
    if ((dr != 1 && dr != m) || (dc != 1 && dc != n)) {
        char s[96];
        return vd_error_set(err, VD_EINVAL, "Gemm: C %s does not broadcast to [%lld,%lld]",
                            vd_tensor_shape_str(c, s, sizeof s), (long long)m,
                            (long long)n);
    }
    *rs = dr == 1 ? 0 : dc;
    *cs = dc == 1 ? 0 : 1;
    return VD_OK;
}

static int gemm_dims(const vd_nn_node *n, vd_tensor *const *in, int64_t *m,
                     int64_t *nn, int64_t *k, vd_error *err)
{
    const gemm_params *p = n->params;
    const vd_tensor *a = in[0], *b = in[1];
    if (a->ndim != 2 || b->ndim != 2)
        return vd_error_set(err, VD_EINVAL, "Gemm: A and B must be 2-D (got rank %d and %d)",
                            a->ndim, b->ndim);
    *m = p->ta ? a->shape[1] : a->shape[0];
    *k = p->ta ? a->shape[0] : a->shape[1];
    int64_t kb = p->tb ? b->shape[1] : b->shape[0];
    *nn = p->tb ? b->shape[0] : b->shape[1];
    if (kb != *k)
        return vd_error_set(err, VD_EINVAL, "Gemm: inner dimensions differ (%lld vs %lld)",
                            (long long)*k, (long long)kb);
    return VD_OK;
}

static int gemm_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_error *err)
{
    int64_t m = 0, nn = 0, k = 0, rs, cs; /* set by gemm_dims (gcc -O3 cannot tell) */
    int rc = vd_nn_check_f32(n, in, 3, err);
    if (rc == VD_OK)
        rc = gemm_dims(n, in, &m, &nn, &k, err);
    if (rc == VD_OK && n->n_in > 2 && in[2])
        rc = gemm_bias_strides(in[2], m, nn, &rs, &cs, err);
    if (rc)
        return rc;
    out[0]->dtype = VD_DTYPE_F32;
    out[0]->ndim = 2;
    out[0]->shape[0] = m;
    out[0]->shape[1] = nn;
    return VD_OK;
}

static int gemm_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    const gemm_params *p = n->params;
    int64_t m = 0, nn = 0, k = 0;
    vd_nn_gemm_epi epi = {NULL, 0, 0, p->beta, &n->act, NULL, 0, 0};
    int rc = gemm_dims(n, in, &m, &nn, &k, NULL);
    if (rc)
        return vd_nn_ctx_fail(ctx, rc, "Gemm: shapes changed since planning");
    if (n->n_in > 2 && in[2] && p->beta != 0.0f) {
        epi.bias = in[2]->data;
        gemm_bias_strides(in[2], m, nn, &epi.bias_rs, &epi.bias_cs, NULL);
    }
    vd_nn_sgemm(ctx, p->ta, p->tb, m, nn, k, p->alpha, in[0]->data, in[0]->shape[1],
                in[1]->data, in[1]->shape[1], out[0]->data, nn, &epi);
    return VD_OK;
}

/* ---- MatMul (numpy semantics: 1-D operands, broadcast batch dims) ---- */

typedef struct mm_dims {
    int64_t m, n, k, nbatch;
    int nb;                            /* batch rank */
    int64_t bshape[VD_TENSOR_MAX_DIMS];
    int64_t astr[VD_TENSOR_MAX_DIMS];  /* per batch dim, in matrices */
    int64_t bstr[VD_TENSOR_MAX_DIMS];
    int fold;                          /* B is one matrix: fold A's batch into m */
} mm_dims;

static int mm_dims_get(const vd_tensor *a, const vd_tensor *b, mm_dims *d, vd_error *err)
{
    if (a->ndim < 1 || b->ndim < 1)
        return vd_error_set(err, VD_EINVAL, "MatMul: operands must have rank >= 1");
    int a1 = a->ndim == 1, b1 = b->ndim == 1;
    d->m = a1 ? 1 : a->shape[a->ndim - 2];
    d->k = a->shape[a->ndim - 1];
    int64_t kb = b1 ? b->shape[0] : b->shape[b->ndim - 2];
    d->n = b1 ? 1 : b->shape[b->ndim - 1];
    if (kb != d->k)
        return vd_error_set(err, VD_EINVAL, "MatMul: inner dimensions differ (%lld vs %lld)",
                            (long long)d->k, (long long)kb);
    int na = a1 ? 0 : a->ndim - 2, nbb = b1 ? 0 : b->ndim - 2;
    d->nb = na > nbb ? na : nbb;
    int64_t sa = 1, sb = 1;
    d->nbatch = 1;
    for (int i = d->nb - 1; i >= 0; i--) {
        int ia = i - (d->nb - na), ib = i - (d->nb - nbb);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return vd_error_set(err, VD_EINVAL,
                                "MatMul: batch dims %lld and %lld do not broadcast",
                                (long long)da, (long long)db);
        d->bshape[i] = da > db ? da : db;
        d->astr[i] = da == 1 ? 0 : sa;
        d->bstr[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
        d->nbatch *= d->bshape[i];
    }
    d->fold = sb == 1 && sa == d->nbatch;
    return VD_OK;
}

static int matmul_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                        vd_error *err)
{
    mm_dims d;
    int rc = vd_nn_check_f32(n, in, 2, err);
    if (rc == VD_OK)
        rc = mm_dims_get(in[0], in[1], &d, err);
    if (rc)
        return rc;
    vd_tensor *o = out[0];
    o->dtype = VD_DTYPE_F32;
    o->ndim = d.nb;
    memcpy(o->shape, d.bshape, sizeof(int64_t) * (size_t)d.nb);
    if (in[0]->ndim > 1)
        o->shape[o->ndim++] = d.m;
    if (in[1]->ndim > 1)
        o->shape[o->ndim++] = d.n;
    return VD_OK;
}

typedef struct mm_job {
    const mm_dims *d;
    const float *a, *b;
    float *c;
    const vd_nn_gemm_epi *epi;
    vd_nn_ctx *ctx;     /* NULL when batches run in parallel */
} mm_job;

static void mm_batches(void *arg, int64_t begin, int64_t end)
{
    const mm_job *j = arg;
    const mm_dims *d = j->d;
    for (int64_t t = begin; t < end; t++) {
        int64_t rem = t, ao = 0, bo = 0;
        for (int i = d->nb - 1; i >= 0; i--) {
            int64_t idx = rem % d->bshape[i];
            rem /= d->bshape[i];
            ao += idx * d->astr[i];
            bo += idx * d->bstr[i];
        }
        vd_nn_sgemm(j->ctx, 0, 0, d->m, d->n, d->k, 1.0f, j->a + ao * d->m * d->k, d->k,
                    j->b + bo * d->k * d->n, d->n, j->c + t * d->m * d->n, d->n, j->epi);
    }
}

static int matmul_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_nn_ctx *ctx)
{
    mm_dims d;
    if (mm_dims_get(in[0], in[1], &d, NULL))
        return vd_nn_ctx_fail(ctx, VD_EINVAL, "MatMul: shapes changed since planning");
    vd_nn_gemm_epi epi = {NULL, 0, 0, 0, &n->act, NULL, 0, 0};
    if (d.fold) {
        vd_nn_sgemm(ctx, 0, 0, d.m * d.nbatch, d.n, d.k, 1.0f, in[0]->data, d.k,
                    in[1]->data, d.n, out[0]->data, d.n, &epi);
        return VD_OK;
    }
    mm_job j = {&d, in[0]->data, in[1]->data, out[0]->data, &epi, NULL};
    if (d.nbatch >= vd_nn_ctx_threads(ctx)) {
        vd_nn_parallel_for(ctx, d.nbatch, 1, mm_batches, &j);
    } else {
        j.ctx = ctx;
        mm_batches(&j, 0, d.nbatch);
    }
    return VD_OK;
}

static int matmul_init(vd_nn_node *n, vd_error *err)
{
    (void)n;
    (void)err;
    return VD_OK;
}

static const char *const gemm_attrs[] = {"alpha", "beta", "transA", "transB",
                                         "broadcast", NULL};

const vd_nn_op vd_nn_ops_gemm[] = {
    {"Gemm", 1, 0, gemm_attrs, gemm_init, NULL, gemm_infer, NULL, gemm_run},
    {"MatMul", 1, 0, NULL, matmul_init, NULL, matmul_infer, NULL, matmul_run},
    {0},
};
