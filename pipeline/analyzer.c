/* analyzer.c -- the per-model half of the analysis stage: card -> model ->
 * preprocessing fitted to the model's input -> adapter kind -> outputs ->
 * labels. See analysis.h.
 *
 * The design choice: every default is decided here, once, from the model
 * file itself (its input shape decides layout and size, its output shapes
 * the adapter and the outputs, the adapter the default labels), so a CLI
 * run and a daemon stream given the same card can never set a model up
 * differently. The analyzer is immutable afterwards. */
#include "analysis_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* "--input-size", "input_size", "size": the keys that fix the input size. */
static int is_size_key(const char *k)
{
    while (*k == '-')
        k++;
    return !strcmp(k, "size") || !strcmp(k, "input-size") || !strcmp(k, "input_size");
}

/* The card from its file (or a bare .onnx), then the overrides on top. */
static int load_card(vd_card *c, const vd_analyzer_opts *o, vd_error *e)
{
    int rc;
    if (ends_with(o->model, ".json")) {
        if ((rc = vd_card_load(c, o->model, e)))
            return rc;
    } else {
        vd_card_init(c);
        snprintf(c->path, sizeof c->path, "%s", o->model);
    }
    if (o->n_tf < 0 || o->n_tf > VD_ANALYZER_MAX_OVERRIDES)
        return vd_error_set(e, VD_EINVAL, "%s: %d preprocessing overrides (at most %d)", c->path,
                            o->n_tf, VD_ANALYZER_MAX_OVERRIDES);
    for (int i = 0; i < o->n_tf; i++) {
        if ((rc = vd_tf_spec_set(&c->input, o->tf_key[i], o->tf_val[i], e)))
            return rc;
        c->has_input_size |= is_size_key(o->tf_key[i]);
    }
    if (o->kind && (rc = vd_det_kind_parse(o->kind, &c->kind, e)))
        return rc;
    if (o->labels)
        snprintf(c->labels, sizeof c->labels, "%s", o->labels);
    return VD_OK;
}

/* The model's input shape decides layout and size where it is explicit:
 * [N,3,H,W] is nchw, [N,H,W,3] nhwc; a size given by the card must agree. */
static int fit_input(vd_card *c, const vd_nn_model *m, vd_error *e)
{
    if (vd_nn_model_input_count(m) != 1)
        return vd_error_set(e, VD_EUNSUPPORTED, "%s: %d inputs; detection feeds models with one image input",
                            c->path, vd_nn_model_input_count(m));
    const vd_nn_io_info *in = vd_nn_model_input(m, 0);
    vd_tf_spec *sp = &c->input;
    if (in->ndim != 4)
        return vd_error_set(e, VD_EUNSUPPORTED, "%s: input '%s' has %d dims; expected an image [N,C,H,W] or [N,H,W,C]",
                            c->path, in->name, in->ndim);
    if (in->dtype != VD_DTYPE_F32 && in->dtype != VD_DTYPE_U8)
        return vd_error_set(e, VD_EUNSUPPORTED, "%s: input is %s; detection feeds float32 or uint8",
                            c->path, vd_dtype_name(in->dtype));
    int nhwc = in->shape[3] == 3 && in->shape[1] != 3;
    if (nhwc || in->shape[1] == 3)
        sp->layout = nhwc ? VD_TF_NHWC : VD_TF_NCHW;
    int64_t h = in->shape[nhwc ? 1 : 2], w = in->shape[nhwc ? 2 : 3];
    if (h > 0 && w > 0) {
        if (c->has_input_size && (sp->width != w || sp->height != h))
            return vd_error_set(e, VD_EINVAL, "%s: input size %dx%d given but the model takes %lldx%lld",
                                c->path, sp->width, sp->height, (long long)w, (long long)h);
        sp->width = (int)w;
        sp->height = (int)h;
    } else if (!c->has_input_size) {
        return vd_error_set(e, VD_EINVAL, "%s: the model's input size is not fixed; an input size "
                            "WxH must be given", c->path);
    }
    return vd_tf_spec_validate(sp, e);
}

/* Output shapes as a batch-1 session resolves them (the declared ones may
 * be symbolic); the session is only a probe. */
static int read_outputs(const vd_analyzer *a, vd_analyzer_outs *mo, vd_error *e)
{
    mo->n = vd_nn_model_output_count(a->model);
    if (mo->n > VD_ANALYZER_MAX_OUTPUTS)
        return vd_error_set(e, VD_EUNSUPPORTED, "%s: %d outputs (at most %d)", a->card.path, mo->n,
                            VD_ANALYZER_MAX_OUTPUTS);
    vd_nn_session *s = NULL;
    int rc = vd_nn_session_create(&s, a->model, NULL, e);
    if (rc)
        return rc;
    for (int i = 0; i < mo->n; i++) {
        const vd_nn_io_info *io = vd_nn_model_output(a->model, i);
        mo->name[i] = io->name;
        mo->dtype[i] = io->dtype;
        mo->ndim[i] = vd_nn_session_output_shape(s, i, mo->shape[i]);
    }
    vd_nn_session_free(&s);
    return VD_OK;
}

/* The kind from the output shapes when the card leaves it to "auto": from
 * the named outputs when given, else from all of them. */
