/* error.c -- formatting of vd_error values. See error.h. */
#include "error.h"

#include <stdio.h>
#include <string.h>

int vd_error_setv(vd_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    }
    return code;
}

int vd_error_set(vd_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vd_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int vd_error_prefix(vd_error *err, const char *fmt, ...)
{
    if (!err)
        return VD_EINVAL;
    char prefix[VD_ERROR_MSG_MAX], old[VD_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
    return err->code;
}

void vd_error_clear(vd_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *vd_strerror(int code)
{
    switch (code) {
    case VD_OK: return "success";
    case VD_EINVAL: return "invalid argument";
    case VD_ENOMEM: return "out of memory";
    case VD_EIO: return "I/O error";
    case VD_EFORMAT: return "corrupt or malformed data";
    case VD_EUNSUPPORTED: return "unsupported";
    case VD_ENOTFOUND: return "not found";
    case VD_ETIMEDOUT: return "timed out";
    case VD_EOF: return "end of stream";
    case VD_ERANGE: return "out of range";
    case VD_ECLOSED: return "closed";
    case VD_ELIMIT: return "limit exceeded";
    }
    return "unknown error";
}
