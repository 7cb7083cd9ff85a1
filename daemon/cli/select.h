/* cli_select.h -- the frame selection and conversion flags shared by the
 * subcommands that read video (`visiond frames`, `visiond detect`), and
 * the live-source flags shared by every command that opens an input.
 *
 * Flags (each takes one value, as "--flag VALUE" or "--flag=VALUE"):
 *   --start SEC  --end SEC  --count N  --step K  --fps F  --keyframes
 *   --indices I,J,...        (frame indices; excludes the five above)
 *   --at T1,T2,...           (frames played at these times; excludes all above)
 *   --size WxH  --pix-fmt native|rgb24|bgr24|gray|rgbf32
 * Their meaning is the reader's (pipeline/reader.h, vd_reader_select):
 * parsing here only fills the structs, so every command shares one
 * semantics. A subcommand loops over argv, offers each argument to
 * vd_cli_select_parse() and handles the rest itself:
 *
 *   vd_cli_select cs; vd_cli_select_init(&cs);
 *   for (int i = 1; i < argc; i++) {
 *       int k = vd_cli_select_parse(&cs, argc, argv, &i, &err);
 *       if (k < 0) { usage error: err.msg; exit 2 }
 *       if (k > 0) continue;            // consumed (i now at its value)
 *       ...own flags...
 *   }
 *   if (vd_cli_select_check(&cs, &err)) exit 2;
 *   ...open reader...; vd_cli_select_apply(&cs, reader, &err);
 *   ...vd_reader_next()...; vd_cli_select_free(&cs); */
#ifndef VD_CLI_SELECT_H
#define VD_CLI_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/reader.h"

typedef struct vd_cli_select {
    vd_reader_select sel; /* --start --end --count --step --fps --keyframes */
    int64_t *indices;     /* --indices, malloc'ed; NULL when not given */
    size_t nindices;
    double *at;           /* --at, malloc'ed; NULL when not given */
    size_t nat;
    vd_convert conv;      /* --size, --pix-fmt; conv.fmt NATIVE and 0x0 by default */
    int size_set;         /* --size was given (it implies rgb24 without --pix-fmt) */
    int pixfmt_set;
    int range_set;        /* any of the five range flags was given */
} vd_cli_select;

void vd_cli_select_init(vd_cli_select *c);
void vd_cli_select_free(vd_cli_select *c);

/* If argv[*i] is one of the flags above, parse it (and its value, advancing
 * *i to the value's position) and return 1. Return 0 if it is not ours
 * (nothing changed), VD_EINVAL with err naming the flag and value when the
 * value is missing or malformed ("--step: 'x' is not an integer"). */
int vd_cli_select_parse(vd_cli_select *c, int argc, char **argv, int *i, vd_error *err);

/* Cross-flag checks after parsing: vd_reader_select_check() plus --indices
 * mixed with range flags. VD_EINVAL with a message. Also resolves --size
 * without --pix-fmt to rgb24. */
int vd_cli_select_check(vd_cli_select *c, vd_error *err);

/* Program reader r: vd_reader_get() for --indices, vd_reader_get_at() for
 * --at, else vd_reader_select_set(). */
int vd_cli_select_apply(const vd_cli_select *c, vd_reader *r, vd_error *err);

/* One line per flag, for --help texts. */
const char *vd_cli_select_usage(void);

/* The live-source flags of every command that opens an input (probe,
 * frames, detect), so a camera that never answers fails the same way
 * everywhere:
 *   --timeout SEC            open and read timeout (> 0; reader default 10)
 *   --rtsp-transport tcp|udp
 * Zero-initialise; parse like vd_cli_select_parse (1 consumed, 0 not ours,
 * VD_EINVAL naming the flag); apply onto the reader options before open. */
typedef struct vd_cli_source {
    double timeout;             /* 0: the reader's default */
    const char *rtsp_transport; /* NULL: FFmpeg's default */
} vd_cli_source;

int vd_cli_source_parse(vd_cli_source *s, int argc, char **argv, int *i, vd_error *err);
void vd_cli_source_apply(const vd_cli_source *s, vd_reader_opts *o);
const char *vd_cli_source_usage(void);

#endif
