/* transforms_chain.c -- the per-model preprocessing chain: a uint8 frame
 * goes straight into slot b of the batch tensor in one pass.
 *
 * Per output row: one vertical pass over the needed source rows (all
 * channels at once, uint8 -> float), then one horizontal pass that computes
 * the three output channels of a pixel together and applies the
 * range/mean/std affine, channel order and layout as it stores (SSE2 on
 * x86-64). So a 1280x720 frame never exists as a float image, there is no
 * intermediate resized image, and padding is written in the same sweep.
 * The chain is immutable; weights and the row scratch are per call. */
#include "transforms_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct vd_tf_chain {
    vd_tf_spec spec;
    float a[3], b[3]; /* v = p*a[c] + b[c] per output channel */
};

void vd_tf_spec_default(vd_tf_spec *spec, int width, int height)
{
    memset(spec, 0, sizeof *spec);
    spec->width = width;
    spec->height = height;
    spec->resize = VD_TF_STRETCH;
    spec->interp = VD_INTERP_BILINEAR;
    spec->layout = VD_TF_NCHW;
    spec->order = VD_TF_RGB;
    spec->range = VD_TF_RANGE_01;
    for (int c = 0; c < 3; c++)
        spec->std[c] = 1.0f;
}

static const char *const interp_names[] = {"bilinear", "nearest"};
static const char *const resize_names[] = {"stretch", "letterbox"};
static const char *const layout_names[] = {"nchw", "nhwc"};
static const char *const order_names[] = {"rgb", "bgr"};
static const char *const range_names[] = {"0-1", "0-255"};

#define NAME_OF(tab, v) ((unsigned)(v) < sizeof tab / sizeof tab[0] ? tab[v] : "invalid")
const char *vd_interp_name(vd_interp i) { return NAME_OF(interp_names, i); }
const char *vd_tf_resize_mode_name(vd_tf_resize_mode m) { return NAME_OF(resize_names, m); }
const char *vd_tf_layout_name(vd_tf_layout l) { return NAME_OF(layout_names, l); }
const char *vd_tf_order_name(vd_tf_order o) { return NAME_OF(order_names, o); }
const char *vd_tf_range_name(vd_tf_range r) { return NAME_OF(range_names, r); }

static int parse_enum(const char *const *names, int n, const char *key, const char *v,
                      int *out, vd_error *err)
{
    for (int i = 0; i < n; i++)
        if (!strcasecmp(v, names[i])) {
            *out = i;
            return VD_OK;
        }
    char list[128] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "|" : "", names[i]);
    return vd_error_set(err, VD_EINVAL, "%s: '%s' is not one of %s", key, v, list);
}

static int parse_floats(const char *key, const char *v, float *out, vd_error *err)
{
    float vals[3];
    int n = 0;
    const char *p = v;
    while (n < 3) {
        char *end;
        vals[n] = strtof(p, &end);
        if (end == p || !isfinite(vals[n]))
            break;
        n++;
        while (isspace((unsigned char)*end))
            end++;
        p = end;
        if (*p != ',')
            break;
        p++;
    }
    if (*p != '\0' || (n != 1 && n != 3))
        return vd_error_set(err, VD_EINVAL, "%s: '%s' is not one number or three (a,b,c)", key, v);
    for (int c = 0; c < 3; c++)
        out[c] = vals[n == 1 ? 0 : c];
    return VD_OK;
}

static int parse_size(const char *key, const char *v, int *w, int *h, vd_error *err)
{
    char tail;
    if (sscanf(v, "%dx%d%c", w, h, &tail) != 2 || *w <= 0 || *h <= 0)
        return vd_error_set(err, VD_EINVAL, "%s: '%s' is not WIDTHxHEIGHT", key, v);
    return VD_OK;
}

static int parse_bool(const char *key, const char *v, int *out, vd_error *err)
{
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        return *out = 1, VD_OK;
    if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
        return *out = 0, VD_OK;
    return vd_error_set(err, VD_EINVAL, "%s: '%s' is not a boolean", key, v);
}

