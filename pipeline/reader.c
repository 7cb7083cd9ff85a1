/* reader.c -- opening, metadata, interruption and closing of a vd_reader.
 *
 * The one mechanism to know: every blocking FFmpeg call of a reader is
 * watched by one AVIOInterruptCB that checks two things, an atomic abort
 * flag (vd_reader_interrupt(), from any thread) and a deadline. The
 * deadline is armed with open_timeout for opening and re-armed with
 * read_timeout after every decoded frame, so "no frames for N s" covers a
 * silent socket and a socket that talks but never yields a frame alike. */
#include "reader_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include <libavdevice/avdevice.h>
#include <libavutil/pixdesc.h>

int64_t rd_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void rd_arm_deadline(vd_reader *r, double seconds)
{
    r->deadline = seconds > 0 ? rd_now_us() + (int64_t)(seconds * 1e6) : 0;
    r->timed_out = 0;
}

static int interrupt_cb(void *opaque)
{
    vd_reader *r = opaque;
    if (atomic_load(&r->abort))
        return 1;
    if (r->deadline && rd_now_us() > r->deadline) {
        r->timed_out = 1;
        return 1;
    }
    return 0;
}

/* Turn an AVERROR into a VD_E* code with "url: what: reason". */
int rd_averr(vd_reader *r, int averr, vd_error *err, const char *what)
{
    if (atomic_load(&r->abort))
        return vd_error_set(err, VD_ECLOSED, "%s: %s: interrupted", r->url, what);
    if (r->timed_out || averr == AVERROR(ETIMEDOUT)) {
        /* Before a decoder exists we were still connecting: say so, rather
         * than "no frames", which reads as a source that went quiet. */
        if (!r->dec)
            return vd_error_set(err, VD_ETIMEDOUT, "%s: %s: no answer within %g s", r->url,
                                what, r->open_timeout);
        return vd_error_set(err, VD_ETIMEDOUT, "%s: %s: no frames for %g s", r->url, what,
                            r->read_timeout);
    }
    char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(averr, buf, sizeof buf);
    int code = VD_EIO;
    if (averr == AVERROR(ENOENT))
        code = VD_ENOTFOUND, snprintf(buf, sizeof buf, "no such file");
    else if (averr == AVERROR_INVALIDDATA || averr == AVERROR_EOF)
        code = VD_EFORMAT;
    else if (averr == AVERROR_PROTOCOL_NOT_FOUND || averr == AVERROR_DECODER_NOT_FOUND ||
             averr == AVERROR_DEMUXER_NOT_FOUND || averr == AVERROR_PATCHWELCOME)
        code = VD_EUNSUPPORTED;
    else if (averr == AVERROR(ENOMEM))
        code = VD_ENOMEM;
    else if (averr == AVERROR(EINVAL))
        code = VD_EINVAL;
    return vd_error_set(err, code, "%s: %s: %s", r->url, what, buf);
}

void vd_reader_opts_init(vd_reader_opts *o)
{
    memset(o, 0, sizeof *o);
    o->media = VD_MEDIA_VIDEO;
    o->stream = -1;
    o->thread_type = VD_THREAD_FRAME | VD_THREAD_SLICE;
    o->open_timeout = 10;
    o->read_timeout = 10;
}

/* Open r->url into a new demuxer context watched by r's interrupt
 * callback; the index scan opens a second one the same way. */
int rd_open_format(vd_reader *r, AVFormatContext **out, vd_error *err)
{
    AVDictionary *d = NULL;
    const AVInputFormat *ifmt = NULL;
    if (r->av_options && av_dict_parse_string(&d, r->av_options, "=", ":", 0) < 0) {
        av_dict_free(&d);
        return vd_error_set(err, VD_EINVAL, "%s: bad av_options '%s' (want key=value:...)",
                            r->url, r->av_options);
    }
    if (r->rtsp_transport)
        av_dict_set(&d, "rtsp_transport", r->rtsp_transport, 0);
    if (r->format || !strncmp(r->url, "/dev/video", 10)) {
        avdevice_register_all(); /* idempotent, makes v4l2 & co findable */
        ifmt = av_find_input_format(r->format ? r->format : "v4l2");
        if (!ifmt) {
            av_dict_free(&d);
            return vd_error_set(err, VD_EINVAL, "%s: unknown input format '%s'", r->url,
                                r->format);
        }
    }
    AVFormatContext *fmt = *out = avformat_alloc_context();
    if (!fmt) {
        av_dict_free(&d);
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    }
    fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, r};
    int ret = avformat_open_input(out, r->url, ifmt, &d);
    av_dict_free(&d);
    return ret < 0 ? rd_averr(r, ret, err, "cannot open") : 0;
}

