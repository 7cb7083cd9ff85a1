/* test_image.c -- vision/image against PIL (libjpeg, zlib) on the opencv-doc
 * sample images: JPEG decodes close to PIL's (FFmpeg's IDCT rounds slightly
 * differently from libjpeg's; the bound is measured here), PNG decodes
 * exactly, our PNGs round-trip exactly through PIL, our JPEGs carry
 * libjpeg's quantisation tables for the requested quality, and broken
 * inputs (empty, garbage, truncated, corrupt, decompression bombs) fail
 * with errors that name the input. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/once.h"
#include "vision/image/image.h"
#include "vision/core/npy.h"

#define REF_DIR VD_BINARY_DIR "/tests/vision_ref/image"
#define REF_SCRIPT VD_SOURCE_DIR "/tests/vision_ref/image_ref.py"
#define DATA VD_OPENCV_DATA

static void python(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' %s", VD_PYTHON, REF_SCRIPT, args);
    cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

static void ensure_refs(void)
{
    cr_assert_eq(vd_test_script_once(REF_DIR, REF_SCRIPT, "refs '" REF_DIR "' '" DATA "'"), 0,
                 "reference script %s failed", REF_SCRIPT);
}

static vd_tensor load_npy(const char *path)
{
    vd_tensor t = {0};
    vd_error e = {0};
    cr_assert_eq(vd_npy_read(path, &t, &e), 0, "%s", e.msg);
    return t;
}

static vd_tensor ref(const char *stem, const char *kind)
{
    ensure_refs();
    char path[1024];
    snprintf(path, sizeof path, "%s/%s_%s.npy", REF_DIR, stem, kind);
    return load_npy(path);
}

static void *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

typedef struct diff { double mean; int max; double p99; } diff;

/* Compare a uint8 [H,W,C] decode with PIL's [H,W] or [H,W,C] array. */
static diff compare(const vd_tensor *ours, const vd_tensor *pil, const char *what)
{
    int64_t c = pil->ndim == 3 ? pil->shape[2] : 1;
    cr_assert(ours->dtype == VD_DTYPE_U8 && ours->ndim == 3, "%s: not uint8 HWC", what);
    cr_assert(ours->shape[0] == pil->shape[0] && ours->shape[1] == pil->shape[1] && ours->shape[2] == c,
              "%s: shape mismatch", what);
    int64_t n = vd_tensor_numel(ours);
    long hist[256] = {0};
    double sum = 0;
    diff d = {0};
    for (int64_t i = 0; i < n; i++) {
        int v = abs(((uint8_t *)ours->data)[i] - ((uint8_t *)pil->data)[i]);
        sum += v;
        hist[v]++;
        if (v > d.max)
            d.max = v;
    }
    d.mean = sum / (double)n;
    long acc = 0;
    for (int v = 0; v < 256; v++)
        if ((acc += hist[v]) >= 0.99 * n) {
            d.p99 = v;
            break;
        }
    return d;
}

static vd_tensor decode_file(const char *name, vd_img_color color)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", DATA, name);
    vd_img_decode_opts o = {.color = color};
    vd_tensor t = {0};
    vd_error e = {0};
    cr_assert_eq(vd_img_load(path, &o, &t, &e), 0, "%s", e.msg);
    return t;
}

Test(image, jpeg_decode_close_to_pil)
{
    /* 4:2:0, 4:2:2, progressive 4:4:4, baseline 4:4:4, grayscale */
    const char *files[] = {"messi5", "baboon", "Blender_Suzanne1", "starry_night", "ellipses"};
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.jpg", files[i]);
        vd_tensor ours = decode_file(name, VD_IMG_RGB), pil = ref(files[i], "rgb");
        diff d = compare(&ours, &pil, name);
        cr_log_info("%s: mean |ours - PIL| %.3f, p99 %.0f, max %d\n", name, d.mean, d.p99, d.max);
        cr_expect_lt(d.mean, 0.2, "%s: mean abs diff %.3f vs PIL", name, d.mean);
        cr_expect_leq(d.p99, 1, "%s: 99th percentile diff %.0f vs PIL", name, d.p99);
        cr_expect_leq(d.max, 4, "%s: max diff %d vs PIL", name, d.max);
        vd_tensor_free(&ours);
        vd_tensor_free(&pil);
    }
    /* gray output of a gray JPEG is the luma plane: IDCT rounding only */
    vd_tensor g = decode_file("ellipses.jpg", VD_IMG_GRAY), pg = ref("ellipses", "l");
    diff d = compare(&g, &pg, "ellipses gray");
    cr_expect_leq(d.max, 2, "gray JPEG max diff %d", d.max);
    vd_tensor_free(&g);
    vd_tensor_free(&pg);
}

