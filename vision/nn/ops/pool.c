/* pool.c -- MaxPool (with optional Indices), AveragePool, GlobalMaxPool,
 * GlobalAveragePool over 1 to 3 spatial dims.
 *
 * Geometry (pads, auto_pad, ceil_mode, dilations) is the conv window of
 * window.h resolved as VD_NN_WIN_POOL. Each window is visited only over
 * its taps that fall inside the input (computed per dim, no per-tap
 * bounds test), which is also what makes padding neutral for max and
 * excluded from the average unless count_include_pad. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "window.h"

typedef struct pool_params {
    vd_nn_window w;
    int max, global, include_pad, col_major;
} pool_params;

static int pool_init(vd_nn_node *n, vd_error *err)
{
    pool_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    n->params = p;
    p->max = strstr(n->op_type, "Max") != NULL;
    p->global = !strncmp(n->op_type, "Global", 6);
    p->include_pad = vd_nn_attr_int(n, "count_include_pad", 0) != 0;
    p->col_major = vd_nn_attr_int(n, "storage_order", 0) != 0;
    if (p->global)
        return VD_OK;
    int rc = vd_nn_window_parse(n, &p->w, err);
    if (rc)
        return rc;
    /* As onnxruntime: a window wholly in the padding has no element to
     * pool (MaxPool would return -inf, which no integer type holds). */
    for (int i = 0; p->w.nk > 0 && i < p->w.np && i < 2 * p->w.nk; i++)
        if (p->w.pads[i] >= p->w.k[i % p->w.nk])
            return vd_error_set(err, VD_EINVAL, "%s: pads[%d] = %lld is not smaller than "
                                "the kernel (%lld)", n->op_type, i, (long long)p->w.pads[i],
                                (long long)p->w.k[i % p->w.nk]);
    return VD_OK;
}

static int pool_geom(const vd_nn_node *n, vd_tensor *const *in, vd_nn_geom *g,
                     vd_error *err)
{
    const pool_params *p = n->params;
    const vd_tensor *x = in[0];
    int bytes = p->max && !p->global && (x->dtype == VD_DTYPE_U8 || x->dtype == VD_DTYPE_I8);
    int rc = bytes ? VD_OK : vd_nn_check_f32(n, in, 1, err);
    if (rc)
        return rc;
    if (x->ndim < 3 || x->ndim > 5)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: input rank %d; 3 to 5 (1-D to 3-D "
                            "pooling) is supported", n->op_type, x->ndim);
    if (p->global) {
        vd_nn_window w = {0};
        /* A window as large as the input, one output. */
        rc = vd_nn_window_geom(&w, VD_NN_WIN_POOL, x->ndim - 2, x->shape + 2, x->shape + 2,
                               g, err);
    } else {
        rc = vd_nn_window_geom(&p->w, VD_NN_WIN_POOL, x->ndim - 2, x->shape + 2, NULL, g,
                               err);
    }
    return rc ? vd_error_prefix(err, "%s: ", n->op_type) : VD_OK;
}

static int64_t geom_size(const int64_t *d3)
{
    return d3[0] * d3[1] * d3[2];
}

static int has_indices(const vd_nn_node *n, vd_tensor *const *out)
{
    return n->n_out > 1 && n->out[1] >= 0 && out[1];
}

static int pool_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_error *err)
{
    vd_nn_geom g;
    int rc = pool_geom(n, in, &g, err);
    if (rc)
        return rc;
    int nsp = in[0]->ndim - 2;
    for (int o = 0; o < (has_indices(n, out) ? 2 : 1); o++) {
        out[o]->dtype = o ? VD_DTYPE_I64 : in[0]->dtype;
        out[o]->ndim = in[0]->ndim;
        out[o]->shape[0] = in[0]->shape[0];
        out[o]->shape[1] = in[0]->shape[1];
        for (int i = 0; i < nsp; i++)
            out[o]->shape[2 + i] = g.out[3 - nsp + i];
    }
    return VD_OK;
}

/* Per spatial dim and output index: the taps inside the input [lo, hi)
 * and how many fall inside input + pads (count_include_pad). Computed
 * once per call so the window loop does no division. */
typedef struct pool_tabs {
    int64_t *lo[3], *hi[3], *cnt[3];
    int64_t *kw_lo, *kw_hi;   /* per kw tap: the output columns it reaches */
} pool_tabs;

typedef struct pool_job {
    const pool_params *p;
    const vd_nn_geom *g;
    const pool_tabs *t;
    const float *x;
    float *y;
    int64_t *idx;
    int64_t insp, outsp;
    int64_t band;       /* > 0: output rows per band of the 2-D max fast path */
} pool_job;

