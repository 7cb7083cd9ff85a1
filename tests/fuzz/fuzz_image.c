/* fuzz_image.c -- libFuzzer target for still-image decoding (vision/image).
 *
 * The last input byte picks the decode options (colour, layout, and a pixel
 * limit of 64 Mpx or 4096 px so that the limit check runs both ways); the
 * rest is the file, given to vd_img_probe and vd_img_decode_ex. On success
 * the tensor must have the decoded size (the header's, unless the image was
 * damaged), within the pixel limit, the asked channel count and every byte
 * readable; on failure the code must be negative with a message and the
 * tensor empty. */
#include <stdint.h>
#include <stdlib.h>

#include <libavutil/log.h>

#include "vision/image/image.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    av_log_set_level(AV_LOG_QUIET);
    return 0;
}

static void check_decoded(const vd_tensor *t, const vd_img_info *info, const vd_img_decode_opts *o)
{
    static const int ch[] = {3, 1, 4};
    int chw = o->layout == VD_IMG_F32_CHW;
    int64_t h = t->shape[chw ? 1 : 0], w = t->shape[chw ? 2 : 1], c = t->shape[chw ? 0 : 2];
    if (t->ndim != 3 || h != info->height || w != info->width || c != ch[o->color] ||
        (int64_t)info->width * info->height > o->max_pixels)
        abort();
    size_t n = vd_tensor_nbytes(t);
    unsigned acc = 0; /* touch every byte so ASan sees a short tensor */
    for (size_t i = 0; i < n; i++)
        acc += ((const uint8_t *)t->data)[i];
    (void)acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[--size];
    vd_img_decode_opts o = {.color = (vd_img_color)(sel % 3),
                            .layout = (vd_img_layout)((sel >> 2) & 1),
                            .max_pixels = (sel & 8) ? 4096 : VD_IMG_DEFAULT_MAX_PIXELS};
    vd_img_info probed, info;
    vd_error err = {0};
    int prc = vd_img_probe(data, size, "fuzz", &probed, &err);
    if (prc && (prc >= 0 || !err.msg[0]))
        abort();
    vd_tensor t;
    err.msg[0] = '\0';
    int rc = vd_img_decode_ex(data, size, "fuzz", &o, &t, &info, &err);
    if (rc) {
        if (rc >= 0 || !err.msg[0] || t.data)
            abort();
        return 0;
    }
    /* decoded what the header parser refused, or a clean decode of another
     * size than the header's */
    if (prc || (!info.damaged && (info.width != probed.width || info.height != probed.height)))
        abort();
    check_decoded(&t, &info, &o);
    vd_tensor_free(&t);
    return 0;
}
