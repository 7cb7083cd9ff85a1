/* runtime.c -- vd_runtime: the daemon's state, owned by the LOOP thread.
 *
 * Threads and queues:
 *   - Everything here runs on the loop thread (the HTTP server shares the
 *     loop), so the stream table, the models, the ids and the config need
 *     no lock.
 *   - Reader and worker threads hand results back through ONE queue
 *     (`q_mu`, a singly linked list) plus uv_async_send(); rt_drain()
 *     empties it on the loop. uv_async coalesces wake-ups, so a burst of
 *     results costs one loop iteration.
 *   - A 1 s timer samples the stream counters for the fps figures.
 *
 * Streams and models are closed the libuv way: a closing stream leaves
 * the table at once (its id is free again), its reader is joined off the
 * loop, and the loop frees it in a callback. A model that is replaced or
 * removed is retired and freed when its last stream is gone. Stopping the
 * daemon is the same for every stream, then the workers drain their
 * batches, then the store commits what is queued. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rt.h"

double rt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double rt_ms(double t) { return round(t * 1000) / 1000; }

double rt_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void rt_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, double mono_deadline)
{
    /* the condvar's clock is REALTIME: convert the monotonic deadline */
    double t = rt_now() + (mono_deadline - rt_mono());
    struct timespec ts = {(time_t)t, (long)((t - floor(t)) * 1e9)};
    pthread_cond_timedwait(cv, mu, &ts);
}

int rt_grow(void **items, int *cap, int n, size_t size)
{
    if (n < *cap)
        return VD_OK;
    int c = *cap ? 2 * *cap : 8;
    void *p = realloc(*items, (size_t)c * size);
    if (!p)
        return VD_ENOMEM;
    *items = p;
    *cap = c;
    return VD_OK;
}

