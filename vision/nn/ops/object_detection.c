/* object_detection.c -- NonMaxSuppression and RoiAlign, the detection-head
 * ops.
 *
 * NonMaxSuppression is a DYNAMIC op: how many boxes survive is only known
 * after running it, so run() sizes its output through the context. It is
 * greedy per (batch, class) in descending score order, ties broken by the
 * lower box index, with strict comparisons (score > score_threshold,
 * IoU > iou_threshold suppresses) as onnxruntime does -- which is exactly
 * vision/box's NMS (vd_nms_order + vd_nms_sweep), so the kernel only
 * converts the boxes and runs it in a workspace the session keeps: no
 * allocation per run. Candidates with a NaN score (only possible without
 * a score threshold) are visited last. RoiAlign follows
 * onnxruntime too, including its "max" mode, which takes the maximum of
 * the bilinear corner terms rather than of interpolated values. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "vision/box/box.h"

/* ---- NonMaxSuppression ---- */

typedef struct nms_params {
    int center;
} nms_params;

static int nms_init(vd_nn_node *n, vd_error *err)
{
    nms_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    n->params = p;
    p->center = (int)vd_nn_attr_int(n, "center_point_box", 0);
    if (p->center != 0 && p->center != 1)
        return vd_error_set(err, VD_EINVAL, "attribute center_point_box = %d must be 0 or 1",
                            p->center);
    return VD_OK;
}

static int nms_check(const vd_nn_node *n, vd_tensor *const *in, vd_error *err)
{
    const vd_tensor *b = in[0], *s = in[1];
    if (b->dtype != VD_DTYPE_F32 || s->dtype != VD_DTYPE_F32)
        return vd_error_set(err, VD_EUNSUPPORTED, "NonMaxSuppression: boxes and scores must "
                            "be float32");
    if (b->ndim != 3 || b->shape[2] != 4 || s->ndim != 3 || s->shape[0] != b->shape[0] ||
        s->shape[2] != b->shape[1]) {
        char sb[96], ss[96];
        return vd_error_set(err, VD_EINVAL, "NonMaxSuppression: boxes %s and scores %s; "
                            "expected [B,N,4] and [B,C,N]",
                            vd_tensor_shape_str(b, sb, sizeof sb),
                            vd_tensor_shape_str(s, ss, sizeof ss));
    }
    for (int i = 2; i < n->n_in && i < 5; i++) {
        if (in[i] && vd_tensor_numel(in[i]) != 1)
            return vd_error_set(err, VD_EINVAL, "NonMaxSuppression: input %d must hold one "
                                "value", i);
        if (in[i] && i > 2 && in[i]->dtype != VD_DTYPE_F32)
            return vd_error_set(err, VD_EUNSUPPORTED, "NonMaxSuppression: input %d is %s; "
                                "float32 expected", i, vd_dtype_name(in[i]->dtype));
    }
    return VD_OK;
}

static int nms_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    int rc = nms_check(n, in, err);
    if (rc)
        return rc;
    out[0]->dtype = VD_DTYPE_I64;
    out[0]->ndim = 2;
    out[0]->shape[0] = -1;
    out[0]->shape[1] = 3;
    return VD_OK;
}

/* Box i of one batch item as a vd_box: with center_point_box 0 the ONNX
 * corners are (y1, x1, y2, x2) in either order, so they are sorted as
 * onnxruntime does; with 1 they are (x_center, y_center, width, height). */
static vd_box nms_box(const float *b, int center)
{
    if (center)
        return (vd_box){b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2};
    return (vd_box){fminf(b[1], b[3]), fminf(b[0], b[2]), fmaxf(b[1], b[3]), fmaxf(b[0], b[2])};
}

/* max_output_boxes_per_class clamped to [0, nbox]: 0 when the input is
 * absent, nbox (the bound) when its value is not known yet. */
static int64_t nms_max_out(const vd_nn_node *n, vd_tensor *const *in)
{
    int64_t nbox = in[0]->shape[1];
    if (n->n_in <= 2 || !in[2])
        return 0;
    int64_t m = in[2]->data ? vd_nn_tensor_get_i64(in[2], 0) : nbox;
    return m < 0 ? 0 : (m > nbox ? nbox : m);
}

/* The run's scratch, one block: the boxes of a batch item as vd_box, the
 * sweep's index array, then per (batch, class) the count and the indices
 * kept, held until the output's size is known. */
typedef struct nms_ws {
    vd_box *box;
    int *idx, *count, *kept;
} nms_ws;

