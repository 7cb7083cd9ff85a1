/* store_sqlite.c -- the SQLite backend of vd_store: one write connection
 * (the store's writer thread) and one read connection (queries), on a WAL
 * database.
 *
 * Threads: the write connection is only touched by the writer thread (and
 * by open before it starts); the read connection by callers holding
 * store.c's read lock. WAL lets reads run during a write transaction and
 * they only ever see committed transactions.
 *
 * The one design choice: the writer runs with synchronous=FULL, so a
 * transaction is on disk when COMMIT returns, and a row any query has
 * returned (committed by definition) survives kill -9 and power loss.
 * Zones are stored as ",a,b," so a zone filter is one instr() on rows the
 * time-ordered index walk visits anyway. */
#define _GNU_SOURCE
#include "store_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

/* migrations[v] takes a file from schema version v to v + 1. */
static const char *const migrations[VD_STORE_SCHEMA_VERSION] = {
    "CREATE TABLE detections("
    "  id INTEGER PRIMARY KEY, stream TEXT NOT NULL, pts REAL NOT NULL, ts REAL NOT NULL,"
    "  label TEXT NOT NULL, score REAL NOT NULL,"
    "  x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,"
    "  track_id INTEGER NOT NULL, event_id INTEGER NOT NULL, zones TEXT NOT NULL);"
    "CREATE INDEX detections_ts ON detections(ts);"
    "CREATE INDEX detections_stream ON detections(stream);" /* rowid-ordered within */
    "CREATE INDEX detections_label ON detections(label);"
    "CREATE TABLE events("
    "  id INTEGER PRIMARY KEY, stream TEXT NOT NULL, label TEXT NOT NULL,"
    "  start_ts REAL NOT NULL, end_ts REAL NOT NULL, in_progress INTEGER NOT NULL,"
    "  top_score REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL,"
    "  y2 REAL NOT NULL, zones TEXT NOT NULL, snapshot_ts REAL NOT NULL,"
    "  sx1 REAL NOT NULL, sy1 REAL NOT NULL, sx2 REAL NOT NULL, sy2 REAL NOT NULL);"
    "CREATE INDEX events_start ON events(start_ts);"
    "CREATE INDEX events_stream ON events(stream);"
    "CREATE INDEX events_label ON events(label);"
    "CREATE TABLE snapshots(event_id INTEGER PRIMARY KEY, jpeg BLOB NOT NULL);",
};

/* Page queries differ only by which filters are present: a few SQL texts
 * serve every request, so their prepared statements are kept (preparing
 * was a third of the loop's time on uncached listings). */
#define SQ_PAGE_STMTS 16

typedef struct sq_page_stmt {
    char *sql;
    sqlite3_stmt *st;
} sq_page_stmt;

typedef struct sq {
    sqlite3 *w, *r;
    sqlite3_stmt *ins_det, *up_event, *up_snap;
    sq_page_stmt pages[SQ_PAGE_STMTS]; /* read connection, under the store's read lock */
    int pages_next;                    /* the slot the next new text replaces */
    char *path;
} sq;

static int fail(sqlite3 *db, const char *path, const char *what, vd_error *err)
{
    int code = sqlite3_errcode(db);
    int vd = code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_READONLY ? VD_EIO
             : code == SQLITE_CORRUPT || code == SQLITE_NOTADB                       ? VD_EFORMAT
             : code == SQLITE_NOMEM                                                  ? VD_ENOMEM
                                                                                     : VD_EIO;
    /* "disk I/O error" alone hides the cause (a full disk, EFBIG, EIO):
     * the OS error of the failed call says it */
    int os = sqlite3_system_errno(db);
    if (os && (code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_CANTOPEN))
        return vd_error_set(err, vd, "%s: %s: %s (%s)", path, what, sqlite3_errmsg(db),
                            strerror(os));
    return vd_error_set(err, vd, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *path, const char *sql, vd_error *err)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(db, path, sql, err);
}

/* The first column of the first row of sql as an integer. */
static int scalar(sqlite3 *db, const char *path, const char *sql, int64_t *out, vd_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, path, sql, err);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(db, path, sql, err);
}

