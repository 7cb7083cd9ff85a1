/* loader.c -- .onnx (ModelProto) -> vd_nn_model.
 *
 * The file is untrusted input (this is the fuzz entry point), so the
 * loader validates everything before a kernel sees it: opset range,
 * domains, value names (every input produced exactly once, no cycles),
 * ops and attribute names against the registry, then op->init(). Three
 * ONNX ops are handled here rather than by kernels because they only
 * rename values: Constant becomes a constant value, Identity and Dropout
 * (inference mode) alias their input. Errors name the node, the op and
 * the opset. */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "loader.h"
#include "model.h"
#include "pb.h"

#define VD_NN_OPSET_MIN 7
#define VD_NN_OPSET_MAX 20
#define VD_NN_MODEL_MAX_BYTES ((size_t)1 << 31) /* protobuf's own limit */

/* ---- name -> value index (open addressing, load-time only) ---- */

typedef struct name_map {
    const char **keys;
    int *vals;
    size_t cap;
} name_map;

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static int map_init(name_map *mp, size_t n)
{
    mp->cap = 16;
    while (mp->cap < 2 * n + 2)
        mp->cap *= 2;
    mp->keys = calloc(mp->cap, sizeof *mp->keys);
    mp->vals = calloc(mp->cap, sizeof *mp->vals);
    return mp->keys && mp->vals ? VD_OK : VD_ENOMEM;
}

static void map_free(name_map *mp)
{
    free(mp->keys);
    free(mp->vals);
}

static int *map_slot(name_map *mp, const char *key, int insert)
{
    for (size_t i = hash_str(key) & (mp->cap - 1);; i = (i + 1) & (mp->cap - 1)) {
        if (!mp->keys[i]) {
            if (!insert)
                return NULL;
            mp->keys[i] = key;
            mp->vals[i] = -1;
            return &mp->vals[i];
        }
        if (!strcmp(mp->keys[i], key))
            return &mp->vals[i];
    }
}

static int map_get(name_map *mp, const char *key)
{
    int *p = map_slot(mp, key, 0);
    return p ? *p : -1;
}

/* ---- load state ---- */

typedef struct load {
    vd_nn_model *m;
    const Onnx__GraphProto *g;
    name_map names;
    vd_error *err;
    int *alias_of;   /* per value: value it aliases (Identity/Dropout), -1 */
} load;

static char *dup_or(const char *s, const char *def)
{
    return strdup(s ? s : def);
}

static const char *str_or(const char *s)
{
    return s ? s : "";
}

static int default_domain(const char *d)
{
    return !d || !d[0] || !strcmp(d, "ai.onnx");
}

static int read_opset(load *L, const Onnx__ModelProto *mp)
{
    int64_t opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++)
        if (default_domain(mp->opset_import[i]->domain))
            opset = mp->opset_import[i]->version;
    if (opset < 0)
        return vd_error_set(L->err, VD_EFORMAT, "no opset_import for the default ONNX domain");
    if (opset < VD_NN_OPSET_MIN || opset > VD_NN_OPSET_MAX)
        return vd_error_set(L->err, VD_EUNSUPPORTED,
                            "opset %lld is not supported (supported: %d to %d)",
                            (long long)opset, VD_NN_OPSET_MIN, VD_NN_OPSET_MAX);
    L->m->opset = opset;
    return VD_OK;
}

/* Declare a new, uniquely named value. */
static int define_value(load *L, const char *name, const char *what)
{
    if (!name || !name[0])
        return vd_error_set(L->err, VD_EFORMAT, "%s has an empty name", what);
    int *slot = map_slot(&L->names, name, 1);
    if (*slot >= 0)
        return vd_error_set(L->err, VD_EFORMAT, "%s '%s' is defined more than once", what, name);
    char *copy = strdup(name);
    int v = copy ? vd_nn_model_add_value(L->m, copy) : VD_ENOMEM;
    if (v < 0) {
        free(copy);
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    }
    L->names.keys[slot - L->names.vals] = L->m->values[v].name;
    *slot = v;
    return v;
}

