/* detect_out.h -- what `visiond detect` writes: one JSON line per frame,
 * one per track event, annotated JPEGs and the summary on stderr. */
#ifndef VD_CLI_DETECT_OUT_H
#define VD_CLI_DETECT_OUT_H

#include <stdint.h>

#include "pipeline/analysis.h"
#include "pipeline/source.h"

/* {"pts":S[,"motion":N],"detections":[{"label","score","box"[,"track_id"]
 * [,"keypoints"][,"zones"]}...]}; "motion" (the region count) when
 * show_motion. */
void vd_detect_out_frame(const vd_analysis *an, const vd_source_frame *f,
                         const vd_analysis_result *res, int show_motion);
/* One line per new/end track event (updates are on the frame line). */
void vd_detect_out_events(const vd_analysis_result *res, double pts);
/* DIR/NNNNNN.jpg with the detections drawn on a copy of the frame. */
int vd_detect_out_annotate(const char *dir, const vd_source_frame *f, const vd_det_list *dets,
                           vd_error *err);

typedef struct vd_detect_counts {
    int64_t frames, det_runs, gated;
    int64_t damaged; /* frames the decoder concealed damage in */
} vd_detect_counts;

/* "N frames in S s (F frames/s), detector ran on N[, motion in ...]". */
void vd_detect_out_summary(const vd_analysis *an, const vd_detect_counts *c, double secs);

#endif
