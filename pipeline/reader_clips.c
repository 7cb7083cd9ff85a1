/* reader_clips.c -- torchvision's VideoClips index arithmetic over one
 * video's packet index: every window of `frames` frames, `stride` frames
 * apart, optionally on the video resampled to `frame_rate`.
 *
 * The design choice to know: the arithmetic is torchvision's to the bit,
 * not a "better" one, so that a dataset listed here numbers its clips as
 * the Python one does. An integer ratio fps/frame_rate takes every k-th
 * frame of the whole video; any other ratio keeps floor(n * frame_rate /
 * fps) frames picked as floor(i * step) with i and step in float32
 * (torch.arange(float32) * step), which repeats frames when upsampling. */
#include "reader_internal.h"

#include <math.h>
#include <stdlib.h>

void vd_clips_free(vd_clips *c)
{
    if (!c)
        return;
    free(c->index);
    free(c->start);
    free(c->end);
    c->index = NULL;
    c->start = c->end = NULL;
    c->n = 0;
}

/* The resampled video as frame indices into the original: *m of them. */
static int64_t *resample(int64_t n, double fps, double rate, int64_t *m)
{
    double step = rate > 0 ? fps / rate : 1;
    int64_t k = (int64_t)step;
    int integer = (double)k == step;
    *m = integer ? (n + k - 1) / k : (int64_t)floor((double)n * (rate / fps));
    int64_t *v = malloc((*m + 1) * sizeof *v);
    for (int64_t i = 0; v && i < *m; i++)
        v[i] = integer ? i * k : (int64_t)floorf((float)i * (float)step);
    return v;
}

static int clips_fill(vd_reader *r, const int64_t *v, int64_t m, vd_clips *c, vd_error *err)
{
    /* unfold(): windows of `frames` elements, `stride` apart */
    c->n = m >= c->frames ? (m - c->frames) / c->stride + 1 : 0;
    c->index = malloc((c->n * c->frames + 1) * sizeof *c->index);
    c->start = malloc((c->n + 1) * sizeof *c->start);
    c->end = malloc((c->n + 1) * sizeof *c->end);
    if (!c->index || !c->start || !c->end)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    const rd_index *ix = r->idx;
    for (int64_t i = 0; i < c->n; i++) {
        for (int64_t j = 0; j < c->frames; j++)
            c->index[i * c->frames + j] = v[i * c->stride + j];
        c->start[i] = rd_ticks_to_s(r, ix->ts[c->index[i * c->frames]]);
        c->end[i] = rd_ticks_to_s(r, ix->ts[c->index[i * c->frames + c->frames - 1]]);
    }
    return 0;
}

int vd_reader_clips(vd_reader *r, int64_t frames, int64_t stride, double frame_rate,
                    vd_clips *out, vd_error *err)
{
    *out = (vd_clips){.frames = frames, .stride = stride};
    if (frames < 1 || stride < 1 || !(frame_rate >= 0) || isinf(frame_rate))
        return vd_error_set(err, VD_EINVAL,
                            "%s: clips need frames >= 1 (%lld), stride >= 1 (%lld) and a "
                            "frame rate >= 0 (%g)",
                            r->url, (long long)frames, (long long)stride, frame_rate);
    int ret = rd_index_build(r, err);
    if (ret)
        return ret;
    AVRational q = r->st->avg_frame_rate.num ? r->st->avg_frame_rate : r->st->r_frame_rate;
    out->fps = q.num && q.den ? av_q2d(q) : 0;
    if (out->fps <= 0)
        return vd_error_set(err, VD_EUNSUPPORTED, "%s: no frame rate to resample from",
                            r->url);
    int64_t m;
    int64_t *v = resample(r->idx->n, out->fps, frame_rate, &m);
    ret = v ? clips_fill(r, v, m, out, err)
            : vd_error_set(err, VD_ENOMEM, "%s: out of memory", r->url);
    free(v);
    if (ret)
        vd_clips_free(out);
    return ret;
}
