/* detect_args.c -- the flags of `visiond detect`. See detect_args.h.
 * Every value is checked while parsing (a bad --layout or --kind is a
 * usage error, exit 2, before any file is opened), through the same
 * parsers the pipeline uses (vd_tf_spec_set, vd_det_kind_parse,
 * vd_zone_parse), so a flag and a card key can never mean different
 * things. */
#include "detect_args.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

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
        if (*n == VD_DETECT_MAX_LIST)
            return vd_cli_args_error(c, "%s: more than %d names", c->flag, VD_DETECT_MAX_LIST);
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
static int parse_tf(vd_cli_args *c, vd_detect_args *a)
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

static int parse_model_flag(vd_cli_args *c, vd_detect_args *a)
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

static int parse_zone(vd_cli_args *c, vd_detect_args *a)
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
static int parse_number(vd_cli_args *c, vd_detect_args *a)
{
    static const struct { const char *flag; size_t off; int is_float; } nums[] = {
        {"--threshold", offsetof(vd_detect_args, an.threshold), 1},
        {"--iou", offsetof(vd_detect_args, an.iou), 1},
        {"--max-detections", offsetof(vd_detect_args, an.max_detections), 0},
        {"--top-k", offsetof(vd_detect_args, an.top_k), 0},
        {"--threads", offsetof(vd_detect_args, threads), 0},
        {"--motion-threshold", offsetof(vd_detect_args, an.motion_opts.threshold), 0},
        {"--motion-min-area", offsetof(vd_detect_args, an.motion_opts.min_area), 1},
        {"--motion-alpha", offsetof(vd_detect_args, an.motion_opts.alpha), 1},
        {"--motion-width", offsetof(vd_detect_args, an.motion_opts.width), 0},
        {"--min-hits", offsetof(vd_detect_args, an.tracker_opts.min_hits), 0},
        {"--max-age", offsetof(vd_detect_args, an.tracker_opts.max_age), 0},
        {"--track-iou", offsetof(vd_detect_args, an.tracker_opts.iou), 1},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        if (!vd_cli_args_is(c, nums[k].flag))
            continue;
        void *p = (char *)a + nums[k].off;
        return nums[k].is_float ? vd_cli_args_float(c, p) : vd_cli_args_int(c, 0, 1000000, p);
    }
    return -1;
}

static int parse_switch(vd_cli_args *c, vd_detect_args *a)
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
static int parse_one(vd_cli_args *c, vd_detect_args *a)
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

static void args_init(vd_detect_args *a)
{
    memset(a, 0, sizeof *a);
    vd_analysis_opts_init(&a->an);
    a->threads = 1;
    a->an.zones = a->zones;
    a->an.classes = a->classes;
    vd_cli_select_init(&a->cs);
}

void vd_detect_args_free(vd_detect_args *a)
{
    vd_cli_select_free(&a->cs);
    free(a->classes_buf);
    free(a->outputs_buf);
}

/* The checks across flags, after parsing. */
static int args_check(vd_cli_args *c, vd_detect_args *a)
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

int vd_detect_args_parse(vd_detect_args *a, int argc, char **argv)
{
    args_init(a);
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
