/* test_transforms.c -- vision/transforms against OpenCV, PIL and numpy
 * transcriptions of torch's formulas (tests/vision_ref/transforms_ref.py),
 * plus cases worked by hand. The reference script runs once per build
 * (its outputs are kept until the script changes). */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/once.h"
#include "vision/core/npy.h"
#include "vision/box/box.h"
#include "vision/transform/transforms.h"

#define REF_DIR VD_BINARY_DIR "/tests/vision_ref/transforms"
#define REF_SCRIPT VD_SOURCE_DIR "/tests/vision_ref/transforms_ref.py"

static void ensure_refs(void)
{
    cr_assert_eq(vd_test_script_once(REF_DIR, REF_SCRIPT, "'" REF_DIR "' '" VD_OPENCV_DATA "'"), 0,
                 "reference script %s failed", REF_SCRIPT);
}

static vd_tensor load(const char *name)
{
    ensure_refs();
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.npy", REF_DIR, name);
    vd_tensor t = {0};
    vd_error e = {0};
    cr_assert_eq(vd_npy_read(path, &t, &e), 0, "%s", e.msg);
    return t;
}

/* max |a-b| over two float32 tensors of the same shape */
static double max_diff(const vd_tensor *a, const vd_tensor *b, const char *what)
{
    char s1[64], s2[64];
    cr_assert(vd_tensor_same_shape(a, b), "%s: shape %s vs %s", what, vd_tensor_shape_str(a, s1, 64),
              vd_tensor_shape_str(b, s2, 64));
    const float *x = a->data, *y = b->data;
    double m = 0;
    for (int64_t i = 0; i < vd_tensor_numel(a); i++)
        m = fmax(m, fabs((double)x[i] - y[i]));
    return m;
}

static void check_resize(const char *prefix, vd_interp interp, int aa, int w, int h, double tol)
{
    vd_tensor x = load("x"), out = {0};
    char name[64];
    snprintf(name, sizeof name, "%s_%dx%d", prefix, w, h);
    vd_tensor ref = load(name);
    vd_error e = {0};
    cr_assert_eq(vd_tf_resize(&x, w, h, interp, aa, &out, &e), 0, "%s", e.msg);
    double d = max_diff(&out, &ref, name);
    cr_expect_leq(d, tol, "%s: max diff %g (pixel values 0..255)", name, d);
    /* the single-frame [C,H,W] form must give slot 1 of the batch result */
    vd_tensor x1 = vd_tensor_slot(&x, 1), o1 = {0}, r1 = vd_tensor_slot(&out, 1);
    cr_assert_eq(vd_tf_resize(&x1, w, h, interp, aa, &o1, &e), 0, "%s", e.msg);
    cr_expect_eq(max_diff(&o1, &r1, name), 0, "%s: [C,H,W] differs from batch slot", name);
    vd_tensor_free(&o1);
    vd_tensor_free(&out);
    vd_tensor_free(&ref);
    vd_tensor_free(&x);
}

static const int sizes[][2] = {{30, 20}, {53, 37}, {106, 74}, {17, 50}, {100, 9}, {1, 1}};

Test(transforms, bilinear_matches_torch_formula_and_cv2)
{
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        check_resize("bilinear", VD_INTERP_BILINEAR, 0, sizes[i][0], sizes[i][1], 2e-4);
        check_resize("bilinear_cv2", VD_INTERP_BILINEAR, 0, sizes[i][0], sizes[i][1], 2e-3);
    }
}

Test(transforms, antialias_matches_pil)
{
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        check_resize("aa", VD_INTERP_BILINEAR, 1, sizes[i][0], sizes[i][1], 2e-4);
}

Test(transforms, nearest_matches_torch_and_cv2)
{
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        check_resize("nearest", VD_INTERP_NEAREST, 0, sizes[i][0], sizes[i][1], 0);
        check_resize("nearest_cv2", VD_INTERP_NEAREST, 1, sizes[i][0], sizes[i][1], 0);
    }
}

