/* store.c -- the backend-independent half of vd_store: the write queue,
 * the writer thread that commits it in batches, opaque keyset cursors and
 * the stats. The backend (store_sqlite.c) is a method table picked at open.
 *
 * Threads and queues:
 *   - Callers (the loop thread) append to two queues under `mu`: a ring of
 *     detections, bounded by opts.max_queue (when full the oldest queued
 *     detection is dropped and counted), and a list of event upserts and
 *     snapshots, never dropped (events are few; losing one would leave an
 *     event open forever).
 *   - The WRITER thread takes up to batch_rows detections plus every queued
 *     event and snapshot, and commits them in one backend transaction when
 *     batch_rows are queued or the oldest has waited batch_ms. A batch that
 *     fails (disk full) is kept and retried every second; it counts against
 *     max_queue. The writer also runs retention (hourly and on request).
 *   - Queries run on the caller's thread over the backend's read
 *     connection, serialised by `read_mu`; the writer never takes it. */
#define _GNU_SOURCE
#include "store.h"
#include "store_backend.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define COMMIT_WINDOW 256 /* commit durations kept for p50/p99 */

struct vd_store {
    const vd_store_methods *m;
    void *be;
    vd_store_opts o;
    char *path;
    pthread_t writer;
    pthread_mutex_t mu, read_mu;
    pthread_cond_t wake, done;
    /* queues (mu) */
    vd_store_detection *ring;
    int64_t ring_cap, head, count;
    vd_store_event *events;
    vd_store_snapshot *snaps;
    int n_events, cap_events, n_snaps, cap_snaps;
    int64_t inflight;       /* rows the writer holds (retried on failure) */
    double first_put;       /* monotonic time the oldest queued row arrived */
    int stop, flushing, joined;
    int64_t lost_at_stop;   /* rows the writer gave up on while stopping */
    int64_t retain_req, retain_done;
    int retain_rc;
    char retain_msg[VD_ERROR_MSG_MAX];
    /* stats (mu); row counts are kept by the writer (ids only grow, so an
     * event id above max_event is a new row) and recounted after retention */
    int64_t next_det, next_event;
    int64_t rows_det, rows_event, max_event;
    int64_t inserted, committed, dropped, write_errors;
    uint64_t generation;    /* bumped by every commit and retention pass that changed rows */
    char last_error[256];
    double commit_ms[COMMIT_WINDOW];
    int n_commits;
};

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void deadline(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    double ns = (double)ts->tv_nsec + seconds * 1e9;
    ts->tv_sec += (time_t)(ns / 1e9);
    ts->tv_nsec = (long)(ns - (double)(time_t)(ns / 1e9) * 1e9);
}

static int64_t queued(const vd_store *s)
{
    return s->count + s->n_events + s->n_snaps;
}

/* ---- the writer thread ---------------------------------------------------- */

typedef struct taken {
    vd_store_detection *dets; /* batch_rows slots, owned by the writer */
    int n_dets;
    vd_store_event *events;
    vd_store_snapshot *snaps;
    int n_events, n_snaps;
} taken;

static void taken_release(taken *t)
{
    for (int i = 0; i < t->n_snaps; i++)
        free(t->snaps[i].jpeg);
    free(t->events);
    free(t->snaps);
    t->events = NULL;
    t->snaps = NULL;
    t->n_dets = t->n_events = t->n_snaps = 0;
}

/* Move the next batch out of the queues (mu held). */
static void take(vd_store *s, taken *t)
{
    while (t->n_dets < s->o.batch_rows && s->count) {
        t->dets[t->n_dets++] = s->ring[s->head];
        s->head = (s->head + 1) % s->ring_cap;
        s->count--;
    }
    t->events = s->events;
    t->n_events = s->n_events;
    t->snaps = s->snaps;
    t->n_snaps = s->n_snaps;
    s->events = NULL;
    s->snaps = NULL;
    s->n_events = s->cap_events = s->n_snaps = s->cap_snaps = 0;
    s->inflight = t->n_dets + t->n_events + t->n_snaps;
    s->first_put = queued(s) ? mono() : 0;
}

static int batch_due(const vd_store *s)
{
    return s->stop || s->flushing || s->count >= s->o.batch_rows ||
           (queued(s) && mono() >= s->first_put + s->o.batch_ms / 1000.0);
}

/* Commit t (mu held on entry and exit, released during the write). On
 * failure the batch stays in t for the next attempt. */
