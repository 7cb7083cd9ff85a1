/* test_store.c -- the detection/event store on real SQLite files in a temp
 * dir: what goes in comes out (round trip, filters against a brute-force
 * answer, newest first), keyset pages never repeat or skip a row while rows
 * are inserted, retention by age and count, a restart keeps everything, a
 * newer schema is refused, a full disk is retried and counted, and after
 * kill -9 of a writing process every row a query had returned is still
 * there, identical, with PRAGMA integrity_check ok. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/store/store.h"

static char tmp[PATH_MAX], db[PATH_MAX + 32];

static void make_tmp(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/vd_test_store.XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(db, sizeof db, "%s/sub/dir/store.db", tmp);
}

static void rm_tmp(void)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = make_tmp, .fini = rm_tmp, .timeout = 120);

static vd_store *open_store(int batch_ms, int batch_rows)
{
    vd_store *s = NULL;
    vd_error e = {0};
    vd_store_opts o = {.path = db, .batch_ms = batch_ms, .batch_rows = batch_rows};
    cr_assert_eq(vd_store_open(&s, &o, &e), 0, "%s", e.msg);
    return s;
}

static const char *const streams[] = {"lobby", "yard", "gate"};
static const char *const labels[] = {"person", "car", "dog", "face"};
static const char *const zones[] = {"door", "drive", "porch"};

/* A deterministic detection: fields vary with i so filters can split them. */
static vd_store_detection det(int64_t id, double ts)
{
    vd_store_detection d;
    memset(&d, 0, sizeof d);
    d.id = id;
    snprintf(d.stream, sizeof d.stream, "%s", streams[id % 3]);
    snprintf(d.label, sizeof d.label, "%s", labels[(id / 3) % 4]);
    d.pts = (double)id / 25.0;
    d.ts = ts;
    d.score = (float)((id * 37) % 100) / 100.0f;
    for (int k = 0; k < 4; k++)
        d.box[k] = (float)(id % 640) + (float)k * 10.5f;
    d.track_id = id / 10;
    d.event_id = id % 7 ? id / 7 : 0;
    for (int z = 0; z < 3; z++)
        if ((id >> z) & 1)
            snprintf(d.zones[d.n_zones++], sizeof d.zones[0], "%s", zones[z]);
    return d;
}

static vd_store_event event(int64_t id, double start, int in_progress)
{
    vd_store_event e;
    memset(&e, 0, sizeof e);
    e.id = id;
    snprintf(e.stream, sizeof e.stream, "%s", streams[id % 3]);
    snprintf(e.label, sizeof e.label, "%s", labels[id % 4]);
    e.start = start;
    e.end = in_progress ? 0 : start + 5;
    e.in_progress = in_progress;
    e.top_score = 0.5f + (float)(id % 5) / 10.0f;
    for (int k = 0; k < 4; k++) {
        e.box[k] = (float)(10 * k + id);
        e.snapshot_box[k] = (float)(20 * k + id);
    }
    e.snapshot_time = start + 1.25;
    snprintf(e.zones[e.n_zones++], sizeof e.zones[0], "%s", zones[id % 3]);
    return e;
}

static void put_dets(vd_store *s, int64_t first, int n, double ts0, double step)
{
    vd_error e = {0};
    for (int i = 0; i < n; i++) {
        vd_store_detection d = det(first + i, ts0 + step * i);
        cr_assert_eq(vd_store_put_detection(s, &d, &e), 0, "%s", e.msg);
    }
}

static void flush(vd_store *s)
{
    vd_error e = {0};
    cr_assert_eq(vd_store_flush(s, &e), 0, "%s", e.msg);
}

static vd_store_query query(int limit)
{
    return (vd_store_query){.in_progress = -1, .limit = limit};
}

/* Page through q with its cursors, calling each() on every row, pausing
 * pause_us between pages; returns the number of pages. */
