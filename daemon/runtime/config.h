/* config.h -- visiond's configuration: the YAML file of `visiond serve`
 * (libyaml) and the JSON stream entries of the API, checked by ONE
 * validator, so a key means the same thing in both.
 *
 * Design: YAML and JSON are first turned into the same small tree of
 * vd_cfg_node (maps, lists, scalars, each with its line), and every rule
 * (types, ranges, unknown keys, references between sections) is written
 * once against that tree. Errors name "file:line: key.path: reason", e.g.
 *   visiond.yaml:23: streams[1].detect.threshold: 1.5 is not in [0, 1]
 * For JSON bodies the "file" is "request" and there is no line.
 *
 * Relative paths (model cards, store path) are resolved when loading:
 * cards, http.token_file, sources.media_dirs and relative stream paths
 * against the config file's directory, the store against the state
 * directory (NULL: kept relative). All strings are owned by the config
 * (vd_config_free). Beyond the schema: http.max_body,
 * max_connections, connection_timeout, and a top-level deepstack_model. */
#ifndef VD_DAEMON_CONFIG_H
#define VD_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/detect/detect.h"

#define VD_CFG_MAX_SCHEMES 16
#define VD_CFG_MAX_DIRS 16
#define VD_CFG_MAX_HOSTS 64
#define VD_CFG_ID_MAX 64 /* stream ids: [A-Za-z0-9_-]{1,64} */

typedef enum vd_backpressure {
    VD_BP_DEFAULT = 0, /* drop for live sources and realtime files, block otherwise */
    VD_BP_DROP,        /* newest frames win; dropped frames are counted */
    VD_BP_BLOCK,       /* the reader waits; nothing is dropped */
} vd_backpressure;

typedef struct vd_model_config {
    char *name;        /* what streams refer to */
    char *card;        /* resolved path of the card (or .onnx) */
    int threads;       /* default 1 */
    int max_batch;     /* default 8 */
    int max_wait_ms;   /* default 20 */
} vd_model_config;

typedef struct vd_stream_config {
    char *id;               /* [A-Za-z0-9_-]{1,64} */
    char *url;              /* as given (may hold credentials: never echo it) */
    char *rtsp_transport;   /* "tcp" | "udp" | NULL (FFmpeg's default) */
    double timeout;         /* s, watchdog and open timeout; default 10 */
    double reconnect_min;   /* reconnect: {min, max}: the backoff starts at min s and */
    double reconnect_max;   /* doubles to max s (defaults 1 and 60), +-20 % jitter */
    int realtime;           /* pace files at their native rate; default 0 */
    vd_backpressure backpressure;
    int loop;               /* files: start again at the end; default 0 */
    double fps;             /* analysis rate; default 5; 0: every frame */
    /* detect: */
    char *model;            /* model name, NULL: no detection */
    float threshold;        /* default: the card's (-1) */
    char **classes;         /* NULL: all */
    int n_classes;
    int detect_enabled;     /* default 1 */
    /* motion: */
    int motion_gate;        /* motion: {gate: true} */
    int motion_detect;      /* motion: {detect: true} */
    int track;              /* default 1 when a model is set */
    vd_zone *zones;         /* normalised polygons, in config order */
    int n_zones;
} vd_stream_config;

typedef struct vd_config {
    char *path;             /* the file it came from; NULL: built in defaults */
    /* http */
    char *listen;           /* "127.0.0.1:8080" */
    char *token_file;       /* NULL: no auth */
    int64_t max_body;       /* bytes, default 16 MiB */
    int max_connections;    /* default 256 */
    int connection_timeout; /* s, default 30 */
    int max_connections_per_address; /* default 128 */
    int max_sse_clients;    /* default 32 */
    int max_auth_failures;  /* 401s per address within auth_window (then 429); default 10 */
    int auth_window;        /* s, default 60 */
    /* store */
    char *store_path;       /* resolved against the state dir */
    int retention_days;     /* default 7 */
    int64_t retention_rows; /* default 1000000 */
    /* sources */
    char *schemes[VD_CFG_MAX_SCHEMES];
    int n_schemes;          /* default rtsp rtsps http https file v4l2 */
    char *media_dirs[VD_CFG_MAX_DIRS];
    int n_media_dirs;       /* default: the directories of the file streams */
    int media_dirs_given;   /* sources.media_dirs was in the file (else the default) */
    char *hosts[VD_CFG_MAX_HOSTS];
    int n_hosts;            /* network sources' hosts; none listed: any host */
    /* models and streams */
    vd_model_config *models;
    int n_models;
    char *deepstack_model;  /* default: the first model */
    vd_stream_config *streams;
    int n_streams;
} vd_config;

