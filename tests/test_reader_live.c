/* test_reader_live.c -- a live source that stops answering. A loopback HTTP
 * server thread (127.0.0.1, ephemeral port) sends the headers and part of
 * an MPEG-TS stream, then keeps the connection open in silence. The reader
 * must turn that into VD_ETIMEDOUT "no frames for N s" within the read
 * timeout, must give up opening a server that never answers, and must
 * return VD_ECLOSED when another thread interrupts a blocked read. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/reader.h"
#include "tests/support/clips.h"

typedef struct server {
    int listen_fd, port, stop[2];
    const unsigned char *data;
    size_t len;   /* bytes of the stream to send before going silent */
    int headers;  /* 0: accept and say nothing at all */
    pthread_t th;
} server;

static void *serve(void *arg)
{
    server *s = arg;
    int c = accept(s->listen_fd, NULL, NULL);
    if (c < 0)
        return NULL;
    char req[2048];
    ssize_t got = 0, k;
    while (got < (ssize_t)sizeof req - 1 && (k = read(c, req + got, sizeof req - 1 - got)) > 0) {
        got += k;
        req[got] = 0;
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    if (s->headers) {
        const char *h = "HTTP/1.0 200 OK\r\nContent-Type: video/MP2T\r\n\r\n";
        if (write(c, h, strlen(h)) < 0 || write(c, s->data, s->len) < 0)
            perror("server write");
    }
    struct pollfd p = {s->stop[0], POLLIN, 0};
    poll(&p, 1, 20000); /* silent, connection open, until the test ends */
    close(c);
    return NULL;
}

static void server_start(server *s, const char *clip_path, double frac, int headers)
{
    memset(s, 0, sizeof *s);
    if (clip_path) {
        FILE *f = fopen(clip_path, "rb");
        cr_assert(f);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        rewind(f);
        unsigned char *buf = malloc(size);
        cr_assert_eq(fread(buf, 1, size, f), (size_t)size);
        fclose(f);
        s->data = buf;
        s->len = (size_t)(size * frac) / 188 * 188;
    }
    s->headers = headers;
    cr_assert_eq(pipe(s->stop), 0);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    cr_assert_eq(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(s->listen_fd, 1), 0);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->th, NULL, serve, s);
}

static void server_stop(server *s)
{
    if (write(s->stop[1], "x", 1) < 0)
        perror("stop");
    shutdown(s->listen_fd, SHUT_RDWR);
    pthread_join(s->th, NULL);
    close(s->listen_fd);
    close(s->stop[0]), close(s->stop[1]);
    free((void *)s->data);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static char *ts_clip(void)
{
    vd_clip_spec s;
    char eb[256] = "";
    vd_clip_spec_init(&s);
    s.container = "mpegts";
    s.nframes = 100;
    char *p = vd_clip_get("plain.ts", &s, eb, sizeof eb);
    cr_assert(p, "%s", eb);
    return p;
}

static vd_reader *open_live(const server *s, double read_timeout, vd_error *err, int *ret)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/live.ts", s->port);
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.format = "mpegts";
    o.av_options = "analyzeduration=200000:probesize=32768";
    o.open_timeout = 1.0;
    o.read_timeout = read_timeout;
    vd_reader *r = NULL;
    *ret = vd_reader_open(&r, url, &o, err);
    return r;
}

Test(reader_live, silent_source_times_out_with_no_frames_for_n_s)
{
    char *p = ts_clip();
    server s;
    server_start(&s, p, 0.5, 1);
    vd_error err = {0};
    int ret;
    vd_reader *r = open_live(&s, 1.0, &err, &ret);
    cr_assert_eq(ret, 0, "open: %s", err.msg);
    vd_frame f;
    long n = 0;
    double t0 = now(); /* all the data is there at once; then 1 s of silence */
    while (!(ret = vd_reader_next(r, &f, &err)))
        n++;
    double waited = now() - t0;
    cr_assert_gt(n, 10, "the frames that did arrive must be delivered (%ld)", n);
    cr_assert_eq(ret, VD_ETIMEDOUT, "code %d: %s", ret, err.msg);
    cr_assert(strstr(err.msg, "no frames for 1 s") && strstr(err.msg, "127.0.0.1"), "%s", err.msg);
    cr_assert(waited >= 0.9 && waited < 3.0, "timed out after %.2f s, read_timeout 1 s", waited);
    vd_reader_close(&r);
    server_stop(&s);
    free(p);
}

Test(reader_live, server_that_never_answers_fails_open_in_time)
{
    server s;
    server_start(&s, NULL, 0, 0);
    vd_error err = {0};
    int ret;
    double t0 = now();
    vd_reader *r = open_live(&s, 1.0, &err, &ret);
    double took = now() - t0;
    cr_assert_null(r);
    cr_assert_eq(ret, VD_ETIMEDOUT, "code %d: %s", ret, err.msg);
    cr_assert(strstr(err.msg, "no answer within 1 s"), "%s", err.msg);
    cr_assert(took < 3.0, "open took %.2f s with open_timeout 1 s", took);
    server_stop(&s);
}

static void *interrupter(void *arg)
{
    usleep(800 * 1000);
    vd_reader_interrupt(arg);
    return NULL;
}

Test(reader_live, interrupt_from_another_thread_ends_a_blocked_read)
{
    char *p = ts_clip();
    server s;
    server_start(&s, p, 0.3, 1);
    vd_error err = {0};
    int ret;
    vd_reader *r = open_live(&s, 30.0, &err, &ret);
    cr_assert_eq(ret, 0, "open: %s", err.msg);
    pthread_t th;
    double t0 = now();
    pthread_create(&th, NULL, interrupter, r);
    vd_frame f;
    while (!(ret = vd_reader_next(r, &f, &err)))
        ;
    double took = now() - t0;
    pthread_join(th, NULL);
    cr_assert_eq(ret, VD_ECLOSED, "code %d: %s", ret, err.msg);
    cr_assert(took < 3.0, "interrupt took %.2f s", took);
    cr_assert_eq(vd_reader_next(r, &f, &err), VD_ECLOSED, "interruption is sticky");
    vd_reader_close(&r);
    server_stop(&s);
    free(p);
}
