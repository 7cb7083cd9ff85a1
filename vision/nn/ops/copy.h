/* copy.h -- the one strided copy behind every data-movement op.
 *
 * Design choice: every data-movement op (Transpose, Slice, Expand, Tile,
 * Concat ...) is expressed as ONE strided copy over an up-to-16-d index
 * space, which collapses mergeable dims first so that the inner loop is a
 * memcpy or a tight typed loop; no op carries its own index walker.
 * Internal to vision/nn/ops; implemented in copy.c. */
#ifndef VD_NN_OPS_COPY_H
#define VD_NN_OPS_COPY_H

#include "vision/nn/graph.h"

#define VD_NN_COPY_MAX_DIMS 16

/* Copy shape[nd] elements of es bytes from src to dst with element
 * strides src_st/dst_st (any sign, 0 = broadcast on src). nd <= 16. */
void vd_nn_copy_strided(vd_nn_ctx *ctx, void *dst, const int64_t *dst_st,
                      const void *src, const int64_t *src_st,
                      const int64_t *shape, int nd, size_t es);

/* Contiguous row-major strides (elements) of shape[nd] into st. */
void vd_nn_copy_strides(const int64_t *shape, int nd, int64_t *st);

#endif