const char *vd_stream_state_name(vd_stream_state s)
{
    static const char *const names[] = {"starting", "running", "reconnecting", "stopped",
                                        "failed"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

/* ---- the result queue ---- */

void rt_result_free(rt_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_snaps; i++)
        free(r->snaps[i].jpeg);
    free(r->snaps);
    free(r->dets);
    free(r->events);
    free(r);
}

void rt_post(vd_runtime *rt, rt_result *r)
{
    pthread_mutex_lock(&rt->q_mu);
    if (rt->q_tail)
        rt->q_tail->next = r;
    else
        rt->q_head = r;
    rt->q_tail = r;
    pthread_mutex_unlock(&rt->q_mu);
    uv_async_send(&rt->async);
}

void rt_drain(vd_runtime *rt)
{
    pthread_mutex_lock(&rt->q_mu);
    rt_result *r = rt->q_head;
    rt->q_head = rt->q_tail = NULL;
    pthread_mutex_unlock(&rt->q_mu);
    while (r) {
        rt_result *next = r->next;
        if (r->job)
            rt_image_finish(rt, r);
        else if (r->st)
            rt_events_frame(rt, r->st, r);
        rt_result_free(r);
        r = next;
    }
}

static void on_async(uv_async_t *a) { rt_drain(a->data); }

static void on_tick(uv_timer_t *t)
{
    vd_runtime *rt = t->data;
    double now = rt_mono();
    for (int i = 0; i < rt->n_streams; i++)
        rt_stream_rate_tick(rt->streams[i], now);
}

/* ---- models ---- */

rt_model *rt_find_model(vd_runtime *rt, const char *name)
{
    for (int i = 0; name && i < rt->n_models; i++)
        if (!strcmp(rt->models[i]->name, name))
            return rt->models[i];
    return NULL;
}

void rt_model_unuse(rt_model *m)
{
    if (m && --m->users == 0 && m->retired)
        rt_model_free(&m);
}

static void model_retire(rt_model *m)
{
    m->retired = 1;
    if (!m->users)
        rt_model_free(&m);
}

/* ---- the stream table ---- */

static int stream_index(const vd_runtime *rt, const char *id)
{
    for (int i = 0; i < rt->n_streams; i++)
        if (!strcmp(rt->streams[i]->cfg.id, id))
            return i;
    return -1;
}

static void on_stream_closed(rt_stream *st)
{
    vd_runtime *rt = st->rt;
    rt_model_unuse(st->model);
    rt->closing--;
}

/* Take st out of the table and close it in the background. */
static void stream_drop(vd_runtime *rt, int i)
{
    rt_stream *st = rt->streams[i];
    memmove(&rt->streams[i], &rt->streams[i + 1],
            (size_t)(rt->n_streams - i - 1) * sizeof *rt->streams);
    rt->n_streams--;
    rt->closing++;
    rt_stream_close(st, on_stream_closed);
}

/* Start a stream from *cfg (moved) and insert it in id order. */
static int stream_insert(vd_runtime *rt, vd_stream_config *cfg, vd_error *err)
{
    rt_stream **p = realloc(rt->streams, (size_t)(rt->n_streams + 1) * sizeof *p);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    rt->streams = p;
    rt_model *m = rt_find_model(rt, cfg->model);
    rt_stream *st;
    int rc = rt_stream_start(rt, cfg, m, &st, err);
    if (rc)
        return rc;
    if (st->model)
        st->model->users++;
    int i = 0;
    while (i < rt->n_streams && strcmp(rt->streams[i]->cfg.id, st->cfg.id) < 0)
        i++;
    memmove(&rt->streams[i + 1], &rt->streams[i], (size_t)(rt->n_streams - i) * sizeof *p);
    rt->streams[i] = st;
    rt->n_streams++;
    rt_stream_rate_tick(st, rt_mono());
    return VD_OK;
}

static int stream_start_copy(vd_runtime *rt, const vd_stream_config *c, vd_error *err)
{
    vd_stream_config copy;
    int rc = vd_stream_config_copy(&copy, c, err);
    if (!rc && (rc = stream_insert(rt, &copy, err)))
        vd_stream_config_free(&copy);
    return rc;
}

/* 1 when a and b differ only in detect.enabled (toggled in place). */
static int only_toggle(const vd_stream_config *a, const vd_stream_config *b)
{
    vd_stream_config t = *b;
    t.detect_enabled = a->detect_enabled;
    return vd_stream_config_equal(a, &t);
}

/* The model a stream on `name` runs with: NULL for none or not loaded. */
static rt_model *loaded_model(vd_runtime *rt, const char *name)
{
    rt_model *m = rt_find_model(rt, name);
    return m && m->az ? m : NULL;
}

/* 1 when a stream runs with another model than its config now gets: its
 * model was replaced, or loaded at last after a failure. */
static int model_stale(vd_runtime *rt, const rt_stream *st)
{
    return st->model != loaded_model(rt, st->cfg.model);
}

/* Make stream i run as *c (moved in on success). */
static int stream_apply(vd_runtime *rt, int i, vd_stream_config *c, vd_error *err)
{
    rt_stream *st = rt->streams[i];
    if (only_toggle(&st->cfg, c) && st->model == loaded_model(rt, c->model)) {
        st->cfg.detect_enabled = c->detect_enabled;
        atomic_store(&st->detect_on, c->detect_enabled);
        vd_stream_config_free(c);
        return VD_OK;
    }
    stream_drop(rt, i);
    return stream_insert(rt, c, err);
}

/* ---- life cycle ---- */

static char *store_path(const vd_config *c, const char *state_dir)
{
    const char *p = c->store_path ? c->store_path : "visiond.db";
    size_t n = strlen(state_dir) + strlen(p) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", p[0] == '/' ? "" : state_dir, p[0] == '/' ? "" : "/", p);
    return out;
}

static int open_store(vd_runtime *rt, vd_error *err)
{
    char *path = store_path(&rt->cfg, rt->state_dir);
    if (!path)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    vd_store_opts o = {.path = path, .retention_days = rt->cfg.retention_days,
                       .retention_rows = rt->cfg.retention_rows};
    int rc = vd_store_open(&rt->store, &o, err);
    free(path);
    if (!rc)
        vd_store_next_ids(rt->store, &rt->next_det_id, &rt->next_event_id);
    return rc;
}

/* FNV-1a over the identity (device, inode, size, mtime) of the files a
 * model was read from: its card, its ONNX file and its labels file. A
 * rename-over changes the inode, an in-place rewrite the size or mtime, so
 * a SIGHUP notices a replaced file even when the config is unchanged. The
 * files are read whole into memory at load (vd_nn_model_load, no mmap): a
 * running model never touches them again. A file replaced between its read
 * and this stat is noticed one SIGHUP late at worst. */
static uint64_t files_id(const rt_model *m)
{
    const vd_card *card = m->az ? vd_analyzer_card(m->az) : NULL;
    const char *paths[] = {m->card, card ? card->path : NULL, card ? card->labels : NULL};
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct stat sb;
        memset(&sb, 0, sizeof sb);
        if (paths[i] && paths[i][0])
            stat(paths[i], &sb); /* a missing file (a builtin label set) hashes as zeros */
        uint64_t v[] = {sb.st_dev, sb.st_ino, (uint64_t)sb.st_size, (uint64_t)sb.st_mtim.tv_sec,
                        (uint64_t)sb.st_mtim.tv_nsec};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            for (int b = 0; b < 64; b += 8)
                h = (h ^ ((v[k] >> b) & 0xff)) * 1099511628211ull;
    }
    return h;
}

