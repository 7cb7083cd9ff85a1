/* image.c -- JPEG/PNG decode and encode through libavcodec + libswscale.
 *
 * Why FFmpeg and not libjpeg-turbo/libpng: it is already linked for video,
 * so stills add no dependency, and snapshots of frames share the code path
 * of MJPEG streams. The one design choice to know: the header is checked by
 * image_header.c (size limit, truncation) BEFORE a decoder is opened. A
 * whole file is decoded with AV_EF_EXPLODE, so that damage is never
 * concealed silently; a file that is not whole or fails that decode is
 * decoded once more the way the ffmpeg CLI does (concealing), and a
 * picture that comes out is delivered flagged damaged (vd_img_info.damaged):
 * only what no decoder would show is refused. YCbCr -> RGB is image_yuv.c's
 * libjpeg-exact conversion, not swscale's, so decodes match PIL/OpenCV to
 * the IDCT's rounding. JPEG quality uses libjpeg's
 * quantisation tables (Annex K scaled by jpeg_quality_scaling) passed as the
 * encoder's custom matrices at a fixed qscale of 8, where FFmpeg's mjpeg
 * encoder writes them unchanged; so "quality 90" means what it means to
 * PIL/OpenCV users. */
#include "image_internal.h"
#include "vision/transform/transforms.h"

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define MAX_FILE_BYTES (256LL * 1024 * 1024)

static void av_err(vd_error *err, int code, int averr, const char *fmt, const char *name)
{
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(averr, buf, sizeof buf);
    vd_error_set(err, code, fmt, name, buf);
}

/* YUVJ formats are deprecated in swscale (it warns); map them to plain YUV
 * and say "full range" explicitly instead. */
static enum AVPixelFormat unjpeg(enum AVPixelFormat f, int *full)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full = 1; return AV_PIX_FMT_YUV411P;
    default: return f;
    }
}

/* Convert between pixel formats at the same size with swscale (PNG pixel
 * formats, gray output, RGB -> YUV 4:2:0 for the JPEG encoder), full-range
 * BT.601. The chroma positions ask for JPEG's centred siting (128/256); JPEG
 * YCbCr -> RGB does not come here but goes through image_yuv.c. */
static int convert(const uint8_t *const sdata[], const int sls[], enum AVPixelFormat sfmt,
                   uint8_t *const ddata[], const int dls[], enum AVPixelFormat dfmt, int w, int h,
                   int full_src, int full_dst)
{
    struct SwsContext *sws = sws_alloc_context();
    if (!sws)
        return AVERROR(ENOMEM);
    av_opt_set_int(sws, "srcw", w, 0);
    av_opt_set_int(sws, "srch", h, 0);
    av_opt_set_int(sws, "dstw", w, 0);
    av_opt_set_int(sws, "dsth", h, 0);
    av_opt_set_int(sws, "src_format", sfmt, 0);
    av_opt_set_int(sws, "dst_format", dfmt, 0);
    av_opt_set_int(sws, "sws_flags", SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT |
                                         SWS_FULL_CHR_H_INP, 0);
    av_opt_set_int(sws, "src_h_chr_pos", 128, 0);
    av_opt_set_int(sws, "src_v_chr_pos", 128, 0);
    av_opt_set_int(sws, "dst_h_chr_pos", 128, 0);
    av_opt_set_int(sws, "dst_v_chr_pos", 128, 0);
    int rc = sws_init_context(sws, NULL, NULL);
    if (rc >= 0) {
        const int *cs = sws_getCoefficients(SWS_CS_ITU601);
        sws_setColorspaceDetails(sws, cs, full_src, cs, full_dst, 0, 1 << 16, 1 << 16);
        rc = sws_scale(sws, sdata, sls, 0, h, ddata, dls);
    }
    sws_freeContext(sws);
    return rc < 0 ? rc : 0;
}

/* One decode of the whole buffer. strict: any error FFmpeg notices fails
 * (AV_EF_EXPLODE, CRCs checked, a frame flagged corrupt refused); lenient:
 * FFmpeg conceals what it can, as the ffmpeg CLI does, and only "no frame
 * at all" fails. max_pixels is FFmpeg's own limit (it checks before it
 * allocates a frame). */
