/* conv_pw.c -- a direct 1x1 conv (stride 1, unpadded, one group) for
 * layers with few input channels, where sgemm loses: with K = C_in of
 * 16 to 64, OpenBLAS packs both operands for a product that has only K
 * multiply-adds per output, and C makes three trips (bias fill, the
 * product with beta = 1, the activation). MobileNetV3's 16 -> 64 over
 * 256x256 and YOLOv8n's 32 -> 32 over 160x160 ran at half onnxruntime's
 * speed that way.
 *
 * Here a 4-channel x 24-column tile of Y lives in twelve 8-lane
 * accumulators that start from bias + residual: each input channel adds
 * three contiguous loads of X times four broadcast weights, and the tile
 * is stored once, Relu applied in registers (other activations run on a
 * chunk of 192 columns of every channel while it is in L1). X is read in
 * place through a table of channel rows, so a fused Concat (node->n_cat)
 * costs nothing: its parts are just rows of the table. */
#include <stdint.h>
#include <string.h>

#include "conv_kernels.h"

#define PW_MR 4          /* output channels per tile */
#define PW_NR 24         /* output columns per tile */
#define PW_NC 192        /* columns per work item (8 tiles) at most */
#define PW_XP_FLOATS 6144 /* a work item's packed X: 24 KiB, within L1 */


/* see conv_kernels.h: no 32-byte vector crosses a call */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef vd_nn_v8 v8;
typedef vd_nn_v8i v8i;

int vd_nn_pw_fits(int64_t cin, int64_t cout, int64_t cols)
{
    return cin >= 1 && cin <= VD_NN_PW_CIN_MAX && cout >= 8 && cols >= PW_NR;
}

/* Channels [oc, oc + MR) of 24 outputs at column col: x[k] + col is
 * input channel k's first column; y (ys apart per channel) and add (as
 * apart, its first radd rows only) where the tile goes. */
static inline __attribute__((always_inline)) void
pw_tile(const vd_nn_pw *a, int64_t oc, const float *const *x, int64_t col, float *y,
        int64_t ys, const float *add, int64_t as, int64_t radd, int relu, int MR)
{
    int64_t K = a->cin;
    const float *w = a->w + oc * K;
    v8 acc[PW_MR][3];
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) {
        v8 b = {0};
        if (a->bias)
            b += a->bias[oc + r];
#pragma GCC unroll 3
        for (int v = 0; v < 3; v++)
            acc[r][v] = add && r < radd ? b + vd_nn_v8_load(add + r * as + 8 * v) : b;
    }
    for (int64_t k = 0; k < K; k++) {
        const float *p = x[k] + col;
        v8 x0 = vd_nn_v8_load(p), x1 = vd_nn_v8_load(p + 8), x2 = vd_nn_v8_load(p + 16);
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
            float wk = w[r * K + k];
            acc[r][0] += wk * x0;
            acc[r][1] += wk * x1;
            acc[r][2] += wk * x2;
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < 3; v++) {
            v8 o = acc[r][v];
            if (relu)
                o = (v8)((v8i)o & (o > 0));
            vd_nn_v8_store(y + r * ys + 8 * v, o);
        }
}

/* pw_tile for mr = 1 .. PW_MR channels, each count compiled apart. */
static inline __attribute__((always_inline)) void
pw_tile_mr(const vd_nn_pw *a, int64_t oc, const float *const *x, int64_t col, float *y,
           int64_t ys, const float *add, int64_t as, int64_t radd, int relu, int64_t mr)
{
    switch (mr) {
    case 4: pw_tile(a, oc, x, col, y, ys, add, as, radd, relu, 4); break;
    case 3: pw_tile(a, oc, x, col, y, ys, add, as, radd, relu, 3); break;
    case 2: pw_tile(a, oc, x, col, y, ys, add, as, radd, relu, 2); break;
    default: pw_tile(a, oc, x, col, y, ys, add, as, radd, relu, 1); break;
    }
}

/* The channel rows of image nb: the parts of a fused Concat in order. */
static void pw_rows(const vd_nn_pw *a, int64_t nb, const float **x)
{
    for (int q = 0, k = 0; q < a->n_parts; q++)
        for (int64_t c = 0; c < a->part_c[q]; c++, k++)
            x[k] = a->parts[q] + (nb * a->part_c[q] + c) * a->cols;
}

