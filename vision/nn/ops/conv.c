/* conv.c -- Conv and ConvTranspose (1-D, 2-D, 3-D), plus the window
 * geometry it shares with pooling living in window.c.
 *
 * Conv picks one of six kernels per call: a 1x1 stride-1 unpadded conv
 * is direct when it has at most 64 input channels (conv_pw.c), else a
 * plain sgemm on the input; a depthwise conv (one input channel per
 * output channel) is a direct loop (conv_dw.c); a 3x3 stride-1 conv with
 * enough channels is Winograd F(2x2, 3x3) (conv_winograd.c); a conv with
 * at most 4 input channels (an image's first layer), or few channels on
 * both sides, is direct (conv_direct.c); everything else is im2col into
 * the workspace, tiled
 * over output positions so the buffer stays a few MiB, then sgemm.
 * ConvTranspose is the mirror image: sgemm into columns, then col2im
 * scatter-add. Bias and the fused activation run on each tile right after
 * it is computed. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "conv_kernels.h"
#include "sgemm.h"

/* im2col/col2im tile budget; large enough for efficient sgemm panels. */
#define CONV_TILE_BYTES (2 << 20)
#define CONV_TILE_MIN_COLS 256
/* Conv im2col path: total workspace, per-tile target and the fewest
 * columns a worker slot's tile may have. */
#define CONV_WS_BYTES (2 << 20)
#define CONV_SLICE_BYTES (2 << 20)
#define CONV_SLICE_MIN_COLS 32
#define CONV_PAD_BYTES (8 << 20)

static int64_t geom_numel(const int64_t *d3)
{
    return d3[0] * d3[1] * d3[2];
}

/* ---- shared op plumbing ---- */

typedef struct conv_params {
    vd_nn_window w;
    int64_t group;
    /* Winograd-transformed weights when W is a constant: computed by the
     * first run that needs them (any session, any thread: published with
     * a CAS, a loser frees its copy) and kept with the model. */
    _Atomic(float *) wino_u;
} conv_params;

static void conv_fini(vd_nn_node *n)
{
    conv_params *p = n->params;
    if (p)
        free(atomic_load(&p->wino_u));
    free(p);
    n->params = NULL;
}

/* The transformed weights of a Winograd conv, kept across runs when W is
 * a constant; NULL (the run transforms into its workspace) otherwise or
 * when memory is short. */
static const float *conv_wino_weights(const vd_nn_node *n, vd_nn_ctx *ctx, vd_nn_wino *a)
{
    conv_params *p = n->params;
    float *u = atomic_load(&p->wino_u), *none = NULL;
    if (u || !(n->const_in & 2u))
        return u;
    size_t bytes = (vd_nn_wino_weight_bytes(a) + 63) & ~(size_t)63;
    if (!(u = aligned_alloc(64, bytes)))
        return NULL;
    vd_nn_wino_weights(ctx, a, u);
    if (!atomic_compare_exchange_strong(&p->wino_u, &none, u)) {
        free(u);
        u = none;
    }
    return u;
}

static int conv_init(vd_nn_node *n, vd_error *err)
{
    conv_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    n->params = p;
    p->group = vd_nn_attr_int(n, "group", 1);
    if (p->group < 1)
        return vd_error_set(err, VD_EINVAL, "attribute group = %lld must be >= 1",
                            (long long)p->group);
    return vd_nn_window_parse(n, &p->w, err);
}

/* Channel bookkeeping of one Conv/ConvTranspose call. */
typedef struct conv_shape {
    vd_nn_geom g;
    int64_t batch, c, m, group, cg, mg, ksz, insp, outsp;
} conv_shape;

static int conv_is_pointwise(const vd_nn_geom *g);

/* Part q of a fused Concat's X: in[0], then in[4], in[5], ... */
static const vd_tensor *conv_part(vd_tensor *const *in, int q)
{
    return q ? in[3 + q] : in[0];
}

/* Whether b is float32 with a's shape but for dim 1 (channels). */
static int same_but_channels(const vd_tensor *a, const vd_tensor *b)
{
    int ok = b && b->dtype == VD_DTYPE_F32 && b->ndim == a->ndim && a->ndim >= 2;
    for (int d = 0; ok && d < a->ndim; d++)
        ok = d == 1 || b->shape[d] == a->shape[d];
    return ok;
}

/* X's channels when it is the fused Concat of node->n_cat parts: every
 * part float32 and X's shape but for its channels. */
static int conv_cat_channels(const vd_nn_node *n, vd_tensor *const *in, int64_t *c,
                             vd_error *err)
{
    const vd_tensor *x = in[0];
    for (int q = 1; q < n->n_cat; q++) {
        const vd_tensor *t = conv_part(in, q);
        if (!same_but_channels(x, t)) {
            char a[96], b[96];
            return vd_error_set(err, VD_EINVAL, "Conv: fused Concat part %d %s does not "
                                "match part 0 %s but for its channels", q,
                                t ? vd_tensor_shape_str(t, a, sizeof a) : "(missing)",
                                vd_tensor_shape_str(x, b, sizeof b));
        }
        *c += t->shape[1];
    }
    return VD_OK;
}

