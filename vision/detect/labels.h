/* labels.h -- class-name tables: built-in sets (coco80, coco91 with
 * torchvision's "N/A" gaps, imagenet-less "index" naming) or a file with
 * one label per line. */
#ifndef VD_LABELS_H
#define VD_LABELS_H

#include "vision/core/error.h"

typedef struct vd_labels {
    int count;
    char **names; /* owned copies */
} vd_labels;

/* `spec` is a builtin name ("coco80", "coco91") or a path to a text file
 * with one label per line (blank lines kept as empty labels, a final
 * newline ignored). */
int vd_labels_load(vd_labels *l, const char *spec, vd_error *err);
/* Name of class i, or NULL when out of range (callers print the index). */
const char *vd_labels_name(const vd_labels *l, int i);
/* Index of `name`, or -1. */
int vd_labels_find(const vd_labels *l, const char *name);
void vd_labels_free(vd_labels *l);

#endif
