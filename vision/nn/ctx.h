/* ctx.h -- the runtime's side of vd_nn_ctx (kernels only see graph.h). */
#ifndef VD_NN_CTX_H
#define VD_NN_CTX_H

#include "graph.h"

struct vd_nn_ctx {
    int threads;
    void *workspace;     /* per-node scratch, sized by op->workspace */
    size_t workspace_size;
    vd_error *err;
    void *pool;          /* the session's worker pool (runtime-owned) */
};

#endif
