/* worker.c -- one inference worker per model: frames of every stream that
 * uses the model are batched together, up to max_batch or max_wait_ms.
 *
 * Threads and queues:
 *   - READER threads (and on-demand jobs) call rt_model_claim() for a slot
 *     of the FILLING batch, run vd_analysis_pre() straight into it (no
 *     copy), then rt_model_submit() -- or rt_model_release() when the
 *     motion gate skipped the frame.
 *   - The WORKER thread (8 MiB stack: nn kernels use ~43 KiB) waits until
 *     the filling batch has a submitted slot and nothing half-written,
 *     and either max_batch slots or max_wait_ms since its first submit;
 *     it then swaps the two batches (readers go on filling the other one
 *     while it runs), runs vd_nn_session_run() over the first n slots and
 *     calls each item's done() with vd_analysis_post()'s result, in slot
 *     order. done() hands results to the loop (rt_post).
 *   - `mu` guards both batches' counters, the swap and the stats.
 * A slot holds a stream's only frame in flight, so the memory is two
 * input tensors per model, whatever the number of streams. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt.h"

static const double hist_le[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
#define N_HIST ((int)(sizeof hist_le / sizeof hist_le[0]))

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int rt_model_equal(const rt_model *m, const vd_model_config *c)
{
    return !strcmp(m->name, c->name) && !strcmp(m->card, c->card) && m->threads == c->threads &&
           m->max_batch_config == c->max_batch && m->max_wait_ms == c->max_wait_ms;
}

static int alloc_batches(rt_model *m, vd_error *err)
{
    int rc = vd_analyzer_session_create(m->az, m->threads, m->max_batch, &m->sess,
                                        &m->batch[0].input, err);
    if (rc)
        return rc;
    /* A model with a fixed batch dimension (BlazeFace's ONNX: 1) gets an
     * input of that batch: such a model runs its frames one batch at a time. */
    if (m->batch[0].input.ndim > 0 && m->batch[0].input.shape[0] < m->max_batch)
        m->max_batch = (int)m->batch[0].input.shape[0];
    m->sess_batch = m->max_batch;
    m->n_outputs = vd_nn_model_output_count(vd_analyzer_model(m->az));
    const vd_tensor *a = &m->batch[0].input;
    if ((rc = vd_tensor_alloc(&m->batch[1].input, a->dtype, a->ndim, a->shape, err)))
        return rc;
    for (int b = 0; b < 2; b++)
        if (!(m->batch[b].items = calloc((size_t)m->max_batch, sizeof(rt_item))))
            return vd_error_set(err, VD_ENOMEM, "out of memory");
    return VD_OK;
}

static void *worker_main(void *arg);

/* Load the model and start its worker. A model that fails to load is
 * still returned (az NULL, error set): its stats and streams show why. */
int rt_model_create(rt_model **out, const vd_model_config *c, vd_error *err)
{
    rt_model *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(c->name)) || !(m->card = dup_or_null(c->card))) {
        free(m);
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    m->threads = c->threads > 0 ? c->threads : 1;
    m->max_batch_config = c->max_batch;
    m->max_batch = c->max_batch > 0 ? c->max_batch : 8;
    m->max_wait_ms = c->max_wait_ms >= 0 ? c->max_wait_ms : 20;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv_work, NULL);
    pthread_cond_init(&m->cv_space, NULL);
    *out = m;
    vd_error e;
    vd_analyzer_opts ao = {.model = m->card};
    int rc = vd_analyzer_create(&m->az, &ao, &e);
    if (!rc)
        rc = alloc_batches(m, &e);
    if (!rc) {
        vd_analyzer_input_size(m->az, &m->in_w, &m->in_h);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, RT_WORKER_STACK);
        rc = pthread_create(&m->thread, &attr, worker_main, m) ? VD_ENOMEM : 0;
        pthread_attr_destroy(&attr);
        m->started = !rc;
        if (rc)
            vd_error_set(&e, rc, "cannot start a thread");
    }
    if (rc) {
        snprintf(m->error, sizeof m->error, "%s", e.msg);
        vd_analyzer_free(&m->az);
        if (err)
            *err = e;
        vd_error_prefix(err, "model %s: ", m->name);
    }
    return VD_OK;
}

void rt_model_free(rt_model **pm)
{
    rt_model *m = *pm;
    if (!m)
        return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        m->stop = 1;
        pthread_cond_broadcast(&m->cv_work);
        pthread_cond_broadcast(&m->cv_space);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    for (int b = 0; b < 2; b++) {
        vd_tensor_free(&m->batch[b].input);
        free(m->batch[b].items);
    }
    vd_nn_session_free(&m->sess);
    vd_analyzer_free(&m->az);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv_work);
    pthread_cond_destroy(&m->cv_space);
    free(m->name);
    free(m->card);
    free(m);
    *pm = NULL;
}

/* ---- the readers' side ---- */