static int decode_frame(const uint8_t *data, size_t size, const char *name, vd_img_codec codec,
                        int64_t max_pixels, int strict, AVFrame *frame, vd_error *err)
{
    const AVCodec *dec = avcodec_find_decoder(codec == VD_IMG_JPEG ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG);
    if (!dec)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: this FFmpeg has no %s decoder", name,
                            codec == VD_IMG_JPEG ? "mjpeg" : "png");
    AVCodecContext *ctx = avcodec_alloc_context3(dec);
    AVPacket *pkt = av_packet_alloc();
    int rc = VD_ENOMEM;
    if (!ctx || !pkt || av_new_packet(pkt, (int)size) < 0) {
        vd_error_set(err, VD_ENOMEM, "%s: out of memory for decoding", name);
        goto done;
    }
    memcpy(pkt->data, data, size);
    ctx->max_pixels = max_pixels;
    ctx->err_recognition = strict ? AV_EF_EXPLODE | AV_EF_CRCCHECK : 0;
    ctx->thread_count = 1;
    int ar = avcodec_open2(ctx, dec, NULL);
    if (ar >= 0)
        ar = avcodec_send_packet(ctx, pkt);
    if (ar >= 0 || !strict) /* lenient: a packet refused may still have left a frame */
        ar = avcodec_send_packet(ctx, NULL);
    if (ar >= 0 || !strict)
        ar = avcodec_receive_frame(ctx, frame);
    if (ar < 0) {
        av_err(err, ar == AVERROR(ENOMEM) ? VD_ENOMEM : VD_EFORMAT, ar,
               "%s: cannot decode image: %s", name);
        rc = ar == AVERROR(ENOMEM) ? VD_ENOMEM : VD_EFORMAT;
        goto done;
    }
    if (frame->width <= 0 || frame->height <= 0 || frame->format < 0 ||
        (strict && (frame->decode_error_flags || (frame->flags & AV_FRAME_FLAG_CORRUPT)))) {
        rc = vd_error_set(err, VD_EFORMAT, "%s: corrupt image data", name);
        goto done;
    }
    rc = VD_OK;
done:
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
    return rc;
}

static int over_limit(vd_error *err, const char *name, int w, int h, int64_t max_pixels)
{
    return vd_error_set(err, VD_ELIMIT, "%s: %dx%d image (%lld pixels) exceeds the limit of "
                        "%lld pixels", name, w, h, (long long)w * h, (long long)max_pixels);
}

/* Decode strictly when the file is whole (every marker/chunk in place up
 * to its end); if it is not, or the strict decode fails on bad data, decode
 * again leniently and, if that shows a picture, call it damaged. *err keeps
 * the first (most specific) reason when neither works. The header check
 * applied the caller's limit already; FFmpeg counts MCU-padded sizes, so
 * its own limit gets a margin rather than a second, stricter one. */
static int decode_any(const uint8_t *data, size_t size, const char *name,
                      const vd_img_info *info, int64_t max_pixels, AVFrame *frame,
                      int *damaged, vd_error *err)
{
    vd_img_info whole;
    int64_t ff_limit = max_pixels + max_pixels / 4 + 65536;
    int rc = vd_img_header_check(data, size, name, &whole, 1, err);
    if (rc == VD_OK)
        rc = decode_frame(data, size, name, info->codec, ff_limit, 1, frame, err);
    *damaged = 0;
    if (rc != VD_EFORMAT)
        return rc;
    vd_error lerr;
    av_frame_unref(frame);
    int lrc = decode_frame(data, size, name, info->codec, ff_limit, 0, frame, &lerr);
    if (lrc == VD_OK && (int64_t)frame->width * frame->height > max_pixels)
        lrc = over_limit(err, name, frame->width, frame->height, max_pixels);
    if (lrc == VD_OK)
        *damaged = 1;
    return lrc == VD_OK || lrc == VD_ELIMIT ? lrc : rc;
}

