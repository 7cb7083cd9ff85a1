/* cli_probe.c -- `visiond probe` (being written). */
#include <stdio.h>

#include "cli.h"

int vd_cli_probe(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "visiond probe: not implemented yet\n");
    return VD_EXIT_INPUT;
}
