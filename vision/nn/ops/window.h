/* window.h -- sliding-window geometry shared by Conv, ConvTranspose and
 * the pools: attribute parsing, output sizes, tap ranges, padded planes.
 *
 * Geometry is always resolved to THREE spatial dims with leading unit
 * dims (a 1-D conv over L is D=1,H=1,W=L), so one kernel covers 1-D, 2-D
 * and 3-D. Attributes are parsed once at init (vd_nn_window); the
 * per-shape resolution (auto_pad, ceil_mode, output size) is recomputed
 * from the input shape by infer() and run(), because the model's node is
 * shared read-only between sessions with different batch/input sizes.
 * Internal to vision/nn/ops; implemented in window.c. */
#ifndef VD_NN_OPS_WINDOW_H
#define VD_NN_OPS_WINDOW_H

#include "vision/nn/graph.h"

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

/* The hp x wp window extent of the 2-D plane x with its zero padding
 * (g's top/left pads): xp[r][c] = x[r - pb1][c - pb2], 0 outside x. */
void vd_nn_pad_plane(const vd_nn_geom *g, int64_t hp, int64_t wp, const float *x,
                     float *xp);

#endif
