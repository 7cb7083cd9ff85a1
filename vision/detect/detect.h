/* detect.h -- turning a model's raw outputs into labelled boxes.
 *
 * A vd_detector is built once per model from vd_detector_opts and the
 * label table; after creation it is immutable, so any number of threads
 * may decode with it at the same time (each with its own vd_det_list).
 *
 * The one design choice: every adapter first produces boxes in the
 * MODEL-INPUT pixel space (the WxH tensor the network saw), then one
 * shared step maps them back to SOURCE-frame pixels through the
 * preprocessing geometry (scale + letterbox offset), clips them to the
 * frame and applies the filters. So adapters stay ~30 lines each and the
 * geometry lives in exactly one place. Each adapter family is a method
 * table in a file of its own (vision/detect/adapter.h), looked up once
 * when the detector is created.
 *
 * Adapters (vd_det_kind), with the output layout each one reads:
 *   yolov5       one output [B,N,5+C]: cx,cy,w,h (input px), objectness,
 *                C class scores; score = objectness * class score.
 *   yolov8       one output [B,4+C,N]: cx,cy,w,h (input px), C class
 *                scores (no objectness). Also YOLO11 and YOLOv9 in the
 *                ultralytics export layout.
 *   torchvision  post-processed outputs without batch dim: boxes [N,4]
 *                x1,y1,x2,y2 (input px, float), labels [N] (int64/int32)
 *                and scores [N] (float), found by dtype and shape.
 *   ssd          anchor-based (MediaPipe BlazeFace family): score outputs
 *                [B,N_i,1] (logits; sigmoid applied) and regressor outputs
 *                [B,N_i,4+2K] (dx,dy,w,h, then K keypoints dx,dy, all in
 *                input px relative to the anchor centre). Several score /
 *                regressor outputs are concatenated in output order and
 *                must follow the anchor order. Anchors: MediaPipe's
 *                SsdAnchorsCalculator with fixed anchor size 1 (see
 *                vd_ssd_opts). Overlaps are merged by weighted NMS
 *                (MediaPipe's "WEIGHTED" overlap removal) unless disabled.
 *   centernet    one output [B,K,6], decoded inside the graph, columns
 *                x1,y1,x2,y2,score,class in input px (the assumed order;
 *                also what YOLOv10's end-to-end [1,300,6] export emits).
 *   classify     one output [B,C]: top-k classes for the whole frame; a
 *                softmax is applied unless the row already is a
 *                probability vector (all in [0,1], sum within 1e-3 of 1).
 *                Each class is a detection whose box is the whole frame.
 *
 * Candidates below `threshold` or of a class not in `classes` are dropped
 * first. NMS is class-wise (vision/box's NMS) for yolov5/yolov8,
 * weighted (or plain) for ssd, and skipped for torchvision, centernet and
 * classify, whose graphs already did it. Then boxes are mapped back and
 * clipped, empty ones dropped, the per-label area/aspect filters applied,
 * the list sorted by descending score and cut to max_detections, and the
 * zones marked, in that order.
 *
 * Zones: polygons in normalised frame coordinates ([0,1] x [0,1], origin
 * top-left). A detection is in a zone when the bottom-centre point of its
 * box, ((x1+x2)/2, y2), lies inside the polygon by the even-odd rule with
 * half-open edges (the crossing-number convention): for an axis-aligned
 * rectangle a point exactly on the left or top edge is in, on the right or
 * bottom edge out, so two zones sharing an edge never both claim a point
 * on it and a tiling of zones claims every point once. */
#ifndef VD_DETECT_H
#define VD_DETECT_H

#include <stdint.h>

#include "labels.h"
#include "vision/box/box.h"
#include "vision/core/error.h"
#include "vision/core/tensor.h"
#include "vision/transform/transforms.h"

#define VD_DET_NAME_MAX 48
#define VD_DET_MAX_KEYPOINTS 17
#define VD_DET_MAX_ZONES 32
#define VD_ZONE_MAX_POINTS 64

typedef struct vd_detection {
    int label;                   /* class index into the labels; -1 for motion */
    char name[VD_DET_NAME_MAX];  /* label name; "class_<i>" when the table has none */
    float score;
    union {                      /* one box, two names for it: */
        float box[4];            /* x1,y1,x2,y2 in source-frame pixels */
        vd_box bbox;             /* the same, as vision/box's type */
    };
    int n_keypoints;
    float keypoints[VD_DET_MAX_KEYPOINTS][2]; /* source-frame pixels */
    uint32_t zones;              /* bit z set: in zone z of the detector */
    int64_t track_id;            /* 0: not tracked (vision/track sets it) */
} vd_detection;

/* A growable array the caller owns. Zero-initialise, reuse across frames
 * (vd_det_list_clear keeps the memory), free with vd_det_list_free. It
 * also carries the index scratch NMS needs, so that a decode into a list
 * that has grown allocates nothing. */
typedef struct vd_det_list {
    vd_detection *items;
    int count;
    int cap;
    int *scratch;    /* NMS scratch, kept across frames; not for callers */
    int scratch_cap;
} vd_det_list;

int vd_det_list_push(vd_det_list *l, const vd_detection *d, vd_error *err);
void vd_det_list_clear(vd_det_list *l);
void vd_det_list_free(vd_det_list *l);
/* Sort by descending score (stable for equal scores; NaN scores last). */
void vd_det_list_sort(vd_det_list *l);

typedef enum vd_det_kind {
    VD_DET_AUTO = 0, /* guess from output shapes: vd_det_kind_guess */
    VD_DET_YOLOV5,
    VD_DET_YOLOV8,
    VD_DET_TORCHVISION,
    VD_DET_SSD,
    VD_DET_CENTERNET,
    VD_DET_CLASSIFY,
} vd_det_kind;

