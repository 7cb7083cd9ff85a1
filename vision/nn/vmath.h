/* vmath.h -- scalar math written so that loops calling it vectorise.
 *
 * libm's expf is a call per element, which stops gcc from vectorising
 * the Sigmoid/SiLU/Tanh/Softmax loops that run on every activation. This
 * one is branch-free: Cephes' degree-6 polynomial on a Cody-Waite reduced
 * argument, max relative error ~2e-7 over the clamped range
 * [-87.34, 88.38]; beyond it the result saturates at ~FLT_MIN / ~FLT_MAX.
 * Used by the fused activations (act.c) and the unary kernels alike, so
 * a fused and an unfused Sigmoid give the same bits. */
#ifndef VD_NN_VMATH_H
#define VD_NN_VMATH_H

#include <stdint.h>

static inline __attribute__((always_inline)) float vd_nn_expf(float x)
{
    x = x < 88.3762626647949f ? x : 88.3762626647949f;
    x = x > -87.3365447504f ? x : -87.3365447504f;
    /* round(x / ln2) with the 1.5 * 2^23 trick (no SSE4.1 roundps needed) */
    float fn = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - fn * 0.693359375f;
    r = r + fn * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)fn + 127) << 23;
    float scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#endif
