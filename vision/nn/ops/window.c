/* window.c -- the sliding-window geometry of window.h: ONNX's window
 * attributes parsed and checked once per node, then resolved per input
 * shape (auto_pad, ceil_mode, ConvTranspose's output_shape) into three
 * spatial dims. Everything here is arithmetic on shapes, never on data,
 * except vd_nn_pad_plane's copy. */
#include <string.h>

#include "window.h"

static int parse_ints(const vd_nn_node *n, const char *name, int max, int64_t minv,
                      int64_t *dst, int *cnt, vd_error *err)
{
    const int64_t *v;
    int c = vd_nn_attr_ints(n, name, &v);
    if (c > max)
        return vd_error_set(err, VD_EUNSUPPORTED,
                            "attribute %s has %d values; at most %d are supported "
                            "(1-D to 3-D windows)", name, c, max);
    for (int i = 0; i < c; i++) {
        if (v[i] < minv)
            return vd_error_set(err, VD_EINVAL, "attribute %s[%d] = %lld must be >= %lld",
                                name, i, (long long)v[i], (long long)minv);
        dst[i] = v[i];
    }
    *cnt = c;
    return VD_OK;
}

int vd_nn_window_parse(const vd_nn_node *n, vd_nn_window *w, vd_error *err)
{
    memset(w, 0, sizeof *w);
    int rc = parse_ints(n, "kernel_shape", 3, 1, w->k, &w->nk, err);
    if (!rc) rc = parse_ints(n, "strides", 3, 1, w->s, &w->ns, err);
    if (!rc) rc = parse_ints(n, "dilations", 3, 1, w->d, &w->nd, err);
    if (!rc) rc = parse_ints(n, "pads", 6, 0, w->pads, &w->np, err);
    if (!rc) rc = parse_ints(n, "output_padding", 3, 0, w->opad, &w->nop, err);
    if (!rc) rc = parse_ints(n, "output_shape", 5, 1, w->oshape, &w->nos, err);
    if (rc)
        return rc;
    const char *ap = vd_nn_attr_string(n, "auto_pad", "NOTSET");
    static const char *const modes[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    int found = 0;
    for (int i = 0; i < 4; i++)
        if (!strcmp(ap, modes[i])) {
            w->autopad = (vd_nn_autopad)i;
            found = 1;
        }
    if (!found)
        return vd_error_set(err, VD_EINVAL, "attribute auto_pad = \"%s\" is not one of "
                            "NOTSET, SAME_UPPER, SAME_LOWER, VALID", ap);
    w->ceil_mode = vd_nn_attr_int(n, "ceil_mode", 0) != 0;
    return VD_OK;
}

static int count_ok(int have, int want, const char *name, vd_error *err)
{
    if (have && have != want)
        return vd_error_set(err, VD_EINVAL, "attribute %s has %d values, the input has %d "
                            "spatial dims", name, have, want);
    return VD_OK;
}

/* Output size and pads of one spatial dim (index i of nsp). */
static void geom_dim(const vd_nn_window *w, vd_nn_window_kind kind, int i, int nsp,
                     vd_nn_geom *g, int D)
{
    int64_t in = g->in[D], s = g->s[D], dk = (g->k[D] - 1) * g->d[D] + 1;
    int64_t pb = w->np ? w->pads[i] : 0, pe = w->np ? w->pads[i + nsp] : 0;
    int same = w->autopad == VD_NN_PAD_SAME_UPPER || w->autopad == VD_NN_PAD_SAME_LOWER;
    if (kind == VD_NN_WIN_CONVT) {
        int64_t opad = w->nop ? w->opad[i] : 0;
        if (w->nos || same) {
            int64_t target = w->nos ? w->oshape[i] : in * s;
            int64_t total = s * (in - 1) + opad + dk - target;
            /* floor(total / 2): a negative total (an output_shape past the
             * natural size) extends the tail, as onnxruntime does */
            int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
            pb = w->autopad == VD_NN_PAD_SAME_UPPER ? half : total - half;
            pe = total - pb;
        } else if (w->autopad == VD_NN_PAD_VALID) {
            pb = pe = 0;
        }
        g->out[D] = s * (in - 1) + opad + dk - pb - pe;
    } else {
        if (same) {
            int64_t out = (in + s - 1) / s;
            int64_t total = (out - 1) * s + dk - in;
            total = total < 0 ? 0 : total;
            pb = w->autopad == VD_NN_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            pe = total - pb;
        } else if (w->autopad == VD_NN_PAD_VALID) {
            pb = pe = 0;
        }
        int64_t span = in + pb + pe - dk;
        if (span < 0) {
            g->out[D] = 0;
        } else if (kind == VD_NN_WIN_POOL && w->ceil_mode) {
            g->out[D] = (span + s - 1) / s + 1;
            /* The last window must start inside the input or left pad. */
            if ((g->out[D] - 1) * s >= in + pb)
                g->out[D]--;
        } else {
            g->out[D] = span / s + 1;
        }
    }
    g->pb[D] = pb;
    g->pe[D] = pe;
}

int vd_nn_window_geom(const vd_nn_window *w, vd_nn_window_kind kind, int nsp,
                      const int64_t *in_sp, const int64_t *k_sp, vd_nn_geom *g,
                      vd_error *err)
{
    if (nsp < 1 || nsp > 3)
        return vd_error_set(err, VD_EUNSUPPORTED, "input has %d spatial dims; 1 to 3 are "
                            "supported", nsp);
    int rc = count_ok(w->nk, nsp, "kernel_shape", err);
    if (!rc) rc = count_ok(w->ns, nsp, "strides", err);
    if (!rc) rc = count_ok(w->nd, nsp, "dilations", err);
    if (!rc) rc = count_ok(w->np, 2 * nsp, "pads", err);
    if (!rc) rc = count_ok(w->nop, nsp, "output_padding", err);
    if (rc)
        return rc;
    vd_nn_window wl = *w;
    if (wl.nos == nsp + 2) {  /* a full [N, C, spatial...] output_shape */
        memmove(wl.oshape, wl.oshape + 2, sizeof(int64_t) * (size_t)nsp);
        wl.nos = nsp;
    }
    if ((rc = count_ok(wl.nos, nsp, "output_shape", err)))
        return rc;
    w = &wl;
    if (!k_sp && !w->nk)
        return vd_error_set(err, VD_EINVAL, "attribute kernel_shape is required");
    for (int D = 0; D < 3; D++) {
        g->in[D] = g->out[D] = g->k[D] = g->s[D] = g->d[D] = 1;
        g->pb[D] = g->pe[D] = 0;
    }
    for (int i = 0, off = 3 - nsp; i < nsp; i++) {
        int D = off + i;
        g->in[D] = in_sp[i];
        g->k[D] = k_sp ? k_sp[i] : w->k[i];
        if (g->k[D] < 1)
            return vd_error_set(err, VD_EINVAL, "kernel dim %d is %lld; it must be >= 1", i,
                                (long long)g->k[D]);
        if (k_sp && w->nk && w->k[i] != k_sp[i])
            return vd_error_set(err, VD_EINVAL, "kernel_shape[%d] = %lld but the weights "
                                "have %lld", i, (long long)w->k[i], (long long)k_sp[i]);
        g->s[D] = w->ns ? w->s[i] : 1;
        g->d[D] = w->nd ? w->d[i] : 1;
        geom_dim(w, kind, i, nsp, g, D);
        if (g->out[D] <= 0)
            return vd_error_set(err, VD_EINVAL, "spatial dim %d: input %lld, kernel %lld "
                                "gives an empty output", i, (long long)in_sp[i],
                                (long long)g->k[D]);
    }
    return VD_OK;
}

void vd_nn_tap_range(int64_t off, int64_t s, int64_t n, int64_t limit, int64_t *lo,
                     int64_t *hi)
{
    int64_t l = off >= 0 ? 0 : (-off + s - 1) / s;
    int64_t h = limit - off <= 0 ? 0 : (limit - off - 1) / s + 1;
    h = h > n ? n : h;
    *lo = l > h ? h : l;
    *hi = h;
}

/* The hp x wp window extent of a 2-D plane x with its zero padding: row r,
 * column c of xp is x[r - pb1][c - pb2], or 0 outside the input. */
void vd_nn_pad_plane(const vd_nn_geom *g, int64_t hp, int64_t wp, const float *x,
                      float *xp)
{
    int64_t H = g->in[1], W = g->in[2];
    /* input columns [c0, c1) land at padded columns [c0 + pb, c1 + pb) */
    int64_t pl = g->pb[2], c0 = pl < 0 ? -pl : 0, c1 = wp - pl < W ? wp - pl : W;
    memset(xp, 0, (size_t)(hp * wp) * sizeof(float));
    for (int64_t r = 0; r < hp; r++) {
        int64_t ih = r - g->pb[1];
        if (ih >= 0 && ih < H && c1 > c0)
            memcpy(xp + r * wp + c0 + pl, x + ih * W + c0, (size_t)(c1 - c0) * sizeof(float));
    }
}
