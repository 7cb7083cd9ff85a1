/* server.h -- visiond's HTTP API: libmicrohttpd driven by the daemon's
 * libuv loop.
 *
 * Threads: none of its own. libmicrohttpd runs in "external epoll" mode:
 * its epoll fd is watched by a uv_poll on the daemon's loop and its
 * timeouts by a uv_timer, and MHD_run() is called from there. Every
 * request handler therefore runs on the loop thread and may call the
 * vd_runtime functions directly, without locks (runtime.h requires it).
 * Handlers that wait (on-demand detection, SSE) suspend their connection
 * and resume it from a loop callback; nothing ever blocks the loop.
 *
 * Every field of vd_server_opts may be 0/NULL for its default. */
#ifndef VD_SERVER_H
#define VD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "daemon/runtime/runtime.h"
#include "vision/core/error.h"

typedef struct vd_server vd_server;

typedef struct vd_server_opts {
    const char *listen;         /* "HOST:PORT", "[v6]:PORT"; default 127.0.0.1:8080;
                                 * port 0 picks a free one (vd_server_port) */
    const char *token;          /* bearer token (already read from token_file);
                                 * NULL or "": no authentication */
    int64_t max_body;           /* request body bytes; default 16 MiB (413 beyond) */
    size_t max_header;          /* per-connection memory for the request line and
                                 * headers; default 32 KiB (MHD answers 431 beyond) */
    int max_connections;        /* default 256; beyond, new connections are not
                                 * accepted (they wait in the listen backlog) */
    int max_connections_per_address; /* default 128; beyond, that address's new
                                 * connections are refused */
    int max_auth_failures;      /* 401s per client address within auth_window s,
                                 * then 429 until the window ends; default 10 */
    int auth_window;            /* default 60 */
    int connection_timeout;     /* s of inactivity before a connection is closed;
                                 * default 30 */
    int max_sse_clients;        /* default 32 (503 beyond) */
    int sse_keepalive_ms;       /* keep-alive comment period; default 15000 */
    size_t sse_buffer;          /* bytes queued per SSE client before it is dropped
                                 * as too slow; default 256 KiB */
    const char *www_dir;        /* the web console's files; NULL: <exe>/../share/
                                 * visiond/www (build tree and install alike) */
} vd_server_opts;

/* Bind, listen and start serving on `loop`. The runtime must outlive the
 * server (stop the server first). A listen address that cannot be parsed
 * or bound is VD_EINVAL / VD_EIO with the address and the reason. */
int vd_server_start(vd_server **out, uv_loop_t *loop, vd_runtime *rt, const vd_server_opts *o,
                    vd_error *err);
/* The bound port (useful with port 0). */
int vd_server_port(const vd_server *s);
/* Close every connection (SSE clients and requests waiting for a detection
 * included), stop listening, and free the server once its libuv handles
 * are closed (on a later turn of the loop: keep running the loop).
 * NULL-safe; NULLs *s. */
void vd_server_stop(vd_server **s);

#endif
