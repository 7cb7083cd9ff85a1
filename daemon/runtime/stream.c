/* stream.c -- one READER thread per stream: connect, read, sample, analyse,
 * reconnect. FFmpeg's I/O blocks, so each stream blocks only its own
 * thread, and one failing camera never disturbs the others.
 *
 * Threads and queues:
 *   - The reader thread owns the source, the stream's vd_analysis and the
 *     `work` frame. Per sampled frame: back-pressure check, convert to
 *     RGB24 into `work`, vd_analysis_pre() into a slot of the model's
 *     batch (worker.c), submit. A stream has at most ONE frame in flight:
 *     the next sampled frame waits (`block`), or waits one sampling
 *     interval and is then dropped and counted (`drop`: the next fresh
 *     frame takes the next free turn). That bound is
 *     what keeps memory flat and keeps pre() and post() of a stream in
 *     frame order without another lock. Frames the motion gate skips are
 *     post()ed right here on the reader thread.
 *   - frame_done() runs on whichever thread finished the frame (worker or
 *     reader): it encodes event snapshots, queues the result to the loop
 *     (rt_post), makes `work` the stream's last analysed frame and frees
 *     the in-flight turn.
 *   - The LOOP reads the atomics and the `mu`-guarded status, and stops a
 *     stream as libuv closes a handle: set stop, interrupt the reader,
 *     join it in libuv's threadpool, then free it on the loop.
 *
 * Reconnects: the reader's read timeout is the watchdog (no frame for
 * `timeout` s ends the connection). Then 1 s, 2 s, 4 s ... up to 60 s
 * (+-20 % jitter) between attempts, forever, sleeping on a condvar that a
 * stop interrupts. Each connection gets a fresh vd_analysis after the old
 * one's tracks were ended, so a reconnect is never motion (the first
 * frame only seeds the background) and never continues a track. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt.h"
#include "snapshot.h"

/* dst = msg with the stream's URL shown without its credentials (the
 * reader names its input, user:password included). */
static void redact(const rt_stream *st, char *dst, size_t size, const char *msg)
{
    char safe[1024];
    const char *url = st->cfg.url, *at = url && *url ? strstr(msg, url) : NULL;
    if (!at) {
        snprintf(dst, size, "%s", msg);
        return;
    }
    vd_url_redact(url, safe, sizeof safe);
    snprintf(dst, size, "%.*s%s%s", (int)(at - msg), msg, safe, at + strlen(url));
}

/* Under mu. */
static void put_error(rt_stream *st, const char *msg)
{
    redact(st, st->last_error, sizeof st->last_error, msg);
}

static void set_status(rt_stream *st, vd_stream_state s, const char *error)
{
    pthread_mutex_lock(&st->mu);
    st->state = s;
    if (error)
        put_error(st, error);
    pthread_mutex_unlock(&st->mu);
}

/* Sleep up to `secs` (monotonic), waking early on stop. */
static void nap(rt_stream *st, double secs)
{
    double end = rt_mono() + secs;
    pthread_mutex_lock(&st->mu);
    while (!atomic_load(&st->stop) && rt_mono() < end)
        rt_cond_wait_until(&st->cv, &st->mu, end);
    pthread_mutex_unlock(&st->mu);
}

static double backoff(const vd_stream_config *cfg, int failures, unsigned *seed)
{
    double d = cfg->reconnect_min * pow(2, failures < 30 ? failures : 30);
    if (d > cfg->reconnect_max)
        d = cfg->reconnect_max;
    return d * (0.8 + 0.4 * (double)rand_r(seed) / RAND_MAX);
}

/* ---- analysis of one frame ---- */

static int analysis_create(rt_stream *st, vd_error *err)
{
    const vd_stream_config *c = &st->cfg;
    if (!st->model && !c->motion_detect)
        return VD_OK; /* nothing to analyse: frames are only kept for snapshots */
    vd_analysis_opts o;
    vd_analysis_opts_init(&o);
    o.threshold = c->threshold;
    o.classes = (const char *const *)c->classes;
    o.n_classes = c->n_classes;
    o.zones = c->zones;
    o.n_zones = c->n_zones;
    /* with a model, motion gates it; without, motion regions are the detections */
    int motion = c->motion_gate || c->motion_detect;
    o.motion = !motion ? VD_MOTION_OFF : st->model ? VD_MOTION_GATE : VD_MOTION_DETECT;
    o.track = c->track;
    int rc = vd_analysis_create(&st->an, st->model ? st->model->az : NULL, &o, err);
    return rc ? vd_error_prefix(err, "stream %s: ", c->id) : VD_OK;
}