Test(image, png_decode_exact)
{
    const char *files[] = {"pic1", "box", "opencv-logo-white", "imageTextN", "mask"};
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.png", files[i]);
        vd_tensor ours = decode_file(name, VD_IMG_RGB), pil = ref(files[i], "rgb");
        diff d = compare(&ours, &pil, name);
        cr_expect_eq(d.max, 0, "%s RGB: max diff %d vs PIL", name, d.max);
        vd_tensor_free(&ours);
        vd_tensor_free(&pil);
        ours = decode_file(name, VD_IMG_RGBA);
        pil = ref(files[i], "rgba");
        d = compare(&ours, &pil, name);
        cr_expect_eq(d.max, 0, "%s RGBA: max diff %d vs PIL", name, d.max);
        vd_tensor_free(&ours);
        vd_tensor_free(&pil);
        ours = decode_file(name, VD_IMG_GRAY);
        pil = ref(files[i], "l");
        d = compare(&ours, &pil, name);
        cr_expect_leq(d.max, 1, "%s gray: max diff %d vs PIL's L conversion", name, d.max);
        vd_tensor_free(&ours);
        vd_tensor_free(&pil);
    }
}

Test(image, png16_and_float_chw)
{
    ensure_refs();
    vd_tensor t = {0}, ramp = load_npy(REF_DIR "/gray16.npy");
    vd_img_decode_opts o = {.color = VD_IMG_GRAY};
    vd_error e = {0};
    cr_assert_eq(vd_img_load(REF_DIR "/gray16.png", &o, &t, &e), 0, "%s", e.msg);
    int dmax = 0;
    for (int64_t i = 0; i < vd_tensor_numel(&ramp); i++)
        dmax = fmax(dmax, abs(((uint8_t *)t.data)[i] - (((uint16_t *)ramp.data)[i] >> 8)));
    cr_expect_leq(dmax, 1, "16-bit PNG reduced to 8 bits: max diff %d from v>>8", dmax);
    vd_tensor_free(&t);
    vd_tensor_free(&ramp);

    o = (vd_img_decode_opts){.layout = VD_IMG_F32_CHW};
    cr_assert_eq(vd_img_load(DATA "/pic1.png", &o, &t, &e), 0, "%s", e.msg);
    vd_tensor pil = ref("pic1", "rgb");
    cr_assert(t.dtype == VD_DTYPE_F32 && t.ndim == 3 && t.shape[0] == 3 && t.shape[1] == 300 && t.shape[2] == 400);
    const float *f = t.data;
    const uint8_t *p = pil.data;
    cr_expect_float_eq(f[2 * 300 * 400 + 123 * 400 + 77], p[(123 * 400 + 77) * 3 + 2] / 255.0f, 1e-7);
    vd_tensor_free(&t);
    vd_tensor_free(&pil);
}

Test(image, probe_reads_header_only)
{
    size_t n;
    uint8_t *buf = slurp(DATA "/messi5.jpg", &n);
    vd_img_info info;
    /* the first 600 bytes hold the SOF: enough for probe, not for decode */
    cr_assert_eq(vd_img_probe(buf, 600, "messi5.jpg", &info, NULL), 0);
    cr_expect(info.codec == VD_IMG_JPEG && info.width == 548 && info.height == 342 && info.channels == 3);
    free(buf);
    buf = slurp(DATA "/opencv-logo-white.png", &n);
    cr_assert_eq(vd_img_probe(buf, 40, NULL, &info, NULL), 0);
    cr_expect(info.codec == VD_IMG_PNG && info.width == 180 && info.height == 238 && info.channels == 4);
    free(buf);
}

static void expect_error(const void *data, size_t n, const vd_img_decode_opts *o, int code,
                         const char *needle, const char *what)
{
    vd_tensor t = {0};
    vd_error e = {0};
    int rc = vd_img_decode(data, n, "input.img", o, &t, &e);
    cr_expect_eq(rc, code, "%s: rc %d (%s), expected %d", what, rc, e.msg, code);
    cr_expect(strstr(e.msg, "input.img") && strstr(e.msg, needle), "%s: message '%s' lacks '%s'", what,
              e.msg, needle);
    cr_expect_null(t.data, "%s: output left allocated", what);
}

