/* rt.h -- the runtime's internal objects, shared by its files (not by the
 * server: that one sees runtime.h only).
 *
 * Who touches what (each struct says it again):
 *   vd_runtime  the LOOP thread only, except `results` (mutex + async).
 *   rt_stream   `cfg`, `events`, `rate` and the table: loop only. The
 *               reader thread owns `src`, `an` and the frame buffers; the
 *               loop reads the counters (atomics) and `mu`-guarded status.
 *   rt_model    immutable after load except `mu`-guarded batch state, which
 *               readers (claim/submit) and the worker share.
 * Memory is bounded by construction: a stream has at most ONE frame in
 * the analysis at a time (its reader waits or drops while one is in
 * flight), so a model holds at most max_batch slots twice (filling and
 * running) and a stream two RGB frames (the one analysed, the last one). */
#ifndef VD_RT_H
#define VD_RT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/runtime/runtime.h"
#include "pipeline/analysis.h"
#include "pipeline/reader.h"
#include "input.h"

/* Reconnect backoff: the stream's reconnect.min (1 s) doubling to
 * reconnect.max (60 s), +-20 % jitter; the sequence starts again once a
 * connection delivered frames for 10 s. */
#define RT_BACKOFF_STABLE_S 10.0
#define RT_RECONNECT_RING 256  /* reconnect times kept for reconnects_last_hour */
#define RT_RATE_WINDOW 11      /* 1 s samples: fps over the last 10 s */
#define RT_WORKER_STACK (8u << 20)

double rt_now(void);        /* CLOCK_REALTIME, s */
double rt_ms(double t);     /* t rounded to the millisecond (the API's precision) */
/* pthread_cond_timedwait until a CLOCK_MONOTONIC time (s). */
void rt_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, double mono_deadline);
/* Room for item n of a doubling array (*items, *cap): 0 or VD_ENOMEM. */
int rt_grow(void **items, int *cap, int n, size_t size);
double rt_mono(void);       /* CLOCK_MONOTONIC, s */

/* ---- worker.c: one inference worker per model -------------------------- */

/* What the worker calls back (on its thread) once slot results are in:
 * res NULL and status < 0 when the batch failed. */
typedef void (*rt_done_fn)(void *owner, vd_analysis *an, const vd_analysis_frame *f,
                           vd_analysis_result *res, int status, const vd_error *err);

typedef struct rt_item {
    void *owner;
    vd_analysis *an;
    vd_analysis_frame frame;
    int slot;
    rt_done_fn done;
} rt_item;

typedef struct rt_batch {
    vd_tensor input;         /* [max_batch, ...] */
    rt_item *items;
    int claimed, ready;      /* slots handed out, slots submitted */
    double first_ready;      /* monotonic time of the first submit */
} rt_batch;

typedef struct rt_model {
    char *name, *card;
    int threads, max_batch, max_wait_ms; /* max_batch: what the model takes */
    int max_batch_config;    /* as configured (reload compares this) */
    vd_analyzer *az;         /* NULL: failed to load (error) */
    int users;               /* streams on it (loop) */
    int retired;             /* replaced or removed: freed with its last user */
    char error[256];
    uint64_t files_id;       /* card, ONNX and labels files as loaded (runtime.c) */
    int in_w, in_h;
    /* worker */
    vd_nn_session *sess;
    int n_outputs, sess_batch;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_space;
    rt_batch batch[2];
    int fill;                /* index of the batch readers fill */
    int stop;
    /* stats (mu) */
    int64_t runs, frames;
    int64_t images_damaged;  /* loop thread only (rt_image_finish) */
    double ms_ring[1024];
    int ms_n;
    double ms_sum;
    int64_t hist[16];
} rt_model;

int rt_model_create(rt_model **out, const vd_model_config *c, vd_error *err);
/* Run the batches still queued, stop the worker, free. NULL-safe. */
void rt_model_free(rt_model **m);
/* A slot of the filling batch: waits while it is full (a stream has one
 * frame in flight, so the wait is bounded by the streams ahead). 0 and
 * *input, *slot; VD_ECLOSED when the model or the caller stops. */
int rt_model_claim(rt_model *m, const atomic_int *cancel, vd_tensor **input, int *slot);
void rt_model_submit(rt_model *m, int slot, const rt_item *it);
void rt_model_release(rt_model *m, int slot); /* pre() did not fill it */
void rt_model_stats(rt_model *m, vd_model_stats *out);
int rt_model_equal(const rt_model *m, const vd_model_config *c);

/* ---- stream.c: one reader thread per stream ---------------------------- */

typedef struct rt_event_slot rt_event_slot;

