/* test_detect.c -- the output adapters on hand-built output tensors whose
 * decoded boxes were worked out by hand (letterbox 1280x720 -> 640x640:
 * scale 0.5, 140 px bands top and bottom), class-wise NMS, filters, zones
 * with their edge rule, the SSD anchor layout of BlazeFace and MediaPipe's
 * weighted NMS, and the kind guess. Real models on real images are checked
 * in tests/detect.cmake. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "vision/detect/detect.h"

/* source 1280x720 letterboxed into 640x640 */
static const vd_tf_geom LB = {.src_w = 1280, .src_h = 720, .dst_w = 640, .dst_h = 640,
                              .content_w = 640, .content_h = 360, .scale_x = 0.5f,
                              .scale_y = 0.5f, .pad_x = 0, .pad_y = 140};

static vd_labels coco;

static void setup(void) { cr_assert_eq(vd_labels_load(&coco, "coco80", NULL), 0); }
static void teardown(void) { vd_labels_free(&coco); }

static vd_detector *make(vd_det_kind kind, vd_detector_opts *o)
{
    o->kind = kind;
    if (!o->input_w)
        o->input_w = o->input_h = 640;
    vd_detector *d;
    vd_error e;
    int rc = vd_detector_create(&d, o, &coco, &e);
    cr_assert_eq(rc, 0, "%s", e.msg);
    return d;
}

static void assert_box(const vd_detection *x, const char *name, float score, float x1, float y1,
                       float x2, float y2)
{
    cr_assert_str_eq(x->name, name);
    cr_assert_float_eq(x->score, score, 1e-5, "%s score %g want %g", name, x->score, score);
    const float w[4] = {x1, y1, x2, y2};
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(x->box[i], w[i], 1e-3, "%s box[%d] = %g, want %g", name, i, x->box[i],
                           w[i]);
}

/* Five candidate boxes (cx,cy,w,h in input px), class, score. */
static const float CAND[5][6] = {
    {320, 320, 100, 50, 0, 0.9f},  /* person -> src [540,310,740,410] */
    {325, 320, 100, 50, 0, 0.8f},  /* person, IoU 0.905 with the first: suppressed */
    {320, 320, 100, 50, 2, 0.7f},  /* car, same place: kept (class-wise NMS) */
    {100, 200, 20, 20, 0, 0.1f},   /* below the 0.25 threshold */
    {600, 160, 40, 40, 15, 0.6f},  /* cat -> src [1160,0,1240,80] (clipped at y 0) */
};

static void fill_v8(vd_tensor *t)
{
    int64_t shape[3] = {1, 84, 5};
    cr_assert_eq(vd_tensor_alloc(t, VD_DTYPE_F32, 3, shape, NULL), 0);
    float *p = t->data;
    for (int n = 0; n < 5; n++) {
        for (int k = 0; k < 4; k++)
            p[k * 5 + n] = CAND[n][k];
        p[(4 + (int)CAND[n][4]) * 5 + n] = CAND[n][5];
        p[(4 + 50) * 5 + n] = 0.05f; /* a low score for another class */
    }
}

static void expect_all(const vd_det_list *l)
{
    cr_assert_eq(l->count, 3, "got %d detections", l->count);
    assert_box(&l->items[0], "person", 0.9f, 540, 310, 740, 410);
    assert_box(&l->items[1], "car", 0.7f, 540, 310, 740, 410);
    assert_box(&l->items[2], "cat", 0.6f, 1160, 0, 1240, 80);
}

