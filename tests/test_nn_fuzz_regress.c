/* test_nn_fuzz_regress.c -- one test per bug the fuzzers (tests/fuzz/)
 * found in the .npy reader and the ONNX loader/session, each on the
 * crafted file that triggered it (or its minimised form). Each test fails
 * on the code before its fix: a crash, a sanitizer report, an attempt to
 * allocate what the file only claims, or a wrong error. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vision/nn/nn.h"
#include "vision/nn/graph.h"
#include "vision/core/npy.h"
#include "tests/support/once.h"

/* ---- .npy ---- */

/* A format-1.0 .npy file: magic, header dict padded to 64 bytes, body. */
static size_t npy_craft(char *buf, size_t cap, const char *dict, const void *body, size_t n)
{
    size_t dl = strlen(dict), hl = (10 + dl + 1 + 63) / 64 * 64 - 10;
    cr_assert(10 + hl + n <= cap);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)(hl & 0xff);
    buf[9] = (char)(hl >> 8);
    memset(buf + 10, ' ', hl);
    memcpy(buf + 10, dict, dl);
    buf[10 + hl - 1] = '\n';
    memcpy(buf + 10 + hl, body, n);
    return 10 + hl + n;
}

/* Found by fuzz_npy: a 128-byte file claiming 2^58 int64 elements made
 * the reader allocate 2^61 bytes before noticing the data was missing
 * (ASan: allocation-size-too-big; a plain build: ENOMEM instead of the
 * truncation error, or a multi-GiB allocation for smaller claims). */
Test(nn_fuzz_regress, npy_claimed_size_checked_before_allocating)
{
    char buf[256], msg[VD_ERROR_MSG_MAX];
    const char dict[] = "{'descr': '<i8', 'fortran_order': False, 'shape': (288230376151711744,), }";
    size_t n = npy_craft(buf, sizeof buf, dict, "\1\0\0\0\0\0\0\0", 8);
    vd_tensor t;
    vd_error err = {0};
    cr_assert_eq(vd_npy_read_buffer(buf, n, &t, &err), VD_EFORMAT, "got: %s", err.msg);
    cr_assert(strstr(err.msg, "truncated data: 8 of 2305843009213693952 bytes"), "got: %s", err.msg);
    cr_assert_null(t.data);

    char path[] = "/tmp/vd_fuzz_regress_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, buf, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(vd_npy_read(path, &t, &err), VD_EFORMAT, "got: %s", err.msg);
    snprintf(msg, sizeof msg, "%s: truncated data: 8 of 2305843009213693952 bytes", path);
    cr_assert_str_eq(err.msg, msg);
    unlink(path);
}

/* ---- .onnx ---- */

#define REGRESS_DIR VD_BINARY_DIR "/tests/fuzz_regress"

static void make_models(void)
{
    cr_assert_eq(vd_test_script_once(REGRESS_DIR, VD_SOURCE_DIR "/tests/fuzz/regress_models.py",
                                     "'" REGRESS_DIR "'"), 0);
}

/* Cap the address space, so that code which allocates what a file only
 * claims fails with ENOMEM (the wrong error) instead of quietly zeroing
 * gigabytes. ASan reserves terabytes of shadow memory: no cap there. */
static void cap_memory(void)
{
#ifndef __SANITIZE_ADDRESS__
    struct rlimit rl = {(rlim_t)2 << 30, (rlim_t)2 << 30};
    cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
#endif
}

static void expect_load_error(const char *file, int code, const char *msg)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", REGRESS_DIR, file);
    vd_nn_model *m = NULL;
    vd_error err = {0};
    cr_assert_eq(vd_nn_model_load(&m, path, &err), code, "%s: got: %s", file, err.msg);
    cr_assert_null(m);
    cr_assert(strstr(err.msg, msg), "%s: expected '%s' in: %s", file, msg, err.msg);
}

/* A tensor's payload is checked against its shape before the loader
 * allocates: it allocated (and zeroed) 16 GiB first, then noticed the
 * data was missing. */
