/* config_source.c -- the `sources:` policy (which URLs a stream may read)
 * and URL redaction, for the config file and the API alike.
 *
 * Design: a local path is judged by where it really lands: realpath() of
 * its deepest existing ancestor plus the rest, with ".." refused in the
 * part that does not exist yet. So neither "..", nor a symlink inside a
 * media dir, nor /dev/../etc can reach outside the allowed directories,
 * and a file that does not exist yet (a recording to come) is still judged. */
#define _GNU_SOURCE
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char scheme_chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-";

/* The local path of a URL ("file:" stripped as FFmpeg's file protocol
 * does), NULL when it is not local. */
static const char *local_path(const char *url)
{
    size_t k = strspn(url, scheme_chars);
    if (url[0] == '/')
        return url;
    if (k == 4 && !strncasecmp(url, "file", 4) && url[4] == ':')
        return url + 5;
    if (k > 0 && url[k] == ':')
        return NULL;
    return url; /* relative path */
}

int vd_config_url_scheme(const char *url, char *out, size_t n)
{
    if (!url || !*url)
        return VD_EINVAL;
    const char *path = local_path(url);
    if (path) {
        snprintf(out, n, "%s", !strncmp(path, "/dev/", 5) ? "v4l2" : "file");
        return 0;
    }
    size_t k = strspn(url, scheme_chars);
    snprintf(out, n, "%.*s", (int)k, url);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return 0;
}

int vd_config_url_is_live(const char *url)
{
    char s[32];
    return !vd_config_url_scheme(url, s, sizeof s) && strcmp(s, "file") != 0;
}

/* realpath() of the deepest existing ancestor of an absolute path, plus the
 * components that do not exist yet (".." among them is refused). */
static int real_local(const char *path, char out[PATH_MAX], vd_error *err)
{
    char head[PATH_MAX];
    size_t cut = strlen(path);
    if (path[0] != '/')
        return vd_error_set(err, VD_EINVAL, "'%s' is not an absolute path", path);
    if (cut >= PATH_MAX)
        return vd_error_set(err, VD_EINVAL, "path too long");
    for (;;) {
        memcpy(head, path, cut);
        head[cut] = 0;
        if (realpath(head, out))
            break;
        if (errno != ENOENT && errno != ENOTDIR)
            return vd_error_set(err, VD_EINVAL, "'%s': %s", head, strerror(errno));
        while (cut > 1 && path[cut - 1] != '/')
            cut--;
        while (cut > 1 && path[cut - 1] == '/')
            cut--;
    }
    for (const char *p = path + cut; *p;) {
        p += strspn(p, "/");
        size_t len = strcspn(p, "/");
        if (len == 2 && !strncmp(p, "..", 2))
            return vd_error_set(err, VD_EINVAL, "'%s': '..' after a missing directory", path);
        if (len && !(len == 1 && *p == '.')) {
            size_t o = strlen(out);
            if (o + len + 2 > PATH_MAX)
                return vd_error_set(err, VD_EINVAL, "path too long");
            snprintf(out + o, PATH_MAX - o, "%s%.*s", out[o - 1] == '/' ? "" : "/", (int)len, p);
        }
        p += len;
    }
    return 0;
}

static int under(const char *real, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 1 && dir[0] == '/')
        return 1;
    return !strncmp(real, dir, n) && (real[n] == '/' || real[n] == 0);
}

static int scheme_listed(const vd_config *cfg, const char *scheme)
{
    for (int i = 0; i < cfg->n_schemes; i++)
        if (!strcmp(cfg->schemes[i], scheme))
            return 1;
    return 0;
}

/* A local file must lie under one of dirs (each realpath'ed when judged). */
static int check_dirs(char *const *dirs, int n, const char *real, vd_error *err)
{
    for (int i = 0; i < n; i++) {
        char dir[PATH_MAX];
        if (!real_local(dirs[i], dir, NULL) && under(real, dir))
            return 0;
    }
    if (!n)
        return vd_error_set(err, VD_EINVAL, "'%s' is a local file and sources.media_dirs is "
                            "empty", real);
    char list[512] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", dirs[i]);
    return vd_error_set(err, VD_EINVAL, "'%s' is outside sources.media_dirs (%s)", real, list);
}

/* The host (lower-cased, IPv6 without brackets) and port (defaulted by
 * scheme, "" when unknown) of scheme://[user@]host[:port]/...; 0 when url
 * names no host. */
