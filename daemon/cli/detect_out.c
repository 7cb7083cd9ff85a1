/* detect_out.c -- the output of `visiond detect`. See detect_out.h. The
 * numbers keep the precision a reader needs and no more: pts to the
 * microsecond, scores to 1e-4, boxes and keypoints to a tenth of a pixel. */
#include "detect_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "vision/image/draw.h"
#include "vision/image/image.h"

static json_t *box_json(const float *b)
{
    json_t *a = json_array();
    for (int k = 0; k < 4; k++)
        json_array_append_new(a, vd_cli_json_real(b[k], 1));
    return a;
}

static json_t *detection_json(const vd_analysis *an, const vd_detection *d)
{
    json_t *o = json_object();
    json_object_set_new(o, "label", vd_cli_json_string(d->name));
    json_object_set_new(o, "score", vd_cli_json_real(d->score, 4));
    json_object_set_new(o, "box", box_json(d->box));
    if (d->track_id)
        json_object_set_new(o, "track_id", json_integer(d->track_id));
    if (d->n_keypoints) {
        json_t *kp = json_array();
        for (int k = 0; k < d->n_keypoints; k++)
            json_array_append_new(kp, json_pack("[oo]", vd_cli_json_real(d->keypoints[k][0], 1),
                                                vd_cli_json_real(d->keypoints[k][1], 1)));
        json_object_set_new(o, "keypoints", kp);
    }
    if (d->zones) {
        json_t *z = json_array();
        for (int i = 0; i < vd_analysis_zone_count(an); i++)
            if (d->zones & (1u << i))
                json_array_append_new(z, vd_cli_json_string(vd_analysis_zone_name(an, i)));
        json_object_set_new(o, "zones", z);
    }
    return o;
}

void vd_detect_out_frame(const vd_analysis *an, const vd_source_frame *f,
                         const vd_analysis_result *res, int show_motion)
{
    json_t *o = json_object(), *dets = json_array();
    json_object_set_new(o, "pts", vd_cli_json_real(f->pts, 6));
    if (f->damaged)
        json_object_set_new(o, "damaged", json_true());
    if (show_motion)
        json_object_set_new(o, "motion", json_integer(res->regions.count));
    for (int i = 0; i < res->dets.count; i++)
        json_array_append_new(dets, detection_json(an, &res->dets.items[i]));
    json_object_set_new(o, "detections", dets);
    vd_cli_json_line(o, 1);
}

void vd_detect_out_events(const vd_analysis_result *res, double pts)
{
    static const char *const names[] = {"new", "update", "end"};
    for (int i = 0; i < res->n_events; i++) {
        const vd_track_event *ev = &res->events[i];
        if (ev->type == VD_TRACK_UPDATE)
            continue; /* the frame line carries the track ids */
        json_t *o = json_object();
        json_object_set_new(o, "pts", vd_cli_json_real(pts, 6));
        json_object_set_new(o, "event", json_string(names[ev->type]));
        json_object_set_new(o, "track_id", json_integer(ev->id));
        json_object_set_new(o, "label", vd_cli_json_string(ev->name));
        json_object_set_new(o, "first_pts", vd_cli_json_real(ev->first_pts, 6));
        json_object_set_new(o, "last_pts", vd_cli_json_real(ev->last_pts, 6));
        json_object_set_new(o, "hits", json_integer(ev->hits));
        json_object_set_new(o, "top_score", vd_cli_json_real(ev->top_score, 4));
        json_object_set_new(o, "best_box", box_json(ev->best_box));
        json_object_set_new(o, "box", box_json(ev->box));
        vd_cli_json_line(o, 1);
    }
}

int vd_detect_out_annotate(const char *dir, const vd_source_frame *f, const vd_det_list *dets,
                           vd_error *err)
{
    size_t n = (size_t)f->linesize * (size_t)f->height;
    uint8_t *copy = malloc(n);
    if (!copy)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    memcpy(copy, f->rgb, n);
    vd_canvas c = {copy, f->width, f->height, f->linesize};
    int scale = f->width >= 1280 ? 2 : 1;
    for (int i = 0; i < dets->count; i++) {
        const vd_detection *d = &dets->items[i];
        char text[96];
        if (d->track_id)
            snprintf(text, sizeof text, "%s #%lld %.2f", d->name, (long long)d->track_id, d->score);
        else
            snprintf(text, sizeof text, "%s %.2f", d->name, d->score);
        vd_color col = vd_draw_palette(d->track_id ? (int)d->track_id : d->label);
        vd_draw_box_label(&c, d->box[0], d->box[1], d->box[2], d->box[3], text, col, 2, scale);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%06lld.jpg", dir, (long long)f->n);
    int rc = vd_img_save_pixels(copy, f->width, f->height, f->linesize, 3, path, VD_IMG_JPEG, 90, err);
    free(copy);
    return rc;
}

void vd_detect_out_summary(const vd_analysis *an, const vd_detect_counts *c, double secs)
{
    fprintf(stderr, "visiond detect: %lld frames in %.2f s (%.1f frames/s), detector ran on %lld",
            (long long)c->frames, secs, secs > 0 ? (double)c->frames / secs : 0.0,
            (long long)c->det_runs);
    if (c->damaged)
        fprintf(stderr, ", %lld damaged (decoded with concealment)", (long long)c->damaged);
    vd_motion_stats st;
    if (vd_analysis_motion_stats(an, &st))
        fprintf(stderr, ", motion in %lld, skipped %lld, light/scene resets %lld",
                (long long)st.motion_frames, (long long)c->gated, (long long)st.resets);
    fputc('\n', stderr);
}
