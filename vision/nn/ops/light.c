/* light.c -- helpers shared by the light kernel families; see light.h.
 * The strided copy splits its rows over the session's workers; each
 * chunk recomputes its starting offsets from the row index, so there is
 * no per-element index arithmetic in the inner loop. */
#include <stdint.h>
#include <string.h>

#include "light.h"

void vd_nn_light_strides(const int64_t *shape, int nd, int64_t *st)
{
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        st[i] = s;
        s *= shape[i];
    }
}

typedef struct copy_job {
    char *dst;
    const char *src;
    int64_t shape[VD_NN_LIGHT_MAX_DIMS], dst_st[VD_NN_LIGHT_MAX_DIMS],
        src_st[VD_NN_LIGHT_MAX_DIMS];
    int nd;
    size_t es;
    int64_t seg, nseg; /* long rows are cut in segments of seg elements */
} copy_job;

#define STRIDED_LOOP(T)                                                   \
    do {                                                                  \
        T *d_ = (T *)d;                                                   \
        const T *s_ = (const T *)s;                                       \
        for (int64_t i = 0; i < n; i++)                                   \
            d_[i * ds] = s_[i * ss];                                      \
    } while (0)

static void copy_row(char *d, int64_t ds, const char *s, int64_t ss, int64_t n,
                     size_t es)
{
    if (ds == 1 && ss == 1) {
        memcpy(d, s, (size_t)n * es);
        return;
    }
    switch (es) {
    case 1: STRIDED_LOOP(uint8_t); break;
    case 2: STRIDED_LOOP(uint16_t); break;
    case 4: STRIDED_LOOP(uint32_t); break;
    case 8: STRIDED_LOOP(uint64_t); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(d + (size_t)(i * ds) * es, s + (size_t)(i * ss) * es, es);
    }
}

/* Element offsets of the start of row r in dst and src. */
static void row_offsets(const copy_job *j, int64_t r, int64_t *idx, int64_t *doff,
                        int64_t *soff)
{
    *doff = *soff = 0;
    for (int i = j->nd - 2; i >= 0; i--) {
        idx[i] = r % j->shape[i];
        r /= j->shape[i];
        *doff += idx[i] * j->dst_st[i];
        *soff += idx[i] * j->src_st[i];
    }
}

static void copy_rows(void *arg, int64_t begin, int64_t end)
{
    const copy_job *j = arg;
    int last = j->nd - 1;
    int64_t idx[VD_NN_LIGHT_MAX_DIMS] = {0}, doff, soff;
    row_offsets(j, begin, idx, &doff, &soff);
    for (int64_t row = begin; row < end; row++) {
        copy_row(j->dst + doff * (int64_t)j->es, j->dst_st[last],
                 j->src + soff * (int64_t)j->es, j->src_st[last], j->shape[last], j->es);
        for (int i = last - 1; i >= 0; i--) {
            doff += j->dst_st[i];
            soff += j->src_st[i];
            if (++idx[i] < j->shape[i])
                break;
            doff -= j->dst_st[i] * j->shape[i];
            soff -= j->src_st[i] * j->shape[i];
            idx[i] = 0;
        }
    }
}

/* Few long rows: work units are (row, segment) so that they still split. */
static void copy_segments(void *arg, int64_t begin, int64_t end)
{
    const copy_job *j = arg;
    int last = j->nd - 1;
    int64_t idx[VD_NN_LIGHT_MAX_DIMS], doff, soff;
    for (int64_t u = begin; u < end; u++) {
        int64_t s0 = u % j->nseg * j->seg, len = j->shape[last] - s0;
        row_offsets(j, u / j->nseg, idx, &doff, &soff);
        doff += s0 * j->dst_st[last];
        soff += s0 * j->src_st[last];
        copy_row(j->dst + doff * (int64_t)j->es, j->dst_st[last], j->src + soff * (int64_t)j->es,
                 j->src_st[last], len < j->seg ? len : j->seg, j->es);
    }
}

