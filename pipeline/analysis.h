/* analysis.h -- the analysis stage: what happens to one decoded frame
 * between the reader and the output, shared by `visiond detect` and the
 * daemon so the two can never drift apart.
 *
 * Two objects:
 *   vd_analyzer  one per MODEL, immutable once created: the model card,
 *                the loaded vd_nn_model, the preprocessing chain, the
 *                labels, the resolved adapter kind and which model outputs
 *                feed it. Any number of threads may use one analyzer at the
 *                same time (each with its own vd_nn_session).
 *   vd_analysis  one per STREAM (or per CLI run): the stream's own settings
 *                (threshold, classes, zones, motion, tracking) and state
 *                (motion background, tracker, last detections). Used by one
 *                thread at a time; pre() and post() of one stream must be
 *                called in frame order.
 *
 * The per-frame path is three calls, and a caller never does more than
 * glue them together:
 *
 *   vd_analysis_pre()      motion gate, detection area (whole frame or the
 *                          motion crop), preprocessing chain into slot b of
 *                          the batch input tensor; returns 1 when the frame
 *                          needs inference, 0 when the gate skipped it.
 *   vd_nn_session_run()    the caller runs the model on the batch (the CLI
 *                          at batch 1 on its own thread, the daemon on an
 *                          inference worker with frames of many streams).
 *   vd_analysis_post()     decode slot b (adapter), map boxes back to the
 *                          source frame, the stream's filters and zones,
 *                          tracker update; fills a vd_analysis_result.
 *
 * A frame the gate skipped still goes through post() with outputs NULL, so
 * the tracker ages its tracks and motion-only streams report their regions.
 * post() needs only what pre() left in the vd_analysis_frame, never the
 * pixels, so the daemon may recycle the frame buffer once pre() returned,
 * and may pre() several frames of one stream before their post() calls
 * (each with its own vd_analysis_frame), as long as both run in frame
 * order.
 *
 * Every int-returning call returns 0 (or the documented positive value) or
 * a negative VD_E* code, with *err naming the model or input and the
 * reason. Messages never name CLI flags or config keys: the caller adds
 * that context. */
#ifndef VD_ANALYSIS_H
#define VD_ANALYSIS_H

#include <stdint.h>

#include "card.h"
#include "vision/core/error.h"
#include "vision/core/tensor.h"
#include "vision/detect/detect.h"
#include "vision/motion/motion.h"
#include "vision/nn/nn.h"
#include "vision/track/track.h"
#include "vision/transform/transforms.h"

#define VD_ANALYZER_MAX_OVERRIDES 16

/* ---- the analyzer (per model) ---------------------------------------- */

typedef struct vd_analyzer_opts {
    const char *model;      /* a model card (.json) or a bare .onnx */
    /* Overrides applied on top of the card, in order, through the same
     * setters the card uses (vd_tf_spec_set keys such as "--input-size",
     * "--resize"; see transforms.h), so an override and a card key can never
     * mean different things. */
    const char *tf_key[VD_ANALYZER_MAX_OVERRIDES];
    const char *tf_val[VD_ANALYZER_MAX_OVERRIDES];
    int n_tf;
    const char *kind;       /* adapter name (vd_det_kind_parse); NULL: card/auto */
    const char *labels;     /* "coco80", "coco91" or a file; NULL: card/default */
    const char *const *outputs; /* model output names feeding the adapter, in
                                 * the adapter's order; NULL: card, else the
                                 * one output set that fits the adapter */
    int n_outputs;
} vd_analyzer_opts;

typedef struct vd_analyzer vd_analyzer;

/* Load the card and the model, fit the preprocessing to the model's input
 * ([N,3,H,W] is NCHW, [N,H,W,3] NHWC; a given size must agree with a fixed
 * one), resolve the adapter kind (guessed from the output shapes when
 * absent: an ambiguity is VD_EINVAL naming the candidates), pick the
 * outputs, load the labels (COCO-80 for the YOLO/CenterNet families,
 * COCO-91 for torchvision when none is given). */
int vd_analyzer_create(vd_analyzer **out, const vd_analyzer_opts *opts, vd_error *err);
void vd_analyzer_free(vd_analyzer **a); /* NULLs *a; NULL-safe */

const vd_card *vd_analyzer_card(const vd_analyzer *a);
const vd_nn_model *vd_analyzer_model(const vd_analyzer *a);
const vd_labels *vd_analyzer_labels(const vd_analyzer *a);
vd_det_kind vd_analyzer_kind(const vd_analyzer *a);
/* Network input size in pixels. */
void vd_analyzer_input_size(const vd_analyzer *a, int *width, int *height);
/* The outputs feeding the adapter (picked by name or by shape), in the
 * adapter's order: how many, and the name of the i-th (NULL out of range). */
int vd_analyzer_output_count(const vd_analyzer *a);
const char *vd_analyzer_output_name(const vd_analyzer *a, int i);