static int connect(sqlite3 **db, const char *path, int flags, vd_error *err)
{
    if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = *db ? fail(*db, path, "open", err)
                     : vd_error_set(err, VD_ENOMEM, "%s: out of memory", path);
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(*db, 5000);
    sqlite3_extended_result_codes(*db, 0);
    return 0;
}

/* Bring the file to VD_STORE_SCHEMA_VERSION, one transaction per step. */
static int migrate(sq *s, vd_error *err)
{
    int64_t v = 0;
    int rc = scalar(s->w, s->path, "PRAGMA user_version", &v, err);
    if (rc)
        return rc;
    if (v > VD_STORE_SCHEMA_VERSION)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: schema version %lld is newer than this "
                            "visiond's (%d): use a newer visiond or another store.path",
                            s->path, (long long)v, VD_STORE_SCHEMA_VERSION);
    for (; v < VD_STORE_SCHEMA_VERSION; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %lld", (long long)v + 1);
        if ((rc = exec(s->w, s->path, "BEGIN IMMEDIATE", err)))
            return rc;
        if ((rc = exec(s->w, s->path, migrations[v], err)) ||
            (rc = exec(s->w, s->path, bump, err))) {
            sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
        if ((rc = exec(s->w, s->path, "COMMIT", err)))
            return rc;
    }
    return 0;
}

