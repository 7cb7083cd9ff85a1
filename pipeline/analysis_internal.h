/* analysis_internal.h -- what analyzer.c, analyzer_outputs.c and
 * analysis.c share and nobody else sees: the analyzer's fields and the
 * output picker. */
#ifndef VD_ANALYSIS_INTERNAL_H
#define VD_ANALYSIS_INTERNAL_H

#include <stddef.h>

#include "analysis.h"

#define VD_ANALYZER_MAX_OUTPUTS 16

struct vd_analyzer {
    vd_card card;             /* the card with the overrides applied and the
                               * input fitted to the model; kind resolved */
    vd_nn_model *model;
    vd_tf_chain *chain;
    vd_labels labels;
    int n_model_outputs;
    int out[VD_ANALYZER_MAX_OUTPUTS]; /* model output indices feeding the
                                       * adapter, in the adapter's order */
    int n_out;
};

/* The outputs of a model as a session at batch 1 resolved them. */
typedef struct vd_analyzer_outs {
    int n;
    const char *name[VD_ANALYZER_MAX_OUTPUTS];
    int ndim[VD_ANALYZER_MAX_OUTPUTS];
    int64_t shape[VD_ANALYZER_MAX_OUTPUTS][VD_TENSOR_MAX_DIMS];
    vd_dtype dtype[VD_ANALYZER_MAX_OUTPUTS];
} vd_analyzer_outs;

/* Choose the outputs that feed adapter `kind` (resolved, not AUTO): the
 * named ones (names != NULL, each must exist and fit the kind) or else the
 * one output (single-output adapters) or output set (ssd, torchvision)
 * that fits. Fills idx[] / *n_idx. VD_EINVAL naming the candidates when
 * several fit, or the outputs when none does; `path` names the model. */
int vd_analyzer_pick_outputs(const vd_analyzer_outs *mo, vd_det_kind kind,
                             const char *const *names, int n_names, const char *path,
                             int *idx, int *n_idx, vd_error *err);

/* Indices of the outputs with these names; VD_ENOTFOUND naming the
 * missing one and the outputs there are. */
int vd_analyzer_find_outputs(const vd_analyzer_outs *mo, const char *const *names, int n_names,
                             const char *path, int *idx, vd_error *err);
/* The adapters whose outputs the model carries exactly once (for the
 * message when the kind cannot be guessed): "yolov5, centernet", or "". */
const char *vd_analyzer_fitting_kinds(const vd_analyzer_outs *mo, char *buf, size_t cap);
/* "'a' [1,100,6] float32, 'b' [...] ..." for messages. */
const char *vd_analyzer_describe_outputs(const vd_analyzer_outs *mo, char *buf, size_t cap);

/* 1 when one output of this shape and dtype can feed adapter `k` (one of
 * its outputs, for the multi-output adapters). A stand-in for vision/
 * detect's vd_det_kind_accepts, which it should become. */
int vd_analyzer_output_fits(vd_det_kind k, int ndim, const int64_t *shape, vd_dtype dt);

#endif
