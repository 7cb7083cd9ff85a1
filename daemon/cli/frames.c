/* cli_frames.c -- `visiond frames`: decode, select and print frames as
 * JSON Lines, optionally with MD5s (= ffmpeg -f framemd5) and images.
 *
 * All selection semantics live in the reader; this file only parses flags,
 * prints, and decides the exit status: 2 for bad arguments, 1 when the
 * input fails or when frames were damaged (decode errors: the frames that
 * decoded are printed, a warning goes to stderr, and the exit is 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>

#include "args.h"
#include "cli.h"
#include "json_out.h"
#include "select.h"

typedef struct frames_args {
    const char *input, *out_dir;
    vd_media media;
    int md5, threads;
    vd_cli_select cs;
    vd_cli_source src;
} frames_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: visiond frames INPUT [options]\n"
            "  one JSON object per delivered frame: pts (s), key, width, height, pix_fmt\n"
            "  --stream video|audio  stream to decode (default video)\n"
            "%s"
            "  --md5              add the MD5 of the frame data (= ffmpeg -f framemd5)\n"
            "  --out DIR          write each frame as DIR/frame_NNNNNN.png\n"
            "  --threads N        decoder threads (0 = one per core, default)\n"
            "%s",
            vd_cli_select_usage(), vd_cli_source_usage());
}

/* One argument nobody else claimed; 0, or an exit status. */
static int parse_own(frames_args *a, vd_cli_args *c)
{
    const char *v;
    if (vd_cli_args_positional(c)) {
        if (a->input)
            return vd_cli_args_error(c, "more than one INPUT ('%s')", c->arg);
        a->input = c->arg;
    } else if (vd_cli_args_is(c, "--md5")) {
        a->md5 = 1;
        return vd_cli_args_switch(c);
    } else if (vd_cli_args_is(c, "--stream")) {
        if (!(v = vd_cli_args_value(c)))
            return VD_EXIT_USAGE;
        if (strcmp(v, "video") && strcmp(v, "audio"))
            return vd_cli_args_error(c, "--stream: '%s' is not video or audio", v);
        a->media = strcmp(v, "audio") ? VD_MEDIA_VIDEO : VD_MEDIA_AUDIO;
    } else if (vd_cli_args_is(c, "--out")) {
        return (a->out_dir = vd_cli_args_value(c)) ? 0 : VD_EXIT_USAGE;
    } else if (vd_cli_args_is(c, "--threads")) {
        return vd_cli_args_int(c, 0, 1024, &a->threads);
    } else {
        return vd_cli_args_unknown(c);
    }
    return 0;
}

/* Returns -1 to continue, else an exit status. */
static int parse_args(frames_args *a, int argc, char **argv)
{
    vd_error err = {0};
    vd_cli_args c;
    vd_cli_args_init(&c, "frames", argc, argv, 1);
    while (vd_cli_args_next(&c)) {
        if (vd_cli_args_help(&c))
            return usage(stdout), VD_EXIT_OK;
        int k = vd_cli_select_parse(&a->cs, argc, argv, &c.i, &err);
        if (k == 0)
            k = vd_cli_source_parse(&a->src, argc, argv, &c.i, &err);
        if (k < 0)
            return vd_cli_args_error(&c, "%s", err.msg);
        if (k == 0 && (k = parse_own(a, &c)))
            return k;
    }
    if (!a->input)
        return usage(stderr), VD_EXIT_USAGE;
    if (vd_cli_select_check(&a->cs, &err))
        return vd_cli_args_error(&c, "%s", err.msg);
    if (a->media == VD_MEDIA_AUDIO && (a->cs.conv.fmt != VD_PIX_NATIVE || a->out_dir))
        return vd_cli_args_error(&c, "--size/--pix-fmt/--out need a video stream");
    return -1;
}

/* Encode packed rgb24/gray pixels as a PNG file with libavcodec. */
static int write_png(const char *path, const uint8_t *px, int w, int h, int gray, vd_error *err)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
    AVFrame *fr = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int ret = !c || !fr || !pkt ? AVERROR(ENOMEM) : 0;
    if (!ret) {
        c->width = w, c->height = h, c->time_base = (AVRational){1, 25};
        c->pix_fmt = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24;
        fr->width = w, fr->height = h, fr->format = c->pix_fmt;
        fr->data[0] = (uint8_t *)px, fr->linesize[0] = gray ? w : 3 * w;
        ret = avcodec_open2(c, codec, NULL);
    }
    if (!ret)
        ret = avcodec_send_frame(c, fr);
    if (!ret)
        ret = avcodec_receive_packet(c, pkt);
    if (!ret) {
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(pkt->data, 1, pkt->size, f) != (size_t)pkt->size)
            ret = AVERROR(errno ? errno : EIO);
        if (f && fclose(f))
            ret = AVERROR(EIO);
    }
    av_packet_free(&pkt);
    av_frame_free(&fr);
    avcodec_free_context(&c);
    if (ret < 0) {
        char buf[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(ret, buf, sizeof buf);
        return vd_error_set(err, VD_EIO, "%s: cannot write image: %s", path, buf);
    }
    return 0;
}

typedef struct frames_run {
    frames_args *a;
    vd_reader *r;
    uint8_t *buf;     /* converted pixels (--pix-fmt/--size) */
    uint8_t *img;     /* rgb24 for --out when the output is not byte RGB/gray */
    size_t buf_size, img_size;
    int64_t n;
} frames_run;

