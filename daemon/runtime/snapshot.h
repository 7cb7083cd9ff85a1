/* snapshot.h -- JPEG snapshots of analysed frames (snapshot.c). */
#ifndef VD_RT_SNAPSHOT_H
#define VD_RT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/detect/detect.h"

#define RT_SNAPSHOT_QUALITY 85

/* What to draw on a snapshot (all optional). */
typedef struct rt_overlay {
    const vd_detection *dets;
    int n_dets;
    const vd_detection *regions; /* motion regions */
    int n_regions;
    const vd_zone *zones;
    int n_zones;
} rt_overlay;

/* JPEG of an RGB24 frame (rows w*3 bytes), with the overlay drawn on a
 * copy when o is not NULL. *jpeg is malloc'ed. */
int rt_snapshot_jpeg(const uint8_t *rgb, int w, int h, const rt_overlay *o, void **jpeg,
                     size_t *n, vd_error *err);

#endif
