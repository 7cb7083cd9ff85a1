/* conv_dw.c -- depthwise Conv: one input channel per output channel
 * (group == C_in, channel multiplier M/C_in >= 1), 1-D to 3-D.
 *
 * A direct loop, not im2col + sgemm: with one input channel there is no
 * reduction to block, so the kernel is the 9 or 25 multiply-adds per output
 * that gcc vectorises over output width. Work items are whole output
 * planes (image, channel). */
#include <string.h>

#include "heavy.h"

/* y[i] += sum over kh < KH, kw < K of wk[kh][kw] * x[kh*rs + i*s + kw*dil];
 * inlined with constant KH, K and s so the taps unroll into registers and
 * the i loop vectorises. */
static inline __attribute__((always_inline)) VD_NN_HOT void
dw_taps(float *restrict y, const float *restrict x, int64_t rs, const float *restrict wk,
        int KH, int K, int64_t s, int64_t dil, int64_t n)
{
    float w[25];
    for (int k = 0; k < KH * K; k++)
        w[k] = wk[k];
    for (int64_t i = 0; i < n; i++) {
        float acc = y[i];
#pragma GCC unroll 8
        for (int kh = 0; kh < KH; kh++)
#pragma GCC unroll 8
            for (int k = 0; k < K; k++)
                acc += w[kh * K + k] * x[kh * rs + i * s + k * dil];
        y[i] = acc;
    }
}

/* Interior columns of one output row: kh_n kernel rows (1, or all K when
 * every row is inside the input) at input row stride rs. */
VD_NN_CLONES VD_NN_HOT static void dw_interior(float *restrict y, const float *restrict x,
                                              int64_t rs, const float *restrict wk,
                                              int64_t kh_n, int64_t kw, int64_t s,
                                              int64_t dil, int64_t n)
{
    if (dil == 1 && kh_n == 3 && kw == 3 && s == 1) dw_taps(y, x, rs, wk, 3, 3, 1, 1, n);
    else if (dil == 1 && kh_n == 3 && kw == 3 && s == 2) dw_taps(y, x, rs, wk, 3, 3, 2, 1, n);
    else if (dil == 1 && kh_n == 5 && kw == 5 && s == 1) dw_taps(y, x, rs, wk, 5, 5, 1, 1, n);
    else if (dil == 1 && kh_n == 5 && kw == 5 && s == 2) dw_taps(y, x, rs, wk, 5, 5, 2, 1, n);
    else if (dil == 1 && kh_n == 1 && kw == 3 && s == 1) dw_taps(y, x, rs, wk, 1, 3, 1, 1, n);
    else if (dil == 1 && kh_n == 1 && kw == 3 && s == 2) dw_taps(y, x, rs, wk, 1, 3, 2, 1, n);
    else
        for (int64_t kh = 0; kh < kh_n; kh++)
            for (int64_t k = 0; k < kw; k++)
                dw_taps(y, x + kh * rs + k * dil, 0, wk + kh * kw + k, 1, 1, s, 1, n);
}

/* Output columns [lo, hi) have every kernel tap inside the input row. */
typedef struct dw_cols {
    int64_t lo, hi;
} dw_cols;

static dw_cols dw_interior_cols(const vd_nn_geom *g)
{
    dw_cols c = {0, g->out[2]};
    for (int64_t k = 0; k < g->k[2]; k++) {
        int64_t l, h;
        vd_nn_tap_range(k * g->d[2] - g->pb[2], g->s[2], g->out[2], g->in[2], &l, &h);
        c.lo = l > c.lo ? l : c.lo;
        c.hi = h < c.hi ? h : c.hi;
    }
    if (c.hi <= c.lo)
        c.lo = c.hi = 0;
    return c;
}

/* One output row += kh_n kernel rows (from wk) over input rows starting
 * at xrow, rs apart. */
static void dw_row(const vd_nn_geom *g, dw_cols c, float *yrow, const float *xrow,
                   int64_t rs, const float *wk, int64_t kh_n)
{
    int64_t OW = g->out[2], W = g->in[2], s = g->s[2], dl = g->d[2], K = g->k[2];
    if (c.hi > c.lo)
        dw_interior(yrow + c.lo, xrow + c.lo * s - g->pb[2], rs, wk, kh_n, K, s, dl,
                    c.hi - c.lo);
    /* Border columns, where some taps fall into the padding. */
    for (int64_t o = 0; o < OW; o++) {
        if (o == c.lo && c.hi > c.lo)
            o = c.hi;
        if (o >= OW)
            break;
        float acc = 0;
        for (int64_t kh = 0; kh < kh_n; kh++)
            for (int64_t k = 0; k < K; k++) {
                int64_t iw = o * s - g->pb[2] + k * dl;
                if (iw >= 0 && iw < W)
                    acc += wk[kh * K + k] * xrow[kh * rs + iw];
            }
        yrow[o] += acc;
    }
}

/* Small 2-D planes: copy into a zero-padded scratch plane first, so every
 * output row is one fused pass with no border columns. */
#define DW_PAD_MAX 4608

