/* pixfmt.c -- names and sizes of vd_pixfmt. See pixfmt.h. */
#include "pixfmt.h"

#include <string.h>

static const struct { const char *name; int bytes; } formats[VD_PIX_COUNT] = {
    [VD_PIX_NATIVE] = {"native", 0}, [VD_PIX_RGB24] = {"rgb24", 3},
    [VD_PIX_BGR24] = {"bgr24", 3},   [VD_PIX_GRAY8] = {"gray", 1},
    [VD_PIX_RGBA] = {"rgba", 4},     [VD_PIX_RGBF32] = {"rgbf32", 0},
};

int vd_pixfmt_parse(const char *name, vd_pixfmt *out, vd_error *err)
{
    if (name && !strcmp(name, "gray8"))
        return *out = VD_PIX_GRAY8, VD_OK;
    for (int i = 0; name && i < VD_PIX_COUNT; i++)
        if (!strcmp(name, formats[i].name))
            return *out = (vd_pixfmt)i, VD_OK;
    return vd_error_set(err, VD_EINVAL,
                        "unknown pixel format '%s' (want native, rgb24, bgr24, gray, rgba or rgbf32)",
                        name ? name : "(null)");
}

const char *vd_pixfmt_name(vd_pixfmt fmt)
{
    return (unsigned)fmt < VD_PIX_COUNT ? formats[fmt].name : "unknown";
}

int vd_pixfmt_bytes(vd_pixfmt fmt)
{
    return (unsigned)fmt < VD_PIX_COUNT ? formats[fmt].bytes : 0;
}
