/* clips.c -- generating test videos with libavcodec encoders and reading
 * the ffmpeg CLI's framemd5 reference. See clips.h.
 *
 * The picture is a moving diagonal gradient with a frame-number-dependent
 * block, so every frame differs and the encoders produce real P/B frames. */
#include "clips.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

void vd_clip_spec_init(vd_clip_spec *s)
{
    memset(s, 0, sizeof *s);
    s->container = "mp4";
    s->vcodec = "libx264";
    s->width = 320;
    s->height = 240;
    s->fps = 25;
    s->nframes = 75;
    s->gop = 25;
    s->sample_rate = 48000;
    s->channels = 2;
}

typedef struct enc {
    AVFormatContext *oc;
    AVCodecContext *vc, *ac;
    AVStream *vs, *as;
    AVFrame *fr;
    AVPacket *pkt;
    int64_t apts; /* samples written */
} enc;

#define FAIL(...) (snprintf(eb, n, __VA_ARGS__), -1)

static int drain(enc *e, AVCodecContext *c, AVStream *st, int flush)
{
    int ret = avcodec_send_frame(c, flush ? NULL : e->fr);
    if (ret < 0)
        return ret;
    while ((ret = avcodec_receive_packet(c, e->pkt)) >= 0) {
        av_packet_rescale_ts(e->pkt, c->time_base, st->time_base);
        e->pkt->stream_index = st->index;
        if ((ret = av_interleaved_write_frame(e->oc, e->pkt)) < 0)
            return ret;
    }
    return ret == AVERROR(EAGAIN) || ret == AVERROR_EOF ? 0 : ret;
}

static int add_video(enc *e, const vd_clip_spec *s, char *eb, size_t n)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(s->vcodec);
    if (!codec)
        return FAIL("no encoder %s", s->vcodec);
    e->vs = avformat_new_stream(e->oc, NULL);
    AVCodecContext *c = e->vc = avcodec_alloc_context3(codec);
    c->width = s->width;
    c->height = s->height;
    c->time_base = s->vfr ? (AVRational){1, 1000} : (AVRational){1, s->fps};
    c->framerate = (AVRational){s->fps, 1};
    c->gop_size = s->gop;
    c->max_b_frames = s->bframes;
    c->pix_fmt = strcmp(s->vcodec, "mjpeg") ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUVJ420P;
    c->thread_count = 1;
    if (!strcmp(s->vcodec, "libx264")) {
        av_opt_set(c->priv_data, "preset", "veryfast", 0);
        /* exactly every gop frames an IDR, so tests know the keyframes */
        av_opt_set(c->priv_data, "x264-params", s->params ? s->params : "scenecut=0", 0);
    } else if (!strcmp(s->vcodec, "libx265")) {
        av_opt_set(c->priv_data, "preset", "ultrafast", 0);
        av_opt_set(c->priv_data, "x265-params", s->params ? s->params : "log-level=error", 0);
    }
    if (e->oc->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(c, codec, NULL) < 0)
        return FAIL("cannot open encoder %s", s->vcodec);
    avcodec_parameters_from_context(e->vs->codecpar, c);
    e->vs->time_base = c->time_base;
    return 0;
}

static int add_audio(enc *e, const vd_clip_spec *s, char *eb, size_t n)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(s->acodec);
    if (!codec)
        return FAIL("no encoder %s", s->acodec);
    e->as = avformat_new_stream(e->oc, NULL);
    AVCodecContext *c = e->ac = avcodec_alloc_context3(codec);
    c->sample_rate = s->sample_rate;
    av_channel_layout_default(&c->ch_layout, s->channels);
    c->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_S16;
    c->bit_rate = 128000;
    c->time_base = (AVRational){1, s->sample_rate};
    if (e->oc->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (avcodec_open2(c, codec, NULL) < 0)
        return FAIL("cannot open encoder %s", s->acodec);
    avcodec_parameters_from_context(e->as->codecpar, c);
    e->as->time_base = c->time_base;
    return 0;
}

/* Durations of the VFR pattern in ms at 25 fps-ish: 40,40,80,20,60. */
static int64_t vfr_pts_ms(int i, int fps)
{
    static const int pat[5] = {2, 2, 4, 1, 3}; /* half-periods */
    int64_t t = 0;
    for (int k = 0; k < i; k++)
        t += pat[k % 5];
    return t * 500 / fps;
}

