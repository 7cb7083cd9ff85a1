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

/* Horizontal 2x fancy upsampling of n samples `in` (ints) into out[0..w):
 * out[2i] = (3*in[i] + in[i-1] + r0) >> sh, out[2i+1] = (3*in[i] + in[i+1] +
 * r1) >> sh, with the ends replicated. */
static void h2_upsample(const int *in, int n, int w, int r0, int r1, int sh, uint8_t *out)
{
    for (int i = 0; i < n; i++) {
        int l = in[i > 0 ? i - 1 : 0], c = 3 * in[i], r = in[i + 1 < n ? i + 1 : n - 1];
        out[2 * i] = (uint8_t)((c + l + r0) >> sh);
        if (2 * i + 1 < w)
            out[2 * i + 1] = (uint8_t)((c + r + r1) >> sh);
    }
}

/* Upsample chroma for luma row y into out[0..w); cs is scratch of cw ints. */
static void chroma_row(const uint8_t *plane, int stride, int cw, int chh, int sx, int sy, int y,
                       int w, int *cs, uint8_t *out)
{
    int cy = y / sy;
    const uint8_t *near = plane + (size_t)cy * stride;
    if (sy == 2) { /* column sums 3*near + far, far = the row on y's side */
        int fy = (y & 1) ? cy + 1 : cy - 1;
        fy = fy < 0 ? 0 : fy >= chh ? chh - 1 : fy;
        const uint8_t *far = plane + (size_t)fy * stride;
        for (int i = 0; i < cw; i++)
            cs[i] = 3 * near[i] + far[i];
        if (sx == 2) {
            h2_upsample(cs, cw, w, 8, 7, 4, out); /* h2v2 */
            return;
        }
        int bias = (y & 1) ? 2 : 1; /* h1v2 */
        for (int x = 0; x < w; x++)
            out[x] = (uint8_t)((cs[x] + bias) >> 2);
        return;
    }
    if (sx == 1) {
        memcpy(out, near, (size_t)w);
        return;
    }
    for (int i = 0; i < cw; i++) /* h2v1 */
        cs[i] = near[i];
    h2_upsample(cs, cw, w, 1, 2, 2, out);
}

static inline uint8_t clamp255(int v)
{
    return (uint8_t)((unsigned)v <= 255 ? v : v < 0 ? 0 : 255);
}

/* jdcolor.c's build_ycc_rgb_table: per-call tables (4 KiB on the stack)
 * keep the conversion free of shared state. */
typedef struct ycc_tables {
    int cr_r[256], cb_b[256], cr_g[256], cb_g[256];
} ycc_tables;

static void ycc_tables_init(ycc_tables *t)
{
    for (int i = 0; i < 256; i++) {
        int x = i - 128;
        t->cr_r[i] = (FIX(1.40200) * x + 32768) >> 16;
        t->cb_b[i] = (FIX(1.77200) * x + 32768) >> 16;
        t->cr_g[i] = -FIX(0.71414) * x;
        t->cb_g[i] = -FIX(0.34414) * x + 32768;
    }
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
    ycc_tables t;
    ycc_tables_init(&t);
    for (int y = 0; y < h; y++) {
        chroma_row(planes[1], strides[1], cw, chh, sx, sy, y, w, cs, cb);
        chroma_row(planes[2], strides[2], cw, chh, sx, sy, y, w, cs, cr);
        const uint8_t *yp = planes[0] + (size_t)y * strides[0];
        uint8_t *d = dst + (size_t)y * dst_ls;
        for (int x = 0; x < w; x++, d += dst_ch) {
            int Y = yp[x], u = cb[x], v = cr[x];
            d[0] = clamp255(Y + t.cr_r[v]);
            d[1] = clamp255(Y + ((t.cb_g[u] + t.cr_g[v]) >> 16));
            d[2] = clamp255(Y + t.cb_b[u]);
            if (dst_ch == 4)
                d[3] = 255;
        }
    }
    free(cs);
    free(cb);
    return VD_OK;
}