/* Chroma subsampling of the planar YUV formats JPEG decodes to; 0 if the
 * format is anything else (then swscale converts). */
static void ycc_subsampling(enum AVPixelFormat f, int *sx, int *sy)
{
    switch (f) {
    case AV_PIX_FMT_YUV420P: *sx = 2, *sy = 2; break;
    case AV_PIX_FMT_YUV422P: *sx = 2, *sy = 1; break;
    case AV_PIX_FMT_YUV440P: *sx = 1, *sy = 2; break;
    case AV_PIX_FMT_YUV444P: *sx = 1, *sy = 1; break;
    default: *sx = *sy = 0;
    }
}

static int to_tensor(AVFrame *f, const char *name, const vd_img_decode_opts *o, vd_tensor *out,
                     vd_error *err)
{
    static const struct { enum AVPixelFormat fmt; int ch; } targets[] = {
        [VD_IMG_RGB] = {AV_PIX_FMT_RGB24, 3},
        [VD_IMG_GRAY] = {AV_PIX_FMT_GRAY8, 1},
        [VD_IMG_RGBA] = {AV_PIX_FMT_RGBA, 4},
    };
    int full = 0;
    enum AVPixelFormat sfmt = unjpeg(f->format, &full);
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(sfmt);
    int yuv = desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB) && desc->nb_components >= 3;
    if (!yuv || f->color_range == AVCOL_RANGE_JPEG)
        full = 1; /* RGB/gray/palette are full range by nature; JPEG YCbCr is too */
    int64_t shape[3] = {f->height, f->width, targets[o->color].ch};
    vd_tensor hwc = {0};
    int rc = vd_tensor_alloc(&hwc, VD_DTYPE_U8, 3, shape, err);
    if (rc < 0)
        return vd_error_prefix(err, "%s: ", name);
    uint8_t *dd[4] = {hwc.data};
    int dl[4] = {(int)(f->width * shape[2])};
    int sx = 0, sy = 0;
    if (full && o->color != VD_IMG_GRAY)
        ycc_subsampling(sfmt, &sx, &sy);
    int ar = sx ? vd_img_ycc_to_rgb((const uint8_t *const *)f->data, f->linesize, f->width,
                                    f->height, sx, sy, hwc.data, dl[0], (int)shape[2])
                : convert((const uint8_t *const *)f->data, f->linesize, sfmt, dd, dl,
                          targets[o->color].fmt, f->width, f->height, full, 1);
    if (ar == VD_ENOMEM)
        ar = AVERROR(ENOMEM);
    if (ar < 0) {
        vd_tensor_free(&hwc);
        av_err(err, VD_EUNSUPPORTED, ar, "%s: cannot convert decoded pixels: %s", name);
        return VD_EUNSUPPORTED;
    }
    if (o->layout == VD_IMG_U8_HWC) {
        *out = hwc;
        return VD_OK;
    }
    vd_tensor chw = {0};
    rc = vd_tf_u8_to_float(&hwc, 1.0f / 255.0f, &chw, err);
    vd_tensor_free(&hwc);
    if (rc < 0)
        return vd_error_prefix(err, "%s: ", name);
    *out = chw;
    return VD_OK;
}

int vd_img_decode_ex(const void *data, size_t size, const char *name,
                     const vd_img_decode_opts *opts, vd_tensor *out, vd_img_info *info_out,
                     vd_error *err)
{
    vd_img_decode_opts o = {0};
    if (opts)
        o = *opts;
    if (o.max_pixels <= 0)
        o.max_pixels = VD_IMG_DEFAULT_MAX_PIXELS;
    name = name ? name : "image";
    memset(out, 0, sizeof *out);
    vd_img_info info_local, *info = info_out ? info_out : &info_local;
    if ((unsigned)o.color > VD_IMG_RGBA || (unsigned)o.layout > VD_IMG_F32_CHW) {
        memset(info, 0, sizeof *info);
        return vd_error_set(err, VD_EINVAL, "%s: bad decode options", name);
    }
    int rc = vd_img_header_check(data, size, name, info, 0, err);
    if (rc < 0)
        return rc;
    if ((int64_t)info->width * info->height > o.max_pixels)
        return over_limit(err, name, info->width, info->height, o.max_pixels);
    if (info->codec == VD_IMG_JPEG && info->channels == 4)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: CMYK/YCCK JPEG is not supported", name);
    AVFrame *frame = av_frame_alloc();
    if (!frame)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", name);
    rc = decode_any(data, size, name, info, o.max_pixels, frame, &info->damaged, err);
    if (rc == VD_OK) {
        /* a damaged header may have named another size than the scan has */
        info->width = frame->width;
        info->height = frame->height;
        rc = to_tensor(frame, name, &o, out, err);
    }
    av_frame_free(&frame);
    return rc;
}

