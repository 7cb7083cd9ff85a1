/* transforms_internal.h -- the separable resampler shared by transforms.c
 * (float tensors), transforms_chain.c (fused uint8 -> batch slot) and
 * vd_tf_resize_u8. Not a public header.
 *
 * Every interpolation is expressed as one table per axis: output index i
 * reads `ksize` consecutive inputs from start[i] with weights w[i*ksize..].
 * Nearest is 1 tap, bilinear 2, antialiased bilinear ~2*scale+1. Tables are
 * small (out * ksize floats), built per call, so nothing is shared or
 * cached and every caller stays thread-safe. */
#ifndef VD_TRANSFORMS_INTERNAL_H
#define VD_TRANSFORMS_INTERNAL_H

#include "transforms.h"

typedef struct vd_tf_coeffs {
    int n;      /* output length */
    int ksize;  /* taps per output (unused taps have weight 0) */
    int *start; /* first input index per output */
    float *w;   /* n * ksize weights */
} vd_tf_coeffs;

int vd_tf_coeffs_build(vd_tf_coeffs *c, int in, int out, vd_interp interp,
                       int antialias, vd_error *err);
void vd_tf_coeffs_free(vd_tf_coeffs *c);

/* Vertical pass for output row y: row[x] = sum_k w_k * src[start+k][x] for
 * x < n (n = width * channels, rows stride apart). */
void vd_tf_vpass_u8(const uint8_t *src, ptrdiff_t stride, int n,
                    const vd_tf_coeffs *cy, int y, float *row);
void vd_tf_vpass_f32(const float *src, ptrdiff_t stride, int n,
                     const vd_tf_coeffs *cy, int y, float *row);

/* Horizontal pass of one channel: out[x*ostep] = sum_k w_k *
 * row[(start+k)*istep] for x < cx->n. */
void vd_tf_hpass(const float *row, int istep, const vd_tf_coeffs *cx,
                 float *out, int ostep);

/* Resample one float plane (sw x sh, row stride sstride) into dst (cx->n x
 * cy->n, row stride dstride). row: scratch of sw floats. */
void vd_tf_resample_plane(const float *src, int sw, ptrdiff_t sstride,
                          float *dst, ptrdiff_t dstride,
                          const vd_tf_coeffs *cx, const vd_tf_coeffs *cy,
                          float *row);

/* Python's round() on .5 ties: to even. */
double vd_tf_round_half_even(double v);

#endif