/* Worked by hand: 1x4 row [0,10,20,30] -> 2 px. Bilinear: src = 2*(i+.5)-.5 =
 * 0.5, 2.5 -> 5, 25. Nearest: floor(i*2) = 0, 2 -> 0, 20. Upscale [0,10] to 4:
 * src = 0.5*(i+.5)-.5 = -0.25(->0), 0.25, 0.75, 1.25(->1 clamp) -> 0, 2.5, 7.5, 10.
 * Antialias 4 -> 1: triangle of support 4 centred at 2: weights for pixels
 * 0..3 at distances 1.5,.5,.5,1.5 (/4) = .625,.875,.875,.625 -> mean 15. */
Test(transforms, hand_worked_1d)
{
    float row[4] = {0, 10, 20, 30}, up[2] = {0, 10};
    vd_tensor t, out = {0};
    int64_t sh[3] = {1, 1, 4}, sh2[3] = {1, 1, 2};
    vd_tensor_view(&t, VD_DTYPE_F32, 3, sh, row);
    cr_assert_eq(vd_tf_resize(&t, 2, 1, VD_INTERP_BILINEAR, 0, &out, NULL), 0);
    cr_expect_float_eq(((float *)out.data)[0], 5.0f, 1e-6);
    cr_expect_float_eq(((float *)out.data)[1], 25.0f, 1e-6);
    vd_tensor_free(&out);
    cr_assert_eq(vd_tf_resize(&t, 2, 1, VD_INTERP_NEAREST, 0, &out, NULL), 0);
    cr_expect_eq(((float *)out.data)[0], 0.0f);
    cr_expect_eq(((float *)out.data)[1], 20.0f);
    vd_tensor_free(&out);
    cr_assert_eq(vd_tf_resize(&t, 1, 1, VD_INTERP_BILINEAR, 1, &out, NULL), 0);
    cr_expect_float_eq(((float *)out.data)[0], 15.0f, 1e-5);
    vd_tensor_free(&out);
    vd_tensor_view(&t, VD_DTYPE_F32, 3, sh2, up);
    cr_assert_eq(vd_tf_resize(&t, 4, 1, VD_INTERP_BILINEAR, 0, &out, NULL), 0);
    float want[4] = {0, 2.5f, 7.5f, 10};
    for (int i = 0; i < 4; i++)
        cr_expect_float_eq(((float *)out.data)[i], want[i], 1e-6, "upscale[%d]", i);
    vd_tensor_free(&out);
}

Test(transforms, letterbox_matches_ultralytics)
{
    vd_tensor x = load("x"), ref = load("letterbox_64x64"), g = load("letterbox_64x64_geom"),
              out = {0};
    vd_tf_geom geom;
    vd_error e = {0};
    cr_assert_eq(vd_tf_letterbox(&x, 64, 64, VD_INTERP_BILINEAR, 0, 114.0f, &out, &geom, &e), 0, "%s", e.msg);
    cr_expect_leq(max_diff(&out, &ref, "letterbox"), 2e-3);
    const double *gv = g.data; /* scale_x, scale_y, left, top, nw, nh */
    cr_expect_float_eq(geom.scale_x, gv[0], 1e-6);
    cr_expect_float_eq(geom.scale_y, gv[1], 1e-6);
    cr_expect_eq(geom.pad_x, gv[2]);
    cr_expect_eq(geom.pad_y, gv[3]);
    cr_expect_eq(geom.content_w, gv[4]);
    cr_expect_eq(geom.content_h, gv[5]);
    vd_tensor_free(&out);
    vd_tensor_free(&x);
    vd_tensor_free(&ref);
    vd_tensor_free(&g);
}

static void check_crop(const char *name, int left, int top, int w, int h, int center)
{
    vd_tensor x = load("x"), ref = load(name), out = {0};
    vd_error e = {0};
    int rc = center ? vd_tf_center_crop(&x, w, h, &out, &e) : vd_tf_crop(&x, left, top, w, h, &out, &e);
    cr_assert_eq(rc, 0, "%s", e.msg);
    cr_expect_eq(max_diff(&out, &ref, name), 0, "%s differs", name);
    vd_tensor_free(&out);
    vd_tensor_free(&x);
    vd_tensor_free(&ref);
}

