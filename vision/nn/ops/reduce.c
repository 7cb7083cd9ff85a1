/* reduce.c -- kernel family "reduce" (being written; see graph.h for the op contract). */
#include "vision/nn/graph.h"

const vd_nn_op vd_nn_ops_reduce[] = {
    {0},
};