static int grow(uint8_t **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    free(*p);
    *p = malloc(n);
    *cap = *p ? n : 0;
    return *p ? 0 : VD_ENOMEM;
}

static int save_image(frames_run *run, const vd_frame *f, char *path, size_t n, vd_error *err)
{
    const vd_convert *cv = &run->a->cs.conv;
    const uint8_t *px = run->buf;
    int gray = cv->fmt == VD_PIX_GRAY8;
    vd_convert rgb = {VD_PIX_RGB24, cv->width, cv->height};
    if (cv->fmt != VD_PIX_RGB24 && !gray) { /* native, bgr24, float: make rgb24 */
        if (grow(&run->img, &run->img_size, vd_convert_size(&rgb, f)))
            return vd_error_set(err, VD_ENOMEM, "out of memory");
        int ret = vd_reader_convert(run->r, f, &rgb, run->img, run->img_size, err);
        if (ret)
            return ret;
        px = run->img;
    }
    snprintf(path, n, "%s/frame_%06lld.png", run->a->out_dir, (long long)run->n);
    int w = cv->width ? cv->width : f->width, h = cv->height ? cv->height : f->height;
    return write_png(path, px, w, h, gray, err);
}

static int print_frame(frames_run *run, const vd_frame *f, vd_error *err)
{
    const vd_convert *cv = &run->a->cs.conv;
    char md5[33] = "", path[4096] = "";
    int ret = 0;
    if (cv->fmt != VD_PIX_NATIVE) {
        size_t need = vd_convert_size(cv, f);
        if (grow(&run->buf, &run->buf_size, need))
            return vd_error_set(err, VD_ENOMEM, "out of memory");
        if ((ret = vd_reader_convert(run->r, f, cv, run->buf, need, err)))
            return ret;
        if (run->a->md5)
            vd_md5_hex(run->buf, need, md5);
    } else if (run->a->md5 && (ret = vd_frame_md5(f, md5, err))) {
        return ret;
    }
    if (run->a->out_dir && (ret = save_image(run, f, path, sizeof path, err)))
        return ret;
    json_t *o = json_object();
    json_object_set_new(o, "pts", vd_cli_json_real(f->pts, 6));
    json_object_set_new(o, "key", json_boolean(f->key));
    if (f->index >= 0)
        json_object_set_new(o, "index", json_integer(f->index));
    if (f->type == VD_MEDIA_AUDIO) {
        json_object_set_new(o, "nb_samples", json_integer(f->nb_samples));
        json_object_set_new(o, "channels", json_integer(f->channels));
        json_object_set_new(o, "sample_rate", json_integer(f->sample_rate));
        json_object_set_new(o, "sample_fmt", json_string("flt"));
    } else {
        json_object_set_new(o, "width", json_integer(cv->width ? cv->width : f->width));
        json_object_set_new(o, "height", json_integer(cv->height ? cv->height : f->height));
        json_object_set_new(o, "pix_fmt", vd_cli_json_string(cv->fmt == VD_PIX_NATIVE
                                                                 ? f->pix_fmt
                                                                 : vd_pixfmt_name(cv->fmt)));
    }
    if (md5[0])
        json_object_set_new(o, "md5", json_string(md5));
    if (path[0])
        json_object_set_new(o, "file", vd_cli_json_string(path));
    if (f->corrupt)
        json_object_set_new(o, "corrupt", json_true());
    vd_cli_json_line(o, 0);
    run->n++;
    return 0;
}

static int run_frames(frames_args *a, vd_error *err)
{
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.media = a->media;
    o.threads = a->threads;
    vd_cli_source_apply(&a->src, &o);
    frames_run run = {.a = a};
    int ret = vd_reader_open(&run.r, a->input, &o, err);
    if (!ret)
        ret = vd_cli_select_apply(&a->cs, run.r, err);
    vd_frame f;
    while (!ret && !(ret = vd_reader_next(run.r, &f, err)))
        ret = print_frame(&run, &f, err);
    if (ret == VD_EOF)
        ret = 0;
    fflush(stdout);
    if (run.r) {
        vd_reader_stats st;
        vd_reader_stats_get(run.r, &st);
        if (st.decode_errors) {
            fprintf(stderr, "visiond frames: warning: %lld decode errors; last: %s\n",
                    (long long)st.decode_errors, st.last_error);
            if (!ret)
                ret = vd_error_set(err, VD_EFORMAT, "%s: damaged data (%lld decode errors)",
                                   a->input, (long long)st.decode_errors);
        }
    }
    vd_reader_close(&run.r);
    free(run.buf);
    free(run.img);
    return ret;
}

int vd_cli_frames(int argc, char **argv)
{
    frames_args a = {.media = VD_MEDIA_VIDEO};
    vd_cli_select_init(&a.cs);
    int status = parse_args(&a, argc, argv);
    if (status < 0 && a.out_dir && mkdir(a.out_dir, 0777) && errno != EEXIST) {
        fprintf(stderr, "visiond frames: --out %s: %s\n", a.out_dir, strerror(errno));
        status = VD_EXIT_INPUT;
    }
    if (status < 0) {
        vd_error err = {0};
        status = run_frames(&a, &err) ? VD_EXIT_INPUT : VD_EXIT_OK;
        if (status)
            fprintf(stderr, "visiond frames: %s\n", err.msg);
    }
    vd_cli_select_free(&a.cs);
    return status;
}
