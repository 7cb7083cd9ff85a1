/* ctx.c -- the execution context kernels see, and the session's worker
 * pool behind vd_nn_parallel_for.
 *
 * One pool per session, threads - 1 workers plus the calling thread. A
 * job is split into at most `threads` contiguous chunks. Chunks are
 * claimed with a CAS on one 64-bit word holding (job id << 32 | next
 * chunk), so a worker that wakes late can never take a chunk of a newer
 * job with an older job's function. Workers spin briefly before sleeping
 * on a condition variable: kernels are short and back to back, and a
 * futex wake-up per node would cost more than small convolutions do.
 * A parallel_for issued from inside a chunk runs serially. */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "ctx.h"

#define SPIN_ITERS 20000

struct vd_nn_pool {
    int threads;
    pthread_t *tids;
    int n_started;
    pthread_mutex_t mu;
    pthread_cond_t wake, done_cv;
    _Atomic uint32_t gen;      /* bumped per job; workers watch it */
    _Atomic uint64_t claim;    /* job id << 32 | next chunk */
    _Atomic int done;          /* chunks finished in the current job */
    atomic_int busy;           /* a job is running: nested calls go serial */
    int stop;
    /* the current job; stable while any of its chunks is unfinished */
    vd_nn_range_fn fn;
    void *arg;
    int64_t n, chunk;
    int n_chunks;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Claim and run chunks of job `job` until none is left. */
static void run_chunks(vd_nn_pool *p, uint32_t job)
{
    for (;;) {
        uint64_t c = atomic_load_explicit(&p->claim, memory_order_acquire);
        if ((uint32_t)(c >> 32) != job)
            return;
        uint32_t k = (uint32_t)c;
        if (k >= (uint32_t)p->n_chunks) /* also the closed-job sentinel */
            return;
        if (!atomic_compare_exchange_weak(&p->claim, &c, c + 1))
            continue;
        int64_t b = (int64_t)k * p->chunk, e = b + p->chunk < p->n ? b + p->chunk : p->n;
        p->fn(p->arg, b, e);
        if (atomic_fetch_add(&p->done, 1) + 1 == p->n_chunks) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void *worker(void *arg)
{
    vd_nn_pool *p = arg;
    uint32_t seen = atomic_load(&p->gen);
    for (;;) {
        uint32_t g = seen;
        for (int i = 0; i < SPIN_ITERS && g == seen; i++) {
            cpu_relax();
            g = atomic_load_explicit(&p->gen, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            while ((g = atomic_load(&p->gen)) == seen && !p->stop)
                pthread_cond_wait(&p->wake, &p->mu);
            int stop = p->stop;
            pthread_mutex_unlock(&p->mu);
            if (stop)
                return NULL;
        }
        seen = g;
        run_chunks(p, g);
    }
}

int vd_nn_pool_create(vd_nn_pool **out, int threads, vd_error *err)
{
    *out = NULL;
    if (threads <= 1)
        return VD_OK;
    vd_nn_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->tids = calloc((size_t)threads, sizeof *p->tids))) {
        free(p);
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    p->threads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    for (int i = 0; i < threads - 1; i++, p->n_started++)
        if (pthread_create(&p->tids[i], NULL, worker, p)) {
            vd_nn_pool_free(&p);
            return vd_error_set(err, VD_ENOMEM, "cannot start worker thread %d of %d", i + 1, threads - 1);
        }
    *out = p;
    return VD_OK;
}

void vd_nn_pool_free(vd_nn_pool **pp)
{
    vd_nn_pool *p = pp ? *pp : NULL;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_started; i++)
        pthread_join(p->tids[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done_cv);
    free(p->tids);
    free(p);
    *pp = NULL;
}

void vd_nn_parallel_for(vd_nn_ctx *ctx, int64_t n, int64_t grain,
                        vd_nn_range_fn fn, void *arg)
{
    if (n <= 0)
        return;
    vd_nn_pool *p = ctx ? ctx->pool : NULL;
    if (grain < 1)
        grain = 1;
    int64_t chunks = (n + grain - 1) / grain;
    if (!p || chunks < 2 || atomic_exchange(&p->busy, 1)) {
        fn(arg, 0, n);
        return;
    }
    if (chunks > p->threads)
        chunks = p->threads;
    p->fn = fn;
    p->arg = arg;
    p->n = n;
    p->chunk = (n + chunks - 1) / chunks;
    p->n_chunks = (int)((n + p->chunk - 1) / p->chunk);
    atomic_store(&p->done, 0);
    pthread_mutex_lock(&p->mu);
    uint32_t job = atomic_load(&p->gen) + 1;
    atomic_store(&p->claim, (uint64_t)job << 32);
    atomic_store_explicit(&p->gen, job, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p, job);
    for (int i = 0; i < SPIN_ITERS && atomic_load(&p->done) < p->n_chunks; i++)
        cpu_relax();
    if (atomic_load(&p->done) < p->n_chunks) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load(&p->done) < p->n_chunks)
            pthread_cond_wait(&p->done_cv, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    /* Close the job before its fields are reused: a worker still holding
     * a stale claim word fails its CAS against the sentinel. */
    atomic_store(&p->claim, (uint64_t)job << 32 | UINT32_MAX);
    atomic_store(&p->busy, 0);
}

int vd_nn_ctx_threads(const vd_nn_ctx *ctx)
{
    return ctx && ctx->threads > 0 ? ctx->threads : 1;
}

void *vd_nn_ctx_workspace(vd_nn_ctx *ctx)
{
    return ctx->workspace;
}

int vd_nn_ctx_alloc_output(vd_nn_ctx *ctx, vd_tensor *out, vd_dtype dt, int ndim,
                           const int64_t *shape)
{
    if (ctx->alloc)
        return ctx->alloc(ctx, out, dt, ndim, shape);
    vd_tensor_free(out);
    return vd_tensor_alloc(out, dt, ndim, shape, ctx->err);
}

int vd_nn_ctx_fail(vd_nn_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vd_error_setv(ctx->err, code, fmt, ap);
    va_end(ap);
    return code;
}
