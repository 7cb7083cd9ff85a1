/* test_reader.c -- pipeline/reader against ffmpeg's framemd5 on clips the
 * tests encode themselves: B-frame H.264, MPEG-TS with a non-zero start,
 * variable frame rate, audio; seeks, selection, index access, conversion.
 * Every expectation is either the ffmpeg CLI's output or the documented
 * selection rule applied to that output. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/reader.h"
#include "tests/support/clips.h"
#include "vision/core/tensor.h"

typedef struct got {
    double pts;
    char md5[33];
    int key;
    int64_t index;
} got;

static void with_audio(vd_clip_spec *s)
{
    s->container = "matroska";
    s->acodec = "aac";
    s->nframes = 50;
}

static vd_reader *open_ok(const char *path, vd_media media)
{
    vd_reader *r = NULL;
    vd_error err = {0};
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.media = media;
    int ret = vd_reader_open(&r, path, &o, &err);
    cr_assert_eq(ret, 0, "open %s: %s", path, err.msg);
    return r;
}

/* Read up to max frames (0: all) into a malloc'ed array. */
static long read_frames(vd_reader *r, got **out, long max)
{
    long n = 0, cap = 64;
    got *v = malloc(cap * sizeof *v);
    vd_frame f;
    vd_error err = {0};
    int ret;
    while ((!max || n < max) && !(ret = vd_reader_next(r, &f, &err))) {
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        v[n].pts = f.pts;
        v[n].key = f.key;
        v[n].index = f.index;
        cr_assert_eq(vd_frame_md5(&f, v[n].md5, &err), 0, "%s", err.msg);
        n++;
    }
    if (!max || n < max)
        cr_assert_eq(ret, VD_EOF, "next: %d %s", ret, err.msg);
    *out = v;
    return n;
}

static vd_ref_frame *ref(const char *path, const char *sel, const char *extra, long *n)
{
    vd_ref_frame *v = NULL;
    *n = vd_ref_framemd5(path, sel, extra, &v);
    cr_assert_gt(*n, 0, "ffmpeg framemd5 of %s failed", path);
    return v;
}

static void same_frame(const got *g, const vd_ref_frame *w, const char *what, long i)
{
    cr_assert(fabs(g->pts - w->pts) < 1e-6, "%s frame %ld: pts %.6f, want %.6f", what, i, g->pts,
              w->pts);
    cr_assert_str_eq(g->md5, w->md5, "%s frame %ld (pts %.3f): md5 differs", what, i, w->pts);
}

static void all_frames_match(const char *path)
{
    long nref;
    vd_ref_frame *w = ref(path, "v:0", "", &nref);
    vd_reader *r = open_ok(path, VD_MEDIA_VIDEO);
    got *g;
    long n = read_frames(r, &g, 0);
    cr_assert_eq(n, nref, "%s: %ld frames, ffmpeg decodes %ld", path, n, nref);
    for (long i = 0; i < n; i++)
        same_frame(&g[i], &w[i], path, i);
    int64_t count = 0;
    cr_assert_eq(vd_reader_frame_count(r, &count, NULL), 0);
    cr_assert_eq(count, nref, "index counts %lld frames, want %ld", (long long)count, nref);
    vd_reader_close(&r);
    cr_assert_null(r);
    free(g), free(w);
}

Test(reader, h264_bframes_every_frame_equals_framemd5)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    all_frames_match(p);
    free(p);
}

Test(reader, mpegts_nonzero_start_is_kept)
{
    char *p = vd_clip_must("start10.ts", vd_clip_ts_start10);
    all_frames_match(p);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    vd_stream_info si;
    cr_assert_eq(vd_reader_stream_info(r, 0, &si, NULL), 0);
    cr_assert(si.start_time >= 10.0 && si.start_time < 11.5, "start_time %f", si.start_time);
    vd_frame f;
    cr_assert_eq(vd_reader_seek(r, 11.0, VD_SEEK_ACCURATE, NULL), 0);
    cr_assert_eq(vd_reader_next(r, &f, NULL), 0);
    long nref;
    vd_ref_frame *w = ref(p, "v:0", "", &nref);
    long k = 0;
    while (w[k].pts < 11.0 - 1e-9)
        k++;
    cr_assert(fabs(f.pts - w[k].pts) < 1e-6, "after seek to 11: pts %f, want %f", f.pts, w[k].pts);
    vd_reader_close(&r);
    free(w), free(p);
}

