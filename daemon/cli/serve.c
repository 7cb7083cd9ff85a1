/* serve.c -- `visiond serve`: the daemon. One libuv loop on the main
 * thread runs the runtime (daemon/runtime) and the HTTP API
 * (daemon/server); this file only wires them to the process: flags over
 * the config file, signals, and systemd's notify protocol.
 *
 * Threads: only the loop thread runs here. Signals arrive as uv_signal
 * callbacks on the loop, so a reload or a stop never races the API.
 *
 *   start           the API listens at once; the models load on libuv's
 *                   threadpool meanwhile (the API answers 503, health
 *                   "starting"), then the streams start and READY=1 goes
 *                   to systemd (vd_runtime_on_ready).
 *   SIGTERM/SIGINT  STOPPING=1, close the API, stop the streams (readers
 *                   end their tracks), drain the batches in flight, flush
 *                   the store, exit 0; a 9.5 s guard exits 1 if that hangs
 *                   (systemd's default stop timeout is 90 s, ours 10 s).
 *   SIGHUP          RELOADING=1, reload the file, apply the differences
 *                   (runtime: only changed streams restart), READY=1. An
 *                   invalid file is logged and the daemon runs on as it was.
 *   timers          STATUS= every 5 s; WATCHDOG=1 at half of WATCHDOG_USEC
 *                   from the loop itself, so a stuck loop is restarted;
 *                   stream state changes logged once a second. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cli.h"
#include "daemon/runtime/runtime.h"
#include "daemon/server/server.h"

#define MAX_WATCHED 256

typedef struct serve {
    const char *config, *listen, *state_dir;
    uv_loop_t loop;
    vd_runtime *rt;
    vd_server *srv;
    char *token;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t status, watchdog, states, guard;
    int stopping, exit_code;
    struct {
        char id[VD_STORE_ID_MAX];
        vd_stream_state state;
        int64_t damaged;      /* frames_damaged when last logged */
        double damage_logged; /* uv_now of that line, ms */
    } seen[MAX_WATCHED];
    int n_seen;
    int store_failing;        /* a write error was logged, no success since */
} serve;

static const char usage_text[] =
    "usage: visiond serve [--config FILE] [--listen HOST:PORT] [--state-dir DIR]\n"
    "\n"
    "Runs the daemon in the foreground: the streams and models of FILE, the\n"
    "HTTP API on HOST:PORT (port 0: any free port; the address is printed),\n"
    "the SQLite store under DIR. Flags override the file. Without a config\n"
    "there are no streams; the API can add some.\n"
    "  --config FILE      visiond.yaml (see config/visiond.yaml)\n"
    "  --listen HOST:PORT default: the file's http.listen, else 127.0.0.1:8080\n"
    "  --state-dir DIR    default: $STATE_DIRECTORY (systemd), else the current directory\n"
    "Signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads FILE.\n";

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "visiond: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int parse_args(serve *s, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            fputs(usage_text, stdout);
            return -1;
        }
        const char **dst = !strcmp(f, "--config")      ? &s->config
                           : !strcmp(f, "--listen")    ? &s->listen
                           : !strcmp(f, "--state-dir") ? &s->state_dir
                                                       : NULL;
        if (!dst) {
            say("serve: unknown option '%s' (see visiond serve --help)", f);
            return VD_EXIT_USAGE;
        }
        if (i + 1 >= argc || !argv[i + 1][0]) {
            say("serve: %s needs a value", f);
            return VD_EXIT_USAGE;
        }
        *dst = argv[++i];
    }
    if (!s->state_dir)
        s->state_dir = getenv("STATE_DIRECTORY") ? getenv("STATE_DIRECTORY") : ".";
    return 0;
}

/* The file, then the flags over it. */
static int load_config(serve *s, vd_config *c, vd_error *e)
{
    int rc = VD_OK;
    if (s->config)
        rc = vd_config_load(c, s->config, s->state_dir, e);
    else
        vd_config_init(c);
    if (!rc && s->listen) {
        free(c->listen);
        if (!(c->listen = strdup(s->listen)))
            rc = vd_error_set(e, VD_ENOMEM, "out of memory");
    }
    return rc;
}

/* The bearer token: the file's first line, without surrounding blanks. */
static int read_token(serve *s, const char *path, vd_error *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return vd_error_set(e, VD_ENOTFOUND, "%s: cannot read the token file: %s", path,
                            strerror(errno));
    char line[1024] = "";
    char *ok = fgets(line, sizeof line, f);
    fclose(f);
    char *p = line, *end;
    while (*p == ' ' || *p == '\t')
        p++;
    for (end = p + strlen(p); end > p && strchr(" \t\r\n", end[-1]); end--)
        ;
    *end = 0;
    if (!ok || !*p)
        return vd_error_set(e, VD_EINVAL, "%s: the token file is empty", path);
    s->token = strdup(p);
    return s->token ? VD_OK : vd_error_set(e, VD_ENOMEM, "out of memory");
}

