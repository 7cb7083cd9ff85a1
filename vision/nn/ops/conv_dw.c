/* conv_dw.c -- depthwise Conv: one input channel per output channel
 * (group == C_in, channel multiplier M/C_in >= 1), 1-D to 3-D.
 *
 * 2-D and 1-D planes run in bands of output rows. Each band of the input
 * is copied, zero-padded, into an L1-sized scratch split into stride
 * phases (sub-plane (ph, pw) holds padded rows ph, ph+sh, ... and columns
 * pw, pw+sw, ...). In that layout every kernel tap of every output is a
 * fixed offset from the output's flat index on a grid of the sub-plane
 * width, so the whole band is ONE flat vectorised loop (the few grid
 * columns past the output width are computed and dropped), and bias,
 * residual and activation are fused into the write-out of the band while
 * it is in L1. 3x3 and 5x5 taps without column dilation are unrolled into
 * registers; other kernels accumulate tap by tap. 3-D convs, column
 * strides > 2 and rows too wide for the scratch take the per-row path
 * (dw_plane). */
#include <stdint.h>
#include <string.h>

#include "conv_kernels.h"

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

VD_NN_HOT static void dw_plane(const vd_nn_geom *g, dw_cols c, const float *x, const float *w,
                     float bias, float *y)
{
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

/* ---- band path (2-D and 1-D) ---- */

/* Scratch per band, in floats: the phase sub-planes, and the band's output
 * on the sub-plane-width grid, 24 KiB together, within L1 (plus 16 KiB of
 * whole padded rows for the stride-2 split: 43 KiB of worker stack). */
#define DW_BAND_FLOATS 4096
#define DW_OUT_FLOATS 2048
#define DW_ALIAS_GAP 512
/* Column stride 2: rows with fewer phase columns than this are split into
 * the column phases once per band (per-row loops that short cost more
 * than the copy: 88x16x16 s2 1.5x faster); longer rows are split as they
 * are copied (one pass, 15% faster at 28x64x64). */
#define DW_SPLIT_WQ 32

/* Layout of one band's scratch for geometry g. */
typedef struct dw_band {
    int64_t rows;     /* output rows per band */
    int64_t hq, wq;   /* rows and columns of each phase sub-plane */
    int64_t sh, sw;
    int64_t lo[2], hi[2]; /* per column phase: sub-plane columns inside the input */
    int64_t rlo, rhi;     /* padded columns [rlo, rhi) of a row inside the input */
    int split;            /* column stride 2 on short rows: split the band at once */
} dw_band;

/* Plan the bands; 0 when the plane is not 2-D/1-D or one output row does
 * not fit the scratch (the per-row path takes it). */
static int dw_band_plan(const vd_nn_geom *g, dw_band *b)
{
    int64_t OH = g->out[1], OW = g->out[2];
    b->sh = g->s[1];
    b->sw = g->s[2];
    int64_t wp = (OW - 1) * b->sw + (g->k[2] - 1) * g->d[2] + 1;
    b->wq = (wp + b->sw - 1) / b->sw;
    /* hq = rows + extra for a band of `rows` output rows */
    int64_t extra = ((g->k[1] - 1) * g->d[1] + b->sh) / b->sh - 1;
    int64_t rmax = DW_BAND_FLOATS / (b->sh * b->sw * b->wq) - extra;
    rmax = rmax < DW_OUT_FLOATS / b->wq ? rmax : DW_OUT_FLOATS / b->wq;
    if (g->k[0] != 1 || g->in[0] != 1 || g->out[0] != 1 || g->pb[0] || b->sw > 2 ||
        rmax < 1)
        return 0;
    int64_t nb = (OH + rmax - 1) / rmax;
    b->rows = (OH + nb - 1) / nb;
    b->hq = b->rows + extra;
    for (int64_t pw = 0; pw < b->sw; pw++)
        vd_nn_tap_range(pw - g->pb[2], b->sw, b->wq, g->in[2], &b->lo[pw], &b->hi[pw]);
    vd_nn_tap_range(-g->pb[2], 1, b->sw * b->wq, g->in[2], &b->rlo, &b->rhi);
    b->split = b->sw == 2 && b->wq < DW_SPLIT_WQ;
    return 1;
}

/* VD_NN_HOT plus plain loops for the band path: its rows are short (8 to
 * 100 floats), and the memset/memcpy calls gcc would turn the fill and
 * copy loops into cost more than the copy. (A second optimize attribute
 * would replace VD_NN_HOT's, not add to it.) */
#define DW_HOT                                                                     \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic",         \
                            "no-trapping-math", "no-tree-loop-distribute-patterns")))

