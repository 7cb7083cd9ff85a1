/* session.c -- vd_nn_session: shapes, plan, arena and run for one model.
 *
 * Planning happens at create and again whenever an input shape changes
 * (batch or override), never inside run():
 *   1. input shapes are resolved (leading symbolic dim = batch);
 *   2. nodes are walked in order; op->infer gives output shapes. A node
 *      whose inputs are all known (constants, or values derived only from
 *      shapes, e.g. Shape -> Gather -> Concat -> Reshape's shape input) is
 *      evaluated right there and drops out of the plan;
 *   3. outputs of DYNAMIC ops and everything downstream are marked
 *      dynamic: re-inferred at run time, stored in per-value heap buffers
 *      that only ever grow (so steady-state runs do not allocate);
 *   4. every other value and every workspace gets an offset in ONE arena:
 *      lifetimes from the plan, in-place reuse for VD_NN_OP_INPLACE ops,
 *      then greedy best-fit placement, largest first.
 * run() then only points graph inputs at the caller's memory, calls the
 * kernels and copies the graph outputs out. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "model.h"

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)

enum { SV_NONE, SV_CONST, SV_INPUT, SV_KNOWN, SV_ARENA, SV_DYN };

typedef struct sval {
    vd_tensor t;
    int kind;
    size_t off;        /* SV_ARENA */
    void *heap;        /* SV_KNOWN / SV_DYN storage, grows only */
    size_t cap;
} sval;

typedef struct step {
    int node;
    int dyn;
    size_t ws_off, ws_size;
    vd_tensor **in, **out;
    double ms;
    int64_t runs;
} step;

struct vd_nn_session {
    const vd_nn_model *m;
    int threads, batch, profile;
    int *ovr_ndim;                          /* per input, -1: none */
    int64_t (*ovr)[VD_TENSOR_MAX_DIMS];
    sval *v;
    vd_tensor **ptrs;                       /* per node: in[] then out[] */
    int *ptr_at;
    step *steps;
    int n_steps, cur_step;
    void *arena;
    size_t arena_bytes;
    void *dyn_ws;
    size_t dyn_ws_cap;
    vd_nn_pool *pool;
    vd_nn_ctx ctx;
    int planned;
    vd_error plan_err;                      /* why planning is deferred */
};

/* ---- small helpers ---- */

static int grow(void **buf, size_t *cap, size_t need, vd_error *err)
{
    if (need <= *cap && *buf)
        return VD_OK;
    size_t n = ALIGN64(need > 64 ? need : 64);
    void *p = aligned_alloc(64, n);
    if (!p)
        return vd_error_set(err, VD_ENOMEM, "cannot allocate %zu bytes", n);
    free(*buf);
    *buf = p;
    *cap = n;
    return VD_OK;
}

/* A planned tensor may hold at most 16 GiB, the loader's limit for a
 * weight, and no dimension may exceed it even when another is 0: shapes
 * come from the file (declared inputs, Reshape/Expand/Tile constants), and
 * without this a declared [2^40, 2^40] overflows the element count. */
#define VD_NN_PLAN_MAX_BYTES ((int64_t)1 << 34)

static int size_limit(const vd_tensor *t, vd_error *err)
{
    int64_t bytes = (int64_t)vd_dtype_size(t->dtype);
    for (int d = 0; d < t->ndim; d++) {
        int64_t x = t->shape[d];
        if (x > VD_NN_PLAN_MAX_BYTES || (x && bytes > VD_NN_PLAN_MAX_BYTES / x)) {
            char buf[VD_TENSOR_MAX_DIMS * 21 + 3];
            return vd_error_set(err, VD_ELIMIT, "shape %s is over the limit of %lld bytes",
                                vd_tensor_shape_str(t, buf, sizeof buf),
                                (long long)VD_NN_PLAN_MAX_BYTES);
        }
        bytes *= x;
    }
    return VD_OK;
}

static vd_tensor **node_in(vd_nn_session *s, int i) { return s->ptrs + s->ptr_at[i]; }
static vd_tensor **node_out(vd_nn_session *s, int i)
{
    return s->ptrs + s->ptr_at[i] + s->m->nodes[i].n_in;
}

