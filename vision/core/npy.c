/* npy.c -- numpy .npy files, read and written byte for byte as numpy does.
 *
 * The header is a Python dict literal. Rather than a general Python
 * parser, this reads exactly the grammar numpy's own writer and
 * np.lib.format.read_array_header accept: a dict with the three keys
 * 'descr', 'fortran_order' and 'shape' in any order, string values in
 * either quote, a tuple of non-negative ints. Anything else is a clear
 * VD_EFORMAT, so the reader is safe on hostile input. The writer
 * reproduces numpy's output exactly (sorted keys, the 21-digit growth
 * padding, 64-byte alignment), so our files and numpy's compare equal. */
#include "npy.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21 /* numpy's GROWTH_AXIS_MAX_DIGITS */
#define NPY_MAX_HEADER (1u << 20)

/* numpy's descr for each dtype: '|' for one-byte types, '<' otherwise. */
static const char *const descrs[VD_DTYPE_COUNT] = {
    [VD_DTYPE_F32] = "<f4", [VD_DTYPE_U8] = "|u1",  [VD_DTYPE_I8] = "|i1",
    [VD_DTYPE_I32] = "<i4", [VD_DTYPE_I64] = "<i8", [VD_DTYPE_BOOL] = "|b1",
    [VD_DTYPE_F64] = "<f8", [VD_DTYPE_U16] = "<u2", [VD_DTYPE_I16] = "<i2",
};

typedef struct npy_header {
    vd_dtype dtype;
    int ndim;
    int64_t shape[VD_TENSOR_MAX_DIMS];
    size_t data_offset; /* bytes before the array data */
} npy_header;

/* ---- header dict parsing ---- */

typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

static int accept(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string into buf (truncating is an error). */
static int parse_string(cursor *c, char *buf, size_t n)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return -1;
    char q = *c->p++;
    size_t len = 0;
    while (c->p < c->end && *c->p != q) {
        if (len + 1 >= n)
            return -1;
        buf[len++] = *c->p++;
    }
    if (c->p >= c->end)
        return -1;
    c->p++;
    buf[len] = '\0';
    return 0;
}

static int parse_word(cursor *c, const char *w)
{
    skip_space(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) >= n && !memcmp(c->p, w, n)) {
        c->p += n;
        return 1;
    }
    return 0;
}