int vd_tf_spec_set(vd_tf_spec *spec, const char *key, const char *value,
                   vd_error *err)
{
    char k[32];
    size_t n = 0;
    const char *p = key ? key : "";
    while (*p == '-')
        p++;
    for (; *p && n < sizeof k - 1; p++)
        k[n++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
    k[n] = '\0';
    if (!value)
        return vd_error_set(err, VD_EINVAL, "%s: missing value", key ? key : "(null)");
    int e = 0;
    if (!strcmp(k, "input-size") || !strcmp(k, "size"))
        return parse_size(key, value, &spec->width, &spec->height, err);
    if (!strcmp(k, "resize")) {
        int rc = parse_enum(resize_names, 2, key, value, &e, err);
        return rc < 0 ? rc : (spec->resize = e, VD_OK);
    }
    if (!strcmp(k, "pad-value")) {
        float v[3];
        int rc = parse_floats(key, value, v, err);
        return rc < 0 ? rc : (spec->pad_value = v[0], VD_OK);
    }
    if (!strcmp(k, "interpolation") || !strcmp(k, "interp")) {
        int rc = parse_enum(interp_names, 2, key, value, &e, err);
        return rc < 0 ? rc : (spec->interp = e, VD_OK);
    }
    if (!strcmp(k, "antialias"))
        return parse_bool(key, value, &spec->antialias, err);
    if (!strcmp(k, "layout")) {
        int rc = parse_enum(layout_names, 2, key, value, &e, err);
        return rc < 0 ? rc : (spec->layout = e, VD_OK);
    }
    if (!strcmp(k, "channels")) {
        int rc = parse_enum(order_names, 2, key, value, &e, err);
        return rc < 0 ? rc : (spec->order = e, VD_OK);
    }
    if (!strcmp(k, "range")) {
        int rc = parse_enum(range_names, 2, key, value, &e, err);
        return rc < 0 ? rc : (spec->range = e, VD_OK);
    }
    if (!strcmp(k, "mean"))
        return parse_floats(key, value, spec->mean, err);
    if (!strcmp(k, "std"))
        return parse_floats(key, value, spec->std, err);
    return vd_error_set(err, VD_EINVAL, "unknown preprocessing setting '%s' (value '%s')", key, value);
}

int vd_tf_spec_validate(const vd_tf_spec *s, vd_error *err)
{
    if (s->width < 1 || s->height < 1 || s->width > 16384 || s->height > 16384)
        return vd_error_set(err, VD_EINVAL, "input size %dx%d out of range 1..16384", s->width, s->height);
    if ((unsigned)s->resize > VD_TF_LETTERBOX || (unsigned)s->interp > VD_INTERP_NEAREST ||
        (unsigned)s->layout > VD_TF_NHWC || (unsigned)s->order > VD_TF_BGR ||
        (unsigned)s->range > VD_TF_RANGE_255)
        return vd_error_set(err, VD_EINVAL, "preprocessing spec has an out-of-range enum value");
    for (int c = 0; c < 3; c++)
        if (s->std[c] == 0.0f || !isfinite(s->std[c]) || !isfinite(s->mean[c]))
            return vd_error_set(err, VD_EINVAL, "std[%d] = %g, mean[%d] = %g: std must be non-zero, both finite",
                                c, s->std[c], c, s->mean[c]);
    if (!isfinite(s->pad_value))
        return vd_error_set(err, VD_EINVAL, "pad_value is not finite");
    return VD_OK;
}

const char *vd_tf_spec_str(const vd_tf_spec *s, char *buf, size_t n)
{
    char pad[32] = "";
    if (s->resize == VD_TF_LETTERBOX)
        snprintf(pad, sizeof pad, "(%g)", s->pad_value);
    snprintf(buf, n, "%dx%d %s%s %s%s %s %s %s mean=%g,%g,%g std=%g,%g,%g", s->width, s->height,
             vd_tf_resize_mode_name(s->resize), pad, vd_interp_name(s->interp),
             s->antialias ? "+aa" : "", vd_tf_layout_name(s->layout), vd_tf_order_name(s->order),
             vd_tf_range_name(s->range), s->mean[0], s->mean[1], s->mean[2], s->std[0], s->std[1],
             s->std[2]);
    return buf;
}

int vd_tf_geom_compute(const vd_tf_spec *spec, int src_w, int src_h,
                       vd_tf_geom *g, vd_error *err)
{
    if (src_w <= 0 || src_h <= 0)
        return vd_error_set(err, VD_EINVAL, "preprocess: empty source image %dx%d", src_w, src_h);
    memset(g, 0, sizeof *g);
    g->src_w = src_w, g->src_h = src_h;
    g->dst_w = spec->width, g->dst_h = spec->height;
    g->content_w = spec->width, g->content_h = spec->height;
    if (spec->resize == VD_TF_LETTERBOX) {
        double r = fmin((double)spec->width / src_w, (double)spec->height / src_h);
        g->content_w = (int)fmax(1, fmin(spec->width, vd_tf_round_half_even(src_w * r)));
        g->content_h = (int)fmax(1, fmin(spec->height, vd_tf_round_half_even(src_h * r)));
        g->pad_x = (float)((spec->width - g->content_w) / 2);
        g->pad_y = (float)((spec->height - g->content_h) / 2);
    }
    g->scale_x = (float)g->content_w / src_w;
    g->scale_y = (float)g->content_h / src_h;
    return VD_OK;
}

int vd_tf_chain_create(vd_tf_chain **chain, const vd_tf_spec *spec, vd_error *err)
{
    *chain = NULL;
    int rc = vd_tf_spec_validate(spec, err);
    if (rc < 0)
        return rc;
    vd_tf_chain *c = calloc(1, sizeof *c);
    if (!c)
        return vd_error_set(err, VD_ENOMEM, "preprocess: out of memory");
    c->spec = *spec;
    float k = spec->range == VD_TF_RANGE_01 ? 1.0f / 255.0f : 1.0f;
    for (int i = 0; i < 3; i++) {
        c->a[i] = k / spec->std[i];
        c->b[i] = -spec->mean[i] / spec->std[i];
    }
    *chain = c;
    return VD_OK;
}

void vd_tf_chain_free(vd_tf_chain **chain)
{
    if (chain && *chain) {
        free(*chain);
        *chain = NULL;
    }
}

const vd_tf_spec *vd_tf_chain_spec(const vd_tf_chain *chain)
{
    return &chain->spec;
}

int vd_tf_image_from_tensor(const vd_tensor *t, vd_tf_image *img, vd_error *err)
{
    if (!t || !t->data || t->dtype != VD_DTYPE_U8 || t->ndim != 3 ||
        (t->shape[2] != 1 && t->shape[2] != 3 && t->shape[2] != 4) || t->shape[0] <= 0 ||
        t->shape[1] <= 0) {
        char buf[96];
        return vd_error_set(err, VD_EINVAL, "image: expected uint8 [H,W,1|3|4], got %s %s",
                            t ? vd_dtype_name(t->dtype) : "NULL",
                            t ? vd_tensor_shape_str(t, buf, sizeof buf) : "");
    }
    img->data = t->data;
    img->height = (int)t->shape[0];
    img->width = (int)t->shape[1];
    img->linesize = (int)(t->shape[1] * t->shape[2]);
    img->fmt = t->shape[2] == 1 ? VD_PIX_GRAY8 : t->shape[2] == 3 ? VD_PIX_RGB24 : VD_PIX_RGBA;
    return VD_OK;
}

/* ---- running the chain --------------------------------------------------- */

/* Everything one run needs, resolved once. */
typedef struct run_ctx {
    const vd_tf_chain *ch;
    int W, H, bpp;
    int map[3];   /* output channel c reads source byte map[c] of a pixel */
    float pad[3]; /* normalised pad value per output channel */
    int u8;       /* uint8 batch */
    void *slot;
} run_ctx;

static int check_batch(const vd_tf_chain *ch, const vd_tensor *t, int64_t b, void **slot,
                       vd_error *err)
{
    const vd_tf_spec *s = &ch->spec;
    char buf[96];
    int nd = t ? t->ndim : 0, off = nd - 3;
    int ok = t && t->data && (nd == 3 || nd == 4) &&
             (t->dtype == VD_DTYPE_F32 || t->dtype == VD_DTYPE_U8);
    if (ok) {
        const int64_t *sh = t->shape + off;
        ok = s->layout == VD_TF_NCHW ? (sh[0] == 3 && sh[1] == s->height && sh[2] == s->width)
                                     : (sh[0] == s->height && sh[1] == s->width && sh[2] == 3);
    }
    if (!ok)
        return vd_error_set(err, VD_EINVAL, "preprocess: batch tensor %s %s does not fit %dx%d %s",
                            t ? vd_dtype_name(t->dtype) : "NULL",
                            t ? vd_tensor_shape_str(t, buf, sizeof buf) : "", s->width, s->height,
                            vd_tf_layout_name(s->layout));
    int64_t nb = off ? t->shape[0] : 1;
    if (b < 0 || b >= nb)
        return vd_error_set(err, VD_ERANGE, "preprocess: slot %lld out of range (batch of %lld)",
                            (long long)b, (long long)nb);
    if (t->dtype == VD_DTYPE_U8 &&
        (s->range != VD_TF_RANGE_255 || s->mean[0] || s->mean[1] || s->mean[2] ||
         s->std[0] != 1 || s->std[1] != 1 || s->std[2] != 1))
        return vd_error_set(err, VD_EINVAL,
                            "preprocess: a uint8 batch needs range 0-255, mean 0 and std 1");
    *slot = (char *)t->data + (size_t)b * 3 * s->width * s->height * vd_dtype_size(t->dtype);
    return VD_OK;
}

static int check_source(const vd_tf_image *src, int *bpp, vd_error *err)
{
    if (!src || !src->data || src->width <= 0 || src->height <= 0)
        return vd_error_set(err, VD_EINVAL, "preprocess: empty or invalid source image");
    /* Packed uint8 formats only: native frames and planar float are the
     * reader's business, not a chain source. */
    *bpp = vd_pixfmt_bytes(src->fmt);
    if (!*bpp)
        return vd_error_set(err, VD_EINVAL, "preprocess: source pixel format %s is not a packed "
                            "uint8 format (rgb24, bgr24, gray, rgba)", vd_pixfmt_name(src->fmt));
    if (src->linesize < src->width * *bpp)
        return vd_error_set(err, VD_EINVAL, "preprocess: linesize %d < %d for a %d px wide image",
                            src->linesize, src->width * *bpp, src->width);
    return VD_OK;
}

/* Store one output pixel run: vals holds n pixels x 3 channels (output
 * order) already normalised; x0 is the first output column. */
static void store_run(const run_ctx *r, int y, int x0, int n, const float *vals)
{
    size_t plane = (size_t)r->W * r->H;
    size_t base = (size_t)y * r->W + x0;
    if (r->u8) {
        uint8_t *d = r->slot;
        for (int i = 0; i < n * 3; i++) {
            float v = vals[i] + 0.5f;
            uint8_t q = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
            if (r->ch->spec.layout == VD_TF_NHWC)
                d[base * 3 + i] = q;
            else
                d[(size_t)(i % 3) * plane + base + i / 3] = q;
        }
        return;
    }
    float *d = r->slot;
    if (r->ch->spec.layout == VD_TF_NHWC) {
        memcpy(d + base * 3, vals, sizeof(float) * 3 * (size_t)n);
        return;
    }
    float *p0 = d + base, *p1 = p0 + plane, *p2 = p1 + plane;
    for (int i = 0; i < n; i++) {
        p0[i] = vals[3 * i];
        p1[i] = vals[3 * i + 1];
        p2[i] = vals[3 * i + 2];
    }
}

static void fill_floats(float *d, int n, float v);

static void store_pad(const run_ctx *r, int y, int x0, int n, float *scratch)
{
    if (!r->u8 && r->ch->spec.layout == VD_TF_NCHW) { /* the common case: three runs */
        size_t plane = (size_t)r->W * r->H;
        float *d = (float *)r->slot + (size_t)y * r->W + x0;
        for (int c = 0; c < 3; c++, d += plane)
            fill_floats(d, n, r->pad[c]);
        return;
    }
    for (int i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            scratch[3 * i + c] = r->pad[c];
    store_run(r, y, x0, n, scratch);
}

/* Horizontal pass of the three output channels of one content row, fused
 * with the affine and the store (the hot loop of every chain run). */
static void hpass_store(const run_ctx *r, const float *row, const vd_tf_coeffs *cx, int y, int x0,
                        int xbeg)
{
    const int bpp = r->bpp, ks = cx->ksize, m0 = r->map[0], m1 = r->map[1], m2 = r->map[2];
    const float *a = r->ch->a, *b = r->ch->b;
    const size_t plane = (size_t)r->W * r->H, base = (size_t)y * r->W + x0;
    const int nhwc = r->ch->spec.layout == VD_TF_NHWC;
    float *f = r->u8 ? NULL : (float *)r->slot;
    for (int x = xbeg; x < cx->n; x++) {
        const float *p = row + (size_t)cx->start[x] * bpp, *w = cx->w + (size_t)x * ks;
        float v0, v1, v2;
        if (ks == 2) {
            v0 = w[0] * p[m0] + w[1] * p[bpp + m0];
            v1 = w[0] * p[m1] + w[1] * p[bpp + m1];
            v2 = w[0] * p[m2] + w[1] * p[bpp + m2];
        } else {
            v0 = v1 = v2 = 0;
            for (int k = 0; k < ks; k++, p += bpp) {
                v0 += w[k] * p[m0];
                v1 += w[k] * p[m1];
                v2 += w[k] * p[m2];
            }
        }
        v0 = v0 * a[0] + b[0];
        v1 = v1 * a[1] + b[1];
        v2 = v2 * a[2] + b[2];
        if (f && !nhwc) {
            f[base + x] = v0;
            f[plane + base + x] = v1;
            f[2 * plane + base + x] = v2;
        } else if (f) {
            float *d = f + (base + x) * 3;
            d[0] = v0, d[1] = v1, d[2] = v2;
        } else {
            float v[3] = {v0, v1, v2};
            store_run(r, y, x0 + x, 1, v);
        }
    }
}

#if defined(__SSE2__)
#include <emmintrin.h>
/* One output pixel (R,G,B,spare) of a row with bpp >= 3 floats per pixel:
 * a single unaligned load picks up a whole source pixel, so each tap is one
 * multiply-add for all channels. */
static inline __attribute__((always_inline)) __m128
hpix(const float *row, const vd_tf_coeffs *cx, int x, int bpp, int ks)
{
    const float *p = row + (size_t)cx->start[x] * bpp, *w = cx->w + (size_t)x * ks;
    __m128 acc = _mm_mul_ps(_mm_loadu_ps(p), _mm_set1_ps(w[0]));
    if (ks == 2)
        return _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(p + bpp), _mm_set1_ps(w[1])));
    for (int k = 1; k < ks; k++)
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(p + k * bpp), _mm_set1_ps(w[k])));
    return acc;
}

