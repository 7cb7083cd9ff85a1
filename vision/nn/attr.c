/* attr.c -- attribute lookup for kernels' init(). Linear search: nodes
 * have a handful of attributes and lookups happen once, at load time. */
#include <string.h>

#include "graph.h"

const vd_nn_attr *vd_nn_attr_find(const vd_nn_node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name))
            return &n->attrs[i];
    return NULL;
}

int64_t vd_nn_attr_int(const vd_nn_node *n, const char *name, int64_t def)
{
    const vd_nn_attr *a = vd_nn_attr_find(n, name);
    return a && a->type == VD_NN_ATTR_INT ? a->i : def;
}

float vd_nn_attr_float(const vd_nn_node *n, const char *name, float def)
{
    const vd_nn_attr *a = vd_nn_attr_find(n, name);
    if (!a)
        return def;
    if (a->type == VD_NN_ATTR_FLOAT)
        return a->f;
    return a->type == VD_NN_ATTR_INT ? (float)a->i : def;
}

const char *vd_nn_attr_string(const vd_nn_node *n, const char *name, const char *def)
{
    const vd_nn_attr *a = vd_nn_attr_find(n, name);
    return a && a->type == VD_NN_ATTR_STRING ? a->s : def;
}

int vd_nn_attr_ints(const vd_nn_node *n, const char *name, const int64_t **v)
{
    const vd_nn_attr *a = vd_nn_attr_find(n, name);
    *v = NULL;
    if (!a || a->type != VD_NN_ATTR_INTS)
        return 0;
    *v = a->ints;
    return a->n;
}

int vd_nn_attr_floats(const vd_nn_node *n, const char *name, const float **v)
{
    const vd_nn_attr *a = vd_nn_attr_find(n, name);
    *v = NULL;
    if (!a || a->type != VD_NN_ATTR_FLOATS)
        return 0;
    *v = a->floats;
    return a->n;
}
