/* reply.c -- how the API answers: JSON bodies, the one error shape, and
 * the parsers of query arguments that name what they refuse.
 *
 * Design: the stable error code of a body is derived from its HTTP status
 * in ONE table (status_codes below), so a code cannot drift from its
 * status; a runtime/store error becomes a status through vd_api_status_of,
 * also in one place. (When vision/core/error.h grows vd_err_name(), the
 * 500/503 rows can carry its names instead.) */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"

static const struct {
    unsigned status;
    const char *code;
} status_codes[] = {
    {400, "bad_request"},
    {401, "unauthorized"},
    {404, "not_found"},
    {405, "method_not_allowed"},
    {409, "conflict"},
    {413, "payload_too_large"},
    {415, "unsupported_media_type"},
    {429, "too_many_requests"},
    {500, "internal_error"},
    {503, "unavailable"},
};

const char *vd_api_code_name(unsigned status)
{
    for (size_t i = 0; i < sizeof status_codes / sizeof status_codes[0]; i++)
        if (status_codes[i].status == status)
            return status_codes[i].code;
    return status >= 500 ? "internal_error" : "bad_request";
}

unsigned vd_api_status_of(int vd_code)
{
    switch (vd_code) {
    case VD_EINVAL:
    case VD_EFORMAT:
    case VD_ERANGE:
        return 400;
    case VD_ENOTFOUND:
        return 404;
    case VD_ELIMIT:
        return 413;
    case VD_EUNSUPPORTED:
        return 415;
    case VD_ECLOSED:
    case VD_ETIMEDOUT:
        return 503;
    default:
        return 500;
    }
}

json_t *vd_api_error_body(unsigned status, const char *message)
{
    return json_pack("{s:{s:s,s:s}}", "error", "code", vd_api_code_name(status), "message",
                     message);
}

enum MHD_Result vd_api_queue(vd_req *r, unsigned status, struct MHD_Response *resp,
                             const char *content_type)
{
    if (!resp)
        return MHD_NO;
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (status == 401) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
        vd_api_auth_failed(r);
    }
    if (status == 429) {
        char s[24];
        snprintf(s, sizeof s, "%d", r->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, s);
    }
    if (status == 405)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

char *vd_api_dump(json_t *body, size_t *n)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(body);
    *n = text ? strlen(text) : 0;
    return text;
}

enum MHD_Result vd_api_reply_json(vd_req *r, unsigned status, json_t *body)
{
    size_t n;
    char *text = vd_api_dump(body, &n);
    if (!text)
        return MHD_NO;
    return vd_api_reply_bytes(r, status, "application/json", text, n);
}

enum MHD_Result vd_api_reply_bytes(vd_req *r, unsigned status, const char *content_type,
                                   void *data, size_t n)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(n, data, MHD_RESPMEM_MUST_FREE);
    return vd_api_queue(r, status, resp, content_type);
}

enum MHD_Result vd_api_reply_empty(vd_req *r, unsigned status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    return vd_api_queue(r, status, resp, NULL);
}

enum MHD_Result vd_api_error(vd_req *r, unsigned status, const char *fmt, ...)
{
    char msg[VD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *body;
    if (r->route && (r->route->flags & VD_ROUTE_DEEPSTACK))
        body = json_pack("{s:b,s:s,s:i}", "success", 0, "error", msg, "code", (int)status);
    else
        body = vd_api_error_body(status, msg);
    return vd_api_reply_json(r, status, body);
}

/* ---- query arguments ------------------------------------------------- */

const char *vd_api_arg(vd_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

int vd_api_arg_int(vd_req *r, const char *key, long lo, long hi, long *out, vd_error *err)
{
    const char *v = vd_api_arg(r, key);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi)
        return vd_error_set(err, VD_EINVAL, "%s: '%s' is not an integer in [%ld, %ld]", key, v,
                            lo, hi);
    *out = x;
    return 0;
}

int vd_api_arg_double(vd_req *r, const char *key, double lo, double hi, double *out,
                      vd_error *err)
{
    const char *v = vd_api_arg(r, key);
    if (!v)
        return 0;
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !isfinite(x) || x < lo || x > hi)
        return vd_error_set(err, VD_EINVAL, "%s: '%s' is not a number in [%g, %g]", key, v, lo,
                            hi);
    *out = x;
    return 0;
}

int vd_api_arg_bool(vd_req *r, const char *key, int *out, vd_error *err)
{
    const char *v = vd_api_arg(r, key);
    if (!v)
        return 0;
    if (!strcmp(v, "1") || !strcasecmp(v, "true"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcasecmp(v, "false"))
        *out = 0;
    else
        return vd_error_set(err, VD_EINVAL, "%s: '%s' is not a boolean (true, false, 1, 0)",
                            key, v);
    return 0;
}

/* "2026-12-06T07:00:00Z", with optional .fff and Z/+00:00. */
static int parse_iso(const char *v, double *out)
{
    struct tm tm = {0};
    const char *p = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    double frac = 0;
    if (*p == '.') {
        char *end;
        frac = strtod(p, &end);
        p = end;
    }
    if (strcmp(p, "Z") && strcmp(p, "+00:00") && *p)
        return -1;
    *out = (double)timegm(&tm) + frac;
    return 0;
}

int vd_api_arg_time(vd_req *r, const char *key, double *out, vd_error *err)
{
    const char *v = vd_api_arg(r, key);
    if (!v)
        return 0;
    char *end;
    double x = strtod(v, &end);
    if (*v && !*end && isfinite(x) && x >= 0) {
        *out = x;
        return 0;
    }
    if (parse_iso(v, out) == 0)
        return 0;
    return vd_error_set(err, VD_EINVAL,
                        "%s: '%s' is neither epoch seconds nor an ISO 8601 UTC time "
                        "(2026-12-06T07:00:00.000Z)",
                        key, v);
}

int vd_api_parse_id(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end || errno || x <= 0)
        return VD_EINVAL;
    *out = x;
    return 0;
}
