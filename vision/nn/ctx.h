/* ctx.h -- the runtime's side of vd_nn_ctx (kernels only see graph.h). */
#ifndef VD_NN_CTX_H
#define VD_NN_CTX_H

#include "graph.h"

typedef struct vd_nn_pool vd_nn_pool;

struct vd_nn_ctx {
    int threads;
    void *workspace;     /* per-node scratch, sized by op->workspace */
    size_t workspace_size;
    vd_error *err;
    void *pool;          /* the session's vd_nn_pool; NULL runs serially */
    /* Storage for DYNAMIC outputs. NULL: a plain owned vd_tensor_alloc
     * (load-time folding); sessions reuse per-value heap buffers. */
    int (*alloc)(vd_nn_ctx *ctx, vd_tensor *out, vd_dtype dt, int ndim,
                 const int64_t *shape);
    void *owner;         /* the session, for alloc */
};

/* Worker pool (ctx.c): threads - 1 workers, the caller being the last.
 * NULL when threads <= 1. */
int vd_nn_pool_create(vd_nn_pool **out, int threads, vd_error *err);
void vd_nn_pool_free(vd_nn_pool **p);

#endif
