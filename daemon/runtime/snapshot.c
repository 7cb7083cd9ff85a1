/* snapshot.c -- JPEGs of analysed frames: an event's best frame with its
 * box (encoded on the worker or reader thread that analysed the frame,
 * never on the loop) and the live /streams/{id}/snapshot.jpg, optionally
 * annotated with boxes, labels, zones and motion regions.
 *
 * Drawing happens on a copy: the frame buffer itself is the stream's
 * "last analysed frame" and must stay as the camera saw it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "vision/image/draw.h"
#include "vision/image/image.h"

static void draw_dets(vd_canvas *c, const vd_detection *d, int n, int motion)
{
    int scale = c->width >= 1280 ? 2 : 1;
    for (int i = 0; i < n; i++) {
        char text[96];
        if (motion)
            text[0] = 0;
        else if (d[i].track_id)
            snprintf(text, sizeof text, "%s #%lld %.2f", d[i].name, (long long)d[i].track_id,
                     d[i].score);
        else
            snprintf(text, sizeof text, "%s %.2f", d[i].name, d[i].score);
        vd_color col = motion ? (vd_color){255, 64, 64}
                              : vd_draw_palette(d[i].track_id ? (int)d[i].track_id : d[i].label);
        vd_draw_box_label(c, d[i].box[0], d[i].box[1], d[i].box[2], d[i].box[3],
                          motion ? NULL : text, col, motion ? 1 : 2, scale);
    }
}

/* A zone's outline: its edges as runs of 2x2 squares. */
static void draw_zone(vd_canvas *c, const vd_zone *z)
{
    vd_color col = {255, 220, 0};
    for (int i = 0; i < z->n; i++) {
        const float *a = z->pts[i], *b = z->pts[(i + 1) % z->n];
        float x0 = a[0] * (float)c->width, y0 = a[1] * (float)c->height;
        float x1 = b[0] * (float)c->width, y1 = b[1] * (float)c->height;
        int steps = (int)fmaxf(fabsf(x1 - x0), fabsf(y1 - y0)) + 1;
        for (int s = 0; s <= steps; s++) {
            int x = (int)lrintf(x0 + (x1 - x0) * (float)s / (float)steps);
            int y = (int)lrintf(y0 + (y1 - y0) * (float)s / (float)steps);
            vd_draw_fill(c, x - 1, y - 1, x + 1, y + 1, col);
        }
        vd_draw_text(c, (int)(z->pts[0][0] * (float)c->width) + 3,
                     (int)(z->pts[0][1] * (float)c->height) + 3, z->name, col, 1);
    }
}

int rt_snapshot_jpeg(const uint8_t *rgb, int w, int h, const rt_overlay *o, void **jpeg,
                     size_t *n, vd_error *err)
{
    size_t size = (size_t)w * (size_t)h * 3;
    uint8_t *copy = NULL;
    if (o) {
        if (!(copy = malloc(size)))
            return vd_error_set(err, VD_ENOMEM, "out of memory for a %dx%d snapshot", w, h);
        memcpy(copy, rgb, size);
        vd_canvas c = {copy, w, h, w * 3};
        for (int z = 0; z < o->n_zones; z++)
            draw_zone(&c, &o->zones[z]);
        draw_dets(&c, o->regions, o->n_regions, 1);
        draw_dets(&c, o->dets, o->n_dets, 0);
    }
    uint8_t *out = NULL;
    int rc = vd_img_encode_pixels(copy ? copy : rgb, w, h, w * 3, 3, VD_IMG_JPEG,
                                  RT_SNAPSHOT_QUALITY, &out, n, err);
    free(copy);
    *jpeg = out;
    return rc;
}
