/* kernel.c -- the helpers of kernel.h: input checks, element access,
 * run-time output allocation. */
#include <stdint.h>
#include <string.h>

#include "kernel.h"
#include "vectorize.h"

int vd_nn_check_f32(const vd_nn_node *n, vd_tensor *const *in, int n_in,
                    vd_error *err)
{
    for (int i = 0; i < n_in && i < n->n_in; i++)
        if (in[i] && in[i]->dtype != VD_DTYPE_F32)
            return vd_error_set(err, VD_EUNSUPPORTED,
                                "%s: input %d is %s; only float32 is supported",
                                n->op_type, i, vd_dtype_name(in[i]->dtype));
    return VD_OK;
}

int vd_nn_kernel_need_data(const vd_tensor *t, const char *what, vd_error *err)
{
    if (!t)
        return vd_error_set(err, VD_EINVAL, "%s input is missing", what);
    if (!t->data) {
        vd_error_set(err, VD_EUNSUPPORTED, "%s input is not constant at plan time", what);
        return VD_NN_NEEDS_DATA;
    }
    return VD_OK;
}

void vd_nn_kernel_set_shape(vd_tensor *out, vd_dtype dt, int nd, const int64_t *shape)
{
    out->dtype = dt;
    out->ndim = nd;
    for (int i = 0; i < nd; i++)
        out->shape[i] = shape[i];
}

int vd_nn_kernel_ensure_out(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out, vd_nn_ctx *ctx)
{
    int missing = 0;
    for (int j = 0; j < n->n_out; j++)
        missing |= out[j] && !out[j]->data;
    if (!missing)
        return VD_OK;
    vd_tensor tmp[8];
    vd_tensor *tp[8];
    if (n->n_out > 8)
        return vd_nn_ctx_fail(ctx, VD_EUNSUPPORTED, "too many outputs (%d)", n->n_out);
    for (int j = 0; j < n->n_out; j++) {
        tmp[j] = out[j] ? *out[j] : (vd_tensor){0};
        tp[j] = &tmp[j];
    }
    vd_error e = {0};
    int rc = n->op->infer(n, in, tp, &e);
    if (rc < 0)
        return vd_nn_ctx_fail(ctx, rc, "%s", e.msg);
    for (int j = 0; j < n->n_out; j++) {
        if (!out[j] || out[j]->data)
            continue;
        rc = vd_nn_ctx_alloc_output(ctx, out[j], tmp[j].dtype, tmp[j].ndim, tmp[j].shape);
        if (rc < 0)
            return rc;
    }
    return VD_OK;
}

double vd_nn_kernel_get_f64(const vd_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case VD_DTYPE_F32: return ((const float *)t->data)[i];
    case VD_DTYPE_F64: return ((const double *)t->data)[i];
    default: return (double)vd_nn_tensor_get_i64(t, i);
    }
}

/* v truncated toward zero into [lo, hi], NaN -> 0. C leaves an
 * out-of-range float-to-int conversion undefined and ONNX leaves Cast's
 * result unspecified there; saturating gives every input one answer. */
void vd_nn_kernel_set_f64(vd_tensor *t, int64_t i, double v)
{
    void *d = t->data;
    switch (t->dtype) {
    case VD_DTYPE_F32: ((float *)d)[i] = (float)v; break;
    case VD_DTYPE_F64: ((double *)d)[i] = v; break;
    case VD_DTYPE_I64: ((int64_t *)d)[i] = vd_nn_sat_int(v, -0x1p63, 0x1p63); break;
    case VD_DTYPE_I32: ((int32_t *)d)[i] = (int32_t)vd_nn_sat_int(v, INT32_MIN, INT32_MAX); break;
    case VD_DTYPE_I16: ((int16_t *)d)[i] = (int16_t)vd_nn_sat_int(v, INT16_MIN, INT16_MAX); break;
    case VD_DTYPE_U16: ((uint16_t *)d)[i] = (uint16_t)vd_nn_sat_int(v, 0, UINT16_MAX); break;
    case VD_DTYPE_I8: ((int8_t *)d)[i] = (int8_t)vd_nn_sat_int(v, INT8_MIN, INT8_MAX); break;
    case VD_DTYPE_U8: ((uint8_t *)d)[i] = (uint8_t)vd_nn_sat_int(v, 0, UINT8_MAX); break;
    case VD_DTYPE_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    default: break;
    }
}

