/* transforms.c -- torchvision-style transforms on float tensors: resize,
 * letterbox, crop, center crop, normalize, scale, channel swap, layout and
 * uint8 -> float conversion, plus the uint8 interleaved resize.
 *
 * Every function views its input as `planes` planes of H x W (B*C for
 * [B,C,H,W], C for [C,H,W]), so batched and single-frame calls share one
 * loop. Output tensors follow the header's rule: allocated when
 * dst->data is NULL, otherwise checked against the expected shape. */
#include "transforms_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shape facts of a [B,C,H,W] or [C,H,W] float tensor. */
typedef struct planes {
    int64_t b, c, h, w;
    int nd;
} planes;

static int get_planes(const vd_tensor *t, const char *what, planes *p, vd_error *err)
{
    if (!t || !t->data || t->dtype != VD_DTYPE_F32 || (t->ndim != 3 && t->ndim != 4)) {
        char buf[96];
        return vd_error_set(err, VD_EINVAL,
                            "%s: expected a float32 [B,C,H,W] or [C,H,W] tensor, got %s %s", what,
                            t ? vd_dtype_name(t->dtype) : "NULL",
                            t ? vd_tensor_shape_str(t, buf, sizeof buf) : "");
    }
    p->nd = t->ndim;
    p->b = t->ndim == 4 ? t->shape[0] : 1;
    p->c = t->shape[t->ndim - 3];
    p->h = t->shape[t->ndim - 2];
    p->w = t->shape[t->ndim - 1];
    if (p->h <= 0 || p->w <= 0 || p->c <= 0 || p->b <= 0)
        return vd_error_set(err, VD_EINVAL, "%s: empty input tensor", what);
    return VD_OK;
}

/* Allocate dst with `shape`, or check an existing dst matches it. */
static int prepare_dst(vd_tensor *dst, vd_dtype dt, int nd, const int64_t *shape,
                       const char *what, vd_error *err)
{
    vd_tensor want;
    vd_tensor_view(&want, dt, nd, shape, NULL);
    if (!dst->data)
        return vd_tensor_alloc(dst, dt, nd, shape, err);
    if (!vd_tensor_same_shape(dst, &want)) {
        char a[96], b[96];
        return vd_error_set(err, VD_EINVAL, "%s: output is %s %s, expected %s %s", what,
                            vd_dtype_name(dst->dtype), vd_tensor_shape_str(dst, a, sizeof a),
                            vd_dtype_name(dt), vd_tensor_shape_str(&want, b, sizeof b));
    }
    return VD_OK;
}

static int prepare_like(vd_tensor *dst, const planes *p, int64_t oh, int64_t ow,
                        const char *what, vd_error *err)
{
    int64_t shape[4] = {p->b, p->c, oh, ow};
    return prepare_dst(dst, VD_DTYPE_F32, p->nd, p->nd == 4 ? shape : shape + 1, what, err);
}

/* Resample every plane of src into the (cw x ch) window at (px,py) of dst's
 * planes (dst planes are dw x dh). */
static int resample_into(const vd_tensor *src, const planes *p, float *dst, int dw, int dh,
                         int px, int py, int cw, int ch, vd_interp interp, int aa,
                         vd_error *err)
{
    vd_tf_coeffs cx, cy;
    int rc = vd_tf_coeffs_build(&cx, (int)p->w, cw, interp, aa, err);
    if (rc < 0)
        return rc;
    if ((rc = vd_tf_coeffs_build(&cy, (int)p->h, ch, interp, aa, err)) < 0) {
        vd_tf_coeffs_free(&cx);
        return rc;
    }
    float *row = malloc(sizeof(float) * (size_t)p->w);
    if (!row)
        rc = vd_error_set(err, VD_ENOMEM, "resize: out of memory");
    const float *s = src->data;
    for (int64_t i = 0; row && i < p->b * p->c; i++)
        vd_tf_resample_plane(s + i * p->h * p->w, (int)p->w, p->w,
                             dst + i * (int64_t)dw * dh + (int64_t)py * dw + px, dw, &cx, &cy, row);
    free(row);
    vd_tf_coeffs_free(&cx);
    vd_tf_coeffs_free(&cy);
    return rc;
}

