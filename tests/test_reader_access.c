/* test_reader_access.c -- the reader's access patterns on the files that
 * broke it: key frames of open GOPs (H.264 recovery points, HEVC CRA),
 * accurate seeks on every frame of AVI with packed B-frames (Megamind),
 * "played at" lookups and sparse sampling. The references are the ffmpeg
 * CLI's framemd5 and ffprobe's key flags of a full decode. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/reader.h"
#include "tests/support/clips.h"

/* Open GOPs: I-frames every 30 frames that B-frames before them reference
 * across, keyframes at other distances than the IDR period. */
static void open_gop_h264(vd_clip_spec *s)
{
    s->container = "matroska";
    s->bframes = 3;
    s->nframes = 100;
    s->params = "open-gop=1:keyint=30:min-keyint=10:scenecut=40";
}
static void open_gop_h264_mp4(vd_clip_spec *s)
{
    open_gop_h264(s);
    s->container = "mp4";
}
static void open_gop_hevc(vd_clip_spec *s)
{
    open_gop_h264(s);
    s->vcodec = "libx265";
    s->params = "log-level=error:open-gop=1:keyint=30:min-keyint=10:bframes=3";
}


static vd_reader *open_ok(const char *path)
{
    vd_reader *r = NULL;
    vd_error err = {0};
    cr_assert_eq(vd_reader_open(&r, path, NULL, &err), 0, "open %s: %s", path, err.msg);
    return r;
}

static vd_ref_frame *ref(const char *path, long *n)
{
    vd_ref_frame *v = NULL;
    *n = vd_ref_framemd5(path, "v:0", "", &v);
    cr_assert_gt(*n, 0, "ffmpeg framemd5 of %s failed", path);
    return v;
}

static void next_is(vd_reader *r, const vd_ref_frame *w, const char *what, double t)
{
    vd_frame f;
    vd_error err = {0};
    char md5[33];
    int ret = vd_reader_next(r, &f, &err);
    cr_assert_eq(ret, 0, "%s %.9f: next: %d %s", what, t, ret, err.msg);
    cr_assert_eq(vd_frame_md5(&f, md5, &err), 0);
    cr_assert(fabs(f.pts - w->pts) < 1e-6 && !strcmp(md5, w->md5),
              "%s %.9f: got pts %.6f, want the frame at %.6f", what, t, f.pts, w->pts);
}

/* Keyframes mode delivers exactly the frames a full decode flags as key,
 * in presentation order, with their MD5s, decoding nothing else; and the
 * same inside a range. */
static void check_keyframes(const char *p)
{
    long n;
    vd_ref_frame *w = ref(p, &n);
    long keys = vd_ref_keys(p, w, n);
    cr_assert_gt(keys, 2, "%s: ffprobe found %ld key frames", p, keys);
    double lo = w[n / 4].pts + 0.01, hi = w[3 * n / 4].pts + 0.01;
    for (int ranged = 0; ranged < 2; ranged++) {
        vd_reader *r = open_ok(p);
        vd_reader_select s;
        vd_reader_select_init(&s);
        s.keyframes = 1;
        if (ranged)
            s.start = lo, s.end = hi;
        cr_assert_eq(vd_reader_select_set(r, &s, NULL), 0);
        long want = 0;
        for (long i = 0; i < n; i++)
            if (w[i].key && (!ranged || (w[i].pts >= lo && w[i].pts < hi))) {
                next_is(r, &w[i], ranged ? "keyframes in range" : "keyframes", w[i].pts);
                want++;
            }
        vd_frame f;
        cr_assert_eq(vd_reader_next(r, &f, NULL), VD_EOF, "%s: a frame after the last key", p);
        vd_reader_stats st;
        vd_reader_stats_get(r, &st);
        cr_assert(want > 0 && st.frames_decoded == want, "%s: decoded %lld frames for %ld keys",
                  p, (long long)st.frames_decoded, want);
        vd_reader_close(&r);
    }
    free(w);
}

Test(reader_access, keyframes_of_open_gop_h264_mkv_and_mp4)
{
    char *p = vd_clip_must("open_gop_h264.mkv", open_gop_h264);
    check_keyframes(p);
    free(p);
    p = vd_clip_must("open_gop_h264.mp4", open_gop_h264_mp4);
    check_keyframes(p);
    free(p);
}

Test(reader_access, keyframes_of_open_gop_hevc_cra)
{
    char *p = vd_clip_must("open_gop_hevc.mkv", open_gop_hevc);
    check_keyframes(p);
    free(p);
}

/* Seek accurately to every frame's pts, exactly and as printed with six
 * decimals: each lands on that frame, as the full decode stamps it. */
static void seek_every_frame(const char *p)
{
    long n;
    vd_ref_frame *w = ref(p, &n);
    vd_reader *r = open_ok(p);
    for (long k = 0; k < n; k++) {
        vd_error err = {0};
        double printed = round(w[k].pts * 1e6) / 1e6;
        double t = k % 2 ? printed : w[k].pts;
        cr_assert_eq(vd_reader_seek(r, t, VD_SEEK_ACCURATE, &err), 0, "%s", err.msg);
        next_is(r, &w[k], p, t);
        if (k + 1 < n)
            next_is(r, &w[k + 1], "the frame after", t);
    }
    vd_reader_close(&r);
    free(w);
}

Test(reader_access, megamind_avi_seeks_land_on_every_frame, .timeout = 600)
{
    seek_every_frame(VD_OPENCV_DATA "/Megamind.avi");
}