Test(transforms, crop_and_center_crop_match_torchvision)
{
    check_crop("crop_5_7_20_30", 5, 7, 20, 30, 0);
    check_crop("crop_m3_m4_10_12", -3, -4, 10, 12, 0);
    check_crop("center_crop_24x24", 0, 0, 24, 24, 1);
    check_crop("center_crop_60x40", 0, 0, 60, 40, 1);
    check_crop("center_crop_52x36", 0, 0, 52, 36, 1);
}

Test(transforms, normalize_scale_swap_layout)
{
    vd_tensor x = load("x"), ref = load("normalized"), t = {0};
    vd_error e = {0};
    cr_assert_eq(vd_tensor_alloc(&t, VD_DTYPE_F32, 4, x.shape, NULL), 0);
    memcpy(t.data, x.data, vd_tensor_nbytes(&x));
    float mean[3] = {0.485f * 255, 0.456f * 255, 0.406f * 255}, std[3] = {0.229f * 255, 0.224f * 255, 0.225f * 255};
    cr_assert_eq(vd_tf_normalize(&t, mean, std, &e), 0, "%s", e.msg);
    cr_expect_leq(max_diff(&t, &ref, "normalize"), 1e-5);
    float bad[3] = {1, 0, 1};
    cr_expect_eq(vd_tf_normalize(&t, mean, bad, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "std[1]"), "message names the channel: %s", e.msg);

    /* nchw -> nhwc -> swap -> swap back -> nchw is the identity; one swap
     * puts channel 2 first */
    vd_tensor nhwc = {0}, back = {0};
    cr_assert_eq(vd_tf_nchw_to_nhwc(&x, &nhwc, &e), 0, "%s", e.msg);
    cr_expect_eq(nhwc.shape[3], 3);
    const float *xs = x.data, *ns = nhwc.data;
    /* x[1, c=2, y=5, x=7] */
    cr_expect_eq(ns[((1 * 37 + 5) * 53 + 7) * 3 + 2], xs[((1 * 3 + 2) * 37 + 5) * 53 + 7]);
    cr_assert_eq(vd_tf_swap_rb(&nhwc, VD_TF_NHWC, &e), 0);
    cr_expect_eq(ns[((1 * 37 + 5) * 53 + 7) * 3 + 0], xs[((1 * 3 + 2) * 37 + 5) * 53 + 7]);
    cr_assert_eq(vd_tf_swap_rb(&nhwc, VD_TF_NHWC, &e), 0);
    cr_assert_eq(vd_tf_nhwc_to_nchw(&nhwc, &back, &e), 0, "%s", e.msg);
    cr_expect_eq(max_diff(&back, &x, "roundtrip"), 0);
    cr_assert_eq(vd_tf_swap_rb(&back, VD_TF_NCHW, &e), 0);
    const float *bs = back.data;
    cr_expect_eq(bs[((0 * 3 + 0) * 37 + 3) * 53 + 4], xs[((0 * 3 + 2) * 37 + 3) * 53 + 4]);
    cr_assert_eq(vd_tf_scale(&back, 0.5f, &e), 0);
    cr_expect_eq(bs[10], xs[10 + 2 * 37 * 53] * 0.5f);
    vd_tensor_free(&nhwc);
    vd_tensor_free(&back);
    vd_tensor_free(&t);
    vd_tensor_free(&x);
    vd_tensor_free(&ref);
}

