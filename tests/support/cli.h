/* cli.h -- run the visiond executable as a user would, from a test. */
#ifndef VD_TEST_CLI_H
#define VD_TEST_CLI_H

#include <stddef.h>

/* Run `visiond ARGS` (ARGS: a shell-quoted command line) and return its
 * exit status (128 when it did not exit normally). Its stdout and stderr
 * land in out/err, NUL-terminated and cut to the buffer sizes. Safe under
 * Criterion's parallel test processes (capture files are per process). */
int vd_test_visiond(const char *args, char *out, size_t n_out, char *err, size_t n_err);

#endif
