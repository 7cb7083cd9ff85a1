/* image.c -- detection on demand (POST /api/v1/detect, DeepStack's
 * /v1/vision/detection): an uploaded JPEG/PNG through the same model
 * worker, and the same batches, as the streams' frames.
 *
 * Threads: the LOOP checks the header (format, pixel limit: answered at
 * once, without decoding); a libuv THREADPOOL thread decodes, runs
 * vd_analysis_pre() into a slot of the model's batch and submits it; the
 * model's WORKER post()s it and posts the result to the loop queue; the
 * loop calls the callback, and frees the job once libuv has also handed
 * back its uv_work_t (job_after): the two arrive in either order. The job
 * owns a copy of the upload and a one-shot vd_analysis (threshold =
 * min_score, no motion, no tracking). */
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "vision/image/image.h"

struct rt_image_job {
    vd_runtime *rt;
    rt_model *model;
    void *data;
    size_t n;
    float min_score;
    void (*cb)(const vd_image_result *r, void *ud);
    void *ud;
    vd_tensor img;
    vd_analysis *an;
    vd_analysis_frame frame;
    uv_work_t req;
    double t0;
    vd_image_result res;
    int req_done, answered; /* loop: freed once both are set (job_release) */
};

static rt_result *job_result(rt_image_job *job, int status, const char *msg)
{
    rt_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->job = job;
    r->status = status;
    snprintf(r->error, sizeof r->error, "%s", msg ? msg : "");
    return r;
}

/* Worker thread: the slot's detections into the job. */
static void job_done(void *owner, vd_analysis *an, const vd_analysis_frame *f,
                     vd_analysis_result *res, int status, const vd_error *err)
{
    (void)an;
    (void)f;
    rt_image_job *job = owner;
    if (!status && res && res->dets.count &&
        (job->res.dets = calloc((size_t)res->dets.count, sizeof *job->res.dets))) {
        for (int i = 0; i < res->dets.count; i++) {
            const vd_detection *d = &res->dets.items[i];
            vd_image_detection *o = &job->res.dets[job->res.n++];
            snprintf(o->label, sizeof o->label, "%s", d->name);
            o->score = d->score;
            memcpy(o->box, d->box, sizeof o->box);
        }
    }
    job->res.inference_ms = (rt_mono() - job->t0) * 1e3;
    rt_result *r = job_result(job, status, status && err ? err->msg : NULL);
    if (r)
        rt_post(job->rt, r);
}

/* Threadpool: decode, pre() into a slot, submit. */
static void job_work(uv_work_t *req)
{
    rt_image_job *job = req->data;
    vd_error e;
    vd_error_clear(&e);
    job->t0 = rt_mono();
    vd_analysis_opts o;
    vd_analysis_opts_init(&o);
    o.threshold = job->min_score;
    vd_img_info info;
    int rc = vd_img_decode_ex(job->data, job->n, "image", NULL, &job->img, &info, &e);
    job->res.damaged = !rc && info.damaged;
    if (!rc)
        rc = vd_analysis_create(&job->an, job->model->az, &o, &e);
    vd_tensor *input;
    int slot = 0;
    atomic_int never = 0;
    if (!rc)
        rc = rt_model_claim(job->model, &never, &input, &slot);
    if (!rc) {
        job->res.height = (int)job->img.shape[0];
        job->res.width = (int)job->img.shape[1];
        vd_analysis_frame *f = &job->frame;
        f->rgb = job->img.data;
        f->width = job->res.width;
        f->height = job->res.height;
        f->linesize = job->res.width * 3;
        rc = vd_analysis_pre(job->an, f, input, slot, &e);
        if (rc == 1) {
            rt_item it = {.owner = job, .an = job->an, .frame = *f, .done = job_done};
            rt_model_submit(job->model, slot, &it);
            return;
        }
        rt_model_release(job->model, slot);
        if (!rc)
            rc = vd_error_set(&e, VD_EINVAL, "the model took no input");
    }
    rt_result *r = job_result(job, rc, e.msg);
    if (r)
        rt_post(job->rt, r);
}

static void job_release(rt_image_job *job);

/* Loop: libuv is done with job->req. The answer may have been handled
 * before this runs (the worker posts it while the threadpool thread is
 * still handing req back), so the job is freed by whichever comes last. */
static void job_after(uv_work_t *req, int status)
{
    (void)status;
    rt_image_job *job = req->data;
    job->req_done = 1;
    job_release(job);
}

static void job_free(rt_image_job *job)
{
    free(job->data);
    free(job->res.dets);
    vd_tensor_free(&job->img);
    vd_analysis_free(&job->an);
    vd_analysis_frame_free(&job->frame);
    free(job);
}

/* Loop: the answer. */
void rt_image_finish(vd_runtime *rt, rt_result *r)
{
    (void)rt; /* job->rt: job_release needs it without a result too */
    rt_image_job *job = r->job;
    job->res.status = r->status;
    snprintf(job->res.error, sizeof job->res.error, "%s", r->error);
    job->model->images_damaged += !r->status && job->res.damaged;
    job->cb(&job->res, job->ud);
    job->answered = 1;
    job_release(job);
}

static void job_release(rt_image_job *job)
{
    if (!job->req_done || !job->answered)
        return;
    vd_runtime *rt = job->rt;
    rt_model_unuse(job->model);
    job_free(job);
    rt->jobs--;
}

static rt_model *pick_model(vd_runtime *rt, const char *name)
{
    if (name)
        return rt_find_model(rt, name);
    rt_model *m = rt_find_model(rt, rt->cfg.deepstack_model);
    return m ? m : rt->n_models ? rt->models[0] : NULL;
}

int vd_runtime_detect_image(vd_runtime *rt, const char *model, const void *data, size_t n,
                            float min_score, void (*cb)(const vd_image_result *r, void *ud),
                            void *ud, vd_error *err)
{
    rt_model *m = pick_model(rt, model);
    if (!m)
        return vd_error_set(err, VD_ENOTFOUND, "no model '%s'", model ? model : "(default)");
    if (!m->az)
        return vd_error_set(err, VD_ENOTFOUND, "model %s did not load: %s", m->name, m->error);
    vd_img_info info;
    vd_error pe;
    if (vd_img_probe(data, n, "image", &info, &pe))
        return vd_error_set(err, VD_EFORMAT, "invalid image file: %s", pe.msg);
    if ((int64_t)info.width * info.height > VD_IMG_DEFAULT_MAX_PIXELS)
        return vd_error_set(err, VD_ELIMIT, "image: %dx%d is over the %lld-pixel limit",
                            info.width, info.height, (long long)VD_IMG_DEFAULT_MAX_PIXELS);
    rt_image_job *job = calloc(1, sizeof *job);
    if (!job || !(job->data = malloc(n ? n : 1))) {
        free(job);
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    memcpy(job->data, data, n);
    job->rt = rt;
    job->model = m;
    job->n = n;
    job->min_score = min_score;
    job->cb = cb;
    job->ud = ud;
    job->req.data = job;
    m->users++; /* a reload may retire it meanwhile */
    rt->jobs++;
    uv_queue_work(rt->loop, &job->req, job_work, job_after);
    return VD_OK;
}
