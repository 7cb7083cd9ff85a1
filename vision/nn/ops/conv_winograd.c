/* conv_winograd.c -- Winograd F(2x2, 3x3) for 2-D Conv with a 3x3
 * kernel, stride 1, dilation 1, one group (conv_kernels.h vd_nn_wino).
 *
 * Each 2x2 output tile is A^T [ (G g G^T) .* (B^T d B) ] A: the weights
 * become 16 matrices U[k] (C_out x C_in), the input's 4x4 tiles 16
 * matrices V[k] (C_in x tiles), and the conv is 16 sgemms M[k] = U[k] V[k]
 * (2.25x fewer multiplies than im2col's one sgemm). The design choice: a
 * work item is a block of whole tile ROWS of one image, so after its
 * inverse transform the block's output rows are complete and bias,
 * residual and the fused activation run on one contiguous span per
 * channel with the same helper (vd_nn_act_apply) as the im2col path. The
 * weights are transformed on every run into the workspace (kernels never
 * see initializers at load time): ~16 C_in C_out stores against the conv's
 * 16 C_in C_out tiles multiply-adds. F(2x2) rather than F(4x4): its
 * transforms only add and halve, so the error stays at im2col's level
 * (whole-model tests vs onnxruntime: worst err/tol 0.003). */
#include <string.h>

#include "conv_kernels.h"
#include "sgemm.h"

/* Total scratch of the tile blocks (shared by the worker slots) and the
 * target per block. Measured: 2 MiB blocks (wide sgemm panels, N of a
 * few hundred tiles) beat L2-sized 64-384 KiB blocks by 10-20%. */
#define WINO_WS_BYTES (4 << 20)
#define WINO_BLOCK_BYTES (2 << 20)

/* Below these channel counts the 16 sgemms with K = C_in lose to one
 * im2col sgemm with K = 9 C_in (measured per conv shape: 16-32 channels
 * 1.0-1.7x slower, 48-128 channels 0.75-0.9x; bench/results/nn-perf.md). */
#define WINO_MIN_CIN 48
#define WINO_MIN_COUT 48

int vd_nn_wino_worth(int64_t cin, int64_t cout, int64_t oh, int64_t ow)
{
    return cin >= WINO_MIN_CIN && cout >= WINO_MIN_COUT && oh >= 2 && ow >= 2;
}

static int64_t tiles_w(const vd_nn_wino *a)
{
    return (a->ow + 1) / 2;
}

/* Floats of one tile row's share of a block's V and M. */
static int64_t row_floats(const vd_nn_wino *a)
{
    return 16 * (a->cin + a->cout) * tiles_w(a);
}

static int64_t rowbuf_floats(const vd_nn_wino *a)
{
    /* wino_block's d and t (4 rows of 2 * tiles_w + 4 each) and o (2 rows) */
    return 10 * (2 * tiles_w(a) + 4);
}

static int64_t u_floats(const vd_nn_wino *a)
{
    return (16 * a->cout * a->cin + 15) / 16 * 16;
}

static int64_t blocks_floats(const vd_nn_wino *a)
{
    int64_t f = (int64_t)(WINO_WS_BYTES / sizeof(float));
    int64_t one = row_floats(a) + rowbuf_floats(a);
    return f < 2 * one ? 2 * one : f;
}

size_t vd_nn_wino_workspace(const vd_nn_wino *a)
{
    return (size_t)(u_floats(a) + blocks_floats(a)) * sizeof(float);
}

/* G g G^T for a chunk of n <= WINO_WCHUNK input channels: g is tg[tap][ci]
 * (taps transposed so every line vectorises over ci), u row k at
 * u + k * cc. */
#define WINO_WCHUNK 64
VD_NN_CLONES VD_NN_HOT static void wino_weights_chunk(const float (*restrict tg)[WINO_WCHUNK],
                                                     int64_t n, float *restrict u,
                                                     int64_t cc)
{
    float t[4][3][WINO_WCHUNK];
    for (int j = 0; j < 3; j++)
        for (int64_t c = 0; c < n; c++) {
            float g0 = tg[j][c], g1 = tg[3 + j][c], g2 = tg[6 + j][c];
            t[0][j][c] = g0;
            t[1][j][c] = 0.5f * (g0 + g1 + g2);
            t[2][j][c] = 0.5f * (g0 - g1 + g2);
            t[3][j][c] = g2;
        }
    for (int i = 0; i < 4; i++) {
        float *u0 = u + i * 4 * cc, *u1 = u0 + cc, *u2 = u1 + cc, *u3 = u2 + cc;
        for (int64_t c = 0; c < n; c++) {
            float a0 = t[i][0][c], a1 = t[i][1][c], a2 = t[i][2][c];
            u0[c] = a0;
            u1[c] = 0.5f * (a0 + a1 + a2);
            u2[c] = 0.5f * (a0 - a1 + a2);
            u3[c] = a2;
        }
    }
}

/* U[k][co][ci] = (G g G^T)[k] for output channels [begin, end). */
typedef struct wino_wjob {
    const vd_nn_wino *a;
    float *u;
} wino_wjob;