/* dst[0, n) = src[i * s] for i in [lo, hi), zero elsewhere (n == 0: the
 * zeros are already there, only [lo, hi) is written). */
static inline __attribute__((always_inline)) void
dw_fill_row(float *restrict dst, const float *restrict src, int64_t s, int64_t lo,
            int64_t hi, int64_t n)
{
    for (int64_t i = 0; i < lo && n; i++)
        dst[i] = 0;
    if (s == 1)
        for (int64_t i = lo; i < hi; i++)
            dst[i] = src[i];
    else /* s == 2: a constant stride vectorises */
        for (int64_t i = lo; i < hi; i++)
            dst[i] = src[2 * i];
    for (int64_t i = hi; i < n; i++)
        dst[i] = 0;
}

/* The band whose first output row is r0 into its phase sub-planes q:
 * sub-plane (ph, pw) row lr, column c is padded row r0*sh + lr*sh + ph,
 * padded column c*sw + pw (zero outside the input); sub-planes are stored
 * pw-major, at (pw * sh + ph) * hq * wq. Rows are split into their column
 * phases as they are copied, or (b->split) copied whole into p and split
 * by one loop over the band. Every float of the sub-planes is written, so
 * nothing stale is ever read -- except with interior_only, which copies
 * only the input's floats over a q (and p) that already hold this same
 * band layout, zeros where they were. */
static inline __attribute__((always_inline)) void
dw_pad_band(const vd_nn_geom *g, const dw_band *b, const float *x, int64_t r0,
            int interior_only, float *restrict q, float *restrict p)
{
    int64_t H = g->in[1], W = g->in[2], plane = b->hq * b->wq, rw = b->sw * b->wq;
    for (int64_t ph = 0; ph < b->sh; ph++)
        for (int64_t lr = 0; lr < b->hq; lr++) {
            int64_t ih = (r0 + lr) * b->sh + ph - g->pb[1];
            const float *src = x + ih * W - g->pb[2];
            int in = ih >= 0 && ih < H;
            if (!in && interior_only)
                continue;
            if (b->split) {
                dw_fill_row(p + (ph * b->hq + lr) * rw, src, 1, in ? b->rlo : 0,
                            in ? b->rhi : 0, interior_only ? 0 : rw);
                continue;
            }
            for (int64_t pw = 0; pw < b->sw; pw++)
                dw_fill_row(q + (pw * b->sh + ph) * plane + lr * b->wq, src + pw, b->sw,
                            in ? b->lo[pw] : 0, in ? b->hi[pw] : 0,
                            interior_only ? 0 : b->wq);
        }
    int64_t n = b->sh * plane;
    if (b->split)
        for (int64_t i = 0; i < n; i++) {
            q[i] = p[2 * i];
            q[n + i] = p[2 * i + 1];
        }
}

/* Offset in q of kernel tap (kh, kw) for output 0 (output i adds i). */
static int64_t dw_tap_off(const vd_nn_geom *g, const dw_band *b, int64_t kh, int64_t kw)
{
    int64_t rh = kh * g->d[1], rw = kw * g->d[2];
    return ((rw % b->sw) * b->sh + rh % b->sh) * b->hq * b->wq + rh / b->sh * b->wq +
           rw / b->sw;
}

/* t[i] = the sum of the KH x KW taps, for i in [0, n); the tap of
 * kernel row kh, column kw is q[ro[kh*SW + kw%SW] + kw/SW + i] (column
 * dilation 1). One partial sum per kernel row keeps the FMA chains short. */
static inline __attribute__((always_inline)) VD_NN_HOT void
dw_flat(float *restrict t, const float *restrict q, const int64_t *ro_in,
        const float *restrict wk, int KH, int KW, int SW, int accumulate, int64_t n)
{
    float w[25];
    int64_t ro[10];
    for (int k = 0; k < KH * KW; k++)
        w[k] = wk[k];
    for (int k = 0; k < KH * SW; k++)
        ro[k] = ro_in[k];
    for (int64_t i = 0; i < n; i++) {
        float acc[5] = {0, 0, 0, 0, 0};
#pragma GCC unroll 8
        for (int kh = 0; kh < KH; kh++)
#pragma GCC unroll 8
            for (int kw = 0; kw < KW; kw++)
                acc[kh] += w[kh * KW + kw] * q[ro[kh * SW + kw % SW] + kw / SW + i];
        float s = acc[0];
#pragma GCC unroll 8
        for (int kh = 1; kh < KH; kh++)
            s += acc[kh];
        t[i] = accumulate ? t[i] + s : s;
    }
}

