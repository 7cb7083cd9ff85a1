/* tensor_pb.c -- TensorProto -> vd_tensor, the one place that turns bytes
 * from a model file into tensor memory.
 *
 * The input is untrusted (this is fuzzed): the element count is computed
 * with overflow checks before anything is allocated, and every payload
 * (raw_data, typed repeated fields, external file range) must hold exactly
 * that many elements. External data paths are confined to the model's
 * directory: absolute paths and ".." components are refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "pb.h"

/* Largest tensor we agree to materialise: 16 GiB. */
#define VD_NN_TENSOR_MAX_BYTES ((int64_t)1 << 34)

static const struct { int32_t onnx; int vd; const char *name; } types[] = {
    {1, VD_DTYPE_F32, "FLOAT"},   {2, VD_DTYPE_U8, "UINT8"},    {3, VD_DTYPE_I8, "INT8"},
    {4, VD_DTYPE_U16, "UINT16"},  {5, VD_DTYPE_I16, "INT16"},   {6, VD_DTYPE_I32, "INT32"},
    {7, VD_DTYPE_I64, "INT64"},   {8, -1, "STRING"},            {9, VD_DTYPE_BOOL, "BOOL"},
    {10, -1, "FLOAT16"},          {11, VD_DTYPE_F64, "DOUBLE"}, {12, -1, "UINT32"},
    {13, -1, "UINT64"},           {14, -1, "COMPLEX64"},        {15, -1, "COMPLEX128"},
    {16, -1, "BFLOAT16"},
};

int vd_nn_dtype_from_onnx(int32_t onnx_type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].onnx == onnx_type)
            return types[i].vd;
    return -1;
}

const char *vd_nn_onnx_type_name(int32_t onnx_type)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i].onnx == onnx_type)
            return types[i].name;
    return "UNDEFINED";
}

/* Copy n typed-field elements of width `from` into `to`-byte elements. */
static void convert_ints(void *dst, size_t to, const void *src, size_t from, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t v = from == 8 ? ((const int64_t *)src)[i] : ((const int32_t *)src)[i];
        switch (to) {
        case 1: ((uint8_t *)dst)[i] = (uint8_t)v; break;
        case 2: ((uint16_t *)dst)[i] = (uint16_t)v; break;
        case 4: ((int32_t *)dst)[i] = (int32_t)v; break;
        default: ((int64_t *)dst)[i] = v; break;
        }
    }
}

/* The typed repeated field that holds dtype dt: its array, its length,
 * and the width of its elements when they are integers (else 0). */
static size_t typed_field(const Onnx__TensorProto *tp, int dt, const void **src, size_t *from)
{
    *from = 0;
    switch (dt) {
    case VD_DTYPE_F32: *src = tp->float_data; return tp->n_float_data;
    case VD_DTYPE_F64: *src = tp->double_data; return tp->n_double_data;
    case VD_DTYPE_I64: *src = tp->int64_data; *from = 8; return tp->n_int64_data;
    default: *src = tp->int32_data; *from = 4; return tp->n_int32_data;
    }
}

static int fill_typed(const Onnx__TensorProto *tp, vd_tensor *t, int64_t n, vd_error *err)
{
    size_t es = vd_dtype_size(t->dtype), from;
    const void *src;
    size_t have = typed_field(tp, t->dtype, &src, &from);
    if (have != (size_t)n)
        return vd_error_set(err, VD_EFORMAT, "has %zu data elements for %lld in its shape",
                            have, (long long)n);
    if (n == 0)
        return VD_OK;
    if (from)
        convert_ints(t->data, es, src, from, (size_t)n);
    else
        memcpy(t->data, src, (size_t)n * es);
    return VD_OK;
}

/* Refuse anything that could leave the model's directory. */
static int safe_relative(const char *loc)
{
    if (!loc[0] || loc[0] == '/')
        return 0;
    for (const char *p = loc; *p;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += len + (e ? 1 : 0);
    }
    return 1;
}

static int parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end || x < 0)
        return -1;
    *v = x;
    return 0;
}

