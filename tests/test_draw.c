/* test_draw.c -- vision/draw: pixels land exactly where the contract says,
 * nothing is written outside the canvas or past a row's width (the
 * linesize padding is checked), and the built-in font renders known
 * glyph shapes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vision/image/draw.h"

#define W 40
#define H 30
#define LS (W * 3 + 7) /* padded rows, as decoders give */
#define GUARD 0xA5

static uint8_t buf[H * LS];
static vd_canvas cv = {buf, W, H, LS};
static const vd_color red = {255, 0, 0}, white = {255, 255, 255};

static void clear(void)
{
    memset(buf, GUARD, sizeof buf);
    for (int y = 0; y < H; y++)
        memset(buf + y * LS, 0, W * 3);
}

static int is(int x, int y, vd_color c)
{
    const uint8_t *p = buf + y * LS + x * 3;
    return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

static int lit(int x, int y)
{
    const uint8_t *p = buf + y * LS + x * 3;
    return p[0] || p[1] || p[2];
}

static void check_padding(void)
{
    for (int y = 0; y < H; y++)
        for (int i = W * 3; i < LS; i++)
            cr_assert_eq(buf[y * LS + i], GUARD, "row %d padding byte %d overwritten", y, i);
}

static int count_lit(void)
{
    int n = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            n += lit(x, y);
    return n;
}

Test(draw, rect_outline_exact_pixels)
{
    clear();
    vd_draw_rect(&cv, 5, 4, 14, 10, red, 2);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int inside = x >= 5 && x <= 14 && y >= 4 && y <= 10;
            int inner = x >= 7 && x <= 12 && y >= 6 && y <= 8;
            cr_assert_eq(is(x, y, red), inside && !inner, "pixel (%d,%d)", x, y);
        }
    check_padding();
}

Test(draw, clipped_at_every_edge)
{
    clear();
    vd_draw_rect(&cv, -10, -10, W + 10, H + 10, red, 3); /* all four sides outside */
    cr_expect_eq(count_lit(), 0, "an outline entirely outside draws nothing");
    vd_draw_rect(&cv, -5, -5, 5, 5, red, 1);
    cr_expect(is(5, 0, red) && is(0, 5, red) && is(5, 5, red));
    cr_expect(!lit(4, 4) && !lit(0, 0), "only the right and bottom sides are visible");
    vd_draw_fill(&cv, W - 3, H - 2, W + 100, H + 100, white);
    cr_expect(is(W - 1, H - 1, white) && is(W - 3, H - 2, white) && !is(W - 4, H - 1, white));
    vd_draw_fill(&cv, 1000, 1000, 2000, 2000, white);
    vd_draw_text(&cv, W - 3, H - 3, "WWW", white, 3);
    vd_draw_text(&cv, -100, -100, "abc", white, 2);
    vd_draw_box_label(&cv, -20, -20, W + 20, H + 20, "person 0.93", red, 2, 1);
    check_padding();
}

Test(draw, font_glyphs_and_text_placement)
{
    /* '|' is one full-height column, '-' one row, ' ' is empty */
    const uint8_t *bar = vd_font5x7_glyph('|'), *dash = vd_font5x7_glyph('-'), *sp = vd_font5x7_glyph(' ');
    int bar_cols = 0;
    for (int i = 0; i < 5; i++) {
        bar_cols += bar[i] != 0;
        cr_expect(bar[i] == 0 || bar[i] == 0x7F);
        cr_expect_eq(dash[i], 0x08, "'-' is the middle row");
        cr_expect_eq(sp[i], 0);
    }
    cr_expect_eq(bar_cols, 1);
    cr_expect_eq(vd_font5x7_glyph(200), vd_font5x7_glyph('?'));
    /* every printable glyph is distinct */
    for (int a = 33; a < 127; a++)
        for (int b = a + 1; b < 127; b++)
            cr_assert(memcmp(vd_font5x7_glyph(a), vd_font5x7_glyph(b), 5), "'%c' == '%c'", a, b);

    clear();
    int w = vd_draw_text(&cv, 3, 2, "H|", white, 2);
    cr_expect_eq(w, 2 * 6 * 2);
    /* 'H' = columns 0 and 4 full, row 3 across: at scale 2 from (3,2) */
    for (int gy = 0; gy < 7; gy++)
        for (int gx = 0; gx < 5; gx++) {
            int on = gx == 0 || gx == 4 || gy == 3;
            for (int d = 0; d < 4; d++)
                cr_assert_eq(lit(3 + gx * 2 + d % 2, 2 + gy * 2 + d / 2), on, "H glyph (%d,%d)", gx, gy);
        }
    /* the glyph cell's gap column and the row below stay empty */
    for (int y = 2; y < 2 + 16; y++)
        cr_expect(!lit(3 + 10, y) && !lit(3 + 11, y));
    int tw, th;
    vd_draw_text_size("ab\ncde", 2, &tw, &th);
    cr_expect(tw == 3 * 12 && th == 2 * 16);
    check_padding();
}