/* "yolov5", "yolov8" (also "yolo11"), "torchvision", "ssd", "centernet",
 * "classify", "auto". Returns VD_EINVAL listing the valid names. */
int vd_det_kind_parse(const char *s, vd_det_kind *kind, vd_error *err);
const char *vd_det_kind_name(vd_det_kind kind);

/* Guess the adapter from the model's output shapes (dims -1 allowed for
 * the batch dimension). n_labels (0 if unknown) disambiguates YOLO
 * layouts. Succeeds only where exactly one kind fits; otherwise VD_EINVAL
 * naming the shapes and the kinds that fit (several, or none): the caller
 * then needs the kind from elsewhere (a model card, an option). */
int vd_det_kind_guess(int n_outputs, const int *ndims, const int64_t (*shapes)[VD_TENSOR_MAX_DIMS],
                      const vd_dtype *dtypes, int n_labels, vd_det_kind *kind, vd_error *err);

/* 1 if one output tensor of this dtype and shape fits kind's layout (for
 * multi-output kinds: any one of its outputs, e.g. an SSD score or
 * regressor output, a torchvision boxes, labels or scores output), else
 * 0; the same check vd_detector_decode starts with. Dimensions < 0 are
 * unknown and fit. Only the layout is judged, not the batch size or the
 * number of outputs; VD_DET_AUTO, an invalid kind, ndim < 0 or ndim >
 * VD_TENSOR_MAX_DIMS give 0. For picking a model's detection output among
 * several. */
int vd_det_kind_accepts(vd_det_kind kind, int ndim, const int64_t *shape, vd_dtype dtype);

/* MediaPipe SSD anchor options (SsdAnchorsCalculator with
 * fixed_anchor_size and interpolated_scale_aspect_ratio 1): consecutive
 * layers with the same stride share one feature map of
 * ceil(input/stride) cells and contribute `anchors_per_layer` anchors per
 * cell each; anchor centre = ((x + offset)/fm_w, (y + offset)/fm_h). */
typedef struct vd_ssd_opts {
    int n_strides;        /* 0: BlazeFace defaults from the input size */
    int strides[8];       /* 128 front: 8,16,16,16; 256 back: 16,32,32,32 */
    int anchors_per_layer; /* 0: 2 */
    float anchor_offset;  /* 0.5 (set <0 for 0) */
    int n_keypoints;      /* keep the first K; <= 0: all the regressor carries */
    int plain_nms;        /* 1: plain NMS instead of weighted blending */
} vd_ssd_opts;

/* Per-label filters on the mapped box (source pixels). 0 means no limit.
 * label "*" applies to every label. aspect = width / height. */
typedef struct vd_det_filter {
    char label[VD_DET_NAME_MAX];
    float min_area, max_area;
    float min_aspect, max_aspect;
} vd_det_filter;

typedef struct vd_zone {
    char name[VD_DET_NAME_MAX];
    int n;                              /* >= 3 */
    float pts[VD_ZONE_MAX_POINTS][2];   /* normalised x,y */
} vd_zone;

/* Parse "NAME:x1,y1,x2,y2,x3,y3[,...]" (normalised coordinates). */
int vd_zone_parse(vd_zone *z, const char *spec, vd_error *err);
/* Even-odd point-in-polygon with the edge rule described above. */
int vd_zone_contains(const vd_zone *z, float x, float y);
/* Set each detection's zone bits (bit i for zones[i], n <= 32) from its
 * box's bottom-centre point in a src_w x src_h frame. */
void vd_zones_mark(const vd_zone *zones, int n, int src_w, int src_h, vd_det_list *l);

typedef struct vd_detector_opts {
    vd_det_kind kind;      /* must not be VD_DET_AUTO: resolve it first */
    int input_w, input_h;  /* model input size in pixels (> 0) */
    float threshold;       /* score threshold; <0: default 0.25 */
    float iou;             /* NMS IoU; <0: default 0.45; 0: NMS off */
    int max_detections;    /* <=0: default 100 */
    int top_k;             /* classify: <=0: default 5 */
    const char *const *classes; /* keep only these label names; NULL: all */
    int n_classes;
    const vd_det_filter *filters;
    int n_filters;
    const vd_zone *zones;
    int n_zones;           /* <= VD_DET_MAX_ZONES */
    vd_ssd_opts ssd;
} vd_detector_opts;

typedef struct vd_detector vd_detector;

/* Validates the options, resolves class names against the labels (an
 * unknown name is VD_EINVAL naming it) and precomputes SSD anchors.
 * `labels` is copied; it may be NULL (labels print as "class_<i>"). */
int vd_detector_create(vd_detector **out, const vd_detector_opts *opts,
                       const vd_labels *labels, vd_error *err);
void vd_detector_free(vd_detector **d);
vd_det_kind vd_detector_kind(const vd_detector *d);


/* Decode batch item `b` of the outputs (in model output order) into
 * `out` (cleared first). geom is what the preprocessing chain returned
 * for this frame (vd_tf_chain_run); boxes and keypoints are mapped back
 * with vd_box_unmap (vision/box) and clipped to the source frame. Shapes
 * are checked against the kind: a mismatch is VD_EINVAL naming the output
 * and the expected layout. Allocates only while `out` grows. */
int vd_detector_decode(const vd_detector *d, const vd_tensor *outputs, int n_outputs,
                       int b, const vd_tf_geom *geom, vd_det_list *out, vd_error *err);

/* Zone name for bit z, or NULL. */
const char *vd_detector_zone_name(const vd_detector *d, int z);
int vd_detector_zone_count(const vd_detector *d);

#endif