Test(transforms, u8_to_float_and_wrong_shapes)
{
    vd_tensor src = load("messi_rgb"), f = {0}, bad = {0};
    vd_error e = {0};
    cr_assert_eq(vd_tf_u8_to_float(&src, 1.0f / 255, &f, &e), 0, "%s", e.msg);
    cr_expect_eq(f.ndim, 3);
    cr_expect_eq(f.shape[0], 3);
    const uint8_t *s = src.data;
    int64_t H = src.shape[0], W = src.shape[1];
    cr_expect_float_eq(((float *)f.data)[1 * H * W + 10 * W + 20], s[(10 * W + 20) * 3 + 1] / 255.0f, 1e-7);
    /* a preallocated output of the wrong shape is refused, not overwritten */
    int64_t sh[3] = {3, 10, 10};
    cr_assert_eq(vd_tensor_alloc(&bad, VD_DTYPE_F32, 3, sh, NULL), 0);
    cr_expect_eq(vd_tf_resize(&f, 20, 20, VD_INTERP_BILINEAR, 0, &bad, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "[3,10,10]") && strstr(e.msg, "[3,20,20]"), "%s", e.msg);
    cr_expect_eq(vd_tf_resize(&src, 20, 20, VD_INTERP_BILINEAR, 0, &bad, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "uint8"), "%s", e.msg);
    vd_tensor_free(&bad);
    vd_tensor_free(&f);
    vd_tensor_free(&src);
}

/* Run a chain from text settings on src (with a padded linesize, as frames
 * from decoders have) into slot `slot` of a batch of 2. */
static vd_tensor run_chain(const char *const *kv, const vd_tensor *src, vd_dtype dt,
                           vd_tf_geom *geom)
{
    vd_tf_spec spec;
    vd_error e = {0};
    vd_tf_spec_default(&spec, 1, 1);
    for (int i = 0; kv[i]; i += 2)
        cr_assert_eq(vd_tf_spec_set(&spec, kv[i], kv[i + 1], &e), 0, "%s", e.msg);
    vd_tf_chain *ch;
    cr_assert_eq(vd_tf_chain_create(&ch, &spec, &e), 0, "%s", e.msg);
    int H = (int)src->shape[0], W = (int)src->shape[1], C = (int)src->shape[2];
    int ls = W * C + 13;
    uint8_t *buf = malloc((size_t)ls * H);
    for (int y = 0; y < H; y++)
        memcpy(buf + (size_t)y * ls, (uint8_t *)src->data + (size_t)y * W * C, (size_t)W * C);
    vd_tf_image img = {buf, W, H, ls, C == 1 ? VD_PIX_GRAY8 : VD_PIX_RGB24};
    int64_t shape[4] = {2, 3, spec.height, spec.width};
    if (spec.layout == VD_TF_NHWC)
        shape[1] = spec.height, shape[2] = spec.width, shape[3] = 3;
    vd_tensor batch = {0};
    cr_assert_eq(vd_tensor_alloc(&batch, dt, 4, shape, NULL), 0);
    cr_assert_eq(vd_tf_chain_run(ch, &img, &batch, 1, geom, &e), 0, "%s", e.msg);
    /* slot 0 untouched */
    const uint8_t *z = batch.data;
    for (size_t i = 0; i < vd_tensor_nbytes(&batch) / 2; i++)
        cr_assert_eq(z[i], 0, "slot 0 was written");
    vd_tensor slot = vd_tensor_slot(&batch, 1), out = {0};
    cr_assert_eq(vd_tensor_alloc(&out, dt, 3, slot.shape, NULL), 0);
    memcpy(out.data, slot.data, vd_tensor_nbytes(&slot));
    vd_tensor_free(&batch);
    free(buf);
    vd_tf_chain_free(&ch);
    cr_expect_null(ch);
    return out;
}

static double check_chain(const char *const *kv, const char *srcname, const char *refname,
                          vd_dtype dt, vd_tf_geom *geom)
{
    vd_tensor src = load(srcname), ref = load(refname);
    if (src.ndim == 2) { /* gray [H,W] -> [H,W,1] */
        src.ndim = 3;
        src.shape[2] = 1;
    }
    vd_tensor out = run_chain(kv, &src, dt, geom);
    vd_tensor r1 = vd_tensor_slot(&ref, 0);
    double d;
    if (dt == VD_DTYPE_U8) {
        cr_assert(vd_tensor_same_shape(&out, &r1));
        d = 0;
        for (int64_t i = 0; i < vd_tensor_numel(&out); i++)
            d = fmax(d, abs(((uint8_t *)out.data)[i] - ((uint8_t *)r1.data)[i]));
    } else {
        d = max_diff(&out, &r1, refname);
    }
    vd_tensor_free(&out);
    vd_tensor_free(&ref);
    vd_tensor_free(&src);
    return d;
}

