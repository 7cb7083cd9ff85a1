/* conv_direct.c -- a direct conv for layers with few input channels (an
 * RGB image's first conv), where im2col + sgemm wastes its time, and for
 * wide stride-1 layers with few channels on both sides (YOLOv8n's C2f
 * bottlenecks at 16 channels), where im2col writes and OpenBLAS repacks
 * 9 cin rows per output pixel for only cout <= 32 products each.
 *
 * BlazeFace's first conv (3 -> 24 channels, 5x5, stride 2) is a product
 * with k = 75 and m = 24: im2col writes 75 rows of 64x64 columns (1.2 MB,
 * beyond L2) that OpenBLAS then copies again into its panels. Here the
 * input rows a band of output rows needs are copied once, into a worker's
 * L2-sized scratch, as zero-padded rows split by column phase (even and
 * odd columns for stride 2), so every kernel tap of 16 neighbouring
 * outputs is one contiguous 16-float load at a fixed offset. A 6 x 16
 * tile of Y lives in twelve 8-lane accumulators; each tap loads 16 input
 * floats and broadcasts 6 weights. The tile starts from bias + residual
 * and ends with Relu in registers, so Y is written once; other
 * activations run on each output row while it is in cache. */
#include <stdint.h>
#include <string.h>

#include "conv_kernels.h"

#define CD_MR 6          /* output channels per tile */
#define CD_NR 16         /* output columns per tile */
#define CD_CIN_MAX 32     /* 3x3 layers; wide stride-1 ones: <= 16; any layer: <= 4 */
#define CD_CIN_WIDE 16
#define CD_COUT_3X3 64
#define CD_OW_3X3_S1 96
#define CD_CIN_ANY 4
#define CD_COUT_WIDE 32
#define CD_OW_WIDE 64     /* narrower rows waste too much of the 16-wide tiles */
#define CD_K_MAX 7
#define CD_TAPS_MAX (CD_CIN_MAX * CD_K_MAX * CD_K_MAX)
#define CD_BAND_BYTES (64 << 10) /* a worker's split rows: well within L2 */

/* see conv_kernels.h: no 32-byte vector crosses a call */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef vd_nn_v8 v8;
typedef vd_nn_v8i v8i;

/* A band's phase-split copy: for channel c, padded row r of the band
 * (r = 0 is the band's first output row times sh) and column phase p, a
 * row of wps floats; element i is input column i*sw + p - pl. */
typedef struct cd_layout {
    int64_t rows;               /* output rows per band */
    int64_t hp, sw, wps;        /* padded rows per band, column phases, row length */
    int64_t taps;
    int64_t off[CD_TAPS_MAX];   /* tap (c, ky, kx) -> offset from a tile's base */
} cd_layout;

typedef struct cd_job {
    const vd_nn_conv_args *a;
    const cd_layout *l;
    float *ws;                  /* one band scratch per slot */
    int64_t nslot, bands;       /* bands per image */
    int relu;
} cd_job;

static int64_t cd_round16(int64_t v)
{
    return (v + CD_NR - 1) / CD_NR * CD_NR;
}

static void cd_layout_get(const vd_nn_conv_args *a, cd_layout *l)
{
    const vd_nn_geom *g = a->g;
    int64_t kh = g->k[1], kw = g->k[2], sh = g->s[1], OH = g->out[1];
    l->sw = g->s[2];
    /* every 16-wide tile may read its full width, even past OW */
    l->wps = cd_round16(g->out[2]) + (kw - 1) / l->sw;
    int64_t row_floats = a->cin * l->sw * l->wps;
    int64_t fit = (int64_t)(CD_BAND_BYTES / sizeof(float)) / row_floats;
    l->rows = fit > kh ? (fit - kh) / sh + 1 : 1;
    l->rows = l->rows < OH ? l->rows : OH;
    int64_t nb = (OH + l->rows - 1) / l->rows; /* even bands */
    l->rows = (OH + nb - 1) / nb;
    l->hp = (l->rows - 1) * sh + kh;
    l->taps = a->cin * kh * kw;
    for (int64_t c = 0, t = 0; c < a->cin; c++)
        for (int64_t y = 0; y < kh; y++)
            for (int64_t x = 0; x < kw; x++, t++)
                l->off[t] = ((c * l->hp + y) * l->sw + x % l->sw) * l->wps + x / l->sw;
}