/* Reads [off, off + len) of path into dst, or with dst NULL only checks
 * that the file is that long (done before allocating dst, so a tensor
 * whose bytes are not there is refused without allocating them). */
static int read_range(const char *path, int64_t off, int64_t len, void *dst, vd_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vd_error_set(err, VD_ENOTFOUND, "external data file %s: %s", path, strerror(errno));
    int rc = VD_OK;
    if (fseeko(f, 0, SEEK_END) || ftello(f) < off + len)
        rc = vd_error_set(err, VD_EFORMAT, "external data file %s is shorter than offset %lld + length %lld",
                          path, (long long)off, (long long)len);
    else if (dst && (fseeko(f, off, SEEK_SET) || fread(dst, 1, (size_t)len, f) != (size_t)len))
        rc = vd_error_set(err, VD_EIO, "external data file %s: read failed", path);
    fclose(f);
    return rc;
}

/* dst NULL: validate the entry and the file's length only. */
static int fill_external(const Onnx__TensorProto *tp, const char *base_dir, int64_t want,
                         void *dst, vd_error *err)
{
    const char *loc = NULL;
    int64_t off = 0, len = -1;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const char *k = tp->external_data[i]->key, *v = tp->external_data[i]->value;
        if (!k || !v)
            continue;
        if (!strcmp(k, "location"))
            loc = v;
        else if ((!strcmp(k, "offset") && parse_i64(v, &off)) ||
                 (!strcmp(k, "length") && parse_i64(v, &len)))
            return vd_error_set(err, VD_EFORMAT, "external data %s '%s' is not a byte count", k, v);
    }
    if (!loc)
        return vd_error_set(err, VD_EFORMAT, "external data without a location");
    if (!base_dir)
        return vd_error_set(err, VD_EUNSUPPORTED, "external data '%s' but no model directory to resolve it", loc);
    if (!safe_relative(loc))
        return vd_error_set(err, VD_EINVAL, "external data location '%s' leaves the model directory", loc);
    if (len >= 0 && len != want)
        return vd_error_set(err, VD_EFORMAT, "external data length %lld, shape needs %lld bytes",
                            (long long)len, (long long)want);
    if (off > INT64_MAX - want)
        return vd_error_set(err, VD_EFORMAT, "external data offset %lld overflows", (long long)off);
    size_t plen = strlen(base_dir) + strlen(loc) + 2;
    char *path = malloc(plen);
    if (!path)
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    snprintf(path, plen, "%s/%s", base_dir, loc);
    int rc = want ? read_range(path, off, want, dst, err) : VD_OK;
    free(path);
    return rc;
}

static int is_external(const Onnx__TensorProto *tp)
{
    return tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
}

static int tensor_shape(const Onnx__TensorProto *tp, int dt, const char *base_dir,
                        vd_tensor *out, vd_error *err)
{
    if (dt < 0)
        return vd_error_set(err, VD_EUNSUPPORTED, "element type %s (%d) is not supported",
                            vd_nn_onnx_type_name(tp->data_type), (int)tp->data_type);
    if (tp->n_dims > VD_TENSOR_MAX_DIMS)
        return vd_error_set(err, VD_EUNSUPPORTED, "rank %zu exceeds the maximum of %d",
                            tp->n_dims, VD_TENSOR_MAX_DIMS);
    int64_t n = 1;
    for (size_t i = 0; i < tp->n_dims; i++) {
        int64_t d = tp->dims[i];
        if (d < 0)
            return vd_error_set(err, VD_EFORMAT, "negative dimension %lld", (long long)d);
        if (d && n > VD_NN_TENSOR_MAX_BYTES / 8 / d)
            return vd_error_set(err, VD_ELIMIT, "shape too large (over %lld bytes)",
                                (long long)VD_NN_TENSOR_MAX_BYTES);
        n *= d;
    }
    /* The payload must be there before we allocate for it: a 100-byte
     * file must not make us allocate (and zero) gigabytes first. */
    int64_t bytes = n * (int64_t)vd_dtype_size(dt);
    const void *src;
    size_t from, have;
    int rc = VD_OK;
    if (is_external(tp))
        rc = fill_external(tp, base_dir, bytes, NULL, err);
    else if (tp->has_raw_data && tp->raw_data.len != (size_t)bytes)
        rc = vd_error_set(err, VD_EFORMAT, "raw_data has %zu bytes, shape needs %lld",
                          tp->raw_data.len, (long long)bytes);
    else if (!tp->has_raw_data && (have = typed_field(tp, dt, &src, &from)) != (size_t)n)
        rc = vd_error_set(err, VD_EFORMAT, "has %zu data elements for %lld in its shape",
                          have, (long long)n);
    return rc ? rc : vd_tensor_alloc(out, dt, (int)tp->n_dims, tp->dims, err);
}

