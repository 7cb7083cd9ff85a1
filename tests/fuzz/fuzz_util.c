/* fuzz_util.c -- helpers the libFuzzer targets share: a per-process
 * scratch directory for entries that read files, and the error check.
 * The directory is removed by an atexit handler; libFuzzer exits through
 * exit() after -runs and on a finding, so none are left behind. */
#include "fuzz_util.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[PATH_MAX];

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char p[PATH_MAX + 256];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            remove(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

const char *vd_fuzz_dir(void)
{
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/vd-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    return dir;
}

const char *vd_fuzz_write(const char *name, const uint8_t *data, size_t n)
{
    static char path[PATH_MAX + 256];
    snprintf(path, sizeof path, "%s/%s", vd_fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f))
        abort();
    return path;
}

void vd_fuzz_check_error(int rc, const char *msg)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("VD_FUZZ_VERBOSE") != NULL;
    if (verbose && rc)
        fprintf(stderr, "fuzz: %d: %s\n", rc, msg);
    if (rc > 0 || (rc < 0 && !msg[0]))
        abort();
}