int vd_img_decode(const void *data, size_t size, const char *name,
                  const vd_img_decode_opts *opts, vd_tensor *out, vd_error *err)
{
    return vd_img_decode_ex(data, size, name, opts, out, NULL, err);
}

static int read_file(const char *path, uint8_t **buf, size_t *size, vd_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vd_error_set(err, errno == ENOENT ? VD_ENOTFOUND : VD_EIO, "%s: cannot open: %s",
                            path, strerror(errno));
    struct stat st;
    int rc = VD_OK;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = vd_error_set(err, VD_EIO, "%s: not a regular file", path);
    } else if (st.st_size > MAX_FILE_BYTES) {
        rc = vd_error_set(err, VD_ELIMIT, "%s: %lld bytes is over the %lld byte limit for images",
                          path, (long long)st.st_size, MAX_FILE_BYTES);
    } else if (!(*buf = malloc(st.st_size ? (size_t)st.st_size : 1))) {
        rc = vd_error_set(err, VD_ENOMEM, "%s: out of memory", path);
    } else if (fread(*buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        rc = vd_error_set(err, VD_EIO, "%s: read error", path);
        free(*buf);
        *buf = NULL;
    }
    *size = rc == VD_OK ? (size_t)st.st_size : 0;
    fclose(f);
    return rc;
}

int vd_img_load_ex(const char *path, const vd_img_decode_opts *opts, vd_tensor *out,
                   vd_img_info *info, vd_error *err)
{
    uint8_t *buf = NULL;
    size_t size = 0;
    memset(out, 0, sizeof *out);
    if (info)
        memset(info, 0, sizeof *info);
    int rc = read_file(path, &buf, &size, err);
    if (rc < 0)
        return rc;
    rc = vd_img_decode_ex(buf, size, path, opts, out, info, err);
    free(buf);
    return rc;
}

int vd_img_load(const char *path, const vd_img_decode_opts *opts, vd_tensor *out,
                vd_error *err)
{
    return vd_img_load_ex(path, opts, out, NULL, err);
}

/* ---- encoding ------------------------------------------------------------ */

