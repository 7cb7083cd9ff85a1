/* fuzz_nn_load.c -- libFuzzer target for the ONNX loader (issue #3 §1).
 *
 * Each input is an .onnx file handed to vd_nn_model_load_buffer. A model
 * that loads also gets a session (batch 1, one thread) and, when its
 * inputs are small and fully resolved, one run, so shape inference,
 * planning and the kernels see what the loader let through. The run's
 * input values come from a generator seeded by the file's hash: the same
 * file always runs on the same values, and index inputs include negative
 * and out-of-range values, floats include inf and NaN, so the kernels'
 * data-dependent checks are fuzzed too (zeros reached none of them).
 * The contract checked besides "no crash, leak or UB": a failure always
 * comes back as a negative code with a non-empty message. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vision/nn/nn.h"

#define MAX_RUN_ELEMS ((int64_t)1 << 12) /* all inputs together: keeps runs ~ms */
#define MAX_RUN_ARENA ((size_t)2 << 20)

static void check_error(int rc, const vd_error *err)
{
    if (rc && (rc >= 0 || !err->msg[0]))
        abort(); /* an error must be a code and a message */
}

/* splitmix64: small, and every seed gives a good stream. */
static uint64_t next_rand(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Mostly small values (indices -4..4, floats -4..4), now and then an
 * extreme one: what a hostile or broken input tensor could hold. */
static void fill_random(vd_tensor *t, uint64_t *st)
{
    int64_t n = vd_tensor_numel(t);
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = next_rand(st);
        int rare = (r & 63) == 0;
        int64_t iv = rare ? (int64_t)(r >> 8) * ((r & 64) ? -1 : 1) : (int64_t)((r >> 8) % 9) - 4;
        static const float special[4] = {INFINITY, -INFINITY, NAN, 3.4e38f};
        float fv = rare ? special[(r >> 8) & 3] : (float)((r >> 8) % 8001) / 1000.0f - 4.0f;
        switch (t->dtype) {
        case VD_DTYPE_F32: ((float *)t->data)[i] = fv; break;
        case VD_DTYPE_F64: ((double *)t->data)[i] = fv; break;
        case VD_DTYPE_I64: ((int64_t *)t->data)[i] = iv; break;
        case VD_DTYPE_I32: ((int32_t *)t->data)[i] = (int32_t)iv; break;
        case VD_DTYPE_I16: ((int16_t *)t->data)[i] = (int16_t)iv; break;
        case VD_DTYPE_U16: ((uint16_t *)t->data)[i] = (uint16_t)iv; break;
        case VD_DTYPE_I8: ((int8_t *)t->data)[i] = (int8_t)iv; break;
        case VD_DTYPE_U8: ((uint8_t *)t->data)[i] = (uint8_t)iv; break;
        case VD_DTYPE_BOOL: ((uint8_t *)t->data)[i] = (uint8_t)(r >> 8 & 1); break;
        default: break;
        }
    }
}

/* Inputs at the session's resolved shapes, filled from seed; 0 if none
 * fit. */
static int make_inputs(const vd_nn_session *s, const vd_nn_model *m, vd_tensor *in, int n,
                       uint64_t seed)
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
        fill_random(&in[i], &seed);
    }
    return 1;
}

static void run_once(vd_nn_session *s, const vd_nn_model *m, uint64_t seed)
{
    int n_in = vd_nn_model_input_count(m), n_out = vd_nn_model_output_count(m);
    vd_tensor *in = calloc((size_t)n_in + 1, sizeof *in);
    vd_tensor *out = calloc((size_t)n_out + 1, sizeof *out);
    vd_error err = {0};
    if (in && out && vd_nn_session_arena_bytes(s) <= MAX_RUN_ARENA &&
        make_inputs(s, m, in, n_in, seed))
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
    uint64_t seed = 1469598103934665603ull; /* FNV-1a of the file */
    for (size_t i = 0; i < size; i++)
        seed = (seed ^ data[i]) * 1099511628211ull;
    if (!rc)
        run_once(s, m, seed);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
    return 0;
}