Test(detect, yolov8_letterbox_nms_classwise, .init = setup, .fini = teardown)
{
    vd_tensor t;
    fill_v8(&t);
    vd_detector_opts o = {.threshold = -1, .iou = -1};
    vd_detector *d = make(VD_DET_YOLOV8, &o);
    vd_det_list l = {0};
    vd_error e;
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, &e), 0, "%s", e.msg);
    expect_all(&l);
    vd_detector_free(&d);
    cr_assert_null(d);

    /* class filter, max detections, per-label area filter */
    const char *keep[] = {"person", "cat"};
    o = (vd_detector_opts){.threshold = -1, .iou = -1, .classes = keep, .n_classes = 2};
    d = make(VD_DET_YOLOV8, &o);
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, NULL), 0);
    cr_assert_eq(l.count, 2);
    cr_assert_str_eq(l.items[1].name, "cat");
    vd_detector_free(&d);
    o = (vd_detector_opts){.threshold = -1, .iou = -1, .max_detections = 1};
    d = make(VD_DET_YOLOV8, &o);
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, NULL), 0);
    cr_assert_eq(l.count, 1);
    vd_detector_free(&d);
    vd_det_filter f[2] = {{.label = "cat", .min_area = 80 * 80 + 1},
                          {.label = "*", .max_aspect = 1.5f}};
    o = (vd_detector_opts){.threshold = -1, .iou = -1, .filters = f, .n_filters = 2};
    d = make(VD_DET_YOLOV8, &o);
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, NULL), 0);
    cr_assert_eq(l.count, 0, "cat too small, person/car aspect 2 > 1.5: %d left", l.count);
    vd_detector_free(&d);

    /* NMS off keeps the overlapping person */
    o = (vd_detector_opts){.threshold = -1, .iou = 0};
    d = make(VD_DET_YOLOV8, &o);
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, NULL), 0);
    cr_assert_eq(l.count, 4);
    vd_detector_free(&d);
    vd_det_list_free(&l);
    vd_tensor_free(&t);
}

Test(detect, yolov5_objectness_times_class, .init = setup, .fini = teardown)
{
    vd_tensor t;
    int64_t shape[3] = {2, 5, 85}; /* batch 2: decode item 1 */
    cr_assert_eq(vd_tensor_alloc(&t, VD_DTYPE_F32, 3, shape, NULL), 0);
    float *p = (float *)t.data + 5 * 85;
    for (int n = 0; n < 5; n++) {
        float *r = p + n * 85;
        memcpy(r, CAND[n], 4 * sizeof(float));
        r[4] = 1.0f;
        r[5 + (int)CAND[n][4]] = CAND[n][5];
    }
    p[4] = 0.5f;
    p[5] = 1.8f; /* 0.5 * 1.8 = 0.9 */
    vd_detector_opts o = {.threshold = -1, .iou = -1};
    vd_detector *d = make(VD_DET_YOLOV5, &o);
    vd_det_list l = {0};
    cr_assert_eq(vd_detector_decode(d, &t, 1, 1, &LB, &l, NULL), 0);
    expect_all(&l);
    vd_error e;
    cr_assert_eq(vd_detector_decode(d, &t, 1, 2, &LB, &l, &e), VD_ERANGE);
    cr_assert_eq(l.count, 0);
    vd_detector_free(&d);
    vd_det_list_free(&l);
    vd_tensor_free(&t);
}