Test(reader_access, megamind_bugy_avi_seeks_land_on_every_frame, .timeout = 600)
{
    seek_every_frame(VD_OPENCV_DATA "/Megamind_bugy.avi");
}

Test(reader_access, start_at_a_frame_pts_delivers_that_frame)
{
    const char *p = VD_OPENCV_DATA "/Megamind.avi";
    long n;
    vd_ref_frame *w = ref(p, &n);
    for (long k = 170; k < 182; k += 4) {
        vd_reader *r = open_ok(p);
        vd_reader_select s;
        vd_reader_select_init(&s);
        s.start = w[k].pts;
        s.end = w[k + 3].pts;
        s.step = 2;
        cr_assert_eq(vd_reader_select_set(r, &s, NULL), 0);
        next_is(r, &w[k], "--start pts --step 2", s.start);
        next_is(r, &w[k + 2], "--start pts --step 2", s.start);
        vd_frame f;
        cr_assert_eq(vd_reader_next(r, &f, NULL), VD_EOF, "--end at a pts includes that frame");
        vd_reader_close(&r);
    }
    free(w);
}

/* get_at(): for times at, between and just before frames, shuffled and
 * repeated, the frame with pts <= t < next pts, each decoded once. */
static void check_played_at(const char *p)
{
    long n;
    vd_ref_frame *w = ref(p, &n);
    enum { M = 64 };
    double t[M];
    long want[M];
    unsigned seed = 7;
    for (int i = 0; i < M; i++) {
        seed = seed * 1103515245u + 12345u;
        long k = (long)((seed >> 8) % (unsigned)(n - 1));
        double next = w[k + 1].pts;
        const double at[3] = {w[k].pts, (w[k].pts + next) / 2, next - 1e-4};
        t[i] = at[i % 3];
        want[i] = k;
    }
    t[M - 1] = t[3], want[M - 1] = want[3]; /* a repeat, far from the first */
    vd_reader *r = open_ok(p);
    vd_error err = {0};
    cr_assert_eq(vd_reader_get_at(r, t, M, &err), 0, "%s", err.msg);
    for (int i = 0; i < M; i++)
        next_is(r, &w[want[i]], "played at", t[i]);
    vd_frame f;
    cr_assert_eq(vd_reader_next(r, &f, NULL), VD_EOF);
    vd_reader_stats st;
    vd_reader_stats_get(r, &st);
    /* once per frame, plus MPEG-TS's imprecise seeks backing off: not the
     * ~10 frames per request of decoding each from its keyframe */
    cr_assert_leq(st.frames_decoded, 2 * n, "%s: decoded %lld frames for %d times", p,
                  (long long)st.frames_decoded, M);
    /* the last frame lasts one frame period; before the first is nothing */
    double last[2] = {w[n - 1].pts + 0.5 * (w[n - 1].pts - w[n - 2].pts), w[0].pts};
    cr_assert_eq(vd_reader_get_at(r, last, 2, &err), 0, "%s", err.msg);
    next_is(r, &w[n - 1], "played at, last frame", last[0]);
    next_is(r, &w[0], "played at, first frame", last[1]);
    const double bad[3] = {w[0].pts - 0.01, w[n - 1].pts + 100, NAN};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(vd_reader_get_at(r, &bad[i], 1, &err), VD_ERANGE, "t %f accepted", bad[i]);
        cr_assert(strstr(err.msg, "played at") && strstr(err.msg, p), "%s", err.msg);
    }
    vd_reader_close(&r);
    free(w);
}

Test(reader_access, played_at_on_bframes_vfr_open_gop_and_nonzero_start)
{
    char *p[4] = {vd_clip_must("h264_b.mp4", vd_clip_bframes3), vd_clip_must("vfr.mkv", vd_clip_vfr),
                  vd_clip_must("open_gop_h264.mkv", open_gop_h264), vd_clip_must("start10.ts", vd_clip_ts_start10)};
    for (int i = 0; i < 4; i++) {
        check_played_at(p[i]);
        free(p[i]);
    }
}

static void long_gop25(vd_clip_spec *s)
{
    s->bframes = 3;
    s->nframes = 300;
    s->params = "scenecut=0:b-pyramid=normal";
}

/* step / fps over a clip with key frames every 25 frames: exact frames, and
 * the reader jumps over each stretch nobody needs instead of decoding it. */
Test(reader_access, sparse_selection_skips_to_the_key_frame_before_the_next_sample)
{
    char *p = vd_clip_must("gop25_300.mp4", long_gop25);
    long n;
    vd_ref_frame *w = ref(p, &n);
    for (int fps = 0; fps < 2; fps++) {
        vd_reader *r = open_ok(p);
        vd_reader_select s;
        vd_reader_select_init(&s);
        if (fps)
            s.fps = 25.0 / 40; /* one frame every 40 */
        else
            s.step = 40;
        cr_assert_eq(vd_reader_select_set(r, &s, NULL), 0);
        long k = 0;
        for (long i = 0; i < n; i += 40, k++)
            next_is(r, &w[i], fps ? "fps" : "step", w[i].pts);
        vd_frame f;
        cr_assert_eq(vd_reader_next(r, &f, NULL), VD_EOF);
        vd_reader_stats st;
        vd_reader_stats_get(r, &st);
        /* every sample but the first starts from its own key frame */
        cr_assert_geq(st.skips, k - 2, "%lld jumps for %ld samples", (long long)st.skips, k);
        cr_assert_lt(st.frames_decoded, n / 2, "decoded %lld of %ld frames",
                     (long long)st.frames_decoded, n);
        vd_reader_close(&r);
    }
    free(w), free(p);
}
