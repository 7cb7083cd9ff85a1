/* config.c -- the validator of visiond's configuration: the rules of every
 * key, written once against the vd_cfg_node tree (config_tree.c) so a YAML
 * file and an API body mean the same thing.
 *
 * Design: each section is one function that first rejects unknown keys
 * (check_keys) and then reads its members with typed readers (as_str,
 * as_int, ...) that leave the default in place when a key is absent or
 * null. Every error is "file:line: key.path: reason", built in one place
 * (fail), so the message format cannot drift between rules. */
#define _GNU_SOURCE
#include "config.h"
#include "config_tree.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATHN 256

/* ---- errors and paths --------------------------------------------------- */

__attribute__((format(printf, 4, 5)))
static int fail(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, const char *fmt, ...)
{
    char why[VD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (n && n->line > 0)
        return vd_error_set(c->err, VD_EINVAL, "%s:%d: %s: %s", c->file, n->line, path, why);
    return vd_error_set(c->err, VD_EINVAL, "%s: %s: %s", c->file, path, why);
}

static const char *join(char *buf, const char *path, const char *key)
{
    snprintf(buf, PATHN, "%s%s%s", path, *path ? "." : "", key);
    return buf;
}

static char *at(char *buf, const char *path, int i)
{
    snprintf(buf, PATHN, "%s[%d]", path, i);
    return buf;
}

static int absent(const vd_cfg_node *n)
{
    return !n || n->type == VD_CFGN_NULL;
}

/* n must be a map (or absent) whose keys are all in keys[]; duplicates are
 * refused too, YAML would otherwise keep the last one silently. */
static int check_keys(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                      const char *const keys[])
{
    char p[PATHN];
    if (absent(n))
        return 0;
    if (n->type != VD_CFGN_MAP)
        return fail(c, n, path, "expected a map");
    for (int i = 0; i < n->n; i++) {
        const vd_cfg_node *m = &n->kids[i];
        for (int j = 0; j < i; j++)
            if (!strcmp(n->kids[j].key, m->key))
                return fail(c, m, join(p, path, m->key), "duplicate key");
        if (!keys)
            continue;
        int k = 0;
        while (keys[k] && strcmp(keys[k], m->key))
            k++;
        if (keys[k])
            continue;
        char list[256] = "";
        for (k = 0; keys[k]; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                     keys[k]);
        return fail(c, m, join(p, path, m->key), "unknown key (expected one of: %s)", list);
    }
    return 0;
}

/* ---- typed readers: absent or null keeps *out ---------------------------- */

static int as_str(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, char **out)
{
    if (absent(n))
        return 0;
    if (n->type != VD_CFGN_SCALAR)
        return fail(c, n, path, "expected a string");
    char *s = strdup(n->text);
    if (!s)
        return vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    free(*out);
    *out = s;
    return 0;
}

static int as_bool(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, int *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "on", NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", "off", NULL};
    if (absent(n))
        return 0;
    for (int i = 0; n->type == VD_CFGN_SCALAR && !n->quoted && yes[i]; i++) {
        if (!strcmp(n->text, yes[i]))
            return *out = 1, 0;
        if (!strcmp(n->text, no[i]))
            return *out = 0, 0;
    }
    return fail(c, n, path, "expected true or false");
}

static int as_num(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, double lo, double hi,
                  double *out)
{
    if (absent(n))
        return 0;
    char *end = NULL;
    double v = n->type == VD_CFGN_SCALAR && !n->quoted ? strtod(n->text, &end) : NAN;
    if (!end || end == n->text || *end || !isfinite(v))
        return fail(c, n, path, "expected a number");
    if (v < lo || v > hi)
        return fail(c, n, path, "%g is not in [%g, %g]", v, lo, hi);
    *out = v;
    return 0;
}

static int as_int(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, int64_t lo, int64_t hi,
                  int64_t *out)
{
    if (absent(n))
        return 0;
    char *end = NULL;
    errno = 0;
    long long v = n->type == VD_CFGN_SCALAR && !n->quoted ? strtoll(n->text, &end, 10) : 0;
    if (!end || end == n->text || *end || errno)
        return fail(c, n, path, "expected an integer");
    if (v < lo || v > hi)
        return fail(c, n, path, "%lld is not in [%lld, %lld]", v, (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

static int as_int32(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, int lo, int hi,
                    int *out)
{
    int64_t v = *out;
    int rc = as_int(c, n, path, lo, hi, &v);
    *out = (int)v;
    return rc;
}

/* One of names[] (NULL-terminated); *out is its index + base. */
static int as_enum(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                   const char *const names[], int base, int *out)
{
    if (absent(n))
        return 0;
    for (int i = 0; n->type == VD_CFGN_SCALAR && names[i]; i++)
        if (!strcmp(n->text, names[i]))
            return *out = base + i, 0;
    char list[128] = "";
    for (int i = 0; names[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "|" : "", names[i]);
    return fail(c, n, path, "expected %s", list);
}

static int as_name(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, size_t max, char **out)
{
    if (absent(n))
        return fail(c, n, path, "is required");
    int rc = as_str(c, n, path, out);
    if (rc)
        return rc;
    size_t len = strlen(*out);
    int ok = len >= 1 && len <= max;
    for (size_t i = 0; ok && i < len; i++)
        ok = isalnum((unsigned char)(*out)[i]) || (*out)[i] == '_' || (*out)[i] == '-';
    if (!ok)
        return fail(c, n, path, "'%s' is not a name ([A-Za-z0-9_-], 1 to %zu characters)", *out,
                    max);
    return 0;
}

static int expect_list(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path)
{
    return n->type == VD_CFGN_LIST ? 0 : fail(c, n, path, "expected a list");
}

char *vd_cfg_dirname(const char *file)
{
    const char *slash = strrchr(file, '/');
    if (!slash)
        return strdup(".");
    if (slash == file)
        return strdup("/");
    return strndup(file, (size_t)(slash - file));
}

/* dir/rel unless rel is absolute; malloc'ed. */
static char *resolve(const char *dir, const char *rel)
{
    char *out = NULL;
    if (rel[0] == '/' || !dir)
        return strdup(rel);
    return asprintf(&out, "%s/%s", dir, rel) < 0 ? NULL : out;
}

/* Replace *s by resolve(dir, *s). */
static int resolve_in_place(vd_cfg_ctx *c, const char *dir, char **s)
{
    if (!*s)
        return 0;
    char *r = resolve(dir, *s);
    if (!r)
        return vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    free(*s);
    *s = r;
    return 0;
}

/* ---- stream entries ----------------------------------------------------- */

static int parse_detect(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                        const vd_config *cfg, vd_stream_config *s)
{
    static const char *const keys[] = {"model", "threshold", "classes", "enabled", NULL};
    char p[PATHN], q[PATHN];
    int rc = check_keys(c, n, path, keys);
    if (rc || absent(n))
        return rc;
    const vd_cfg_node *m = vd_cfg_get(n, "model");
    if ((rc = as_name(c, m, join(p, path, "model"), 63, &s->model)))
        return rc;
    if (!vd_config_model(cfg, s->model))
        return fail(c, m, p, "no model called '%s' in models:", s->model);
    double th = s->threshold;
    if ((rc = as_num(c, vd_cfg_get(n, "threshold"), join(p, path, "threshold"), 0, 1, &th)))
        return rc;
    s->threshold = (float)th;
    if ((rc = as_bool(c, vd_cfg_get(n, "enabled"), join(p, path, "enabled"), &s->detect_enabled)))
        return rc;
    const vd_cfg_node *cl = vd_cfg_get(n, "classes");
    if (absent(cl))
        return 0;
    if ((rc = expect_list(c, cl, join(p, path, "classes"))))
        return rc;
    if (!(s->classes = calloc((size_t)cl->n + 1, sizeof *s->classes)))
        return vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    for (int i = 0; i < cl->n; i++, s->n_classes++) {
        const vd_cfg_node *k = &cl->kids[i];
        if (absent(k) || (rc = as_str(c, k, at(q, p, i), &s->classes[i])))
            return rc ? rc : fail(c, k, at(q, p, i), "expected a class name");
        if (strlen(s->classes[i]) >= VD_DET_NAME_MAX)
            return fail(c, k, q, "longer than %d characters", VD_DET_NAME_MAX - 1);
    }
    return 0;
}

static int parse_motion(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                        vd_stream_config *s)
{
    static const char *const keys[] = {"gate", "detect", NULL};
    char p[PATHN];
    int rc = check_keys(c, n, path, keys);
    if (!rc)
        rc = as_bool(c, vd_cfg_get(n, "gate"), join(p, path, "gate"), &s->motion_gate);
    if (!rc)
        rc = as_bool(c, vd_cfg_get(n, "detect"), join(p, path, "detect"), &s->motion_detect);
    return rc;
}

/* reconnect: {min: S, max: S}, the backoff of a source that fails. */
static int parse_reconnect(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                           vd_stream_config *s)
{
    static const char *const keys[] = {"min", "max", NULL};
    char p[PATHN];
    int rc = check_keys(c, n, path, keys);
    if (!rc)
        rc = as_num(c, vd_cfg_get(n, "min"), join(p, path, "min"), 0.1, 3600, &s->reconnect_min);
    if (!rc)
        rc = as_num(c, vd_cfg_get(n, "max"), join(p, path, "max"), 0.1, 86400, &s->reconnect_max);
    if (!rc && s->reconnect_max < s->reconnect_min)
        rc = fail(c, n, path, "max (%g s) is below min (%g s)", s->reconnect_max,
                  s->reconnect_min);
    return rc;
}

/* A polygon of normalised points: [[x, y], ...], 3 to VD_ZONE_MAX_POINTS. */
static int parse_zone(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, vd_zone *z)
{
    char p[PATHN], q[PATHN];
    int rc = expect_list(c, n, path);
    if (rc)
        return rc;
    if (n->n < 3 || n->n > VD_ZONE_MAX_POINTS)
        return fail(c, n, path, "a zone needs 3 to %d points, not %d", VD_ZONE_MAX_POINTS, n->n);
    z->n = n->n;
    for (int i = 0; i < n->n; i++) {
        const vd_cfg_node *pt = &n->kids[i];
        at(p, path, i);
        if (pt->type != VD_CFGN_LIST || pt->n != 2)
            return fail(c, pt, p, "expected a point [x, y]");
        for (int k = 0; k < 2; k++) {
            double v = 0;
            if ((rc = as_num(c, &pt->kids[k], at(q, p, k), 0, 1, &v)))
                return rc;
            z->pts[i][k] = (float)v;
        }
    }
    return 0;
}

static int parse_zones(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                       vd_stream_config *s)
{
    char p[PATHN];
    int rc = check_keys(c, n, path, NULL);
    if (rc || absent(n))
        return rc;
    if (n->n > VD_DET_MAX_ZONES)
        return fail(c, n, path, "%d zones, at most %d", n->n, VD_DET_MAX_ZONES);
    if (n->n && !(s->zones = calloc((size_t)n->n, sizeof *s->zones)))
        return vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    for (int i = 0; i < n->n; i++, s->n_zones++) {
        const vd_cfg_node *z = &n->kids[i];
        join(p, path, z->key);
        char *name = NULL;
        vd_cfg_node key = {.type = VD_CFGN_SCALAR, .line = z->line, .text = z->key};
        rc = as_name(c, &key, p, VD_DET_NAME_MAX - 1, &name);
        if (!rc) {
            snprintf(s->zones[i].name, sizeof s->zones[i].name, "%s", name);
            rc = parse_zone(c, z, p, &s->zones[i]);
        }
        free(name);
        if (rc)
            return rc;
    }
    return 0;
}

/* Make a relative local path absolute (the daemon's cwd means nothing to
 * its users); "scheme:" URLs and /dev paths are kept as given. */
static int resolve_url(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                       const char *base_dir, char **url)
{
    size_t k = strspn(*url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    if (!**url)
        return fail(c, n, path, "is empty");
    if ((*url)[0] == '/' || (k > 0 && (*url)[k] == ':'))
        return 0;
    if (!base_dir)
        return fail(c, n, path, "'%s' is a relative path: give an absolute one", *url);
    return resolve_in_place(c, base_dir, url);
}

static int parse_stream_fields(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                               const vd_config *cfg, const char *base_dir, vd_stream_config *s)
{
    static const char *const keys[] = {"id", "url", "rtsp_transport", "timeout", "reconnect",
        "realtime", "backpressure", "loop", "fps", "detect", "motion", "track", "zones", NULL};
    static const char *const transports[] = {"tcp", "udp", NULL};
    static const char *const bp[] = {"drop", "block", NULL};
    char p[PATHN];
    int rc, transport = -1, bpv = s->backpressure, track = -1;
    if (absent(n) || n->type != VD_CFGN_MAP)
        return fail(c, n, path, "expected a map");
    if ((rc = check_keys(c, n, path, keys)) ||
        (rc = as_name(c, vd_cfg_get(n, "id"), join(p, path, "id"), VD_CFG_ID_MAX, &s->id)))
        return rc;
    const vd_cfg_node *u = vd_cfg_get(n, "url");
    if (absent(u))
        return fail(c, u ? u : n, join(p, path, "url"), "is required");
    if ((rc = as_str(c, u, join(p, path, "url"), &s->url)) ||
        (rc = resolve_url(c, u, p, base_dir, &s->url)))
        return rc;
    rc = as_enum(c, vd_cfg_get(n, "rtsp_transport"), join(p, path, "rtsp_transport"), transports,
                 0, &transport);
    if (!rc && transport >= 0 && !(s->rtsp_transport = strdup(transports[transport])))
        rc = VD_ENOMEM;
    if (!rc)
        rc = as_num(c, vd_cfg_get(n, "timeout"), join(p, path, "timeout"), 0.1, 3600, &s->timeout);
    if (!rc)
        rc = parse_reconnect(c, vd_cfg_get(n, "reconnect"), join(p, path, "reconnect"), s);
    if (!rc)
        rc = as_bool(c, vd_cfg_get(n, "realtime"), join(p, path, "realtime"), &s->realtime);
    if (!rc)
        rc = as_enum(c, vd_cfg_get(n, "backpressure"), join(p, path, "backpressure"), bp,
                     VD_BP_DROP, &bpv);
    s->backpressure = (vd_backpressure)bpv;
    if (!rc)
        rc = as_bool(c, vd_cfg_get(n, "loop"), join(p, path, "loop"), &s->loop);
    if (!rc)
        rc = as_num(c, vd_cfg_get(n, "fps"), join(p, path, "fps"), 0, 1000, &s->fps);
    if (!rc)
        rc = parse_detect(c, vd_cfg_get(n, "detect"), join(p, path, "detect"), cfg, s);
    if (!rc)
        rc = parse_motion(c, vd_cfg_get(n, "motion"), join(p, path, "motion"), s);
    if (!rc)
        rc = as_bool(c, vd_cfg_get(n, "track"), join(p, path, "track"), &track);
    if (!rc)
        rc = parse_zones(c, vd_cfg_get(n, "zones"), join(p, path, "zones"), s);
    s->track = track >= 0 ? track : s->model != NULL;
    return rc == VD_ENOMEM ? vd_error_set(c->err, rc, "%s: out of memory", c->file) : rc;
}

static void stream_defaults(vd_stream_config *s)
{
    memset(s, 0, sizeof *s);
    s->timeout = 10;
    s->reconnect_min = 1;
    s->reconnect_max = 60;
    s->fps = 5;
    s->threshold = -1;
    s->detect_enabled = 1;
}

int vd_cfg_parse_stream(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                        const vd_config *cfg, const char *base_dir, vd_stream_config *s)
{
    stream_defaults(s);
    int rc = parse_stream_fields(c, n, path, cfg, base_dir, s);
    if (rc)
        vd_stream_config_free(s);
    return rc;
}

/* ---- sections ------------------------------------------------------------ */

/* HOST:PORT with a numeric port 0..65535 ([v6]:port for IPv6). */
static int check_listen(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path, const char *v)
{
    const char *colon = strrchr(v, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == v || !end || end == colon + 1 || *end || port < 0 || port > 65535)
        return fail(c, n, path, "'%s' is not HOST:PORT", v);
    return 0;
}

static int parse_http(vd_cfg_ctx *c, const vd_cfg_node *n, const char *dir, vd_config *cfg)
{
    static const char *const keys[] = {"listen", "token_file", "max_body", "max_connections",
        "connection_timeout", "max_connections_per_address", "max_sse_clients",
        "max_auth_failures", "auth_window", NULL};
    static const struct {
        const char *key;
        int lo, hi;
        size_t off;
    } ints[] = {
        {"max_connections", 1, 65536, offsetof(vd_config, max_connections)},
        {"connection_timeout", 1, 3600, offsetof(vd_config, connection_timeout)},
        {"max_connections_per_address", 1, 65536, offsetof(vd_config, max_connections_per_address)},
        {"max_sse_clients", 1, 4096, offsetof(vd_config, max_sse_clients)},
        {"max_auth_failures", 1, 1000000, offsetof(vd_config, max_auth_failures)},
        {"auth_window", 1, 86400, offsetof(vd_config, auth_window)},
    };
    char p[PATHN];
    const vd_cfg_node *l = vd_cfg_get(n, "listen");
    int rc = check_keys(c, n, "http", keys);
    if (!rc)
        rc = as_str(c, l, "http.listen", &cfg->listen);
    if (!rc && !absent(l))
        rc = check_listen(c, l, "http.listen", cfg->listen);
    if (!rc)
        rc = as_str(c, vd_cfg_get(n, "token_file"), "http.token_file", &cfg->token_file);
    if (!rc)
        rc = resolve_in_place(c, dir, &cfg->token_file);
    if (!rc)
        rc = as_int(c, vd_cfg_get(n, "max_body"), "http.max_body", 1024, INT64_C(1) << 32,
                    &cfg->max_body);
    for (size_t i = 0; !rc && i < sizeof ints / sizeof ints[0]; i++)
        rc = as_int32(c, vd_cfg_get(n, ints[i].key), join(p, "http", ints[i].key), ints[i].lo,
                      ints[i].hi, (int *)((char *)cfg + ints[i].off));
    return rc;
}

static int parse_store(vd_cfg_ctx *c, const vd_cfg_node *n, const char *state_dir,
                       vd_config *cfg)
{
    static const char *const keys[] = {"path", "retention", NULL};
    static const char *const rkeys[] = {"days", "max_rows", NULL};
    const vd_cfg_node *r = vd_cfg_get(n, "retention");
    int rc = check_keys(c, n, "store", keys);
    if (!rc)
        rc = as_str(c, vd_cfg_get(n, "path"), "store.path", &cfg->store_path);
    if (!rc && !*cfg->store_path)
        rc = fail(c, vd_cfg_get(n, "path"), "store.path", "is empty");
    if (!rc)
        rc = check_keys(c, r, "store.retention", rkeys);
    if (!rc)
        rc = as_int32(c, vd_cfg_get(r, "days"), "store.retention.days", 0, 36500,
                      &cfg->retention_days);
    if (!rc)
        rc = as_int(c, vd_cfg_get(r, "max_rows"), "store.retention.max_rows", 0,
                    INT64_C(1) << 40, &cfg->retention_rows);
    if (!rc)
        rc = resolve_in_place(c, state_dir, &cfg->store_path);
    return rc;
}

static int parse_sources(vd_cfg_ctx *c, const vd_cfg_node *n, const char *dir, vd_config *cfg)
{
    static const char *const keys[] = {"schemes", "media_dirs", "hosts", NULL};
    static const char *const known[] = {"rtsp", "rtsps", "http", "https", "file", "v4l2",
                                        "rtmp", "rtmps", "udp", "srt", NULL};
    char p[PATHN];
    int rc = check_keys(c, n, "sources", keys);
    const vd_cfg_node *s = vd_cfg_get(n, "schemes"), *m = vd_cfg_get(n, "media_dirs");
    const vd_cfg_node *h = vd_cfg_get(n, "hosts");
    if (!rc && !absent(s) && !(rc = expect_list(c, s, "sources.schemes"))) {
        if (s->n > VD_CFG_MAX_SCHEMES)
            return fail(c, s, "sources.schemes", "at most %d schemes", VD_CFG_MAX_SCHEMES);
        for (int i = 0; i < cfg->n_schemes; i++)
            free(cfg->schemes[i]);
        cfg->n_schemes = 0;
        for (int i = 0; !rc && i < s->n; i++) {
            int k = 0;
            rc = as_enum(c, &s->kids[i], at(p, "sources.schemes", i), known, 0, &k);
            if (!rc && !(cfg->schemes[cfg->n_schemes++] = strdup(known[k])))
                rc = VD_ENOMEM;
        }
    }
    if (!rc && !absent(m) && !(rc = expect_list(c, m, "sources.media_dirs"))) {
        if (m->n > VD_CFG_MAX_DIRS)
            return fail(c, m, "sources.media_dirs", "at most %d directories", VD_CFG_MAX_DIRS);
        cfg->media_dirs_given = 1;
        for (int i = 0; !rc && i < m->n; i++) {
            char **d = &cfg->media_dirs[cfg->n_media_dirs++];
            rc = as_str(c, &m->kids[i], at(p, "sources.media_dirs", i), d);
            if (!rc && !*d)
                rc = fail(c, &m->kids[i], p, "expected a directory");
            if (!rc)
                rc = resolve_in_place(c, dir, d);
        }
    }
    if (!rc && !absent(h) && !(rc = expect_list(c, h, "sources.hosts"))) {
        if (h->n > VD_CFG_MAX_HOSTS)
            return fail(c, h, "sources.hosts", "at most %d hosts", VD_CFG_MAX_HOSTS);
        for (int i = 0; !rc && i < h->n; i++) {
            char **d = &cfg->hosts[cfg->n_hosts++];
            rc = as_str(c, &h->kids[i], at(p, "sources.hosts", i), d);
            if (!rc && (!*d || !**d || strpbrk(*d, "/@?# ")))
                rc = fail(c, &h->kids[i], p, "expected a host name or address");
            for (char *q = rc ? NULL : *d; q && *q; q++)
                *q = (char)tolower((unsigned char)*q);
        }
    }
    return rc == VD_ENOMEM ? vd_error_set(c->err, rc, "%s: out of memory", c->file) : rc;
}

static int parse_models(vd_cfg_ctx *c, const vd_cfg_node *n, const char *dir, vd_config *cfg)
{
    static const char *const keys[] = {"card", "threads", "max_batch", "max_wait_ms", NULL};
    char p[PATHN], q[PATHN];
    int rc = check_keys(c, n, "models", NULL);
    if (rc || absent(n))
        return rc;
    if (!(cfg->models = calloc((size_t)n->n, sizeof *cfg->models)))
        return vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    for (int i = 0; i < n->n && !rc; i++) {
        const vd_cfg_node *m = &n->kids[i];
        vd_model_config *mc = &cfg->models[cfg->n_models++];
        *mc = (vd_model_config){.threads = 1, .max_batch = 8, .max_wait_ms = 20};
        join(p, "models", m->key);
        vd_cfg_node key = {.type = VD_CFGN_SCALAR, .line = m->line, .text = m->key};
        rc = as_name(c, &key, p, 63, &mc->name);
        if (!rc && (absent(m) || m->type != VD_CFGN_MAP))
            rc = fail(c, m, p, "expected a map with a card");
        if (!rc)
            rc = check_keys(c, m, p, keys);
        if (!rc && absent(vd_cfg_get(m, "card")))
            rc = fail(c, m, join(q, p, "card"), "is required");
        if (!rc)
            rc = as_str(c, vd_cfg_get(m, "card"), join(q, p, "card"), &mc->card);
        if (!rc)
            rc = resolve_in_place(c, dir, &mc->card);
        if (!rc)
            rc = as_int32(c, vd_cfg_get(m, "threads"), join(q, p, "threads"), 1, 64, &mc->threads);
        if (!rc)
            rc = as_int32(c, vd_cfg_get(m, "max_batch"), join(q, p, "max_batch"), 1, 64,
                          &mc->max_batch);
        if (!rc)
            rc = as_int32(c, vd_cfg_get(m, "max_wait_ms"), join(q, p, "max_wait_ms"), 0, 10000,
                          &mc->max_wait_ms);
    }
    return rc;
}

static int parse_streams(vd_cfg_ctx *c, const vd_cfg_node *n, const char *dir, vd_config *cfg)
{
    char p[PATHN];
    if (absent(n))
        return 0;
    int rc = expect_list(c, n, "streams");
    if (rc)
        return rc;
    if (n->n && !(cfg->streams = calloc((size_t)n->n, sizeof *cfg->streams)))
        return vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    for (int i = 0; i < n->n; i++) {
        vd_stream_config *s = &cfg->streams[i];
        if ((rc = vd_cfg_parse_stream(c, &n->kids[i], at(p, "streams", i), cfg, dir, s)))
            return rc;
        cfg->n_streams++;
        for (int j = 0; j < i; j++)
            if (!strcmp(cfg->streams[j].id, s->id))
                return fail(c, vd_cfg_get(&n->kids[i], "id"), strcat(p, ".id"),
                            "'%s' is already the id of streams[%d]", s->id, j);
    }
    return 0;
}

/* The sources policy of every stream, once media_dirs has its default. */
static int check_stream_sources(vd_cfg_ctx *c, const vd_cfg_node *n, vd_config *cfg)
{
    char p[PATHN];
    int rc = cfg->media_dirs_given ? 0 : vd_config_default_media_dirs(cfg, c->err);
    for (int i = 0; !rc && i < cfg->n_streams; i++) {
        vd_error e = {0};
        if (vd_config_source_allowed(cfg, cfg->streams[i].url, &e))
            rc = fail(c, vd_cfg_get(&n->kids[i], "url"), strcat(at(p, "streams", i), ".url"),
                      "%s", e.msg);
    }
    return rc;
}

static int parse_root(vd_cfg_ctx *c, const vd_cfg_node *root, const char *state_dir,
                      vd_config *cfg)
{
    static const char *const keys[] = {"http", "store", "sources", "models", "deepstack_model",
                                       "streams", NULL};
    char *dir = vd_cfg_dirname(cfg->path);
    if (!dir)
        return vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    int rc = check_keys(c, root, "", keys);
    if (!rc)
        rc = parse_http(c, vd_cfg_get(root, "http"), dir, cfg);
    if (!rc)
        rc = parse_store(c, vd_cfg_get(root, "store"), state_dir, cfg);
    if (!rc)
        rc = parse_sources(c, vd_cfg_get(root, "sources"), dir, cfg);
    if (!rc)
        rc = parse_models(c, vd_cfg_get(root, "models"), dir, cfg);
    const vd_cfg_node *ds = vd_cfg_get(root, "deepstack_model");
    if (!rc)
        rc = as_str(c, ds, "deepstack_model", &cfg->deepstack_model);
    if (!rc && cfg->deepstack_model && !vd_config_model(cfg, cfg->deepstack_model))
        rc = fail(c, ds, "deepstack_model", "no model called '%s'", cfg->deepstack_model);
    if (!rc && !cfg->deepstack_model && cfg->n_models &&
        !(cfg->deepstack_model = strdup(cfg->models[0].name)))
        rc = vd_error_set(c->err, VD_ENOMEM, "%s: out of memory", c->file);
    if (!rc)
        rc = parse_streams(c, vd_cfg_get(root, "streams"), dir, cfg);
    if (!rc)
        rc = check_stream_sources(c, vd_cfg_get(root, "streams"), cfg);
    free(dir);
    return rc;
}

void vd_config_init(vd_config *c)
{
    static const char *const schemes[] = {"rtsp", "rtsps", "http", "https", "file", "v4l2"};
    memset(c, 0, sizeof *c);
    c->listen = strdup("127.0.0.1:8080");
    c->max_body = INT64_C(16) << 20;
    c->max_connections = 256;
    c->connection_timeout = 30;
    c->max_connections_per_address = 128;
    c->max_sse_clients = 32;
    c->max_auth_failures = 10;
    c->auth_window = 60;
    c->store_path = strdup("visiond.db");
    c->retention_days = 7;
    c->retention_rows = 1000000;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        c->schemes[c->n_schemes++] = strdup(schemes[i]);
}

int vd_config_load(vd_config *c, const char *file, const char *state_dir, vd_error *err)
{
    vd_config_init(c);
    vd_cfg_node root;
    int rc = vd_cfg_tree_yaml(&root, file, err);
    if (rc) {
        vd_config_free(c);
        return rc;
    }
    vd_cfg_ctx ctx = {.file = file, .err = err};
    if (!(c->path = strdup(file)))
        rc = vd_error_set(err, VD_ENOMEM, "%s: out of memory", file);
    if (!rc && !absent(&root) && root.type != VD_CFGN_MAP)
        rc = vd_error_set(err, VD_EINVAL, "%s:%d: expected a map of sections (http, store, "
                          "sources, models, streams)", file, root.line);
    if (!rc)
        rc = parse_root(&ctx, &root, state_dir, c);
    vd_cfg_tree_free(&root);
    if (rc)
        vd_config_free(c);
    return rc;
}

const vd_model_config *vd_config_model(const vd_config *c, const char *name)
{
    for (int i = 0; name && i < c->n_models; i++)
        if (!strcmp(c->models[i].name, name))
            return &c->models[i];
    return NULL;
}

void vd_config_free(vd_config *c)
{
    free(c->path);
    free(c->listen);
    free(c->token_file);
    free(c->store_path);
    for (int i = 0; i < c->n_schemes; i++)
        free(c->schemes[i]);
    for (int i = 0; i < c->n_media_dirs; i++)
        free(c->media_dirs[i]);
    for (int i = 0; i < c->n_hosts; i++)
        free(c->hosts[i]);
    for (int i = 0; i < c->n_models; i++) {
        free(c->models[i].name);
        free(c->models[i].card);
    }
    free(c->models);
    free(c->deepstack_model);
    for (int i = 0; i < c->n_streams; i++)
        vd_stream_config_free(&c->streams[i]);
    free(c->streams);
    memset(c, 0, sizeof *c);
}
