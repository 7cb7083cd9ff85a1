/* reader.h -- visiond's frame reader: the one contract of pipeline/reader.
 *
 * A vd_reader opens anything FFmpeg opens (file, file://, rtsp://, http(s)://
 * incl. MJPEG over HTTP, /dev/videoN through libavdevice), decodes ONE
 * selected stream (video or audio) and hands out its frames in presentation
 * order, each with its pts in seconds (best-effort timestamp, the stream's
 * own start kept, not rebased).
 *
 * Design choice a user must know: selection (time range, step, fps, count,
 * keyframes, frame indices) lives HERE, not in the callers, so `visiond
 * frames`, `visiond detect` and the daemon share exactly one semantics, and
 * the reader can skip work for frames nobody will see: undelivered frames
 * are never converted and, where the codec allows, never decoded
 * (AVDISCARD_NONKEY in keyframes mode, AVDISCARD_NONREF for frames before an
 * accurate seek target or between sparse samples).
 *
 * Threads: a reader is used by one thread at a time, except
 * vd_reader_interrupt(), which any thread may call at any time. Readers
 * share no state; there is no global initialisation to do.
 *
 * Every int-returning call returns 0 or a negative VD_E* code and fills
 * *err (may be NULL) with a message naming the input and the reason. */
#ifndef VD_READER_H
#define VD_READER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/core/pixfmt.h"

struct AVFrame;

typedef struct vd_reader vd_reader;

typedef enum vd_media {
    VD_MEDIA_VIDEO = 0,
    VD_MEDIA_AUDIO = 1,
    VD_MEDIA_OTHER = 2, /* subtitles, data: listed by probe, never decoded */
} vd_media;

/* ---- opening ---------------------------------------------------------- */

/* What a reader may open, for callers that take URLs from others (the
 * daemon). FFmpeg's demuxers open further resources on their own: HLS
 * variant playlists and segments, DASH fragments, image sequences; the
 * guard covers the URL and all of those. A refusal fails the open (or the
 * read that needed the resource) with the code and message the refusal
 * set, e.g. "x.m3u8: cannot open: '/etc/x.ts' is outside ...". */
typedef struct vd_reader_guard {
    const char *protocols; /* FFmpeg's protocol_whitelist, nested opens included
                            * ("file", "http,https,tcp,tls"); NULL: any */
    const char *formats;   /* format_whitelist: the demuxers allowed, nested ones
                            * included; leave "concat" out, since its entries
                            * are opened without `allow` being asked; NULL: any */
    int (*allow)(void *ud, const char *url, vd_error *err); /* optional: asked for
                            * every resource opened through the demuxer's
                            * io_open; non-zero refuses it (err says why) */
    void *ud;
} vd_reader_guard;

typedef struct vd_reader_opts {
    vd_media media;     /* stream type to decode (default video) */
    int stream;         /* absolute stream index, or -1 (default): FFmpeg's best
                         * stream of type `media`. A stream of the wrong type is
                         * VD_EINVAL. */
    int threads;        /* decoder threads: 0 (default) = one per core, 1 = none */
    int thread_type;    /* VD_THREAD_FRAME | VD_THREAD_SLICE (default both) */
    double open_timeout; /* s, connect + probe; <= 0: none. Default 10. */
    double read_timeout; /* s without a decoded frame => VD_ETIMEDOUT "no frames
                          * for N s"; <= 0: none. Default 10. */
    const char *rtsp_transport; /* "tcp" or "udp"; NULL: FFmpeg's default */
    const char *format;  /* force the input format ("v4l2", "mjpeg", "mpegts");
                          * NULL: probe */
    const atomic_int *abort; /* optional: a flag another thread sets (non-zero) to
                              * interrupt this reader, watched from the first
                              * byte of the open on (vd_reader_interrupt() needs
                              * the handle, which a blocked open has not
                              * returned yet); NULL: none */
    const char *av_options; /* extra demuxer/protocol options,
                             * "key=value:key=value" (e.g.
                             * "analyzeduration=500000:probesize=65536"); NULL none */
    const vd_reader_guard *guard; /* NULL: none; it and its strings must outlive
                                   * the reader */
} vd_reader_opts;

