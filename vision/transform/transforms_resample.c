/* transforms_resample.c -- interpolation weight tables and the two 1-D
 * passes every resize in visiond is made of (see transforms_internal.h).
 *
 * The tables reproduce torch's kernels index for index: plain bilinear is
 * upsample_bilinear2d (align_corners=False, negative source clamped to 0,
 * last tap dropped at the right edge), antialias is _upsample_bilinear2d_aa
 * (= PIL's precompute_coeffs with the triangle filter), nearest is torch's
 * floor(i * (float)in/out). Resizing vertically first lets a fused caller
 * keep a single row of scratch instead of an intermediate image. */
#include "transforms_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int coeffs_alloc(vd_tf_coeffs *c, int out, int ksize, vd_error *err)
{
    c->n = out;
    c->ksize = ksize;
    c->start = malloc(sizeof(int) * (size_t)out);
    c->w = calloc((size_t)out * (size_t)ksize, sizeof(float));
    if (!c->start || !c->w) {
        vd_tf_coeffs_free(c);
        return vd_error_set(err, VD_ENOMEM, "resize: cannot allocate weights for %d outputs", out);
    }
    return VD_OK;
}

static void build_nearest(vd_tf_coeffs *c, int in, int out)
{
    float scale = (float)in / (float)out;
    for (int i = 0; i < out; i++) {
        int s = (int)floorf((float)i * scale);
        c->start[i] = s < in - 1 ? s : in - 1;
        c->w[i] = 1.0f;
    }
}

static void build_bilinear(vd_tf_coeffs *c, int in, int out)
{
    double scale = (double)in / (double)out;
    for (int i = 0; i < out; i++) {
        double src = scale * (i + 0.5) - 0.5;
        if (src < 0)
            src = 0;
        int i0 = (int)src;
        float l1 = (float)(src - i0);
        if (i0 >= in - 1) { /* torch: h1p = 0, the second tap reads i0 again */
            i0 = in - 1;
            l1 = 0;
        }
        /* Keep both taps inside [start, start+2) even at the right edge. */
        if (i0 == in - 1 && in > 1) {
            c->start[i] = in - 2;
            c->w[i * 2] = 0;
            c->w[i * 2 + 1] = 1;
        } else {
            c->start[i] = i0;
            c->w[i * 2] = 1.0f - l1;
            c->w[i * 2 + 1] = in > 1 ? l1 : 0;
        }
    }
}

static float triangle(double x)
{
    x = fabs(x);
    return x < 1.0 ? (float)(1.0 - x) : 0.0f;
}

/* PIL precompute_coeffs / torch _compute_indices_min_size_weights_aa. */
static void build_aa(vd_tf_coeffs *c, int in, int out)
{
    double scale = (double)in / (double)out;
    double support = scale >= 1.0 ? scale : 1.0;
    double inv = scale >= 1.0 ? 1.0 / scale : 1.0;
    for (int i = 0; i < out; i++) {
        double center = scale * (i + 0.5);
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in)
            xmax = in;
        int n = xmax - xmin;
        if (n > c->ksize)
            n = c->ksize;
        double total = 0;
        float *w = c->w + (size_t)i * c->ksize;
        for (int j = 0; j < n; j++) {
            w[j] = triangle((j + xmin - center + 0.5) * inv);
            total += w[j];
        }
        for (int j = 0; j < n && total > 0; j++)
            w[j] = (float)(w[j] / total);
        /* Pin the window inside the input; zero taps pad the tail. */
        if (xmin + c->ksize > in) {
            int shift = xmin + c->ksize - in;
            if (shift > xmin)
                shift = xmin;
            memmove(w + shift, w, sizeof(float) * (size_t)n);
            memset(w, 0, sizeof(float) * (size_t)shift);
            xmin -= shift;
        }
        c->start[i] = xmin;
    }
}

