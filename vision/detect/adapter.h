/* adapter.h -- what the files of vision/detect share and nobody else sees:
 * the detector's fields, the adapter method table and the helpers the
 * adapters build candidates with (candidates.c, yolo.c).
 *
 * An adapter family is one vd_det_adapter, a struct of function pointers
 * in its own file (yolov5.c, yolov8.c, torchvision.c, ssd.c,
 * centernet.c, classify.c), as a vd_nn_op is for an ONNX op and
 * sqlite3_io_methods for a VFS: detect.c looks it up once from the kind
 * when the detector is created and only ever calls through it. Adapters
 * call the helpers of candidates.c, never detect.c, so the calls go one
 * way: detect.c -> adapter -> candidates.c. */
#ifndef VD_DETECT_ADAPTER_H
#define VD_DETECT_ADAPTER_H

#include "detect.h"

typedef struct vd_det_adapter vd_det_adapter;

/* A model's outputs as vd_det_kind_guess sees them: shapes, no data. */
typedef struct det_outputs {
    int n;
    const int *ndims;
    const int64_t (*shapes)[VD_TENSOR_MAX_DIMS];
    const vd_dtype *dtypes;
    int n_labels; /* 0: unknown */
} det_outputs;

struct vd_detector {
    vd_detector_opts o;      /* defaults applied; arrays point to the copies below */
    const vd_det_adapter *ad; /* from o.kind, looked up once */
    vd_labels labels;        /* own copy */
    unsigned char *class_keep; /* NULL: all classes; else [labels.count] flags */
    vd_det_filter *filters;
    vd_zone zones[VD_DET_MAX_ZONES];
    float (*anchors)[2];     /* ssd: normalised anchor centres */
    int n_anchors;
};

struct vd_det_adapter {
    vd_det_kind kind;
    const char *name;   /* what vd_det_kind_name prints */
    const char *layout; /* the outputs it reads, for messages */
    int nms;            /* 1: the shared finish runs class-wise NMS on the candidates */
    const void *params; /* family data for methods two families share (yolo.c) */
    /* Does one output tensor fit (one of) the family's outputs? Checks
     * dtype and shape; a dimension < 0 is unknown and fits. The message
     * names output i and the expected layout. Behind vd_det_kind_accepts
     * and the start of every decode. */
    int (*check)(const vd_det_adapter *ad, const vd_tensor *t, int i, vd_error *err);
    /* Does this whole set of output shapes look like the family's, without
     * being told? Stricter than check (vd_det_kind_guess): a family that
     * cannot be told apart from another says no. */
    int (*looks_like)(const vd_det_adapter *ad, const det_outputs *o);
    /* Create time, may be NULL: defaults and tables derived from the
     * options (the SSD anchors). */
    int (*init)(vd_detector *d, vd_error *err);
    /* Append the candidates of batch item b, in model-input pixels. */
    int (*decode)(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                  vd_error *err);
};

extern const vd_det_adapter det_yolov5, det_yolov8, det_torchvision, det_ssd, det_centernet,
    det_classify;

/* ---- candidates.c: the helpers every adapter builds with ---- */

void det_set_label(const vd_detector *d, vd_detection *x, int label);
int det_class_wanted(const vd_detector *d, int label);
/* Append a candidate (input pixels) unless its class is filtered out. */
int det_add(const vd_detector *d, vd_det_list *out, int label, float score, float x1, float y1,
            float x2, float y2, vd_error *err);
/* Index of the best of c values at stride step; *best gets its value. */
int det_argmax(const float *p, int64_t c, int64_t step, float *best);
/* Output i is float32 with ndim dims, else VD_EINVAL naming ad's layout. */
int det_expect(const vd_det_adapter *ad, const vd_tensor *t, int i, int ndim, vd_error *err);
/* The start of a one-output decode: exactly one output, accepted by
 * ad->check, holding batch item b. */
int det_single(const vd_det_adapter *ad, const vd_tensor *o, int n, int b, vd_error *err);
/* NMS over the list in place through vision/box, class-wise or across
 * classes. Survivors keep their list order (the finish sorts by score);
 * the list's scratch is the only memory used. */
int det_nms(vd_det_list *l, float iou, int classwise, vd_error *err);
/* dim d is unknown (< 0) or equal to want */
static inline int det_dim_is(int64_t d, int64_t want) { return d < 0 || d == want; }

/* ---- yolo.c: the methods YOLOv5 and YOLOv8 share, their params a
 * det_yolo_layout ---- */

typedef struct det_yolo_layout {
    int values_dim; /* dim of [B,.,.] holding a box's values: 2 rows (v5), 1 columns (v8) */
    int objectness; /* 1: an objectness score before the class scores (v5) */
} det_yolo_layout;

int det_yolo_check(const vd_det_adapter *ad, const vd_tensor *t, int i, vd_error *err);
int det_yolo_looks_like(const vd_det_adapter *ad, const det_outputs *o);
int det_yolo_decode(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                    vd_error *err);

#endif
