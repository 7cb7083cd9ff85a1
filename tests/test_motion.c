/* test_motion.c -- the motion detector on generated frames: a textured
 * static scene with objects moving through it (regions must cover the
 * objects and nothing else), a whole-frame light change (no motion, a
 * counted reset), min_area, and bad input. Real video (walkers in
 * vtest.avi) is checked through the CLI in tests/detect.cmake. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vision/motion/motion.h"

#define W 320
#define H 240

/* A fixed noisy texture (motion must not fire on a static texture). */
static void scene(uint8_t *rgb, int brightness_add)
{
    srand(3);
    for (int i = 0; i < W * H; i++) {
        int v = 60 + rand() % 80 + brightness_add;
        v = v > 255 ? 255 : v;
        rgb[3 * i] = (uint8_t)v;
        rgb[3 * i + 1] = (uint8_t)(v * 3 / 4);
        rgb[3 * i + 2] = (uint8_t)(v / 2);
    }
}

static void square(uint8_t *rgb, int x0, int y0, int s, uint8_t v)
{
    for (int y = y0; y < y0 + s && y < H; y++)
        for (int x = x0; x < x0 + s && x < W; x++)
            memset(rgb + 3 * (y * W + x), v, 3);
}

static float overlap(const float *b, float x0, float y0, float x1, float y1)
{
    float iw = (b[2] < x1 ? b[2] : x1) - (b[0] > x0 ? b[0] : x0);
    float ih = (b[3] < y1 ? b[3] : y1) - (b[1] > y0 ? b[1] : y0);
    return iw > 0 && ih > 0 ? iw * ih : 0;
}

Test(motion, regions_follow_two_moving_squares)
{
    vd_motion *m;
    cr_assert_eq(vd_motion_create(&m, NULL, NULL), 0);
    uint8_t *f = malloc(W * H * 3);
    vd_det_list l = {0};
    for (int i = 0; i < 12; i++) {
        /* frame 0 is the empty scene: an object present when the
         * background is learnt would leave a "ghost" where it stood */
        scene(f, 0);
        int ax = 20 + 8 * i, bx = 260 - 6 * i;
        if (i > 0) {
            square(f, ax, 40, 30, 250);
            square(f, bx, 150, 24, 5);
        }
        int n = vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL);
        cr_assert_geq(n, 0);
        if (i == 0) {
            cr_assert_eq(n, 0, "the first frame only initialises the background");
            continue;
        }
        cr_assert_geq(n, 2, "frame %d: %d regions", i, n);
        int hit_a = 0, hit_b = 0;
        for (int k = 0; k < l.count; k++) {
            const float *b = l.items[k].box;
            cr_assert_str_eq(l.items[k].name, "motion");
            /* every region touches one of the squares (current or trailing
             * position, which the background still remembers) */
            float oa = overlap(b, (float)ax - 8 * 3, 40, (float)ax + 30, 70);
            float ob = overlap(b, (float)bx, 150, (float)bx + 24 + 6 * 3, 174);
            cr_assert(oa > 0 || ob > 0, "frame %d: region %d [%g,%g,%g,%g] far from the squares",
                      i, k, b[0], b[1], b[2], b[3]);
            hit_a |= overlap(b, (float)ax, 40, (float)ax + 30, 70) > 0;
            hit_b |= overlap(b, (float)bx, 150, (float)bx + 24, 174) > 0;
            /* boxes are in source pixels and stay near the objects */
            cr_assert(b[3] - b[1] < 80, "region too tall: %g", b[3] - b[1]);
        }
        cr_assert(hit_a && hit_b, "frame %d: both squares must be covered", i);
    }
    vd_motion_stats st;
    vd_motion_stats_get(m, &st);
    cr_assert_eq(st.frames, 12);
    cr_assert_eq(st.motion_frames, 11);
    cr_assert_eq(st.resets, 0);
    vd_det_list_free(&l);
    free(f);
    vd_motion_free(&m);
    cr_assert_null(m);
}

Test(motion, light_switch_is_not_motion)
{
    vd_motion *m;
    cr_assert_eq(vd_motion_create(&m, NULL, NULL), 0);
    uint8_t *f = malloc(W * H * 3);
    vd_det_list l = {0};
    scene(f, 0);
    cr_assert_eq(vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL), 0);
    cr_assert_eq(vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL), 0, "static scene");
    scene(f, 70); /* lights on */
    cr_assert_eq(vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL), 0);
    vd_motion_stats st;
    vd_motion_stats_get(m, &st);
    cr_assert_eq(st.resets, 1);
    cr_assert_eq(st.last_reset, 1);
    cr_assert_gt(st.changed, 0.5f);
    /* the new scene is the background now: still nothing */
    cr_assert_eq(vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL), 0);
    /* and real motion after the switch is found again */
    square(f, 100, 100, 30, 0);
    cr_assert_geq(vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL), 1);
    vd_motion_stats_get(m, &st);
    cr_assert_eq(st.resets, 1);
    vd_det_list_free(&l);
    free(f);
    vd_motion_free(&m);
}

Test(motion, min_area_and_threshold)
{
    vd_motion_opts o = {.min_area = 0.01f}; /* 1% of the frame = 768 px here */
    vd_motion *m;
    cr_assert_eq(vd_motion_create(&m, &o, NULL), 0);
    uint8_t *f = malloc(W * H * 3);
    vd_det_list l = {0};
    scene(f, 0);
    vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL);
    square(f, 50, 50, 10, 255); /* 100 px: too small */
    cr_assert_eq(vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL), 0);
    square(f, 150, 100, 60, 255); /* 3600 px */
    cr_assert_eq(vd_motion_update(m, f, W, H, W * 3, 3, &l, NULL), 1);
    vd_det_list_free(&l);
    free(f);
    vd_motion_free(&m);

    /* a faint change (+10 levels) is below the default threshold (20) */
    cr_assert_eq(vd_motion_create(&m, NULL, NULL), 0);
    uint8_t *g = calloc(W * H, 1);
    memset(g, 100, W * H);
    vd_motion_update(m, g, W, H, W, 1, &l, NULL);
    for (int y = 50; y < 150; y++)
        memset(g + y * W + 50, 110, 100);
    cr_assert_eq(vd_motion_update(m, g, W, H, W, 1, &l, NULL), 0);
    for (int y = 50; y < 150; y++)
        memset(g + y * W + 50, 160, 100);
    cr_assert_eq(vd_motion_update(m, g, W, H, W, 1, &l, NULL), 1);
    const float *b = l.items[0].box;
    cr_assert(b[0] >= 40 && b[0] <= 52 && b[2] >= 148 && b[2] <= 160, "x %g..%g", b[0], b[2]);
    cr_assert(b[1] >= 40 && b[1] <= 52 && b[3] >= 148 && b[3] <= 160, "y %g..%g", b[1], b[3]);
    vd_det_list_free(&l);
    free(g);
    vd_motion_free(&m);
}

Test(motion, bad_input)
{
    vd_motion *m;
    vd_error e;
    vd_motion_opts o = {.alpha = 2};
    cr_assert_eq(vd_motion_create(&m, &o, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "alpha"), "%s", e.msg);
    cr_assert_eq(vd_motion_create(&m, NULL, NULL), 0);
    vd_det_list l = {0};
    uint8_t px[16] = {0};
    cr_assert_eq(vd_motion_update(m, px, 4, 4, 2, 1, &l, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "linesize"), "%s", e.msg);
    cr_assert_eq(vd_motion_update(m, px, 2, 2, 4, 2, &l, &e), VD_EINVAL);
    vd_motion_free(&m);
}