static int conv_shape_get(const vd_nn_node *n, vd_tensor *const *in, int transposed,
                          conv_shape *cs, vd_error *err)
{
    const conv_params *p = n->params;
    const vd_tensor *x = in[0], *w = in[1];
    int rc = vd_nn_check_f32(n, in, 3, err);
    if (rc)
        return rc;
    if (x->ndim < 3 || x->ndim > 5 || w->ndim != x->ndim)
        return vd_error_set(err, VD_EINVAL, "%s: X %dD and W %dD; expected equal ranks 3 to 5",
                            n->op_type, x->ndim, w->ndim);
    cs->batch = x->shape[0];
    cs->c = x->shape[1];
    if (n->n_cat > 1 && (rc = conv_cat_channels(n, in, &cs->c, err)))
        return rc;
    cs->group = p->group;
    if (cs->c % p->group)
        return vd_error_set(err, VD_EINVAL, "%s: %lld input channels not divisible by "
                            "group %lld", n->op_type, (long long)cs->c, (long long)p->group);
    cs->cg = cs->c / p->group;
    if (transposed) {
        cs->mg = w->shape[1];
        cs->m = cs->mg * p->group;
        if (w->shape[0] != cs->c)
            return vd_error_set(err, VD_EINVAL, "ConvTranspose: W has %lld input channels, "
                                "X has %lld", (long long)w->shape[0], (long long)cs->c);
    } else {
        cs->m = w->shape[0];
        if (w->shape[1] != cs->cg || cs->m % p->group)
            return vd_error_set(err, VD_EINVAL, "Conv: W [%lld,%lld,...] does not fit %lld "
                                "input channels in %lld groups", (long long)w->shape[0],
                                (long long)w->shape[1], (long long)cs->c,
                                (long long)p->group);
        cs->mg = cs->m / p->group;
    }
    if (n->n_in > 2 && in[2] && vd_tensor_numel(in[2]) != cs->m)
        return vd_error_set(err, VD_EINVAL, "%s: bias has %lld values for %lld output "
                            "channels", n->op_type, (long long)vd_tensor_numel(in[2]),
                            (long long)cs->m);
    rc = vd_nn_window_geom(&p->w, transposed ? VD_NN_WIN_CONVT : VD_NN_WIN_CONV,
                           x->ndim - 2, x->shape + 2, w->shape + 2, &cs->g, err);
    if (rc)
        return vd_error_prefix(err, "%s: ", n->op_type);
    cs->ksz = geom_numel(cs->g.k);
    cs->insp = geom_numel(cs->g.in);
    cs->outsp = geom_numel(cs->g.out);
    if (n->n_cat > 1 && (cs->group != 1 || !conv_is_pointwise(&cs->g)))
        return vd_error_set(err, VD_EUNSUPPORTED, "Conv: a fused Concat needs a 1x1, stride "
                            "1, unpadded, group 1 conv");
    return VD_OK;
}

static void conv_out_shape(const vd_tensor *x, const conv_shape *cs, vd_tensor *out)
{
    int nsp = x->ndim - 2;
    out->dtype = VD_DTYPE_F32;
    out->ndim = x->ndim;
    out->shape[0] = cs->batch;
    out->shape[1] = cs->m;
    for (int i = 0; i < nsp; i++)
        out->shape[2 + i] = cs->g.out[3 - nsp + i];
}

static int64_t tile_cols(int64_t rows, int64_t cols)
{
    int64_t tc = (int64_t)(CONV_TILE_BYTES / sizeof(float)) / (rows ? rows : 1);
    tc = tc < CONV_TILE_MIN_COLS ? CONV_TILE_MIN_COLS : tc;
    return tc < cols ? tc : cols;
}

/* Workspace of the Conv im2col path, in floats: CONV_WS_BYTES shared by
 * the worker slots (two full tiles at least), never more than the whole
 * im2col matrix. */
static size_t conv_ws_floats(int64_t rows, int64_t cols)
{
    int64_t f = (int64_t)(CONV_WS_BYTES / sizeof(float));
    f = f < 2 * rows * CONV_TILE_MIN_COLS ? 2 * rows * CONV_TILE_MIN_COLS : f;
    return (size_t)(f < rows * cols ? f : rows * cols);
}

/* Columns of one im2col tile: about CONV_SLICE_BYTES, within the slot's
 * slice (smaller tiles, 128-512 KiB, measured no faster here). */
static int64_t slice_cols(int64_t rows, int64_t slice_floats)
{
    int64_t fit = slice_floats / rows;
    int64_t tc = (int64_t)(CONV_SLICE_BYTES / sizeof(float)) / rows;
    tc = tc < CONV_SLICE_MIN_COLS ? CONV_SLICE_MIN_COLS : tc;
    return tc < fit ? tc : (fit > 0 ? fit : 1);
}