static size_t pool_tabs_bytes(const vd_nn_geom *g)
{
    return (size_t)((g->out[0] + g->out[1] + g->out[2]) * 3 + 2 * g->k[2]) * sizeof(int64_t);
}

static void pool_tabs_fill(const vd_nn_geom *g, int64_t *mem, pool_tabs *t)
{
    for (int D = 0; D < 3; D++) {
        t->lo[D] = mem;
        t->hi[D] = mem + g->out[D];
        t->cnt[D] = mem + 2 * g->out[D];
        mem += 3 * g->out[D];
        for (int64_t o = 0; o < g->out[D]; o++) {
            int64_t start = o * g->s[D] - g->pb[D], l, h;
            vd_nn_tap_range(start, g->d[D], g->k[D], g->in[D], &t->lo[D][o], &t->hi[D][o]);
            vd_nn_tap_range(start + g->pb[D], g->d[D], g->k[D],
                            g->in[D] + g->pb[D] + g->pe[D], &l, &h);
            t->cnt[D][o] = h - l;
        }
    }
    t->kw_lo = mem;
    t->kw_hi = mem + g->k[2];
    for (int64_t k = 0; k < g->k[2]; k++)
        vd_nn_tap_range(k * g->d[2] - g->pb[2], g->s[2], g->out[2], g->in[2], &t->kw_lo[k],
                        &t->kw_hi[k]);
}

/* y[i] = max(y[i], x[i*s]) / y[i] += x[i*s]; strides 1 and 2 are spelled
 * out because only a constant stride vectorises. */
#define TAP_LOOP(S, OP)                                   \
    for (int64_t i = 0; i < n; i++) {                     \
        float v = x[i * (S)];                             \
        y[i] = OP;                                        \
    }

VD_NN_CLONES VD_NN_HOT static void tap_max(float *restrict y, const float *restrict x,
                                           int64_t s, int64_t n)
{
    if (s == 1) TAP_LOOP(1, v > y[i] ? v : y[i])
    else if (s == 2) TAP_LOOP(2, v > y[i] ? v : y[i])
    else TAP_LOOP(s, v > y[i] ? v : y[i])
}

VD_NN_CLONES VD_NN_HOT static void tap_sum(float *restrict y, const float *restrict x,
                                           int64_t s, int64_t n)
{
    if (s == 1) TAP_LOOP(1, y[i] + v)
    else if (s == 2) TAP_LOOP(2, y[i] + v)
    else TAP_LOOP(s, y[i] + v)
}

/* The kw taps of one (reduced) input row into output row y. */
static void pool_row_taps(const pool_job *j, const float *xrow, float *y)
{
    const vd_nn_geom *g = j->g;
    for (int64_t k = 0; k < g->k[2]; k++) {
        int64_t l = j->t->kw_lo[k], h = j->t->kw_hi[k];
        if (h <= l)
            continue;
        const float *xs = xrow + l * g->s[2] + k * g->d[2] - g->pb[2];
        if (j->p->max)
            tap_max(y + l, xs, g->s[2], h - l);
        else
            tap_sum(y + l, xs, g->s[2], h - l);
    }
}

/* Without Indices: a whole output row at a time. Max and sum are
 * separable, so the window's input rows are first reduced into one row
 * (when it fits the stack scratch), then each kw tap updates the columns
 * it reaches; both steps vectorise over columns. */
#define POOL_ROW_MAX 4096

static void pool_row(const pool_job *j, const float *x, const int64_t *o, float *y)
{
    const vd_nn_geom *g = j->g;
    const pool_tabs *t = j->t;
    int64_t OW = g->out[2], W = g->in[2], H = g->in[1];
    int max = j->p->max;
    float red[POOL_ROW_MAX];
    int reduce = W <= POOL_ROW_MAX, first = 1;
    for (int64_t i = 0; i < OW; i++)
        y[i] = max ? -INFINITY : 0.0f;
    int64_t st0 = o[0] * g->s[0] - g->pb[0], st1 = o[1] * g->s[1] - g->pb[1];
    for (int64_t kd = t->lo[0][o[0]]; kd < t->hi[0][o[0]]; kd++)
        for (int64_t kh = t->lo[1][o[1]]; kh < t->hi[1][o[1]]; kh++) {
            const float *xrow = x + ((st0 + kd * g->d[0]) * H + st1 + kh * g->d[1]) * W;
            if (!reduce) {
                pool_row_taps(j, xrow, y);
            } else if (first) {
                memcpy(red, xrow, (size_t)W * sizeof(float));
                first = 0;
            } else if (max) {
                tap_max(red, xrow, 1, W);
            } else {
                tap_sum(red, xrow, 1, W);
            }
        }
    if (reduce && !first)
        pool_row_taps(j, red, y);
    if (max)
        return;
    int64_t rows = (t->hi[0][o[0]] - t->lo[0][o[0]]) * (t->hi[1][o[1]] - t->lo[1][o[1]]);
    int64_t prows = t->cnt[0][o[0]] * t->cnt[1][o[1]];
    for (int64_t i = 0; i < OW; i++) {
        int64_t div = j->p->include_pad ? prows * t->cnt[2][i]
                                        : rows * (t->hi[2][i] - t->lo[2][i]);
        y[i] = div ? y[i] / (float)div : 0.0f;
    }
}

