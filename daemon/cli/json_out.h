/* json_out.h -- how the subcommands print JSON (jansson, all of them).
 *
 * Numbers that are measurements print with a fixed number of decimals, as
 * a person would read them (pts to the microsecond, boxes to a tenth of a
 * pixel): vd_cli_json_real rounds to those decimals exactly as printf's
 * "%.Nf" does, and the dump prints the shortest text of that value, so
 * "216.4" not "216.40000000000001". */
#ifndef VD_CLI_JSON_OUT_H
#define VD_CLI_JSON_OUT_H

#include <jansson.h>

/* x rounded to `decimals` places; null when x is not finite. */
json_t *vd_cli_json_real(double x, int decimals);
/* A string; bytes that are not UTF-8 become '?' instead of failing. */
json_t *vd_cli_json_string(const char *s);
/* Print o as one line on stdout (compact: no spaces after ',' and ':')
 * and release it. */
void vd_cli_json_line(json_t *o, int compact);

#endif
