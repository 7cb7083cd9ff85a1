/* cli_select.c -- parsing of the shared selection/conversion flags.
 * See cli_select.h. Values are parsed strictly (the whole string must be a
 * number) so "--step 3x" is a usage error, not step 3. */
#include "select.h"

#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vd_cli_select_init(vd_cli_select *c)
{
    memset(c, 0, sizeof *c);
    vd_reader_select_init(&c->sel);
    c->conv.fmt = VD_PIX_NATIVE;
}

void vd_cli_select_free(vd_cli_select *c)
{
    free(c->indices);
    c->indices = NULL;
    c->nindices = 0;
}

static int parse_indices(vd_cli_select *c, const char *v, vd_error *err)
{
    size_t n = 1;
    for (const char *p = v; *p; p++)
        n += *p == ',';
    int64_t *ix = malloc(n * sizeof *ix);
    char *copy = strdup(v);
    if (!ix || !copy) {
        free(ix), free(copy);
        return vd_error_set(err, VD_ENOMEM, "--indices: out of memory");
    }
    size_t k = 0;
    int ret = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
        ret = vd_cli_args_to_i64("--indices", tok, &ix[k], err);
        if (!ret && ix[k] < 0)
            ret = vd_error_set(err, VD_EINVAL, "--indices: %lld is negative", (long long)ix[k]);
        k++;
    }
    free(copy);
    if (!ret && k == 0)
        ret = vd_error_set(err, VD_EINVAL, "--indices: empty list");
    if (ret) {
        free(ix);
        return ret;
    }
    free(c->indices);
    c->indices = ix;
    c->nindices = k;
    return 0;
}

static int parse_size(vd_cli_select *c, const char *v, vd_error *err)
{
    int w, h;
    char tail;
    if (sscanf(v, "%dx%d%c", &w, &h, &tail) != 2 || w <= 0 || h <= 0 || w > 16384 || h > 16384)
        return vd_error_set(err, VD_EINVAL, "--size: '%s' is not WxH (1..16384)", v);
    c->conv.width = w;
    c->conv.height = h;
    c->size_set = 1;
    return 0;
}

int vd_cli_select_parse(vd_cli_select *c, int argc, char **argv, int *i, vd_error *err)
{
    static const char *const valued[] = {"--start", "--end", "--count", "--step", "--fps",
                                         "--indices", "--size", "--pix-fmt"};
    char name[32];
    int eq;
    const char *v = vd_cli_args_split(argc, argv, *i, name, sizeof name, &eq);
    if (!strcmp(name, "--keyframes")) {
        if (eq)
            return vd_error_set(err, VD_EINVAL, "--keyframes takes no value");
        c->sel.keyframes = 1;
        c->range_set = 1;
        return 1;
    }
    size_t k = 0;
    while (k < sizeof valued / sizeof *valued && strcmp(name, valued[k]))
        k++;
    if (k == sizeof valued / sizeof *valued)
        return 0;
    if (!v)
        return vd_error_set(err, VD_EINVAL, "%s needs a value", name);
    if (!eq)
        (*i)++;
    int ret;
    switch (k) {
    case 0: ret = vd_cli_args_to_double(name, v, &c->sel.start, err); break;
    case 1: ret = vd_cli_args_to_double(name, v, &c->sel.end, err); break;
    case 2: ret = vd_cli_args_to_i64(name, v, &c->sel.count, err); break;
    case 3: ret = vd_cli_args_to_i64(name, v, &c->sel.step, err); break;
    case 4: ret = vd_cli_args_to_double(name, v, &c->sel.fps, err); break;
    case 5: return parse_indices(c, v, err) ? VD_EINVAL : 1;
    case 6: return parse_size(c, v, err) ? VD_EINVAL : 1;
    default:
        c->pixfmt_set = 1;
        return vd_pixfmt_parse(v, &c->conv.fmt, err) ? VD_EINVAL : 1;
    }
    if (ret)
        return ret;
    if (k == 4 && c->sel.fps <= 0)
        return vd_error_set(err, VD_EINVAL, "--fps: %s must be > 0", v);
    c->range_set = 1;
    return 1;
}

int vd_cli_select_check(vd_cli_select *c, vd_error *err)
{
    if (c->indices && c->range_set)
        return vd_error_set(err, VD_EINVAL,
                            "--indices cannot be combined with --start/--end/--count/--step/"
                            "--fps/--keyframes");
    if (c->size_set && !c->pixfmt_set)
        c->conv.fmt = VD_PIX_RGB24;
    if (c->size_set && c->conv.fmt == VD_PIX_NATIVE)
        return vd_error_set(err, VD_EINVAL, "--size needs a converted --pix-fmt, not native");
    return vd_reader_select_check(&c->sel, err);
}

int vd_cli_select_apply(const vd_cli_select *c, vd_reader *r, vd_error *err)
{
    if (c->indices)
        return vd_reader_get(r, c->indices, c->nindices, err);
    return vd_reader_select_set(r, &c->sel, err);
}

const char *vd_cli_select_usage(void)
{
    return "  --start SEC        first frame with pts >= SEC\n"
           "  --end SEC          stop before the first frame with pts >= SEC\n"
           "  --count N          stop after N delivered frames\n"
           "  --step K           keep the 1st, (K+1)-th, ... frame of the range\n"
           "  --fps F            first frame at or after each tick t0 + n/F\n"
           "  --keyframes        key frames only (only they are decoded)\n"
           "  --indices I,J,...  frames by index (presentation order), in this order\n"
           "  --size WxH         scale (implies --pix-fmt rgb24)\n"
           "  --pix-fmt FMT      native (default), rgb24, bgr24, gray, rgba, rgbf32\n";
}

int vd_cli_source_parse(vd_cli_source *s, int argc, char **argv, int *i, vd_error *err)
{
    char name[32];
    int eq;
    const char *v = vd_cli_args_split(argc, argv, *i, name, sizeof name, &eq);
    int timeout = !strcmp(name, "--timeout");
    if (!timeout && strcmp(name, "--rtsp-transport"))
        return 0;
    if (!v)
        return vd_error_set(err, VD_EINVAL, "%s needs a value", name);
    if (!eq)
        (*i)++;
    if (!timeout) {
        if (strcmp(v, "tcp") && strcmp(v, "udp"))
            return vd_error_set(err, VD_EINVAL, "--rtsp-transport: '%s' is not tcp or udp", v);
        s->rtsp_transport = v;
        return 1;
    }
    if (vd_cli_args_to_double(name, v, &s->timeout, err))
        return VD_EINVAL;
    if (!(s->timeout > 0))
        return vd_error_set(err, VD_EINVAL, "--timeout: '%s' is not > 0", v);
    return 1;
}

void vd_cli_source_apply(const vd_cli_source *s, vd_reader_opts *o)
{
    if (s->timeout > 0)
        o->open_timeout = o->read_timeout = s->timeout;
    if (s->rtsp_transport)
        o->rtsp_transport = s->rtsp_transport;
}

const char *vd_cli_source_usage(void)
{
    return "  --timeout SEC      open/read timeout for live sources (default 10)\n"
           "  --rtsp-transport tcp|udp\n";
}