Test(transforms, chain_yolov8_letterbox)
{
    const char *kv[] = {"--input-size", "640x640", "resize", "letterbox", "pad_value", "114",
                        "layout", "nchw", "range", "0-1", NULL};
    vd_tf_geom geom;
    double d = check_chain(kv, "messi_rgb", "chain_yolo", VD_DTYPE_F32, &geom);
    cr_expect_leq(d, 3e-5, "max diff %g (0-1 units)", d);
    vd_tensor g = load("chain_yolo_geom");
    const double *gv = g.data;
    cr_expect_float_eq(geom.scale_x, gv[0], 1e-6);
    cr_expect_eq(geom.pad_x, gv[2]);
    cr_expect_eq(geom.pad_y, gv[3]);
    cr_expect_eq(geom.content_h, gv[5]);
    /* a box drawn in network pixels maps back to the source box */
    vd_box b = {geom.pad_x + 100 * geom.scale_x, geom.pad_y + 50 * geom.scale_y,
                geom.pad_x + 200 * geom.scale_x, geom.pad_y + 150 * geom.scale_y};
    vd_box_unmap(&b, 1, &geom);
    cr_expect_float_eq(b.x1, 100, 1e-3);
    cr_expect_float_eq(b.y2, 150, 1e-3);
    vd_tensor_free(&g);
}

Test(transforms, chain_classifier_antialias_imagenet_nhwc_bgr)
{
    /* mean/std are given in OUTPUT channel order (bgr) */
    const char *kv[] = {"size", "224x224", "antialias", "true", "layout", "nhwc", "channels", "bgr",
                        "mean", "0.406,0.456,0.485", "std", "0.225,0.224,0.229", NULL};
    double d = check_chain(kv, "messi_rgb", "chain_cls", VD_DTYPE_F32, NULL);
    cr_expect_leq(d, 1e-4, "max diff %g (normalised units)", d);
}

Test(transforms, chain_nearest_0_255_mean_std)
{
    const char *kv[] = {"size", "128x128", "interpolation", "nearest", "range", "0-255", "mean",
                        "127.5", "std", "127.5", NULL};
    double d = check_chain(kv, "messi_rgb", "chain_face", VD_DTYPE_F32, NULL);
    cr_expect_leq(d, 1e-6, "max diff %g", d);
}

Test(transforms, chain_uint8_nhwc_and_gray_source)
{
    const char *kv[] = {"size", "300x200", "resize", "letterbox", "layout", "nhwc", "range", "0-255", NULL};
    double d = check_chain(kv, "messi_rgb", "chain_u8", VD_DTYPE_U8, NULL);
    cr_expect_leq(d, 1, "uint8 max diff %g (rounding ties only)", d);
    /* the same in nchw: a transpose of the nhwc result */
    vd_tensor src = load("messi_rgb");
    vd_tensor hwc = run_chain(kv, &src, VD_DTYPE_U8, NULL);
    const char *kv_nchw[] = {"size", "300x200", "resize", "letterbox", "layout", "nchw", "range", "0-255", NULL};
    vd_tensor chw = run_chain(kv_nchw, &src, VD_DTYPE_U8, NULL);
    const uint8_t *a = hwc.data, *b = chw.data;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 300 * 200; i++)
            cr_assert_eq(b[c * 300 * 200 + i], a[i * 3 + c], "nchw u8 channel %d pixel %d", c, i);
    vd_tensor_free(&hwc);
    vd_tensor_free(&chw);
    vd_tensor_free(&src);
    const char *kv2[] = {"size", "96x96", NULL};
    d = check_chain(kv2, "messi_gray", "chain_gray", VD_DTYPE_F32, NULL);
    cr_expect_leq(d, 1e-5, "gray max diff %g", d);
}

