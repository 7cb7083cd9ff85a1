/* stats.c -- GET /api/v1/stats (JSON) and GET /metrics (Prometheus text):
 * the same figures in two formats, per stream, per model, for the store
 * and for the HTTP server itself.
 *
 * Design: both are built from one snapshot of the runtime's counters on
 * the loop thread, so they never lock and never disagree. Latencies are
 * Prometheus histograms in seconds (the runtime keeps inference buckets in
 * ms; they are converted here). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "api.h"

static json_t *http_json(const vd_server *s)
{
    int64_t requests = 0;
    for (int i = 0; i <= vd_api_n_routes; i++)
        requests += s->route_stats[i].count;
    return json_pack("{s:I,s:i,s:I,s:I,s:I,s:I}", "requests", (json_int_t)requests, "sse_clients",
                     s->n_live, "sse_dropped", (json_int_t)s->live_dropped, "sse_messages",
                     (json_int_t)s->live_sent, "cache_hits", (json_int_t)s->cache_hits,
                     "auth_refused", (json_int_t)s->auth_refused);
}

static json_t *store_json(vd_runtime *rt)
{
    vd_store_stats st;
    vd_store_stats_get(vd_runtime_store(rt), &st);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s?,s:I,s:f,s:f}", "detections",
                     (json_int_t)st.detections, "events", (json_int_t)st.events, "inserted",
                     (json_int_t)st.inserted, "committed", (json_int_t)st.committed, "queued",
                     (json_int_t)st.queued, "dropped", (json_int_t)st.dropped, "write_errors",
                     (json_int_t)st.write_errors, "last_error",
                     st.last_error[0] ? st.last_error : NULL, "file_bytes",
                     (json_int_t)st.file_bytes, "commit_ms_p50", st.commit_ms_p50,
                     "commit_ms_p99", st.commit_ms_p99);
}

enum MHD_Result vd_api_stats_get(vd_req *r)
{
    json_t *streams = json_array(), *models = json_array();
    int n = vd_runtime_stream_count(r->rt);
    for (int i = 0; i < n; i++) {
        vd_stream_status info;
        if (vd_runtime_stream_at(r->rt, i, &info) == 0)
            json_array_append_new(streams, vd_json_stream(&info));
    }
    n = vd_runtime_model_count(r->rt);
    for (int i = 0; i < n; i++) {
        vd_model_stats m;
        vd_runtime_model_stats(r->rt, i, &m);
        json_array_append_new(models, vd_api_model_json(&m));
    }
    json_t *body = json_pack("{s:f,s:o,s:o,s:o,s:o}", "uptime_s", vd_api_uptime(r->srv),
                             "streams", streams, "models", models, "store", store_json(r->rt),
                             "http", http_json(r->srv));
    return vd_api_reply_json(r, 200, body);
}

/* ---- Prometheus text ----------------------------------------------------- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void stream_metrics(FILE *f, vd_runtime *rt)
{
    static const struct { const char *name, *type, *help; } fam[] = {
        {"visiond_stream_frames_in_total", "counter", "Frames sampled from the source."},
        {"visiond_stream_frames_analysed_total", "counter", "Frames analysed."},
        {"visiond_stream_frames_dropped_total", "counter", "Frames dropped by back-pressure."},
        {"visiond_stream_reconnects_total", "counter", "Reconnects of the source."},
        {"visiond_stream_fps_in", "gauge", "Frames in per second (last ~10 s)."},
        {"visiond_stream_fps_analysed", "gauge", "Frames analysed per second."},
        {"visiond_stream_up", "gauge", "1 while the stream is running."},
    };
    int n = vd_runtime_stream_count(rt);
    for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
        family(f, fam[k].name, fam[k].type, fam[k].help);
        for (int i = 0; i < n; i++) {
            vd_stream_status s;
            if (vd_runtime_stream_at(rt, i, &s))
                continue;
            double v[] = {(double)s.frames_in, (double)s.frames_analysed,
                          (double)s.frames_dropped, (double)s.reconnects, s.fps_in,
                          s.fps_analysed, s.state == VD_STREAM_RUNNING};
            fprintf(f, "%s{stream=\"%s\"} %.17g\n", fam[k].name, s.id, v[k]);
        }
    }
}

/* One histogram series: le in seconds, cumulative counts. */
static void histogram(FILE *f, const char *name, const char *labels, int nb, const double *le,
                      const int64_t *count, int64_t total, double sum_s)
{
    for (int b = 0; b < nb; b++)
        fprintf(f, "%s_bucket{%s,le=\"%g\"} %lld\n", name, labels, le[b], (long long)count[b]);
    fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %lld\n%s_sum{%s} %.9g\n%s_count{%s} %lld\n", name,
            labels, (long long)total, name, labels, sum_s, name, labels, (long long)total);
}