/* t[i] (+)= w * q[off + i]: one tap, for kernels without a fast path. */
static inline __attribute__((always_inline)) void dw_tap(float *restrict t, const float *restrict q,
                                          int64_t off, float w, int first, int64_t n)
{
    if (first)
        for (int64_t i = 0; i < n; i++)
            t[i] = w * q[off + i];
    else
        for (int64_t i = 0; i < n; i++)
            t[i] += w * q[off + i];
}

/* The band's n grid outputs into t: the 3x3 and 5x5 fast paths (returns
 * 1) or 0 when the kernel has none. */
VD_NN_CLONES VD_NN_HOT static int dw_fast(const vd_nn_geom *g, const dw_band *b, float *t,
                                          const float *q, const float *wk, int64_t n)
{
    int64_t K = g->k[1], SW = b->sw, ro[10];
    if (g->k[2] != K || (K != 3 && K != 5) || g->d[2] != 1)
        return 0;
    for (int64_t kh = 0; kh < K; kh++)
        for (int64_t pw = 0; pw < SW; pw++)
            ro[kh * SW + pw] = dw_tap_off(g, b, kh, pw);
    if (K == 3 && SW == 1) {
        dw_flat(t, q, ro, wk, 3, 3, 1, 0, n);
    } else if (K == 3) {
        dw_flat(t, q, ro, wk, 3, 3, 2, 0, n);
    } else {
        /* 5x5: one pass per kernel row, accumulating in t (in L1). All 25
         * taps in one loop need 25 weight registers: gcc spilled them and
         * the row pointers, one stack load per FMA (192 x 64x64 s1 1.25x,
         * 72 x 128x128 s2 1.1x faster this way; 3x3 per row was slower). */
        for (int64_t kh = 0; kh < 5; kh++)
            if (SW == 1)
                dw_flat(t, q, ro + kh, wk + kh * 5, 1, 5, 1, kh > 0, n);
            else
                dw_flat(t, q, ro + 2 * kh, wk + kh * 5, 1, 5, 2, kh > 0, n);
    }
    return 1;
}

/* y = act(t + bias + add) over rows x ow outputs (t has row stride tw);
 * Relu inline, other activations in a second pass over the band, still
 * in L1. */
static inline __attribute__((always_inline)) void
dw_store(float *restrict y, const float *restrict t, float bias, const float *restrict add,
         int64_t rows, int64_t ow, int64_t tw, const vd_nn_act *act)
{
    int relu = act->kind == VD_NN_ACT_RELU;
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * ow;
        const float *tr = t + r * tw, *ar = add ? add + r * ow : NULL;
        if (ar && relu)
            for (int64_t c = 0; c < ow; c++) {
                float v = tr[c] + bias + ar[c];
                yr[c] = v > 0 ? v : 0;
            }
        else if (ar)
            for (int64_t c = 0; c < ow; c++)
                yr[c] = tr[c] + bias + ar[c];
        else if (relu)
            for (int64_t c = 0; c < ow; c++) {
                float v = tr[c] + bias;
                yr[c] = v > 0 ? v : 0;
            }
        else
            for (int64_t c = 0; c < ow; c++)
                yr[c] = tr[c] + bias;
    }
    if (!relu)
        vd_nn_act_apply(act, y, rows * ow);
}

/* A worker's band scratch: q then t, t half a page past a multiple of
 * 4 KiB from q (at a whole multiple the load q[i] and the store t[i]
 * alias in the low address bits and each iteration waits on the previous
 * store: measured 30% slower). x: the input plane q holds when the plane
 * is one band (the next output channel of a multiplier > 1 reuses it),
 * else NULL; zeroed: q holds the zeros of that single-band layout, so the
 * next plane only copies its input floats. */
