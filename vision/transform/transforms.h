/* transforms.h -- image preprocessing: resize, letterbox, crop, normalize,
 * channel order, layout, and the fused per-model chain (vd_tf_chain).
 *
 * Semantics follow torchvision's functional API on float tensors:
 *   - bilinear: half-pixel centres (align_corners=False), src = (dst+0.5)*s-0.5
 *     with s = in/out, clamped to [0, in-1]; with antialias on a downscale
 *     the PIL/torch "_upsample_bilinear2d_aa" triangle filter whose support
 *     is scaled by s (PIL's Image.resize(BILINEAR) on mode 'F' is the same);
 *   - nearest: torch 'nearest', src = min(floor(dst*s), in-1) (not
 *     'nearest-exact'); antialias is ignored for nearest, as in torchvision;
 *   - center_crop uses Python's round-half-even for the offset and zero-pads
 *     when the crop is larger than the image, like torchvision.
 * docs/vision-core.md has all the formulas.
 *
 * Float tensors are [B,C,H,W] or [C,H,W] float32 (contiguous; see tensor.h).
 * Output convention, everywhere a function takes `vd_tensor *dst`: if
 * dst->data is NULL the function allocates it (free with vd_tensor_free);
 * otherwise dst must already have exactly the expected dtype and shape
 * (VD_EINVAL otherwise) -- that is how results land in a batch slot view.
 * dst must not overlap src unless stated.
 *
 * The chain (vd_tf_chain) is what a model uses: a plain vd_tf_spec (the
 * `input:` block of a model card) turned into one fused pass from a uint8
 * RGB/BGR/gray frame (with linesize, as decoders deliver) straight into slot
 * b of a float batch tensor, returning the geometry that maps boxes back to
 * source pixels (vd_box_unmap in ops.h). A chain is immutable after creation
 * and may be shared by any number of threads.
 *
 * All functions are thread-safe; none keeps global state. */
#ifndef VD_TRANSFORMS_H
#define VD_TRANSFORMS_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/core/pixfmt.h"
#include "vision/core/tensor.h"

typedef enum vd_interp {
    VD_INTERP_BILINEAR = 0,
    VD_INTERP_NEAREST,
} vd_interp;

typedef enum vd_tf_resize_mode {
    VD_TF_STRETCH = 0, /* resize to exactly WxH, aspect not kept */
    VD_TF_LETTERBOX,   /* keep aspect, fit inside WxH, pad the rest */
} vd_tf_resize_mode;

typedef enum vd_tf_layout {
    VD_TF_NCHW = 0,
    VD_TF_NHWC,
} vd_tf_layout;

typedef enum vd_tf_order {
    VD_TF_RGB = 0,
    VD_TF_BGR,
} vd_tf_order;

typedef enum vd_tf_range {
    VD_TF_RANGE_01 = 0, /* pixel/255 */
    VD_TF_RANGE_255,    /* pixel as is */
} vd_tf_range;

/* Source images are uint8 interleaved: VD_PIX_RGB24, VD_PIX_BGR24,
 * VD_PIX_GRAY8 (replicated into 3 channels by the chain) or VD_PIX_RGBA
 * (alpha ignored); see vision/pixfmt.h. Other formats are VD_EINVAL. */

/* A uint8 interleaved source image; rows are linesize bytes apart
 * (linesize >= width * bytes per pixel). */
typedef struct vd_tf_image {
    const uint8_t *data;
    int width, height;
    int linesize;
    vd_pixfmt fmt;
} vd_tf_image;

/* Where the source image went in the network input, to map boxes back:
 *   net_x = (src_x - crop_x) * scale_x + pad_x     (same for y)
 *   src_x = (net_x - pad_x) / scale_x + crop_x
 * For a stretch pad is 0 and scale_x = dst_w/src_w, scale_y = dst_h/src_h.
 * For a letterbox scale_x = content_w/src_w, scale_y = content_h/src_h (equal
 * up to rounding of the content size). crop_* are 0 unless a crop was used. */
typedef struct vd_tf_geom {
    int src_w, src_h;         /* source image size (pixels) */
    int dst_w, dst_h;         /* network input size */
    int content_w, content_h; /* size of the resized image inside dst */
    float scale_x, scale_y;
    float pad_x, pad_y;       /* left/top offset of the content in dst */
    float crop_x, crop_y;     /* origin of the source region used */
} vd_tf_geom;

