"""regress_models.py -- the crafted .onnx files behind tests/test_nn_fuzz_regress.c.

Each model reproduces, in readable form, an input the fuzzers (tests/fuzz/)
found or a size claim they are built to catch; the C test loads each and
checks the error it gets. usage: regress_models.py OUTDIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def model(nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(nodes, "regress", inputs, outputs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def claims_without_data(external):
    """An initializer whose shape claims 2^31 int64 (16 GiB, inside the
    per-tensor limit) with no payload: typed field empty, or an external
    file of 8 bytes."""
    w = TensorProto(name="w", data_type=TensorProto.INT64, dims=[1 << 31])
    if external:
        w.data_location = TensorProto.EXTERNAL
        w.external_data.add(key="location", value="w.bin")
    y = helper.make_tensor_value_info("y", TensorProto.INT64, [1 << 31])
    return model([helper.make_node("Identity", ["w"], ["y"])], [], [y], [w])


def declared_input(dims):
    """A graph input whose declared shape is absurd: [2^40, 2^40] overflowed
    the element count while planning (UBSan: signed overflow in
    vd_tensor_numel), [1e5, 1e5, 100] made the session try to allocate a
    4 TB arena. Found by probing fuzz_nn_load with crafted shapes."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    return model([helper.make_node("Relu", ["x"], ["y"])], [x], [y], [])


def elements_index_wider(op):
    """GatherElements/ScatterElements with indices [2, 64] on data [3, 3],
    axis 0: index positions on dim 1 run past data's 3 columns, and the
    kernel read (or wrote) past data. Found by fuzz_nn_load in CI, from
    the ONNX node test gather_elements_negative_indices."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])
    i = helper.make_tensor_value_info("i", TensorProto.INT64, [2, 64])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    if op == "GatherElements":
        return model([helper.make_node(op, ["x", "i"], ["y"], axis=0)], [x, i], [y], [])
    u = helper.make_tensor_value_info("u", TensorProto.FLOAT, [2, 64])
    return model([helper.make_node(op, ["x", "i", "u"], ["y"], axis=0)], [x, i, u], [y], [])


def roi_align():
    """RoiAlign with rois as a graph input: a box of inf, NaN or 1e9 pixels
    made the adaptive sampling grid a float-to-int cast of inf (UB) or a
    loop of 10^17 samples. Found by fuzz_nn_load with random inputs."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    r = helper.make_tensor_value_info("rois", TensorProto.FLOAT, [1, 4])
    b = helper.make_tensor_value_info("bi", TensorProto.INT64, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], output_height=2,
                            output_width=2, sampling_ratio=0)
    return model([node], [x, r, b], [y], [], opset=16)


def crop_resize_inf_roi():
    """tf_crop_and_resize with a constant roi holding inf: the source
    coordinate became inf and was cast to int64 (UB)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    roi = helper.make_tensor("roi", TensorProto.FLOAT, [8], [0, 0, 0, 0, 1, 1, np.inf, 1])
    sizes = helper.make_tensor("sizes", TensorProto.INT64, [4], [1, 1, 3, 3])
    node = helper.make_node("Resize", ["x", "roi", "", "sizes"], ["y"], mode="linear",
                            coordinate_transformation_mode="tf_crop_and_resize")
    return model([node], [x], [y], [roi, sizes])


def maxpool_pad_over_kernel():
    """MaxPool on uint8 with pads 2 around a 2x2 kernel: a window wholly in
    the padding pooled -inf, cast to uint8 (UB). Found by fuzz_nn_load.
    onnxruntime refuses such pads ("Pad should be smaller than kernel")."""
    x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 1, 3, 3])
    y = helper.make_tensor_value_info("y", TensorProto.UINT8, None)
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[2, 2, 2, 2])
    return model([node], [x], [y], [])


def pow_int():
    """Pow on int64: 4^100 and 0^-1 were cast from double to int64 (UB).
    Found by fuzz_nn_load in CI once it fed random inputs."""
    x = helper.make_tensor_value_info("x", TensorProto.INT64, [3])
    e = helper.make_tensor_value_info("e", TensorProto.INT64, [3])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, None)
    return model([helper.make_node("Pow", ["x", "e"], ["y"])], [x, e], [y], [], opset=15)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    onnx.save(claims_without_data(False), os.path.join(out, "claims_typed.onnx"))
    onnx.save(claims_without_data(True), os.path.join(out, "claims_external.onnx"))
    onnx.save(declared_input([1 << 40, 1 << 40]), os.path.join(out, "input_overflow.onnx"))
    onnx.save(declared_input([100000, 100000, 100]), os.path.join(out, "input_huge.onnx"))
    for op in ("GatherElements", "ScatterElements"):
        onnx.save(elements_index_wider(op), os.path.join(out, op + "_wide.onnx"))
    onnx.save(crop_resize_inf_roi(), os.path.join(out, "crop_resize_inf_roi.onnx"))
    onnx.save(maxpool_pad_over_kernel(), os.path.join(out, "maxpool_pad.onnx"))
    onnx.save(pow_int(), os.path.join(out, "pow_int.onnx"))
    onnx.save(roi_align(), os.path.join(out, "roi_align.onnx"))
    np.arange(8, dtype=np.uint8).tofile(os.path.join(out, "w.bin"))


if __name__ == "__main__":
    main()