static int model_create(rt_model **out, const vd_model_config *c, vd_error *err)
{
    int rc = rt_model_create(out, c, err);
    if (!rc)
        (*out)->files_id = files_id(*out);
    return rc;
}

static int load_models(vd_runtime *rt, vd_error *err)
{
    rt->models = calloc((size_t)rt->cfg.n_models + 1, sizeof *rt->models);
    if (!rt->models)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    for (int i = 0; i < rt->cfg.n_models; i++) {
        int rc = model_create(&rt->models[i], &rt->cfg.models[i], err);
        if (rc)
            return rc;
        rt->n_models++;
    }
    return VD_OK;
}

/* The threadpool side of the start: only rt->models is touched, and the
 * loop reads it again only once load_done ran (the API answers 503 until
 * then, and the streams start there). */
static void load_work(uv_work_t *w)
{
    vd_runtime *rt = w->data;
    rt->load_rc = load_models(rt, &rt->load_err);
}

static void load_done(uv_work_t *w, int status)
{
    (void)status;
    vd_runtime *rt = w->data;
    rt->loading = 0;
    int rc = rt->load_rc;
    for (int i = 0; !rc && !rt->stopping && i < rt->cfg.n_streams; i++)
        rc = stream_start_copy(rt, &rt->cfg.streams[i], &rt->load_err);
    if (rt->stopping)
        return; /* on_stop_poll goes on now that nothing is loading */
    rt->ready = !rc;
    if (rt->ready_cb)
        rt->ready_cb(rt, rc, &rt->load_err, rt->ready_ud);
}

void vd_runtime_on_ready(vd_runtime *rt, void (*cb)(vd_runtime *rt, int rc, const vd_error *err,
                                                    void *ud),
                         void *ud)
{
    rt->ready_cb = cb;
    rt->ready_ud = ud;
}

