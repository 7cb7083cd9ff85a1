/* test_card.c -- model cards: the shipped cards parse to the documented
 * values (BlazeFace: nhwc, [-1,1] via range 0-1 mean/std 0.5, anchors),
 * relative paths resolve against the card's directory, and every kind of
 * mistake is an error naming the file and the key. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/card.h"

#define CARDS VD_SOURCE_DIR "/config/models"

Test(card, blazeface_back_as_documented)
{
    vd_card c;
    vd_error e;
    cr_assert_eq(vd_card_load(&c, CARDS "/blazeface-back.json", &e), 0, "%s", e.msg);
    cr_assert(strstr(c.path, CARDS "/../../.deps/npm/blazeface/package/ONNX/"
                                   "face_detection_back_256x256_barracuda.onnx"), "%s", c.path);
    cr_assert_eq(access(c.path, R_OK), 0, "the card points at the installed model: %s", c.path);
    cr_assert_eq(c.kind, VD_DET_SSD);
    cr_assert_str_eq(c.labels, CARDS "/../labels/face.txt");
    cr_assert_eq(c.input.width, 256);
    cr_assert_eq(c.input.height, 256);
    cr_assert_eq(c.has_input_size, 1);
    cr_assert_eq(c.input.layout, VD_TF_NHWC);
    cr_assert_eq(c.input.order, VD_TF_RGB);
    cr_assert_eq(c.input.range, VD_TF_RANGE_01);
    cr_assert_eq(c.input.resize, VD_TF_LETTERBOX);
    for (int i = 0; i < 3; i++) {
        cr_assert_float_eq(c.input.mean[i], 0.5f, 0);
        cr_assert_float_eq(c.input.std[i], 0.5f, 0);
    }
    cr_assert_float_eq(c.threshold, 0.5f, 1e-7);
    cr_assert_float_eq(c.iou, 0.3f, 1e-7);
    cr_assert_eq(c.ssd.n_strides, 4);
    int want[4] = {16, 32, 32, 32};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(c.ssd.strides[i], want[i]);
    cr_assert_eq(c.ssd.n_keypoints, 6);
    cr_assert_eq(c.ssd.plain_nms, 0);
    vd_detector_opts o;
    vd_card_detector_opts(&c, &o);
    cr_assert_eq(o.input_w, 256);
    cr_assert_eq(o.kind, VD_DET_SSD);
    vd_card_free(&c);
}

Test(card, shipped_examples_parse)
{
    const char *names[] = {"blazeface-front", "yolov8-example", "yolov5-example",
                           "torchvision-example"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, CARDS "/%s.json", names[i]);
        vd_card c;
        vd_error e;
        cr_assert_eq(vd_card_load(&c, path, &e), 0, "%s: %s", names[i], e.msg);
        if (!strcmp(names[i], "torchvision-example")) {
            cr_assert_eq(c.kind, VD_DET_TORCHVISION);
            cr_assert_str_eq(c.labels, "coco91", "builtin names are not paths");
            cr_assert_eq(c.n_classes, 6);
            cr_assert_str_eq(c.classes[2], "car");
            cr_assert_eq(c.n_filters, 1);
            cr_assert_float_eq(c.filters[0].min_area, 400, 0);
            cr_assert_float_eq(c.filters[0].max_aspect, 1.5f, 1e-7);
        }
        if (!strcmp(names[i], "yolov8-example")) {
            cr_assert_eq(c.input.resize, VD_TF_LETTERBOX);
            cr_assert_float_eq(c.input.pad_value, 114, 0);
            cr_assert_eq(c.max_detections, 300);
        }
        vd_card_free(&c);
    }
}

/* Parse a card given as JSON text; returns the code, message in e. */
static int parse(const char *text, vd_card *c, vd_error *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "test JSON: %s", je.text);
    int rc = vd_card_from_json(c, j, "/models", "cam.json", e);
    json_decref(j);
    return rc;
}

Test(card, relative_and_absolute_paths)
{
    vd_card c;
    vd_error e;
    cr_assert_eq(parse("{\"path\": \"sub/m.onnx\", \"labels\": \"l.txt\"}", &c, &e), 0, "%s", e.msg);
    cr_assert_str_eq(c.path, "/models/sub/m.onnx");
    cr_assert_str_eq(c.labels, "/models/l.txt");
    cr_assert_eq(c.kind, VD_DET_AUTO);
    cr_assert_float_eq(c.threshold, -1, 0, "unset");
    cr_assert_eq(c.has_input_size, 0);
    vd_card_free(&c);
    cr_assert_eq(parse("{\"path\": \"/abs/m.onnx\", \"kind\": \"yolo11\"}", &c, &e), 0);
    cr_assert_str_eq(c.path, "/abs/m.onnx");
    cr_assert_eq(c.kind, VD_DET_YOLOV8);
    vd_card_free(&c);
}