static int check_size(int w, int h, const char *what, vd_error *err)
{
    if (w <= 0 || h <= 0 || w > 65536 || h > 65536)
        return vd_error_set(err, VD_EINVAL, "%s: bad output size %dx%d", what, w, h);
    return VD_OK;
}

int vd_tf_resize(const vd_tensor *src, int out_w, int out_h, vd_interp interp,
                 int antialias, vd_tensor *dst, vd_error *err)
{
    planes p;
    int rc;
    if ((rc = get_planes(src, "resize", &p, err)) < 0 ||
        (rc = check_size(out_w, out_h, "resize", err)) < 0 ||
        (rc = prepare_like(dst, &p, out_h, out_w, "resize", err)) < 0)
        return rc;
    return resample_into(src, &p, dst->data, out_w, out_h, 0, 0, out_w, out_h, interp,
                         antialias, err);
}

int vd_tf_letterbox(const vd_tensor *src, int out_w, int out_h,
                    vd_interp interp, int antialias, float pad_value,
                    vd_tensor *dst, vd_tf_geom *geom, vd_error *err)
{
    planes p;
    vd_tf_geom g;
    vd_tf_spec spec;
    int rc;
    if ((rc = get_planes(src, "letterbox", &p, err)) < 0 ||
        (rc = check_size(out_w, out_h, "letterbox", err)) < 0)
        return rc;
    vd_tf_spec_default(&spec, out_w, out_h);
    spec.resize = VD_TF_LETTERBOX;
    if ((rc = vd_tf_geom_compute(&spec, (int)p.w, (int)p.h, &g, err)) < 0 ||
        (rc = prepare_like(dst, &p, out_h, out_w, "letterbox", err)) < 0)
        return rc;
    float *d = dst->data;
    for (int64_t i = 0; i < vd_tensor_numel(dst); i++)
        d[i] = pad_value;
    if ((rc = resample_into(src, &p, d, out_w, out_h, (int)g.pad_x, (int)g.pad_y, g.content_w,
                            g.content_h, interp, antialias, err)) < 0)
        return rc;
    if (geom)
        *geom = g;
    return VD_OK;
}

int vd_tf_crop(const vd_tensor *src, int left, int top, int width, int height,
               vd_tensor *dst, vd_error *err)
{
    planes p;
    int rc;
    if ((rc = get_planes(src, "crop", &p, err)) < 0 ||
        (rc = check_size(width, height, "crop", err)) < 0 ||
        (rc = prepare_like(dst, &p, height, width, "crop", err)) < 0)
        return rc;
    const float *s = src->data;
    float *d = dst->data;
    /* Columns of the crop that fall inside the source. */
    int64_t x0 = left < 0 ? -left : 0;
    int64_t x1 = p.w - left < width ? p.w - left : width;
    for (int64_t i = 0; i < p.b * p.c; i++) {
        for (int64_t y = 0; y < height; y++) {
            float *drow = d + (i * height + y) * width;
            int64_t sy = top + y;
            memset(drow, 0, sizeof(float) * (size_t)width);
            if (sy < 0 || sy >= p.h || x1 <= x0)
                continue;
            memcpy(drow + x0, s + (i * p.h + sy) * p.w + left + x0,
                   sizeof(float) * (size_t)(x1 - x0));
        }
    }
    return VD_OK;
}

int vd_tf_center_crop(const vd_tensor *src, int width, int height,
                      vd_tensor *dst, vd_error *err)
{
    planes p = {0};
    int rc = get_planes(src, "center_crop", &p, err);
    if (rc < 0)
        return rc;
    /* torchvision pads first when the crop is larger; the net effect is the
     * same offsets with Python's round on (H - h) / 2. */
    int top = (int)vd_tf_round_half_even((p.h - height) / 2.0);
    int left = (int)vd_tf_round_half_even((p.w - width) / 2.0);
    if (height > p.h)
        top = -(int)((height - p.h) / 2);
    if (width > p.w)
        left = -(int)((width - p.w) / 2);
    return vd_tf_crop(src, left, top, width, height, dst, err);
}

