/* detect_ssd.c -- anchor-based SSD decoding, MediaPipe BlazeFace style.
 *
 * Anchors follow MediaPipe's SsdAnchorsCalculator with fixed_anchor_size:
 * layers are grouped while their stride repeats, each group is one
 * feature map of ceil(input/stride) cells, emitting per cell
 * anchors_per_layer anchors for every layer of the group (for BlazeFace
 * front: 16x16x2 + 8x8x6 = 896). The regressors are relative to the
 * anchor centre in input pixels (MediaPipe's x_scale = y_scale = w_scale
 * = h_scale = input size), so
 *   cx = ax*W + dx,  cy = ay*H + dy,  w = dw,  h = dh   (input pixels).
 * Overlap removal is MediaPipe's weighted NMS: candidates are taken in
 * score order, everything overlapping the best by IoU >= iou is blended
 * into it (coordinates weighted by score, score = the best one's). */
#include "detect_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int det_ssd_anchors(vd_detector *d, vd_error *err)
{
    const vd_ssd_opts *s = &d->o.ssd;
    int total = 0;
    for (int pass = 0; pass < 2; pass++) {
        int n = 0;
        for (int l = 0; l < s->n_strides;) {
            int st = s->strides[l], per = 0;
            if (st <= 0)
                return vd_error_set(err, VD_EINVAL, "ssd: stride %d is not positive", st);
            while (l < s->n_strides && s->strides[l] == st) {
                per += s->anchors_per_layer;
                l++;
            }
            int fw = (d->o.input_w + st - 1) / st, fh = (d->o.input_h + st - 1) / st;
            for (int y = 0; y < fh; y++)
                for (int x = 0; x < fw; x++)
                    for (int a = 0; a < per; a++, n++)
                        if (pass) {
                            d->anchors[n][0] = (x + s->anchor_offset) / (float)fw;
                            d->anchors[n][1] = (y + s->anchor_offset) / (float)fh;
                        }
        }
        if (!pass) {
            total = n;
            d->anchors = malloc((size_t)(total ? total : 1) * sizeof *d->anchors);
            if (!d->anchors)
                return vd_error_set(err, VD_ENOMEM, "ssd: out of memory");
        }
    }
    d->n_anchors = total;
    return VD_OK;
}

/* Collect score and regressor outputs (in output order) and check that
 * they cover the anchors. */
static int ssd_split(const vd_detector *d, const vd_tensor *o, int n, int b, const vd_tensor **sc,
                     const vd_tensor **rg, int *ns, int *nr, int *width, vd_error *err)
{
    int64_t tot_s = 0, tot_r = 0;
    *ns = *nr = 0;
    *width = 0;
    for (int i = 0; i < n; i++) {
        const vd_tensor *t = &o[i];
        if (t->dtype != VD_DTYPE_F32 || t->ndim != 3 || b >= t->shape[0])
            return vd_error_set(err, VD_EINVAL,
                                "ssd: output %d must be float32 [B,N,1] scores or [B,N,4+2K] "
                                "regressors with batch > %d", i, b);
        if (t->shape[2] == 1) {
            sc[(*ns)++] = t;
            tot_s += t->shape[1];
        } else {
            if (*width && t->shape[2] != *width)
                return vd_error_set(err, VD_EINVAL, "ssd: regressor outputs differ in width");
            *width = (int)t->shape[2];
            rg[(*nr)++] = t;
            tot_r += t->shape[1];
        }
    }
    if (!*ns || *width < 4 || (*width - 4) % 2 || (*width - 4) / 2 > VD_DET_MAX_KEYPOINTS)
        return vd_error_set(err, VD_EINVAL,
                            "ssd: need score outputs [B,N,1] and regressors [B,N,4+2K] (K <= %d)",
                            VD_DET_MAX_KEYPOINTS);
    if (tot_s != d->n_anchors || tot_r != d->n_anchors)
        return vd_error_set(err, VD_EINVAL,
                            "ssd: %lld scores and %lld regressors but the anchor options give %d "
                            "anchors (check ssd strides for input %dx%d)",
                            (long long)tot_s, (long long)tot_r, d->n_anchors, d->o.input_w,
                            d->o.input_h);
    return VD_OK;
}