/* "(2, 3)", "(5,)" or "()"; Python allows a trailing comma. */
static int parse_shape(cursor *c, npy_header *h, vd_error *err)
{
    if (!accept(c, '('))
        return vd_error_set(err, VD_EFORMAT, "bad .npy header: 'shape' is not a tuple");
    h->ndim = 0;
    while (!accept(c, ')')) {
        skip_space(c);
        if (c->p >= c->end || !isdigit((unsigned char)*c->p))
            return vd_error_set(err, VD_EFORMAT,
                                "bad .npy header: 'shape' holds a non-integer");
        int64_t v = 0;
        while (c->p < c->end && isdigit((unsigned char)*c->p)) {
            if (v > (INT64_MAX - 9) / 10)
                return vd_error_set(err, VD_EFORMAT, "bad .npy header: dimension too large");
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') /* Python 2 longs */
            c->p++;
        if (h->ndim == VD_TENSOR_MAX_DIMS)
            return vd_error_set(err, VD_EUNSUPPORTED, "array has more than %d dimensions",
                                VD_TENSOR_MAX_DIMS);
        h->shape[h->ndim++] = v;
        if (!accept(c, ',')) {
            if (!accept(c, ')'))
                return vd_error_set(err, VD_EFORMAT, "bad .npy header: unterminated 'shape'");
            break;
        }
    }
    return VD_OK;
}

static int parse_descr(const char *d, vd_dtype *dt, vd_error *err)
{
    for (int i = 0; i < VD_DTYPE_COUNT; i++) {
        const char *s = descrs[i];
        /* A one-byte type has no byte order: numpy reads '|u1', '<u1', '>u1'. */
        int any_order = s[0] == '|' && (d[0] == '<' || d[0] == '>' || d[0] == '=');
        if (!strcmp(d, s) || (any_order && !strcmp(d + 1, s + 1))) {
            *dt = (vd_dtype)i;
            return VD_OK;
        }
    }
    if (d[0] == '>')
        return vd_error_set(err, VD_EUNSUPPORTED,
                            "big-endian dtype '%s' is not supported; "
                            "save arr.astype(arr.dtype.newbyteorder('<'))", d);
    return vd_error_set(err, VD_EUNSUPPORTED,
                        "unsupported dtype '%s' (supported: float32, float64, int64, "
                        "int32, int16, uint16, int8, uint8, bool)", d);
}

static int parse_dict(cursor *c, npy_header *h, vd_error *err)
{
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    char descr[32];
    if (!accept(c, '{'))
        return vd_error_set(err, VD_EFORMAT, "bad .npy header: not a dict");
    while (!accept(c, '}')) {
        char key[32];
        if (parse_string(c, key, sizeof key) || !accept(c, ':'))
            return vd_error_set(err, VD_EFORMAT, "bad .npy header: expected 'key': value");
        int rc = VD_OK;
        if (!strcmp(key, "descr") && !have_descr) {
            if (parse_string(c, descr, sizeof descr))
                return vd_error_set(err, VD_EUNSUPPORTED,
                                    "unsupported dtype (structured or unknown 'descr')");
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order") && !have_order) {
            if (parse_word(c, "True"))
                fortran = 1;
            else if (!parse_word(c, "False"))
                return vd_error_set(err, VD_EFORMAT,
                                    "bad .npy header: 'fortran_order' is not True/False");
            have_order = 1;
        } else if (!strcmp(key, "shape") && !have_shape) {
            rc = parse_shape(c, h, err);
            have_shape = 1;
        } else {
            return vd_error_set(err, VD_EFORMAT, "bad .npy header: unexpected key '%s'", key);
        }
        if (rc)
            return rc;
        if (!accept(c, ',')) {
            if (!accept(c, '}'))
                return vd_error_set(err, VD_EFORMAT, "bad .npy header: unterminated dict");
            break;
        }
    }
    if (!have_descr || !have_order || !have_shape)
        return vd_error_set(err, VD_EFORMAT,
                            "bad .npy header: needs 'descr', 'fortran_order' and 'shape'");
    if (fortran)
        return vd_error_set(err, VD_EUNSUPPORTED,
                            "Fortran-order arrays are not supported; "
                            "save np.ascontiguousarray(arr)");
    return parse_descr(descr, &h->dtype, err);
}

/* Magic, version and header length: the first 10 or 12 bytes. Sets
 * *dict_at and *data_at, the offsets of the dict text and of the data. */
static int parse_preamble(const uint8_t *buf, size_t n, size_t *dict_at, size_t *data_at,
                          vd_error *err)
{
    if (n < NPY_MAGIC_LEN + 2 || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN))
        return vd_error_set(err, VD_EFORMAT, "not a .npy file (bad magic)");
    int major = buf[6];
    if (major < 1 || major > 3)
        return vd_error_set(err, VD_EUNSUPPORTED, ".npy format version %d.%d is not supported",
                            major, buf[7]);
    *dict_at = major == 1 ? 10 : 12;
    if (n < *dict_at)
        return vd_error_set(err, VD_EFORMAT, "truncated .npy header");
    size_t hlen = buf[8] | (size_t)buf[9] << 8;
    if (major > 1)
        hlen |= (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    if (hlen > NPY_MAX_HEADER)
        return vd_error_set(err, VD_EFORMAT, "bad .npy header: length %zu", hlen);
    *data_at = *dict_at + hlen;
    return VD_OK;
}

static int parse_header(const uint8_t *buf, size_t n, npy_header *h, vd_error *err)
{
    size_t dict_at = 0;
    int rc = parse_preamble(buf, n, &dict_at, &h->data_offset, err);
    if (rc)
        return rc;
    if (n < h->data_offset)
        return vd_error_set(err, VD_EFORMAT, "truncated .npy header (%zu of %zu bytes)", n,
                            h->data_offset);
    cursor c = {(const char *)buf + dict_at, (const char *)buf + h->data_offset};
    if ((rc = parse_dict(&c, h, err)))
        return rc;
    skip_space(&c);
    if (c.p != c.end)
        return vd_error_set(err, VD_EFORMAT, "bad .npy header: trailing characters");
    return VD_OK;
}

/* Allocates out for h, checking that the byte count fits in size_t. */
/* `avail` is the number of data bytes the file holds: a header claiming
 * more is refused before anything is allocated (a 40-byte file must not
 * make us allocate terabytes). */
static int alloc_for(const npy_header *h, size_t avail, vd_tensor *out, size_t *bytes,
                     vd_error *err)
{
    size_t total = vd_dtype_size(h->dtype);
    for (int i = 0; i < h->ndim; i++) {
        if (h->shape[i] && total > SIZE_MAX / 2 / (size_t)h->shape[i])
            return vd_error_set(err, VD_ELIMIT, "array too large");
        total *= (size_t)h->shape[i];
    }
    *bytes = total;
    if (avail < total)
        return vd_error_set(err, VD_EFORMAT, "truncated data: %zu of %zu bytes", avail, total);
    return vd_tensor_alloc(out, h->dtype, h->ndim, h->shape, err);
}

static int check_bool(const vd_tensor *t, vd_error *err)
{
    if (t->dtype != VD_DTYPE_BOOL)
        return VD_OK;
    const uint8_t *b = t->data;
    for (size_t i = 0; i < vd_tensor_nbytes(t); i++)
        if (b[i] > 1)
            return vd_error_set(err, VD_EFORMAT, "bool array holds byte %u at %zu", b[i], i);
    return VD_OK;
}

int vd_npy_read_buffer(const void *data, size_t size, vd_tensor *out, vd_error *err)
{
    npy_header h;
    size_t bytes;
    memset(out, 0, sizeof *out);
    int rc = parse_header(data, size, &h, err);
    if (rc)
        return rc;
    if ((rc = alloc_for(&h, size - h.data_offset, out, &bytes, err)))
        return rc;
    memcpy(out->data, (const uint8_t *)data + h.data_offset, bytes);
    if ((rc = check_bool(out, err)))
        vd_tensor_free(out);
    return rc;
}

/* Bytes from the current position to the end of f (SIZE_MAX if f cannot
 * seek: the short read then reports the truncation). */
static size_t file_avail(FILE *f)
{
    off_t at = ftello(f), end;
    if (at < 0 || fseeko(f, 0, SEEK_END) || (end = ftello(f)) < at || fseeko(f, at, SEEK_SET))
        return SIZE_MAX;
    return (size_t)(end - at);
}

/* Reads the whole header of f into a malloc'd buffer (*buf, *n). */
static int read_header_bytes(FILE *f, uint8_t **buf, size_t *n, vd_error *err)
{
    uint8_t pre[12];
    size_t got = fread(pre, 1, sizeof pre, f), dict_at = 0, data_at = 0;
    int rc = parse_preamble(pre, got, &dict_at, &data_at, err);
    if (rc)
        return rc;
    if (!(*buf = malloc(data_at > got ? data_at : got)))
        return vd_error_set(err, VD_ENOMEM, "out of memory");
    memcpy(*buf, pre, got);
    if (data_at > got)
        got += fread(*buf + got, 1, data_at - got, f);
    else if (fseek(f, (long)data_at, SEEK_SET)) /* header shorter than 12 bytes */
        got = 0;
    *n = got;
    return VD_OK;
}

int vd_npy_read(const char *path, vd_tensor *out, vd_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return vd_error_set(err, errno == ENOENT ? VD_ENOTFOUND : VD_EIO, "%s: %s", path,
                            strerror(errno));
    uint8_t *hbuf = NULL;
    size_t hn = 0, bytes = 0;
    npy_header h;
    int rc = read_header_bytes(f, &hbuf, &hn, err);
    if (!rc)
        rc = parse_header(hbuf, hn, &h, err);
    free(hbuf);
    if (!rc)
        rc = alloc_for(&h, file_avail(f), out, &bytes, err);
    if (!rc) {
        size_t got = fread(out->data, 1, bytes, f);
        if (got < bytes)
            rc = vd_error_set(err, ferror(f) ? VD_EIO : VD_EFORMAT,
                              "truncated data: %zu of %zu bytes", got, bytes);
        else
            rc = check_bool(out, err);
        if (rc)
            vd_tensor_free(out);
    }
    fclose(f);
    if (rc)
        vd_error_prefix(err, "%s: ", path);
    return rc;
}

/* numpy's header text: sorted keys, repr of the shape, growth padding,
 * spaces to the 64-byte boundary and a newline. Returns its length. */
size_t vd_npy_header(const vd_tensor *t, char *buf, size_t n)
{
    char shape[VD_TENSOR_MAX_DIMS * 24 + 4];
    size_t len = (size_t)snprintf(shape, sizeof shape, "(");
    for (int i = 0; i < t->ndim; i++)
        len += (size_t)snprintf(shape + len, sizeof shape - len, "%s%lld", i ? ", " : "",
                                (long long)t->shape[i]);
    snprintf(shape + len, sizeof shape - len, "%s)", t->ndim == 1 ? "," : "");
    int pad = 0;
    if (t->ndim > 0)
        pad = NPY_GROWTH_DIGITS - snprintf(NULL, 0, "%lld", (long long)t->shape[0]);
    int hl = snprintf(buf + 10, n - 10, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }%*s",
                      descrs[t->dtype], shape, pad > 0 ? pad : 0, "");
    size_t total = 10 + (size_t)hl + 1;
    size_t padlen = NPY_ALIGN - total % NPY_ALIGN;
    if (padlen == NPY_ALIGN)
        padlen = 0;
    memset(buf + 10 + hl, ' ', padlen);
    buf[total + padlen - 1] = '\n';
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    size_t hlen = total + padlen - 10;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    return total + padlen;
}

int vd_npy_write(const char *path, const vd_tensor *t, vd_error *err)
{
    if ((unsigned)t->dtype >= VD_DTYPE_COUNT || t->ndim < 0 || t->ndim > VD_TENSOR_MAX_DIMS)
        return vd_error_set(err, VD_EINVAL, "%s: bad tensor (dtype %d, ndim %d)", path,
                            t->dtype, t->ndim);
    size_t bytes = vd_tensor_nbytes(t);
    if (bytes && !t->data)
        return vd_error_set(err, VD_EINVAL, "%s: tensor has no data", path);
    char hdr[512];
    size_t hn = vd_npy_header(t, hdr, sizeof hdr);
    FILE *f = fopen(path, "wb");
    if (!f)
        return vd_error_set(err, VD_EIO, "%s: %s", path, strerror(errno));
    int ok = fwrite(hdr, 1, hn, f) == hn && (!bytes || fwrite(t->data, 1, bytes, f) == bytes);
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        remove(path);
        return vd_error_set(err, VD_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return VD_OK;
}
