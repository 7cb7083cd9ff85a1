/* store.h -- where detections, events and their snapshots are kept: an
 * interface with SQLite as the first backend (PostgreSQL comes later, see
 * ../shared/ROADMAP.md), in the manner of SQLite's own sqlite3_io_methods:
 * a vd_store is a table of methods picked once at open.
 *
 * Threads and durability (the one thing a caller must know):
 *   - Writes are queued (vd_store_put_*) from the loop thread and committed
 *     by the store's own writer thread in batched transactions, one per
 *     ~100 ms or `batch_rows` rows. Ids are assigned by the caller (the
 *     runtime numbers detections and events from vd_store_next_ids), so an
 *     SSE message can carry the id before the row is committed.
 *   - Queries run on the calling thread over a separate read connection and
 *     see committed rows only. Anything a query returned was committed
 *     (WAL, synchronous=NORMAL is not enough for that: the SQLite backend
 *     uses synchronous=FULL on the writer), so it survives kill -9 and power
 *     loss.
 *   - A write error (disk full) is counted and reported by vd_store_stats;
 *     the batch is kept and retried, so nothing queued is lost while memory
 *     allows (the queue is bounded; beyond it the oldest detections are
 *     dropped and counted, never events).
 *
 * Pagination is keyset: rows come newest first, by id desc (ids are given
 * in queue order and committed in that order, so a late commit never lands
 * behind a page already read); a cursor is the last row's key encoded as
 * an opaque string, so no
 * row is repeated or skipped while rows are being inserted. */
#ifndef VD_STORE_H
#define VD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"

#define VD_STORE_SCHEMA_VERSION 1
#define VD_STORE_MAX_ZONES 32
#define VD_STORE_LABEL_MAX 48
#define VD_STORE_ID_MAX 65

typedef struct vd_store_detection {
    int64_t id;
    char stream[VD_STORE_ID_MAX];
    double pts;              /* media time, s */
    double ts;               /* wall clock, epoch s (ms precision) */
    char label[VD_STORE_LABEL_MAX];
    float score;
    float box[4];            /* source pixels */
    int64_t track_id;        /* 0: none */
    int64_t event_id;        /* 0: none */
    char zones[VD_STORE_MAX_ZONES][VD_STORE_LABEL_MAX];
    int n_zones;
} vd_store_detection;

typedef struct vd_store_event {
    int64_t id;
    char stream[VD_STORE_ID_MAX];
    char label[VD_STORE_LABEL_MAX];
    double start, end;       /* epoch s; end 0 while in progress */
    int in_progress;
    float top_score;
    float box[4];            /* best box */
    char zones[VD_STORE_MAX_ZONES][VD_STORE_LABEL_MAX]; /* zones entered */
    int n_zones;
    double snapshot_time;    /* epoch s of the snapshot's frame; 0: none */
    float snapshot_box[4];   /* the box in the snapshot's own frame */
    int has_snapshot;
} vd_store_event;

typedef struct vd_store_query {
    const char *stream, *label, *zone; /* NULL: any; exact names */
    float min_score;         /* detections */
    double since, until;     /* epoch s, since <= ts < until (events: their
                              * start); 0: open */
    int in_progress;         /* events: -1 any, 0 ended, 1 in progress */
    int limit;               /* 1..1000 */
    const char *cursor;      /* NULL: from the newest */
} vd_store_query;

typedef struct vd_store_stats {
    int64_t detections, events;   /* committed rows now (kept by the writer, no
                                   * query: cheap enough for every scrape) */
    int64_t inserted, committed;  /* since open */
    int64_t queued;               /* waiting for the writer */
    int64_t dropped;              /* lost to a full queue (0 unless the disk stays full) */
    int64_t write_errors;
    char last_error[256];         /* "" when the last commit succeeded */
    int64_t file_bytes;
    double commit_ms_p50, commit_ms_p99;
} vd_store_stats;

typedef struct vd_store_opts {
    const char *path;        /* database file; created with its directory */
    int retention_days;      /* 0: keep forever */
    int64_t retention_rows;  /* detections kept at most; 0: no limit */
    int batch_ms;            /* default 100 */
    int batch_rows;          /* default 1000 */
    int64_t max_queue;       /* rows; default 100000 */
} vd_store_opts;

typedef struct vd_store vd_store;

/* Open (create, migrate to VD_STORE_SCHEMA_VERSION, and after an unclean
 * shutdown run SQLite's quick_check: VD_EFORMAT if the file is damaged)
 * and start the writer thread. A newer schema than this build
 * knows is VD_EUNSUPPORTED naming both versions. */
int vd_store_open(vd_store **out, const vd_store_opts *o, vd_error *err);
/* Flush every queued row and stop the writer; the store still answers
 * queries and stats. VD_EIO when rows could not be written (the disk
 * refused three retries while stopping): err says how many and why. Again
 * after the first call: the same answer. NULL: 0. */
int vd_store_shutdown(vd_store *s, vd_error *err);
/* vd_store_shutdown() if not done, then close. NULL-safe; NULLs *s. */
void vd_store_close(vd_store **s);

/* The next free ids (max in the file + 1) at open; the caller counts on
 * from there. */
void vd_store_next_ids(const vd_store *s, int64_t *detection_id, int64_t *event_id);

/* Queue rows (copied). An event is upserted by id (new, update, end). A
 * snapshot replaces the event's previous one. A detection that finds the
 * queue full still returns 0 (the oldest queued one is dropped and
 * counted); VD_ECLOSED once vd_store_close has begun. */
int vd_store_put_detection(vd_store *s, const vd_store_detection *d, vd_error *err);
int vd_store_put_event(vd_store *s, const vd_store_event *e, vd_error *err);
int vd_store_put_snapshot(vd_store *s, int64_t event_id, const void *jpeg, size_t n,
                          vd_error *err);
/* Block until everything queued before the call is committed (tests,
 * shutdown); VD_EIO with the last error when the disk refuses. */
int vd_store_flush(vd_store *s, vd_error *err);

/* Committed rows, newest first. *rows is malloc'ed (free()); *next_cursor
 * is a malloc'ed string or NULL on the last page. A malformed cursor (or
 * one from the other listing) and a limit outside 1..1000 are VD_EINVAL
 * with the parameter named ("limit: ...", "cursor: ..."). */
int vd_store_query_detections(vd_store *s, const vd_store_query *q, vd_store_detection **rows,
                              int *n, char **next_cursor, vd_error *err);
int vd_store_query_events(vd_store *s, const vd_store_query *q, vd_store_event **rows, int *n,
                          char **next_cursor, vd_error *err);
/* VD_ENOTFOUND when there is no such (committed) event or snapshot. */
int vd_store_get_event(vd_store *s, int64_t id, vd_store_event *e, vd_error *err);
int vd_store_get_snapshot(vd_store *s, int64_t event_id, void **jpeg, size_t *n, vd_error *err);

/* Delete by age and row count now (the writer also does it hourly). */
int vd_store_retain(vd_store *s, vd_error *err);
void vd_store_stats_get(vd_store *s, vd_store_stats *out);
/* A number that changes whenever the committed rows change (a commit, a
 * retention pass that deleted rows), so a reader may cache query results
 * under it: equal generations mean equal answers. Cheap (one mutex). */
uint64_t vd_store_generation(vd_store *s);

#endif