static int prepare(sq *s, sqlite3_stmt **st, const char *sql, vd_error *err)
{
    return sqlite3_prepare_v3(s->w, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK
               ? 0
               : fail(s->w, s->path, sql, err);
}

static void sq_close(void *be)
{
    sq *s = be;
    if (!s)
        return;
    sqlite3_finalize(s->ins_det);
    sqlite3_finalize(s->up_event);
    sqlite3_finalize(s->up_snap);
    for (int i = 0; i < SQ_PAGE_STMTS; i++) {
        sqlite3_finalize(s->pages[i].st);
        free(s->pages[i].sql);
    }
    sqlite3_close(s->r);
    sqlite3_close(s->w);
    free(s->path);
    free(s);
}

static int check_integrity(sq *s, vd_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->r, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
        return fail(s->r, s->path, "quick_check", err);
    int rc = sqlite3_step(st) == SQLITE_ROW &&
                     !strcmp((const char *)sqlite3_column_text(st, 0), "ok")
                 ? 0
                 : vd_error_set(err, VD_EFORMAT, "%s: the database is damaged (quick_check: %s)",
                                s->path, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

/* A WAL file left behind means the last process did not close cleanly
 * (SQLite removes it when the last connection closes): only then is the
 * file checked, since quick_check reads it all (~2 s per million rows). */
static int unclean(const char *path)
{
    char wal[4096];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", path);
    return !stat(wal, &st) && st.st_size > 0;
}

static int open_all(sq *s, const vd_store_opts *o, vd_error *err)
{
    int check = unclean(o->path);
    int rc = connect(&s->w, o->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (!rc)
        rc = exec(s->w, s->path, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err);
    if (!rc)
        rc = migrate(s, err);
    if (!rc)
        rc = connect(&s->r, o->path, SQLITE_OPEN_READWRITE, err);
    if (!rc)
        rc = exec(s->r, s->path, "PRAGMA query_only=1", err);
    if (!rc && check)
        rc = check_integrity(s, err);
    if (!rc)
        rc = prepare(s, &s->ins_det,
                     "INSERT OR REPLACE INTO detections VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", err);
    if (!rc)
        rc = prepare(s, &s->up_event,
                     "INSERT OR REPLACE INTO events VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     err);
    if (!rc)
        rc = prepare(s, &s->up_snap, "INSERT OR REPLACE INTO snapshots VALUES(?,?)", err);
    return rc;
}

static int sq_open(void **be, const vd_store_opts *o, vd_error *err)
{
    sq *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(o->path))) {
        free(s);
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", o->path);
    }
    int rc = open_all(s, o, err);
    if (rc) {
        sq_close(s);
        return rc;
    }
    *be = s;
    return 0;
}

static int sq_next_ids(void *be, int64_t *det, int64_t *ev, vd_error *err)
{
    sq *s = be;
    int rc = scalar(s->w, s->path, "SELECT coalesce(max(id), 0) + 1 FROM detections", det, err);
    return rc ? rc : scalar(s->w, s->path, "SELECT coalesce(max(id), 0) + 1 FROM events", ev, err);
}

static int sq_count(void *be, int64_t *dets, int64_t *events, vd_error *err)
{
    sq *s = be;
    int rc = scalar(s->w, s->path, "SELECT count(*) FROM detections", dets, err);
    return rc ? rc : scalar(s->w, s->path, "SELECT count(*) FROM events", events, err);
}

/* ---- writing ------------------------------------------------------------ */

/* ",a,b," (or "" without zones), the form instr(zones, ',a,') finds. */
static void zones_join(char (*z)[VD_STORE_LABEL_MAX], int n, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s,", i ? "" : ",", z[i]);
}

static int zones_split(const char *s, char (*z)[VD_STORE_LABEL_MAX])
{
    int n = 0;
    for (const char *p = s && *s == ',' ? s + 1 : ""; *p && n < VD_STORE_MAX_ZONES;) {
        size_t len = strcspn(p, ",");
        snprintf(z[n++], VD_STORE_LABEL_MAX, "%.*s", (int)len, p);
        p += len + (p[len] == ',');
    }
    return n;
}

static void bind_box(sqlite3_stmt *st, int first, const float b[4])
{
    for (int i = 0; i < 4; i++)
        sqlite3_bind_double(st, first + i, b[i]);
}

static int step(sq *s, sqlite3_stmt *st, const char *what, vd_error *err)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(s->w, s->path, what, err);
    sqlite3_reset(st);
    return rc;
}

static int put_detection(sq *s, const vd_store_detection *d, vd_error *err)
{
    char zones[VD_STORE_MAX_ZONES * VD_STORE_LABEL_MAX + 2];
    sqlite3_stmt *st = s->ins_det;
    zones_join((char (*)[VD_STORE_LABEL_MAX])d->zones, d->n_zones, zones, sizeof zones);
    sqlite3_bind_int64(st, 1, d->id);
    sqlite3_bind_text(st, 2, d->stream, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, d->pts);
    sqlite3_bind_double(st, 4, d->ts);
    sqlite3_bind_text(st, 5, d->label, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 6, d->score);
    bind_box(st, 7, d->box);
    sqlite3_bind_int64(st, 11, d->track_id);
    sqlite3_bind_int64(st, 12, d->event_id);
    sqlite3_bind_text(st, 13, zones, -1, SQLITE_TRANSIENT);
    return step(s, st, "insert detection", err);
}

static int put_event(sq *s, const vd_store_event *e, vd_error *err)
{
    char zones[VD_STORE_MAX_ZONES * VD_STORE_LABEL_MAX + 2];
    sqlite3_stmt *st = s->up_event;
    zones_join((char (*)[VD_STORE_LABEL_MAX])e->zones, e->n_zones, zones, sizeof zones);
    sqlite3_bind_int64(st, 1, e->id);
    sqlite3_bind_text(st, 2, e->stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->label, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, e->start);
    sqlite3_bind_double(st, 5, e->end);
    sqlite3_bind_int(st, 6, e->in_progress != 0);
    sqlite3_bind_double(st, 7, e->top_score);
    bind_box(st, 8, e->box);
    sqlite3_bind_text(st, 12, zones, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 13, e->snapshot_time);
    bind_box(st, 14, e->snapshot_box);
    return step(s, st, "upsert event", err);
}

static int put_snapshot(sq *s, const vd_store_snapshot *p, vd_error *err)
{
    sqlite3_bind_int64(s->up_snap, 1, p->event_id);
    sqlite3_bind_blob64(s->up_snap, 2, p->jpeg, p->n, SQLITE_STATIC);
    return step(s, s->up_snap, "store snapshot", err);
}

static int write_rows(sq *s, const vd_store_batch *b, vd_error *err)
{
    int rc = 0;
    for (int i = 0; !rc && i < b->n_events; i++)
        rc = put_event(s, &b->events[i], err);
    for (int i = 0; !rc && i < b->n_snaps; i++)
        rc = put_snapshot(s, &b->snaps[i], err);
    for (int i = 0; !rc && i < b->n_dets; i++)
        rc = put_detection(s, &b->dets[i], err);
    return rc;
}

static int sq_write(void *be, const vd_store_batch *b, vd_error *err)
{
    sq *s = be;
    int rc = exec(s->w, s->path, "BEGIN IMMEDIATE", err);
    if (!rc && !(rc = write_rows(s, b, err)))
        rc = exec(s->w, s->path, "COMMIT", err);
    if (rc && !sqlite3_get_autocommit(s->w))
        sqlite3_exec(s->w, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Run a chunked DELETE (10000 rows per transaction, so the writer never
 * holds the write lock for long) until it deletes less than a chunk or
 * budget rows are gone. */
static int delete_chunks(sq *s, const char *sql, double arg, int64_t budget, int64_t *deleted,
                         vd_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->w, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s->w, s->path, sql, err);
    int rc = 0;
    for (;;) {
        int64_t chunk = budget < 10000 ? budget : 10000;
        sqlite3_bind_double(st, 1, arg);
        sqlite3_bind_int64(st, 2, chunk);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = fail(s->w, s->path, "retention", err);
            break;
        }
        int64_t n = sqlite3_changes64(s->w);
        sqlite3_reset(st);
        *deleted += n;
        budget -= n;
        if (n < chunk || budget <= 0)
            break;
    }
    sqlite3_finalize(st);
    return rc;
}

static int sq_retain(void *be, double cutoff, int64_t max_rows, int64_t *deleted, vd_error *err)
{
    sq *s = be;
    int64_t n = 0, ev = 0;
    int rc = 0;
    *deleted = 0;
    if (cutoff > 0) {
        rc = delete_chunks(s, "DELETE FROM detections WHERE id IN (SELECT id FROM detections "
                           "WHERE ts < ?1 LIMIT ?2)", cutoff, INT64_MAX, deleted, err);
        if (!rc)
            rc = delete_chunks(s, "DELETE FROM snapshots WHERE event_id IN (SELECT id FROM "
                               "events WHERE in_progress = 0 AND end_ts < ?1 LIMIT ?2)",
                               cutoff, INT64_MAX, &ev, err);
        if (!rc)
            rc = delete_chunks(s, "DELETE FROM events WHERE id IN (SELECT id FROM events "
                               "WHERE in_progress = 0 AND end_ts < ?1 LIMIT ?2)",
                               cutoff, INT64_MAX, &ev, err);
    }
    if (!rc && max_rows > 0)
        rc = scalar(s->w, s->path, "SELECT count(*) FROM detections", &n, err);
    if (!rc && max_rows > 0 && n > max_rows)
        rc = delete_chunks(s, "DELETE FROM detections WHERE id IN (SELECT id FROM detections "
                           "ORDER BY ts, id LIMIT ?2)", 0, n - max_rows,
                           deleted, err);
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* The WHERE clause of a query; binds by name in bind_filters. */
static void where(const vd_store_query *q, const vd_store_key *after, int events, char *out,
                  size_t n)
{
    snprintf(out, n, "WHERE 1%s%s%s%s%s%s%s%s", q->stream ? " AND stream = :stream" : "",
             q->label ? " AND label = :label" : "", q->zone ? " AND instr(zones, :zone) > 0" : "",
             !events && q->min_score > 0 ? " AND score >= :min_score" : "",
             q->since > 0 ? (events ? " AND start_ts >= :since" : " AND ts >= :since") : "",
             q->until > 0 ? (events ? " AND start_ts < :until" : " AND ts < :until") : "",
             events && q->in_progress >= 0 ? " AND in_progress = :in_progress" : "",
             after ? " AND id < :after_id" : "");
}

static void bind_name_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_name_double(sqlite3_stmt *st, const char *name, double v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i)
        sqlite3_bind_double(st, i, v);
}

static void bind_filters(sqlite3_stmt *st, const vd_store_query *q, const vd_store_key *after,
                         int limit)
{
    char zone[VD_STORE_LABEL_MAX + 3];
    snprintf(zone, sizeof zone, ",%s,", q->zone ? q->zone : "");
    bind_name_text(st, ":stream", q->stream);
    bind_name_text(st, ":label", q->label);
    bind_name_text(st, ":zone", zone);
    bind_name_double(st, ":min_score", q->min_score);
    bind_name_double(st, ":since", q->since);
    bind_name_double(st, ":until", q->until);
    bind_name_double(st, ":in_progress", q->in_progress);
    if (after) {
        sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":after_id"), after->id);
    }
    sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":limit"), limit);
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, n, "%s", t ? (const char *)t : "");
}

