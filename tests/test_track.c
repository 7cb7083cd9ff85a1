/* test_track.c -- the Hungarian solver against brute force, and the SORT
 * tracker's lifecycle on scripted trajectories (ids, min_hits, max_age,
 * per-class matching, events with first/last time, top score, best box).
 * The real-video check (walkers in vtest.avi keep their ids) is in
 * tests/detect.cmake. */
#include <criterion/criterion.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "vision/track/track.h"

/* ---- Hungarian ---- */

static double brute(const double *c, int r, int k, int row, int *used)
{
    if (row == r)
        return 0;
    double best = DBL_MAX;
    if (r > k) { /* some rows stay unassigned: allow "skip" when rows left > cols left */
        int free_cols = 0;
        for (int j = 0; j < k; j++)
            free_cols += !used[j];
        if (r - row > free_cols) {
            double v = brute(c, r, k, row + 1, used);
            best = v < best ? v : best;
        }
    }
    for (int j = 0; j < k; j++) {
        if (used[j])
            continue;
        used[j] = 1;
        double v = c[row * k + j] + brute(c, r, k, row + 1, used);
        used[j] = 0;
        best = v < best ? v : best;
    }
    return best;
}

Test(hungarian, matches_brute_force_on_random_matrices)
{
    srand(7);
    for (int trial = 0; trial < 300; trial++) {
        int r = 1 + rand() % 6, k = 1 + rand() % 6;
        double c[36];
        for (int i = 0; i < r * k; i++)
            c[i] = (rand() % 1000) / 100.0;
        int asg[6], used[6] = {0};
        cr_assert_eq(vd_hungarian(c, r, k, asg, NULL), 0);
        double total = 0;
        int seen[6] = {0}, assigned = 0;
        for (int i = 0; i < r; i++) {
            if (asg[i] < 0)
                continue;
            cr_assert(asg[i] < k);
            cr_assert(!seen[asg[i]], "column used twice");
            seen[asg[i]] = 1;
            total += c[i * k + asg[i]];
            assigned++;
        }
        cr_assert_eq(assigned, r < k ? r : k);
        double want = brute(c, r, k, 0, used);
        cr_assert_float_eq(total, want, 1e-9, "trial %d (%dx%d): %g vs brute force %g", trial, r,
                           k, total, want);
    }
}

Test(hungarian, empty)
{
    int asg[2] = {5, 5};
    cr_assert_eq(vd_hungarian(NULL, 2, 0, asg, NULL), 0);
    cr_assert_eq(asg[0], -1);
    cr_assert_eq(asg[1], -1);
}

/* ---- tracker ---- */

static vd_detection det(const char *name, int label, float score, float x, float y, float w,
                        float h)
{
    vd_detection d;
    memset(&d, 0, sizeof d);
    strcpy(d.name, name);
    d.label = label;
    d.score = score;
    d.box[0] = x;
    d.box[1] = y;
    d.box[2] = x + w;
    d.box[3] = y + h;
    return d;
}

static int count_events(vd_tracker *t, vd_track_event_type type, int64_t id)
{
    const vd_track_event *ev;
    int n = vd_tracker_events(t, &ev), c = 0;
    for (int i = 0; i < n; i++)
        c += ev[i].type == type && (id < 0 || ev[i].id == id);
    return c;
}

