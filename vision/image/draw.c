/* draw.c -- clipped rectangles, fills and bitmap text on RGB24 canvases.
 *
 * Everything reduces to one primitive, fill() of a half-open rectangle
 * clipped to the canvas: outlines are four fills, each glyph pixel is a
 * scale x scale fill. Clipping in one place is what makes every caller
 * safe with boxes that stick out of the frame. */
#include "draw.h"

#include <math.h>
#include <string.h>

int vd_canvas_from_tensor(vd_canvas *c, vd_tensor *t, vd_error *err)
{
    if (!t || !t->data || t->dtype != VD_DTYPE_U8 || t->ndim != 3 || t->shape[2] != 3) {
        char buf[96];
        return vd_error_set(err, VD_EINVAL, "draw: canvas must be a uint8 [H,W,3] tensor, got %s %s",
                            t ? vd_dtype_name(t->dtype) : "NULL",
                            t ? vd_tensor_shape_str(t, buf, sizeof buf) : "");
    }
    c->data = t->data;
    c->height = (int)t->shape[0];
    c->width = (int)t->shape[1];
    c->linesize = c->width * 3;
    return VD_OK;
}

static void fill(vd_canvas *c, int x1, int y1, int x2, int y2, vd_color col)
{
    if (x1 < 0)
        x1 = 0;
    if (y1 < 0)
        y1 = 0;
    if (x2 > c->width)
        x2 = c->width;
    if (y2 > c->height)
        y2 = c->height;
    for (int y = y1; y < y2; y++) {
        uint8_t *p = c->data + (size_t)y * c->linesize + (size_t)x1 * 3;
        for (int x = x1; x < x2; x++, p += 3) {
            p[0] = col.r;
            p[1] = col.g;
            p[2] = col.b;
        }
    }
}

/* Corners given either way round. */
static void order(int *lo, int *hi)
{
    if (*lo > *hi) {
        int t = *lo;
        *lo = *hi, *hi = t;
    }
}

void vd_draw_fill(vd_canvas *c, int x1, int y1, int x2, int y2, vd_color col)
{
    order(&x1, &x2);
    order(&y1, &y2);
    fill(c, x1, y1, x2, y2, col);
}

void vd_draw_rect(vd_canvas *c, int x1, int y1, int x2, int y2, vd_color col, int thickness)
{
    order(&x1, &x2);
    order(&y1, &y2);
    int t = thickness < 1 ? 1 : thickness;
    int xe = x2 + 1, ye = y2 + 1; /* corners are inclusive */
    fill(c, x1, y1, xe, y1 + t < ye ? y1 + t : ye, col);     /* top */
    fill(c, x1, ye - t > y1 ? ye - t : y1, xe, ye, col);     /* bottom */
    fill(c, x1, y1, x1 + t < xe ? x1 + t : xe, ye, col);     /* left */
    fill(c, xe - t > x1 ? xe - t : x1, y1, xe, ye, col);     /* right */
}

int vd_draw_text(vd_canvas *c, int x, int y, const char *text, vd_color col, int scale)
{
    int s = scale < 1 ? 1 : scale, cx = x, widest = 0;
    for (const unsigned char *p = (const unsigned char *)text; p && *p; p++) {
        if (*p == '\n') {
            y += VD_FONT_CELL_H * s;
            cx = x;
            continue;
        }
        const uint8_t *g = vd_font5x7_glyph(*p);
        for (int gx = 0; gx < 5; gx++)
            for (int gy = 0; gy < 7; gy++)
                if (g[gx] >> gy & 1)
                    fill(c, cx + gx * s, y + gy * s, cx + (gx + 1) * s, y + (gy + 1) * s, col);
        cx += VD_FONT_CELL_W * s;
        if (cx - x > widest)
            widest = cx - x;
    }
    return widest;
}

void vd_draw_text_size(const char *text, int scale, int *width, int *height)
{
    int s = scale < 1 ? 1 : scale, cols = 0, widest = 0, lines = text && *text ? 1 : 0;
    for (const char *p = text; p && *p; p++) {
        if (*p == '\n') {
            lines++;
            cols = 0;
            continue;
        }
        if (++cols > widest)
            widest = cols;
    }
    if (width)
        *width = widest * VD_FONT_CELL_W * s;
    if (height)
        *height = lines * VD_FONT_CELL_H * s;
}

void vd_draw_box_label(vd_canvas *c, float x1, float y1, float x2, float y2, const char *label,
                       vd_color col, int thickness, int scale)
{
    int ix1 = (int)lrintf(x1), iy1 = (int)lrintf(y1), ix2 = (int)lrintf(x2), iy2 = (int)lrintf(y2);
    vd_draw_rect(c, ix1, iy1, ix2, iy2, col, thickness);
    if (!label || !*label)
        return;
    int tw, th;
    vd_draw_text_size(label, scale, &tw, &th);
    int bw = tw + 2, bh = th + 1; /* 1 px padding left/right, the cell has its own gap below */
    int bx = ix1 < ix2 ? ix1 : ix2, by = (iy1 < iy2 ? iy1 : iy2) - bh;
    if (by < 0)
        by = iy1 < iy2 ? iy1 : iy2; /* no room above: inside the box */
    if (bx + bw > c->width)
        bx = c->width - bw; /* keep the label readable at the right edge */
    if (bx < 0)
        bx = 0;
    fill(c, bx, by, bx + bw, by + bh, col);
    /* Perceived brightness (BT.601 weights) decides the text colour. */
    int lum = (299 * col.r + 587 * col.g + 114 * col.b) / 1000;
    vd_color fg = lum > 140 ? (vd_color){0, 0, 0} : (vd_color){255, 255, 255};
    vd_draw_text(c, bx + 1, by + 1, label, fg, scale);
}

vd_color vd_draw_palette(int idx)
{
    /* Distinct, saturated colours (the "tab20"-like set used by detectors). */
    static const vd_color pal[20] = {
        {255, 56, 56},  {255, 157, 151}, {255, 112, 31}, {255, 178, 29}, {207, 210, 49},
        {72, 249, 10},  {146, 204, 23},  {61, 219, 134}, {26, 147, 52},  {0, 212, 187},
        {44, 153, 168}, {0, 194, 255},   {52, 69, 147},  {100, 115, 255}, {0, 24, 236},
        {132, 56, 255}, {82, 0, 133},    {203, 56, 255}, {255, 149, 200}, {255, 55, 199}};
    int i = idx % 20;
    return pal[i < 0 ? i + 20 : i];
}