static void col_box(sqlite3_stmt *st, int first, float b[4])
{
    for (int i = 0; i < 4; i++)
        b[i] = (float)sqlite3_column_double(st, first + i);
}

#define DET_COLS "id, stream, pts, ts, label, score, x1, y1, x2, y2, track_id, event_id, zones"
#define EVENT_COLS                                                                       \
    "id, stream, label, start_ts, end_ts, in_progress, top_score, x1, y1, x2, y2, zones, " \
    "snapshot_ts, sx1, sy1, sx2, sy2, EXISTS(SELECT 1 FROM snapshots WHERE event_id = id)"

static void row_detection(sqlite3_stmt *st, void *row)
{
    vd_store_detection *d = row;
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, d->stream, sizeof d->stream);
    d->pts = sqlite3_column_double(st, 2);
    d->ts = sqlite3_column_double(st, 3);
    col_text(st, 4, d->label, sizeof d->label);
    d->score = (float)sqlite3_column_double(st, 5);
    col_box(st, 6, d->box);
    d->track_id = sqlite3_column_int64(st, 10);
    d->event_id = sqlite3_column_int64(st, 11);
    d->n_zones = zones_split((const char *)sqlite3_column_text(st, 12), d->zones);
}

static void row_event(sqlite3_stmt *st, void *row)
{
    vd_store_event *e = row;
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, e->stream, sizeof e->stream);
    col_text(st, 2, e->label, sizeof e->label);
    e->start = sqlite3_column_double(st, 3);
    e->end = sqlite3_column_double(st, 4);
    e->in_progress = sqlite3_column_int(st, 5);
    e->top_score = (float)sqlite3_column_double(st, 6);
    col_box(st, 7, e->box);
    e->n_zones = zones_split((const char *)sqlite3_column_text(st, 11), e->zones);
    e->snapshot_time = sqlite3_column_double(st, 12);
    col_box(st, 13, e->snapshot_box);
    e->has_snapshot = sqlite3_column_int(st, 17);
}

