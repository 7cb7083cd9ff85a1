/* test_ops.c -- vision/box against hand-worked values and the independent
 * numpy implementations in tests/vision_ref/ops_ref.py (torchvision.ops
 * semantics: box_iou, nms, batched_nms, roi_align). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/once.h"
#include "vision/core/npy.h"
#include "vision/box/box.h"

#define REF_DIR VD_BINARY_DIR "/tests/vision_ref/ops"
#define REF_SCRIPT VD_SOURCE_DIR "/tests/vision_ref/ops_ref.py"

static vd_tensor load(const char *name)
{
    cr_assert_eq(vd_test_script_once(REF_DIR, REF_SCRIPT, "'" REF_DIR "'"), 0,
                 "reference script %s failed", REF_SCRIPT);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.npy", REF_DIR, name);
    vd_tensor t = {0};
    vd_error e = {0};
    cr_assert_eq(vd_npy_read(path, &t, &e), 0, "%s", e.msg);
    return t;
}

Test(ops, iou_hand_worked)
{
    vd_box a = {0, 0, 10, 10}, b = {5, 5, 15, 15}, c = {10, 0, 20, 10}, d = {2, 2, 4, 4};
    cr_expect_float_eq(vd_box_iou(&a, &b), 25.0f / 175.0f, 1e-7);
    cr_expect_eq(vd_box_iou(&a, &c), 0.0f, "touching boxes do not overlap");
    cr_expect_float_eq(vd_box_iou(&a, &d), 4.0f / 100.0f, 1e-7);
    cr_expect_float_eq(vd_box_iou(&a, &a), 1.0f, 1e-7);
    vd_box z = {3, 3, 3, 3};
    cr_expect_eq(vd_box_iou(&z, &z), 0.0f, "empty boxes: IoU 0, not NaN");
    cr_expect_float_eq(vd_box_area(&b), 100.0f, 0);
}

Test(ops, iou_matrix_matches_numpy)
{
    vd_tensor boxes = load("boxes"), ref = load("iou");
    const vd_box *bx = boxes.data;
    float *out = malloc(sizeof(float) * 50 * 40);
    vd_box_iou_matrix(bx, 50, bx + 50, 40, out);
    for (int i = 0; i < 50 * 40; i++)
        cr_assert_float_eq(out[i], ((float *)ref.data)[i], 1e-6, "iou[%d]", i);
    free(out);
    vd_tensor_free(&boxes);
    vd_tensor_free(&ref);
}

static void check_keep(const char *name, const int *keep, int n)
{
    vd_tensor ref = load(name);
    const int64_t *r = ref.data;
    cr_assert_eq(n, ref.shape[0], "%s: kept %d boxes, numpy kept %lld", name, n, (long long)ref.shape[0]);
    for (int i = 0; i < n; i++)
        cr_assert_eq(keep[i], r[i], "%s: keep[%d] = %d, numpy %lld", name, i, keep[i], (long long)r[i]);
    vd_tensor_free(&ref);
}

Test(ops, nms_and_batched_nms_match_numpy)
{
    vd_tensor boxes = load("boxes"), scores = load("scores"), classes = load("classes");
    int n = (int)boxes.shape[0], keep[256], nk;
    float thr[3] = {0.3f, 0.5f, 0.7f};
    vd_error e = {0};
    for (int t = 0; t < 3; t++) {
        char name[32];
        cr_assert_eq(vd_nms(boxes.data, scores.data, n, thr[t], keep, &nk, &e), 0, "%s", e.msg);
        snprintf(name, sizeof name, "nms_%g", thr[t]);
        check_keep(name, keep, nk);
        cr_expect_lt(nk, n, "NMS suppressed nothing at %g: test data too sparse", thr[t]);
        cr_assert_eq(vd_nms_batched(boxes.data, scores.data, classes.data, n, thr[t], keep, &nk, &e), 0);
        snprintf(name, sizeof name, "bnms_%g", thr[t]);
        check_keep(name, keep, nk);
    }
    vd_tensor_free(&boxes);
    vd_tensor_free(&scores);
    vd_tensor_free(&classes);
}

Test(ops, nms_hand_worked_ties_and_threshold)
{
    /* b overlaps a with IoU exactly 0.5: kept at threshold 0.5 (strict >),
     * dropped at 0.49. Equal scores keep input order. */
    vd_box bx[3] = {{0, 0, 10, 10}, {0, 0, 10, 20}, {100, 100, 110, 110}};
    float sc[3] = {0.9f, 0.9f, 0.1f};
    int keep[3], nk;
    cr_assert_eq(vd_nms(bx, sc, 3, 0.5f, keep, &nk, NULL), 0);
    cr_expect_eq(nk, 3);
    cr_expect(keep[0] == 0 && keep[1] == 1 && keep[2] == 2);
    cr_assert_eq(vd_nms(bx, sc, 3, 0.49f, keep, &nk, NULL), 0);
    cr_expect_eq(nk, 2);
    cr_expect(keep[0] == 0 && keep[1] == 2);
    int cls[3] = {1, 2, 1};
    cr_assert_eq(vd_nms_batched(bx, sc, cls, 3, 0.3f, keep, &nk, NULL), 0);
    cr_expect_eq(nk, 3, "different classes never suppress each other");
    cr_assert_eq(vd_nms(bx, sc, 0, 0.5f, keep, &nk, NULL), 0);
    cr_expect_eq(nk, 0);
}

