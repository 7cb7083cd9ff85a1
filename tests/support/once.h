/* once.h -- make a test's generated inputs (models, references, arrays)
 * once per build, safely under Criterion's parallel test processes.
 *
 * DIR's contents are reused until the stamp file (the script or test
 * source that defines them) is newer than DIR/done, which is written only
 * after the maker succeeds. The freshness test and the making both run
 * under an exclusive flock on DIR.lock, so the second of two racing
 * processes waits and then finds the work done: no test ever reads a
 * half-written file, and no rm -rf deletes one another test is loading. */
#ifndef VD_TEST_ONCE_H
#define VD_TEST_ONCE_H

/* Ensure DIR is fresh, calling make(arg) (with DIR created) when it is
 * not. make returns 0 on success. Returns 0 or -1 (lock, mkdir or make
 * failed; make reports its own reason). */
int vd_test_once(const char *dir, const char *stamp, int (*make)(void *arg), void *arg);

/* vd_test_once whose maker is `VD_PYTHON script args...` (args: the rest
 * of the command line, already quoted), stamped by the script. */
int vd_test_script_once(const char *dir, const char *script, const char *args);

#endif
