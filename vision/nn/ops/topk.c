/* topk.c -- kernel family "topk": ONNX TopK (opsets 1, 10, 11).
 *
 * Design choice: every element becomes a 64-bit key whose unsigned order
 * is the wanted order (value order for largest=1, reversed for
 * largest=0; NaN the largest value; -0 equal to +0), so one selection
 * loop serves every dtype. Selection is partial: a heap of the k best
 * keys per chunk of the axis, scanned in index order, so that a new
 * element enters only when its key is strictly greater than the heap's
 * worst (an equal key has a higher index and loses the tie, as in
 * onnxruntime). A line is split into chunks across the workers when there
 * are fewer lines than workers; the chunks' survivors are merged and the
 * k best sorted (key descending, index ascending). The output is always
 * sorted, which sorted=0 allows. */
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "vectorize.h"

/* Elements per chunk below which a line is not split across workers. */
#define TOPK_CHUNK_MIN 65536
/* Keys computed per block before the scan (stays in L1). */
#define TOPK_BLOCK 256

typedef struct topk_item {
    uint64_t key;
    int64_t idx;
} topk_item;

static int topk_k(const vd_nn_node *n, vd_tensor *const *in, int64_t *k, vd_error *err)
{
    if (n->op->since_opset < 10) {
        *k = vd_nn_attr_int(n, "k", -1);
        return VD_OK;
    }
    int rc = vd_nn_kernel_need_data(in[1], "k", err);
    if (rc < 0)
        return rc;
    if (vd_tensor_numel(in[1]) != 1)
        return vd_error_set(err, VD_EINVAL, "k must hold one value");
    *k = vd_nn_tensor_get_i64(in[1], 0);
    return VD_OK;
}

static int topk_infer(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                      vd_error *err)
{
    int axis;
    int64_t k = 0;
    int rc = vd_nn_axis(vd_nn_attr_int(n, "axis", -1), in[0]->ndim, &axis, err);
    if (rc < 0 || (rc = topk_k(n, in, &k, err)) < 0)
        return rc;
    if (k < 0 || k > in[0]->shape[axis])
        return vd_error_set(err, VD_EINVAL, "k = %lld is outside [0, %lld] (axis %d)",
                            (long long)k, (long long)in[0]->shape[axis], axis);
    if (in[0]->dtype == VD_DTYPE_BOOL)
        return vd_error_set(err, VD_EUNSUPPORTED, "TopK on bool");
    vd_nn_kernel_set_shape(out[0], in[0]->dtype, in[0]->ndim, in[0]->shape);
    out[0]->shape[axis] = k;
    if (n->n_out > 1 && out[1]) {
        vd_nn_kernel_set_shape(out[1], VD_DTYPE_I64, in[0]->ndim, in[0]->shape);
        out[1]->shape[axis] = k;
    }
    return VD_OK;
}

/* The order-preserving unsigned image of a float (sign bit set: all bits
 * flipped; clear: sign bit set), -0 mapped with +0 and NaN above +inf. */
static inline uint32_t topk_f32_key(float v)
{
    v += 0.0f; /* -0 becomes +0 */
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u = u & 0x80000000u ? ~u : u | 0x80000000u;
    return v != v ? UINT32_MAX : u;
}

/* Keys of n contiguous floats, and their maximum: the scan skips a whole
 * block whose maximum cannot enter the heap. Branch-free, so it
 * vectorises (8 keys per AVX2 op). */
VD_NN_CLONES_AVX2
static uint64_t topk_keys_f32(const float *f, int64_t n, uint32_t flip, uint64_t *kb)
{
    uint32_t mx = 0;
    for (int64_t j = 0; j < n; j++) {
        uint32_t k = topk_f32_key(f[j]) ^ flip;
        kb[j] = k;
        mx = k > mx ? k : mx;
    }
    return mx;
}

/* Keys of elements r0 .. r0+n-1 of the line at base (stride inner), and
 * their maximum. */
