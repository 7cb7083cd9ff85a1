/* test_npy.c -- vision/npy against numpy itself.
 *
 * numpy writes every supported dtype and shape (formats 1.0, 2.0, 3.0);
 * we read each and compare with the raw bytes numpy dumped, write it back,
 * and numpy checks that our file loads to the same array and is
 * byte-identical to np.save's. Files numpy produces that we must refuse
 * (Fortran order, big-endian, float16, truncated, bad header) get an
 * error naming the file and the reason. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vision/core/npy.h"

#define CASES_DIR VD_BINARY_DIR "/tests/npy_cases"

static void run_python(const char *mode)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && '%s' '%s/tests/nn_ref/npy_ref.py' %s '%s'", CASES_DIR,
             VD_PYTHON, VD_SOURCE_DIR, mode, CASES_DIR);
    cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

static void *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* Compare t with the .shape and .bin numpy wrote beside stem.npy. */
static void check_against_numpy(const char *stem, const vd_tensor *t)
{
    char path[1024];
    size_t n;
    snprintf(path, sizeof path, "%s/%s.shape", CASES_DIR, stem);
    char *shape = slurp(path, &n), *p = shape;
    int ndim = 0;
    while (*p) {
        char *end;
        long long v = strtoll(p, &end, 10);
        cr_assert_lt(ndim, t->ndim + 1, "%s: too many dims", stem);
        cr_assert_eq(t->shape[ndim], v, "%s: dim %d is %lld, numpy says %lld", stem, ndim,
                     (long long)t->shape[ndim], v);
        ndim++;
        p = end;
    }
    cr_assert_eq(t->ndim, ndim, "%s: ndim %d, numpy says %d", stem, t->ndim, ndim);
    free(shape);
    snprintf(path, sizeof path, "%s/%s.bin", CASES_DIR, stem);
    char *raw = slurp(path, &n);
    cr_assert_eq(vd_tensor_nbytes(t), n, "%s: %zu bytes, numpy says %zu", stem,
                 vd_tensor_nbytes(t), n);
    cr_assert(n == 0 || !memcmp(raw, t->data, n), "%s: data differs from numpy's", stem);
    free(raw);
}

Test(npy, numpy_files_roundtrip, .timeout = 60)
{
    run_python("write");
    DIR *d = opendir(CASES_DIR);
    cr_assert_not_null(d);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "case_", 5) || len < 4 || strcmp(e->d_name + len - 4, ".npy"))
            continue;
        char stem[256], path[1024];
        snprintf(stem, sizeof stem, "%.*s", (int)(len - 4), e->d_name);
        snprintf(path, sizeof path, "%s/%s", CASES_DIR, e->d_name);
        vd_tensor t;
        vd_error err = {0};
        cr_assert_eq(vd_npy_read(path, &t, &err), 0, "%s", err.msg);
        check_against_numpy(stem, &t);

        /* The in-memory reader must agree with the file reader. */
        size_t n;
        void *buf = slurp(path, &n);
        vd_tensor t2;
        cr_assert_eq(vd_npy_read_buffer(buf, n, &t2, &err), 0, "%s: %s", stem, err.msg);
        cr_assert(vd_tensor_same_shape(&t, &t2));
        cr_assert(!vd_tensor_nbytes(&t) || !memcmp(t.data, t2.data, vd_tensor_nbytes(&t)));
        /* Every strict prefix is refused cleanly (no crash, no success). */
        for (size_t cut = 0; cut < n; cut += 1 + cut / 8) {
            vd_tensor t3;
            cr_assert_neq(vd_npy_read_buffer(buf, cut, &t3, NULL), 0, "%s: prefix %zu read",
                          stem, cut);
        }
        free(buf);
        vd_tensor_free(&t2);

        snprintf(path, sizeof path, "%s/out_%s", CASES_DIR, e->d_name + 5);
        cr_assert_eq(vd_npy_write(path, &t, &err), 0, "%s", err.msg);
        vd_tensor_free(&t);
        count++;
    }
    closedir(d);
    cr_assert_geq(count, 9 * 7 + 18, "only %d numpy files found", count);
    run_python("check");
}

static void expect_refused(const char *file, int code, const char *reason)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CASES_DIR, file);
    vd_tensor t;
    vd_error err = {0};
    int rc = vd_npy_read(path, &t, &err);
    cr_assert_eq(rc, code, "%s: rc %d (%s), expected %d", file, rc, err.msg, code);
    cr_assert_not_null(strstr(err.msg, path), "message does not name the file: %s", err.msg);
    cr_assert_not_null(strstr(err.msg, reason), "message lacks '%s': %s", reason, err.msg);
    cr_assert_null(t.data);
}

Test(npy, refuses_what_it_cannot_read, .timeout = 60)
{
    run_python("write");
    expect_refused("bad_fortran.npy", VD_EUNSUPPORTED, "Fortran");
    expect_refused("bad_bigendian.npy", VD_EUNSUPPORTED, "big-endian");
    expect_refused("bad_float16.npy", VD_EUNSUPPORTED, "'<f2'");
    expect_refused("bad_structured.npy", VD_EUNSUPPORTED, "structured");
    expect_refused("bad_truncated.npy", VD_EFORMAT, "truncated");
    expect_refused("bad_header.npy", VD_EFORMAT, "header");
    expect_refused("bad_magic.npy", VD_EFORMAT, "magic");
    expect_refused("does_not_exist.npy", VD_ENOTFOUND, "No such file");
}

Test(npy, write_errors_name_the_file)
{
    vd_tensor t;
    int64_t shape[1] = {4};
    cr_assert_eq(vd_tensor_alloc(&t, VD_DTYPE_F32, 1, shape, NULL), 0);
    vd_error err = {0};
    const char *path = "/nonexistent-dir/x.npy";
    cr_assert_eq(vd_npy_write(path, &t, &err), VD_EIO);
    cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
    vd_tensor_free(&t);
}

/* Random byte mutations of valid files: never a crash, and a success only
 * with a consistent tensor (run under VD_SANITIZE for the memory side). */
Test(npy, mutated_files_fail_cleanly, .timeout = 60)
{
    run_python("write");
    const char *files[] = {"case_float32_3.npy", "case_int64_4.npy", "case_bool_2.npy",
                           "case_uint8_3_v2.npy"};
    uint64_t x = 88172645463325252ull;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        size_t n;
        snprintf(path, sizeof path, "%s/%s", CASES_DIR, files[f]);
        unsigned char *orig = slurp(path, &n), *buf = malloc(n);
        for (int round = 0; round < 2000; round++) {
            memcpy(buf, orig, n);
            for (int k = 0; k < 1 + round % 4; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                buf[(x >> 8) % (round % 2 ? 80 : n)] = (unsigned char)x;
            }
            vd_tensor t;
            if (vd_npy_read_buffer(buf, n, &t, NULL) == 0) {
                cr_assert_leq(vd_tensor_nbytes(&t), n, "%s: tensor larger than the file", files[f]);
                vd_tensor_free(&t);
            }
        }
        free(buf);
        free(orig);
    }
}
