/* cli_detect.c -- `visiond detect`: run a detector (and/or the motion
 * detector, and the tracker) over a video or a still image and print JSON
 * Lines. The per-frame pipeline is the one the daemon will run:
 *   frame (RGB24) -> [motion gate] -> chain into the input tensor ->
 *   session run -> adapter decode (source pixels) -> [tracker] -> output.
 * Settings come from a model card, overridden by flags; both go through
 * the same setters (vd_tf_spec_set for preprocessing), so a flag and a card
 * key can never mean different things. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "detect_src.h"
#include "pipeline/card.h"
#include "vision/detect/detect.h"
#include "vision/image/draw.h"
#include "vision/image/image.h"
#include "vision/motion/motion.h"
#include "vision/nn/nn.h"
#include "vision/track/track.h"
#include "vision/transform/transforms.h"

#define MAX_TF 16
#define MAX_CLASSES 128

typedef struct args {
    const char *input, *model, *kind, *labels, *annotate;
    float threshold, iou;
    int max_det, top_k, threads;
    char *classes_buf;
    const char *classes[MAX_CLASSES];
    int n_classes;
    const char *tf_key[MAX_TF], *tf_val[MAX_TF]; /* preprocessing overrides, in order */
    int n_tf;
    vd_zone zones[VD_DET_MAX_ZONES];
    int n_zones;
    int motion, motion_crop, track;
    vd_motion_opts mo;
    vd_tracker_opts to;
} args;

typedef struct run {
    vd_card card;
    vd_labels labels;
    vd_nn_model *model;
    vd_nn_session *sess;
    vd_tf_chain *chain;
    vd_detector *det;
    vd_tensor input;
    vd_tensor *outputs;
    int n_outputs;
    vd_motion *motion;
    vd_tracker *tracker;
    vd_dsrc *src;
    vd_det_list dets, regions;
    int64_t frames, det_runs, gated;
    double last_pts; /* for the END events of the final flush */
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

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "visiond detect: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(see visiond detect --help)\n");
    return VD_EXIT_USAGE;
}

static int parse_float(const char *flag, const char *v, float *out)
{
    char *end;
    errno = 0;
    float f = strtof(v, &end);
    if (!*v || *end || errno || !isfinite(f))
        return usage_error("%s: '%s' is not a number", flag, v);
    *out = f;
    return 0;
}

static int parse_int(const char *flag, const char *v, int *out)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < 0 || x > 1000000)
        return usage_error("%s: '%s' is not a non-negative integer", flag, v);
    *out = (int)x;
    return 0;
}

