/* vision_ref.h -- run a tests/vision_ref/ reference generator script once per
 * build (vision-core's tests: image, transforms, ops).
 *
 * The script's outputs are reused until the script changes (its mtime is
 * newer than DIR/done, which the script writes last). Generation runs under
 * flock(1) on DIR.lock, so test processes started in parallel never read a
 * half-written reference. */
#ifndef VD_TEST_VISION_REF_H
#define VD_TEST_VISION_REF_H

/* Make sure DIR holds fresh outputs of `VD_PYTHON script args...`; args is
 * the rest of the command line, already quoted. Returns 0 or -1 (the
 * command failed; see the test's stderr). */
int vd_vision_ref_ensure(const char *dir, const char *script, const char *args);

#endif
