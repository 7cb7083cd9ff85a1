/* norm.c -- BatchNormalization (inference), InstanceNormalization,
 * LayerNormalization.
 *
 * All three reduce to "y = x * a + b per slice" once the slice's a and b
 * are known: BatchNorm folds its four [C] inputs into a per-channel scale
 * and shift, the other two compute mean and variance of each slice first
 * (two passes, accumulated in double so long slices stay exact). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

static void affine(const float *x, float *y, int64_t n, float a, float b)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] * a + b;
}

static void mean_var(const float *x, int64_t n, double *mean, double *var)
{
    double s = 0, q = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    double m = n ? s / (double)n : 0;
    for (int64_t i = 0; i < n; i++)
        q += ((double)x[i] - m) * ((double)x[i] - m);
    *mean = m;
    *var = n ? q / (double)n : 0;
}

static void copy_shape(const vd_tensor *from, vd_tensor *to)
{
    to->dtype = VD_DTYPE_F32;
    to->ndim = from->ndim;
    memcpy(to->shape, from->shape, sizeof(int64_t) * (size_t)from->ndim);
}

/* Checks [N, C, ...] input and n_par per-channel inputs of C values. */
static int channel_inputs(const vd_nn_node *n, vd_tensor *const *in, int n_par,
                          int64_t *planes, int64_t *c, int64_t *hw, vd_error *err)
{
    int rc = vd_nn_check_f32(n, in, 1 + n_par, err);
    if (rc)
        return rc;
    const vd_tensor *x = in[0];
    if (x->ndim < 2)
        return vd_error_set(err, VD_EINVAL, "%s: input must be [N, C, ...], got rank %d",
                            n->op_type, x->ndim);
    *c = x->shape[1];
    *planes = x->shape[0] * *c;
    *hw = *planes ? vd_tensor_numel(x) / *planes : 0;
    for (int i = 1; i <= n_par; i++)
        if (!in[i] || vd_tensor_numel(in[i]) != *c)
            return vd_error_set(err, VD_EINVAL, "%s: input %d must have %lld values (one "
                                "per channel)", n->op_type, i, (long long)*c);
    return VD_OK;
}

typedef struct norm_job {
    const float *x, *scale, *bias, *mean, *var;
    float *y, *out_mean, *out_istd;
    int64_t c, hw;
    float eps;
} norm_job;

/* ---- BatchNormalization ---- */

typedef struct eps_params {
    float eps;
    int64_t axis;
} eps_params;

static int eps_init(vd_nn_node *n, vd_error *err)
{
    eps_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    n->params = p;
    p->eps = vd_nn_attr_float(n, "epsilon", 1e-5f);
    p->axis = vd_nn_attr_int(n, "axis", -1);
    return VD_OK;
}

static int bn_init(vd_nn_node *n, vd_error *err)
{
    if (vd_nn_attr_int(n, "training_mode", 0))
        return vd_error_set(err, VD_EUNSUPPORTED, "attribute training_mode = 1 is not "
                            "supported (inference only)");
    if (!vd_nn_attr_int(n, "spatial", 1))
        return vd_error_set(err, VD_EUNSUPPORTED, "attribute spatial = 0 is not supported");
    if (!vd_nn_attr_int(n, "is_test", 1))
        return vd_error_set(err, VD_EUNSUPPORTED, "attribute is_test = 0 (training) is not "
                            "supported");
    for (int i = 1; i < n->n_out; i++)
        if (n->out[i] >= 0)
            return vd_error_set(err, VD_EUNSUPPORTED, "output %d (running statistics) is "
                                "training-only and not supported", i);
    return eps_init(n, err);
}

static int bn_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_error *err)
{
    int64_t planes, c, hw;
    int rc = channel_inputs(n, in, 4, &planes, &c, &hw, err);
    if (rc)
        return rc;
    copy_shape(in[0], out[0]);
    return VD_OK;
}

static void bn_range(void *arg, int64_t begin, int64_t end)
{
    const norm_job *j = arg;
    for (int64_t p = begin; p < end; p++) {
        int64_t c = p % j->c;
        float a = j->scale[c] / sqrtf(j->var[c] + j->eps);
        affine(j->x + p * j->hw, j->y + p * j->hw, j->hw, a, j->bias[c] - j->mean[c] * a);
    }
}

