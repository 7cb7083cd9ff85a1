/* reader_decode.c -- the packet/frame loop, seeking and selection.
 *
 * Layers, bottom up: rd_decode() yields every frame the decoder produces,
 * deciding per packet (rd_skip_level) whether the frame can be dropped
 * inside the decoder (AVDISCARD_NONREF when nothing will deliver it,
 * non-key packets not even sent in keyframes mode); next_raw() adds the
 * pre-roll of an accurate seek and the check of where the seek landed;
 * vd_reader_next() adds the selection filter rd_sel_accept(), the single
 * place that defines [start,end)/keyframes/step/fps/count semantics. */
#include "reader_internal.h"

#include <math.h>
#include <string.h>

#include <libavutil/pixdesc.h>

#define TICK_EPS 1e-6 /* s: pts vs fps tick comparisons tolerate rounding */

double rd_ticks_to_s(const vd_reader *r, int64_t ts)
{
    return ts * av_q2d(r->st->time_base);
}

int64_t rd_s_to_ticks(const vd_reader *r, double t)
{
    return (int64_t)llround(t / av_q2d(r->st->time_base));
}

/* The first tick at or after t, t matched within half a microsecond: a pts
 * printed with 6 decimals, or recomputed in another precision, still names
 * its own frame instead of the next one. */
int64_t rd_first_tick(const vd_reader *r, double t)
{
    return (int64_t)ceil((t - 5e-7) / av_q2d(r->st->time_base));
}

void rd_sel_reset(rd_sel *s, const vd_reader_select *sel)
{
    vd_reader_select keep = *sel; /* sel may point into s */
    memset(s, 0, sizeof *s);
    s->s = keep;
}

int rd_sel_accept(rd_sel *s, double pts, int key)
{
    if (s->done)
        return VD_EOF;
    if (!isnan(s->s.end) && pts >= s->s.end)
        return s->done = 1, VD_EOF;
    if (!isnan(s->s.start) && pts < s->s.start)
        return 0;
    if (s->s.keyframes && !key)
        return 0;
    int64_t k = s->in_range++;
    if (s->s.step > 1 && k % s->s.step)
        return 0;
    if (s->s.fps > 0) {
        if (!s->have_t0)
            s->have_t0 = 1, s->t0 = pts, s->next_tick = 0;
        if (pts < s->t0 + s->next_tick / s->s.fps - TICK_EPS)
            return 0;
        s->next_tick = (int64_t)floor((pts - s->t0) * s->s.fps + TICK_EPS) + 1;
    }
    if (s->s.count && s->delivered >= s->s.count)
        return s->done = 1, VD_EOF;
    s->delivered++;
    return 1;
}

/* Is ts among the sorted ticks a[0..n)? */
static int ts_in(const int64_t *a, int64_t n, int64_t ts)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == ts;
}

static int get_wants(const vd_reader *r, int64_t ts)
{
    size_t lo = r->next_u, hi = r->nuniq;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->idx->ts[r->uniq[mid]] < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nuniq && r->idx->ts[r->uniq[lo]] == ts;
}

/* How much of this packet's frame the decoder may drop: a frame that will
 * not be delivered and that no other frame references (NONREF) need not be
 * decoded. Only the packet's own pts is trusted; without one, decode. */
static enum AVDiscard rd_skip_level(const vd_reader *r, const AVPacket *p)
{
    /* Without trustworthy packet pts a skipped frame shifts the timestamps
     * that delayed decoders derive from packet order: decode everything. */
    if (p->pts == AV_NOPTS_VALUE || r->pts_unreliable)
        return AVDISCARD_DEFAULT;
    if (r->sel_on && r->sel.s.keyframes && !r->get_on)
        return AVDISCARD_NONKEY;
    if (r->preroll && p->pts < r->target)
        return AVDISCARD_NONREF;
    if (r->get_on)
        return get_wants(r, p->pts) ? AVDISCARD_DEFAULT : AVDISCARD_NONREF;
    if (r->want && !ts_in(r->want, r->nwant, p->pts))
        return AVDISCARD_NONREF;
    return AVDISCARD_DEFAULT;
}

static void note_error(vd_reader *r, int averr, const char *what, int64_t ts)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = "damaged frame concealed";
    if (averr)
        av_strerror(averr, buf, sizeof buf);
    r->stats.decode_errors++;
    if (ts == AV_NOPTS_VALUE)
        snprintf(r->stats.last_error, sizeof r->stats.last_error, "%s: %s: %s", r->url, what,
                 buf);
    else
        snprintf(r->stats.last_error, sizeof r->stats.last_error, "%s: %s at %.3f s: %s",
                 r->url, what, rd_ticks_to_s(r, ts), buf);
}

