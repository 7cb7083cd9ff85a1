/* model.h -- internal: the loaded model (vd_nn_model) and the passes that
 * build it. The public view is vision/nn.h; kernels only see graph.h.
 *
 * A model is a value table (one entry per ONNX name still in use) and a
 * node list in topological order. Constants (initializers, Constant nodes,
 * folded subgraphs) are values with owned data; everything else gets its
 * shape and memory from a session. After vd_nn_model_load returns nothing
 * here is written again, which is what lets sessions share a model. */
#ifndef VD_NN_MODEL_H
#define VD_NN_MODEL_H

#include "graph.h"
#include "nn.h"

typedef struct vd_nn_value {
    char *name;
    vd_tensor t;     /* constants: dtype, shape and owned data */
    int is_const;
    int producer;    /* node index, -1 for inputs and constants */
} vd_nn_value;

struct vd_nn_model {
    int64_t opset;
    char *producer;
    char *dir;             /* resolves external data; may be NULL */

    int n_values, cap_values;
    vd_nn_value *values;

    int n_nodes, cap_nodes;
    vd_nn_node *nodes;     /* topological order once loaded */
    char **node_ops;       /* display op per node: "Conv+Relu" */
    int n_nodes_original;

    int n_inputs, n_outputs;
    int *input_vals, *output_vals;     /* value indices */
    vd_nn_io_info *inputs, *outputs;   /* strings owned by the model */

    int64_t n_params;
    size_t weight_bytes;
    int n_op_kinds;
    char **op_names;
    int *op_counts;
};

/* ---- model.c: value and node table helpers used by the passes ---- */
/* New value; takes ownership of name. Returns the index or VD_ENOMEM. */
int vd_nn_model_add_value(vd_nn_model *m, char *name);
/* New constant value named after `hint` holding t (ownership moves). */
int vd_nn_model_add_const(vd_nn_model *m, const char *hint, vd_tensor *t);
/* Number of node inputs and graph outputs that read value v
 * (dead nodes, op == NULL, excluded). */
int vd_nn_model_uses(const vd_nn_model *m, int v);
/* The only live node reading v, or -1 if none or several. */
int vd_nn_model_sole_consumer(const vd_nn_model *m, int v);
int vd_nn_model_is_output(const vd_nn_model *m, int v);
/* Point every reader of `from` (node inputs, graph outputs) at `to`. */
void vd_nn_model_replace_uses(vd_nn_model *m, int from, int to);
/* Release what a node owns (attrs, params, arrays); marks it dead. */
void vd_nn_node_clear(vd_nn_node *n);
/* Re-run op->init after a pass changed a node's inputs. */
int vd_nn_node_reinit(vd_nn_node *n, vd_error *err);

/* ---- arity.c: input/output counts against ONNX's schema ---- */
/* VD_EFORMAT (message without the node prefix) when n has a count its op
 * does not allow or omits a required input. Unknown op types pass. */
int vd_nn_arity_check(const vd_nn_node *n, vd_error *err);

/* ---- optimize.c: load-time passes (fold, BN, fusions, no-ops) ---- */
int vd_nn_model_optimize(vd_nn_model *m, vd_error *err);
/* Evaluate node i now (all inputs constant) and turn its outputs into
 * constants. Serial context. Used by the folding pass. */
int vd_nn_node_eval_const(vd_nn_model *m, int i, vd_error *err);

#endif