static int node_fail(const vd_nn_session *s, int i, vd_error *err, int rc)
{
    const vd_nn_node *n = &s->m->nodes[i];
    vd_error_prefix(err, "node '%s' (%s): ", n->name, s->m->node_ops[i]);
    return rc;
}

/* DYNAMIC outputs land in the value's own growing heap buffer. */
static int session_alloc(vd_nn_ctx *ctx, vd_tensor *out, vd_dtype dt, int ndim,
                         const int64_t *shape)
{
    vd_nn_session *s = ctx->owner;
    const vd_nn_node *n = &s->m->nodes[s->cur_step];
    vd_tensor **outs = node_out(s, s->cur_step);
    for (int o = 0; o < n->n_out; o++) {
        if (outs[o] != out)
            continue;
        if (ndim < 0 || ndim > VD_TENSOR_MAX_DIMS)
            return vd_nn_ctx_fail(ctx, VD_EINVAL, "output rank %d", ndim);
        sval *sv = &s->v[n->out[o]];
        vd_tensor_view(out, dt, ndim, shape, NULL);
        for (int d = 0; d < ndim; d++)
            if (shape[d] < 0)
                return vd_nn_ctx_fail(ctx, VD_EINVAL, "negative output dimension");
        int rc = size_limit(out, ctx->err);
        if (!rc)
            rc = grow(&sv->heap, &sv->cap, vd_tensor_nbytes(out), ctx->err);
        out->data = sv->heap;
        return rc;
    }
    /* Not one of the node's outputs (a kernel's temporary): plain tensor. */
    vd_tensor_free(out);
    return vd_tensor_alloc(out, dt, ndim, shape, ctx->err);
}

/* ---- shapes of graph inputs ---- */

static int resolve_input(vd_nn_session *s, int i, vd_tensor *t, vd_error *err)
{
    const vd_nn_io_info *io = &s->m->inputs[i];
    if (s->ovr_ndim[i] >= 0) {
        vd_tensor_view(t, io->dtype, s->ovr_ndim[i], s->ovr[i], NULL);
        return VD_OK;
    }
    if (io->ndim < 0)
        return vd_error_set(err, VD_EINVAL,
                            "input '%s' has no declared shape; give it with vd_nn_session_set_input_shape",
                            io->name);
    vd_tensor_view(t, io->dtype, io->ndim, io->shape, NULL);
    const char *batch_name = io->ndim > 0 && io->shape[0] < 0 ? io->dim_names[0] : NULL;
    for (int d = 0; d < io->ndim; d++) {
        if (io->shape[d] >= 0)
            continue;
        if (d == 0 || (batch_name && io->dim_names[d] && !strcmp(batch_name, io->dim_names[d])))
            t->shape[d] = s->batch;
        else
            return vd_error_set(err, VD_EINVAL,
                                "input '%s' dimension %d ('%s') is symbolic; give the shape with vd_nn_session_set_input_shape",
                                io->name, d, io->dim_names[d] ? io->dim_names[d] : "?");
    }
    return size_limit(t, err) ? vd_error_prefix(err, "input '%s': ", io->name) : VD_OK;
}

/* ---- plan: values and steps ---- */

static int is_known(const sval *sv)
{
    return sv->kind == SV_CONST || sv->kind == SV_KNOWN;
}

/* Shape and Size only read their input's shape. */
static int eval_shape_op(vd_nn_session *s, int i, vd_error *err)
{
    const vd_nn_node *n = &s->m->nodes[i];
    const vd_tensor *x = node_in(s, i)[0];
    vd_tensor *y = node_out(s, i)[0];
    sval *sv = &s->v[n->out[0]];
    int64_t lo = 0, hi = x->ndim, len;
    if (!strcmp(n->op_type, "Shape")) {
        lo = vd_nn_attr_int(n, "start", 0);
        hi = vd_nn_attr_int(n, "end", x->ndim);
        lo = lo < 0 ? lo + x->ndim : lo;
        hi = hi < 0 ? hi + x->ndim : hi;
        lo = lo < 0 ? 0 : (lo > x->ndim ? x->ndim : lo);
        hi = hi < lo ? lo : (hi > x->ndim ? x->ndim : hi);
    }
    len = hi - lo;
    int rc = grow(&sv->heap, &sv->cap, (size_t)(len > 0 ? len : 1) * 8, err);
    if (rc)
        return rc;
    if (!strcmp(n->op_type, "Shape")) {
        vd_tensor_view(y, VD_DTYPE_I64, 1, &len, sv->heap);
        for (int64_t d = lo; d < hi; d++)
            ((int64_t *)sv->heap)[d - lo] = x->shape[d];
    } else {
        vd_tensor_view(y, VD_DTYPE_I64, 0, NULL, sv->heap);
        *(int64_t *)sv->heap = vd_tensor_numel(x);
    }
    sv->kind = SV_KNOWN;
    return VD_OK;
}