/* Keyframes mode: is this packet a key frame the selection may deliver?
 * A key packet's pts is its frame's (nothing reorders before a key frame),
 * so those before the pre-roll target are dropped unsent -- and prove the
 * seek landed early enough -- and one at or past the range end ends the
 * input, key frames coming in pts order. */
static int key_wanted(vd_reader *r, const AVPacket *p)
{
    if (!(p->flags & AV_PKT_FLAG_KEY))
        return 0;
    if (r->preroll && p->pts < r->target) {
        r->seek_check = 0;
        return 0;
    }
    if (!isnan(r->sel.s.end) && rd_ticks_to_s(r, p->pts) >= r->sel.s.end) {
        r->demux_eof = 1;
        avcodec_send_packet(r->dec, NULL);
        return 0;
    }
    return 1;
}

/* Read one packet of our stream and hand it to the decoder. Returns 0,
 * or an error for interruption/timeout. Other read failures end the input
 * (recorded as a decode error, since what was read is still delivered). */
static int feed(vd_reader *r, vd_error *err)
{
    int ret = av_read_frame(r->fmt, r->pkt);
    if (ret < 0) {
        if (atomic_load(&r->abort) || r->timed_out)
            return rd_averr(r, ret, err, "read");
        if (ret != AVERROR_EOF)
            note_error(r, ret, "read failed", AV_NOPTS_VALUE);
        r->demux_eof = 1;
        avcodec_send_packet(r->dec, NULL);
        return 0;
    }
    if (r->pkt->stream_index != r->sidx) {
        av_packet_unref(r->pkt);
        return 0;
    }
    r->stats.packets++;
    r->pts_unreliable |= r->pkt->pts == AV_NOPTS_VALUE;
    enum AVDiscard lvl = rd_skip_level(r, r->pkt);
    if (lvl == AVDISCARD_NONKEY && !key_wanted(r, r->pkt)) { /* not even sent */
        r->stats.packets_skipped++;
        av_packet_unref(r->pkt);
        return 0;
    }
    r->stats.packets_skipped += lvl != AVDISCARD_DEFAULT;
    r->dec->skip_frame = lvl;
    int64_t pts = r->pkt->pts;
    ret = avcodec_send_packet(r->dec, r->pkt);
    av_packet_unref(r->pkt);
    if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
        note_error(r, ret, "cannot decode packet", pts);
    /* A key packet fed alone is drained at once: left in the decoder, open
     * GOPs (recovery-point I-frames, HEVC CRA) come out reordered against
     * each other by picture order counts that their skipped neighbours
     * would have fixed, with each other's timestamps. */
    if (lvl == AVDISCARD_NONKEY && ret >= 0) {
        avcodec_send_packet(r->dec, NULL);
        r->drain_one = 1;
    }
    return 0;
}

/* Timestamp of the frame just decoded, in ticks, synthesised when absent. */
static int64_t frame_ts(vd_reader *r, const AVFrame *fr)
{
    int64_t ts = fr->best_effort_timestamp;
    if (ts != AV_NOPTS_VALUE)
        return ts;
    if (r->last_ts == AV_NOPTS_VALUE)
        return r->st->start_time != AV_NOPTS_VALUE ? r->st->start_time : 0;
    if (r->media == VD_MEDIA_AUDIO && fr->sample_rate > 0)
        return r->last_ts + av_rescale_q(fr->nb_samples, (AVRational){1, fr->sample_rate},
                                         r->st->time_base);
    return r->last_ts + r->frame_ticks;
}

int rd_decode(vd_reader *r, vd_error *err)
{
    if (atomic_load(&r->abort))
        return vd_error_set(err, VD_ECLOSED, "%s: read: interrupted", r->url);
    for (;;) {
        int ret = avcodec_receive_frame(r->dec, r->frame);
        if (ret == 0) {
            r->last_ts = frame_ts(r, r->frame);
            r->stats.frames_decoded++;
            r->ord += r->ord >= 0;
            if (r->frame->decode_error_flags || (r->frame->flags & AV_FRAME_FLAG_CORRUPT))
                note_error(r, 0, "damaged frame", r->last_ts);
            /* A frame decoded after the deadline fired comes from the
             * demuxer flushing its parser on the failed read: deliver it,
             * but grant no second read_timeout (that made it 2N s). */
            if (!r->timed_out)
                rd_arm_deadline(r, r->read_timeout);
            return 0;
        }
        if (ret == AVERROR_EOF && r->drain_one && !r->demux_eof) {
            avcodec_flush_buffers(r->dec); /* ready for the next key packet */
            r->drain_one = 0;
            continue;
        }
        if (ret == AVERROR_EOF) {
            r->dec_eof = 1;
            return VD_EOF;
        }
        if (ret != AVERROR(EAGAIN)) /* counted; more input may still decode */
            note_error(r, ret, "cannot decode", AV_NOPTS_VALUE);
        if (r->demux_eof) { /* drained without EOF: the decoder is done too */
            r->dec_eof = 1;
            return VD_EOF;
        }
        if ((ret = feed(r, err)) < 0)
            return ret;
    }
}

