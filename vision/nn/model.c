/* model.c -- the vd_nn_model object: accessors for nn.h and the small
 * value/node table edits that the loader and the optimisation passes
 * share. The model is only written while it is being loaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int vd_nn_model_add_value(vd_nn_model *m, char *name)
{
    if (m->n_values == m->cap_values) {
        int cap = m->cap_values ? 2 * m->cap_values : 64;
        vd_nn_value *v = realloc(m->values, (size_t)cap * sizeof *v);
        if (!v)
            return VD_ENOMEM;
        m->values = v;
        m->cap_values = cap;
    }
    vd_nn_value *v = &m->values[m->n_values];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->producer = -1;
    return m->n_values++;
}

int vd_nn_model_add_const(vd_nn_model *m, const char *hint, vd_tensor *t)
{
    size_t len = strlen(hint) + 16;
    char *name = malloc(len);
    if (!name)
        return VD_ENOMEM;
    snprintf(name, len, "%s/folded", hint);
    int v = vd_nn_model_add_value(m, name);
    if (v < 0) {
        free(name);
        return v;
    }
    m->values[v].t = *t;
    m->values[v].is_const = 1;
    memset(t, 0, sizeof *t);
    return v;
}

int vd_nn_model_is_output(const vd_nn_model *m, int v)
{
    for (int j = 0; j < m->n_outputs; j++)
        if (m->output_vals[j] == v)
            return 1;
    return 0;
}

int vd_nn_model_uses(const vd_nn_model *m, int v)
{
    int uses = 0;
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; m->nodes[i].op && k < m->nodes[i].n_in; k++)
            uses += m->nodes[i].in[k] == v;
    for (int j = 0; j < m->n_outputs; j++)
        uses += m->output_vals[j] == v;
    return uses;
}

int vd_nn_model_sole_consumer(const vd_nn_model *m, int v)
{
    int found = -1;
    if (vd_nn_model_is_output(m, v))
        return -1;
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; m->nodes[i].op && k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] == v) {
                if (found >= 0)
                    return -1;
                found = i;
            }
    return found;
}

void vd_nn_model_replace_uses(vd_nn_model *m, int from, int to)
{
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] == from)
                m->nodes[i].in[k] = to;
    for (int j = 0; j < m->n_outputs; j++)
        if (m->output_vals[j] == from)
            m->output_vals[j] = to;
}

static void attr_clear(vd_nn_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->floats);
    free(a->ints);
    for (int k = 0; a->strings && k < a->n; k++)
        free(a->strings[k]);
    free(a->strings);
    vd_tensor_free(&a->t);
}

static void params_free(vd_nn_node *n)
{
    if (!n->params)
        return;
    if (n->op && n->op->fini)
        n->op->fini(n);
    else
        free(n->params);
    n->params = NULL;
}

void vd_nn_node_clear(vd_nn_node *n)
{
    params_free(n);
    for (int a = 0; a < n->n_attrs; a++)
        attr_clear(&n->attrs[a]);
    free(n->attrs);
    free(n->in);
    free(n->out);
    free(n->name);
    free(n->op_type);
    memset(n, 0, sizeof *n);
}

int vd_nn_node_reinit(vd_nn_node *n, vd_error *err)
{
    params_free(n);
    return n->op->init ? n->op->init(n, err) : VD_OK;
}

static void io_free(vd_nn_io_info *io, int n, int free_name)
{
    for (int i = 0; io && i < n; i++) {
        if (free_name)
            free((char *)io[i].name);
        for (int d = 0; d < io[i].ndim; d++)
            free((char *)io[i].dim_names[d]);
    }
    free(io);
}

void vd_nn_model_free(vd_nn_model **pm)
{
    vd_nn_model *m = pm ? *pm : NULL;
    if (!m)
        return;
    for (int i = 0; i < m->n_nodes; i++) {
        vd_nn_node_clear(&m->nodes[i]);
        if (m->node_ops)
            free(m->node_ops[i]);
    }
    free(m->nodes);
    free(m->node_ops);
    for (int v = 0; v < m->n_values; v++) {
        free(m->values[v].name);
        vd_tensor_free(&m->values[v].t);
    }
    free(m->values);
    io_free(m->inputs, m->n_inputs, 0); /* input names are value names */
    io_free(m->outputs, m->n_outputs, 1);
    free(m->input_vals);
    free(m->output_vals);
    for (int k = 0; k < m->n_op_kinds; k++)
        free(m->op_names[k]);
    free(m->op_names);
    free(m->op_counts);
    free(m->producer);
    free(m->dir);
    free(m);
    *pm = NULL;
}

int vd_nn_model_input_count(const vd_nn_model *m) { return m->n_inputs; }
int vd_nn_model_output_count(const vd_nn_model *m) { return m->n_outputs; }

const vd_nn_io_info *vd_nn_model_input(const vd_nn_model *m, int i)
{
    return i >= 0 && i < m->n_inputs ? &m->inputs[i] : NULL;
}

const vd_nn_io_info *vd_nn_model_output(const vd_nn_model *m, int i)
{
    return i >= 0 && i < m->n_outputs ? &m->outputs[i] : NULL;
}

static int io_index(const vd_nn_io_info *io, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (!strcmp(io[i].name, name))
            return i;
    return -1;
}

int vd_nn_model_input_index(const vd_nn_model *m, const char *name)
{
    return io_index(m->inputs, m->n_inputs, name);
}

int vd_nn_model_output_index(const vd_nn_model *m, const char *name)
{
    return io_index(m->outputs, m->n_outputs, name);
}

void vd_nn_model_get_info(const vd_nn_model *m, vd_nn_model_info *info)
{
    memset(info, 0, sizeof *info);
    info->opset = m->opset;
    info->producer = m->producer ? m->producer : "";
    info->n_nodes = m->n_nodes;
    info->n_nodes_original = m->n_nodes_original;
    info->n_params = m->n_params;
    info->n_op_kinds = m->n_op_kinds;
    info->op_names = (const char *const *)m->op_names;
    info->op_counts = m->op_counts;
}

size_t vd_nn_model_weight_bytes(const vd_nn_model *m)
{
    return m->weight_bytes;
}