Test(tracker, two_walkers_keep_their_ids_and_lifecycle)
{
    vd_tracker *t;
    vd_tracker_opts o = {.iou = 0.3f, .min_hits = 3, .max_age = 2};
    cr_assert_eq(vd_tracker_create(&t, &o, NULL), 0);
    vd_det_list l = {0};
    int64_t id_a = 0, id_b = 0;
    for (int f = 0; f < 20; f++) {
        vd_det_list_clear(&l);
        /* A walks right 6 px/frame, B walks left; they never overlap */
        vd_detection a = det("person", 0, 0.5f + 0.01f * f, 10 + 6.0f * f, 50, 40, 100);
        vd_detection b = det("person", 0, 0.9f, 400 - 5.0f * f, 200, 40, 100);
        vd_det_list_push(&l, &b, NULL);
        vd_det_list_push(&l, &a, NULL);
        cr_assert_eq(vd_tracker_update(t, f * 0.2, &l, NULL), 0);
        if (f < 2) {
            cr_assert_eq(l.items[0].track_id, 0, "tentative before min_hits");
            cr_assert_eq(count_events(t, VD_TRACK_NEW, -1), 0);
            continue;
        }
        if (f == 2) {
            cr_assert_eq(count_events(t, VD_TRACK_NEW, -1), 2);
            id_b = l.items[0].track_id;
            id_a = l.items[1].track_id;
            cr_assert(id_a > 0 && id_b > 0 && id_a != id_b);
        }
        cr_assert_eq(l.items[0].track_id, id_b, "frame %d", f);
        cr_assert_eq(l.items[1].track_id, id_a, "frame %d", f);
        if (f > 2)
            cr_assert_eq(count_events(t, VD_TRACK_UPDATE, -1), 2);
    }
    /* A disappears; it ends after max_age (2) further missed updates */
    for (int f = 20; f < 24; f++) {
        vd_det_list_clear(&l);
        vd_detection b = det("person", 0, 0.9f, 400 - 5.0f * f, 200, 40, 100);
        vd_det_list_push(&l, &b, NULL);
        cr_assert_eq(vd_tracker_update(t, f * 0.2, &l, NULL), 0);
        cr_assert_eq(l.items[0].track_id, id_b);
        int ended = count_events(t, VD_TRACK_END, id_a);
        cr_assert_eq(ended, f == 22 ? 1 : 0, "frame %d: %d END events", f, ended);
        if (ended) {
            const vd_track_event *ev;
            int n = vd_tracker_events(t, &ev);
            for (int i = 0; i < n; i++)
                if (ev[i].type == VD_TRACK_END) {
                    cr_assert_float_eq(ev[i].first_pts, 0.0, 1e-9);
                    cr_assert_float_eq(ev[i].last_pts, 19 * 0.2, 1e-9);
                    cr_assert_float_eq(ev[i].top_score, 0.5f + 0.19f, 1e-6);
                    cr_assert_float_eq(ev[i].best_box[0], 10 + 6.0f * 19, 1e-3);
                    cr_assert_eq(ev[i].hits, 20);
                }
        }
    }
    cr_assert_eq(vd_tracker_flush(t, NULL), 0);
    cr_assert_eq(count_events(t, VD_TRACK_END, id_b), 1);
    cr_assert_eq(vd_tracker_live(t), 0);
    vd_det_list_free(&l);
    vd_tracker_free(&t);
    cr_assert_null(t);
}

Test(tracker, short_gap_keeps_id_and_velocity_predicts)
{
    vd_tracker *t;
    vd_tracker_opts o = {.iou = 0.3f, .min_hits = 2, .max_age = 3};
    cr_assert_eq(vd_tracker_create(&t, &o, NULL), 0);
    vd_det_list l = {0};
    int64_t id = 0;
    for (int f = 0; f < 16; f++) {
        vd_det_list_clear(&l);
        /* 15 px/frame on a 40 px wide box; frames 8 and 9 have no detection */
        if (f != 8 && f != 9) {
            vd_detection a = det("car", 2, 0.8f, 15.0f * f, 10, 40, 30);
            vd_det_list_push(&l, &a, NULL);
        }
        cr_assert_eq(vd_tracker_update(t, f, &l, NULL), 0);
        if (f == 1)
            id = l.items[0].track_id;
        if (f >= 1 && l.count)
            cr_assert_eq(l.items[0].track_id, id, "frame %d: id %lld, want %lld", f,
                         (long long)l.items[0].track_id, (long long)id);
    }
    /* after the 2-frame gap the box moved 45 px: only a velocity model matches it */
    cr_assert(id > 0);
    vd_det_list_free(&l);
    vd_tracker_free(&t);
}

Test(tracker, per_class_and_agnostic)
{
    for (int agnostic = 0; agnostic <= 1; agnostic++) {
        vd_tracker *t;
        vd_tracker_opts o = {.min_hits = 1, .class_agnostic = agnostic};
        cr_assert_eq(vd_tracker_create(&t, &o, NULL), 0);
        vd_det_list l = {0};
        vd_detection a = det("person", 0, 0.8f, 100, 100, 50, 100);
        vd_det_list_push(&l, &a, NULL);
        cr_assert_eq(vd_tracker_update(t, 0, &l, NULL), 0);
        int64_t first = l.items[0].track_id;
        cr_assert_eq(first, 1);
        vd_det_list_clear(&l);
        vd_detection b = det("dog", 16, 0.8f, 102, 100, 50, 100);
        vd_det_list_push(&l, &b, NULL);
        cr_assert_eq(vd_tracker_update(t, 1, &l, NULL), 0);
        if (agnostic)
            cr_assert_eq(l.items[0].track_id, first, "agnostic: the dog continues track 1");
        else
            cr_assert_eq(l.items[0].track_id, 2, "per class: a new track for the dog");
        vd_det_list_free(&l);
        vd_tracker_free(&t);
    }
}

Test(tracker, rejects_time_going_backwards)
{
    vd_tracker *t;
    cr_assert_eq(vd_tracker_create(&t, NULL, NULL), 0);
    vd_det_list l = {0};
    vd_error e;
    cr_assert_eq(vd_tracker_update(t, 5, &l, &e), 0);
    cr_assert_eq(vd_tracker_update(t, 4, &l, &e), VD_EINVAL);
    cr_assert(strstr(e.msg, "pts"), "%s", e.msg);
    vd_tracker_free(&t);
}