int rd_seek_raw(vd_reader *r, int64_t ts, vd_error *err)
{
    int ret = av_seek_frame(r->fmt, r->sidx, ts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) /* some demuxers only know how to go to a byte 0 */
        ret = avformat_seek_file(r->fmt, r->sidx, INT64_MIN, ts, INT64_MAX, 0);
    if (ret < 0)
        return rd_averr(r, ret, err, "seek failed");
    avcodec_flush_buffers(r->dec);
    r->demux_eof = r->dec_eof = r->drain_one = 0;
    r->last_ts = AV_NOPTS_VALUE;
    r->ord = -1;
    r->stats.seeks++;
    return 0;
}

int64_t rd_stream_start(const vd_reader *r)
{
    return r->st->start_time != AV_NOPTS_VALUE ? r->st->start_time : 0;
}

/* Back to the very first packet: a byte seek to 0 where the format allows
 * it (timestamp seeks to the start can land on a later keyframe, MPEG-TS),
 * else a timestamp seek to the stream start. */
static int seek_to_beginning(vd_reader *r, vd_error *err)
{
    /* Not for AVI without pts: its byte seek restarts the packet counter
     * that stands in for timestamps, and every later frame is mis-stamped;
     * its index seeks to the first packet are exact. */
    if (!r->pts_unreliable && !(r->fmt->iformat->flags & AVFMT_NO_BYTE_SEEK) &&
        av_seek_frame(r->fmt, r->sidx, 0, AVSEEK_FLAG_BYTE) >= 0) {
        avcodec_flush_buffers(r->dec);
        r->demux_eof = r->dec_eof = r->drain_one = 0;
        r->last_ts = AV_NOPTS_VALUE;
        r->ord = 0;
        r->stats.seeks++;
        return 0;
    }
    return rd_seek_raw(r, rd_stream_start(r), err);
}

/* The demuxer landed after the target (a wrong or missing index entry, a
 * timestamp bisection gone wrong): seek further back, doubling the
 * distance, and finally to the beginning. Returns 1 if it re-seeked. */
static int check_landing(vd_reader *r, vd_error *err)
{
    r->seek_check = 0;
    if (r->last_ts != AV_NOPTS_VALUE && r->last_ts <= r->target)
        return 0;
    r->seek_backoff++;
    int64_t back = rd_s_to_ticks(r, (double)(1 << r->seek_backoff));
    int64_t ts = r->target - back;
    int ret;
    if (ts <= rd_stream_start(r) || r->seek_backoff > 8) {
        ret = seek_to_beginning(r, err);
    } else {
        ret = rd_seek_raw(r, ts, err);
        r->seek_check = 1;
    }
    return ret == 0; /* on failure keep going: frames >= target still come */
}

/* Next decoded frame at or after the pre-roll target. */
int rd_next_raw(vd_reader *r, vd_error *err)
{
    for (;;) {
        int ret = rd_decode(r, err);
        /* EOF before any frame: the seek landed past the last keyframe */
        if (ret == VD_EOF && r->seek_check && r->target > rd_stream_start(r) &&
            check_landing(r, err))
            continue;
        if (ret)
            return ret;
        if (r->seek_check && check_landing(r, err))
            continue;
        if (r->preroll && r->last_ts < r->target)
            continue;
        r->preroll = 0;
        return 0;
    }
}

static int ensure_abuf(vd_reader *r, int samples, int channels)
{
    if (samples <= r->abuf_samples)
        return 0;
    av_free(r->abuf);
    r->abuf = av_malloc((size_t)samples * channels * sizeof(float));
    r->abuf_samples = r->abuf ? samples : 0;
    return r->abuf ? 0 : -1;
}

