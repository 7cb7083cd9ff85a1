/* nms.c -- the one non-maximum suppression (see box.h), used by the box
 * ops, the detector adapters and the ONNX NonMaxSuppression kernel.
 *
 * The design choice: the sweep checks each visited box against the boxes
 * kept so far and compacts the survivors into the same index array it
 * reads, so the only scratch is that array -- which the caller owns. That
 * is the greedy rule of torchvision (a kept box suppresses later boxes
 * with IoU > threshold) and of onnxruntime (a box is kept unless a kept
 * one overlaps it by more) at once: the same boxes survive in the same
 * order, since IoU is symmetric. Boxes, scores and classes are read where
 * they lie through a vd_nms_view, so nothing is converted or copied. */
#include "box.h"

static const vd_box *box_at(const vd_nms_view *v, int i)
{
    return (const vd_box *)((const char *)v->box + (size_t)i * v->box_step);
}

static float score_at(const vd_nms_view *v, int i)
{
    return *(const float *)((const char *)v->score + (size_t)i * v->score_step);
}

static int cls_at(const vd_nms_view *v, int i)
{
    return *(const int *)((const char *)v->cls + (size_t)i * v->cls_step);
}

/* Box a is visited before box b: higher score, NaN last, then lower index. */
static int visits_before(const vd_nms_view *v, int a, int b)
{
    float sa = score_at(v, a), sb = score_at(v, b);
    int na = isnan(sa), nb = isnan(sb);
    if (na != nb)
        return nb;
    if (!na && sa != sb)
        return sa > sb;
    return a < b;
}

/* Heap whose root is visited last; restore it below `root` in idx[0..n). */
static void sift_down(const vd_nms_view *v, int *idx, int root, int n)
{
    for (int c; (c = 2 * root + 1) < n; root = c) {
        if (c + 1 < n && visits_before(v, idx[c], idx[c + 1]))
            c++;
        if (!visits_before(v, idx[root], idx[c]))
            return;
        int t = idx[root];
        idx[root] = idx[c];
        idx[c] = t;
    }
}

void vd_nms_order(const vd_nms_view *v, int *idx, int n)
{
    for (int i = n / 2 - 1; i >= 0; i--)
        sift_down(v, idx, i, n);
    for (int end = n - 1; end > 0; end--) {
        int t = idx[0];
        idx[0] = idx[end];
        idx[end] = t;
        sift_down(v, idx, 0, end);
    }
}

int vd_nms_sweep(const vd_nms_view *v, int *idx, int n, float iou_thr, int max_keep)
{
    int k = 0;
    for (int a = 0; a < n && k < max_keep; a++) {
        int i = idx[a], c = v->cls ? cls_at(v, i) : 0, keep = 1;
        const vd_box *b = box_at(v, i);
        for (int j = 0; j < k && keep; j++)
            keep = !((!v->cls || cls_at(v, idx[j]) == c) &&
                     vd_box_iou(box_at(v, idx[j]), b) > iou_thr);
        if (keep)
            idx[k++] = i; /* k <= a: never overwrites a box still to visit */
    }
    return k;
}

static int nms_arrays(const vd_box *boxes, const float *scores, const int *classes, int n,
                      float iou_thr, int *keep, int *n_keep)
{
    vd_nms_view v = {boxes, scores, classes, sizeof *boxes, sizeof *scores, sizeof *classes};
    for (int i = 0; i < n; i++)
        keep[i] = i;
    vd_nms_order(&v, keep, n);
    *n_keep = n > 0 ? vd_nms_sweep(&v, keep, n, iou_thr, n) : 0;
    return VD_OK;
}

int vd_nms(const vd_box *boxes, const float *scores, int n, float iou_thr,
           int *keep, int *n_keep, vd_error *err)
{
    (void)err;
    return nms_arrays(boxes, scores, NULL, n, iou_thr, keep, n_keep);
}

int vd_nms_batched(const vd_box *boxes, const float *scores, const int *classes,
                   int n, float iou_thr, int *keep, int *n_keep, vd_error *err)
{
    (void)err;
    return nms_arrays(boxes, scores, classes, n, iou_thr, keep, n_keep);
}