/* x = x * a[c] + b[c] over every plane; a/b have p->c entries. */
static void affine_planes(vd_tensor *t, const planes *p, const float *a, const float *b)
{
    float *d = t->data;
    int64_t hw = p->h * p->w;
    for (int64_t i = 0; i < p->b * p->c; i++) {
        float ai = a[i % p->c], bi = b[i % p->c];
        float *pl = d + i * hw;
        for (int64_t k = 0; k < hw; k++)
            pl[k] = pl[k] * ai + bi;
    }
}

int vd_tf_normalize(vd_tensor *t, const float *mean, const float *std,
                    vd_error *err)
{
    planes p;
    int rc = get_planes(t, "normalize", &p, err);
    if (rc < 0)
        return rc;
    float *a = malloc(sizeof(float) * 2 * (size_t)p.c);
    if (!a)
        return vd_error_set(err, VD_ENOMEM, "normalize: out of memory");
    for (int64_t c = 0; c < p.c && rc == 0; c++) {
        if (std[c] == 0.0f || !isfinite(std[c]))
            rc = vd_error_set(err, VD_EINVAL, "normalize: std[%lld] is %g (must be finite, non-zero)",
                              (long long)c, std[c]);
        a[c] = 1.0f / std[c];
        a[p.c + c] = -mean[c] / std[c];
    }
    /* (x - m)/s computed as x*(1/s) - m/s: differs from torch's by <= 1 ulp-ish. */
    if (rc == 0)
        affine_planes(t, &p, a, a + p.c);
    free(a);
    return rc;
}

int vd_tf_scale(vd_tensor *t, float factor, vd_error *err)
{
    if (!t || !t->data || t->dtype != VD_DTYPE_F32)
        return vd_error_set(err, VD_EINVAL, "scale: expected a float32 tensor");
    float *d = t->data;
    for (int64_t i = 0; i < vd_tensor_numel(t); i++)
        d[i] *= factor;
    return VD_OK;
}

int vd_tf_swap_rb(vd_tensor *t, vd_tf_layout layout, vd_error *err)
{
    if (!t || !t->data || t->dtype != VD_DTYPE_F32 || t->ndim < 3 || t->ndim > 4)
        return vd_error_set(err, VD_EINVAL, "swap_rb: expected a float32 3- or 4-d tensor");
    float *d = t->data;
    int64_t n = vd_tensor_numel(t);
    if (layout == VD_TF_NHWC) {
        if (t->shape[t->ndim - 1] != 3)
            return vd_error_set(err, VD_EINVAL, "swap_rb: nhwc tensor must have 3 channels last");
        for (int64_t i = 0; i < n; i += 3) {
            float tmp = d[i];
            d[i] = d[i + 2];
            d[i + 2] = tmp;
        }
        return VD_OK;
    }
    if (t->shape[t->ndim - 3] != 3)
        return vd_error_set(err, VD_EINVAL, "swap_rb: nchw tensor must have 3 channels");
    int64_t hw = t->shape[t->ndim - 1] * t->shape[t->ndim - 2];
    for (int64_t b = 0; b < n; b += 3 * hw)
        for (int64_t k = 0; k < hw; k++) {
            float tmp = d[b + k];
            d[b + k] = d[b + 2 * hw + k];
            d[b + 2 * hw + k] = tmp;
        }
    return VD_OK;
}

/* Permute [B,X,Y,Z] (any element size): to_last moves axis 1 to the end
 * (NCHW->NHWC), otherwise the last axis to position 1. */
static int permute_channels(const vd_tensor *src, vd_tensor *dst, int to_last,
                            const char *what, vd_error *err)
{
    if (!src || !src->data || src->ndim < 3 || src->ndim > 4)
        return vd_error_set(err, VD_EINVAL, "%s: expected a 3- or 4-d tensor", what);
    int nd = src->ndim, off = nd - 3;
    int64_t s[4] = {1, 0, 0, 0}, o[4];
    for (int i = 0; i < 3; i++)
        s[1 + i] = src->shape[off + i];
    if (off)
        s[0] = src->shape[0];
    int64_t c = to_last ? s[1] : s[3], h = to_last ? s[2] : s[1], w = to_last ? s[3] : s[2];
    int64_t shape[4] = {s[0], to_last ? h : c, to_last ? w : h, to_last ? c : w};
    memcpy(o, shape, sizeof o);
    int rc = prepare_dst(dst, src->dtype, nd, o + (off ? 0 : 1), what, err);
    if (rc < 0)
        return rc;
    size_t es = vd_dtype_size(src->dtype);
    const char *sp = src->data;
    char *dp = dst->data;
    int64_t hw = h * w;
    for (int64_t b = 0; b < s[0]; b++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t k = 0; k < hw; k++) {
                int64_t planar = (b * c + ch) * hw + k, packed = (b * hw + k) * c + ch;
                memcpy(dp + es * (size_t)(to_last ? packed : planar),
                       sp + es * (size_t)(to_last ? planar : packed), es);
            }
    return VD_OK;
}