static int load_initializers(load *L)
{
    for (size_t i = 0; i < L->g->n_initializer; i++) {
        const Onnx__TensorProto *tp = L->g->initializer[i];
        int v = define_value(L, tp->name, "initializer");
        if (v < 0)
            return v;
        vd_nn_value *val = &L->m->values[v];
        int rc = vd_nn_tensor_from_pb(tp, L->m->dir, &val->t, L->err);
        if (rc)
            return vd_error_prefix(L->err, "initializer '%s': ", tp->name), rc;
        val->is_const = 1;
    }
    if (L->g->n_sparse_initializer)
        return vd_error_set(L->err, VD_EUNSUPPORTED, "sparse initializers are not supported");
    return VD_OK;
}

/* TypeProto -> io_info; the name is set by the caller. */
static int io_from_type(load *L, const Onnx__ValueInfoProto *vi, vd_nn_io_info *io)
{
    const char *name = str_or(vi->name);
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return vd_error_set(L->err, VD_EUNSUPPORTED, "'%s' is not a tensor (sequences, maps and optionals are not supported)", name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    int dt = vd_nn_dtype_from_onnx(tt->elem_type);
    if (dt < 0)
        return vd_error_set(L->err, VD_EUNSUPPORTED, "'%s' has element type %s, which is not supported",
                            name, vd_nn_onnx_type_name(tt->elem_type));
    io->dtype = dt;
    io->ndim = -1; /* rank unknown until a session is told the shape */
    if (!tt->shape)
        return VD_OK;
    if (tt->shape->n_dim > VD_TENSOR_MAX_DIMS)
        return vd_error_set(L->err, VD_EUNSUPPORTED, "'%s' has rank %zu (at most %d)", name,
                            tt->shape->n_dim, VD_TENSOR_MAX_DIMS);
    io->ndim = (int)tt->shape->n_dim;
    for (int d = 0; d < io->ndim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        io->shape[d] = -1;
        io->dim_names[d] = NULL;
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (dim->dim_value < 0)
                return vd_error_set(L->err, VD_EFORMAT, "'%s' has negative dimension %lld",
                                    name, (long long)dim->dim_value);
            io->shape[d] = dim->dim_value;
        } else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   dim->dim_param && dim->dim_param[0]) {
            if (!(io->dim_names[d] = strdup(dim->dim_param)))
                return vd_error_set(L->err, VD_ENOMEM, "out of memory");
        }
    }
    return VD_OK;
}

/* Graph inputs that are also initializers are constants (ONNX IR >= 4
 * calls them defaults); we do not expose them as overridable inputs. */
static int load_inputs(load *L)
{
    vd_nn_model *m = L->m;
    m->inputs = calloc(L->g->n_input + 1, sizeof *m->inputs);
    m->input_vals = calloc(L->g->n_input + 1, sizeof *m->input_vals);
    if (!m->inputs || !m->input_vals)
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    for (size_t i = 0; i < L->g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = L->g->input[i];
        if (vi->name && map_get(&L->names, vi->name) >= 0 &&
            L->m->values[map_get(&L->names, vi->name)].is_const)
            continue;
        int v = define_value(L, vi->name, "graph input");
        if (v < 0)
            return v;
        vd_nn_io_info *io = &m->inputs[m->n_inputs];
        io->name = m->values[v].name;
        m->input_vals[m->n_inputs++] = v;
        int rc = io_from_type(L, vi, io);
        if (rc)
            return vd_error_prefix(L->err, "graph input: "), rc;
    }
    return VD_OK;
}

static int load_outputs(load *L)
{
    vd_nn_model *m = L->m;
    if (!L->g->n_output)
        return vd_error_set(L->err, VD_EFORMAT, "the graph has no outputs");
    m->outputs = calloc(L->g->n_output, sizeof *m->outputs);
    m->output_vals = calloc(L->g->n_output, sizeof *m->output_vals);
    if (!m->outputs || !m->output_vals)
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    for (size_t i = 0; i < L->g->n_output; i++) {
        const Onnx__ValueInfoProto *vi = L->g->output[i];
        int v = vi->name ? map_get(&L->names, vi->name) : -1;
        if (v < 0)
            return vd_error_set(L->err, VD_EFORMAT,
                                "graph output '%s' is not produced by any node, initializer or input",
                                str_or(vi->name));
        vd_nn_io_info *io = &m->outputs[m->n_outputs];
        m->output_vals[m->n_outputs++] = v;
        if (!(io->name = strdup(vi->name)))
            return vd_error_set(L->err, VD_ENOMEM, "out of memory");
        int rc = io_from_type(L, vi, io);
        if (rc)
            return vd_error_prefix(L->err, "graph output: "), rc;
    }
    return VD_OK;
}