static int commit(vd_store *s, taken *t)
{
    vd_store_batch b = {t->dets, t->n_dets, t->events, t->n_events, t->snaps, t->n_snaps};
    vd_error err = {0};
    pthread_mutex_unlock(&s->mu);
    double t0 = mono();
    int rc = s->m->write(s->be, &b, &err);
    double ms = (mono() - t0) * 1e3;
    pthread_mutex_lock(&s->mu);
    if (rc) {
        s->write_errors++;
        snprintf(s->last_error, sizeof s->last_error, "%s", err.msg);
    } else {
        s->committed += t->n_dets + t->n_events + t->n_snaps;
        s->generation++;
        s->rows_det += t->n_dets;
        for (int i = 0; i < t->n_events; i++)
            if (t->events[i].id > s->max_event) {
                s->max_event = t->events[i].id;
                s->rows_event++;
            }
        s->commit_ms[s->n_commits++ % COMMIT_WINDOW] = ms;
        s->last_error[0] = 0;
        s->inflight = 0;
        taken_release(t);
    }
    pthread_cond_broadcast(&s->done);
    return rc;
}

static void retain_now(vd_store *s)
{
    vd_error err = {0};
    int64_t deleted = 0;
    double cutoff = s->o.retention_days > 0
                        ? (double)time(NULL) - s->o.retention_days * 86400.0 : 0;
    pthread_mutex_unlock(&s->mu);
    int rc = s->m->retain(s->be, cutoff, s->o.retention_rows, &deleted, &err);
    int64_t dets = 0, events = 0;
    if (!rc)
        rc = s->m->count(s->be, &dets, &events, &err);
    pthread_mutex_lock(&s->mu);
    if (deleted > 0)
        s->generation++;
    if (!rc) { /* rows committed meanwhile are in the count already */
        s->rows_det = dets;
        s->rows_event = events;
    }
    s->retain_rc = rc;
    snprintf(s->retain_msg, sizeof s->retain_msg, "%s", err.msg);
}

static void *writer_main(void *arg)
{
    vd_store *s = arg;
    taken t = {.dets = malloc((size_t)s->o.batch_rows * sizeof *t.dets)};
    double next_retain = 0; /* retention runs at start, then hourly */
    int failures = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->retain_req > s->retain_done || mono() >= next_retain) {
            int64_t req = s->retain_req;
            retain_now(s);
            s->retain_done = req;
            next_retain = mono() + 3600;
            pthread_cond_broadcast(&s->done);
        }
        if (!t.n_dets && !t.n_events && !t.n_snaps) {
            if (!batch_due(s)) {
                struct timespec ts;
                deadline(&ts, queued(s) ? s->o.batch_ms / 1000.0 : 1.0);
                pthread_cond_timedwait(&s->wake, &s->mu, &ts);
                continue;
            }
            if (!queued(s) && s->stop)
                break;
            take(s, &t);
            if (!t.n_dets && !t.n_events && !t.n_snaps) {
                pthread_cond_broadcast(&s->done);
                if (s->flushing) { /* nothing to write: let the flusher see it */
                    struct timespec ts;
                    deadline(&ts, 0.01);
                    pthread_cond_timedwait(&s->wake, &s->mu, &ts);
                }
                continue;
            }
        }
        if (!commit(s, &t)) {
            failures = 0;
            continue;
        }
        /* disk full or I/O error: retry the same batch each second; when
         * stopping, give up after 3 attempts and count the rows as lost */
        if (s->stop && ++failures >= 3) {
            s->dropped += s->inflight;
            s->lost_at_stop += s->inflight;
            s->inflight = 0;
            taken_release(&t);
            continue;
        }
        struct timespec ts;
        deadline(&ts, 1.0);
        pthread_cond_timedwait(&s->wake, &s->mu, &ts);
    }
    pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->mu);
    taken_release(&t);
    free(t.dets);
    return NULL;
}

/* ---- open / close ------------------------------------------------------------ */

static void opts_defaults(vd_store_opts *o)
{
    if (o->batch_ms <= 0)
        o->batch_ms = 100;
    if (o->batch_rows <= 0)
        o->batch_rows = 1000;
    if (o->max_queue <= 0)
        o->max_queue = 100000;
    if (o->max_queue < o->batch_rows)
        o->max_queue = o->batch_rows;
}

/* mkdir -p of the directory that will hold path. */
static int make_parent(const char *path, vd_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        mkdir(dir, 0750);
        *p = '/';
    }
    if (mkdir(dir, 0750) && errno != EEXIST)
        return vd_error_set(err, VD_EIO, "%s: cannot create its directory: %m", path);
    return 0;
}

static void store_free(vd_store *s)
{
    if (s->be)
        s->m->close(s->be);
    for (int i = 0; i < s->n_snaps; i++)
        free(s->snaps[i].jpeg);
    free(s->snaps);
    free(s->events);
    free(s->ring);
    free(s->path);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->read_mu);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->done);
    free(s);
}

