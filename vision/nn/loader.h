/* loader.h -- internal: decoding ONNX protobuf files outside of a model.
 *
 * The conformance harness reads the node tests' test_data_set_N/input_K.pb
 * and output_K.pb files, each one serialized TensorProto, with these. They
 * share the model loader's tensor decoder, so the same bounds checks apply
 * (element count vs payload length, dims overflow, rank <= 8). External
 * data is refused here: a lone TensorProto has no model directory. */
#ifndef VD_NN_LOADER_H
#define VD_NN_LOADER_H

#include <stddef.h>

#include "vision/core/error.h"
#include "vision/core/tensor.h"

/* Decode a serialized TensorProto into *out, which then owns its data
 * (free with vd_tensor_free). *name_out (if name_out is non-NULL) gets a
 * malloc'ed copy of the tensor's name ("" when unnamed); free() it.
 * Supported element types: float, double, uint8, int8, uint16, int16,
 * int32, int64, bool. Others (string, float16, ...) -> VD_EUNSUPPORTED.
 * Truncated or inconsistent data -> VD_EFORMAT. On error *out is zeroed. */
int vd_nn_tensor_pb_read(const void *buf, size_t size, vd_tensor *out,
                         char **name_out, vd_error *err);
/* Same, from a file; messages are prefixed with the path. */
int vd_nn_tensor_pb_load(const char *path, vd_tensor *out, char **name_out,
                         vd_error *err);

/* Read a whole file into a malloc'ed buffer (at most max_bytes).
 * VD_ENOTFOUND, VD_EIO or VD_ELIMIT with a message naming the path. */
int vd_nn_file_read(const char *path, size_t max_bytes, void **buf, size_t *size,
                    vd_error *err);

#endif