int vd_tf_nchw_to_nhwc(const vd_tensor *src, vd_tensor *dst, vd_error *err)
{
    return permute_channels(src, dst, 1, "nchw_to_nhwc", err);
}

int vd_tf_nhwc_to_nchw(const vd_tensor *src, vd_tensor *dst, vd_error *err)
{
    return permute_channels(src, dst, 0, "nhwc_to_nchw", err);
}

int vd_tf_u8_to_float(const vd_tensor *src, float factor, vd_tensor *dst,
                      vd_error *err)
{
    if (!src || !src->data || src->dtype != VD_DTYPE_U8 || src->ndim < 3 || src->ndim > 4)
        return vd_error_set(err, VD_EINVAL, "u8_to_float: expected a uint8 [H,W,C] or [B,H,W,C] tensor");
    int nd = src->ndim, off = nd - 3;
    int64_t b = off ? src->shape[0] : 1, h = src->shape[off], w = src->shape[off + 1],
            c = src->shape[off + 2];
    int64_t shape[4] = {b, c, h, w};
    int rc = prepare_dst(dst, VD_DTYPE_F32, nd, off ? shape : shape + 1, "u8_to_float", err);
    if (rc < 0)
        return rc;
    const uint8_t *s = src->data;
    float *d = dst->data;
    int64_t hw = h * w;
    for (int64_t i = 0; i < b; i++)
        for (int64_t k = 0; k < hw; k++)
            for (int64_t ch = 0; ch < c; ch++)
                d[(i * c + ch) * hw + k] = s[(i * hw + k) * c + ch] * factor;
    return VD_OK;
}

int vd_tf_resize_u8(const uint8_t *src, int src_w, int src_h, int src_linesize,
                    int channels, uint8_t *dst, int dst_w, int dst_h,
                    int dst_linesize, vd_interp interp, int antialias,
                    vd_error *err)
{
    if (!src || !dst || channels < 1 || channels > 4 || src_w <= 0 || src_h <= 0 ||
        src_linesize < src_w * channels || dst_linesize < dst_w * channels)
        return vd_error_set(err, VD_EINVAL, "resize_u8: bad source/destination (%dx%d, %d channels)",
                            src_w, src_h, channels);
    vd_tf_coeffs cx, cy;
    int rc = vd_tf_coeffs_build(&cx, src_w, dst_w, interp, antialias, err);
    if (rc < 0)
        return rc;
    if ((rc = vd_tf_coeffs_build(&cy, src_h, dst_h, interp, antialias, err)) < 0) {
        vd_tf_coeffs_free(&cx);
        return rc;
    }
    float *row = malloc(sizeof(float) * ((size_t)src_w + (size_t)dst_w) * (size_t)channels);
    if (!row)
        rc = vd_error_set(err, VD_ENOMEM, "resize_u8: out of memory");
    float *out = row + (size_t)src_w * channels;
    for (int y = 0; row && y < dst_h; y++) {
        vd_tf_vpass_u8(src, src_linesize, src_w * channels, &cy, y, row);
        for (int c = 0; c < channels; c++)
            vd_tf_hpass(row + c, channels, &cx, out + c, channels);
        uint8_t *d = dst + (size_t)y * dst_linesize;
        for (int x = 0; x < dst_w * channels; x++) {
            float v = out[x] + 0.5f;
            d[x] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
        }
    }
    free(row);
    vd_tf_coeffs_free(&cx);
    vd_tf_coeffs_free(&cy);
    return rc;
}
