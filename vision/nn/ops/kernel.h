/* kernel.h -- what every kernel family in vision/nn/ops may use: the
 * vectorisation attributes, input checks (dtype, arity, sizes), element
 * access, and output allocation for shapes known only at run time.
 * Internal to vision/nn/ops; implemented in kernel.c. */
#ifndef VD_NN_OPS_KERNEL_H
#define VD_NN_OPS_KERNEL_H

#include "vision/nn/graph.h"
#include "vision/nn/vmath.h"

/* Hot loops: the full vectoriser (gcc -O2 only vectorises loops whose trip
 * count it knows, and keeps float selects as branches while FP traps are
 * on), and on x86-64 an AVX2+FMA clone picked at load time. */
#define VD_NN_HOT \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic", "no-trapping-math")))
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VD_NN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VD_NN_CLONES
#endif

/* Hot element loops get an AVX2 clone picked at load time (ifunc); the
 * default clone is the baseline SSE2 build. AVX2 without FMA: the same
 * IEEE operations, so both clones give bit-identical results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VD_NN_CLONES_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define VD_NN_CLONES_AVX2
#endif

/* Elements per parallel chunk below which work stays on one thread. */
#define VD_NN_KERNEL_GRAIN 32768

/* Fail unless every listed input that is present is float32 (message names
 * op, input index and dtype). */
int vd_nn_check_f32(const vd_nn_node *n, vd_tensor *const *in, int n_in,
                    vd_error *err);

/* For ops whose output shape may only be known at run time (an input the
 * planner could not see): when an output has no storage, re-run the op's
 * infer() on the actual inputs and allocate it. 0 or a VD_E* code. */
int vd_nn_kernel_ensure_out(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out, vd_nn_ctx *ctx);

/* Largest output an op here will plan (elements). Shapes read from data
 * (ConstantOfShape, Expand, Tile, Range, Pad, OneHot, Reshape) are checked
 * against it so that a hostile file cannot overflow int64 or ask for
 * terabytes: VD_ELIMIT instead. */
#define VD_NN_KERNEL_MAX_NUMEL (1ll << 30)

/* VD_ELIMIT naming the shape if prod(shape) overflows or exceeds the cap;
 * negative dims are VD_EINVAL. */
int vd_nn_kernel_check_numel(int nd, const int64_t *shape, vd_error *err);

/* Input/output counts of one op type, checked at load time so that no
 * infer()/run() ever reads past the node's inputs or through an omitted
 * required one (the loader is fuzzed). max -1: unbounded (variadic). */
typedef struct vd_nn_kernel_arity {
    const char *op;
    int since;          /* the entry's since_opset; 0: every entry */
    int min_in, max_in, min_out, max_out;
} vd_nn_kernel_arity;

/* Finds n's row in tab (op_type and, if non-zero, since == n->op's) and
 * checks it; without a row, exactly def_in inputs and def_out outputs.
 * VD_EINVAL naming the count or the missing input. */
int vd_nn_kernel_check_arity(const vd_nn_kernel_arity *tab, const vd_nn_node *n, int def_in,
                            int def_out, vd_error *err);

/* GatherElements/ScatterElements: indices idx must have data x's rank, an
 * integer dtype, and fit inside x on every dim but axis (each index
 * position is also a data position there). VD_EINVAL naming the dim. */
int vd_nn_kernel_check_elements_idx(const vd_tensor *x, const vd_tensor *idx, int axis,
                                   vd_error *err);

/* Element i of a float-ish or integer tensor as double / store double. */
double vd_nn_kernel_get_f64(const vd_tensor *t, int64_t i);
void vd_nn_kernel_set_f64(vd_tensor *t, int64_t i, double v);

/* Read the integer tensor t (int32/int64) into v[max]; count or VD_E*.
 * what names the input in the message ("Reshape shape"). */
int vd_nn_kernel_read_ints(const vd_tensor *t, int64_t *v, int max,
                          const char *what, vd_error *err);

/* VD_NN_NEEDS_DATA (message naming `what`) when t's data is unknown at
 * plan time, so the session defers the shape to run time; VD_EINVAL when
 * the input is absent. */
int vd_nn_kernel_need_data(const vd_tensor *t, const char *what, vd_error *err);
void vd_nn_kernel_set_shape(vd_tensor *out, vd_dtype dt, int nd, const int64_t *shape);

#endif