/* ---- attributes ---- */

static int attr_type_of(const Onnx__AttributeProto *a)
{
    if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return a->type;
    /* Old exporters leave type unset: infer it from the field present. */
    if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static char *bin_str(ProtobufCBinaryData b)
{
    char *s = malloc(b.len + 1);
    if (s) {
        if (b.len)
            memcpy(s, b.data, b.len);
        s[b.len] = '\0';
    }
    return s;
}

static int attr_convert(load *L, const Onnx__AttributeProto *a, vd_nn_attr *o)
{
    if (!(o->name = strdup(a->name)))
        return VD_ENOMEM;
    switch (attr_type_of(a)) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        o->type = VD_NN_ATTR_FLOAT, o->f = a->f;
        return VD_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        o->type = VD_NN_ATTR_INT, o->i = a->i;
        return VD_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        o->type = VD_NN_ATTR_STRING;
        return (o->s = bin_str(a->s)) ? VD_OK : VD_ENOMEM;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        o->type = VD_NN_ATTR_TENSOR;
        if (!a->t)
            return vd_error_set(L->err, VD_EFORMAT, "attribute '%s' has no tensor", a->name);
        return vd_nn_tensor_from_pb(a->t, L->m->dir, &o->t, L->err);
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        o->type = VD_NN_ATTR_FLOATS;
        if (a->n_floats > INT32_MAX || !(o->floats = malloc((a->n_floats + 1) * sizeof(float))))
            return VD_ENOMEM;
        o->n = (int)a->n_floats;
        if (a->n_floats) /* an empty repeated field has a NULL array */
            memcpy(o->floats, a->floats, a->n_floats * sizeof(float));
        return VD_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        o->type = VD_NN_ATTR_INTS;
        if (a->n_ints > INT32_MAX || !(o->ints = malloc((a->n_ints + 1) * sizeof(int64_t))))
            return VD_ENOMEM;
        o->n = (int)a->n_ints;
        if (a->n_ints)
            memcpy(o->ints, a->ints, a->n_ints * sizeof(int64_t));
        return VD_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
        o->type = VD_NN_ATTR_STRINGS;
        if (a->n_strings > INT32_MAX || !(o->strings = calloc(a->n_strings + 1, sizeof(char *))))
            return VD_ENOMEM;
        for (size_t k = 0; k < a->n_strings; k++, o->n++)
            if (!(o->strings[k] = bin_str(a->strings[k])))
                return VD_ENOMEM;
        return VD_OK;
    default:
        return vd_error_set(L->err, VD_EUNSUPPORTED,
                            "attribute '%s' has a type (graph, sparse tensor, type proto) that is not supported",
                            a->name);
    }
}

/* ---- nodes ---- */

static int name_node(vd_nn_node *n, const Onnx__NodeProto *np, size_t index)
{
    if (np->name && np->name[0]) {
        n->name = strdup(np->name);
    } else {
        size_t len = strlen(n->op_type) + 24;
        if ((n->name = malloc(len)))
            snprintf(n->name, len, "%s#%zu", n->op_type, index);
    }
    return n->name ? VD_OK : VD_ENOMEM;
}

static int is_builtin(const char *op)
{
    return !strcmp(op, "Constant") || !strcmp(op, "Identity") || !strcmp(op, "Dropout");
}

