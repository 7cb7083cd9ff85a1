/* config_tree.c -- YAML (libyaml's event parser) and JSON (jansson) into
 * one vd_cfg_node tree, so config.c writes every rule once.
 *
 * Design: the YAML side walks parser events recursively, one function per
 * node kind; a plain scalar spelled null, ~ or nothing becomes a NULL node
 * (YAML 1.2 core schema), a quoted one stays a string. */
#include "config_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

static vd_cfg_node *add_kid(vd_cfg_node *p)
{
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 4;
        vd_cfg_node *k = realloc(p->kids, (size_t)cap * sizeof *k);
        if (!k)
            return NULL;
        p->kids = k;
        p->cap = cap;
    }
    vd_cfg_node *k = &p->kids[p->n++];
    memset(k, 0, sizeof *k);
    return k;
}

void vd_cfg_tree_free(vd_cfg_node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->n; i++)
        vd_cfg_tree_free(&n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n->key);
    memset(n, 0, sizeof *n);
}

const vd_cfg_node *vd_cfg_get(const vd_cfg_node *map, const char *key)
{
    if (!map || map->type != VD_CFGN_MAP)
        return NULL;
    for (int i = 0; i < map->n; i++)
        if (!strcmp(map->kids[i].key, key))
            return &map->kids[i];
    return NULL;
}

/* ---- YAML ------------------------------------------------------------- */

typedef struct yctx {
    yaml_parser_t p;
    const char *file;
    vd_error *err;
} yctx;

static int ynext(yctx *y, yaml_event_t *ev)
{
    if (yaml_parser_parse(&y->p, ev))
        return 0;
    return vd_error_set(y->err, VD_EFORMAT, "%s:%zu: %s%s%s", y->file,
                        y->p.problem_mark.line + 1, y->p.problem ? y->p.problem : "syntax error",
                        y->p.context ? " " : "", y->p.context ? y->p.context : "");
}

static int ynode(yctx *y, yaml_event_t *ev, vd_cfg_node *n);

static int yscalar(yaml_event_t *ev, vd_cfg_node *n)
{
    const char *v = (const char *)ev->data.scalar.value;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (!n->quoted && (!*v || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL") ||
                       !strcmp(v, "~"))) {
        n->type = VD_CFGN_NULL;
        return 0;
    }
    n->type = VD_CFGN_SCALAR;
    n->text = strdup(v);
    return n->text ? 0 : VD_ENOMEM;
}

/* Members of a mapping until its end event; keys must be scalars. */
static int ymap(yctx *y, vd_cfg_node *n)
{
    n->type = VD_CFGN_MAP;
    for (;;) {
        yaml_event_t k;
        int rc = ynext(y, &k);
        if (rc)
            return rc;
        if (k.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&k);
            return 0;
        }
        int line = (int)k.start_mark.line + 1;
        if (k.type != YAML_SCALAR_EVENT) {
            yaml_event_delete(&k);
            return vd_error_set(y->err, VD_EFORMAT, "%s:%d: a key must be a plain word", y->file,
                                line);
        }
        vd_cfg_node *kid = add_kid(n);
        if (!kid || !(kid->key = strdup((const char *)k.data.scalar.value))) {
            yaml_event_delete(&k);
            return VD_ENOMEM;
        }
        yaml_event_delete(&k);
        yaml_event_t v;
        if ((rc = ynext(y, &v)))
            return rc;
        rc = ynode(y, &v, kid);
        yaml_event_delete(&v);
        if (rc)
            return rc;
    }
}

static int ylist(yctx *y, vd_cfg_node *n)
{
    n->type = VD_CFGN_LIST;
    for (;;) {
        yaml_event_t v;
        int rc = ynext(y, &v);
        if (rc)
            return rc;
        if (v.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&v);
            return 0;
        }
        vd_cfg_node *kid = add_kid(n);
        rc = kid ? ynode(y, &v, kid) : VD_ENOMEM;
        yaml_event_delete(&v);
        if (rc)
            return rc;
    }
}

/* Build n from the event that starts it (the caller deletes ev). */
static int ynode(yctx *y, yaml_event_t *ev, vd_cfg_node *n)
{
    n->line = (int)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return yscalar(ev, n);
    case YAML_MAPPING_START_EVENT:
        return ymap(y, n);
    case YAML_SEQUENCE_START_EVENT:
        return ylist(y, n);
    case YAML_ALIAS_EVENT:
        return vd_error_set(y->err, VD_EFORMAT, "%s:%d: aliases (*name) are not supported",
                            y->file, n->line);
    default:
        return vd_error_set(y->err, VD_EFORMAT, "%s:%d: unexpected YAML event", y->file,
                            n->line);
    }
}

/* Skip to the first document's root node (an empty file gives a NULL root). */
static int yroot(yctx *y, vd_cfg_node *root)
{
    for (;;) {
        yaml_event_t ev;
        int rc = ynext(y, &ev);
        if (rc)
            return rc;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        rc = ynode(y, &ev, root);
        yaml_event_delete(&ev);
        return rc;
    }
}

int vd_cfg_tree_yaml(vd_cfg_node *root, const char *file, vd_error *err)
{
    memset(root, 0, sizeof *root);
    FILE *f = fopen(file, "rb");
    if (!f)
        return vd_error_set(err, VD_ENOTFOUND, "%s: cannot open: %m", file);
    yctx y = {.file = file, .err = err};
    if (!yaml_parser_initialize(&y.p)) {
        fclose(f);
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", file);
    }
    yaml_parser_set_input_file(&y.p, f);
    int rc = yroot(&y, root);
    if (rc == VD_ENOMEM)
        vd_error_set(err, rc, "%s: out of memory", file);
    yaml_parser_delete(&y.p);
    fclose(f);
    if (rc)
        vd_cfg_tree_free(root);
    return rc;
}

/* ---- JSON ------------------------------------------------------------- */

static int jscalar(vd_cfg_node *n, const char *text, int quoted)
{
    n->type = VD_CFGN_SCALAR;
    n->quoted = quoted;
    n->text = strdup(text);
    return n->text ? 0 : VD_ENOMEM;
}

static int jnode(vd_cfg_node *n, const json_t *j)
{
    char num[64];
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        n->type = VD_CFGN_MAP;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            vd_cfg_node *kid = add_kid(n);
            if (!kid || !(kid->key = strdup(k)))
                return VD_ENOMEM;
            int rc = jnode(kid, v);
            if (rc)
                return rc;
        }
        return 0;
    }
    case JSON_ARRAY: {
        n->type = VD_CFGN_LIST;
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) {
            vd_cfg_node *kid = add_kid(n);
            int rc = kid ? jnode(kid, v) : VD_ENOMEM;
            if (rc)
                return rc;
        }
        return 0;
    }
    case JSON_STRING:
        return jscalar(n, json_string_value(j), 1);
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return jscalar(n, num, 0);
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(j));
        return jscalar(n, num, 0);
    case JSON_TRUE:
        return jscalar(n, "true", 0);
    case JSON_FALSE:
        return jscalar(n, "false", 0);
    default:
        n->type = VD_CFGN_NULL;
        return 0;
    }
}

int vd_cfg_tree_json(vd_cfg_node *root, const json_t *j, vd_error *err)
{
    memset(root, 0, sizeof *root);
    int rc = j ? jnode(root, j) : 0;
    if (rc) {
        vd_cfg_tree_free(root);
        return vd_error_set(err, rc, "request: out of memory");
    }
    return 0;
}
