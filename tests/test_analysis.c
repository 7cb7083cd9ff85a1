/* test_analysis.c -- the analysis stage (pipeline/analysis.h) on real data.
 *
 * The real BlazeFace model (the shipped card) on real frames (messi5.jpg,
 * Megamind.avi at 9 s): pre -> vd_nn_session_run -> post finds what
 * `visiond detect` prints for the same frame. A frame the motion gate
 * skips goes through post() with no outputs, and the tracker still ages
 * and ends the face's track. A motion-only analysis reports the walkers of
 * vtest.avi (hand-marked, as in tests/detect_ref/check_detect.py) as
 * regions. Two analyses sharing one analyzer keep their own threshold,
 * classes and zones. Output picking runs on multi-output graphs from
 * tests/detect_ref/make_multi_output.py, whose detections are constants
 * repeated here: decoding the right output is the only way to find them. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pipeline/analysis.h"
#include "pipeline/source.h"
#include "tests/support/cli.h"
#include "tests/support/once.h"
#include "vision/image/image.h"

#define CARD VD_SOURCE_DIR "/config/models/blazeface-back.json"
#define MESSI VD_OPENCV_DATA "/messi5.jpg"
#define MEGAMIND VD_OPENCV_DATA "/Megamind.avi"
#define VTEST VD_OPENCV_DATA "/vtest.avi"
#define MODELS VD_BINARY_DIR "/tests/analysis_models"

/* One model with its session, input and outputs, as a caller holds them. */
typedef struct rig {
    vd_analyzer *az;
    vd_nn_session *sess;
    vd_tensor input;
    vd_tensor outputs[8];
    int n_outputs;
} rig;

