/* detect.c -- `visiond detect`: run a detector (and/or the motion
 * detector, and the tracker) over a video or a still image and print JSON
 * Lines. This file parses the flags and glues the library calls:
 *   vd_source_next -> vd_analysis_pre -> vd_nn_session_run ->
 *   vd_analysis_post -> detect_out.c (JSON, annotation)
 * Everything about the model (card, layout, kind, outputs, labels) and the
 * frame (motion, crop, decode, zones, tracking) is pipeline/analysis's, the
 * very calls the daemon makes, so the CLI and the daemon cannot drift. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "detect_out.h"
#include "select.h"
#include "pipeline/analysis.h"
#include "pipeline/source.h"

#define MAX_LIST 128

typedef struct args {
    const char *input, *annotate;
    int threads, motion, motion_crop;
    vd_analyzer_opts az;
    vd_analysis_opts an;
    char *classes_buf, *outputs_buf;
    const char *classes[MAX_LIST], *outputs[MAX_LIST];
    vd_zone zones[VD_DET_MAX_ZONES];
    vd_cli_select cs;
    vd_cli_source src;
} args;

typedef struct run {
    vd_analyzer *az;
    vd_analysis *an;
    vd_nn_session *sess;
    vd_tensor input;
    vd_tensor *outputs;
    int n_outputs;
    vd_source *src;
    vd_analysis_frame frame;
    vd_analysis_result res;
    vd_detect_counts counts;
} run;

static const char usage_text[] =
    "usage: visiond detect INPUT [--model MODEL.onnx|CARD.json] [options]\n"
    "\n"
    "Runs a detector, the motion detector (--motion) and the tracker (--track)\n"
    "over a video or a JPEG/PNG image and prints one JSON line per frame:\n"
    "  {\"pts\":S,\"detections\":[{\"label\":L,\"score\":P,\"box\":[x1,y1,x2,y2],...}]}\n"
    "\n"
    "model:\n"
    "  --model FILE          .onnx, or a model card (.json, see docs/vision-detect.md)\n"
    "  --kind K              yolov5|yolov8|yolo11|torchvision|ssd|centernet|classify|auto\n"
    "  --outputs a,b,...     model outputs feeding the adapter (default: the ones that fit)\n"
    "  --labels SPEC         coco80|coco91|FILE (one label per line)\n"
    "  --threshold S --iou T --max-detections N --top-k N --classes a,b,...\n"
    "  --zone NAME:x1,y1,x2,y2,x3,y3[,...]   normalised polygon (repeatable)\n"
    "preprocessing (override the card):\n"
    "  --input-size WxH --resize stretch|letterbox --pad-value V\n"
    "  --interpolation bilinear|nearest --layout nchw|nhwc --channels rgb|bgr\n"
    "  --range 0-1|0-255 --mean a,b,c --std a,b,c\n"
    "motion and tracking:\n"
    "  --motion              gate the detector on motion; without --model, report\n"
    "                        motion regions as detections labelled \"motion\"\n"
    "  --motion-crop         --motion, and the detector sees only the area that moved\n"
    "                        (union of the regions plus a margin) at the model's resolution\n"
    "  --motion-threshold N  luma difference 1..255 (default 20)\n"
    "  --motion-min-area F   smallest region, fraction of the frame (default 0.001)\n"
    "  --motion-alpha A      background learning rate per analysed frame (default 0.2)\n"
    "  --motion-width N      analysis grid width in cells (default 160)\n"
    "  --track               SORT tracking: track_id on detections, event lines\n"
    "  --min-hits N --max-age N --track-iou T\n"
    "output:\n"
    "  --annotate DIR        write DIR/NNNNNN.jpg with the boxes drawn\n"
    "  --threads T           inference threads (default 1)\n"
    "frame selection (videos):\n";

/* "a,b,c" into list (pointers into a copy kept in *buf). */
static int parse_list(vd_cli_args *c, char **buf, const char **list, int *n)
{
    const char *v = vd_cli_args_value(c);
    if (!v)
        return VD_EXIT_USAGE;
    free(*buf);
    *buf = strdup(v);
    *n = 0;
    char *save = NULL;
    for (char *t = strtok_r(*buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_LIST)
            return vd_cli_args_error(c, "%s: more than %d names", c->flag, MAX_LIST);
        list[(*n)++] = t;
    }
    return *n ? 0 : vd_cli_args_error(c, "%s: '%s' names nothing", c->flag, v);
}

