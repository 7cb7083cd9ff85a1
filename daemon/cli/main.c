/* main.c -- the visiond executable: dispatch to a subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"probe", vd_cli_probe, "print a video's metadata as JSON"},
    {"frames", vd_cli_frames, "decode and select frames (JSON Lines, md5, images)"},
    {"clips", vd_cli_clips, "torchvision VideoClips: list clips, decode one"},
    {"nn", vd_cli_nn, "ONNX models: info, run, bench"},
    {"detect", vd_cli_detect, "run a detector, motion and tracking on a video or image"},
    {"serve", vd_cli_serve, "run the daemon: streams, analysis, store, HTTP API"},
    {"check-config", vd_cli_check_config, "validate a daemon config file (visiond.yaml)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: visiond <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'visiond <command> --help' describes a command.\n");
}

/* FFmpeg logs to stderr from inside the libraries. visiond reports every
 * failure itself with the input named, so FFmpeg's own lines are noise by
 * default; VISIOND_AV_LOG=error|warning|info|debug brings them back. */
static void av_log_setup(void)
{
    static const struct { const char *name; int level; } levels[] = {
        {"quiet", AV_LOG_QUIET}, {"error", AV_LOG_ERROR}, {"warning", AV_LOG_WARNING},
        {"info", AV_LOG_INFO}, {"debug", AV_LOG_DEBUG},
    };
    const char *want = getenv("VISIOND_AV_LOG");
    int level = AV_LOG_FATAL;
    for (size_t i = 0; want && i < sizeof levels / sizeof levels[0]; i++)
        if (!strcmp(want, levels[i].name))
            level = levels[i].level;
    av_log_set_level(level);
}

int main(int argc, char **argv)
{
    av_log_setup();
    /* Results are JSON Lines that live consumers read as they come: flush
     * each line, not each 4 KiB (two seconds of frames from a camera). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage(stderr);
        return VD_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return VD_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("visiond 0.1.0\n");
        return VD_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "visiond: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return VD_EXIT_USAGE;
}
