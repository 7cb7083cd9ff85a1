/* fuzz_npy.c -- libFuzzer target for the .npy reader.
 *
 * Each input is a .npy file given to vd_npy_read_buffer. On success the
 * tensor must be consistent (dtype, rank, data present for a non-empty
 * array) and its every byte readable; a bool array must hold only 0/1.
 * On failure the error must be a negative code with a message. */
#include <stdint.h>
#include <stdlib.h>

#include "vision/core/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vd_tensor t;
    vd_error err = {0};
    int rc = vd_npy_read_buffer(data, size, &t, &err);
    if (rc) {
        if (rc >= 0 || !err.msg[0] || t.data)
            abort();
        return 0;
    }
    size_t bytes = vd_tensor_nbytes(&t);
    if ((unsigned)t.dtype >= VD_DTYPE_COUNT || t.ndim < 0 || t.ndim > VD_TENSOR_MAX_DIMS ||
        !t.data || bytes > size)
        abort();
    unsigned acc = 0; /* touch every byte so ASan sees a short buffer */
    for (size_t i = 0; i < bytes; i++)
        acc |= ((const uint8_t *)t.data)[i];
    if (t.dtype == VD_DTYPE_BOOL && acc > 1)
        abort();
    vd_tensor_free(&t);
    return 0;
}