static int bn_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                  vd_nn_ctx *ctx)
{
    int64_t planes, c, hw;
    vd_error e;
    if (channel_inputs(n, in, 4, &planes, &c, &hw, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    const eps_params *p = n->params;
    norm_job j = {in[0]->data, in[1]->data, in[2]->data, in[3]->data, in[4]->data,
                  out[0]->data, NULL, NULL, c, hw, p->eps};
    vd_nn_parallel_for(ctx, planes, 16384 / (hw + 1) + 1, bn_range, &j);
    return VD_OK;
}

/* ---- InstanceNormalization ---- */

static int in_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_error *err)
{
    int64_t planes, c, hw;
    int rc = channel_inputs(n, in, 2, &planes, &c, &hw, err);
    if (rc)
        return rc;
    copy_shape(in[0], out[0]);
    return VD_OK;
}

static void in_range(void *arg, int64_t begin, int64_t end)
{
    const norm_job *j = arg;
    for (int64_t p = begin; p < end; p++) {
        int64_t c = p % j->c;
        double m, v;
        mean_var(j->x + p * j->hw, j->hw, &m, &v);
        float a = (float)(j->scale[c] / sqrt(v + j->eps));
        affine(j->x + p * j->hw, j->y + p * j->hw, j->hw, a, j->bias[c] - (float)m * a);
    }
}

static int in_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                  vd_nn_ctx *ctx)
{
    int64_t planes, c, hw;
    vd_error e;
    if (channel_inputs(n, in, 2, &planes, &c, &hw, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    const eps_params *p = n->params;
    norm_job j = {in[0]->data, in[1]->data, in[2]->data, NULL, NULL,
                  out[0]->data, NULL, NULL, c, hw, p->eps};
    vd_nn_parallel_for(ctx, planes, 1, in_range, &j);
    return VD_OK;
}

/* ---- LayerNormalization (opset 17): normalise over dims [axis, rank) ---- */

static int ln_dims(const vd_nn_node *n, vd_tensor *const *in, int *axis, int64_t *rows,
                   int64_t *len, vd_error *err)
{
    const eps_params *p = n->params;
    int rc = vd_nn_check_f32(n, in, 3, err);
    if (!rc && (rc = vd_nn_axis(p->axis, in[0]->ndim, axis, err)))
        vd_error_prefix(err, "LayerNormalization: ");
    if (rc)
        return rc;
    *rows = *len = 1;
    for (int i = 0; i < in[0]->ndim; i++)
        *(i < *axis ? rows : len) *= in[0]->shape[i];
    for (int i = 1; i < 3 && i < n->n_in; i++) {
        int64_t cnt = in[i] ? vd_tensor_numel(in[i]) : *len;
        if (cnt != *len && cnt != 1)
            return vd_error_set(err, VD_EUNSUPPORTED, "LayerNormalization: input %d has %lld "
                                "values; only 1 or the normalised size %lld are supported",
                                i, (long long)cnt, (long long)*len);
    }
    return VD_OK;
}

static int ln_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_error *err)
{
    int axis;
    int64_t rows, len;
    int rc = ln_dims(n, in, &axis, &rows, &len, err);
    if (rc)
        return rc;
    copy_shape(in[0], out[0]);
    for (int o = 1; o < 3 && o < n->n_out; o++) {
        if (n->out[o] < 0 || !out[o])
            continue;
        copy_shape(in[0], out[o]);
        for (int i = axis; i < in[0]->ndim; i++)
            out[o]->shape[i] = 1;
    }
    return VD_OK;
}

typedef struct ln_job {
    norm_job nj;
    int64_t scale_n, bias_n;
} ln_job;

static void ln_range(void *arg, int64_t begin, int64_t end)
{
    const ln_job *l = arg;
    const norm_job *j = &l->nj;
    for (int64_t r = begin; r < end; r++) {
        const float *x = j->x + r * j->hw;
        float *y = j->y + r * j->hw;
        double m, v;
        mean_var(x, j->hw, &m, &v);
        float istd = (float)(1.0 / sqrt(v + j->eps)), mf = (float)m;
        for (int64_t i = 0; i < j->hw; i++) {
            float s = j->scale[l->scale_n == 1 ? 0 : i];
            float b = j->bias ? j->bias[l->bias_n == 1 ? 0 : i] : 0.0f;
            y[i] = (x[i] - mf) * istd * s + b;
        }
        if (j->out_mean)
            j->out_mean[r] = mf;
        if (j->out_istd)
            j->out_istd[r] = istd;
    }
}

static float *ln_stat_out(const vd_nn_node *n, vd_tensor *const *out, int o)
{
    return n->n_out > o && n->out[o] >= 0 && out[o] ? out[o]->data : NULL;
}

static int ln_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                  vd_nn_ctx *ctx)
{
    int axis;
    int64_t rows, len;
    vd_error e;
    if (ln_dims(n, in, &axis, &rows, &len, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    const eps_params *p = n->params;
    const vd_tensor *b = n->n_in > 2 ? in[2] : NULL;
    ln_job l = {{in[0]->data, in[1]->data, b ? b->data : NULL, NULL, NULL, out[0]->data,
                 ln_stat_out(n, out, 1), ln_stat_out(n, out, 2), 1, len, p->eps},
                vd_tensor_numel(in[1]), b ? vd_tensor_numel(b) : 0};
    vd_nn_parallel_for(ctx, rows, 16384 / (len + 1) + 1, ln_range, &l);
    return VD_OK;
}

static const char *const bn_attrs[] = {"epsilon", "momentum", "spatial", "is_test",
                                       "training_mode", NULL};
static const char *const in_attrs[] = {"epsilon", NULL};
static const char *const ln_attrs[] = {"axis", "epsilon", "stash_type", NULL};

const vd_nn_op vd_nn_ops_norm[] = {
    {"BatchNormalization", 1, VD_NN_OP_INPLACE, bn_attrs, bn_init, NULL, bn_infer, NULL,
     bn_run},
    {"InstanceNormalization", 1, 0, in_attrs, eps_init, NULL, in_infer, NULL, in_run},
    {"LayerNormalization", 17, 0, ln_attrs, eps_init, NULL, ln_infer, NULL, ln_run},
    {0},
};