/* ---- Conv kernels ---- */

typedef struct conv_job {
    const conv_shape *cs;
    const float *x, *w, *b;
    float *y, *col;
    const vd_nn_act *act;
    int64_t p0, p1;     /* current tile of output (Conv) or input (ConvT) positions */
    const float *xp;    /* Conv im2col: the group's input planes zero-padded, or NULL */
    int64_t hp, wp;     /* their size */
    const float *add;   /* fused residual (node->add_in), shaped like y, or NULL */
    int64_t add_c;      /* its channels per image (< m: zero-padded, pointwise only) */
    const vd_nn_node *n;
    vd_tensor *const *in; /* for a fused Concat's parts (node->n_cat) */
} conv_job;

static int conv_is_pointwise(const vd_nn_geom *g)
{
    for (int D = 0; D < 3; D++)
        if (g->k[D] != 1 || g->s[D] != 1 || g->pb[D] || g->pe[D])
            return 0;
    return 1;
}

VD_NN_CLONES VD_NN_HOT static void strided_copy(float *restrict dst, const float *restrict src,
                                               int64_t s, int64_t n)
{
    if (s == 1) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else if (s == 2) { /* a constant stride vectorises (even lanes of two loads) */
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[2 * i];
    } else {
        for (int64_t i = 0; i < n; i++)
            dst[i] = src[i * s];
    }
}

/* Output positions [p0, p1) of one kernel tap (kd,kh,kw) of channel plane xc. */
static void im2col_row(const vd_nn_geom *g, const float *xc, const int64_t *kk,
                       int64_t p0, int64_t p1, float *dst)
{
    int64_t OW = g->out[2], OH = g->out[1], W = g->in[2];
    int64_t ow = p0 % OW, oh = p0 / OW % OH, od = p0 / (OW * OH);
    int64_t s = g->s[2], off = kk[2] * g->d[2] - g->pb[2], lo, hi;
    vd_nn_tap_range(off, s, OW, W, &lo, &hi);
    for (int64_t p = p0; p < p1;) {
        int64_t run = OW - ow < p1 - p ? OW - ow : p1 - p;
        int64_t id = od * g->s[0] - g->pb[0] + kk[0] * g->d[0];
        int64_t ih = oh * g->s[1] - g->pb[1] + kk[1] * g->d[1];
        if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) {
            memset(dst, 0, (size_t)run * sizeof(float));
        } else {
            /* columns [ow, ow + run): zeros, then the in-range taps, zeros */
            int64_t end = ow + run, a = lo > ow ? lo : ow, b = hi < end ? hi : end;
            a = a < end ? a : end; /* a run can end before the first in-range column */
            b = b > a ? b : a;
            memset(dst, 0, (size_t)(a - ow) * sizeof(float));
            strided_copy(dst + (a - ow), xc + (id * g->in[1] + ih) * W + a * s + off, s, b - a);
            memset(dst + (b - ow), 0, (size_t)(ow + run - b) * sizeof(float));
        }
        dst += run;
        p += run;
        ow = 0;
        if (++oh == OH) {
            oh = 0;
            od++;
        }
    }
}

/* im2col_row on a zero-padded 2-D plane (pad_plane, row stride wp): no
 * borders, so one strided copy per output row. */
static void im2col_row_padded(const vd_nn_geom *g, const float *xp, int64_t wp,
                              const int64_t *kk, int64_t p0, int64_t p1, float *dst)
{
    int64_t OW = g->out[2], ow = p0 % OW, oh = p0 / OW, s = g->s[2];
    const float *src = xp + (oh * g->s[1] + kk[1] * g->d[1]) * wp + kk[2] * g->d[2];
    for (int64_t p = p0; p < p1;) {
        int64_t run = OW - ow < p1 - p ? OW - ow : p1 - p;
        strided_copy(dst, src + ow * s, s, run);
        dst += run;
        p += run;
        ow = 0;
        src += g->s[1] * wp;
    }
}

static void tap_unravel(const vd_nn_geom *g, int64_t kidx, int64_t *kk)
{
    kk[2] = kidx % g->k[2];
    kk[1] = kidx / g->k[2] % g->k[1];
    kk[0] = kidx / (g->k[2] * g->k[1]);
}

static void im2col_range(void *arg, int64_t begin, int64_t end)
{
    const conv_job *j = arg;
    const conv_shape *cs = j->cs;
    int64_t tc = j->p1 - j->p0;
    for (int64_t r = begin; r < end; r++) {
        int64_t kk[3];
        tap_unravel(&cs->g, r % cs->ksz, kk);
        if (j->xp) {
            im2col_row_padded(&cs->g, j->xp + r / cs->ksz * j->hp * j->wp, j->wp, kk,
                              j->p0, j->p1, j->col + r * tc);
            continue;
        }
        im2col_row(&cs->g, j->x + r / cs->ksz * cs->insp, kk, j->p0, j->p1,
                   j->col + r * tc);
    }
}

