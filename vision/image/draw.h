/* draw.h -- rectangles, filled boxes and bitmap text on RGB frames, for
 * annotated snapshots (`visiond detect --annotate`) and debugging.
 *
 * The canvas is a caller-owned interleaved RGB24 buffer with a linesize
 * (what decoders and vd_img_decode give), never copied. Every primitive is
 * clipped to the canvas, so boxes partly or wholly outside the frame are
 * fine (nothing is drawn for the part outside) and never write out of
 * bounds. Text uses a built-in 5x7 ASCII font (vision/font5x7.c) in a 6x8
 * cell, scaled by an integer factor; bytes outside 32..126 draw as '?'.
 * No global state; all functions are thread-safe on distinct canvases. */
#ifndef VD_DRAW_H
#define VD_DRAW_H

#include <stdint.h>

#include "vision/core/error.h"
#include "vision/core/tensor.h"

typedef struct vd_canvas {
    uint8_t *data; /* RGB24 */
    int width, height;
    int linesize; /* bytes between rows, >= 3*width */
} vd_canvas;

typedef struct vd_color {
    uint8_t r, g, b;
} vd_color;

#define VD_FONT_CELL_W 6 /* glyph advance at scale 1 (5 px glyph + 1 gap) */
#define VD_FONT_CELL_H 8 /* line height at scale 1 (7 px glyph + 1 gap) */

/* Canvas over a uint8 [H,W,3] tensor. VD_EINVAL for any other dtype/shape. */
int vd_canvas_from_tensor(vd_canvas *c, vd_tensor *hwc, vd_error *err);

/* Filled rectangle covering pixels x1 <= x < x2, y1 <= y < y2 (half-open;
 * swapped corners are ordered first). */
void vd_draw_fill(vd_canvas *c, int x1, int y1, int x2, int y2, vd_color col);

/* Outline of the box with corners (x1,y1) and (x2,y2), both inclusive, drawn
 * `thickness` pixels wide INWARDS from the corners (thickness < 1 counts as
 * 1), so the outline never covers pixels outside the box. */
void vd_draw_rect(vd_canvas *c, int x1, int y1, int x2, int y2, vd_color col,
                  int thickness);

/* Text with its top-left cell corner at (x,y); each glyph pixel becomes a
 * scale x scale square (scale < 1 counts as 1). '\n' starts a new line. Only
 * set pixels are written (transparent background). Returns the width in
 * pixels of the longest line. */
int vd_draw_text(vd_canvas *c, int x, int y, const char *text, vd_color col,
                 int scale);

/* Size the text would take: width of the longest line and lines*8*scale. */
void vd_draw_text_size(const char *text, int scale, int *width, int *height);

/* A labelled detection box: the outline (thickness), and above the box's
 * top-left corner a filled background of the box colour with the text in
 * black or white (whichever contrasts), 1 px padding. If there is no room
 * above (box at the top edge) the label goes just inside the box. label may
 * be NULL (outline only). Box coordinates are floats in pixels (rounded). */
void vd_draw_box_label(vd_canvas *c, float x1, float y1, float x2, float y2,
                       const char *label, vd_color col, int thickness,
                       int scale);

/* A fixed palette of 20 distinct colours; idx may be any int (class id,
 * track id), taken modulo 20 (negative idx fine). */
vd_color vd_draw_palette(int idx);

/* The 5 column bytes of a glyph (bit 0 = top row), for tests and tools;
 * characters outside 32..126 give '?'. */
const uint8_t *vd_font5x7_glyph(unsigned char ch);

#endif
