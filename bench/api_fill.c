/* api_fill.c -- fill a visiond store with N detection rows through the real
 * store (vd_store, SQLite backend), for bench/api_bench.sh: the API
 * benchmark queries a store of 1 M rows.
 *
 *   api_fill DB ROWS [DAYS]
 *
 * Rows look like a few days of 4 cameras: person/car/motion labels, scores,
 * boxes, tracks, a zone on some; timestamps spread evenly over the last
 * DAYS days (default 6, inside the default 7-day retention). The queue is
 * flushed every 50 000 rows so none is dropped (the store bounds its queue).
 * Prints the insert rate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/store/store.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void fill_row(vd_store_detection *d, int64_t id, int64_t i, int64_t n, double t0,
                     double span)
{
    static const char *labels[] = {"person", "car", "motion", "person"};
    memset(d, 0, sizeof *d);
    d->id = id;
    snprintf(d->stream, sizeof d->stream, "cam%d", (int)(i % 4));
    d->ts = t0 + span * (double)i / (double)n;
    d->ts = (double)(int64_t)(d->ts * 1000) / 1000;
    d->pts = (double)(i / 4) * 0.2;
    snprintf(d->label, sizeof d->label, "%s", labels[(i / 4) % 4]);
    d->score = 0.4f + (float)((i * 7919) % 600) / 1000.0f;
    float x = (float)((i * 31) % 1100), y = (float)((i * 17) % 560);
    d->box[0] = x;
    d->box[1] = y;
    d->box[2] = x + 80;
    d->box[3] = y + 160;
    d->track_id = 1 + i / 40;
    d->event_id = 1 + i / 400;
    if (i % 3 == 0) {
        snprintf(d->zones[0], sizeof d->zones[0], "entrance");
        d->n_zones = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: api_fill DB ROWS [DAYS]\n");
        return 2;
    }
    int64_t n = atoll(argv[2]);
    double days = argc > 3 ? atof(argv[3]) : 6;
    vd_store_opts o = {.path = argv[1], .retention_days = 0, .retention_rows = 0};
    vd_store *s;
    vd_error err = {0};
    if (vd_store_open(&s, &o, &err)) {
        fprintf(stderr, "api_fill: %s\n", err.msg);
        return 1;
    }
    int64_t det_id, ev_id;
    vd_store_next_ids(s, &det_id, &ev_id);
    double span = days * 86400, t0 = now_s() - span - 60, start = now_s();
    for (int64_t i = 0; i < n; i++) {
        vd_store_detection d;
        fill_row(&d, det_id + i, i, n, t0, span);
        if (vd_store_put_detection(s, &d, &err) ||
            ((i + 1) % 50000 == 0 && vd_store_flush(s, &err))) {
            fprintf(stderr, "api_fill: row %lld: %s\n", (long long)i, err.msg);
            return 1;
        }
    }
    int rc = vd_store_flush(s, &err);
    double dt = now_s() - start;
    vd_store_stats st;
    vd_store_stats_get(s, &st);
    vd_store_close(&s);
    if (rc) {
        fprintf(stderr, "api_fill: %s\n", err.msg);
        return 1;
    }
    printf("api_fill: %lld rows in %.1f s (%.0f rows/s), %lld in the store, %lld dropped\n",
           (long long)n, dt, (double)n / dt, (long long)st.detections, (long long)st.dropped);
    return st.dropped ? 1 : 0;
}
