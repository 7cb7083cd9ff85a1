/* detect_internal.h -- what the detect*.c files share and nobody else
 * sees: the detector's fields and the adapter entry points. */
#ifndef VD_DETECT_INTERNAL_H
#define VD_DETECT_INTERNAL_H

#include "detect.h"

struct vd_detector {
    vd_detector_opts o;      /* defaults applied; arrays point to the copies below */
    vd_labels labels;        /* own copy */
    unsigned char *class_keep; /* NULL: all classes; else [labels.count] flags */
    vd_det_filter *filters;
    vd_zone zones[VD_DET_MAX_ZONES];
    float (*anchors)[2];     /* ssd: normalised anchor centres */
    int n_anchors;
};

/* Append a candidate (input pixels) unless its class is filtered out. */
int det_add(const vd_detector *d, vd_det_list *out, int label, float score, float x1, float y1,
            float x2, float y2, vd_error *err);
void det_set_label(const vd_detector *d, vd_detection *x, int label);
int det_class_wanted(const vd_detector *d, int label);
/* Map back, filter, sort, cap, zones. nms: run class-wise NMS first. */
int det_finish(const vd_detector *d, const vd_tf_geom *g, int nms, vd_det_list *out,
               vd_error *err);
/* NMS over the list in place (kept items in descending score order). */
int det_nms(vd_det_list *l, float iou, int classwise, vd_error *err);

int det_decode_yolo(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                    vd_error *err);
int det_decode_torchvision(const vd_detector *d, const vd_tensor *o, int n, vd_det_list *out,
                           vd_error *err);
int det_decode_centernet(const vd_detector *d, const vd_tensor *o, int n, int b,
                         vd_det_list *out, vd_error *err);
int det_decode_classify(const vd_detector *d, const vd_tensor *o, int n, int b,
                        vd_det_list *out, vd_error *err);
int det_ssd_anchors(vd_detector *d, vd_error *err);
int det_decode_ssd(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                   vd_error *err);

#endif
