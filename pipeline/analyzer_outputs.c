/* analyzer_outputs.c -- which model outputs feed the adapter. A card may
 * name them ("outputs"); otherwise the one output (or, for ssd and
 * torchvision, the one set of outputs) whose shape the adapter reads is
 * taken, so a graph that carries extra outputs (CenterNet's wh and
 * keypoints next to its detections, a YOLO export's raw heads) still runs.
 *
 * The design choice: the fit is decided per output, by shape and dtype
 * alone (vd_analyzer_output_fits), and the sets are assembled from the
 * outputs that fit; when more than one choice remains, the error lists
 * the candidates by name instead of guessing. */
#include "analysis_internal.h"

#include <stdio.h>
#include <string.h>

static int is_int(vd_dtype dt) { return dt == VD_DTYPE_I64 || dt == VD_DTYPE_I32; }

/* ssd: a score output [B,N,1] or a regressor [B,N,4+2K]. */
static int ssd_role(int ndim, const int64_t *s) { return ndim != 3 ? 0 : s[2] == 1 ? 1 : 2; }

/* torchvision: boxes [N,4] float (1), labels [N] integer (2), scores [N] float (3). */
static int tv_role(int ndim, const int64_t *s, vd_dtype dt)
{
    if (ndim == 2 && s[1] == 4 && dt == VD_DTYPE_F32)
        return 1;
    return ndim != 1 ? 0 : is_int(dt) ? 2 : dt == VD_DTYPE_F32 ? 3 : 0;
}

int vd_analyzer_output_fits(vd_det_kind k, int ndim, const int64_t *s, vd_dtype dt)
{
    if (k == VD_DET_TORCHVISION)
        return tv_role(ndim, s, dt) != 0;
    if (dt != VD_DTYPE_F32)
        return 0;
    switch (k) {
    case VD_DET_YOLOV5: /* [B,N,5+C], boxes along the longer axis */
        return ndim == 3 && s[2] >= 6 && (s[1] < 0 || s[1] > s[2]);
    case VD_DET_YOLOV8: /* [B,4+C,N] */
        return ndim == 3 && s[1] >= 5 && (s[2] < 0 || s[2] > s[1]);
    case VD_DET_CENTERNET:
        return ndim == 3 && s[2] == 6;
    case VD_DET_CLASSIFY:
        return ndim == 2 && s[1] > 1;
    case VD_DET_SSD:
        return ndim == 3 && (s[2] == 1 || (s[2] >= 4 && s[2] % 2 == 0));
    default:
        return 0;
    }
}

/* "name [1,100,6]" for each output in idx[], comma-separated. */
static const char *describe(const vd_analyzer_outs *mo, const int *idx, int n, char *buf,
                            size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < n && len < cap; i++) {
        int o = idx ? idx[i] : i;
        len += (size_t)snprintf(buf + len, cap - len, "%s'%s' [", i ? ", " : "", mo->name[o]);
        for (int d = 0; d < mo->ndim[o] && len < cap; d++)
            len += (size_t)snprintf(buf + len, cap - len, "%s%lld", d ? "," : "",
                                    (long long)mo->shape[o][d]);
        if (len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "] %s", vd_dtype_name(mo->dtype[o]));
    }
    return buf;
}

int vd_analyzer_find_outputs(const vd_analyzer_outs *mo, const char *const *names, int n_names,
                             const char *path, int *idx, vd_error *err)
{
    char all[320];
    if (n_names > VD_ANALYZER_MAX_OUTPUTS)
        return vd_error_set(err, VD_EINVAL, "%s: %d outputs named (at most %d)", path, n_names,
                            VD_ANALYZER_MAX_OUTPUTS);
    for (int i = 0; i < n_names; i++) {
        int o = 0;
        while (o < mo->n && strcmp(mo->name[o], names[i]))
            o++;
        if (o == mo->n)
            return vd_error_set(err, VD_ENOTFOUND, "%s: no output named '%s' (outputs: %s)", path,
                                names[i], describe(mo, NULL, mo->n, all, sizeof all));
        idx[i] = o;
    }
    return VD_OK;
}