/* ---- the preprocessing chain -------------------------------------------- */

/* The `input:` block of a model card / the preprocessing CLI flags. The value
 * fed to the network for pixel p (0..255) of channel c is
 *     v = (p * k - mean[c]) / std[c],  k = 1/255 for range 0-1, 1 for 0-255
 * i.e. mean/std are applied AFTER range scaling and are in that range's units
 * (ImageNet: range 0-1, mean 0.485,0.456,0.406, std 0.229,0.224,0.225).
 * mean/std are indexed in the OUTPUT channel order (after RGB->BGR).
 * pad_value is a pixel value 0..255 (YOLOv8: 114) and goes through the same
 * formula, so padding looks like a grey pixel of that value to the model. */
typedef struct vd_tf_spec {
    int width, height;        /* network input size; both > 0 */
    vd_tf_resize_mode resize; /* default stretch */
    float pad_value;          /* default 0 */
    vd_interp interp;         /* default bilinear */
    int antialias;            /* default 0 (off: what cv2.resize/YOLO do; torchvision
                               * >= 0.17 defaults to on for tensors) */
    vd_tf_layout layout;      /* default nchw */
    vd_tf_order order;        /* default rgb */
    vd_tf_range range;        /* default 0-1 */
    float mean[3];            /* default 0,0,0 */
    float std[3];             /* default 1,1,1 */
} vd_tf_spec;

/* Defaults above, with the given size. */
void vd_tf_spec_default(vd_tf_spec *spec, int width, int height);

/* Set one field from text, as a CLI flag or card value gives it. Keys (with
 * or without leading "--"; '_' and '-' are equivalent):
 *   "input-size"/"size" "640x640" | "resize" stretch|letterbox |
 *   "pad-value" 114 | "interpolation" bilinear|nearest | "antialias" 0|1|true|false |
 *   "layout" nchw|nhwc | "channels" rgb|bgr | "range" 0-1|0-255 |
 *   "mean" "a,b,c" (or one value for all) | "std" "a,b,c" (or one value).
 * Unknown key or bad value: VD_EINVAL naming both. */
int vd_tf_spec_set(vd_tf_spec *spec, const char *key, const char *value,
                   vd_error *err);

/* Check sizes (1..16384), std != 0, enums in range. */
int vd_tf_spec_validate(const vd_tf_spec *spec, vd_error *err);

/* One-line description, e.g. "640x640 letterbox(114) bilinear nchw rgb 0-1
 * mean=0,0,0 std=1,1,1"; returns buf. */
const char *vd_tf_spec_str(const vd_tf_spec *spec, char *buf, size_t n);

/* Geometry a spec gives for a src_w x src_h source (no pixels touched).
 * Letterbox: r = min(W/src_w, H/src_h), content = round(src*r) (at least 1),
 * pad = floor((W - content_w)/2), floor((H - content_h)/2) -- the same as
 * ultralytics' round(dw - 0.1). A caller whose decoder can scale (the reader's
 * swscale) may scale to content_w x content_h itself; the chain then skips
 * its resize, but the box geometry must come from this call with the
 * ORIGINAL size. */
int vd_tf_geom_compute(const vd_tf_spec *spec, int src_w, int src_h,
                       vd_tf_geom *geom, vd_error *err);

typedef struct vd_tf_chain vd_tf_chain;

/* Validate the spec and build the chain. */
int vd_tf_chain_create(vd_tf_chain **chain, const vd_tf_spec *spec,
                       vd_error *err);
void vd_tf_chain_free(vd_tf_chain **chain); /* NULLs *chain; NULL-safe */
const vd_tf_spec *vd_tf_chain_spec(const vd_tf_chain *chain);

/* Run the chain on src and write the result into slot b of batch:
 *   batch: float32 [B,3,H,W] (nchw) or [B,H,W,3] (nhwc), or the same without
 *   B (then b must be 0). uint8 batches are accepted too when range is 0-255
 *   and mean 0 / std 1 (values rounded) for models with uint8 inputs.
 * The whole slot is written (content and padding). geom (may be NULL) gets
 * the geometry for this source. Errors: VD_EINVAL (shape/dtype mismatch,
 * empty source, linesize too small), VD_ERANGE (b outside the batch),
 * VD_ENOMEM. Thread-safe: scratch memory is allocated per call. */
int vd_tf_chain_run(const vd_tf_chain *chain, const vd_tf_image *src,
                    vd_tensor *batch, int64_t b, vd_tf_geom *geom,
                    vd_error *err);