static int walk(vd_store *s, vd_store_query q, void (*each)(const vd_store_detection *, void *),
                void *ctx, int pause_us)
{
    char *cursor = NULL;
    int pages = 0;
    vd_error e = {0};
    do {
        vd_store_detection *rows;
        int n;
        char *next;
        q.cursor = cursor;
        cr_assert_eq(vd_store_query_detections(s, &q, &rows, &n, &next, &e), 0, "%s", e.msg);
        for (int i = 0; i < n; i++)
            each(&rows[i], ctx);
        free(rows);
        free(cursor);
        cursor = next;
        pages++;
        usleep((useconds_t)pause_us);
    } while (cursor);
    return pages;
}

static int same_det(const vd_store_detection *a, const vd_store_detection *b)
{
    if (a->id != b->id || strcmp(a->stream, b->stream) || strcmp(a->label, b->label) ||
        a->pts != b->pts || a->ts != b->ts || a->score != b->score ||
        memcmp(a->box, b->box, sizeof a->box) || a->track_id != b->track_id ||
        a->event_id != b->event_id || a->n_zones != b->n_zones)
        return 0;
    for (int z = 0; z < a->n_zones; z++)
        if (strcmp(a->zones[z], b->zones[z]))
            return 0;
    return 1;
}

Test(store, round_trip)
{
    vd_store *s = open_store(0, 0);
    int64_t d0, e0;
    vd_store_next_ids(s, &d0, &e0);
    cr_assert_eq(d0, 1);
    cr_assert_eq(e0, 1);
    put_dets(s, 1, 10, 1.7e9, 0.2);
    vd_error e = {0};
    vd_store_event ev = event(1, 1.7e9, 1);
    cr_assert_eq(vd_store_put_event(s, &ev, &e), 0);
    unsigned char jpeg[3000];
    for (size_t i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 7);
    cr_assert_eq(vd_store_put_snapshot(s, 1, jpeg, sizeof jpeg, &e), 0);
    uint64_t gen = vd_store_generation(s);
    flush(s);
    cr_assert_neq(vd_store_generation(s), gen, "a commit changes the generation");
    gen = vd_store_generation(s);
    flush(s);
    cr_assert_eq(vd_store_generation(s), gen, "nothing committed, same generation");
    vd_store_query q = query(100);
    vd_store_detection *rows;
    int n;
    char *next;
    cr_assert_eq(vd_store_query_detections(s, &q, &rows, &n, &next, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 10);
    cr_assert_null(next);
    for (int i = 0; i < n; i++) {
        vd_store_detection want = det(10 - i, 1.7e9 + 0.2 * (9 - i));
        cr_assert(same_det(&rows[i], &want), "row %d (id %lld) differs", i,
                  (long long)rows[i].id);
    }
    free(rows);
    vd_store_event got;
    cr_assert_eq(vd_store_get_event(s, 1, &got, &e), 0, "%s", e.msg);
    cr_assert_eq(got.in_progress, 1);
    cr_assert_eq(got.has_snapshot, 1);
    cr_assert_eq(memcmp(got.snapshot_box, ev.snapshot_box, sizeof ev.snapshot_box), 0);
    cr_assert_eq(got.snapshot_time, ev.snapshot_time);
    cr_assert_str_eq(got.zones[0], ev.zones[0]);
    void *blob;
    size_t nb;
    cr_assert_eq(vd_store_get_snapshot(s, 1, &blob, &nb, &e), 0);
    cr_assert_eq(nb, sizeof jpeg);
    cr_assert_eq(memcmp(blob, jpeg, nb), 0);
    free(blob);
    cr_assert_eq(vd_store_get_event(s, 2, &got, &e), VD_ENOTFOUND);
    cr_assert_eq(vd_store_get_snapshot(s, 2, &blob, &nb, &e), VD_ENOTFOUND);
    /* the event ends: an upsert, and a new snapshot replaces the old */
    ev.in_progress = 0;
    ev.end = ev.start + 9;
    ev.top_score = 0.99f;
    cr_assert_eq(vd_store_put_event(s, &ev, &e), 0);
    cr_assert_eq(vd_store_put_snapshot(s, 1, "JPEG", 4, &e), 0);
    flush(s);
    cr_assert_eq(vd_store_get_event(s, 1, &got, &e), 0);
    cr_assert_eq(got.in_progress, 0);
    cr_assert_eq(got.end, ev.start + 9);
    cr_assert_float_eq(got.top_score, 0.99f, 0);
    cr_assert_eq(vd_store_get_snapshot(s, 1, &blob, &nb, &e), 0);
    cr_assert_eq(nb, 4);
    free(blob);
    vd_store_stats st;
    vd_store_stats_get(s, &st);
    cr_assert_eq(st.detections, 10);
    cr_assert_eq(st.events, 1);
    cr_assert_eq(st.inserted, 14);
    cr_assert_eq(st.committed, 14);
    cr_assert_eq(st.queued + st.dropped + st.write_errors, 0);
    cr_assert_gt(st.file_bytes, 0);
    cr_assert_gt(st.commit_ms_p50, 0);
    vd_store_close(&s);
    cr_assert_null(s);
}

/* Brute force: does d match q? */
static int matches(const vd_store_detection *d, const vd_store_query *q)
{
    int zone = !q->zone;
    for (int z = 0; q->zone && z < d->n_zones; z++)
        zone |= !strcmp(d->zones[z], q->zone);
    return zone && (!q->stream || !strcmp(d->stream, q->stream)) &&
           (!q->label || !strcmp(d->label, q->label)) && d->score >= q->min_score &&
           (q->since <= 0 || d->ts >= q->since) && (q->until <= 0 || d->ts < q->until);
}

Test(store, filters_match_a_brute_force_answer_newest_first)
{
    vd_store *s = open_store(0, 0);
    enum { N = 600 };
    /* timestamps out of id order, with ties, as several streams give them */
    vd_store_detection *all = malloc(N * sizeof *all);
    vd_error e = {0};
    for (int i = 0; i < N; i++) {
        all[i] = det(i + 1, 1.7e9 + (double)((i * 7919) % 200) * 0.5);
        cr_assert_eq(vd_store_put_detection(s, &all[i], &e), 0);
    }
    flush(s);
    vd_store_query qs[] = {
        query(1000),
        {.stream = "yard", .limit = 1000},
        {.label = "dog", .limit = 1000},
        {.zone = "porch", .limit = 1000},
        {.zone = "dr", .limit = 1000}, /* a prefix of a zone is not the zone */
        {.min_score = 0.8f, .limit = 1000},
        {.since = 1.7e9 + 20, .until = 1.7e9 + 40, .limit = 1000},
        {.stream = "gate", .label = "car", .zone = "door", .min_score = 0.3f, .limit = 1000},
    };
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        vd_store_detection *rows;
        int n, want = 0;
        char *next;
        cr_assert_eq(vd_store_query_detections(s, &qs[k], &rows, &n, &next, &e), 0, "%s", e.msg);
        for (int i = 0; i < N; i++)
            want += matches(&all[i], &qs[k]);
        cr_expect_eq(n, want, "query %zu: %d rows, brute force says %d", k, n, want);
        for (int i = 0; i < n; i++) {
            cr_assert(matches(&rows[i], &qs[k]), "query %zu row %d", k, i);
            cr_assert(same_det(&rows[i], &all[rows[i].id - 1]));
            if (i) /* newest first in recording (= commit) order */
                cr_assert(rows[i].id < rows[i - 1].id, "query %zu: newest first", k);
        }
        free(rows);
        free(next);
    }
    free(all);
    vd_store_close(&s);
}

