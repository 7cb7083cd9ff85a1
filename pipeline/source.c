/* source.c -- frames as RGB24 from a video or a still image. See source.h.
 * The RGB buffer of a video is reused across frames (reallocated only when
 * the size grows). */
#include "source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/core/tensor.h"
#include "vision/image/image.h"

struct vd_source {
    vd_reader *r;
    vd_tensor img;   /* still image, uint8 [H,W,3] */
    int img_damaged;
    int image_done;
    int width, height; /* scale, 0x0: native */
    uint8_t *buf;    /* converted video frame */
    size_t buf_size;
    int64_t n;
};

void vd_source_opts_init(vd_source_opts *o)
{
    memset(o, 0, sizeof *o);
    vd_reader_opts_init(&o->reader);
    vd_reader_select_init(&o->select);
}

static int selects(const vd_source_opts *o)
{
    const vd_reader_select *s = &o->select;
    return o->indices || o->width || o->height || !isnan(s->start) || !isnan(s->end) ||
           s->step != 1 || s->fps != 0 || s->count || s->keyframes;
}

static int sniff_image(const char *input)
{
    unsigned char head[16];
    FILE *f = fopen(input, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return vd_img_sniff(head, n) != VD_IMG_UNKNOWN;
}

static int open_input(vd_source *s, const char *input, const vd_source_opts *o, vd_error *err)
{
    if (sniff_image(input)) {
        if (selects(o))
            return vd_error_set(err, VD_EINVAL, "%s: a still image has one frame; frame "
                                "selection and scaling apply to videos", input);
        vd_img_info info;
        int rc = vd_img_load_ex(input, NULL, &s->img, &info, err);
        s->img_damaged = info.damaged;
        return rc;
    }
    int rc = vd_reader_open(&s->r, input, &o->reader, err);
    if (rc)
        return rc;
    if (o->indices)
        return vd_reader_get(s->r, o->indices, o->n_indices, err);
    return vd_reader_select_set(s->r, &o->select, err);
}

int vd_source_open(vd_source **out, const char *input, const vd_source_opts *o, vd_error *err)
{
    *out = NULL;
    vd_source *s = calloc(1, sizeof *s);
    if (!s)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", input);
    s->width = o->width;
    s->height = o->height;
    int rc = open_input(s, input, o, err);
    if (rc) {
        vd_source_close(&s);
        return rc;
    }
    *out = s;
    return VD_OK;
}

void vd_source_close(vd_source **ps)
{
    vd_source *s = *ps;
    if (!s)
        return;
    vd_reader_close(&s->r);
    vd_tensor_free(&s->img);
    free(s->buf);
    free(s);
    *ps = NULL;
}

int vd_source_is_image(const vd_source *s) { return s->img.data != NULL; }

static int next_video(vd_source *s, vd_source_frame *out, vd_error *err)
{
    vd_frame f;
    int rc = vd_reader_next(s->r, &f, err);
    if (rc)
        return rc;
    vd_convert c = {.fmt = VD_PIX_RGB24, .width = s->width, .height = s->height};
    size_t need = vd_convert_size(&c, &f);
    if (need > s->buf_size) {
        uint8_t *p = realloc(s->buf, need);
        if (!p)
            return vd_error_set(err, VD_ENOMEM, "out of memory for a %zu-byte frame", need);
        s->buf = p;
        s->buf_size = need;
    }
    if ((rc = vd_reader_convert(s->r, &f, &c, s->buf, need, err)))
        return rc;
    out->rgb = s->buf;
    out->width = c.width ? c.width : f.width;
    out->height = c.height ? c.height : f.height;
    out->linesize = out->width * 3;
    out->pts = f.pts;
    out->damaged = f.corrupt;
    return VD_OK;
}

static void next_image(vd_source *s, vd_source_frame *out)
{
    s->image_done = 1;
    out->rgb = s->img.data;
    out->height = (int)s->img.shape[0];
    out->width = (int)s->img.shape[1];
    out->linesize = out->width * 3;
    out->pts = 0;
    out->damaged = s->img_damaged;
}

int vd_source_next(vd_source *s, vd_source_frame *out, vd_error *err)
{
    if (s->img.data) {
        if (s->image_done)
            return VD_EOF;
        next_image(s, out);
    } else {
        int rc = next_video(s, out, err);
        if (rc)
            return rc;
    }
    out->n = s->n++;
    return VD_OK;
}
