/* heavy.h -- helpers shared by the heavy kernel families (conv, gemm,
 * pool): sliding-window geometry and the parallel sgemm driver.
 *
 * Geometry is always resolved to THREE spatial dims with leading unit
 * dims (a 1-D conv over L is D=1,H=1,W=L), so one kernel covers 1-D, 2-D
 * and 3-D. Attributes are parsed once at init (vd_nn_window); the
 * per-shape resolution (auto_pad, ceil_mode, output size) is recomputed
 * from the input shape by infer() and run(), because the model's node is
 * shared read-only between sessions with different batch/input sizes.
 * Internal to vision/nn/ops; implemented in conv.c, conv_dw.c, gemm.c and
 * conv_winograd.c. */
#ifndef VD_NN_OPS_HEAVY_H
#define VD_NN_OPS_HEAVY_H

#include "vision/nn/graph.h"

/* Hot loops: the full vectoriser (gcc -O2 only vectorises loops whose trip
 * count it knows, and keeps float selects as branches while FP traps are
 * on), and on x86-64 an AVX2+FMA clone picked at load time. */
#define VD_NN_HOT \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")))
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VD_NN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VD_NN_CLONES
#endif

typedef enum vd_nn_autopad {
    VD_NN_PAD_NOTSET = 0,
    VD_NN_PAD_SAME_UPPER,
    VD_NN_PAD_SAME_LOWER,
    VD_NN_PAD_VALID,
} vd_nn_autopad;

/* Parsed window attributes in ONNX order; a count of 0 means "absent". */
typedef struct vd_nn_window {
    int nk, ns, nd, np, nop, nos;
    int64_t k[3], s[3], d[3], pads[6], opad[3], oshape[5];
    vd_nn_autopad autopad;
    int ceil_mode;
} vd_nn_window;

/* Resolved geometry for one input shape, 3 dims with leading unit dims. */
typedef struct vd_nn_geom {
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
} vd_nn_geom;

typedef enum vd_nn_window_kind {
    VD_NN_WIN_CONV,      /* floor((in + pads - dk) / s) + 1 */
    VD_NN_WIN_POOL,      /* same, or ceil with ceil_mode */
    VD_NN_WIN_CONVT,     /* s*(in-1) + output_padding + dk - pads, or output_shape */
} vd_nn_window_kind;

/* Parse kernel_shape strides dilations pads auto_pad ceil_mode
 * output_padding output_shape (those present) and validate their values. */
int vd_nn_window_parse(const vd_nn_node *n, vd_nn_window *w, vd_error *err);
/* Resolve for nsp (1..3) spatial input dims in_sp and kernel dims k_sp
 * (NULL: take kernel_shape). Fails with a message on a count mismatch or
 * an empty output. */
int vd_nn_window_geom(const vd_nn_window *w, vd_nn_window_kind kind, int nsp,
                      const int64_t *in_sp, const int64_t *k_sp, vd_nn_geom *g,
                      vd_error *err);

/* The i in [lo, hi) within [0, n) with 0 <= i*s + off < limit: which
 * output columns a kernel tap reaches, or which taps of a window at
 * offset off are inside an input of size limit (s = dilation). */
void vd_nn_tap_range(int64_t off, int64_t s, int64_t n, int64_t limit, int64_t *lo,
                     int64_t *hi);

/* ---- sgemm driver (gemm.c) ---- */

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

/* Fail unless every listed input that is present is float32 (message names
 * op, input index and dtype). */
int vd_nn_check_f32(const vd_nn_node *n, vd_tensor *const *in, int n_in,
                    vd_error *err);

/* ---- Winograd F(2x2, 3x3) conv (conv_winograd.c) ---- */

/* One 2-D Conv with a 3x3 kernel, stride 1, dilation 1, group 1: X
 * [batch, cin, h, w_in] with top/left pads pt, pl (bottom/right padding is
 * implied by oh, ow), W [cout, cin, 3, 3], optional bias [cout] and
 * residual add (laid out like Y), Y [batch, cout, oh, ow] =
 * act(conv + bias + add). u is set by vd_nn_wino_run. */
typedef struct vd_nn_wino {
    int64_t batch, cin, cout, h, w_in, oh, ow, pt, pl;
    const float *x, *w, *bias, *add;
    float *y;
    const vd_nn_act *act;
    const float *u;       /* transformed weights: set by the caller (kept from
                           * an earlier run), or NULL: computed into ws */
} vd_nn_wino;

/* Whether Winograd beats im2col for these channel counts and output size. */
int vd_nn_wino_worth(int64_t cin, int64_t cout, int64_t oh, int64_t ow);
/* Workspace bytes vd_nn_wino_run needs (any thread count). */
size_t vd_nn_wino_workspace(const vd_nn_wino *a);
/* Compute Y over ctx's workers; ws has vd_nn_wino_workspace bytes. */
void vd_nn_wino_run(vd_nn_ctx *ctx, vd_nn_wino *a, float *ws);
/* Bytes of the transformed weights, and computing them into u (which a
 * caller with constant weights keeps and passes as a->u from then on). */
size_t vd_nn_wino_weight_bytes(const vd_nn_wino *a);
void vd_nn_wino_weights(vd_nn_ctx *ctx, const vd_nn_wino *a, float *u);

/* ---- depthwise Conv (conv_dw.c) ---- */

/* The operands of the direct conv kernels below: X [batch, cin, in...],
 * W [cout, cin / group, k...], optional bias [cout] and residual add
 * (laid out like Y); Y [batch, cout, out...] = act(conv + bias + add). */
typedef struct vd_nn_conv_args {
    const vd_nn_geom *g;
    int64_t batch, cin, cout;
    const float *x, *w, *bias, *add;
    float *y;
    const vd_nn_act *act;
} vd_nn_conv_args;

/* Depthwise Conv, group == cin, cout a multiple of cin (output channel co
 * reads input channel co / (cout / cin)), any geometry g describes. */
/* Compute Y over ctx's workers (needs no workspace). */
void vd_nn_dw_run(vd_nn_ctx *ctx, const vd_nn_conv_args *a);
/* The hp x wp window extent of the 2-D plane x with its zero padding
 * (g's top/left pads): xp[r][c] = x[r - pb1][c - pb2], 0 outside x. */
void vd_nn_pad_plane(const vd_nn_geom *g, int64_t hp, int64_t wp, const float *x,
                     float *xp);

/* ---- direct conv for few input channels (conv_direct.c) ---- */

/* A 2-D Conv, group 1, dilation 1: stride 1 or 2 with cin <= 4 input
 * channels (an image's first layer), or stride 1 with cin <= 16 and
 * cout <= 32 over rows of 64 or more outputs. Whether the kernel takes
 * this conv: */
int vd_nn_cdir_fits(const vd_nn_geom *g, int64_t cin, int64_t cout, int64_t group);
/* Workspace bytes vd_nn_cdir_run needs (any thread count). */
size_t vd_nn_cdir_workspace(const vd_nn_conv_args *a);
/* Compute Y over ctx's workers; ws has vd_nn_cdir_workspace bytes. */
void vd_nn_cdir_run(vd_nn_ctx *ctx, const vd_nn_conv_args *a, float *ws);

#endif
