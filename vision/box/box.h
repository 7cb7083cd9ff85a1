/* box.h -- the box type and the box operations, with torchvision.ops
 * semantics: IoU, NMS, batched NMS, format conversions, clipping,
 * small-box removal, mapping boxes back through a letterbox/resize, and
 * roi_align. This is library vd_box, which links only vd_core, so that the
 * ONNX NonMaxSuppression kernel (vd_nn) shares its IoU and NMS with the
 * detectors and the tracker (vd_vision): one box type, one IoU, one NMS.
 *
 * Boxes are vd_box {x1,y1,x2,y2} in pixels (torchvision's "xyxy"), laid out
 * exactly like a float [N,4] tensor, so a model output can be cast to
 * (vd_box *) after conversion; vd_detection holds its box as a vd_box too
 * (detect.h). Areas follow torchvision: (x2-x1)*(y2-y1) with no +1, so a
 * degenerate or inverted box has area <= 0 and IoU 0.
 *
 * NMS is one greedy sweep (vd_nms_sweep) over a visiting order
 * (vd_nms_order: score descending, NaN last, equal scores by lower index):
 * a box is dropped if its IoU with an already kept box of its class is >
 * iou_thr (strictly greater, as torchvision and ONNX). It reads boxes,
 * scores and classes in place through a vd_nms_view and allocates nothing.
 * vd_nms and vd_nms_batched are torchvision's calls on top of it;
 * batched NMS never suppresses across classes. All functions are
 * thread-safe and keep no global state. */
#ifndef VD_BOX_H
#define VD_BOX_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/core/tensor.h"
#include "vision/transform/transforms.h"

typedef struct vd_box {
    float x1, y1, x2, y2;
} vd_box;

typedef enum vd_box_fmt {
    VD_BOX_XYXY = 0, /* x1,y1,x2,y2 */
    VD_BOX_XYWH,     /* x1,y1,w,h */
    VD_BOX_CXCYWH,   /* centre x, centre y, w, h */
} vd_box_fmt;

/* (x2-x1)*(y2-y1); may be <= 0 for degenerate boxes. */
static inline float vd_box_area(const vd_box *b)
{
    return (b->x2 - b->x1) * (b->y2 - b->y1);
}

/* IoU of two boxes; 0 when they do not overlap or the union is <= 0 (or
 * NaN). Symmetric to the bit: NMS may compare in either order. Inline
 * because every NMS pair goes through it. */
static inline float vd_box_iou(const vd_box *a, const vd_box *b)
{
    float iw = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1);
    float ih = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    float inter = (iw > 0 ? iw : 0) * (ih > 0 ? ih : 0);
    float uni = vd_box_area(a) + vd_box_area(b) - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

/* out[i*nb + j] = IoU(a[i], b[j]) (torchvision.ops.box_iou). */
void vd_box_iou_matrix(const vd_box *a, int na, const vd_box *b, int nb,
                       float *out);

/* Convert n boxes stored as 4 floats each, in place, from one format to
 * another (torchvision.ops.box_convert). */
void vd_box_convert(float *boxes, int n, vd_box_fmt from, vd_box_fmt to);
const char *vd_box_fmt_name(vd_box_fmt f); /* "xyxy", "xywh", "cxcywh" */

/* Clamp x to [0,width] and y to [0,height] (torchvision clip_boxes_to_image). */
void vd_box_clip(vd_box *boxes, int n, float width, float height);

/* Write into keep[] the indices of boxes with width >= min_size and height >=
 * min_size (torchvision remove_small_boxes), in input order; returns how many. */
int vd_box_remove_small(const vd_box *boxes, int n, float min_size, int *keep);

/* Map boxes from network-input pixels back to source pixels through geom
 * (src = (net - pad)/scale + crop), then clip to the source image
 * [0,src_w] x [0,src_h]. vd_tf_geom is a plain struct from transforms.h:
 * no code of vd_vision is called, so vd_box still links only vd_core. */
