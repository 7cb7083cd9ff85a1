/* ctx.c -- the execution context kernels see. Serial for now; the
 * runtime replaces vd_nn_parallel_for's body with its worker pool. */
#include <stdarg.h>
#include <stdlib.h>

#include "ctx.h"

void vd_nn_parallel_for(vd_nn_ctx *ctx, int64_t n, int64_t grain,
                        vd_nn_range_fn fn, void *arg)
{
    (void)ctx;
    (void)grain;
    if (n > 0)
        fn(arg, 0, n);
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