/* ---- timers ---- */

static void notify_status(serve *s, const char *extra)
{
    char line[256];
    vd_runtime_status_line(s->rt, line, sizeof line);
    sd_notifyf(0, "%sSTATUS=%s", extra ? extra : "", line);
}

static void on_status(uv_timer_t *t) { notify_status(t->data, NULL); }

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

/* Damaged frames: the first at once, then at most one line a minute per
 * stream, so a camera that sends garbage all day does not flood the log. */
static void log_damage(serve *s, int k, const vd_stream_status *info)
{
    double now = (double)uv_now(&s->loop);
    if (info->frames_damaged <= s->seen[k].damaged ||
        (s->seen[k].damaged && now - s->seen[k].damage_logged < 60000))
        return;
    fprintf(stderr, "visiond: stream %s: %lld damaged frames (%lld new): %s\n", info->id,
            (long long)info->frames_damaged, (long long)(info->frames_damaged -
                                                        s->seen[k].damaged), info->last_damage);
    s->seen[k].damaged = info->frames_damaged;
    s->seen[k].damage_logged = now;
}

/* The store's write errors (disk full): one line when writing fails, one
 * when it works again; the retries in between are counted in /stats. */
static void log_store(serve *s)
{
    vd_store *store = vd_runtime_store(s->rt);
    if (!store)
        return; /* closed while stopping */
    vd_store_stats st;
    vd_store_stats_get(store, &st);
    if (!s->store_failing && st.last_error[0]) {
        say("store: cannot write: %s (rows are kept and retried every second)", st.last_error);
        s->store_failing = 1;
    } else if (s->store_failing && !st.last_error[0]) {
        say("store: writing again after %lld failed attempts", (long long)st.write_errors);
        s->store_failing = 0;
    }
}

/* Log each stream's state changes (the journal's view of reconnects). */
static void on_states(uv_timer_t *t)
{
    serve *s = t->data;
    if (s->rt)
        log_store(s);
    int n = vd_runtime_stream_count(s->rt);
    for (int i = 0; i < n; i++) {
        vd_stream_status info;
        if (vd_runtime_stream_at(s->rt, i, &info))
            continue;
        int k = 0;
        while (k < s->n_seen && strcmp(s->seen[k].id, info.id))
            k++;
        if (k == s->n_seen) {
            if (k == MAX_WATCHED)
                continue;
            snprintf(s->seen[k].id, sizeof s->seen[k].id, "%s", info.id);
            s->seen[k].state = VD_STREAM_STARTING;
            s->seen[k].damaged = 0;
            s->n_seen++;
        }
        log_damage(s, k, &info);
        if (s->seen[k].state == info.state)
            continue;
        fprintf(stderr, "visiond: stream %s: %s -> %s%s%s\n", info.id,
                vd_stream_state_name(s->seen[k].state), vd_stream_state_name(info.state),
                info.last_error[0] && info.state != VD_STREAM_RUNNING ? ": " : "",
                info.state != VD_STREAM_RUNNING ? info.last_error : "");
        s->seen[k].state = info.state;
    }
}

static void start_timers(serve *s)
{
    uv_timer_init(&s->loop, &s->status);
    uv_timer_init(&s->loop, &s->watchdog);
    uv_timer_init(&s->loop, &s->states);
    uv_timer_init(&s->loop, &s->guard);
    s->status.data = s->watchdog.data = s->states.data = s->guard.data = s;
    uv_timer_start(&s->status, on_status, 5000, 5000);
    uv_timer_start(&s->states, on_states, 1000, 1000);
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        uint64_t ms = usec / 2000 ? usec / 2000 : 1;
        uv_timer_start(&s->watchdog, on_watchdog, ms, ms);
    }
}

/* ---- stop and reload ---- */

static void close_cb(uv_handle_t *h) { (void)h; }

static void close_all(serve *s)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&s->sig_term, (uv_handle_t *)&s->sig_int,
                         (uv_handle_t *)&s->sig_hup,  (uv_handle_t *)&s->status,
                         (uv_handle_t *)&s->watchdog, (uv_handle_t *)&s->states,
                         (uv_handle_t *)&s->guard};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], close_cb);
}

static void on_stopped(vd_runtime *rt, void *ud)
{
    serve *s = ud;
    const char *lost = vd_runtime_stop_error(rt);
    if (*lost)
        say("stopped; %s", lost);
    else
        say("stopped");
    close_all(s);
}

static void on_guard(uv_timer_t *t)
{
    (void)t;
    say("stop: still draining after 9.5 s; exiting without a clean flush");
    _exit(VD_EXIT_INPUT);
}

