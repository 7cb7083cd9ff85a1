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
 * are never oversubscribed. (OpenBLAS keeps its thread count in process-
 * global state: vd_nn_model_load sets it to 1. A program that also calls
 * BLAS itself, multi-threaded, must set it back around its own calls.)
 *
 * Errors: 0 or a negative VD_E* code, details in the vd_error. */
#ifndef VD_NN_H
#define VD_NN_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/core/tensor.h"

typedef struct vd_nn_model vd_nn_model;
typedef struct vd_nn_session vd_nn_session;

/* A graph input or output as declared. A symbolic or unknown dimension
 * has shape[i] == -1 and, when symbolic, its name in dim_names[i] (else
 * NULL). ndim is -1 when the file declares no shape at all. Initializers
 * that the file also lists as graph inputs (ONNX "defaults") are constants
 * of the model, not inputs: they cannot be overridden. */
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

/* Load an .onnx file (opsets 7 to 20, default domain only). External
 * data files are resolved next to `path`; a location that is absolute or
 * contains ".." is refused. Errors: VD_ENOTFOUND/VD_EIO (file), VD_EFORMAT
 * (truncated or corrupt protobuf, dangling value name, cycle),
 * VD_EUNSUPPORTED (opset, op, attribute, dtype: the message names the
 * node, the op and the opset), VD_ELIMIT (absurd sizes). */
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
 * arena for the batch size: the leading dimension of every input whose
 * first dim is symbolic (and any other dim with the same name) becomes
 * `batch`. Fails if a node cannot take the resulting shapes. One case is
 * deferred instead: an input with other symbolic dims (e.g. "H", "W") or
 * no declared shape; the session is created unplanned, run() fails naming
 * the input, and vd_nn_session_set_input_shape completes the plan. */
int vd_nn_session_create(vd_nn_session **out, const vd_nn_model *m,
                         const vd_nn_session_opts *opts, vd_error *err);
void vd_nn_session_free(vd_nn_session **s);

/* Re-run shape inference and memory planning for a new batch size.
 * VD_EINVAL for batch < 1, or batch != 1 when no input has a symbolic
 * leading dim. If the graph cannot take the new shapes, the error names
 * the node and the session keeps its previous batch and plan (this holds
 * for set_input_shape too). */
int vd_nn_session_set_batch(vd_nn_session *s, int batch, vd_error *err);
/* Override one input's full shape (for models whose non-batch dims are
 * symbolic, e.g. image height/width). Re-plans. A dimension the file fixes
 * must keep its value (VD_EINVAL naming the input and dimension); the
 * override wins over the batch size for that input. */
int vd_nn_session_set_input_shape(vd_nn_session *s, int input, int ndim,
                                  const int64_t *shape, vd_error *err);

/* Resolved shapes under the current plan. A data-dependent output
 * dimension (NonMaxSuppression, a Reshape by an input's data ...) is
 * reported as -1, as is every dim of an unplanned session; the return
 * value is the rank (-1 if unknown) or VD_ERANGE for a bad index. */
int vd_nn_session_input_shape(const vd_nn_session *s, int i, int64_t *shape);  /* returns ndim */
int vd_nn_session_output_shape(const vd_nn_session *s, int i, int64_t *shape); /* returns ndim */

/* Bytes of the arena (all intermediate tensors + workspaces) planned for the
 * current shapes: the engine's peak working memory, weights excluded. 0
 * while unplanned. Values downstream of a data-dependent shape live in
 * per-session heap buffers that grow on demand and are not counted. */
size_t vd_nn_session_arena_bytes(const vd_nn_session *s);
/* Bytes held by weights after folding (shared by all sessions). */
size_t vd_nn_model_weight_bytes(const vd_nn_model *m);

/* Run the graph. inputs[i] matches model input i (dtype and resolved shape,
 * else VD_EINVAL naming the input); n_inputs must equal the input count.
 * n_outputs may be smaller than the output count: outputs beyond it are
 * computed but not returned. For outputs[j]: if data is NULL the session
 * allocates it (owned; free with vd_tensor_free), else it must have the
 * right dtype and shape (VD_EINVAL naming the output) and is written in
 * place. A kernel failure names the node. Nothing is allocated per run
 * except requested outputs and growth of data-dependent buffers. */
int vd_nn_session_run(vd_nn_session *s, const vd_tensor *inputs, int n_inputs,
                      vd_tensor *outputs, int n_outputs, vd_error *err);

/* ---- profiling (opts.profile = 1) ---- */

typedef struct vd_nn_node_profile {
    const char *name;    /* node name (or op#index when unnamed) */
    const char *op;      /* op type, with a fused activation as "Conv+Relu" */
    /* Entries are the nodes that run, in plan order: folded nodes (constants,
     * shape arithmetic resolved at plan time) and fused activations do not
     * appear. Owned by the model. */
    double total_ms;     /* summed over runs since the last reset */
    int64_t runs;
} vd_nn_node_profile;

int vd_nn_session_profile_count(const vd_nn_session *s);
int vd_nn_session_profile(const vd_nn_session *s, int i, vd_nn_node_profile *p);
void vd_nn_session_profile_reset(vd_nn_session *s);

#endif
