/* analysis.c -- the per-stream half of the analysis stage: motion gate,
 * detection area and preprocessing before the model runs (pre), decoding,
 * zones and tracking after (post). See analysis.h.
 *
 * The design choice: everything pre() learns about a frame that post()
 * needs (the slot geometry, whether it moved, its motion regions) travels
 * in the caller's vd_analysis_frame, not in the vd_analysis, so a caller
 * may prepare several frames of one stream into one batch before their
 * post() calls, and may recycle the pixels as soon as pre() returns. */
#include "analysis_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct vd_analysis {
    const vd_analyzer *az;     /* NULL: motion only */
    vd_motion_mode mode;
    vd_zone zones[VD_DET_MAX_ZONES];
    int n_zones;
    vd_detector *det;          /* this stream's threshold/classes/zones */
    vd_motion *motion;
    vd_tracker *tracker;
};

void vd_analysis_opts_init(vd_analysis_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threshold = o->iou = -1;
}

/* The stream's detector: the card's settings, the stream's on top. */
static int make_detector(vd_analysis *an, const vd_analysis_opts *s, vd_error *e)
{
    const vd_analyzer *az = an->az;
    vd_detector_opts o;
    vd_card_detector_opts(&az->card, &o);
    if (s->threshold >= 0) o.threshold = s->threshold;
    if (s->iou >= 0) o.iou = s->iou;
    if (s->max_detections > 0) o.max_detections = s->max_detections;
    if (s->top_k > 0) o.top_k = s->top_k;
    if (s->n_classes > 0) {
        o.classes = s->classes;
        o.n_classes = s->n_classes;
    }
    o.zones = an->zones;
    o.n_zones = an->n_zones;
    int rc = vd_detector_create(&an->det, &o, &az->labels, e);
    return rc ? vd_error_prefix(e, "%s: ", az->card.path) : VD_OK;
}

static int setup(vd_analysis *an, const vd_analysis_opts *o, vd_error *e)
{
    if (!an->az && o->motion != VD_MOTION_DETECT)
        return vd_error_set(e, VD_EINVAL, "analysis: without a model only motion detection can run");
    if (an->az && o->motion == VD_MOTION_DETECT)
        return vd_error_set(e, VD_EINVAL, "%s: motion detection mode runs no model; motion gates "
                            "or crops for a model", an->az->card.path);
    if (o->n_zones < 0 || o->n_zones > VD_DET_MAX_ZONES)
        return vd_error_set(e, VD_EINVAL, "analysis: %d zones (at most %d)", o->n_zones,
                            VD_DET_MAX_ZONES);
    if (o->n_zones)
        memcpy(an->zones, o->zones, (size_t)o->n_zones * sizeof *o->zones);
    an->n_zones = o->n_zones;
    int rc;
    if (an->az && (rc = make_detector(an, o, e)))
        return rc;
    if (o->motion != VD_MOTION_OFF && (rc = vd_motion_create(&an->motion, &o->motion_opts, e)))
        return rc;
    return o->track ? vd_tracker_create(&an->tracker, &o->tracker_opts, e) : VD_OK;
}

int vd_analysis_create(vd_analysis **out, const vd_analyzer *az, const vd_analysis_opts *opts,
                       vd_error *err)
{
    *out = NULL;
    vd_analysis *an = calloc(1, sizeof *an);
    if (!an)
        return vd_error_set(err, VD_ENOMEM, "analysis: out of memory");
    an->az = az;
    an->mode = opts->motion;
    int rc = setup(an, opts, err);
    if (rc) {
        vd_analysis_free(&an);
        return rc;
    }
    *out = an;
    return VD_OK;
}

void vd_analysis_free(vd_analysis **pan)
{
    vd_analysis *an = *pan;
    if (!an)
        return;
    vd_detector_free(&an->det);
    vd_motion_free(&an->motion);
    vd_tracker_free(&an->tracker);
    free(an);
    *pan = NULL;
}

/* The part of the frame the model sees: all of it, or (VD_MOTION_CROP)
 * the union of the motion regions grown by a quarter of its size (at least
 * 16 px) on each side, clipped to the frame. */
static void detect_area(const vd_analysis *an, const vd_analysis_frame *f, int *x0, int *y0,
                        int *x1, int *y1)
{
    *x0 = *y0 = 0;
    *x1 = f->width;
    *y1 = f->height;
    if (an->mode != VD_MOTION_CROP || !f->regions.count)
        return;
    float bx0 = 1e30f, by0 = 1e30f, bx1 = -1e30f, by1 = -1e30f;
    for (int i = 0; i < f->regions.count; i++) {
        const float *b = f->regions.items[i].box;
        bx0 = fminf(bx0, b[0]), by0 = fminf(by0, b[1]);
        bx1 = fmaxf(bx1, b[2]), by1 = fmaxf(by1, b[3]);
    }
    float mx = fmaxf(16, (bx1 - bx0) / 4), my = fmaxf(16, (by1 - by0) / 4);
    *x0 = (int)fmaxf(0, floorf(bx0 - mx));
    *y0 = (int)fmaxf(0, floorf(by0 - my));
    *x1 = (int)fminf((float)f->width, ceilf(bx1 + mx));
    *y1 = (int)fminf((float)f->height, ceilf(by1 + my));
}