static void model_metrics(FILE *f, vd_runtime *rt)
{
    int n = vd_runtime_model_count(rt);
    family(f, "visiond_inference_seconds", "histogram", "Inference time of one batch.");
    for (int i = 0; i < n; i++) {
        vd_model_stats m;
        vd_runtime_model_stats(rt, i, &m);
        double le[16];
        for (int b = 0; b < m.n_buckets && b < 16; b++)
            le[b] = m.bucket_le[b] / 1000.0;
        char labels[128];
        snprintf(labels, sizeof labels, "model=\"%s\"", m.name);
        histogram(f, "visiond_inference_seconds", labels, m.n_buckets < 16 ? m.n_buckets : 16,
                  le, m.bucket_count, m.runs, m.infer_ms_sum / 1000.0);
    }
    family(f, "visiond_model_frames_total", "counter", "Frames through the model.");
    family(f, "visiond_model_batch_fill", "gauge", "Mean frames per batch / max_batch.");
    family(f, "visiond_model_queue_depth", "gauge", "Frames waiting for the model.");
    for (int i = 0; i < n; i++) {
        vd_model_stats m;
        vd_runtime_model_stats(rt, i, &m);
        fprintf(f, "visiond_model_frames_total{model=\"%s\"} %lld\n", m.name,
                (long long)m.frames);
        fprintf(f, "visiond_model_batch_fill{model=\"%s\"} %g\n", m.name, m.batch_fill);
        fprintf(f, "visiond_model_queue_depth{model=\"%s\"} %d\n", m.name, m.queue_depth);
    }
}

static void server_metrics(FILE *f, const vd_server *s, vd_runtime *rt)
{
    family(f, "visiond_http_request_duration_seconds", "histogram",
           "Time from the request's headers to its completion, per route.");
    for (int i = 0; i <= vd_api_n_routes; i++) {
        const vd_api_route_stats *st = &s->route_stats[i];
        if (!st->count)
            continue;
        char labels[160];
        snprintf(labels, sizeof labels, "method=\"%s\",route=\"%s\"",
                 i < vd_api_n_routes ? vd_api_routes[i].method : "",
                 i < vd_api_n_routes ? vd_api_routes[i].pattern : "unrouted");
        histogram(f, "visiond_http_request_duration_seconds", labels, VD_API_LAT_BUCKETS,
                  vd_api_lat_le, st->bucket, st->count, st->sum_s);
    }
    vd_store_stats st;
    vd_store_stats_get(vd_runtime_store(rt), &st);
    family(f, "visiond_store_rows", "gauge", "Rows in the store.");
    fprintf(f, "visiond_store_rows{table=\"detections\"} %lld\n", (long long)st.detections);
    fprintf(f, "visiond_store_rows{table=\"events\"} %lld\n", (long long)st.events);
    family(f, "visiond_store_write_errors_total", "counter", "Failed commits.");
    fprintf(f, "visiond_store_write_errors_total %lld\n", (long long)st.write_errors);
    family(f, "visiond_sse_clients", "gauge", "Connected live (SSE) clients.");
    fprintf(f, "visiond_sse_clients %d\n", s->n_live);
    family(f, "visiond_sse_dropped_total", "counter", "Live clients dropped as too slow.");
    fprintf(f, "visiond_sse_dropped_total %lld\n", (long long)s->live_dropped);
    family(f, "visiond_http_cache_hits_total", "counter",
           "List answers served from the page cache (store unchanged).");
    fprintf(f, "visiond_http_cache_hits_total %lld\n", (long long)s->cache_hits);
    family(f, "visiond_uptime_seconds", "gauge", "Seconds since the server started.");
    fprintf(f, "visiond_uptime_seconds %.3f\n", vd_api_uptime(s));
}

enum MHD_Result vd_api_metrics(vd_req *r)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (!f)
        return vd_api_error(r, 500, "out of memory");
    stream_metrics(f, r->rt);
    model_metrics(f, r->rt);
    server_metrics(f, r->srv, r->rt);
    fclose(f);
    return vd_api_reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, n);
}