int vd_tf_coeffs_build(vd_tf_coeffs *c, int in, int out, vd_interp interp,
                       int antialias, vd_error *err)
{
    memset(c, 0, sizeof *c);
    if (in <= 0 || out <= 0)
        return vd_error_set(err, VD_EINVAL, "resize: sizes must be positive (in %d, out %d)", in, out);
    int ksize = 1, rc;
    if (interp == VD_INTERP_BILINEAR && antialias) {
        double scale = (double)in / out;
        double support = scale >= 1.0 ? scale : 1.0;
        ksize = (int)ceil(support) * 2 + 1;
        if (ksize > in)
            ksize = in;
    } else if (interp == VD_INTERP_BILINEAR) {
        ksize = in > 1 ? 2 : 1;
    } else if (interp != VD_INTERP_NEAREST) {
        return vd_error_set(err, VD_EINVAL, "resize: unknown interpolation %d", (int)interp);
    }
    if ((rc = coeffs_alloc(c, out, ksize, err)) < 0)
        return rc;
    if (interp == VD_INTERP_NEAREST)
        build_nearest(c, in, out);
    else if (antialias)
        build_aa(c, in, out);
    else if (ksize == 1) /* a 1-pixel input: every output is that pixel */
        for (int i = 0; i < out; i++)
            c->start[i] = 0, c->w[i] = 1.0f;
    else
        build_bilinear(c, in, out);
    return VD_OK;
}

void vd_tf_coeffs_free(vd_tf_coeffs *c)
{
    free(c->start);
    free(c->w);
    memset(c, 0, sizeof *c);
}

/* The vertical pass is most of the work of a downscale and -O2 does not
 * vectorise uint8 -> float on its own (nor does __builtin_convertvector
 * without SSE4.1), so on x86-64 it widens 16 bytes at a time with SSE2
 * unpacks; other targets use the scalar loops below. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define VD_VPASS_SIMD 16
/* 16 bytes -> 4 x 4 floats */
#define WIDEN16(p, f)                                                                       \
    do {                                                                                    \
        __m128i v_ = _mm_loadu_si128((const __m128i *)(p)), z_ = _mm_setzero_si128();      \
        __m128i lo_ = _mm_unpacklo_epi8(v_, z_), hi_ = _mm_unpackhi_epi8(v_, z_);           \
        f[0] = _mm_cvtepi32_ps(_mm_unpacklo_epi16(lo_, z_));                                \
        f[1] = _mm_cvtepi32_ps(_mm_unpackhi_epi16(lo_, z_));                                \
        f[2] = _mm_cvtepi32_ps(_mm_unpacklo_epi16(hi_, z_));                                \
        f[3] = _mm_cvtepi32_ps(_mm_unpackhi_epi16(hi_, z_));                                \
    } while (0)

/* row[x..x+16) (+)= sum_k w[k] * rows[k][x..x+16) over the whole row; the
 * 1- and 2-tap cases (every plain bilinear row) are spelled out so the
 * accumulators stay in registers. Returns the first x not done. */
static int vpass_sse(const uint8_t *const *rows, const float *w, int nk, int n, int add,
                     float *row)
{
    int x = 0;
    __m128 a[4], b[4];
    const __m128 w0 = _mm_set1_ps(w[0]), w1 = _mm_set1_ps(nk > 1 ? w[1] : 0.0f);
    if (nk == 2 && !add && w[0] == w[1]) {
        /* An exact 2:1 downscale (both taps 0.5): add the bytes as 16-bit
         * integers and convert once; (a + b) * 0.5 is exactly
         * a * 0.5 + b * 0.5 in float, so the result is unchanged. */
        const __m128i z = _mm_setzero_si128();
        for (; x + 16 <= n; x += 16) {
            __m128i u = _mm_loadu_si128((const __m128i *)(rows[0] + x));
            __m128i v = _mm_loadu_si128((const __m128i *)(rows[1] + x));
            __m128i lo = _mm_add_epi16(_mm_unpacklo_epi8(u, z), _mm_unpacklo_epi8(v, z));
            __m128i hi = _mm_add_epi16(_mm_unpackhi_epi8(u, z), _mm_unpackhi_epi8(v, z));
            _mm_storeu_ps(row + x, _mm_mul_ps(_mm_cvtepi32_ps(_mm_unpacklo_epi16(lo, z)), w0));
            _mm_storeu_ps(row + x + 4, _mm_mul_ps(_mm_cvtepi32_ps(_mm_unpackhi_epi16(lo, z)), w0));
            _mm_storeu_ps(row + x + 8, _mm_mul_ps(_mm_cvtepi32_ps(_mm_unpacklo_epi16(hi, z)), w0));
            _mm_storeu_ps(row + x + 12, _mm_mul_ps(_mm_cvtepi32_ps(_mm_unpackhi_epi16(hi, z)), w0));
        }
        return x;
    }
    if (nk <= 2 && !add) {
        for (; x + 16 <= n; x += 16) {
            WIDEN16(rows[0] + x, a);
            if (nk == 2)
                WIDEN16(rows[1] + x, b);
            for (int j = 0; j < 4; j++) {
                __m128 v = _mm_mul_ps(a[j], w0);
                if (nk == 2)
                    v = _mm_add_ps(v, _mm_mul_ps(b[j], w1));
                _mm_storeu_ps(row + x + 4 * j, v);
            }
        }
        return x;
    }
    for (; x + 16 <= n; x += 16) {
        __m128 acc[4];
        for (int j = 0; j < 4; j++)
            acc[j] = add ? _mm_loadu_ps(row + x + 4 * j) : _mm_setzero_ps();
        for (int k = 0; k < nk; k++) {
            __m128 wk = _mm_set1_ps(w[k]);
            WIDEN16(rows[k] + x, a);
            for (int j = 0; j < 4; j++)
                acc[j] = _mm_add_ps(acc[j], _mm_mul_ps(a[j], wk));
        }
        for (int j = 0; j < 4; j++)
            _mm_storeu_ps(row + x + 4 * j, acc[j]);
    }
    return x;
}
#endif