Test(nn_fuzz_regress, initializer_payload_checked_before_allocating)
{
    make_models();
    cap_memory();
    expect_load_error("claims_typed.onnx", VD_EFORMAT,
                      "initializer 'w': has 0 data elements for 2147483648 in its shape");
    expect_load_error("claims_external.onnx", VD_EFORMAT,
                      "w.bin is shorter than offset 0 + length 17179869184");
}

static void expect_session_error(const char *file, int code, const char *msg)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", REGRESS_DIR, file);
    vd_nn_model *m = NULL;
    vd_nn_session *s = NULL;
    vd_error err = {0};
    cr_assert_eq(vd_nn_model_load(&m, path, &err), 0, "%s: %s", file, err.msg);
    cr_assert_eq(vd_nn_session_create(&s, m, NULL, &err), code, "%s: got: %s", file, err.msg);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, msg), "%s: expected '%s' in: %s", file, msg, err.msg);
    vd_nn_model_free(&m);
}

/* A declared input shape is checked before planning: [2^40, 2^40]
 * overflowed int64 in the element count, [1e5, 1e5, 100] asked for a
 * 4 TB arena (ENOMEM at best). */
Test(nn_fuzz_regress, absurd_input_shape_refused_at_session_create)
{
    make_models();
    cap_memory();
    expect_session_error("input_overflow.onnx", VD_ELIMIT,
                         "input 'x': shape [1099511627776,1099511627776] is over the limit of 17179869184 bytes");
    expect_session_error("input_huge.onnx", VD_ELIMIT,
                         "input 'x': shape [100000,100000,100] is over the limit of 17179869184 bytes");
}

/* Found by fuzz_nn_load: indices wider than data on a dim other than
 * axis sent GatherElements reading, and ScatterElements writing, past
 * data. Refused when the session is planned. */
Test(nn_fuzz_regress, elements_indices_must_fit_data)
{
    make_models();
    expect_session_error("GatherElements_wide.onnx", VD_EINVAL,
                         "indices dim 1 is 64, larger than data's 3");
    expect_session_error("ScatterElements_wide.onnx", VD_EINVAL,
                         "indices dim 1 is 64, larger than data's 3");
}

/* Found by fuzz_nn_load: MaxPool on uint8 with pads as large as the
 * kernel pooled a window of padding only (-inf, cast to uint8: UB).
 * Refused at load, as onnxruntime does. */
Test(nn_fuzz_regress, pool_pads_smaller_than_kernel)
{
    make_models();
    expect_load_error("maxpool_pad.onnx", VD_EINVAL,
                      "MaxPool: pads[0] = 2 is not smaller than the kernel (2)");
}

/* Found by reading where float data meets an integer cast: a
 * tf_crop_and_resize roi of inf made the source coordinate inf (UB when
 * cast to int64). */
Test(nn_fuzz_regress, crop_resize_roi_must_be_finite)
{
    make_models();
    expect_session_error("crop_resize_inf_roi.onnx", VD_EINVAL,
                         "Resize: roi [0, inf] on dim 2 is not finite or beyond +-1e6");
}

/* Found by fuzz_nn_load once it fed random inputs: Clip read a float
 * min = inf through vd_nn_tensor_get_i64, a float-to-int64 cast of inf
 * (undefined behaviour; x86 gave INT64_MIN). Every float-to-integer
 * read saturates now. */
Test(nn_fuzz_regress, float_index_reads_saturate)
{
    vd_tensor t;
    int64_t shape[1] = {5};
    cr_assert_eq(vd_tensor_alloc(&t, VD_DTYPE_F32, 1, shape, NULL), 0);
    float v[5] = {INFINITY, -INFINITY, NAN, 1e30f, -2.75f};
    memcpy(t.data, v, sizeof v);
    cr_assert_eq(vd_nn_tensor_get_i64(&t, 0), INT64_MAX);
    cr_assert_eq(vd_nn_tensor_get_i64(&t, 1), INT64_MIN);
    cr_assert_eq(vd_nn_tensor_get_i64(&t, 2), 0);
    cr_assert_eq(vd_nn_tensor_get_i64(&t, 3), INT64_MAX);
    cr_assert_eq(vd_nn_tensor_get_i64(&t, 4), -2);
    vd_tensor_free(&t);
}