static int dw_padded_size(const vd_nn_geom *g, int64_t *hp, int64_t *wp)
{
    *hp = (g->out[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
    *wp = (g->out[2] - 1) * g->s[2] + (g->k[2] - 1) * g->d[2] + 1;
    return g->k[0] == 1 && g->in[0] == 1 && *hp * *wp <= DW_PAD_MAX;
}

/* The hp x wp window extent of a 2-D plane x with its zero padding: row r,
 * column c of xp is x[r - pb1][c - pb2], or 0 outside the input. */
void vd_nn_pad_plane(const vd_nn_geom *g, int64_t hp, int64_t wp, const float *x,
                      float *xp)
{
    int64_t H = g->in[1], W = g->in[2];
    /* input columns [c0, c1) land at padded columns [c0 + pb, c1 + pb) */
    int64_t pl = g->pb[2], c0 = pl < 0 ? -pl : 0, c1 = wp - pl < W ? wp - pl : W;
    memset(xp, 0, (size_t)(hp * wp) * sizeof(float));
    for (int64_t r = 0; r < hp; r++) {
        int64_t ih = r - g->pb[1];
        if (ih >= 0 && ih < H && c1 > c0)
            memcpy(xp + r * wp + c0 + pl, x + ih * W + c0, (size_t)(c1 - c0) * sizeof(float));
    }
}

VD_NN_HOT static void dw_plane_padded(const vd_nn_geom *g, int64_t hp, int64_t wp, const float *x,
                            const float *w, float bias, float *y)
{
    float xp[DW_PAD_MAX];
    int64_t OH = g->out[1], OW = g->out[2];
    vd_nn_pad_plane(g, hp, wp, x, xp);
    for (int64_t i = 0; i < OH * OW; i++)
        y[i] = bias;
    for (int64_t oh = 0; oh < OH; oh++)
        dw_interior(y + oh * OW, xp + oh * g->s[1] * wp, g->d[1] * wp, w, g->k[1], g->k[2],
                    g->s[2], g->d[2], OW);
}

VD_NN_HOT static void dw_plane(const vd_nn_geom *g, dw_cols c, const float *x, const float *w,
                     float bias, float *y)
{
    int64_t hp, wp;
    if (dw_padded_size(g, &hp, &wp)) {
        dw_plane_padded(g, hp, wp, x, w, bias, y);
        return;
    }
    int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2];
    int64_t D = g->in[0], H = g->in[1], W = g->in[2], KH = g->k[1];
    for (int64_t i = 0; i < OD * OH * OW; i++)
        y[i] = bias;
    for (int64_t od = 0; od < OD; od++)
        for (int64_t kd = 0; kd < g->k[0]; kd++) {
            int64_t id = od * g->s[0] - g->pb[0] + kd * g->d[0];
            if (id < 0 || id >= D)
                continue;
            const float *xd = x + id * H * W, *wd = w + kd * KH * g->k[2];
            for (int64_t oh = 0; oh < OH; oh++) {
                float *yrow = y + (od * OH + oh) * OW;
                int64_t ih0 = oh * g->s[1] - g->pb[1];
                if (ih0 >= 0 && ih0 + (KH - 1) * g->d[1] < H) {
                    /* all kernel rows inside: one fused pass */
                    dw_row(g, c, yrow, xd + ih0 * W, g->d[1] * W, wd, KH);
                    continue;
                }
                for (int64_t kh = 0; kh < KH; kh++) {
                    int64_t ih = ih0 + kh * g->d[1];
                    if (ih >= 0 && ih < H)
                        dw_row(g, c, yrow, xd + ih * W, 0, wd + kh * g->k[2], 1);
                }
            }
        }
}

VD_NN_HOT static void add_to(float *restrict y, const float *restrict r, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] += r[i];
}

static void dw_range(void *arg, int64_t begin, int64_t end)
{
    const vd_nn_dw *a = arg;
    const vd_nn_geom *g = a->g;
    int64_t mult = a->m / a->c, insp = g->in[0] * g->in[1] * g->in[2];
    int64_t outsp = g->out[0] * g->out[1] * g->out[2], ksz = g->k[0] * g->k[1] * g->k[2];
    dw_cols c = dw_interior_cols(g);
    for (int64_t t = begin; t < end; t++) {
        int64_t nb = t / a->m, co = t % a->m, ci = co / mult;
        float *y = a->y + t * outsp;
        dw_plane(g, c, a->x + (nb * a->c + ci) * insp, a->w + co * ksz,
                 a->bias ? a->bias[co] : 0.0f, y);
        if (a->add)
            add_to(y, a->add + t * outsp, outsp);
        vd_nn_act_apply(a->act, y, outsp);
    }
}

void vd_nn_dw_run(vd_nn_ctx *ctx, const vd_nn_dw *a)
{
    const vd_nn_geom *g = a->g;
    int64_t outsp = g->out[0] * g->out[1] * g->out[2];
    vd_nn_parallel_for(ctx, a->batch * a->m, 16384 / outsp + 1, dw_range, (void *)a);
}
