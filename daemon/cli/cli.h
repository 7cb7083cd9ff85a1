/* cli.h -- the visiond subcommands. Each lives in its own file of daemon/cli/ and
 * returns the process exit status: 0 ok, 1 input/runtime error, 2 bad
 * arguments. Messages go to stderr, results to stdout. */
#ifndef VD_CLI_H
#define VD_CLI_H

enum { VD_EXIT_OK = 0, VD_EXIT_INPUT = 1, VD_EXIT_USAGE = 2 };

int vd_cli_probe(int argc, char **argv);  /* probe.c */
int vd_cli_frames(int argc, char **argv); /* frames.c */
int vd_cli_clips(int argc, char **argv);  /* clips.c */
int vd_cli_nn(int argc, char **argv);     /* nn.c */
int vd_cli_detect(int argc, char **argv); /* detect.c */
int vd_cli_serve(int argc, char **argv);        /* serve.c */
int vd_cli_check_config(int argc, char **argv); /* check_config.c */

#endif
