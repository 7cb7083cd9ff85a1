/* reader_internal.h -- the vd_reader struct shared by the reader*.c files.
 * Not a public header: callers use pipeline/reader.h only.
 *
 * The files split the reader by job and call only downward, top to bottom:
 *   reader.c          public open/close/metadata, next, seek, select_set
 *   reader_clips.c    torchvision's clip arithmetic over the index
 *   reader_index.c    packet index, predicted delivered set, get(), get_at()
 *   reader_decode.c   packet/frame loop, demuxer seeks, pre-roll
 *   reader_select.c   the selection filter (pure)
 *   reader_convert.c  swscale into caller memory, MD5s
 *   reader_io.c       FFmpeg boundary (open, errors), deadlines, ticks
 * The design choice that ties them: one function, rd_skip_level() in
 * reader_decode.c, decides per packet before decoding whether its frame
 * can be dropped, reading what the upper layers want from this struct
 * (selection, predicted set, get() list) rather than calling them; and one
 * selection filter, rd_sel_accept(), runs both on decoded frames and on the
 * index to predict the delivered set. */
#ifndef VD_READER_INTERNAL_H
#define VD_READER_INTERNAL_H

#include <stdatomic.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#include "reader.h"

/* Selection filter state: [start,end) -> keyframes -> step -> fps -> count. */
typedef struct rd_sel {
    vd_reader_select s;
    int64_t in_range;  /* frames that passed range + keyframes */
    int64_t delivered;
    int have_t0;
    double t0;
    int64_t next_tick; /* n of the next tick t0 + n/fps */
    int done;
} rd_sel;

typedef struct rd_index {
    int64_t n;
    int64_t *ts;     /* presentation order, stream ticks (pts, else dts) */
    uint8_t *key;    /* key flag per presentation-order frame */
    int64_t end;     /* ticks: where the last frame stops being shown */
} rd_index;

struct vd_reader {
    char *url;
    const uint8_t *mem;  /* vd_reader_open_buffer: the caller's bytes (url names them) */
    size_t mem_size;
    char *format, *av_options, *rtsp_transport; /* copies of the opts */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVStream *st;
    int sidx;
    vd_media media;
    AVPacket *pkt;
    AVFrame *frame;      /* the frame the caller currently sees */
    int seekable;
    int pts_unreliable;  /* packet pts may not be its frame's: never NONREF-skip */

    /* interrupt callback: abort flags + deadline (monotonic us, 0 = none) */
    atomic_int abort;
    const atomic_int *ext_abort; /* vd_reader_opts.abort, may be NULL */
    const vd_reader_guard *guard; /* vd_reader_opts.guard, may be NULL */
    vd_error refused;            /* the guard's first refusal (code 0: none) */
    int (*io_open_ff)(AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                      AVDictionary **options); /* FFmpeg's own, which the guard wraps */
    int64_t deadline;
    double open_timeout, read_timeout;
    int timed_out;

    int demux_eof, dec_eof;
    int drain_one;          /* keyframes mode: the decoder drains one packet */
    int64_t last_ts;        /* last synthesised/decoded pts in ticks */
    int64_t last_dts;       /* dts of the last packet read (gap check) */
    int64_t frame_ticks;    /* one frame duration in ticks (no-pts fallback) */
    int64_t ord;            /* ordinal of the next decoded frame, -1 unknown */

    /* seek pre-roll: drop frames with pts < target (ticks) */
    int preroll;
    int64_t target;
    int seek_check;         /* verify the landing point on the next frame */
    double seek_t;
    int seek_backoff;

    /* selection */
    int sel_on;
    rd_sel sel;
    int64_t *want;          /* sorted ticks of frames that will be delivered */
    int64_t nwant;

    /* frame index and get(indices) */
    rd_index *idx;
    int get_on;
    int64_t *get_idx;       /* caller's list */
    size_t get_n, get_pos;
    int64_t get_ts;         /* pts of the frame delivered by get */
    int64_t *uniq;          /* sorted distinct indices */
    int64_t *uses;          /* pending uses per distinct index */
    AVFrame **held;         /* decoded, still needed */
    uint8_t *failed;        /* could not be decoded */
    size_t nuniq, next_u;

    /* audio */
    SwrContext *swr;
    int swr_in[3];          /* format, rate, channels it was built for */
    float *abuf;
    int abuf_samples;

    /* conversion */
    struct SwsContext *sws;
    uint8_t *scratch;       /* rgb24 staging for float output */
    size_t scratch_size;

    vd_reader_stats stats;
};

/* reader_io.c */
int rd_open_format(vd_reader *r, AVFormatContext **out, vd_error *err);
void rd_close_format(AVFormatContext **fc); /* also frees a vd_reader_open_buffer pb */
int rd_averr(vd_reader *r, int averr, vd_error *err, const char *what);
int64_t rd_now_us(void);
void rd_arm_deadline(vd_reader *r, double seconds);
double rd_ticks_to_s(const vd_reader *r, int64_t ts);
int64_t rd_s_to_ticks(const vd_reader *r, double t);
int64_t rd_first_tick(const vd_reader *r, double t);
int64_t rd_stream_start(const vd_reader *r); /* ticks, 0 if unknown */
int64_t rd_lower_bound(const int64_t *a, int64_t n, int64_t v);
int rd_sorted_has(const int64_t *a, int64_t n, int64_t v);

/* reader_select.c */
void rd_sel_reset(rd_sel *s, const vd_reader_select *sel);
int rd_sel_accept(rd_sel *s, double pts, int key); /* 1 keep, 0 skip, VD_EOF */

/* reader_decode.c */
int rd_decode(vd_reader *r, vd_error *err);   /* next decoded frame in r->frame */
int rd_seek_raw(vd_reader *r, int64_t ts, vd_error *err);
int rd_fill_frame(vd_reader *r, vd_frame *f, int64_t ts, vd_error *err);
int rd_next_raw(vd_reader *r, vd_error *err); /* decoded frame >= pre-roll target */

/* reader_index.c */
int rd_index_build(vd_reader *r, vd_error *err);
void rd_index_free(rd_index **ix);
int rd_get_next(vd_reader *r, vd_error *err);  /* frame for get_idx[get_pos] */
void rd_get_clear(vd_reader *r);
void rd_clear_modes(vd_reader *r);             /* no selection, no get() */
/* Predict the frames the selection delivers from index frames with ts >=
 * from; without an index (live input) there is simply no prediction. */
int rd_want_build(vd_reader *r, int64_t from, vd_error *err);

/* reader_convert.c */
void rd_convert_free(vd_reader *r);

/* vd_reader_interrupt() was called, or the caller's own abort flag is set. */
static inline int rd_aborted(const vd_reader *r)
{
    return atomic_load(&r->abort) || (r->ext_abort && atomic_load(r->ext_abort));
}

#endif
