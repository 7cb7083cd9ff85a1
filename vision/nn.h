/* nn.h -- visiond's ONNX inference engine: the contract.
 *
 * Two objects, split so that several threads can share one model:
 *
 *   vd_nn_model    the loaded graph and its weights, after validation,
 *                  constant folding and fusions. Immutable once loaded,
 *                  so any number of sessions in any threads may use it.
 *   vd_nn_session  one run context: resolved shapes for a batch size, the
 *                  execution plan, the arena, a thread count, profiling
 *                  counters. A session is used by one thread at a time.
 *
 * Everything that can be rejected is rejected at load time (unknown op or
 * attribute, bad graph): vd_nn_model_load names the node, the op and the
 * opset. A session never meets an unsupported op.
 *
 * Threads. Each session runs its kernels on its own small pool of
 * `threads` workers; BLAS calls made by the engine are single-threaded,
 * so N sessions x T threads is exactly the parallelism used and the cores
 * are never oversubscribed.
 *
 * Errors: 0 or a negative VD_E* code, details in the vd_error. */
#ifndef VD_NN_H
#define VD_NN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tensor.h"

typedef struct vd_nn_model vd_nn_model;
typedef struct vd_nn_session vd_nn_session;

/* A graph input or output as declared. A symbolic or unknown dimension
 * has shape[i] == -1 and, when symbolic, its name in dim_names[i]. */
typedef struct vd_nn_io_info {
    const char *name;
    vd_dtype dtype;
    int ndim;
    int64_t shape[VD_TENSOR_MAX_DIMS];
    const char *dim_names[VD_TENSOR_MAX_DIMS];
} vd_nn_io_info;

/* Facts about a loaded model, for `visiond nn info`. */
typedef struct vd_nn_model_info {
    int64_t opset;          /* default-domain opset */
    const char *producer;   /* producer_name, may be "" */
    int n_nodes;            /* after folding and fusion */
    int n_nodes_original;   /* as in the file */
    int64_t n_params;       /* elements in initializers */
    /* Op histogram of the original graph: n_op_kinds entries. */
    int n_op_kinds;
    const char *const *op_names;
    const int *op_counts;
} vd_nn_model_info;

/* ---- model ---- */

/* Load an .onnx file. External data files are resolved next to `path`. */
int vd_nn_model_load(vd_nn_model **out, const char *path, vd_error *err);
/* Load from memory (the fuzz entry point). `base_dir` resolves external
 * data and may be NULL, in which case external data is an error. */
int vd_nn_model_load_buffer(vd_nn_model **out, const void *data, size_t size,
                            const char *base_dir, vd_error *err);
void vd_nn_model_free(vd_nn_model **m);

int vd_nn_model_input_count(const vd_nn_model *m);
int vd_nn_model_output_count(const vd_nn_model *m);
const vd_nn_io_info *vd_nn_model_input(const vd_nn_model *m, int i);
const vd_nn_io_info *vd_nn_model_output(const vd_nn_model *m, int i);
/* Index of the input/output with that name, or -1. */
int vd_nn_model_input_index(const vd_nn_model *m, const char *name);
int vd_nn_model_output_index(const vd_nn_model *m, const char *name);
void vd_nn_model_get_info(const vd_nn_model *m, vd_nn_model_info *info);

/* ---- session ---- */

typedef struct vd_nn_session_opts {
    int threads; /* worker threads for this session; <= 0 means 1 */
    int batch;   /* value for the leading symbolic dim; <= 0 means 1 */
    int profile; /* 1: time every node (vd_nn_session_profile) */
} vd_nn_session_opts;

/* opts may be NULL (1 thread, batch 1, no profiling). Plans shapes and the
 * arena for the batch size; fails if shapes cannot be resolved. */
int vd_nn_session_create(vd_nn_session **out, const vd_nn_model *m,
                         const vd_nn_session_opts *opts, vd_error *err);
void vd_nn_session_free(vd_nn_session **s);

/* Re-run shape inference and memory planning for a new batch size. */
int vd_nn_session_set_batch(vd_nn_session *s, int batch, vd_error *err);
/* Override one input's full shape (for models whose non-batch dims are
 * symbolic, e.g. image height/width). Re-plans. */
int vd_nn_session_set_input_shape(vd_nn_session *s, int input, int ndim,
                                  const int64_t *shape, vd_error *err);

/* Resolved shapes under the current plan. A data-dependent output
 * dimension (NonMaxSuppression, ...) is reported as -1. */
int vd_nn_session_input_shape(const vd_nn_session *s, int i, int64_t *shape);  /* returns ndim */
int vd_nn_session_output_shape(const vd_nn_session *s, int i, int64_t *shape); /* returns ndim */

/* Bytes of the arena (all intermediate tensors + workspaces) planned for the
 * current shapes: the engine's peak working memory, weights excluded. */
size_t vd_nn_session_arena_bytes(const vd_nn_session *s);
/* Bytes held by weights (shared by all sessions of the model). */
size_t vd_nn_model_weight_bytes(const vd_nn_model *m);

/* Run the graph. inputs[i] matches model input i (dtype and resolved shape,
 * else VD_EINVAL naming the input). For outputs[j]: if data is NULL the
 * session allocates it (owned; free with vd_tensor_free), else it must
 * have the right dtype and shape and is written in place. */
int vd_nn_session_run(vd_nn_session *s, const vd_tensor *inputs, int n_inputs,
                      vd_tensor *outputs, int n_outputs, vd_error *err);

/* ---- profiling (opts.profile = 1) ---- */

typedef struct vd_nn_node_profile {
    const char *name;    /* node name (or op#index when unnamed) */
    const char *op;      /* op type, with a fused activation as "Conv+Relu" */
    double total_ms;     /* summed over runs since the last reset */
    int64_t runs;
} vd_nn_node_profile;

int vd_nn_session_profile_count(const vd_nn_session *s);
int vd_nn_session_profile(const vd_nn_session *s, int i, vd_nn_node_profile *p);
void vd_nn_session_profile_reset(vd_nn_session *s);

#endif
