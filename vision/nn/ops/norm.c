/* norm.c -- kernel family "norm" (being written; see graph.h for the op contract). */
#include "vision/nn/graph.h"

const vd_nn_op vd_nn_ops_norm[] = {
    {0},
};