/* Evaluate node i at plan time: its inputs are all known. */
static int eval_known(vd_nn_session *s, int i, vd_error *err)
{
    const vd_nn_node *n = &s->m->nodes[i];
    vd_tensor **in = node_in(s, i), **out = node_out(s, i);
    int dynamic = n->op->flags & VD_NN_OP_DYNAMIC, rc = VD_OK;
    for (int o = 0; o < n->n_out && !rc; o++) {
        if (n->out[o] < 0)
            continue;
        sval *sv = &s->v[n->out[o]];
        sv->kind = SV_KNOWN;
        if (!dynamic && !(rc = grow(&sv->heap, &sv->cap, vd_tensor_nbytes(out[o]), err)))
            out[o]->data = sv->heap;
    }
    size_t ws = !rc && n->op->workspace ? n->op->workspace(n, in, out) : 0;
    if (!rc && ws)
        rc = grow(&s->dyn_ws, &s->dyn_ws_cap, ws, err);
    if (rc)
        return rc;
    s->cur_step = i;
    s->ctx.workspace = s->dyn_ws;
    s->ctx.workspace_size = ws;
    s->ctx.err = err;
    return n->op->run(n, in, out, &s->ctx);
}

static int shape_only(const vd_nn_node *n)
{
    return !strcmp(n->op_type, "Shape") || !strcmp(n->op_type, "Size");
}

static int check_inferred(vd_tensor *const *out, int n_out, vd_error *err)
{
    for (int o = 0; o < n_out; o++) {
        if (out[o]->ndim < 0 || out[o]->ndim > VD_TENSOR_MAX_DIMS)
            return vd_error_set(err, VD_EINVAL, "inferred rank %d", out[o]->ndim);
        for (int d = 0; d < out[o]->ndim; d++)
            if (out[o]->shape[d] < 0)
                return vd_error_set(err, VD_EINVAL, "output %d has an unknown dimension after shape inference", o);
        if (size_limit(out[o], err))
            return vd_error_prefix(err, "output %d: ", o);
    }
    return VD_OK;
}

static int plan_node(vd_nn_session *s, int i, vd_error *err)
{
    const vd_nn_node *n = &s->m->nodes[i];
    vd_tensor **in = node_in(s, i), **out = node_out(s, i);
    int dyn_in = 0, all_known = 1;
    for (int k = 0; k < n->n_in; k++) {
        if (n->in[k] < 0)
            continue;
        const sval *sv = &s->v[n->in[k]];
        dyn_in |= sv->kind == SV_DYN;
        all_known &= is_known(sv);
    }
    for (int o = 0; o < n->n_out; o++)
        if (n->out[o] >= 0)
            memset(out[o], 0, sizeof *out[o]);
    if (dyn_in) {
        for (int o = 0; o < n->n_out; o++)
            if (n->out[o] >= 0)
                s->v[n->out[o]].kind = SV_DYN;
        return 1; /* a dynamic step */
    }
    if (shape_only(n) && n->n_in == 1 && n->in[0] >= 0 && n->n_out == 1 && n->out[0] >= 0)
        return eval_shape_op(s, i, err);
    int rc = n->op->infer(n, in, out, err);
    int dynamic = n->op->flags & VD_NN_OP_DYNAMIC;
    if (rc == VD_NN_NEEDS_DATA && !all_known) {
        /* The shape depends on a graph input's data (a Reshape whose
         * shape is an input): infer again at run time, with the data. */
        dynamic = 1;
        rc = VD_OK;
        for (int o = 0; o < n->n_out; o++)
            memset(out[o], 0, sizeof *out[o]);
    } else if (rc) {
        return rc == VD_NN_NEEDS_DATA ? VD_EUNSUPPORTED : rc;
    } else if (!dynamic && (rc = check_inferred(out, n->n_out, err))) {
        return rc;
    }
    if (all_known)
        return eval_known(s, i, err);
    for (int o = 0; o < n->n_out; o++)
        if (n->out[o] >= 0)
            s->v[n->out[o]].kind = dynamic ? SV_DYN : SV_ARENA;
    return dynamic ? 1 : 2;
}