int vd_store_open(vd_store **out, const vd_store_opts *o, vd_error *err)
{
    *out = NULL;
    if (!o || !o->path || !*o->path)
        return vd_error_set(err, VD_EINVAL, "store: no path given");
    if (strstr(o->path, "://"))
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: only SQLite files are supported (a "
                            "PostgreSQL backend is planned)", o->path);
    vd_store *s = calloc(1, sizeof *s);
    if (!s)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", o->path);
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->read_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_cond_init(&s->done, &ca);
    pthread_condattr_destroy(&ca);
    s->m = &vd_store_sqlite;
    s->o = *o;
    opts_defaults(&s->o);
    s->path = strdup(o->path);
    s->o.path = s->path;
    int rc = s->path ? make_parent(s->path, err) : vd_error_set(err, VD_ENOMEM, "out of memory");
    if (!rc)
        rc = s->m->open(&s->be, &s->o, err);
    if (!rc)
        rc = s->m->next_ids(s->be, &s->next_det, &s->next_event, err);
    if (!rc)
        rc = s->m->count(s->be, &s->rows_det, &s->rows_event, err);
    s->max_event = s->next_event - 1;
    if (!rc && pthread_create(&s->writer, NULL, writer_main, s))
        rc = vd_error_set(err, VD_ENOMEM, "%s: cannot start the writer thread", s->path);
    if (rc) {
        store_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int vd_store_shutdown(vd_store *s, vd_error *err)
{
    if (!s)
        return VD_OK;
    if (!s->joined) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->writer, NULL);
        s->joined = 1;
    }
    if (!s->lost_at_stop)
        return VD_OK;
    return vd_error_set(err, VD_EIO, "store %s: %lld rows could not be written before "
                        "stopping: %s", s->path, (long long)s->lost_at_stop, s->last_error);
}

void vd_store_close(vd_store **sp)
{
    vd_store *s = sp ? *sp : NULL;
    if (!s)
        return;
    vd_store_shutdown(s, NULL);
    store_free(s);
    *sp = NULL;
}

void vd_store_next_ids(const vd_store *s, int64_t *detection_id, int64_t *event_id)
{
    *detection_id = s->next_det;
    *event_id = s->next_event;
}

/* ---- queueing ---------------------------------------------------------------- */

/* Ring capacity for one more detection: grow (unwrapping) up to max_queue,
 * beyond it drop the oldest queued detection. mu held. */
static int ring_room(vd_store *s)
{
    if (s->count + s->inflight >= s->o.max_queue && s->count) {
        s->head = (s->head + 1) % s->ring_cap;
        s->count--;
        s->dropped++;
    }
    if (s->count < s->ring_cap)
        return 0;
    int64_t cap = s->ring_cap ? s->ring_cap * 2 : 1024;
    vd_store_detection *r = malloc((size_t)cap * sizeof *r);
    if (!r)
        return VD_ENOMEM;
    for (int64_t i = 0; i < s->count; i++)
        r[i] = s->ring[(s->head + i) % s->ring_cap];
    free(s->ring);
    s->ring = r;
    s->ring_cap = cap;
    s->head = 0;
    return 0;
}

/* Wake the writer when a batch is due: the first queued row starts the
 * batch_ms clock, batch_rows rows end it early. mu held. */
static void queued_one(vd_store *s)
{
    s->inserted++;
    if (queued(s) == 1) {
        s->first_put = mono();
        pthread_cond_signal(&s->wake);
    } else if (s->count == s->o.batch_rows)
        pthread_cond_signal(&s->wake);
}

int vd_store_put_detection(vd_store *s, const vd_store_detection *d, vd_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = s->stop ? VD_ECLOSED : ring_room(s);
    if (!rc && s->count + s->inflight >= s->o.max_queue)
        s->dropped++; /* the writer holds a whole queue's worth: drop the new row */
    else if (!rc) {
        s->ring[(s->head + s->count) % s->ring_cap] = *d;
        s->count++;
        queued_one(s);
    }
    pthread_mutex_unlock(&s->mu);
    return rc ? vd_error_set(err, rc, "store %s: %s", s->path,
                             rc == VD_ECLOSED ? "closing" : "out of memory")
              : 0;
}

/* Append one element of size sz to a growable array (mu held). */
static void *push(void **arr, int *n, int *cap, size_t sz)
{
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 16;
        void *a = realloc(*arr, (size_t)c * sz);
        if (!a)
            return NULL;
        *arr = a;
        *cap = c;
    }
    return (char *)*arr + (size_t)(*n)++ * sz;
}