Test(image, broken_inputs_fail_clearly)
{
    size_t n, pn;
    uint8_t *jpg = slurp(DATA "/messi5.jpg", &n);
    uint8_t *png = slurp(DATA "/pic1.png", &pn);
    expect_error(jpg, 0, NULL, VD_EFORMAT, "empty", "empty");
    uint8_t garbage[256];
    for (int i = 0; i < 256; i++)
        garbage[i] = (uint8_t)(i * 37 + 11);
    expect_error(garbage, sizeof garbage, NULL, VD_EUNSUPPORTED, "not a JPEG or PNG", "garbage");
    expect_error(jpg, 300, NULL, VD_EFORMAT, "truncated", "JPEG header only");
    expect_error(png, pn / 2, NULL, VD_EFORMAT, "truncated", "half a PNG");
    /* JPEG magic followed by garbage */
    uint8_t fake[64] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x12, 0x34};
    expect_error(fake, sizeof fake, NULL, VD_EFORMAT, "corrupt", "JPEG magic + garbage");
    /* a flipped byte inside PNG image data: zlib/CRC failure */
    uint8_t *bad = malloc(pn);
    memcpy(bad, png, pn);
    bad[pn / 2] ^= 0x5A;
    expect_error(bad, pn, NULL, VD_EFORMAT, "decode", "corrupt PNG data");
    free(bad);
    /* the missing file names the path */
    vd_tensor t = {0};
    vd_error e = {0};
    cr_expect_eq(vd_img_load("/nonexistent/x.jpg", NULL, &t, &e), VD_ENOTFOUND);
    cr_expect(strstr(e.msg, "/nonexistent/x.jpg"), "%s", e.msg);
    free(jpg);
    free(png);
}

/* Damage the decoder can conceal is decoded and reported, as the ffmpeg CLI
 * shows it (tests/image_damage.py compares 80 flips with ffmpeg and PIL):
 * half a JPEG, a flipped byte in the entropy-coded data, a marker byte
 * flipped before the frame header (the probe resyncs on the next marker),
 * a PNG whose IEND CRC is wrong. The clean file is not flagged. */
static void expect_damaged(const uint8_t *data, size_t n, int w, int h, const char *what)
{
    vd_tensor t = {0};
    vd_img_info info;
    vd_error e = {0};
    int rc = vd_img_decode_ex(data, n, "input.img", NULL, &t, &info, &e);
    cr_expect_eq(rc, 0, "%s: rc %d (%s)", what, rc, e.msg);
    cr_expect(info.damaged, "%s: not flagged damaged", what);
    cr_expect(t.data && t.shape[0] == h && t.shape[1] == w && info.width == w && info.height == h,
              "%s: %dx%d decoded", what, info.width, info.height);
    vd_tensor_free(&t);
}

Test(image, damaged_images_decode_flagged)
{
    size_t n, pn;
    uint8_t *jpg = slurp(DATA "/messi5.jpg", &n);
    uint8_t *png = slurp(DATA "/pic1.png", &pn);
    vd_tensor t = {0};
    vd_img_info info;
    cr_assert_eq(vd_img_decode_ex(jpg, n, "messi5.jpg", NULL, &t, &info, NULL), 0);
    cr_expect(!info.damaged && info.width == 548 && info.height == 342, "clean file flagged");
    vd_tensor_free(&t);
    expect_damaged(jpg, n / 2, 548, 342, "half a JPEG");
    uint8_t *bad = malloc(n > pn ? n : pn);
    memcpy(bad, jpg, n);
    bad[36469] ^= 0xFF; /* in the scan: FFmpeg logs "error dc" and conceals */
    expect_damaged(bad, n, 548, 342, "flipped scan byte");
    memcpy(bad, jpg, n);
    bad[20] ^= 0xFF; /* the COM marker's 0xFF: the walk finds no marker there and
                      * resyncs; FFmpeg skips the garbage silently */
    expect_damaged(bad, n, 548, 342, "flipped marker before the frame header");
    memcpy(bad, png, pn);
    bad[pn - 1] ^= 0xFF; /* IEND's CRC */
    vd_img_info pi;
    cr_assert_eq(vd_img_probe(png, pn, NULL, &pi, NULL), 0);
    expect_damaged(bad, pn, pi.width, pi.height, "PNG with a bad IEND CRC");
    /* vd_img_load_ex reports it from a file */
    char path[] = "/tmp/vd-test-damaged-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, jpg, n / 2), (ssize_t)(n / 2));
    close(fd);
    cr_expect_eq(vd_img_load_ex(path, NULL, &t, &info, NULL), 0);
    cr_expect(info.damaged && t.data, "vd_img_load_ex: not flagged");
    vd_tensor_free(&t);
    unlink(path);
    free(bad);
    free(jpg);
    free(png);
}

