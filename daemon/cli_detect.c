/* cli_detect.c -- `visiond detect` (being written). */
#include <stdio.h>

#include "cli.h"

int vd_cli_detect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "visiond detect: not implemented yet\n");
    return VD_EXIT_INPUT;
}
