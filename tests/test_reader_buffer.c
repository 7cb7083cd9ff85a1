/* test_reader_buffer.c -- vd_reader_open_buffer: a reader on bytes held in
 * memory (a custom AVIOContext; what the fuzz_reader target drives). The
 * contract: the same frames, seeks and frame index as the file it came
 * from; forced formats; errors naming the buffer; the name never opened. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/reader.h"

#define VTEST VD_OPENCV_DATA "/vtest.avi"

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s missing", path);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n);
    cr_assert(b && fread(b, 1, *n, f) == *n);
    fclose(f);
    return b;
}

static vd_reader *open_mem(const char *name, const void *d, size_t n, const char *format)
{
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.threads = 1;
    o.format = format;
    vd_reader *r;
    vd_error err = {0};
    cr_assert_eq(vd_reader_open_buffer(&r, name, d, n, &o, &err), 0, "%s", err.msg);
    return r;
}

static vd_reader *open_file(const char *path)
{
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.threads = 1;
    vd_reader *r;
    vd_error err = {0};
    cr_assert_eq(vd_reader_open(&r, path, &o, &err), 0, "%s", err.msg);
    return r;
}

/* MD5s of the next n frames (pts into *pts when not NULL). */
static void next_md5s(vd_reader *r, int n, char (*md5)[33], double *pts)
{
    vd_error err = {0};
    for (int i = 0; i < n; i++) {
        vd_frame f;
        cr_assert_eq(vd_reader_next(r, &f, &err), 0, "frame %d: %s", i, err.msg);
        cr_assert_eq(vd_frame_md5(&f, md5[i], &err), 0);
        if (pts)
            pts[i] = f.pts;
    }
}

Test(reader_buffer, same_frames_seek_and_index_as_the_file)
{
    size_t n;
    uint8_t *buf = slurp(VTEST, &n);
    vd_reader *m = open_mem("vtest.avi", buf, n, NULL), *f = open_file(VTEST);
    vd_format_info fm, ff;
    vd_reader_format_info(m, &fm);
    vd_reader_format_info(f, &ff);
    cr_expect_str_eq(fm.format, ff.format);
    cr_expect_eq(fm.duration, ff.duration);
    char a[8][33], b[8][33];
    double pa[8], pb[8];
    next_md5s(m, 8, a, pa);
    next_md5s(f, 8, b, pb);
    for (int i = 0; i < 8; i++)
        cr_expect(!strcmp(a[i], b[i]) && pa[i] == pb[i], "frame %d differs", i);
    vd_error err = {0};
    cr_assert_eq(vd_reader_seek(m, 40.0, VD_SEEK_ACCURATE, &err), 0, "%s", err.msg);
    cr_assert_eq(vd_reader_seek(f, 40.0, VD_SEEK_ACCURATE, &err), 0, "%s", err.msg);
    next_md5s(m, 2, a, pa);
    next_md5s(f, 2, b, pb);
    cr_expect(!strcmp(a[0], b[0]) && pa[0] == pb[0] && pa[0] >= 40.0, "after the seek");
    /* get() builds the frame index on a second demuxer context over the
     * same bytes, with its own cursor */
    int64_t idx[] = {700, 3, 350};
    cr_assert_eq(vd_reader_get(m, idx, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(vd_reader_get(f, idx, 3, &err), 0, "%s", err.msg);
    next_md5s(m, 3, a, NULL);
    next_md5s(f, 3, b, NULL);
    for (int i = 0; i < 3; i++)
        cr_expect_str_eq(a[i], b[i], "get frame %lld", (long long)idx[i]);
    vd_reader_close(&m);
    vd_reader_close(&f);
    cr_expect_null(m);
    free(buf);
}

Test(reader_buffer, forced_formats_and_the_name)
{
    size_t n;
    uint8_t *buf = slurp(VTEST, &n);
    /* a name is a label: "/dev/video0" does not select v4l2, nothing is opened */
    vd_reader *r = open_mem("/dev/video0", buf, n, NULL);
    vd_reader_close(&r);
    r = open_mem("clip", buf, n, "avi");
    vd_reader_close(&r);
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.format = "mpegts";
    vd_error err = {0};
    int rc = vd_reader_open_buffer(&r, "upload.bin", buf, n, &o, &err);
    cr_expect(rc < 0 && !r && strstr(err.msg, "upload.bin"), "avi as mpegts: %d %s", rc, err.msg);
    free(buf);
}

Test(reader_buffer, bad_buffers_fail_naming_them)
{
    vd_reader *r = (vd_reader *)1;
    vd_error err = {0};
    int rc = vd_reader_open_buffer(&r, "empty.mp4", "", 0, NULL, &err);
    cr_expect(rc == VD_EFORMAT && !r && strstr(err.msg, "empty.mp4"), "%d %s", rc, err.msg);
    rc = vd_reader_open_buffer(&r, "null.mp4", NULL, 10, NULL, &err);
    cr_expect(rc == VD_EINVAL && !r && strstr(err.msg, "null.mp4"), "%d %s", rc, err.msg);
    uint8_t junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131 + 7);
    rc = vd_reader_open_buffer(&r, "junk.bin", junk, sizeof junk, NULL, &err);
    cr_expect(rc < 0 && !r && strstr(err.msg, "junk.bin"), "%d %s", rc, err.msg);
}
