/* args.c -- the shared command-line helper. See args.h. Every value
 * parser goes through strtod/strtoll with errno and an end check, so "",
 * "3x" and "1e999" are errors everywhere, never 0 or a silent clamp. */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *vd_cli_args_split(int argc, char **argv, int i, char *name, size_t n, int *has_eq)
{
    const char *a = argv[i], *eq = a[0] == '-' ? strchr(a, '=') : NULL;
    *has_eq = eq != NULL;
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    snprintf(name, n, "%.*s", (int)len, a);
    if (eq)
        return eq + 1;
    return i + 1 < argc ? argv[i + 1] : NULL;
}

void vd_cli_args_init(vd_cli_args *a, const char *cmd, int argc, char **argv, int first)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->argc = argc;
    a->argv = argv;
    a->i = first - 1;
}

int vd_cli_args_next(vd_cli_args *a)
{
    if (++a->i >= a->argc)
        return 0;
    a->arg = a->argv[a->i];
    a->flag[0] = 0;
    a->eq = NULL;
    if (!vd_cli_args_positional(a)) {
        int has_eq;
        const char *v = vd_cli_args_split(a->argc, a->argv, a->i, a->flag, sizeof a->flag, &has_eq);
        a->eq = has_eq ? v : NULL;
    }
    return 1;
}

int vd_cli_args_positional(const vd_cli_args *a) { return a->arg[0] != '-' || !a->arg[1]; }

int vd_cli_args_is(const vd_cli_args *a, const char *flag) { return !strcmp(a->flag, flag); }

int vd_cli_args_help(const vd_cli_args *a)
{
    return !strcmp(a->arg, "--help") || !strcmp(a->arg, "-h");
}

static int usage_v(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "visiond %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see visiond %s --help)\n", cmd);
    return VD_EXIT_USAGE;
}

int vd_cli_args_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_v(cmd, fmt, ap);
    va_end(ap);
    return rc;
}

int vd_cli_args_error(const vd_cli_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = usage_v(a->cmd, fmt, ap);
    va_end(ap);
    return rc;
}

int vd_cli_args_unknown(const vd_cli_args *a)
{
    return vd_cli_args_error(a, "unknown option '%s'", a->flag[0] ? a->flag : a->arg);
}

const char *vd_cli_args_value(vd_cli_args *a)
{
    if (a->eq)
        return a->eq;
    if (a->i + 1 >= a->argc) {
        vd_cli_args_error(a, "%s needs a value", a->flag);
        return NULL;
    }
    return a->argv[++a->i];
}

int vd_cli_args_switch(const vd_cli_args *a)
{
    return a->eq ? vd_cli_args_error(a, "%s takes no value", a->flag) : 0;
}

int vd_cli_args_to_double(const char *flag, const char *v, double *out, vd_error *err)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(x))
        return vd_error_set(err, VD_EINVAL, "%s: '%s' is not a number", flag, v);
    *out = x;
    return VD_OK;
}

int vd_cli_args_to_i64(const char *flag, const char *v, int64_t *out, vd_error *err)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || errno)
        return vd_error_set(err, VD_EINVAL, "%s: '%s' is not an integer", flag, v);
    *out = x;
    return VD_OK;
}

int vd_cli_args_to_int(const char *flag, const char *v, int lo, int hi, int *out, vd_error *err)
{
    int64_t x = 0;
    int rc = vd_cli_args_to_i64(flag, v, &x, err);
    if (rc)
        return rc;
    if (x < lo || x > hi)
        return vd_error_set(err, VD_EINVAL, "%s: %lld is outside [%d, %d]", flag, (long long)x,
                            lo, hi);
    *out = (int)x;
    return VD_OK;
}

int vd_cli_args_int(vd_cli_args *a, int lo, int hi, int *out)
{
    vd_error e;
    const char *v = vd_cli_args_value(a);
    if (!v)
        return VD_EXIT_USAGE;
    return vd_cli_args_to_int(a->flag, v, lo, hi, out, &e) ? vd_cli_args_error(a, "%s", e.msg) : 0;
}

int vd_cli_args_float(vd_cli_args *a, float *out)
{
    vd_error e;
    double x = 0;
    const char *v = vd_cli_args_value(a);
    if (!v)
        return VD_EXIT_USAGE;
    if (vd_cli_args_to_double(a->flag, v, &x, &e) || !isfinite((float)x))
        return vd_cli_args_error(a, "%s: '%s' is not a number", a->flag, v);
    *out = (float)x;
    return 0;
}