static uint64_t topk_keys(const vd_tensor *x, int64_t base, int64_t inner, int64_t r0,
                          int64_t n, int largest, uint64_t *kb)
{
    const uint64_t flip = largest ? 0 : UINT64_MAX;
    uint64_t mx = 0;
    if (x->dtype == VD_DTYPE_F32) {
        const float *f = (const float *)x->data + base + r0 * inner;
        if (inner == 1)
            return topk_keys_f32(f, n, (uint32_t)flip, kb);
        float g[TOPK_BLOCK];
        for (int64_t j = 0; j < n; j++)
            g[j] = f[j * inner];
        return topk_keys_f32(g, n, (uint32_t)flip, kb);
    }
    for (int64_t j = 0; j < n; j++) {
        int64_t at = base + (r0 + j) * inner;
        uint64_t key;
        if (x->dtype == VD_DTYPE_F64) {
            double v = ((const double *)x->data)[at] + 0.0;
            uint64_t u;
            memcpy(&u, &v, sizeof u);
            u = u >> 63 ? ~u : u | UINT64_C(0x8000000000000000);
            key = v != v ? UINT64_MAX : u;
        } else { /* integers: shift the signed value into unsigned order */
            key = (uint64_t)vd_nn_tensor_get_i64(x, at) ^ UINT64_C(0x8000000000000000);
        }
        kb[j] = key ^ flip;
        mx = kb[j] > mx ? kb[j] : mx;
    }
    return mx;
}

/* a comes before b: greater key, or equal key and lower index. */
static int topk_before(const topk_item *a, const topk_item *b)
{
    return a->key != b->key ? a->key > b->key : a->idx < b->idx;
}

static int topk_cmp(const void *pa, const void *pb)
{
    return topk_before(pa, pb) ? -1 : topk_before(pb, pa);
}

/* Restore the heap (worst item at h[0]) below position i. */
static void topk_sift(topk_item *h, int64_t n, int64_t i)
{
    topk_item v = h[i];
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && topk_before(&h[c], &h[c + 1]))
            c++;
        if (!topk_before(&v, &h[c]))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
}

typedef struct topk_job {
    const vd_tensor *x;
    vd_tensor *val, *idx;
    int64_t R, k, inner, nch, chunk; /* chunk: elements per chunk */
    int largest;
    topk_item *cand; /* k per (line, chunk) task */
    int64_t *n_cand;
} topk_job;

/* Task t = line * nch + chunk: the k best of the chunk into cand[t * k]. */
static void topk_select(void *arg, int64_t t0, int64_t t1)
{
    const topk_job *j = arg;
    uint64_t kb[TOPK_BLOCK];
    for (int64_t t = t0; t < t1; t++) {
        int64_t line = t / j->nch, c = t % j->nch;
        int64_t base = line / j->inner * j->R * j->inner + line % j->inner;
        int64_t r0 = c * j->chunk, r1 = r0 + j->chunk < j->R ? r0 + j->chunk : j->R;
        int64_t m = r1 - r0 < j->k ? r1 - r0 : j->k, filled = 0;
        int heaped = 0;
        topk_item *h = j->cand + t * j->k;
        for (int64_t r = r0; r < r1; r += TOPK_BLOCK) {
            int64_t nb = r1 - r < TOPK_BLOCK ? r1 - r : TOPK_BLOCK, b = 0;
            uint64_t mx = topk_keys(j->x, base, j->inner, r, nb, j->largest, kb);
            for (; b < nb && filled < m; b++)
                h[filled++] = (topk_item){kb[b], r + b};
            if (filled == m && !heaped) {
                for (int64_t i = m / 2 - 1; i >= 0; i--)
                    topk_sift(h, m, i);
                heaped = 1;
            }
            if (b == nb || mx <= h[0].key)
                continue;
            for (; b < nb; b++)
                if (kb[b] > h[0].key) {
                    h[0] = (topk_item){kb[b], r + b};
                    topk_sift(h, m, 0);
                }
        }
        j->n_cand[t] = m;
    }
}

