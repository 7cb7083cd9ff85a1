/* test_reader_errors.c -- what the reader does with bad inputs: missing
 * files, junk, a missing stream type, truncated and damaged files. The
 * contract: a clear message naming the input and the reason, never a
 * crash; with damage in the middle, the frames that decode still come and
 * the damage is counted and described. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/reader.h"
#include "tests/support/clips.h"

static void ts_clip(vd_clip_spec *s)
{
    s->container = "mpegts";
    s->nframes = 100;
}
static void mpeg4_mkv(vd_clip_spec *s)
{
    s->container = "matroska";
    s->vcodec = "mpeg4";
    s->nframes = 60;
    s->gop = 12;
}

static int open_err(const char *path, vd_media media, vd_error *err)
{
    vd_reader *r = (vd_reader *)1; /* must come back NULL */
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.media = media;
    int ret = vd_reader_open(&r, path, &o, err);
    cr_assert_null(r, "failed open must leave the handle NULL");
    return ret;
}

Test(reader_errors, missing_file_is_enotfound_naming_it)
{
    vd_error err = {0};
    const char *p = "/nonexistent/dir/clip.mp4";
    cr_assert_eq(open_err(p, VD_MEDIA_VIDEO, &err), VD_ENOTFOUND);
    cr_assert(strstr(err.msg, p) && strstr(err.msg, "no such file"), "%s", err.msg);
}

Test(reader_errors, junk_is_eformat_naming_it)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/clips/junk.mp4", VD_BINARY_DIR);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    for (int i = 0; i < 2000; i++)
        fputs("not a video ", f);
    fclose(f);
    vd_error err = {0};
    int ret = open_err(path, VD_MEDIA_VIDEO, &err);
    cr_assert(ret == VD_EFORMAT || ret == VD_EUNSUPPORTED, "code %d: %s", ret, err.msg);
    cr_assert(strstr(err.msg, path), "%s", err.msg);
}

Test(reader_errors, no_stream_of_that_type_is_enotfound)
{
    char *p = vd_clip_must("plain.mp4", NULL);
    vd_error err = {0};
    cr_assert_eq(open_err(p, VD_MEDIA_AUDIO, &err), VD_ENOTFOUND);
    cr_assert(strstr(err.msg, "no audio stream") && strstr(err.msg, p), "%s", err.msg);
    free(p);
}

Test(reader_errors, truncated_mp4_without_index_fails_clearly)
{
    char *p = vd_clip_must("plain.mp4", NULL);
    char *t = vd_clip_damage(p, "cut.mp4", 0.5, -1); /* moov is at the end */
    cr_assert(t);
    vd_error err = {0};
    int ret = open_err(t, VD_MEDIA_VIDEO, &err);
    cr_assert(ret == VD_EFORMAT, "code %d: %s", ret, err.msg);
    cr_assert(strstr(err.msg, t), "%s", err.msg);
    free(p), free(t);
}

/* Read everything; return the number of frames, fill the stats. */
static long drain(const char *path, vd_reader_stats *st, double *last_pts)
{
    vd_reader *r = NULL;
    vd_error err = {0};
    cr_assert_eq(vd_reader_open(&r, path, NULL, &err), 0, "%s", err.msg);
    vd_frame f;
    long n = 0;
    int ret;
    while (!(ret = vd_reader_next(r, &f, &err))) {
        char md5[33];
        cr_assert_eq(vd_frame_md5(&f, md5, NULL), 0);
        *last_pts = f.pts;
        n++;
    }
    cr_assert_eq(ret, VD_EOF, "damage must not end iteration: %d %s", ret, err.msg);
    vd_reader_stats_get(r, st);
    vd_reader_close(&r);
    return n;
}

Test(reader_errors, truncated_stream_delivers_the_frames_before_the_cut)
{
    char *p = vd_clip_must("plain.ts", ts_clip);
    char *t = vd_clip_damage(p, "cut.ts", 0.6, -1);
    vd_reader_stats st;
    double last = 0;
    long n = drain(t, &st, &last);
    cr_assert(n > 30 && n < 100, "%ld frames of 100 before a cut at 60%%", n);
    free(p), free(t);
}

Test(reader_errors, damage_mid_file_keeps_later_frames_and_reports)
{
    char *p = vd_clip_must("mpeg4.mkv", mpeg4_mkv);
    vd_ref_frame *w = NULL;
    long nref = vd_ref_framemd5(p, "v:0", "", &w);
    cr_assert_eq(nref, 60);
    char *d = vd_clip_damage(p, "mpeg4_damaged.mkv", 0.5, 3000);
    vd_reader_stats st;
    double last = 0;
    long n = drain(d, &st, &last);
    cr_assert(n >= 45, "only %ld of 60 frames survived 3 kB of damage", n);
    cr_assert(fabs(last - w[nref - 1].pts) < 1e-6, "frames after the damage lost: last %f", last);
    cr_assert_gt(st.decode_errors, 0, "damage went unreported");
    cr_assert(strstr(st.last_error, d), "last_error must name the input: %s", st.last_error);
    free(w), free(p), free(d);
}

/* A copy of src with len zero bytes at fraction at of it: what a lost
 * stretch of a recording looks like (garbage instead makes the decoder
 * complain by itself). */
static char *zeroed_copy(const char *src, const char *name, double at, long len)
{
    char *d = vd_clip_damage(src, name, at, 0);
    cr_assert_not_null(d, "cannot copy %s", src);
    FILE *f = fopen(d, "r+b");
    cr_assert_not_null(f, "cannot open %s", d);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, (long)(at * size), SEEK_SET);
    for (long i = 0; i < len; i++)
        fputc(0, f);
    cr_assert_eq(fclose(f), 0);
    return d;
}

/* Zeros over H.264 in MPEG-TS: the demuxer loses sync and the decoder
 * drops the frames that lost their references without an error of its
 * own, so the corrupt packet the demuxer marks is what must report the
 * damage (50 kB of zeros used to lose 35 of 200 frames, nothing counted). */
Test(reader_errors, zeroed_mpegts_is_reported_not_silently_short)
{
    char *p = vd_clip_must("plain.ts", ts_clip);
    char *d = zeroed_copy(p, "ts_zeroed.ts", 0.3, 20000);
    vd_reader_stats st;
    double last = 0;
    long n = drain(d, &st, &last);
    cr_assert(n > 0 && n < 100, "%ld of 100 frames after 20 kB of zeros", n);
    cr_assert_gt(st.decode_errors, 0, "%ld of 100 frames came and no damage was reported", n);
    cr_assert(strstr(st.last_error, d), "last_error must name the input: %s", st.last_error);
    free(p), free(d);
}
