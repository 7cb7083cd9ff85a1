/* tensor.c -- allocation and views for vd_tensor. See tensor.h.
 * Storage is 64-byte aligned so SIMD kernels and BLAS never see a split
 * cache line at the start of a tensor. */
#include "tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { size_t size; const char *name; } dtypes[VD_DTYPE_COUNT] = {
    [VD_DTYPE_F32] = {4, "float32"}, [VD_DTYPE_U8] = {1, "uint8"},
    [VD_DTYPE_I8] = {1, "int8"},     [VD_DTYPE_I32] = {4, "int32"},
    [VD_DTYPE_I64] = {8, "int64"},   [VD_DTYPE_BOOL] = {1, "bool"},
    [VD_DTYPE_F64] = {8, "float64"}, [VD_DTYPE_U16] = {2, "uint16"},
    [VD_DTYPE_I16] = {2, "int16"},
};

size_t vd_dtype_size(vd_dtype dt)
{
    return (unsigned)dt < VD_DTYPE_COUNT ? dtypes[dt].size : 0;
}

const char *vd_dtype_name(vd_dtype dt)
{
    return (unsigned)dt < VD_DTYPE_COUNT ? dtypes[dt].name : "invalid";
}

int64_t vd_tensor_numel(const vd_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

size_t vd_tensor_nbytes(const vd_tensor *t)
{
    return (size_t)vd_tensor_numel(t) * vd_dtype_size(t->dtype);
}

void vd_tensor_view(vd_tensor *t, vd_dtype dt, int ndim, const int64_t *shape,
                    void *data)
{
    int64_t dims[VD_TENSOR_MAX_DIMS]; /* shape may point into *t itself */
    for (int i = 0; i < ndim && i < VD_TENSOR_MAX_DIMS; i++)
        dims[i] = shape[i];
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim && i < VD_TENSOR_MAX_DIMS; i++)
        t->shape[i] = dims[i];
    t->data = data;
}

int vd_tensor_alloc(vd_tensor *t, vd_dtype dt, int ndim, const int64_t *shape,
                    vd_error *err)
{
    if (ndim < 0 || ndim > VD_TENSOR_MAX_DIMS || (unsigned)dt >= VD_DTYPE_COUNT)
        return vd_error_set(err, VD_EINVAL, "tensor: bad dtype %d or ndim %d", dt, ndim);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return vd_error_set(err, VD_EINVAL, "tensor: negative dimension %lld",
                                (long long)shape[i]);
    vd_tensor_view(t, dt, ndim, shape, NULL);
    size_t bytes = vd_tensor_nbytes(t);
    size_t rounded = (bytes + 63) & ~(size_t)63;
    t->data = aligned_alloc(64, rounded ? rounded : 64);
    if (!t->data)
        return vd_error_set(err, VD_ENOMEM, "tensor: cannot allocate %zu bytes", bytes);
    memset(t->data, 0, rounded ? rounded : 64);
    t->owns = 1;
    return VD_OK;
}

vd_tensor vd_tensor_slot(const vd_tensor *t, int64_t i)
{
    vd_tensor s;
    vd_tensor_view(&s, t->dtype, t->ndim - 1, t->shape + 1, NULL);
    s.data = (char *)t->data + (size_t)i * vd_tensor_nbytes(&s);
    return s;
}

void vd_tensor_free(vd_tensor *t)
{
    if (t->owns)
        free(t->data);
    t->data = NULL;
    t->owns = 0;
}

int vd_tensor_same_shape(const vd_tensor *a, const vd_tensor *b)
{
    if (a->dtype != b->dtype || a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

const char *vd_tensor_shape_str(const vd_tensor *t, char *buf, size_t n)
{
    size_t len = 0;
    len += snprintf(buf + len, n - len, "[");
    for (int i = 0; i < t->ndim && len < n; i++)
        len += snprintf(buf + len, n - len, "%s%lld", i ? "," : "", (long long)t->shape[i]);
    if (len < n)
        snprintf(buf + len, n - len, "]");
    return buf;
}
