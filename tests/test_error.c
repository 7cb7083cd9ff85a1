/* test_error.c -- the error codes' stable names and messages.
 *
 * The names are an interface (the HTTP API writes them into its error
 * bodies) and the numeric values are part of the ABI, so both are pinned
 * here literally: a change to either must be a deliberate edit of this
 * file. Every code must also have its own snake_case name and a message. */
#include <criterion/criterion.h>
#include <string.h>
/* before error.h on purpose: EOF, EINVAL, ERANGE... are macros there, and
 * the map must still generate VD_EOF, VD_EINVAL, VD_ERANGE... */
#include <errno.h>
#include <stdio.h>

#include "vision/core/error.h"

static const struct {
    int code, value;
    const char *name, *msg;
} pinned[] = {
    {VD_OK, 0, "ok", "success"},
    {VD_EINVAL, -1, "invalid_argument", "invalid argument"},
    {VD_ENOMEM, -2, "out_of_memory", "out of memory"},
    {VD_EIO, -3, "io", "I/O error"},
    {VD_EFORMAT, -4, "malformed", "corrupt or malformed data"},
    {VD_EUNSUPPORTED, -5, "unsupported", "unsupported"},
    {VD_ENOTFOUND, -6, "not_found", "not found"},
    {VD_ETIMEDOUT, -7, "timed_out", "timed out"},
    {VD_EOF, -8, "eof", "end of stream"},
    {VD_ERANGE, -9, "out_of_range", "out of range"},
    {VD_ECLOSED, -10, "closed", "closed"},
    {VD_ELIMIT, -11, "limit_exceeded", "limit exceeded"},
};
#define N_PINNED (int)(sizeof pinned / sizeof pinned[0])

Test(error, values_names_and_messages_are_pinned)
{
    for (int i = 0; i < N_PINNED; i++) {
        cr_expect_eq(pinned[i].code, pinned[i].value, "%s is %d, was %d", pinned[i].name,
                     pinned[i].code, pinned[i].value);
        cr_expect_str_eq(vd_err_name(pinned[i].code), pinned[i].name);
        cr_expect_str_eq(vd_strerror(pinned[i].code), pinned[i].msg);
    }
}

Test(error, every_code_has_its_own_snake_case_name)
{
    /* every value the map generates, found by walking the codes down from 0 */
    int n = 0;
    for (int code = 0; strcmp(vd_err_name(code), "unknown"); code--, n++) {
        const char *name = vd_err_name(code);
        cr_expect_neq(strcmp(vd_strerror(code), "unknown error"), 0, "%d has no message", code);
        cr_expect_gt(strlen(name), 0);
        cr_expect_eq(strspn(name, "abcdefghijklmnopqrstuvwxyz_"), strlen(name),
                     "name '%s' of %d is not snake_case", name, code);
        for (int other = code + 1; other <= 0; other++)
            cr_expect_str_neq(vd_err_name(other), name, "%d and %d share '%s'", other, code, name);
    }
    cr_expect_eq(n, N_PINNED, "the map has %d codes, the pinned table %d: pin the new one", n,
                 N_PINNED);
}

Test(error, unknown_codes_and_the_vd_error_calls)
{
    cr_expect_str_eq(vd_err_name(-12345), "unknown");
    cr_expect_str_eq(vd_strerror(-12345), "unknown error");
    cr_expect_str_eq(vd_err_name(1), "unknown");

    vd_error e;
    cr_expect_eq(vd_error_set(&e, VD_ENOTFOUND, "cam%d: no such stream", 3), VD_ENOTFOUND);
    cr_expect_eq(vd_error_prefix(&e, "%s: ", "config.json"), VD_ENOTFOUND);
    cr_expect_str_eq(e.msg, "config.json: cam3: no such stream");
    cr_expect_str_eq(vd_err_name(e.code), "not_found");
    vd_error_clear(&e);
    cr_expect_eq(e.code, 0);
    cr_expect_str_eq(e.msg, "");
    cr_expect_eq(vd_error_set(NULL, VD_EIO, "ignored"), VD_EIO, "a NULL vd_error still returns");
}