/* Prepare (or take from s->pages) "SELECT cols FROM table WHERE ... ORDER
 * BY id DESC LIMIT :limit", bound; the caller steps and resets it. Pages go by id, not by time: ids
 * are given in the order rows are queued and the writer commits in that
 * order, so a row committed after a page was read always sorts before that
 * page's cursor and is never skipped. (Time order across streams is not
 * commit order: a frame of one stream can be stamped before a frame of
 * another and reach the store after it.) */
static int select_page(sq *s, const char *cols, const char *table, int events,
                       const vd_store_query *q, const vd_store_key *after, int limit,
                       sqlite3_stmt **st, vd_error *err)
{
    char w[512], sql[1024];
    where(q, after, events, w, sizeof w);
    snprintf(sql, sizeof sql, "SELECT %s FROM %s %s ORDER BY id DESC LIMIT :limit", cols, table,
             w);
    for (int i = 0; i < SQ_PAGE_STMTS; i++)
        if (s->pages[i].sql && !strcmp(s->pages[i].sql, sql)) {
            *st = s->pages[i].st;
            sqlite3_clear_bindings(*st);
            bind_filters(*st, q, after, limit);
            return 0;
        }
    char *text = strdup(sql);
    if (!text)
        return vd_error_set(err, VD_ENOMEM, "store: out of memory");
    if (sqlite3_prepare_v2(s->r, sql, -1, st, NULL) != SQLITE_OK) {
        free(text);
        return fail(s->r, s->path, sql, err);
    }
    sq_page_stmt *slot = &s->pages[s->pages_next];
    s->pages_next = (s->pages_next + 1) % SQ_PAGE_STMTS;
    sqlite3_finalize(slot->st);
    free(slot->sql);
    *slot = (sq_page_stmt){text, *st};
    bind_filters(*st, q, after, limit);
    return 0;
}