static void wino_weights_range(void *arg, int64_t begin, int64_t end)
{
    const wino_wjob *j = arg;
    const vd_nn_wino *a = j->a;
    int64_t cc = a->cout * a->cin;
    float tg[9][WINO_WCHUNK];
    for (int64_t co = begin; co < end; co++)
        for (int64_t c0 = 0; c0 < a->cin; c0 += WINO_WCHUNK) {
            int64_t n = a->cin - c0 < WINO_WCHUNK ? a->cin - c0 : WINO_WCHUNK;
            const float *g = a->w + (co * a->cin + c0) * 9;
            for (int64_t c = 0; c < n; c++)
                for (int j = 0; j < 9; j++)
                    tg[j][c] = g[c * 9 + j];
            wino_weights_chunk((const float (*)[WINO_WCHUNK])tg, n,
                               j->u + co * a->cin + c0, cc);
        }
}

/* Input rows 2*th - pt + i (i < 4) of plane x, zero-padded to columns
 * [-pl, -pl + wb): d is 4 rows of wb floats. */
static void wino_load_rows(const vd_nn_wino *a, const float *x, int64_t th, int64_t wb,
                           float *d)
{
    int64_t c0 = a->pl < wb ? a->pl : wb;
    int64_t c1 = a->w_in + a->pl < wb ? a->w_in + a->pl : wb;
    for (int i = 0; i < 4; i++) {
        int64_t ih = 2 * th - a->pt + i;
        float *r = d + i * wb;
        if (ih < 0 || ih >= a->h || c1 <= c0) {
            memset(r, 0, (size_t)wb * sizeof(float));
            continue;
        }
        memset(r, 0, (size_t)c0 * sizeof(float));
        memcpy(r + c0, x + ih * a->w_in, (size_t)(c1 - c0) * sizeof(float));
        memset(r + c1, 0, (size_t)(wb - c1) * sizeof(float));
    }
}

/* B^T d B of one tile row: d (4 rows of wb) -> v[k * vs + tw], tw < tw_n. */
VD_NN_CLONES VD_NN_HOT static void wino_in_row(const float *restrict d, int64_t wb,
                                              int64_t tw_n, float *restrict t,
                                              float *restrict v, int64_t vs)
{
    const float *d0 = d, *d1 = d + wb, *d2 = d + 2 * wb, *d3 = d + 3 * wb;
    float *t0 = t, *t1 = t + wb, *t2 = t + 2 * wb, *t3 = t + 3 * wb;
    for (int64_t c = 0; c < wb; c++) {
        t0[c] = d0[c] - d2[c];
        t1[c] = d1[c] + d2[c];
        t2[c] = d2[c] - d1[c];
        t3[c] = d1[c] - d3[c];
    }
    for (int i = 0; i < 4; i++) {
        const float *ti = t + i * wb;
        float *v0 = v + (i * 4) * vs, *v1 = v0 + vs, *v2 = v1 + vs, *v3 = v2 + vs;
        for (int64_t tw = 0; tw < tw_n; tw++) {
            float a0 = ti[2 * tw], a1 = ti[2 * tw + 1], a2 = ti[2 * tw + 2],
                  a3 = ti[2 * tw + 3];
            v0[tw] = a0 - a2;
            v1[tw] = a1 + a2;
            v2[tw] = a2 - a1;
            v3[tw] = a1 - a3;
        }
    }
}

/* A^T m A of one tile row of one channel: m[k * ms + tw] -> two output
 * rows o (2 rows of 2 * tw_n). */
VD_NN_CLONES VD_NN_HOT static void wino_out_row(const float *restrict m, int64_t ms,
                                               int64_t tw_n, float *restrict o)
{
    float *o0 = o, *o1 = o + 2 * tw_n;
    for (int64_t tw = 0; tw < tw_n; tw++) {
        float s[2][4];
        for (int j = 0; j < 4; j++) {
            float m0 = m[j * ms + tw], m1 = m[(4 + j) * ms + tw];
            float m2 = m[(8 + j) * ms + tw], m3 = m[(12 + j) * ms + tw];
            s[0][j] = m0 + m1 + m2;
            s[1][j] = m1 - m2 - m3;
        }
        o0[2 * tw] = s[0][0] + s[0][1] + s[0][2];
        o0[2 * tw + 1] = s[0][1] - s[0][2] - s[0][3];
        o1[2 * tw] = s[1][0] + s[1][1] + s[1][2];
        o1[2 * tw + 1] = s[1][1] - s[1][2] - s[1][3];
    }
}

/* y = o + bias (+ r) over n floats. */
VD_NN_HOT static void wino_store(float *restrict y, const float *restrict o, float bias,
                                 const float *restrict r, int64_t n)
{
    if (r) {
        for (int64_t i = 0; i < n; i++)
            y[i] = o[i] + bias + r[i];
    } else {
        for (int64_t i = 0; i < n; i++)
            y[i] = o[i] + bias;
    }
}