Test(draw, label_above_box_or_inside_at_top)
{
    clear();
    vd_draw_box_label(&cv, 10, 15, 30, 28, "hi", white, 1, 1);
    /* background: 2 chars * 6 + 2 = 14 wide, 8 + 1 = 9 high, ending at y = 15 */
    for (int x = 10; x < 24; x++)
        for (int y = 6; y < 15; y++) {
            const uint8_t *p = buf + y * LS + x * 3;
            cr_assert(is(x, y, white) || (p[0] == 0 && p[1] == 0 && p[2] == 0), "(%d,%d) in label", x, y);
        }
    cr_expect(is(10, 6, white) && is(23, 14, white), "label background corners");
    cr_expect(!lit(24, 10) && !lit(9, 10) && !lit(12, 5), "nothing outside the label");
    /* black text on the white label: 'h' column 0 is full height at x = 11 */
    for (int y = 7; y < 14; y++)
        cr_expect(is(11, y, (vd_color){0, 0, 0}), "'h' stem at y %d", y);
    clear();
    vd_draw_box_label(&cv, 2, 0, 30, 20, "x", red, 1, 1);
    cr_expect(is(2, 0, red) && is(9, 8, red), "label drawn inside the box at the top edge");
    cr_expect(is(3, 3, white) && is(4, 4, white) && is(4, 3, red), "white text on a dark label ('x' diagonal)");
    check_padding();
}

Test(draw, palette_and_tensor_canvas)
{
    vd_color a = vd_draw_palette(3), b = vd_draw_palette(23), c = vd_draw_palette(-17);
    cr_expect(a.r == b.r && a.g == b.g && a.b == b.b && a.r == c.r && a.g == c.g);
    for (int i = 0; i < 20; i++)
        for (int j = i + 1; j < 20; j++) {
            vd_color p = vd_draw_palette(i), q = vd_draw_palette(j);
            cr_expect(p.r != q.r || p.g != q.g || p.b != q.b, "palette %d == %d", i, j);
        }
    vd_tensor t = {0};
    int64_t sh[3] = {8, 9, 3};
    vd_canvas tc;
    vd_error e = {0};
    cr_assert_eq(vd_tensor_alloc(&t, VD_DTYPE_U8, 3, sh, NULL), 0);
    cr_assert_eq(vd_canvas_from_tensor(&tc, &t, &e), 0);
    cr_expect(tc.width == 9 && tc.height == 8 && tc.linesize == 27);
    vd_draw_fill(&tc, 8, 7, 3, 2, red); /* swapped corners */
    cr_expect_eq(((uint8_t *)t.data)[(2 * 9 + 3) * 3], 255);
    cr_expect_eq(((uint8_t *)t.data)[(7 * 9 + 8) * 3], 0, "x2/y2 are exclusive for fills");
    vd_tensor_free(&t);
    sh[2] = 4;
    cr_assert_eq(vd_tensor_alloc(&t, VD_DTYPE_U8, 3, sh, NULL), 0);
    cr_expect_eq(vd_canvas_from_tensor(&tc, &t, &e), VD_EINVAL);
    cr_expect(strstr(e.msg, "[8,9,4]"), "%s", e.msg);
    vd_tensor_free(&t);
}
