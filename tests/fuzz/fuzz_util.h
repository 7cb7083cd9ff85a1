/* fuzz_util.h -- what several libFuzzer targets share (fuzz_util.c). */
#ifndef VD_FUZZ_UTIL_H
#define VD_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A private directory for this process, made on first use under $TMPDIR
 * (or /tmp) and removed with its files at exit. Aborts if it cannot be. */
const char *vd_fuzz_dir(void);
/* Write n bytes to vd_fuzz_dir()/name (replacing it); returns the path,
 * valid until the next call. For entries that take a file, not a buffer. */
const char *vd_fuzz_write(const char *name, const uint8_t *data, size_t n);
/* Abort unless rc is 0, or negative with a message: the "clear error"
 * every target checks. With VD_FUZZ_VERBOSE set, failures are printed
 * (what a seed does: FUZZER -runs=0 SEEDS). */
void vd_fuzz_check_error(int rc, const char *msg);

#endif