/* Output columns [p0, p1) of image nb, group gi: W x X as one sgemm,
 * split over ctx's workers (ctx NULL: on the calling thread). With a
 * fused Concat (group 1), one sgemm per part over its slice of W's
 * columns, accumulating into Y; bias and residual with the first, the
 * activation with the last. */
static void conv_pointwise(const conv_job *j, vd_nn_ctx *ctx, int64_t nb, int64_t gi,
                           int64_t p0, int64_t p1)
{
    const conv_shape *cs = j->cs;
    int64_t yo = (nb * cs->m + gi * cs->mg) * cs->outsp + p0;
    int64_t ro = (nb * j->add_c + gi * cs->mg) * cs->outsp + p0;
    int parts = j->n->n_cat > 1 ? j->n->n_cat : 1;
    vd_nn_gemm_epi epi = {j->b ? j->b + gi * cs->mg : NULL, 1, 0, 1.0f,
                          parts == 1 ? j->act : NULL, j->add ? j->add + ro : NULL,
                          j->add_c < cs->m ? j->add_c : 0, 0};
    if (parts == 1) {
        vd_nn_sgemm(ctx, 0, 0, cs->mg, p1 - p0, cs->cg, 1.0f, j->w + gi * cs->mg * cs->cg,
                    cs->cg, j->x + (nb * cs->c + gi * cs->cg) * cs->insp + p0, cs->insp,
                    j->y + yo, cs->outsp, &epi);
        return;
    }
    for (int64_t q = 0, c0 = 0, cq; q < parts; q++, c0 += cq) {
        const vd_tensor *t = conv_part(j->in, (int)q);
        cq = t->shape[1];
        if (q > 0)
            epi = (vd_nn_gemm_epi){.act = q == parts - 1 ? j->act : NULL, .accumulate = 1};
        vd_nn_sgemm(ctx, 0, 0, cs->mg, p1 - p0, cq, 1.0f, j->w + c0, cs->cg,
                    (const float *)t->data + nb * cq * cs->insp + p0, cs->insp, j->y + yo,
                    cs->outsp, &epi);
    }
}

/* A batch (or groups) of 1x1 convs: items are (image, group, column
 * block), all handed out by ONE parallel_for: a parallel sgemm per image
 * would make the workers meet once per image (BlazeFace batch 8: 8
 * barriers per node). */
#define CONV_PW_MIN_COLS 256

typedef struct conv_pw_items {
    const conv_job *j;
    int64_t nblk;
} conv_pw_items;

static void conv_pointwise_range(void *arg, int64_t begin, int64_t end)
{
    const conv_pw_items *it = arg;
    const conv_shape *cs = it->j->cs;
    for (int64_t t = begin; t < end; t++) {
        int64_t blk = t % it->nblk, ng = t / it->nblk;
        conv_pointwise(it->j, NULL, ng / cs->group, ng % cs->group,
                       cs->outsp * blk / it->nblk, cs->outsp * (blk + 1) / it->nblk);
    }
}

/* The direct 1x1 kernel (conv_pw.c) when it takes this conv: X read
 * through the parts of a fused Concat, or as one part. Returns 0 if not. */
static int conv_pointwise_direct(const conv_job *j, vd_nn_ctx *ctx)
{
    const conv_shape *cs = j->cs;
    if (cs->group != 1 || !vd_nn_pw_fits(cs->c, cs->m, cs->outsp))
        return 0;
    const float *parts[VD_NN_PW_CIN_MAX];
    int64_t part_c[VD_NN_PW_CIN_MAX];
    int np = j->n->n_cat > 1 ? j->n->n_cat : 1;
    for (int q = 0; q < np; q++) {
        const vd_tensor *t = conv_part(j->in, q);
        parts[q] = np == 1 ? j->x : t->data;
        part_c[q] = np == 1 ? cs->c : t->shape[1];
    }
    vd_nn_pw a = {cs->batch, cs->c, cs->m, cs->outsp, parts, part_c, np, j->w, j->b,
                  j->add, j->add_c, j->y, j->act};
    vd_nn_pw_run(ctx, &a);
    return 1;
}

static void conv_pointwise_all(const conv_job *j, vd_nn_ctx *ctx)
{
    const conv_shape *cs = j->cs;
    if (conv_pointwise_direct(j, ctx))
        return;
    int64_t planes = cs->batch * cs->group, threads = vd_nn_ctx_threads(ctx);
    if (planes == 1 || threads <= 1) {
        for (int64_t t = 0; t < planes; t++)
            conv_pointwise(j, ctx, t / cs->group, t % cs->group, 0, cs->outsp);
        return;
    }
    /* enough items for every worker, each at least CONV_PW_MIN_COLS wide */
    int64_t nblk = (threads + planes - 1) / planes, most = cs->outsp / CONV_PW_MIN_COLS;
    conv_pw_items it = {j, nblk < most ? nblk : (most > 0 ? most : 1)};
    vd_nn_parallel_for(ctx, planes * it.nblk, 1, conv_pointwise_range, &it);
}

