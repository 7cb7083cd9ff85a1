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

/* The header vd_npy_write() puts before t's data (t->data is not used) into
 * buf (n >= 512), returning its length. As numpy pads it, the length stays
 * the same while shape[0] grows up to 21 digits: a writer that streams rows
 * writes the header with shape[0] = 0 first and rewrites it at the end. */
size_t vd_npy_header(const vd_tensor *t, char *buf, size_t n);

#endif
