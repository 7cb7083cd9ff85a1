/* runtime.h -- the daemon's state and what the HTTP server may ask of it.
 *
 * Threads and queues (every file of daemon/runtime opens with its part):
 *   - The LOOP thread (one uv_loop_t) owns vd_runtime: the stream table,
 *     the models, the event table, the store handle and the hub. Every
 *     function below is called on the loop thread only (the HTTP server is
 *     driven by the same loop), so none of them locks.
 *   - Each stream has a READER thread (FFmpeg's I/O blocks): open with
 *     timeouts, read, sample to the stream's fps, convert, run
 *     vd_analysis_pre() into a slot of its model's batch, hand the slot to
 *     the model's worker. Reconnects with backoff live there too.
 *   - Each model has an inference WORKER thread (ordinary 8 MiB stack: the
 *     kernels use ~43 KiB): it waits for max_batch slots or max_wait_ms,
 *     runs vd_nn_session_run() over the frames of all its streams, runs
 *     vd_analysis_post() per slot, and posts the results to the loop
 *     through one mutex-protected queue plus uv_async_send().
 *   - The loop turns results into detections and events, numbers them,
 *     queues them to the store (its own writer thread) and publishes them
 *     on the hub (SSE now, MQTT later: one fan-out point).
 *
 * Stop order of a stream (as libuv's uv_close): interrupt the reader,
 * join its thread, drop its pending slots, free it in a callback on the
 * loop thread. */
#ifndef VD_RUNTIME_H
#define VD_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/runtime/config.h"
#include "daemon/store/store.h"
#include "vision/core/error.h"

typedef struct vd_runtime vd_runtime;

typedef enum vd_stream_state {
    VD_STREAM_STARTING = 0,
    VD_STREAM_RUNNING,
    VD_STREAM_RECONNECTING,
    VD_STREAM_STOPPED,       /* a file that ended without loop, or removed */
    VD_STREAM_FAILED,        /* will not be retried (e.g. a file that does not exist) */
} vd_stream_state;
const char *vd_stream_state_name(vd_stream_state s); /* "starting", ... */

/* A consistent copy of one stream's status, for the API. */
typedef struct vd_stream_status {
    char id[VD_STORE_ID_MAX];
    char url[1024];            /* redacted: no credentials */
    vd_stream_state state;
    double fps_in, fps_analysed, fps_skipped; /* over the last ~10 s */
    int64_t frames_in, frames_analysed, frames_dropped;
    int64_t frames_damaged;    /* decode errors: frames rejected or concealed */
    int64_t reconnects, reconnects_last_hour;
    double backoff;            /* reconnecting: the wait before the next attempt, s; else 0 */
    double next_retry_time;    /* reconnecting: epoch s of the next attempt; else 0 */
    char last_error[256];      /* "" none */
    char last_damage[256];     /* the latest decode error, "" none */
    double last_frame_time;    /* epoch s; 0 never */
    double last_detection_time;
    int detect_enabled;
    const vd_stream_config *config; /* valid until the next call that changes streams */
} vd_stream_status;

typedef struct vd_model_stats {
    char name[64];
    char card[1024];
    int loaded;                /* 0: failed to load, see error */
    char error[256];
    int input_w, input_h;
    int64_t runs, frames;
    int64_t images_damaged;    /* uploaded images decoded with concealment */
    double infer_ms_p50, infer_ms_p99;
    double batch_fill;         /* mean frames per run / max_batch */
    int queue_depth;           /* slots waiting */
    /* latency histogram for /metrics: upper bounds in ms and cumulative counts */
    int n_buckets;
    double bucket_le[16];
    int64_t bucket_count[16];
    double infer_ms_sum;
} vd_model_stats;

/* ---- life cycle (serve) ---------------------------------------------- */

/* Take ownership of cfg (moved: *cfg is left empty) and open the store;
 * then load the models on libuv's threadpool and start the streams on the
 * loop once they are loaded. Until then vd_runtime_ready() is 0 (the API
 * answers 503, health says "starting"). Models that fail to load are
 * reported in their stats and by the streams that use them; they do not
 * stop the daemon. */
int vd_runtime_create(vd_runtime **out, uv_loop_t *loop, vd_config *cfg, const char *state_dir,
                      vd_error *err);
/* cb runs on the loop once the start finished: rc 0 (ready), or the error
 * that stopped it (the caller then stops the runtime). */
void vd_runtime_on_ready(vd_runtime *rt,
                         void (*cb)(vd_runtime *rt, int rc, const vd_error *err, void *ud),
                         void *ud);
/* SIGTERM path: stop intake, drain the batches in flight, flush the store.
 * cb runs on the loop when everything is closed. */