/* ---- plan: arena ---- */

typedef struct buf {
    size_t size, off;
    int first, last;
    int placed;
} buf;

static int cmp_size_desc(const void *a, const void *b)
{
    const buf *x = *(const buf *const *)a, *y = *(const buf *const *)b;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : x->first - y->first;
}

/* Greedy best fit: the smallest gap between already placed buffers whose
 * lifetimes overlap this one; the end of them if none fits. */
static void place(buf *b, buf **sorted, int n_placed, size_t *top)
{
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    /* sorted[0..n_placed) are placed; walk overlapping ones by offset */
    for (;;) {
        const buf *next = NULL;
        for (int k = 0; k < n_placed; k++) {
            const buf *o = sorted[k];
            if (o->last < b->first || o->first > b->last || o->off + o->size <= cursor)
                continue;
            if (!next || o->off < next->off)
                next = o;
        }
        size_t end = next ? next->off : SIZE_MAX;
        if (end > cursor && end - cursor >= b->size && (best == SIZE_MAX || end - cursor < best_gap)) {
            best = cursor;
            best_gap = end - cursor;
        }
        if (!next)
            break;
        if (next->off + next->size > cursor)
            cursor = next->off + next->size;
    }
    b->off = best;
    b->placed = 1;
    if (best + b->size > *top)
        *top = best + b->size;
}

/* Step of the last read of each value (graph outputs: past the end). */
static void lifetimes(const vd_nn_session *s, int *last)
{
    const vd_nn_model *m = s->m;
    for (int v = 0; v < m->n_values; v++)
        last[v] = -1;
    for (int k = 0; k < s->n_steps; k++) {
        const vd_nn_node *n = &m->nodes[s->steps[k].node];
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i] >= 0)
                last[n->in[i]] = k;
    }
    for (int j = 0; j < m->n_outputs; j++)
        last[m->output_vals[j]] = s->n_steps;
}

/* One buffer per arena value (an in-place output shares its input's) and
 * per workspace; bufof[v] is v's buffer, steps' ws_off a buffer index. */
static int collect_buffers(vd_nn_session *s, const int *last, int *bufof, buf *bufs)
{
    int nb = 0;
    for (int v = 0; v < s->m->n_values; v++)
        bufof[v] = -1;
    for (int k = 0; k < s->n_steps; k++) {
        step *st = &s->steps[k];
        const vd_nn_node *n = &s->m->nodes[st->node];
        vd_tensor **in = node_in(s, st->node), **out = node_out(s, st->node);
        for (int o = 0; o < n->n_out; o++) {
            int v = n->out[o], x = o == 0 && n->n_in > 0 ? n->in[0] : -1;
            if (s->v[v].kind != SV_ARENA)
                continue;
            /* an empty tensor still gets a real (64-byte) address */
            size_t bytes = ALIGN64(vd_tensor_nbytes(out[o]) ? vd_tensor_nbytes(out[o]) : 1);
            int lv = last[v] < k ? k : last[v];
            if ((n->op->flags & VD_NN_OP_INPLACE) && x >= 0 && s->v[x].kind == SV_ARENA &&
                last[x] == k && bufof[x] >= 0 && in[0]->dtype == out[o]->dtype &&
                vd_tensor_numel(in[0]) == vd_tensor_numel(out[o])) { /* not a broadcast */
                bufof[v] = bufof[x];
                bufs[bufof[v]].last = lv;
                continue;
            }
            bufs[nb] = (buf){bytes, 0, k, lv, 0};
            bufof[v] = nb++;
        }
        st->ws_size = st->dyn || !n->op->workspace ? 0 : n->op->workspace(n, in, out);
        if (st->ws_size) {
            bufs[nb] = (buf){ALIGN64(st->ws_size), 0, k, k, 0};
            st->ws_off = (size_t)nb++;
        }
    }
    return nb;
}