Test(reader, variable_frame_rate_timestamps_and_fps_selection)
{
    char *p = vd_clip_must("vfr.mkv", vd_clip_vfr);
    all_frames_match(p);
    long nref;
    vd_ref_frame *w = ref(p, "v:0", "", &nref);
    /* oracle: first frame at or after each tick t0 + n/F */
    const double F = 7;
    vd_ref_frame want[256];
    long nw = 0;
    double t0 = w[0].pts;
    long tick = 0;
    for (long i = 0; i < nref; i++)
        if (w[i].pts >= t0 + tick / F - 1e-6) {
            want[nw++] = w[i];
            tick = (long)floor((w[i].pts - t0) * F + 1e-6) + 1;
        }
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    vd_reader_select s;
    vd_reader_select_init(&s);
    s.fps = F;
    cr_assert_eq(vd_reader_select_set(r, &s, NULL), 0);
    got *g;
    long n = read_frames(r, &g, 0);
    cr_assert_eq(n, nw, "fps %g: %ld frames, want %ld", F, n, nw);
    for (long i = 0; i < n; i++)
        same_frame(&g[i], &want[i], "fps", i);
    cr_assert_lt(nw, nref); /* the selection did drop frames */
    vd_reader_close(&r);
    free(g), free(w), free(p);
}

/* Seek accurately to t: the first frame is the first reference frame with
 * pts >= t, and the following ones continue the reference in order. */
static void check_seek(vd_reader *r, const vd_ref_frame *w, long nref, double t)
{
    vd_error err = {0};
    cr_assert_eq(vd_reader_seek(r, t, VD_SEEK_ACCURATE, &err), 0, "%s", err.msg);
    long k = 0;
    while (k < nref && w[k].pts < t - 1e-9)
        k++;
    got *g;
    long n = read_frames(r, &g, 4);
    cr_assert_eq(n, nref - k < 4 ? nref - k : 4, "seek %.3f: %ld frames", t, n);
    for (long i = 0; i < n; i++)
        same_frame(&g[i], &w[k + i], "seek", i);
    free(g);
}

Test(reader, accurate_seeks_at_between_and_after_keyframes)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    long nref;
    vd_ref_frame *w = ref(p, "v:0", "", &nref);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    /* keyframes at 0, 1, 2 s (gop 25 @ 25 fps) */
    const double ts[] = {1.0, 1.04, 1.5, 0.99, 2.9, 0.3, 0.3, 1.013, 0.0, 2.96};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++)
        check_seek(r, w, nref, ts[i]);
    vd_reader_stats st;
    vd_reader_stats_get(r, &st);
    cr_assert_gt(st.packets_skipped, 0, "pre-roll never skipped a non-reference frame");
    cr_assert_eq(st.frames_converted, 0);
    /* past the end: no error, then EOF */
    vd_frame f;
    cr_assert_eq(vd_reader_seek(r, 99.0, VD_SEEK_ACCURATE, NULL), 0);
    cr_assert_eq(vd_reader_next(r, &f, NULL), VD_EOF);
    cr_assert_eq(vd_reader_next(r, &f, NULL), VD_EOF);
    vd_reader_close(&r);
    free(w), free(p);
}

Test(reader, keyframe_seek_lands_on_keyframe_at_or_before)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    vd_frame f;
    const double t[] = {1.5, 2.0, 0.7, 2.99};
    const double want[] = {1.0, 2.0, 0.0, 2.0};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(vd_reader_seek(r, t[i], VD_SEEK_KEYFRAME, NULL), 0);
        cr_assert_eq(vd_reader_next(r, &f, NULL), 0);
        cr_assert(f.key && fabs(f.pts - want[i]) < 1e-6, "keyframe seek %g: pts %g key %d", t[i],
                  f.pts, f.key);
    }
    vd_reader_close(&r);
    free(p);
}

