#!/usr/bin/python3
"""make_multi_output.py -- small ONNX graphs with several outputs, for the
analysis stage's output picking (tests/test_analysis.c).

Each graph takes an image [1,3,64,64] and carries, besides its detections,
outputs no adapter reads, as real exports do:

  centernet_multi  like the CenterNet graph converted from TF.js: 'wh'
                   [1,2,16,16] (a Conv of the image), 'keypoints' [1,100,17,2]
                   and 'detections' [1,100,6] x1,y1,x2,y2,score,class in
                   input pixels, in that output order
  two_dets         'wh', then 'det_a' and 'det_b', both [1,100,6]: two
                   outputs fit the centernet adapter, so it must be told which
  ssd_extra        ssd scores 'cls' [1,8,1] and regressors 'reg' [1,8,16]
                   around a 'features' [1,2,16,16]: the set is {cls, reg}
  ssd_odd          two score outputs and one regressor: no set pairs up
  tv_extra         torchvision 'boxes' [5,4], 'labels' [5] int64, 'scores'
                   [5] after a 'wh' [1,2,16,16]: the set is the three

The detections are constants (plus 0 x the image mean, so they hang off the
input), written here and in tests/test_analysis.c: a run that decodes the
right output finds exactly these boxes.

usage: make_multi_output.py OUTDIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DET_A = [[8, 8, 24, 40, 0.9, 0], [30, 10, 60, 30, 0.8, 2]]   # person, car
DET_B = [[0, 0, 32, 32, 0.7, 16]]                           # dog


def rows(dets):
    d = np.zeros((1, 100, 6), np.float32)
    d[0, :len(dets)] = dets
    return d


def graph(name, outs):
    """outs: list of (name, kind, value) with kind 'wh' or 'const'."""
    rng = np.random.default_rng(7)
    inits = [numpy_helper.from_array(rng.standard_normal((2, 3, 4, 4)).astype(np.float32), "w"),
             numpy_helper.from_array(np.zeros(1, np.float32), "zero_scale")]
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=1),
             helper.make_node("Mul", ["mean", "zero_scale"], ["zero4"])]
    outputs = []
    for out, kind, value in outs:
        if kind == "wh":
            nodes.append(helper.make_node("Conv", ["images", "w"], [out], strides=[4, 4]))
            outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 2, 16, 16]))
            continue
        if kind == "int":  # int64: the image's 0 cast, plus the constant
            c, s = out + "_c", out + "_shape"
            inits += [numpy_helper.from_array(value, c),
                      numpy_helper.from_array(np.ones(1, np.int64), s)]
            nodes += [helper.make_node("Reshape", ["zero4", s], [out + "_f"]),
                      helper.make_node("Cast", [out + "_f"], [out + "_z"], to=TensorProto.INT64),
                      helper.make_node("Add", [out + "_z", c], [out])]
            outputs.append(helper.make_tensor_value_info(out, TensorProto.INT64, list(value.shape)))
            continue
        c, shape = out + "_c", list(value.shape)
        s = out + "_shape"
        inits += [numpy_helper.from_array(value, c),
                  numpy_helper.from_array(np.ones(len(shape), np.int64), s)]
        nodes += [helper.make_node("Reshape", ["zero4", s], [out + "_z"]),
                  helper.make_node("Add", [out + "_z", c], [out])]
        outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, shape))
    g = helper.make_graph(nodes, name,
                          [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
                          outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="visiond-tests")
    onnx.checker.check_model(m)
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    kp = np.zeros((1, 100, 17, 2), np.float32)
    onnx.save(graph("centernet_multi", [("wh", "wh", None), ("keypoints", "const", kp),
                                        ("detections", "const", rows(DET_A))]),
              os.path.join(out, "centernet_multi.onnx"))
    onnx.save(graph("two_dets", [("wh", "wh", None), ("det_a", "const", rows(DET_A)),
                                 ("det_b", "const", rows(DET_B))]),
              os.path.join(out, "two_dets.onnx"))
    z = lambda *shape: np.zeros(shape, np.float32)
    onnx.save(graph("ssd_extra", [("features", "wh", None), ("cls", "const", z(1, 8, 1)),
                                  ("reg", "const", z(1, 8, 16))]),
              os.path.join(out, "ssd_extra.onnx"))
    onnx.save(graph("ssd_odd", [("cls_a", "const", z(1, 8, 1)), ("cls_b", "const", z(1, 8, 1)),
                                ("reg", "const", z(1, 8, 16))]),
              os.path.join(out, "ssd_odd.onnx"))
    onnx.save(graph("tv_extra", [("wh", "wh", None), ("boxes", "const", z(5, 4)),
                                 ("labels", "int", np.arange(5, dtype=np.int64)),
                                 ("scores", "const", z(5))]),
              os.path.join(out, "tv_extra.onnx"))


main()