/* View a uint8 [H,W,C] tensor (C = 1, 3 or 4) as a vd_tf_image (RGB order
 * assumed for C = 3). */
int vd_tf_image_from_tensor(const vd_tensor *hwc, vd_tf_image *img,
                            vd_error *err);

/* ---- individual transforms on float tensors ----------------------------- */

/* Resize [B,C,H,W] or [C,H,W] float32 to out_h x out_w (torchvision
 * F.resize(img, [out_h, out_w], interpolation, antialias) on a tensor).
 * antialias only matters for bilinear downscaling. */
int vd_tf_resize(const vd_tensor *src, int out_w, int out_h, vd_interp interp,
                 int antialias, vd_tensor *dst, vd_error *err);

/* Letterbox [B,C,H,W] / [C,H,W] float32 into out_h x out_w: resize keeping
 * the aspect (geometry as vd_tf_geom_compute), fill the rest with pad_value
 * (in the tensor's units). geom may be NULL. */
int vd_tf_letterbox(const vd_tensor *src, int out_w, int out_h,
                    vd_interp interp, int antialias, float pad_value,
                    vd_tensor *dst, vd_tf_geom *geom, vd_error *err);

/* Crop rows [top, top+height) and columns [left, left+width) (torchvision
 * F.crop). Parts outside the image are 0. width, height > 0. */
int vd_tf_crop(const vd_tensor *src, int left, int top, int width, int height,
               vd_tensor *dst, vd_error *err);

/* torchvision F.center_crop: top = round_half_even((H - h)/2), same for left;
 * zero padding when the crop is larger than the image. */
int vd_tf_center_crop(const vd_tensor *src, int width, int height,
                      vd_tensor *dst, vd_error *err);

/* In place: x = (x - mean[c]) / std[c] over channel axis 1 of [B,C,H,W] or
 * axis 0 of [C,H,W]. mean/std have C entries; any std == 0: VD_EINVAL. */
int vd_tf_normalize(vd_tensor *t, const float *mean, const float *std,
                    vd_error *err);

/* In place: x *= factor (1/255 scales 0-255 to 0-1). */
int vd_tf_scale(vd_tensor *t, float factor, vd_error *err);

/* In place: reverse the channel order (RGB<->BGR) of a 3-channel tensor in
 * layout `layout` ([B,]3,H,W for nchw, [B,]H,W,3 for nhwc). */
int vd_tf_swap_rb(vd_tensor *t, vd_tf_layout layout, vd_error *err);

/* Layout change of [B,C,H,W] <-> [B,H,W,C] (or without B); any dtype. */
int vd_tf_nchw_to_nhwc(const vd_tensor *src, vd_tensor *dst, vd_error *err);
int vd_tf_nhwc_to_nchw(const vd_tensor *src, vd_tensor *dst, vd_error *err);

/* uint8 [H,W,C] or [B,H,W,C] -> float32 [C,H,W] / [B,C,H,W], x * factor
 * (factor 1/255 gives torchvision's convert_image_dtype / to_tensor). */
int vd_tf_u8_to_float(const vd_tensor *src, float factor, vd_tensor *dst,
                      vd_error *err);

/* ---- uint8 interleaved images ------------------------------------------- */

/* Resize an interleaved uint8 image with `channels` channels (1..4) into
 * dst (dst_w x dst_h, dst_linesize), same formulas as vd_tf_resize, results
 * rounded to nearest. For thumbnails, motion downscaling, snapshots. */
int vd_tf_resize_u8(const uint8_t *src, int src_w, int src_h, int src_linesize,
                    int channels, uint8_t *dst, int dst_w, int dst_h,
                    int dst_linesize, vd_interp interp, int antialias,
                    vd_error *err);

/* Enum -> text, for JSON output and messages ("invalid" for an out-of-range
 * value). Text -> enum is vd_tf_spec_set. */
const char *vd_interp_name(vd_interp i);        /* "bilinear", "nearest" */
const char *vd_tf_resize_mode_name(vd_tf_resize_mode m); /* "stretch", "letterbox" */
const char *vd_tf_layout_name(vd_tf_layout l);  /* "nchw", "nhwc" */
const char *vd_tf_order_name(vd_tf_order o);    /* "rgb", "bgr" */
const char *vd_tf_range_name(vd_tf_range r);    /* "0-1", "0-255" */

#endif
