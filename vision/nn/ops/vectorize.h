/* vectorize.h -- include LAST in a kernel file whose every loop should
 * get gcc's dynamic vectoriser cost model (the elementwise, unary, reduce,
 * shape, layout, indexing and topk families and their helpers): it sets
 * the options for every function defined after it. */
#ifndef VD_NN_OPS_VECTORIZE_H
#define VD_NN_OPS_VECTORIZE_H

/* GCC at -O2 vectorises only "very cheap" loops, which excludes any loop
 * that needs a runtime alias check: every kernel loop here (outputs may
 * alias inputs for in-place ops). The dynamic cost model lets them
 * vectorise. no-trapping-math lets clamps be if-converted (we never rely
 * on floating-point exceptions); no result changes. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic", "no-trapping-math")
#endif

#endif
