/* fuzz_config.c -- libFuzzer target for the daemon's YAML config loader
 * (daemon/runtime/config*.c: libyaml -> vd_cfg_node tree -> validator).
 *
 * Each input is visiond.yaml in a scratch directory, loaded by
 * vd_config_load (relative paths resolve there; the sources policy's
 * realpath() calls run on whatever paths the input names, read-only). A
 * loaded config is walked (every stream converted to its JSON form and
 * back, as the API's GET and PUT do) and freed; a refused one must carry a
 * negative code and a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/runtime/config.h"
#include "fuzz_util.h"

static void walk(const vd_config *c)
{
    if (!c->path || !c->listen || c->n_streams < 0 || c->n_models < 0)
        abort();
    for (int i = 0; i < c->n_models; i++)
        if (!c->models[i].name || !c->models[i].card || vd_config_model(c, c->models[i].name) == NULL)
            abort();
    for (int i = 0; i < c->n_streams; i++) {
        json_t *j = vd_stream_config_to_json(&c->streams[i], 1);
        if (!j)
            continue; /* ENOMEM */
        vd_stream_config back;
        vd_error err = {0};
        int rc = vd_stream_config_from_json(&back, j, c, &err);
        vd_fuzz_check_error(rc, err.msg);
        if (!rc)
            vd_stream_config_free(&back);
        json_decref(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vd_config c;
    vd_error err = {0};
    const char *path = vd_fuzz_write("visiond.yaml", data, size);
    int rc = vd_config_load(&c, path, vd_fuzz_dir(), &err);
    vd_fuzz_check_error(rc, err.msg);
    if (rc)
        return 0;
    walk(&c);
    vd_config_free(&c);
    return 0;
}