/* The im2col path: work items are (image, group, tile of output
 * positions); worker slot s owns workspace slice s and runs items s,
 * s + nslice, ... each as im2col then sgemm on its own thread, so the
 * workers never wait for each other between the two steps. With a padded
 * copy (conv_padded) the items are the tiles of one plane at a time. */
typedef struct conv_tiles {
    const conv_job *j;
    int64_t nslice, slice_floats, ntiles, tc, items, plane0;
} conv_tiles;

static void conv_tiles_range(void *arg, int64_t begin, int64_t end)
{
    const conv_tiles *t = arg;
    const conv_shape *cs = t->j->cs;
    int64_t rows = cs->cg * cs->ksz;
    for (int64_t s = begin; s < end; s++)
        for (int64_t it = s; it < t->items; it += t->nslice) {
            int64_t tile = it % t->ntiles, plane = t->plane0 + it / t->ntiles;
            int64_t gi = plane % cs->group, nb = plane / cs->group;
            conv_job sub = *t->j;
            sub.col = t->j->col + s * t->slice_floats;
            if (!sub.xp)
                sub.x = t->j->x + (nb * cs->c + gi * cs->cg) * cs->insp;
            sub.p0 = tile * t->tc;
            sub.p1 = sub.p0 + t->tc < cs->outsp ? sub.p0 + t->tc : cs->outsp;
            if (sub.p1 <= sub.p0)
                continue;
            im2col_range(&sub, 0, rows);
            int64_t yo = (nb * cs->m + gi * cs->mg) * cs->outsp + sub.p0;
            vd_nn_gemm_epi epi = {t->j->b ? t->j->b + gi * cs->mg : NULL, 1, 0, 1.0f,
                                  t->j->act, t->j->add ? t->j->add + yo : NULL, 0, 0};
            vd_nn_sgemm(NULL, 0, 0, cs->mg, sub.p1 - sub.p0, rows, 1.0f,
                        t->j->w + gi * cs->mg * rows, rows, sub.col, sub.p1 - sub.p0,
                        t->j->y + yo, cs->outsp, &epi);
        }
}

/* 2-D convs copy the group's input planes once, zero-padded to the window
 * extent hp x wp (at most CONV_PAD_BYTES): im2col then has no border
 * columns, one strided copy per output row instead of zero-fill, copy,
 * zero-fill with bounds checks. */