/* The sweep reading records in place (the way detections and the ONNX
 * kernel use it) keeps what batched NMS on plain arrays keeps, and
 * max_keep cuts the visiting order short: the numpy reference's data. */
Test(ops, nms_view_over_records_and_max_keep)
{
    vd_tensor boxes = load("boxes"), scores = load("scores"), classes = load("classes");
    int n = (int)boxes.shape[0], keep[256], nk, idx[256];
    cr_assert_leq(n, 256);
    struct rec {
        char pad[3];
        int cls;
        vd_box box;
        float score;
    } *r = calloc((size_t)n, sizeof *r);
    for (int i = 0; i < n; i++)
        r[i] = (struct rec){.cls = ((int *)classes.data)[i], .box = ((vd_box *)boxes.data)[i],
                            .score = ((float *)scores.data)[i]};
    vd_nms_view v = {&r->box, &r->score, &r->cls, sizeof *r, sizeof *r, sizeof *r};
    cr_assert_eq(vd_nms_batched(boxes.data, scores.data, classes.data, n, 0.5f, keep, &nk, NULL),
                 0);
    for (int i = 0; i < n; i++)
        idx[i] = i;
    vd_nms_order(&v, idx, n);
    cr_assert_eq(vd_nms_sweep(&v, idx, n, 0.5f, n), nk);
    cr_assert_arr_eq(idx, keep, (size_t)nk * sizeof *idx);
    for (int i = 0; i < n; i++)
        idx[i] = i;
    vd_nms_order(&v, idx, n);
    cr_assert_eq(vd_nms_sweep(&v, idx, n, 0.5f, 3), 3, "max_keep 3");
    cr_assert_arr_eq(idx, keep, 3 * sizeof *idx, "the first three of the full result");
    cr_assert_eq(vd_nms_sweep(&v, idx, n, 0.5f, 0), 0, "max_keep 0 keeps none");
    free(r);
    vd_tensor_free(&boxes);
    vd_tensor_free(&scores);
    vd_tensor_free(&classes);
}

/* NaN scores are visited last, in index order; numbers by score, ties by index. */
Test(ops, nms_order_nan_last)
{
    vd_box bx[5] = {{0, 0, 1, 1}, {2, 2, 3, 3}, {4, 4, 5, 5}, {6, 6, 7, 7}, {8, 8, 9, 9}};
    float sc[5] = {NAN, 0.2f, NAN, 0.7f, 0.2f};
    int keep[5], nk;
    cr_assert_eq(vd_nms(bx, sc, 5, 0.5f, keep, &nk, NULL), 0);
    cr_assert_eq(nk, 5, "disjoint boxes all stay");
    const int want[5] = {3, 1, 4, 0, 2};
    cr_assert_arr_eq(keep, want, sizeof want);
}

Test(ops, convert_clip_remove_small)
{
    float b[8] = {10, 20, 30, 60, 0, 0, 1, 1};
    vd_box_convert(b, 2, VD_BOX_XYXY, VD_BOX_CXCYWH);
    cr_expect(b[0] == 20 && b[1] == 40 && b[2] == 20 && b[3] == 40);
    vd_box_convert(b, 2, VD_BOX_CXCYWH, VD_BOX_XYWH);
    cr_expect(b[0] == 10 && b[1] == 20 && b[2] == 20 && b[3] == 40);
    vd_box_convert(b, 2, VD_BOX_XYWH, VD_BOX_XYXY);
    cr_expect(b[0] == 10 && b[1] == 20 && b[2] == 30 && b[3] == 60 && b[6] == 1);
    vd_box bx[3] = {{-5, -5, 50, 700}, {10, 10, 12, 30}, {600, 5, 700, 50}};
    vd_box_clip(bx, 3, 640, 480);
    cr_expect(bx[0].x1 == 0 && bx[0].y1 == 0 && bx[0].y2 == 480);
    cr_expect(bx[2].x1 == 600 && bx[2].x2 == 640);
    int keep[3];
    int k = vd_box_remove_small(bx, 3, 3, keep);
    cr_expect_eq(k, 2);
    cr_expect(keep[0] == 0 && keep[1] == 2);
    cr_expect_str_eq(vd_box_fmt_name(VD_BOX_CXCYWH), "cxcywh");
}