/* ITU-T T.81 Annex K tables, natural (row-major) order. */
static const uint8_t std_luma[64] = {
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
static const uint8_t std_chroma[64] = {
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

/* libjpeg's jpeg_quality_scaling + jpeg_add_quant_table (baseline clamp). */
static uint16_t *quant_table(const uint8_t *base, int quality)
{
    uint16_t *t = av_malloc(64 * sizeof *t);
    if (!t)
        return NULL;
    int scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
    for (int i = 0; i < 64; i++) {
        long v = ((long)base[i] * scale + 50) / 100;
        t[i] = (uint16_t)(v < 1 ? 1 : v > 255 ? 255 : v);
    }
    return t;
}

static int check_pixels(const uint8_t *data, int w, int h, int ls, int ch, vd_img_codec codec,
                        vd_error *err)
{
    if (!data || w <= 0 || h <= 0 || w > 65535 || h > 65535)
        return vd_error_set(err, VD_EINVAL, "encode: bad image %dx%d", w, h);
    if (ch != 1 && ch != 3 && !(ch == 4 && codec == VD_IMG_PNG))
        return vd_error_set(err, VD_EINVAL, "encode: %d channels not supported for %s", ch,
                            codec == VD_IMG_PNG ? "PNG" : "JPEG");
    if (ls < w * ch)
        return vd_error_set(err, VD_EINVAL, "encode: linesize %d < %d", ls, w * ch);
    if (codec != VD_IMG_JPEG && codec != VD_IMG_PNG)
        return vd_error_set(err, VD_EINVAL, "encode: codec must be JPEG or PNG");
    return VD_OK;
}

static int setup_encoder(AVCodecContext *ctx, vd_img_codec codec, int w, int h, int ch,
                         int quality)
{
    ctx->width = w;
    ctx->height = h;
    ctx->time_base = (AVRational){1, 25};
    ctx->thread_count = 1;
    if (codec == VD_IMG_PNG) {
        ctx->pix_fmt = ch == 1 ? AV_PIX_FMT_GRAY8 : ch == 3 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_RGBA;
        return 0;
    }
    ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
    ctx->color_range = AVCOL_RANGE_JPEG;
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 8;
    ctx->qmin = ctx->qmax = 8;
    ctx->intra_matrix = quant_table(std_luma, quality);
    ctx->chroma_intra_matrix = quant_table(std_chroma, quality);
    return ctx->intra_matrix && ctx->chroma_intra_matrix ? 0 : AVERROR(ENOMEM);
}

/* Fill frame from the interleaved source pixels. */
static int fill_frame(AVFrame *fr, const uint8_t *data, int ls, int ch, vd_img_codec codec)
{
    if (av_frame_get_buffer(fr, 0) < 0)
        return AVERROR(ENOMEM);
    const uint8_t *sd[4] = {data};
    int sl[4] = {ls};
    if (codec == VD_IMG_PNG) {
        av_image_copy(fr->data, fr->linesize, sd, sl, fr->format, fr->width, fr->height);
        return 0;
    }
    /* swscale's SIMD input loaders read up to 16 bytes past the last pixel
     * of the source, so a caller's tightly sized buffer would be over-read.
     * One copy into padded memory costs far less than the encode. */
    size_t row = (size_t)fr->width * (size_t)ch, rows = (size_t)fr->height;
    uint8_t *pad = av_malloc(row * rows + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!pad)
        return AVERROR(ENOMEM);
    for (size_t y = 0; y < rows; y++)
        memcpy(pad + y * row, data + y * (size_t)ls, row);
    memset(pad + row * rows, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    sd[0] = pad;
    sl[0] = (int)row;
    enum AVPixelFormat sfmt = ch == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
    int rc = convert(sd, sl, sfmt, fr->data, fr->linesize, AV_PIX_FMT_YUV420P, fr->width,
                     fr->height, 1, 1);
    av_free(pad);
    return rc;
}

int vd_img_encode_pixels(const uint8_t *data, int width, int height,
                         int linesize, int channels, vd_img_codec codec,
                         int quality, uint8_t **out, size_t *out_size,
                         vd_error *err)
{
    *out = NULL;
    *out_size = 0;
    int rc = check_pixels(data, width, height, linesize, channels, codec, err);
    if (rc < 0)
        return rc;
    quality = quality == 0 ? 90 : quality < 1 ? 1 : quality > 100 ? 100 : quality;
    const AVCodec *enc = avcodec_find_encoder(codec == VD_IMG_JPEG ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_PNG);
    if (!enc)
        return vd_error_set(err, VD_EUNSUPPORTED, "encode: this FFmpeg has no %s encoder",
                            codec == VD_IMG_JPEG ? "mjpeg" : "png");
    AVCodecContext *ctx = avcodec_alloc_context3(enc);
    AVFrame *fr = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int ar = ctx && fr && pkt ? setup_encoder(ctx, codec, width, height, channels, quality)
                              : AVERROR(ENOMEM);
    if (ar >= 0)
        ar = avcodec_open2(ctx, enc, NULL);
    if (ar >= 0) {
        fr->format = ctx->pix_fmt;
        fr->width = width;
        fr->height = height;
        fr->quality = ctx->global_quality;
        fr->pict_type = AV_PICTURE_TYPE_I;
        ar = fill_frame(fr, data, linesize, channels, codec);
    }
    if (ar >= 0)
        ar = avcodec_send_frame(ctx, fr);
    if (ar >= 0)
        ar = avcodec_send_frame(ctx, NULL);
    if (ar >= 0)
        ar = avcodec_receive_packet(ctx, pkt);
    if (ar >= 0 && !(*out = malloc((size_t)pkt->size)))
        ar = AVERROR(ENOMEM);
    if (ar >= 0) {
        memcpy(*out, pkt->data, (size_t)pkt->size);
        *out_size = (size_t)pkt->size;
        rc = VD_OK;
    } else {
        av_err(err, ar == AVERROR(ENOMEM) ? VD_ENOMEM : VD_EIO, ar, "encode %s: %s",
               codec == VD_IMG_JPEG ? "JPEG" : "PNG");
        rc = ar == AVERROR(ENOMEM) ? VD_ENOMEM : VD_EIO;
    }
    av_packet_free(&pkt);
    av_frame_free(&fr);
    if (ctx) /* FFmpeg 5.x frees intra_matrix but not chroma_intra_matrix */
        av_freep(&ctx->chroma_intra_matrix);
    avcodec_free_context(&ctx);
    return rc;
}

static int tensor_pixels(const vd_tensor *img, int *w, int *h, int *ch, vd_error *err)
{
    if (!img || !img->data || img->dtype != VD_DTYPE_U8 || img->ndim != 3) {
        char buf[96];
        return vd_error_set(err, VD_EINVAL, "encode: expected a uint8 [H,W,C] tensor, got %s %s",
                            img ? vd_dtype_name(img->dtype) : "NULL",
                            img ? vd_tensor_shape_str(img, buf, sizeof buf) : "");
    }
    *h = (int)img->shape[0];
    *w = (int)img->shape[1];
    *ch = (int)img->shape[2];
    return VD_OK;
}

int vd_img_encode(const vd_tensor *img, vd_img_codec codec, int quality,
                  uint8_t **out, size_t *out_size, vd_error *err)
{
    int w = 0, h = 0, ch = 0;
    int rc = tensor_pixels(img, &w, &h, &ch, err);
    if (rc < 0)
        return rc;
    return vd_img_encode_pixels(img->data, w, h, w * ch, ch, codec, quality, out, out_size, err);
}

static vd_img_codec codec_from_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")))
        return VD_IMG_JPEG;
    if (dot && !strcasecmp(dot, ".png"))
        return VD_IMG_PNG;
    return VD_IMG_UNKNOWN;
}

static int write_atomic(const char *path, const uint8_t *buf, size_t n, vd_error *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return vd_error_set(err, VD_EINVAL, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return vd_error_set(err, VD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int ok = fwrite(buf, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        int e = errno;
        remove(tmp);
        return vd_error_set(err, VD_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return VD_OK;
}

int vd_img_save_pixels(const uint8_t *data, int width, int height, int linesize,
                       int channels, const char *path, vd_img_codec codec,
                       int quality, vd_error *err)
{
    if (codec == VD_IMG_UNKNOWN && (codec = codec_from_path(path)) == VD_IMG_UNKNOWN)
        return vd_error_set(err, VD_EINVAL, "%s: cannot tell the format (use .jpg, .jpeg or .png)", path);
    uint8_t *buf;
    size_t n;
    int rc = vd_img_encode_pixels(data, width, height, linesize, channels, codec, quality, &buf,
                                  &n, err);
    if (rc < 0)
        return vd_error_prefix(err, "%s: ", path);
    rc = write_atomic(path, buf, n, err);
    free(buf);
    return rc;
}

int vd_img_save(const vd_tensor *img, const char *path, vd_img_codec codec,
                int quality, vd_error *err)
{
    int w = 0, h = 0, ch = 0;
    int rc = tensor_pixels(img, &w, &h, &ch, err);
    if (rc < 0)
        return vd_error_prefix(err, "%s: ", path);
    return vd_img_save_pixels(img->data, w, h, w * ch, ch, path, codec, quality, err);
}