/* A session (default options) on one of the regression models. */
static void open_session(const char *file, vd_nn_model **m, vd_nn_session **s)
{
    char path[512];
    vd_error err = {0};
    make_models();
    snprintf(path, sizeof path, "%s/%s", REGRESS_DIR, file);
    cr_assert_eq(vd_nn_model_load(m, path, &err), 0, "%s: %s", file, err.msg);
    cr_assert_eq(vd_nn_session_create(s, *m, NULL, &err), 0, "%s: %s", file, err.msg);
}

/* RoiAlign on rois [0, 0, r2, r3]: 0 or the run's error code. */
static int roi_run(vd_nn_session *s, float r2, float r3, vd_error *err)
{
    vd_tensor in[3], out = {0};
    int64_t xs[4] = {1, 1, 4, 4}, rs[2] = {1, 4}, bs[1] = {1};
    cr_assert_eq(vd_tensor_alloc(&in[0], VD_DTYPE_F32, 4, xs, NULL), 0);
    cr_assert_eq(vd_tensor_alloc(&in[1], VD_DTYPE_F32, 2, rs, NULL), 0);
    cr_assert_eq(vd_tensor_alloc(&in[2], VD_DTYPE_I64, 1, bs, NULL), 0);
    for (int i = 0; i < 16; i++)
        ((float *)in[0].data)[i] = (float)i;
    float roi[4] = {0, 0, r2, r3};
    memcpy(in[1].data, roi, sizeof roi);
    ((int64_t *)in[2].data)[0] = 0;
    int rc = vd_nn_session_run(s, in, 3, &out, 1, err);
    for (int i = 0; i < 3; i++)
        vd_tensor_free(&in[i]);
    vd_tensor_free(&out);
    return rc;
}

/* Found by fuzz_nn_load with random inputs: a roi of inf cast a
 * non-finite sampling grid to int64 (UB), one of 1e9 pixels sampled 10^17
 * points. Both are refused with the roi named; a sane roi still runs. */
Test(nn_fuzz_regress, roi_align_refuses_absurd_boxes)
{
    vd_nn_model *m = NULL;
    vd_nn_session *s = NULL;
    vd_error err = {0};
    open_session("roi_align.onnx", &m, &s);
    cr_assert_eq(roi_run(s, 3, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(roi_run(s, INFINITY, 3, &err), VD_ERANGE);
    cr_assert(strstr(err.msg, "rois[0] = [0, 0, inf, 3] is not finite"), "got: %s", err.msg);
    cr_assert_eq(roi_run(s, NAN, 3, &err), VD_ERANGE);
    cr_assert_eq(roi_run(s, 3, 1e9f, &err), VD_ERANGE);
    cr_assert(strstr(err.msg, "over 4096 samples per bin side"), "got: %s", err.msg);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}

/* Found by fuzz_nn_load in CI with random inputs: an int64 Pow whose
 * result does not fit (4^100, 0^-1 = inf) was a double-to-int64 cast of
 * an out-of-range value (UB; x86 gave INT64_MIN). It saturates now. */
Test(nn_fuzz_regress, int_pow_saturates)
{
    vd_nn_model *m = NULL;
    vd_nn_session *s = NULL;
    vd_error err = {0};
    open_session("pow_int.onnx", &m, &s);
    vd_tensor in[2], out = {0};
    int64_t shape[1] = {3};
    const int64_t x[3] = {4, 0, -2}, e[3] = {100, -1, 65};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(vd_tensor_alloc(&in[i], VD_DTYPE_I64, 1, shape, NULL), 0);
        memcpy(in[i].data, i ? e : x, sizeof x);
    }
    cr_assert_eq(vd_nn_session_run(s, in, 2, &out, 1, &err), 0, "%s", err.msg);
    const int64_t *y = out.data;
    cr_expect(y[0] == INT64_MAX && y[1] == INT64_MAX && y[2] == INT64_MIN,
              "got %lld %lld %lld", (long long)y[0], (long long)y[1], (long long)y[2]);
    for (int i = 0; i < 2; i++)
        vd_tensor_free(&in[i]);
    vd_tensor_free(&out);
    vd_nn_session_free(&s);
    vd_nn_model_free(&m);
}
