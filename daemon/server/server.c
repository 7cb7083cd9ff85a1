/* server.c -- the HTTP server's core: libmicrohttpd on the daemon's libuv
 * loop, and the life of a request up to its handler.
 *
 * Threads and queues: none. MHD runs in external-epoll mode; a uv_poll
 * watches MHD's epoll fd (which holds the listening socket, every
 * connection and MHD's wake-up pipe) and a uv_timer fires at
 * MHD_get_timeout(); both call MHD_run() on the loop thread. A resumed
 * connection writes MHD's pipe, so the poll wakes; vd_api_kick() also
 * schedules a run for the cases where no fd changes.
 *
 * A request goes: route (404/405) -> starting? (503) -> address blocked
 * after failed tokens? (429, authlimit.c) -> token (401) ->
 * declared size (413) -> content type (415) -> body collected up to the
 * limit -> the handler, called once. A request with a body is checked as
 * soon as its headers are in, and anything refused is answered at once, so
 * a 16 MiB upload to a wrong URL is never read; a bodiless one is checked
 * when complete, so a refusal keeps the connection alive. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "static.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"

const double vd_api_lat_le[VD_API_LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

double vd_api_uptime(const vd_server *s)
{
    return (double)(uv_hrtime() - s->t_start_ns) / 1e9;
}

int vd_api_token_ok(const vd_server *s, const char *presented, size_t n)
{
    if (!s->token_len)
        return 1;
    if (!presented)
        return 0;
    /* Time depends on the configured token's length only. */
    unsigned char diff = n != s->token_len;
    for (size_t i = 0; i < s->token_len; i++)
        diff |= (unsigned char)(s->token_copy[i] ^ (i < n ? presented[i] : 0));
    return diff == 0;
}

/* ---- MHD on the loop --------------------------------------------------- */

static void on_timer(uv_timer_t *t);

static void run_mhd(vd_server *s)
{
    if (!s->mhd)
        return;
    s->kicked = 0;
    MHD_run(s->mhd);
    MHD_UNSIGNED_LONG_LONG ms;
    if (s->kicked) /* a kick during the run asked for another one */
        uv_timer_start(&s->timer, on_timer, 0, 0);
    else if (MHD_get_timeout(s->mhd, &ms) == MHD_YES)
        uv_timer_start(&s->timer, on_timer, ms, 0);
    else
        uv_timer_stop(&s->timer);
}

static void on_timer(uv_timer_t *t)
{
    run_mhd(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    run_mhd(p->data);
}

static void on_keepalive(uv_timer_t *t)
{
    vd_api_live_keepalive(t->data);
}

void vd_api_kick(vd_server *s)
{
    if (s->mhd && !s->stopping) {
        s->kicked = 1;
        uv_timer_start(&s->timer, on_timer, 0, 0);
    }
}

/* ---- request life ------------------------------------------------------- */

/* "application/json; charset=utf-8" has the media type "application/json". */
static int media_is(const char *ctype, const char *want)
{
    size_t n = strlen(want);
    return ctype && !strncasecmp(ctype, want, n) &&
           (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

static int bearer_ok(vd_req *r)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7))
        return vd_api_token_ok(r->srv, NULL, 0);
    h += 7;
    return vd_api_token_ok(r->srv, h, strlen(h));
}

static int field_append(vd_api_field *f, const char *d, size_t n, size_t max)
{
    f->seen = 1;
    if (f->len + n > max)
        return -1;
    if (f->len + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 256;
        while (cap < f->len + n + 1)
            cap *= 2;
        char *p = realloc(f->data, cap);
        if (!p)
            return -1;
        f->data = p;
        f->cap = cap;
    }
    memcpy(f->data + f->len, d, n);
    f->len += n;
    f->data[f->len] = '\0';
    return 0;
}

