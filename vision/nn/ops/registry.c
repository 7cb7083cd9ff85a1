/* registry.c -- the one table that maps ONNX op types to definitions.
 *
 * Each kernel family file (ops/<family>.c) exports one array of vd_nn_op,
 * terminated by an entry with name == NULL. Lookup picks, for a given
 * op_type, the definition with the greatest since_opset <= the model's
 * opset, which is how versioned semantics (Softmax axis before/after 13,
 * Reduce axes as attribute/input, ...) get separate entries. */
#include <string.h>

#include "vision/nn/graph.h"

#define VD_NN_FAMILIES(X) \
    X(conv) X(gemm) X(norm) X(pool) X(resize) X(detect) \
    X(elementwise) X(unary) X(softmax) X(reduce) X(topk) X(shape) X(layout) X(indexing)

#define DECLARE(f) extern const vd_nn_op vd_nn_ops_##f[];
VD_NN_FAMILIES(DECLARE)
#undef DECLARE

#define ENTRY(f) vd_nn_ops_##f,
static const vd_nn_op *const families[] = {VD_NN_FAMILIES(ENTRY)};
#undef ENTRY

#define N_FAMILIES (sizeof families / sizeof families[0])

const vd_nn_op *vd_nn_op_find(const char *op_type, int opset)
{
    const vd_nn_op *best = NULL;
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const vd_nn_op *op = families[f]; op->name; op++)
            if (!strcmp(op->name, op_type) && op->since_opset <= opset &&
                (!best || op->since_opset > best->since_opset))
                best = op;
    return best;
}

const vd_nn_op *vd_nn_op_at(int i)
{
    for (size_t f = 0; f < N_FAMILIES; f++)
        for (const vd_nn_op *op = families[f]; op->name; op++)
            if (i-- == 0)
                return op;
    return NULL;
}
