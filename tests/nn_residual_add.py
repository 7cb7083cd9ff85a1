"""nn_residual_add.py -- the Conv + residual Add (+Relu) fusion of
vision/nn/optimize.c, through `visiond nn run`, against numpy.

Two graphs, batch 2, 1 and 2 threads: Relu(Add(Relu(x), Conv(x))) where the
residual has the conv output's shape (added in the sgemm epilogue), and
Relu(Add(Conv(x), GlobalAveragePool(x))) where it broadcasts (added after
the conv). Both must be fused ("Conv+Add+Relu" in the profile) and match a
direct numpy convolution within 1e-4.

usage: nn_residual_add.py VISIOND WORKDIR"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(path, broadcast, w, b):
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1])]
    if broadcast:
        nodes.insert(0, helper.make_node("GlobalAveragePool", ["x"], ["r"]))
        nodes.append(helper.make_node("Add", ["c", "r"], ["a"]))
    else:
        nodes.insert(0, helper.make_node("Relu", ["x"], ["r"]))
        nodes.append(helper.make_node("Add", ["r", "c"], ["a"]))
    nodes.append(helper.make_node("Relu", ["a"], ["y"]))
    g = helper.make_graph(
        nodes, "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def conv3x3(x, w, b):
    n, _, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    c = np.zeros((n, w.shape[0], h, wd), np.float64)
    for kh in range(3):
        for kw in range(3):
            c += np.einsum("oc,nchw->nohw", w[:, :, kh, kw], xp[:, :, kh:kh + h, kw:kw + wd])
    return c + b[None, :, None, None]


def main():
    visiond, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    x = rng.standard_normal((2, 4, 8, 8)).astype(np.float32)
    xin = os.path.join(work, "x.npy")
    np.save(xin, x)
    c = conv3x3(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64))
    refs = {False: np.maximum(c + np.maximum(x, 0), 0),
            True: np.maximum(c + x.mean(axis=(2, 3), keepdims=True), 0)}
    bad = 0
    for broadcast, ref in refs.items():
        name = "broadcast" if broadcast else "same_shape"
        model = os.path.join(work, name + ".onnx")
        build(model, broadcast, w, b)
        prof = json.loads(subprocess.run(
            [visiond, "nn", "bench", model, "--iterations", "1", "--profile"],
            check=True, capture_output=True, text=True).stdout)
        ops = [o["op"] for o in prof["profile"]["by_op"]]
        if "Conv+Add+Relu" not in ops:
            print(f"{name}: not fused, profile ops {ops}")
            bad += 1
        for t in ("1", "2"):
            out = os.path.join(work, f"{name}_t{t}")
            subprocess.run([visiond, "nn", "run", model, "--input", "x=" + xin,
                            "--output-dir", out, "--threads", t], check=True)
            err = float(np.abs(np.load(os.path.join(out, "y.npy")) - ref).max())
            print(f"{name} threads {t}: max |visiond - numpy| = {err:.2e}")
            bad += err > 1e-4
    sys.exit(1 if bad else 0)


main()