Test(image, decompression_bombs_refused_before_decoding)
{
    size_t n;
    uint8_t *jpg = slurp(DATA "/messi5.jpg", &n);
    /* a limit below the image */
    vd_img_decode_opts o = {.max_pixels = 548 * 342 - 1};
    expect_error(jpg, n, &o, VD_ELIMIT, "exceeds the limit", "limit");
    o.max_pixels = 548 * 342;
    vd_tensor t = {0};
    cr_expect_eq(vd_img_decode(jpg, n, "messi5.jpg", &o, &t, NULL), 0, "exactly at the limit is fine");
    vd_tensor_free(&t);
    /* patch the SOF to claim 60000x60000 (3.6 Gpx): refused from the header */
    for (size_t i = 2; i + 9 < n; i++)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
            jpg[i + 5] = 0xEA, jpg[i + 6] = 0x60, jpg[i + 7] = 0xEA, jpg[i + 8] = 0x60;
            break;
        }
    expect_error(jpg, n, NULL, VD_ELIMIT, "60000x60000", "JPEG bomb");
    /* a PNG claiming 30000x30000 with a tiny body */
    size_t pn;
    uint8_t *png = slurp(DATA "/pic1.png", &pn);
    png[16] = 0, png[17] = 0, png[18] = 0x75, png[19] = 0x30;
    png[20] = 0, png[21] = 0, png[22] = 0x75, png[23] = 0x30;
    expect_error(png, pn, NULL, VD_ELIMIT, "exceeds the limit", "PNG bomb");
    free(jpg);
    free(png);
}

static char *tmp_path(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", REF_DIR, name);
    return path;
}

Test(image, png_roundtrip_exact_through_us_and_pil)
{
    vd_tensor src = decode_file("pic1.png", VD_IMG_RGB), back = {0};
    uint8_t *buf;
    size_t n;
    vd_error e = {0};
    cr_assert_eq(vd_img_encode(&src, VD_IMG_PNG, 0, &buf, &n, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_img_decode(buf, n, "ours.png", NULL, &back, &e), 0, "%s", e.msg);
    cr_expect_eq(memcmp(back.data, src.data, vd_tensor_nbytes(&src)), 0, "our PNG does not round-trip");
    free(buf);
    ensure_refs();
    cr_assert_eq(vd_img_save(&src, tmp_path("ours.png"), VD_IMG_UNKNOWN, 0, &e), 0, "%s", e.msg);
    python("decode '" REF_DIR "/ours.png' '" REF_DIR "/ours_png.npy'");
    vd_tensor pil = load_npy(REF_DIR "/ours_png.npy");
    cr_expect_eq(compare(&src, &pil, "PIL reading our PNG").max, 0);
    /* gray PNG from pixels with a padded linesize */
    uint8_t px[7 * 5 * 2];
    for (int i = 0; i < 70; i++)
        px[i] = (uint8_t)(i * 3);
    cr_assert_eq(vd_img_encode_pixels(px, 5, 7, 10, 1, VD_IMG_PNG, 0, &buf, &n, &e), 0, "%s", e.msg);
    vd_img_decode_opts o = {.color = VD_IMG_GRAY};
    vd_tensor g = {0};
    cr_assert_eq(vd_img_decode(buf, n, "gray.png", &o, &g, &e), 0, "%s", e.msg);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 5; x++)
            cr_expect_eq(((uint8_t *)g.data)[y * 5 + x], px[y * 10 + x]);
    free(buf);
    vd_tensor_free(&g);
    vd_tensor_free(&pil);
    vd_tensor_free(&back);
    vd_tensor_free(&src);
}