static void copy_out(void **dst, int *n, const void *src, int count, size_t size)
{
    *dst = NULL;
    *n = 0;
    if (count > 0 && (*dst = malloc((size_t)count * size))) {
        memcpy(*dst, src, (size_t)count * size);
        *n = count;
    }
}

/* A new event's first frame, and then each frame that holds the track's
 * top score, becomes the event's snapshot. (The tracker's best box may be
 * from a tentative frame before the event existed, whose pixels are gone:
 * the snapshot box is always the box in the snapshot's own frame.) */
static int wants_snapshot(const vd_track_event *ev)
{
    return ev->type == VD_TRACK_NEW || (ev->type == VD_TRACK_UPDATE && ev->score >= ev->top_score);
}

static void event_snapshots(rt_stream *st, const vd_analysis_result *res, rt_result *r)
{
    int want = 0;
    for (int i = 0; i < res->n_events; i++)
        want += wants_snapshot(&res->events[i]);
    if (!want || !(r->snaps = calloc((size_t)want, sizeof *r->snaps)))
        return;
    for (int i = 0; i < res->n_events; i++) {
        const vd_track_event *ev = &res->events[i];
        if (!wants_snapshot(ev))
            continue;
        rt_snap *s = &r->snaps[r->n_snaps];
        vd_detection d = {.label = ev->label, .score = ev->score, .track_id = ev->id};
        snprintf(d.name, sizeof d.name, "%s", ev->name);
        memcpy(d.box, ev->box, sizeof d.box);
        rt_overlay o = {.dets = &d, .n_dets = 1};
        if (rt_snapshot_jpeg(st->work, st->width, st->height, &o, &s->jpeg, &s->n, NULL))
            continue;
        s->track_id = ev->id;
        memcpy(s->box, ev->box, sizeof s->box);
        r->n_snaps++;
    }
}

/* motion: {detect: true} on a model stream: the regions are reported
 * too, as "motion" detections (motion-only streams get them from post()). */
static void add_motion(rt_stream *st, const vd_analysis_result *res, rt_result *r)
{
    int n = res->regions.count;
    vd_detection *d = n ? realloc(r->dets, (size_t)(r->n_dets + n) * sizeof *d) : NULL;
    if (!d)
        return;
    vd_det_list l = {.items = d + r->n_dets, .cap = n};
    for (int i = 0; i < n; i++)
        l.items[l.count++] = res->regions.items[i];
    vd_zones_mark(st->cfg.zones, st->cfg.n_zones, st->width, st->height, &l);
    r->dets = d;
    r->n_dets += n;
}

static void post_result(rt_stream *st, const vd_analysis_frame *f,
                        const vd_analysis_result *res)
{
    int motion = st->model && st->cfg.motion_detect && res->regions.count;
    if (!res->dets.count && !res->n_events && !motion)
        return;
    rt_result *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->st = st;
    r->pts = f ? f->pts : st->last_pts;
    r->ts = f ? st->frame_ts : st->last_ts;
    r->width = st->width;
    r->height = st->height;
    copy_out((void **)&r->dets, &r->n_dets, res->dets.items, res->dets.count, sizeof *r->dets);
    if (st->model && st->cfg.motion_detect)
        add_motion(st, res, r);
    copy_out((void **)&r->events, &r->n_events, res->events, res->n_events, sizeof *r->events);
    if (f)
        event_snapshots(st, res, r);
    rt_post(st->rt, r);
}

/* The frame is done (worker or reader thread): results to the loop,
 * `work` becomes the last analysed frame, the turn is free again. */
