"""make_seeds.py -- seed corpora for the libFuzzer targets, made at test time.

  OUTDIR/nn/   .onnx files: BlazeFace (the real tf2onnx export), a few small
               export-like graphs from tests/nn_ref/make_models.py, a fixed
               sample of the ONNX node tests (every op family), and a few
               hand-made edge cases (symbolic dims, external data, Constant).
  OUTDIR/npy/  .npy files written by numpy: every dtype, scalars, empty
               arrays, format 2.0, Fortran order and big-endian (refused).

Nothing here is committed: the files come from numpy/onnx on every run.
usage: make_seeds.py OUTDIR --source SRC --deps DEPS --node-dir DIR"""
import argparse
import io
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SMALL_MODELS = "cli_names,cli_dynamic,act_gelu_mish,resnet_like,ssdlite_like"
NODE_SAMPLE = 80  # node tests, spread evenly over the sorted list


def nn_seeds(out, src, deps, node_dir):
    os.makedirs(out, exist_ok=True)
    onnx_dir = os.path.join(deps, "npm/blazeface/package/ONNX")
    front = os.path.join(onnx_dir, "face_detection_front_128x128_barracuda.onnx")
    if os.path.exists(front):
        shutil.copy(front, os.path.join(out, "blazeface_front.onnx"))
    gen = os.path.join(out, "gen")
    subprocess.run([sys.executable, os.path.join(src, "tests/nn_ref/make_models.py"), gen,
                    "--size", "32", "--only", SMALL_MODELS], check=True, stdout=subprocess.DEVNULL)
    for f in os.listdir(gen):
        os.replace(os.path.join(gen, f), os.path.join(out, f))
    os.rmdir(gen)
    if os.path.isdir(node_dir):
        tests = sorted(t for t in os.listdir(node_dir)
                       if os.path.exists(os.path.join(node_dir, t, "model.onnx")))
        step = max(1, len(tests) // NODE_SAMPLE)
        for t in tests[::step]:
            shutil.copy(os.path.join(node_dir, t, "model.onnx"), os.path.join(out, t + ".onnx"))
    for name, model in hand_made():
        onnx.save(model, os.path.join(out, name + ".onnx"))


def hand_made():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    ext = numpy_helper.from_array(np.ones((4,), np.float32), "b")
    ext.data_location = TensorProto.EXTERNAL
    ext.ClearField("raw_data")
    ext.external_data.add(key="location", value="weights.bin")
    ext.external_data.add(key="offset", value="0")
    conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1])
    relu = helper.make_node("Relu", ["c"], ["y"])
    yield "symbolic_conv_ext", helper.make_model(
        helper.make_graph([conv, relu], "g", [x], [y], [w, ext]),
        opset_imports=[helper.make_opsetid("", 13)])
    a = helper.make_tensor_value_info("a", TensorProto.INT64, [2, 3])
    o = helper.make_tensor_value_info("o", TensorProto.INT64, [3, 2])
    nodes = [helper.make_node("Constant", [], ["s"], value_ints=[3, 2]),
             helper.make_node("Reshape", ["a", "s"], ["r"]),
             helper.make_node("Identity", ["r"], ["o"])]
    yield "constant_reshape", helper.make_model(
        helper.make_graph(nodes, "g", [a], [o]), opset_imports=[helper.make_opsetid("", 17)])


def npy_seeds(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(3)
    arrays = {
        "f32": rng.standard_normal((2, 3, 4)).astype(np.float32),
        "f64": rng.standard_normal(5),
        "i64": np.arange(6, dtype=np.int64).reshape(2, 3),
        "i32": np.arange(4, dtype=np.int32),
        "i16": np.arange(4, dtype=np.int16),
        "u16": np.arange(4, dtype=np.uint16),
        "i8": np.arange(-2, 2, dtype=np.int8),
        "u8": np.arange(8, dtype=np.uint8).reshape(1, 2, 2, 2),
        "bool": np.array([True, False, True]),
        "scalar": np.float32(1.5),
        "empty": np.zeros((0, 3), np.float32),
        "rank8": np.zeros((1,) * 8, np.float32),
        "fortran": np.asfortranarray(np.ones((2, 3), np.float32)),
        "bigendian": np.ones(3, ">f4"),
        "f16": np.ones(2, np.float16),
    }
    for name, arr in arrays.items():
        np.save(os.path.join(out, name + ".npy"), arr)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ones((2, 2), np.float32), version=(2, 0))
    with open(os.path.join(out, "v2.npy"), "wb") as f:
        f.write(buf.getvalue())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--source", required=True)
    ap.add_argument("--deps", required=True)
    ap.add_argument("--node-dir", required=True)
    a = ap.parse_args()
    nn_seeds(os.path.join(a.outdir, "nn"), a.source, a.deps, a.node_dir)
    npy_seeds(os.path.join(a.outdir, "npy"))


if __name__ == "__main__":
    main()