static int url_authority(const char *url, char *host, size_t hn, char *port, size_t pn)
{
    static const struct { const char *scheme, *port; } ports[] = {
        {"http", "80"}, {"https", "443"}, {"rtsp", "554"}, {"rtsps", "322"}, {"rtmp", "1935"}};
    const char *sep = strstr(url, "://");
    if (!sep || (size_t)(sep - url) != strspn(url, scheme_chars))
        return 0;
    const char *h = sep + 3, *end = h + strcspn(h, "/?#");
    for (const char *p = h; p < end; p++)
        if (*p == '@')
            h = p + 1;
    const char *bracket = h[0] == '[' ? memchr(h, ']', (size_t)(end - h)) : NULL;
    const char *colon = memchr(bracket ? bracket : h, ':', (size_t)(end - (bracket ? bracket : h)));
    const char *hs = bracket ? h + 1 : h, *he = bracket ? bracket : colon ? colon : end;
    if (he <= hs || (size_t)(he - hs) >= hn)
        return 0;
    snprintf(host, hn, "%.*s", (int)(he - hs), hs);
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(port, pn, "%.*s", colon ? (int)(end - colon - 1) : 0, colon ? colon + 1 : "");
    for (size_t i = 0; !colon && i < sizeof ports / sizeof ports[0]; i++)
        if (strlen(ports[i].scheme) == (size_t)(sep - url) &&
            !strncasecmp(url, ports[i].scheme, (size_t)(sep - url)))
            snprintf(port, pn, "%s", ports[i].port);
    return 1;
}

/* "host:port", what nested URLs of a network source must name. */
static int url_origin(const char *url, char *out, size_t n)
{
    char host[256], port[16];
    if (!url_authority(url, host, sizeof host, port, sizeof port))
        return 0;
    return snprintf(out, n, "%s:%s", host, port) < (int)n;
}

/* A network URL's host must be in sources.hosts when any is listed. */
static int check_host(const vd_config *cfg, const char *url, const char *shown, vd_error *err)
{
    char host[256], port[16];
    if (!cfg->n_hosts)
        return 0;
    if (!url_authority(url, host, sizeof host, port, sizeof port))
        return vd_error_set(err, VD_EINVAL, "'%s': no host in the URL, and sources.hosts is set",
                            shown);
    for (int i = 0; i < cfg->n_hosts; i++)
        if (!strcmp(cfg->hosts[i], host))
            return 0;
    return vd_error_set(err, VD_EINVAL, "'%s': host '%s' is not in sources.hosts", shown, host);
}

int vd_config_source_allowed(const vd_config *cfg, const char *url, vd_error *err)
{
    char scheme[32], shown[1024], real[PATH_MAX];
    if (!url || vd_config_url_scheme(url, scheme, sizeof scheme))
        return vd_error_set(err, VD_EINVAL, "the URL is empty");
    vd_url_redact(url, shown, sizeof shown);
    const char *path = local_path(url);
    if (path) {
        int rc = real_local(path, real, err);
        if (rc)
            return rc;
        /* judge where it lands: /dev/../etc/passwd is a file, not a camera */
        snprintf(scheme, sizeof scheme, "%s", !strncmp(real, "/dev/", 5) ? "v4l2" : "file");
    }
    if (!scheme_listed(cfg, scheme))
        return vd_error_set(err, VD_EINVAL, "'%s': scheme '%s' is not in sources.schemes", shown,
                            scheme);
    if (!path)
        return check_host(cfg, url, shown, err);
    return !strcmp(scheme, "file") ? check_dirs(cfg->media_dirs, cfg->n_media_dirs, real, err)
                                   : 0;
}

int vd_config_default_media_dirs(vd_config *cfg, vd_error *err)
{
    for (int i = 0; i < cfg->n_streams; i++) {
        const char *path = local_path(cfg->streams[i].url);
        char real[PATH_MAX];
        if (!path || real_local(path, real, NULL) || !strncmp(real, "/dev/", 5))
            continue;
        *strrchr(real, '/') = 0;
        if (!*real)
            strcpy(real, "/");
        int seen = 0;
        for (int k = 0; k < cfg->n_media_dirs; k++)
            seen |= !strcmp(cfg->media_dirs[k], real);
        if (seen)
            continue;
        if (cfg->n_media_dirs == VD_CFG_MAX_DIRS)
            return vd_error_set(err, VD_ELIMIT, "file streams in more than %d directories: list "
                                "sources.media_dirs", VD_CFG_MAX_DIRS);
        if (!(cfg->media_dirs[cfg->n_media_dirs] = strdup(real)))
            return vd_error_set(err, VD_ENOMEM, "out of memory");
        cfg->n_media_dirs++;
    }
    return 0;
}

