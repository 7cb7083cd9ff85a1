/* reader.c -- the top of the reader: the public calls that combine the
 * layers below -- open/close and metadata, vd_reader_next() (selection
 * filter, predicted set, jumps over frames nobody needs), seeking and
 * setting a selection. Calls only downward: reader_index.c (index, get),
 * reader_decode.c (decode loop, seeks), reader_select.c (the filter),
 * reader_convert.c (freeing its state) and reader_io.c; nothing calls it.
 *
 * Opening makes the one interrupt callback (reader_io.c) watch every
 * blocking FFmpeg call, so vd_reader_interrupt() and the timeouts stop
 * opening, reading and index scans alike. */
#include "reader_internal.h"

#include <math.h>
#include <string.h>

#include <libavutil/pixdesc.h>

void vd_reader_opts_init(vd_reader_opts *o)
{
    memset(o, 0, sizeof *o);
    o->media = VD_MEDIA_VIDEO;
    o->stream = -1;
    o->thread_type = VD_THREAD_FRAME | VD_THREAD_SLICE;
    o->open_timeout = 10;
    o->read_timeout = 10;
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

static int open_reader(vd_reader **out, const char *url, const void *mem, size_t mem_size,
                       const vd_reader_opts *opts, vd_error *err)
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
    r->mem = mem;
    r->mem_size = mem_size;
    atomic_init(&r->abort, 0);
    r->ext_abort = opts->abort;
    r->guard = opts->guard;
    r->open_timeout = opts->open_timeout;
    r->read_timeout = opts->read_timeout;
    r->media = opts->media;
    r->last_ts = r->last_dts = AV_NOPTS_VALUE;
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

int vd_reader_open(vd_reader **out, const char *url, const vd_reader_opts *opts,
                   vd_error *err)
{
    return open_reader(out, url, NULL, 0, opts, err);
}

int vd_reader_open_buffer(vd_reader **out, const char *name, const void *data, size_t size,
                          const vd_reader_opts *opts, vd_error *err)
{
    if (!data && size) {
        if (out)
            *out = NULL;
        return vd_error_set(err, VD_EINVAL, "%s: NULL data of %zu bytes", name ? name : "buffer",
                            size);
    }
    return open_reader(out, name, data ? data : "", size, opts, err);
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
    rd_close_format(&r->fmt);
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

/* With a predicted delivery set, frames that were never decoded cannot be
 * counted by the live filter, so the prediction decides instead. */
static int want_accept(vd_reader *r)
{
    if (!r->nwant || r->last_ts > r->want[r->nwant - 1])
        return r->sel.done = 1, VD_EOF;
    if (!rd_sorted_has(r->want, r->nwant, r->last_ts))
        return 0;
    r->sel.delivered++;
    return 1;
}

/* Sparse sampling: when the next frame to deliver lies at or after the
 * next key frame, nothing before that key frame is needed -- seek to the
 * key frame at or before it and pre-roll from there. */
static int skip_to_wanted(vd_reader *r, vd_error *err)
{
    /* Only where the demuxer seeks by an index (MP4 sample tables,
     * Matroska cues): MPEG-TS seeks bisect timestamps, land off the key
     * frame and back off, which costs more than decoding on (2.6x CPU). */
    if (!r->want || !r->idx || r->preroll || r->last_ts == AV_NOPTS_VALUE ||
        avformat_index_get_entries_count(r->st) == 0)
        return 0;
    int64_t w = rd_lower_bound(r->want, r->nwant, r->last_ts + 1);
    if (w == r->nwant)
        return 0;
    const rd_index *ix = r->idx;
    int64_t k = rd_lower_bound(ix->ts, ix->n, r->want[w]);
    while (k > 0 && !ix->key[k])
        k--;
    if (k >= ix->n || ix->ts[k] <= r->last_ts)
        return 0; /* its key frame is behind us: decoding on is cheaper */
    int ret = rd_seek_raw(r, ix->ts[k], err);
    if (ret)
        return ret;
    r->preroll = r->seek_check = 1;
    r->target = r->want[w];
    r->seek_backoff = 0;
    r->stats.skips++;
    return 0;
}

int vd_reader_next(vd_reader *r, vd_frame *f, vd_error *err)
{
    int ret;
    if (r->get_on) {
        if ((ret = rd_get_next(r, err)))
            return ret;
        ret = rd_fill_frame(r, f, r->get_ts, err);
        f->index = r->get_idx[r->get_pos++];
        return ret;
    }
    if (r->sel_on && (r->sel.done || (r->sel.s.count && r->sel.delivered >= r->sel.s.count)))
        return VD_EOF;
    for (;;) {
        if ((ret = skip_to_wanted(r, err)) || (ret = rd_next_raw(r, err)))
            return ret;
        if (!r->sel_on)
            break;
        ret = r->want ? want_accept(r)
                      : rd_sel_accept(&r->sel, rd_ticks_to_s(r, r->last_ts), r->frame->key_frame);
        if (ret < 0)
            return ret;
        if (ret)
            break;
    }
    return rd_fill_frame(r, f, r->last_ts, err);
}

/* Sparse selections on seekable inputs with trustworthy packet pts: predict
 * the delivered frames from the packet index, so the others can be dropped
 * undecoded. Redone after every seek: the selection restarts there. */
static int predict(vd_reader *r, int64_t from, vd_error *err)
{
    const vd_reader_select *s = &r->sel.s;
    if (!r->sel_on || !r->seekable || r->pts_unreliable || s->keyframes ||
        (s->step <= 1 && !(s->fps > 0)))
        return 0;
    return rd_want_build(r, from, err);
}

int vd_reader_seek(vd_reader *r, double t, int mode, vd_error *err)
{
    if (!isfinite(t))
        return vd_error_set(err, VD_EINVAL, "%s: seek to a non-finite time", r->url);
    if (mode != VD_SEEK_ACCURATE && mode != VD_SEEK_KEYFRAME)
        return vd_error_set(err, VD_EINVAL, "%s: unknown seek mode %d", r->url, mode);
    rd_get_clear(r);
    if (r->sel_on)
        rd_sel_reset(&r->sel, &r->sel.s);
    /* the first tick at or after t: rounding down would deliver a frame < t */
    int64_t ts = rd_first_tick(r, t);
    int64_t cur = r->last_ts;
    int ret = rd_seek_raw(r, ts, err);
    if (ret < 0) {
        /* Unseekable (live, pipe): going forward still works by decoding. */
        if (mode == VD_SEEK_KEYFRAME || (cur != AV_NOPTS_VALUE && cur >= ts))
            return vd_error_prefix(err, "cannot seek to %.3f s: ", t), ret;
        vd_error_clear(err);
        r->last_ts = cur;
    }
    r->preroll = mode == VD_SEEK_ACCURATE;
    r->seek_check = r->preroll && ret == 0;
    r->target = ts;
    r->seek_backoff = 0;
    if (mode == VD_SEEK_KEYFRAME) { /* landing point unknown: no prediction */
        free(r->want);
        r->want = NULL;
        r->nwant = 0;
        return 0;
    }
    return predict(r, ts, err);
}

int vd_reader_select_set(vd_reader *r, const vd_reader_select *s, vd_error *err)
{
    int ret = vd_reader_select_check(s, err);
    if (ret)
        return vd_error_prefix(err, "%s: ", r->url);
    rd_clear_modes(r);
    /* Bounds on the tick grid, so that pts (computed from ticks the same
     * way) compare exactly: --start pts_k delivers frame k. */
    vd_reader_select c = *s;
    if (!isnan(c.start))
        c.start = rd_ticks_to_s(r, rd_first_tick(r, c.start));
    if (!isnan(c.end))
        c.end = rd_ticks_to_s(r, rd_first_tick(r, c.end));
    rd_sel_reset(&r->sel, &c);
    r->sel_on = 1;
    if (!isnan(c.start))
        return vd_reader_seek(r, c.start, VD_SEEK_ACCURATE, err);
    return predict(r, r->last_ts == AV_NOPTS_VALUE ? INT64_MIN : r->last_ts + 1, err);
}