static int conv_padded(const conv_shape *cs, int64_t *hp, int64_t *wp)
{
    const vd_nn_geom *g = &cs->g;
    *hp = (g->out[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
    *wp = (g->out[2] - 1) * g->s[2] + (g->k[2] - 1) * g->d[2] + 1;
    return g->k[0] == 1 && g->in[0] == 1 && g->out[0] == 1 && g->pb[0] == 0 &&
           cs->cg * *hp * *wp * (int64_t)sizeof(float) <= CONV_PAD_BYTES;
}

static size_t conv_im2col_ws_floats(const conv_shape *cs)
{
    int64_t hp, wp, rows = cs->cg * cs->ksz;
    size_t f = (conv_ws_floats(rows, cs->outsp) + 15) / 16 * 16;
    return f + (conv_padded(cs, &hp, &wp) ? (size_t)(cs->cg * hp * wp) : 0);
}

static void conv_pad_range(void *arg, int64_t begin, int64_t end)
{
    const conv_job *j = arg;
    for (int64_t c = begin; c < end; c++)
        vd_nn_pad_plane(&j->cs->g, j->hp, j->wp, j->x + c * j->cs->insp,
                  (float *)j->xp + c * j->hp * j->wp);
}

static void conv_im2col(const conv_job *j, vd_nn_ctx *ctx)
{
    const conv_shape *cs = j->cs;
    int64_t rows = cs->cg * cs->ksz, hp, wp, planes = cs->batch * cs->group;
    int padded = conv_padded(cs, &hp, &wp);
    conv_tiles t = {j, vd_nn_ctx_threads(ctx), 0, 0, 0, 0, 0};
    int64_t ws = (int64_t)conv_ws_floats(rows, cs->outsp);
    int64_t per_call = padded ? 1 : planes;
    /* each slice holds >= CONV_SLICE_MIN_COLS columns */
    while (t.nslice > 1 && ws / t.nslice < rows * CONV_SLICE_MIN_COLS)
        t.nslice--;
    t.slice_floats = ws / t.nslice;
    int64_t tc = slice_cols(rows, t.slice_floats);
    t.ntiles = (cs->outsp + tc - 1) / tc;
    if (per_call < t.nslice * 4) /* balance: a whole number of tiles per slot */
        while (per_call * t.ntiles % t.nslice)
            t.ntiles++;
    t.tc = (cs->outsp + t.ntiles - 1) / t.ntiles;
    t.items = per_call * t.ntiles;
    if (t.nslice > t.items)
        t.nslice = t.items;
    if (!padded) {
        vd_nn_parallel_for(ctx, t.nslice, 1, conv_tiles_range, &t);
        return;
    }
    conv_job pj = *j;
    pj.xp = j->col + (conv_ws_floats(rows, cs->outsp) + 15) / 16 * 16;
    pj.hp = hp;
    pj.wp = wp;
    t.j = &pj;
    for (t.plane0 = 0; t.plane0 < planes; t.plane0++) {
        int64_t nb = t.plane0 / cs->group, gi = t.plane0 % cs->group;
        pj.x = j->x + (nb * cs->c + gi * cs->cg) * cs->insp;
        vd_nn_parallel_for(ctx, cs->cg, 1, conv_pad_range, &pj);
        vd_nn_parallel_for(ctx, t.nslice, 1, conv_tiles_range, &t);
    }
}

/* The fused residual r of node->add_in: 1 when it has the output's shape
 * (added in the epilogue), 0 when it broadcasts to it (added after the
 * conv by conv_add_bcast), CONV_ADD_PAD for a channel-padded residual
 * (node->add_pad) with the output's batch and spatial dims, negative when
 * the Add would have produced a bigger shape than the conv's, which a
 * fused node cannot: refused. The fusion pass cannot see shapes, so this
 * is decided here. */
#define CONV_ADD_PAD 2

static int conv_add_mode(const vd_nn_node *n, const vd_tensor *r, const vd_tensor *out,
                         vd_error *err)
{
    if (n->add_pad) {
        if (same_but_channels(out, r) && r->shape[1] >= 1 && r->shape[1] <= out->shape[1])
            return CONV_ADD_PAD;
    }
    int same = r->ndim == out->ndim, fits = r->ndim <= out->ndim;
    for (int d = 1; d <= r->ndim && d <= out->ndim; d++) {
        int64_t a = r->shape[r->ndim - d], b = out->shape[out->ndim - d];
        same = same && a == b;
        fits = fits && (a == b || a == 1);
    }
    if (r->dtype == VD_DTYPE_F32 && (same || fits))
        return same;
    char x[96], y[96];
    return vd_error_set(err, VD_EUNSUPPORTED, "Conv with a fused residual Add: the other "
                        "operand %s %s does not %s the conv output %s",
                        n->add_pad ? "pad to" : "broadcast to",
                        vd_dtype_name(r->dtype), vd_tensor_shape_str(r, x, sizeof x),
                        vd_tensor_shape_str(out, y, sizeof y));
}

/* y[:, :C_r] += r, then act over all of y: a channel-padded residual on
 * the paths that cannot add it in their epilogue. */
static void conv_add_chan(const vd_tensor *r, vd_tensor *y, const vd_nn_act *act)
{
    int64_t cr = r->shape[1], cy = y->shape[1], sp = 1;
    for (int d = 2; d < r->ndim; d++)
        sp *= r->shape[d];
    float *yd = y->data;
    const float *rd = r->data;
    for (int64_t nb = 0; nb < r->shape[0]; nb++)
        for (int64_t i = 0; i < cr * sp; i++)
            yd[nb * cy * sp + i] += rd[nb * cr * sp + i];
    vd_nn_act_apply(act, yd, vd_tensor_numel(y));
}

/* y += r broadcast to y's shape (numpy rules, r of lower or equal rank),
 * then act: the rare residual that is not the conv output's shape. */
static void conv_add_bcast(const vd_tensor *r, vd_tensor *y, const vd_nn_act *act)
{
    int nd = y->ndim, off = y->ndim - r->ndim;
    int64_t st[VD_TENSOR_MAX_DIMS], idx[VD_TENSOR_MAX_DIMS] = {0}, acc = 1, ro = 0;
    for (int d = nd - 1; d >= 0; d--) {
        int64_t rd = d >= off ? r->shape[d - off] : 1;
        st[d] = rd == 1 ? 0 : acc;
        acc *= rd;
    }
    float *yd = y->data;
    const float *rd = r->data;
    int64_t n = vd_tensor_numel(y);
    for (int64_t i = 0; i < n; i++) {
        yd[i] += rd[ro];
        for (int d = nd - 1; d >= 0; d--) { /* odometer over y's index */
            ro += st[d];
            if (++idx[d] < y->shape[d])
                break;
            ro -= st[d] * idx[d];
            idx[d] = 0;
        }
    }
    vd_nn_act_apply(act, yd, n);
}

static int conv_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_error *err)
{
    conv_shape cs;
    int rc = conv_shape_get(n, in, 0, &cs, err);
    if (rc)
        return rc;
    conv_out_shape(in[0], &cs, out[0]);
    rc = n->add_in ? conv_add_mode(n, in[n->add_in], out[0], err) : 0;
    return rc < 0 ? rc : VD_OK;
}

static int conv_is_depthwise(const conv_shape *cs)
{
    return cs->cg == 1 && cs->group == cs->c;
}

/* The Winograd F(2x2, 3x3) arguments when it applies to this call (2-D,
 * 3x3, stride 1, dilation 1, one group, enough channels), else 0. */
static int conv_wino(const conv_shape *cs, const conv_job *j, vd_nn_wino *a)
{
    const vd_nn_geom *g = &cs->g;
    if (cs->group != 1 || g->k[0] != 1 || g->in[0] != 1 || g->pb[0] || g->pe[0] ||
        g->k[1] != 3 || g->k[2] != 3 || g->s[1] != 1 || g->s[2] != 1 || g->d[1] != 1 ||
        g->d[2] != 1 || !vd_nn_wino_worth(cs->c, cs->m, g->out[1], g->out[2]))
        return 0;
    *a = (vd_nn_wino){cs->batch, cs->c, cs->m, g->in[1], g->in[2], g->out[1], g->out[2],
                      g->pb[1], g->pb[2], j ? j->x : NULL, j ? j->w : NULL,
                      j ? j->b : NULL, j ? j->add : NULL, j ? j->y : NULL,
                      j ? j->act : NULL, NULL};
    return 1;
}

static size_t conv_workspace(const vd_nn_node *n, vd_tensor *const *in,
                             vd_tensor *const *out)
{
    (void)out;
    conv_shape cs;
    vd_nn_wino a;
    if (conv_shape_get(n, in, 0, &cs, NULL) || conv_is_depthwise(&cs) ||
        conv_is_pointwise(&cs.g))
        return 0;
    if (conv_wino(&cs, NULL, &a))
        return vd_nn_wino_workspace(&a);
    if (vd_nn_cdir_fits(&cs.g, cs.c, cs.m, cs.group)) {
        vd_nn_conv_args d = {&cs.g, cs.batch, cs.c, cs.m, NULL, NULL, NULL, NULL, NULL, NULL};
        return vd_nn_cdir_workspace(&d);
    }
    return conv_im2col_ws_floats(&cs) * sizeof(float);
}

static int conv_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    conv_shape cs;
    vd_error e;
    if (conv_shape_get(n, in, 0, &cs, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    int mode = n->add_in ? conv_add_mode(n, in[n->add_in], out[0], &e) : 1;
    if (mode < 0)
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    /* A padded residual goes into the 1x1 conv's sgemm epilogue (as its
     * first rows); on every other path it is added after the conv. */
    int pad_epi = mode == CONV_ADD_PAD && conv_is_pointwise(&cs.g) && cs.group == 1;
    int in_epi = mode == 1 || pad_epi;
    static const vd_nn_act none = {VD_NN_ACT_NONE, 0, 0};
    vd_nn_wino wa;
    conv_job j = {&cs, in[0]->data, in[1]->data,
                  n->n_in > 2 && in[2] ? in[2]->data : NULL, out[0]->data,
                  vd_nn_ctx_workspace(ctx), in_epi ? &n->act : &none, 0, 0, NULL, 0, 0,
                  n->add_in && in_epi ? in[n->add_in]->data : NULL,
                  pad_epi ? in[n->add_in]->shape[1] : cs.m, n, in};
    if (conv_is_depthwise(&cs)) {
        vd_nn_conv_args a = {&cs.g, cs.batch, cs.c, cs.m, j.x, j.w, j.b, j.add, j.y, j.act};
        vd_nn_dw_run(ctx, &a);
    } else if (conv_is_pointwise(&cs.g)) {
        conv_pointwise_all(&j, ctx);
    } else if (conv_wino(&cs, &j, &wa)) {
        wa.u = conv_wino_weights(n, ctx, &wa);
        vd_nn_wino_run(ctx, &wa, j.col);
    } else if (vd_nn_cdir_fits(&cs.g, cs.c, cs.m, cs.group)) {
        vd_nn_conv_args d = {&cs.g, cs.batch, cs.c, cs.m, j.x, j.w, j.b, j.add, j.y, j.act};
        vd_nn_cdir_run(ctx, &d, j.col);
    } else {
        conv_im2col(&j, ctx);
    }
    if (!mode)
        conv_add_bcast(in[n->add_in], out[0], &n->act);
    else if (mode == CONV_ADD_PAD && !pad_epi)
        conv_add_chan(in[n->add_in], out[0], &n->act);
    return VD_OK;
}

/* ---- ConvTranspose: columns = W^T X, then scatter-add into Y ---- */

/* Channel co of the group: add its K column rows for input positions
 * [p0, p1) into output plane y. */
static void col2im_channel(const vd_nn_geom *g, const float *col, int64_t tc,
                           int64_t ksz, int64_t p0, int64_t p1, float *y)
{
    int64_t W = g->in[2], H = g->in[1], OW = g->out[2];
    for (int64_t kidx = 0; kidx < ksz; kidx++) {
        int64_t kk[3], lo, hi;
        tap_unravel(g, kidx, kk);
        int64_t off = kk[2] * g->d[2] - g->pb[2], s = g->s[2];
        vd_nn_tap_range(off, s, W, OW, &lo, &hi);
        const float *src = col + kidx * tc;
        int64_t iw = p0 % W, ih = p0 / W % H, id = p0 / (W * H);
        for (int64_t p = p0; p < p1;) {
            int64_t run = W - iw < p1 - p ? W - iw : p1 - p;
            int64_t od = id * g->s[0] - g->pb[0] + kk[0] * g->d[0];
            int64_t oh = ih * g->s[1] - g->pb[1] + kk[1] * g->d[1];
            if (od >= 0 && od < g->out[0] && oh >= 0 && oh < g->out[1]) {
                float *yrow = y + (od * g->out[1] + oh) * OW;
                int64_t a = lo > iw ? lo : iw, b = hi < iw + run ? hi : iw + run;
                for (int64_t i = a; i < b; i++)
                    yrow[i * s + off] += src[i - iw];
            }
            src += run;
            p += run;
            iw = 0;
            if (++ih == H) {
                ih = 0;
                id++;
            }
        }
    }
}

typedef struct convt_job {
    const conv_shape *cs;
    const float *col, *b;
    float *y;             /* first output channel of the group */
    int64_t gi, tc, p0, p1;
    const vd_nn_act *act;
} convt_job;

static void col2im_range(void *arg, int64_t begin, int64_t end)
{
    const convt_job *j = arg;
    const conv_shape *cs = j->cs;
    for (int64_t co = begin; co < end; co++)
        col2im_channel(&cs->g, j->col + co * cs->ksz * j->tc, j->tc, cs->ksz, j->p0,
                       j->p1, j->y + co * cs->outsp);
}

static void convt_finish_range(void *arg, int64_t begin, int64_t end)
{
    const convt_job *j = arg;
    const conv_shape *cs = j->cs;
    for (int64_t co = begin; co < end; co++) {
        float *y = j->y + co * cs->outsp;
        if (j->b) {
            float b = j->b[j->gi * cs->mg + co];
            for (int64_t i = 0; i < cs->outsp; i++)
                y[i] += b;
        }
        vd_nn_act_apply(j->act, y, cs->outsp);
    }
}

static int convt_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                       vd_error *err)
{
    conv_shape cs;
    int rc = conv_shape_get(n, in, 1, &cs, err);
    if (rc)
        return rc;
    conv_out_shape(in[0], &cs, out[0]);
    return VD_OK;
}

static size_t convt_workspace(const vd_nn_node *n, vd_tensor *const *in,
                              vd_tensor *const *out)
{
    (void)out;
    conv_shape cs;
    if (conv_shape_get(n, in, 1, &cs, NULL))
        return 0;
    int64_t rows = cs.mg * cs.ksz;
    return (size_t)(rows * tile_cols(rows, cs.insp)) * sizeof(float);
}

static int convt_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_nn_ctx *ctx)
{
    conv_shape cs;
    vd_error e;
    if (conv_shape_get(n, in, 1, &cs, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    const float *x = in[0]->data, *w = in[1]->data;
    float *col = vd_nn_ctx_workspace(ctx);
    int64_t rows = cs.mg * cs.ksz, tc = tile_cols(rows, cs.insp);
    convt_job j = {&cs, col, n->n_in > 2 && in[2] ? in[2]->data : NULL, NULL, 0, tc,
                   0, 0, &n->act};
    memset(out[0]->data, 0, vd_tensor_nbytes(out[0]));
    for (int64_t nb = 0; nb < cs.batch; nb++)
        for (j.gi = 0; j.gi < cs.group; j.gi++) {
            const float *xg = x + (nb * cs.c + j.gi * cs.cg) * cs.insp;
            j.y = (float *)out[0]->data + (nb * cs.m + j.gi * cs.mg) * cs.outsp;
            for (j.p0 = 0; j.p0 < cs.insp; j.p0 += tc) {
                j.p1 = j.p0 + tc < cs.insp ? j.p0 + tc : cs.insp;
                j.tc = j.p1 - j.p0;
                vd_nn_sgemm(ctx, 1, 0, rows, j.tc, cs.cg, 1.0f, w + j.gi * cs.cg * rows,
                            rows, xg + j.p0, cs.insp, col, j.tc, NULL);
                vd_nn_parallel_for(ctx, cs.mg, 1, col2im_range, &j);
            }
            vd_nn_parallel_for(ctx, cs.mg, 1, convt_finish_range, &j);
        }
    return VD_OK;
}

static const char *const conv_attrs[] = {"auto_pad", "dilations", "group", "kernel_shape",
                                         "pads", "strides", NULL};
static const char *const convt_attrs[] = {"auto_pad", "dilations", "group",
                                          "kernel_shape", "output_padding",
                                          "output_shape", "pads", "strides", NULL};

const vd_nn_op vd_nn_ops_conv[] = {
    {"Conv", 1, 0, conv_attrs, conv_init, conv_fini, conv_infer, conv_workspace, conv_run},
    {"ConvTranspose", 1, 0, convt_attrs, conv_init, NULL, convt_infer, convt_workspace,
     convt_run},
    {0},
};