static int plan_arena(vd_nn_session *s, vd_error *err)
{
    int nv = s->m->n_values, rc = VD_OK, nb;
    int *last = malloc((size_t)(nv + 1) * sizeof *last), *bufof = malloc((size_t)(nv + 1) * sizeof *bufof);
    buf *bufs = calloc((size_t)(nv + s->n_steps + 1), sizeof *bufs);
    buf **order = calloc((size_t)(nv + s->n_steps + 1), sizeof *order);
    if (!last || !bufof || !bufs || !order) {
        rc = vd_error_set(err, VD_ENOMEM, "out of memory");
        goto out;
    }
    lifetimes(s, last);
    nb = collect_buffers(s, last, bufof, bufs);
    for (int b = 0; b < nb; b++)
        order[b] = &bufs[b];
    qsort(order, (size_t)nb, sizeof *order, cmp_size_desc);
    size_t top = 0;
    for (int b = 0; b < nb; b++)
        place(order[b], order, b, &top);
    free(s->arena);
    s->arena = NULL;
    s->arena_bytes = top;
    if (top && !(s->arena = aligned_alloc(64, ALIGN64(top)))) {
        rc = vd_error_set(err, VD_ENOMEM, "cannot allocate an arena of %zu bytes", top);
        goto out;
    }
    for (int v = 0; v < nv; v++)
        if (bufof[v] >= 0) {
            s->v[v].off = bufs[bufof[v]].off;
            s->v[v].t.data = (char *)s->arena + s->v[v].off;
        }
    for (int k = 0; k < s->n_steps; k++)
        if (s->steps[k].ws_size)
            s->steps[k].ws_off = bufs[s->steps[k].ws_off].off;
out:
    free(last);
    free(bufof);
    free(bufs);
    free(order);
    return rc;
}

static int plan(vd_nn_session *s, vd_error *err)
{
    const vd_nn_model *m = s->m;
    s->planned = 0;
    s->n_steps = 0;
    for (int v = 0; v < m->n_values; v++) {
        sval *sv = &s->v[v];
        memset(&sv->t, 0, sizeof sv->t);
        sv->kind = m->values[v].is_const ? SV_CONST : SV_NONE;
        if (sv->kind == SV_CONST)
            sv->t = m->values[v].t, sv->t.owns = 0;
    }
    for (int i = 0; i < m->n_inputs; i++) {
        sval *sv = &s->v[m->input_vals[i]];
        sv->kind = SV_INPUT;
        int rc = resolve_input(s, i, &sv->t, &s->plan_err);
        if (rc == VD_ELIMIT) /* a shape no caller can fix */
            return vd_error_set(err, rc, "%s", s->plan_err.msg);
        if (rc)
            return 1; /* deferred until the caller gives the shape */
    }
    for (int i = 0; i < m->n_nodes; i++) {
        int rc = plan_node(s, i, err);
        if (rc < 0)
            return node_fail(s, i, err, rc);
        if (rc > 0)
            s->steps[s->n_steps++] = (step){.node = i, .dyn = rc == 1};
    }
    int rc = plan_arena(s, err);
    if (!rc)
        s->planned = 1;
    return rc;
}

/* ---- public: create / free / reshape ---- */

static int session_alloc_tables(vd_nn_session *s)
{
    const vd_nn_model *m = s->m;
    int n_ptrs = 0;
    for (int i = 0; i < m->n_nodes; i++)
        n_ptrs += m->nodes[i].n_in + m->nodes[i].n_out;
    s->v = calloc((size_t)m->n_values + 1, sizeof *s->v);
    s->ptrs = calloc((size_t)n_ptrs + 1, sizeof *s->ptrs);
    s->ptr_at = calloc((size_t)m->n_nodes + 1, sizeof *s->ptr_at);
    s->steps = calloc((size_t)m->n_nodes + 1, sizeof *s->steps);
    s->ovr_ndim = malloc(((size_t)m->n_inputs + 1) * sizeof *s->ovr_ndim);
    s->ovr = calloc((size_t)m->n_inputs + 1, sizeof *s->ovr);
    if (!s->v || !s->ptrs || !s->ptr_at || !s->steps || !s->ovr_ndim || !s->ovr)
        return VD_ENOMEM;
    for (int i = 0; i < m->n_inputs; i++)
        s->ovr_ndim[i] = -1;
    for (int i = 0, at = 0; i < m->n_nodes; i++) {
        const vd_nn_node *n = &m->nodes[i];
        s->ptr_at[i] = at;
        for (int k = 0; k < n->n_in; k++, at++)
            s->ptrs[at] = n->in[k] >= 0 ? &s->v[n->in[k]].t : NULL;
        for (int o = 0; o < n->n_out; o++, at++)
            s->ptrs[at] = &s->v[n->out[o]].t; /* the loader names every output */
    }
    return VD_OK;
}

