/* test_reader_guard.c -- vd_reader_opts.guard: FFmpeg's protocol and format
 * whitelists and the check of every resource an HLS playlist makes the
 * demuxer open. The contract: a refusal fails the open with the
 * refusal's code and message, named after the input, and nothing refused
 * is read. (The daemon's policy on top: tests/api_security.py sources.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/reader.h"
#include "tests/support/clips.h"

static void ts_clip(vd_clip_spec *s)
{
    s->container = "mpegts";
    s->nframes = 25;
}

/* A playlist naming the TS clip by its absolute path. */
static void playlist(char *out, size_t n, char **seg)
{
    *seg = vd_clip_must("guard.ts", ts_clip);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/guard", VD_BINARY_DIR);
    mkdir(dir, 0755);
    snprintf(out, n, "%s/list.m3u8", dir);
    FILE *f = fopen(out, "w");
    cr_assert_not_null(f);
    fprintf(f, "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n%s\n#EXT-X-ENDLIST\n", *seg);
    fclose(f);
}

typedef struct asked {
    int n;
    char last[4096];
} asked;

/* Allows playlists only. */
static int playlists_only(void *ud, const char *url, vd_error *err)
{
    asked *a = ud;
    a->n++;
    snprintf(a->last, sizeof a->last, "%s", url);
    size_t k = strlen(url);
    if (k > 5 && !strcmp(url + k - 5, ".m3u8"))
        return 0;
    return vd_error_set(err, VD_EINVAL, "'%s' refused by the test", url);
}

static int open_guarded(const char *url, const vd_reader_guard *g, vd_error *err)
{
    vd_reader *r = NULL;
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.guard = g;
    int rc = vd_reader_open(&r, url, &o, err);
    vd_reader_close(&r);
    return rc;
}

Test(reader_guard, every_nested_open_is_asked_and_a_refusal_is_the_error)
{
    char list[4096], *seg;
    playlist(list, sizeof list, &seg);
    vd_error err = {0};
    vd_reader_guard open = {"file", "hls,mpegts", NULL, NULL};
    cr_assert_eq(open_guarded(list, &open, &err), 0, "%s", err.msg);
    asked a = {0};
    vd_reader_guard g = {"file", NULL, playlists_only, &a};
    cr_assert_eq(open_guarded(list, &g, &err), VD_EINVAL);
    cr_assert_eq(a.n, 2, "asked %d times", a.n);
    cr_assert_str_eq(a.last, seg);
    char want[8192];
    snprintf(want, sizeof want, "%s: cannot open: '%s' refused by the test", list, seg);
    cr_assert_str_eq(err.msg, want);
    free(seg);
}

Test(reader_guard, whitelists_name_what_they_refuse)
{
    char list[4096], *seg;
    playlist(list, sizeof list, &seg);
    vd_error err = {0};
    vd_reader_guard formats = {"file", "mov,mp4,m4a,3gp,3g2,mj2,mpegts", NULL, NULL};
    cr_assert_eq(open_guarded(list, &formats, &err), VD_EINVAL);
    cr_assert(strstr(err.msg, "format 'hls' is not allowed for this source"), "%s", err.msg);
    vd_reader_guard protocols = {"http,https,tcp,tls", NULL, NULL, NULL};
    cr_assert_eq(open_guarded(seg, &protocols, &err), VD_EINVAL);
    cr_assert(strstr(err.msg, "protocol 'file' is not allowed for this source (allowed: "
                              "http,https,tcp,tls)"), "%s", err.msg);
    free(seg);
}
