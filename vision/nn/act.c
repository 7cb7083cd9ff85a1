/* act.c -- fused activations, applied by Conv/Gemm/MatMul epilogues on
 * the tile they just produced, while it is still in cache. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "graph.h"
#include "vmath.h"

/* gcc -O2 only vectorises loops whose trip count it knows, and keeps
 * float selects as branches unless FP traps are off; these loops run on
 * every conv output, so ask for the full vectoriser here. */
#define VD_ACT_VECTORIZE                                                       \
    __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic",     \
                            "no-trapping-math")))

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define VD_ACT_AVX2 1

/* vd_nn_expf (vmath.h) for 8 floats, step for step. Written with
 * intrinsics rather than left to the vectoriser: at -O3 gcc fully unrolls
 * an 8-iteration scalar loop before vectorising it and leaves 8 scalar
 * copies (Release builds ran SiLU nets 1.5x slower, issue 9). */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256 expf8(__m256 x)
{
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3365447504f));
    __m256 fn = _mm256_sub_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic),
                              magic);
    __m256 r = _mm256_fnmadd_ps(fn, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(fn, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvttps_epi32(fn), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/* 1 / (1 + e^-x) for 8 floats on AVX2+FMA, with the reciprocal from rcpps
 * plus one Newton step (relative error <= ~2e-7, as the division's):
 * vdivps bounds the plain loop, this one runs about 2x faster. */
/* always_inline: logistic_avx2's optimize attribute differs, and gcc does
 * not inline across differing optimize attributes on its own. */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256
logistic8(const float *x)
{
    __m256 dv = _mm256_add_ps(_mm256_set1_ps(1.0f),
                              expf8(_mm256_xor_ps(_mm256_loadu_ps(x), _mm256_set1_ps(-0.0f))));
    __m256 r = _mm256_rcp_ps(dv);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(dv, r, _mm256_set1_ps(2.0f)));
}

/* y = logistic(x), or x * logistic(x) (SiLU). The tail runs through the
 * same 8-lane code, so a value never depends on where a chunk, tile or
 * row boundary falls: a fused Sigmoid and the standalone op, 1 thread
 * and 2, give the same bits. */
__attribute__((target("avx2,fma"))) VD_ACT_VECTORIZE static void
logistic_avx2(float *y, const float *x, int64_t n, int times_x)
{
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 r = logistic8(x + i);
        _mm256_storeu_ps(y + i, times_x ? _mm256_mul_ps(r, _mm256_loadu_ps(x + i)) : r);
    }
    if (i < n) {
        float t[8] = {0}, o[8];
        memcpy(t, x + i, (size_t)(n - i) * sizeof(float));
        __m256 r = logistic8(t);
        _mm256_storeu_ps(o, times_x ? _mm256_mul_ps(r, _mm256_loadu_ps(t)) : r);
        memcpy(y + i, o, (size_t)(n - i) * sizeof(float));
    }
}

static int have_avx2_fma(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

/* Gelu and Mish with the standalone kernels' formulas (ops/unary.c),
 * evaluated in double as they are there. Kept out of the x86-64-v3 clone
 * (noinline) so no FMA contraction makes fused and unfused nodes differ.
 * libm-bound: not vectorised. */
__attribute__((noinline)) static void act_smooth(vd_nn_act_kind kind, float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        if (kind == VD_NN_ACT_GELU) {
            x[i] = (float)(0.5f * v * (1.0f + erf(v * 0.7071067811865476)));
        } else if (kind == VD_NN_ACT_GELU_TANH) {
            x[i] = (float)(0.5f * v *
                           (1.0f + tanh(0.7978845608028654 * (v + 0.044715f * v * v * v))));
        } else {
            double sp = v > 0 ? v + log1p(vd_nn_expf(-v)) : log1p(vd_nn_expf(v));
            x[i] = (float)(v * tanh(sp));
        }
    }
}

void vd_nn_act_sigmoid(float *y, const float *x, int64_t n)
{
#ifdef VD_ACT_AVX2
    if (have_avx2_fma()) {
        logistic_avx2(y, x, n, 0);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + vd_nn_expf(-x[i]));
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) VD_ACT_VECTORIZE void
vd_nn_act_apply(const vd_nn_act *act, float *x, int64_t n)
{
    float a = act->alpha, b = act->beta;
    switch (act->kind) {
    case VD_NN_ACT_NONE:
        return;
    case VD_NN_ACT_RELU:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
        return;
    case VD_NN_ACT_CLIP:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] < a ? a : (x[i] > b ? b : x[i]);
        return;
    case VD_NN_ACT_LEAKY:
        for (int64_t i = 0; i < n; i++) x[i] = x[i] >= 0 ? x[i] : a * x[i];
        return;
    case VD_NN_ACT_SIGMOID:
        vd_nn_act_sigmoid(x, x, n);
        return;
    case VD_NN_ACT_SILU:
#ifdef VD_ACT_AVX2
        if (have_avx2_fma()) {
            logistic_avx2(x, x, n, 1);
            return;
        }
#endif
        for (int64_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + vd_nn_expf(-x[i]));
        return;
    case VD_NN_ACT_HARDSWISH:
        for (int64_t i = 0; i < n; i++) {
            float t = x[i] / 6.0f + 0.5f;
            x[i] *= t < 0 ? 0 : (t > 1 ? 1 : t);
        }
        return;
    case VD_NN_ACT_HARDSIGMOID:
        for (int64_t i = 0; i < n; i++) {
            float t = a * x[i] + b;
            x[i] = t < 0 ? 0 : (t > 1 ? 1 : t);
        }
        return;
    case VD_NN_ACT_TANH:
        for (int64_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
        return;
    case VD_NN_ACT_GELU:
    case VD_NN_ACT_GELU_TANH:
    case VD_NN_ACT_MISH:
        act_smooth(act->kind, x, n);
        return;
    }
}

const char *vd_nn_act_name(vd_nn_act_kind kind)
{
    static const char *const names[] = {
        "", "Relu", "Clip", "LeakyRelu", "Sigmoid", "SiLU", "HardSwish",
        "HardSigmoid", "Tanh", "Gelu", "Gelu(tanh)", "Mish",
    };
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}