static enum MHD_Result on_form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data,
                                     uint64_t off, size_t size)
{
    (void)kind, (void)filename, (void)content_type, (void)transfer_encoding, (void)off;
    vd_req *r = cls;
    if (!key) /* a part without name= (fuzz_http finding 1: strcmp(NULL) crashed) */
        return MHD_YES;
    vd_api_field *f = !strcmp(key, "image")            ? &r->f_image
                      : !strcmp(key, "min_confidence") ? &r->f_min_confidence
                      : !strcmp(key, "api_key")        ? &r->f_api_key
                                                       : NULL;
    if (!f)
        return MHD_YES; /* DeepStack clients send other fields too; ignore them */
    size_t max = f == &r->f_image ? (size_t)r->srv->o.max_body : 4096;
    if (field_append(f, data, size, max)) {
        r->body_too_large = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/* The checks before any body byte is read. */
static enum MHD_Result begin(vd_req *r, const char *url, const char *method)
{
    vd_server *s = r->srv;
    int known;
    const vd_route *rt =
        vd_api_route_match(method, url, r->params, &known, r->allow, sizeof r->allow);
    if (!rt && !known) {
        /* The console's files are public: the page itself asks for the token. */
        int st = strcmp(method, "GET") && strcmp(method, "HEAD") ? 0
                                                                  : vd_static_serve(s->www, r->conn, url);
        if (st)
            return st > 0 ? (r->status = (unsigned)st, MHD_YES) : MHD_NO;
        return vd_api_error(r, 404, "no such endpoint: %s", url);
    }
    if (!rt)
        return vd_api_error(r, 405, "%s is not allowed on %s (allowed: %s)", method, url,
                            r->allow);
    r->route = rt;
    r->route_index = (int)(rt - vd_api_routes);
    if (!(rt->flags & VD_ROUTE_PUBLIC) && !vd_runtime_ready(r->rt))
        return vd_api_error(r, 503, "visiond is starting (loading models); try again shortly");
    if (!(rt->flags & VD_ROUTE_PUBLIC) && vd_api_auth_blocked(r))
        return vd_api_error(r, 429, "too many requests with a wrong token from this address; "
                                    "retry in %d s", r->retry_after);
    if (!(rt->flags & (VD_ROUTE_PUBLIC | VD_ROUTE_DEEPSTACK)) && !bearer_ok(r))
        return vd_api_error(r, 401, "this endpoint needs the API token: "
                                    "'Authorization: Bearer <token>'");
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoll(cl, NULL, 10) > s->o.max_body)
        return vd_api_error(r, 413, "request body of %s bytes is over the limit of %lld bytes",
                            cl, (long long)s->o.max_body);
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_TYPE);
    if ((rt->flags & VD_ROUTE_BODY_JSON) && !media_is(ct, "application/json"))
        return vd_api_error(r, 415, "Content-Type: expected application/json, got %s",
                            ct ? ct : "none");
    if ((rt->flags & VD_ROUTE_BODY_IMAGE) && !media_is(ct, "image/jpeg") &&
        !media_is(ct, "image/png"))
        return vd_api_error(r, 415, "Content-Type: expected image/jpeg or image/png, got %s",
                            ct ? ct : "none");
    if (rt->flags & VD_ROUTE_BODY_FORM) {
        r->pp = MHD_create_post_processor(r->conn, 64 * 1024, on_form_field, r);
        if (!r->pp)
            return vd_api_error(r, 415,
                                "Content-Type: expected multipart/form-data or "
                                "application/x-www-form-urlencoded, got %s",
                                ct ? ct : "none");
    }
    return MHD_YES;
}

static void feed(vd_req *r, const char *data, size_t n)
{
    if (r->pp) {
        if (!r->body_too_large && MHD_post_process(r->pp, data, n) != MHD_YES &&
            !r->body_too_large)
            r->form_bad = 1;
        return;
    }
    if (!(r->route->flags & (VD_ROUTE_BODY_JSON | VD_ROUTE_BODY_IMAGE)) || r->body_too_large)
        return;
    vd_api_field f = {r->body, r->body_len, r->body_cap, 1};
    if (field_append(&f, data, n, (size_t)r->srv->o.max_body)) {
        r->body_too_large = 1;
        return;
    }
    r->body = f.data;
    r->body_len = f.len;
    r->body_cap = f.cap;
}

static int has_body(struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return te || (cl && strtoll(cl, NULL, 10) > 0);
}

