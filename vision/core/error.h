/* error.h -- visiond's error values.
 *
 * Every library call that can fail returns an int: 0 on success or a
 * negative VD_E* code. The detail goes into a caller-provided vd_error
 * (SQLite's errmsg idea without a handle): it names the input and the
 * reason, e.g. "vtest.avi: seek to 91.0 s is past the end (79.5 s)".
 * Library code never prints and never exits; the caller decides.
 *
 * A NULL vd_error* is allowed everywhere: the code is still returned. */
#ifndef VD_ERROR_H
#define VD_ERROR_H

#include <stdarg.h>

/* The one list of codes: X(name, value, "stable_name", "message"). It
 * generates the VD_E* enum, vd_err_name() and vd_strerror(), so a code can
 * never lack its name or its text (libuv's UV_ERRNO_MAP). The stable name
 * is snake_case and never changes once published: the HTTP API puts it in
 * its error bodies next to the message. Values never change either. */
#define VD_ERRNO_MAP(X)                                                              \
    X(OK, 0, "ok", "success")                                                        \
    /* bad argument or option value */                                               \
    X(EINVAL, -1, "invalid_argument", "invalid argument")                             \
    /* allocation failed */                                                          \
    X(ENOMEM, -2, "out_of_memory", "out of memory")                                  \
    /* read/write/network failure */                                                 \
    X(EIO, -3, "io", "I/O error")                                                    \
    /* corrupt, truncated or malformed data */                                       \
    X(EFORMAT, -4, "malformed", "corrupt or malformed data")                         \
    /* valid input we cannot handle (op, codec, attr) */                             \
    X(EUNSUPPORTED, -5, "unsupported", "unsupported")                                \
    /* no such file, stream, name */                                                 \
    X(ENOTFOUND, -6, "not_found", "not found")                                       \
    /* a source did not answer in time */                                            \
    X(ETIMEDOUT, -7, "timed_out", "timed out")                                       \
    /* end of stream: not a failure, a state */                                      \
    X(EOF, -8, "eof", "end of stream")                                               \
    /* index or time out of range */                                                 \
    X(ERANGE, -9, "out_of_range", "out of range")                                    \
    /* interrupted: the handle was closed/aborted */                                 \
    X(ECLOSED, -10, "closed", "closed")                                              \
    /* a safety limit was hit (pixels, bytes) */                                     \
    X(ELIMIT, -11, "limit_exceeded", "limit exceeded")

#define VD_ERRNO_ENUM_(name, value, id, msg) VD_##name = value,
enum { VD_ERRNO_MAP(VD_ERRNO_ENUM_) };
#undef VD_ERRNO_ENUM_

#define VD_ERROR_MSG_MAX 512

typedef struct vd_error {
    int code;
    char msg[VD_ERROR_MSG_MAX];
} vd_error;

/* Set *err (if non-NULL) to code and the formatted message. Returns code, so
 * `return vd_error_set(err, VD_EINVAL, "...")` reads naturally. */
int vd_error_set(vd_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vd_error_setv(vd_error *err, int code, const char *fmt, va_list ap);

/* Prepend context ("model.onnx: ") to an existing message. Returns err->code
 * (or VD_EINVAL when err is NULL, the code being unknown). */
int vd_error_prefix(vd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void vd_error_clear(vd_error *err);

/* Static text for a code: "invalid argument", "corrupt or malformed data",
 * ...; "unknown error" for a value that is not a VD_E* code. */
const char *vd_strerror(int code);
/* Stable snake_case name of a code: "invalid_argument", "not_found", "io",
 * "eof", ... ("ok" for 0); "unknown" for a value that is not a VD_E* code. */
const char *vd_err_name(int code);

#endif
