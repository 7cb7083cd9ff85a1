/* roi_align.c -- torchvision.ops.roi_align on float [N,C,H,W] (see box.h).
 *
 * A transcription of torchvision's CPU kernel (csrc/ops/cpu/
 * roi_align_kernel.cpp), sample by sample, so results match it to float
 * rounding; no precomputed interpolation table, since the boxes of one call
 * are few. */
#include "box.h"

#include <math.h>
#include <string.h>

void vd_roi_corners(float y, float x, int64_t h, int64_t w, int64_t pos[4], float wt[4])
{
    memset(wt, 0, 4 * sizeof(float));
    memset(pos, 0, 4 * sizeof(int64_t));
    if (!(y >= -1.0f && y <= (float)h && x >= -1.0f && x <= (float)w))
        return; /* outside, or NaN */
    y = y <= 0 ? 0 : y;
    x = x <= 0 ? 0 : x;
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;
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
    float ly = y - (float)y0, lx = x - (float)x0, hy = 1 - ly, hx = 1 - lx;
    pos[0] = y0 * w + x0;
    pos[1] = y0 * w + x1;
    pos[2] = y1 * w + x0;
    pos[3] = y1 * w + x1;
    wt[0] = hy * hx;
    wt[1] = hy * lx;
    wt[2] = ly * hx;
    wt[3] = ly * lx;
}

static float bilinear_at(const float *plane, int h, int w, float y, float x)
{
    int64_t pos[4];
    float wt[4];
    vd_roi_corners(y, x, h, w, pos, wt);
    return wt[0] * plane[pos[0]] + wt[1] * plane[pos[1]] + wt[2] * plane[pos[2]] +
           wt[3] * plane[pos[3]];
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