int vd_nn_cdir_fits(const vd_nn_geom *g, int64_t cin, int64_t cout, int64_t group)
{
    if (group != 1 || g->in[0] != 1 || g->k[0] != 1)
        return 0;
    for (int D = 1; D < 3; D++)
        if (g->d[D] != 1 || g->s[D] > 2 || g->k[D] > CD_K_MAX)
            return 0;
    /* a 1x1 stride-1 conv is a plain sgemm already */
    if (g->k[1] * g->k[2] == 1 || g->out[2] < 8)
        return 0;
    if (cin <= CD_CIN_ANY)
        return 1;
    /* Measured per layer against im2col (alternating runs, p50): 16->16
     * 80x80 batch 8 1.4x faster at 1 thread, 8->8 1.25x at 2; 16->16
     * 160x160 even. Slower: 32->32 160x160 (p50 1.4x at 1 thread, 1.2x at
     * 2), cout > 32, rows of 40 and less. */
    if (cin <= CD_CIN_WIDE && cout <= CD_COUT_WIDE && g->s[1] == 1 && g->s[2] == 1 &&
        g->out[2] >= CD_OW_WIDE)
        return 1;
    /* 3x3 with up to 32 channels in and 64 out, stride 1 or 2 (YOLOv8n's
     * 16->32 and 32->64 downsamplings, its 32->32 bottlenecks at 80x80):
     * 1.1-1.6x faster than im2col in the full model, alternating runs.
     * 64 channels in and more (64->128 s2 2.6x) lose, and so did 32->32 at
     * stride 1 over rows of 160 (above). */
    return g->k[1] == 3 && g->k[2] == 3 && cin <= CD_CIN_MAX && cout <= CD_COUT_3X3 &&
           g->out[2] >= CD_NR && (g->s[2] == 2 || g->out[2] <= CD_OW_3X3_S1);
}

static size_t cd_band_floats(const vd_nn_conv_args *a, const cd_layout *l)
{
    return (size_t)(a->cin * l->hp * l->sw * l->wps);
}

/* The workspace holds a band scratch per worker slot, up to this budget
 * (at least one), whatever the batch and the thread count. */
#define CD_WS_BYTES (512 << 10)

static int64_t cd_slots_max(const vd_nn_conv_args *a, const cd_layout *l)
{
    int64_t n = (int64_t)(CD_WS_BYTES / sizeof(float) / cd_band_floats(a, l));
    return n > 1 ? n : 1;
}

size_t vd_nn_cdir_workspace(const vd_nn_conv_args *a)
{
    cd_layout l;
    cd_layout_get(a, &l);
    return (size_t)cd_slots_max(a, &l) * cd_band_floats(a, &l) * sizeof(float);
}

/* One padded row of one phase: dst[i] = x[i*sw + off] where that is in
 * [0, W), else 0. */
VD_NN_CLONES VD_NN_HOT static void cd_split_row(float *restrict dst, const float *restrict x,
                                               int64_t W, int64_t sw, int64_t off, int64_t wps)
{
    int64_t i0 = 0, i1;
    while (i0 < wps && i0 * sw + off < 0)
        i0++;
    for (i1 = i0; i1 < wps && i1 * sw + off < W; i1++)
        ;
    memset(dst, 0, (size_t)i0 * sizeof(float));
    const float *src = x + off;
    if (sw == 2)
        for (int64_t i = i0; i < i1; i++) dst[i] = src[2 * i];
    else
        for (int64_t i = i0; i < i1; i++) dst[i] = src[i * sw];
    memset(dst + i1, 0, (size_t)(wps - i1) * sizeof(float));
}

/* The padded rows of band b of image n, every channel, into xs. */
static void cd_split_band(const cd_job *j, int64_t n, int64_t b, float *xs)
{
    const vd_nn_conv_args *a = j->a;
    const vd_nn_geom *g = a->g;
    const cd_layout *l = j->l;
    int64_t H = g->in[1], W = g->in[2], r0 = b * l->rows * g->s[1] - g->pb[1];
    for (int64_t c = 0; c < a->cin; c++) {
        const float *x = a->x + (n * a->cin + c) * H * W;
        float *dst = xs + c * l->hp * l->sw * l->wps;
        for (int64_t r = 0; r < l->hp; r++)
            for (int64_t p = 0; p < l->sw; p++, dst += l->wps) {
                int64_t ih = r0 + r;
                if (ih < 0 || ih >= H)
                    memset(dst, 0, (size_t)l->wps * sizeof(float));
                else
                    cd_split_row(dst, x + ih * W, W, l->sw, p - g->pb[2], l->wps);
            }
    }
}

/* Channels [oc, oc + MR) of 16 outputs: xb is the tile's base in the
 * split copy, y (ys apart per channel) and add where the tile goes. */
static inline __attribute__((always_inline)) void
cd_tile(const cd_job *j, int64_t oc, const float *xb, float *y, int64_t ys, const float *add,
        int MR)
{
    const vd_nn_conv_args *a = j->a;
    int64_t taps = j->l->taps;
    const int64_t *off = j->l->off;
    v8 acc[CD_MR][2];
    const float *wr[CD_MR];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        wr[r] = a->w + (oc + r) * taps;
        v8 b = {0};
        if (a->bias)
            b += a->bias[oc + r];
        acc[r][0] = add ? b + vd_nn_v8_load(add + r * ys) : b;
        acc[r][1] = add ? b + vd_nn_v8_load(add + r * ys + 8) : b;
    }
    for (int64_t t = 0; t < taps; t++) {
        const float *p = xb + off[t];
        v8 x0 = vd_nn_v8_load(p), x1 = vd_nn_v8_load(p + 8);
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            float w = wr[r][t];
            acc[r][0] += w * x0;
            acc[r][1] += w * x1;
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 2
        for (int v = 0; v < 2; v++) {
            v8 o = acc[r][v];
            if (j->relu)
                o = (v8)((v8i)o & (o > 0));
            vd_nn_v8_store(y + r * ys + 8 * v, o);
        }
}

