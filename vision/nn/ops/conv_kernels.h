/* conv_kernels.h -- the specialised Conv kernels conv.c dispatches to:
 * Winograd F(2x2, 3x3) (conv_winograd.c), depthwise (conv_dw.c), direct
 * for few input channels (conv_direct.c) and direct 1x1 for few input
 * channels (conv_pw.c). Each one computes the whole
 * conv with bias, residual and fused activation; conv.c decides which
 * one fits. Internal to vision/nn/ops. */
#ifndef VD_NN_OPS_CONV_KERNELS_H
#define VD_NN_OPS_CONV_KERNELS_H

#include <stdint.h>
#include <string.h>

#include "kernel.h"
#include "window.h"

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
/* ---- direct conv for few input channels (conv_direct.c) ---- */

/* A 2-D Conv, group 1, dilation 1: stride 1 or 2 with cin <= 4 input
 * channels (an image's first layer), stride 1 with cin <= 16 and
 * cout <= 32 over rows of 64 or more outputs, or 3x3 with cin <= 32 and
 * cout <= 64 at stride 2 (rows of 16 or more) or stride 1 (rows of 16 to
 * 96). Whether the kernel takes this conv: */
int vd_nn_cdir_fits(const vd_nn_geom *g, int64_t cin, int64_t cout, int64_t group);
/* Workspace bytes vd_nn_cdir_run needs (any thread count). */
size_t vd_nn_cdir_workspace(const vd_nn_conv_args *a);
/* Compute Y over ctx's workers; ws has vd_nn_cdir_workspace bytes. */
void vd_nn_cdir_run(vd_nn_ctx *ctx, const vd_nn_conv_args *a, float *ws);

/* ---- 8-lane float vectors of the register-tiled kernels (conv_direct.c,
 * conv_pw.c): unaligned loads and stores through memcpy. They are always
 * inlined into an AVX2 clone or the default one, so no 32-byte vector
 * crosses a call and the psabi note does not apply. ---- */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float vd_nn_v8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t vd_nn_v8i __attribute__((vector_size(32), aligned(4)));

static inline __attribute__((always_inline)) vd_nn_v8 vd_nn_v8_load(const float *p)
{
    vd_nn_v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void vd_nn_v8_store(float *p, vd_nn_v8 v)
{
    memcpy(p, &v, sizeof v);
}
#pragma GCC diagnostic pop

/* ---- direct 1x1 conv for few input channels (conv_pw.c) ---- */

#define VD_NN_PW_CIN_MAX 64

/* A 1x1, stride-1, unpadded, one-group Conv: X is the channel
 * concatenation of n_parts tensors [batch, part_c[q], cols] (one part
 * without a fused Concat), W [cout, cin], optional bias [cout] and
 * residual add [batch, add_c, cols] for Y's first add_c channels (add_c
 * = cout but for a channel-padded residual), Y [batch, cout, cols] =
 * act(conv + bias + add). */
typedef struct vd_nn_pw {
    int64_t batch, cin, cout, cols;
    const float *const *parts;
    const int64_t *part_c;
    int n_parts;
    const float *w, *bias, *add;
    int64_t add_c;
    float *y;
    const vd_nn_act *act;
} vd_nn_pw;

/* Whether the direct kernel takes this conv (it needs no workspace). */
int vd_nn_pw_fits(int64_t cin, int64_t cout, int64_t cols);
void vd_nn_pw_run(vd_nn_ctx *ctx, const vd_nn_pw *a);

#endif