#define VPASS_CHUNK 8 /* taps combined per sweep over the row */

void vd_tf_vpass_u8(const uint8_t *src, ptrdiff_t stride, int n,
                    const vd_tf_coeffs *cy, int y, float *row)
{
    const float *w = cy->w + (size_t)y * cy->ksize;
    const uint8_t *s0 = src + cy->start[y] * stride;
    /* Sweep the taps in chunks, dropping zero weights (exact alignment and
     * edges make many 2-tap rows a plain copy). */
    int first = 1;
    for (int k0 = 0; k0 < cy->ksize; k0 += VPASS_CHUNK) {
        const uint8_t *rows[VPASS_CHUNK];
        float wk[VPASS_CHUNK];
        int nk = 0;
        for (int k = k0; k < cy->ksize && k < k0 + VPASS_CHUNK; k++)
            if (w[k] != 0.0f) {
                rows[nk] = s0 + k * stride;
                wk[nk++] = w[k];
            }
        if (nk == 0)
            continue;
        int x = 0;
#ifdef VD_VPASS_SIMD
        x = vpass_sse(rows, wk, nk, n, !first, row);
#endif
        for (; x < n; x++) {
            float acc = first ? 0.0f : row[x];
            for (int k = 0; k < nk; k++)
                acc += wk[k] * rows[k][x];
            row[x] = acc;
        }
        first = 0;
    }
    if (first) /* all weights zero: cannot happen for valid tables, but stay defined */
        memset(row, 0, sizeof(float) * (size_t)n);
}

void vd_tf_vpass_f32(const float *src, ptrdiff_t stride, int n,
                     const vd_tf_coeffs *cy, int y, float *row)
{
    const float *w = cy->w + (size_t)y * cy->ksize;
    const float *s0 = src + cy->start[y] * stride;
    for (int x = 0; x < n; x++)
        row[x] = w[0] * s0[x];
    for (int k = 1; k < cy->ksize; k++) {
        if (w[k] == 0.0f)
            continue;
        const float *s = s0 + k * stride;
        for (int x = 0; x < n; x++)
            row[x] += w[k] * s[x];
    }
}

void vd_tf_hpass(const float *row, int istep, const vd_tf_coeffs *cx,
                 float *out, int ostep)
{
    const int ks = cx->ksize;
    if (ks == 2) {
        for (int x = 0; x < cx->n; x++) {
            const float *r = row + (size_t)cx->start[x] * istep;
            out[(size_t)x * ostep] = cx->w[2 * x] * r[0] + cx->w[2 * x + 1] * r[istep];
        }
        return;
    }
    for (int x = 0; x < cx->n; x++) {
        const float *r = row + (size_t)cx->start[x] * istep;
        const float *w = cx->w + (size_t)x * ks;
        float acc = 0;
        for (int k = 0; k < ks; k++)
            acc += w[k] * r[k * istep];
        out[(size_t)x * ostep] = acc;
    }
}

void vd_tf_resample_plane(const float *src, int sw, ptrdiff_t sstride,
                          float *dst, ptrdiff_t dstride,
                          const vd_tf_coeffs *cx, const vd_tf_coeffs *cy,
                          float *row)
{
    for (int y = 0; y < cy->n; y++) {
        vd_tf_vpass_f32(src, sstride, sw, cy, y, row);
        vd_tf_hpass(row, 1, cx, dst + y * dstride, 1);
    }
}

double vd_tf_round_half_even(double v)
{
    double r = floor(v + 0.5);
    if (r - v == 0.5 && fmod(r, 2.0) != 0.0)
        r -= 1.0;
    return r;
}