/* One tile into Y, through a 16-wide scratch when fewer columns are left. */
static inline __attribute__((always_inline)) void
cd_place(const cd_job *j, int64_t oc, const float *xb, float *y, const float *add,
         int64_t plane, int64_t cols, int MR)
{
    if (cols == CD_NR) {
        cd_tile(j, oc, xb, y, plane, add, MR);
        return;
    }
    float ty[CD_MR * CD_NR], ta[CD_MR * CD_NR];
    for (int r = 0; r < MR && add; r++)
        memcpy(ta + r * CD_NR, add + r * plane, (size_t)cols * sizeof(float));
    cd_tile(j, oc, xb, ty, CD_NR, add ? ta : NULL, MR);
    for (int r = 0; r < MR; r++)
        memcpy(y + r * plane, ty + r * CD_NR, (size_t)cols * sizeof(float));
}

/* Every output channel of 16 (or cols) outputs of one row. */
static inline __attribute__((always_inline)) void
cd_column(const cd_job *j, const float *xb, float *y, const float *add, int64_t plane,
          int64_t cols)
{
    int64_t m = j->a->cout, oc = 0;
    for (; oc + CD_MR <= m; oc += CD_MR)
        cd_place(j, oc, xb, y + oc * plane, add ? add + oc * plane : NULL, plane, cols,
                 CD_MR);
    float *yo = y + oc * plane;
    const float *ao = add ? add + oc * plane : NULL;
    switch (m - oc) {
    case 5: cd_place(j, oc, xb, yo, ao, plane, cols, 5); break;
    case 4: cd_place(j, oc, xb, yo, ao, plane, cols, 4); break;
    case 3: cd_place(j, oc, xb, yo, ao, plane, cols, 3); break;
    case 2: cd_place(j, oc, xb, yo, ao, plane, cols, 2); break;
    case 1: cd_place(j, oc, xb, yo, ao, plane, cols, 1); break;
    default: break;
    }
}

/* Output rows [oy0, oy0 + rows) of image n from the band's split rows xs. */
VD_NN_CLONES VD_NN_HOT static void cd_band_rows(const cd_job *j, int64_t n, int64_t oy0,
                                               int64_t rows, const float *xs)
{
    const vd_nn_conv_args *a = j->a;
    const cd_layout *l = j->l;
    int64_t OH = a->g->out[1], OW = a->g->out[2], plane = OH * OW, sh = a->g->s[1];
    int other = a->act && a->act->kind != VD_NN_ACT_NONE && !j->relu;
    for (int64_t r = 0; r < rows; r++) {
        int64_t oy = oy0 + r;
        const float *xn = xs + r * sh * l->sw * l->wps;
        float *y = a->y + n * a->cout * plane + oy * OW;
        const float *add = a->add ? a->add + n * a->cout * plane + oy * OW : NULL;
        for (int64_t ox = 0; ox < OW; ox += CD_NR)
            cd_column(j, xn + ox, y + ox, add ? add + ox : NULL, plane,
                      OW - ox < CD_NR ? OW - ox : CD_NR);
        for (int64_t oc = 0; other && oc < a->cout; oc++)
            vd_nn_act_apply(a->act, y + oc * plane, OW);
    }
}

/* Slot s splits and computes bands s, s + nslot, ... (of all images) in
 * its own scratch, so no worker waits for another between the steps. */
static void cd_slots_range(void *arg, int64_t begin, int64_t end)
{
    const cd_job *j = arg;
    int64_t OH = j->a->g->out[1], items = j->a->batch * j->bands;
    for (int64_t s = begin; s < end; s++) {
        float *xs = j->ws + s * cd_band_floats(j->a, j->l);
        for (int64_t t = s; t < items; t += j->nslot) {
            int64_t n = t / j->bands, b = t % j->bands, oy0 = b * j->l->rows;
            cd_split_band(j, n, b, xs);
            cd_band_rows(j, n, oy0, OH - oy0 < j->l->rows ? OH - oy0 : j->l->rows, xs);
        }
    }
}

void vd_nn_cdir_run(vd_nn_ctx *ctx, const vd_nn_conv_args *a, float *ws)
{
    cd_layout l;
    cd_layout_get(a, &l);
    int64_t bands = (a->g->out[1] + l.rows - 1) / l.rows, threads = vd_nn_ctx_threads(ctx);
    int64_t most = cd_slots_max(a, &l), nslot = threads < most ? threads : most;
    nslot = nslot < a->batch * bands ? nslot : a->batch * bands;
    cd_job j = {a, &l, ws, nslot, bands, a->act && a->act->kind == VD_NN_ACT_RELU};
    vd_nn_parallel_for(ctx, nslot, 1, cd_slots_range, &j);
}
