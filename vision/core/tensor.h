/* tensor.h -- the dense tensor every visiond module hands around.
 *
 * A vd_tensor is a dtype, a shape and a pointer to contiguous row-major
 * data. It either owns that memory (vd_tensor_alloc, freed by
 * vd_tensor_free) or is a view into memory someone else owns
 * (vd_tensor_view; vd_tensor_free then only forgets the pointer). Views
 * are how a decoded frame lands in slot b of a [B,C,H,W] batch without a
 * copy: vd_tensor_slot() returns a view of one slot.
 *
 * Strides are deliberately absent: every kernel and transform can assume
 * contiguous memory, which keeps them short and fast. */
#ifndef VD_TENSOR_H
#define VD_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VD_TENSOR_MAX_DIMS 8

typedef enum vd_dtype {
    VD_DTYPE_F32 = 0,
    VD_DTYPE_U8,
    VD_DTYPE_I8,
    VD_DTYPE_I32,
    VD_DTYPE_I64,
    VD_DTYPE_BOOL, /* one byte, 0 or 1 */
    VD_DTYPE_F64,
    VD_DTYPE_U16,
    VD_DTYPE_I16,
    VD_DTYPE_COUNT
} vd_dtype;

typedef struct vd_tensor {
    vd_dtype dtype;
    int ndim;
    int64_t shape[VD_TENSOR_MAX_DIMS];
    void *data;
    int owns; /* 1: data was allocated by vd_tensor_alloc and is freed with it */
} vd_tensor;

size_t vd_dtype_size(vd_dtype dt);
const char *vd_dtype_name(vd_dtype dt); /* "float32", "uint8", ... */

int64_t vd_tensor_numel(const vd_tensor *t); /* 1 for a scalar (ndim 0) */
size_t vd_tensor_nbytes(const vd_tensor *t);

/* Allocate zeroed, 64-byte aligned storage for the given shape. */
int vd_tensor_alloc(vd_tensor *t, vd_dtype dt, int ndim, const int64_t *shape,
                    vd_error *err);
/* Describe memory owned elsewhere; never fails for ndim in range. */
void vd_tensor_view(vd_tensor *t, vd_dtype dt, int ndim, const int64_t *shape,
                    void *data);
/* View of t[i] (the first axis dropped). t must have ndim >= 1. */
vd_tensor vd_tensor_slot(const vd_tensor *t, int64_t i);
/* Frees owned data; a view is only reset. Safe on a zeroed or freed tensor. */
void vd_tensor_free(vd_tensor *t);

/* Same dtype and shape? */
int vd_tensor_same_shape(const vd_tensor *a, const vd_tensor *b);
/* "[1,3,224,224]" into buf; returns buf. */
const char *vd_tensor_shape_str(const vd_tensor *t, char *buf, size_t n);

#endif