/* Attribute names accepted by the ops the loader handles itself. */
static int builtin_attr_ok(const char *op, const char *attr)
{
    static const char *const constant[] = {"value", "value_float", "value_floats",
                                           "value_int", "value_ints", NULL};
    static const char *const dropout[] = {"ratio", "seed", "is_test", NULL};
    const char *const *list = !strcmp(op, "Constant") ? constant
                              : !strcmp(op, "Dropout") ? dropout : NULL;
    for (; list && *list; list++)
        if (!strcmp(*list, attr))
            return 1;
    return 0;
}

static int check_attrs(load *L, vd_nn_node *n, const Onnx__NodeProto *np)
{
    for (size_t a = 0; a < np->n_attribute; a++) {
        const char *an = np->attribute[a]->name;
        if (!an)
            return vd_error_set(L->err, VD_EFORMAT, "an attribute has no name");
        int ok = 0;
        if (n->op) {
            for (const char *const *p = n->op->attrs; p && *p && !ok; p++)
                ok = !strcmp(*p, an);
        } else {
            ok = builtin_attr_ok(n->op_type, an);
        }
        if (!ok)
            return vd_error_set(L->err, VD_EUNSUPPORTED, "attribute '%s' is not supported", an);
    }
    return VD_OK;
}

static int node_basics(load *L, vd_nn_node *n, const Onnx__NodeProto *np, size_t index)
{
    if (!np->op_type || !np->op_type[0])
        return vd_error_set(L->err, VD_EFORMAT, "node %zu has no op_type", index);
    if (!(n->op_type = strdup(np->op_type)) || name_node(n, np, index))
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    n->opset = (int)L->m->opset;
    if (!default_domain(np->domain))
        return vd_error_set(L->err, VD_EUNSUPPORTED, "domain '%s' is not supported (only the default ONNX domain)",
                            np->domain);
    if (!is_builtin(n->op_type) && !(n->op = vd_nn_op_find(n->op_type, n->opset)))
        return vd_error_set(L->err, VD_EUNSUPPORTED, "op %s is not supported at opset %d",
                            n->op_type, n->opset);
    if (np->n_input > 1024 || np->n_output > 1024 || np->n_attribute > 1024)
        return vd_error_set(L->err, VD_ELIMIT, "too many inputs, outputs or attributes");
    int rc = check_attrs(L, n, np);
    if (rc)
        return rc;
    n->attrs = calloc(np->n_attribute + 1, sizeof *n->attrs);
    n->in = calloc(np->n_input + 1, sizeof *n->in);
    n->out = calloc(np->n_output + 1, sizeof *n->out);
    if (!n->attrs || !n->in || !n->out)
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    for (size_t a = 0; a < np->n_attribute; a++)
        if ((rc = attr_convert(L, np->attribute[a], &n->attrs[n->n_attrs++]))) /* counted: freed */
            return rc == VD_ENOMEM ? vd_error_set(L->err, rc, "out of memory") : rc;
    n->n_in = (int)np->n_input;
    n->n_out = (int)np->n_output;
    return VD_OK;
}

/* Outputs are defined in a first sweep so that inputs may refer to values
 * produced by later nodes (we sort topologically afterwards). */
static int define_outputs(load *L, int ni, const Onnx__NodeProto *np)
{
    vd_nn_node *n = &L->m->nodes[ni];
    for (int o = 0; o < n->n_out; o++) {
        int v;
        if (!np->output[o] || !np->output[o][0]) {
            /* An optional output nobody asked for still gets an (unnamed,
             * unreadable) value, so kernels always have somewhere to write. */
            size_t len = strlen(n->name) + 24;
            char *hidden = malloc(len);
            if (hidden)
                snprintf(hidden, len, "%s:unused%d", n->name, o);
            if (!hidden || (v = vd_nn_model_add_value(L->m, hidden)) < 0) {
                free(hidden);
                return vd_error_set(L->err, VD_ENOMEM, "out of memory");
            }
        } else if ((v = define_value(L, np->output[o], "node output")) < 0) {
            return v;
        }
        n->out[o] = v;
        L->m->values[v].producer = ni;
    }
    return VD_OK;
}