void vd_nn_light_copy(vd_nn_ctx *ctx, void *dst, const int64_t *dst_st,
                      const void *src, const int64_t *src_st,
                      const int64_t *shape, int nd, size_t es)
{
    copy_job j = {.dst = dst, .src = src, .es = es};
    /* Drop unit dims and merge neighbours that are contiguous in both. */
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 0)
            return;
        if (shape[i] == 1)
            continue;
        if (j.nd > 0 && j.dst_st[j.nd - 1] == dst_st[i] * shape[i] &&
            j.src_st[j.nd - 1] == src_st[i] * shape[i]) {
            j.shape[j.nd - 1] *= shape[i];
            j.dst_st[j.nd - 1] = dst_st[i];
            j.src_st[j.nd - 1] = src_st[i];
            continue;
        }
        j.shape[j.nd] = shape[i];
        j.dst_st[j.nd] = dst_st[i];
        j.src_st[j.nd] = src_st[i];
        j.nd++;
    }
    if (j.nd == 0) {
        j.shape[0] = 1;
        j.dst_st[0] = j.src_st[0] = 1;
        j.nd = 1;
    }
    int64_t rows = 1, inner = j.shape[j.nd - 1];
    for (int i = 0; i < j.nd - 1; i++)
        rows *= j.shape[i];
    if (inner >= 4 * VD_NN_LIGHT_GRAIN && vd_nn_ctx_threads(ctx) > 1) {
        j.seg = VD_NN_LIGHT_GRAIN;
        j.nseg = (inner + j.seg - 1) / j.seg;
        vd_nn_parallel_for(ctx, rows * j.nseg, 1, copy_segments, &j);
        return;
    }
    int64_t grain = VD_NN_LIGHT_GRAIN / inner;
    vd_nn_parallel_for(ctx, rows, grain > 0 ? grain : 1, copy_rows, &j);
}

int vd_nn_light_need_data(const vd_tensor *t, const char *what, vd_error *err)
{
    if (!t)
        return vd_error_set(err, VD_EINVAL, "%s input is missing", what);
    if (!t->data) {
        vd_error_set(err, VD_EUNSUPPORTED, "%s input is not constant at plan time", what);
        return VD_NN_NEEDS_DATA;
    }
    return VD_OK;
}

void vd_nn_light_set_shape(vd_tensor *out, vd_dtype dt, int nd, const int64_t *shape)
{
    out->dtype = dt;
    out->ndim = nd;
    for (int i = 0; i < nd; i++)
        out->shape[i] = shape[i];
}

int vd_nn_light_ensure_out(const vd_nn_node *n, vd_tensor *const *in,
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

double vd_nn_light_get_f64(const vd_tensor *t, int64_t i)
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
void vd_nn_light_set_f64(vd_tensor *t, int64_t i, double v)
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

int vd_nn_light_read_ints(const vd_tensor *t, int64_t *v, int max,
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

int vd_nn_light_check_arity(const vd_nn_light_arity *tab, const vd_nn_node *n, int def_in,
                            int def_out, vd_error *err)
{
    vd_nn_light_arity a = {n->op_type, 0, def_in, def_in, def_out, def_out};
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

int vd_nn_light_check_elements_idx(const vd_tensor *x, const vd_tensor *idx, int axis,
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

int vd_nn_light_check_numel(int nd, const int64_t *shape, vd_error *err)
{
    int64_t total = 1;
    for (int i = 0; i < nd; i++) {
        if (shape[i] < 0)
            return vd_error_set(err, VD_EINVAL, "dimension %d is negative (%lld)", i,
                                (long long)shape[i]);
        if (shape[i] && total > VD_NN_LIGHT_MAX_NUMEL / shape[i])
            return vd_error_set(err, VD_ELIMIT,
                                "result of more than %lld elements (dim %d = %lld)",
                                (long long)VD_NN_LIGHT_MAX_NUMEL, i, (long long)shape[i]);
        total *= shape[i];
    }
    return VD_OK;
}