void vd_runtime_stop(vd_runtime *rt, void (*cb)(vd_runtime *rt, void *ud), void *ud);
void vd_runtime_free(vd_runtime **rt);
/* SIGHUP: apply a new config, restarting only the streams and models whose
 * entries changed. Takes ownership of cfg. */
int vd_runtime_reload(vd_runtime *rt, vd_config *cfg, vd_error *err);
/* One line for sd_notify STATUS=, e.g. "3 streams running, 12.4 fps analysed". */
void vd_runtime_status_line(vd_runtime *rt, char *buf, size_t n);
int vd_runtime_ready(const vd_runtime *rt); /* 0 while starting (API: 503) */
const vd_config *vd_runtime_config(const vd_runtime *rt);
vd_store *vd_runtime_store(vd_runtime *rt);
/* After vd_runtime_stop's callback: what the stop could not save (rows the
 * store could not write), "" when nothing was lost. */
const char *vd_runtime_stop_error(const vd_runtime *rt);

/* ---- streams ----------------------------------------------------------- */

int vd_runtime_stream_count(const vd_runtime *rt);
/* i-th stream in id order, or by id: VD_ENOTFOUND. */
int vd_runtime_stream_at(vd_runtime *rt, int i, vd_stream_status *out);
int vd_runtime_stream_get(vd_runtime *rt, const char *id, vd_stream_status *out, vd_error *err);
/* Add (takes ownership of *s on success): VD_EINVAL for a source the
 * config's sources: policy refuses, and a distinct code for an existing id
 * (the server maps it to 409): VD_EEXIST is not a vd code, so the runtime
 * returns 1 for "exists". */
int vd_runtime_stream_add(vd_runtime *rt, vd_stream_config *s, vd_error *err);
/* Replace a stream's entry; only what changed restarts (detect.enabled
 * toggles without touching the reader). Takes ownership of *s on success,
 * as add does (the caller frees it on failure). VD_ENOTFOUND. */
int vd_runtime_stream_update(vd_runtime *rt, const char *id, vd_stream_config *s, vd_error *err);
int vd_runtime_stream_remove(vd_runtime *rt, const char *id, vd_error *err);

/* The latest analysed frame as JPEG (malloc'ed), annotated with boxes,
 * labels, zones and motion regions when asked. VD_ENOTFOUND (no stream),
 * VD_EOF (no frame yet). */
int vd_runtime_stream_snapshot(vd_runtime *rt, const char *id, int annotate, void **jpeg,
                               size_t *n, vd_error *err);

/* ---- models and on-demand detection ------------------------------------ */

int vd_runtime_model_count(const vd_runtime *rt);
void vd_runtime_model_stats(vd_runtime *rt, int i, vd_model_stats *out);

typedef struct vd_image_detection {
    char label[VD_STORE_LABEL_MAX];
    float score;
    float box[4];              /* pixels of the submitted image */
} vd_image_detection;

typedef struct vd_image_result {
    int status;                /* 0 or a VD_E* code */
    char error[256];
    int width, height;
    int damaged;               /* decoded with concealment (vd_img_info.damaged) */
    double inference_ms;
    vd_image_detection *dets;  /* sorted by score, highest first; owned by the runtime
                                * until the callback returns */
    int n;
} vd_image_result;

/* Decode an uploaded JPEG/PNG (copied) and run `model` (NULL: the
 * config's deepstack_model, else the first) on it with min_score, through
 * the model's worker. cb runs on the loop thread. Returns VD_ENOTFOUND for
 * an unknown model, VD_EFORMAT for an image no decoder shows, VD_ELIMIT for
 * too many pixels: then cb is not called. */
int vd_runtime_detect_image(vd_runtime *rt, const char *model, const void *data, size_t n,
                            float min_score,
                            void (*cb)(const vd_image_result *r, void *ud), void *ud,
                            vd_error *err);

/* ---- live push (the hub) ------------------------------------------------ */

typedef enum vd_hub_kind { VD_HUB_DETECTION = 1, VD_HUB_EVENT = 2 } vd_hub_kind;

/* A subscriber gets each message as compact JSON text (the same objects
 * the REST API returns) on the loop thread. stream NULL: all streams. */
typedef void (*vd_hub_fn)(vd_hub_kind kind, const char *stream, const char *json, size_t len,
                          void *ud);
int vd_runtime_subscribe(vd_runtime *rt, const char *stream, vd_hub_fn fn, void *ud,
                         uint64_t *handle, vd_error *err);
void vd_runtime_unsubscribe(vd_runtime *rt, uint64_t handle);

/* JSON objects shared by the hub and the REST API (jansson; caller owns). */
struct json_t;
struct json_t *vd_json_detection(const vd_store_detection *d);
struct json_t *vd_json_event(const vd_store_event *e);
struct json_t *vd_json_stream(const vd_stream_status *s);

#endif
