/* static.c -- serving the console (see static.h). Everything is in memory
 * after vd_static_open, so a request costs a table lookup and one MHD
 * response over a buffer MHD does not copy. Headers: Content-Security-Policy
 * default-src 'self' (the console makes no external request, and API data
 * is never inserted as HTML), nosniff, and no-cache + a strong ETag, so a
 * browser revalidates cheaply and a new install is picked up at once. */
#include "static.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/reader.h" /* vd_md5_hex */

#define VD_STATIC_MAX 16

typedef struct vd_asset {
    char url[64];
    const char *type;
    void *body, *gz;
    size_t body_len, gz_len;
    char etag[40];
} vd_asset;

struct vd_static {
    vd_asset a[VD_STATIC_MAX];
    int n;
};

static const struct { const char *name, *type; } files[] = {
    {"index.html", "text/html; charset=utf-8"},
    {"console.js", "text/javascript; charset=utf-8"},
    {"console.css", "text/css; charset=utf-8"},
};

static int read_all(const char *path, void **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    int ok = buf && fread(buf, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (!ok) {
        free(buf);
        return -1;
    }
    *out = buf;
    *n = (size_t)len;
    return 1;
}

static void default_dir(char *dir, size_t n)
{
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k <= 0) {
        snprintf(dir, n, "/usr/local/share/visiond/www");
        return;
    }
    exe[k] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    snprintf(dir, n, "%s/../share/visiond/www", exe);
}

static int load_asset(vd_asset *a, const char *dir, const char *name, const char *type,
                      vd_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = read_all(path, &a->body, &a->body_len);
    if (rc <= 0)
        return rc < 0 ? vd_error_set(err, VD_EIO, "%s: cannot read: %s", path, strerror(errno)) : 0;
    snprintf(path, sizeof path, "%s/%s.gz", dir, name);
    if (read_all(path, &a->gz, &a->gz_len) < 0)
        return vd_error_set(err, VD_EIO, "%s: cannot read: %s", path, strerror(errno));
    char hex[33];
    vd_md5_hex(a->body, a->body_len, hex);
    snprintf(a->etag, sizeof a->etag, "\"%.16s\"", hex);
    snprintf(a->url, sizeof a->url, "/%s", name);
    a->type = type;
    return 1;
}

int vd_static_open(vd_static **out, const char *dir, vd_error *err)
{
    char def[PATH_MAX];
    if (!dir) {
        default_dir(def, sizeof def);
        dir = def;
    }
    vd_static *s = calloc(1, sizeof *s);
    if (!s)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int rc = load_asset(&s->a[s->n], dir, files[i].name, files[i].type, err);
        if (rc < 0) {
            vd_static_free(&s);
            return rc;
        }
        s->n += rc;
    }
    *out = s;
    return VD_OK;
}

void vd_static_free(vd_static **sp)
{
    vd_static *s = sp ? *sp : NULL;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        free(s->a[i].body);
        free(s->a[i].gz);
    }
    free(s);
    *sp = NULL;
}

int vd_static_count(const vd_static *s) { return s ? s->n : 0; }

static const vd_asset *find(const vd_static *s, const char *url)
{
    if (!strcmp(url, "/"))
        url = "/index.html";
    for (int i = 0; s && i < s->n; i++)
        if (!strcmp(s->a[i].url, url))
            return &s->a[i];
    return NULL;
}

static int accepts_gzip(struct MHD_Connection *c)
{
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    return ae && strstr(ae, "gzip");
}

static void add_headers(struct MHD_Response *r, const vd_asset *a)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' blob: data:; "
                            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

int vd_static_serve(const vd_static *s, struct MHD_Connection *c, const char *url)
{
    const vd_asset *a = find(s, url);
    if (!a)
        return 0;
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    int not_modified = inm && strstr(inm, a->etag);
    int gz = !not_modified && a->gz && accepts_gzip(c);
    struct MHD_Response *r =
        not_modified ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
        : MHD_create_response_from_buffer(gz ? a->gz_len : a->body_len, gz ? a->gz : a->body,
                                          MHD_RESPMEM_PERSISTENT);
    if (!r)
        return -1;
    add_headers(r, a);
    if (gz)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    int status = not_modified ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
    int ok = MHD_queue_response(c, (unsigned)status, r) == MHD_YES;
    MHD_destroy_response(r);
    return ok ? status : -1;
}
