/* graph.h -- the engine's internal vocabulary: values, nodes, ops.
 *
 * The ggml idea applied to ONNX. The model is a list of nodes in
 * topological order over a table of values (ONNX "names"). Each node
 * points at an op definition (vd_nn_op) from one registry; each op lives
 * in one kernel family file under vision/nn/ops/. Adding an ONNX op is:
 * one vd_nn_op entry in its family file, its kernels, its node tests.
 *
 * Model vs session. Nodes and attributes belong to the model and are
 * read-only after load (shared between threads). Shapes and data of
 * values belong to a session: kernels receive vd_tensor pointers owned by
 * the session, never the model's value table.
 *
 * Lifecycle of a node:
 *   load time    op->init(node)   parse + validate attributes into
 *                                 node->params; reject what we can't run.
 *   plan time    op->infer(...)   output dtype/shape from input shapes
 *                                 (and input data when it is constant).
 *   plan time    op->workspace()  scratch bytes the kernel needs.
 *   run time     op->run(...)     compute.
 */
#ifndef VD_NN_GRAPH_H
#define VD_NN_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "vision/core/error.h"
#include "vision/core/tensor.h"

/* ---- attributes (decoded from AttributeProto by the loader) ---- */

typedef enum vd_nn_attr_type {
    VD_NN_ATTR_FLOAT = 1,
    VD_NN_ATTR_INT,
    VD_NN_ATTR_STRING,
    VD_NN_ATTR_TENSOR,
    VD_NN_ATTR_FLOATS,
    VD_NN_ATTR_INTS,
    VD_NN_ATTR_STRINGS,
} vd_nn_attr_type;

typedef struct vd_nn_attr {
    char *name;
    vd_nn_attr_type type;
    float f;
    int64_t i;
    char *s;           /* NUL-terminated */
    int n;             /* element count of floats/ints/strings */
    float *floats;
    int64_t *ints;
    char **strings;
    vd_tensor t;       /* owned, for VD_NN_ATTR_TENSOR */
} vd_nn_attr;

/* ---- fused activation (set by the fusion pass on Conv/Gemm/MatMul/
 * ConvTranspose; kernels apply it in their epilogue) ---- */

typedef enum vd_nn_act_kind {
    VD_NN_ACT_NONE = 0,
    VD_NN_ACT_RELU,
    VD_NN_ACT_CLIP,      /* alpha = min, beta = max (Relu6: 0, 6) */
    VD_NN_ACT_LEAKY,     /* alpha = slope */
    VD_NN_ACT_SIGMOID,
    VD_NN_ACT_SILU,      /* x * sigmoid(x) */
    VD_NN_ACT_HARDSWISH,
    VD_NN_ACT_HARDSIGMOID, /* alpha, beta as in ONNX */
    VD_NN_ACT_TANH,
    VD_NN_ACT_GELU,      /* 0.5 x (1 + erf(x / sqrt 2)) */
    VD_NN_ACT_GELU_TANH, /* Gelu approximate = "tanh" */
    VD_NN_ACT_MISH,      /* x tanh(softplus(x)) */
} vd_nn_act_kind;

typedef struct vd_nn_act {
    vd_nn_act_kind kind;
    float alpha, beta;
} vd_nn_act;

/* Apply act in place to n floats (kernels call this on their output tile). */
void vd_nn_act_apply(const vd_nn_act *act, float *x, int64_t n);
/* y = 1 / (1 + e^-x), the fused Sigmoid's and the standalone op's one
 * implementation (y may be x). */
void vd_nn_act_sigmoid(float *y, const float *x, int64_t n);
const char *vd_nn_act_name(vd_nn_act_kind kind);

/* ---- nodes and ops ---- */

typedef struct vd_nn_op vd_nn_op;

typedef struct vd_nn_node {
    const vd_nn_op *op;
    char *name;           /* never NULL; "<op_type>#<index>" when unnamed */
    char *op_type;
    int opset;            /* opset of the node's domain in this model */
    int n_in, n_out;
    int *in;              /* value indices; -1 for an omitted optional input */
    int *out;
    int n_attrs;
    vd_nn_attr *attrs;
    void *params;         /* op-private, from op->init; freed by op->fini or free() */
    vd_nn_act act;        /* fused activation, VD_NN_ACT_NONE by default */
    /* Fused residual Add (set by the fusion pass on Conv only): 0 = none,
     * else the index in in[] of a float tensor that broadcasts to the
     * output's shape, added to the conv result before act:
     * out = act(conv + in[add_in]). One that would widen the output is
     * refused at plan time. */
    int add_in;
    /* The residual was Concat([r, zeros], axis 1): in[add_in] is r, with
     * fewer channels, added to the first ones only (the zeros are never
     * stored). Batch and spatial dims must equal the output's. */
    int add_pad;
    /* Conv only (a fused Concat before a 1x1 conv): > 1 when X is the
     * channel concatenation of n_cat parts, in[0] then in[4], in[5], ...
     * (in[3] is the residual slot, -1 when none); the parts are never
     * copied into one tensor. */
    int n_cat;
    /* Bit k set: in[k] is a constant (initializer or folded), the same
     * bytes for every run, so a kernel may keep what it derives from it
     * (transformed weights). Set at the end of load (first 32 inputs). */
    uint32_t const_in;
} vd_nn_node;

