/* reader_io.c -- the bottom of the reader: its FFmpeg boundary (opening a
 * demuxer, AVERROR -> vd_error), time (deadlines, ticks <-> seconds) and
 * sorted-array search. Every other reader*.c file calls down into this one;
 * it calls no other.
 *
 * The one mechanism to know: every blocking FFmpeg call of a reader is
 * watched by one AVIOInterruptCB that checks two things, an atomic abort
 * flag (vd_reader_interrupt(), from any thread) and a deadline. The
 * deadline is armed with open_timeout for opening and re-armed with
 * read_timeout after every decoded frame, so "no frames for N s" covers a
 * silent socket and a socket that talks but never yields a frame alike.
 * A vd_reader_guard adds FFmpeg's whitelists and wraps the demuxer's
 * io_open, through which HLS and DASH open what a playlist names; its
 * first refusal is kept and becomes the error of the open or read that
 * failed for it (a demuxer often skips a failed segment and reports only
 * an end of file). */
#include "reader_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include <libavdevice/avdevice.h>
#include <libavutil/avstring.h>

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
    if (rd_aborted(r))
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
    if (rd_aborted(r))
        return vd_error_set(err, VD_ECLOSED, "%s: %s: interrupted", r->url, what);
    if (r->refused.code)
        return vd_error_set(err, r->refused.code, "%s: %s: %s", r->url, what, r->refused.msg);
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

/* ---- the guard ---- */

static int guard_check(vd_reader *r, const char *url, vd_error *why)
{
    const char *proto = avio_find_protocol_name(url);
    const char *allowed = r->guard->protocols;
    if (allowed && (!proto || av_match_list(proto, allowed, ',') <= 0))
        return vd_error_set(why, VD_EINVAL, "protocol '%s' is not allowed for this source "
                            "(allowed: %s)", proto ? proto : "unknown", allowed);
    return r->guard->allow ? r->guard->allow(r->guard->ud, url, why) : 0;
}

static int guarded_open(AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                        AVDictionary **options)
{
    vd_reader *r = s->opaque; /* NULL in a nested context that copied io_open alone */
    vd_error why = {0};
    if (!r || guard_check(r, url, &why)) {
        if (r && !r->refused.code)
            r->refused = why;
        return AVERROR(EPERM);
    }
    return r->io_open_ff(s, pb, url, flags, options);
}

/* FFmpeg refuses a format off the whitelist with a bare EINVAL: probe the
 * source once more to name the format in the error. */
static void name_refused_format(vd_reader *r)
{
    AVIOContext *pb = NULL;
    const AVInputFormat *f = NULL;
    AVDictionary *d = NULL;
    if (r->guard->protocols)
        av_dict_set(&d, "protocol_whitelist", r->guard->protocols, 0);
    AVIOInterruptCB cb = {interrupt_cb, r};
    if (avio_open2(&pb, r->url, AVIO_FLAG_READ, &cb, &d) >= 0 &&
        av_probe_input_buffer2(pb, &f, r->url, NULL, 0, 0) >= 0 &&
        av_match_list(f->name, r->guard->formats, ',') <= 0)
        vd_error_set(&r->refused, VD_EINVAL, "format '%s' is not allowed for this source",
                     f->name);
    avio_closep(&pb);
    av_dict_free(&d);
}


/* ---- caller memory (vd_reader_open_buffer) ------------------------------
 * Every demuxer context of the reader (the main one, the index scan's)
 * gets its own AVIOContext and cursor over the same bytes, so the two
 * never move each other's position. */

typedef struct rd_mem {
    const uint8_t *data;
    size_t size, pos;
} rd_mem;

static int mem_read(void *opaque, uint8_t *buf, int n)
{
    rd_mem *m = opaque;
    size_t left = m->size - m->pos;
    if (!left)
        return AVERROR_EOF;
    if ((size_t)n > left)
        n = (int)left;
    memcpy(buf, m->data + m->pos, (size_t)n);
    m->pos += (size_t)n;
    return n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    rd_mem *m = opaque;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE)
        return (int64_t)m->size;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)m->pos
                 : whence == SEEK_END ? (int64_t)m->size : -1;
    if (base < 0 || off < -base || off > (int64_t)m->size - base)
        return AVERROR(EINVAL);
    m->pos = (size_t)(base + off);
    return (int64_t)m->pos;
}

