/* cli_probe.c -- `visiond probe INPUT`: the reader's metadata as JSON.
 *
 * Everything printed comes from vd_reader_format_info/stream_info, so probe
 * shows exactly what the library reports. Unknown numbers print as null
 * rather than 0 or NaN, so a script can tell "unknown" from "zero". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "select.h"
#include "pipeline/reader.h"

static json_t *num_or_null(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

static json_t *stream_json(const vd_stream_info *s)
{
    static const char *const types[] = {"video", "audio", "other"};
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(s->index));
    json_object_set_new(o, "type", json_string(types[s->type]));
    json_object_set_new(o, "codec", json_string(s->codec));
    json_object_set_new(o, "time_base", json_sprintf("%d/%d", s->tb_num, s->tb_den));
    json_object_set_new(o, "start_time", num_or_null(s->start_time));
    json_object_set_new(o, "duration", num_or_null(s->duration));
    json_object_set_new(o, "nb_frames", s->nb_frames ? json_integer(s->nb_frames) : json_null());
    json_object_set_new(o, "bit_rate", s->bit_rate ? json_integer(s->bit_rate) : json_null());
    if (s->type == VD_MEDIA_VIDEO) {
        json_object_set_new(o, "width", json_integer(s->width));
        json_object_set_new(o, "height", json_integer(s->height));
        json_object_set_new(o, "pix_fmt", json_string(s->pix_fmt));
        json_object_set_new(o, "avg_frame_rate", s->avg_fps ? json_real(s->avg_fps) : json_null());
        json_object_set_new(o, "real_frame_rate",
                            s->real_fps ? json_real(s->real_fps) : json_null());
    } else if (s->type == VD_MEDIA_AUDIO) {
        json_object_set_new(o, "sample_rate", json_integer(s->sample_rate));
        json_object_set_new(o, "channels", json_integer(s->channels));
        json_object_set_new(o, "sample_fmt", json_string(s->sample_fmt));
    }
    return o;
}

static int probe_print(vd_reader *r, const char *url, vd_error *err)
{
    vd_format_info fi;
    vd_reader_format_info(r, &fi);
    json_t *root = json_object(), *streams = json_array();
    json_object_set_new(root, "input", json_string(url));
    json_object_set_new(root, "format", json_string(fi.format));
    json_object_set_new(root, "duration", num_or_null(fi.duration));
    json_object_set_new(root, "start_time", num_or_null(fi.start_time));
    json_object_set_new(root, "bit_rate", fi.bit_rate ? json_integer(fi.bit_rate) : json_null());
    for (int i = 0; i < fi.nb_streams; i++) {
        vd_stream_info si;
        if (vd_reader_stream_info(r, i, &si, err)) {
            json_decref(root);
            json_decref(streams);
            return 1;
        }
        json_array_append_new(streams, stream_json(&si));
    }
    json_object_set_new(root, "streams", streams);
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    fputc('\n', stdout);
    json_decref(root);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: visiond probe INPUT [options]\n"
               "  print container and stream metadata as JSON\n%s",
            vd_cli_source_usage());
}

/* INPUT into *input and the source flags into src; -1 to go on, else an
 * exit status. */
static int parse_args(int argc, char **argv, const char **input, vd_cli_source *src)
{
    vd_error err = {0};
    vd_cli_args c;
    vd_cli_args_init(&c, "probe", argc, argv, 1);
    while (vd_cli_args_next(&c)) {
        if (vd_cli_args_help(&c))
            return usage(stdout), VD_EXIT_OK;
        int k = vd_cli_source_parse(src, argc, argv, &c.i, &err);
        if (k < 0)
            return vd_cli_args_error(&c, "%s", err.msg);
        if (k > 0)
            continue;
        if (!vd_cli_args_positional(&c))
            return vd_cli_args_unknown(&c);
        if (*input)
            return vd_cli_args_error(&c, "more than one INPUT ('%s')", c.arg);
        *input = c.arg;
    }
    return *input ? -1 : (usage(stderr), VD_EXIT_USAGE);
}

int vd_cli_probe(int argc, char **argv)
{
    const char *input = NULL;
    vd_cli_source src = {0};
    int st = parse_args(argc, argv, &input, &src);
    if (st >= 0)
        return st;
    vd_error err = {0};
    vd_reader *r = NULL;
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    vd_cli_source_apply(&src, &o);
    /* Probe any input, even one without video: fall back to audio. */
    int ret = vd_reader_open(&r, input, &o, &err);
    if (ret == VD_ENOTFOUND && strstr(err.msg, "no video stream")) {
        o.media = VD_MEDIA_AUDIO;
        ret = vd_reader_open(&r, input, &o, &err);
    }
    if (!ret)
        ret = probe_print(r, input, &err);
    vd_reader_close(&r);
    if (ret) {
        fprintf(stderr, "visiond probe: %s\n", err.msg);
        return VD_EXIT_INPUT;
    }
    return VD_EXIT_OK;
}