static void stop(serve *s, const char *why)
{
    if (s->stopping)
        return;
    s->stopping = 1;
    say("%s: stopping", why);
    sd_notify(0, "STOPPING=1");
    uv_timer_start(&s->guard, on_guard, 9500, 0);
    uv_timer_stop(&s->status);
    vd_server_stop(&s->srv);
    vd_runtime_stop(s->rt, on_stopped, s);
}

static void reload(serve *s)
{
    vd_config c;
    vd_error e;
    vd_error_clear(&e);
    sd_notify(0, "RELOADING=1");
    int rc = load_config(s, &c, &e);
    if (rc)
        say("SIGHUP: %s; keeping the running config", e.msg);
    else if ((rc = vd_runtime_reload(s->rt, &c, &e)))
        say("SIGHUP: reload: %s", e.msg);
    else
        say("SIGHUP: reloaded %s", s->config ? s->config : "(no config file)");
    vd_config_free(&c);
    if (vd_runtime_ready(s->rt)) /* else on_ready says it once the start is done */
        notify_status(s, "READY=1\n");
}

static void on_signal(uv_signal_t *h, int signum)
{
    serve *s = h->data;
    if (signum == SIGHUP && !s->stopping)
        reload(s);
    else if (signum != SIGHUP)
        stop(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void start_signals(serve *s)
{
    uv_signal_t *hs[] = {&s->sig_term, &s->sig_int, &s->sig_hup};
    int nums[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        uv_signal_init(&s->loop, hs[i]);
        hs[i]->data = s;
        uv_signal_start(hs[i], on_signal, nums[i]);
    }
}

/* ---- main ---- */

/* The runtime finished starting (models loaded on the threadpool, streams
 * started): READY=1 for systemd, or the error that stopped it. */
static void on_ready(vd_runtime *rt, int rc, const vd_error *err, void *ud)
{
    serve *s = ud;
    if (rc) {
        say("%s", err->msg);
        s->exit_code = VD_EXIT_INPUT;
        stop(s, "start failed");
        return;
    }
    say("ready: %d streams, %d models", vd_runtime_stream_count(rt), vd_runtime_model_count(rt));
    notify_status(s, "READY=1\n");
}

static int start(serve *s, vd_error *e)
{
    vd_config c;
    int rc = load_config(s, &c, e);
    if (!rc && c.token_file)
        rc = read_token(s, c.token_file, e);
    if (rc) {
        vd_config_free(&c);
        return rc;
    }
    if (mkdir(s->state_dir, 0750) && errno != EEXIST) {
        vd_config_free(&c);
        return vd_error_set(e, VD_EIO, "%s: cannot create the state directory: %s", s->state_dir,
                            strerror(errno));
    }
    rc = vd_runtime_create(&s->rt, &s->loop, &c, s->state_dir, e);
    vd_config_free(&c);
    if (rc)
        return rc;
    const vd_config *cfg = vd_runtime_config(s->rt);
    vd_server_opts so = {.listen = cfg->listen, .token = s->token, .max_body = cfg->max_body,
                         .max_connections = cfg->max_connections,
                         .connection_timeout = cfg->connection_timeout,
                         .max_connections_per_address = cfg->max_connections_per_address,
                         .max_sse_clients = cfg->max_sse_clients,
                         .max_auth_failures = cfg->max_auth_failures,
                         .auth_window = cfg->auth_window};
    if ((rc = vd_server_start(&s->srv, &s->loop, s->rt, &so, e)))
        return rc;
    vd_runtime_on_ready(s->rt, on_ready, s);
    const char *host = cfg->listen ? cfg->listen : "127.0.0.1:8080";
    const char *colon = strrchr(host, ':');
    fprintf(stderr, "visiond: listening on http://%.*s:%d/ (%d streams, %d models loading, "
            "state in %s)\n", colon ? (int)(colon - host) : (int)strlen(host), host,
            vd_server_port(s->srv), cfg->n_streams, cfg->n_models, s->state_dir);
    return VD_OK;
}

int vd_cli_serve(int argc, char **argv)
{
    serve s;
    memset(&s, 0, sizeof s);
    int rc = parse_args(&s, argc, argv);
    if (rc)
        return rc < 0 ? VD_EXIT_OK : rc;
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit (LimitFSIZE=) makes a write fail (EFBIG), which the
     * store retries like a full disk, instead of killing the daemon */
    signal(SIGXFSZ, SIG_IGN);
    uv_loop_init(&s.loop);
    start_signals(&s);
    start_timers(&s);
    vd_error e;
    vd_error_clear(&e);
    if ((rc = start(&s, &e))) {
        say("%s", e.msg);
        s.exit_code = VD_EXIT_INPUT;
        if (s.rt)
            stop(&s, "start failed");
        else
            close_all(&s);
    }
    uv_run(&s.loop, UV_RUN_DEFAULT);
    vd_runtime_free(&s.rt);
    uv_loop_close(&s.loop);
    free(s.token);
    return s.exit_code;
}
