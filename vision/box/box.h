/* ops.h -- box operations with torchvision.ops semantics: IoU, NMS, batched
 * NMS, format conversions, clipping, small-box removal, mapping boxes back
 * through a letterbox/resize, and roi_align.
 *
 * Boxes are vd_box {x1,y1,x2,y2} in pixels (torchvision's "xyxy"), laid out
 * exactly like a float [N,4] tensor, so a model output can be cast to
 * (vd_box *) after conversion. Areas follow torchvision: (x2-x1)*(y2-y1)
 * with no +1, so a degenerate or inverted box has area <= 0 and IoU 0.
 *
 * NMS: indices sorted by score descending (stable: equal scores keep input
 * order), a box is dropped if its IoU with an already kept box is > iou_thr
 * (strictly greater, as torchvision). batched_nms never suppresses across
 * classes. All functions are thread-safe and keep no global state. */
#ifndef VD_OPS_H
#define VD_OPS_H

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
float vd_box_area(const vd_box *b);

/* IoU of two boxes; 0 when the union is <= 0. */
float vd_box_iou(const vd_box *a, const vd_box *b);

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
 * (transforms.h: src = (net - pad)/scale + crop), then clip to the source
 * image [0,src_w] x [0,src_h]. */
void vd_box_unmap(vd_box *boxes, int n, const vd_tf_geom *geom);
/* The inverse: source pixels to network-input pixels (no clipping). */
void vd_box_map(vd_box *boxes, int n, const vd_tf_geom *geom);

/* torchvision.ops.nms. keep must hold n ints; *n_keep receives the count.
 * Indices come out sorted by decreasing score. Scores that are NaN sort last.
 * n == 0 is fine (*n_keep = 0). VD_ENOMEM if scratch allocation fails. */
int vd_nms(const vd_box *boxes, const float *scores, int n, float iou_thr,
           int *keep, int *n_keep, vd_error *err);

/* torchvision.ops.batched_nms: NMS within each class (classes[i] any int),
 * never across classes; result sorted by decreasing score over all classes. */
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
int vd_roi_align(const vd_tensor *input, const float *rois, int k, int out_h,
                 int out_w, float spatial_scale, int sampling_ratio,
                 int aligned, vd_tensor *out, vd_error *err);

#endif
