/* labels.c -- built-in label sets and label files. See labels.h.
 * coco91 follows torchvision's detection models: index 0 is background
 * and the ids the COCO paper skipped are "N/A", so a model's raw class id
 * indexes the table directly. */
#include "labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const coco80[] = {
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck",
    "boat", "traffic light", "fire hydrant", "stop sign", "parking meter", "bench",
    "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra",
    "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
    "skateboard", "surfboard", "tennis racket", "bottle", "wine glass", "cup",
    "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
    "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
};

/* COCO category ids 1..90; 0 is background. Missing ids are "N/A". */
static const int coco91_ids[80] = {
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,
    43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61,
    62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84,
    85, 86, 87, 88, 89, 90,
};

static int labels_init(vd_labels *l, int count, vd_error *err)
{
    l->count = count;
    l->names = calloc((size_t)count, sizeof *l->names);
    return l->names ? VD_OK : vd_error_set(err, VD_ENOMEM, "labels: out of memory");
}

static int labels_set(vd_labels *l, int i, const char *name, size_t len, vd_error *err)
{
    l->names[i] = strndup(name, len);
    return l->names[i] ? VD_OK : vd_error_set(err, VD_ENOMEM, "labels: out of memory");
}

static int load_builtin(vd_labels *l, const char *spec, vd_error *err)
{
    int rc;
    if (!strcmp(spec, "coco80")) {
        if ((rc = labels_init(l, 80, err)))
            return rc;
        for (int i = 0; i < 80; i++)
            if ((rc = labels_set(l, i, coco80[i], strlen(coco80[i]), err)))
                return rc;
        return VD_OK;
    }
    /* coco91 */
    if ((rc = labels_init(l, 91, err)))
        return rc;
    for (int i = 0; i < 91; i++)
        if ((rc = labels_set(l, i, i ? "N/A" : "__background__", i ? 3 : 14, err)))
            return rc;
    for (int i = 0; i < 80; i++) {
        free(l->names[coco91_ids[i]]);
        if ((rc = labels_set(l, coco91_ids[i], coco80[i], strlen(coco80[i]), err)))
            return rc;
    }
    return VD_OK;
}

static int load_file(vd_labels *l, const char *path, vd_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vd_error_set(err, errno == ENOENT ? VD_ENOTFOUND : VD_EIO,
                            "%s: cannot open labels file: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = VD_OK, n = 0, alloc = 0;
    while (rc == VD_OK && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (n == alloc) {
            alloc = alloc ? alloc * 2 : 64;
            char **names = realloc(l->names, (size_t)alloc * sizeof *names);
            if (!names) {
                rc = vd_error_set(err, VD_ENOMEM, "%s: out of memory", path);
                break;
            }
            l->names = names;
        }
        l->count = n + 1;
        rc = labels_set(l, n++, line, (size_t)len, err);
    }
    free(line);
    fclose(f);
    if (rc == VD_OK && n == 0)
        rc = vd_error_set(err, VD_EFORMAT, "%s: labels file is empty", path);
    return rc;
}

int vd_labels_load(vd_labels *l, const char *spec, vd_error *err)
{
    memset(l, 0, sizeof *l);
    int rc = (!strcmp(spec, "coco80") || !strcmp(spec, "coco91"))
                 ? load_builtin(l, spec, err)
                 : load_file(l, spec, err);
    if (rc)
        vd_labels_free(l);
    return rc;
}

const char *vd_labels_name(const vd_labels *l, int i)
{
    return i >= 0 && i < l->count ? l->names[i] : NULL;
}

int vd_labels_find(const vd_labels *l, const char *name)
{
    for (int i = 0; i < l->count; i++)
        if (l->names[i] && !strcmp(l->names[i], name))
            return i;
    return -1;
}

void vd_labels_free(vd_labels *l)
{
    for (int i = 0; i < l->count; i++)
        free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->count = 0;
}
