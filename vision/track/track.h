/* track.h -- SORT-style multi-object tracker: one constant-velocity
 * Kalman filter per object, IoU association solved optimally with the
 * Hungarian algorithm (hungarian.c), tentative -> confirmed -> ended
 * lifecycle. Events (new / update / end) are what the daemon's event
 * store is built from.
 *
 * The Kalman state is SORT's: (cx, cy, s, r, vcx, vcy, vs) with s the box
 * area and r = w/h held constant; measurement (cx, cy, s, r); SORT's noise
 * settings (P0 = diag(10,10,10,10,1e4,1e4,1e4), Q = diag(1,1,1,1,.01,.01,
 * 1e-4), R = diag(1,1,10,10)).
 *
 * Each update: every live track is predicted one step; the IoU matrix
 * (vision/box's vd_box_iou) between detections and predicted boxes is
 * solved as an assignment maximising total IoU; a pair is a match only when IoU >= opts.iou and,
 * unless class_agnostic, the labels are equal (per-class tracking: a
 * "person" never continues a "car"). Unmatched detections start
 * tentative tracks. A track is CONFIRMED after min_hits consecutive
 * matched updates (it then gets its id, ids are 1, 2, 3... in
 * confirmation order, never reused) and ENDS after more than max_age
 * consecutive updates without a match. Tentative tracks that miss one
 * update are dropped silently (they were never reported).
 *
 * Events of one update: NEW when a track is confirmed, UPDATE for every
 * confirmed track matched in this update (not for the NEW one), END when a
 * confirmed track ends (or on vd_tracker_flush). Each event carries first
 * and last time seen (pts of the first and the last matched detection,
 * tentative phase included), the top score and the box it had, the last
 * box and the number of matched updates.
 *
 * Ages count updates, not seconds: feed the tracker every sampled frame
 * (with or without detections) so "max_age 5 at --fps 5" means one
 * second. A tracker belongs to one stream and one thread at a time. */
#ifndef VD_TRACK_H
#define VD_TRACK_H

#include <stdint.h>

#include "vision/detect/detect.h"
#include "vision/core/error.h"

typedef struct vd_tracker_opts {
    float iou;          /* minimum IoU for a match; <= 0: 0.3 */
    int min_hits;       /* consecutive matches to confirm; <= 0: 3 */
    int max_age;        /* missed updates before a track ends; <= 0: 5 */
    int class_agnostic; /* 1: match across labels */
} vd_tracker_opts;

typedef enum vd_track_event_type {
    VD_TRACK_NEW = 0,
    VD_TRACK_UPDATE,
    VD_TRACK_END,
} vd_track_event_type;

typedef struct vd_track_event {
    vd_track_event_type type;
    int64_t id;
    int label;
    char name[VD_DET_NAME_MAX];
    double first_pts, last_pts;
    float score;        /* of the last matched detection */
    float top_score;
    float box[4];       /* last matched detection box */
    float best_box[4];  /* the box that had top_score */
    int hits;           /* matched updates so far */
} vd_track_event;

typedef struct vd_tracker vd_tracker;

int vd_tracker_create(vd_tracker **out, const vd_tracker_opts *opts, vd_error *err);
void vd_tracker_free(vd_tracker **t);

/* Advance by one frame at time `pts` (seconds, non-decreasing) with this
 * frame's detections (may be empty). Sets dets->items[i].track_id to the
 * id of the confirmed track it continues or confirms, 0 otherwise.
 * Replaces the event list. Returns 0 or VD_ENOMEM / VD_EINVAL (pts going
 * backwards, NaN). */
int vd_tracker_update(vd_tracker *t, double pts, vd_det_list *dets, vd_error *err);
/* End every confirmed track now (END events with their last pts); the
 * tracker is empty afterwards. For the end of a stream. */
int vd_tracker_flush(vd_tracker *t, vd_error *err);

/* Events of the last update/flush; valid until the next call. */
int vd_tracker_events(const vd_tracker *t, const vd_track_event **events);
/* Live tracks (tentative included). */
int vd_tracker_live(const vd_tracker *t);

/* Optimal assignment for a rows x cols cost matrix (row-major, finite
 * values): row_to_col[r] = assigned column or -1 (when rows > cols).
 * Minimises the total cost. Returns VD_ENOMEM or 0. (hungarian.c) */
int vd_hungarian(const double *cost, int rows, int cols, int *row_to_col, vd_error *err);

#endif
