/* cli_nn.c -- `visiond nn` (being written). */
#include <stdio.h>

#include "cli.h"

int vd_cli_nn(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "visiond nn: not implemented yet\n");
    return VD_EXIT_INPUT;
}
