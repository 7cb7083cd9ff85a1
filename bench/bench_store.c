/* bench_store.c -- insert rate of vd_store (queue + writer thread + batched
 * WAL transactions with synchronous=FULL), and the same rows as SQL text
 * for the sqlite3 CLI to bulk-insert (bench/store_bench.sh runs both).
 *
 *   bench_store vd N DB [BATCH]   put N detections, flush; prints rows/s
 *                                 (BATCH: batch_rows, default the store's)
 *   bench_store sql N DB OUT TXN  create DB with the store's schema (empty)
 *                                 and write the same N rows to OUT as
 *                                 INSERTs, TXN rows per transaction
 *   bench_store csv N DB OUT      the same, as CSV for the CLI's .import
 *
 * The one design choice: both sides insert byte-identical rows into the
 * same schema with the same indexes (the CLI's file is created by
 * vd_store_open), so the difference is the store's machinery alone. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/store/store.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Row i: three streams, four labels, a zone on every other row. */
static void row(int64_t i, vd_store_detection *d)
{
    static const char *const streams[] = {"lobby", "yard", "gate"};
    static const char *const labels[] = {"person", "car", "dog", "bicycle"};
    memset(d, 0, sizeof *d);
    d->id = i + 1;
    snprintf(d->stream, sizeof d->stream, "%s", streams[i % 3]);
    snprintf(d->label, sizeof d->label, "%s", labels[(i / 3) % 4]);
    d->pts = (double)i * 0.2;
    d->ts = 1.7e9 + (double)i * 0.01;
    d->score = (float)(i % 100) / 100.0f;
    d->box[0] = (float)(i % 600);
    d->box[1] = 20;
    d->box[2] = d->box[0] + 40;
    d->box[3] = 140;
    d->track_id = i / 25;
    d->event_id = i / 100;
    if (i % 2)
        snprintf(d->zones[d->n_zones++], sizeof d->zones[0], "door");
}

static vd_store *open_or_die(const char *path, int batch_rows)
{
    vd_store *s = NULL;
    vd_error e = {0};
    vd_store_opts o = {.path = path, .batch_rows = batch_rows};
    if (vd_store_open(&s, &o, &e)) {
        fprintf(stderr, "bench_store: %s\n", e.msg);
        exit(1);
    }
    return s;
}

/* The producer is held back while the queue is more than half full, so
 * nothing is dropped and the rate is what the writer sustains. */
static int run_vd(int64_t n, const char *path, int batch_rows)
{
    vd_store *s = open_or_die(path, batch_rows);
    vd_error e = {0};
    vd_store_detection d;
    vd_store_stats st;
    double t0 = now();
    for (int64_t i = 0; i < n; i++) {
        while (i % 1000 == 0 && (vd_store_stats_get(s, &st), st.queued > 50000))
            usleep(1000);
        row(i, &d);
        if (vd_store_put_detection(s, &d, &e)) {
            fprintf(stderr, "bench_store: %s\n", e.msg);
            return 1;
        }
    }
    if (vd_store_flush(s, &e)) {
        fprintf(stderr, "bench_store: %s\n", e.msg);
        return 1;
    }
    double dt = now() - t0;
    vd_store_stats_get(s, &st);
    if (st.dropped || st.committed != n) {
        fprintf(stderr, "bench_store: %" PRId64 " rows dropped, %" PRId64 " committed\n",
                st.dropped, st.committed);
        return 1;
    }
    printf("vd_store\t%.0f\t%.3f\t%" PRId64 "\t%.2f\t%.2f\n", (double)n / dt, dt, st.dropped,
           st.commit_ms_p50, st.commit_ms_p99);
    vd_store_close(&s);
    return 0;
}

/* txn > 0: SQL INSERTs, txn rows per transaction; txn == 0: CSV rows. */
static int run_sql(int64_t n, const char *path, const char *out, int64_t txn)
{
    vd_store *s = open_or_die(path, 0);
    vd_store_close(&s);
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 1;
    }
    vd_store_detection d;
    const char *q = txn ? "'" : "\"";
    for (int64_t i = 0; i < n; i++) {
        if (txn && i % txn == 0)
            fprintf(f, "%sBEGIN;\n", i ? "COMMIT;\n" : "");
        row(i, &d);
        /* %.17g: the same doubles as the store binds; zones as it stores them */
        fprintf(f, "%s%" PRId64 ",%s%s%s,%.17g,%.17g,%s%s%s,%.17g,%.9g,%.9g,%.9g,%.9g,%" PRId64
                   ",%" PRId64 ",%s%s%s%s\n",
                txn ? "INSERT INTO detections VALUES(" : "", d.id, q, d.stream, q, d.pts, d.ts, q,
                d.label, q, (double)d.score, (double)d.box[0], (double)d.box[1],
                (double)d.box[2], (double)d.box[3], d.track_id, d.event_id, q,
                d.n_zones ? ",door," : "", q, txn ? ");" : "");
    }
    if (txn)
        fprintf(f, "COMMIT;\n");
    return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "vd"))
        return run_vd(atoll(argv[2]), argv[3], argc == 5 ? atoi(argv[4]) : 0);
    if (argc == 6 && !strcmp(argv[1], "sql") && atoll(argv[5]) > 0)
        return run_sql(atoll(argv[2]), argv[3], argv[4], atoll(argv[5]));
    if (argc == 5 && !strcmp(argv[1], "csv"))
        return run_sql(atoll(argv[2]), argv[3], argv[4], 0);
    fprintf(stderr, "usage: bench_store vd N DB | bench_store sql N DB OUT.sql ROWS_PER_TXN | "
                    "bench_store csv N DB OUT.csv\n");
    return 2;
}
