/* main.c -- the visiond executable: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"probe", vd_cli_probe, "print a video's metadata as JSON"},
    {"frames", vd_cli_frames, "decode and select frames (JSON Lines, md5, images)"},
    {"nn", vd_cli_nn, "ONNX models: info, run, bench"},
    {"detect", vd_cli_detect, "run a detector, motion and tracking on a video or image"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: visiond <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'visiond <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
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
