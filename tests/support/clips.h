/* clips.h -- test videos generated at run time with libavcodec/libavformat
 * encoders (no network, no committed binaries), and the ffmpeg CLI's
 * framemd5 as the reference to compare decoded frames against.
 *
 * Clips are cached by name under VD_BINARY_DIR/tests/clips: the first test
 * that needs one encodes it to a temporary name and renames it into place,
 * so tests running in parallel processes never see a half-written file. */
#ifndef VD_TEST_CLIPS_H
#define VD_TEST_CLIPS_H

#include <stddef.h>

typedef struct vd_clip_spec {
    const char *container; /* muxer: "mp4", "mpegts", "avi", "matroska" */
    const char *vcodec;    /* encoder: "libx264", "mpeg4", "mjpeg" */
    int width, height;
    int fps;               /* nominal rate */
    int nframes;
    int gop;               /* keyframe interval */
    int bframes;           /* max consecutive B-frames */
    const char *params;    /* libx264/libx265 only: "x264-params" / "x265-params"
                            * (NULL: scenecut=0, an IDR exactly every gop frames) */
    int vfr;               /* 1: durations cycle 1,1,2,0.5,1.5 frame periods */
    double start;          /* pts of the first frame, seconds */
    const char *acodec;    /* NULL: no audio; "pcm_s16le", "mp2", "aac" */
    int sample_rate, channels;
} vd_clip_spec;

/* 320x240, 25 fps, 75 frames, gop 25, no B-frames, libx264 in mp4. */
void vd_clip_spec_init(vd_clip_spec *s);

/* Path of the clip called name (e.g. "h264_b.mp4"), encoding it from s if
 * it does not exist yet. Returns a static-per-call malloc'ed path (free it)
 * or NULL with the reason in errbuf. */
char *vd_clip_get(const char *name, const vd_clip_spec *s, char *errbuf, size_t n);

/* vd_clip_get() of vd_clip_spec_init()'s spec changed by tweak (may be NULL). */
char *vd_clip_tweaked(const char *name, void (*tweak)(vd_clip_spec *), char *errbuf, size_t n);

/* vd_clip_tweaked() inside a Criterion test: the path, or the test fails
 * naming the clip and the reason. */
char *vd_clip_must(const char *name, void (*tweak)(vd_clip_spec *));

/* Tweaks several test files share: 3 B-frames; MPEG-TS starting at 10 s
 * with 2 B-frames; variable frame rate in Matroska with 2 B-frames. */
void vd_clip_bframes3(vd_clip_spec *s);
void vd_clip_ts_start10(vd_clip_spec *s);
void vd_clip_vfr(vd_clip_spec *s);

/* Copy src to a new file name (in the clips dir) and damage it: overwrite
 * len bytes at fraction at of its size with garbage, or (len < 0) cut it
 * at that fraction. Returns the malloc'ed path or NULL. */
char *vd_clip_damage(const char *src, const char *name, double at, long len);

typedef struct vd_ref_frame {
    double pts;   /* seconds, the stream's timestamps kept (-copyts) */
    char md5[33];
    int key;      /* set by vd_ref_keys() only */
} vd_ref_frame;

/* Run `ffmpeg -copyts -i path -map 0:<sel> -fps_mode passthrough <extra>
 * -f framemd5 -` and parse it. sel is "v:0" or "a:0"; extra may be "".
 * Returns the frame count (>= 0) with *out malloc'ed, or -1. */
long vd_ref_framemd5(const char *path, const char *sel, const char *extra, vd_ref_frame **out);

/* Mark v[i].key from ffprobe's full decode of the first video stream
 * (frame key_frame flags, in output order, matched to v by position and
 * checked by pts). Returns the number of key frames, or -1 when ffprobe
 * fails or disagrees with v on the frame count or a pts. */
long vd_ref_keys(const char *path, vd_ref_frame *v, long n);

#endif
