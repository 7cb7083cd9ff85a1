/* json_out.c -- JSON output shared by the subcommands. See json_out.h. */
#include "json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *vd_cli_json_real(double x, int decimals)
{
    if (!isfinite(x))
        return json_null();
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return json_real(strtod(buf, NULL));
}

json_t *vd_cli_json_string(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return json_null();
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

void vd_cli_json_line(json_t *o, int compact)
{
    /* 15 significant digits print every value of vd_cli_json_real back as
     * the decimal it was rounded to (DBL_DIG) */
    json_dumpf(o, stdout, JSON_REAL_PRECISION(15) | (compact ? JSON_COMPACT : 0));
    fputc('\n', stdout);
    json_decref(o);
}