static int parse_classes(args *a, const char *v)
{
    free(a->classes_buf);
    a->classes_buf = strdup(v);
    a->n_classes = 0;
    char *save = NULL;
    for (char *t = strtok_r(a->classes_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (a->n_classes == MAX_CLASSES)
            return usage_error("--classes: more than %s names%s", "128", "");
        a->classes[a->n_classes++] = t;
    }
    return a->n_classes ? 0 : usage_error("--classes: '%s' names no class%s", v, "");
}

static int is_tf_flag(const char *f)
{
    static const char *const names[] = {"--input-size", "--resize", "--pad-value",
                                        "--interpolation", "--layout", "--channels",
                                        "--range", "--mean", "--std", "--antialias"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(f, names[i]))
            return 1;
    return 0;
}

/* Flags with a value; returns 0, or an exit code. */
static int parse_valued(args *a, const char *f, const char *v)
{
    vd_error e;
    if (!strcmp(f, "--model")) a->model = v;
    else if (!strcmp(f, "--kind")) {
        vd_det_kind k;
        if (vd_det_kind_parse(v, &k, &e))
            return usage_error("--kind: %s%s", e.msg, "");
        a->kind = v;
    }
    else if (!strcmp(f, "--labels")) a->labels = v;
    else if (!strcmp(f, "--annotate")) a->annotate = v;
    else if (!strcmp(f, "--threshold")) return parse_float(f, v, &a->threshold);
    else if (!strcmp(f, "--iou")) return parse_float(f, v, &a->iou);
    else if (!strcmp(f, "--max-detections")) return parse_int(f, v, &a->max_det);
    else if (!strcmp(f, "--top-k")) return parse_int(f, v, &a->top_k);
    else if (!strcmp(f, "--threads")) return parse_int(f, v, &a->threads);
    else if (!strcmp(f, "--classes")) return parse_classes(a, v);
    else if (!strcmp(f, "--motion-threshold")) return parse_int(f, v, &a->mo.threshold);
    else if (!strcmp(f, "--motion-min-area")) return parse_float(f, v, &a->mo.min_area);
    else if (!strcmp(f, "--motion-alpha")) return parse_float(f, v, &a->mo.alpha);
    else if (!strcmp(f, "--motion-width")) return parse_int(f, v, &a->mo.width);
    else if (!strcmp(f, "--min-hits")) return parse_int(f, v, &a->to.min_hits);
    else if (!strcmp(f, "--max-age")) return parse_int(f, v, &a->to.max_age);
    else if (!strcmp(f, "--track-iou")) return parse_float(f, v, &a->to.iou);
    else if (!strcmp(f, "--zone")) {
        if (a->n_zones == VD_DET_MAX_ZONES)
            return usage_error("--zone: at most %s zones%s", "32", "");
        if (vd_zone_parse(&a->zones[a->n_zones++], v, &e))
            return usage_error("--zone: %s%s", e.msg, "");
    } else if (is_tf_flag(f)) {
        vd_tf_spec probe; /* reject a bad value now, as a usage error */
        vd_tf_spec_default(&probe, 1, 1);
        if (vd_tf_spec_set(&probe, f, v, &e))
            return usage_error("%s%s", e.msg, "");
        if (a->n_tf == MAX_TF)
            return usage_error("too many preprocessing flags%s%s", "", "");
        a->tf_key[a->n_tf] = f;
        a->tf_val[a->n_tf++] = v;
    } else {
        return -1;
    }
    return 0;
}

static int parse_args(args *a, vd_dsrc *src, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->threshold = a->iou = -1;
    a->threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            printf("%s%s", usage_text, vd_dsrc_usage());
            return -1;
        }
        vd_error e;
        int k = vd_dsrc_parse_flag(src, argc, argv, &i, &e);
        if (k < 0)
            return usage_error("%s%s", e.msg, "");
        if (k > 0)
            continue;
        if (!strcmp(f, "--motion") || !strcmp(f, "--motion-crop")) {
            a->motion = 1;
            a->motion_crop |= !strcmp(f, "--motion-crop");
            continue;
        }
        if (!strcmp(f, "--track")) {
            a->track = 1;
            continue;
        }
        if (f[0] != '-' || !f[1]) {
            if (a->input)
                return usage_error("more than one input ('%s', '%s')", a->input, f);
            a->input = f;
            continue;
        }
        if (i + 1 >= argc)
            return usage_error("%s needs a value%s", f, "");
        int rc = parse_valued(a, f, argv[++i]);
        if (rc < 0)
            return usage_error("unknown option '%s'%s", f, "");
        if (rc)
            return rc;
    }
    if (!a->input)
        return usage_error("missing INPUT%s%s", "", "");
    if (!a->model && !a->motion)
        return usage_error("give --model MODEL and/or --motion%s%s", "", "");
    if (!a->model && (a->kind || a->labels || a->n_tf || a->n_classes || a->motion_crop))
        return usage_error("model options need --model%s%s", "", "");
    return 0;
}

/* ---- model setup ---- */

