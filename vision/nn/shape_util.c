/* shape_util.c -- shape arithmetic shared by kernel families. Outputs may
 * alias inputs (broadcasting into an accumulator is the common use). */
#include <stdint.h>
#include "graph.h"

int vd_nn_broadcast_shape(const vd_tensor *a, const vd_tensor *b, int *ndim,
                          int64_t *shape, vd_error *err)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t res[VD_TENSOR_MAX_DIMS]; /* out may alias a->shape or b->shape */
    for (int i = 0; i < nd; i++) {
        int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[96], sb[96];
            return vd_error_set(err, VD_EINVAL, "shapes %s and %s do not broadcast",
                                vd_tensor_shape_str(a, sa, sizeof sa),
                                vd_tensor_shape_str(b, sb, sizeof sb));
        }
        res[i] = da == 1 ? db : da;
    }
    for (int i = 0; i < nd; i++)
        shape[i] = res[i];
    *ndim = nd;
    return VD_OK;
}

int vd_nn_axis(int64_t axis, int ndim, int *out, vd_error *err)
{
    int64_t a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= (ndim ? ndim : 1))
        return vd_error_set(err, VD_EINVAL, "axis %lld out of range for rank %d",
                            (long long)axis, ndim);
    *out = (int)a;
    return VD_OK;
}

int64_t vd_nn_sat_int(double v, double lo, double hi)
{
    if (v != v)
        return 0;
    if (v <= lo)
        return (int64_t)lo;
    if (v >= hi)
        return hi >= 0x1p63 ? INT64_MAX : (int64_t)hi; /* 2^63 itself is out of range */
    return (int64_t)v;
}

int64_t vd_nn_tensor_get_i64(const vd_tensor *t, int64_t i)
{
    const double lo = -0x1p63, hi = 0x1p63;
    switch (t->dtype) {
    case VD_DTYPE_I64: return ((const int64_t *)t->data)[i];
    case VD_DTYPE_I32: return ((const int32_t *)t->data)[i];
    case VD_DTYPE_F32: return vd_nn_sat_int(((const float *)t->data)[i], lo, hi);
    case VD_DTYPE_F64: return vd_nn_sat_int(((const double *)t->data)[i], lo, hi);
    case VD_DTYPE_U8:
    case VD_DTYPE_BOOL: return ((const uint8_t *)t->data)[i];
    case VD_DTYPE_I8: return ((const int8_t *)t->data)[i];
    case VD_DTYPE_I16: return ((const int16_t *)t->data)[i];
    case VD_DTYPE_U16: return ((const uint16_t *)t->data)[i];
    default: return 0;
    }
}
