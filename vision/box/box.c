/* box.c -- the per-box operations of torchvision.ops (see box.h): IoU
 * matrix, format conversion, clipping, small-box removal and the mapping
 * through the preprocessing geometry. Each is a plain loop over a vd_box
 * array; area and IoU are inline in box.h because NMS calls them per pair.
 * NMS is in nms.c, roi_align in roi_align.c. */
#include "box.h"

void vd_box_iou_matrix(const vd_box *a, int na, const vd_box *b, int nb, float *out)
{
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            out[(size_t)i * nb + j] = vd_box_iou(&a[i], &b[j]);
}

const char *vd_box_fmt_name(vd_box_fmt f)
{
    static const char *const names[] = {"xyxy", "xywh", "cxcywh"};
    return (unsigned)f <= VD_BOX_CXCYWH ? names[f] : "invalid";
}

static void to_xyxy(float *b, vd_box_fmt from)
{
    if (from == VD_BOX_XYWH) {
        b[2] += b[0];
        b[3] += b[1];
    } else if (from == VD_BOX_CXCYWH) {
        float cx = b[0], cy = b[1], w = b[2], h = b[3];
        b[0] = cx - 0.5f * w, b[1] = cy - 0.5f * h;
        b[2] = cx + 0.5f * w, b[3] = cy + 0.5f * h;
    }
}

static void from_xyxy(float *b, vd_box_fmt to)
{
    float x1 = b[0], y1 = b[1], x2 = b[2], y2 = b[3];
    if (to == VD_BOX_XYWH) {
        b[2] = x2 - x1, b[3] = y2 - y1;
    } else if (to == VD_BOX_CXCYWH) {
        b[0] = (x1 + x2) / 2, b[1] = (y1 + y2) / 2;
        b[2] = x2 - x1, b[3] = y2 - y1;
    }
}

void vd_box_convert(float *boxes, int n, vd_box_fmt from, vd_box_fmt to)
{
    if (from == to)
        return;
    for (int i = 0; i < n; i++) {
        to_xyxy(boxes + 4 * i, from);
        from_xyxy(boxes + 4 * i, to);
    }
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void vd_box_clip(vd_box *boxes, int n, float width, float height)
{
    for (int i = 0; i < n; i++) {
        boxes[i].x1 = clampf(boxes[i].x1, 0, width);
        boxes[i].x2 = clampf(boxes[i].x2, 0, width);
        boxes[i].y1 = clampf(boxes[i].y1, 0, height);
        boxes[i].y2 = clampf(boxes[i].y2, 0, height);
    }
}

int vd_box_remove_small(const vd_box *boxes, int n, float min_size, int *keep)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (boxes[i].x2 - boxes[i].x1 >= min_size && boxes[i].y2 - boxes[i].y1 >= min_size)
            keep[k++] = i;
    return k;
}

void vd_box_unmap(vd_box *boxes, int n, const vd_tf_geom *g)
{
    for (int i = 0; i < n; i++) {
        vd_box *b = &boxes[i];
        b->x1 = (b->x1 - g->pad_x) / g->scale_x + g->crop_x;
        b->x2 = (b->x2 - g->pad_x) / g->scale_x + g->crop_x;
        b->y1 = (b->y1 - g->pad_y) / g->scale_y + g->crop_y;
        b->y2 = (b->y2 - g->pad_y) / g->scale_y + g->crop_y;
    }
    vd_box_clip(boxes, n, (float)g->src_w, (float)g->src_h);
}

void vd_box_map(vd_box *boxes, int n, const vd_tf_geom *g)
{
    for (int i = 0; i < n; i++) {
        vd_box *b = &boxes[i];
        b->x1 = (b->x1 - g->crop_x) * g->scale_x + g->pad_x;
        b->x2 = (b->x2 - g->crop_x) * g->scale_x + g->pad_x;
        b->y1 = (b->y1 - g->crop_y) * g->scale_y + g->pad_y;
        b->y2 = (b->y2 - g->crop_y) * g->scale_y + g->pad_y;
    }
}