static int resolve_kind(vd_analyzer *a, const vd_analyzer_outs *all, const char *const *names,
                        int n_names, vd_error *e)
{
    if (a->card.kind != VD_DET_AUTO)
        return VD_OK;
    vd_analyzer_outs sub = *all;
    if (names) {
        int idx[VD_ANALYZER_MAX_OUTPUTS];
        int rc = vd_analyzer_find_outputs(all, names, n_names, a->card.path, idx, e);
        if (rc)
            return rc;
        for (int i = 0; i < n_names; i++) {
            sub.name[i] = all->name[idx[i]];
            sub.ndim[i] = all->ndim[idx[i]];
            sub.dtype[i] = all->dtype[idx[i]];
            memcpy(sub.shape[i], all->shape[idx[i]], sizeof sub.shape[i]);
        }
        sub.n = n_names;
    }
    vd_error ignored;
    if (!vd_det_kind_guess(sub.n, sub.ndim, (const int64_t(*)[VD_TENSOR_MAX_DIMS])sub.shape,
                           sub.dtype, a->labels.count, &a->card.kind, &ignored))
        return VD_OK;
    char fits[128], outs[320];
    vd_analyzer_fitting_kinds(&sub, fits, sizeof fits);
    return vd_error_set(e, VD_EINVAL, "%s: the adapter cannot be told from the outputs (%s): %s%s; "
                        "set the card's kind", a->card.path,
                        vd_analyzer_describe_outputs(&sub, outs, sizeof outs),
                        fits[0] ? "they fit " : "they fit no adapter", fits);
}

/* Without labels, the YOLO/CenterNet families default to COCO's 80 and
 * torchvision to COCO's 91; ssd and classify print class_<i>. */
static const char *default_labels(vd_det_kind k)
{
    if (k == VD_DET_TORCHVISION)
        return "coco91";
    return k == VD_DET_YOLOV5 || k == VD_DET_YOLOV8 || k == VD_DET_CENTERNET ? "coco80" : NULL;
}

static int setup(vd_analyzer *a, const vd_analyzer_opts *o, vd_error *e)
{
    int rc;
    if ((rc = load_card(&a->card, o, e)) || (rc = vd_nn_model_load(&a->model, a->card.path, e)) ||
        (rc = fit_input(&a->card, a->model, e)))
        return rc;
    vd_analyzer_outs mo;
    if ((rc = read_outputs(a, &mo, e)))
        return rc;
    a->n_model_outputs = mo.n;
    const char *const *names = o->outputs ? o->outputs : (const char *const *)a->card.outputs;
    int n_names = o->outputs ? o->n_outputs : a->card.n_outputs;
    /* labels before the guess: their count disambiguates YOLO layouts */
    if (a->card.labels[0] && (rc = vd_labels_load(&a->labels, a->card.labels, e)))
        return rc;
    if ((rc = resolve_kind(a, &mo, names, n_names, e)) ||
        (rc = vd_analyzer_pick_outputs(&mo, a->card.kind, names, n_names, a->card.path, a->out,
                                       &a->n_out, e)))
        return rc;
    const char *spec = a->card.labels[0] ? NULL : default_labels(a->card.kind);
    if (spec && (rc = vd_labels_load(&a->labels, spec, e)))
        return rc;
    return vd_tf_chain_create(&a->chain, &a->card.input, e);
}

int vd_analyzer_create(vd_analyzer **out, const vd_analyzer_opts *opts, vd_error *err)
{
    *out = NULL;
    if (!opts || !opts->model)
        return vd_error_set(err, VD_EINVAL, "analyzer: no model given");
    vd_analyzer *a = calloc(1, sizeof *a);
    if (!a)
        return vd_error_set(err, VD_ENOMEM, "%s: out of memory", opts->model);
    vd_card_init(&a->card);
    int rc = setup(a, opts, err);
    if (rc) {
        vd_analyzer_free(&a);
        return rc;
    }
    *out = a;
    return VD_OK;
}

void vd_analyzer_free(vd_analyzer **pa)
{
    vd_analyzer *a = *pa;
    if (!a)
        return;
    vd_tf_chain_free(&a->chain);
    vd_nn_model_free(&a->model);
    vd_labels_free(&a->labels);
    vd_card_free(&a->card);
    free(a);
    *pa = NULL;
}

const vd_card *vd_analyzer_card(const vd_analyzer *a) { return &a->card; }
const vd_nn_model *vd_analyzer_model(const vd_analyzer *a) { return a->model; }
const vd_labels *vd_analyzer_labels(const vd_analyzer *a) { return &a->labels; }
vd_det_kind vd_analyzer_kind(const vd_analyzer *a) { return a->card.kind; }

void vd_analyzer_input_size(const vd_analyzer *a, int *width, int *height)
{
    *width = a->card.input.width;
    *height = a->card.input.height;
}

int vd_analyzer_output_count(const vd_analyzer *a) { return a->n_out; }

const char *vd_analyzer_output_name(const vd_analyzer *a, int i)
{
    return i < 0 || i >= a->n_out ? NULL : vd_nn_model_output(a->model, a->out[i])->name;
}

int vd_analyzer_session_create(const vd_analyzer *a, int threads, int max_batch,
                               vd_nn_session **sess, vd_tensor *input, vd_error *err)
{
    *sess = NULL;
    memset(input, 0, sizeof *input);
    vd_nn_session_opts so = {.threads = threads, .batch = max_batch};
    int rc = vd_nn_session_create(sess, a->model, &so, err);
    if (rc)
        return rc;
    int64_t shape[VD_TENSOR_MAX_DIMS];
    int nd = vd_nn_session_input_shape(*sess, 0, shape);
    vd_dtype dt = vd_nn_model_input(a->model, 0)->dtype;
    if ((rc = vd_tensor_alloc(input, dt, nd, shape, err))) {
        vd_nn_session_free(sess);
        return vd_error_prefix(err, "%s: ", a->card.path);
    }
    return VD_OK;
}
