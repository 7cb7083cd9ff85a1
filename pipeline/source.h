/* source.h -- frames for the analysis stage: a video (anything the reader
 * opens, with its selection) or a still JPEG/PNG (vision/image), always as
 * packed RGB24 with a pts in seconds (0 for a still image).
 *
 * It exists so that a caller deals in RGB frames and never needs to know
 * whether they came from a video or a still image. The options are the
 * reader's own structs; turning command-line flags into them is the
 * caller's job (daemon/cli/select.c). */
#ifndef VD_SOURCE_H
#define VD_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "reader.h"
#include "vision/core/error.h"

typedef struct vd_source_opts {
    vd_reader_opts reader;     /* threads, timeouts, transport, format */
    vd_reader_select select;   /* range/step/fps/count/keyframes */
    const int64_t *indices;    /* frames by index (vd_reader_get) instead of
                                * select; NULL: select. Not copied: must
                                * outlive vd_source_open */
    size_t n_indices;
    int width, height;         /* scale videos to WxH; 0x0: native size */
} vd_source_opts;

/* Reader defaults, no selection, native size. */
void vd_source_opts_init(vd_source_opts *o);

typedef struct vd_source vd_source;

typedef struct vd_source_frame {
    const uint8_t *rgb; /* packed RGB24, valid until the next call */
    int width, height, linesize;
    double pts;
    int64_t n;          /* 0-based count of delivered frames */
    int damaged;        /* the decoder concealed damage: a still image's
                         * vd_img_info.damaged, a video frame's vd_frame.corrupt */
} vd_source_frame;

/* Open `input`: a JPEG/PNG (recognised by its magic bytes) is one frame;
 * anything else goes to the reader with the selection (or the indices)
 * applied. A selection, indices or a size on a still image are VD_EINVAL
 * (a still image has one frame). *s is NULL on failure. */
int vd_source_open(vd_source **s, const char *input, const vd_source_opts *o, vd_error *err);
/* Next frame, or VD_EOF. */
int vd_source_next(vd_source *s, vd_source_frame *f, vd_error *err);
/* 1 when the input is a still image. */
int vd_source_is_image(const vd_source *s);
void vd_source_close(vd_source **s); /* NULLs *s; NULL-safe */

#endif