typedef struct wino_plan {
    const vd_nn_wino *a;
    int64_t nslice, slice_floats, rows_per_block, nblocks, items;
    float *blocks;
} wino_plan;

/* One block: image nb, tile rows [r0, r1), scratch s. */
static void wino_block(const wino_plan *p, int64_t nb, int64_t r0, int64_t r1, float *s)
{
    const vd_nn_wino *a = p->a;
    int64_t tw_n = tiles_w(a), nt = (r1 - r0) * tw_n, wb = 2 * tw_n + 4;
    int64_t oplane = a->oh * a->ow, iplane = a->h * a->w_in;
    float *v = s, *m = v + 16 * a->cin * nt, *d = m + 16 * a->cout * nt;
    float *t = d + 4 * wb, *o = t + 4 * wb;
    for (int64_t ci = 0; ci < a->cin; ci++) {
        const float *x = a->x + (nb * a->cin + ci) * iplane;
        for (int64_t th = r0; th < r1; th++) {
            wino_load_rows(a, x, th, wb, d);
            wino_in_row(d, wb, tw_n, t, v + ci * nt + (th - r0) * tw_n, a->cin * nt);
        }
    }
    for (int k = 0; k < 16; k++)
        vd_nn_sgemm(NULL, 0, 0, a->cout, nt, a->cin, 1.0f, a->u + k * a->cout * a->cin,
                    a->cin, v + k * a->cin * nt, nt, m + k * a->cout * nt, nt, NULL);
    int64_t oh0 = 2 * r0, oh1 = 2 * r1 < a->oh ? 2 * r1 : a->oh;
    for (int64_t co = 0; co < a->cout; co++) {
        int64_t yo = (nb * a->cout + co) * oplane;
        float bias = a->bias ? a->bias[co] : 0.0f;
        for (int64_t th = r0; th < r1; th++) {
            wino_out_row(m + co * nt + (th - r0) * tw_n, a->cout * nt, tw_n, o);
            for (int64_t r = 0; r < 2 && 2 * th + r < a->oh; r++) {
                int64_t at = yo + (2 * th + r) * a->ow;
                wino_store(a->y + at, o + r * 2 * tw_n, bias, a->add ? a->add + at : NULL,
                           a->ow);
            }
        }
        vd_nn_act_apply(a->act, a->y + yo + oh0 * a->ow, (oh1 - oh0) * a->ow);
    }
}

static void wino_slots_range(void *arg, int64_t begin, int64_t end)
{
    const wino_plan *p = arg;
    int64_t th_n = (p->a->oh + 1) / 2;
    for (int64_t sl = begin; sl < end; sl++)
        for (int64_t it = sl; it < p->items; it += p->nslice) {
            int64_t nb = it / p->nblocks, r0 = it % p->nblocks * p->rows_per_block;
            int64_t r1 = r0 + p->rows_per_block < th_n ? r0 + p->rows_per_block : th_n;
            wino_block(p, nb, r0, r1, p->blocks + sl * p->slice_floats);
        }
}

size_t vd_nn_wino_weight_bytes(const vd_nn_wino *a)
{
    return (size_t)u_floats(a) * sizeof(float);
}

void vd_nn_wino_weights(vd_nn_ctx *ctx, const vd_nn_wino *a, float *u)
{
    wino_wjob j = {a, u};
    vd_nn_parallel_for(ctx, a->cout, 1 + 4096 / (a->cin * 16), wino_weights_range, &j);
}

void vd_nn_wino_run(vd_nn_ctx *ctx, vd_nn_wino *a, float *ws)
{
    if (!a->u) {
        vd_nn_wino_weights(ctx, a, ws);
        a->u = ws;
    }
    wino_plan p = {a, vd_nn_ctx_threads(ctx), 0, 0, 0, 0, ws + u_floats(a)};
    int64_t total = blocks_floats(a), one = row_floats(a), th_n = (a->oh + 1) / 2;
    /* each slot's slice holds at least one tile row */
    while (p.nslice > 1 && total / p.nslice < one + rowbuf_floats(a))
        p.nslice--;
    p.slice_floats = total / p.nslice;
    int64_t fit = (p.slice_floats - rowbuf_floats(a)) / one;
    int64_t want = (int64_t)(WINO_BLOCK_BYTES / sizeof(float)) / one;
    want = want < 1 ? 1 : want;
    p.rows_per_block = want < fit ? want : fit;
    p.nblocks = (th_n + p.rows_per_block - 1) / p.rows_per_block;
    /* batch 1: a whole number of blocks per slot */
    if (a->batch < p.nslice * 4)
        while (a->batch * p.nblocks % p.nslice && p.nblocks < th_n)
            p.nblocks++;
    p.rows_per_block = (th_n + p.nblocks - 1) / p.nblocks;
    p.nblocks = (th_n + p.rows_per_block - 1) / p.rows_per_block;
    p.items = a->batch * p.nblocks;
    if (p.nslice > p.items)
        p.nslice = p.items;
    vd_nn_parallel_for(ctx, p.nslice, 1, wino_slots_range, &p);
}