/* The same for float batches from 3- or 4-byte pixels, 4 outputs at a time;
 * a 4x4 transpose gives the R, G and B runs for nchw. Returns the first
 * column not done (the scalar pass finishes the row). */
static int hpass_store_sse(const run_ctx *r, const float *row, const vd_tf_coeffs *cx, int y,
                           int x0)
{
    if (r->u8 || r->bpp < 3)
        return 0;
    const int bpp = r->bpp, ks = cx->ksize, nhwc = r->ch->spec.layout == VD_TF_NHWC;
    const size_t plane = (size_t)r->W * r->H, base = (size_t)y * r->W + x0;
    const __m128 a = _mm_setr_ps(r->ch->a[0], r->ch->a[1], r->ch->a[2], 0);
    const __m128 b = _mm_setr_ps(r->ch->b[0], r->ch->b[1], r->ch->b[2], 0);
    const int swap = r->map[0] == 2; /* output channel c shows source byte 2-c */
    float *f = r->slot;
    int x = 0;
    for (; x + 4 <= cx->n; x += 4) {
        __m128 p0 = hpix(row, cx, x, bpp, ks), p1 = hpix(row, cx, x + 1, bpp, ks);
        __m128 p2 = hpix(row, cx, x + 2, bpp, ks), p3 = hpix(row, cx, x + 3, bpp, ks);
        if (swap) {
            p0 = _mm_shuffle_ps(p0, p0, _MM_SHUFFLE(3, 0, 1, 2));
            p1 = _mm_shuffle_ps(p1, p1, _MM_SHUFFLE(3, 0, 1, 2));
            p2 = _mm_shuffle_ps(p2, p2, _MM_SHUFFLE(3, 0, 1, 2));
            p3 = _mm_shuffle_ps(p3, p3, _MM_SHUFFLE(3, 0, 1, 2));
        }
        p0 = _mm_add_ps(_mm_mul_ps(p0, a), b);
        p1 = _mm_add_ps(_mm_mul_ps(p1, a), b);
        p2 = _mm_add_ps(_mm_mul_ps(p2, a), b);
        p3 = _mm_add_ps(_mm_mul_ps(p3, a), b);
        if (nhwc) {
            float tmp[16], *d = f + (base + x) * 3;
            _mm_storeu_ps(tmp, p0);
            _mm_storeu_ps(tmp + 4, p1);
            _mm_storeu_ps(tmp + 8, p2);
            _mm_storeu_ps(tmp + 12, p3);
            for (int j = 0; j < 4; j++)
                memcpy(d + 3 * j, tmp + 4 * j, 3 * sizeof(float));
            continue;
        }
        _MM_TRANSPOSE4_PS(p0, p1, p2, p3);
        _mm_storeu_ps(f + base + x, p0);
        _mm_storeu_ps(f + plane + base + x, p1);
        _mm_storeu_ps(f + 2 * plane + base + x, p2);
    }
    return x;
}

