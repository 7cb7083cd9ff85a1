/* pb.h -- internal: ONNX protobuf messages (protoc-c generated) to engine
 * types. Only vision/nn sources see the generated onnx.pb-c.h. */
#ifndef VD_NN_PB_H
#define VD_NN_PB_H

#include "onnx.pb-c.h"
#include "vision/core/error.h"
#include "vision/core/tensor.h"

/* ONNX TensorProto.DataType -> vd_dtype; -1 when we have no such dtype. */
int vd_nn_dtype_from_onnx(int32_t onnx_type);
/* ONNX name of an element type ("FLOAT16", ...) for messages. */
const char *vd_nn_onnx_type_name(int32_t onnx_type);

/* Decode tp into an owned tensor. base_dir resolves external data; NULL
 * makes external data an error. Messages do not carry the tensor name:
 * callers prefix it. */
int vd_nn_tensor_from_pb(const Onnx__TensorProto *tp, const char *base_dir,
                         vd_tensor *out, vd_error *err);

#endif