int vd_nn_session_create(vd_nn_session **out, const vd_nn_model *m,
                         const vd_nn_session_opts *opts, vd_error *err)
{
    *out = NULL;
    vd_nn_session *s = calloc(1, sizeof *s);
    if (!s)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    s->m = m;
    s->threads = opts && opts->threads > 0 ? opts->threads : 1;
    s->batch = opts && opts->batch > 0 ? opts->batch : 1;
    s->profile = opts ? opts->profile : 0;
    int rc = session_alloc_tables(s) ? vd_error_set(err, VD_ENOMEM, "out of memory")
                                     : vd_nn_pool_create(&s->pool, s->threads, err);
    s->ctx = (vd_nn_ctx){.threads = s->threads, .err = err, .pool = s->pool,
                         .alloc = session_alloc, .owner = s};
    if (!rc)
        rc = plan(s, err);
    if (rc < 0) {
        vd_nn_session_free(&s);
        return rc;
    }
    *out = s;
    return VD_OK;
}

void vd_nn_session_free(vd_nn_session **ps)
{
    vd_nn_session *s = ps ? *ps : NULL;
    if (!s)
        return;
    const vd_nn_model *m = s->m;
    vd_nn_pool_free(&s->pool);
    for (int v = 0; s->v && v < m->n_values; v++)
        free(s->v[v].heap);
    free(s->v);
    free(s->ptrs);
    free(s->ptr_at);
    free(s->steps);
    free(s->ovr_ndim);
    free(s->ovr);
    free(s->arena);
    free(s->dyn_ws);
    free(s);
    *ps = NULL;
}

static int replan(vd_nn_session *s, vd_error *err)
{
    int rc = plan(s, err);
    return rc > 0 ? VD_OK : rc;
}

/* Apply a shape change; if the graph cannot be planned with it, restore
 * the previous one so the session stays usable. */
static int reshape(vd_nn_session *s, int batch, int input, int ndim, const int64_t *shape,
                   vd_error *err)
{
    int old_batch = s->batch, old_ndim = input >= 0 ? s->ovr_ndim[input] : 0;
    int64_t old_shape[VD_TENSOR_MAX_DIMS] = {0};
    s->batch = batch;
    if (input >= 0) {
        memcpy(old_shape, s->ovr[input], sizeof old_shape);
        s->ovr_ndim[input] = ndim;
        memcpy(s->ovr[input], shape, (size_t)ndim * sizeof *shape);
    }
    int rc = replan(s, err);
    if (rc) {
        s->batch = old_batch;
        if (input >= 0) {
            s->ovr_ndim[input] = old_ndim;
            memcpy(s->ovr[input], old_shape, sizeof old_shape);
        }
        replan(s, NULL);
    }
    return rc;
}

int vd_nn_session_set_batch(vd_nn_session *s, int batch, vd_error *err)
{
    if (batch < 1)
        return vd_error_set(err, VD_EINVAL, "batch %d: must be at least 1", batch);
    int symbolic = 0;
    for (int i = 0; i < s->m->n_inputs; i++)
        symbolic |= s->m->inputs[i].ndim > 0 && s->m->inputs[i].shape[0] < 0;
    if (!symbolic && batch != 1)
        return vd_error_set(err, VD_EINVAL,
                            "batch %d: the model has no input with a symbolic leading dimension", batch);
    return reshape(s, batch, -1, 0, NULL, err);
}