static void check_select(const char *p, const vd_reader_select *s, const vd_ref_frame *w,
                         const long *idx, long nidx, vd_reader_stats *st)
{
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    vd_error err = {0};
    cr_assert_eq(vd_reader_select_set(r, s, &err), 0, "%s", err.msg);
    got *g;
    long n = read_frames(r, &g, 0);
    cr_assert_eq(n, nidx, "selection: %ld frames, want %ld", n, nidx);
    for (long i = 0; i < n; i++)
        same_frame(&g[i], &w[idx[i]], "selection", i);
    vd_reader_stats_get(r, st);
    vd_reader_close(&r);
    free(g);
}

Test(reader, selection_range_step_count_keyframes)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    long nref, idx[128] = {0}, n;
    vd_ref_frame *w = ref(p, "v:0", "", &nref);
    vd_reader_select s;
    vd_reader_stats st;

    vd_reader_select_init(&s); /* [0.5, 2.2) */
    s.start = 0.5, s.end = 2.2;
    n = 0;
    for (long i = 0; i < nref; i++)
        if (w[i].pts >= 0.5 && w[i].pts < 2.2)
            idx[n++] = i;
    check_select(p, &s, w, idx, n, &st);

    vd_reader_select_init(&s); /* step 10: frames 0, 10, 20, ... decoded sparsely */
    s.step = 10;
    n = 0;
    for (long i = 0; i < nref; i += 10)
        idx[n++] = i;
    check_select(p, &s, w, idx, n, &st);
    cr_assert_gt(st.packets_skipped, 0, "step 10 decoded every frame");
    cr_assert_eq(st.frames_converted, 0);

    vd_reader_select_init(&s); /* start 0.42 step 4 count 5 */
    s.start = 0.42, s.step = 4, s.count = 5;
    long first = 0;
    while (w[first].pts < 0.42)
        first++;
    for (n = 0; n < 5; n++)
        idx[n] = first + 4 * n;
    check_select(p, &s, w, idx, n, &st);

    vd_reader_select_init(&s); /* keyframes: 0, 25, 50 and nothing else decoded */
    s.keyframes = 1;
    idx[0] = 0, idx[1] = 25, idx[2] = 50;
    check_select(p, &s, w, idx, 3, &st);
    cr_assert_eq(st.frames_decoded, 3, "keyframes mode decoded %lld frames",
                 (long long)st.frames_decoded);

    vd_reader_select_init(&s); /* a start beyond the end: nothing, no error */
    s.start = 50;
    check_select(p, &s, w, idx, 0, &st);
    free(w), free(p);
}

Test(reader, seek_restarts_an_active_sparse_selection)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    long nref;
    vd_ref_frame *w = ref(p, "v:0", "", &nref);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    vd_reader_select s;
    vd_reader_select_init(&s);
    s.step = 10;
    cr_assert_eq(vd_reader_select_set(r, &s, NULL), 0);
    got *g;
    cr_assert_eq(read_frames(r, &g, 3), 3); /* frames 0, 10, 20 */
    same_frame(&g[2], &w[20], "step before seek", 2);
    free(g);
    cr_assert_eq(vd_reader_seek(r, 0.5, VD_SEEK_ACCURATE, NULL), 0); /* back: 13, 23, ... */
    long n = read_frames(r, &g, 0), k = 0;
    for (long i = 13; i < nref; i += 10, k++)
        same_frame(&g[k], &w[i], "step after seek", k);
    cr_assert_eq(n, k);
    vd_reader_close(&r);
    free(g), free(w), free(p);
}

Test(reader, bad_selection_is_einval_with_the_field_named)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    vd_reader_select s;
    vd_error err = {0};
    vd_reader_select_init(&s);
    s.step = 0;
    cr_assert_eq(vd_reader_select_set(r, &s, &err), VD_EINVAL);
    cr_assert(strstr(err.msg, "step"), "%s", err.msg);
    vd_reader_select_init(&s);
    s.start = 2, s.end = 1;
    cr_assert_eq(vd_reader_select_set(r, &s, &err), VD_EINVAL);
    cr_assert(strstr(err.msg, "end"), "%s", err.msg);
    vd_reader_select_init(&s);
    s.start = -1;
    cr_assert_eq(vd_reader_select_set(r, &s, &err), VD_EINVAL);
    vd_reader_close(&r);
    free(p);
}

