/* test_nn_cli.c -- `visiond nn` as a user drives it.
 *
 * A tiny graph from tests/nn_ref/make_models.py (cli_names: Relu*2 on a
 * float input, +1 on an int64 input, symbolic batch, output names with
 * '/', ':' and '+') exercises run (.npy in and out, batch from the arrays,
 * output file names), every input error with its exit code and message,
 * info's JSON against the facts of the file, bench's JSON, and a model with
 * no inputs (ONNX's test_constant) run without --input. Whole-model
 * numerics against onnxruntime live in tests/nn_models.cmake. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vision/core/npy.h"
#include "vision/nn/loader.h"
#include "tests/support/once.h"

#define WORK VD_BINARY_DIR "/tests/nn_cli"
#define MODEL WORK "/cli_names.onnx"

static char out_text[65536], err_text[65536];

static void slurp(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(buf, 1, n - 1, f) : 0;
    buf[len] = '\0';
    if (f)
        fclose(f);
}

/* Runs visiond with args; returns its exit status, output in out/err_text.
 * The capture files are per process: Criterion runs tests in parallel. */
static int visiond(const char *args)
{
    char cmd[4096], out[512], err[512];
    snprintf(out, sizeof out, "%s/stdout.%d", WORK, (int)getpid());
    snprintf(err, sizeof err, "%s/stderr.%d", WORK, (int)getpid());
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2> '%s'", VD_VISIOND, args, out, err);
    int st = system(cmd);
    slurp(out, out_text, sizeof out_text);
    slurp(err, err_text, sizeof err_text);
    remove(out);
    remove(err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The model and the input arrays, once per version of make_models.py
 * (tests/support/once.h: Criterion runs the tests in parallel processes). */
static int make_inputs(void *arg)
{
    (void)arg;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && '%s' '%s/tests/nn_ref/make_models.py' '%s' "
             "--only cli_names,cli_dynamic > /dev/null", WORK, VD_PYTHON, VD_SOURCE_DIR, WORK);
    cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
    vd_tensor x, k, img;
    int64_t xs[2] = {4, 3}, ks[1] = {4}, is[4] = {2, 3, 17, 23};
    cr_assert_eq(vd_tensor_alloc(&img, VD_DTYPE_F32, 4, is, NULL), 0);
    for (int i = 0; i < 2 * 3 * 17 * 23; i++)
        ((float *)img.data)[i] = (float)(i % 7) - 3;
    cr_assert_eq(vd_npy_write(WORK "/img.npy", &img, NULL), 0);
    vd_tensor_free(&img);
    cr_assert_eq(vd_tensor_alloc(&x, VD_DTYPE_F32, 2, xs, NULL), 0);
    cr_assert_eq(vd_tensor_alloc(&k, VD_DTYPE_I64, 1, ks, NULL), 0);
    for (int i = 0; i < 12; i++)
        ((float *)x.data)[i] = (float)(i - 6) * 0.75f;
    for (int i = 0; i < 4; i++)
        ((int64_t *)k.data)[i] = (int64_t)i * 1000000000000LL - 7;
    cr_assert_eq(vd_npy_write(WORK "/x.npy", &x, NULL), 0);
    cr_assert_eq(vd_npy_write(WORK "/k.npy", &k, NULL), 0);
    /* Wrong dtype for k, wrong rank for x, and a file that isn't .npy. */
    k.dtype = VD_DTYPE_F64;
    cr_assert_eq(vd_npy_write(WORK "/k_f64.npy", &k, NULL), 0);
    x.ndim = 1;
    x.shape[0] = 12;
    cr_assert_eq(vd_npy_write(WORK "/x_flat.npy", &x, NULL), 0);
    FILE *f = fopen(WORK "/junk.npy", "w");
    fputs("not numpy", f);
    fclose(f);
    vd_tensor_free(&x);
    vd_tensor_free(&k);
    return 0;
}

static void setup(void)
{
    cr_assert_eq(vd_test_once(WORK, VD_SOURCE_DIR "/tests/nn_ref/make_models.py", make_inputs, NULL),
                 0);
}

TestSuite(nn_cli, .init = setup, .timeout = 120);

Test(nn_cli, run_writes_outputs_with_safe_names)
{
    int rc = visiond("nn run " MODEL " --input x=" WORK "/x.npy --input k=" WORK
                     "/k.npy --output-dir " WORK "/out --threads 2");
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err_text);
    vd_tensor y, k1;
    vd_error err = {0};
    /* "out/y:0" -> out_y_0.npy, "k+1" -> k_1.npy */
    cr_assert_eq(vd_npy_read(WORK "/out/out_y_0.npy", &y, &err), 0, "%s", err.msg);
    cr_assert_eq(vd_npy_read(WORK "/out/k_1.npy", &k1, &err), 0, "%s", err.msg);
    cr_assert_eq(y.dtype, VD_DTYPE_F32);
    cr_assert(y.ndim == 2 && y.shape[0] == 4 && y.shape[1] == 3, "batch 4 taken from x.npy");
    for (int i = 0; i < 12; i++) {
        float v = (float)(i - 6) * 0.75f;
        cr_assert_float_eq(((float *)y.data)[i], v > 0 ? 2 * v : 0, 1e-6);
    }
    cr_assert(k1.dtype == VD_DTYPE_I64 && k1.ndim == 1 && k1.shape[0] == 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq(((int64_t *)k1.data)[i], (int64_t)i * 1000000000000LL - 6);
    cr_assert_not_null(strstr(out_text, "\"out/y:0\""), "stdout maps names to files: %s",
                       out_text);
    vd_tensor_free(&y);
    vd_tensor_free(&k1);
}

static void expect_error(const char *args, int code, const char *a, const char *b)
{
    int rc = visiond(args);
    cr_assert_eq(rc, code, "visiond %s: exit %d, expected %d (%s)", args, rc, code, err_text);
    cr_assert_not_null(strstr(err_text, a), "visiond %s: stderr lacks '%s': %s", args, a,
                       err_text);
    if (b)
        cr_assert_not_null(strstr(err_text, b), "visiond %s: stderr lacks '%s': %s", args, b,
                           err_text);
}

Test(nn_cli, input_errors_exit_1_with_the_reason)
{
    const char *o = " --output-dir " WORK "/out";
    char a[2048];
    snprintf(a, sizeof a, "nn run %s --input x=%s/x.npy%s", MODEL, WORK, o);
    expect_error(a, 1, "missing --input", "'k'");
    snprintf(a, sizeof a, "nn run %s%s", MODEL, o);
    expect_error(a, 1, "missing --input", "'x'");
    snprintf(a, sizeof a, "nn run %s --input x=%s/x.npy --input kk=%s/k.npy%s", MODEL, WORK, WORK, o);
    expect_error(a, 1, "no input 'kk'", "'x', 'k'");
    snprintf(a, sizeof a, "nn run %s --input x=%s/x.npy --input k=%s/k_f64.npy%s", MODEL, WORK,
             WORK, o);
    expect_error(a, 1, "'k'", "dtype float64, model expects int64");
    snprintf(a, sizeof a, "nn run %s --input x=%s/x_flat.npy --input k=%s/k.npy%s", MODEL, WORK,
             WORK, o);
    expect_error(a, 1, "'x'", "shape [12]");
    snprintf(a, sizeof a, "nn run %s --input x=%s/junk.npy --input k=%s/k.npy%s", MODEL, WORK,
             WORK, o);
    expect_error(a, 1, "junk.npy", "not a .npy file");
    snprintf(a, sizeof a, "nn run %s/missing.onnx --input x=%s/x.npy%s", WORK, WORK, o);
    expect_error(a, 1, "missing.onnx", NULL);
    snprintf(a, sizeof a, "nn info %s/x.npy", WORK);
    expect_error(a, 1, "x.npy", NULL);
}

Test(nn_cli, usage_errors_exit_2)
{
    expect_error("nn", 2, "usage", NULL);
    expect_error("nn frobnicate", 2, "unknown subcommand 'frobnicate'", NULL);
    expect_error("nn run " MODEL " --input x=" WORK "/x.npy", 2, "--output-dir", NULL);
    expect_error("nn run " MODEL " --input x=" WORK "/x.npy --input x=" WORK
                 "/x.npy --input k=" WORK "/k.npy --output-dir " WORK "/out", 2, "twice", NULL);
    expect_error("nn bench " MODEL " --threads 0", 2, "--threads", NULL);
    expect_error("nn bench " MODEL " --iterations abc", 2, "--iterations", NULL);
    expect_error("nn bench " MODEL " --bogus", 2, "--bogus", NULL);
    expect_error("nn info " MODEL " --batch 2", 2, "--batch", NULL);
    expect_error("nn info", 2, "MODEL", NULL);
    cr_assert_eq(visiond("nn --help"), 0);
    cr_assert_not_null(strstr(out_text, "visiond nn bench"));
}

/* A model without inputs runs with no --input: ONNX's own node test
 * test_constant, its output against the test's expected output_0.pb. */
Test(nn_cli, run_needs_no_input_when_the_model_has_none)
{
    const char *dir = VD_ONNX_NODE_DIR "/test_constant";
    char a[2048];
    snprintf(a, sizeof a, "nn run %s/model.onnx --output-dir %s/const_out", dir, WORK);
    int rc = visiond(a);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err_text);
    json_error_t je;
    json_t *root = json_loads(out_text, 0, &je);
    cr_assert_not_null(root, "stdout is JSON: %s", out_text);
    json_t *o = json_array_get(json_object_get(root, "outputs"), 0);
    cr_assert_not_null(o, "one output listed: %s", out_text);
    vd_tensor got, want;
    vd_error err = {0};
    cr_assert_eq(vd_npy_read(json_string_value(json_object_get(o, "file")), &got, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(vd_nn_tensor_pb_load(VD_ONNX_NODE_DIR "/test_constant/test_data_set_0/output_0.pb",
                                      &want, NULL, &err), 0, "%s", err.msg);
    cr_assert(vd_tensor_same_shape(&got, &want) && got.dtype == want.dtype);
    cr_assert_eq(memcmp(got.data, want.data, vd_tensor_nbytes(&got)), 0, "values differ");
    vd_tensor_free(&got);
    vd_tensor_free(&want);
    json_decref(root);
}

Test(nn_cli, info_describes_the_file)
{
    cr_assert_eq(visiond("nn info " MODEL), 0, "%s", err_text);
    json_error_t je;
    json_t *j = json_loads(out_text, 0, &je);
    cr_assert_not_null(j, "not JSON (%s): %s", je.text, out_text);
    cr_assert_eq(json_integer_value(json_object_get(j, "opset")), 13);
    cr_assert_str_eq(json_string_value(json_object_get(j, "producer")), "visiond-cli-test");
    json_t *in0 = json_array_get(json_object_get(j, "inputs"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(in0, "name")), "x");
    cr_assert_str_eq(json_string_value(json_object_get(in0, "dtype")), "float32");
    json_t *shape = json_object_get(in0, "shape");
    cr_assert_str_eq(json_string_value(json_array_get(shape, 0)), "batch");
    cr_assert_eq(json_integer_value(json_array_get(shape, 1)), 3);
    json_t *in1 = json_array_get(json_object_get(j, "inputs"), 1);
    cr_assert_str_eq(json_string_value(json_object_get(in1, "dtype")), "int64");
    json_t *out0 = json_array_get(json_object_get(j, "outputs"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(out0, "name")), "out/y:0");
    json_t *hist = json_object_get(j, "op_histogram");
    cr_assert_eq(json_object_size(hist), 3, "%s", out_text);
    cr_assert_eq(json_integer_value(json_object_get(hist, "Relu")), 1);
    cr_assert_eq(json_integer_value(json_object_get(hist, "Mul")), 1);
    cr_assert_eq(json_integer_value(json_object_get(hist, "Add")), 1);
    cr_assert_eq(json_integer_value(json_object_get(j, "nodes")), 3);
    cr_assert_eq(json_integer_value(json_object_get(j, "parameters")), 2, "two scalar constants");
    cr_assert_gt(json_integer_value(json_object_get(j, "arena_bytes_batch_1")), 0);
    json_decref(j);
}

Test(nn_cli, bench_prints_latency_json)
{
    cr_assert_eq(visiond("nn bench " MODEL " --batch 8 --iterations 30 --warmup 2 --profile"),
                 0, "%s", err_text);
    json_error_t je;
    json_t *j = json_loads(out_text, 0, &je);
    cr_assert_not_null(j, "not JSON (%s): %s", je.text, out_text);
    double mean = json_real_value(json_object_get(j, "mean_ms"));
    double p50 = json_real_value(json_object_get(j, "p50_ms"));
    double p90 = json_real_value(json_object_get(j, "p90_ms"));
    double tput = json_real_value(json_object_get(j, "throughput"));
    cr_assert(mean > 0 && p50 > 0 && p50 <= p90, "mean %g p50 %g p90 %g", mean, p50, p90);
    cr_assert_float_eq(tput, 8 * 1000.0 / mean, 1e-6 * tput);
    cr_assert_eq(json_integer_value(json_object_get(j, "batch")), 8);
    cr_assert_eq(json_integer_value(json_object_get(j, "threads")), 1);
    cr_assert_gt(json_integer_value(json_object_get(j, "peak_rss_bytes")), 1 << 20);
    cr_assert_gt(json_integer_value(json_object_get(j, "arena_bytes")), 0);
    json_t *ops = json_object_get(json_object_get(j, "profile"), "by_op");
    cr_assert_geq(json_array_size(ops), 1, "profile lists ops: %s", out_text);
    json_decref(j);
}

Test(nn_cli, symbolic_height_width_come_from_the_array)
{
    const char *model = WORK "/cli_dynamic.onnx";
    char a[2048];
    snprintf(a, sizeof a, "nn run %s --input x=%s/img.npy --output-dir %s/dyn", model, WORK, WORK);
    cr_assert_eq(visiond(a), 0, "%s", err_text);
    vd_tensor y;
    vd_error err = {0};
    cr_assert_eq(vd_npy_read(WORK "/dyn/y.npy", &y, &err), 0, "%s", err.msg);
    cr_assert(y.ndim == 4 && y.shape[0] == 2 && y.shape[2] == 17 && y.shape[3] == 23);
    for (int i = 0; i < 2 * 3 * 17 * 23; i++) {
        float v = (float)(i % 7) - 3;
        cr_assert_eq(((float *)y.data)[i], v > 0 ? v : 0);
    }
    vd_tensor_free(&y);
    /* No plan without a size: info says so, bench asks for --shape. */
    snprintf(a, sizeof a, "nn info %s", model);
    cr_assert_eq(visiond(a), 0, "%s", err_text);
    cr_assert_not_null(strstr(out_text, "\"arena_bytes_batch_1\": null"), "%s", out_text);
    cr_assert_not_null(strstr(out_text, "\"h\""), "symbolic dim names shown: %s", out_text);
    snprintf(a, sizeof a, "nn bench %s --iterations 2", model);
    expect_error(a, 2, "--shape x=", NULL);
    snprintf(a, sizeof a, "nn bench %s --iterations 2 --batch 2 --shape x=2x3x40x30", model);
    cr_assert_eq(visiond(a), 0, "%s", err_text);
    cr_assert_not_null(strstr(out_text, "\"arena_bytes\": "), "%s", out_text);
}
