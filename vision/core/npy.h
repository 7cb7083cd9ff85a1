/* npy.h -- read and write numpy .npy files (format 1.0/2.0/3.0), as numpy
 * does, for float32, float64, int64, int32, int8, uint8, int16, uint16 and bool.
 * Only C-order little-endian arrays; Fortran order or big-endian is refused
 * with a message naming the file. */
#ifndef VD_NPY_H
#define VD_NPY_H

#include "error.h"
#include "tensor.h"

/* Reads into a freshly allocated (owned) tensor. */
int vd_npy_read(const char *path, vd_tensor *out, vd_error *err);
int vd_npy_read_buffer(const void *data, size_t size, vd_tensor *out, vd_error *err);
int vd_npy_write(const char *path, const vd_tensor *t, vd_error *err);

#endif