int vd_nn_tensor_from_pb(const Onnx__TensorProto *tp, const char *base_dir,
                         vd_tensor *out, vd_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = tensor_shape(tp, vd_nn_dtype_from_onnx(tp->data_type), base_dir, out, err);
    if (rc)
        return rc;
    if (is_external(tp))
        rc = fill_external(tp, base_dir, (int64_t)vd_tensor_nbytes(out), out->data, err);
    else if (tp->has_raw_data && tp->raw_data.len)
        memcpy(out->data, tp->raw_data.data, tp->raw_data.len);
    else if (!tp->has_raw_data)
        rc = fill_typed(tp, out, vd_tensor_numel(out), err);
    if (rc)
        vd_tensor_free(out);
    return rc;
}

int vd_nn_tensor_pb_read(const void *buf, size_t size, vd_tensor *out, char **name_out,
                         vd_error *err)
{
    memset(out, 0, sizeof *out);
    if (name_out)
        *name_out = NULL;
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, buf);
    if (!tp)
        return vd_error_set(err, VD_EFORMAT, "not a valid TensorProto (truncated or corrupt protobuf)");
    int rc = vd_nn_tensor_from_pb(tp, NULL, out, err);
    if (rc) {
        vd_error_prefix(err, "tensor '%s': ", tp->name ? tp->name : "");
    } else if (name_out && !(*name_out = strdup(tp->name ? tp->name : ""))) {
        vd_tensor_free(out);
        rc = vd_error_set(err, VD_ENOMEM, "out of memory");
    }
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return rc;
}

int vd_nn_file_read(const char *path, size_t max_bytes, void **buf, size_t *size, vd_error *err)
{
    *buf = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return vd_error_set(err, errno == ENOENT ? VD_ENOTFOUND : VD_EIO, "%s: %s", path,
                            strerror(errno));
    int rc = VD_OK;
    off_t len = fseeko(f, 0, SEEK_END) ? -1 : ftello(f);
    if (len < 0 || fseeko(f, 0, SEEK_SET))
        rc = vd_error_set(err, VD_EIO, "%s: cannot determine the file size", path);
    else if ((uint64_t)len > max_bytes)
        rc = vd_error_set(err, VD_ELIMIT, "%s: %lld bytes exceeds the limit of %zu", path,
                          (long long)len, max_bytes);
    else if (!(*buf = malloc(len ? (size_t)len : 1)))
        rc = vd_error_set(err, VD_ENOMEM, "%s: cannot allocate %lld bytes", path, (long long)len);
    else if (fread(*buf, 1, (size_t)len, f) != (size_t)len)
        rc = vd_error_set(err, VD_EIO, "%s: read failed", path);
    fclose(f);
    if (rc) {
        free(*buf);
        *buf = NULL;
    } else {
        *size = (size_t)len;
    }
    return rc;
}

int vd_nn_tensor_pb_load(const char *path, vd_tensor *out, char **name_out, vd_error *err)
{
    void *buf;
    size_t size;
    memset(out, 0, sizeof *out);
    if (name_out)
        *name_out = NULL;
    int rc = vd_nn_file_read(path, (size_t)1 << 32, &buf, &size, err);
    if (rc)
        return rc;
    rc = vd_nn_tensor_pb_read(buf, size, out, name_out, err);
    free(buf);
    if (rc)
        vd_error_prefix(err, "%s: ", path);
    return rc;
}
