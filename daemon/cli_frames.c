/* cli_frames.c -- `visiond frames` (being written). */
#include <stdio.h>

#include "cli.h"

int vd_cli_frames(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "visiond frames: not implemented yet\n");
    return VD_EXIT_INPUT;
}