Test(detect, centernet_and_torchvision, .init = setup, .fini = teardown)
{
    vd_tensor t;
    int64_t shape[3] = {1, 3, 6};
    cr_assert_eq(vd_tensor_alloc(&t, VD_DTYPE_F32, 3, shape, NULL), 0);
    float rows[3][6] = {{270, 295, 370, 345, 0.9f, 0}, {0, 0, 10, 10, 0.2f, 1},
                        {580, 140, 620, 180, 0.6f, 15}};
    memcpy(t.data, rows, sizeof rows);
    vd_detector_opts o = {.threshold = -1, .iou = -1};
    vd_detector *d = make(VD_DET_CENTERNET, &o);
    vd_det_list l = {0};
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, NULL), 0);
    cr_assert_eq(l.count, 2);
    assert_box(&l.items[0], "person", 0.9f, 540, 310, 740, 410);
    assert_box(&l.items[1], "cat", 0.6f, 1160, 0, 1240, 80);
    vd_detector_free(&d);
    vd_tensor_free(&t);

    /* torchvision: outputs in any order, int64 labels */
    vd_tensor out[3];
    int64_t sb[2] = {2, 4}, sn[1] = {2};
    vd_tensor_alloc(&out[0], VD_DTYPE_F32, 1, sn, NULL);
    vd_tensor_alloc(&out[1], VD_DTYPE_F32, 2, sb, NULL);
    vd_tensor_alloc(&out[2], VD_DTYPE_I64, 1, sn, NULL);
    float sc[2] = {0.3f, 0.95f}, bx[8] = {0, 150, 10, 160, 270, 295, 370, 345};
    int64_t lab[2] = {2, 0};
    memcpy(out[0].data, sc, sizeof sc);
    memcpy(out[1].data, bx, sizeof bx);
    memcpy(out[2].data, lab, sizeof lab);
    d = make(VD_DET_TORCHVISION, &o);
    cr_assert_eq(vd_detector_decode(d, out, 3, 0, &LB, &l, NULL), 0);
    cr_assert_eq(l.count, 2);
    assert_box(&l.items[0], "person", 0.95f, 540, 310, 740, 410);
    cr_assert_str_eq(l.items[1].name, "car");
    vd_error e;
    cr_assert_eq(vd_detector_decode(d, out, 2, 0, &LB, &l, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "boxes"), "%s", e.msg);
    cr_assert_eq(vd_detector_decode(d, out, 3, 1, &LB, &l, &e), VD_ERANGE, "no batch item 1");
    vd_detector_free(&d);
    for (int i = 0; i < 3; i++)
        vd_tensor_free(&out[i]);
    vd_det_list_free(&l);
}

Test(detect, classify_softmax_top_k, .init = setup, .fini = teardown)
{
    vd_tensor t;
    int64_t shape[2] = {1, 5};
    vd_tensor_alloc(&t, VD_DTYPE_F32, 2, shape, NULL);
    float logits[5] = {1, 2, 3, 0, 0};
    memcpy(t.data, logits, sizeof logits);
    vd_detector_opts o = {.threshold = 0.1f, .iou = -1, .top_k = 3};
    vd_detector *d = make(VD_DET_CLASSIFY, &o);
    vd_det_list l = {0};
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, NULL), 0);
    double z = exp(1) + exp(2) + exp(3) + 2;
    cr_assert_eq(l.count, 2, "third class p=%g is under 0.1", exp(1) / z);
    assert_box(&l.items[0], "car", (float)(exp(3) / z), 0, 0, 1280, 720);
    assert_box(&l.items[1], "bicycle", (float)(exp(2) / z), 0, 0, 1280, 720);
    cr_assert_float_eq(((float *)t.data)[2], 3.0f, 0, "the output tensor is left alone");
    vd_detector_free(&d);
    vd_det_list_free(&l);
    vd_tensor_free(&t);
}

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