Test(ops, unmap_through_letterbox_and_stretch)
{
    /* 1280x720 into 640x640 letterbox: r = 0.5, content 640x360, pad_y 140. */
    vd_tf_spec spec;
    vd_tf_geom g;
    vd_tf_spec_default(&spec, 640, 640);
    spec.resize = VD_TF_LETTERBOX;
    cr_assert_eq(vd_tf_geom_compute(&spec, 1280, 720, &g, NULL), 0);
    cr_expect(g.content_w == 640 && g.content_h == 360 && g.pad_x == 0 && g.pad_y == 140);
    vd_box b = {100, 150, 300, 400};
    vd_box_unmap(&b, 1, &g);
    cr_expect_float_eq(b.x1, 200, 1e-4);
    cr_expect_float_eq(b.y1, 20, 1e-4);
    cr_expect_float_eq(b.x2, 600, 1e-4);
    cr_expect_float_eq(b.y2, 520, 1e-4);
    vd_box_map(&b, 1, &g);
    cr_expect_float_eq(b.y1, 150, 1e-4);
    vd_box out = {0, 0, 640, 640}; /* the whole input, padding included, clips to the frame */
    vd_box_unmap(&out, 1, &g);
    cr_expect(out.x1 == 0 && out.y1 == 0 && out.x2 == 1280 && out.y2 == 720);
    spec.resize = VD_TF_STRETCH;
    cr_assert_eq(vd_tf_geom_compute(&spec, 320, 240, &g, NULL), 0);
    vd_box s = {64, 64, 128, 128};
    vd_box_unmap(&s, 1, &g);
    cr_expect_float_eq(s.x1, 32, 1e-4);
    cr_expect_float_eq(s.y1, 24, 1e-4);
    cr_expect_float_eq(s.y2, 48, 1e-4);
}

Test(ops, roi_align_matches_numpy)
{
    vd_tensor in = load("roi_input"), rois = load("rois");
    struct { int oh, ow; float scale; int ratio, aligned; } cases[] = {
        {3, 4, 1.0f, 2, 0}, {3, 4, 1.0f, 2, 1}, {5, 5, 1.0f, -1, 0}, {5, 5, 1.0f, -1, 1}, {2, 3, 0.25f, 0, 1}};
    vd_error e = {0};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char name[64];
        snprintf(name, sizeof name, "roi_%d_%d_%g_%d_%d", cases[c].oh, cases[c].ow, cases[c].scale,
                 cases[c].ratio, cases[c].aligned);
        vd_tensor ref = load(name), out = {0};
        cr_assert_eq(vd_roi_align(&in, rois.data, (int)rois.shape[0], cases[c].oh, cases[c].ow,
                                  cases[c].scale, cases[c].ratio, cases[c].aligned, &out, &e), 0, "%s", e.msg);
        cr_assert(vd_tensor_same_shape(&out, &ref), "%s shape", name);
        for (int64_t i = 0; i < vd_tensor_numel(&out); i++)
            cr_assert_float_eq(((float *)out.data)[i], ((float *)ref.data)[i], 1e-5, "%s[%lld]", name, (long long)i);
        vd_tensor_free(&out);
        vd_tensor_free(&ref);
    }
    float bad[5] = {2, 0, 0, 4, 4};
    vd_tensor out = {0};
    cr_expect_eq(vd_roi_align(&in, bad, 1, 2, 2, 1, 2, 1, &out, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "batch index 2"), "%s", e.msg);
    vd_tensor_free(&in);
    vd_tensor_free(&rois);
}

/* Worked by hand: a 1x1x2x2 input [[0,1],[2,3]], one roi covering the whole
 * map with aligned=1: box (0,0)-(2,2) -> (-0.5,-0.5)-(1.5,1.5), one 1x1 bin,
 * 2x2 samples at (0,0),(0,1),(1,0),(1,1) -> mean 1.5. */
Test(ops, roi_align_hand_worked)
{
    float px[4] = {0, 1, 2, 3}, roi[5] = {0, 0, 0, 2, 2};
    int64_t sh[4] = {1, 1, 2, 2};
    vd_tensor in, out = {0};
    vd_tensor_view(&in, VD_DTYPE_F32, 4, sh, px);
    cr_assert_eq(vd_roi_align(&in, roi, 1, 1, 1, 1.0f, 2, 1, &out, NULL), 0);
    cr_expect_float_eq(((float *)out.data)[0], 1.5f, 1e-6);
    vd_tensor_free(&out);
}
