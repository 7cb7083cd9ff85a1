/* store_backend.h -- the method table a store backend implements (private
 * to daemon/store), in the manner of sqlite3_io_methods: store.c owns the
 * queue, the writer thread, batching and cursors; a backend only turns a
 * batch into one transaction and a query into rows.
 *
 * Threads: write, retain, next_ids and count run on the store's writer
 * thread (or before it starts) over the backend's write connection;
 * query_* and get_* run on the callers' threads, serialised by store.c's
 * read lock, over a separate read connection that sees committed rows
 * only. file_bytes may run anywhere (it only stats files). */
#ifndef VD_STORE_BACKEND_H
#define VD_STORE_BACKEND_H

#include "store.h"

typedef struct vd_store_key {
    double ts;
    int64_t id;
} vd_store_key;

typedef struct vd_store_snapshot {
    int64_t event_id;
    void *jpeg;
    size_t n;
} vd_store_snapshot;

/* One transaction's worth of rows: events and snapshots are applied in
 * order (upserts), detections inserted. */
typedef struct vd_store_batch {
    const vd_store_detection *dets;
    int n_dets;
    const vd_store_event *events;
    int n_events;
    const vd_store_snapshot *snaps;
    int n_snaps;
} vd_store_batch;

typedef struct vd_store_methods {
    const char *name;
    int (*open)(void **be, const vd_store_opts *o, vd_error *err);
    void (*close)(void *be);
    int (*next_ids)(void *be, int64_t *detection_id, int64_t *event_id, vd_error *err);
    int (*count)(void *be, int64_t *detections, int64_t *events, vd_error *err);
    int (*write)(void *be, const vd_store_batch *b, vd_error *err);
    /* Delete detections and ended events older than cutoff (epoch s, 0: no
     * age limit) and the oldest detections beyond max_rows (0: no limit). */
    int (*retain)(void *be, double cutoff, int64_t max_rows, int64_t *deleted, vd_error *err);
    /* Up to limit rows newest first, strictly after *after when given. */
    int (*query_detections)(void *be, const vd_store_query *q, const vd_store_key *after,
                            int limit, vd_store_detection *rows, int *n, vd_error *err);
    int (*query_events)(void *be, const vd_store_query *q, const vd_store_key *after, int limit,
                        vd_store_event *rows, int *n, vd_error *err);
    int (*get_event)(void *be, int64_t id, vd_store_event *e, vd_error *err);
    int (*get_snapshot)(void *be, int64_t event_id, void **jpeg, size_t *n, vd_error *err);
    int64_t (*file_bytes)(void *be);
} vd_store_methods;

extern const vd_store_methods vd_store_sqlite;

#endif