static size_t nms_ws_layout(const vd_nn_node *n, vd_tensor *const *in, nms_ws *w, char *base)
{
    size_t nbox = (size_t)in[0]->shape[1], lists = (size_t)in[0]->shape[0],
           max_out = (size_t)nms_max_out(n, in), kept, bytes;
    if (__builtin_mul_overflow(lists, (size_t)in[1]->shape[1], &lists) ||
        __builtin_mul_overflow(lists, max_out, &kept) ||
        __builtin_mul_overflow(kept + lists + nbox, sizeof(int), &bytes) ||
        __builtin_add_overflow(bytes, nbox * sizeof(vd_box), &bytes))
        return SIZE_MAX; /* the session cannot grow a workspace this large */
    if (w) {
        w->box = (vd_box *)base;
        w->idx = (int *)(w->box + nbox);
        w->count = w->idx + nbox;
        w->kept = w->count + lists;
    }
    return bytes;
}

static size_t nms_workspace(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out)
{
    (void)out;
    return nms_ws_layout(n, in, NULL, NULL);
}

/* Candidates of one (batch, class) in visiting order, swept; the kept box
 * indices are left in w->idx[0..return). */
static int nms_class(const nms_ws *w, const float *scores, int nbox, int max_out,
                     float iou_thr, int has_thr, float score_thr)
{
    vd_nms_view v = {w->box, scores, NULL, sizeof(vd_box), sizeof(float), 0};
    int nc = 0;
    for (int i = 0; i < nbox; i++)
        if (!has_thr || scores[i] > score_thr)
            w->idx[nc++] = i;
    vd_nms_order(&v, w->idx, nc);
    return vd_nms_sweep(&v, w->idx, nc, iou_thr, max_out);
}

/* The output [total, 3] rows (batch, class, box) from the kept lists. */
static int nms_emit(const nms_ws *w, int64_t nb, int64_t ncls, int64_t max_out, vd_tensor *out,
                    vd_nn_ctx *ctx)
{
    int64_t total = 0;
    for (int64_t l = 0; l < nb * ncls; l++)
        total += w->count[l];
    int64_t shape[2] = {total, 3};
    int rc = vd_nn_ctx_alloc_output(ctx, out, VD_DTYPE_I64, 2, shape);
    int64_t *sel = out->data;
    for (int64_t l = 0; !rc && l < nb * ncls; l++)
        for (int i = 0; i < w->count[l]; i++, sel += 3) {
            sel[0] = l / ncls;
            sel[1] = l % ncls;
            sel[2] = w->kept[l * max_out + i];
        }
    return rc;
}

