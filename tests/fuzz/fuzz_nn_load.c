/* fuzz_nn_load.c -- libFuzzer target for the ONNX loader (issue #3 §1).
 *
 * Each input is an .onnx file handed to vd_nn_model_load_buffer. A model
 * that loads also gets a session (batch 1, one thread) and, when its
 * inputs are small and fully resolved, one run on zeros, so shape
 * inference, planning and the kernels see what the loader let through.
 * The contract checked besides "no crash, leak or UB": a failure always
 * comes back as a negative code with a non-empty message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vision/nn.h"

#define MAX_RUN_ELEMS ((int64_t)1 << 12) /* all inputs together: keeps runs ~ms */
#define MAX_RUN_ARENA ((size_t)2 << 20)

static void check_error(int rc, const vd_error *err)
{
    if (rc && (rc >= 0 || !err->msg[0]))
        abort(); /* an error must be a code and a message */
}

/* Zero-filled inputs at the session's resolved shapes; 0 if none fit. */
static int make_inputs(const vd_nn_session *s, const vd_nn_model *m, vd_tensor *in, int n)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        int64_t shape[VD_TENSOR_MAX_DIMS], numel = 1;
        int ndim = vd_nn_session_input_shape(s, i, shape);
        if (ndim < 0)
            return 0;
        for (int d = 0; d < ndim; d++) {
            if (shape[d] < 0 || (shape[d] && numel > MAX_RUN_ELEMS / shape[d]))
                return 0;
            numel *= shape[d];
        }
        if ((total += numel) > MAX_RUN_ELEMS)
            return 0;
        if (vd_tensor_alloc(&in[i], vd_nn_model_input(m, i)->dtype, ndim, shape, NULL))
            return 0;
    }
    return 1;
}

static void run_once(vd_nn_session *s, const vd_nn_model *m)
{
    int n_in = vd_nn_model_input_count(m), n_out = vd_nn_model_output_count(m);
    vd_tensor *in = calloc((size_t)n_in + 1, sizeof *in);
    vd_tensor *out = calloc((size_t)n_out + 1, sizeof *out);
    vd_error err = {0};
    if (in && out && vd_nn_session_arena_bytes(s) <= MAX_RUN_ARENA && make_inputs(s, m, in, n_in))
        check_error(vd_nn_session_run(s, in, n_in, out, n_out, &err), &err);
    for (int i = 0; in && i < n_in; i++)
        vd_tensor_free(&in[i]);
    for (int i = 0; out && i < n_out; i++)
        vd_tensor_free(&out[i]);
    free(in);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vd_nn_model *m = NULL;
    vd_error err = {0};
    int rc = vd_nn_model_load_buffer(&m, data, size, NULL, &err);
    check_error(rc, &err);
    if (rc)
        return 0;
    vd_nn_model_info info;
    vd_nn_model_get_info(m, &info);
    vd_nn_session *s = NULL;
    vd_nn_session_opts opts = {.threads = 1, .batch = 1};
    memset(&err, 0, sizeof err);
    rc = vd_nn_session_create(&s, m, &opts, &err);
    check_error(rc, &err);
    if (!rc)
        run_once(s, m);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
    return 0;
}