Test(card, outputs_in_the_adapters_order)
{
    vd_card c;
    vd_error e;
    cr_assert_eq(parse("{\"path\": \"m.onnx\", \"kind\": \"ssd\", "
                       "\"outputs\": [\"regressors/1\", \"classificators:0\"]}", &c, &e), 0,
                 "%s", e.msg);
    cr_assert_eq(c.n_outputs, 2);
    cr_assert_str_eq(c.outputs[0], "regressors/1");
    cr_assert_str_eq(c.outputs[1], "classificators:0");
    vd_card_free(&c);
    cr_assert_null(c.outputs);
    cr_assert_eq(c.n_outputs, 0);
    cr_assert_eq(parse("{\"path\": \"m.onnx\"}", &c, &e), 0, "%s", e.msg);
    cr_assert_null(c.outputs, "absent: the analyzer picks by shape");
    vd_card_free(&c);
}

Test(card, errors_name_file_and_key)
{
    static const struct {
        const char *json, *want1, *want2;
    } cases[] = {
        {"{\"kind\": \"yolov8\"}", "cam.json: path", "missing"},
        {"{\"path\": \"m.onnx\", \"treshold\": 0.5}", "cam.json: treshold", "unknown key"},
        {"{\"path\": \"m.onnx\", \"threshold\": 1.5}", "cam.json: threshold", "[0, 1]"},
        {"{\"path\": \"m.onnx\", \"threshold\": \"high\"}", "threshold", "number"},
        {"{\"path\": \"m.onnx\", \"kind\": \"yolox\"}", "cam.json: kind", "yolox"},
        {"{\"path\": \"m.onnx\", \"input\": {\"layout\": \"nhcw\"}}", "cam.json: input.layout", "nhcw"},
        {"{\"path\": \"m.onnx\", \"input\": {\"size\": [640]}}", "input.size", "[W, H]"},
        {"{\"path\": \"m.onnx\", \"input\": {\"mean\": \"x\"}}", "input.mean", ""},
        {"{\"path\": \"m.onnx\", \"input\": {\"colour\": \"rgb\"}}", "input.colour", "unknown key"},
        {"{\"path\": \"m.onnx\", \"input\": {\"range\": \"0-2\"}}", "input.range", "0-2"},
        {"{\"path\": \"m.onnx\", \"max_detections\": 0}", "max_detections", "integer"},
        {"{\"path\": \"m.onnx\", \"classes\": []}", "classes", "non-empty"},
        {"{\"path\": \"m.onnx\", \"classes\": [\"car\", 3]}", "classes", "string"},
        {"{\"path\": \"m.onnx\", \"outputs\": []}", "cam.json: outputs", "non-empty"},
        {"{\"path\": \"m.onnx\", \"outputs\": \"detections\"}", "outputs", "array"},
        {"{\"path\": \"m.onnx\", \"outputs\": [\"a\", \"\"]}", "outputs", "non-empty string"},
        {"{\"path\": \"m.onnx\", \"filters\": [{\"label\": \"car\", \"min_aera\": 3}]}",
         "filters[0]", "min_aera"},
        {"{\"path\": \"m.onnx\", \"ssd\": {\"strides\": [8, 0]}}", "ssd.strides", "stride 1"},
        {"{\"path\": \"m.onnx\", \"ssd\": {\"nms\": \"fancy\"}}", "ssd.nms", "fancy"},
        {"{\"path\": 3}", "cam.json: path", "string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vd_card c;
        vd_error e;
        int rc = parse(cases[i].json, &c, &e);
        cr_assert_eq(rc, VD_EINVAL, "%s: rc %d", cases[i].json, rc);
        cr_assert(strstr(e.msg, cases[i].want1) && strstr(e.msg, cases[i].want2),
                  "%s -> '%s' (want '%s' and '%s')", cases[i].json, e.msg, cases[i].want1,
                  cases[i].want2);
        cr_assert_null(c.classes, "freed on error");
        cr_assert_null(c.outputs, "freed on error");
    }
}

Test(card, file_errors)
{
    vd_card c;
    vd_error e;
    cr_assert_eq(vd_card_load(&c, "/nonexistent/card.json", &e), VD_ENOTFOUND);
    cr_assert(strstr(e.msg, "/nonexistent/card.json"), "%s", e.msg);
    char path[] = "/tmp/vd_card_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *bad = "{\"path\": \"m.onnx\",\n \"path\": \"n.onnx\"}";
    cr_assert_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    cr_assert_eq(vd_card_load(&c, path, &e), VD_EFORMAT, "duplicate keys are rejected");
    cr_assert(strstr(e.msg, path) && strstr(e.msg, "duplicate"), "%s", e.msg);
    unlink(path);
}