/* n copies of v at d (the padding runs of nchw planes). */
static void fill_floats(float *d, int n, float v)
{
    int i = 0;
    __m128 vv = _mm_set1_ps(v);
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(d + i, vv);
    for (; i < n; i++)
        d[i] = v;
}
#else
static int hpass_store_sse(const run_ctx *r, const float *row, const vd_tf_coeffs *cx, int y,
                           int x0)
{
    (void)r, (void)row, (void)cx, (void)y, (void)x0;
    return 0;
}

static void fill_floats(float *d, int n, float v)
{
    for (int i = 0; i < n; i++)
        d[i] = v;
}
#endif

static void setup_run(run_ctx *r, const vd_tf_chain *ch, const vd_tf_image *src, int bpp)
{
    const vd_tf_spec *s = &ch->spec;
    r->ch = ch;
    r->W = s->width, r->H = s->height, r->bpp = bpp;
    int rgb[3] = {0, 1, 2};
    if (src->fmt == VD_PIX_BGR24)
        rgb[0] = 2, rgb[2] = 0;
    if (src->fmt == VD_PIX_GRAY8)
        rgb[0] = rgb[1] = rgb[2] = 0;
    for (int c = 0; c < 3; c++) {
        int from = s->order == VD_TF_BGR ? 2 - c : c; /* output c shows colour `from` */
        r->map[c] = rgb[from];
        r->pad[c] = s->pad_value * ch->a[c] + ch->b[c];
    }
}

