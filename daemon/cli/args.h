/* args.h -- the one command-line helper of every subcommand (probe,
 * frames, nn, detect), so flags behave the same everywhere:
 *   - "--flag VALUE" and "--flag=VALUE" both work, for every flag;
 *   - a number is the whole string (no "3x", no ""), checked with errno
 *     and a range, and a bad one names the flag and the value;
 *   - one usage-error path: "visiond CMD: MESSAGE" and a pointer to
 *     --help on stderr, exit status 2.
 *
 *   vd_cli_args a;
 *   vd_cli_args_init(&a, "detect", argc, argv, 1);
 *   while (vd_cli_args_next(&a)) {
 *       if (vd_cli_args_positional(&a)) { input = a.arg; continue; }
 *       if (vd_cli_args_is(&a, "--threads")) { if (vd_cli_args_int(&a, 0, 1024, &t)) return 2; }
 *       else return vd_cli_args_unknown(&a);
 *   }
 *
 * The vd_cli_args_to_* functions parse one value into a vd_error, for
 * parsers that report through vd_error (select.c). */
#ifndef VD_CLI_ARGS_H
#define VD_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"

typedef struct vd_cli_args {
    const char *cmd;  /* "detect", "nn": names the command in messages */
    int argc;
    char **argv;
    int i;            /* index of the current argument */
    const char *arg;  /* the current argument as given */
    char flag[64];    /* its flag name with any "=VALUE" cut off; "" if positional */
    const char *eq;   /* the value after '=', or NULL */
} vd_cli_args;

/* Iterate argv[first..argc). */
void vd_cli_args_init(vd_cli_args *a, const char *cmd, int argc, char **argv, int first);
/* Advance to the next argument: 1, or 0 past the end. */
int vd_cli_args_next(vd_cli_args *a);
/* 1 when the current argument is a positional one ("-" counts as one). */
int vd_cli_args_positional(const vd_cli_args *a);
/* 1 when the current argument is this flag (with or without "=VALUE"). */
int vd_cli_args_is(const vd_cli_args *a, const char *flag);
/* 1 for "--help" / "-h". */
int vd_cli_args_help(const vd_cli_args *a);

/* The current flag's value ("=VALUE", else the next argument, consumed);
 * NULL after a usage error "FLAG needs a value". */
const char *vd_cli_args_value(vd_cli_args *a);
/* A flag without a value: 0, or the usage error "FLAG takes no value". */
int vd_cli_args_switch(const vd_cli_args *a);
/* The value as a number in [lo, hi]: 0, or VD_EXIT_USAGE after the message. */
int vd_cli_args_int(vd_cli_args *a, int lo, int hi, int *out);
int vd_cli_args_float(vd_cli_args *a, float *out);

/* Print "visiond CMD: MESSAGE" and the --help pointer; returns VD_EXIT_USAGE. */
int vd_cli_args_error(const vd_cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same for a command without an iterator at hand. */
int vd_cli_args_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage error for an argument nobody claimed. */
int vd_cli_args_unknown(const vd_cli_args *a);

/* Split argv[*i] into the flag name and its value ("=VALUE" or argv[*i+1],
 * NULL when missing); *has_eq says which. Nothing is consumed. */
const char *vd_cli_args_split(int argc, char **argv, int i, char *name, size_t n, int *has_eq);

/* One value, whole-string, errno-checked; VD_EINVAL naming flag and value. */
int vd_cli_args_to_double(const char *flag, const char *v, double *out, vd_error *err);
int vd_cli_args_to_i64(const char *flag, const char *v, int64_t *out, vd_error *err);
int vd_cli_args_to_int(const char *flag, const char *v, int lo, int hi, int *out, vd_error *err);

#endif
