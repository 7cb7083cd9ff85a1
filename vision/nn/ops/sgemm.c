/* sgemm.c -- the sgemm driver of sgemm.h.
 *
 * OpenBLAS is called single-threaded; the engine parallelises itself by
 * handing each worker its own column (or row) block of C, and that worker
 * finishes the block with the epilogue (bias, fused activation) while it
 * is still in cache. */
#include <cblas.h>
#include <string.h>

#include "kernel.h"
#include "sgemm.h"

typedef struct sgemm_job {
    int ta, tb;
    int64_t m, n, k, lda, ldb, ldc;
    float alpha;
    const float *a, *b;
    float *c;
    const vd_nn_gemm_epi *epi;
    int by_cols;        /* split over n (else over m) */
    int64_t nblk;
} sgemm_job;

/* C block := bias (+ residual): sgemm then accumulates with beta = 1, which
 * replaces OpenBLAS's zeroing pass and a separate bias pass by one write. */
VD_NN_CLONES VD_NN_HOT static void bias_fill(const vd_nn_gemm_epi *e, float *c, int64_t ldc,
                                            int64_t m0, int64_t m1, int64_t n0, int64_t n1)
{
    for (int64_t i = m0; i < m1; i++) {
        float *row = c + i * ldc + n0;
        const float *r = e->add && (!e->add_rows || i < e->add_rows) ? e->add + i * ldc + n0
                                                                     : NULL;
        if (!e->bias) {
            if (r)
                memcpy(row, r, (size_t)(n1 - n0) * sizeof(float));
            else
                memset(row, 0, (size_t)(n1 - n0) * sizeof(float));
            continue;
        }
        const float *b = e->bias + i * e->bias_rs + n0 * e->bias_cs;
        float s = e->bias_scale;
        if (e->bias_cs == 0 && r)
            for (int64_t j = 0; j < n1 - n0; j++) row[j] = s * b[0] + r[j];
        else if (e->bias_cs == 0)
            for (int64_t j = 0; j < n1 - n0; j++) row[j] = s * b[0];
        else
            for (int64_t j = 0; j < n1 - n0; j++) row[j] = s * b[j * e->bias_cs] + (r ? r[j] : 0.0f);
    }
}

static void sgemm_block(const sgemm_job *j, int64_t m0, int64_t m1, int64_t n0,
                        int64_t n1)
{
    if (m1 <= m0 || n1 <= n0)
        return;
    const vd_nn_gemm_epi *e = j->epi;
    const float *a = j->ta ? j->a + m0 : j->a + m0 * j->lda;
    const float *b = j->tb ? j->b + n0 * j->ldb : j->b + n0;
    float *c = j->c + m0 * j->ldc + n0;
    float beta = e && (e->bias || e->add || e->accumulate) ? 1.0f : 0.0f;
    if (beta != 0.0f && !e->accumulate)
        bias_fill(e, j->c, j->ldc, m0, m1, n0, n1);
    if (j->k == 0) {
        for (int64_t i = m0; i < m1 && beta == 0.0f; i++)
            memset(j->c + i * j->ldc + n0, 0, (size_t)(n1 - n0) * sizeof(float));
    } else if (m1 - m0 == 1) {
        /* one row of C (a classifier head): sgemv, sgemm is slow at m = 1 */
        cblas_sgemv(CblasRowMajor, j->tb ? CblasNoTrans : CblasTrans,
                    (blasint)(j->tb ? n1 - n0 : j->k), (blasint)(j->tb ? j->k : n1 - n0),
                    j->alpha, b, (blasint)j->ldb, a, (blasint)(j->ta ? j->lda : 1), beta, c,
                    1);
    } else {
        cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
                    j->tb ? CblasTrans : CblasNoTrans, (blasint)(m1 - m0),
                    (blasint)(n1 - n0), (blasint)j->k, j->alpha, a, (blasint)j->lda, b,
                    (blasint)j->ldb, beta, c, (blasint)j->ldc);
    }
    if (e && e->act && e->act->kind != VD_NN_ACT_NONE)
        for (int64_t i = m0; i < m1; i++)
            vd_nn_act_apply(e->act, j->c + i * j->ldc + n0, n1 - n0);
}

static void sgemm_range(void *arg, int64_t begin, int64_t end)
{
    const sgemm_job *j = arg;
    int64_t total = j->by_cols ? j->n : j->m;
    for (int64_t t = begin; t < end; t++) {
        int64_t lo = total * t / j->nblk, hi = total * (t + 1) / j->nblk;
        if (j->by_cols)
            sgemm_block(j, 0, j->m, lo, hi);
        else
            sgemm_block(j, lo, hi, 0, j->n);
    }
}

void vd_nn_sgemm(vd_nn_ctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n,
                 int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float *c, int64_t ldc,
                 const vd_nn_gemm_epi *epi)
{
    sgemm_job j = {trans_a, trans_b, m, n, k, lda, ldb, ldc, alpha, a, b, c, epi, 1, 1};
    int threads = ctx ? vd_nn_ctx_threads(ctx) : 1;
    /* Below ~64k multiply-adds a second worker costs more than it saves. */
    if (threads <= 1 || m * n * (k ? k : 1) < 65536) {
        sgemm_block(&j, 0, m, 0, n);
        return;
    }
    /* Column blocks of >= 64 keep sgemm efficient; else split the rows. */
    if (n >= 64 * threads || n >= m) {
        j.by_cols = 1;
        j.nblk = n / 32 < threads ? (n / 32 > 0 ? n / 32 : 1) : threads;
    } else {
        j.by_cols = 0;
        j.nblk = m / 8 < threads ? (m / 8 > 0 ? m / 8 : 1) : threads;
    }
    vd_nn_parallel_for(ctx, j.nblk, 1, sgemm_range, &j);
}