static enum MHD_Result dispatch(vd_req *r)
{
    if (r->dispatched) /* resumed without an answer: the server is stopping */
        return vd_api_error(r, 503, "visiond is shutting down");
    r->dispatched = 1;
    if (r->body_too_large)
        return vd_api_error(r, 413, "request body is over the limit of %lld bytes",
                            (long long)r->srv->o.max_body);
    if (r->form_bad)
        return vd_api_error(r, 400, "the form body could not be parsed");
    r->in_handler = 1;
    enum MHD_Result ret = r->route->fn(r);
    r->in_handler = 0;
    return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    vd_server *s = cls;
    vd_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->srv = s;
        r->rt = s->rt;
        r->conn = c;
        r->t0_ns = uv_hrtime();
        r->route_index = vd_api_n_routes;
        *con_cls = r;
        /* A refusal queued before the request is complete closes the
         * connection: worth it to skip a body, not for a bodiless GET. */
        if (has_body(c))
            return begin(r, url, method);
        r->deferred = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->status)
            feed(r, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status)
        return MHD_YES;
    if (r->deferred) {
        r->deferred = 0;
        enum MHD_Result ret = begin(r, url, method);
        if (r->status || ret != MHD_YES)
            return ret;
    }
    if (r->late_json) {
        json_t *j = r->late_json;
        r->late_json = NULL;
        return vd_api_reply_json(r, r->late_status, j);
    }
    return dispatch(r);
}

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* MHD's unescaping, except that %00, %2F and %5C stay as they are: a NUL
 * would cut the path short ("/streams/cam%00/x" reading as "/streams/cam")
 * and an encoded slash would become a separator after routing decided
 * what a segment is. So an id is one literal segment, and "..%2f" in it is
 * only a name that matches nothing. Query values are unescaped the same
 * way; none of them may hold those three bytes. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    char *out = s;
    for (const char *p = s; *p;) {
        int hi, lo;
        if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
            int ch = hi * 16 + lo;
            if (ch != 0 && ch != '/' && ch != '\\') {
                *out++ = (char)ch;
                p += 3;
                continue;
            }
        }
        *out++ = *p++;
    }
    *out = '\0';
    return (size_t)(out - s);
}

static void record(vd_server *s, const vd_req *r)
{
    vd_api_route_stats *st = &s->route_stats[r->route_index];
    double dt = (double)(uv_hrtime() - r->t0_ns) / 1e9;
    st->count++;
    st->sum_s += dt;
    for (int i = 0; i < VD_API_LAT_BUCKETS; i++)
        if (dt <= vd_api_lat_le[i])
            st->bucket[i]++;
    st->by_class[r->status / 100 < 6 ? r->status / 100 : 0]++;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c, (void)toe;
    vd_req *r = *con_cls;
    if (!r)
        return;
    record(cls, r);
    if (r->job)
        vd_api_job_detach(r);
    if (r->pp)
        MHD_destroy_post_processor(r->pp);
    free(r->f_image.data);
    free(r->f_min_confidence.data);
    free(r->f_api_key.data);
    free(r->body);
    json_decref(r->late_json);
    free(r);
    *con_cls = NULL;
}

/* At the connection limit MHD stops watching the listening socket; it
 * watches it again on the MHD_run after a connection closed. Nothing else
 * may wake the loop for that run (a client waiting in the backlog sends no
 * event MHD watches), so a closed connection schedules it. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)c, (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        vd_api_kick(cls);
}

/* ---- start / stop ------------------------------------------------------- */

/* Our own listening socket, so a bind failure says why ("Address already
 * in use") and port 0 can be read back. */
static int open_listener(const char *listen_at, int *fd_out, int *port_out, vd_error *err)
{
    char host[256];
    const char *colon = strrchr(listen_at, ':');
    const char *h = listen_at;
    size_t hn = colon ? (size_t)(colon - listen_at) : 0;
    if (hn && h[0] == '[' && h[hn - 1] == ']')
        h++, hn -= 2;
    const char *port = colon ? colon + 1 : "";
    int port_ok = *port && strspn(port, "0123456789") == strlen(port) && atol(port) <= 65535;
    if (!colon || hn >= sizeof host || !port_ok)
        return vd_error_set(err, VD_EINVAL, "listen '%s': expected HOST:PORT with a port in "
                                            "0..65535", listen_at);
    memcpy(host, h, hn);
    host[hn] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai;
    int rc = getaddrinfo(hn && strcmp(host, "*") ? host : NULL, port, &hints, &ai);
    if (rc)
        return vd_error_set(err, VD_EINVAL, "listen '%s': %s", listen_at, gai_strerror(rc));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 512)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return vd_error_set(err, VD_EIO, "listen '%s': %s", listen_at, strerror(e));
    }
    freeaddrinfo(ai);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port_out = sa.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&sa)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&sa)->sin_port);
    *fd_out = fd;
    return 0;
}