typedef struct rt_stream {
    vd_runtime *rt;
    vd_stream_config cfg;    /* loop only (the thread has its own copies) */
    vd_source_rules rules;   /* what its reader may open (set at start, then read-only) */
    vd_reader_guard guard;   /* the reader's view of the rules */
    rt_model *model;         /* NULL: motion only / not loaded */
    pthread_t thread;
    int started;
    atomic_int stop;
    atomic_int detect_on;
    /* status (mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* in-flight done, stop */
    vd_stream_state state;
    char last_error[256];
    char last_damage[256];   /* the latest decode error (damaged data) */
    double last_frame_time;
    double connected_at;     /* monotonic */
    double backoff, retry_at; /* while reconnecting: s, epoch s */
    double reconnect_times[RT_RECONNECT_RING];
    int n_reconnect_times;
    rt_input *src;          /* for interrupt (mu) */
    int inflight;
    /* counters (atomics, reader thread writes) */
    _Atomic int64_t frames_in, frames_analysed, frames_dropped, frames_damaged, reconnects;
    /* reader-thread state */
    vd_analysis *an;
    vd_analysis_frame af;    /* the frame in flight (one per stream) */
    uint8_t *work;           /* its pixels (RGB24) */
    size_t work_size;
    int width, height;
    double frame_ts;         /* wall clock of the frame in work */
    double last_pts, last_ts; /* of the last analysed frame (END events) */
    /* the last analysed frame (mu): pixels and what was found */
    uint8_t *last;
    size_t last_size;
    int last_w, last_h;
    vd_det_list last_dets, last_regions;
    /* loop-only */
    rt_event_slot *events;
    int n_events, cap_events;
    double last_detection_time;
    int64_t rate_in[RT_RATE_WINDOW], rate_an[RT_RATE_WINDOW];
    double rate_t[RT_RATE_WINDOW];
    int rate_n;
    uv_work_t close_req;
    void (*close_done)(struct rt_stream *st);
} rt_stream;

/* Start a stream from cfg (moved in). Never fails for a bad source: the
 * stream shows the error in its state. */
int rt_stream_start(vd_runtime *rt, vd_stream_config *cfg, rt_model *model, rt_stream **out,
                    vd_error *err);
/* Ask the reader to stop (it flushes its tracks); the join and the free
 * happen off the loop, then done(st) runs on the loop. */
void rt_stream_close(rt_stream *st, void (*done)(rt_stream *st));
void rt_stream_info(rt_stream *st, vd_stream_status *out);
void rt_stream_rate_tick(rt_stream *st, double now);
int rt_stream_snapshot(rt_stream *st, int annotate, void **jpeg, size_t *n, vd_error *err);

/* ---- results: worker/reader -> loop ------------------------------------ */

typedef struct rt_snap {
    int64_t track_id;
    float box[4];
    void *jpeg;
    size_t n;
} rt_snap;

typedef struct rt_result {
    struct rt_result *next;
    rt_stream *st;           /* frame results */
    struct rt_image_job *job; /* on-demand detection */
    double pts, ts;
    int width, height;
    vd_detection *dets;
    int n_dets;
    vd_track_event *events;
    int n_events;
    rt_snap *snaps;
    int n_snaps;
    int status;
    char error[256];
} rt_result;

void rt_result_free(rt_result *r);
/* Any thread: queue r for the loop and wake it. */
void rt_post(vd_runtime *rt, rt_result *r);
/* Loop: handle everything queued (also called before a stream is freed). */
void rt_drain(vd_runtime *rt);

/* ---- events.c (loop) ---------------------------------------------------- */

/* Number and store the detections of a frame, turn its track events into
 * event rows, publish both on the hub. */
void rt_events_frame(vd_runtime *rt, rt_stream *st, const rt_result *r);
/* End what is still open for a stream (its reader could not flush). */
void rt_events_close_stream(vd_runtime *rt, rt_stream *st);

/* ---- hub.c (loop) -------------------------------------------------------- */

typedef struct rt_hub rt_hub;
int rt_hub_create(rt_hub **out);
void rt_hub_free(rt_hub **h);
int rt_hub_subscribe(rt_hub *h, const char *stream, vd_hub_fn fn, void *ud, uint64_t *handle);
void rt_hub_unsubscribe(rt_hub *h, uint64_t handle);
/* 1 when someone listens to this stream (skip building the JSON if not). */
int rt_hub_wanted(const rt_hub *h, const char *stream);
void rt_hub_publish(rt_hub *h, vd_hub_kind kind, const char *stream, struct json_t *obj);

/* ---- json.c --------------------------------------------------------------- */

/* "2026-12-06T07:08:05.123Z" */
void rt_iso_time(double t, char *buf, size_t n);

/* ---- image.c: on-demand detection ------------------------------------- */

typedef struct rt_image_job rt_image_job;
void rt_image_finish(vd_runtime *rt, rt_result *r);

/* ---- the runtime (runtime.c) --------------------------------------------- */

struct vd_runtime {
    uv_loop_t *loop;
    vd_config cfg;
    char *state_dir;
    vd_store *store;
    rt_hub *hub;
    rt_model **models;
    int n_models;
    rt_stream **streams;     /* sorted by id */
    int n_streams;
    int ready, stopping;
    int64_t next_det_id, next_event_id;
    /* results from other threads */
    pthread_mutex_t q_mu;
    rt_result *q_head, *q_tail;
    uv_async_t async;
    uv_timer_t tick;
    int closing;             /* streams being closed */
    int jobs;                /* on-demand detections in flight */
    /* models load on libuv's threadpool (the API answers 503 meanwhile) */
    uv_work_t load;
    int loading, load_rc;
    vd_error load_err;
    void (*ready_cb)(vd_runtime *rt, int rc, const vd_error *err, void *ud);
    void *ready_ud;
    void (*stop_cb)(vd_runtime *rt, void *ud);
    void *stop_ud;
    char stop_error[VD_ERROR_MSG_MAX]; /* what the stop lost ("" nothing) */
    int handles_open;
};

rt_model *rt_find_model(vd_runtime *rt, const char *name);
/* A stream or job let go of m: a retired model goes with its last user. */
void rt_model_unuse(rt_model *m);

#endif