static void frame_done(void *owner, vd_analysis *an, const vd_analysis_frame *f,
                       vd_analysis_result *res, int status, const vd_error *err)
{
    rt_stream *st = owner;
    if (res)
        post_result(st, f, res);
    pthread_mutex_lock(&st->mu);
    if (status) {
        put_error(st, err ? err->msg : "analysis failed");
    } else {
        uint8_t *t = st->last;
        size_t ts = st->last_size;
        st->last = st->work, st->last_size = st->work_size;
        st->work = t, st->work_size = ts;
        st->last_w = st->width, st->last_h = st->height;
        vd_det_list_clear(&st->last_dets);
        vd_det_list_clear(&st->last_regions);
        for (int i = 0; res && i < res->dets.count; i++)
            vd_det_list_push(&st->last_dets, &res->dets.items[i], NULL);
        for (int i = 0; res && i < res->regions.count; i++)
            vd_det_list_push(&st->last_regions, &res->regions.items[i], NULL);
        st->last_pts = f->pts;
        st->last_ts = st->frame_ts;
        if (an)
            atomic_fetch_add(&st->frames_analysed, 1);
    }
    /* The last touch of st: once inflight is 0 and the lock is released,
     * a stopping stream may free st (analysis_end waits on exactly this). */
    st->inflight = 0;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

static int blocks(const rt_stream *st, const rt_input *src)
{
    if (st->cfg.backpressure != VD_BP_DEFAULT)
        return st->cfg.backpressure == VD_BP_BLOCK;
    return rt_input_is_file(src) && !st->cfg.realtime;
}

/* The stream's one in-flight turn: `block` waits for it; `drop` waits at
 * most one sampling interval (the next frame is due then anyway), so a
 * frame is dropped only when the analysis lags by more than that, and a
 * late frame is still analysed rather than a fresher one being lost. */
static int take_turn(rt_stream *st, int block)
{
    double end = rt_mono() + (st->cfg.fps > 0 ? 1.0 / st->cfg.fps : 0.04);
    pthread_mutex_lock(&st->mu);
    while (st->inflight && !atomic_load(&st->stop)) {
        if (block) {
            pthread_cond_wait(&st->cv, &st->mu);
            continue;
        }
        if (rt_mono() >= end)
            break;
        rt_cond_wait_until(&st->cv, &st->mu, end);
    }
    int ok = !st->inflight && !atomic_load(&st->stop);
    pthread_mutex_unlock(&st->mu);
    return ok;
}

static int convert(rt_stream *st, rt_input *src, const rt_input_frame *sf, vd_error *err)
{
    size_t need = (size_t)sf->width * (size_t)sf->height * 3;
    if (need > st->work_size) {
        uint8_t *p = realloc(st->work, need);
        if (!p)
            return vd_error_set(err, VD_ENOMEM, "out of memory for a %zu-byte frame", need);
        st->work = p;
        st->work_size = need;
    }
    st->width = sf->width;
    st->height = sf->height;
    st->frame_ts = rt_ms(rt_now()); /* what the store keeps: rows sort as the API shows them */
    return rt_input_rgb(src, st->work, need, err);
}

/* Into the model's batch (1: submitted, the worker finishes it), or 0:
 * the gate skipped it / no model, the caller post()s it. */
static int to_worker(rt_stream *st, vd_analysis_frame *af, vd_error *err)
{
    vd_tensor *input;
    int slot, rc = rt_model_claim(st->model, &st->stop, &input, &slot);
    if (rc)
        return rc;
    if ((rc = vd_analysis_pre(st->an, af, input, slot, err)) <= 0) {
        rt_model_release(st->model, slot);
        return rc;
    }
    pthread_mutex_lock(&st->mu);
    st->inflight = 1; /* before submit: the worker may finish at once */
    pthread_mutex_unlock(&st->mu);
    rt_item it = {.owner = st, .an = st->an, .frame = *af, .done = frame_done};
    rt_model_submit(st->model, slot, &it);
    return 1;
}

static void analyse(rt_stream *st, rt_input *src, const rt_input_frame *sf)
{
    int block = blocks(st, src);
    if (!atomic_load(&st->detect_on) || !take_turn(st, block)) {
        if (atomic_load(&st->detect_on) && !atomic_load(&st->stop))
            atomic_fetch_add(&st->frames_dropped, 1);
        return;
    }
    vd_error e;
    vd_error_clear(&e);
    int rc = convert(st, src, sf, &e);
    vd_analysis_frame *af = &st->af; /* reused: it owns the motion regions */
    af->rgb = st->work;
    af->width = sf->width;
    af->height = sf->height;
    af->linesize = sf->width * 3;
    af->pts = sf->pts;
    if (!rc && st->an)
        rc = st->model ? to_worker(st, af, &e) : vd_analysis_pre(st->an, af, NULL, 0, &e);
    if (rc > 0 || rc == VD_ECLOSED)
        return; /* with the worker, or stopping */
    /* gated, motion only, or no analysis at all (the frame is still kept) */
    vd_analysis_result res = {0};
    if (!rc && st->an)
        rc = vd_analysis_post(st->an, af, NULL, 0, 0, &res, &e);
    frame_done(st, st->an, af, rc ? NULL : &res, rc, &e);
    vd_analysis_result_free(&res);
}

/* End the connection's tracks (END events) once nothing is in flight. */
static void analysis_end(rt_stream *st)
{
    pthread_mutex_lock(&st->mu);
    while (st->inflight)
        pthread_cond_wait(&st->cv, &st->mu);
    pthread_mutex_unlock(&st->mu);
    if (!st->an)
        return;
    vd_analysis_result res = {0};
    vd_error e;
    if (!vd_analysis_flush(st->an, &res, &e))
        post_result(st, NULL, &res);
    vd_analysis_result_free(&res);
    vd_analysis_free(&st->an);
}

/* ---- the reader thread ---- */

/* Realtime files: wait until the frame's time has come. */
static void pace(rt_stream *st, double pts, double *t0, double *pts0)
{
    double now = rt_mono();
    if (*t0 < 0 || pts < *pts0 || now - (*t0 + pts - *pts0) > 1.0) {
        *t0 = now; /* start, or a stall of over a second: do not catch up */
        *pts0 = pts;
        return;
    }
    double wait = *t0 + (pts - *pts0) - now;
    if (wait > 0)
        nap(st, wait);
}

/* Damaged data the reader met (it decodes on, concealing what it can):
 * counted across connections, the latest error kept for the status. */
static void note_damage(rt_stream *st, rt_input *src, int64_t base, int64_t *seen)
{
    char msg[VD_ERROR_MSG_MAX]; /* whole: the URL inside must match to be redacted */
    int64_t n = rt_input_damaged(src, msg, sizeof msg);
    if (n == *seen)
        return;
    *seen = n;
    atomic_store(&st->frames_damaged, base + n);
    pthread_mutex_lock(&st->mu);
    redact(st, st->last_damage, sizeof st->last_damage, msg);
    pthread_mutex_unlock(&st->mu);
}

/* One connection: frames until an error, the end of a file or stop. */
static int run_connection(rt_stream *st, rt_input *src, int64_t *in_base, vd_error *err)
{
    double t0 = -1, pts0 = 0;
    int running = 0, rc;
    int64_t dmg_base = atomic_load(&st->frames_damaged), dmg = 0;
    rt_input_frame sf;
    if ((rc = analysis_create(st, err)))
        return rc;
    while (!atomic_load(&st->stop) && !(rc = rt_input_next(src, &sf, err))) {
        atomic_store(&st->frames_in, *in_base + rt_input_packets(src));
        note_damage(st, src, dmg_base, &dmg);
        pthread_mutex_lock(&st->mu);
        st->last_frame_time = rt_now();
        if (!running) {
            st->state = VD_STREAM_RUNNING;
            st->backoff = st->retry_at = 0;
            st->connected_at = rt_mono();
            running = 1;
        }
        pthread_mutex_unlock(&st->mu);
        if (st->cfg.realtime && rt_input_is_file(src))
            pace(st, sf.pts, &t0, &pts0);
        if (!atomic_load(&st->stop))
            analyse(st, src, &sf);
    }
    *in_base += rt_input_packets(src);
    note_damage(st, src, dmg_base, &dmg);
    analysis_end(st);
    return atomic_load(&st->stop) ? VD_ECLOSED : rc;
}

static int open_source(rt_stream *st, rt_input **src, vd_error *err)
{
    rt_input_opts o = {.url = st->cfg.url, .timeout = st->cfg.timeout > 0 ? st->cfg.timeout : 10,
                        .rtsp_transport = st->cfg.rtsp_transport, .fps = st->cfg.fps,
                        .loop = st->cfg.loop, .abort = &st->stop, .guard = &st->guard};
    int rc = rt_input_open(src, &o, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&st->mu);
    st->src = *src;
    if (atomic_load(&st->stop))
        rt_input_interrupt(*src);
    pthread_mutex_unlock(&st->mu);
    return VD_OK;
}

static void close_source(rt_stream *st, rt_input **src)
{
    pthread_mutex_lock(&st->mu);
    st->src = NULL;
    pthread_mutex_unlock(&st->mu);
    rt_input_close(src);
}

/* A local file that is missing or unreadable, or a setting the reader or
 * the analysis refuses, will not get better by retrying. */
static int gives_up(const rt_stream *st, int rc)
{
    return rc == VD_EINVAL || (rt_url_is_file(st->cfg.url) && (rc == VD_ENOTFOUND ||
                                                               rc == VD_EFORMAT ||
                                                               rc == VD_EUNSUPPORTED));
}

static void note_reconnect(rt_stream *st, const char *error, double delay)
{
    double now = rt_now();
    pthread_mutex_lock(&st->mu);
    st->state = VD_STREAM_RECONNECTING;
    put_error(st, error);
    st->reconnect_times[st->n_reconnect_times++ % RT_RECONNECT_RING] = now;
    st->backoff = delay;
    st->retry_at = now + delay;
    pthread_mutex_unlock(&st->mu);
    atomic_fetch_add(&st->reconnects, 1);
}

static void *reader_main(void *arg)
{
    rt_stream *st = arg;
    unsigned seed = (unsigned)(rt_now() * 1e6) ^ (unsigned)(uintptr_t)st;
    int failures = 0;
    int64_t in_base = 0;
    while (!atomic_load(&st->stop)) {
        vd_error e;
        vd_error_clear(&e);
        rt_input *src = NULL;
        int rc = open_source(st, &src, &e);
        if (!rc) {
            rc = run_connection(st, src, &in_base, &e);
            close_source(st, &src);
            pthread_mutex_lock(&st->mu);
            if (st->state == VD_STREAM_RUNNING && rt_mono() - st->connected_at >= RT_BACKOFF_STABLE_S)
                failures = 0;
            pthread_mutex_unlock(&st->mu);
        }
        if (atomic_load(&st->stop))
            break;
        if (rc == VD_EOF) {
            set_status(st, VD_STREAM_STOPPED, NULL);
            return NULL;
        }
        if (gives_up(st, rc)) {
            set_status(st, VD_STREAM_FAILED, e.msg);
            return NULL;
        }
        double wait = backoff(&st->cfg, failures++, &seed);
        note_reconnect(st, e.msg, wait);
        nap(st, wait);
    }
    set_status(st, VD_STREAM_STOPPED, NULL);
    return NULL;
}

/* ---- the loop's side ---- */

static void stream_free(rt_stream *st)
{
    vd_stream_config_free(&st->cfg);
    vd_source_rules_free(&st->rules);
    free(st->events);
    free(st->work);
    free(st->last);
    vd_det_list_free(&st->last_dets);
    vd_det_list_free(&st->last_regions);
    vd_analysis_frame_free(&st->af);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    free(st);
}

int rt_stream_start(vd_runtime *rt, vd_stream_config *cfg, rt_model *model, rt_stream **out,
                    vd_error *err)
{
    rt_stream *st = calloc(1, sizeof *st);
    if (!st)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    st->rt = rt;
    st->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    st->model = model;
    st->state = VD_STREAM_STARTING;
    atomic_init(&st->detect_on, st->cfg.detect_enabled);
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    *out = st;
    vd_error rerr = {0};
    if (vd_source_rules_init(&st->rules, &rt->cfg, st->cfg.url, &rerr)) {
        st->state = VD_STREAM_FAILED;
        snprintf(st->last_error, sizeof st->last_error, "%s", rerr.msg);
        return VD_OK;
    }
    st->guard = (vd_reader_guard){st->rules.protocols, st->rules.formats, vd_source_rules_allow,
                                  &st->rules};
    if (st->cfg.model && (!model || !model->az)) {
        st->model = NULL;
        st->state = VD_STREAM_FAILED;
        snprintf(st->last_error, sizeof st->last_error, "model %s did not load: %s", st->cfg.model,
                 model ? model->error : "no such model");
        return VD_OK;
    }
    if (pthread_create(&st->thread, NULL, reader_main, st)) {
        st->state = VD_STREAM_FAILED;
        snprintf(st->last_error, sizeof st->last_error, "cannot start a reader thread");
        return VD_OK;
    }
    st->started = 1;
    return VD_OK;
}

static void join_work(uv_work_t *req)
{
    rt_stream *st = req->data;
    if (st->started)
        pthread_join(st->thread, NULL);
}

static void after_join(uv_work_t *req, int status)
{
    (void)status;
    rt_stream *st = req->data;
    void (*done)(rt_stream *) = st->close_done;
    rt_drain(st->rt); /* its last results (END events) refer to st */
    rt_events_close_stream(st->rt, st);
    if (done)
        done(st);
    stream_free(st);
}

void rt_stream_close(rt_stream *st, void (*done)(rt_stream *st))
{
    atomic_store(&st->stop, 1);
    pthread_mutex_lock(&st->mu);
    rt_input_interrupt(st->src);
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    st->close_done = done;
    st->close_req.data = st;
    uv_queue_work(st->rt->loop, &st->close_req, join_work, after_join);
}

static int64_t reconnects_since(const rt_stream *st, double t)
{
    int n = st->n_reconnect_times < RT_RECONNECT_RING ? st->n_reconnect_times : RT_RECONNECT_RING;
    int64_t k = 0;
    for (int i = 0; i < n; i++)
        k += st->reconnect_times[i] >= t;
    return k;
}

void rt_stream_rate_tick(rt_stream *st, double now)
{
    int i = st->rate_n++ % RT_RATE_WINDOW;
    st->rate_t[i] = now;
    st->rate_in[i] = atomic_load(&st->frames_in);
    st->rate_an[i] = atomic_load(&st->frames_analysed);
}

/* Rates between the newest and the oldest 1 s sample. */
static void rates(const rt_stream *st, double *in, double *an)
{
    *in = *an = 0;
    if (st->rate_n < 2)
        return;
    int newest = (st->rate_n - 1) % RT_RATE_WINDOW;
    int oldest = st->rate_n < RT_RATE_WINDOW ? 0 : st->rate_n % RT_RATE_WINDOW;
    double dt = st->rate_t[newest] - st->rate_t[oldest];
    if (dt <= 0)
        return;
    *in = (double)(st->rate_in[newest] - st->rate_in[oldest]) / dt;
    *an = (double)(st->rate_an[newest] - st->rate_an[oldest]) / dt;
}

void rt_stream_info(rt_stream *st, vd_stream_status *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", st->cfg.id);
    vd_url_redact(st->cfg.url, o->url, sizeof o->url);
    rates(st, &o->fps_in, &o->fps_analysed);
    o->fps_skipped = o->fps_in > o->fps_analysed ? o->fps_in - o->fps_analysed : 0;
    o->frames_in = atomic_load(&st->frames_in);
    o->frames_analysed = atomic_load(&st->frames_analysed);
    o->frames_dropped = atomic_load(&st->frames_dropped);
    o->frames_damaged = atomic_load(&st->frames_damaged);
    o->reconnects = atomic_load(&st->reconnects);
    o->last_detection_time = st->last_detection_time;
    o->detect_enabled = atomic_load(&st->detect_on);
    o->config = &st->cfg;
    pthread_mutex_lock(&st->mu);
    o->state = st->state;
    snprintf(o->last_error, sizeof o->last_error, "%s", st->last_error);
    snprintf(o->last_damage, sizeof o->last_damage, "%s", st->last_damage);
    o->last_frame_time = st->last_frame_time;
    o->reconnects_last_hour = reconnects_since(st, rt_now() - 3600);
    o->backoff = st->state == VD_STREAM_RECONNECTING ? st->backoff : 0;
    o->next_retry_time = st->state == VD_STREAM_RECONNECTING ? st->retry_at : 0;
    pthread_mutex_unlock(&st->mu);
}

int rt_stream_snapshot(rt_stream *st, int annotate, void **jpeg, size_t *n, vd_error *err)
{
    pthread_mutex_lock(&st->mu);
    if (!st->last) {
        pthread_mutex_unlock(&st->mu);
        return vd_error_set(err, VD_EOF, "stream %s: no frame analysed yet", st->cfg.id);
    }
    rt_overlay o = {.dets = st->last_dets.items, .n_dets = st->last_dets.count,
                    .regions = st->last_regions.items, .n_regions = st->last_regions.count,
                    .zones = st->cfg.zones, .n_zones = st->cfg.n_zones};
    /* under mu: the reader may not swap the buffer while it is read */
    int rc = rt_snapshot_jpeg(st->last, st->last_w, st->last_h, annotate ? &o : NULL, jpeg, n, err);
    pthread_mutex_unlock(&st->mu);
    return rc;
}