/* ---- what a stream's reader may open ---- */

/* The demuxers a file may need; concat is not among them, since FFmpeg
 * opens a concat list's entries without asking the guard. hls is, since
 * each segment it opens is checked against media_dirs. */
#define FILE_FORMATS                                                                          \
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,mpegvideo,m4v,flv,live_flv,asf,"   \
    "h264,hevc,mjpeg,mpjpeg,ogg,nut,mxf,ivf,yuv4mpegpipe,gif,image2,jpeg_pipe,png_pipe,aac,"  \
    "mp3,ac3,eac3,wav,webvtt,hls"

static const struct {
    const char *kind, *protocols, *formats;
} source_kinds[] = {
    {"file", "file", FILE_FORMATS},
    {"v4l2", "file", "video4linux2,v4l2"},
    {"rtsp", "rtsp,rtsps,rtp,srtp,udp,tcp,tls", "rtsp,asf"},
    {"rtsps", "rtsp,rtsps,rtp,srtp,udp,tcp,tls", "rtsp,asf"},
    {"http", "http,https,tcp,tls", FILE_FORMATS},
    {"https", "http,https,tcp,tls", FILE_FORMATS},
    {"rtmp", "rtmp,rtmps,tcp,tls", "flv,live_flv"},
    {"rtmps", "rtmp,rtmps,tcp,tls", "flv,live_flv"},
    {"udp", "udp,rtp", "mpegts,rtp,h264,hevc"},
    {"srt", "srt", "mpegts,h264,hevc"},
};

int vd_source_rules_init(vd_source_rules *r, const vd_config *cfg, const char *url,
                         vd_error *err)
{
    char kind[32];
    memset(r, 0, sizeof *r);
    if (vd_config_url_scheme(url, kind, sizeof kind))
        return vd_error_set(err, VD_EINVAL, "the URL is empty");
    for (size_t i = 0; i < sizeof source_kinds / sizeof source_kinds[0]; i++)
        if (!strcmp(source_kinds[i].kind, kind)) {
            r->protocols = source_kinds[i].protocols;
            r->formats = source_kinds[i].formats;
        }
    if (!r->protocols)
        return vd_error_set(err, VD_EINVAL, "no reading rules for sources of kind '%s'", kind);
    r->local = !strcmp(kind, "file") || !strcmp(kind, "v4l2");
    if (!r->local && !url_origin(url, r->origin, sizeof r->origin))
        return vd_error_set(err, VD_EINVAL, "'%s': no host in the URL", kind);
    for (int i = 0; i < cfg->n_media_dirs; i++) {
        if (!(r->dirs[i] = strdup(cfg->media_dirs[i]))) {
            vd_source_rules_free(r);
            return vd_error_set(err, VD_ENOMEM, "out of memory");
        }
        r->n_dirs++;
    }
    return 0;
}

static int allow_local(const vd_source_rules *r, const char *url, int depth, vd_error *err);

/* One entry of a playlist at real (a line or a URI="..." attribute),
 * resolved against the playlist's directory as FFmpeg does. */
static int allow_entry(const vd_source_rules *r, const char *real, const char *entry, size_t n,
                       int depth, vd_error *err)
{
    char url[PATH_MAX + 64];
    size_t k = strspn(entry, scheme_chars);
    int absolute = entry[0] == '/' || (k > 0 && k < n && entry[k] == ':');
    const char *slash = strrchr(real, '/');
    if (absolute)
        snprintf(url, sizeof url, "%.*s", (int)n, entry);
    else
        snprintf(url, sizeof url, "%.*s/%.*s", (int)(slash - real), real, (int)n, entry);
    return allow_local(r, url, depth + 1, err);
}

/* A local HLS playlist is read here before FFmpeg follows it: FFmpeg
 * refuses some entries by its own rules (an extension that is not a media
 * file's, such as file:///etc/passwd) with a bare "Invalid data", so the
 * guard names every entry that leaves media_dirs first. */