/* Defaults only: no streams, no models, listen 127.0.0.1:8080. */
void vd_config_init(vd_config *c);
/* Parse and validate a YAML file. state_dir resolves the store path. On
 * error *c is left empty and err says "file:line: key.path: reason". */
int vd_config_load(vd_config *c, const char *file, const char *state_dir, vd_error *err);
void vd_config_free(vd_config *c);
/* The model called name, NULL when there is none. */
const vd_model_config *vd_config_model(const vd_config *c, const char *name);

/* One stream entry from a JSON object (the API's POST body), validated
 * against the models of cfg (an unknown model is an error naming it) and
 * its sources policy. A relative local path is resolved against the
 * directory of cfg->path (refused when cfg has no file). Errors read
 * "request: key.path: reason". */
struct json_t;
int vd_stream_config_from_json(vd_stream_config *s, const struct json_t *obj,
                               const vd_config *cfg, vd_error *err);
/* Apply a JSON merge patch (RFC 7386, the PATCH body) to s: on success *s
 * is the patched entry, on error it is unchanged. The patched entry goes
 * through vd_stream_config_from_json (same rules, same sources policy); the
 * id cannot change. */
int vd_stream_config_patch(vd_stream_config *s, const struct json_t *patch,
                           const vd_config *cfg, vd_error *err);
/* The entry as JSON (the POST body that would recreate it); redact != 0
 * strips credentials from the URL. New reference, NULL on ENOMEM. */
struct json_t *vd_stream_config_to_json(const vd_stream_config *s, int redact);
int vd_stream_config_copy(vd_stream_config *dst, const vd_stream_config *src, vd_error *err);
void vd_stream_config_free(vd_stream_config *s);
/* 1 when the two entries would run the same way (reload: restart only the
 * streams whose entry changed). */
int vd_stream_config_equal(const vd_stream_config *a, const vd_stream_config *b);
/* The URL without user:password, for display. */
void vd_url_redact(const char *url, char *out, size_t n);
/* Check a URL against cfg->schemes, cfg->hosts (when listed) and
 * cfg->media_dirs (local files must lie under one of them after realpath).
 * VD_EINVAL naming the rule. */
int vd_config_source_allowed(const vd_config *cfg, const char *url, vd_error *err);
/* What kind of source a URL is: "file" (a path or file:), "v4l2" (a path
 * under /dev/), else its scheme lower-cased ("rtsp", "http", ...). The
 * runtime picks defaults from it (live: rtsp/rtsps/http/https/v4l2...).
 * VD_EINVAL for an empty URL. */
int vd_config_url_scheme(const char *url, char *out, size_t n);
/* 1 for sources that deliver frames in real time on their own (anything
 * but "file"). */
int vd_config_url_is_live(const char *url);
/* What one stream's reader may open, decided by its kind of source
 * (vd_config_url_scheme): FFmpeg's protocol and format whitelists, and the
 * check of each resource its demuxer opens (HLS segments and variant
 * playlists): a file source's stay under media_dirs (realpath'ed), a
 * network source's on its own host and port. Owns copies, so the reader
 * thread uses it while the loop reloads the config. */
typedef struct vd_source_rules {
    const char *protocols;  /* static strings */
    const char *formats;
    int local;              /* nested resources must be local files under dirs */
    char origin[300];       /* else "host:port" they must name */
    char *dirs[VD_CFG_MAX_DIRS];
    int n_dirs;
} vd_source_rules;
int vd_source_rules_init(vd_source_rules *r, const vd_config *cfg, const char *url,
                         vd_error *err);
/* The vd_reader_guard's `allow` (ud: the rules): VD_EINVAL naming the URL
 * (redacted) and the rule it breaks. */
int vd_source_rules_allow(void *rules, const char *url, vd_error *err);
void vd_source_rules_free(vd_source_rules *r);
/* media_dirs := the directories (after realpath) of the config's file
 * streams; what vd_config_load does when sources.media_dirs is absent. */
int vd_config_default_media_dirs(vd_config *cfg, vd_error *err);

#endif
