/* pixfmt.h -- the pixel formats visiond names, shared by the reader (what
 * to convert decoded frames into) and the transforms (what a uint8 source
 * image holds). One enum, so a frame converted by pipeline/reader can be
 * handed to vision/transforms without translation.
 *
 * Not every module accepts every format: the reader converts to rgb24,
 * bgr24, gray, rgba and rgbf32 (or leaves frames native); a vd_tf_chain
 * source is rgb24, bgr24, gray or rgba. Each says so and refuses the rest. */
#ifndef VD_PIXFMT_H
#define VD_PIXFMT_H

#include "error.h"

typedef enum vd_pixfmt {
    VD_PIX_NATIVE = 0, /* the decoder's own format: no conversion */
    VD_PIX_RGB24,      /* packed R,G,B bytes */
    VD_PIX_BGR24,      /* packed B,G,R bytes */
    VD_PIX_GRAY8,      /* one byte of full-range luma */
    VD_PIX_RGBA,       /* packed R,G,B,A bytes */
    VD_PIX_RGBF32,     /* planar float32 [3,H,W], R,G,B planes, values in
                        * [0,1] (= rgb24 / 255 exactly): a batch slot */
    VD_PIX_COUNT
} vd_pixfmt;

/* "native", "rgb24", "bgr24", "gray", "rgba", "rgbf32" (also "gray8").
 * parse returns VD_EINVAL naming the unknown value. */
int vd_pixfmt_parse(const char *name, vd_pixfmt *out, vd_error *err);
/* The canonical name, "unknown" for an out-of-range value. */
const char *vd_pixfmt_name(vd_pixfmt fmt);
/* Bytes per pixel of a packed format; 0 for native and planar float. */
int vd_pixfmt_bytes(vd_pixfmt fmt);

#endif
