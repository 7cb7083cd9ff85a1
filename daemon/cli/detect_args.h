/* detect_args.h -- the flags of `visiond detect`, parsed into the
 * pipeline's own option structs (vd_analyzer_opts, vd_analysis_opts) and
 * the shared selection/source flags (select.h). */
#ifndef VD_CLI_DETECT_ARGS_H
#define VD_CLI_DETECT_ARGS_H

#include "select.h"
#include "pipeline/analysis.h"

#define VD_DETECT_MAX_LIST 128

typedef struct vd_detect_args {
    const char *input, *annotate;
    int threads, motion, motion_crop;
    vd_analyzer_opts az;
    vd_analysis_opts an;
    char *classes_buf, *outputs_buf;
    const char *classes[VD_DETECT_MAX_LIST], *outputs[VD_DETECT_MAX_LIST];
    vd_zone zones[VD_DET_MAX_ZONES];
    vd_cli_select cs;
    vd_cli_source src;
} vd_detect_args;

/* Parse argv[1..argc) into a (initialised here): 0 to go on, -1 after
 * printing --help, else an exit status (the usage error is printed).
 * vd_detect_args_free in every case. */
int vd_detect_args_parse(vd_detect_args *a, int argc, char **argv);
void vd_detect_args_free(vd_detect_args *a);

#endif