static void fill_defaults(vd_server_opts *o)
{
    if (!o->listen)
        o->listen = DEFAULT_LISTEN;
    if (o->max_body <= 0)
        o->max_body = 16 << 20;
    if (!o->max_header)
        o->max_header = 32 << 10;
    if (o->max_connections <= 0)
        o->max_connections = 256;
    if (o->connection_timeout <= 0)
        o->connection_timeout = 30;
    if (o->max_sse_clients <= 0)
        o->max_sse_clients = 32;
    if (o->max_connections_per_address <= 0)
        o->max_connections_per_address = 128;
    if (o->max_auth_failures <= 0)
        o->max_auth_failures = 10;
    if (o->auth_window <= 0)
        o->auth_window = 60;
    if (o->sse_keepalive_ms <= 0)
        o->sse_keepalive_ms = 15000;
    if (!o->sse_buffer)
        o->sse_buffer = 256 << 10;
}

static int start_mhd(vd_server *s, int fd, vd_error *err)
{
    s->mhd = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, 0, NULL, NULL, on_access, s,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->o.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)s->o.max_connections_per_address, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->o.connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        s->o.max_header, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, s, MHD_OPTION_END);
    if (!s->mhd) {
        close(fd);
        return vd_error_set(err, VD_EIO, "listen '%s': libmicrohttpd did not start",
                            s->o.listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    uv_poll_init(s->loop, &s->poll, info->epoll_fd);
    uv_timer_init(s->loop, &s->timer);
    uv_timer_init(s->loop, &s->keepalive);
    s->poll.data = s->timer.data = s->keepalive.data = s;
    s->open_handles = 3;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    uv_timer_start(&s->keepalive, on_keepalive, (uint64_t)s->o.sse_keepalive_ms,
                   (uint64_t)s->o.sse_keepalive_ms);
    vd_api_kick(s);
    return 0;
}

static void server_free(vd_server *s)
{
    for (int i = 0; i < VD_API_CACHE_N; i++)
        vd_api_cache_free(&s->cache[i]);
    free(s->token_copy);
    free(s->route_stats);
    vd_static_free(&s->www);
    free(s);
}

int vd_server_start(vd_server **out, uv_loop_t *loop, vd_runtime *rt, const vd_server_opts *o,
                    vd_error *err)
{
    *out = NULL;
    vd_server *s = calloc(1, sizeof *s);
    if (!s)
        return vd_error_set(err, VD_ENOMEM, "http server: out of memory");
    s->loop = loop;
    s->rt = rt;
    if (o)
        s->o = *o;
    fill_defaults(&s->o);
    s->token_copy = strdup(s->o.token ? s->o.token : "");
    s->route_stats = calloc((size_t)vd_api_n_routes + 1, sizeof *s->route_stats);
    if (!s->token_copy || !s->route_stats) {
        server_free(s);
        return vd_error_set(err, VD_ENOMEM, "http server: out of memory");
    }
    s->token_len = strlen(s->token_copy);
    s->o.token = s->token_copy;
    s->t_start_ns = uv_hrtime();
    int fd, rc = vd_static_open(&s->www, s->o.www_dir, err);
    if (!rc)
        rc = open_listener(s->o.listen, &fd, &s->port, err);
    if (!rc)
        rc = start_mhd(s, fd, err);
    if (rc) {
        server_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int vd_server_port(const vd_server *s)
{
    return s->port;
}

static void on_closed(uv_handle_t *h)
{
    vd_server *s = h->data;
    if (--s->open_handles == 0)
        server_free(s);
}

void vd_server_stop(vd_server **sp)
{
    vd_server *s = sp ? *sp : NULL;
    if (!s)
        return;
    *sp = NULL;
    /* MHD must not be stopped with suspended connections: resume them all
     * (SSE clients end, requests waiting for a detection answer 503), and
     * let one last MHD_run answer them. */
    vd_api_live_stop_all(s);
    for (vd_req *r = s->jobs; r; r = r->job_next)
        MHD_resume_connection(r->conn);
    while (s->jobs)
        vd_api_job_detach(s->jobs);
    MHD_run(s->mhd);
    s->stopping = 1;
    uv_close((uv_handle_t *)&s->poll, on_closed); /* before MHD closes its epoll fd */
    uv_close((uv_handle_t *)&s->timer, on_closed);
    uv_close((uv_handle_t *)&s->keepalive, on_closed);
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}