static int nms_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    const nms_params *p = n->params;
    vd_error e;
    if (nms_check(n, in, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    int64_t nb = in[0]->shape[0], nbox = in[0]->shape[1], ncls = in[1]->shape[1];
    int64_t max_out = nms_max_out(n, in);
    float iou_thr = n->n_in > 3 && in[3] ? ((const float *)in[3]->data)[0] : 0.0f;
    int has_thr = n->n_in > 4 && in[4];
    float score_thr = has_thr ? ((const float *)in[4]->data)[0] : 0.0f;
    if (iou_thr < 0 || iou_thr > 1)
        return vd_nn_ctx_fail(ctx, VD_EINVAL, "NonMaxSuppression: iou_threshold %g is "
                              "outside [0, 1]", iou_thr);
    if (nbox > INT_MAX)
        return vd_nn_ctx_fail(ctx, VD_ELIMIT, "NonMaxSuppression: %lld boxes (at most %d)",
                              (long long)nbox, INT_MAX);
    nms_ws w = {0};
    nms_ws_layout(n, in, &w, vd_nn_ctx_workspace(ctx)); /* sized by nms_workspace */
    for (int64_t b = 0; b < nb; b++) {
        const float *boxes = (const float *)in[0]->data + b * nbox * 4;
        for (int64_t i = 0; i < nbox; i++)
            w.box[i] = nms_box(boxes + i * 4, p->center);
        for (int64_t c = 0; c < ncls; c++) {
            int64_t l = b * ncls + c;
            const float *sc = (const float *)in[1]->data + l * nbox;
            w.count[l] = nms_class(&w, sc, (int)nbox, (int)max_out, iou_thr, has_thr, score_thr);
            memcpy(w.kept + l * max_out, w.idx, (size_t)w.count[l] * sizeof(int));
        }
    }
    return nms_emit(&w, nb, ncls, max_out, out[0], ctx);
}

/* ---- RoiAlign ---- */

typedef struct roi_params {
    int max, half_pixel;
    int64_t oh, ow, ratio;
    float scale;
} roi_params;

static int roi_init(vd_nn_node *n, vd_error *err)
{
    roi_params *p = calloc(1, sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    n->params = p;
    const char *mode = vd_nn_attr_string(n, "mode", "avg");
    const char *ct = vd_nn_attr_string(n, "coordinate_transformation_mode",
                                       n->opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (strcmp(mode, "avg") && strcmp(mode, "max"))
        return vd_error_set(err, VD_EINVAL, "attribute mode = \"%s\" must be avg or max", mode);
    if (strcmp(ct, "half_pixel") && strcmp(ct, "output_half_pixel"))
        return vd_error_set(err, VD_EINVAL, "attribute coordinate_transformation_mode = "
                            "\"%s\" must be half_pixel or output_half_pixel", ct);
    p->max = !strcmp(mode, "max");
    p->half_pixel = !strcmp(ct, "half_pixel");
    p->oh = vd_nn_attr_int(n, "output_height", 1);
    p->ow = vd_nn_attr_int(n, "output_width", 1);
    p->ratio = vd_nn_attr_int(n, "sampling_ratio", 0);
    p->scale = vd_nn_attr_float(n, "spatial_scale", 1.0f);
    if (p->oh < 1 || p->ow < 1 || p->ratio < 0)
        return vd_error_set(err, VD_EINVAL, "output_height/output_width must be >= 1 and "
                            "sampling_ratio >= 0");
    return VD_OK;
}

static int roi_check(const vd_nn_node *n, vd_tensor *const *in, vd_error *err)
{
    const vd_tensor *x = in[0], *r = in[1], *bi = in[2];
    int rc = vd_nn_check_f32(n, in, 2, err);
    if (rc)
        return rc;
    if (x->ndim != 4 || r->ndim != 2 || r->shape[1] != 4 || bi->ndim != 1 ||
        bi->shape[0] != r->shape[0])
        return vd_error_set(err, VD_EINVAL, "RoiAlign: expected X [N,C,H,W], rois [R,4], "
                            "batch_indices [R]");
    if (bi->dtype != VD_DTYPE_I64 && bi->dtype != VD_DTYPE_I32)
        return vd_error_set(err, VD_EUNSUPPORTED, "RoiAlign: batch_indices must be int64");
    if (x->shape[2] < 1 || x->shape[3] < 1)
        return vd_error_set(err, VD_EINVAL, "RoiAlign: X has an empty spatial dim");
    return VD_OK;
}

static int roi_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                     vd_error *err)
{
    const roi_params *p = n->params;
    int rc = roi_check(n, in, err);
    if (rc)
        return rc;
    out[0]->dtype = VD_DTYPE_F32;
    out[0]->ndim = 4;
    out[0]->shape[0] = in[1]->shape[0];
    out[0]->shape[1] = in[0]->shape[1];
    out[0]->shape[2] = p->oh;
    out[0]->shape[3] = p->ow;
    return VD_OK;
}

typedef struct roi_job {
    const roi_params *p;
    const vd_tensor *x, *rois, *bi;
    float *y;
} roi_job;

static float roi_bin(const roi_params *p, const float *plane, int64_t h, int64_t w,
                     float y0, float x0, float bh, float bw, int64_t gh, int64_t gw)
{
    float acc = 0;
    int first = 1;
    for (int64_t iy = 0; iy < gh; iy++)
        for (int64_t ix = 0; ix < gw; ix++) {
            float yy = y0 + ((float)iy + 0.5f) * bh / (float)gh;
            float xx = x0 + ((float)ix + 0.5f) * bw / (float)gw;
            int64_t pos[4];
            float wt[4];
            vd_roi_corners(yy, xx, h, w, pos, wt);
            if (!p->max) {
                for (int k = 0; k < 4; k++)
                    acc += wt[k] * plane[pos[k]];
                continue;
            }
            float v = wt[0] * plane[pos[0]];
            for (int k = 1; k < 4; k++)
                v = fmaxf(v, wt[k] * plane[pos[k]]);
            acc = first ? v : fmaxf(acc, v);
            first = 0;
        }
    int64_t cnt = gh * gw > 1 ? gh * gw : 1;
    return p->max ? acc : acc / (float)cnt;
}

/* One roi's box in input pixels and its sampling grid per bin (the
 * adaptive grid is ceil(size / bins); in float, so that roi_run can check
 * it before anything is cast to an integer). */
typedef struct roi_box {
    float xs, ys, bh, bw, gh, gw;
} roi_box;

static void roi_box_get(const roi_params *p, const float *roi, roi_box *b)
{
    float off = p->half_pixel ? 0.5f : 0.0f;
    b->xs = roi[0] * p->scale - off;
    b->ys = roi[1] * p->scale - off;
    float rw = roi[2] * p->scale - off - b->xs, rh = roi[3] * p->scale - off - b->ys;
    if (!p->half_pixel) {
        rw = fmaxf(rw, 1.0f);
        rh = fmaxf(rh, 1.0f);
    }
    b->bh = rh / (float)p->oh;
    b->bw = rw / (float)p->ow;
    b->gh = p->ratio ? (float)p->ratio : ceilf(b->bh);
    b->gw = p->ratio ? (float)p->ratio : ceilf(b->bw);
}

/* Samples per bin side past which a roi is refused: a box thousands of
 * times the feature map would otherwise take hours (or, at inf, cast a
 * non-finite float to an integer). */
#define ROI_GRID_MAX 4096.0f

static void roi_range(void *arg, int64_t begin, int64_t end)
{
    const roi_job *j = arg;
    const roi_params *p = j->p;
    int64_t C = j->x->shape[1], H = j->x->shape[2], W = j->x->shape[3];
    for (int64_t t = begin; t < end; t++) {
        int64_t r = t / C, c = t % C;
        roi_box bx;
        roi_box_get(p, (const float *)j->rois->data + r * 4, &bx);
        int64_t b = vd_nn_tensor_get_i64(j->bi, r);  /* checked by roi_run */
        int64_t gh = (int64_t)bx.gh, gw = (int64_t)bx.gw;
        const float *plane = (const float *)j->x->data + (b * C + c) * H * W;
        float *y = j->y + t * p->oh * p->ow;
        for (int64_t ph = 0; ph < p->oh; ph++)
            for (int64_t pw = 0; pw < p->ow; pw++)
                y[ph * p->ow + pw] = roi_bin(p, plane, H, W, bx.ys + (float)ph * bx.bh,
                                             bx.xs + (float)pw * bx.bw, bx.bh, bx.bw, gh, gw);
    }
}

static int roi_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                   vd_nn_ctx *ctx)
{
    vd_error e;
    if (roi_check(n, in, &e))
        return vd_nn_ctx_fail(ctx, e.code, "%s", e.msg);
    for (int64_t r = 0; r < in[2]->shape[0]; r++) {
        int64_t b = vd_nn_tensor_get_i64(in[2], r);
        if (b < 0 || b >= in[0]->shape[0])
            return vd_nn_ctx_fail(ctx, VD_ERANGE, "RoiAlign: batch_indices[%lld] = %lld is "
                                  "outside [0, %lld)", (long long)r, (long long)b,
                                  (long long)in[0]->shape[0]);
        const float *roi = (const float *)in[1]->data + r * 4;
        roi_box bx;
        roi_box_get(n->params, roi, &bx);
        if (!(fabsf(bx.gh) <= ROI_GRID_MAX && fabsf(bx.gw) <= ROI_GRID_MAX &&
              isfinite(bx.xs) && isfinite(bx.ys) && isfinite(bx.bh) && isfinite(bx.bw)))
            return vd_nn_ctx_fail(ctx, VD_ERANGE, "RoiAlign: rois[%lld] = [%g, %g, %g, %g] is "
                                  "not finite or over %g samples per bin side", (long long)r,
                                  roi[0], roi[1], roi[2], roi[3], ROI_GRID_MAX);
    }
    roi_job j = {n->params, in[0], in[1], in[2], out[0]->data};
    vd_nn_parallel_for(ctx, in[1]->shape[0] * in[0]->shape[1], 1, roi_range, &j);
    return VD_OK;
}

static const char *const nms_attrs[] = {"center_point_box", NULL};
static const char *const roi_attrs[] = {"coordinate_transformation_mode", "mode",
                                        "output_height", "output_width", "sampling_ratio",
                                        "spatial_scale", NULL};

const vd_nn_op vd_nn_ops_detect[] = {
    {"NonMaxSuppression", 10, VD_NN_OP_DYNAMIC, nms_attrs, nms_init, NULL, nms_infer,
     nms_workspace, nms_run},
    {"RoiAlign", 10, 0, roi_attrs, roi_init, NULL, roi_infer, NULL, roi_run},
    {0},
};
