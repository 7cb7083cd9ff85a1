/* image_yuv.c -- JPEG YCbCr -> RGB the way libjpeg does it.
 *
 * swscale's chroma upsampling differs from libjpeg's "fancy upsampling"
 * (a triangle filter with chroma sited between luma samples), which made
 * FFmpeg-decoded 4:2:0/4:2:2 photos differ from PIL/OpenCV by up to ~75
 * levels at colour edges. This file reproduces jdsample.c's h2v2/h2v1/h1v2
 * fancy upsampling (same integer rounding) and jdcolor.c's fixed-point
 * ycc_rgb_convert tables, so the only remaining difference from libjpeg is
 * the IDCT's rounding (about 1 level). */
#include "image_internal.h"

#include <stdlib.h>
#include <string.h>

#define FIX(x) ((int)((x) * 65536.0 + 0.5))

/* Upsample chroma for luma row y into out[0..w). */
static void chroma_row(const uint8_t *plane, int stride, int cw, int chh, int sx, int sy, int y,
                       int w, int *cs, uint8_t *out)
{
    int cy = y / sy;
    const uint8_t *near = plane + (size_t)cy * stride;
    if (sy == 2) {
        int fy = (y & 1) ? cy + 1 : cy - 1;
        fy = fy < 0 ? 0 : fy >= chh ? chh - 1 : fy;
        const uint8_t *far = plane + (size_t)fy * stride;
        for (int i = 0; i < cw; i++)
            cs[i] = 3 * near[i] + far[i];
        if (sx == 1) {
            int bias = (y & 1) ? 2 : 1;
            for (int x = 0; x < w; x++)
                out[x] = (uint8_t)((cs[x] + bias) >> 2);
            return;
        }
        for (int x = 0; x < w; x++) {
            int i = x >> 1;
            int other = (x & 1) ? (i + 1 < cw ? cs[i + 1] : cs[i]) : (i > 0 ? cs[i - 1] : cs[i]);
            out[x] = (uint8_t)((3 * cs[i] + other + ((x & 1) ? 7 : 8)) >> 4);
        }
        return;
    }
    if (sx == 1) {
        memcpy(out, near, (size_t)w);
        return;
    }
    for (int x = 0; x < w; x++) {
        int i = x >> 1;
        int other = (x & 1) ? (i + 1 < cw ? near[i + 1] : near[i]) : (i > 0 ? near[i - 1] : near[i]);
        out[x] = (uint8_t)((3 * near[i] + other + ((x & 1) ? 2 : 1)) >> 2);
    }
}

static uint8_t clamp255(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

int vd_img_ycc_to_rgb(const uint8_t *const planes[3], const int strides[3], int w, int h, int sx,
                      int sy, uint8_t *dst, int dst_ls, int dst_ch)
{
    int cw = (w + sx - 1) / sx, chh = (h + sy - 1) / sy;
    int *cs = malloc(sizeof(int) * (size_t)cw);
    uint8_t *cb = malloc((size_t)w * 2), *cr = cb ? cb + w : NULL;
    if (!cs || !cb) {
        free(cs);
        free(cb);
        return VD_ENOMEM;
    }
    for (int y = 0; y < h; y++) {
        chroma_row(planes[1], strides[1], cw, chh, sx, sy, y, w, cs, cb);
        chroma_row(planes[2], strides[2], cw, chh, sx, sy, y, w, cs, cr);
        const uint8_t *yp = planes[0] + (size_t)y * strides[0];
        uint8_t *d = dst + (size_t)y * dst_ls;
        for (int x = 0; x < w; x++, d += dst_ch) {
            int Y = yp[x], u = cb[x] - 128, v = cr[x] - 128;
            d[0] = clamp255(Y + ((FIX(1.40200) * v + 32768) >> 16));
            d[1] = clamp255(Y + ((-FIX(0.34414) * u + 32768 - FIX(0.71414) * v) >> 16));
            d[2] = clamp255(Y + ((FIX(1.77200) * u + 32768) >> 16));
            if (dst_ch == 4)
                d[3] = 255;
        }
    }
    free(cs);
    free(cb);
    return VD_OK;
}