static int resolve_inputs(load *L, vd_nn_node *n, const Onnx__NodeProto *np)
{
    for (int i = 0; i < n->n_in; i++) {
        n->in[i] = -1;
        if (!np->input[i] || !np->input[i][0])
            continue; /* omitted optional input */
        if ((n->in[i] = map_get(&L->names, np->input[i])) < 0)
            return vd_error_set(L->err, VD_EFORMAT,
                                "input '%s' is not produced by any node, initializer or graph input",
                                np->input[i]);
    }
    return VD_OK;
}

static int load_nodes(load *L)
{
    vd_nn_model *m = L->m;
    const Onnx__GraphProto *g = L->g;
    m->nodes = calloc(g->n_node + 1, sizeof *m->nodes);
    if (!m->nodes)
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    m->cap_nodes = (int)g->n_node + 1;
    m->n_nodes_original = (int)g->n_node;
    for (size_t i = 0; i < g->n_node; i++, m->n_nodes++) {
        int rc = node_basics(L, &m->nodes[i], g->node[i], i);
        if (!rc)
            rc = define_outputs(L, (int)i, g->node[i]);
        if (rc) {
            vd_nn_node *n = &m->nodes[i];
            vd_error_prefix(L->err, "node '%s' (%s, opset %lld): ", n->name ? n->name : "?",
                            n->op_type ? n->op_type : "?", (long long)m->opset);
            m->n_nodes++; /* so that vd_nn_model_free releases it */
            return rc;
        }
    }
    for (int i = 0; i < m->n_nodes; i++) {
        int rc = resolve_inputs(L, &m->nodes[i], g->node[i]);
        if (!rc)
            rc = vd_nn_arity_check(&m->nodes[i], L->err);
        if (rc)
            return vd_error_prefix(L->err, "node '%s' (%s, opset %lld): ", m->nodes[i].name,
                                   m->nodes[i].op_type, (long long)m->opset), rc;
    }
    return VD_OK;
}

/* Min-heap of node indices: Kahn's algorithm that always takes the
 * earliest ready node keeps file order whenever the file is sorted. */
static void heap_push(int *h, int *n, int x)
{
    int i = (*n)++;
    for (; i > 0 && h[(i - 1) / 2] > x; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = x;
}

static int heap_pop(int *h, int *n)
{
    int top = h[0], x = h[--*n], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= x)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
    return top;
}

/* Consumers of each value as CSR arrays (first[v]..first[v+1] in users). */
static int consumers(const vd_nn_model *m, int **first, int **users)
{
    int nv = m->n_values, total = 0;
    *first = calloc((size_t)nv + 2, sizeof **first);
    for (int i = 0; *first && i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0)
                (*first)[m->nodes[i].in[k] + 2]++, total++;
    *users = malloc(((size_t)total + 1) * sizeof **users);
    if (!*first || !*users)
        return VD_ENOMEM;
    for (int v = 0; v < nv; v++)
        (*first)[v + 2] += (*first)[v + 1];
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0)
                (*users)[(*first)[m->nodes[i].in[k] + 1]++] = i;
    return VD_OK;
}

static int sort_nodes(load *L)
{
    vd_nn_model *m = L->m;
    int n = m->n_nodes, rc = VD_OK, placed = 0, nh = 0;
    int *indeg = calloc((size_t)n + 1, sizeof *indeg), *order = malloc(((size_t)n + 1) * sizeof *order);
    int *heap = malloc(((size_t)n + 1) * sizeof *heap), *first = NULL, *users = NULL;
    vd_nn_node *sorted = malloc(((size_t)n + 1) * sizeof *sorted);
    if (!indeg || !order || !heap || !sorted || consumers(m, &first, &users)) {
        rc = vd_error_set(L->err, VD_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < m->nodes[i].n_in; k++)
            indeg[i] += m->nodes[i].in[k] >= 0 && m->values[m->nodes[i].in[k]].producer >= 0;
    for (int i = 0; i < n; i++)
        if (!indeg[i])
            heap_push(heap, &nh, i);
    while (nh) {
        int i = heap_pop(heap, &nh);
        order[placed++] = i;
        for (int o = 0; o < m->nodes[i].n_out; o++) {
            int v = m->nodes[i].out[o];
            for (int u = v >= 0 ? first[v] : 0; v >= 0 && u < first[v + 1]; u++)
                if (--indeg[users[u]] == 0)
                    heap_push(heap, &nh, users[u]);
        }
    }
    for (int i = 0; placed < n && i < n; i++)
        if (indeg[i]) {
            rc = vd_error_set(L->err, VD_EFORMAT, "node '%s' (%s) is part of a cycle",
                              m->nodes[i].name, m->nodes[i].op_type);
            goto out;
        }
    for (int i = 0; i < n; i++)
        sorted[i] = m->nodes[order[i]];
    memcpy(m->nodes, sorted, (size_t)n * sizeof *sorted);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < m->nodes[i].n_out; o++)
            if (m->nodes[i].out[o] >= 0)
                m->values[m->nodes[i].out[o]].producer = i;
out:
    free(indeg);
    free(order);
    free(heap);
    free(sorted);
    free(first);
    free(users);
    return rc;
}

