/* check_config.c -- `visiond check-config FILE`: validate a daemon config
 * the way `visiond serve` would load it, without starting anything.
 *
 * Design: it calls the daemon's own vd_config_load, so a file that passes
 * here is one serve accepts; things that serve only reports at run time
 * (a model card that is missing) are printed as warnings, exit status 0. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "daemon/runtime/config.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: visiond check-config FILE\n"
               "  Validate a visiond.yaml; exit 0 valid, 1 invalid (the message names\n"
               "  file:line and the key), 2 bad arguments.\n");
    return f == stdout ? VD_EXIT_OK : VD_EXIT_USAGE;
}

int vd_cli_check_config(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return usage(stdout);
    if (argc != 2 || argv[1][0] == '-')
        return usage(stderr);
    vd_config c;
    vd_error err = {0};
    if (vd_config_load(&c, argv[1], NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return VD_EXIT_INPUT;
    }
    for (int i = 0; i < c.n_models; i++)
        if (access(c.models[i].card, R_OK))
            fprintf(stderr, "warning: models.%s.card: %s: %m (the model will not load)\n",
                    c.models[i].name, c.models[i].card);
    printf("%s: ok (%d model%s, %d stream%s)\n", argv[1], c.n_models, c.n_models == 1 ? "" : "s",
           c.n_streams, c.n_streams == 1 ? "" : "s");
    vd_config_free(&c);
    return VD_EXIT_OK;
}