typedef struct dw_scratch {
    float buf[DW_BAND_FLOATS + DW_ALIAS_GAP + DW_OUT_FLOATS];
    float rows[DW_BAND_FLOATS]; /* column stride 2: the padded rows before the split */
    const float *x;
    int zeroed;
} dw_scratch;

/* Ask for the input rows the next band will copy (past the plane's end:
 * the next plane's first rows, as planes follow each other) while this
 * band computes: the copy then finds them in cache instead of waiting on
 * memory row by row. */
static inline __attribute__((always_inline)) void
dw_prefetch_next(const vd_nn_geom *g, const dw_band *b, const float *x, int64_t r0)
{
    int64_t W = g->in[2], first = (r0 + b->hq) * b->sh - g->pb[1];
    first = first > 0 ? first : 0;
    uintptr_t p = (uintptr_t)x + (uintptr_t)(first * W) * sizeof(float);
    uintptr_t end = p + (uintptr_t)(b->rows * b->sh * W) * sizeof(float);
    for (; p < end; p += 64)
        __builtin_prefetch((const void *)p, 0, 3);
}

/* One output plane y (residual add or NULL) by bands; the steps above
 * are inlined here so a small plane costs no calls. */
VD_NN_CLONES DW_HOT static void dw_plane_bands(const vd_nn_geom *g, const dw_band *b,
                                               dw_scratch *s, const float *x,
                                               const float *wk, float bias,
                                               const float *add, const vd_nn_act *act,
                                               float *y)
{
    float *q = s->buf, *t = s->buf + DW_BAND_FLOATS + DW_ALIAS_GAP;
    int64_t OH = g->out[1], OW = g->out[2], KW = g->k[2];
    /* stride 2 over several bands: 64x256x256 s2 1.4x faster; stride 1
     * and single-band planes measured no faster */
    int single = b->rows >= OH, pf = !single && b->sh == 2;
    for (int64_t r0 = 0; r0 < OH; r0 += b->rows) {
        int64_t rows = OH - r0 < b->rows ? OH - r0 : b->rows;
        int64_t n = (rows - 1) * b->wq + OW;
        if (!single || s->x != x)
            dw_pad_band(g, b, x, r0, single && s->zeroed, q, s->rows);
        s->x = single ? x : NULL;
        s->zeroed = single;
        if (pf)
            dw_prefetch_next(g, b, x, r0);
        if (!dw_fast(g, b, t, q, wk, n))
            for (int64_t k = 0; k < g->k[1] * KW; k++)
                dw_tap(t, q, dw_tap_off(g, b, k / KW, k % KW), wk[k], k == 0, n);
        dw_store(y + r0 * OW, t, bias, add ? add + r0 * OW : NULL, rows, OW, b->wq, act);
    }
}

static void dw_range(void *arg, int64_t begin, int64_t end)
{
    const vd_nn_conv_args *a = arg;
    const vd_nn_geom *g = a->g;
    int64_t mult = a->cout / a->cin, insp = g->in[0] * g->in[1] * g->in[2];
    int64_t outsp = g->out[0] * g->out[1] * g->out[2], ksz = g->k[0] * g->k[1] * g->k[2];
    dw_band b;
    dw_scratch s;
    s.x = NULL;
    s.zeroed = 0;
    int banded = dw_band_plan(g, &b);
    dw_cols c = dw_interior_cols(g);
    for (int64_t t = begin; t < end; t++) {
        int64_t nb = t / a->cout, co = t % a->cout, ci = co / mult;
        const float *x = a->x + (nb * a->cin + ci) * insp, *add = a->add ? a->add + t * outsp : NULL;
        float *y = a->y + t * outsp, bias = a->bias ? a->bias[co] : 0.0f;
        if (banded) {
            dw_plane_bands(g, &b, &s, x, a->w + co * ksz, bias, add, a->act, y);
            continue;
        }
        dw_plane(g, c, x, a->w + co * ksz, bias, y);
        if (add)
            add_to(y, add, outsp);
        vd_nn_act_apply(a->act, y, outsp);
    }
}

void vd_nn_dw_run(vd_nn_ctx *ctx, const vd_nn_conv_args *a)
{
    const vd_nn_geom *g = a->g;
    int64_t outsp = g->out[0] * g->out[1] * g->out[2];
    vd_nn_parallel_for(ctx, a->batch * a->cout, 16384 / outsp + 1, dw_range, (void *)a);
}