static int open_input(vd_reader *r, const vd_reader_opts *o, vd_error *err)
{
    if (o->rtsp_transport && strcmp(o->rtsp_transport, "tcp") && strcmp(o->rtsp_transport, "udp"))
        return vd_error_set(err, VD_EINVAL, "%s: rtsp_transport '%s' is not tcp or udp", r->url,
                            o->rtsp_transport);
    if ((o->format && !(r->format = strdup(o->format))) ||
        (o->av_options && !(r->av_options = strdup(o->av_options))) ||
        (o->rtsp_transport && !(r->rtsp_transport = strdup(o->rtsp_transport))))
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    rd_arm_deadline(r, r->open_timeout);
    int ret = rd_open_format(r, &r->fmt, err);
    if (ret)
        return ret;
    ret = avformat_find_stream_info(r->fmt, NULL);
    if (ret < 0)
        return rd_averr(r, ret, err, "cannot read stream info");
    r->seekable = r->fmt->pb ? (r->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL) != 0 : 0;
    return 0;
}

static int open_decoder(vd_reader *r, const vd_reader_opts *o, vd_error *err)
{
    enum AVMediaType type = o->media == VD_MEDIA_AUDIO ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO;
    const char *tname = o->media == VD_MEDIA_AUDIO ? "audio" : "video";
    if (o->media != VD_MEDIA_VIDEO && o->media != VD_MEDIA_AUDIO)
        return vd_error_set(err, VD_EINVAL, "%s: can only decode video or audio", r->url);
    if (o->stream >= 0 && ((unsigned)o->stream >= r->fmt->nb_streams ||
                           r->fmt->streams[o->stream]->codecpar->codec_type != type))
        return vd_error_set(err, VD_EINVAL, "%s: stream %d is not a %s stream", r->url,
                            o->stream, tname);
    const AVCodec *codec = NULL;
    int s = av_find_best_stream(r->fmt, type, o->stream, -1, &codec, 0);
    if (s == AVERROR_STREAM_NOT_FOUND)
        return vd_error_set(err, VD_ENOTFOUND, "%s: no %s stream", r->url, tname);
    if (s < 0 || !codec) {
        AVStream *st = r->fmt->streams[o->stream >= 0 ? o->stream : 0];
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: no decoder for %s codec '%s'", r->url,
                            tname, avcodec_get_name(st->codecpar->codec_id));
    }
    r->sidx = s;
    r->st = r->fmt->streams[s];
    for (unsigned i = 0; i < r->fmt->nb_streams; i++)
        if ((int)i != s)
            r->fmt->streams[i]->discard = AVDISCARD_ALL;
    r->dec = avcodec_alloc_context3(codec);
    if (!r->dec)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    int ret = avcodec_parameters_to_context(r->dec, r->st->codecpar);
    if (ret < 0)
        return rd_averr(r, ret, err, "decoder parameters");
    r->dec->pkt_timebase = r->st->time_base;
    r->dec->thread_count = o->threads;
    r->dec->thread_type = (o->thread_type & VD_THREAD_FRAME ? FF_THREAD_FRAME : 0) |
                          (o->thread_type & VD_THREAD_SLICE ? FF_THREAD_SLICE : 0);
    ret = avcodec_open2(r->dec, codec, NULL);
    if (ret < 0)
        return rd_averr(r, ret, err, "cannot open decoder");
    AVRational fr = r->st->avg_frame_rate.num ? r->st->avg_frame_rate : r->st->r_frame_rate;
    r->frame_ticks = fr.num ? av_rescale_q(1, av_inv_q(fr), r->st->time_base) : 1;
    /* AVI has no presentation timestamps: with B-frames (often packed, two
     * frames in one packet) a packet's pts cannot tell which frame it is. */
    r->pts_unreliable = !strcmp(r->fmt->iformat->name, "avi") && r->st->codecpar->video_delay > 0;
    if (r->frame_ticks <= 0)
        r->frame_ticks = 1;
    return 0;
}

