/* bench_transforms.c -- throughput of the fused preprocessing chain
 * (vision/transforms vd_tf_chain_run) on the cases a detector pipeline
 * runs per frame. bench/transforms_peer.py times the same cases with
 * OpenCV + numpy; bench/run_transforms.sh runs both side by side.
 *
 * Usage: bench_transforms [reps] [iters] [case index, default all]
 * Prints one line per case: name, median wall ms/frame over reps runs of
 * iters frames each, min wall ms/frame, median CPU ms/frame (process CPU
 * time: on a loaded machine the fairer measure of cost). Single-threaded by
 * design (the daemon runs one chain per reader thread). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vision/transform/transforms.h"

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The same deterministic test pattern transforms_peer.py builds. */
static uint8_t *pattern(int w, int h)
{
    uint8_t *p = malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                p[((size_t)y * w + x) * 3 + c] = (uint8_t)((x * 3 + y * 7 + c * 50 + (x * y) / 64) & 255);
    return p;
}

typedef struct bench_case {
    const char *name;
    int src_w, src_h;
    const char *settings[16]; /* key, value pairs for vd_tf_spec_set */
} bench_case;

static const bench_case cases[] = {
    {"1280x720 -> 640x640 letterbox(114) bilinear, 0-1, nchw rgb", 1280, 720,
     {"size", "640x640", "resize", "letterbox", "pad_value", "114", NULL}},
    {"768x576 -> 320x320 stretch bilinear, imagenet mean/std, nchw rgb", 768, 576,
     {"size", "320x320", "mean", "0.485,0.456,0.406", "std", "0.229,0.224,0.225", NULL}},
    {"1920x1080 -> 640x640 letterbox(114) bilinear, 0-1, nchw rgb", 1920, 1080,
     {"size", "640x640", "resize", "letterbox", "pad_value", "114", NULL}},
    {"768x576 -> 128x128 stretch bilinear+antialias, 0-1 mean/std 0.5, nchw rgb", 768, 576,
     {"size", "128x128", "antialias", "1", "mean", "0.5", "std", "0.5", NULL}},
};

static int run_case(const bench_case *bc, int reps, int iters)
{
    vd_tf_spec spec;
    vd_error err = {0};
    vd_tf_spec_default(&spec, 1, 1);
    for (int i = 0; bc->settings[i]; i += 2)
        if (vd_tf_spec_set(&spec, bc->settings[i], bc->settings[i + 1], &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    vd_tf_chain *ch;
    if (vd_tf_chain_create(&ch, &spec, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    uint8_t *src = pattern(bc->src_w, bc->src_h);
    vd_tf_image img = {src, bc->src_w, bc->src_h, bc->src_w * 3, VD_PIX_RGB24};
    int64_t shape[4] = {1, 3, spec.height, spec.width};
    vd_tensor batch = {0};
    vd_tensor_alloc(&batch, VD_DTYPE_F32, 4, shape, &err);
    double *t = malloc(sizeof(double) * (size_t)reps), *cpu = malloc(sizeof(double) * (size_t)reps);
    vd_tf_chain_run(ch, &img, &batch, 0, NULL, &err); /* warm-up */
    for (int r = 0; r < reps; r++) {
        double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; i < iters; i++)
            if (vd_tf_chain_run(ch, &img, &batch, 0, NULL, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
        t[r] = (clock_ms(CLOCK_MONOTONIC) - t0) / iters;
        cpu[r] = (clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0) / iters;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    qsort(cpu, (size_t)reps, sizeof *cpu, cmp_d);
    printf("%s\t%.3f\t%.3f\t%.3f\n", bc->name, t[reps / 2], t[0], cpu[reps / 2]);
    free(t);
    free(cpu);
    free(src);
    vd_tensor_free(&batch);
    vd_tf_chain_free(&ch);
    return 0;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 7, iters = argc > 2 ? atoi(argv[2]) : 30;
    int only = argc > 3 ? atoi(argv[3]) : -1;
    if (reps < 1 || iters < 1) {
        fprintf(stderr, "usage: bench_transforms [reps>=1] [iters>=1] [case]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if ((only < 0 || (size_t)only == i) && run_case(&cases[i], reps, iters))
            return 1;
    return 0;
}
