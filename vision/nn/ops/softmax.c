/* softmax.c -- Softmax, LogSoftmax and Hardmax along one axis.
 *
 * ONNX changed the axis meaning at opset 13: before, the input is
 * coerced to 2-D at `axis` (default 1) and the op runs over everything
 * from axis on; from 13 it runs over the single dim `axis` (default -1).
 * Both become [outer, D, inner] here (before 13, inner is always 1), so
 * one kernel serves both definitions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heavy.h"

typedef enum sm_kind { SM_SOFTMAX, SM_LOG, SM_HARD } sm_kind;

typedef struct sm_params {
    sm_kind kind;
    int64_t axis;
    int legacy;     /* before opset 13 */
} sm_params;

static int sm_init(vd_nn_node *n, vd_error *err)
{
    sm_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    p->kind = !strcmp(n->op_type, "LogSoftmax") ? SM_LOG
              : !strcmp(n->op_type, "Hardmax")  ? SM_HARD
                                                : SM_SOFTMAX;
    p->legacy = n->opset < 13;
    p->axis = vd_nn_attr_int(n, "axis", p->legacy ? 1 : -1);
    n->params = p;
    return VD_OK;
}

typedef struct sm_job {
    const sm_params *p;
    const float *x;
    float *y;
    int64_t d, inner;
} sm_job;

static int sm_dims(const vd_nn_node *n, const vd_tensor *x, int64_t *outer, int64_t *d,
                   int64_t *inner, vd_error *err)
{
    const sm_params *p = n->params;
    int axis;
    int rc = vd_nn_axis(p->axis, x->ndim, &axis, err);
    if (rc)
        return vd_error_prefix(err, "%s: ", n->op_type);
    *outer = *d = *inner = 1;
    for (int i = 0; i < x->ndim; i++) {
        if (i < axis)
            *outer *= x->shape[i];
        else if (i == axis || p->legacy)
            *d *= x->shape[i];
        else
            *inner *= x->shape[i];
    }
    return VD_OK;
}

/* One row of d values at stride st. */
static void sm_row(sm_kind kind, const float *x, float *y, int64_t d, int64_t st)
{
    float mx = -INFINITY;
    int64_t arg = 0;
    for (int64_t i = 0; i < d; i++)
        if (x[i * st] > mx) {
            mx = x[i * st];
            arg = i;
        }
    if (kind == SM_HARD) {
        for (int64_t i = 0; i < d; i++)
            y[i * st] = i == arg ? 1.0f : 0.0f;
        return;
    }
    float sum = 0;
    for (int64_t i = 0; i < d; i++) {
        float e = expf(x[i * st] - mx);
        sum += e;
        if (kind == SM_SOFTMAX)
            y[i * st] = e;
    }
    if (kind == SM_LOG) {
        float lse = logf(sum);
        for (int64_t i = 0; i < d; i++)
            y[i * st] = x[i * st] - mx - lse;
    } else {
        float inv = 1.0f / sum;
        for (int64_t i = 0; i < d; i++)
            y[i * st] *= inv;
    }
}

static void sm_range(void *arg, int64_t begin, int64_t end)
{
    const sm_job *j = arg;
    for (int64_t r = begin; r < end; r++) {
        int64_t o = r / j->inner, i = r % j->inner, base = o * j->d * j->inner + i;
        sm_row(j->p->kind, j->x + base, j->y + base, j->d, j->inner);
    }
}

static int sm_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_error *err)
{
    int64_t o, d, i;
    int rc = vd_nn_check_f32(n, in, 1, err);
    if (!rc)
        rc = sm_dims(n, in[0], &o, &d, &i, err);
    if (rc)
        return rc;
    out[0]->dtype = VD_DTYPE_F32;
    out[0]->ndim = in[0]->ndim;
    memcpy(out[0]->shape, in[0]->shape, sizeof(int64_t) * (size_t)in[0]->ndim);
    return VD_OK;
}

static int sm_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                  vd_nn_ctx *ctx)
{
    int64_t outer, d, inner;
    vd_error e;
    if (sm_dims(n, in[0], &outer, &d, &inner, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    sm_job j = {n->params, in[0]->data, out[0]->data, d, inner};
    vd_nn_parallel_for(ctx, outer * inner, 4096 / (d ? d : 1) + 1, sm_range, &j);
    return VD_OK;
}

static const char *const sm_attrs[] = {"axis", NULL};

#define SM_OP(name, since) \
    {name, since, VD_NN_OP_INPLACE, sm_attrs, sm_init, NULL, sm_infer, NULL, sm_run}

const vd_nn_op vd_nn_ops_softmax[] = {
    SM_OP("Softmax", 1), SM_OP("Softmax", 13),
    SM_OP("LogSoftmax", 1), SM_OP("LogSoftmax", 13),
    SM_OP("Hardmax", 1), SM_OP("Hardmax", 13),
    {0},
};