/* The preprocessing flag named f (a static string), or NULL. */
static const char *tf_flag(const char *f)
{
    static const char *const names[] = {"--input-size", "--resize", "--pad-value",
                                        "--interpolation", "--layout", "--channels",
                                        "--range", "--mean", "--std", "--antialias"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(f, names[i]))
            return names[i];
    return NULL;
}

/* A preprocessing override, checked now so a bad value is a usage error. */
static int parse_tf(vd_cli_args *c, args *a)
{
    const char *v = vd_cli_args_value(c);
    if (!v)
        return VD_EXIT_USAGE;
    vd_tf_spec probe;
    vd_error e;
    vd_tf_spec_default(&probe, 1, 1);
    if (vd_tf_spec_set(&probe, c->flag, v, &e))
        return vd_cli_args_error(c, "%s", e.msg);
    if (a->az.n_tf == VD_ANALYZER_MAX_OVERRIDES)
        return vd_cli_args_error(c, "too many preprocessing flags");
    a->az.tf_key[a->az.n_tf] = tf_flag(c->flag);
    a->az.tf_val[a->az.n_tf++] = v;
    return 0;
}

static int parse_model_flag(vd_cli_args *c, args *a)
{
    vd_error e;
    const char *v;
    if (vd_cli_args_is(c, "--model") || vd_cli_args_is(c, "--labels")) {
        if (!(v = vd_cli_args_value(c)))
            return VD_EXIT_USAGE;
        *(vd_cli_args_is(c, "--model") ? &a->az.model : &a->az.labels) = v;
    } else if (vd_cli_args_is(c, "--kind")) {
        vd_det_kind k;
        if (!(v = vd_cli_args_value(c)))
            return VD_EXIT_USAGE;
        if (vd_det_kind_parse(v, &k, &e))
            return vd_cli_args_error(c, "--kind: %s", e.msg);
        a->az.kind = v;
    } else if (vd_cli_args_is(c, "--outputs")) {
        return parse_list(c, &a->outputs_buf, a->outputs, &a->az.n_outputs);
    } else if (vd_cli_args_is(c, "--classes")) {
        return parse_list(c, &a->classes_buf, a->classes, &a->an.n_classes);
    } else if (tf_flag(c->flag)) {
        return parse_tf(c, a);
    } else {
        return -1;
    }
    return 0;
}

static int parse_zone(vd_cli_args *c, args *a)
{
    vd_error e;
    const char *v = vd_cli_args_value(c);
    if (!v)
        return VD_EXIT_USAGE;
    if (a->an.n_zones == VD_DET_MAX_ZONES)
        return vd_cli_args_error(c, "--zone: at most %d zones", VD_DET_MAX_ZONES);
    if (vd_zone_parse(&a->zones[a->an.n_zones++], v, &e))
        return vd_cli_args_error(c, "--zone: %s", e.msg);
    return 0;
}

/* Number-valued flags; -1 when not one of them. */
static int parse_number(vd_cli_args *c, args *a)
{
    static const struct { const char *flag; size_t off; int is_float; } nums[] = {
        {"--threshold", offsetof(args, an.threshold), 1},
        {"--iou", offsetof(args, an.iou), 1},
        {"--max-detections", offsetof(args, an.max_detections), 0},
        {"--top-k", offsetof(args, an.top_k), 0},
        {"--threads", offsetof(args, threads), 0},
        {"--motion-threshold", offsetof(args, an.motion_opts.threshold), 0},
        {"--motion-min-area", offsetof(args, an.motion_opts.min_area), 1},
        {"--motion-alpha", offsetof(args, an.motion_opts.alpha), 1},
        {"--motion-width", offsetof(args, an.motion_opts.width), 0},
        {"--min-hits", offsetof(args, an.tracker_opts.min_hits), 0},
        {"--max-age", offsetof(args, an.tracker_opts.max_age), 0},
        {"--track-iou", offsetof(args, an.tracker_opts.iou), 1},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        if (!vd_cli_args_is(c, nums[k].flag))
            continue;
        void *p = (char *)a + nums[k].off;
        return nums[k].is_float ? vd_cli_args_float(c, p) : vd_cli_args_int(c, 0, 1000000, p);
    }
    return -1;
}

