/* sgemm.h -- the parallel sgemm driver every matrix-product kernel uses
 * (Conv's im2col and 1x1 paths, Winograd, Gemm, MatMul), with the
 * epilogue (bias, residual, fused activation) applied per block while the
 * block is in cache. Internal to vision/nn/ops; implemented in sgemm.c. */
#ifndef VD_NN_OPS_SGEMM_H
#define VD_NN_OPS_SGEMM_H

#include "vision/nn/graph.h"

/* C(m,n) = alpha * op(A) op(B) + bias_scale * bias[m*bias_rs + n*bias_cs]
 * (+ add[m*ldc + n]), then act, computed block by block so the epilogue runs while the block
 * is in cache. bias may be NULL, act may be NULL. */
typedef struct vd_nn_gemm_epi {
    const float *bias;
    int64_t bias_rs, bias_cs;
    float bias_scale;
    const vd_nn_act *act;
    /* Optional residual, laid out like C (same origin and ldc): added to
     * C before act. */
    const float *add;
    /* Rows of C that have a residual row (0: all); rows past it get none
     * (a residual zero-padded in channels, its zeros never stored). */
    int64_t add_rows;
    /* C already holds a partial product (the earlier parts of a split K):
     * add to it; bias and add must then be NULL. */
    int accumulate;
} vd_nn_gemm_epi;

/* Row-major sgemm (C is overwritten) split over ctx's workers by column or row
 * blocks; ctx == NULL runs it on the calling thread only (use that inside
 * an already-parallel region). */
void vd_nn_sgemm(vd_nn_ctx *ctx, int trans_a, int trans_b, int64_t m, int64_t n,
                 int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float *c, int64_t ldc,
                 const vd_nn_gemm_epi *epi);

#endif