Test(store, events_filters_and_in_progress)
{
    vd_store *s = open_store(0, 0);
    vd_error e = {0};
    for (int i = 1; i <= 30; i++) {
        vd_store_event ev = event(i, 1.7e9 + i, i % 4 == 0);
        cr_assert_eq(vd_store_put_event(s, &ev, &e), 0);
    }
    flush(s);
    vd_store_query q = query(1000);
    q.in_progress = 1;
    vd_store_event *rows;
    int n;
    char *next;
    cr_assert_eq(vd_store_query_events(s, &q, &rows, &n, &next, &e), 0, "%s", e.msg);
    cr_assert_eq(n, 7);
    for (int i = 0; i < n; i++)
        cr_assert(rows[i].in_progress && rows[i].end == 0);
    cr_assert_eq(rows[0].id, 28, "newest first");
    free(rows);
    q = (vd_store_query){.stream = "yard", .zone = "drive", .in_progress = -1, .limit = 3};
    int total = 0;
    char *cursor = NULL;
    do {
        q.cursor = cursor;
        cr_assert_eq(vd_store_query_events(s, &q, &rows, &n, &next, &e), 0, "%s", e.msg);
        for (int i = 0; i < n; i++)
            cr_assert(rows[i].id % 3 == 1 && !strcmp(rows[i].zones[0], "drive"));
        total += n;
        free(rows);
        free(cursor);
        cursor = next;
    } while (cursor);
    cr_assert_eq(total, 10);
    /* a detections cursor is not an events cursor */
    put_dets(s, 1, 3, 1.7e9, 1);
    flush(s);
    vd_store_query dq = query(1);
    vd_store_detection *d;
    cr_assert_eq(vd_store_query_detections(s, &dq, &d, &n, &next, &e), 0);
    free(d);
    q.cursor = next;
    cr_assert_eq(vd_store_query_events(s, &q, &rows, &n, &cursor, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "cursor"), "%s", e.msg);
    free(next);
    q.cursor = "garbage";
    cr_assert_eq(vd_store_query_events(s, &q, &rows, &n, &cursor, &e), VD_EINVAL);
    q.cursor = NULL;
    q.limit = 1001;
    cr_assert_eq(vd_store_query_events(s, &q, &rows, &n, &cursor, &e), VD_EINVAL);
    cr_assert_str_eq(e.msg, "limit: 1001 is not in [1, 1000]");
    vd_store_close(&s);
}