static int constant_tensor(load *L, const vd_nn_node *n, vd_tensor *t)
{
    if (n->n_attrs != 1)
        return vd_error_set(L->err, VD_EFORMAT, "needs exactly one value attribute");
    const vd_nn_attr *a = &n->attrs[0];
    int64_t len = a->n;
    if (a->type == VD_NN_ATTR_TENSOR) {
        *t = a->t;
        memset((vd_tensor *)&a->t, 0, sizeof a->t); /* ownership moves */
        return VD_OK;
    }
    int is_float = a->type == VD_NN_ATTR_FLOAT || a->type == VD_NN_ATTR_FLOATS;
    int scalar = a->type == VD_NN_ATTR_FLOAT || a->type == VD_NN_ATTR_INT;
    if (!is_float && a->type != VD_NN_ATTR_INT && a->type != VD_NN_ATTR_INTS)
        return vd_error_set(L->err, VD_EUNSUPPORTED, "attribute '%s' of this type is not supported", a->name);
    int rc = vd_tensor_alloc(t, is_float ? VD_DTYPE_F32 : VD_DTYPE_I64, scalar ? 0 : 1, &len, L->err);
    if (rc)
        return rc;
    if (scalar && is_float)
        *(float *)t->data = a->f;
    else if (scalar)
        *(int64_t *)t->data = a->i;
    else if (len)
        memcpy(t->data, is_float ? (void *)a->floats : (void *)a->ints,
               (size_t)len * vd_dtype_size(t->dtype));
    return VD_OK;
}

/* Constant -> constant value; Identity/Dropout -> alias (applied later). */
static int lower_builtin(load *L, int i)
{
    vd_nn_model *m = L->m;
    vd_nn_node *n = &m->nodes[i];
    if (!strcmp(n->op_type, "Constant")) {
        if (n->n_out != 1 || n->out[0] < 0)
            return vd_error_set(L->err, VD_EFORMAT, "needs one output");
        vd_nn_value *v = &m->values[n->out[0]];
        int rc = constant_tensor(L, n, &v->t);
        if (rc)
            return rc;
        v->is_const = 1;
        v->producer = -1;
    } else {
        if (n->n_in < 1 || n->in[0] < 0 || n->n_out < 1)
            return vd_error_set(L->err, VD_EFORMAT, "needs an input and an output");
        if (n->n_out > 1 && n->out[1] >= 0 && vd_nn_model_uses(m, n->out[1]))
            return vd_error_set(L->err, VD_EUNSUPPORTED, "the mask output is not supported");
        if (n->n_in > 2 && n->in[2] >= 0) {
            const vd_nn_value *tm = &m->values[n->in[2]];
            if (!tm->is_const || vd_tensor_numel(&tm->t) != 1 || vd_nn_tensor_get_i64(&tm->t, 0))
                return vd_error_set(L->err, VD_EUNSUPPORTED,
                                    "training_mode must be a constant false (inference only)");
        }
        if (n->out[0] >= 0)
            vd_nn_model_replace_uses(m, n->out[0], n->in[0]);
    }
    vd_nn_node_clear(n);
    return VD_OK;
}

