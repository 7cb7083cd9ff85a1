/* ssd.c -- the anchor-based SSD adapter, MediaPipe BlazeFace style: score
 * outputs [B,N_i,1] (logits) and regressor outputs [B,N_i,4+2K], several
 * of each concatenated in output order, following the anchor order.
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
 * into it (coordinates weighted by score, score = the best one's); plain
 * NMS (vision/box) when the options ask for it. */
#include "adapter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void default_ssd(vd_ssd_opts *s, int input_w)
{
    if (s->n_strides == 0) {
        /* MediaPipe: front 128 model {8,16,16,16}, back 256 model {16,32,32,32} */
        int base = input_w >= 256 ? 16 : 8;
        s->n_strides = 4;
        s->strides[0] = base;
        s->strides[1] = s->strides[2] = s->strides[3] = 2 * base;
    }
    if (s->anchors_per_layer <= 0)
        s->anchors_per_layer = 2;
    if (s->anchor_offset == 0)
        s->anchor_offset = 0.5f;
    else if (s->anchor_offset < 0)
        s->anchor_offset = 0;
}

/* The anchor centres, counted in a first pass and written in a second. */
static int anchors(vd_detector *d, vd_error *err)
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

static int init(vd_detector *d, vd_error *err)
{
    default_ssd(&d->o.ssd, d->o.input_w);
    return anchors(d, err);
}

/* One output: float32 [B,N,1] scores or [B,N,4+2K] regressors, K <= the
 * keypoints a detection holds. */
static int check(const vd_det_adapter *ad, const vd_tensor *t, int i, vd_error *err)
{
    (void)ad;
    int64_t w = t->ndim == 3 ? t->shape[2] : 0;
    if (t->dtype != VD_DTYPE_F32 || t->ndim != 3)
        return vd_error_set(err, VD_EINVAL, "ssd: output %d must be float32 [B,N,1] scores or "
                            "[B,N,4+2K] regressors", i);
    if (w >= 0 && w != 1 && (w < 4 || (w - 4) % 2 || (w - 4) / 2 > VD_DET_MAX_KEYPOINTS))
        return vd_error_set(err, VD_EINVAL, "ssd: output %d has %lld columns: need score outputs "
                            "[B,N,1] and regressors [B,N,4+2K] (K <= %d)", i, (long long)w,
                            VD_DET_MAX_KEYPOINTS);
    return VD_OK;
}

/* Only [B,N,1] and [B,N,even >= 4] outputs, as many of one as of the other. */
static int looks_like(const vd_det_adapter *ad, const det_outputs *o)
{
    (void)ad;
    int n_scores = 0, n_regs = 0;
    for (int i = 0; i < o->n; i++) {
        const int64_t *s = o->shapes[i];
        if (o->ndims[i] == 3 && s[2] == 1)
            n_scores++;
        else if (o->ndims[i] == 3 && s[2] >= 4 && s[2] % 2 == 0)
            n_regs++;
    }
    return o->n >= 2 && n_scores == n_regs && n_scores + n_regs == o->n;
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
        int rc = check(d->ad, t, i, err);
        if (rc)
            return rc;
        if (b >= t->shape[0])
            return vd_error_set(err, VD_EINVAL, "ssd: output %d must be float32 [B,N,1] scores "
                                "or [B,N,4+2K] regressors with batch > %d", i, b);
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
    if (!*ns || !*nr)
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
    x.bbox = (vd_box){cx - r[2] / 2, cy - r[3] / 2, cx + r[2] / 2, cy + r[3] / 2};
    if (d->o.ssd.n_keypoints > 0 && d->o.ssd.n_keypoints < nk)
        nk = d->o.ssd.n_keypoints;
    x.n_keypoints = nk;
    for (int k = 0; k < nk; k++) {
        x.keypoints[k][0] = anc[0] * W + r[4 + 2 * k];
        x.keypoints[k][1] = anc[1] * H + r[5 + 2 * k];
    }
    return vd_det_list_push(out, &x, err);
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
            if (o->score < 0 || (j > i && vd_box_iou(&best->bbox, &o->bbox) < iou))
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

static int decode(const vd_detector *d, const vd_tensor *o, int n, int b, vd_det_list *out,
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

const vd_det_adapter det_ssd = {
    .kind = VD_DET_SSD,
    .name = "ssd",
    .layout = "float32 [B,N,1] scores and [B,N,4+2K] regressors (ssd)",
    .check = check,
    .looks_like = looks_like,
    .init = init,
    .decode = decode,
};
