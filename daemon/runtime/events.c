/* events.c -- detections and events from the frame results, on the LOOP
 * thread (the only writer of ids, the event table and the store queue).
 *
 * An event is a confirmed track: the tracker's NEW opens it, an UPDATE is
 * written (store + hub) only when it changes something a user sees -- a
 * better top score (then the frame's snapshot, encoded by the thread that
 * analysed it, replaces the old one) or a zone entered -- and END closes
 * it. Times are wall clock: a track's first/last media time is placed on
 * the wall clock of the frame that reported it.
 *
 * Queues: rows go to the store's queue (its writer thread commits them in
 * batches); the same objects go to the hub as JSON at once, so SSE may run
 * ahead of the commit but never carries an id the store will not have. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt.h"

struct rt_event_slot {
    int64_t track_id;
    uint32_t zones;          /* zones entered so far (bits of cfg.zones) */
    vd_store_event ev;
};

static rt_event_slot *find(rt_stream *st, int64_t track_id)
{
    for (int i = 0; i < st->n_events; i++)
        if (st->events[i].track_id == track_id)
            return &st->events[i];
    return NULL;
}

static rt_event_slot *add(rt_stream *st, int64_t track_id)
{
    if (rt_grow((void **)&st->events, &st->cap_events, st->n_events, sizeof *st->events))
        return NULL;
    rt_event_slot *s = &st->events[st->n_events++];
    memset(s, 0, sizeof *s);
    s->track_id = track_id;
    return s;
}

static void zone_names(const rt_stream *st, uint32_t mask, char (*out)[VD_STORE_LABEL_MAX],
                       int *n)
{
    *n = 0;
    for (int z = 0; z < st->cfg.n_zones && z < VD_STORE_MAX_ZONES; z++)
        if (mask & (1u << z))
            snprintf(out[(*n)++], VD_STORE_LABEL_MAX, "%s", st->cfg.zones[z].name);
}

static void publish_event(vd_runtime *rt, rt_stream *st, const vd_store_event *e)
{
    vd_store_put_event(rt->store, e, NULL);
    if (rt_hub_wanted(rt->hub, st->cfg.id))
        rt_hub_publish(rt->hub, VD_HUB_EVENT, st->cfg.id, vd_json_event(e));
}

static int take_snapshot(vd_runtime *rt, const rt_result *r, rt_event_slot *s)
{
    for (int i = 0; i < r->n_snaps; i++) {
        const rt_snap *sn = &r->snaps[i];
        if (sn->track_id != s->track_id ||
            vd_store_put_snapshot(rt->store, s->ev.id, sn->jpeg, sn->n, NULL))
            continue;
        s->ev.has_snapshot = 1;
        s->ev.snapshot_time = r->ts;
        memcpy(s->ev.snapshot_box, sn->box, sizeof s->ev.snapshot_box);
        return 1;
    }
    return 0;
}

/* Open (NEW, or an UPDATE of a track we never saw open) or refresh an
 * event; 1 when it changed. */
static int track_seen(vd_runtime *rt, rt_stream *st, const rt_result *r,
                      const vd_track_event *te, uint32_t zones)
{
    rt_event_slot *s = find(st, te->id);
    int changed = 0;
    if (!s) {
        if (!(s = add(st, te->id)))
            return 0;
        vd_store_event *e = &s->ev;
        e->id = rt->next_event_id++;
        snprintf(e->stream, sizeof e->stream, "%s", st->cfg.id);
        snprintf(e->label, sizeof e->label, "%s", te->name);
        e->start = rt_ms(r->ts - (r->pts - te->first_pts));
        e->in_progress = 1;
        changed = 1;
    }
    if (te->top_score > s->ev.top_score) {
        s->ev.top_score = te->top_score;
        memcpy(s->ev.box, te->best_box, sizeof s->ev.box);
        changed = 1;
    }
    if (zones & ~s->zones) {
        s->zones |= zones;
        zone_names(st, s->zones, s->ev.zones, &s->ev.n_zones);
        changed = 1;
    }
    changed |= take_snapshot(rt, r, s);
    return changed;
}

static void track_end(vd_runtime *rt, rt_stream *st, const rt_result *r, const vd_track_event *te)
{
    rt_event_slot *s = find(st, te->id);
    if (!s)
        return;
    s->ev.end = rt_ms(r->ts - (r->pts - te->last_pts));
    s->ev.in_progress = 0;
    publish_event(rt, st, &s->ev);
    *s = st->events[--st->n_events];
}

static void detection(vd_runtime *rt, rt_stream *st, const rt_result *r, const vd_detection *d)
{
    vd_store_detection row = {0};
    row.id = rt->next_det_id++;
    snprintf(row.stream, sizeof row.stream, "%s", st->cfg.id);
    row.pts = r->pts;
    row.ts = r->ts;
    snprintf(row.label, sizeof row.label, "%s", d->name);
    row.score = d->score;
    memcpy(row.box, d->box, sizeof row.box);
    row.track_id = d->track_id;
    rt_event_slot *s = d->track_id ? find(st, d->track_id) : NULL;
    row.event_id = s ? s->ev.id : 0;
    zone_names(st, d->zones, row.zones, &row.n_zones);
    vd_store_put_detection(rt->store, &row, NULL);
    if (rt_hub_wanted(rt->hub, st->cfg.id))
        rt_hub_publish(rt->hub, VD_HUB_DETECTION, st->cfg.id, vd_json_detection(&row));
}

void rt_events_frame(vd_runtime *rt, rt_stream *st, const rt_result *r)
{
    for (int i = 0; i < r->n_events; i++) {
        const vd_track_event *te = &r->events[i];
        if (te->type == VD_TRACK_END)
            continue;
        uint32_t zones = 0; /* where the track's box is in this frame */
        for (int k = 0; k < r->n_dets; k++)
            if (r->dets[k].track_id == te->id)
                zones |= r->dets[k].zones;
        if (track_seen(rt, st, r, te, zones))
            publish_event(rt, st, &find(st, te->id)->ev);
    }
    for (int i = 0; i < r->n_dets; i++)
        detection(rt, st, r, &r->dets[i]);
    if (r->n_dets)
        st->last_detection_time = r->ts;
    for (int i = 0; i < r->n_events; i++)
        if (r->events[i].type == VD_TRACK_END)
            track_end(rt, st, r, &r->events[i]);
}

void rt_events_close_stream(vd_runtime *rt, rt_stream *st)
{
    double now = rt_ms(rt_now());
    for (int i = 0; i < st->n_events; i++) {
        vd_store_event *e = &st->events[i].ev;
        e->end = now;
        e->in_progress = 0;
        publish_event(rt, st, e);
    }
    st->n_events = 0;
}
