/* reader_index.c -- the packet index, frame-index access and the predicted
 * set of delivered frames.
 *
 * The index is built once per reader by demuxing (never decoding) every
 * packet of the stream: frame i is the i-th packet timestamp in sorted
 * (presentation) order. It is exact where a container's frame count is not,
 * and it lets get(indices) identify decoded frames by timestamp rather than
 * by counting, which stays right across seeks. get() walks the distinct
 * indices in ascending order, seeking only when the next one lies past the
 * next keyframe, and keeps a reference to each decoded frame until its
 * last requested use: each frame is decoded once, whatever the order.
 * Below reader.c; calls reader_decode.c, reader_select.c and reader_io.c. */
#include "reader_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ts_key {
    int64_t ts, end; /* end: ts + the packet's duration (one frame if unknown) */
    int key;
} ts_key;

static int cmp_ts_key(const void *a, const void *b)
{
    int64_t x = ((const ts_key *)a)->ts, y = ((const ts_key *)b)->ts;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void rd_index_free(rd_index **ix)
{
    if (*ix) {
        free((*ix)->ts);
        free((*ix)->key);
        free(*ix);
        *ix = NULL;
    }
}

/* Demux all packets of the stream into v (sorted by timestamp). */
static int scan_packets(vd_reader *r, AVFormatContext *fc, ts_key **v, int64_t *n, vd_error *err)
{
    int64_t cap = 0, missing = 0;
    *v = NULL;
    *n = 0;
    for (;;) {
        int ret = av_read_frame(fc, r->pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0)
            return rd_averr(r, ret, err, "building the frame index");
        const AVPacket *p = r->pkt;
        /* DISCARD-flagged packets (edit lists) never become frames */
        if (p->stream_index == r->sidx && !(p->flags & AV_PKT_FLAG_DISCARD)) {
            int64_t ts = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
            r->pts_unreliable |= p->pts == AV_NOPTS_VALUE; /* get() counts instead */
            if (ts == AV_NOPTS_VALUE)
                missing++;
            else {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 1024;
                    ts_key *nv = realloc(*v, cap * sizeof **v);
                    if (!nv)
                        return av_packet_unref(r->pkt),
                               vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
                    *v = nv;
                }
                int64_t d = p->duration > 0 ? p->duration : r->frame_ticks;
                (*v)[(*n)++] = (ts_key){ts, ts + d, (p->flags & AV_PKT_FLAG_KEY) != 0};
            }
        }
        av_packet_unref(r->pkt);
        rd_arm_deadline(r, r->read_timeout);
    }
    if (missing)
        return vd_error_set(err, VD_EUNSUPPORTED,
                            "%s: cannot index frames: %lld packets carry no timestamp", r->url,
                            (long long)missing);
    qsort(*v, *n, sizeof **v, cmp_ts_key);
    return 0;
}

/* Does fc number our stream like the reader's own context does? */
static int same_stream(const vd_reader *r, const AVFormatContext *fc)
{
    return (unsigned)r->sidx < fc->nb_streams &&
           fc->streams[r->sidx]->codecpar->codec_id == r->st->codecpar->codec_id;
}

/* The scan runs on a second demuxer context, so the reader's position,
 * decoder and buffered packets are untouched. */
int rd_index_build(vd_reader *r, vd_error *err)
{
    if (r->idx)
        return 0;
    if (!r->seekable)
        return vd_error_set(err, VD_EUNSUPPORTED,
                            "%s: frame index needs a seekable input (file), not a live source",
                            r->url);
    AVFormatContext *fc = NULL;
    rd_arm_deadline(r, r->open_timeout);
    int ret = rd_open_format(r, &fc, err);
    if (!ret && !same_stream(r, fc) && avformat_find_stream_info(fc, NULL) >= 0 &&
        !same_stream(r, fc))
        ret = vd_error_set(err, VD_EFORMAT, "%s: stream %d changed while indexing", r->url,
                           r->sidx);
    for (unsigned i = 0; !ret && i < fc->nb_streams; i++)
        fc->streams[i]->discard = (int)i == r->sidx ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
    ts_key *v = NULL;
    int64_t n = 0;
    if (!ret)
        ret = scan_packets(r, fc, &v, &n, err);
    rd_close_format(&fc);
    rd_arm_deadline(r, r->read_timeout);
    rd_index *ix = ret ? NULL : calloc(1, sizeof *ix);
    if (ix) {
        ix->n = n;
        ix->end = INT64_MIN;
        for (int64_t i = 0; i < n; i++)
            ix->end = v[i].end > ix->end ? v[i].end : ix->end;
        ix->ts = malloc((n + 1) * sizeof *ix->ts);
        ix->key = malloc(n + 1);
        if (ix->ts && ix->key)
            for (int64_t i = 0; i < n; i++)
                ix->ts[i] = v[i].ts, ix->key[i] = (uint8_t)v[i].key;
        else
            rd_index_free(&ix);
    }
    free(v);
    if (!ret && !ix)
        ret = vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    r->idx = ix;
    return ret;
}