static int by_name(const vd_analyzer_outs *mo, vd_det_kind kind, const char *const *names,
                   int n_names, const char *path, int *idx, vd_error *err)
{
    char one[160];
    int rc = vd_analyzer_find_outputs(mo, names, n_names, path, idx, err);
    for (int i = 0; i < n_names && !rc; i++) {
        int o = idx[i];
        if (!vd_analyzer_output_fits(kind, mo->ndim[o], mo->shape[o], mo->dtype[o]))
            rc = vd_error_set(err, VD_EINVAL, "%s: output %s does not fit the %s adapter", path,
                              describe(mo, &o, 1, one, sizeof one), vd_det_kind_name(kind));
    }
    return rc;
}

/* The candidates form one valid set for the multi-output adapters:
 * ssd as many scores as regressors; torchvision one of each role. */
static int set_complete(const vd_analyzer_outs *mo, vd_det_kind kind, const int *c, int n)
{
    int count[4] = {0};
    for (int i = 0; i < n; i++) {
        int o = c[i];
        count[kind == VD_DET_SSD ? ssd_role(mo->ndim[o], mo->shape[o])
                                 : tv_role(mo->ndim[o], mo->shape[o], mo->dtype[o])]++;
    }
    if (kind == VD_DET_SSD)
        return count[1] >= 1 && count[1] == count[2];
    return n == 3 && count[1] == 1 && count[2] == 1 && count[3] == 1;
}

/* The one output (or output set) among all that fits `kind`, by shape:
 * 1 with idx[]/n filled with the candidates, 0 when none or several. */
static int auto_pick(const vd_analyzer_outs *mo, vd_det_kind kind, int *idx, int *n_idx)
{
    int n = 0;
    for (int o = 0; o < mo->n; o++)
        if (vd_analyzer_output_fits(kind, mo->ndim[o], mo->shape[o], mo->dtype[o]))
            idx[n++] = o;
    *n_idx = n;
    if (kind == VD_DET_SSD || kind == VD_DET_TORCHVISION)
        return set_complete(mo, kind, idx, n);
    return n == 1;
}

int vd_analyzer_pick_outputs(const vd_analyzer_outs *mo, vd_det_kind kind,
                             const char *const *names, int n_names, const char *path, int *idx,
                             int *n_idx, vd_error *err)
{
    char buf[320];
    if (names) {
        *n_idx = n_names;
        return by_name(mo, kind, names, n_names, path, idx, err);
    }
    if (mo->n == 1) { /* the only output: the adapter checks it when decoding */
        idx[0] = 0;
        *n_idx = 1;
        return VD_OK;
    }
    if (auto_pick(mo, kind, idx, n_idx))
        return VD_OK;
    if (*n_idx == 0)
        return vd_error_set(err, VD_EINVAL, "%s: no output fits the %s adapter (outputs: %s)", path,
                            vd_det_kind_name(kind), describe(mo, NULL, mo->n, buf, sizeof buf));
    int multi = kind == VD_DET_SSD || kind == VD_DET_TORCHVISION;
    return vd_error_set(err, VD_EINVAL,
                        "%s: %s the %s adapter (candidates: %s); name the ones to use in the "
                        "card's outputs", path, multi ? "no single output set fits" : "several outputs fit",
                        vd_det_kind_name(kind), describe(mo, idx, *n_idx, buf, sizeof buf));
}

const char *vd_analyzer_fitting_kinds(const vd_analyzer_outs *mo, char *buf, size_t cap)
{
    static const vd_det_kind kinds[] = {VD_DET_YOLOV5, VD_DET_YOLOV8, VD_DET_TORCHVISION,
                                        VD_DET_SSD, VD_DET_CENTERNET, VD_DET_CLASSIFY};
    size_t len = 0;
    buf[0] = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && len < cap; k++) {
        int idx[VD_ANALYZER_MAX_OUTPUTS], n;
        if (auto_pick(mo, kinds[k], idx, &n))
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "",
                                    vd_det_kind_name(kinds[k]));
    }
    return buf;
}

const char *vd_analyzer_describe_outputs(const vd_analyzer_outs *mo, char *buf, size_t cap)
{
    return describe(mo, NULL, mo->n, buf, cap);
}