Test(reader, get_indices_repeats_unsorted_decodes_each_once)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    long nref;
    vd_ref_frame *w = ref(p, "v:0", "", &nref);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    const int64_t ix[] = {50, 10, 50, 3, 10, nref - 1, 3};
    const long n = sizeof ix / sizeof *ix;
    vd_error err = {0};
    cr_assert_eq(vd_reader_get(r, ix, n, &err), 0, "%s", err.msg);
    got *g;
    cr_assert_eq(read_frames(r, &g, 0), n);
    for (long i = 0; i < n; i++) {
        cr_assert_eq(g[i].index, ix[i]);
        same_frame(&g[i], &w[ix[i]], "get", i);
    }
    vd_reader_stats st;
    vd_reader_stats_get(r, &st);
    /* Decoding each request separately from its keyframe would decode
     * 51+11+51+4+11+75+4 frames; once in ascending order, at most 3..10
     * from key 0, 50 from key 50, 51..74: well under one pass of 75. */
    cr_assert_lt(st.frames_decoded, 45, "decoded %lld frames", (long long)st.frames_decoded);
    const int64_t bad[] = {2, nref};
    char num[32];
    snprintf(num, sizeof num, "%ld", nref);
    cr_assert_eq(vd_reader_get(r, bad, 2, &err), VD_ERANGE);
    cr_assert(strstr(err.msg, num) && strstr(err.msg, p), "%s", err.msg);
    vd_reader_close(&r);
    free(g), free(w), free(p);
}

static void mjpeg_avi(vd_clip_spec *s)
{
    s->container = "avi";
    s->vcodec = "mjpeg";
    s->nframes = 30;
}

Test(reader, frame_count_is_exact_where_the_container_lies)
{
    char *p = vd_clip_must("mjpeg.avi", mjpeg_avi);
    /* Patch the AVI stream header's dwLength (frame count) to claim 999. */
    FILE *f = fopen(p, "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    unsigned char *strh = memmem(buf, n, "strh", 4);
    cr_assert(strh && strh + 44 < buf + n);
    strh[40] = 999 & 255, strh[41] = 999 >> 8, strh[42] = strh[43] = 0;
    char lie[4200];
    snprintf(lie, sizeof lie, "%s.lie.avi", p);
    f = fopen(lie, "wb");
    cr_assert(f && fwrite(buf, 1, n, f) == n);
    FILE *in = fopen(p, "rb");
    fseek(in, (long)n, SEEK_SET);
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, k, f);
    fclose(in), fclose(f);
    vd_reader *r = open_ok(lie, VD_MEDIA_VIDEO);
    vd_stream_info si;
    cr_assert_eq(vd_reader_stream_info(r, 0, &si, NULL), 0);
    cr_assert_eq(si.nb_frames, 999, "the patch did not take: nb_frames %lld",
                 (long long)si.nb_frames);
    long nref;
    vd_ref_frame *w = ref(lie, "v:0", "", &nref);
    int64_t count = 0;
    cr_assert_eq(vd_reader_frame_count(r, &count, NULL), 0);
    cr_assert_eq(count, nref, "index %lld frames, ffmpeg decodes %ld", (long long)count, nref);
    const int64_t ix[] = {29, 0, 15};
    cr_assert_eq(vd_reader_get(r, ix, 3, NULL), 0);
    got *g;
    cr_assert_eq(read_frames(r, &g, 0), 3);
    for (int i = 0; i < 3; i++)
        same_frame(&g[i], &w[ix[i]], "get on lying avi", i);
    vd_reader_close(&r);
    free(g), free(w), free(p);
}

Test(reader, accurate_seek_between_ticks_of_a_coarse_time_base)
{
    char *p = vd_clip_must("mjpeg.avi", mjpeg_avi); /* time base 1/25 */
    long nref;
    vd_ref_frame *w = ref(p, "v:0", "", &nref);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    const double ts[] = {0.37, 0.41, 0.399, 0.4, 1.0001, 0.0};
    for (size_t i = 0; i < sizeof ts / sizeof *ts; i++)
        check_seek(r, w, nref, ts[i]);
    vd_reader_close(&r);
    free(w), free(p);
}