static int parse_switch(vd_cli_args *c, args *a)
{
    if (vd_cli_args_is(c, "--motion") || vd_cli_args_is(c, "--motion-crop")) {
        a->motion = 1;
        a->motion_crop |= vd_cli_args_is(c, "--motion-crop");
    } else if (vd_cli_args_is(c, "--track")) {
        a->an.track = 1;
    } else {
        return -1;
    }
    return vd_cli_args_switch(c);
}

/* One argument; 0, -1 when nobody claims it, else an exit status. */
static int parse_one(vd_cli_args *c, args *a)
{
    vd_error e;
    int k = vd_cli_select_parse(&a->cs, c->argc, c->argv, &c->i, &e);
    if (!k)
        k = vd_cli_source_parse(&a->src, c->argc, c->argv, &c->i, &e);
    if (k)
        return k < 0 ? vd_cli_args_error(c, "%s", e.msg) : 0;
    if (vd_cli_args_positional(c)) {
        if (a->input)
            return vd_cli_args_error(c, "more than one input ('%s', '%s')", a->input, c->arg);
        a->input = c->arg;
        return 0;
    }
    if ((k = parse_switch(c, a)) >= 0 || (k = parse_number(c, a)) >= 0 ||
        (k = parse_model_flag(c, a)) >= 0)
        return k;
    if (vd_cli_args_is(c, "--zone"))
        return parse_zone(c, a);
    if (vd_cli_args_is(c, "--annotate"))
        return (a->annotate = vd_cli_args_value(c)) ? 0 : VD_EXIT_USAGE;
    return -1;
}

static void args_init(args *a)
{
    memset(a, 0, sizeof *a);
    vd_analysis_opts_init(&a->an);
    a->threads = 1;
    a->an.zones = a->zones;
    a->an.classes = a->classes;
    vd_cli_select_init(&a->cs);
}

static void args_free(args *a)
{
    vd_cli_select_free(&a->cs);
    free(a->classes_buf);
    free(a->outputs_buf);
}

/* The checks across flags, after parsing. */
static int args_check(vd_cli_args *c, args *a)
{
    if (!a->input)
        return vd_cli_args_error(c, "missing INPUT");
    if (!a->az.model && !a->motion)
        return vd_cli_args_error(c, "give --model MODEL and/or --motion");
    if (!a->az.model && (a->az.kind || a->az.labels || a->az.n_tf || a->an.n_classes ||
                         a->az.n_outputs || a->motion_crop))
        return vd_cli_args_error(c, "model options need --model");
    a->az.outputs = a->az.n_outputs ? a->outputs : NULL;
    a->an.motion = !a->motion ? VD_MOTION_OFF : !a->az.model ? VD_MOTION_DETECT
                   : a->motion_crop ? VD_MOTION_CROP : VD_MOTION_GATE;
    return 0;
}

/* 0 to go on, -1 after --help, else an exit status. */
static int parse_args(args *a, int argc, char **argv)
{
    vd_cli_args c;
    vd_cli_args_init(&c, "detect", argc, argv, 1);
    while (vd_cli_args_next(&c)) {
        if (vd_cli_args_help(&c)) {
            printf("%s%s%s", usage_text, vd_cli_select_usage(), vd_cli_source_usage());
            return -1;
        }
        int rc = parse_one(&c, a);
        if (rc)
            return rc < 0 ? vd_cli_args_unknown(&c) : rc;
    }
    return args_check(&c, a);
}

/* ---- run ---- */

static int fail(const vd_error *e)
{
    fprintf(stderr, "visiond detect: %s\n", e->msg);
    return VD_EXIT_INPUT;
}

static int open_source(run *r, const args *a, vd_error *e)
{
    if (a->cs.pixfmt_set && a->cs.conv.fmt != VD_PIX_RGB24)
        return vd_error_set(e, VD_EINVAL, "--pix-fmt: detect analyses rgb24 frames only");
    vd_source_opts o;
    vd_source_opts_init(&o);
    o.reader.threads = 0; /* decoder threads: one per core */
    vd_cli_source_apply(&a->src, &o.reader);
    o.select = a->cs.sel;
    o.indices = a->cs.indices;
    o.n_indices = a->cs.nindices;
    o.width = a->cs.conv.width;
    o.height = a->cs.conv.height;
    return vd_source_open(&r->src, a->input, &o, e);
}

