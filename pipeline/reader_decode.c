/* reader_decode.c -- the packet/frame loop and seeking, below selection.
 *
 * Layers, bottom up: rd_decode() yields every frame the decoder produces,
 * deciding per packet (rd_skip_level) whether the frame can be dropped
 * inside the decoder (AVDISCARD_NONREF when nothing will deliver it,
 * non-key packets not even sent in keyframes mode); rd_next_raw() adds the
 * pre-roll of an accurate seek and the check of where the seek landed.
 * What will be delivered (the selection, get(), the predicted set) is read
 * from the reader's fields, never called: this file calls only
 * reader_io.c. */
#include "reader_internal.h"

#include <math.h>
#include <string.h>

#include <libavutil/pixdesc.h>

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
    if (r->want && !rd_sorted_has(r->want, r->nwant, p->pts))
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

/* Lost bytes leave a trace only in the packets: the decoder then drops
 * the frames that lost their references without an error or a flagged
 * frame. The demuxer marks a packet it knows is incomplete; an MPEG-TS
 * whose timestamps leap (they run on without gaps by construction) has
 * lost whole packets, which no flag marks (zeroed stretches do that). */
static int check_packet(vd_reader *r, const AVPacket *p)
{
    int noted = 0;
    if (p->flags & AV_PKT_FLAG_CORRUPT) {
        note_error(r, AVERROR_INVALIDDATA, "corrupt packet", p->pts);
        noted = 1;
    }
    int64_t gap = rd_s_to_ticks(r, 1.0);
    if (gap < 10 * r->frame_ticks)
        gap = 10 * r->frame_ticks;
    if ((r->fmt->iformat->flags & AVFMT_TS_DISCONT) && p->dts != AV_NOPTS_VALUE &&
        r->last_dts != AV_NOPTS_VALUE && p->dts - r->last_dts > gap)
        note_error(r, AVERROR_INVALIDDATA, "packets lost", p->pts);
    if (p->dts != AV_NOPTS_VALUE)
        r->last_dts = p->dts;
    return noted;
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
        if (rd_aborted(r) || r->timed_out || r->refused.code)
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
    int noted = check_packet(r, r->pkt); /* one damage, one count */
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
    if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF && !noted)
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
    if (rd_aborted(r))
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
    r->last_ts = r->last_dts = AV_NOPTS_VALUE;
    r->ord = -1;
    r->stats.seeks++;
    return 0;
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
        r->last_ts = r->last_dts = AV_NOPTS_VALUE;
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