enum { VD_THREAD_FRAME = 1, VD_THREAD_SLICE = 2 };

/* Fill *o with the defaults documented above. */
void vd_reader_opts_init(vd_reader_opts *o);

/* Open url and prepare the decoder of the selected stream. opts NULL = the
 * defaults. On failure *r is NULL and the code says why: VD_ENOTFOUND (no
 * such file / no stream of that type), VD_EFORMAT (unreadable or corrupt
 * data), VD_EUNSUPPORTED (no decoder, unknown protocol), VD_EIO,
 * VD_ETIMEDOUT (open_timeout hit), VD_EINVAL (bad option). */
int vd_reader_open(vd_reader **r, const char *url, const vd_reader_opts *opts,
                   vd_error *err);

/* The same on size bytes at data, a whole file held in memory, instead of
 * a URL: no protocol is involved (opts->av_options may still set demuxer
 * options; protocol options have no effect). The input is seekable, so
 * seeks and the frame index work as on a file. name labels error messages
 * and lets FFmpeg's probe score by extension ("clip.mp4"); it is never
 * opened ("/dev/video0" does not select v4l2). opts->format forces the
 * demuxer as for vd_reader_open. data is not copied: it must stay valid
 * and unchanged until vd_reader_close(). size 0 is an empty input
 * (VD_EFORMAT); NULL data with size > 0 is VD_EINVAL. */
int vd_reader_open_buffer(vd_reader **r, const char *name, const void *data, size_t size,
                          const vd_reader_opts *opts, vd_error *err);

/* Close and free; *r becomes NULL. Safe on NULL and on *r == NULL. Frames
 * obtained from the reader are invalid afterwards. Must not race with other
 * calls on the same reader (use vd_reader_interrupt() to stop a blocked
 * reader thread first). */
void vd_reader_close(vd_reader **r);

/* Make a blocked (or the next) open/read return VD_ECLOSED. The only call
 * that is safe from another thread; idempotent; sticky (the reader stays
 * interrupted). */
void vd_reader_interrupt(vd_reader *r);

/* ---- metadata --------------------------------------------------------- */

typedef struct vd_stream_info {
    int index;
    vd_media type;
    const char *codec;      /* "h264", "pcm_s16le", ... ("none" if unknown) */
    int64_t bit_rate;       /* bit/s, 0 unknown */
    double time_base;       /* seconds per pts tick */
    int tb_num, tb_den;
    double start_time;      /* s, NAN unknown */
    double duration;        /* s, NAN unknown */
    int64_t nb_frames;      /* container's claim, 0 unknown (may be wrong: the
                             * frame index counts packets instead) */
    /* video */
    int width, height;
    const char *pix_fmt;    /* "yuv420p", "none" unknown */
    double avg_fps;         /* average frame rate, 0 unknown */
    double real_fps;        /* r_frame_rate: lowest rate that represents all
                             * timestamps exactly, 0 unknown */
    /* audio */
    int sample_rate, channels;
    const char *sample_fmt; /* the decoder's native format ("fltp", "s16") */
} vd_stream_info;

typedef struct vd_format_info {
    const char *format;     /* demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    double duration;        /* s, NAN unknown (live) */
    double start_time;      /* s, NAN unknown */
    int64_t bit_rate;       /* bit/s, 0 unknown */
    int nb_streams;
    int selected_stream;    /* the stream this reader decodes */
} vd_format_info;

/* Strings point into the reader and live until vd_reader_close(). */
void vd_reader_format_info(const vd_reader *r, vd_format_info *out);
/* VD_ERANGE if i is not in [0, nb_streams). */
int vd_reader_stream_info(const vd_reader *r, int i, vd_stream_info *out,
                          vd_error *err);

/* ---- frames ----------------------------------------------------------- */

