/* ops.c -- box operations as in torchvision.ops (see ops.h).
 *
 * NMS sorts an index array by (score desc, index asc) so ties are stable,
 * then does the classic O(n^2) greedy sweep with a "suppressed" flag per
 * box. Batched NMS is the same sweep where a box only suppresses boxes of
 * its own class: exactly torchvision's per-class result, without the
 * coordinate-offset trick whose large offsets cost float precision. */
#include "box.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float vd_box_area(const vd_box *b)
{
    return (b->x2 - b->x1) * (b->y2 - b->y1);
}

float vd_box_iou(const vd_box *a, const vd_box *b)
{
    float iw = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    float ih = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    float inter = (iw > 0 ? iw : 0) * (ih > 0 ? ih : 0);
    float uni = vd_box_area(a) + vd_box_area(b) - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

void vd_box_iou_matrix(const vd_box *a, int na, const vd_box *b, int nb, float *out)
{
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            out[(size_t)i * nb + j] = vd_box_iou(&a[i], &b[j]);
}

const char *vd_box_fmt_name(vd_box_fmt f)
{
    static const char *const names[] = {"xyxy", "xywh", "cxcywh"};
    return (unsigned)f <= VD_BOX_CXCYWH ? names[f] : "invalid";
}

static void to_xyxy(float *b, vd_box_fmt from)
{
    if (from == VD_BOX_XYWH) {
        b[2] += b[0];
        b[3] += b[1];
    } else if (from == VD_BOX_CXCYWH) {
        float cx = b[0], cy = b[1], w = b[2], h = b[3];
        b[0] = cx - 0.5f * w, b[1] = cy - 0.5f * h;
        b[2] = cx + 0.5f * w, b[3] = cy + 0.5f * h;
    }
}

static void from_xyxy(float *b, vd_box_fmt to)
{
    float x1 = b[0], y1 = b[1], x2 = b[2], y2 = b[3];
    if (to == VD_BOX_XYWH) {
        b[2] = x2 - x1, b[3] = y2 - y1;
    } else if (to == VD_BOX_CXCYWH) {
        b[0] = (x1 + x2) / 2, b[1] = (y1 + y2) / 2;
        b[2] = x2 - x1, b[3] = y2 - y1;
    }
}

void vd_box_convert(float *boxes, int n, vd_box_fmt from, vd_box_fmt to)
{
    if (from == to)
        return;
    for (int i = 0; i < n; i++) {
        to_xyxy(boxes + 4 * i, from);
        from_xyxy(boxes + 4 * i, to);
    }
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void vd_box_clip(vd_box *boxes, int n, float width, float height)
{
    for (int i = 0; i < n; i++) {
        boxes[i].x1 = clampf(boxes[i].x1, 0, width);
        boxes[i].x2 = clampf(boxes[i].x2, 0, width);
        boxes[i].y1 = clampf(boxes[i].y1, 0, height);
        boxes[i].y2 = clampf(boxes[i].y2, 0, height);
    }
}

int vd_box_remove_small(const vd_box *boxes, int n, float min_size, int *keep)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (boxes[i].x2 - boxes[i].x1 >= min_size && boxes[i].y2 - boxes[i].y1 >= min_size)
            keep[k++] = i;
    return k;
}

void vd_box_unmap(vd_box *boxes, int n, const vd_tf_geom *g)
{
    for (int i = 0; i < n; i++) {
        vd_box *b = &boxes[i];
        b->x1 = (b->x1 - g->pad_x) / g->scale_x + g->crop_x;
        b->x2 = (b->x2 - g->pad_x) / g->scale_x + g->crop_x;
        b->y1 = (b->y1 - g->pad_y) / g->scale_y + g->crop_y;
        b->y2 = (b->y2 - g->pad_y) / g->scale_y + g->crop_y;
    }
    vd_box_clip(boxes, n, (float)g->src_w, (float)g->src_h);
}

void vd_box_map(vd_box *boxes, int n, const vd_tf_geom *g)
{
    for (int i = 0; i < n; i++) {
        vd_box *b = &boxes[i];
        b->x1 = (b->x1 - g->crop_x) * g->scale_x + g->pad_x;
        b->x2 = (b->x2 - g->crop_x) * g->scale_x + g->pad_x;
        b->y1 = (b->y1 - g->crop_y) * g->scale_y + g->pad_y;
        b->y2 = (b->y2 - g->crop_y) * g->scale_y + g->pad_y;
    }
}

/* ---- NMS ------------------------------------------------------------------ */

typedef struct scored {
    float s;
    int i;
} scored;

static int by_score_desc(const void *pa, const void *pb)
{
    const scored *a = pa, *b = pb;
    int na = isnan(a->s), nb = isnan(b->s);
    if (na != nb)
        return na - nb; /* NaN last */
    if (!na && a->s != b->s)
        return a->s < b->s ? 1 : -1;
    return (a->i > b->i) - (a->i < b->i);
}

/* Greedy NMS; with classes, a box only suppresses boxes of its class. */
static int nms_core(const vd_box *boxes, const float *scores, const int *classes, int n,
                    float thr, int *keep, int *n_keep, vd_error *err)
{
    *n_keep = 0;
    if (n <= 0)
        return VD_OK;
    scored *ord = malloc(sizeof *ord * (size_t)n);
    unsigned char *gone = calloc((size_t)n, 1);
    if (!ord || !gone) {
        free(ord);
        free(gone);
        return vd_error_set(err, VD_ENOMEM, "nms: cannot allocate scratch for %d boxes", n);
    }
    for (int i = 0; i < n; i++)
        ord[i] = (scored){scores[i], i};
    qsort(ord, (size_t)n, sizeof *ord, by_score_desc);
    int k = 0;
    for (int a = 0; a < n; a++) {
        if (gone[a])
            continue;
        int ia = ord[a].i;
        keep[k++] = ia;
        for (int b = a + 1; b < n; b++) {
            int ib = ord[b].i;
            if (!gone[b] && (!classes || classes[ib] == classes[ia]) &&
                vd_box_iou(&boxes[ia], &boxes[ib]) > thr)
                gone[b] = 1;
        }
    }
    *n_keep = k;
    free(ord);
    free(gone);
    return VD_OK;
}

int vd_nms(const vd_box *boxes, const float *scores, int n, float iou_thr,
           int *keep, int *n_keep, vd_error *err)
{
    return nms_core(boxes, scores, NULL, n, iou_thr, keep, n_keep, err);
}

int vd_nms_batched(const vd_box *boxes, const float *scores, const int *classes,
                   int n, float iou_thr, int *keep, int *n_keep, vd_error *err)
{
    return nms_core(boxes, scores, classes, n, iou_thr, keep, n_keep, err);
}

/* ---- roi_align (torchvision/csrc/ops/cpu/roi_align_kernel.cpp) ------------- */

static float bilinear_at(const float *plane, int h, int w, float y, float x)
{
    if (y < -1.0f || y > h || x < -1.0f || x > w)
        return 0.0f;
    if (y <= 0)
        y = 0;
    if (x <= 0)
        x = 0;
    int y0 = (int)y, x0 = (int)x, y1, x1;
    if (y0 >= h - 1) {
        y0 = y1 = h - 1;
        y = (float)y0;
    } else {
        y1 = y0 + 1;
    }
    if (x0 >= w - 1) {
        x0 = x1 = w - 1;
        x = (float)x0;
    } else {
        x1 = x0 + 1;
    }
    float ly = y - y0, lx = x - x0, hy = 1.0f - ly, hx = 1.0f - lx;
    return hy * hx * plane[y0 * w + x0] + hy * lx * plane[y0 * w + x1] +
           ly * hx * plane[y1 * w + x0] + ly * lx * plane[y1 * w + x1];
}

static void roi_align_one(const float *img, int c_n, int h, int w, const float *roi,
                          int oh, int ow, float scale, int ratio, int aligned, float *out)
{
    float off = aligned ? 0.5f : 0.0f;
    float sx = roi[1] * scale - off, sy = roi[2] * scale - off;
    float rw = roi[3] * scale - off - sx, rh = roi[4] * scale - off - sy;
    if (!aligned) {
        rw = fmaxf(rw, 1.0f);
        rh = fmaxf(rh, 1.0f);
    }
    float bh = rh / oh, bw = rw / ow;
    int gh = ratio > 0 ? ratio : (int)ceilf(rh / oh);
    int gw = ratio > 0 ? ratio : (int)ceilf(rw / ow);
    float count = fmaxf((float)(gh * gw), 1.0f);
    for (int c = 0; c < c_n; c++) {
        const float *plane = img + (size_t)c * h * w;
        for (int py = 0; py < oh; py++)
            for (int px = 0; px < ow; px++) {
                float acc = 0;
                for (int iy = 0; iy < gh; iy++) {
                    float y = sy + py * bh + (iy + 0.5f) * bh / gh;
                    for (int ix = 0; ix < gw; ix++) {
                        float x = sx + px * bw + (ix + 0.5f) * bw / gw;
                        acc += bilinear_at(plane, h, w, y, x);
                    }
                }
                out[((size_t)c * oh + py) * ow + px] = acc / count;
            }
    }
}

int vd_roi_align(const vd_tensor *input, const float *rois, int k, int out_h,
                 int out_w, float spatial_scale, int sampling_ratio,
                 int aligned, vd_tensor *out, vd_error *err)
{
    if (!input || !input->data || input->dtype != VD_DTYPE_F32 || input->ndim != 4)
        return vd_error_set(err, VD_EINVAL, "roi_align: input must be float32 [N,C,H,W]");
    if (out_h <= 0 || out_w <= 0 || k < 0 || (k > 0 && !rois))
        return vd_error_set(err, VD_EINVAL, "roi_align: bad output size %dx%d or %d rois", out_w,
                            out_h, k);
    int64_t n = input->shape[0], c = input->shape[1], h = input->shape[2], w = input->shape[3];
    for (int i = 0; i < k; i++)
        if (!(rois[5 * i] >= 0 && rois[5 * i] < n) || rois[5 * i] != floorf(rois[5 * i]))
            return vd_error_set(err, VD_EINVAL, "roi_align: roi %d has batch index %g (batch of %lld)",
                                i, rois[5 * i], (long long)n);
    int64_t shape[4] = {k, c, out_h, out_w};
    if (!out->data) {
        int rc = vd_tensor_alloc(out, VD_DTYPE_F32, 4, shape, err);
        if (rc < 0)
            return rc;
    } else {
        vd_tensor want;
        vd_tensor_view(&want, VD_DTYPE_F32, 4, shape, NULL);
        if (!vd_tensor_same_shape(out, &want))
            return vd_error_set(err, VD_EINVAL, "roi_align: output must be float32 [%d,%lld,%d,%d]",
                                k, (long long)c, out_h, out_w);
    }
    const float *in = input->data;
    for (int i = 0; i < k; i++) {
        int64_t bi = (int64_t)rois[5 * i];
        roi_align_one(in + bi * c * h * w, (int)c, (int)h, (int)w, rois + 5 * i, out_h, out_w,
                      spatial_scale, sampling_ratio, aligned,
                      (float *)out->data + (size_t)i * c * out_h * out_w);
    }
    return VD_OK;
}