static int check_playlist(const vd_source_rules *r, const char *real, int depth, vd_error *err)
{
    enum { MAX = 1 << 20 }; /* a playlist is text; beyond, FFmpeg's own checks remain */
    FILE *f = fopen(real, "rb");
    char *buf = f ? malloc(MAX) : NULL;
    if (!buf) {
        if (f)
            fclose(f);
        return f ? vd_error_set(err, VD_ENOMEM, "out of memory") : 0; /* FFmpeg reports it */
    }
    size_t n = fread(buf, 1, MAX - 1, f);
    fclose(f);
    buf[n] = 0;
    int rc = 0;
    for (char *line = strncmp(buf, "#EXTM3U", 7) ? NULL : buf; line && !rc;) {
        char *end = line + strcspn(line, "\r\n"), *uri;
        char saved = *end;
        *end = 0;
        if (line[0] != '#' && line[0])
            rc = allow_entry(r, real, line, strlen(line), depth, err);
        else if (line[0] == '#' && (uri = strstr(line, "URI=\"")))
            rc = allow_entry(r, real, uri + 5, strcspn(uri + 5, "\""), depth, err);
        *end = saved;
        line = *end ? end + 1 : NULL;
    }
    free(buf);
    return rc;
}

static int allow_local(const vd_source_rules *r, const char *url, int depth, vd_error *err)
{
    char shown[1024], real[PATH_MAX];
    const char *path = local_path(url);
    vd_url_redact(url, shown, sizeof shown);
    if (!path)
        return vd_error_set(err, VD_EINVAL, "'%s': a local source may refer to local files "
                            "only", shown);
    int rc = real_local(path, real, err);
    if (!rc)
        rc = check_dirs(r->dirs, r->n_dirs, real, err);
    return !rc && depth < 2 ? check_playlist(r, real, depth, err) : rc;
}

int vd_source_rules_allow(void *rules, const char *url, vd_error *err)
{
    const vd_source_rules *r = rules;
    char shown[1024], origin[300];
    if (r->local)
        return allow_local(r, url, 0, err);
    vd_url_redact(url, shown, sizeof shown);
    if (!url_origin(url, origin, sizeof origin) || strcmp(origin, r->origin))
        return vd_error_set(err, VD_EINVAL, "'%s' is not on the source's own host (%s)", shown,
                            r->origin);
    return 0;
}

void vd_source_rules_free(vd_source_rules *r)
{
    for (int i = 0; i < r->n_dirs; i++)
        free(r->dirs[i]);
    r->n_dirs = 0;
}

/* Query parameters whose values are secrets (?user=admin&password=x). */
static int secret_param(const char *name, size_t len)
{
    static const char *const names[] = {"password", "passwd", "pass", "pwd", "token",
        "access_token", "api_key", "apikey", "key", "auth", "secret", "signature", NULL};
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && !strncasecmp(name, names[i], len))
            return 1;
    return 0;
}

void vd_url_redact(const char *url, char *out, size_t n)
{
    if (!n)
        return;
    const char *sep = url ? strstr(url, "://") : NULL;
    size_t o = 0, q = url ? strcspn(url, "?#") : 0;
    /* userinfo: up to the LAST '@' before the query, so an unescaped '@' or
     * '/' in a password over-redacts rather than leaks */
    const char *atsign = NULL;
    for (const char *p = sep ? sep + 3 : NULL; p && p < url + q; p++)
        if (*p == '@')
            atsign = p;
    const char *src = url ? url : "";
    for (const char *p = src; *p && o + 1 < n;) {
        if (atsign && p == sep + 3) {
            o += (size_t)snprintf(out + o, n - o, "***@");
            if (o >= n)
                break;
            p = atsign + 1;
            continue;
        }
        out[o++] = *p;
        if ((*p == '?' || *p == '&') && p >= src + q) {
            const char *name = p + 1;
            size_t len = strcspn(name, "=&#");
            if (name[len] == '=' && secret_param(name, len)) {
                o += (size_t)snprintf(out + o, n - o, "%.*s=***", (int)len, name);
                if (o >= n)
                    break;
                p = name + len + 1 + strcspn(name + len + 1, "&#");
                continue;
            }
        }
        p++;
    }
    out[o < n ? o : n - 1] = 0;
}
