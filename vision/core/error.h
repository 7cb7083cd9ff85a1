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

enum {
    VD_OK = 0,
    VD_EINVAL = -1,       /* bad argument or option value */
    VD_ENOMEM = -2,       /* allocation failed */
    VD_EIO = -3,          /* read/write/network failure */
    VD_EFORMAT = -4,      /* corrupt, truncated or malformed data */
    VD_EUNSUPPORTED = -5, /* valid input we cannot handle (op, codec, attr) */
    VD_ENOTFOUND = -6,    /* no such file, stream, name */
    VD_ETIMEDOUT = -7,    /* a source did not answer in time */
    VD_EOF = -8,          /* end of stream: not a failure, a state */
    VD_ERANGE = -9,       /* index or time out of range */
    VD_ECLOSED = -10,     /* interrupted: the handle was closed/aborted */
    VD_ELIMIT = -11,      /* a safety limit was hit (pixels, bytes) */
};

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

/* Static text for a code: "invalid argument", "corrupt data", ... */
const char *vd_strerror(int code);

#endif
