/* cli_detect_src.h -- where `visiond detect` gets its frames: a video (any
 * input the reader opens, with the shared selection flags of
 * cli_select.h) or a still JPEG/PNG (vision/image), always as packed RGB24
 * with a pts in seconds (0 for a still image).
 *
 * It is a file of its own so that cli_detect.c deals in RGB frames and
 * never needs to know whether they came from a video or a still image. */
#ifndef VD_CLI_DETECT_SRC_H
#define VD_CLI_DETECT_SRC_H

#include <stdint.h>

#include "vision/core/error.h"

typedef struct vd_dsrc vd_dsrc;

typedef struct vd_dsrc_frame {
    const uint8_t *rgb; /* packed RGB24, valid until the next call */
    int width, height, linesize;
    double pts;
    int64_t n;          /* 0-based count of delivered frames */
} vd_dsrc_frame;

int vd_dsrc_create(vd_dsrc **s, vd_error *err);
void vd_dsrc_free(vd_dsrc **s);

/* Offer argv[*i] to the shared selection and live-source flags
 * (cli_select.h): 1 consumed, 0 not ours,
 * < 0 usage error (err says which flag). */
int vd_dsrc_parse_flag(vd_dsrc *s, int argc, char **argv, int *i, vd_error *err);
const char *vd_dsrc_usage(void);

/* Open `input`: a JPEG/PNG (recognised by its magic bytes) is one frame;
 * anything else goes to the reader with the selection applied. Selection
 * flags on a still image are VD_EINVAL. threads: decoder threads. */
int vd_dsrc_open(vd_dsrc *s, const char *input, int threads, vd_error *err);
/* Next frame, or VD_EOF. */
int vd_dsrc_next(vd_dsrc *s, vd_dsrc_frame *f, vd_error *err);
/* 1 when the input is a still image. */
int vd_dsrc_is_image(const vd_dsrc *s);

#endif
