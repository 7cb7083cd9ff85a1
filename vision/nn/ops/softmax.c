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

#include "kernel.h"
#include "vision/nn/vmath.h"

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

/* Softmax or LogSoftmax of d values at stride st, for w neighbouring
 * positions at once (w <= SM_COLS; w = 1 for a contiguous row): every
 * loop runs along the w positions (or along the row when w = 1), so it
 * vectorises, and exp is vmath's vectorisable one. YOLOv8's DFL softmax
 * is d = 16 bins at stride 4 * anchors: a row at a time it was 16 strided
 * scalar expf calls. */
#define SM_COLS 64

/* vmath's exp clamps its argument, so a NaN would come out finite: pass
 * it through, so a NaN input makes its row NaN as with libm. */
static inline __attribute__((always_inline)) float sm_exp(float t)
{
    return t != t ? t : vd_nn_expf(t);
}

VD_NN_CLONES VD_NN_HOT static void sm_cols(int log, const float *restrict x,
                                          float *restrict y, int64_t d, int64_t st,
                                          int64_t w)
{
    float mx[SM_COLS], sum[SM_COLS];
    for (int64_t j = 0; j < w; j++) {
        mx[j] = -INFINITY;
        sum[j] = 0.0f;
    }
    for (int64_t k = 0; k < d; k++)
        for (int64_t j = 0; j < w; j++)
            mx[j] = x[k * st + j] > mx[j] ? x[k * st + j] : mx[j];
    for (int64_t k = 0; k < d; k++)
        for (int64_t j = 0; j < w; j++) {
            float e = sm_exp(x[k * st + j] - mx[j]);
            sum[j] += e;
            if (!log)
                y[k * st + j] = e;
        }
    for (int64_t j = 0; j < w; j++)
        sum[j] = log ? mx[j] + logf(sum[j]) : 1.0f / sum[j];
    for (int64_t k = 0; k < d; k++)
        for (int64_t j = 0; j < w; j++)
            y[k * st + j] = log ? x[k * st + j] - sum[j] : y[k * st + j] * sum[j];
}

/* A contiguous row: the same steps along the row. */
VD_NN_CLONES VD_NN_HOT static void sm_row(int log, const float *restrict x, float *restrict y,
                                         int64_t d)
{
    float mx = -INFINITY, sum = 0.0f;
    for (int64_t i = 0; i < d; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (int64_t i = 0; i < d; i++) {
        float e = sm_exp(x[i] - mx);
        sum += e;
        if (!log)
            y[i] = e;
    }
    float s = log ? mx + logf(sum) : 1.0f / sum;
    for (int64_t i = 0; i < d; i++)
        y[i] = log ? x[i] - s : y[i] * s;
}

/* Hardmax: 1 at the first maximum of d values at stride st, 0 elsewhere. */
static void hm_row(const float *x, float *y, int64_t d, int64_t st)
{
    float mx = -INFINITY;
    int64_t arg = 0;
    for (int64_t i = 0; i < d; i++)
        if (x[i * st] > mx) {
            mx = x[i * st];
            arg = i;
        }
    for (int64_t i = 0; i < d; i++)
        y[i * st] = i == arg ? 1.0f : 0.0f;
}

/* Items: (outer index, block of SM_COLS inner positions). */
static void sm_range(void *arg, int64_t begin, int64_t end)
{
    const sm_job *j = arg;
    int64_t blocks = (j->inner + SM_COLS - 1) / SM_COLS;
    for (int64_t r = begin; r < end; r++) {
        int64_t o = r / blocks, i0 = r % blocks * SM_COLS;
        int64_t w = j->inner - i0 < SM_COLS ? j->inner - i0 : SM_COLS;
        const float *x = j->x + o * j->d * j->inner + i0;
        float *y = j->y + o * j->d * j->inner + i0;
        for (int64_t i = 0; j->p->kind == SM_HARD && i < w; i++)
            hm_row(x + i, y + i, j->d, j->inner);
        if (j->p->kind != SM_HARD && j->inner == 1)
            sm_row(j->p->kind == SM_LOG, x, y, j->d);
        else if (j->p->kind != SM_HARD)
            sm_cols(j->p->kind == SM_LOG, x, y, j->d, j->inner, w);
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
    int64_t outer = 0, d = 0, inner = 0; /* set by sm_dims (gcc -O3 cannot tell) */
    vd_error e;
    if (sm_dims(n, in[0], &outer, &d, &inner, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    sm_job j = {n->params, in[0]->data, out[0]->data, d, inner};
    int64_t blocks = (inner + SM_COLS - 1) / SM_COLS, per = d * (inner < SM_COLS ? inner : SM_COLS);
    vd_nn_parallel_for(ctx, outer * blocks, 4096 / (per ? per : 1) + 1, sm_range, &j);
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