/* Append one event or snapshot (never dropped) to its list. */
static int enqueue(vd_store *s, void **arr, int *n, int *cap, const void *elem, size_t sz,
                   vd_error *err)
{
    pthread_mutex_lock(&s->mu);
    void *slot = s->stop ? NULL : push(arr, n, cap, sz);
    if (slot) {
        memcpy(slot, elem, sz);
        queued_one(s);
    }
    int stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    if (slot)
        return 0;
    return vd_error_set(err, stop ? VD_ECLOSED : VD_ENOMEM, "store %s: %s", s->path,
                        stop ? "closing" : "out of memory");
}

int vd_store_put_event(vd_store *s, const vd_store_event *e, vd_error *err)
{
    return enqueue(s, (void **)&s->events, &s->n_events, &s->cap_events, e, sizeof *e, err);
}

int vd_store_put_snapshot(vd_store *s, int64_t event_id, const void *jpeg, size_t n,
                          vd_error *err)
{
    vd_store_snapshot snap = {event_id, malloc(n ? n : 1), n};
    if (!snap.jpeg)
        return vd_error_set(err, VD_ENOMEM, "store %s: out of memory", s->path);
    memcpy(snap.jpeg, jpeg, n);
    int rc = enqueue(s, (void **)&s->snaps, &s->n_snaps, &s->cap_snaps, &snap, sizeof snap, err);
    if (rc)
        free(snap.jpeg);
    return rc;
}

