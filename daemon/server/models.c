/* models.c -- GET /api/v1/models: the configured models, whether they
 * loaded (and why not), their input size and their inference figures.
 *
 * Design: a model that failed to load is listed with its error rather
 * than hidden, as the runtime keeps the daemon up without it. */
#include "api.h"

json_t *vd_api_model_json(const vd_model_stats *m)
{
    return json_pack("{s:s,s:s,s:b,s:s?,s:{s:i,s:i},s:I,s:I,s:I,s:f,s:f,s:f,s:i}", "name",
                     m->name, "card", m->card, "loaded", m->loaded, "error",
                     m->loaded ? NULL : m->error, "input", "width", m->input_w, "height",
                     m->input_h, "runs", (json_int_t)m->runs, "frames", (json_int_t)m->frames,
                     "images_damaged", (json_int_t)m->images_damaged, "infer_ms_p50", m->infer_ms_p50, "infer_ms_p99", m->infer_ms_p99,
                     "batch_fill", m->batch_fill, "queue_depth", m->queue_depth);
}

const char *vd_api_default_model(vd_runtime *rt)
{
    const vd_config *cfg = vd_runtime_config(rt);
    return cfg->deepstack_model ? cfg->deepstack_model
           : cfg->n_models      ? cfg->models[0].name
                                : NULL;
}

enum MHD_Result vd_api_models(vd_req *r)
{
    json_t *list = json_array();
    int n = vd_runtime_model_count(r->rt);
    for (int i = 0; i < n; i++) {
        vd_model_stats m;
        vd_runtime_model_stats(r->rt, i, &m);
        json_array_append_new(list, vd_api_model_json(&m));
    }
    return vd_api_reply_json(r, 200,
                             json_pack("{s:o,s:s?}", "models", list, "deepstack_model",
                                       vd_api_default_model(r->rt)));
}