int vd_runtime_create(vd_runtime **out, uv_loop_t *loop, vd_config *cfg, const char *state_dir,
                      vd_error *err)
{
    *out = NULL;
    vd_runtime *rt = calloc(1, sizeof *rt);
    if (!rt || !(rt->state_dir = strdup(state_dir ? state_dir : "."))) {
        free(rt);
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    rt->loop = loop;
    rt->cfg = *cfg;
    vd_config_init(cfg);
    pthread_mutex_init(&rt->q_mu, NULL);
    int rc = rt_hub_create(&rt->hub) ? vd_error_set(err, VD_ENOMEM, "out of memory") : 0;
    if (!rc)
        rc = open_store(rt, err);
    uv_async_init(loop, &rt->async, on_async);
    rt->async.data = rt;
    uv_timer_init(loop, &rt->tick);
    rt->tick.data = rt;
    uv_timer_start(&rt->tick, on_tick, 1000, 1000);
    rt->handles_open = 2;
    *out = rt;
    if (rc)
        return rc; /* the caller stops and frees it */
    rt->load.data = rt;
    rt->loading = 1;
    if (uv_queue_work(loop, &rt->load, load_work, load_done)) {
        rt->loading = 0;
        return vd_error_set(err, VD_ENOMEM, "cannot queue the model loading");
    }
    return VD_OK;
}

static void on_handle_closed(uv_handle_t *h)
{
    vd_runtime *rt = h->data;
    if (--rt->handles_open == 0 && rt->stop_cb)
        rt->stop_cb(rt, rt->stop_ud);
}

/* Once no stream is closing and no job is running: workers, store,
 * handles, in that order. */
static void stop_step(vd_runtime *rt)
{
    if (rt->closing || rt->jobs || rt->loading || rt->handles_open < 2 ||
        uv_is_closing((uv_handle_t *)&rt->tick))
        return;
    for (int i = 0; i < rt->n_models; i++)
        model_retire(rt->models[i]); /* joins: the worker runs what is queued */
    rt->n_models = 0;
    rt_drain(rt);
    vd_error e;
    vd_error_clear(&e);
    if (vd_store_shutdown(rt->store, &e)) /* flushes; a full disk loses rows: say so */
        snprintf(rt->stop_error, sizeof rt->stop_error, "%s", e.msg);
    vd_store_close(&rt->store);
    uv_close((uv_handle_t *)&rt->tick, on_handle_closed);
    uv_close((uv_handle_t *)&rt->async, on_handle_closed);
}

static void on_stop_poll(uv_timer_t *t)
{
    vd_runtime *rt = t->data;
    rt_drain(rt);
    if (!rt->closing && !rt->jobs && !rt->loading) {
        uv_timer_stop(t);
        stop_step(rt);
    }
}

void vd_runtime_stop(vd_runtime *rt, void (*cb)(vd_runtime *rt, void *ud), void *ud)
{
    rt->stop_cb = cb;
    rt->stop_ud = ud;
    if (rt->stopping)
        return;
    rt->stopping = 1;
    rt->ready = 0;
    while (rt->n_streams)
        stream_drop(rt, rt->n_streams - 1);
    /* the tick timer now polls for the end of the closes */
    uv_timer_stop(&rt->tick);
    uv_timer_start(&rt->tick, on_stop_poll, 0, 20);
}

void vd_runtime_free(vd_runtime **prt)
{
    vd_runtime *rt = *prt;
    if (!rt)
        return;
    for (int i = 0; i < rt->n_models; i++)
        rt_model_free(&rt->models[i]);
    free(rt->models);
    free(rt->streams);
    vd_store_close(&rt->store);
    rt_hub_free(&rt->hub);
    pthread_mutex_lock(&rt->q_mu);
    rt_result *r = rt->q_head;
    pthread_mutex_unlock(&rt->q_mu);
    while (r) {
        rt_result *next = r->next;
        rt_result_free(r);
        r = next;
    }
    pthread_mutex_destroy(&rt->q_mu);
    vd_config_free(&rt->cfg);
    free(rt->state_dir);
    free(rt);
    *prt = NULL;
}

/* ---- reload ---- */

static const vd_stream_config *cfg_stream(const vd_config *c, const char *id)
{
    for (int i = 0; i < c->n_streams; i++)
        if (!strcmp(c->streams[i].id, id))
            return &c->streams[i];
    return NULL;
}

/* The model a reload runs for config c: the running one when neither c
 * nor its files changed, else a new load -- unless that load fails while
 * the running one works: then the running one keeps serving. A failed
 * load is reported in *refused (the first one), naming the file. */
static rt_model *reload_model(vd_runtime *rt, const vd_model_config *c, vd_error *refused)
{
    rt_model *old = rt_find_model(rt, c->name), *m = NULL;
    if (old && old->az && rt_model_equal(old, c) && old->files_id == files_id(old))
        return old;
    vd_error e;
    vd_error_clear(&e);
    if (!model_create(&m, c, &e) && m->az)
        return m;
    int keep = old && old->az;
    if (!refused->code)
        vd_error_set(refused, e.code ? e.code : VD_EINVAL, "%s%s", e.msg,
                     keep ? "; the loaded model keeps running" : "");
    if (keep) {
        rt_model_free(&m);
        return old;
    }
    return m; /* not loaded: its streams run without detection, /models says why;
               * NULL when out of memory: the model is left out */
}

/* New models replace changed ones; unchanged (or refused) ones are kept
 * as they run, the others retired. */
static int reload_models(vd_runtime *rt, const vd_config *nc, vd_error *refused, vd_error *err)
{
    rt_model **models = calloc((size_t)nc->n_models + 1, sizeof *models);
    if (!models)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    int n = 0;
    for (int i = 0; i < nc->n_models; i++)
        if ((models[n] = reload_model(rt, &nc->models[i], refused)))
            n++;
    for (int i = 0; i < rt->n_models; i++) {
        int kept = 0;
        for (int k = 0; k < n; k++)
            kept |= models[k] == rt->models[i];
        if (!kept)
            model_retire(rt->models[i]);
    }
    free(rt->models);
    rt->models = models;
    rt->n_models = n;
    return VD_OK;
}

int vd_runtime_reload(vd_runtime *rt, vd_config *cfg, vd_error *err)
{
    if (!rt->ready)
        return vd_error_set(err, VD_EINVAL, "still starting (loading models): reload later");
    vd_config nc = *cfg;
    vd_config_init(cfg);
    vd_error refused;
    vd_error_clear(&refused);
    int rc = reload_models(rt, &nc, &refused, err);
    /* streams of the old file gone from the new one */
    for (int i = rt->n_streams - 1; i >= 0; i--) {
        const char *id = rt->streams[i]->cfg.id;
        if (cfg_stream(&rt->cfg, id) && !cfg_stream(&nc, id))
            stream_drop(rt, i);
    }
    /* new, changed, or on a model that was replaced */
    for (int i = 0; !rc && i < nc.n_streams; i++) {
        int k = stream_index(rt, nc.streams[i].id);
        vd_stream_config copy;
        if ((rc = vd_stream_config_copy(&copy, &nc.streams[i], err)))
            break;
        int same = k >= 0 && vd_stream_config_equal(&rt->streams[k]->cfg, &copy) &&
                   !model_stale(rt, rt->streams[k]);
        if (same)
            vd_stream_config_free(&copy);
        else if ((rc = k >= 0 ? stream_apply(rt, k, &copy, err) : stream_insert(rt, &copy, err)))
            vd_stream_config_free(&copy);
    }
    /* API-added streams on a replaced model, or on one that loads now */
    for (int i = rt->n_streams - 1; !rc && i >= 0; i--) {
        rt_stream *st = rt->streams[i];
        if (model_stale(rt, st)) {
            vd_stream_config copy;
            if (!(rc = vd_stream_config_copy(&copy, &st->cfg, err)) &&
                (rc = stream_apply(rt, i, &copy, err)))
                vd_stream_config_free(&copy);
        }
    }
    vd_config_free(&rt->cfg);
    rt->cfg = nc;
    if (!rc && refused.code) { /* everything else is applied */
        *err = refused;
        rc = refused.code;
    }
    return rc;
}

/* ---- queries ---- */

void vd_runtime_status_line(vd_runtime *rt, char *buf, size_t n)
{
    int running = 0, reconnecting = 0;
    double fps = 0;
    for (int i = 0; i < rt->n_streams; i++) {
        vd_stream_status s;
        rt_stream_info(rt->streams[i], &s);
        running += s.state == VD_STREAM_RUNNING;
        reconnecting += s.state == VD_STREAM_RECONNECTING;
        fps += s.fps_analysed;
    }
    int k = snprintf(buf, n, "%d stream%s running, %.1f fps analysed", running,
                     running == 1 ? "" : "s", fps);
    if (reconnecting && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ", %d reconnecting", reconnecting);
}

int vd_runtime_ready(const vd_runtime *rt) { return rt->ready; }
const vd_config *vd_runtime_config(const vd_runtime *rt) { return &rt->cfg; }
vd_store *vd_runtime_store(vd_runtime *rt) { return rt->store; }
const char *vd_runtime_stop_error(const vd_runtime *rt) { return rt->stop_error; }
int vd_runtime_stream_count(const vd_runtime *rt) { return rt->n_streams; }

int vd_runtime_stream_at(vd_runtime *rt, int i, vd_stream_status *out)
{
    if (i < 0 || i >= rt->n_streams)
        return VD_ENOTFOUND;
    rt_stream_info(rt->streams[i], out);
    return VD_OK;
}

static int find_stream(vd_runtime *rt, const char *id, vd_error *err)
{
    int i = stream_index(rt, id);
    return i >= 0 ? i : vd_error_set(err, VD_ENOTFOUND, "no stream '%s'", id);
}

int vd_runtime_stream_get(vd_runtime *rt, const char *id, vd_stream_status *out, vd_error *err)
{
    int i = find_stream(rt, id, err);
    if (i < 0)
        return i;
    rt_stream_info(rt->streams[i], out);
    return VD_OK;
}

int vd_runtime_stream_add(vd_runtime *rt, vd_stream_config *s, vd_error *err)
{
    if (stream_index(rt, s->id) >= 0) {
        vd_error_set(err, VD_EINVAL, "stream '%s' exists", s->id);
        return 1;
    }
    int rc = vd_config_source_allowed(&rt->cfg, s->url, err);
    return rc ? rc : stream_insert(rt, s, err);
}

int vd_runtime_stream_update(vd_runtime *rt, const char *id, vd_stream_config *s, vd_error *err)
{
    int i = find_stream(rt, id, err);
    if (i < 0)
        return i;
    int rc = vd_config_source_allowed(&rt->cfg, s->url, err);
    return rc ? rc : stream_apply(rt, i, s, err);
}

int vd_runtime_stream_remove(vd_runtime *rt, const char *id, vd_error *err)
{
    int i = find_stream(rt, id, err);
    if (i < 0)
        return i;
    stream_drop(rt, i);
    return VD_OK;
}

int vd_runtime_stream_snapshot(vd_runtime *rt, const char *id, int annotate, void **jpeg,
                               size_t *n, vd_error *err)
{
    int i = find_stream(rt, id, err);
    return i < 0 ? i : rt_stream_snapshot(rt->streams[i], annotate, jpeg, n, err);
}

int vd_runtime_model_count(const vd_runtime *rt) { return rt->n_models; }

void vd_runtime_model_stats(vd_runtime *rt, int i, vd_model_stats *out)
{
    memset(out, 0, sizeof *out);
    if (i >= 0 && i < rt->n_models)
        rt_model_stats(rt->models[i], out);
}

int vd_runtime_subscribe(vd_runtime *rt, const char *stream, vd_hub_fn fn, void *ud,
                         uint64_t *handle, vd_error *err)
{
    return rt_hub_subscribe(rt->hub, stream, fn, ud, handle)
               ? vd_error_set(err, VD_ENOMEM, "out of memory")
               : VD_OK;
}

void vd_runtime_unsubscribe(vd_runtime *rt, uint64_t handle)
{
    rt_hub_unsubscribe(rt->hub, handle);
}
