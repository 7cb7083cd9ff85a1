/* image.h -- decode and encode still images (JPEG, PNG) as vd_tensors.
 *
 * Codecs are FFmpeg's (libavcodec mjpeg/png + libswscale), not libjpeg or
 * libpng: they are already linked for video, so stills need no new
 * dependency, and a JPEG snapshot of a frame uses the very same code path
 * as a decoded MJPEG stream. Caveat: FFmpeg's mjpeg decoder outputs
 * yuvj420p/422p/444p, and swscale's chroma upsampling is not libjpeg's
 * (up to ~75 levels off at colour edges vs PIL/OpenCV). So YCbCr -> RGB is
 * done by image_yuv.c, a transcription of libjpeg's fancy upsampling and
 * fixed-point colour tables; what remains is the IDCT's rounding: mean
 * |ours - PIL| about 0.05, max 3 levels on the opencv-doc photos
 * (tests/test_image.c asserts mean < 0.2, max <= 4). PNG decoding is exact.
 * FFmpeg itself may log to stderr through av_log (e.g. "CRC mismatch");
 * applications that mind set av_log_set_level() once at start-up.
 *
 * Safety: the image header (PNG IHDR, JPEG SOFn) is parsed by our own code
 * BEFORE any decoder runs; images over the pixel limit (default 64 Mpx,
 * VD_IMG_DEFAULT_MAX_PIXELS) fail with VD_ELIMIT, empty input with
 * VD_EFORMAT; unknown formats with VD_EUNSUPPORTED.
 *
 * Damage: a file whose structure is whole (every segment in place, JPEG
 * EOI / PNG IEND present) is decoded strictly. A damaged one (a flipped
 * byte, bad CRC, cut off) is decoded the way the ffmpeg CLI shows it, with
 * the decoder concealing what it cannot read, and reported damaged
 * (vd_img_info.damaged from the _ex calls); it fails with VD_EFORMAT only
 * when no picture comes out at all. Every message starts with the input's
 * name ("messi5.jpg: ...").
 *
 * All functions are thread-safe (no shared state). */
#ifndef VD_IMAGE_H
#define VD_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/core/tensor.h"

#define VD_IMG_DEFAULT_MAX_PIXELS (64LL * 1024 * 1024)

typedef enum vd_img_codec {
    VD_IMG_UNKNOWN = 0,
    VD_IMG_JPEG,
    VD_IMG_PNG,
} vd_img_codec;

/* Channels of a decoded image. */
typedef enum vd_img_color {
    VD_IMG_RGB = 0, /* 3 channels R,G,B (default) */
    VD_IMG_GRAY,    /* 1 channel, BT.601 luma (full range) */
    VD_IMG_RGBA,    /* 4 channels; alpha 255 where the file has none */
} vd_img_color;

/* Output tensor layout of a decode. */
typedef enum vd_img_layout {
    VD_IMG_U8_HWC = 0, /* uint8 [H,W,C] (default) */
    VD_IMG_F32_CHW,    /* float32 [C,H,W], values in [0,1] (pixel/255) */
} vd_img_layout;

typedef struct vd_img_decode_opts {
    vd_img_color color;   /* default VD_IMG_RGB */
    vd_img_layout layout; /* default VD_IMG_U8_HWC */
    int64_t max_pixels;   /* width*height limit; <= 0 means the default 64 Mpx */
} vd_img_decode_opts;

/* Basic facts from the header only (no decoding). */
typedef struct vd_img_info {
    vd_img_codec codec;
    int width, height;
    int channels; /* as stored: 1 gray, 2 gray+alpha, 3 colour, 4 colour+alpha/CMYK */
    int damaged;  /* decodes only: 1 when the data had errors the decoder concealed */
} vd_img_info;

/* Sniff the codec from magic bytes; VD_IMG_UNKNOWN if neither JPEG nor PNG. */
vd_img_codec vd_img_sniff(const void *data, size_t size);

/* Parse the header of a JPEG/PNG buffer. name labels error messages (NULL ->
 * "image"). Errors: VD_EFORMAT (empty, truncated header, no SOF/IHDR, zero
 * size), VD_EUNSUPPORTED (not JPEG/PNG). Does not apply a pixel limit. */
int vd_img_probe(const void *data, size_t size, const char *name,
                 vd_img_info *info, vd_error *err);

/* Decode a JPEG or PNG held in memory into *out (allocated here; release with
 * vd_tensor_free). opts may be NULL (RGB, uint8 HWC, 64 Mpx). On failure *out
 * is left zeroed. 16-bit PNGs are reduced to 8 bits; palette, gray and alpha
 * PNGs are converted to the requested color; CMYK JPEGs are rejected with
 * VD_EUNSUPPORTED. */
int vd_img_decode(const void *data, size_t size, const char *name,
                  const vd_img_decode_opts *opts, vd_tensor *out, vd_error *err);

/* vd_img_decode that also reports, in *info (may be NULL), the header's
 * facts and whether the image was damaged (the picture is then what the
 * decoder could show: missing or unreadable blocks are filled in). On
 * failure *info holds what the header said, if anything. */
int vd_img_decode_ex(const void *data, size_t size, const char *name,
                     const vd_img_decode_opts *opts, vd_tensor *out, vd_img_info *info,
                     vd_error *err);

/* Read a file and vd_img_decode it (name = path). Missing file: VD_ENOTFOUND.
 * A file larger than 256 MiB is refused with VD_ELIMIT before reading. */
int vd_img_load(const char *path, const vd_img_decode_opts *opts,
                vd_tensor *out, vd_error *err);
/* The same, reporting *info (may be NULL) as vd_img_decode_ex. */
int vd_img_load_ex(const char *path, const vd_img_decode_opts *opts, vd_tensor *out,
                   vd_img_info *info, vd_error *err);

/* Encode width x height pixels at data (rows linesize bytes apart, linesize >=
 * width*channels) to JPEG or PNG. channels: 1 (gray) or 3 (RGB; 4 = RGBA is
 * accepted for PNG only). quality 1..100 for JPEG (libjpeg's scale: the
 * standard Annex K tables scaled as libjpeg's jpeg_quality_scaling does, except
 * the DC entry, which FFmpeg's mjpeg encoder fixes at 8; 4:2:0 chroma; 0
 * means 90), ignored for PNG. *out is malloc'ed here (free() it), *out_size
 * its length. Errors: VD_EINVAL (bad size, channels, linesize or codec),
 * VD_EIO (encoder failure), VD_ENOMEM. */
int vd_img_encode_pixels(const uint8_t *data, int width, int height,
                         int linesize, int channels, vd_img_codec codec,
                         int quality, uint8_t **out, size_t *out_size,
                         vd_error *err);

/* Same for a uint8 [H,W,C] tensor with C = 1 or 3 (4 for PNG). */
int vd_img_encode(const vd_tensor *img, vd_img_codec codec, int quality,
                  uint8_t **out, size_t *out_size, vd_error *err);

/* Encode and write to path. codec VD_IMG_UNKNOWN picks it from the extension
 * (.jpg/.jpeg/.png, case-insensitive; otherwise VD_EINVAL). The file is
 * written to "path.tmp" and renamed, so readers never see half a file. */
int vd_img_save(const vd_tensor *img, const char *path, vd_img_codec codec,
                int quality, vd_error *err);
int vd_img_save_pixels(const uint8_t *data, int width, int height, int linesize,
                       int channels, const char *path, vd_img_codec codec,
                       int quality, vd_error *err);

#endif