/* ---- 2-D MaxPool fast path: 2x2 s2, 3x3 s1/s2, 5x5 s1 (SPPF) ----
 *
 * Separable and banded: each input row of a band of output rows is
 * reduced once horizontally (its windows' columns, -inf padded) into an
 * L1 scratch, then each output row is the max of its KH reduced rows. A
 * row shared by overlapping windows (stride < kernel) is reduced once,
 * and there are no per-tap passes or calls. */
#define POOL_BAND_FLOATS 4096

static int64_t pool_fast_band(const pool_params *p, const vd_nn_geom *g, int indices)
{
    int64_t kw = g->k[2], s = g->s[2], ow = g->out[2];
    int fits = (kw == 2 && s == 2) || (kw == 3 && s <= 2) || (kw == 5 && s == 1);
    if (!p->max || p->global || indices || !fits || g->k[0] != 1 || g->in[0] != 1 ||
        g->out[0] != 1 || g->pb[0] || g->d[1] != 1 || g->d[2] != 1 ||
        (ow - 1) * s + kw > POOL_ROW_MAX)
        return 0;
    int64_t fit = POOL_BAND_FLOATS / ow; /* reduced rows the scratch holds */
    if (fit < g->k[1])
        return 0;
    int64_t rows = (fit - g->k[1]) / g->s[1] + 1;
    int64_t nb = (g->out[1] + rows - 1) / rows;
    return (g->out[1] + nb - 1) / nb;
}

/* h[c] = max of r[c*S + k], k < K, for c < n. From -inf, as the general
 * path does, so a NaN never wins (whatever tap it is at). */
static inline __attribute__((always_inline)) void
hmax_k(float *restrict h, const float *restrict r, int K, int S, int64_t n)
{
    for (int64_t c = 0; c < n; c++) {
        float m = -INFINITY;
#pragma GCC unroll 5
        for (int k = 0; k < K; k++) {
            float v = r[c * S + k];
            m = v > m ? v : m;
        }
        h[c] = m;
    }
}

VD_NN_CLONES VD_NN_HOT static void pool_hmax(float *restrict h, const float *restrict r,
                                             int64_t k, int64_t s, int64_t n)
{
    if (k == 2) hmax_k(h, r, 2, 2, n);
    else if (k == 3 && s == 2) hmax_k(h, r, 3, 2, n);
    else if (k == 3) hmax_k(h, r, 3, 1, n);
    else hmax_k(h, r, 5, 1, n);
}

/* y[c] = max over k < kh of h[k*n + c]. */
VD_NN_CLONES VD_NN_HOT static void pool_vmax(float *restrict y, const float *restrict h,
                                             int64_t kh, int64_t n)
{
    for (int64_t c = 0; c < n; c++)
        y[c] = h[c];
    for (int64_t k = 1; k < kh; k++)
        for (int64_t c = 0; c < n; c++) {
            float v = h[k * n + c];
            y[c] = v > y[c] ? v : y[c];
        }
}

/* Input row xr reduced horizontally into h; the row goes through a -inf
 * padded copy only when windows reach past its ends. */
static void pool_fast_row(const vd_nn_geom *g, const float *xr, float *pad, float *h)
{
    int64_t W = g->in[2], pl = g->pb[2], s = g->s[2], kw = g->k[2], ow = g->out[2];
    int64_t wp = (ow - 1) * s + kw;
    if (pl || wp > W) {
        /* input columns [c0, c1) land at [c0 + pl, c1 + pl) */
        int64_t c0 = pl < 0 ? -pl : 0, c1 = wp - pl < W ? wp - pl : W;
        c1 = c1 > c0 ? c1 : c0;
        for (int64_t i = 0; i < c0 + pl; i++)
            pad[i] = -INFINITY;
        memcpy(pad + c0 + pl, xr + c0, (size_t)(c1 - c0) * sizeof(float));
        for (int64_t i = c1 + pl; i < wp; i++)
            pad[i] = -INFINITY;
        xr = pad;
    }
    pool_hmax(h, xr, kw, s, ow);
}