Test(detect, ssd_blazeface_anchors_and_weighted_nms)
{
    vd_labels face = {0};
    cr_assert_eq(vd_labels_load(&face, VD_SOURCE_DIR "/config/labels/face.txt", NULL), 0);
    vd_detector_opts o = {.kind = VD_DET_SSD, .input_w = 128, .input_h = 128,
                          .threshold = 0.5f, .iou = 0.3f};
    vd_detector *d;
    vd_error e;
    cr_assert_eq(vd_detector_create(&d, &o, &face, &e), 0, "%s", e.msg);
    /* outputs as in face_detection_front_128x128_barracuda.onnx */
    vd_tensor out[4];
    int64_t s0[3] = {1, 512, 1}, s1[3] = {1, 384, 1}, s2[3] = {1, 512, 16}, s3[3] = {1, 384, 16};
    vd_tensor_alloc(&out[0], VD_DTYPE_F32, 3, s0, NULL);
    vd_tensor_alloc(&out[1], VD_DTYPE_F32, 3, s1, NULL);
    vd_tensor_alloc(&out[2], VD_DTYPE_F32, 3, s2, NULL);
    vd_tensor_alloc(&out[3], VD_DTYPE_F32, 3, s3, NULL);
    for (int i = 0; i < 512; i++)
        ((float *)out[0].data)[i] = -10;
    for (int i = 0; i < 384; i++)
        ((float *)out[1].data)[i] = -10;
    /* 8x8 grid, 6 anchors per cell: cell (x=5, y=2), anchors 0 and 1
     * -> anchor centre ((5+.5)/8, (2+.5)/8) * 128 = (88, 40) */
    int a0 = (2 * 8 + 5) * 6, a1 = a0 + 1;
    ((float *)out[1].data)[a0] = 2.0f;
    ((float *)out[1].data)[a1] = 1.0f;
    float r0[16] = {3, -2, 20, 30, -5, -4, 5, -4, 0, 0, 0, 6, -9, 0, 9, 0};
    float r1[16] = {5, -2, 24, 30, -5, -4, 5, -4, 0, 0, 0, 6, -9, 0, 9, 0};
    memcpy((float *)out[3].data + a0 * 16, r0, sizeof r0);
    memcpy((float *)out[3].data + a1 * 16, r1, sizeof r1);
    /* a lone weak face on the 16x16 grid, cell (0,0) anchor 1: below threshold */
    ((float *)out[0].data)[1] = -0.5f;
    /* stretch 640x480 -> 128x128 */
    vd_tf_geom g = {.src_w = 640, .src_h = 480, .dst_w = 128, .dst_h = 128, .content_w = 128,
                    .content_h = 128, .scale_x = 0.2f, .scale_y = 128.0f / 480};
    vd_det_list l = {0};
    cr_assert_eq(vd_detector_decode(d, out, 4, 0, &g, &l, &e), 0, "%s", e.msg);
    cr_assert_eq(l.count, 1, "the two overlapping candidates (IoU %g) merge", 0.0);
    float w0 = sigmoidf(2), w1 = sigmoidf(1);
    /* box 0 in input px: [81,23,101,53]; box 1: [81,23,105,53] */
    float x2 = (101 * w0 + 105 * w1) / (w0 + w1);
    const vd_detection *x = &l.items[0];
    assert_box(x, "face", w0, 81 / 0.2f, 23 * 480 / 128.0f, x2 / 0.2f, 53 * 480 / 128.0f);
    cr_assert_eq(x->n_keypoints, 6);
    /* right eye keypoint (-5,-4) from the anchor: (83,36) input px */
    cr_assert_float_eq(x->keypoints[0][0], 83 / 0.2f, 1e-2);
    cr_assert_float_eq(x->keypoints[0][1], 36 * 480 / 128.0f, 1e-2);
    vd_detector_free(&d);

    /* plain NMS instead: the best candidate survives as it is, unblended */
    o.ssd.plain_nms = 1;
    cr_assert_eq(vd_detector_create(&d, &o, &face, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_detector_decode(d, out, 4, 0, &g, &l, &e), 0, "%s", e.msg);
    cr_assert_eq(l.count, 1, "IoU 600/720 > 0.3: the weaker one is suppressed");
    assert_box(&l.items[0], "face", w0, 81 / 0.2f, 23 * 480 / 128.0f, 101 / 0.2f,
               53 * 480 / 128.0f);
    cr_assert_float_eq(l.items[0].keypoints[0][0], 83 / 0.2f, 1e-2);
    vd_detector_free(&d);
    o.ssd.plain_nms = 0;

    /* the back model's anchors (256 input: strides 16,32,32,32) are 896 too */
    o.input_w = o.input_h = 256;
    cr_assert_eq(vd_detector_create(&d, &o, &face, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_detector_decode(d, out, 4, 0, &g, &l, &e), 0, "%s", e.msg);
    vd_detector_free(&d);
    /* wrong anchor options are reported, not misread */
    o.ssd = (vd_ssd_opts){.n_strides = 2, .strides = {8, 16}};
    o.input_w = o.input_h = 128;
    cr_assert_eq(vd_detector_create(&d, &o, &face, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_detector_decode(d, out, 4, 0, &g, &l, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "anchor"), "%s", e.msg);
    vd_detector_free(&d);
    for (int i = 0; i < 4; i++)
        vd_tensor_free(&out[i]);
    vd_det_list_free(&l);
    vd_labels_free(&face);
}

Test(detect, zones_bottom_centre_and_edges, .init = setup, .fini = teardown)
{
    vd_zone z[2];
    vd_error e;
    cr_assert_eq(vd_zone_parse(&z[0], "left:0,0,0.5,0,0.5,1,0,1", &e), 0, "%s", e.msg);
    cr_assert_eq(vd_zone_parse(&z[1], "right:0.5,0,1,0,1,1,0.5,1", &e), 0, "%s", e.msg);
    cr_assert_eq(z[0].n, 4);
    cr_assert_str_eq(z[1].name, "right");
    /* shared edge x = 0.5: claimed by exactly one zone (the one to its right) */
    cr_assert(!vd_zone_contains(&z[0], 0.5f, 0.5f));
    cr_assert(vd_zone_contains(&z[1], 0.5f, 0.5f));
    cr_assert(vd_zone_contains(&z[0], 0.0f, 0.0f), "left/top edges are in");
    cr_assert(!vd_zone_contains(&z[0], 0.25f, 1.0f), "bottom edge is out");
    /* triangle */
    vd_zone tri;
    cr_assert_eq(vd_zone_parse(&tri, "t:0.1,0.1,0.9,0.1,0.1,0.9", NULL), 0);
    cr_assert(vd_zone_contains(&tri, 0.3f, 0.3f));
    cr_assert(!vd_zone_contains(&tri, 0.7f, 0.7f));
    cr_assert_eq(vd_zone_parse(&tri, "t:0.1,0.1,0.9", &e), VD_EINVAL);
    cr_assert_eq(vd_zone_parse(&tri, "t:0.1,0.1,0.9,1.5,0,0", &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "[0,1]"), "%s", e.msg);
    cr_assert_eq(vd_zone_parse(&tri, "0.1,0.1,0.9,0.1,0,0", &e), VD_EINVAL);

    /* a person whose box straddles x = 640 of 1280 but stands (bottom centre) at x 700 */
    vd_tensor t;
    fill_v8(&t);
    vd_detector_opts o = {.threshold = -1, .iou = -1, .zones = z, .n_zones = 2};
    vd_detector *d = make(VD_DET_YOLOV8, &o);
    vd_det_list l = {0};
    cr_assert_eq(vd_detector_decode(d, &t, 1, 0, &LB, &l, NULL), 0);
    cr_assert_eq(l.items[0].zones, 2u, "person at (640,410) -> 'right' only (edge rule)");
    cr_assert_eq(l.items[2].zones, 2u, "cat at (1200,80)");
    cr_assert_str_eq(vd_detector_zone_name(d, 1), "right");
    vd_detector_free(&d);
    vd_det_list_free(&l);
    vd_tensor_free(&t);
}

Test(detect, kind_guess_and_errors)
{
    int nd1[1] = {3};
    int64_t v8[1][VD_TENSOR_MAX_DIMS] = {{1, 84, 8400}}, v5[1][VD_TENSOR_MAX_DIMS] = {{1, 25200, 85}};
    int64_t c6[1][VD_TENSOR_MAX_DIMS] = {{1, 100, 6}}, cl[1][VD_TENSOR_MAX_DIMS] = {{1, 1000}};
    vd_dtype f1[4] = {VD_DTYPE_F32, VD_DTYPE_F32, VD_DTYPE_F32, VD_DTYPE_F32};
    vd_det_kind k;
    vd_error e;
    cr_assert_eq(vd_det_kind_guess(1, nd1, v8, f1, 80, &k, NULL), 0);
    cr_assert_eq(k, VD_DET_YOLOV8);
    cr_assert_eq(vd_det_kind_guess(1, nd1, v5, f1, 0, &k, NULL), 0);
    cr_assert_eq(k, VD_DET_YOLOV5);
    /* [1,100,6] is yolov5 with 1 class or centernet: ambiguous without labels */
    cr_assert_eq(vd_det_kind_guess(1, nd1, c6, f1, 0, &k, &e), VD_EINVAL);
    /* the message names the kinds that fit; a library names no CLI flag */
    cr_assert(strstr(e.msg, "yolov5") && strstr(e.msg, "centernet"), "%s", e.msg);
    cr_assert(!strstr(e.msg, "--"), "%s", e.msg);
    int64_t odd[1][VD_TENSOR_MAX_DIMS] = {{1, 7, 7}};
    cr_assert_eq(vd_det_kind_guess(1, nd1, odd, f1, 0, &k, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "[1,7,7]") && strstr(e.msg, "no known layout"), "%s", e.msg);
    cr_assert_eq(vd_det_kind_guess(1, nd1, c6, f1, 80, &k, NULL), 0);
    cr_assert_eq(k, VD_DET_CENTERNET);
    int nd2[1] = {2};
    cr_assert_eq(vd_det_kind_guess(1, nd2, cl, f1, 0, &k, NULL), 0);
    cr_assert_eq(k, VD_DET_CLASSIFY);
    int nd4[4] = {3, 3, 3, 3};
    int64_t bf[4][VD_TENSOR_MAX_DIMS] = {{1, 512, 1}, {1, 384, 1}, {1, 512, 16}, {1, 384, 16}};
    cr_assert_eq(vd_det_kind_guess(4, nd4, bf, f1, 0, &k, NULL), 0);
    cr_assert_eq(k, VD_DET_SSD);
    int ndt[3] = {2, 1, 1};
    int64_t tv[3][VD_TENSOR_MAX_DIMS] = {{-1, 4}, {-1}, {-1}};
    vd_dtype dt[3] = {VD_DTYPE_F32, VD_DTYPE_I64, VD_DTYPE_F32};
    cr_assert_eq(vd_det_kind_guess(3, ndt, tv, dt, 91, &k, NULL), 0);
    cr_assert_eq(k, VD_DET_TORCHVISION);

    cr_assert_str_eq(vd_det_kind_name(VD_DET_TORCHVISION), "torchvision");
    cr_assert_str_eq(vd_det_kind_name(VD_DET_AUTO), "auto");
    cr_assert_eq(vd_det_kind_parse("yolo11", &k, NULL), 0);
    cr_assert_eq(k, VD_DET_YOLOV8);
    cr_assert_eq(vd_det_kind_parse("yolox", &k, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "yolox"), "%s", e.msg);

    /* a class name the labels do not have */
    vd_labels coco80;
    vd_labels_load(&coco80, "coco80", NULL);
    const char *cls[] = {"person", "unicorn"};
    vd_detector_opts o = {.kind = VD_DET_YOLOV8, .input_w = 640, .input_h = 640,
                          .classes = cls, .n_classes = 2};
    vd_detector *d;
    cr_assert_eq(vd_detector_create(&d, &o, &coco80, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "unicorn"), "%s", e.msg);
    cr_assert_null(d);
    vd_labels_free(&coco80);
}

/* Picking a model's detection output among several: which tensor fits a
 * kind's layout (a YOLOv8-seg export has [1,116,8400] boxes and
 * [1,32,160,160] mask prototypes; BlazeFace has score and regressor
 * outputs; torchvision's three outputs have dynamic N). */
Test(detect, kind_accepts_one_output)
{
    const int64_t seg[3] = {1, 116, 8400}, proto[4] = {1, 32, 160, 160}, v5[3] = {1, 25200, 85};
    cr_assert(vd_det_kind_accepts(VD_DET_YOLOV8, 3, seg, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts(VD_DET_YOLOV8, 4, proto, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts(VD_DET_YOLOV8, 3, seg, VD_DTYPE_I64), "dtype is judged");
    const int64_t thin[3] = {1, 4, 8400}, dyn[3] = {-1, -1, -1};
    cr_assert(!vd_det_kind_accepts(VD_DET_YOLOV8, 3, thin, VD_DTYPE_F32), "4 rows: no class");
    cr_assert(vd_det_kind_accepts(VD_DET_YOLOV8, 3, dyn, VD_DTYPE_F32), "unknown dims fit");
    cr_assert(vd_det_kind_accepts(VD_DET_YOLOV5, 3, v5, VD_DTYPE_F32));
    const int64_t five[3] = {1, 25200, 5};
    cr_assert(!vd_det_kind_accepts(VD_DET_YOLOV5, 3, five, VD_DTYPE_F32));

    const int64_t score[3] = {1, 896, 1}, reg[3] = {1, 896, 16}, odd[3] = {1, 896, 3};
    cr_assert(vd_det_kind_accepts(VD_DET_SSD, 3, score, VD_DTYPE_F32));
    cr_assert(vd_det_kind_accepts(VD_DET_SSD, 3, reg, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts(VD_DET_SSD, 3, odd, VD_DTYPE_F32));

    const int64_t boxes[2] = {-1, 4}, n[1] = {-1}, wide[2] = {-1, 5};
    cr_assert(vd_det_kind_accepts(VD_DET_TORCHVISION, 2, boxes, VD_DTYPE_F32));
    cr_assert(vd_det_kind_accepts(VD_DET_TORCHVISION, 1, n, VD_DTYPE_I64));
    cr_assert(vd_det_kind_accepts(VD_DET_TORCHVISION, 1, n, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts(VD_DET_TORCHVISION, 2, wide, VD_DTYPE_F32));

    const int64_t c6[3] = {1, 300, 6}, c7[3] = {1, 300, 7}, cls[2] = {1, 1000};
    cr_assert(vd_det_kind_accepts(VD_DET_CENTERNET, 3, c6, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts(VD_DET_CENTERNET, 3, c7, VD_DTYPE_F32));
    cr_assert(vd_det_kind_accepts(VD_DET_CLASSIFY, 2, cls, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts(VD_DET_CLASSIFY, 3, c6, VD_DTYPE_F32));

    cr_assert(!vd_det_kind_accepts(VD_DET_AUTO, 3, seg, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts((vd_det_kind)99, 3, seg, VD_DTYPE_F32));
    cr_assert(!vd_det_kind_accepts(VD_DET_YOLOV8, VD_TENSOR_MAX_DIMS + 1, seg, VD_DTYPE_F32));
}

/* NaN scores (a broken model) sort after every number, equal scores keep
 * their order: the order NMS visits boxes in. */
Test(detect, list_sort_nan_last_and_stable)
{
    vd_det_list l = {0};
    const float sc[6] = {0.5f, NAN, 0.9f, 0.5f, NAN, 0.7f};
    for (int i = 0; i < 6; i++) {
        vd_detection x = {.label = i, .score = sc[i]};
        cr_assert_eq(vd_det_list_push(&l, &x, NULL), 0);
    }
    vd_det_list_sort(&l);
    const int want[6] = {2, 5, 0, 3, 1, 4};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(l.items[i].label, want[i], "position %d holds %d, want %d", i,
                     l.items[i].label, want[i]);
    vd_det_list_free(&l);
    cr_assert_null(l.items);
}
