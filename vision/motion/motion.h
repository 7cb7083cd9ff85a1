/* motion.h -- motion detection without a model, as NVRs do it.
 *
 * Per frame: luma (BT.601, 77R+150G+29B >> 8) box-averaged down to a small
 * grid (opts.width columns, rows keeping the aspect), compared with a
 * running-average background b += alpha*(g - b); a cell "changed" when
 * |g - b| > threshold. The changed mask is closed (dilate then erode,
 * 3x3, 8-connected) and split into 8-connected components; components of
 * at least min_area become motion regions: a box in SOURCE pixels, label
 * "motion", score = the component's cells / its box's cells.
 *
 * The one design choice: a frame where more than max_changed of the grid
 * changed at once (lights on/off, IR switch, camera reconnect, auto
 * exposure jump) is not motion -- the background is replaced by the
 * current frame, no region is reported, and the event is counted
 * (stats.resets). The same happens when the frame size changes. The
 * first frame only initialises the background.
 *
 * One vd_motion per stream; it holds the stream's background, so it is
 * used by one thread at a time. No global state. */
#ifndef VD_MOTION_H
#define VD_MOTION_H

#include <stdint.h>

#include "vision/detect/detect.h"
#include "vision/core/error.h"

typedef struct vd_motion_opts {
    int width;         /* grid columns; <= 0: 160 */
    float alpha;       /* background learning rate per analysed frame, (0,1]; <= 0: 0.2
                        * (a time constant of ~5 frames: 1 s at --fps 5) */
    int threshold;     /* luma difference 1..255 counted as change (the
                        * sensitivity: lower = more sensitive); <= 0: 20 */
    int dilate;        /* 3x3 dilations; < 0: 0; default (0 in a zeroed
                        * struct means default) 2 -- use -1 for none */
    int erode;         /* 3x3 erosions after the dilations; 0: default 1, -1: none */
    float min_area;    /* smallest region, fraction of the frame; <= 0: 0.001 */
    float max_changed; /* changed fraction treated as a global change; <= 0: 0.5 */
} vd_motion_opts;

typedef struct vd_motion_stats {
    int64_t frames;        /* frames fed */
    int64_t motion_frames; /* frames with at least one region */
    int64_t resets;        /* global changes (and size changes) */
    float changed;         /* changed fraction of the last frame, before closing */
    int last_reset;        /* 1: the last frame was treated as a global change */
} vd_motion_stats;

typedef struct vd_motion vd_motion;

/* opts may be NULL (defaults). VD_EINVAL for out-of-range values
 * (alpha > 1, threshold > 255, min_area or max_changed > 1). */
int vd_motion_create(vd_motion **out, const vd_motion_opts *opts, vd_error *err);
void vd_motion_free(vd_motion **m);

/* Feed one frame: interleaved uint8 pixels, `channels` 1 (gray), 3 (RGB)
 * or 4 (RGBA), rows `linesize` bytes apart. `regions` is cleared and
 * receives the motion regions (largest first), each with label -1 and
 * name "motion". Returns the number of regions (>= 0) or a VD_E* code. */
int vd_motion_update(vd_motion *m, const uint8_t *data, int width, int height, int linesize,
                     int channels, vd_det_list *regions, vd_error *err);

void vd_motion_stats_get(const vd_motion *m, vd_motion_stats *out);
/* Forget the background (the next frame initialises it again). */
void vd_motion_reset(vd_motion *m);

#endif