typedef struct inserter {
    vd_store *s;
    int64_t first;
    int n;
    volatile int done;
} inserter;

/* Rows keep arriving during the walk: some newer than everything, some
 * with timestamps inside the range being paged. */
static void *insert_while_paging(void *arg)
{
    inserter *in = arg;
    for (int i = 0; i < in->n; i++) {
        int64_t id = in->first + i;
        double ts = i % 2 ? 1.8e9 + i : 1.7e9 + (double)((id * 31) % 3000) * 0.1;
        vd_store_detection d = det(id, ts);
        vd_store_put_detection(in->s, &d, NULL);
        if (i % 50 == 0)
            usleep(1000);
    }
    in->done = 1;
    return NULL;
}

/* Each row once, strictly after the previous one in (ts, id) desc. */
struct seen {
    unsigned char *ids;
    double last_ts;
    int64_t last_id;
};

static void check_order(const vd_store_detection *d, void *ctx)
{
    struct seen *s = ctx;
    cr_assert_eq(s->ids[d->id], 0, "row %lld repeated", (long long)d->id);
    s->ids[d->id] = 1;
    cr_assert(d->ts < s->last_ts || (d->ts == s->last_ts && d->id < s->last_id));
    s->last_ts = d->ts;
    s->last_id = d->id;
}

