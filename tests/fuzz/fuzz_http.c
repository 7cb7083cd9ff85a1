/* fuzz_http.c -- libFuzzer target for the daemon's HTTP handling: MHD's
 * request parsing, routing, the token check, query arguments, JSON bodies
 * (stream create/patch), the multipart/urlencoded form parser behind
 * /v1/vision/detection, and every handler's answer.
 *
 * Each input is the raw bytes a client sends on one connection. The real
 * server (vd_server_start on a real vd_runtime with its SQLite store, on a
 * libuv loop) runs in this process; the input is written into one end of a
 * socketpair whose other end is handed to MHD with MHD_add_connection, so
 * no TCP port is touched per input and the whole request path is the
 * daemon's own. The write side is then shut, and the loop runs until the
 * server closes the connection (or 400 turns, ~0.4 s: an SSE client or a
 * request MHD still waits on is then cut off, as a client hanging up).
 *
 * The runtime has no models and no streams, and its sources policy allows
 * no scheme: a stream created through the API is validated and refused,
 * so no input can make the daemon open a file or reach a host. The token
 * is "fuzz-token"; seeds carry it, so the mutator starts past the 401. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/server/api.h"
#include "daemon/server/server.h"
#include "fuzz_util.h"

#ifndef VD_FUZZ_WWW
#error "VD_FUZZ_WWW (the web console's directory) must be defined"
#endif

static uv_loop_t loop;
static vd_runtime *rt;
static vd_server *srv;

static void fail(const char *what, const vd_error *err)
{
    fprintf(stderr, "fuzz_http: %s: %s\n", what, err->msg);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    vd_error err = {0};
    vd_config c;
    vd_config_init(&c);
    for (int i = 0; i < c.n_schemes; i++)
        free(c.schemes[i]);
    c.n_schemes = 0;
    uv_loop_init(&loop);
    int rc = vd_runtime_create(&rt, &loop, &c, vd_fuzz_dir(), &err);
    vd_config_free(&c); /* the runtime took its contents */
    if (rc)
        fail("runtime", &err);
    for (int i = 0; i < 1000 && !vd_runtime_ready(rt); i++)
        uv_run(&loop, UV_RUN_ONCE);
    vd_server_opts o = {.listen = "127.0.0.1:0", .token = "fuzz-token", .max_body = 1 << 20,
                        .sse_keepalive_ms = 5, .www_dir = VD_FUZZ_WWW};
    if (!vd_runtime_ready(rt) || vd_server_start(&srv, &loop, rt, &o, &err))
        fail("server", &err);
    return 0;
}

/* Write what is left of the input; 1 once all of it went. */
static int send_some(int fd, const uint8_t **p, size_t *n)
{
    while (*n) {
        ssize_t w = write(fd, *p, *n);
        if (w < 0)
            return errno != EAGAIN && errno != EINTR; /* EPIPE: the server hung up */
        *p += w, *n -= (size_t)w;
    }
    return 1;
}

/* Drain the answer; 1 when the server closed its end. With
 * VD_FUZZ_VERBOSE set, the status lines are printed. */
static int recv_some(int fd)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("VD_FUZZ_VERBOSE") != NULL;
    char buf[65536];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        for (ssize_t i = 0; verbose && r > 12 && i < r - 12; i++)
            if (!memcmp(buf + i, "HTTP/1.", 7) && (i == 0 || buf[i - 1] == '\n'))
                fprintf(stderr, "fuzz_http: %.12s\n", buf + i);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            return 1;
        if (r < 0)
            return 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
        abort();
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (MHD_add_connection(srv->mhd, sv[0], (struct sockaddr *)&peer, sizeof peer) != MHD_YES)
        abort();
    vd_api_kick(srv);
    int sent = 0, closed = 0;
    for (int turn = 0; turn < 400 && !closed; turn++) {
        if (!sent && (sent = send_some(sv[1], &data, &size)))
            shutdown(sv[1], SHUT_WR);
        uv_run(&loop, UV_RUN_NOWAIT);
        closed = recv_some(sv[1]);
        if (!closed)
            poll(&(struct pollfd){.fd = sv[1], .events = POLLIN}, 1, 1);
    }
    close(sv[1]);
    for (int turn = 0; turn < 4; turn++) /* let MHD see the hang-up and free the request */
        uv_run(&loop, UV_RUN_NOWAIT);
    return 0;
}