int vd_tf_chain_run(const vd_tf_chain *ch, const vd_tf_image *src,
                    vd_tensor *batch, int64_t b, vd_tf_geom *geom, vd_error *err)
{
    run_ctx r = {0};
    vd_tf_geom g;
    int bpp = 0, rc;
    if ((rc = check_source(src, &bpp, err)) < 0 ||
        (rc = check_batch(ch, batch, b, &r.slot, err)) < 0 ||
        (rc = vd_tf_geom_compute(&ch->spec, src->width, src->height, &g, err)) < 0)
        return rc;
    r.u8 = batch->dtype == VD_DTYPE_U8;
    setup_run(&r, ch, src, bpp);
    vd_tf_coeffs cx, cy;
    if ((rc = vd_tf_coeffs_build(&cx, src->width, g.content_w, ch->spec.interp,
                                 ch->spec.antialias, err)) < 0)
        return rc;
    if ((rc = vd_tf_coeffs_build(&cy, src->height, g.content_h, ch->spec.interp,
                                 ch->spec.antialias, err)) < 0) {
        vd_tf_coeffs_free(&cx);
        return rc;
    }
    size_t rowlen = (size_t)src->width * bpp;
    /* +4: the SSE horizontal pass loads a whole 4-float pixel past the last */
    float *row = malloc(sizeof(float) * (rowlen + 4 + 3 * (size_t)r.W));
    if (!row) {
        rc = vd_error_set(err, VD_ENOMEM, "preprocess: out of memory");
        goto done;
    }
    float *out = row + rowlen + 4;
    memset(row + rowlen, 0, 4 * sizeof(float)); /* the spare lane reads zeros, not junk */
    int px = (int)g.pad_x, py = (int)g.pad_y;
    for (int y = 0; y < r.H; y++) {
        int cy_i = y - py;
        if (cy_i < 0 || cy_i >= g.content_h) {
            store_pad(&r, y, 0, r.W, out);
            continue;
        }
        vd_tf_vpass_u8(src->data, src->linesize, (int)rowlen, &cy, cy_i, row);
        hpass_store(&r, row, &cx, y, px, hpass_store_sse(&r, row, &cx, y, px));
        if (px > 0)
            store_pad(&r, y, 0, px, out);
        if (px + g.content_w < r.W)
            store_pad(&r, y, px + g.content_w, r.W - px - g.content_w, out);
    }
    if (geom)
        *geom = g;
done:
    free(row);
    vd_tf_coeffs_free(&cx);
    vd_tf_coeffs_free(&cy);
    return rc;
}