Test(store, keyset_pages_never_repeat_or_skip_while_inserting)
{
    vd_store *s = open_store(5, 64);
    enum { BEFORE = 3000, DURING = 3000 };
    /* ties on purpose: 10 rows share each timestamp */
    vd_error e = {0};
    for (int i = 0; i < BEFORE; i++) {
        vd_store_detection d = det(i + 1, 1.7e9 + (double)(i / 10));
        cr_assert_eq(vd_store_put_detection(s, &d, &e), 0);
    }
    flush(s);
    inserter in = {s, BEFORE + 1, DURING, 0};
    pthread_t th;
    pthread_create(&th, NULL, insert_while_paging, &in);
    struct seen seen = {calloc(BEFORE + DURING + 1, 1), 1e300, INT64_MAX};
    int pages = walk(s, query(37), check_order, &seen, 200);
    pthread_join(th, NULL);
    for (int i = 1; i <= BEFORE; i++)
        cr_assert(seen.ids[i], "row %d, committed before the walk, was skipped", i);
    cr_assert_geq(pages, BEFORE / 37);
    free(seen.ids);
    vd_store_close(&s);
}

Test(store, retention_by_age_and_by_rows)
{
    vd_store *s = NULL;
    vd_error e = {0};
    double now = (double)time(NULL);
    vd_store_opts o = {.path = db, .retention_days = 7, .retention_rows = 500};
    cr_assert_eq(vd_store_open(&s, &o, &e), 0, "%s", e.msg);
    put_dets(s, 1, 100, now - 10 * 86400, 1);   /* too old */
    put_dets(s, 101, 800, now - 3600, 1);        /* recent, but 300 too many */
    vd_store_event old_ended = event(1, now - 9 * 86400, 0);
    vd_store_event old_open = event(2, now - 9 * 86400, 1);
    vd_store_event recent = event(3, now - 60, 0);
    cr_assert_eq(vd_store_put_event(s, &old_ended, &e), 0);
    cr_assert_eq(vd_store_put_event(s, &old_open, &e), 0);
    cr_assert_eq(vd_store_put_event(s, &recent, &e), 0);
    cr_assert_eq(vd_store_put_snapshot(s, 1, "old", 3, &e), 0);
    flush(s);
    cr_assert_eq(vd_store_retain(s, &e), 0, "%s", e.msg);
    vd_store_stats st;
    vd_store_stats_get(s, &st);
    cr_assert_eq(st.detections, 500);
    cr_assert_eq(st.events, 2);
    vd_store_query q = query(1000);
    vd_store_detection *rows;
    int n;
    char *next;
    cr_assert_eq(vd_store_query_detections(s, &q, &rows, &n, &next, &e), 0);
    cr_assert_eq(n, 500);
    cr_assert_eq(rows[0].id, 900, "the newest are kept");
    cr_assert_eq(rows[499].id, 401);
    free(rows);
    vd_store_event got;
    void *blob;
    size_t nb;
    cr_assert_eq(vd_store_get_event(s, 1, &got, &e), VD_ENOTFOUND);
    cr_assert_eq(vd_store_get_snapshot(s, 1, &blob, &nb, &e), VD_ENOTFOUND);
    cr_assert_eq(vd_store_get_event(s, 2, &got, &e), 0, "an event in progress is kept");
    vd_store_close(&s);
}

Test(store, restart_keeps_rows_and_ids_continue)
{
    vd_store *s = open_store(0, 0);
    put_dets(s, 1, 250, 1.7e9, 0.1);
    vd_error e = {0};
    vd_store_event ev = event(5, 1.7e9, 1);
    cr_assert_eq(vd_store_put_event(s, &ev, &e), 0);
    vd_store_close(&s); /* close flushes */
    s = open_store(0, 0);
    int64_t d0, e0;
    vd_store_next_ids(s, &d0, &e0);
    cr_assert_eq(d0, 251);
    cr_assert_eq(e0, 6);
    vd_store_query q = query(1000);
    vd_store_detection *rows;
    int n;
    char *next;
    cr_assert_eq(vd_store_query_detections(s, &q, &rows, &n, &next, &e), 0);
    cr_assert_eq(n, 250);
    for (int i = 0; i < n; i++) {
        vd_store_detection want = det(250 - i, 1.7e9 + 0.1 * (249 - i));
        cr_assert(same_det(&rows[i], &want));
    }
    free(rows);
    vd_store_close(&s);
}

