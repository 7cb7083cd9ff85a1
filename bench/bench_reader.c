/* bench_reader.c -- one timed scenario of pipeline/reader on one file.
 *
 *   bench_reader FILE SCENARIO [--threads N] [--targets T1,T2,...]
 *
 * SCENARIO: all | every30 | keyframes | seek20 | at20 | range. Prints one
 * JSON line {"tool":"visiond","scenario","seconds","frames"[,"seeks"]}; the time
 * includes opening the file, as it does for the peers in
 * reader_peers.py. seek20 seeks accurately to each target and takes one
 * frame, reporting its pts and md5 so run_reader.sh can check exactness
 * against ffmpeg's framemd5; at20 asks vd_reader_get_at() for the frames
 * played at the targets and reports them the same way. Frames stay native (no conversion), like
 * `ffmpeg -f null`. Run by run_reader.sh, never by ctest. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pipeline/reader.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* CPU seconds of this process, all threads: the work done, which a
 * machine shared with other jobs slows less than it slows the clock. */
static double cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static int die(const char *what, const vd_error *e)
{
    fprintf(stderr, "bench_reader: %s: %s\n", what, e->msg);
    return 1;
}

static long drain(vd_reader *r, vd_error *e)
{
    vd_frame f;
    long n = 0;
    while (!vd_reader_next(r, &f, e))
        n++;
    return n;
}

/* seek20: an accurate seek + one frame per target; at20: all targets to
 * vd_reader_get_at() at once, then one frame each. */
static int seek20(vd_reader *r, const char *targets, int at, long *n, vd_error *e)
{
    char *list = strdup(targets), *save = NULL;
    double ts[64];
    size_t nt = 0;
    for (char *t = strtok_r(list, ",", &save); t && nt < 64; t = strtok_r(NULL, ",", &save))
        ts[nt++] = atof(t);
    free(list);
    if (at && vd_reader_get_at(r, ts, nt, e))
        return -1;
    int first = 1;
    printf(", \"seeks\": [");
    for (size_t i = 0; i < nt; i++) {
        vd_frame f;
        char md5[33] = "";
        if ((!at && vd_reader_seek(r, ts[i], VD_SEEK_ACCURATE, e)) || vd_reader_next(r, &f, e))
            return -1;
        vd_frame_md5(&f, md5, NULL);
        printf("%s[%.6f, %.6f, \"%s\"]", first ? "" : ", ", ts[i], f.pts, md5);
        first = 0;
        (*n)++;
    }
    printf("]");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_reader FILE all|every30|keyframes|seek20|at20|range "
                        "[--threads N] [--targets T,...]\n");
        return 2;
    }
    const char *file = argv[1], *sc = argv[2], *targets = NULL;
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            o.threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--targets"))
            targets = argv[i + 1];
    }
    vd_error e = {0};
    vd_reader *r = NULL;
    double t0 = now(), c0 = cpu();
    if (vd_reader_open(&r, file, &o, &e))
        return die("open", &e);
    vd_reader_select s;
    vd_reader_select_init(&s);
    long n = 0;
    printf("{\"tool\": \"visiond\", \"scenario\": \"%s\"", sc);
    if (!strcmp(sc, "seek20") || !strcmp(sc, "at20")) {
        if (!targets || seek20(r, targets, sc[0] == 'a', &n, &e))
            return die("seek20/at20 (needs --targets)", &e);
    } else {
        if (!strcmp(sc, "every30"))
            s.step = 30;
        else if (!strcmp(sc, "keyframes"))
            s.keyframes = 1;
        else if (!strcmp(sc, "range")) {
            vd_format_info fi;
            vd_reader_format_info(r, &fi);
            double st = isnan(fi.start_time) ? 0 : fi.start_time;
            s.start = st + fi.duration * 0.25;
            s.end = st + fi.duration * 0.5;
        } else if (strcmp(sc, "all")) {
            fprintf(stderr, "bench_reader: unknown scenario %s\n", sc);
            return 2;
        }
        if (vd_reader_select_set(r, &s, &e))
            return die("select", &e);
        n = drain(r, &e);
    }
    vd_reader_stats st;
    vd_reader_stats_get(r, &st);
    vd_reader_close(&r);
    printf(", \"seconds\": %.4f, \"cpu\": %.4f, \"frames\": %ld, \"decoded\": %lld, "
           "\"jumps\": %lld}\n",
           now() - t0, cpu() - c0, n, (long long)st.frames_decoded, (long long)st.skips);
    return 0;
}