static void pool_fast_plane(const pool_job *j, const float *x, float *y)
{
    const vd_nn_geom *g = j->g;
    int64_t H = g->in[1], W = g->in[2], OH = g->out[1], OW = g->out[2];
    int64_t sh = g->s[1], kh = g->k[1];
    float hb[POOL_BAND_FLOATS], pad[POOL_ROW_MAX];
    for (int64_t r0 = 0; r0 < OH; r0 += j->band) {
        int64_t rows = OH - r0 < j->band ? OH - r0 : j->band;
        for (int64_t lr = 0; lr < (rows - 1) * sh + kh; lr++) {
            int64_t ih = r0 * sh + lr - g->pb[1];
            float *h = hb + lr * OW;
            if (ih >= 0 && ih < H)
                pool_fast_row(g, x + ih * W, pad, h);
            else
                for (int64_t c = 0; c < OW; c++)
                    h[c] = -INFINITY;
        }
        for (int64_t r = 0; r < rows; r++)
            pool_vmax(y + (r0 + r) * OW, hb + r * sh * OW, kh, OW);
    }
}

/* Flat input index of (d, h, w) as ONNX Indices count it. */
static int64_t pool_index(const pool_job *j, int64_t d, int64_t h, int64_t w)
{
    const int64_t *in = j->g->in;
    return j->p->col_major ? (w * in[1] + h) * in[0] + d : (d * in[1] + h) * in[2] + w;
}

static void pool_window(const pool_job *j, const float *x, const int64_t *o, float *y,
                        int64_t *idx)
{
    const vd_nn_geom *g = j->g;
    const pool_tabs *t = j->t;
    int64_t st[3], lo[3], hi[3];
    for (int D = 0; D < 3; D++) {
        st[D] = o[D] * g->s[D] - g->pb[D];
        lo[D] = t->lo[D][o[D]];
        hi[D] = t->hi[D][o[D]];
    }
    float best = -INFINITY, sum = 0;
    int64_t at = -1, cnt = 0;
    for (int64_t kd = lo[0]; kd < hi[0]; kd++)
        for (int64_t kh = lo[1]; kh < hi[1]; kh++) {
            int64_t id = st[0] + kd * g->d[0], ih = st[1] + kh * g->d[1];
            const float *row = x + (id * g->in[1] + ih) * g->in[2];
            for (int64_t kw = lo[2]; kw < hi[2]; kw++) {
                float v = row[st[2] + kw * g->d[2]];
                sum += v;
                if (v > best || at < 0) {
                    best = v;
                    at = kw;
                    if (idx)
                        at = pool_index(j, id, ih, st[2] + kw * g->d[2]);
                }
            }
            cnt += hi[2] - lo[2];
        }
    if (j->p->max) {
        *y = best;
        if (idx)
            *idx = at;
    } else {
        int64_t div = j->p->include_pad ? t->cnt[0][o[0]] * t->cnt[1][o[1]] * t->cnt[2][o[2]]
                                        : cnt;
        *y = div ? sum / (float)div : 0.0f;
    }
}

VD_NN_CLONES VD_NN_HOT static float plane_reduce(const float *restrict x, int64_t n, int max)
{
    float acc = max ? -INFINITY : 0.0f;
    if (max)
        for (int64_t i = 0; i < n; i++)
            acc = x[i] > acc ? x[i] : acc;
    else
        for (int64_t i = 0; i < n; i++)
            acc += x[i];
    return max ? acc : acc / (float)n;
}

/* Plane pl of the input (x) into y and idx. */
static void pool_plane(const pool_job *j, int64_t pl, const float *x, float *y)
{
    const vd_nn_geom *g = j->g;
    int64_t *idx = j->idx ? j->idx + pl * j->outsp : NULL;
    int64_t i = 0, o[3] = {0, 0, 0};
    if (j->p->global) {
        y[0] = plane_reduce(x, j->insp, j->p->max);
        return;
    }
    if (j->band) {
        pool_fast_plane(j, x, y);
        return;
    }
    if (!idx) {
        for (o[0] = 0; o[0] < g->out[0]; o[0]++)
            for (o[1] = 0; o[1] < g->out[1]; o[1]++, i += g->out[2])
                pool_row(j, x, o, y + i);
        return;
    }
    for (o[0] = 0; o[0] < g->out[0]; o[0]++)
        for (o[1] = 0; o[1] < g->out[1]; o[1]++)
            for (o[2] = 0; o[2] < g->out[2]; o[2]++, i++) {
                pool_window(j, x, o, y + i, idx ? idx + i : NULL);
                if (idx)
                    idx[i] += pl * j->insp;
            }
}

