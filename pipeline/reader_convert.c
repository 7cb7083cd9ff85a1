/* reader_convert.c -- frames into caller memory (libswscale) and frame MD5s.
 *
 * The design choice: conversion writes straight into the caller's buffer,
 * so a frame lands in a batch tensor slot with no copy of ours. Packed
 * formats are swscale's own output. Planar float RGB goes through a
 * reused rgb24 staging buffer and one pass dividing by 255, so it equals
 * rgb24 / 255 exactly and is identical to what the byte formats show. The
 * SwsContext is cached per reader (sws_getCachedContext rebuilds it only
 * when a geometry or format changes). */
#include "reader_internal.h"

#include <string.h>

#include <libavutil/imgutils.h>
#include <libavutil/md5.h>

/* The swscale output format for each vd_pixfmt the reader converts to;
 * AV_PIX_FMT_NONE marks those it does not (native, rgbf32 goes via rgb24). */
static enum AVPixelFormat av_format(vd_pixfmt fmt)
{
    switch (fmt) {
    case VD_PIX_RGB24:
    case VD_PIX_RGBF32: return AV_PIX_FMT_RGB24;
    case VD_PIX_BGR24: return AV_PIX_FMT_BGR24;
    case VD_PIX_GRAY8: return AV_PIX_FMT_GRAY8;
    case VD_PIX_RGBA: return AV_PIX_FMT_RGBA;
    default: return AV_PIX_FMT_NONE;
    }
}

static void out_size(const vd_convert *c, const vd_frame *f, int *w, int *h)
{
    *w = c->width > 0 ? c->width : f->width;
    *h = c->height > 0 ? c->height : f->height;
}

size_t vd_convert_size(const vd_convert *c, const vd_frame *f)
{
    int w, h;
    if (f->type != VD_MEDIA_VIDEO || av_format(c->fmt) == AV_PIX_FMT_NONE)
        return 0;
    out_size(c, f, &w, &h);
    size_t px = (size_t)w * h;
    switch (c->fmt) {
    case VD_PIX_GRAY8: return px;
    case VD_PIX_RGBA: return px * 4;
    case VD_PIX_RGBF32: return px * 3 * sizeof(float);
    default: return px * 3;
    }
}

void rd_convert_free(vd_reader *r)
{
    sws_freeContext(r->sws);
    r->sws = NULL;
    av_free(r->scratch);
    r->scratch = NULL;
    r->scratch_size = 0;
}

static uint8_t *scratch(vd_reader *r, size_t n)
{
    if (n > r->scratch_size) {
        av_free(r->scratch);
        r->scratch = av_malloc(n);
        r->scratch_size = r->scratch ? n : 0;
    }
    return r->scratch;
}

static void rgb24_to_planar_float(const uint8_t *src, float *dst, size_t px)
{
    float *R = dst, *G = dst + px, *B = dst + 2 * px;
    for (size_t i = 0; i < px; i++) {
        R[i] = src[3 * i] * (1.0f / 255.0f);
        G[i] = src[3 * i + 1] * (1.0f / 255.0f);
        B[i] = src[3 * i + 2] * (1.0f / 255.0f);
    }
}

int vd_reader_convert(vd_reader *r, const vd_frame *f, const vd_convert *c, void *dst,
                      size_t dst_size, vd_error *err)
{
    size_t need = vd_convert_size(c, f);
    if (!need)
        return vd_error_set(err, VD_EINVAL, "%s: convert: %s", r->url,
                            f->type != VD_MEDIA_VIDEO ? "not a video frame"
                                                      : "no target pixel format");
    if (!dst || dst_size < need)
        return vd_error_set(err, VD_EINVAL, "%s: convert: buffer of %zu bytes, %zu needed",
                            r->url, dst_size, need);
    int w, h;
    out_size(c, f, &w, &h);
    enum AVPixelFormat ofmt = av_format(c->fmt);
    r->sws = sws_getCachedContext(r->sws, f->width, f->height, (enum AVPixelFormat)f->format,
                                  w, h, ofmt, SWS_BICUBIC, NULL, NULL, NULL);
    if (!r->sws)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: cannot convert %s %dx%d to %s %dx%d",
                            r->url, f->pix_fmt, f->width, f->height, vd_pixfmt_name(c->fmt), w,
                            h);
    uint8_t *out = c->fmt == VD_PIX_RGBF32 ? scratch(r, (size_t)w * h * 3) : dst;
    if (!out)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    uint8_t *planes[4] = {out};
    int lines[4] = {c->fmt == VD_PIX_RGBF32 ? w * 3 : w * vd_pixfmt_bytes(c->fmt)};
    sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, planes, lines);
    if (c->fmt == VD_PIX_RGBF32)
        rgb24_to_planar_float(out, dst, (size_t)w * h);
    r->stats.frames_converted++;
    return 0;
}

void vd_md5_hex(const void *data, size_t n, char hex[33])
{
    uint8_t sum[16];
    av_md5_sum(sum, data, n);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
}

int vd_frame_md5(const vd_frame *f, char hex[33], vd_error *err)
{
    hex[0] = '\0';
    if (f->type == VD_MEDIA_AUDIO) {
        vd_md5_hex(f->samples, (size_t)f->nb_samples * f->channels * sizeof(float), hex);
        return 0;
    }
    int n = av_image_get_buffer_size((enum AVPixelFormat)f->format, f->width, f->height, 1);
    if (n < 0)
        return vd_error_set(err, VD_EUNSUPPORTED, "md5: pixel format %s has no packed layout",
                            f->pix_fmt);
    uint8_t *buf = av_malloc(n);
    if (!buf)
        return vd_error_set(err, VD_ENOMEM, "md5: out of memory");
    av_image_copy_to_buffer(buf, n, (const uint8_t *const *)f->data, f->linesize,
                            (enum AVPixelFormat)f->format, f->width, f->height, 1);
    vd_md5_hex(buf, n, hex);
    av_free(buf);
    return 0;
}