static int fail(vd_error *e, const char *what)
{
    fprintf(stderr, "visiond detect: %s%s%s\n", what ? what : "", what ? ": " : "", e->msg);
    return VD_EXIT_INPUT;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* Card from file (or a bare .onnx), then the flags on top. */
static int load_card(run *r, const args *a, vd_error *e)
{
    int rc;
    if (ends_with(a->model, ".json")) {
        if ((rc = vd_card_load(&r->card, a->model, e)))
            return rc;
    } else {
        vd_card_init(&r->card);
        snprintf(r->card.path, sizeof r->card.path, "%s", a->model);
    }
    for (int i = 0; i < a->n_tf; i++) {
        if ((rc = vd_tf_spec_set(&r->card.input, a->tf_key[i], a->tf_val[i], e)))
            return rc;
        if (!strcmp(a->tf_key[i], "--input-size"))
            r->card.has_input_size = 1;
    }
    if (a->kind && (rc = vd_det_kind_parse(a->kind, &r->card.kind, e)))
        return rc;
    if (a->labels)
        snprintf(r->card.labels, sizeof r->card.labels, "%s", a->labels);
    return VD_OK;
}

/* The model's input shape decides layout and size where it is explicit:
 * [N,3,H,W] is nchw, [N,H,W,3] nhwc; a card/flag size must agree. */
static int fit_input(run *r, vd_error *e)
{
    if (vd_nn_model_input_count(r->model) != 1)
        return vd_error_set(e, VD_EUNSUPPORTED, "%s: %d inputs; detect feeds models with one image input",
                            r->card.path, vd_nn_model_input_count(r->model));
    const vd_nn_io_info *in = vd_nn_model_input(r->model, 0);
    vd_tf_spec *sp = &r->card.input;
    if (in->ndim != 4)
        return vd_error_set(e, VD_EUNSUPPORTED, "%s: input '%s' has %d dims; expected an image [N,C,H,W] or [N,H,W,C]",
                            r->card.path, in->name, in->ndim);
    int nhwc = in->shape[3] == 3 && in->shape[1] != 3;
    if (nhwc || in->shape[1] == 3)
        sp->layout = nhwc ? VD_TF_NHWC : VD_TF_NCHW;
    int64_t h = in->shape[nhwc ? 1 : 2], w = in->shape[nhwc ? 2 : 3];
    if (h > 0 && w > 0) {
        if (r->card.has_input_size && (sp->width != w || sp->height != h))
            return vd_error_set(e, VD_EINVAL, "%s: input size %dx%d given but the model takes %lldx%lld",
                                r->card.path, sp->width, sp->height, (long long)w, (long long)h);
        sp->width = (int)w;
        sp->height = (int)h;
    } else if (!r->card.has_input_size) {
        return vd_error_set(e, VD_EINVAL, "%s: the model's input size is not fixed: give --input-size WxH",
                            r->card.path);
    }
    return vd_tf_spec_validate(sp, e);
}

static int resolve_kind(run *r, vd_error *e)
{
    if (r->card.kind != VD_DET_AUTO)
        return VD_OK;
    int n = vd_nn_model_output_count(r->model);
    if (n > 16)
        return vd_error_set(e, VD_EINVAL, "%s: %d outputs: give --kind", r->card.path, n);
    int nd[16];
    int64_t sh[16][VD_TENSOR_MAX_DIMS];
    vd_dtype dt[16];
    for (int i = 0; i < n; i++) {
        nd[i] = vd_nn_session_output_shape(r->sess, i, sh[i]);
        dt[i] = vd_nn_model_output(r->model, i)->dtype;
    }
    int rc = vd_det_kind_guess(n, nd, (const int64_t(*)[VD_TENSOR_MAX_DIMS])sh, dt, r->labels.count,
                               &r->card.kind, e);
    return rc ? vd_error_prefix(e, "%s: ", r->card.path) : VD_OK;
}

/* Without labels, the YOLO/CenterNet families default to COCO's 80 and
 * torchvision to COCO's 91; ssd and classify print class_<i>. */
static int load_labels(run *r, vd_error *e)
{
    const char *spec = r->card.labels;
    if (!*spec) {
        vd_det_kind k = r->card.kind;
        spec = k == VD_DET_TORCHVISION ? "coco91"
               : (k == VD_DET_YOLOV5 || k == VD_DET_YOLOV8 || k == VD_DET_CENTERNET) ? "coco80"
                                                                                      : NULL;
    }
    return spec ? vd_labels_load(&r->labels, spec, e) : VD_OK;
}

static int make_detector(run *r, const args *a, vd_error *e)
{
    vd_detector_opts o;
    vd_card_detector_opts(&r->card, &o);
    if (a->threshold >= 0) o.threshold = a->threshold;
    if (a->iou >= 0) o.iou = a->iou;
    if (a->max_det > 0) o.max_detections = a->max_det;
    if (a->top_k > 0) o.top_k = a->top_k;
    if (a->n_classes) {
        o.classes = a->classes;
        o.n_classes = a->n_classes;
    }
    o.zones = a->zones;
    o.n_zones = a->n_zones;
    int rc = vd_detector_create(&r->det, &o, &r->labels, e);
    return rc ? vd_error_prefix(e, "%s: ", r->card.path) : VD_OK;
}

static int setup_model(run *r, const args *a, vd_error *e)
{
    int rc;
    if ((rc = load_card(r, a, e)) || (rc = vd_nn_model_load(&r->model, r->card.path, e)) ||
        (rc = fit_input(r, e)))
        return rc;
    vd_nn_session_opts so = {.threads = a->threads, .batch = 1};
    if ((rc = vd_nn_session_create(&r->sess, r->model, &so, e)))
        return rc;
    /* labels before the guess: their count disambiguates YOLO layouts */
    if (r->card.labels[0] && (rc = vd_labels_load(&r->labels, r->card.labels, e)))
        return rc;
    if ((rc = resolve_kind(r, e)))
        return rc;
    if (!r->card.labels[0] && (rc = load_labels(r, e)))
        return rc;
    if ((rc = make_detector(r, a, e)) || (rc = vd_tf_chain_create(&r->chain, &r->card.input, e)))
        return rc;
    /* float32 input, or uint8 for graphs that take raw pixels (the chain
     * then needs range 0-255 and no mean/std) */
    int64_t shape[VD_TENSOR_MAX_DIMS];
    int nd = vd_nn_session_input_shape(r->sess, 0, shape);
    vd_dtype dt = vd_nn_model_input(r->model, 0)->dtype;
    if (dt != VD_DTYPE_F32 && dt != VD_DTYPE_U8)
        return vd_error_set(e, VD_EUNSUPPORTED, "%s: input is %s; detect feeds float32 or uint8",
                            r->card.path, vd_dtype_name(dt));
    if ((rc = vd_tensor_alloc(&r->input, dt, nd, shape, e)))
        return rc;
    r->n_outputs = vd_nn_model_output_count(r->model);
    r->outputs = calloc((size_t)r->n_outputs, sizeof *r->outputs);
    return r->outputs ? VD_OK : vd_error_set(e, VD_ENOMEM, "out of memory");
}

/* ---- per frame ---- */

/* The part of the frame the detector sees: all of it, or (--motion-crop)
 * the union of the motion regions grown by a quarter of its size (at least
 * 16 px) on each side, clipped to the frame. */
static void detect_area(const run *r, const args *a, const vd_dsrc_frame *f, int *x0, int *y0,
                        int *x1, int *y1)
{
    *x0 = *y0 = 0;
    *x1 = f->width;
    *y1 = f->height;
    if (!a->motion_crop || !r->regions.count)
        return;
    float bx0 = 1e30f, by0 = 1e30f, bx1 = -1e30f, by1 = -1e30f;
    for (int i = 0; i < r->regions.count; i++) {
        const float *b = r->regions.items[i].box;
        bx0 = fminf(bx0, b[0]), by0 = fminf(by0, b[1]);
        bx1 = fmaxf(bx1, b[2]), by1 = fmaxf(by1, b[3]);
    }
    float mx = fmaxf(16, (bx1 - bx0) / 4), my = fmaxf(16, (by1 - by0) / 4);
    *x0 = (int)fmaxf(0, floorf(bx0 - mx));
    *y0 = (int)fmaxf(0, floorf(by0 - my));
    *x1 = (int)fminf((float)f->width, ceilf(bx1 + mx));
    *y1 = (int)fminf((float)f->height, ceilf(by1 + my));
}

static int run_detector(run *r, const args *a, const vd_dsrc_frame *f, vd_error *e)
{
    int x0, y0, x1, y1;
    detect_area(r, a, f, &x0, &y0, &x1, &y1);
    vd_tf_image img = {.data = f->rgb + (size_t)y0 * (size_t)f->linesize + (size_t)x0 * 3,
                       .width = x1 - x0, .height = y1 - y0, .linesize = f->linesize,
                       .fmt = VD_PIX_RGB24};
    vd_tf_geom g;
    int rc = vd_tf_chain_run(r->chain, &img, &r->input, 0, &g, e);
    if (rc)
        return rc;
    /* boxes of a crop map back to the whole frame (clipping and zones too) */
    g.crop_x += (float)x0;
    g.crop_y += (float)y0;
    g.src_w = f->width;
    g.src_h = f->height;
    for (int i = 0; i < r->n_outputs; i++)
        vd_tensor_free(&r->outputs[i]); /* the session allocates them per run */
    if ((rc = vd_nn_session_run(r->sess, &r->input, 1, r->outputs, r->n_outputs, e)))
        return rc;
    r->det_runs++;
    return vd_detector_decode(r->det, r->outputs, r->n_outputs, 0, &g, &r->dets, e);
}

/* Motion gate and/or detector, then the tracker. */
static int process(run *r, const args *a, const vd_dsrc_frame *f, vd_error *e)
{
    int rc, moved = 1;
    vd_det_list_clear(&r->dets);
    if (r->motion) {
        rc = vd_motion_update(r->motion, f->rgb, f->width, f->height, f->linesize, 3,
                              &r->regions, e);
        if (rc < 0)
            return rc;
        moved = rc > 0;
    }
    if (r->det && moved) {
        if ((rc = run_detector(r, a, f, e)))
            return rc;
    } else if (r->det) {
        r->gated++;
    } else {
        for (int i = 0; i < r->regions.count; i++)
            if ((rc = vd_det_list_push(&r->dets, &r->regions.items[i], e)))
                return rc;
        vd_zones_mark(a->zones, a->n_zones, f->width, f->height, &r->dets);
    }
    return r->tracker ? vd_tracker_update(r->tracker, f->pts, &r->dets, e) : VD_OK;
}

static void print_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void print_box(const float *b)
{
    printf("[%.1f,%.1f,%.1f,%.1f]", b[0], b[1], b[2], b[3]);
}

static void print_detection(const vd_detection *d, const vd_zone *zones, int n_zones)
{
    printf("{\"label\":");
    print_string(d->name);
    printf(",\"score\":%.4f,\"box\":", d->score);
    print_box(d->box);
    if (d->track_id)
        printf(",\"track_id\":%lld", (long long)d->track_id);
    if (d->n_keypoints) {
        printf(",\"keypoints\":[");
        for (int k = 0; k < d->n_keypoints; k++)
            printf("%s[%.1f,%.1f]", k ? "," : "", d->keypoints[k][0], d->keypoints[k][1]);
        putchar(']');
    }
    if (d->zones) {
        printf(",\"zones\":[");
        for (int z = 0, first = 1; z < n_zones; z++)
            if (d->zones & (1u << z)) {
                printf("%s", first ? "" : ",");
                print_string(zones[z].name);
                first = 0;
            }
        putchar(']');
    }
    putchar('}');
}

static void print_frame(const run *r, const args *a, const vd_dsrc_frame *f)
{
    printf("{\"pts\":%.6f", f->pts);
    if (r->motion && r->det)
        printf(",\"motion\":%d", r->regions.count);
    printf(",\"detections\":[");
    for (int i = 0; i < r->dets.count; i++) {
        if (i)
            putchar(',');
        print_detection(&r->dets.items[i], a->zones, a->n_zones);
    }
    printf("]}\n");
}

/* Track events, one line each, after the frame line. */
static void print_events(const run *r, double pts)
{
    static const char *const names[] = {"new", "update", "end"};
    const vd_track_event *ev;
    int n = vd_tracker_events(r->tracker, &ev);
    for (int i = 0; i < n; i++) {
        if (ev[i].type == VD_TRACK_UPDATE)
            continue; /* the frame line carries the track ids */
        printf("{\"pts\":%.6f,\"event\":\"%s\",\"track_id\":%lld,\"label\":", pts,
               names[ev[i].type], (long long)ev[i].id);
        print_string(ev[i].name);
        printf(",\"first_pts\":%.6f,\"last_pts\":%.6f,\"hits\":%d,\"top_score\":%.4f,\"best_box\":",
               ev[i].first_pts, ev[i].last_pts, ev[i].hits, ev[i].top_score);
        print_box(ev[i].best_box);
        printf(",\"box\":");
        print_box(ev[i].box);
        printf("}\n");
    }
}

static int annotate(const run *r, const args *a, const vd_dsrc_frame *f, vd_error *e)
{
    size_t n = (size_t)f->linesize * (size_t)f->height;
    uint8_t *copy = malloc(n);
    if (!copy)
        return vd_error_set(e, VD_ENOMEM, "out of memory");
    memcpy(copy, f->rgb, n);
    vd_canvas c = {copy, f->width, f->height, f->linesize};
    int scale = f->width >= 1280 ? 2 : 1;
    for (int i = 0; i < r->dets.count; i++) {
        const vd_detection *d = &r->dets.items[i];
        char text[96];
        if (d->track_id)
            snprintf(text, sizeof text, "%s #%lld %.2f", d->name, (long long)d->track_id, d->score);
        else
            snprintf(text, sizeof text, "%s %.2f", d->name, d->score);
        vd_color col = vd_draw_palette(d->track_id ? (int)d->track_id : d->label);
        vd_draw_box_label(&c, d->box[0], d->box[1], d->box[2], d->box[3], text, col, 2, scale);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%06lld.jpg", a->annotate, (long long)f->n);
    int rc = vd_img_save_pixels(copy, f->width, f->height, f->linesize, 3, path, VD_IMG_JPEG, 90, e);
    free(copy);
    return rc;
}

/* ---- main ---- */

static int open_all(run *r, const args *a, vd_error *e)
{
    int rc;
    if (a->model && (rc = setup_model(r, a, e)))
        return rc;
    if (a->motion && (rc = vd_motion_create(&r->motion, &a->mo, e)))
        return rc;
    if (a->track && (rc = vd_tracker_create(&r->tracker, &a->to, e)))
        return rc;
    if (a->annotate && mkdir(a->annotate, 0777) && errno != EEXIST)
        return vd_error_set(e, VD_EIO, "%s: cannot create the directory: %s", a->annotate,
                            strerror(errno));
    return vd_dsrc_open(r->src, a->input, 0, e);
}

static int loop(run *r, const args *a, vd_error *e)
{
    vd_dsrc_frame f;
    int rc;
    while ((rc = vd_dsrc_next(r->src, &f, e)) == 0) {
        if ((rc = process(r, a, &f, e)))
            return rc;
        r->frames++;
        r->last_pts = f.pts;
        print_frame(r, a, &f);
        if (r->tracker)
            print_events(r, f.pts);
        if (a->annotate && (rc = annotate(r, a, &f, e)))
            return rc;
    }
    if (rc != VD_EOF)
        return rc;
    if (r->tracker) {
        if ((rc = vd_tracker_flush(r->tracker, e)))
            return rc;
        print_events(r, r->last_pts);
    }
    return VD_OK;
}

static void close_all(run *r)
{
    vd_card_free(&r->card);
    vd_labels_free(&r->labels);
    vd_detector_free(&r->det);
    vd_tf_chain_free(&r->chain);
    for (int i = 0; i < r->n_outputs; i++)
        vd_tensor_free(&r->outputs[i]);
    free(r->outputs);
    vd_tensor_free(&r->input);
    vd_nn_session_free(&r->sess);
    vd_nn_model_free(&r->model);
    vd_motion_free(&r->motion);
    vd_tracker_free(&r->tracker);
    vd_dsrc_free(&r->src);
    vd_det_list_free(&r->dets);
    vd_det_list_free(&r->regions);
}

static void print_summary(const run *r, double secs)
{
    fprintf(stderr, "visiond detect: %lld frames in %.2f s (%.1f frames/s), detector ran on %lld",
            (long long)r->frames, secs, secs > 0 ? (double)r->frames / secs : 0.0,
            (long long)r->det_runs);
    if (r->motion) {
        vd_motion_stats st;
        vd_motion_stats_get(r->motion, &st);
        fprintf(stderr, ", motion in %lld, skipped %lld, light/scene resets %lld",
                (long long)st.motion_frames, (long long)r->gated, (long long)st.resets);
    }
    fputc('\n', stderr);
}

int vd_cli_detect(int argc, char **argv)
{
    run r;
    args a;
    vd_error e;
    memset(&r, 0, sizeof r);
    vd_error_clear(&e);
    if (vd_dsrc_create(&r.src, &e))
        return fail(&e, NULL);
    int rc = parse_args(&a, r.src, argc, argv);
    if (rc) {
        vd_dsrc_free(&r.src);
        free(a.classes_buf);
        return rc < 0 ? VD_EXIT_OK : rc;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = VD_EXIT_OK;
    if ((rc = open_all(&r, &a, &e)) || (rc = loop(&r, &a, &e)))
        status = fail(&e, NULL);
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!status)
        print_summary(&r, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    close_all(&r);
    free(a.classes_buf);
    return status;
}