/* Attribute lookup helpers (attr.c). Missing attribute -> default/NULL. */
const vd_nn_attr *vd_nn_attr_find(const vd_nn_node *n, const char *name);
int64_t vd_nn_attr_int(const vd_nn_node *n, const char *name, int64_t def);
float vd_nn_attr_float(const vd_nn_node *n, const char *name, float def);
const char *vd_nn_attr_string(const vd_nn_node *n, const char *name, const char *def);
/* Returns the count (0 if absent) and points *v at the node's array. */
int vd_nn_attr_ints(const vd_nn_node *n, const char *name, const int64_t **v);
int vd_nn_attr_floats(const vd_nn_node *n, const char *name, const float **v);

/* ---- execution context handed to kernels ---- */

typedef struct vd_nn_ctx vd_nn_ctx;

/* Run fn(arg, begin, end) over [0, n) split into contiguous chunks on the
 * session's workers (the caller's thread included). With 1 thread, or n
 * small, it is a plain call fn(arg, 0, n). Chunks are at least `grain`. */
typedef void (*vd_nn_range_fn)(void *arg, int64_t begin, int64_t end);
void vd_nn_parallel_for(vd_nn_ctx *ctx, int64_t n, int64_t grain,
                        vd_nn_range_fn fn, void *arg);
int vd_nn_ctx_threads(const vd_nn_ctx *ctx);
/* Scratch of at least the bytes op->workspace asked for, 64-byte aligned. */
void *vd_nn_ctx_workspace(vd_nn_ctx *ctx);
/* For VD_NN_OP_DYNAMIC ops: give out[] its final shape and storage at run
 * time (heap memory owned by the session). */
int vd_nn_ctx_alloc_output(vd_nn_ctx *ctx, vd_tensor *out, vd_dtype dt,
                           int ndim, const int64_t *shape);
/* Where run() reports a failure: returns code. */
int vd_nn_ctx_fail(vd_nn_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Op flags. */
enum {
    /* Output shape depends on input *data* that isn't known at plan time
     * (NonMaxSuppression, NonZero, TopK with a runtime k ...). infer() sets
     * dtype and ndim and -1 for unknown dims; run() calls
     * vd_nn_ctx_alloc_output. Everything downstream is re-planned per run. */
    VD_NN_OP_DYNAMIC = 1 << 0,
    /* Pure shape/data-movement op cheap enough to constant-fold eagerly. */
    VD_NN_OP_FOLDABLE = 1 << 1,
    /* run() may be given out[0]->data == in[0]->data (elementwise). */
    VD_NN_OP_INPLACE = 1 << 2,
};

struct vd_nn_op {
    const char *name;          /* ONNX op_type, default domain */
    int since_opset;           /* smallest opset this definition accepts */
    unsigned flags;
    /* Accepted attribute names, NULL-terminated. Any other attribute on a
     * node is rejected at load time. NULL means "no attributes". */
    const char *const *attrs;

    /* Load time: validate attributes, fill node->params. Message names
     * the attribute and value; the loader prefixes node and op. */
    int (*init)(vd_nn_node *n, vd_error *err);
    /* Frees node->params when plain free() is not enough. May be NULL. */
    void (*fini)(vd_nn_node *n);
    /* Plan time: set out[j]->dtype/ndim/shape. in[i] is NULL for an
     * omitted optional input; in[i]->data is non-NULL only when the value
     * is known at plan time (initializer or folded). An op that needs a
     * non-constant input's data to know its shape returns
     * VD_NN_NEEDS_DATA (or is VD_NN_OP_DYNAMIC): the session then infers
     * it again at run time. Any negative code is a plan-time error. */
    int (*infer)(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                 vd_error *err);
    /* Plan time, may be NULL: scratch bytes for run(). Shapes are final. */
    size_t (*workspace)(const vd_nn_node *n, vd_tensor *const *in,
                        vd_tensor *const *out);
    /* Run time: compute out from in. out[j]->data points at planned memory
     * of the inferred size (NULL for a DYNAMIC op's outputs). */
    int (*run)(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
               vd_nn_ctx *ctx);
};

/* infer()'s "ask me again with the data" answer, distinct from a real
 * VD_EUNSUPPORTED (an unsupported dtype must fail when the session is
 * planned, not at the first run). Negative so `if (rc < 0) return rc` passes
 * it up; internal: the session maps it before anything leaves vision/nn. */
#define VD_NN_NEEDS_DATA (-1000)

/* Registry (ops/registry.c): the definition for op_type at an opset, the
 * one with the greatest since_opset <= opset; NULL if none. */
const vd_nn_op *vd_nn_op_find(const char *op_type, int opset);
/* Iterate every definition (for listing support). NULL past the end. */
const vd_nn_op *vd_nn_op_at(int i);

/* Common shape helpers (shape_util.c). */
/* numpy broadcasting of a and b into out (ndim/shape); VD_EINVAL if incompatible. */
int vd_nn_broadcast_shape(const vd_tensor *a, const vd_tensor *b, int *ndim,
                          int64_t *shape, vd_error *err);
/* Normalise a possibly negative axis against ndim; VD_EINVAL if out of range. */
int vd_nn_axis(int64_t axis, int ndim, int *out, vd_error *err);
/* Read element i of an integer tensor (int64/int32) or float as int64. */
int64_t vd_nn_tensor_get_i64(const vd_tensor *t, int64_t i);

/* v as an integer clamped to [lo, hi] (NaN -> 0): a plain C cast of an
 * out-of-range float is undefined behaviour, and ONNX leaves the value
 * unspecified, so every float-to-integer conversion saturates. */
int64_t vd_nn_sat_int(double v, double lo, double hi);

#endif