int vd_nn_kernel_read_ints(const vd_tensor *t, int64_t *v, int max,
                          const char *what, vd_error *err)
{
    if (t->dtype != VD_DTYPE_I64 && t->dtype != VD_DTYPE_I32)
        return vd_error_set(err, VD_EINVAL, "%s must be int64 or int32, not %s", what,
                            vd_dtype_name(t->dtype));
    if (t->ndim > 1)
        return vd_error_set(err, VD_EINVAL, "%s must be 1-D (rank %d)", what, t->ndim);
    int64_t cnt = vd_tensor_numel(t);
    if (cnt > max)
        return vd_error_set(err, VD_EINVAL, "%s has %lld values (at most %d)", what,
                            (long long)cnt, max);
    for (int64_t i = 0; i < cnt; i++)
        v[i] = vd_nn_tensor_get_i64(t, i);
    return (int)cnt;
}

int vd_nn_kernel_check_arity(const vd_nn_kernel_arity *tab, const vd_nn_node *n, int def_in,
                            int def_out, vd_error *err)
{
    vd_nn_kernel_arity a = {n->op_type, 0, def_in, def_in, def_out, def_out};
    for (; tab->op; tab++)
        if (!strcmp(tab->op, n->op_type) &&
            (!tab->since || !n->op || tab->since == n->op->since_opset)) {
            a = *tab;
            break;
        }
    if (n->n_in < a.min_in || (a.max_in >= 0 && n->n_in > a.max_in))
        return vd_error_set(err, VD_EINVAL, "%d inputs (expected %d to %d)", n->n_in,
                            a.min_in, a.max_in < 0 ? 1 << 30 : a.max_in);
    if (n->n_out < a.min_out || (a.max_out >= 0 && n->n_out > a.max_out))
        return vd_error_set(err, VD_EINVAL, "%d outputs (expected %d to %d)", n->n_out,
                            a.min_out, a.max_out);
    for (int k = 0; k < a.min_in; k++)
        if (n->in[k] < 0)
            return vd_error_set(err, VD_EINVAL, "input %d is required", k);
    for (int k = 0; k < a.min_out; k++)
        if (n->out[k] < 0)
            return vd_error_set(err, VD_EINVAL, "output %d is required", k);
    return VD_OK;
}

int vd_nn_kernel_check_elements_idx(const vd_tensor *x, const vd_tensor *idx, int axis,
                                   vd_error *err)
{
    if (idx->ndim != x->ndim)
        return vd_error_set(err, VD_EINVAL, "indices rank %d differs from data rank %d",
                            idx->ndim, x->ndim);
    if (idx->dtype != VD_DTYPE_I64 && idx->dtype != VD_DTYPE_I32)
        return vd_error_set(err, VD_EINVAL, "indices must be int64 or int32");
    for (int d = 0; d < x->ndim; d++)
        if (d != axis && idx->shape[d] > x->shape[d])
            return vd_error_set(err, VD_EINVAL,
                                "indices dim %d is %lld, larger than data's %lld", d,
                                (long long)idx->shape[d], (long long)x->shape[d]);
    return VD_OK;
}

int vd_nn_kernel_check_numel(int nd, const int64_t *shape, vd_error *err)
{
    int64_t total = 1;
    for (int i = 0; i < nd; i++) {
        if (shape[i] < 0)
            return vd_error_set(err, VD_EINVAL, "dimension %d is negative (%lld)", i,
                                (long long)shape[i]);
        if (shape[i] && total > VD_NN_KERNEL_MAX_NUMEL / shape[i])
            return vd_error_set(err, VD_ELIMIT,
                                "result of more than %lld elements (dim %d = %lld)",
                                (long long)VD_NN_KERNEL_MAX_NUMEL, i, (long long)shape[i]);
        total *= shape[i];
    }
    return VD_OK;
}