static int put_video(enc *e, const vd_clip_spec *s, int i)
{
    AVFrame *f = e->fr;
    av_frame_unref(f);
    f->format = e->vc->pix_fmt, f->width = s->width, f->height = s->height;
    if (av_frame_get_buffer(f, 0) < 0)
        return -1;
    for (int y = 0; y < s->height; y++)
        for (int x = 0; x < s->width; x++) {
            int block = ((x / 16 + y / 16 + i) % 7 == 0) ? 80 : 0;
            f->data[0][y * f->linesize[0] + x] = (uint8_t)(x + 2 * y + 3 * i + block);
        }
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < s->height / 2; y++)
            memset(f->data[p] + y * f->linesize[p], (uint8_t)(64 * p + 5 * i), s->width / 2);
    int64_t start = (int64_t)llround(s->start * e->vc->time_base.den / e->vc->time_base.num);
    f->pts = start + (s->vfr ? vfr_pts_ms(i, s->fps) : i);
    return drain(e, e->vc, e->vs, 0);
}

static int put_audio_until(enc *e, const vd_clip_spec *s, double t)
{
    AVCodecContext *c = e->ac;
    int fs = c->frame_size > 0 ? c->frame_size : 1024;
    while ((double)e->apts / s->sample_rate < t) {
        AVFrame *f = e->fr;
        av_frame_unref(f);
        f->format = c->sample_fmt, f->nb_samples = fs, f->sample_rate = c->sample_rate;
        av_channel_layout_copy(&f->ch_layout, &c->ch_layout);
        if (av_frame_get_buffer(f, 0) < 0)
            return -1;
        for (int k = 0; k < fs; k++)
            for (int ch = 0; ch < s->channels; ch++) {
                double v = 0.5 * sin(2 * M_PI * (440.0 + 110 * ch) * (e->apts + k) / s->sample_rate);
                if (c->sample_fmt == AV_SAMPLE_FMT_FLTP)
                    ((float *)f->data[ch])[k] = (float)v;
                else if (c->sample_fmt == AV_SAMPLE_FMT_S16P)
                    ((int16_t *)f->data[ch])[k] = (int16_t)(v * 32767);
                else /* packed s16 */
                    ((int16_t *)f->data[0])[k * s->channels + ch] = (int16_t)(v * 32767);
            }
        f->pts = e->apts + (int64_t)llround(s->start * s->sample_rate);
        e->apts += fs;
        if (drain(e, c, e->as, 0) < 0)
            return -1;
    }
    return 0;
}

static int encode(const char *path, const vd_clip_spec *s, char *eb, size_t n)
{
    enc e = {0};
    av_log_set_level(AV_LOG_ERROR); /* encoders' statistics are noise in test logs */
    int ret = avformat_alloc_output_context2(&e.oc, NULL, s->container, path) < 0
                  ? FAIL("no muxer %s", s->container)
                  : 0;
    if (!ret)
        ret = add_video(&e, s, eb, n);
    if (!ret && s->acodec)
        ret = add_audio(&e, s, eb, n);
    if (!ret && (avio_open(&e.oc->pb, path, AVIO_FLAG_WRITE) < 0 ||
                 avformat_write_header(e.oc, NULL) < 0))
        ret = FAIL("cannot write %s", path);
    e.fr = av_frame_alloc();
    e.pkt = av_packet_alloc();
    for (int i = 0; !ret && i < s->nframes; i++) {
        double t = s->vfr ? vfr_pts_ms(i, s->fps) / 1000.0 : (double)i / s->fps;
        if (e.ac && put_audio_until(&e, s, t) < 0)
            ret = FAIL("audio encoding failed");
        if (!ret && put_video(&e, s, i) < 0)
            ret = FAIL("video encoding failed at frame %d", i);
    }
    if (!ret && (drain(&e, e.vc, e.vs, 1) < 0 || (e.ac && drain(&e, e.ac, e.as, 1) < 0) ||
                 av_write_trailer(e.oc) < 0))
        ret = FAIL("finishing %s failed", path);
    av_frame_free(&e.fr);
    av_packet_free(&e.pkt);
    avcodec_free_context(&e.vc);
    avcodec_free_context(&e.ac);
    if (e.oc && e.oc->pb)
        avio_closep(&e.oc->pb);
    avformat_free_context(e.oc);
    return ret;
}

static char *clip_path(const char *name)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/clips", VD_BINARY_DIR);
    mkdir(dir, 0777);
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

