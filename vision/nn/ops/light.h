/* light.h -- helpers shared by the "light" kernel families (elementwise,
 * unary, reduce, shape): strided copies and run-time output allocation.
 *
 * Design choice: every data-movement op (Transpose, Slice, Expand, Tile,
 * Concat ...) is expressed as ONE strided copy over an up-to-16-d index
 * space, which collapses mergeable dims first so that the inner loop is a
 * memcpy or a tight typed loop; no op carries its own index walker. */
#ifndef VD_NN_OPS_LIGHT_H
#define VD_NN_OPS_LIGHT_H

#include "vision/nn/graph.h"
#include "vision/nn/vmath.h"

/* GCC at -O2 vectorises only "very cheap" loops, which excludes any loop
 * that needs a runtime alias check: every kernel loop here (outputs may
 * alias inputs for in-place ops). The dynamic cost model lets them
 * vectorise. no-trapping-math lets clamps be if-converted (we never rely
 * on floating-point exceptions); no result changes. Applies to the files
 * of the light families only. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic", "no-trapping-math")
#endif

#define VD_NN_LIGHT_MAX_DIMS 16

/* Hot element loops get an AVX2 clone picked at load time (ifunc); the
 * default clone is the baseline SSE2 build. AVX2 without FMA: the same
 * IEEE operations, so both clones give bit-identical results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VD_NN_LIGHT_SIMD __attribute__((target_clones("avx2", "default")))
#else
#define VD_NN_LIGHT_SIMD
#endif

/* Elements per parallel chunk below which work stays on one thread. */
#define VD_NN_LIGHT_GRAIN 32768

/* Copy shape[nd] elements of es bytes from src to dst with element
 * strides src_st/dst_st (any sign, 0 = broadcast on src). nd <= 16. */
void vd_nn_light_copy(vd_nn_ctx *ctx, void *dst, const int64_t *dst_st,
                      const void *src, const int64_t *src_st,
                      const int64_t *shape, int nd, size_t es);

/* Contiguous row-major strides (elements) of shape[nd] into st. */
void vd_nn_light_strides(const int64_t *shape, int nd, int64_t *st);

/* For ops whose output shape may only be known at run time (an input the
 * planner could not see): when an output has no storage, re-run the op's
 * infer() on the actual inputs and allocate it. 0 or a VD_E* code. */
int vd_nn_light_ensure_out(const vd_nn_node *n, vd_tensor *const *in,
                           vd_tensor *const *out, vd_nn_ctx *ctx);

/* Largest output an op here will plan (elements). Shapes read from data
 * (ConstantOfShape, Expand, Tile, Range, Pad, OneHot, Reshape) are checked
 * against it so that a hostile file cannot overflow int64 or ask for
 * terabytes: VD_ELIMIT instead. */
#define VD_NN_LIGHT_MAX_NUMEL (1ll << 30)

/* VD_ELIMIT naming the shape if prod(shape) overflows or exceeds the cap;
 * negative dims are VD_EINVAL. */
int vd_nn_light_check_numel(int nd, const int64_t *shape, vd_error *err);

/* Input/output counts of one op type, checked at load time so that no
 * infer()/run() ever reads past the node's inputs or through an omitted
 * required one (the loader is fuzzed). max -1: unbounded (variadic). */
typedef struct vd_nn_light_arity {
    const char *op;
    int since;          /* the entry's since_opset; 0: every entry */
    int min_in, max_in, min_out, max_out;
} vd_nn_light_arity;

/* Finds n's row in tab (op_type and, if non-zero, since == n->op's) and
 * checks it; without a row, exactly def_in inputs and def_out outputs.
 * VD_EINVAL naming the count or the missing input. */
int vd_nn_light_check_arity(const vd_nn_light_arity *tab, const vd_nn_node *n, int def_in,
                            int def_out, vd_error *err);

/* GatherElements/ScatterElements: indices idx must have data x's rank, an
 * integer dtype, and fit inside x on every dim but axis (each index
 * position is also a data position there). VD_EINVAL naming the dim. */
int vd_nn_light_check_elements_idx(const vd_tensor *x, const vd_tensor *idx, int axis,
                                   vd_error *err);

/* Element i of a float-ish or integer tensor as double / store double. */
double vd_nn_light_get_f64(const vd_tensor *t, int64_t i);
void vd_nn_light_set_f64(vd_tensor *t, int64_t i, double v);

/* Read the integer tensor t (int32/int64) into v[max]; count or VD_E*.
 * what names the input in the message ("Reshape shape"). */
int vd_nn_light_read_ints(const vd_tensor *t, int64_t *v, int max,
                          const char *what, vd_error *err);

/* VD_NN_NEEDS_DATA (message naming `what`) when t's data is unknown at
 * plan time, so the session defers the shape to run time; VD_EINVAL when
 * the input is absent. */
int vd_nn_light_need_data(const vd_tensor *t, const char *what, vd_error *err);
void vd_nn_light_set_shape(vd_tensor *out, vd_dtype dt, int nd, const int64_t *shape);

#endif