Test(transforms, chain_upscales_tiny_source)
{
    const char *kv[] = {"size", "32x32", "resize", "letterbox", "pad-value", "7", "range", "0-255", NULL};
    double d = check_chain(kv, "tiny_rgb", "chain_tiny", VD_DTYPE_F32, NULL);
    cr_expect_leq(d, 1e-4, "max diff %g", d);
}

/* Run `spec` on the messi image given as fmt (converted here from RGB). */
static vd_tensor run_fmt(vd_tf_chain *ch, const vd_tensor *rgb, vd_pixfmt fmt)
{
    int H = (int)rgb->shape[0], W = (int)rgb->shape[1], bpp = fmt == VD_PIX_RGBA ? 4 : 3;
    uint8_t *buf = malloc((size_t)W * H * bpp);
    const uint8_t *s = rgb->data;
    for (int i = 0; i < W * H; i++) {
        uint8_t *d = buf + (size_t)i * bpp;
        d[0] = s[3 * i + (fmt == VD_PIX_BGR24 ? 2 : 0)];
        d[1] = s[3 * i + 1];
        d[2] = s[3 * i + (fmt == VD_PIX_BGR24 ? 0 : 2)];
        if (bpp == 4)
            d[3] = (uint8_t)(i * 7); /* alpha must be ignored */
    }
    vd_tf_image img = {buf, W, H, W * bpp, fmt};
    const vd_tf_spec *sp = vd_tf_chain_spec(ch);
    int64_t shape[4] = {1, 3, sp->height, sp->width};
    vd_tensor out = {0};
    vd_error e = {0};
    cr_assert_eq(vd_tensor_alloc(&out, VD_DTYPE_F32, 4, shape, NULL), 0);
    cr_assert_eq(vd_tf_chain_run(ch, &img, &out, 0, NULL, &e), 0, "%s", e.msg);
    free(buf);
    return out;
}

Test(transforms, chain_pixel_formats_agree)
{
    vd_tensor rgb = load("messi_rgb");
    vd_tf_spec spec;
    vd_tf_spec_default(&spec, 97, 61); /* odd sizes: SIMD tails */
    vd_tf_chain *ch;
    cr_assert_eq(vd_tf_chain_create(&ch, &spec, NULL), 0);
    vd_tensor a = run_fmt(ch, &rgb, VD_PIX_RGB24), b = run_fmt(ch, &rgb, VD_PIX_BGR24),
              c = run_fmt(ch, &rgb, VD_PIX_RGBA);
    cr_expect_eq(max_diff(&a, &b, "bgr source"), 0);
    cr_expect_eq(max_diff(&a, &c, "rgba source"), 0);
    vd_tensor_free(&a);
    vd_tensor_free(&b);
    vd_tensor_free(&c);
    vd_tf_chain_free(&ch);
    vd_tensor_free(&rgb);
}

typedef struct job {
    vd_tf_chain *ch;
    vd_tf_image img;
    vd_tensor *batch;
    int slot, rc;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    for (int i = 0; i < 20 && j->rc == 0; i++)
        j->rc = vd_tf_chain_run(j->ch, &j->img, j->batch, j->slot, NULL, NULL);
    return NULL;
}

/* One chain shared by 4 threads filling 4 slots: every slot equals a
 * single-threaded run. */
Test(transforms, chain_shared_by_threads)
{
    vd_tensor rgb = load("messi_rgb");
    vd_tf_spec spec;
    vd_tf_spec_default(&spec, 160, 160);
    spec.resize = VD_TF_LETTERBOX;
    spec.antialias = 1;
    vd_tf_chain *ch;
    cr_assert_eq(vd_tf_chain_create(&ch, &spec, NULL), 0);
    vd_tensor ref = run_fmt(ch, &rgb, VD_PIX_RGB24), batch = {0};
    int64_t shape[4] = {4, 3, 160, 160};
    cr_assert_eq(vd_tensor_alloc(&batch, VD_DTYPE_F32, 4, shape, NULL), 0);
    vd_tf_image img;
    cr_assert_eq(vd_tf_image_from_tensor(&rgb, &img, NULL), 0);
    pthread_t th[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){ch, img, &batch, i, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(jobs[i].rc, 0);
        vd_tensor s = vd_tensor_slot(&batch, i), r0 = vd_tensor_slot(&ref, 0);
        cr_expect_eq(max_diff(&s, &r0, "threaded slot"), 0, "slot %d differs", i);
    }
    vd_tensor_free(&batch);
    vd_tensor_free(&ref);
    vd_tf_chain_free(&ch);
    vd_tensor_free(&rgb);
}