typedef struct vd_frame {
    vd_media type;
    double pts;        /* seconds: best_effort_timestamp * time_base; when the
                        * stream has no timestamps, the previous pts plus one
                        * frame duration (first: 0) */
    int64_t pts_raw;   /* the same in stream time_base ticks */
    int key;           /* 1 for a key frame */
    int corrupt;       /* 1 if the decoder concealed damage in this frame */
    int64_t index;     /* vd_reader_get(): the requested frame index;
                        * otherwise -1 */
    /* video: a zero-copy view of the decoder's AVFrame */
    int width, height;
    int format;        /* enum AVPixelFormat */
    const char *pix_fmt;
    uint8_t *data[4];
    int linesize[4];
    /* audio: samples as interleaved float32 (AV_SAMPLE_FMT_FLT), channel c of
     * sample i at samples[i * channels + c], nominally in [-1, 1] */
    int nb_samples, channels, sample_rate;
    const float *samples;
    const struct AVFrame *av; /* the native decoded frame */
} vd_frame;

/* The next selected frame into *f. Returns 0, VD_EOF when the selection or
 * the stream is exhausted (and again on every later call), or an error:
 * VD_ETIMEDOUT ("no frames for N s"), VD_ECLOSED (interrupted), VD_EIO.
 * Damaged data does NOT end iteration: frames that decode are delivered and
 * each failure is counted (see vd_reader_stats). Lifetime: everything *f
 * points to is owned by the reader and valid until the next
 * next/seek/select/get/close call on it; copy (av_frame_ref on f->av, or
 * vd_reader_convert) what must live longer. */
int vd_reader_next(vd_reader *r, vd_frame *f, vd_error *err);

/* ---- seeking ---------------------------------------------------------- */

/* Times vs timestamps: a time t names the first tick at or after t - 0.5 us
 * of the stream's time base, and pts are computed from ticks the same way,
 * so a frame's pts -- exact, or printed with 6 decimals -- names that frame
 * in vd_reader_seek() and in a selection's start/end. */
enum {
    VD_SEEK_ACCURATE = 0, /* first frame delivered = first with pts >= t */
    VD_SEEK_KEYFRAME = 1, /* first frame = the keyframe at or before t (fast) */
};

/* Reposition. Accurate mode seeks the demuxer to the keyframe at or before
 * t, flushes the decoder (no stale frames), checks where it landed (a first
 * frame after t, or the end before any frame, makes it seek back 2, 4, 8 ...
 * s and at last to the beginning), and pre-rolls to t without converting --
 * and without decoding the non-reference frames before t. A t past the end
 * is not an error: the next call returns VD_EOF. An active selection stays
 * active and restarts at the new position (step/fps/count count from there).
 * A vd_reader_get() in progress is cancelled. Unseekable inputs (live,
 * pipes) can only go forward, by decoding: VD_EUNSUPPORTED if t lies behind
 * the current position or mode is VD_SEEK_KEYFRAME. VD_EINVAL: t not
 * finite, unknown mode. */
int vd_reader_seek(vd_reader *r, double t, int mode, vd_error *err);

/* ---- selection -------------------------------------------------------- */

typedef struct vd_reader_select {
    double start;     /* s: first frame with pts >= start; NAN = from the
                       * current position (stream start after open) */
    double end;       /* s: stop before the first frame with pts >= end; NAN none */
    int64_t step;     /* keep the 1st, (K+1)-th, ... frame of the range; 1 = all */
    double fps;       /* > 0: first frame at or after each tick t0 + n/fps,
                       * t0 = pts of the first frame kept by the filters before;
                       * at most one frame per tick, empty ticks skipped */
    int64_t count;    /* stop after this many delivered frames; 0 = no limit */
    int keyframes;    /* deliver only key frames: the frames a full decode
                       * flags key (IDR, recovery-point I, CRA), in pts order.
                       * Only key packets are decoded, each alone (the
                       * decoder drained after it), so open GOPs give the
                       * full decode's pixels and timestamps; key packets
                       * before start are not decoded, the first at or
                       * after end ends the selection. */
} vd_reader_select;

/* No selection: every frame from the current position. */
void vd_reader_select_init(vd_reader_select *s);