/* The detection area through the chain into the slot; the geometry maps
 * boxes of a crop back to the whole frame (clipping and zones too). */
static int fill_slot(const vd_analysis *an, vd_analysis_frame *f, vd_tensor *input, int slot,
                     vd_error *e)
{
    int x0, y0, x1, y1;
    detect_area(an, f, &x0, &y0, &x1, &y1);
    vd_tf_image img = {.data = f->rgb + (size_t)y0 * (size_t)f->linesize + (size_t)x0 * 3,
                       .width = x1 - x0, .height = y1 - y0, .linesize = f->linesize,
                       .fmt = VD_PIX_RGB24};
    int rc = vd_tf_chain_run(an->az->chain, &img, input, slot, &f->geom, e);
    if (rc)
        return rc;
    f->geom.crop_x += (float)x0;
    f->geom.crop_y += (float)y0;
    f->geom.src_w = f->width;
    f->geom.src_h = f->height;
    return VD_OK;
}

int vd_analysis_pre(vd_analysis *an, vd_analysis_frame *f, vd_tensor *input, int slot,
                    vd_error *err)
{
    f->infer = 0;
    f->moved = 0;
    vd_det_list_clear(&f->regions);
    if (an->motion) {
        int rc = vd_motion_update(an->motion, f->rgb, f->width, f->height, f->linesize, 3,
                                  &f->regions, err);
        if (rc < 0)
            return rc;
        f->moved = rc > 0;
    }
    if (!an->det || (an->motion && !f->moved))
        return 0;
    int rc = fill_slot(an, f, input, slot, err);
    if (rc)
        return rc;
    f->infer = 1;
    return 1;
}

/* The adapter's outputs, picked out of the model's (shallow copies). */
static int decode(const vd_analysis *an, const vd_analysis_frame *f, const vd_tensor *outputs,
                  int n_outputs, int slot, vd_det_list *dets, vd_error *e)
{
    const vd_analyzer *az = an->az;
    vd_tensor sel[VD_ANALYZER_MAX_OUTPUTS];
    if (!outputs || n_outputs < az->n_model_outputs)
        return vd_error_set(e, VD_EINVAL, "%s: post() needs the model's %d outputs, got %d",
                            az->card.path, az->n_model_outputs, outputs ? n_outputs : 0);
    for (int i = 0; i < az->n_out; i++)
        sel[i] = outputs[az->out[i]];
    int rc = vd_detector_decode(an->det, sel, az->n_out, slot, &f->geom, dets, e);
    return rc ? vd_error_prefix(e, "%s: ", az->card.path) : VD_OK;
}

static int copy_list(vd_det_list *to, const vd_det_list *from, vd_error *e)
{
    int rc = VD_OK;
    vd_det_list_clear(to);
    for (int i = 0; i < from->count && !rc; i++)
        rc = vd_det_list_push(to, &from->items[i], e);
    return rc;
}

int vd_analysis_post(vd_analysis *an, const vd_analysis_frame *f, const vd_tensor *outputs,
                     int n_outputs, int slot, vd_analysis_result *res, vd_error *err)
{
    vd_det_list_clear(&res->dets);
    res->events = NULL;
    res->n_events = 0;
    res->motion = f->moved;
    int rc = copy_list(&res->regions, &f->regions, err);
    if (!rc && f->infer) {
        rc = decode(an, f, outputs, n_outputs, slot, &res->dets, err);
    } else if (!rc && !an->az) { /* motion only: the regions are the detections */
        rc = copy_list(&res->dets, &f->regions, err);
        vd_zones_mark(an->zones, an->n_zones, f->width, f->height, &res->dets);
    }
    if (rc || !an->tracker)
        return rc;
    if ((rc = vd_tracker_update(an->tracker, f->pts, &res->dets, err)))
        return rc;
    res->n_events = vd_tracker_events(an->tracker, &res->events);
    return VD_OK;
}

int vd_analysis_flush(vd_analysis *an, vd_analysis_result *res, vd_error *err)
{
    vd_det_list_clear(&res->dets);
    vd_det_list_clear(&res->regions);
    res->motion = 0;
    res->events = NULL;
    res->n_events = 0;
    if (!an->tracker)
        return VD_OK;
    int rc = vd_tracker_flush(an->tracker, err);
    if (!rc)
        res->n_events = vd_tracker_events(an->tracker, &res->events);
    return rc;
}

void vd_analysis_result_free(vd_analysis_result *res)
{
    vd_det_list_free(&res->dets);
    vd_det_list_free(&res->regions);
    res->events = NULL;
    res->n_events = 0;
}

void vd_analysis_frame_free(vd_analysis_frame *f) { vd_det_list_free(&f->regions); }

int vd_analysis_zone_count(const vd_analysis *an) { return an->n_zones; }

const char *vd_analysis_zone_name(const vd_analysis *an, int z)
{
    return z < 0 || z >= an->n_zones ? NULL : an->zones[z].name;
}

int vd_analysis_motion_stats(const vd_analysis *an, vd_motion_stats *st)
{
    memset(st, 0, sizeof *st);
    if (!an->motion)
        return 0;
    vd_motion_stats_get(an->motion, st);
    return 1;
}