/* Columns [c0, c1) of image nb (at most the chunk width), every output
 * channel. X's columns are first packed into xp, K rows of the chunk's
 * width rounded up to whole tiles (zeros past c1): X's channel planes are
 * often a power of two apart (256x256 floats), and reading 16 of them
 * side by side thrashed one L1 and L2 set (2.3x slower). Then channel
 * blocks outer, tiles inner, so each row of Y is written in one run. A
 * tile past c1 goes through a small scratch. */
VD_NN_CLONES VD_NN_HOT static void pw_chunk(const vd_nn_pw *a, const float *const *x,
                                            int64_t nb, int64_t c0, int64_t c1, float *xp)
{
    int64_t K = a->cin, cols = a->cols, m = a->cout, n = c1 - c0;
    int64_t nw = (n + PW_NR - 1) / PW_NR * PW_NR, full = n / PW_NR * PW_NR;
    int relu = a->act && a->act->kind == VD_NN_ACT_RELU;
    float *y = a->y + nb * m * cols + c0;
    const float *add = a->add ? a->add + nb * a->add_c * cols + c0 : NULL;
    const float *xr[VD_NN_PW_CIN_MAX];
    for (int64_t k = 0; k < K; k++) {
        memcpy(xp + k * nw, x[k] + c0, (size_t)n * sizeof(float));
        memset(xp + k * nw + n, 0, (size_t)(nw - n) * sizeof(float));
        xr[k] = xp + k * nw;
    }
    for (int64_t oc = 0; oc < m; oc += PW_MR) {
        int64_t mr = m - oc < PW_MR ? m - oc : PW_MR, radd = add ? a->add_c - oc : 0;
        float *yo = y + oc * cols;
        const float *ao = radd > 0 ? add + oc * cols : NULL;
        for (int64_t c = 0; c < full; c += PW_NR)
            pw_tile_mr(a, oc, xr, c, yo + c, cols, ao ? ao + c : NULL, cols, radd, relu, mr);
        if (full < n) {
            float ty[PW_MR * PW_NR], ta[PW_MR * PW_NR];
            for (int64_t r = 0; ao && r < mr && r < radd; r++)
                memcpy(ta + r * PW_NR, ao + r * cols + full, (size_t)(n - full) * sizeof(float));
            pw_tile_mr(a, oc, xr, full, ty, PW_NR, ao ? ta : NULL, PW_NR, radd, relu, mr);
            for (int64_t r = 0; r < mr; r++)
                memcpy(yo + r * cols + full, ty + r * PW_NR, (size_t)(n - full) * sizeof(float));
        }
        for (int64_t r = 0; r < mr && a->act && a->act->kind != VD_NN_ACT_NONE && !relu; r++)
            vd_nn_act_apply(a->act, yo + r * cols, n);
    }
}

typedef struct pw_job {
    const vd_nn_pw *a;
    int64_t nc, chunks; /* columns per chunk, chunks per image */
} pw_job;

static void pw_range(void *arg, int64_t begin, int64_t end)
{
    const pw_job *j = arg;
    const vd_nn_pw *a = j->a;
    const float *x[VD_NN_PW_CIN_MAX];
    float xp[PW_XP_FLOATS];
    int64_t cur = -1;
    for (int64_t t = begin; t < end; t++) {
        int64_t nb = t / j->chunks, ch = t % j->chunks;
        if (nb != cur)
            pw_rows(a, cur = nb, x);
        int64_t c0 = ch * j->nc, c1 = c0 + j->nc < a->cols ? c0 + j->nc : a->cols;
        pw_chunk(a, x, nb, c0, c1, xp);
    }
}

void vd_nn_pw_run(vd_nn_ctx *ctx, const vd_nn_pw *a)
{
    int64_t nc = PW_XP_FLOATS / a->cin / PW_NR * PW_NR;
    nc = nc < PW_NC ? nc : PW_NC;
    pw_job j = {a, nc, (a->cols + nc - 1) / nc};
    vd_nn_parallel_for(ctx, a->batch * j.chunks, 1, pw_range, &j);
}