/* Value j of anchor a's row in the concatenation of outputs t[0..n). */
static const float *ssd_row(const vd_tensor **t, int n, int b, int64_t a)
{
    for (int i = 0; i < n; i++) {
        int64_t rows = t[i]->shape[1], w = t[i]->shape[2];
        if (a < rows)
            return (const float *)t[i]->data + ((int64_t)b * rows + a) * w;
        a -= rows;
    }
    return NULL;
}

static int ssd_candidate(const vd_detector *d, const float *r, int nk, const float *anc,
                         float score, vd_det_list *out, vd_error *err)
{
    float W = (float)d->o.input_w, H = (float)d->o.input_h;
    float cx = anc[0] * W + r[0], cy = anc[1] * H + r[1];
    vd_detection x;
    memset(&x, 0, sizeof x);
    det_set_label(d, &x, 0);
    x.score = score;
    x.box[0] = cx - r[2] / 2;
    x.box[1] = cy - r[3] / 2;
    x.box[2] = cx + r[2] / 2;
    x.box[3] = cy + r[3] / 2;
    if (d->o.ssd.n_keypoints > 0 && d->o.ssd.n_keypoints < nk)
        nk = d->o.ssd.n_keypoints;
    x.n_keypoints = nk;
    for (int k = 0; k < nk; k++) {
        x.keypoints[k][0] = anc[0] * W + r[4 + 2 * k];
        x.keypoints[k][1] = anc[1] * H + r[5 + 2 * k];
    }
    return vd_det_list_push(out, &x, err);
}

static float box_iou(const float *a, const float *b)
{
    float iw = fminf(a[2], b[2]) - fmaxf(a[0], b[0]);
    float ih = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    if (iw <= 0 || ih <= 0)
        return 0;
    float inter = iw * ih;
    float u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return u > 0 ? inter / u : 0;
}

/* MediaPipe WEIGHTED overlap removal over a score-sorted list. */
static void weighted_nms(vd_det_list *l, float iou)
{
    int n = 0;
    for (int i = 0; i < l->count; i++) {
        vd_detection *best = &l->items[i];
        if (best->score < 0)
            continue;
        vd_detection acc = *best;
        double wsum = best->score, sum[4 + 2 * VD_DET_MAX_KEYPOINTS] = {0};
        int nv = 4 + 2 * best->n_keypoints;
        for (int j = i; j < l->count; j++) {
            vd_detection *o = &l->items[j];
            if (o->score < 0 || (j > i && box_iou(best->box, o->box) < iou))
                continue;
            if (j > i)
                wsum += o->score;
            for (int v = 0; v < nv; v++)
                sum[v] += o->score * (v < 4 ? o->box[v] : o->keypoints[(v - 4) / 2][(v - 4) % 2]);
            if (j > i)
                o->score = -1;
        }
        for (int v = 0; v < nv; v++) {
            float m = (float)(sum[v] / wsum);
            if (v < 4)
                acc.box[v] = m;
            else
                acc.keypoints[(v - 4) / 2][(v - 4) % 2] = m;
        }
        l->items[n++] = acc;
    }
    l->count = n;
}

int det_decode_ssd(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
                   vd_error *err)
{
    const vd_tensor *sc[16], *rg[16];
    int ns, nr, width;
    if (n > 16 || n < 2)
        return vd_error_set(err, VD_EINVAL, "ssd: %d outputs (expected 2 to 16)", n);
    int rc = ssd_split(d, o, n, b, sc, rg, &ns, &nr, &width, err);
    if (rc)
        return rc;
    /* score threshold on the logit avoids a sigmoid per anchor */
    float thr = d->o.threshold;
    float logit = thr <= 0 ? -INFINITY : thr >= 1 ? INFINITY : logf(thr / (1 - thr));
    for (int64_t a = 0; a < d->n_anchors; a++) {
        float s = *ssd_row(sc, ns, b, a);
        if (!(s >= logit))
            continue;
        float score = 1.0f / (1.0f + expf(-s));
        if ((rc = ssd_candidate(d, ssd_row(rg, nr, b, a), (width - 4) / 2, d->anchors[a], score,
                                out, err)))
            return rc;
    }
    vd_det_list_sort(out);
    if (d->o.iou > 0) {
        if (d->o.ssd.plain_nms)
            return det_nms(out, d->o.iou, 0, err);
        weighted_nms(out, d->o.iou);
    }
    return VD_OK;
}