int vd_reader_open(vd_reader **out, const char *url, const vd_reader_opts *opts,
                   vd_error *err)
{
    vd_reader_opts def;
    if (!out)
        return vd_error_set(err, VD_EINVAL, "vd_reader_open: NULL handle pointer");
    *out = NULL;
    if (!url || !*url)
        return vd_error_set(err, VD_EINVAL, "vd_reader_open: empty input name");
    if (!opts)
        vd_reader_opts_init(&def), opts = &def;
    vd_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->url = strdup(url))) {
        free(r);
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", url);
    }
    atomic_init(&r->abort, 0);
    r->open_timeout = opts->open_timeout;
    r->read_timeout = opts->read_timeout;
    r->media = opts->media;
    r->last_ts = AV_NOPTS_VALUE;
    r->ord = 0;
    int ret = open_input(r, opts, err);
    if (!ret)
        ret = open_decoder(r, opts, err);
    if (!ret && (!(r->pkt = av_packet_alloc()) || !(r->frame = av_frame_alloc())))
        ret = vd_error_set(err, VD_ENOMEM, "%s: out of memory", url);
    if (ret) {
        vd_reader_close(&r);
        return ret;
    }
    rd_arm_deadline(r, r->read_timeout);
    *out = r;
    return 0;
}

void vd_reader_interrupt(vd_reader *r)
{
    if (r)
        atomic_store(&r->abort, 1);
}

void vd_reader_close(vd_reader **rp)
{
    if (!rp || !*rp)
        return;
    vd_reader *r = *rp;
    rd_clear_modes(r);
    rd_index_free(&r->idx);
    rd_convert_free(r);
    swr_free(&r->swr);
    av_free(r->abuf);
    av_frame_free(&r->frame);
    av_packet_free(&r->pkt);
    avcodec_free_context(&r->dec);
    avformat_close_input(&r->fmt);
    free(r->format);
    free(r->av_options);
    free(r->rtsp_transport);
    free(r->url);
    free(r);
    *rp = NULL;
}

static double ts_s(int64_t ts, AVRational tb)
{
    return ts == AV_NOPTS_VALUE ? NAN : ts * av_q2d(tb);
}

void vd_reader_format_info(const vd_reader *r, vd_format_info *o)
{
    memset(o, 0, sizeof *o);
    o->format = r->fmt->iformat ? r->fmt->iformat->name : "unknown";
    o->duration = r->fmt->duration == AV_NOPTS_VALUE ? NAN : r->fmt->duration / (double)AV_TIME_BASE;
    o->start_time = ts_s(r->fmt->start_time, AV_TIME_BASE_Q);
    o->bit_rate = r->fmt->bit_rate;
    o->nb_streams = (int)r->fmt->nb_streams;
    o->selected_stream = r->sidx;
}

static double q2d0(AVRational q)
{
    return q.num && q.den ? av_q2d(q) : 0;
}

int vd_reader_stream_info(const vd_reader *r, int i, vd_stream_info *o, vd_error *err)
{
    if (i < 0 || (unsigned)i >= r->fmt->nb_streams)
        return vd_error_set(err, VD_ERANGE, "%s: stream %d does not exist (%u streams)", r->url,
                            i, r->fmt->nb_streams);
    const AVStream *st = r->fmt->streams[i];
    const AVCodecParameters *p = st->codecpar;
    memset(o, 0, sizeof *o);
    o->index = i;
    o->type = p->codec_type == AVMEDIA_TYPE_VIDEO   ? VD_MEDIA_VIDEO
              : p->codec_type == AVMEDIA_TYPE_AUDIO ? VD_MEDIA_AUDIO
                                                    : VD_MEDIA_OTHER;
    o->codec = avcodec_get_name(p->codec_id);
    o->bit_rate = p->bit_rate;
    o->tb_num = st->time_base.num;
    o->tb_den = st->time_base.den;
    o->time_base = q2d0(st->time_base);
    o->start_time = ts_s(st->start_time, st->time_base);
    o->duration = ts_s(st->duration, st->time_base);
    o->nb_frames = st->nb_frames;
    o->pix_fmt = "none";
    o->sample_fmt = "none";
    if (o->type == VD_MEDIA_VIDEO) {
        o->width = p->width;
        o->height = p->height;
        const char *n = av_get_pix_fmt_name((enum AVPixelFormat)p->format);
        o->pix_fmt = n ? n : "none";
        o->avg_fps = q2d0(st->avg_frame_rate);
        o->real_fps = q2d0(st->r_frame_rate);
    } else if (o->type == VD_MEDIA_AUDIO) {
        o->sample_rate = p->sample_rate;
        o->channels = p->ch_layout.nb_channels;
        const char *n = av_get_sample_fmt_name((enum AVSampleFormat)p->format);
        o->sample_fmt = n ? n : "none";
    }
    return 0;
}

void vd_reader_stats_get(const vd_reader *r, vd_reader_stats *out)
{
    *out = r->stats;
}
