/* clips.c -- `visiond clips`: torchvision's VideoClips over a list of
 * videos. Lists every clip as JSON Lines from the packet index (no
 * decoding), or materialises one clip.
 *
 * The arithmetic is the reader's (vd_reader_clips); clips are numbered
 * across the videos in the order given, as VideoClips numbers them.
 * Materialising clip I hands its frame indices to `visiond frames
 * --indices`, so a clip's frames print, hash, save and stack (--npy)
 * exactly as any other selection does. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "args.h"
#include "cli.h"
#include "pipeline/reader.h"

enum { MAX_PASS = 16 };

typedef struct clips_args {
    const char **videos;
    int nvideos;
    int64_t frames, stride, clip; /* clip -1: list */
    double frame_rate;
    char *pass[MAX_PASS];         /* flags handed to `frames` with --clip */
    int npass;
} clips_args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: visiond clips VIDEO... --frames N [--stride S] [--frame-rate F]\n"
            "                            [--clip I [--md5] [--out DIR] [--npy FILE]\n"
            "                             [--pix-fmt FMT] [--size WxH]]\n"
            "  torchvision VideoClips: every N-frame window, S frames apart (default 1),\n"
            "  on the video resampled to F fps (default: its own rate). Lists one JSON\n"
            "  object per clip {clip, video, start_pts, end_pts (s), indices} without\n"
            "  decoding; --clip I decodes clip I as `visiond frames --indices` would.\n");
}

/* A count >= lo, through the shared parser: 0, or an exit status. */
static int parse_count(vd_cli_args *c, int64_t lo, int64_t *out)
{
    vd_error e = {0};
    const char *v = vd_cli_args_value(c);
    if (!v)
        return VD_EXIT_USAGE;
    if (vd_cli_args_to_i64(c->flag, v, out, &e))
        return vd_cli_args_error(c, "%s", e.msg);
    return *out < lo ? vd_cli_args_error(c, "%s: '%s' is not a count", c->flag, v) : 0;
}

static int parse_rate(vd_cli_args *c, double *out)
{
    vd_error e = {0};
    const char *v = vd_cli_args_value(c);
    if (!v)
        return VD_EXIT_USAGE;
    if (vd_cli_args_to_double(c->flag, v, out, &e) || !(*out > 0))
        return vd_cli_args_error(c, "%s: '%s' is not a rate > 0", c->flag, v);
    return 0;
}

/* Keep a flag (and its separate value, if any) for `frames`. */
static int pass_on(clips_args *a, const vd_cli_args *c, const char *arg, const char *value)
{
    if (a->npass + 2 > MAX_PASS)
        return vd_cli_args_error(c, "too many options for --clip");
    a->pass[a->npass++] = (char *)arg;
    if (value)
        a->pass[a->npass++] = (char *)value;
    return 0;
}

/* One argument: 0, or an exit status. */
static int parse_one(clips_args *a, vd_cli_args *c)
{
    static const char *const pass_valued[] = {"--out", "--npy", "--pix-fmt", "--size",
                                              "--threads", "--timeout"};
    if (vd_cli_args_positional(c)) {
        a->videos[a->nvideos++] = c->arg;
        return 0;
    }
    if (vd_cli_args_is(c, "--frames"))
        return parse_count(c, 1, &a->frames);
    if (vd_cli_args_is(c, "--stride"))
        return parse_count(c, 1, &a->stride);
    if (vd_cli_args_is(c, "--clip"))
        return parse_count(c, 0, &a->clip);
    if (vd_cli_args_is(c, "--frame-rate"))
        return parse_rate(c, &a->frame_rate);
    if (vd_cli_args_is(c, "--md5"))
        return vd_cli_args_switch(c) ? VD_EXIT_USAGE : pass_on(a, c, c->arg, NULL);
    for (size_t k = 0; k < sizeof pass_valued / sizeof *pass_valued; k++) {
        if (!vd_cli_args_is(c, pass_valued[k]))
            continue;
        const char *arg = c->arg, *eq = c->eq, *v = vd_cli_args_value(c);
        return !v ? VD_EXIT_USAGE : pass_on(a, c, arg, eq ? NULL : v);
    }
    return vd_cli_args_unknown(c);
}

