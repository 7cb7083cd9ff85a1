/* image_internal.h -- shared between image.c and image_header.c. */
#ifndef VD_IMAGE_INTERNAL_H
#define VD_IMAGE_INTERNAL_H

#include "image.h"

/* Parse the header into info. full: also walk the whole file and require
 * its end marker (JPEG EOI, PNG IEND) -- the truncation check. */
int vd_img_header_check(const void *data, size_t size, const char *name, vd_img_info *info,
                        int full, vd_error *err);

#endif
