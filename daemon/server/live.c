/* live.c -- GET /api/v1/live[?stream=ID]: Server-Sent Events. Each
 * detection is sent as `event: detection`, each event change as
 * `event: event`, with the same JSON objects as the REST API; a comment
 * line keeps idle connections open through proxies.
 *
 * Design: memory per client is bounded. The hub hands messages to the
 * client on the loop thread; they are appended to a fixed-size buffer that
 * libmicrohttpd drains through a content-reader callback as fast as the
 * socket takes them. When the buffer is empty the callback suspends the
 * connection (no busy loop) and the next message resumes it. A client
 * that reads slower than messages arrive fills its buffer and is dropped:
 * the connection ends, and its inactivity timeout is cut to 1 s so a
 * client that stopped reading entirely is closed too. The socket's own
 * send buffer is capped as well (SO_SNDBUF), so the kernel does not hide a
 * stalled client behind megabytes of auto-tuned buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api.h"

typedef struct vd_live {
    vd_server *srv;
    struct MHD_Connection *conn;
    uint64_t sub;              /* hub subscription */
    char *buf;
    size_t cap, off, len;      /* pending bytes are buf[off, off + len) */
    int suspended, dropped;
    struct vd_live *next;
} vd_live;

static void wake(vd_live *c)
{
    if (c->suspended) {
        c->suspended = 0;
        MHD_resume_connection(c->conn);
        vd_api_kick(c->srv);
    }
}

static void drop(vd_live *c)
{
    if (c->dropped)
        return;
    c->dropped = 1;
    c->srv->live_dropped++;
    MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT, 1u);
    wake(c);
}

/* Queue text; a client without room is dropped, never grown. */
static void push(vd_live *c, const char *a, size_t na, const char *b, size_t nb)
{
    if (c->dropped)
        return;
    size_t n = na + nb + (b ? 2 : 0);
    if (c->len + n > c->cap) {
        drop(c);
        return;
    }
    if (c->off + c->len + n > c->cap) {
        memmove(c->buf, c->buf + c->off, c->len);
        c->off = 0;
    }
    char *p = c->buf + c->off + c->len;
    memcpy(p, a, na);
    if (b) {
        memcpy(p + na, b, nb);
        memcpy(p + na + nb, "\n\n", 2);
    }
    c->len += n;
    wake(c);
}

static void on_hub(vd_hub_kind kind, const char *stream, const char *json, size_t len, void *ud)
{
    (void)stream;
    vd_live *c = ud;
    const char *head = kind == VD_HUB_EVENT ? "event: event\ndata: " : "event: detection\ndata: ";
    push(c, head, strlen(head), json, len);
    if (!c->dropped)
        c->srv->live_sent++;
}

static ssize_t on_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    vd_live *c = cls;
    if (c->dropped || c->srv->stopping)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (!c->len) {
        c->suspended = 1;
        MHD_suspend_connection(c->conn);
        return 0;
    }
    size_t n = c->len < max ? c->len : max;
    memcpy(buf, c->buf + c->off, n);
    c->off += n;
    c->len -= n;
    if (!c->len)
        c->off = 0;
    return (ssize_t)n;
}

static void on_free(void *cls)
{
    vd_live *c = cls;
    vd_server *s = c->srv;
    if (c->sub)
        vd_runtime_unsubscribe(s->rt, c->sub);
    for (vd_live **p = &s->live; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    s->n_live--;
    free(c->buf);
    free(c);
}

enum MHD_Result vd_api_live(vd_req *r)
{
    vd_server *s = r->srv;
    const char *stream = vd_api_arg(r, "stream");
    vd_error err = {0};
    vd_stream_status info;
    if (stream && vd_runtime_stream_get(r->rt, stream, &info, &err))
        return vd_api_error(r, 404, "stream: %s", err.msg);
    if (s->n_live >= s->o.max_sse_clients)
        return vd_api_error(r, 503, "too many live clients (%d); try again later",
                            s->o.max_sse_clients);
    vd_live *c = calloc(1, sizeof *c);
    if (c)
        c->buf = malloc(s->o.sse_buffer);
    if (!c || !c->buf) {
        free(c);
        return vd_api_error(r, 500, "out of memory");
    }
    c->srv = s;
    c->conn = r->conn;
    c->cap = s->o.sse_buffer;
    if (vd_runtime_subscribe(r->rt, stream, on_hub, c, &c->sub, &err)) {
        free(c->buf);
        free(c);
        return vd_api_error(r, 500, "%s", err.msg);
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int sndbuf = 32 * 1024;
    if (ci)
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    c->next = s->live;
    s->live = c;
    s->n_live++;
    /* The first bytes: headers go out now, and EventSource's retry hint. */
    static const char hello[] = "retry: 3000\n: visiond live\n\n";
    push(c, hello, sizeof hello - 1, NULL, 0);
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, on_read, c, on_free);
    if (!resp) {
        on_free(c);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    r->status = 200;
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

void vd_api_live_keepalive(vd_server *s)
{
    static const char ka[] = ": keep-alive\n\n";
    for (vd_live *c = s->live; c; c = c->next)
        push(c, ka, sizeof ka - 1, NULL, 0);
}

void vd_api_live_stop_all(vd_server *s)
{
    for (vd_live *c = s->live; c; c = c->next) {
        c->dropped = 1; /* on_read ends the stream */
        wake(c);
    }
}
