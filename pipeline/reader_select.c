/* reader_select.c -- the selection filter: [start,end) -> keyframes ->
 * step -> fps -> count, the single place that defines what a selection
 * delivers. Pure functions of a frame's pts and key flag: reader.c runs
 * the filter on decoded frames, reader_index.c on the packet index to
 * predict the delivered set before decoding. Calls nothing of the reader. */
#include "reader_internal.h"

#include <math.h>
#include <string.h>

#define TICK_EPS 1e-6 /* s: pts vs fps tick comparisons tolerate rounding */

void vd_reader_select_init(vd_reader_select *s)
{
    memset(s, 0, sizeof *s);
    s->start = NAN;
    s->end = NAN;
    s->step = 1;
}

int vd_reader_select_check(const vd_reader_select *s, vd_error *err)
{
    if (!isnan(s->start) && (s->start < 0 || !isfinite(s->start)))
        return vd_error_set(err, VD_EINVAL, "start %g must be a time >= 0", s->start);
    if (!isnan(s->end) && !isnan(s->start) && s->end <= s->start)
        return vd_error_set(err, VD_EINVAL, "end %g must be after start %g", s->end, s->start);
    if (!isnan(s->end) && s->end <= 0)
        return vd_error_set(err, VD_EINVAL, "end %g must be > 0", s->end);
    if (s->step < 1)
        return vd_error_set(err, VD_EINVAL, "step %lld must be >= 1", (long long)s->step);
    if (s->fps < 0 || isnan(s->fps) || isinf(s->fps))
        return vd_error_set(err, VD_EINVAL, "fps %g must be > 0", s->fps);
    if (s->count < 0)
        return vd_error_set(err, VD_EINVAL, "count %lld must be >= 0", (long long)s->count);
    return 0;
}

void rd_sel_reset(rd_sel *s, const vd_reader_select *sel)
{
    vd_reader_select keep = *sel; /* sel may point into s */
    memset(s, 0, sizeof *s);
    s->s = keep;
}

int rd_sel_accept(rd_sel *s, double pts, int key)
{
    if (s->done)
        return VD_EOF;
    if (!isnan(s->s.end) && pts >= s->s.end)
        return s->done = 1, VD_EOF;
    if (!isnan(s->s.start) && pts < s->s.start)
        return 0;
    if (s->s.keyframes && !key)
        return 0;
    int64_t k = s->in_range++;
    if (s->s.step > 1 && k % s->s.step)
        return 0;
    if (s->s.fps > 0) {
        if (!s->have_t0)
            s->have_t0 = 1, s->t0 = pts, s->next_tick = 0;
        if (pts < s->t0 + s->next_tick / s->s.fps - TICK_EPS)
            return 0;
        s->next_tick = (int64_t)floor((pts - s->t0) * s->s.fps + TICK_EPS) + 1;
    }
    if (s->s.count && s->delivered >= s->s.count)
        return s->done = 1, VD_EOF;
    s->delivered++;
    return 1;
}
