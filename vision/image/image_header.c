/* image_header.c -- our own walk over JPEG markers and PNG chunks.
 *
 * It exists so that sizes are known (and a decompression bomb refused)
 * before any decoder allocates a frame, and so that damage is noticed:
 * FFmpeg's decoders happily return a half-grey picture for a cut-off file,
 * which image.c then reports as damaged.
 * The walk only reads lengths and a few header fields; it never inflates or
 * entropy-decodes anything. */
#include "image_internal.h"

#include <string.h>

static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

vd_img_codec vd_img_sniff(const void *data, size_t size)
{
    const uint8_t *p = data;
    if (p && size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return VD_IMG_JPEG;
    if (p && size >= 8 && !memcmp(p, png_sig, 8))
        return VD_IMG_PNG;
    return VD_IMG_UNKNOWN;
}

static int is_sof(unsigned m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* Skip entropy-coded data after an SOS: stop at the first real marker. */
static size_t skip_scan(const uint8_t *p, size_t i, size_t n)
{
    while (i + 1 < n) {
        if (p[i] == 0xFF && p[i + 1] != 0x00 && p[i + 1] != 0xFF &&
            !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7))
            return i;
        i++;
    }
    return n;
}

/* The next byte that may start a marker, at or after i (n if none). */
static size_t resync(const uint8_t *p, size_t i, size_t n)
{
    const uint8_t *q = i < n ? memchr(p + i, 0xFF, n - i) : NULL;
    return q ? (size_t)(q - p) : n;
}

/* full: walk to the EOI and fail on any damage to the structure. Not full
 * (a probe): stop at the frame header, and where a damaged segment hides
 * it, look for it the way FFmpeg's decoder does, at the next 0xFF, so a
 * size is known for every file the decoder could show. */
static int jpeg_walk(const uint8_t *p, size_t n, const char *name, vd_img_info *info,
                     int full, vd_error *err)
{
    size_t i = 2;
    int have_sof = 0, resynced = 0;
    while (i < n) {
        if (p[i] != 0xFF && !full) {
            i = resync(p, i, n);
            resynced = 1;
            continue;
        }
        if (p[i] != 0xFF)
            return vd_error_set(err, VD_EFORMAT, "%s: corrupt JPEG (no marker at byte %zu)", name, i);
        while (i < n && p[i] == 0xFF)
            i++;
        if (i >= n)
            break;
        unsigned m = p[i++];
        if (m == 0xD9) {
            if (!have_sof)
                return vd_error_set(err, VD_EFORMAT, "%s: corrupt JPEG (no frame header)", name);
            return VD_OK;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8))
            continue;
        if (i + 2 > n)
            break;
        size_t len = be16(p + i);
        if ((len < 2 || i + len > n) && !full) { /* past the end: cut off, or a bad length */
            resynced |= len < 2;
            i = resync(p, i, n);
            continue;
        }
        if (len < 2)
            return vd_error_set(err, VD_EFORMAT, "%s: corrupt JPEG (segment length %zu)", name, len);
        if (i + len > n)
            break;
        if (is_sof(m) && !have_sof) {
            if (len < 8)
                return vd_error_set(err, VD_EFORMAT, "%s: corrupt JPEG frame header", name);
            info->height = (int)be16(p + i + 3);
            info->width = (int)be16(p + i + 5);
            info->channels = p[i + 7];
            if (info->width == 0 || info->height == 0)
                return vd_error_set(err, VD_EFORMAT, "%s: JPEG with zero size %dx%d", name,
                                    info->width, info->height);
            have_sof = 1;
            if (!full)
                return VD_OK;
        }
        i += len;
        if (m == 0xDA)
            i = skip_scan(p, i, n);
    }
    if (!have_sof && resynced)
        return vd_error_set(err, VD_EFORMAT, "%s: corrupt JPEG (no frame header among damaged "
                            "segments)", name);
    if (!have_sof)
        return vd_error_set(err, VD_EFORMAT, "%s: truncated JPEG (ends before the frame header)", name);
    return vd_error_set(err, VD_EFORMAT, "%s: truncated JPEG (%zu bytes, no end-of-image marker)",
                        name, n);
}

static int png_walk(const uint8_t *p, size_t n, const char *name, vd_img_info *info, int full,
                    vd_error *err)
{
    size_t i = 8;
    if (n < 8 + 8 + 13 || memcmp(p + 12, "IHDR", 4) || be32(p + 8) != 13)
        return vd_error_set(err, VD_EFORMAT, "%s: corrupt PNG (no IHDR header)", name);
    uint32_t w = be32(p + 16), h = be32(p + 20);
    if (w == 0 || h == 0 || w > 0x7FFFFFFF || h > 0x7FFFFFFF)
        return vd_error_set(err, VD_EFORMAT, "%s: PNG with invalid size %ux%u", name, w, h);
    info->width = (int)w;
    info->height = (int)h;
    static const int chans[7] = {1, 0, 3, 3, 2, 0, 4};
    unsigned ct = p[25];
    info->channels = ct < 7 ? chans[ct] : 0;
    if (!info->channels)
        return vd_error_set(err, VD_EFORMAT, "%s: PNG with invalid colour type %u", name, ct);
    if (!full)
        return VD_OK;
    while (i + 12 <= n) {
        uint32_t len = be32(p + i);
        if (len > n - i - 12)
            break;
        if (!memcmp(p + i + 4, "IEND", 4))
            return VD_OK;
        i += 12 + (size_t)len;
    }
    return vd_error_set(err, VD_EFORMAT, "%s: truncated PNG (%zu bytes, no IEND chunk)", name, n);
}

int vd_img_header_check(const void *data, size_t size, const char *name, vd_img_info *info,
                        int full, vd_error *err)
{
    memset(info, 0, sizeof *info);
    if (!data || size == 0)
        return vd_error_set(err, VD_EFORMAT, "%s: empty image (0 bytes)", name);
    info->codec = vd_img_sniff(data, size);
    if (info->codec == VD_IMG_JPEG)
        return jpeg_walk(data, size, name, info, full, err);
    if (info->codec == VD_IMG_PNG)
        return png_walk(data, size, name, info, full, err);
    return vd_error_set(err, VD_EUNSUPPORTED, "%s: not a JPEG or PNG image (%zu bytes)", name, size);
}

int vd_img_probe(const void *data, size_t size, const char *name, vd_img_info *info,
                 vd_error *err)
{
    return vd_img_header_check(data, size, name ? name : "image", info, 0, err);
}
