/* vision_ref.c -- see vision_ref.h. The freshness test and the generation
 * both happen inside the lock, so the second of two racing processes finds
 * the work done. */
#include "vision_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int vd_vision_ref_ensure(const char *dir, const char *script, const char *args)
{
    char done[1024], cmd[4096];
    struct stat s1, s2;
    snprintf(done, sizeof done, "%s/done", dir);
    if (stat(done, &s2) == 0 && stat(script, &s1) == 0 && s2.st_mtime >= s1.st_mtime)
        return 0;
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && flock '%s.lock' sh -c "
             "\"test '%s' -nt '%s' || { rm -f '%s'; '%s' '%s' %s; }\"",
             dir, dir, done, script, done, VD_PYTHON, script, args);
    return system(cmd) == 0 ? 0 : -1;
}
