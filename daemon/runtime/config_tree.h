/* config_tree.h -- the small tree both YAML files and JSON bodies are
 * turned into before config.c validates them (private to config*.c).
 *
 * Design: a node keeps its source line (YAML; 0 for JSON, which jansson
 * does not locate) and whether a scalar was written as a string, so the
 * validator can tell `null`/`true`/`5` from "null"/"true"/"5" in both
 * syntaxes without knowing which one it reads. */
#ifndef VD_CONFIG_TREE_H
#define VD_CONFIG_TREE_H

#include "vision/core/error.h"

struct json_t;

typedef enum vd_cfgn_type {
    VD_CFGN_NULL = 0, /* YAML null/~/empty, JSON null, an empty document */
    VD_CFGN_SCALAR,
    VD_CFGN_MAP,
    VD_CFGN_LIST,
} vd_cfgn_type;

typedef struct vd_cfg_node {
    vd_cfgn_type type;
    int line;                 /* 1-based; 0: unknown (JSON) */
    int quoted;               /* scalar written as a string */
    char *text;               /* scalar text */
    char *key;                /* set on the members of a map */
    struct vd_cfg_node *kids; /* map members or list items, in order */
    int n, cap;
} vd_cfg_node;

/* Parse a YAML file (the first document; anchors and aliases are refused).
 * Errors read "file:line: reason". */
int vd_cfg_tree_yaml(vd_cfg_node *root, const char *file, vd_error *err);
/* Convert a jansson value. */
int vd_cfg_tree_json(vd_cfg_node *root, const struct json_t *j, vd_error *err);
void vd_cfg_tree_free(vd_cfg_node *n);
/* The member called key of a map, NULL when absent or n is not a map. */
const vd_cfg_node *vd_cfg_get(const vd_cfg_node *map, const char *key);

/* ---- shared by config*.c -------------------------------------------- */

struct vd_stream_config;
struct vd_config;

/* Where errors go: "file:line: path: reason" ("file: path: reason" when the
 * node has no line). */
typedef struct vd_cfg_ctx {
    const char *file;
    vd_error *err;
} vd_cfg_ctx;

/* One stream entry (config.c), validated against cfg's models. Relative
 * local paths are made absolute against base_dir (NULL: refused). The
 * sources policy is NOT checked here (the YAML defaults depend on all
 * entries). On error *s is freed. */
int vd_cfg_parse_stream(vd_cfg_ctx *c, const vd_cfg_node *n, const char *path,
                        const struct vd_config *cfg, const char *base_dir,
                        struct vd_stream_config *s);
/* The directory of file (malloc'ed), "." when it has none. */
char *vd_cfg_dirname(const char *file);

#endif
