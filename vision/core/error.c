/* error.c -- formatting of vd_error values and the names and texts of the
 * codes, the latter generated from the one list in error.h. */
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

/* Both lookups are switches generated from VD_ERRNO_MAP (error.h). */
#define VD_ERRNO_CASE_(name, value, id, msg) \
    case VD_##name:                         \
        return WHAT_(id, msg);

const char *vd_strerror(int code)
{
#define WHAT_(id, msg) msg
    switch (code) { VD_ERRNO_MAP(VD_ERRNO_CASE_) }
#undef WHAT_
    return "unknown error";
}

const char *vd_err_name(int code)
{
#define WHAT_(id, msg) id
    switch (code) { VD_ERRNO_MAP(VD_ERRNO_CASE_) }
#undef WHAT_
    return "unknown";
}
