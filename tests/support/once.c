/* once.c -- see once.h. */
#include "once.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_fresh(const char *done, const char *stamp)
{
    struct stat d, s;
    return stat(done, &d) == 0 && stat(stamp, &s) == 0 && d.st_mtime >= s.st_mtime;
}

int vd_test_once(const char *dir, const char *stamp, int (*make)(void *arg), void *arg)
{
    char done[1024], lock_path[1024], cmd[1200];
    snprintf(done, sizeof done, "%s/done", dir);
    if (is_fresh(done, stamp))
        return 0;
    snprintf(lock_path, sizeof lock_path, "%s.lock", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    if (system(cmd) != 0)
        return -1;
    int lock = open(lock_path, O_CREAT | O_RDWR, 0644);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        if (lock >= 0)
            close(lock);
        return -1;
    }
    int rc = 0;
    if (!is_fresh(done, stamp)) {
        remove(done);
        FILE *f = make(arg) == 0 ? fopen(done, "w") : NULL;
        rc = f && fclose(f) == 0 ? 0 : -1;
    }
    flock(lock, LOCK_UN);
    close(lock);
    return rc;
}

typedef struct script_job {
    const char *script, *args;
} script_job;

static int run_script(void *arg)
{
    const script_job *j = arg;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' %s", VD_PYTHON, j->script, j->args);
    return system(cmd) == 0 ? 0 : -1;
}

int vd_test_script_once(const char *dir, const char *script, const char *args)
{
    script_job j = {script, args};
    return vd_test_once(dir, script, run_script, &j);
}