Test(store, a_newer_schema_is_refused)
{
    vd_store *s = open_store(0, 0);
    vd_store_close(&s);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    vd_error e = {0};
    vd_store_opts o = {.path = db};
    cr_assert_eq(vd_store_open(&s, &o, &e), VD_EUNSUPPORTED);
    cr_assert_null(s);
    char want[64];
    snprintf(want, sizeof want, "schema version 7 is newer than this visiond's (%d)",
             VD_STORE_SCHEMA_VERSION);
    cr_assert(strstr(e.msg, want), "%s", e.msg);
    cr_assert(strstr(e.msg, db), "%s", e.msg);
}

Test(store, a_file_that_is_not_a_database_is_refused)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "mkdir -p %s/sub/dir", tmp);
    cr_assert_eq(system(dir), 0);
    FILE *f = fopen(db, "w");
    for (int i = 0; i < 1000; i++)
        fputs("not a database ", f);
    fclose(f);
    vd_store *s = NULL;
    vd_error e = {0};
    vd_store_opts o = {.path = db};
    cr_assert_eq(vd_store_open(&s, &o, &e), VD_EFORMAT, "%s", e.msg);
    cr_assert_null(s);
    cr_assert(strstr(e.msg, db) && strstr(e.msg, "not a database"), "%s", e.msg);
}

/* A store with 10 committed rows, then a 64 KiB file size limit standing
 * in for a full disk (writes fail with EFBIG) and 3000 rows more queued.
 * The old limit in *old, for the caller to restore. */
static vd_store *store_on_full_disk(const vd_store_opts *o, struct rlimit *old)
{
    vd_store *s = NULL;
    vd_error e = {0};
    cr_assert_eq(vd_store_open(&s, o, &e), 0, "%s", e.msg);
    put_dets(s, 1, 10, 1.7e9, 1);
    flush(s);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim;
    getrlimit(RLIMIT_FSIZE, old);
    lim = *old;
    lim.rlim_cur = 64 * 1024;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    put_dets(s, 11, 3000, 1.7e9 + 10, 1);
    return s;
}

Test(store, a_full_disk_is_retried_and_counted)
{
    vd_error e = {0};
    vd_store_opts o = {.path = db, .batch_ms = 10, .batch_rows = 200, .max_queue = 1000};
    struct rlimit old;
    vd_store *s = store_on_full_disk(&o, &old);
    vd_store_event ev = event(1, 1.7e9, 1);
    cr_assert_eq(vd_store_put_event(s, &ev, &e), 0);
    cr_assert_eq(vd_store_flush(s, &e), VD_EIO);
    cr_assert_neq(e.msg[0], 0);
    vd_store_stats st;
    vd_store_stats_get(s, &st);
    cr_assert_gt(st.write_errors, 0);
    cr_assert_gt(st.dropped, 0, "the queue is bounded");
    cr_assert_leq(st.queued, 1000 + 1);
    cr_assert_neq(st.last_error[0], 0);
    /* space comes back: the held batch and the queue are committed */
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    for (int i = 0; i < 50 && vd_store_flush(s, &e); i++)
        usleep(100000);
    cr_assert_eq(vd_store_flush(s, &e), 0, "%s", e.msg);
    vd_store_stats_get(s, &st);
    cr_assert_eq(st.detections, 3010 - st.dropped);
    cr_assert_eq(st.events, 1, "events are never dropped");
    cr_assert_eq(st.last_error[0], 0);
    vd_store_close(&s);
}

