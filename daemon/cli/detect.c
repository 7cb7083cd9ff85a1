/* detect.c -- `visiond detect`: run a detector (and/or the motion
 * detector, and the tracker) over a video or a still image and print JSON
 * Lines. This file glues the library calls once the flags are parsed
 * (detect_args.c):
 *   vd_source_next -> vd_analysis_pre -> vd_nn_session_run ->
 *   vd_analysis_post -> detect_out.c (JSON, annotation)
 * Everything about the model (card, layout, kind, outputs, labels) and the
 * frame (motion, crop, decode, zones, tracking) is pipeline/analysis's, the
 * very calls the daemon makes, so the CLI and the daemon cannot drift. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "detect_args.h"
#include "detect_out.h"
#include "pipeline/analysis.h"
#include "pipeline/source.h"

typedef struct run {
    vd_analyzer *az;
    vd_analysis *an;
    vd_nn_session *sess;
    vd_tensor input;
    vd_tensor *outputs;
    int n_outputs;
    vd_source *src;
    vd_analysis_frame frame;
    vd_analysis_result res;
    vd_detect_counts counts;
} run;

/* ---- run ---- */

static int fail(const vd_error *e)
{
    fprintf(stderr, "visiond detect: %s\n", e->msg);
    return VD_EXIT_INPUT;
}

static int open_source(run *r, const vd_detect_args *a, vd_error *e)
{
    if (a->cs.pixfmt_set && a->cs.conv.fmt != VD_PIX_RGB24)
        return vd_error_set(e, VD_EINVAL, "--pix-fmt: detect analyses rgb24 frames only");
    vd_source_opts o;
    vd_source_opts_init(&o);
    o.reader.threads = 0; /* decoder threads: one per core */
    vd_cli_source_apply(&a->src, &o.reader);
    o.select = a->cs.sel;
    o.indices = a->cs.indices;
    o.n_indices = a->cs.nindices;
    o.width = a->cs.conv.width;
    o.height = a->cs.conv.height;
    return vd_source_open(&r->src, a->input, &o, e);
}

static int open_all(run *r, vd_detect_args *a, vd_error *e)
{
    int rc;
    if ((rc = vd_cli_select_check(&a->cs, e)))
        return rc;
    if (a->az.model) {
        if ((rc = vd_analyzer_create(&r->az, &a->az, e)) ||
            (rc = vd_analyzer_session_create(r->az, a->threads, 1, &r->sess, &r->input, e)))
            return rc;
        r->n_outputs = vd_nn_model_output_count(vd_analyzer_model(r->az));
        if (!(r->outputs = calloc((size_t)r->n_outputs, sizeof *r->outputs)))
            return vd_error_set(e, VD_ENOMEM, "out of memory");
    }
    if ((rc = vd_analysis_create(&r->an, r->az, &a->an, e)))
        return rc;
    if (a->annotate && mkdir(a->annotate, 0777) && errno != EEXIST)
        return vd_error_set(e, VD_EIO, "%s: cannot create the directory: %s", a->annotate,
                            strerror(errno));
    return open_source(r, a, e);
}

/* pre -> (model) -> post for one frame. */
static int analyse(run *r, const vd_source_frame *f, vd_error *e)
{
    r->frame.rgb = f->rgb;
    r->frame.width = f->width;
    r->frame.height = f->height;
    r->frame.linesize = f->linesize;
    r->frame.pts = f->pts;
    int infer = vd_analysis_pre(r->an, &r->frame, &r->input, 0, e);
    if (infer < 0)
        return infer;
    if (infer) {
        for (int i = 0; i < r->n_outputs; i++)
            vd_tensor_free(&r->outputs[i]); /* the session allocates them per run */
        int rc = vd_nn_session_run(r->sess, &r->input, 1, r->outputs, r->n_outputs, e);
        if (rc)
            return rc;
        r->counts.det_runs++;
    } else if (r->az) {
        r->counts.gated++;
    }
    return vd_analysis_post(r->an, &r->frame, infer ? r->outputs : NULL, r->n_outputs, 0,
                            &r->res, e);
}

static int loop(run *r, const vd_detect_args *a, vd_error *e)
{
    vd_source_frame f;
    double last_pts = 0; /* for the END events of the final flush */
    int rc;
    while ((rc = vd_source_next(r->src, &f, e)) == 0) {
        if ((rc = analyse(r, &f, e)))
            return rc;
        r->counts.frames++;
        r->counts.damaged += f.damaged;
        last_pts = f.pts;
        vd_detect_out_frame(r->an, &f, &r->res, a->motion && a->az.model);
        vd_detect_out_events(&r->res, f.pts);
        if (a->annotate && (rc = vd_detect_out_annotate(a->annotate, &f, &r->res.dets, e)))
            return rc;
    }
    if (rc != VD_EOF || (rc = vd_analysis_flush(r->an, &r->res, e)))
        return rc;
    vd_detect_out_events(&r->res, last_pts);
    return VD_OK;
}

static void close_all(run *r)
{
    vd_analysis_result_free(&r->res);
    vd_analysis_frame_free(&r->frame);
    vd_source_close(&r->src);
    vd_analysis_free(&r->an);
    for (int i = 0; i < r->n_outputs; i++)
        vd_tensor_free(&r->outputs[i]);
    free(r->outputs);
    vd_tensor_free(&r->input);
    vd_nn_session_free(&r->sess);
    vd_analyzer_free(&r->az);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

int vd_cli_detect(int argc, char **argv)
{
    vd_detect_args a;
    int status = vd_detect_args_parse(&a, argc, argv);
    if (status) {
        vd_detect_args_free(&a);
        return status < 0 ? VD_EXIT_OK : status;
    }
    run r;
    vd_error e;
    memset(&r, 0, sizeof r);
    vd_error_clear(&e);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (open_all(&r, &a, &e) || loop(&r, &a, &e))
        status = fail(&e);
    fflush(stdout);
    if (!status)
        vd_detect_out_summary(r.an, &r.counts, seconds_since(&t0));
    close_all(&r);
    vd_detect_args_free(&a);
    return status;
}