/* Step a page's statement into rows of row_size bytes filled by fill. */
static int run_page(sq *s, const char *cols, const char *table, int events,
                    const vd_store_query *q, const vd_store_key *after, int limit, void *rows,
                    size_t row_size, void (*fill)(sqlite3_stmt *st, void *row), int *n,
                    vd_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = select_page(s, cols, table, events, q, after, limit, &st, err);
    *n = 0;
    while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        fill(st, (char *)rows + (size_t)(*n)++ * row_size);
        rc = 0;
    }
    rc = rc == SQLITE_DONE || rc == 0 ? 0 : fail(s->r, s->path, table, err);
    sqlite3_reset(st); /* kept in s->pages; reset ends its read transaction */
    return rc;
}

static int sq_query_detections(void *be, const vd_store_query *q, const vd_store_key *after,
                               int limit, vd_store_detection *rows, int *n, vd_error *err)
{
    return run_page(be, DET_COLS, "detections", 0, q, after, limit, rows, sizeof *rows,
                    row_detection, n, err);
}

static int sq_query_events(void *be, const vd_store_query *q, const vd_store_key *after,
                           int limit, vd_store_event *rows, int *n, vd_error *err)
{
    return run_page(be, EVENT_COLS, "events", 1, q, after, limit, rows, sizeof *rows,
                    row_event, n, err);
}

static int sq_get_event(void *be, int64_t id, vd_store_event *e, vd_error *err)
{
    sq *s = be;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->r, "SELECT " EVENT_COLS " FROM events WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s->r, s->path, "get event", err);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_event(st, e);
    rc = rc == SQLITE_ROW    ? 0
         : rc == SQLITE_DONE ? vd_error_set(err, VD_ENOTFOUND, "event %lld: no such event",
                                            (long long)id)
                             : fail(s->r, s->path, "get event", err);
    sqlite3_finalize(st);
    return rc;
}

static int sq_get_snapshot(void *be, int64_t id, void **jpeg, size_t *n, vd_error *err)
{
    sq *s = be;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->r, "SELECT jpeg FROM snapshots WHERE event_id = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s->r, s->path, "get snapshot", err);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *n = (size_t)sqlite3_column_bytes(st, 0);
        *jpeg = malloc(*n ? *n : 1);
        if (*jpeg)
            memcpy(*jpeg, sqlite3_column_blob(st, 0), *n);
        rc = *jpeg ? 0 : vd_error_set(err, VD_ENOMEM, "snapshot %lld: out of memory",
                                      (long long)id);
    } else
        rc = rc == SQLITE_DONE ? vd_error_set(err, VD_ENOTFOUND, "event %lld: no snapshot",
                                              (long long)id)
                               : fail(s->r, s->path, "get snapshot", err);
    sqlite3_finalize(st);
    return rc;
}

static int64_t sq_file_bytes(void *be)
{
    sq *s = be;
    struct stat a, b;
    char wal[4096];
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    return (stat(s->path, &a) ? 0 : (int64_t)a.st_size) + (stat(wal, &b) ? 0 : (int64_t)b.st_size);
}

const vd_store_methods vd_store_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .next_ids = sq_next_ids,
    .count = sq_count,
    .write = sq_write,
    .retain = sq_retain,
    .query_detections = sq_query_detections,
    .query_events = sq_query_events,
    .get_event = sq_get_event,
    .get_snapshot = sq_get_snapshot,
    .file_bytes = sq_file_bytes,
};
