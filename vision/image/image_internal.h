/* image_internal.h -- shared between image.c and image_header.c. */
#ifndef VD_IMAGE_INTERNAL_H
#define VD_IMAGE_INTERNAL_H

#include "image.h"

/* Parse the header into info. full: also walk the whole file and require
 * its end marker (JPEG EOI, PNG IEND) -- the truncation check. */
int vd_img_header_check(const void *data, size_t size, const char *name, vd_img_info *info,
                        int full, vd_error *err);

/* libjpeg-exact YCbCr (full range, chroma subsampled by sx x sy, 1 or 2)
 * to RGB24 (dst_ch 3) or RGBA (dst_ch 4, alpha 255). 0 or VD_ENOMEM. */
int vd_img_ycc_to_rgb(const uint8_t *const planes[3], const int strides[3], int w, int h, int sx,
                      int sy, uint8_t *dst, int dst_ls, int dst_ch);

#endif