/* VD_EINVAL if s is inconsistent: start < 0, end <= start or <= 0,
 * step < 1, fps < 0 or not finite, count < 0; the message names the field.
 * Needs no reader, so a CLI can reject bad arguments before opening. */
int vd_reader_select_check(const vd_reader_select *s, vd_error *err);

/* Check s (as vd_reader_select_check, message prefixed with the input) and
 * make vd_reader_next() deliver exactly the selected frames. The filters
 * apply in this order: [start, end) -> keyframes -> step -> fps -> count.
 * With a start, seeks accurately to it. On a seekable input with step > 1
 * or fps > 0 (and packet timestamps that name frames: not AVI), builds the
 * frame index once, predicts which frames will be delivered and lets the
 * decoder drop the non-reference others; where the demuxer seeks by an
 * index (MP4, Matroska, AVI; not MPEG-TS, whose bisecting seeks cost more
 * than they save), it also jumps to the key frame at or before the next
 * wanted frame whenever that frame lies at or past the next key frame
 * (stats.skips). A later vd_reader_seek() redoes the prediction from the
 * new position. Replaces any earlier selection or
 * vd_reader_get(). A selection stays until replaced; vd_reader_select_init
 * values (no filter) turn it into "every frame". */
int vd_reader_select_set(vd_reader *r, const vd_reader_select *s, vd_error *err);

/* ---- frame index access ----------------------------------------------- */

/* Number of frames of the selected stream, counted by scanning packets
 * (demux only, once, cached): exact even when the container's nb_frames is
 * wrong. Frame i is the i-th frame in presentation order. VD_EUNSUPPORTED
 * for inputs that cannot seek (live) or carry no timestamps. */
int vd_reader_frame_count(vd_reader *r, int64_t *n, vd_error *err);

/* Make the next n calls of vd_reader_next() deliver frames indices[0..n-1],
 * in the caller's order, with f->index set. Each distinct frame is decoded
 * once even if indices repeat or are unsorted: the reader decodes in
 * ascending order and keeps a reference to each frame that is requested
 * again later, until its last use (memory: at most one decoded frame per
 * distinct index still pending). The indices array is copied. VD_ERANGE
 * (naming the index and the count) if any index is outside [0, count).
 * After the n-th frame, vd_reader_next() returns VD_EOF. */
int vd_reader_get(vd_reader *r, const int64_t *indices, size_t n, vd_error *err);

/* "Played at" (TorchCodec's get_frames_played_at, OpenCV's
 * CAP_PROP_POS_MSEC): make the next n calls of vd_reader_next() deliver,
 * for each time t[i] in the caller's order, the frame on screen at t[i] --
 * the frame with pts <= t[i] < the next frame's pts (the last frame: < its
 * pts + its packet duration, one frame period if unknown), t matched
 * within 0.5 us as in seeks. Not the first frame with pts >= t. Built on
 * vd_reader_get(): f->index is the frame's index, each distinct frame is
 * decoded once however the times repeat or interleave, the same lifetime
 * and memory rules apply. VD_ERANGE naming the t when a t is before the
 * first frame, at or past the last frame's end, or not finite (nothing is
 * changed then); VD_EUNSUPPORTED where vd_reader_frame_count() is, and for
 * streams whose packets lack pts (AVI with packed B-frames), where a time
 * cannot be mapped to a frame without decoding. n == 0 is valid: the next
 * call returns VD_EOF. */
int vd_reader_get_at(vd_reader *r, const double *t, size_t n, vd_error *err);

/* ---- clips (torchvision's VideoClips) ---------------------------------- */

typedef struct vd_clips {
    int64_t n;        /* clips in this video (0 when it is too short) */
    int64_t frames;   /* frames per clip */
    int64_t stride;   /* frames between clip starts, on the resampled video */
    double fps;       /* the video's average frame rate, the resampling base */
    int64_t *index;   /* n * frames: clip i's frame indices (presentation
                       * order in the original video, as vd_reader_get()
                       * takes them) at index[i * frames ...] */
    double *start, *end; /* n: pts (s) of each clip's first and last frame */
} vd_clips;