static int init_nodes(load *L)
{
    vd_nn_model *m = L->m;
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node *n = &m->nodes[i];
        int rc = n->op ? (n->op->init ? n->op->init(n, L->err) : VD_OK) : lower_builtin(L, i);
        if (rc)
            return vd_error_prefix(L->err, "node '%s' (%s, opset %lld): ", n->name ? n->name : "?",
                                   n->op_type ? n->op_type : "?", (long long)m->opset), rc;
    }
    return VD_OK;
}

static int load_graph(load *L, const Onnx__ModelProto *mp)
{
    int rc;
    L->g = mp->graph;
    if (!L->g)
        return vd_error_set(L->err, VD_EFORMAT, "the model has no graph");
    if ((rc = read_opset(L, mp)))
        return rc;
    if (!(L->m->producer = dup_or(mp->producer_name, "")))
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    size_t names = L->g->n_initializer + L->g->n_input;
    for (size_t i = 0; i < L->g->n_node; i++)
        names += L->g->node[i]->n_output;
    if (map_init(&L->names, names))
        return vd_error_set(L->err, VD_ENOMEM, "out of memory");
    if ((rc = load_initializers(L)) || (rc = load_inputs(L)) || (rc = load_nodes(L)) ||
        (rc = load_outputs(L)) || (rc = sort_nodes(L)) || (rc = init_nodes(L)))
        return rc;
    return VD_OK;
}

static int histogram(vd_nn_model *m, const Onnx__GraphProto *g)
{
    m->op_names = calloc(g->n_node + 1, sizeof *m->op_names);
    m->op_counts = calloc(g->n_node + 1, sizeof *m->op_counts);
    if (!m->op_names || !m->op_counts)
        return VD_ENOMEM;
    for (size_t i = 0; i < g->n_node; i++) {
        int k = 0;
        while (k < m->n_op_kinds && strcmp(m->op_names[k], g->node[i]->op_type))
            k++;
        if (k == m->n_op_kinds && !(m->op_names[m->n_op_kinds++] = strdup(g->node[i]->op_type)))
            return VD_ENOMEM;
        m->op_counts[k]++;
    }
    return VD_OK;
}

int vd_nn_model_load_buffer(vd_nn_model **out, const void *data, size_t size,
                            const char *base_dir, vd_error *err)
{
    *out = NULL;
    /* OpenBLAS (Debian's pthread build, 0.3.21) keeps its thread count in
     * process-global state. The engine parallelises itself, per session,
     * so BLAS must stay single-threaded or N sessions x T threads would
     * each fan out again. Setting it here, once per load, is idempotent. */
    openblas_set_num_threads(1);
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, size, data);
    if (!mp)
        return vd_error_set(err, VD_EFORMAT, "not an ONNX model (truncated or corrupt protobuf)");
    vd_nn_model *m = calloc(1, sizeof *m);
    load L = {.m = m, .err = err};
    int rc = VD_ENOMEM;
    if (m && (!base_dir || (m->dir = strdup(base_dir))))
        rc = load_graph(&L, mp);
    else
        vd_error_set(err, rc, "out of memory");
    if (!rc && histogram(m, mp->graph))
        rc = vd_error_set(err, VD_ENOMEM, "out of memory");
    map_free(&L.names);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (!rc)
        rc = vd_nn_model_optimize(m, err);
    if (rc) {
        vd_nn_model_free(&m);
        return rc;
    }
    *out = m;
    return VD_OK;
}

int vd_nn_model_load(vd_nn_model **out, const char *path, vd_error *err)
{
    void *buf;
    size_t size;
    *out = NULL;
    int rc = vd_nn_file_read(path, VD_NN_MODEL_MAX_BYTES, &buf, &size, err);
    if (rc)
        return rc;
    char *dir = strdup(path);
    if (!dir) {
        free(buf);
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        slash == dir ? (void)(dir[1] = '\0') : (void)(*slash = '\0');
    else
        strcpy(dir, ".");
    rc = vd_nn_model_load_buffer(out, buf, size, dir, err);
    free(dir);
    free(buf);
    if (rc)
        vd_error_prefix(err, "%s: ", path);
    return rc;
}
