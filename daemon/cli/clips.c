/* clips.c -- `visiond clips`: torchvision's VideoClips over a list of
 * videos. Lists every clip as JSON Lines from the packet index (no
 * decoding), or materialises one clip.
 *
 * The arithmetic is the reader's (vd_reader_clips); clips are numbered
 * across the videos in the order given, as VideoClips numbers them.
 * Materialising clip I hands its frame indices to `visiond frames
 * --indices`, so a clip's frames print, hash, save and stack (--npy)
 * exactly as any other selection does. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

static int parse_num(const char *flag, const char *v, int64_t *i, double *d)
{
    char *end = NULL;
    errno = 0;
    if (i)
        *i = strtoll(v, &end, 10);
    else
        *d = strtod(v, &end);
    if (!*v || *end || errno || (i && *i < (strcmp(flag, "--clip") ? 1 : 0)) || (d && !(*d > 0)))
        return fprintf(stderr, "visiond clips: %s: '%s' is not a %s\n", flag, v,
                       i ? "count" : "rate > 0"),
               -1;
    return 0;
}

/* One argument at argv[*i]: 0 handled, -1 usage error. */
static int parse_one(clips_args *a, int argc, char **argv, int *i)
{
    static const char *const pass_valued[] = {"--out", "--npy", "--pix-fmt", "--size",
                                              "--threads", "--timeout"};
    const char *s = argv[*i], *eq = strchr(s, '=');
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(eq ? eq - s : (long)strlen(s)), s);
    if (!strcmp(name, "--md5") && !eq)
        return a->npass < MAX_PASS ? (a->pass[a->npass++] = argv[*i], 0) : -1;
    if (s[0] != '-' || !s[1]) {
        a->videos[a->nvideos++] = s;
        return 0;
    }
    const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[*i + 1] : NULL;
    int ours = !strcmp(name, "--frames") || !strcmp(name, "--stride") ||
               !strcmp(name, "--clip") || !strcmp(name, "--frame-rate");
    int pass = 0;
    for (size_t k = 0; k < sizeof pass_valued / sizeof *pass_valued; k++)
        pass |= !strcmp(name, pass_valued[k]);
    if (!ours && !pass)
        return fprintf(stderr, "visiond clips: unknown option '%s'\n", s), -1;
    if (!v)
        return fprintf(stderr, "visiond clips: %s needs a value\n", name), -1;
    if (pass) {
        if (a->npass + 2 > MAX_PASS)
            return -1;
        a->pass[a->npass++] = argv[*i];
        if (!eq)
            a->pass[a->npass++] = argv[*i + 1];
    }
    *i += !eq;
    if (!strcmp(name, "--frames"))
        return parse_num(name, v, &a->frames, NULL);
    if (!strcmp(name, "--stride"))
        return parse_num(name, v, &a->stride, NULL);
    if (!strcmp(name, "--clip"))
        return parse_num(name, v, &a->clip, NULL);
    if (!strcmp(name, "--frame-rate"))
        return parse_num(name, v, NULL, &a->frame_rate);
    return 0;
}

/* Returns -1 to continue, else an exit status. */
static int parse_args(clips_args *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return usage(stdout), VD_EXIT_OK;
        if (parse_one(a, argc, argv, &i))
            return VD_EXIT_USAGE;
    }
    if (!a->nvideos || !a->frames)
        return usage(stderr), VD_EXIT_USAGE;
    if (a->npass && a->clip < 0)
        return fprintf(stderr, "visiond clips: --md5/--out/--npy/--pix-fmt/--size need --clip\n"),
               VD_EXIT_USAGE;
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