int rt_model_claim(rt_model *m, const atomic_int *cancel, vd_tensor **input, int *slot)
{
    pthread_mutex_lock(&m->mu);
    rt_batch *b = &m->batch[m->fill];
    while (b->claimed == m->max_batch && !m->stop && !atomic_load(cancel)) {
        pthread_cond_wait(&m->cv_space, &m->mu);
        b = &m->batch[m->fill];
    }
    int rc = VD_ECLOSED;
    if (!m->stop && !atomic_load(cancel)) {
        *slot = b->claimed++;
        *input = &b->input;
        rc = VD_OK;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

void rt_model_submit(rt_model *m, int slot, const rt_item *it)
{
    pthread_mutex_lock(&m->mu);
    rt_batch *b = &m->batch[m->fill];
    b->items[slot] = *it;
    b->items[slot].slot = slot;
    if (!b->ready++)
        b->first_ready = rt_mono();
    pthread_cond_signal(&m->cv_work);
    pthread_mutex_unlock(&m->mu);
}

/* A claimed slot that stays empty: it still counts as ready (with no
 * owner), so the batch's slots stay contiguous and the worker skips it. */
void rt_model_release(rt_model *m, int slot)
{
    rt_item none = {0};
    rt_model_submit(m, slot, &none);
}

/* ---- the worker ---- */

static int batch_due(const rt_model *m, const rt_batch *b, double now)
{
    if (!b->ready || b->ready != b->claimed)
        return 0;
    return b->ready == m->max_batch || m->stop || now - b->first_ready >= m->max_wait_ms / 1e3;
}


static void record_run(rt_model *m, int n, double ms)
{
    m->runs++;
    m->frames += n;
    m->ms_ring[m->ms_n++ % 1024] = ms;
    m->ms_sum += ms;
    for (int i = 0; i < N_HIST; i++)
        if (ms <= hist_le[i])
            m->hist[i]++;
}

/* Session at batch n, run over the first n slots, post() each slot. */
static void run_batch(rt_model *m, rt_batch *b)
{
    int n = b->ready, used = 0, rc = 0;
    for (int i = 0; i < n; i++)
        used += b->items[i].done != NULL;
    vd_error e;
    vd_error_clear(&e);
    vd_tensor out[16] = {0}, in = b->input;
    int n_out = m->n_outputs < 16 ? m->n_outputs : 16;
    double t0 = rt_mono();
    if (used) {
        in.shape[0] = n;
        if (n != m->sess_batch && !(rc = vd_nn_session_set_batch(m->sess, n, &e)))
            m->sess_batch = n;
        if (!rc)
            rc = vd_nn_session_run(m->sess, &in, 1, out, n_out, &e);
        if (rc)
            vd_error_prefix(&e, "model %s: ", m->name);
    }
    double ms = (rt_mono() - t0) * 1e3;
    for (int i = 0; i < n; i++) {
        rt_item *it = &b->items[i];
        if (!it->done)
            continue;
        vd_analysis_result res = {0};
        vd_error pe = e;
        int prc = rc ? rc : vd_analysis_post(it->an, &it->frame, out, n_out, i, &res, &pe);
        it->done(it->owner, it->an, &it->frame, prc ? NULL : &res, prc, &pe);
        vd_analysis_result_free(&res);
    }
    for (int i = 0; i < n_out; i++)
        vd_tensor_free(&out[i]);
    if (used) {
        pthread_mutex_lock(&m->mu);
        record_run(m, used, ms);
        pthread_mutex_unlock(&m->mu);
    }
}

static void *worker_main(void *arg)
{
    rt_model *m = arg;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        rt_batch *b = &m->batch[m->fill];
        double now = rt_mono();
        if (batch_due(m, b, now)) {
            m->fill ^= 1; /* readers fill the other batch meanwhile */
            pthread_cond_broadcast(&m->cv_space);
            pthread_mutex_unlock(&m->mu);
            run_batch(m, b);
            pthread_mutex_lock(&m->mu);
            b->claimed = b->ready = 0;
            pthread_cond_broadcast(&m->cv_space);
            continue;
        }
        if (m->stop && !b->claimed)
            break;
        if (b->ready && b->ready == b->claimed)
            rt_cond_wait_until(&m->cv_work, &m->mu, b->first_ready + m->max_wait_ms / 1e3);
        else
            pthread_cond_wait(&m->cv_work, &m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void rt_model_stats(rt_model *m, vd_model_stats *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", m->name);
    snprintf(o->card, sizeof o->card, "%s", m->card ? m->card : "");
    snprintf(o->error, sizeof o->error, "%s", m->error);
    o->loaded = m->az != NULL;
    o->input_w = m->in_w;
    o->input_h = m->in_h;
    double ring[1024];
    pthread_mutex_lock(&m->mu);
    o->runs = m->runs;
    o->frames = m->frames;
    o->images_damaged = m->images_damaged;
    o->infer_ms_sum = m->ms_sum;
    o->queue_depth = m->batch[0].claimed + m->batch[1].claimed;
    o->n_buckets = N_HIST;
    for (int i = 0; i < N_HIST; i++) {
        o->bucket_le[i] = hist_le[i];
        o->bucket_count[i] = m->hist[i];
    }
    int n = m->ms_n < 1024 ? m->ms_n : 1024;
    memcpy(ring, m->ms_ring, (size_t)n * sizeof *ring);
    pthread_mutex_unlock(&m->mu);
    o->batch_fill = o->runs ? (double)o->frames / (double)o->runs / m->max_batch : 0;
    if (n) {
        qsort(ring, (size_t)n, sizeof *ring, cmp_double);
        o->infer_ms_p50 = ring[(n - 1) / 2];
        o->infer_ms_p99 = ring[(int)((n - 1) * 0.99)];
    }
}