static int fill_audio(vd_reader *r, vd_frame *f, vd_error *err)
{
    AVFrame *fr = r->frame;
    int ch = fr->ch_layout.nb_channels;
    /* (Re)build the converter when the decoder's output changes. */
    if (!r->swr || r->swr_in[0] != fr->format || r->swr_in[1] != fr->sample_rate ||
        r->swr_in[2] != ch) {
        swr_free(&r->swr);
        int ret = swr_alloc_set_opts2(&r->swr, &fr->ch_layout, AV_SAMPLE_FMT_FLT,
                                      fr->sample_rate, &fr->ch_layout, fr->format,
                                      fr->sample_rate, 0, NULL);
        if (ret < 0 || (ret = swr_init(r->swr)) < 0)
            return rd_averr(r, ret, err, "audio conversion");
        r->swr_in[0] = fr->format, r->swr_in[1] = fr->sample_rate, r->swr_in[2] = ch;
    }
    if (ensure_abuf(r, fr->nb_samples, ch))
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    uint8_t *out = (uint8_t *)r->abuf;
    int n = swr_convert(r->swr, &out, fr->nb_samples, (const uint8_t **)fr->extended_data,
                        fr->nb_samples);
    if (n < 0)
        return rd_averr(r, n, err, "audio conversion");
    f->nb_samples = n;
    f->channels = ch;
    f->sample_rate = fr->sample_rate;
    f->samples = r->abuf;
    return 0;
}

int rd_fill_frame(vd_reader *r, vd_frame *f, int64_t ts, vd_error *err)
{
    const AVFrame *fr = r->frame;
    memset(f, 0, sizeof *f);
    f->type = r->media;
    f->pts_raw = ts;
    f->pts = rd_ticks_to_s(r, ts);
    f->key = fr->key_frame;
    f->corrupt = fr->decode_error_flags || (fr->flags & AV_FRAME_FLAG_CORRUPT);
    f->index = -1;
    f->av = fr;
    r->stats.frames_delivered++;
    if (r->media == VD_MEDIA_AUDIO)
        return fill_audio(r, f, err);
    f->width = fr->width;
    f->height = fr->height;
    f->format = fr->format;
    const char *n = av_get_pix_fmt_name((enum AVPixelFormat)fr->format);
    f->pix_fmt = n ? n : "none";
    for (int i = 0; i < 4; i++) {
        f->data[i] = fr->data[i];
        f->linesize[i] = fr->linesize[i];
    }
    return 0;
}

/* With a predicted delivery set, frames that were never decoded cannot be
 * counted by the live filter, so the prediction decides instead. */
static int want_accept(vd_reader *r)
{
    if (!r->nwant || r->last_ts > r->want[r->nwant - 1])
        return r->sel.done = 1, VD_EOF;
    if (!ts_in(r->want, r->nwant, r->last_ts))
        return 0;
    r->sel.delivered++;
    return 1;
}

/* First index position whose ts is >= t, in sorted a[0..n). */
static int64_t lower_bound(const int64_t *a, int64_t n, int64_t t)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Sparse sampling: when the next frame to deliver lies at or after the
 * next key frame, nothing before that key frame is needed -- seek to the
 * key frame at or before it and pre-roll from there. */
static int skip_to_wanted(vd_reader *r, vd_error *err)
{
    if (!r->want || !r->idx || r->preroll || r->last_ts == AV_NOPTS_VALUE)
        return 0;
    int64_t w = lower_bound(r->want, r->nwant, r->last_ts + 1);
    if (w == r->nwant)
        return 0;
    const rd_index *ix = r->idx;
    int64_t k = lower_bound(ix->ts, ix->n, r->want[w]);
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

void rd_clear_modes(vd_reader *r)
{
    rd_get_clear(r);
    free(r->want);
    r->want = NULL;
    r->nwant = 0;
    r->sel_on = 0;
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

void vd_reader_select_init(vd_reader_select *s)
{
    memset(s, 0, sizeof *s);
    s->start = NAN;
    s->end = NAN;
    s->step = 1;
}

int vd_reader_select_check(const vd_reader_select *s, vd_error *err)
{
    if (!isnan(s->start) && (s->start < 0 || !isfinite(s->start)))
        return vd_error_set(err, VD_EINVAL, "start %g must be a time >= 0", s->start);
    if (!isnan(s->end) && !isnan(s->start) && s->end <= s->start)
        return vd_error_set(err, VD_EINVAL, "end %g must be after start %g", s->end, s->start);
    if (!isnan(s->end) && s->end <= 0)
        return vd_error_set(err, VD_EINVAL, "end %g must be > 0", s->end);
    if (s->step < 1)
        return vd_error_set(err, VD_EINVAL, "step %lld must be >= 1", (long long)s->step);
    if (s->fps < 0 || isnan(s->fps) || isinf(s->fps))
        return vd_error_set(err, VD_EINVAL, "fps %g must be > 0", s->fps);
    if (s->count < 0)
        return vd_error_set(err, VD_EINVAL, "count %lld must be >= 0", (long long)s->count);
    return 0;
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