int vd_nn_session_set_input_shape(vd_nn_session *s, int input, int ndim,
                                  const int64_t *shape, vd_error *err)
{
    if (input < 0 || input >= s->m->n_inputs)
        return vd_error_set(err, VD_ERANGE, "input index %d (the model has %d)", input, s->m->n_inputs);
    const vd_nn_io_info *io = &s->m->inputs[input];
    if (ndim < 0 || ndim > VD_TENSOR_MAX_DIMS || (io->ndim >= 0 && ndim != io->ndim))
        return vd_error_set(err, VD_EINVAL, "input '%s': rank %d, the model declares %d", io->name,
                            ndim, io->ndim);
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0 || (io->ndim >= 0 && io->shape[d] >= 0 && shape[d] != io->shape[d]))
            return vd_error_set(err, VD_EINVAL, "input '%s': dimension %d cannot be %lld (the model says %lld)",
                                io->name, d, (long long)shape[d], (long long)(io->ndim >= 0 ? io->shape[d] : -1));
    return reshape(s, s->batch, input, ndim, shape, err);
}

/* ---- public: queries ---- */

static int shape_of(const vd_nn_session *s, int v, const vd_nn_io_info *io, int64_t *shape)
{
    const sval *sv = &s->v[v];
    if (!s->planned || sv->kind == SV_DYN) {
        for (int d = 0; d < io->ndim; d++)
            shape[d] = -1;
        if (s->planned && sv->t.ndim > 0) {
            for (int d = 0; d < sv->t.ndim; d++)
                shape[d] = sv->t.shape[d];
            return sv->t.ndim;
        }
        return io->ndim;
    }
    memcpy(shape, sv->t.shape, (size_t)sv->t.ndim * sizeof *shape);
    return sv->t.ndim;
}

int vd_nn_session_input_shape(const vd_nn_session *s, int i, int64_t *shape)
{
    if (i < 0 || i >= s->m->n_inputs)
        return VD_ERANGE;
    return shape_of(s, s->m->input_vals[i], &s->m->inputs[i], shape);
}

int vd_nn_session_output_shape(const vd_nn_session *s, int i, int64_t *shape)
{
    if (i < 0 || i >= s->m->n_outputs)
        return VD_ERANGE;
    return shape_of(s, s->m->output_vals[i], &s->m->outputs[i], shape);
}

size_t vd_nn_session_arena_bytes(const vd_nn_session *s)
{
    return s->planned ? s->arena_bytes : 0;
}

/* ---- public: run ---- */

static int bind_inputs(vd_nn_session *s, const vd_tensor *inputs, int n_inputs, vd_error *err)
{
    const vd_nn_model *m = s->m;
    if (n_inputs != m->n_inputs)
        return vd_error_set(err, VD_EINVAL, "%d inputs given, the model has %d", n_inputs, m->n_inputs);
    for (int i = 0; i < n_inputs; i++) {
        vd_tensor *t = &s->v[m->input_vals[i]].t;
        char a[128], b[128];
        if (inputs[i].dtype != t->dtype)
            return vd_error_set(err, VD_EINVAL, "input '%s': dtype %s, the model expects %s",
                                m->inputs[i].name, vd_dtype_name(inputs[i].dtype), vd_dtype_name(t->dtype));
        if (!vd_tensor_same_shape(&inputs[i], t))
            return vd_error_set(err, VD_EINVAL,
                                "input '%s': shape %s, the session is planned for %s (see vd_nn_session_set_batch/set_input_shape)",
                                m->inputs[i].name, vd_tensor_shape_str(&inputs[i], a, sizeof a),
                                vd_tensor_shape_str(t, b, sizeof b));
        if (!inputs[i].data && vd_tensor_nbytes(t))
            return vd_error_set(err, VD_EINVAL, "input '%s': no data", m->inputs[i].name);
        t->data = inputs[i].data;
    }
    return VD_OK;
}