static AVIOContext *mem_attach(vd_reader *r, AVFormatContext *fmt)
{
    enum { BUF = 32 * 1024 };
    rd_mem *m = av_mallocz(sizeof *m);
    uint8_t *buf = av_malloc(BUF);
    AVIOContext *pb = m && buf ? avio_alloc_context(buf, BUF, 0, m, mem_read, NULL, mem_seek)
                               : NULL;
    if (!pb) {
        av_free(m);
        av_free(buf);
        return NULL;
    }
    *m = (rd_mem){r->mem, r->mem_size, 0};
    fmt->pb = pb;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    return pb;
}

static void mem_detach(AVIOContext **pb)
{
    if (!*pb)
        return;
    av_freep(&(*pb)->opaque);
    av_freep(&(*pb)->buffer); /* FFmpeg may have replaced the one we gave it */
    avio_context_free(pb);
}

/* Open r->url (or r->mem, named r->url) into a new demuxer context watched
 * by r's interrupt callback; the index scan opens a second one the same
 * way. Close it with rd_close_format. */
/* The demuxer's options (the guard's whitelists among them) and the input
 * format when one is forced; on failure *d is freed. */
static int open_options(vd_reader *r, AVDictionary **d, const AVInputFormat **ifmt,
                        vd_error *err)
{
    if (r->av_options && av_dict_parse_string(d, r->av_options, "=", ":", 0) < 0) {
        av_dict_free(d);
        return vd_error_set(err, VD_EINVAL, "%s: bad av_options '%s' (want key=value:...)",
                            r->url, r->av_options);
    }
    if (r->rtsp_transport)
        av_dict_set(d, "rtsp_transport", r->rtsp_transport, 0);
    if (r->guard && r->guard->protocols)
        av_dict_set(d, "protocol_whitelist", r->guard->protocols, 0);
    if (r->guard && r->guard->formats)
        av_dict_set(d, "format_whitelist", r->guard->formats, 0);
    if (r->format || (!r->mem && !strncmp(r->url, "/dev/video", 10))) {
        avdevice_register_all(); /* idempotent, makes v4l2 & co findable */
        *ifmt = av_find_input_format(r->format ? r->format : "v4l2");
        if (!*ifmt) {
            av_dict_free(d);
            return vd_error_set(err, VD_EINVAL, "%s: unknown input format '%s'", r->url,
                                r->format);
        }
    }
    return 0;
}

int rd_open_format(vd_reader *r, AVFormatContext **out, vd_error *err)
{
    AVDictionary *d = NULL;
    const AVInputFormat *ifmt = NULL;
    int rc = open_options(r, &d, &ifmt, err);
    if (rc)
        return rc;
    AVFormatContext *fmt = *out = avformat_alloc_context();
    if (!fmt) {
        av_dict_free(&d);
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    }
    fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, r};
    if (r->guard) {
        r->io_open_ff = fmt->io_open;
        fmt->io_open = guarded_open;
        fmt->opaque = r;
    }
    AVIOContext *pb = NULL;
    if (r->mem && !(pb = mem_attach(r, fmt))) {
        avformat_free_context(fmt);
        *out = NULL;
        av_dict_free(&d);
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    }
    int ret = avformat_open_input(out, r->url, ifmt, &d);
    av_dict_free(&d);
    if (ret < 0)
        mem_detach(&pb); /* FFmpeg freed fmt, but never frees a caller's pb */
    if (ret == AVERROR(EINVAL) && r->guard && r->guard->formats && !r->refused.code)
        name_refused_format(r);
    return ret < 0 ? rd_averr(r, ret, err, "cannot open") : 0;
}

void rd_close_format(AVFormatContext **fc)
{
    AVIOContext *pb = *fc && ((*fc)->flags & AVFMT_FLAG_CUSTOM_IO) ? (*fc)->pb : NULL;
    avformat_close_input(fc);
    mem_detach(&pb);
}

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

int64_t rd_stream_start(const vd_reader *r)
{
    return r->st->start_time != AV_NOPTS_VALUE ? r->st->start_time : 0;
}

/* First position in sorted a[0..n) whose value is >= v (n if none). */
int64_t rd_lower_bound(const int64_t *a, int64_t n, int64_t v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Is v among the sorted a[0..n)? */
int rd_sorted_has(const int64_t *a, int64_t n, int64_t v)
{
    int64_t i = rd_lower_bound(a, n, v);
    return i < n && a[i] == v;
}