Test(store, a_full_disk_at_shutdown_names_the_rows_lost)
{
    vd_error e = {0};
    vd_store_opts o = {.path = db, .batch_ms = 10, .batch_rows = 200};
    struct rlimit old;
    vd_store *s = store_on_full_disk(&o, &old);
    int rc = vd_store_shutdown(s, &e);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    cr_assert_eq(rc, VD_EIO);
    cr_assert(strstr(e.msg, db) && strstr(e.msg, "rows could not be written before stopping"),
              "%s", e.msg);
    vd_store_stats st;
    vd_store_stats_get(s, &st);
    cr_assert_gt(st.dropped, 0);
    cr_assert_eq(vd_store_shutdown(s, &e), VD_EIO, "the same answer again");
    vd_store_close(&s);
    cr_assert_eq(vd_store_open(&s, &o, &e), 0, "%s", e.msg);
    vd_store_stats_get(s, &st);
    cr_assert_geq(st.detections, 10, "what was committed before is there");
    vd_store_close(&s);
}

/* ---- kill -9 during heavy writes -------------------------------------------- */

/* The child writes as fast as it can and, between batches, reads back the
 * newest committed rows and sends them to the parent: everything it sends
 * was returned by a query, so it must survive the kill. */
static void child_writer(int fd)
{
    vd_store *s = NULL;
    vd_store_opts o = {.path = db, .batch_ms = 20, .batch_rows = 500};
    if (vd_store_open(&s, &o, NULL))
        _exit(3);
    for (int64_t id = 1;; id++) {
        vd_store_detection d = det(id, 1.7e9 + (double)id * 0.01);
        vd_store_put_detection(s, &d, NULL);
        if (id % 300)
            continue;
        vd_store_query q = query(200);
        vd_store_detection *rows;
        int n;
        char *next;
        if (vd_store_query_detections(s, &q, &rows, &n, &next, NULL))
            _exit(4);
        for (int i = 0; i < n; i++)
            if (write(fd, &rows[i], sizeof rows[i]) != (ssize_t)sizeof rows[i])
                _exit(5);
        free(rows);
        free(next);
    }
}

struct found {
    int64_t max_id;
    unsigned char *ids;
    vd_store_detection *rows;
};

static void record(const vd_store_detection *d, void *ctx)
{
    struct found *f = ctx;
    if (d->id <= f->max_id) {
        f->ids[d->id] = 1;
        f->rows[d->id] = *d;
    }
}

Test(store, kill_9_during_writes_loses_nothing_a_query_returned)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "mkdir -p %s/sub/dir", tmp);
    cr_assert_eq(system(dir), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_writer(fds[1]);
    }
    close(fds[1]);
    size_t cap = 1 << 16, n = 0;
    vd_store_detection *got = malloc(cap * sizeof *got), row;
    size_t have = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do { /* read for 1 s and 4000 rows at least, then kill mid-stream */
        ssize_t r = read(fds[0], (char *)&row + have, sizeof row - have);
        cr_assert_gt(r, 0, "the writer died on its own");
        have += (size_t)r;
        if (have == sizeof row) {
            if (n == cap)
                got = realloc(got, (cap *= 2) * sizeof *got);
            got[n++] = row;
            have = 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (t.tv_sec - t0.tv_sec < 1 || n < 4000);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fds[0]);
    cr_log_info("%zu rows returned before kill -9", n);

    vd_store *s = open_store(0, 0);
    int64_t max_id = 0;
    for (size_t i = 0; i < n; i++)
        max_id = got[i].id > max_id ? got[i].id : max_id;
    vd_store_query q = query(1000);
    q.until = 1.7e9 + (double)(max_id + 1) * 0.01;
    struct found found = {max_id, calloc((size_t)max_id + 1, 1),
                          calloc((size_t)max_id + 1, sizeof(vd_store_detection))};
    walk(s, q, record, &found, 0);
    for (size_t i = 0; i < n; i++) {
        cr_assert(found.ids[got[i].id], "row %lld was returned before kill -9 and is gone",
                  (long long)got[i].id);
        cr_assert(same_det(&found.rows[got[i].id], &got[i]), "row %lld changed",
                  (long long)got[i].id);
    }
    vd_store_close(&s);
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(h);
    free(found.ids);
    free(found.rows);
    free(got);
}
