/* fuzz_card.c -- libFuzzer target for model cards (pipeline/card.c).
 *
 * Each input is a card file, read by vd_card_load from a scratch directory
 * (the entry the CLI uses; the daemon's vd_card_from_json is its second
 * half). A loaded card must have a model path, and its detector options
 * must be readable; a refused one a negative code with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "pipeline/card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vd_card c;
    vd_error err = {0};
    int rc = vd_card_load(&c, vd_fuzz_write("card.json", data, size), &err);
    vd_fuzz_check_error(rc, err.msg);
    if (rc)
        return 0;
    if (!c.path[0] || c.n_classes < 0 || c.n_outputs < 0 || c.n_filters < 0)
        abort();
    vd_detector_opts o;
    vd_card_detector_opts(&c, &o);
    size_t len = 0;
    for (int i = 0; i < o.n_classes; i++)
        len += strlen(o.classes[i]);
    for (int i = 0; i < c.n_outputs; i++)
        len += strlen(c.outputs[i]);
    (void)len;
    vd_card_free(&c);
    return 0;
}