Test(reader, audio_frames_are_float_and_equal_framemd5_f32)
{
    char *p = vd_clip_must("audio.mkv", with_audio);
    long nref;
    vd_ref_frame *w = ref(p, "a:0", "-c:a pcm_f32le", &nref);
    vd_reader *r = open_ok(p, VD_MEDIA_AUDIO);
    vd_stream_info si;
    vd_format_info fi;
    vd_reader_format_info(r, &fi);
    cr_assert_eq(vd_reader_stream_info(r, fi.selected_stream, &si, NULL), 0);
    cr_assert_eq(si.type, VD_MEDIA_AUDIO);
    cr_assert_eq(si.sample_rate, 48000);
    cr_assert_eq(si.channels, 2);
    vd_frame f;
    long n = 0;
    float peak = 0;
    while (vd_reader_next(r, &f, NULL) == 0) {
        char md5[33];
        cr_assert_eq(f.channels, 2);
        cr_assert_lt(n, nref);
        vd_frame_md5(&f, md5, NULL);
        cr_assert_str_eq(md5, w[n].md5, "audio frame %ld differs", n);
        /* the container stores ms; ffmpeg recounts samples */
        cr_assert(fabs(f.pts - w[n].pts) < 1.001e-3, "audio frame %ld pts %f want %f", n, f.pts,
                  w[n].pts);
        for (int i = 0; i < f.nb_samples * f.channels; i++)
            peak = fmaxf(peak, fabsf(f.samples[i]));
        n++;
    }
    cr_assert_eq(n, nref);
    cr_assert(peak > 0.3f && peak <= 1.0f, "sine of amplitude 0.5 decoded with peak %f", peak);
    vd_reader_close(&r);
    free(w), free(p);
}

Test(reader, convert_into_batch_slot_equals_ffmpeg_rgb24)
{
    char *p = vd_clip_must("h264_b.mp4", vd_clip_bframes3);
    long nref, nsmall;
    vd_ref_frame *w = ref(p, "v:0", "-pix_fmt rgb24", &nref);
    vd_ref_frame *ws = ref(p, "v:0", "-vf scale=160:120:flags=bicubic -pix_fmt rgb24", &nsmall);
    vd_reader *r = open_ok(p, VD_MEDIA_VIDEO);
    vd_tensor batch;
    int64_t shape[4] = {2, 3, 120, 160};
    cr_assert_eq(vd_tensor_alloc(&batch, VD_DTYPE_F32, 4, shape, NULL), 0);
    uint8_t rgb[320 * 240 * 3], small[160 * 120 * 3];
    vd_frame f;
    vd_error err = {0};
    for (int b = 0; b < 2; b++) {
        cr_assert_eq(vd_reader_next(r, &f, NULL), 0);
        vd_convert full = {VD_PIX_RGB24, 0, 0}, half = {VD_PIX_RGB24, 160, 120};
        vd_convert fl = {VD_PIX_RGBF32, 160, 120};
        char md5[33];
        cr_assert_eq(vd_reader_convert(r, &f, &full, rgb, sizeof rgb, &err), 0, "%s", err.msg);
        vd_md5_hex(rgb, sizeof rgb, md5);
        cr_assert_str_eq(md5, w[b].md5, "rgb24 frame %d differs from ffmpeg", b);
        cr_assert_eq(vd_reader_convert(r, &f, &half, small, sizeof small, &err), 0);
        vd_md5_hex(small, sizeof small, md5);
        cr_assert_str_eq(md5, ws[b].md5, "scaled rgb24 frame %d differs from ffmpeg", b);
        vd_tensor slot = vd_tensor_slot(&batch, b);
        cr_assert_eq(vd_convert_size(&fl, &f), vd_tensor_nbytes(&slot));
        cr_assert_eq(vd_reader_convert(r, &f, &fl, slot.data, vd_tensor_nbytes(&slot), &err), 0);
        const float *x = slot.data;
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 160 * 120; i += 97)
                cr_assert_float_eq(x[c * 160 * 120 + i], small[3 * i + c] / 255.0f, 1e-7);
        cr_assert_eq(vd_reader_convert(r, &f, &fl, slot.data, 10, &err), VD_EINVAL);
    }
    vd_tensor_free(&batch);
    vd_reader_close(&r);
    free(w), free(ws), free(p);
}