Test(image, jpeg_encode_quality_uses_libjpeg_tables)
{
    vd_tensor src = decode_file("messi5.jpg", VD_IMG_RGB);
    vd_error e = {0};
    ensure_refs();
    int qs[] = {10, 50, 75, 90, 95};
    size_t prev = 0;
    for (int i = 0; i < 5; i++) {
        char name[64], args[1024], path[1024];
        snprintf(name, sizeof name, "ours_q%d.jpg", qs[i]);
        cr_assert_eq(vd_img_save(&src, tmp_path(name), VD_IMG_JPEG, qs[i], &e), 0, "%s", e.msg);
        snprintf(args, sizeof args, "qtables '%s/%s' '%s/ours_q%d_qt.npy'", REF_DIR, name, REF_DIR, qs[i]);
        python(args);
        snprintf(path, sizeof path, "%s/ours_q%d_qt.npy", REF_DIR, qs[i]);
        vd_tensor ours = load_npy(path);
        snprintf(path, sizeof path, "%s/qtables_pil_q%d.npy", REF_DIR, qs[i]);
        vd_tensor pil = load_npy(path);
        const int64_t *a = ours.data, *b = pil.data;
        /* entry 0 (DC) is FFmpeg's fixed 8; all 63 AC entries are libjpeg's */
        for (int t = 0; t < 2; t++)
            for (int k = 1; k < 64; k++)
                cr_expect_eq(a[t * 64 + k], b[t * 64 + k], "q%d table %d entry %d: %lld vs libjpeg %lld",
                             qs[i], t, k, (long long)a[t * 64 + k], (long long)b[t * 64 + k]);
        struct stat st;
        cr_assert_eq(stat(tmp_path(name), &st), 0);
        cr_expect_gt((size_t)st.st_size, prev, "q%d file not larger than the lower quality", qs[i]);
        prev = (size_t)st.st_size;
        vd_tensor_free(&ours);
        vd_tensor_free(&pil);
    }
    /* PIL decodes our q90 JPEG close to the source */
    python("decode '" REF_DIR "/ours_q90.jpg' '" REF_DIR "/ours_q90.npy'");
    vd_tensor pil = load_npy(REF_DIR "/ours_q90.npy");
    diff d = compare(&src, &pil, "q90 re-encode");
    cr_expect_lt(d.mean, 3.0, "q90 JPEG mean diff %.3f", d.mean);
    vd_tensor_free(&pil);
    cr_expect_eq(vd_img_save(&src, tmp_path("x.bmp"), VD_IMG_UNKNOWN, 90, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "x.bmp"), "%s", e.msg);
    vd_tensor_free(&src);
}

Test(image, gray_jpeg_encode)
{
    vd_tensor g = decode_file("ellipses.jpg", VD_IMG_GRAY), back = {0};
    uint8_t *buf;
    size_t n;
    vd_error e = {0};
    cr_assert_eq(vd_img_encode(&g, VD_IMG_JPEG, 95, &buf, &n, &e), 0, "%s", e.msg);
    vd_img_decode_opts o = {.color = VD_IMG_GRAY};
    cr_assert_eq(vd_img_decode(buf, n, "gray.jpg", &o, &back, &e), 0, "%s", e.msg);
    diff d = compare(&back, &g, "gray jpeg");
    cr_expect_lt(d.mean, 2.0, "gray q95 mean diff %.3f", d.mean);
    free(buf);
    vd_tensor_free(&g);
    vd_tensor_free(&back);
}

/* Mutated and truncated files (a poor man's fuzzer, deterministic): each
 * either decodes to the header's size or fails with a message naming the
 * input -- never a crash (run under ASan in CI to catch memory errors). */
Test(image, mutations_decode_or_fail_cleanly)
{
    const char *files[] = {DATA "/messi5.jpg", DATA "/pic1.png", DATA "/Blender_Suzanne1.jpg"};
    uint32_t seed = 12345;
    for (int f = 0; f < 3; f++) {
        size_t n;
        uint8_t *orig = slurp(files[f], &n), *buf = malloc(n);
        for (int iter = 0; iter < 40; iter++) {
            memcpy(buf, orig, n);
            size_t len = n;
            int flips = 1 + iter % 8;
            for (int k = 0; k < flips; k++) {
                seed = seed * 1664525u + 1013904223u;
                buf[(seed >> 8) % n] ^= (uint8_t)(1u << (seed & 7));
            }
            if (iter % 3 == 0) {
                seed = seed * 1664525u + 1013904223u;
                len = (seed >> 4) % n;
            }
            vd_tensor t = {0};
            vd_error e = {0};
            int rc = vd_img_decode(buf, len, "mutant", NULL, &t, &e);
            if (rc == 0) {
                vd_img_info info;
                cr_assert_eq(vd_img_probe(buf, len, "mutant", &info, NULL), 0);
                cr_expect(t.shape[0] == info.height && t.shape[1] == info.width,
                          "%s mutation %d: decoded size differs from the header", files[f], iter);
            } else {
                cr_expect(strstr(e.msg, "mutant"), "%s mutation %d: message '%s'", files[f], iter, e.msg);
                cr_expect_null(t.data);
            }
            vd_tensor_free(&t);
        }
        free(buf);
        free(orig);
    }
}