char *vd_clip_get(const char *name, const vd_clip_spec *s, char *eb, size_t n)
{
    char *path = clip_path(name);
    if (access(path, R_OK) == 0)
        return path;
    char tmp[4200];
    const char *ext = strrchr(name, '.');
    snprintf(tmp, sizeof tmp, "%s.%d.tmp%s", path, (int)getpid(), ext ? ext : "");
    if (encode(tmp, s, eb, n) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        free(path);
        return NULL;
    }
    return path;
}

char *vd_clip_tweaked(const char *name, void (*tweak)(vd_clip_spec *), char *eb, size_t n)
{
    vd_clip_spec s;
    vd_clip_spec_init(&s);
    if (tweak)
        tweak(&s);
    return vd_clip_get(name, &s, eb, n);
}

void vd_clip_bframes3(vd_clip_spec *s)
{
    s->bframes = 3;
}

void vd_clip_ts_start10(vd_clip_spec *s)
{
    s->container = "mpegts";
    s->bframes = 2;
    s->start = 10.0;
}

void vd_clip_vfr(vd_clip_spec *s)
{
    s->container = "matroska";
    s->vfr = 1;
    s->bframes = 2;
}

char *vd_clip_damage(const char *src, const char *name, double at, long len)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return NULL;
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    rewind(in);
    unsigned char *buf = malloc(size);
    if (!buf || fread(buf, 1, size, in) != (size_t)size) {
        fclose(in), free(buf);
        return NULL;
    }
    fclose(in);
    long off = (long)(at * size);
    if (len >= 0) {
        uint32_t x = 12345;
        for (long i = off; i < off + len && i < size; i++)
            buf[i] = (unsigned char)((x = x * 1103515245 + 12345) >> 16);
    } else {
        size = off;
    }
    char *path = clip_path(name);
    FILE *out = fopen(path, "wb");
    int ok = out && fwrite(buf, 1, size, out) == (size_t)size;
    if (out)
        ok &= fclose(out) == 0;
    free(buf);
    if (!ok) {
        free(path);
        return NULL;
    }
    return path;
}

long vd_ref_framemd5(const char *path, const char *sel, const char *extra, vd_ref_frame **out)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "'%s' -v error -copyts -i '%s' -map 0:%s -fps_mode passthrough %s -f framemd5 -",
             VD_FFMPEG, path, sel, extra);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[1024];
    double tb = 0;
    long n = 0, cap = 0;
    vd_ref_frame *v = NULL;
    while (fgets(line, sizeof line, p)) {
        int num, den;
        if (sscanf(line, "#tb 0: %d/%d", &num, &den) == 2)
            tb = (double)num / den;
        if (line[0] == '#')
            continue;
        long long dts, pts, dur, size;
        char md5[64];
        int st;
        if (sscanf(line, "%d, %lld, %lld, %lld, %lld, %63s", &st, &dts, &pts, &dur, &size, md5) != 6)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            v = realloc(v, cap * sizeof *v);
        }
        v[n].pts = pts * tb;
        snprintf(v[n].md5, sizeof v[n].md5, "%s", md5);
        n++;
    }
    if (pclose(p) != 0) {
        free(v);
        return -1;
    }
    *out = v;
    return n;
}

long vd_ref_keys(const char *path, vd_ref_frame *v, long n)
{
    char probe[4096], cmd[8192];
    snprintf(probe, sizeof probe, "%s", VD_FFMPEG);
    char *base = strrchr(probe, '/');
    snprintf(base ? base + 1 : probe, sizeof probe - (base ? base + 1 - probe : 0), "ffprobe");
    snprintf(cmd, sizeof cmd,
             "'%s' -v error -select_streams v:0 -show_entries frame=key_frame,"
             "best_effort_timestamp_time -of csv=p=0 '%s'",
             probe, path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[256];
    long i = 0, keys = 0, bad = 0;
    while (fgets(line, sizeof line, p)) {
        int key;
        double t;
        if (sscanf(line, "%d,%lf", &key, &t) != 2)
            continue;
        if (i >= n || fabs(t - v[i].pts) > 1e-5)
            bad = 1;
        else
            keys += v[i].key = key;
        i++;
    }
    return pclose(p) != 0 || bad || i != n ? -1 : keys;
}

char *vd_clip_must(const char *name, void (*tweak)(vd_clip_spec *))
{
    char eb[256] = "", *p = vd_clip_tweaked(name, tweak, eb, sizeof eb);
    cr_assert(p, "cannot make clip %s: %s", name, eb);
    return p;
}