static void rig_open(rig *r, const vd_analyzer_opts *o)
{
    vd_error e;
    memset(r, 0, sizeof *r);
    cr_assert_eq(vd_analyzer_create(&r->az, o, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_analyzer_session_create(r->az, 1, 1, &r->sess, &r->input, &e), 0, "%s", e.msg);
    r->n_outputs = vd_nn_model_output_count(vd_analyzer_model(r->az));
    cr_assert_leq(r->n_outputs, 8);
}

static void rig_close(rig *r)
{
    for (int i = 0; i < r->n_outputs; i++)
        vd_tensor_free(&r->outputs[i]);
    vd_tensor_free(&r->input);
    vd_nn_session_free(&r->sess);
    vd_analyzer_free(&r->az);
}

static void card_rig(rig *r, const char *labels)
{
    vd_analyzer_opts o = {.model = CARD, .labels = labels};
    rig_open(r, &o);
}

/* pre -> run (when pre asks for it) -> post; returns what pre returned. */
static int analyse(rig *r, vd_analysis *an, vd_analysis_frame *f, vd_analysis_result *res)
{
    vd_error e;
    int infer = vd_analysis_pre(an, f, &r->input, 0, &e);
    cr_assert_geq(infer, 0, "%s", e.msg);
    if (infer) {
        for (int i = 0; i < r->n_outputs; i++)
            vd_tensor_free(&r->outputs[i]);
        cr_assert_eq(vd_nn_session_run(r->sess, &r->input, 1, r->outputs, r->n_outputs, &e), 0,
                     "%s", e.msg);
    }
    cr_assert_eq(vd_analysis_post(an, f, infer ? r->outputs : NULL, r->n_outputs, 0, res, &e), 0,
                 "%s", e.msg);
    return infer;
}

static void set_frame(vd_analysis_frame *f, const uint8_t *rgb, int w, int h, double pts)
{
    f->rgb = rgb;
    f->width = w;
    f->height = h;
    f->linesize = w * 3;
    f->pts = pts;
}

static vd_analysis *new_analysis(const vd_analyzer *az, const vd_analysis_opts *o)
{
    vd_analysis *an;
    vd_error e;
    cr_assert_eq(vd_analysis_create(&an, az, o, &e), 0, "%s", e.msg);
    return an;
}

/* The first frame `visiond detect ARGS` prints, parsed. */
static json_t *cli_first_frame(const char *args)
{
    static char out[1 << 16], err[1 << 14];
    int rc = vd_test_visiond(args, out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 0, "visiond %s: exit %d: %s", args, rc, err);
    json_error_t je;
    json_t *j = json_loadb(out, strcspn(out, "\n"), 0, &je);
    cr_assert_not_null(j, "%s: %s", je.text, out);
    return j;
}

static void assert_same_as_cli(const vd_det_list *got, json_t *frame, const char *what)
{
    json_t *dets = json_object_get(frame, "detections");
    cr_assert_eq((int)json_array_size(dets), got->count, "%s: CLI %zu detections, stage %d", what,
                 json_array_size(dets), got->count);
    cr_assert_geq(got->count, 1, "%s: the face is found", what);
    for (int i = 0; i < got->count; i++) {
        const vd_detection *d = &got->items[i];
        json_t *c = json_array_get(dets, (size_t)i);
        cr_assert_str_eq(json_string_value(json_object_get(c, "label")), d->name);
        /* the CLI prints scores to 1e-4 and pixels to 0.1 */
        cr_assert_leq(fabs(json_number_value(json_object_get(c, "score")) - d->score), 5.01e-5);
        for (int k = 0; k < 4; k++)
            cr_assert_leq(fabs(json_number_value(json_array_get(json_object_get(c, "box"), k)) -
                               d->box[k]), 0.0501, "%s: box %d", what, k);
        json_t *kp = json_object_get(c, "keypoints");
        cr_assert_eq((int)json_array_size(kp), d->n_keypoints);
        for (int k = 0; k < d->n_keypoints; k++)
            for (int x = 0; x < 2; x++)
                cr_assert_leq(fabs(json_number_value(json_array_get(json_array_get(kp, k), x)) -
                                   d->keypoints[k][x]), 0.0501);
    }
}

Test(analysis, pre_run_post_finds_what_visiond_detect_prints, .timeout = 120)
{
    rig r;
    card_rig(&r, NULL);
    vd_analysis_opts ao;
    vd_analysis_opts_init(&ao);
    vd_analysis *an = new_analysis(r.az, &ao);
    vd_analysis_frame f = {0};
    vd_analysis_result res = {0};
    vd_error e;

    vd_tensor img;
    cr_assert_eq(vd_img_load(MESSI, NULL, &img, &e), 0, "%s", e.msg);
    set_frame(&f, img.data, (int)img.shape[1], (int)img.shape[0], 0);
    cr_assert_eq(analyse(&r, an, &f, &res), 1);
    json_t *cli = cli_first_frame("detect '" MESSI "' --model '" CARD "'");
    assert_same_as_cli(&res.dets, cli, "messi5.jpg");
    json_decref(cli);
    vd_tensor_free(&img);

    /* a video frame through the pipeline's own source, as the CLI reads it */
    vd_source_opts so;
    vd_source_opts_init(&so);
    so.select.start = 9;
    so.select.count = 1;
    vd_source *src;
    vd_source_frame sf;
    cr_assert_eq(vd_source_open(&src, MEGAMIND, &so, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_source_next(src, &sf, &e), 0, "%s", e.msg);
    set_frame(&f, sf.rgb, sf.width, sf.height, sf.pts);
    cr_assert_eq(analyse(&r, an, &f, &res), 1);
    cli = cli_first_frame("detect '" MEGAMIND "' --model '" CARD "' --start 9 --count 1");
    cr_assert_float_eq(json_number_value(json_object_get(cli, "pts")), sf.pts, 1e-6);
    assert_same_as_cli(&res.dets, cli, "Megamind.avi@9s");
    json_decref(cli);
    cr_assert_eq(vd_source_next(src, &sf, &e), VD_EOF, "--count 1 delivers one frame");
    vd_source_close(&src);

    vd_analysis_result_free(&res);
    vd_analysis_frame_free(&f);
    vd_analysis_free(&an);
    rig_close(&r);
}

/* A grey frame, then Messi's photo held still: the photo's arrival is
 * motion (the model runs and finds the face, tracked), then the background
 * absorbs it and the gate skips frames. Those go through post() with NULL
 * outputs: no detections, and the tracker ends the face's track. */
Test(analysis, gated_frames_go_through_post_without_outputs, .timeout = 120)
{
    rig r;
    card_rig(&r, NULL);
    vd_analysis_opts ao;
    vd_analysis_opts_init(&ao);
    ao.motion = VD_MOTION_GATE;
    ao.motion_opts.alpha = 0.5f;
    ao.motion_opts.max_changed = 1.0f; /* the photo replacing grey is motion, not a light switch */
    ao.track = 1;
    ao.tracker_opts.min_hits = 1;
    ao.tracker_opts.max_age = 2;
    vd_analysis *an = new_analysis(r.az, &ao);
    vd_error e;
    vd_tensor img;
    cr_assert_eq(vd_img_load(MESSI, NULL, &img, &e), 0, "%s", e.msg);
    int w = (int)img.shape[1], h = (int)img.shape[0];
    uint8_t *grey = malloc((size_t)w * (size_t)h * 3);
    memset(grey, 128, (size_t)w * (size_t)h * 3);

    vd_analysis_frame f = {0};
    vd_analysis_result res = {0};
    set_frame(&f, grey, w, h, 0);
    cr_assert_eq(analyse(&r, an, &f, &res), 0, "the first frame only sets the background");
    int64_t face = 0;
    int inferred = 0, gated_after_face = 0, ended = 0;
    for (int n = 1; n < 40 && !ended; n++) {
        set_frame(&f, img.data, w, h, n * 0.1);
        int infer = analyse(&r, an, &f, &res);
        cr_assert_eq(f.infer, infer);
        if (infer) {
            inferred++;
            cr_assert_eq(res.motion, 1);
            if (res.dets.count && !face)
                face = res.dets.items[0].track_id;
            continue;
        }
        cr_assert_eq(res.dets.count, 0, "a gated frame has no detections");
        cr_assert_eq(res.regions.count, 0);
        gated_after_face += face != 0;
        for (int i = 0; i < res.n_events; i++)
            if (res.events[i].type == VD_TRACK_END && res.events[i].id == face)
                ended = 1;
    }
    cr_assert_geq(inferred, 1, "the photo's arrival ran the model");
    cr_assert_neq(face, 0, "the face was detected and tracked");
    cr_assert_geq(gated_after_face, 1, "the gate skipped the still photo");
    cr_assert(ended, "the face's track ended while the gate skipped frames");
    free(grey);
    vd_tensor_free(&img);
    vd_analysis_result_free(&res);
    vd_analysis_frame_free(&f);
    vd_analysis_free(&an);
    rig_close(&r);
}

static int inside(const float *pt, const float *b)
{
    return b[0] <= pt[0] && pt[0] <= b[2] && b[1] <= pt[1] && pt[1] <= b[3];
}

/* vtest.avi at 10 s, walkers marked by hand (check_detect.py WALKERS). */
Test(analysis, motion_only_reports_the_walkers_as_regions, .timeout = 120)
{
    static const float walkers[][4] = {{218, 55, 245, 100}, {350, 200, 378, 275},
                                       {375, 178, 410, 255}, {425, 180, 450, 258},
                                       {495, 148, 520, 222}, {517, 152, 540, 222},
                                       {590, 155, 617, 235}};
    vd_analysis_opts ao;
    vd_analysis_opts_init(&ao);
    ao.motion = VD_MOTION_DETECT;
    vd_zone left;
    vd_error e;
    cr_assert_eq(vd_zone_parse(&left, "left:0,0,0.5,0,0.5,1,0,1", &e), 0, "%s", e.msg);
    ao.zones = &left;
    ao.n_zones = 1;
    vd_analysis *an = new_analysis(NULL, &ao);
    vd_source_opts so;
    vd_source_opts_init(&so);
    so.select.fps = 5;
    so.select.end = 10.05;
    vd_source *src;
    cr_assert_eq(vd_source_open(&src, VTEST, &so, &e), 0, "%s", e.msg);
    vd_analysis_frame f = {0};
    vd_analysis_result res = {0};
    vd_source_frame sf;
    int rc, frames = 0;
    while ((rc = vd_source_next(src, &sf, &e)) == 0) {
        set_frame(&f, sf.rgb, sf.width, sf.height, sf.pts);
        cr_assert_eq(vd_analysis_pre(an, &f, NULL, 0, &e), 0, "no model, nothing to infer");
        cr_assert_eq(vd_analysis_post(an, &f, NULL, 0, 0, &res, &e), 0, "%s", e.msg);
        frames++;
    }
    cr_assert_eq(rc, VD_EOF, "%s", e.msg);
    cr_assert_eq(frames, 51);
    cr_assert_float_eq(f.pts, 10.0, 0.05);
    cr_assert_eq(res.motion, 1);
    cr_assert_eq(res.dets.count, res.regions.count, "the regions are the detections");
    for (size_t w = 0; w < sizeof walkers / sizeof walkers[0]; w++) {
        float c[2] = {(walkers[w][0] + walkers[w][2]) / 2, (walkers[w][1] + walkers[w][3]) / 2};
        int hit = 0;
        for (int i = 0; i < res.dets.count; i++)
            hit |= inside(c, res.dets.items[i].box);
        cr_assert(hit, "walker %zu is in no motion region", w);
    }
    for (int i = 0; i < res.dets.count; i++) {
        const vd_detection *d = &res.dets.items[i];
        cr_assert_str_eq(d->name, "motion");
        int in_left = (d->box[0] + d->box[2]) / 2 < sf.width / 2.0f;
        cr_assert_eq(d->zones, in_left ? 1u : 0u, "zone of region %d", i);
    }
    cr_assert_str_eq(vd_analysis_zone_name(an, 0), "left");
    vd_motion_stats st;
    cr_assert_eq(vd_analysis_motion_stats(an, &st), 1);
    cr_assert_eq(st.frames, 51);
    vd_source_close(&src);
    vd_analysis_result_free(&res);
    vd_analysis_frame_free(&f);
    vd_analysis_free(&an);
}

/* One analyzer (BlazeFace with COCO names: its class 0 prints "person"),
 * one model run, three streams' settings applied to the same outputs.
 * (Classes are checked on the CenterNet-style graph below: the ssd adapter
 * has a single class.) */
Test(analysis, streams_keep_their_own_threshold_and_zones, .timeout = 120)
{
    rig r;
    card_rig(&r, "coco80");
    vd_zone zone;
    vd_error e;
    cr_assert_eq(vd_zone_parse(&zone, "left:0,0,0.5,0,0.5,1,0,1", &e), 0, "%s", e.msg);
    vd_analysis_opts o[3];
    for (int i = 0; i < 3; i++)
        vd_analysis_opts_init(&o[i]);
    o[1].zones = &zone, o[1].n_zones = 1;
    o[2].threshold = 0.99f;
    vd_analysis *an[3];
    for (int i = 0; i < 3; i++)
        an[i] = new_analysis(r.az, &o[i]);

    vd_tensor img;
    cr_assert_eq(vd_img_load(MESSI, NULL, &img, &e), 0, "%s", e.msg);
    vd_analysis_frame f = {0};
    vd_analysis_result res[3];
    memset(res, 0, sizeof res);
    set_frame(&f, img.data, (int)img.shape[1], (int)img.shape[0], 0);
    cr_assert_eq(analyse(&r, an[0], &f, &res[0]), 1);
    for (int i = 1; i < 3; i++) /* the same outputs, each stream's own post */
        cr_assert_eq(vd_analysis_post(an[i], &f, r.outputs, r.n_outputs, 0, &res[i], &e), 0, "%s",
                     e.msg);
    cr_assert_geq(res[0].dets.count, 1);
    cr_assert_str_eq(res[0].dets.items[0].name, "person");
    cr_assert_eq(res[0].dets.items[0].zones, 0u, "no zones on stream 0");
    cr_assert_eq(vd_analysis_zone_count(an[0]), 0);
    cr_assert_eq(res[1].dets.count, res[0].dets.count);
    cr_assert_eq(res[1].dets.items[0].zones, 1u, "Messi's face is in stream 1's left zone");
    cr_assert_str_eq(vd_analysis_zone_name(an[1], 0), "left");
    cr_assert_lt(res[0].dets.items[0].score, 0.99f);
    cr_assert_eq(res[2].dets.count, 0, "threshold 0.99 drops it");
    for (int i = 0; i < 3; i++) {
        vd_analysis_result_free(&res[i]);
        vd_analysis_free(&an[i]);
    }
    vd_analysis_frame_free(&f);
    vd_tensor_free(&img);
    rig_close(&r);
}

Test(analysis, contract_errors)
{
    vd_analysis_opts o;
    vd_analysis_opts_init(&o);
    vd_analysis *an;
    vd_error e;
    cr_assert_eq(vd_analysis_create(&an, NULL, &o, &e), VD_EINVAL, "no model and no motion");
    cr_assert_null(an);
    vd_analyzer *az;
    vd_analyzer_opts ao = {.model = CARD, .tf_key = {"--input-size"}, .tf_val = {"128x128"},
                           .n_tf = 1};
    cr_assert_eq(vd_analyzer_create(&az, &ao, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "128x128") && strstr(e.msg, "256x256"), "%s", e.msg);
    cr_assert_null(strstr(e.msg, "--"), "no CLI flag in a library message: %s", e.msg);
    cr_assert_null(az);
}

/* ---- output picking on generated multi-output graphs ---- */

static void models(void)
{
    cr_assert_eq(vd_test_script_once(MODELS, VD_SOURCE_DIR "/tests/detect_ref/make_multi_output.py",
                                     "'" MODELS "'"), 0);
}

/* The detections of a grey 64x64 frame (the input size: boxes map 1:1). */
static void detect_grey(const vd_analyzer_opts *o, vd_det_list *out)
{
    rig r;
    rig_open(&r, o);
    vd_analysis_opts ao;
    vd_analysis_opts_init(&ao);
    vd_analysis *an = new_analysis(r.az, &ao);
    static uint8_t grey[64 * 64 * 3];
    memset(grey, 100, sizeof grey);
    vd_analysis_frame f = {0};
    vd_analysis_result res = {0};
    vd_error e;
    set_frame(&f, grey, 64, 64, 0);
    cr_assert_eq(analyse(&r, an, &f, &res), 1);
    for (int i = 0; i < res.dets.count; i++)
        cr_assert_eq(vd_det_list_push(out, &res.dets.items[i], &e), 0);
    vd_analysis_result_free(&res);
    vd_analysis_frame_free(&f);
    vd_analysis_free(&an);
    rig_close(&r);
}

static void assert_det(const vd_detection *d, const char *name, float score, float x1, float y1,
                       float x2, float y2)
{
    cr_assert_str_eq(d->name, name);
    cr_assert_float_eq(d->score, score, 1e-6);
    float want[4] = {x1, y1, x2, y2};
    for (int k = 0; k < 4; k++)
        cr_assert_float_eq(d->box[k], want[k], 1e-3, "%s box[%d] %g", name, k, d->box[k]);
}

Test(analysis, picks_the_one_output_that_fits, .init = models, .timeout = 120)
{
    vd_analyzer_opts o = {.model = MODELS "/centernet_multi.onnx", .kind = "centernet"};
    vd_analyzer *az;
    vd_error e;
    cr_assert_eq(vd_analyzer_create(&az, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_analyzer_output_count(az), 1);
    cr_assert_str_eq(vd_analyzer_output_name(az, 0), "detections");
    vd_analyzer_free(&az);
    vd_det_list l = {0};
    detect_grey(&o, &l);
    cr_assert_eq(l.count, 2);
    assert_det(&l.items[0], "person", 0.9f, 8, 8, 24, 40);
    assert_det(&l.items[1], "car", 0.8f, 30, 10, 60, 30);
    vd_det_list_free(&l);
}

/* Two streams over one analyzer and one run keep their own classes. */
Test(analysis, streams_keep_their_own_classes, .init = models, .timeout = 120)
{
    vd_analyzer_opts o = {.model = MODELS "/centernet_multi.onnx", .kind = "centernet"};
    rig r;
    rig_open(&r, &o);
    const char *car[] = {"car"}, *person[] = {"person", "dog"};
    vd_analysis_opts ao[2];
    vd_analysis_opts_init(&ao[0]);
    vd_analysis_opts_init(&ao[1]);
    ao[0].classes = car, ao[0].n_classes = 1;
    ao[1].classes = person, ao[1].n_classes = 2;
    vd_analysis *an[2] = {new_analysis(r.az, &ao[0]), new_analysis(r.az, &ao[1])};
    static uint8_t grey[64 * 64 * 3];
    vd_analysis_frame f = {0};
    vd_analysis_result res[2];
    vd_error e;
    memset(res, 0, sizeof res);
    set_frame(&f, grey, 64, 64, 0);
    cr_assert_eq(analyse(&r, an[0], &f, &res[0]), 1);
    cr_assert_eq(vd_analysis_post(an[1], &f, r.outputs, r.n_outputs, 0, &res[1], &e), 0, "%s",
                 e.msg);
    cr_assert_eq(res[0].dets.count, 1);
    assert_det(&res[0].dets.items[0], "car", 0.8f, 30, 10, 60, 30);
    cr_assert_eq(res[1].dets.count, 1);
    assert_det(&res[1].dets.items[0], "person", 0.9f, 8, 8, 24, 40);
    const char *unknown[] = {"unicorn"};
    ao[0].classes = unknown;
    vd_analysis *bad;
    cr_assert_eq(vd_analysis_create(&bad, r.az, &ao[0], &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "unicorn"), "%s", e.msg);
    for (int i = 0; i < 2; i++) {
        vd_analysis_result_free(&res[i]);
        vd_analysis_free(&an[i]);
    }
    vd_analysis_frame_free(&f);
    rig_close(&r);
}

Test(analysis, ambiguous_outputs_name_the_candidates, .init = models)
{
    vd_analyzer *az;
    vd_error e;
    vd_analyzer_opts o = {.model = MODELS "/two_dets.onnx", .kind = "centernet"};
    cr_assert_eq(vd_analyzer_create(&az, &o, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "'det_a'") && strstr(e.msg, "'det_b'"), "%s", e.msg);
    cr_assert_null(strstr(e.msg, "'wh'"), "wh is no candidate: %s", e.msg);
    cr_assert(strstr(e.msg, "two_dets.onnx") && strstr(e.msg, "outputs"), "%s", e.msg);
    cr_assert_null(strstr(e.msg, "--"), "no CLI flag in a library message: %s", e.msg);

    const char *bad[] = {"det_c"};
    o.outputs = bad, o.n_outputs = 1;
    cr_assert_eq(vd_analyzer_create(&az, &o, &e), VD_ENOTFOUND);
    cr_assert(strstr(e.msg, "'det_c'") && strstr(e.msg, "'wh'") && strstr(e.msg, "'det_b'"), "%s",
              e.msg);
    const char *wh[] = {"wh"};
    o.outputs = wh;
    cr_assert_eq(vd_analyzer_create(&az, &o, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "'wh'") && strstr(e.msg, "centernet"), "%s", e.msg);

    /* no kind: the three outputs fit no single adapter */
    vd_analyzer_opts a = {.model = MODELS "/centernet_multi.onnx"};
    cr_assert_eq(vd_analyzer_create(&az, &a, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "'detections'") && strstr(e.msg, "kind"), "%s", e.msg);
    cr_assert_null(strstr(e.msg, "--"), "no CLI flag in a library message: %s", e.msg);
}

static void assert_picks(const char *model, const char *kind, const char *const *want, int n)
{
    vd_analyzer_opts o = {.model = model, .kind = kind};
    vd_analyzer *az;
    vd_error e;
    cr_assert_eq(vd_analyzer_create(&az, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(vd_analyzer_output_count(az), n, "%s", model);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(vd_analyzer_output_name(az, i), want[i]);
    vd_analyzer_free(&az);
}

/* The multi-output adapters take the one set that fits, in model order. */
Test(analysis, picks_the_one_output_set_that_fits, .init = models)
{
    const char *ssd[] = {"cls", "reg"}, *tv[] = {"boxes", "labels", "scores"};
    assert_picks(MODELS "/ssd_extra.onnx", "ssd", ssd, 2);
    assert_picks(MODELS "/tv_extra.onnx", "torchvision", tv, 3);
    vd_analyzer_opts o = {.model = MODELS "/ssd_odd.onnx", .kind = "ssd"};
    vd_analyzer *az;
    vd_error e;
    cr_assert_eq(vd_analyzer_create(&az, &o, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "'cls_a'") && strstr(e.msg, "'cls_b'") && strstr(e.msg, "'reg'") &&
              strstr(e.msg, "ssd"), "%s", e.msg);
    const char *pair[] = {"cls_b", "reg"};
    o.outputs = pair, o.n_outputs = 2;
    cr_assert_eq(vd_analyzer_create(&az, &o, &e), 0, "named, the pair is taken: %s", e.msg);
    cr_assert_eq(vd_analyzer_output_count(az), 2);
    cr_assert_str_eq(vd_analyzer_output_name(az, 0), "cls_b");
    vd_analyzer_free(&az);
}

Test(analysis, a_card_names_its_outputs, .init = models, .timeout = 120)
{
    const char *card = MODELS "/two_dets_b.json";
    FILE *f = fopen(card, "w");
    cr_assert_not_null(f);
    fputs("{\"path\": \"two_dets.onnx\", \"kind\": \"centernet\", \"outputs\": [\"det_b\"]}", f);
    fclose(f);
    vd_analyzer_opts o = {.model = card};
    vd_det_list l = {0};
    detect_grey(&o, &l);
    cr_assert_eq(l.count, 1);
    assert_det(&l.items[0], "dog", 0.7f, 0, 0, 32, 32);
    vd_det_list_clear(&l);
    /* the caller's list wins over the card's */
    const char *a[] = {"det_a"};
    o.outputs = a, o.n_outputs = 1;
    detect_grey(&o, &l);
    cr_assert_eq(l.count, 2);
    assert_det(&l.items[0], "person", 0.9f, 8, 8, 24, 40);
    vd_det_list_free(&l);
}

Test(analysis, visiond_detect_outputs_flag, .init = models, .timeout = 120)
{
    vd_error e;
    static uint8_t grey[64 * 64 * 3];
    memset(grey, 100, sizeof grey);
    cr_assert_eq(vd_img_save_pixels(grey, 64, 64, 64 * 3, 3, MODELS "/grey.png", VD_IMG_PNG, 0, &e),
                 0, "%s", e.msg);
    json_t *j = cli_first_frame("detect '" MODELS "/grey.png' --model '" MODELS
                                "/two_dets.onnx' --kind=centernet --outputs=det_b");
    json_t *d = json_array_get(json_object_get(j, "detections"), 0);
    cr_assert_eq(json_array_size(json_object_get(j, "detections")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(d, "label")), "dog");
    json_decref(j);
    static char out[4096], err[4096];
    int rc = vd_test_visiond("detect '" MODELS "/grey.png' --model '" MODELS
                             "/two_dets.onnx' --kind centernet", out, sizeof out, err, sizeof err);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(err, "'det_a'") && strstr(err, "'det_b'"), "%s", err);
}
