/* input.c -- a stream's frames: pipeline/reader opened with the stream's
 * timeouts and RTSP transport, sampled to its analysis rate by the
 * reader's own selection (so the daemon analyses exactly the frames
 * `visiond detect --fps N` does), looped for files, converted to RGB24.
 *
 * Threads: one reader thread uses a source; rt_input_interrupt() is the
 * only call another thread may make (the reader's interrupt is sticky).
 *
 * Looping keeps media time growing: each pass adds the file's length to
 * the pts, because the tracker (and anyone reading `pts`) needs time to
 * go forward. */
#include "input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/reader.h"

struct rt_input {
    vd_reader *r;
    rt_input_opts o;
    int is_file;
    vd_frame f;              /* the last frame next() gave */
    double first_pts, last_raw, offset;
    double frame_dur;        /* 1 / the native rate: the gap a loop leaves */
    double duration;         /* of the stream, s; 0 unknown */
    double min_pts;          /* after a loop: the next sampling tick */
    int have_first;
};

int rt_url_is_file(const char *url)
{
    if (!strncmp(url, "file:", 5))
        return 1;
    if (!strncmp(url, "/dev/", 5))
        return 0; /* v4l2 */
    return strstr(url, "://") == NULL;
}

static int apply_selection(rt_input *s, vd_error *err)
{
    vd_reader_select sel;
    vd_reader_select_init(&sel);
    sel.fps = s->o.fps > 0 ? s->o.fps : 0;
    return vd_reader_select_set(s->r, &sel, err);
}

int rt_input_open(rt_input **out, const rt_input_opts *o, vd_error *err)
{
    *out = NULL;
    rt_input *s = calloc(1, sizeof *s);
    if (!s)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    s->o = *o;
    s->is_file = rt_url_is_file(o->url);
    vd_reader_opts ro;
    vd_reader_opts_init(&ro);
    ro.threads = 1; /* one thread per stream already; frame threads add latency */
    ro.open_timeout = o->timeout;
    ro.read_timeout = s->is_file ? 0 : o->timeout;
    ro.rtsp_transport = o->rtsp_transport;
    ro.abort = o->abort;
    ro.guard = o->guard;
    if (!strncmp(o->url, "/dev/video", 10))
        ro.format = "v4l2";
    int rc = vd_reader_open(&s->r, o->url, &ro, err);
    if (!rc)
        rc = apply_selection(s, err);
    if (rc) {
        rt_input_close(&s);
        return rc;
    }
    vd_format_info fi;
    vd_stream_info si;
    vd_reader_format_info(s->r, &fi);
    s->frame_dur = 0.04;
    if (!vd_reader_stream_info(s->r, fi.selected_stream, &si, NULL)) {
        if (si.avg_fps > 0)
            s->frame_dur = 1.0 / si.avg_fps;
        if (si.duration > 0)
            s->duration = si.duration;
    }
    *out = s;
    return VD_OK;
}

/* End of a file: back to its first frame, one file length later. The
 * reader's sampling starts afresh there, so frames before the next tick of
 * the previous pass are skipped: a looping file samples as steadily as a
 * camera (one sample may be skipped at the seam, never two come close). */
static int rewind_file(rt_input *s, vd_error *err)
{
    int rc = vd_reader_seek(s->r, s->first_pts, VD_SEEK_ACCURATE, err);
    if (rc)
        return rc;
    double last_out = s->last_raw + s->offset;
    double len = s->last_raw - s->first_pts + s->frame_dur;
    s->offset += s->duration > len ? s->duration : len;
    s->min_pts = s->o.fps > 0 ? last_out + 1.0 / s->o.fps - s->frame_dur / 2 : 0;
    return VD_OK;
}

int rt_input_next(rt_input *s, rt_input_frame *out, vd_error *err)
{
    int rc;
    do {
        rc = vd_reader_next(s->r, &s->f, err);
        if (rc == VD_EOF && s->is_file && s->o.loop && s->have_first) {
            if ((rc = rewind_file(s, err)))
                return rc;
            rc = vd_reader_next(s->r, &s->f, err);
        }
    } while (!rc && s->f.pts + s->offset < s->min_pts);
    if (rc)
        return rc;
    if (!s->have_first) {
        s->first_pts = s->f.pts;
        s->have_first = 1;
    }
    s->last_raw = s->f.pts;
    out->pts = s->f.pts + s->offset;
    out->width = s->f.width;
    out->height = s->f.height;
    return VD_OK;
}

int rt_input_rgb(rt_input *s, uint8_t *dst, size_t size, vd_error *err)
{
    vd_convert c = {.fmt = VD_PIX_RGB24};
    return vd_reader_convert(s->r, &s->f, &c, dst, size, err);
}

int rt_input_is_file(const rt_input *s) { return s->is_file; }

int64_t rt_input_packets(const rt_input *s)
{
    vd_reader_stats st;
    vd_reader_stats_get(s->r, &st);
    return st.packets;
}

int64_t rt_input_damaged(const rt_input *s, char *msg, size_t size)
{
    vd_reader_stats st;
    vd_reader_stats_get(s->r, &st);
    snprintf(msg, size, "%s", st.last_error);
    return st.decode_errors;
}

void rt_input_interrupt(rt_input *s)
{
    if (s && s->r)
        vd_reader_interrupt(s->r);
}

void rt_input_close(rt_input **ps)
{
    rt_input *s = *ps;
    if (!s)
        return;
    vd_reader_close(&s->r);
    free(s);
    *ps = NULL;
}