static void pool_range(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    for (int64_t pl = begin; pl < end; pl++)
        pool_plane(j, pl, j->x + pl * j->insp, j->y + pl * j->outsp);
}

/* MaxPool on int8/uint8 (opset 12): each plane through float scratch,
 * exact since the max of small integers is one of them. */
static void pool_bytes(const pool_job *j, vd_dtype dt, const void *x, void *y,
                       int64_t planes, float *ws)
{
    float *fx = ws, *fy = ws + j->insp;
    for (int64_t pl = 0; pl < planes; pl++) {
        for (int64_t i = 0; i < j->insp; i++)
            fx[i] = dt == VD_DTYPE_U8 ? ((const uint8_t *)x)[pl * j->insp + i]
                                      : ((const int8_t *)x)[pl * j->insp + i];
        pool_plane(j, pl, fx, fy);
        for (int64_t i = 0; i < j->outsp; i++) {
            if (dt == VD_DTYPE_U8)
                ((uint8_t *)y)[pl * j->outsp + i] = (uint8_t)vd_nn_sat_int(fy[i], 0, 255);
            else
                ((int8_t *)y)[pl * j->outsp + i] = (int8_t)vd_nn_sat_int(fy[i], -128, 127);
        }
    }
}

/* Workspace: the tap tables, then (8-bit input only) one plane in and out
 * as float. */
static size_t pool_workspace(const vd_nn_node *n, vd_tensor *const *in,
                             vd_tensor *const *out)
{
    (void)out;
    vd_nn_geom g;
    if (pool_geom(n, in, &g, NULL))
        return 0;
    size_t bytes = pool_tabs_bytes(&g);
    if (in[0]->dtype != VD_DTYPE_F32)
        bytes += (size_t)(geom_size(g.in) + geom_size(g.out)) * sizeof(float);
    return bytes;
}

static int pool_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    vd_nn_geom g;
    vd_error e;
    if (pool_geom(n, in, &g, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    int64_t planes = in[0]->shape[0] * in[0]->shape[1];
    pool_tabs t;
    unsigned char *ws = vd_nn_ctx_workspace(ctx);
    pool_tabs_fill(&g, (int64_t *)ws, &t);
    pool_job j = {n->params, &g, &t, in[0]->data, out[0]->data,
                  has_indices(n, out) ? out[1]->data : NULL, geom_size(g.in),
                  geom_size(g.out), pool_fast_band(n->params, &g, has_indices(n, out))};
    if (in[0]->dtype != VD_DTYPE_F32)
        pool_bytes(&j, in[0]->dtype, in[0]->data, out[0]->data, planes,
                   (float *)(ws + pool_tabs_bytes(&g)));
    else
        vd_nn_parallel_for(ctx, planes, 4096 / (j.outsp * g.k[0] * g.k[1] * g.k[2] + 1) + 1,
                           pool_range, &j);
    return VD_OK;
}

static const char *const max_attrs[] = {"auto_pad", "ceil_mode", "dilations",
                                        "kernel_shape", "pads", "storage_order",
                                        "strides", NULL};
static const char *const avg_attrs[] = {"auto_pad", "ceil_mode", "count_include_pad",
                                        "kernel_shape", "pads", "strides", NULL};
static const char *const avg19_attrs[] = {"auto_pad", "ceil_mode", "count_include_pad",
                                          "dilations", "kernel_shape", "pads", "strides",
                                          NULL};

const vd_nn_op vd_nn_ops_pool[] = {
    {"MaxPool", 1, 0, max_attrs, pool_init, NULL, pool_infer, pool_workspace, pool_run},
    {"AveragePool", 1, 0, avg_attrs, pool_init, NULL, pool_infer, pool_workspace, pool_run},
    /* 19 adds dilations, which the shared window geometry already applies */
    {"AveragePool", 19, 0, avg19_attrs, pool_init, NULL, pool_infer, pool_workspace, pool_run},
    {"GlobalMaxPool", 1, 0, NULL, pool_init, NULL, pool_infer, pool_workspace, pool_run},
    {"GlobalAveragePool", 1, 0, NULL, pool_init, NULL, pool_infer, pool_workspace, pool_run},
    {0},
};