int vd_reader_frame_count(vd_reader *r, int64_t *n, vd_error *err)
{
    int ret = rd_index_build(r, err);
    *n = ret ? 0 : r->idx->n;
    return ret;
}

int rd_want_build(vd_reader *r, int64_t from, vd_error *err)
{
    int ret = rd_index_build(r, err);
    if (ret)
        return ret == VD_EUNSUPPORTED ? (vd_error_clear(err), 0) : ret; /* just no skipping */
    const rd_index *ix = r->idx;
    int64_t i = 0;
    while (i < ix->n && ix->ts[i] < from)
        i++;
    free(r->want);
    r->want = malloc((ix->n - i + 1) * sizeof *r->want);
    if (!r->want)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    r->nwant = 0;
    rd_sel sim = r->sel;
    for (; i < ix->n; i++) {
        int a = rd_sel_accept(&sim, rd_ticks_to_s(r, ix->ts[i]), ix->key[i]);
        if (a < 0)
            break;
        if (a)
            r->want[r->nwant++] = ix->ts[i];
    }
    return 0;
}

void rd_get_clear(vd_reader *r)
{
    for (size_t i = 0; r->held && i < r->nuniq; i++)
        av_frame_free(&r->held[i]);
    free(r->held);
    free(r->failed);
    free(r->get_idx);
    free(r->uniq);
    free(r->uses);
    r->held = NULL;
    r->failed = NULL;
    r->get_idx = r->uniq = r->uses = NULL;
    r->get_on = 0;
    r->get_n = r->get_pos = r->nuniq = r->next_u = 0;
}

/* Drop the selection, its predicted set and any get(): back to "every
 * frame". */
void rd_clear_modes(vd_reader *r)
{
    rd_get_clear(r);
    free(r->want);
    r->want = NULL;
    r->nwant = 0;
    r->sel_on = 0;
}

int vd_reader_get(vd_reader *r, const int64_t *indices, size_t n, vd_error *err)
{
    int ret = rd_index_build(r, err);
    if (ret)
        return ret;
    for (size_t i = 0; i < n; i++)
        if (indices[i] < 0 || indices[i] >= r->idx->n)
            return vd_error_set(err, VD_ERANGE, "%s: frame index %lld is out of range (%lld frames)",
                                r->url, (long long)indices[i], (long long)r->idx->n);
    rd_clear_modes(r);
    r->get_idx = malloc((n + 1) * sizeof *r->get_idx);
    r->uniq = malloc((n + 1) * sizeof *r->uniq);
    r->uses = calloc(n + 1, sizeof *r->uses);
    r->held = calloc(n + 1, sizeof *r->held);
    r->failed = calloc(n + 1, 1);
    if (!r->get_idx || !r->uniq || !r->uses || !r->held || !r->failed) {
        rd_get_clear(r);
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    }
    memcpy(r->get_idx, indices, n * sizeof *indices);
    memcpy(r->uniq, indices, n * sizeof *indices);
    qsort(r->uniq, n, sizeof *r->uniq, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || r->uniq[u - 1] != r->uniq[i])
            r->uniq[u++] = r->uniq[i];
    r->nuniq = u;
    for (size_t i = 0; i < n; i++) {
        int64_t *p = bsearch(&indices[i], r->uniq, u, sizeof *r->uniq, cmp_i64);
        r->uses[p - r->uniq]++;
    }
    r->get_n = n;
    r->get_on = 1;
    return 0;
}

/* Timestamp of the keyframe at or before index i (presentation order). */
static int64_t key_before(const rd_index *ix, int64_t i)
{
    while (i > 0 && !ix->key[i])
        i--;
    return ix->ts[i];
}

static int hold(vd_reader *r, size_t v, vd_error *err)
{
    r->held[v] = av_frame_clone(r->frame);
    if (!r->held[v])
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    r->held[v]->pts = r->last_ts; /* the delivered pts, synthesised or not */
    return 0;
}

/* Streams whose frames are stamped by packet order (AVI): packet
 * timestamps do not name frames, so count frames from the start instead. */
