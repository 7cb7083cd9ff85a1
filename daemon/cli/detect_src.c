/* cli_detect_src.c -- frames for `visiond detect`: reader or still image,
 * delivered as RGB24. See cli_detect_src.h. The RGB buffer is reused
 * across frames (reallocated only when the size changes). */
#include "detect_src.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"
#include "pipeline/reader.h"
#include "vision/image/image.h"
#include "vision/core/tensor.h"

struct vd_dsrc {
    vd_cli_select cs;
    vd_cli_source src;
    vd_reader *r;
    vd_tensor img;   /* still image, uint8 [H,W,3] */
    int image_done;
    uint8_t *buf;    /* converted video frame */
    size_t buf_size;
    int64_t n;
};

int vd_dsrc_create(vd_dsrc **s, vd_error *err)
{
    *s = calloc(1, sizeof **s);
    if (!*s)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    vd_cli_select_init(&(*s)->cs);
    return VD_OK;
}

void vd_dsrc_free(vd_dsrc **ps)
{
    vd_dsrc *s = *ps;
    if (!s)
        return;
    vd_reader_close(&s->r);
    vd_tensor_free(&s->img);
    vd_cli_select_free(&s->cs);
    free(s->buf);
    free(s);
    *ps = NULL;
}

int vd_dsrc_parse_flag(vd_dsrc *s, int argc, char **argv, int *i, vd_error *err)
{
    int k = vd_cli_select_parse(&s->cs, argc, argv, i, err);
    return k ? k : vd_cli_source_parse(&s->src, argc, argv, i, err);
}

const char *vd_dsrc_usage(void)
{
    static char text[2048];
    if (!text[0])
        snprintf(text, sizeof text, "%s%s", vd_cli_select_usage(), vd_cli_source_usage());
    return text;
}

int vd_dsrc_is_image(const vd_dsrc *s) { return s->img.data != NULL; }

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

int vd_dsrc_open(vd_dsrc *s, const char *input, int threads, vd_error *err)
{
    int rc = vd_cli_select_check(&s->cs, err);
    if (rc)
        return rc;
    if (s->cs.pixfmt_set && s->cs.conv.fmt != VD_PIX_RGB24)
        return vd_error_set(err, VD_EINVAL, "--pix-fmt: detect analyses rgb24 frames only");
    if (sniff_image(input)) {
        if (s->cs.range_set || s->cs.indices || s->cs.size_set)
            return vd_error_set(err, VD_EINVAL,
                                "%s: a still image has one frame; selection and --size flags "
                                "apply to videos", input);
        return vd_img_load(input, NULL, &s->img, err);
    }
    vd_reader_opts o;
    vd_reader_opts_init(&o);
    o.threads = threads;
    vd_cli_source_apply(&s->src, &o);
    if ((rc = vd_reader_open(&s->r, input, &o, err)))
        return rc;
    return vd_cli_select_apply(&s->cs, s->r, err);
}

static int next_video(vd_dsrc *s, vd_dsrc_frame *out, vd_error *err)
{
    vd_frame f;
    int rc = vd_reader_next(s->r, &f, err);
    if (rc)
        return rc;
    vd_convert c = {.fmt = VD_PIX_RGB24, .width = s->cs.conv.width, .height = s->cs.conv.height};
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
    return VD_OK;
}

int vd_dsrc_next(vd_dsrc *s, vd_dsrc_frame *out, vd_error *err)
{
    int rc;
    if (s->img.data) {
        if (s->image_done)
            return VD_EOF;
        s->image_done = 1;
        out->rgb = s->img.data;
        out->height = (int)s->img.shape[0];
        out->width = (int)s->img.shape[1];
        out->linesize = out->width * 3;
        out->pts = 0;
        rc = VD_OK;
    } else if (s->r) {
        rc = next_video(s, out, err);
    } else {
        return vd_error_set(err, VD_EINVAL, "no input opened");
    }
    if (!rc)
        out->n = s->n++;
    return rc;
}
