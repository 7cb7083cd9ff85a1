/* json.c -- the JSON objects of the API (issue 10 §5), built in one place
 * so REST answers and SSE messages can never differ: detections, events
 * and streams. Pure functions of their input; any thread.
 *
 * Conventions: every wall-clock instant is given twice, `time`-style as
 * ISO 8601 UTC with milliseconds and as epoch seconds (`ts`, `start_ts`,
 * ...); `pts` is media time; boxes are [x1, y1, x2, y2] in source pixels
 * rounded to 0.1 px; an unknown or absent value is null, never 0 or "". */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "rt.h"

void rt_iso_time(double t, char *buf, size_t n)
{
    double whole = floor(t);
    time_t s = (time_t)whole;
    int ms = (int)lround((t - whole) * 1000);
    if (ms == 1000) {
        s++;
        ms = 0;
    }
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03dZ", ms);
}

static json_t *time_or_null(double t)
{
    if (t <= 0)
        return json_null();
    char buf[40];
    rt_iso_time(t, buf, sizeof buf);
    return json_string(buf);
}

static json_t *secs_or_null(double t)
{
    return t > 0 ? json_real(round(t * 1000) / 1000) : json_null();
}

static json_t *box(const float *b)
{
    json_t *a = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(a, json_real(round((double)b[i] * 10) / 10));
    return a;
}

static json_t *zones(const char (*z)[VD_STORE_LABEL_MAX], int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(z[i]));
    return a;
}

static json_t *id_or_null(int64_t id) { return id ? json_integer(id) : json_null(); }

static json_t *score(float s) { return json_real(round((double)s * 10000) / 10000); }

json_t *vd_json_detection(const vd_store_detection *d)
{
    return json_pack("{s:I, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}",
                     "id", (json_int_t)d->id, "stream", d->stream,
                     "pts", json_real(round(d->pts * 1e6) / 1e6), "time", time_or_null(d->ts),
                     "ts", secs_or_null(d->ts), "label", d->label, "score", score(d->score),
                     "box", box(d->box), "track_id", id_or_null(d->track_id),
                     "event_id", id_or_null(d->event_id), "zones", zones(d->zones, d->n_zones));
}

json_t *vd_json_event(const vd_store_event *e)
{
    char snap[96];
    snprintf(snap, sizeof snap, "/api/v1/events/%lld/snapshot.jpg", (long long)e->id);
    json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o}",
                          "id", (json_int_t)e->id, "stream", e->stream, "label", e->label,
                          "start", time_or_null(e->start), "start_ts", secs_or_null(e->start),
                          "end", e->in_progress ? json_null() : time_or_null(e->end),
                          "end_ts", e->in_progress ? json_null() : secs_or_null(e->end),
                          "in_progress", e->in_progress, "top_score", score(e->top_score),
                          "box", box(e->box), "zones", zones(e->zones, e->n_zones));
    if (!o)
        return NULL;
    json_object_set_new(o, "snapshot", e->has_snapshot ? json_string(snap) : json_null());
    json_object_set_new(o, "snapshot_time",
                        e->has_snapshot ? time_or_null(e->snapshot_time) : json_null());
    json_object_set_new(o, "snapshot_box", e->has_snapshot ? box(e->snapshot_box) : json_null());
    return o;
}

static json_t *rate(double fps) { return json_real(round(fps * 100) / 100); }

json_t *vd_json_stream(const vd_stream_status *s)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I}",
                          "id", s->id, "url", s->url, "state", vd_stream_state_name(s->state),
                          "fps_in", rate(s->fps_in), "fps_analysed", rate(s->fps_analysed),
                          "fps_skipped", rate(s->fps_skipped),
                          "frames_in", (json_int_t)s->frames_in,
                          "frames_analysed", (json_int_t)s->frames_analysed,
                          "frames_dropped", (json_int_t)s->frames_dropped,
                          "reconnects", (json_int_t)s->reconnects,
                          "reconnects_last_hour", (json_int_t)s->reconnects_last_hour);
    if (!o)
        return NULL;
    json_object_set_new(o, "last_error", s->last_error[0] ? json_string(s->last_error)
                                                          : json_null());
    json_object_set_new(o, "frames_damaged", json_integer((json_int_t)s->frames_damaged));
    json_object_set_new(o, "last_damage", s->last_damage[0] ? json_string(s->last_damage)
                                                            : json_null());
    json_object_set_new(o, "last_frame_time", time_or_null(s->last_frame_time));
    json_object_set_new(o, "last_detection_time", time_or_null(s->last_detection_time));
    json_object_set_new(o, "detect_enabled", json_boolean(s->detect_enabled));
    json_object_set_new(o, "backoff_s", json_real(round(s->backoff * 1000) / 1000));
    json_object_set_new(o, "next_retry_time", time_or_null(s->next_retry_time));
    const vd_stream_config *c = s->config;
    if (c) {
        json_object_set_new(o, "model", c->model ? json_string(c->model) : json_null());
        json_object_set_new(o, "fps", json_real(c->fps));
    }
    return o;
}