/* A dynamic step: shapes come from the data just computed. */
static int prepare_dynamic(vd_nn_session *s, const step *st, vd_error *err)
{
    const vd_nn_node *n = &s->m->nodes[st->node];
    vd_tensor **in = node_in(s, st->node), **out = node_out(s, st->node);
    int rc = n->op->infer(n, in, out, err);
    if (rc)
        return rc == VD_NN_NEEDS_DATA ? VD_EUNSUPPORTED : rc; /* with the data: a kernel bug */
    int dynamic = n->op->flags & VD_NN_OP_DYNAMIC;
    if (!dynamic && (rc = check_inferred(out, n->n_out, err)))
        return rc;
    for (int o = 0; o < n->n_out; o++) {
        if (n->out[o] < 0)
            continue;
        sval *sv = &s->v[n->out[o]];
        out[o]->data = NULL;
        if (!dynamic && (rc = grow(&sv->heap, &sv->cap, vd_tensor_nbytes(out[o]), err)))
            return rc;
        if (!dynamic)
            out[o]->data = sv->heap;
    }
    size_t ws = n->op->workspace ? n->op->workspace(n, in, out) : 0;
    if (ws && (rc = grow(&s->dyn_ws, &s->dyn_ws_cap, ws, err)))
        return rc;
    s->ctx.workspace = s->dyn_ws;
    s->ctx.workspace_size = ws;
    return VD_OK;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_step(vd_nn_session *s, step *st, vd_error *err)
{
    const vd_nn_node *n = &s->m->nodes[st->node];
    int rc = VD_OK;
    s->cur_step = st->node;
    if (st->dyn) {
        rc = prepare_dynamic(s, st, err);
    } else {
        s->ctx.workspace = st->ws_size ? (char *)s->arena + st->ws_off : NULL;
        s->ctx.workspace_size = st->ws_size;
    }
    if (!rc)
        rc = n->op->run(n, node_in(s, st->node), node_out(s, st->node), &s->ctx);
    return rc ? node_fail(s, st->node, err, rc) : VD_OK;
}

static int copy_outputs(vd_nn_session *s, vd_tensor *outputs, int n_outputs, vd_error *err)
{
    const vd_nn_model *m = s->m;
    for (int j = 0; j < n_outputs; j++) {
        const vd_tensor *src = &s->v[m->output_vals[j]].t;
        vd_tensor *dst = &outputs[j];
        char a[128], b[128];
        if (!dst->data) {
            int rc = vd_tensor_alloc(dst, src->dtype, src->ndim, src->shape, err);
            if (rc)
                return vd_error_prefix(err, "output '%s': ", m->outputs[j].name), rc;
        } else if (!vd_tensor_same_shape(dst, src)) {
            return vd_error_set(err, VD_EINVAL, "output '%s': the caller's tensor is %s %s, the result is %s %s",
                                m->outputs[j].name, vd_dtype_name(dst->dtype),
                                vd_tensor_shape_str(dst, a, sizeof a), vd_dtype_name(src->dtype),
                                vd_tensor_shape_str(src, b, sizeof b));
        }
        if (vd_tensor_nbytes(src))
            memcpy(dst->data, src->data, vd_tensor_nbytes(src));
    }
    return VD_OK;
}

int vd_nn_session_run(vd_nn_session *s, const vd_tensor *inputs, int n_inputs,
                      vd_tensor *outputs, int n_outputs, vd_error *err)
{
    if (!s->planned) {
        if (err)
            *err = s->plan_err;
        return s->plan_err.code ? s->plan_err.code : VD_EINVAL;
    }
    if (n_outputs < 0 || n_outputs > s->m->n_outputs)
        return vd_error_set(err, VD_EINVAL, "%d outputs requested, the model has %d", n_outputs,
                            s->m->n_outputs);
    int rc = bind_inputs(s, inputs, n_inputs, err);
    if (rc)
        return rc;
    s->ctx.err = err;
    for (int k = 0; k < s->n_steps && !rc; k++) {
        step *st = &s->steps[k];
        double t0 = s->profile ? now_ms() : 0;
        rc = run_step(s, st, err);
        if (s->profile) {
            st->ms += now_ms() - t0;
            st->runs++;
        }
    }
    return rc ? rc : copy_outputs(s, outputs, n_outputs, err);
}

/* ---- public: profile ---- */

int vd_nn_session_profile_count(const vd_nn_session *s)
{
    return s->planned ? s->n_steps : 0;
}

int vd_nn_session_profile(const vd_nn_session *s, int i, vd_nn_node_profile *p)
{
    if (i < 0 || i >= vd_nn_session_profile_count(s))
        return VD_ERANGE;
    const step *st = &s->steps[i];
    p->name = s->m->nodes[st->node].name;
    p->op = s->m->node_ops[st->node];
    p->total_ms = st->ms;
    p->runs = st->runs;
    return VD_OK;
}

void vd_nn_session_profile_reset(vd_nn_session *s)
{
    for (int k = 0; k < s->n_steps; k++)
        s->steps[k].ms = 0, s->steps[k].runs = 0;
}
