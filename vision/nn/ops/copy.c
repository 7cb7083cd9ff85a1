/* copy.c -- the strided copy of copy.h. Its rows are split over the
 * session's workers; each chunk recomputes its starting offsets from the
 * row index, so there is no per-element index arithmetic in the inner
 * loop. */
#include <stdint.h>
#include <string.h>

#include "copy.h"
#include "kernel.h"
#include "vectorize.h"

void vd_nn_copy_strides(const int64_t *shape, int nd, int64_t *st)
{
    int64_t s = 1;
    for (int i = nd - 1; i >= 0; i--) {
        st[i] = s;
        s *= shape[i];
    }
}

typedef struct copy_job {
    char *dst;
    const char *src;
    int64_t shape[VD_NN_COPY_MAX_DIMS], dst_st[VD_NN_COPY_MAX_DIMS],
        src_st[VD_NN_COPY_MAX_DIMS];
    int nd;
    size_t es;
    int64_t seg, nseg; /* long rows are cut in segments of seg elements */
} copy_job;

#define STRIDED_LOOP(T)                                                   \
    do {                                                                  \
        T *d_ = (T *)d;                                                   \
        const T *s_ = (const T *)s;                                       \
        for (int64_t i = 0; i < n; i++)                                   \
            d_[i * ds] = s_[i * ss];                                      \
    } while (0)

static void copy_row(char *d, int64_t ds, const char *s, int64_t ss, int64_t n,
                     size_t es)
{
    if (ds == 1 && ss == 1) {
        memcpy(d, s, (size_t)n * es);
        return;
    }
    switch (es) {
    case 1: STRIDED_LOOP(uint8_t); break;
    case 2: STRIDED_LOOP(uint16_t); break;
    case 4: STRIDED_LOOP(uint32_t); break;
    case 8: STRIDED_LOOP(uint64_t); break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(d + (size_t)(i * ds) * es, s + (size_t)(i * ss) * es, es);
    }
}

/* Element offsets of the start of row r in dst and src. */
static void row_offsets(const copy_job *j, int64_t r, int64_t *idx, int64_t *doff,
                        int64_t *soff)
{
    *doff = *soff = 0;
    for (int i = j->nd - 2; i >= 0; i--) {
        idx[i] = r % j->shape[i];
        r /= j->shape[i];
        *doff += idx[i] * j->dst_st[i];
        *soff += idx[i] * j->src_st[i];
    }
}

static void copy_rows(void *arg, int64_t begin, int64_t end)
{
    const copy_job *j = arg;
    int last = j->nd - 1;
    int64_t idx[VD_NN_COPY_MAX_DIMS] = {0}, doff, soff;
    row_offsets(j, begin, idx, &doff, &soff);
    for (int64_t row = begin; row < end; row++) {
        copy_row(j->dst + doff * (int64_t)j->es, j->dst_st[last],
                 j->src + soff * (int64_t)j->es, j->src_st[last], j->shape[last], j->es);
        for (int i = last - 1; i >= 0; i--) {
            doff += j->dst_st[i];
            soff += j->src_st[i];
            if (++idx[i] < j->shape[i])
                break;
            doff -= j->dst_st[i] * j->shape[i];
            soff -= j->src_st[i] * j->shape[i];
            idx[i] = 0;
        }
    }
}

/* Few long rows: work units are (row, segment) so that they still split. */
static void copy_segments(void *arg, int64_t begin, int64_t end)
{
    const copy_job *j = arg;
    int last = j->nd - 1;
    int64_t idx[VD_NN_COPY_MAX_DIMS], doff, soff;
    for (int64_t u = begin; u < end; u++) {
        int64_t s0 = u % j->nseg * j->seg, len = j->shape[last] - s0;
        row_offsets(j, u / j->nseg, idx, &doff, &soff);
        doff += s0 * j->dst_st[last];
        soff += s0 * j->src_st[last];
        copy_row(j->dst + doff * (int64_t)j->es, j->dst_st[last], j->src + soff * (int64_t)j->es,
                 j->src_st[last], len < j->seg ? len : j->seg, j->es);
    }
}

void vd_nn_copy_strided(vd_nn_ctx *ctx, void *dst, const int64_t *dst_st,
                      const void *src, const int64_t *src_st,
                      const int64_t *shape, int nd, size_t es)
{
    copy_job j = {.dst = dst, .src = src, .es = es};
    /* Drop unit dims and merge neighbours that are contiguous in both. */
    for (int i = 0; i < nd; i++) {
        if (shape[i] == 0)
            return;
        if (shape[i] == 1)
            continue;
        if (j.nd > 0 && j.dst_st[j.nd - 1] == dst_st[i] * shape[i] &&
            j.src_st[j.nd - 1] == src_st[i] * shape[i]) {
            j.shape[j.nd - 1] *= shape[i];
            j.dst_st[j.nd - 1] = dst_st[i];
            j.src_st[j.nd - 1] = src_st[i];
            continue;
        }
        j.shape[j.nd] = shape[i];
        j.dst_st[j.nd] = dst_st[i];
        j.src_st[j.nd] = src_st[i];
        j.nd++;
    }
    if (j.nd == 0) {
        j.shape[0] = 1;
        j.dst_st[0] = j.src_st[0] = 1;
        j.nd = 1;
    }
    int64_t rows = 1, inner = j.shape[j.nd - 1];
    for (int i = 0; i < j.nd - 1; i++)
        rows *= j.shape[i];
    if (inner >= 4 * VD_NN_KERNEL_GRAIN && vd_nn_ctx_threads(ctx) > 1) {
        j.seg = VD_NN_KERNEL_GRAIN;
        j.nseg = (inner + j.seg - 1) / j.seg;
        vd_nn_parallel_for(ctx, rows * j.nseg, 1, copy_segments, &j);
        return;
    }
    int64_t grain = VD_NN_KERNEL_GRAIN / inner;
    vd_nn_parallel_for(ctx, rows, grain > 0 ? grain : 1, copy_rows, &j);
}