/* Line l: gather its chunks' survivors, sort, write the first k. */
static void topk_merge(void *arg, int64_t l0, int64_t l1)
{
    const topk_job *j = arg;
    size_t es = vd_dtype_size(j->x->dtype);
    for (int64_t l = l0; l < l1; l++) {
        topk_item *c = j->cand + l * j->nch * j->k;
        int64_t n = 0;
        for (int64_t ch = 0; ch < j->nch; ch++) {
            int64_t cnt = j->n_cand[l * j->nch + ch];
            memmove(c + n, c + ch * j->k, sizeof *c * (size_t)cnt);
            n += cnt;
        }
        qsort(c, (size_t)n, sizeof *c, topk_cmp);
        int64_t o = l / j->inner, i = l % j->inner;
        int64_t base = o * j->R * j->inner + i, obase = o * j->k * j->inner + i;
        for (int64_t r = 0; r < j->k; r++) {
            memcpy((char *)j->val->data + (size_t)(obase + r * j->inner) * es,
                   (const char *)j->x->data + (size_t)(base + c[r].idx * j->inner) * es, es);
            if (j->idx)
                ((int64_t *)j->idx->data)[obase + r * j->inner] = c[r].idx;
        }
    }
}

static int topk_run(const vd_nn_node *n, vd_tensor *const *in, vd_tensor *const *out,
                    vd_nn_ctx *ctx)
{
    int rc = vd_nn_kernel_ensure_out(n, in, out, ctx);
    if (rc < 0)
        return rc;
    int axis;
    vd_nn_axis(vd_nn_attr_int(n, "axis", -1), in[0]->ndim, &axis, NULL);
    const vd_tensor *x = in[0];
    topk_job j = {.x = x, .val = out[0], .idx = n->n_out > 1 ? out[1] : NULL,
                  .R = x->shape[axis], .k = out[0]->shape[axis], .inner = 1,
                  .largest = (int)vd_nn_attr_int(n, "largest", 1)};
    int64_t lines = 1;
    for (int d = 0; d < x->ndim; d++)
        if (d != axis)
            lines *= x->shape[d];
    for (int d = axis + 1; d < x->ndim; d++)
        j.inner *= x->shape[d];
    if (j.k == 0 || lines == 0)
        return VD_OK;
    /* Split lines only when there are fewer of them than workers. */
    int64_t threads = vd_nn_ctx_threads(ctx);
    j.nch = lines >= threads ? 1 : (threads + lines - 1) / lines;
    if (j.nch > j.R / TOPK_CHUNK_MIN)
        j.nch = j.R / TOPK_CHUNK_MIN > 1 ? j.R / TOPK_CHUNK_MIN : 1;
    j.chunk = (j.R + j.nch - 1) / j.nch;
    j.nch = (j.R + j.chunk - 1) / j.chunk;
    int64_t tasks = lines * j.nch;
    j.cand = malloc(sizeof *j.cand * (size_t)(tasks * j.k));
    j.n_cand = malloc(sizeof *j.n_cand * (size_t)tasks);
    if (!j.cand || !j.n_cand) {
        free(j.cand);
        free(j.n_cand);
        return vd_nn_ctx_fail(ctx, VD_ENOMEM, "TopK: out of memory for %lld x %lld candidates",
                              (long long)tasks, (long long)j.k);
    }
    /* Grain: about TOPK_CHUNK_MIN elements of work per parallel piece. */
    int64_t grain = TOPK_CHUNK_MIN / (j.chunk > 0 ? j.chunk : 1);
    vd_nn_parallel_for(ctx, tasks, grain > 1 ? grain : 1, topk_select, &j);
    grain = TOPK_CHUNK_MIN / (j.nch * j.k * 8);
    vd_nn_parallel_for(ctx, lines, grain > 1 ? grain : 1, topk_merge, &j);
    free(j.cand);
    free(j.n_cand);
    return VD_OK;
}

/* Load time: input/output counts. */
static const vd_nn_kernel_arity arity[] = {
    {"TopK", 1, 1, 1, 1, 2}, {"TopK", 10, 2, 2, 1, 2}, {"TopK", 11, 2, 2, 1, 2},
    {NULL, 0, 0, 0, 0, 0},
};

static int topk_init(vd_nn_node *n, vd_error *err)
{
    return vd_nn_kernel_check_arity(arity, n, 1, 2, err);
}

#define A(...) (const char *const[]){__VA_ARGS__, NULL}

const vd_nn_op vd_nn_ops_topk[] = {
    {"TopK", 1, 0, A("axis", "k"), topk_init, NULL, topk_infer, NULL, topk_run},
    {"TopK", 10, 0, A("axis"), topk_init, NULL, topk_infer, NULL, topk_run},
    {"TopK", 11, 0, A("axis", "largest", "sorted"), topk_init, NULL, topk_infer, NULL, topk_run},
    {0},
};