int vd_store_flush(vd_store *s, vd_error *err)
{
    pthread_mutex_lock(&s->mu);
    int64_t errors = s->write_errors;
    s->flushing++;
    pthread_cond_signal(&s->wake);
    while ((queued(s) || s->inflight) && s->write_errors == errors && !s->stop)
        pthread_cond_wait(&s->done, &s->mu);
    s->flushing--;
    int rc = s->write_errors != errors
                 ? vd_error_set(err, VD_EIO, "store %s: %s", s->path, s->last_error)
                 : 0;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int vd_store_retain(vd_store *s, vd_error *err)
{
    pthread_mutex_lock(&s->mu);
    int64_t ticket = ++s->retain_req;
    pthread_cond_signal(&s->wake);
    while (s->retain_done < ticket && !s->stop)
        pthread_cond_wait(&s->done, &s->mu);
    int rc = s->retain_done >= ticket ? s->retain_rc : VD_ECLOSED;
    if (rc)
        vd_error_set(err, rc, "%s", rc == VD_ECLOSED ? "store: closing" : s->retain_msg);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- queries and cursors ------------------------------------------------------ */

/* A cursor is the last row's (ts, id) with a kind letter, as hex: opaque
 * to clients, exact (the double's bits), and checkable. */
static char *cursor_encode(char kind, double ts, int64_t id)
{
    uint64_t bits;
    memcpy(&bits, &ts, sizeof bits);
    char *c = NULL;
    return asprintf(&c, "%c%016" PRIx64 "%016" PRIx64, kind, bits, (uint64_t)id) < 0 ? NULL : c;
}

static int cursor_decode(const char *c, char kind, vd_store_key *k, vd_error *err)
{
    uint64_t bits = 0, id = 0;
    int ok = c && strlen(c) == 33 && c[0] == kind && strspn(c + 1, "0123456789abcdef") == 32;
    if (ok) {
        char a[17], b[17];
        memcpy(a, c + 1, 16);
        memcpy(b, c + 17, 16);
        a[16] = b[16] = 0;
        bits = strtoull(a, NULL, 16);
        id = strtoull(b, NULL, 16);
        memcpy(&k->ts, &bits, sizeof bits);
        k->id = (int64_t)id;
    }
    return ok ? 0 : vd_error_set(err, VD_EINVAL, "cursor: '%.40s' is not a cursor of this "
                                 "listing", c ? c : "");
}

/* Shared by both listings: check limit, decode the cursor, fetch limit + 1
 * rows to learn whether a next page exists. */
static int page_start(const vd_store_query *q, char kind, vd_store_key *after, int *has_after,
                      vd_error *err)
{
    if (q->limit < 1 || q->limit > 1000)
        return vd_error_set(err, VD_EINVAL, "limit: %d is not in [1, 1000]", q->limit);
    *has_after = q->cursor && *q->cursor;
    return *has_after ? cursor_decode(q->cursor, kind, after, err) : 0;
}

/* One page of either listing: fetch limit + 1 rows through the backend
 * (under the read lock) to learn whether a next page exists; the cursor is
 * the last returned row's key. */
typedef int (*fetch_fn)(vd_store *s, const vd_store_query *q, const vd_store_key *after,
                        int limit, void *rows, int *n, vd_error *err);

static int query_page(vd_store *s, const vd_store_query *q, char kind, size_t row_size,
                      fetch_fn fetch, void (*key_of)(const void *row, vd_store_key *k),
                      void **rows, int *n, char **next_cursor, vd_error *err)
{
    vd_store_key after, last;
    int has_after = 0;
    *rows = NULL;
    *n = 0;
    *next_cursor = NULL;
    int rc = page_start(q, kind, &after, &has_after, err);
    if (rc)
        return rc;
    char *r = malloc((size_t)(q->limit + 1) * row_size);
    if (!r)
        return vd_error_set(err, VD_ENOMEM, "store: out of memory");
    pthread_mutex_lock(&s->read_mu);
    rc = fetch(s, q, has_after ? &after : NULL, q->limit + 1, r, n, err);
    pthread_mutex_unlock(&s->read_mu);
    if (!rc && *n > q->limit) {
        *n = q->limit;
        key_of(r + (size_t)(*n - 1) * row_size, &last);
        if (!(*next_cursor = cursor_encode(kind, last.ts, last.id)))
            rc = vd_error_set(err, VD_ENOMEM, "store: out of memory");
    }
    if (rc) {
        free(r);
        *n = 0;
        return rc;
    }
    *rows = r;
    return 0;
}

static int fetch_detections(vd_store *s, const vd_store_query *q, const vd_store_key *after,
                            int limit, void *rows, int *n, vd_error *err)
{
    return s->m->query_detections(s->be, q, after, limit, rows, n, err);
}

static int fetch_events(vd_store *s, const vd_store_query *q, const vd_store_key *after,
                        int limit, void *rows, int *n, vd_error *err)
{
    return s->m->query_events(s->be, q, after, limit, rows, n, err);
}

static void detection_key(const void *row, vd_store_key *k)
{
    const vd_store_detection *d = row;
    *k = (vd_store_key){d->ts, d->id};
}

static void event_key(const void *row, vd_store_key *k)
{
    const vd_store_event *e = row;
    *k = (vd_store_key){e->start, e->id};
}

int vd_store_query_detections(vd_store *s, const vd_store_query *q, vd_store_detection **rows,
                              int *n, char **next_cursor, vd_error *err)
{
    return query_page(s, q, 'd', sizeof **rows, fetch_detections, detection_key,
                      (void **)rows, n, next_cursor, err);
}

int vd_store_query_events(vd_store *s, const vd_store_query *q, vd_store_event **rows, int *n,
                          char **next_cursor, vd_error *err)
{
    return query_page(s, q, 'e', sizeof **rows, fetch_events, event_key, (void **)rows, n,
                      next_cursor, err);
}

int vd_store_get_event(vd_store *s, int64_t id, vd_store_event *e, vd_error *err)
{
    pthread_mutex_lock(&s->read_mu);
    int rc = s->m->get_event(s->be, id, e, err);
    pthread_mutex_unlock(&s->read_mu);
    return rc;
}

int vd_store_get_snapshot(vd_store *s, int64_t event_id, void **jpeg, size_t *n, vd_error *err)
{
    pthread_mutex_lock(&s->read_mu);
    int rc = s->m->get_snapshot(s->be, event_id, jpeg, n, err);
    pthread_mutex_unlock(&s->read_mu);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

uint64_t vd_store_generation(vd_store *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t g = s->generation;
    pthread_mutex_unlock(&s->mu);
    return g;
}

void vd_store_stats_get(vd_store *s, vd_store_stats *out)
{
    double ms[COMMIT_WINDOW];
    memset(out, 0, sizeof *out);
    out->file_bytes = s->m->file_bytes(s->be);
    pthread_mutex_lock(&s->mu);
    out->detections = s->rows_det;
    out->events = s->rows_event;
    out->inserted = s->inserted;
    out->committed = s->committed;
    out->queued = queued(s) + s->inflight;
    out->dropped = s->dropped;
    out->write_errors = s->write_errors;
    snprintf(out->last_error, sizeof out->last_error, "%s", s->last_error);
    int n = s->n_commits < COMMIT_WINDOW ? s->n_commits : COMMIT_WINDOW;
    memcpy(ms, s->commit_ms, (size_t)n * sizeof ms[0]);
    pthread_mutex_unlock(&s->mu);
    if (n) {
        qsort(ms, (size_t)n, sizeof ms[0], cmp_double);
        out->commit_ms_p50 = ms[n / 2];
        out->commit_ms_p99 = ms[(n * 99) / 100];
    }
}
