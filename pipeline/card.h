/* card.h -- model cards: the JSON file that says how to feed a model and
 * how to read its outputs. The keys are those of a `models:` entry of the
 * daemon config, so the daemon parses its entries with
 * vd_card_from_json() and the CLI reads files with vd_card_load().
 *
 *   {
 *     "path": "face_detection_front_128x128_barracuda.onnx", // relative to the card's dir
 *     "kind": "ssd",            // yolov5|yolov8|yolo11|torchvision|ssd|centernet|classify|auto
 *     "labels": "face.txt",     // builtin "coco80"/"coco91", or a file (relative to the card)
 *     "input": {
 *       "size": [128, 128],     // [W, H]
 *       "resize": "stretch",    // stretch | letterbox
 *       "pad_value": 0,         // letterbox fill, a pixel value 0..255
 *       "interpolation": "bilinear", // bilinear | nearest
 *       "antialias": false,
 *       "layout": "nhwc",       // nchw | nhwc
 *       "channels": "rgb",      // rgb | bgr
 *       "range": "0-1",         // 0-1 | 0-255, mean/std apply after it
 *       "mean": [0.5, 0.5, 0.5],
 *       "std": [0.5, 0.5, 0.5]
 *     },
 *     "threshold": 0.5, "iou": 0.3, "max_detections": 100, "top_k": 5,
 *     "classes": ["person", "car"],
 *     "outputs": ["detections"], // model outputs the adapter reads, in its
 *                               // order; absent: the one set that fits
 *     "filters": [{"label": "person", "min_area": 400, "max_area": 0,
 *                  "min_aspect": 0, "max_aspect": 0}],
 *     "ssd": {"strides": [8,16,16,16], "anchors_per_layer": 2,
 *             "anchor_offset": 0.5, "keypoints": 6, "nms": "weighted"},
 *     "description": "free text"
 *   }
 *
 * Only "path" is required. Absent keys keep the defaults (vd_tf_spec
 * defaults; threshold/iou/max_detections/top_k "unset" = detector
 * defaults). Unknown keys, wrong JSON types and bad values are VD_EINVAL
 * with the file name and the key path ("yolo.json: input.layout: ...").
 *
 * The one design choice: the card keeps preprocessing as a vd_tf_spec, the
 * very struct vision/transforms builds its chain from, and detection
 * settings as a vd_detector_opts-shaped subset, so CLI flags and config
 * entries override the same fields and nothing is translated twice. */
#ifndef VD_CARD_H
#define VD_CARD_H

#include "vision/detect/detect.h"
#include "vision/core/error.h"
#include "vision/transform/transforms.h"

#define VD_CARD_PATH_MAX 4096

struct json_t;

typedef struct vd_card {
    char path[VD_CARD_PATH_MAX];   /* model file, resolved against the card dir */
    vd_det_kind kind;              /* VD_DET_AUTO when absent */
    char labels[VD_CARD_PATH_MAX]; /* builtin name or resolved path; "" none */
    vd_tf_spec input;
    int has_input_size;            /* "size" given (else the model's shape decides) */
    float threshold, iou;          /* -1: unset */
    int max_detections, top_k;     /* 0: unset */
    char **classes;                /* owned */
    int n_classes;
    char **outputs;                /* owned; model outputs feeding the adapter */
    int n_outputs;
    vd_det_filter *filters;        /* owned */
    int n_filters;
    vd_ssd_opts ssd;
} vd_card;

/* A card with every value unset/default and no path. */
void vd_card_init(vd_card *c);

/* Read and parse a card file. */
int vd_card_load(vd_card *c, const char *file, vd_error *err);

/* Parse a jansson object (a config `models:` entry). base_dir resolves
 * relative paths (NULL: as given); name labels errors. */
int vd_card_from_json(vd_card *c, const struct json_t *obj, const char *base_dir,
                      const char *name, vd_error *err);

/* Fill the detector options from the card (pointers into the card, which
 * must outlive the call to vd_detector_create). Input size comes from
 * card->input. */
void vd_card_detector_opts(const vd_card *c, vd_detector_opts *o);

void vd_card_free(vd_card *c);

#endif
