/* cli.c -- see cli.h. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t len = f && n ? fread(buf, 1, n - 1, f) : 0;
    if (n)
        buf[len] = '\0';
    if (f)
        fclose(f);
}

int vd_test_visiond(const char *args, char *out, size_t n_out, char *err, size_t n_err)
{
    char cmd[8192], o[256], e[256];
    snprintf(o, sizeof o, "/tmp/vd_test_visiond.%d.out", (int)getpid());
    snprintf(e, sizeof e, "/tmp/vd_test_visiond.%d.err", (int)getpid());
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2> '%s'", VD_VISIOND, args, o, e);
    int st = system(cmd);
    slurp(o, out, n_out);
    slurp(e, err, n_err);
    remove(o);
    remove(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