static int open_all(run *r, args *a, vd_error *e)
{
    int rc;
    if ((rc = vd_cli_select_check(&a->cs, e)))
        return rc;
    if (a->az.model) {
        if ((rc = vd_analyzer_create(&r->az, &a->az, e)) ||
            (rc = vd_analyzer_session_create(r->az, a->threads, 1, &r->sess, &r->input, e)))
            return rc;
        r->n_outputs = vd_nn_model_output_count(vd_analyzer_model(r->az));
        if (!(r->outputs = calloc((size_t)r->n_outputs, sizeof *r->outputs)))
            return vd_error_set(e, VD_ENOMEM, "out of memory");
    }
    if ((rc = vd_analysis_create(&r->an, r->az, &a->an, e)))
        return rc;
    if (a->annotate && mkdir(a->annotate, 0777) && errno != EEXIST)
        return vd_error_set(e, VD_EIO, "%s: cannot create the directory: %s", a->annotate,
                            strerror(errno));
    return open_source(r, a, e);
}

/* pre -> (model) -> post for one frame. */
static int analyse(run *r, const vd_source_frame *f, vd_error *e)
{
    r->frame.rgb = f->rgb;
    r->frame.width = f->width;
    r->frame.height = f->height;
    r->frame.linesize = f->linesize;
    r->frame.pts = f->pts;
    int infer = vd_analysis_pre(r->an, &r->frame, &r->input, 0, e);
    if (infer < 0)
        return infer;
    if (infer) {
        for (int i = 0; i < r->n_outputs; i++)
            vd_tensor_free(&r->outputs[i]); /* the session allocates them per run */
        int rc = vd_nn_session_run(r->sess, &r->input, 1, r->outputs, r->n_outputs, e);
        if (rc)
            return rc;
        r->counts.det_runs++;
    } else if (r->az) {
        r->counts.gated++;
    }
    return vd_analysis_post(r->an, &r->frame, infer ? r->outputs : NULL, r->n_outputs, 0,
                            &r->res, e);
}

static int loop(run *r, const args *a, vd_error *e)
{
    vd_source_frame f;
    double last_pts = 0; /* for the END events of the final flush */
    int rc;
    while ((rc = vd_source_next(r->src, &f, e)) == 0) {
        if ((rc = analyse(r, &f, e)))
            return rc;
        r->counts.frames++;
        last_pts = f.pts;
        vd_detect_out_frame(r->an, &f, &r->res, a->motion && a->az.model);
        vd_detect_out_events(&r->res, f.pts);
        if (a->annotate && (rc = vd_detect_out_annotate(a->annotate, &f, &r->res.dets, e)))
            return rc;
    }
    if (rc != VD_EOF || (rc = vd_analysis_flush(r->an, &r->res, e)))
        return rc;
    vd_detect_out_events(&r->res, last_pts);
    return VD_OK;
}

static void close_all(run *r)
{
    vd_analysis_result_free(&r->res);
    vd_analysis_frame_free(&r->frame);
    vd_source_close(&r->src);
    vd_analysis_free(&r->an);
    for (int i = 0; i < r->n_outputs; i++)
        vd_tensor_free(&r->outputs[i]);
    free(r->outputs);
    vd_tensor_free(&r->input);
    vd_nn_session_free(&r->sess);
    vd_analyzer_free(&r->az);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

int vd_cli_detect(int argc, char **argv)
{
    args a;
    args_init(&a);
    int status = parse_args(&a, argc, argv);
    if (status) {
        args_free(&a);
        return status < 0 ? VD_EXIT_OK : status;
    }
    run r;
    vd_error e;
    memset(&r, 0, sizeof r);
    vd_error_clear(&e);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (open_all(&r, &a, &e) || loop(&r, &a, &e))
        status = fail(&e);
    fflush(stdout);
    if (!status)
        vd_detect_out_summary(r.an, &r.counts, seconds_since(&t0));
    close_all(&r);
    args_free(&a);
    return status;
}