/* List the clips of the selected stream as torchvision's
 * VideoClips.compute_clips does, from the packet index (no decoding):
 * every window of `frames` consecutive frames of the video -- resampled to
 * frame_rate when frame_rate > 0 -- whose starts are `stride` frames apart;
 * the last frames that fill no whole window are dropped. Resampling is
 * torchvision's: with step = fps / frame_rate an integer k, frames 0, k,
 * 2k, ... of the whole video; otherwise floor(n * frame_rate / fps) frames,
 * the i-th being floor(i * step) computed in float32 (frames repeat when
 * frame_rate > fps). fps is the stream's average frame rate (else
 * r_frame_rate). *out is always initialised (free it with vd_clips_free).
 * VD_EINVAL: frames < 1, stride < 1, frame_rate < 0 or not finite;
 * VD_EUNSUPPORTED: no frame rate, or where vd_reader_frame_count() is. To
 * decode clip i: vd_reader_get(r, out->index + i * frames, frames, err). */
int vd_reader_clips(vd_reader *r, int64_t frames, int64_t stride, double frame_rate,
                    vd_clips *out, vd_error *err);

/* Free what vd_reader_clips() allocated; c stays valid (n = 0). Safe on
 * NULL and twice. */
void vd_clips_free(vd_clips *c);

/* ---- statistics and errors -------------------------------------------- */

typedef struct vd_reader_stats {
    int64_t packets;        /* packets of the stream read from the demuxer */
    int64_t packets_skipped;/* sent with AVDISCARD_NONREF/NONKEY in force */
    int64_t frames_decoded; /* frames the decoder produced */
    int64_t frames_delivered;
    int64_t frames_converted;
    int64_t decode_errors;  /* packets the decoder rejected + frames with
                             * concealed damage */
    int64_t seeks;          /* demuxer seeks, incl. back-offs */
    int64_t skips;          /* of which forward jumps over frames nobody
                             * needs (sparse selections, get, get_at) */
    char last_error[VD_ERROR_MSG_MAX]; /* the latest decode error, "" if none */
} vd_reader_stats;

void vd_reader_stats_get(const vd_reader *r, vd_reader_stats *out);

/* ---- conversion into caller memory ------------------------------------ */


typedef struct vd_convert {
    vd_pixfmt fmt;
    int width, height; /* 0 = the frame's own size */
} vd_convert;

/* Formats (vision/core/pixfmt.h): VD_PIX_NATIVE (no conversion), RGB24,
 * BGR24, GRAY8, RGBA, and RGBF32 (planar float32 [3,H,W] in [0,1]: the
 * rgb24 bytes times 1/255.0f, within one ulp of rgb24 / 255: one slot of a
 * [B,3,H,W] batch). */

/* Bytes vd_reader_convert() writes for frame f, 0 for VD_PIX_NATIVE or a
 * non-video frame. */
size_t vd_convert_size(const vd_convert *c, const vd_frame *f);

/* Convert video frame f (from this reader) with libswscale (bicubic, the
 * ffmpeg CLI's default; the SwsContext is cached and rebuilt only when the
 * input or output geometry changes) straight into dst, which has dst_size
 * bytes (>= vd_convert_size()). E.g. dst = vd_tensor_slot(&batch, b).data
 * of a float32 [B,3,H,W] batch with fmt VD_PIX_RGBF32 fills slot b with no
 * extra copy. VD_EINVAL: native format, audio frame, dst too small. */
int vd_reader_convert(vd_reader *r, const vd_frame *f, const vd_convert *c,
                      void *dst, size_t dst_size, vd_error *err);

/* Hex MD5 (33 bytes with NUL) of the frame's data packed without padding:
 * the planes of a video frame as av_image_copy_to_buffer(align 1) lays them
 * out -- the exact bytes `ffmpeg -f framemd5` hashes -- or the interleaved
 * float samples of an audio frame (= framemd5 with -c:a pcm_f32le). */
int vd_frame_md5(const vd_frame *f, char hex[33], vd_error *err);

/* Hex MD5 of an arbitrary buffer (e.g. converted output). */
void vd_md5_hex(const void *data, size_t n, char hex[33]);

#endif