/* A session for this model at batch `max_batch` with `threads` threads, and
 * the batch input tensor to go with it ([max_batch,...], float32 or uint8 as
 * the model takes). The caller owns both (vd_nn_session_free,
 * vd_tensor_free). To run fewer frames than max_batch, call
 * vd_nn_session_set_batch() and view the first n slots. */
int vd_analyzer_session_create(const vd_analyzer *a, int threads, int max_batch,
                               vd_nn_session **sess, vd_tensor *input, vd_error *err);

/* ---- the analysis (per stream) --------------------------------------- */

typedef enum vd_motion_mode {
    VD_MOTION_OFF = 0,
    VD_MOTION_GATE,   /* no motion -> no inference */
    VD_MOTION_CROP,   /* gate, and the model sees only the area that moved */
    VD_MOTION_DETECT, /* motion regions are reported as "motion" detections */
} vd_motion_mode;

typedef struct vd_analysis_opts {
    float threshold;        /* < 0: the card's */
    float iou;              /* < 0: the card's */
    int max_detections;     /* <= 0: the card's */
    int top_k;              /* <= 0: the card's */
    const char *const *classes; /* keep only these labels; NULL: the card's */
    int n_classes;
    const vd_zone *zones;   /* copied */
    int n_zones;
    vd_motion_mode motion;
    vd_motion_opts motion_opts;
    int track;              /* SORT tracking on */
    vd_tracker_opts tracker_opts;
} vd_analysis_opts;

/* Zero settings: card defaults, no zones, no motion, no tracking. */
void vd_analysis_opts_init(vd_analysis_opts *o);

typedef struct vd_analysis vd_analysis;

/* az may be NULL for a motion-only analysis (motion must then be
 * VD_MOTION_DETECT; with a model it must not be: VD_EINVAL). The stream's
 * detector is built here from the card's settings with opts on top; a
 * class name the labels lack is VD_EINVAL naming it. The analysis keeps a
 * pointer to az, which must outlive it. */
int vd_analysis_create(vd_analysis **out, const vd_analyzer *az, const vd_analysis_opts *opts,
                       vd_error *err);
void vd_analysis_free(vd_analysis **an); /* NULLs *an; NULL-safe */

/* A decoded frame as packed RGB24 (what vd_reader_convert gives). */
typedef struct vd_analysis_frame {
    const uint8_t *rgb;
    int width, height, linesize;
    double pts;            /* media time, seconds */
    /* filled by pre(), read by post(): */
    vd_tf_geom geom;       /* slot geometry, boxes map back through it */
    int infer;             /* 1: slot b holds this frame for inference */
    int moved;             /* 1: the motion detector saw motion */
    vd_det_list regions;   /* motion regions (source pixels); owned by the
                            * frame struct: zero it once, reuse it, and
                            * vd_analysis_frame_free it at the end */
} vd_analysis_frame;

void vd_analysis_frame_free(vd_analysis_frame *f); /* frees the regions */

/* Motion update, then (when the frame needs inference) the chain into slot
 * `slot` of `input`. Returns 1 when the slot was filled, 0 when the motion
 * gate skipped the frame (or the analysis has no model; input may then be
 * NULL). Fills f->geom, f->infer, f->moved and f->regions. */
int vd_analysis_pre(vd_analysis *an, vd_analysis_frame *f, vd_tensor *input, int slot,
                    vd_error *err);

typedef struct vd_analysis_result {
    vd_det_list dets;       /* detections in source pixels, sorted by score,
                             * with zones and track ids */
    vd_det_list regions;    /* motion regions of this frame (empty without motion) */
    int motion;             /* 1: motion seen this frame */
    const vd_track_event *events; /* tracker events of this frame (new,
                                   * update, end), valid until the next call */
    int n_events;
} vd_analysis_result;

/* Decode slot `slot` of `outputs` (in model output order, as
 * vd_nn_session_run gave them) for a frame pre() prepared; outputs NULL
 * when pre() returned 0. res is caller-owned, reused across frames (zero it
 * once; vd_analysis_result_free at the end). */
int vd_analysis_post(vd_analysis *an, const vd_analysis_frame *f, const vd_tensor *outputs,
                     int n_outputs, int slot, vd_analysis_result *res, vd_error *err);

/* End of stream: end every live track (events in res). */
int vd_analysis_flush(vd_analysis *an, vd_analysis_result *res, vd_error *err);

void vd_analysis_result_free(vd_analysis_result *res);

/* Zone names of this analysis, for output (bit z of vd_detection.zones). */
int vd_analysis_zone_count(const vd_analysis *an);
const char *vd_analysis_zone_name(const vd_analysis *an, int z);

/* The motion detector's counters (frames with motion, light/scene resets);
 * returns 1, or 0 with *st zeroed when the analysis has no motion. */
int vd_analysis_motion_stats(const vd_analysis *an, vd_motion_stats *st);

#endif
