/* detect.c -- POST /api/v1/detect?model=NAME: one uploaded JPEG/PNG through
 * a model, and the asynchronous job both it and the DeepStack routes use.
 *
 * Design: the loop must never wait for inference. The handler hands the
 * image to the model's worker (vd_runtime_detect_image), suspends the
 * connection and returns; the worker's result comes back on the loop
 * thread, is formatted into the answer, and the connection is resumed to
 * send it. A job outlives its request when the client or the server goes
 * away first: the request detaches it, and the callback frees it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

struct vd_job {
    vd_req *r;                 /* NULL once detached */
    vd_job_format format;
};

static void unlink_job(vd_req *r)
{
    for (vd_req **p = &r->srv->jobs; *p; p = &(*p)->job_next)
        if (*p == r) {
            *p = r->job_next;
            break;
        }
    r->job_next = NULL;
}

void vd_api_job_detach(vd_req *r)
{
    if (!r->job)
        return;
    r->job->r = NULL;
    r->job = NULL;
    unlink_job(r);
}

static void on_result(const vd_image_result *res, void *ud)
{
    struct vd_job *job = ud;
    vd_req *r = job->r;
    if (!r) { /* the request is gone */
        free(job);
        return;
    }
    r->late_json = job->format(r, res, &r->late_status);
    if (!r->late_json) {
        r->late_status = 500;
        r->late_json = vd_api_error_body(500, "out of memory formatting the detections");
    }
    vd_api_job_detach(r);
    free(job);
    if (!r->in_handler) { /* else the handler has not suspended yet and answers itself */
        MHD_resume_connection(r->conn);
        vd_api_kick(r->srv);
    }
}

enum MHD_Result vd_api_detect_start(vd_req *r, const char *model, float min_score,
                                    const void *data, size_t n, vd_job_format format)
{
    struct vd_job *job = calloc(1, sizeof *job);
    if (!job)
        return vd_api_error(r, 500, "out of memory");
    job->r = r;
    job->format = format;
    r->job = job;
    r->job_next = r->srv->jobs;
    r->srv->jobs = r;
    vd_error err = {0};
    int rc = vd_runtime_detect_image(r->rt, model, data, n, min_score, on_result, job, &err);
    if (rc) {
        vd_api_job_detach(r);
        free(job);
        /* DeepStack's own words for an image it cannot read */
        if (rc == VD_EFORMAT && (r->route->flags & VD_ROUTE_DEEPSTACK))
            return vd_api_error(r, 400, "invalid image file");
        return vd_api_error(r, vd_api_status_of(rc), "%s", err.msg);
    }
    if (r->late_json) { /* answered synchronously */
        json_t *j = r->late_json;
        r->late_json = NULL;
        return vd_api_reply_json(r, r->late_status, j);
    }
    MHD_suspend_connection(r->conn);
    return MHD_YES;
}

json_t *vd_api_mark_damaged(json_t *o, const vd_image_result *res)
{
    if (o && res->damaged)
        json_object_set_new(o, "damaged", json_true());
    return o;
}

/* As the REST objects (runtime/json.c): scores to 1e-4, boxes to 0.1 px. */
static double r4(float x)
{
    return round((double)x * 10000) / 10000;
}

static double r1(float x)
{
    return round((double)x * 10) / 10;
}

static json_t *format_native(vd_req *r, const vd_image_result *res, unsigned *status)
{
    if (res->status) {
        *status = vd_api_status_of(res->status);
        return vd_api_error_body(*status, res->error);
    }
    json_t *dets = json_array();
    for (int i = 0; i < res->n; i++) {
        const vd_image_detection *d = &res->dets[i];
        json_array_append_new(
            dets, json_pack("{s:s,s:f,s:[f,f,f,f]}", "label", d->label, "score", r4(d->score),
                            "box", r1(d->box[0]), r1(d->box[1]), r1(d->box[2]), r1(d->box[3])));
    }
    *status = 200;
    const char *model = vd_api_arg(r, "model");
    if (!model)
        model = vd_api_default_model(r->rt);
    json_t *o = json_pack("{s:s?,s:i,s:i,s:f,s:o}", "model", model, "width", res->width,
                          "height", res->height, "inference_ms", res->inference_ms,
                          "detections", dets);
    return vd_api_mark_damaged(o, res);
}

enum MHD_Result vd_api_detect(vd_req *r)
{
    vd_error err = {0};
    double min_score = 0.25;
    if (vd_api_arg_double(r, "min_score", 0, 1, &min_score, &err))
        return vd_api_error(r, 400, "%s", err.msg);
    if (!r->body_len)
        return vd_api_error(r, 400, "body: empty; send the image bytes (image/jpeg or image/png)");
    return vd_api_detect_start(r, vd_api_arg(r, "model"), (float)min_score, r->body,
                               r->body_len, format_native);
}