Test(transforms, chain_errors_are_clear)
{
    vd_tf_spec spec;
    vd_error e = {0};
    vd_tf_spec_default(&spec, 64, 64);
    cr_expect_eq(vd_tf_spec_set(&spec, "resize", "squash", &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "squash") && strstr(e.msg, "letterbox"), "%s", e.msg);
    cr_expect_eq(vd_tf_spec_set(&spec, "mean", "1,2", &e), VD_EINVAL);
    cr_expect_eq(vd_tf_spec_set(&spec, "input-size", "64", &e), VD_EINVAL);
    cr_expect_eq(vd_tf_spec_set(&spec, "colour", "rgb", &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "colour"), "%s", e.msg);
    spec.std[2] = 0;
    vd_tf_chain *ch = NULL;
    cr_expect_eq(vd_tf_chain_create(&ch, &spec, &e), VD_EINVAL);
    cr_expect_null(ch);
    spec.std[2] = 1;
    cr_assert_eq(vd_tf_chain_create(&ch, &spec, &e), 0);
    uint8_t px[12] = {0};
    vd_tf_image img = {px, 2, 2, 6, VD_PIX_RGB24};
    vd_tensor batch = {0};
    int64_t wrong[4] = {1, 3, 32, 64};
    cr_assert_eq(vd_tensor_alloc(&batch, VD_DTYPE_F32, 4, wrong, NULL), 0);
    cr_expect_eq(vd_tf_chain_run(ch, &img, &batch, 0, NULL, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "[1,3,32,64]"), "%s", e.msg);
    vd_tensor_free(&batch);
    int64_t ok[4] = {1, 3, 64, 64};
    cr_assert_eq(vd_tensor_alloc(&batch, VD_DTYPE_F32, 4, ok, NULL), 0);
    cr_expect_eq(vd_tf_chain_run(ch, &img, &batch, 1, NULL, &e), VD_ERANGE);
    img.linesize = 5;
    cr_expect_eq(vd_tf_chain_run(ch, &img, &batch, 0, NULL, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "linesize"), "%s", e.msg);
    char buf[256];
    vd_tf_spec_str(&spec, buf, sizeof buf);
    cr_expect(strstr(buf, "64x64 stretch bilinear nchw rgb 0-1"), "%s", buf);
    vd_tensor_free(&batch);
    vd_tf_chain_free(&ch);
}

Test(transforms, resize_u8_interleaved)
{
    vd_tensor src = load("messi_rgb"), ref = load("resize_u8_200x123"), cv = load("resize_u8_cv2_200x123");
    int W = (int)src.shape[1], H = (int)src.shape[0];
    uint8_t *out = malloc(200 * 123 * 3);
    vd_error e = {0};
    cr_assert_eq(vd_tf_resize_u8(src.data, W, H, W * 3, 3, out, 200, 123, 600, VD_INTERP_BILINEAR, 0, &e), 0, "%s", e.msg);
    int dmax = 0, dcv = 0;
    for (int i = 0; i < 200 * 123 * 3; i++) {
        dmax = fmax(dmax, abs(out[i] - ((uint8_t *)ref.data)[i]));
        dcv = fmax(dcv, abs(out[i] - ((uint8_t *)cv.data)[i]));
    }
    cr_expect_leq(dmax, 1, "vs float cv2 rounded: %d", dmax);
    cr_expect_leq(dcv, 1, "vs cv2's uint8 fixed point: %d", dcv);
    free(out);
    vd_tensor_free(&src);
    vd_tensor_free(&ref);
    vd_tensor_free(&cv);
}