void vd_box_unmap(vd_box *boxes, int n, const vd_tf_geom *geom);
/* The inverse: source pixels to network-input pixels (no clipping). */
void vd_box_map(vd_box *boxes, int n, const vd_tf_geom *geom);

/* ---- NMS ---- */

/* Where NMS reads box i, its score and its class: in place, *_step bytes
 * apart, so the same sweep runs on plain arrays, on the fields of a
 * vd_detection array or on a kernel's converted corners, copying nothing. */
typedef struct vd_nms_view {
    const vd_box *box;  /* box 0 */
    const float *score; /* score 0; read by vd_nms_order only */
    const int *cls;     /* class 0; NULL: every box is of the same class */
    size_t box_step, score_step, cls_step;
} vd_nms_view;

/* Sort idx[0..n) (box indices) into NMS's visiting order: decreasing score,
 * NaN scores last, equal scores by lower index. The order is total, so the
 * result is the same whatever the sort; a heap sort, in place, allocating
 * nothing. n <= 1 leaves idx as it is. */
void vd_nms_order(const vd_nms_view *v, int *idx, int n);

/* The greedy sweep: visit the boxes named by idx[0..n) in that order and
 * keep each one unless an already kept box of the same class overlaps it by
 * IoU > iou_thr (a NaN threshold suppresses nothing); stop once max_keep
 * are kept (pass n for no limit, 0 keeps none). The kept indices are
 * compacted into idx[0..k), in visiting order, and k is returned. idx is
 * the only scratch: nothing is allocated. O(n * k). */
int vd_nms_sweep(const vd_nms_view *v, int *idx, int n, float iou_thr, int max_keep);

/* torchvision.ops.nms. keep must hold n ints (also the scratch); *n_keep
 * receives the count. Indices come out sorted by decreasing score, NaN
 * scores last. n <= 0 is fine (*n_keep = 0). Allocates nothing and cannot
 * fail: returns 0 (err is unused, kept for the signature). */
int vd_nms(const vd_box *boxes, const float *scores, int n, float iou_thr,
           int *keep, int *n_keep, vd_error *err);

/* torchvision.ops.batched_nms: NMS within each class (classes[i] any int),
 * never across classes; result sorted by decreasing score over all classes.
 * Same contract as vd_nms. */
int vd_nms_batched(const vd_box *boxes, const float *scores, const int *classes,
                   int n, float iou_thr, int *keep, int *n_keep, vd_error *err);

/* torchvision.ops.roi_align.
 *   input: float32 [N,C,H,W]
 *   rois:  k rows of 5 floats (batch_index, x1, y1, x2, y2) in input-image
 *          coordinates; multiplied by spatial_scale
 *   out:   float32 [k,C,out_h,out_w] (allocated if out->data is NULL)
 *   sampling_ratio <= 0: adaptive ceil(roi_size/out_size) samples per bin
 *   aligned: subtract 0.5 after scaling (pixel-centre model); when 0, rois
 *            smaller than 1 pixel are forced to size 1 (legacy behaviour).
 * Sample points outside [-1, H] x [-1, W] contribute 0; inside they are
 * clamped and bilinearly interpolated, as in torchvision's CPU kernel.
 * Errors: VD_EINVAL (shapes, batch index out of range, out sizes <= 0). */
/* The bilinear corners of sample point (y, x) in an h x w plane, as
 * torchvision's and onnxruntime's RoiAlign take them: offsets into the
 * plane and weights; all weights 0 outside [-1, h] x [-1, w] or for NaN.
 * Shared by vd_roi_align and the ONNX RoiAlign kernel (whose "max" mode
 * needs the separate terms). */
void vd_roi_corners(float y, float x, int64_t h, int64_t w, int64_t pos[4], float wt[4]);

int vd_roi_align(const vd_tensor *input, const float *rois, int k, int out_h,
                 int out_w, float spatial_scale, int sampling_ratio,
                 int aligned, vd_tensor *out, vd_error *err);

#endif