/* Returns -1 to continue, else an exit status. */
static int parse_args(clips_args *a, int argc, char **argv)
{
    vd_cli_args c;
    vd_cli_args_init(&c, "clips", argc, argv, 1);
    while (vd_cli_args_next(&c)) {
        if (vd_cli_args_help(&c))
            return usage(stdout), VD_EXIT_OK;
        int rc = parse_one(a, &c);
        if (rc)
            return rc;
    }
    if (!a->nvideos || !a->frames)
        return usage(stderr), VD_EXIT_USAGE;
    if (a->npass && a->clip < 0)
        return vd_cli_args_usage("clips", "--md5/--out/--npy/--pix-fmt/--size need --clip");
    return -1;
}

static void print_clip(const vd_clips *c, int64_t i, int64_t global, const char *video)
{
    json_t *ix = json_array();
    for (int64_t j = 0; j < c->frames; j++)
        json_array_append_new(ix, json_integer(c->index[i * c->frames + j]));
    json_t *o = json_pack("{s:I, s:s, s:f, s:f, s:o}", "clip", (json_int_t)global, "video",
                          video, "start_pts", c->start[i], "end_pts", c->end[i], "indices", ix);
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    fputc('\n', stdout);
    json_decref(o);
}

/* `visiond frames VIDEO --indices ... <passed flags>` for clip i of c. */
static int run_frames(const clips_args *a, const char *video, const vd_clips *c, int64_t i)
{
    size_t len = 1;
    for (int64_t j = 0; j < c->frames; j++)
        len += 21;
    char *list = malloc(len), *p = list;
    char *argv[MAX_PASS + 5];
    int argc = 0;
    if (!list)
        return fprintf(stderr, "visiond clips: out of memory\n"), VD_EXIT_INPUT;
    for (int64_t j = 0; j < c->frames; j++)
        p += sprintf(p, "%s%" PRId64, j ? "," : "", c->index[i * c->frames + j]);
    argv[argc++] = "frames";
    argv[argc++] = (char *)video;
    argv[argc++] = "--indices";
    argv[argc++] = list;
    for (int k = 0; k < a->npass; k++)
        argv[argc++] = a->pass[k];
    argv[argc] = NULL;
    int status = vd_cli_frames(argc, argv);
    free(list);
    return status;
}

/* List every clip, or (a->clip >= 0) materialise that one. */
static int run_clips(const clips_args *a)
{
    int64_t global = 0;
    for (int v = 0; v < a->nvideos; v++) {
        vd_reader *r = NULL;
        vd_clips c = {0};
        vd_error err = {0};
        int ret = vd_reader_open(&r, a->videos[v], NULL, &err);
        if (!ret)
            ret = vd_reader_clips(r, a->frames, a->stride, a->frame_rate, &c, &err);
        vd_reader_close(&r);
        if (ret) {
            vd_clips_free(&c);
            return fprintf(stderr, "visiond clips: %s\n", err.msg), VD_EXIT_INPUT;
        }
        int status = -1;
        if (a->clip >= global && a->clip < global + c.n)
            status = run_frames(a, a->videos[v], &c, a->clip - global);
        for (int64_t i = 0; a->clip < 0 && i < c.n; i++)
            print_clip(&c, i, global + i, a->videos[v]);
        global += c.n;
        vd_clips_free(&c);
        if (status >= 0)
            return status;
    }
    if (a->clip >= 0)
        return fprintf(stderr, "visiond clips: clip %" PRId64 " does not exist (%" PRId64
                               " clips)\n", a->clip, global),
               VD_EXIT_INPUT;
    return VD_EXIT_OK;
}

int vd_cli_clips(int argc, char **argv)
{
    clips_args a = {.stride = 1, .clip = -1};
    a.videos = calloc((size_t)argc, sizeof *a.videos);
    if (!a.videos)
        return VD_EXIT_INPUT;
    int status = parse_args(&a, argc, argv);
    if (status < 0)
        status = run_clips(&a);
    free(a.videos);
    return status;
}