static int decode_by_ordinal(vd_reader *r, size_t v, vd_error *err)
{
    int64_t i = r->uniq[v];
    int ret = 0;
    if (r->ord < 0 || r->ord > i) {
        if ((ret = rd_seek_raw(r, rd_stream_start(r), err)))
            return ret;
        r->ord = 0; /* AVI: index-based seeks to the start are exact */
    }
    r->preroll = r->seek_check = 0;
    while (r->ord <= i && !(ret = rd_decode(r, err)))
        ;
    if (ret == 0)
        return hold(r, v, err);
    r->failed[v] = 1;
    return ret == VD_EOF ? 0 : ret;
}

/* Decode distinct index v (the next in ascending order) and hold it. While
 * it decodes, next_u still points at v so rd_skip_level() wants it. */
static int decode_uniq(vd_reader *r, size_t v, vd_error *err)
{
    if (r->pts_unreliable)
        return decode_by_ordinal(r, v, err);
    int64_t i = r->uniq[v], t = r->idx->ts[i];
    int64_t cur = r->last_ts;
    int ret = 0;
    if (cur == AV_NOPTS_VALUE || cur >= t || cur < key_before(r->idx, i)) {
        ret = rd_seek_raw(r, t, err);
        r->seek_check = 1;
        r->seek_backoff = 0;
        r->stats.skips += cur != AV_NOPTS_VALUE && cur < t;
    }
    r->preroll = 1;
    r->target = t;
    if (!ret)
        ret = rd_next_raw(r, err);
    if (ret == 0 && r->last_ts == t)
        return hold(r, v, err);
    r->failed[v] = 1;
    if (ret == 0 || ret == VD_EOF)
        return 0; /* reported when the caller reaches this index */
    return ret;
}

static int decode_next_uniq(vd_reader *r, vd_error *err)
{
    int ret = decode_uniq(r, r->next_u, err);
    r->next_u++;
    return ret;
}

int rd_get_next(vd_reader *r, vd_error *err)
{
    if (r->get_pos >= r->get_n)
        return VD_EOF;
    int64_t want = r->get_idx[r->get_pos];
    size_t u = (int64_t *)bsearch(&want, r->uniq, r->nuniq, sizeof *r->uniq, cmp_i64) - r->uniq;
    while (!r->held[u] && !r->failed[u]) {
        int ret = decode_next_uniq(r, err);
        if (ret)
            return ret;
    }
    if (r->failed[u]) {
        r->get_pos++;
        return vd_error_set(err, VD_EFORMAT, "%s: frame %lld (pts %.3f s) could not be decoded",
                            r->url, (long long)want, rd_ticks_to_s(r, r->idx->ts[want]));
    }
    av_frame_unref(r->frame);
    r->get_ts = r->held[u]->pts;
    if (--r->uses[u] == 0) {
        av_frame_move_ref(r->frame, r->held[u]);
        av_frame_free(&r->held[u]);
    } else if (av_frame_ref(r->frame, r->held[u]) < 0) {
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    }
    return 0;
}

/* Index of the frame on screen at tick t: the last with ts <= t. -1 before
 * the first frame, n past the end of the last. */
static int64_t frame_at(const rd_index *ix, int64_t t)
{
    if (!ix->n || t >= ix->end)
        return ix->n;
    return rd_lower_bound(ix->ts, ix->n, t + 1) - 1; /* the last with ts <= t */
}

int vd_reader_get_at(vd_reader *r, const double *t, size_t n, vd_error *err)
{
    int ret = rd_index_build(r, err);
    if (ret)
        return ret;
    if (r->pts_unreliable)
        return vd_error_set(err, VD_EUNSUPPORTED,
                            "%s: frames played at a time need packet timestamps (this stream "
                            "has packets without pts)", r->url);
    int64_t *ix = malloc((n + 1) * sizeof *ix);
    if (!ix)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    const rd_index *x = r->idx;
    for (size_t i = 0; i < n && !ret; i++) {
        /* the last tick at or before t, within 0.5 us as in rd_first_tick */
        double tick = floor((t[i] + 5e-7) / av_q2d(r->st->time_base));
        ix[i] = isfinite(tick) ? frame_at(x, (int64_t)tick) : -1;
        if (ix[i] < 0)
            ret = vd_error_set(err, VD_ERANGE, "%s: no frame is played at %.6f s (the first "
                               "starts at %.6f s)", r->url, t[i],
                               x->n ? rd_ticks_to_s(r, x->ts[0]) : NAN);
        else if (ix[i] >= x->n)
            ret = vd_error_set(err, VD_ERANGE, "%s: no frame is played at %.6f s (the last "
                               "ends at %.6f s)", r->url, t[i], rd_ticks_to_s(r, x->end));
    }
    if (!ret)
        ret = vd_reader_get(r, ix, n, err);
    free(ix);
    return ret;
}
