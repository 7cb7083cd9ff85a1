"""check_topk.py -- TopK in `visiond nn run` against numpy on every dtype.

onnxruntime-node cannot feed uint8 or float64 with NaN the same way, so the
reference here is numpy: a lexsort giving the ONNX order (NaN the largest
value, -0 equal to +0, ties by the lower index). One line of 300 000
values per dtype (int64, int32, uint8, float64 with NaN and signed
zeros; about 600-way ties), k=50, largest and smallest, at 2 threads: one
line split into two chunks, so the merge of chunk survivors is covered.

  check_topk.py --visiond BIN --work DIR"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper


def model(path, elem, n, k, largest):
    g = helper.make_graph(
        [helper.make_node("TopK", ["x", "k"], ["v", "i"], largest=largest)], "topk",
        [helper.make_tensor_value_info("x", elem, [1, n])],
        [helper.make_tensor_value_info("v", elem, [1, k]),
         helper.make_tensor_value_info("i", T.INT64, [1, k])],
        [helper.make_tensor("k", T.INT64, [1], [k])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, path)


def reference(x, k, largest):
    v = x.astype(np.float64)
    nan = np.isnan(v)
    v = np.where(nan, 0, v)
    idx = np.arange(len(v))
    # lexsort: last key first; NaN ranks as the largest value
    order = np.lexsort((idx, -v, ~nan)) if largest else np.lexsort((idx, v, nan))
    return order[:k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--visiond", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rng = np.random.default_rng(5)
    n, k = 300000, 50
    f64 = np.round(rng.standard_normal(n), 1)
    f64[::977], f64[5::1009], f64[7::1013] = np.nan, -0.0, 0.0
    cases = [("int64", T.INT64, rng.integers(-250, 250, n).astype(np.int64)),
             ("int32", T.INT32, rng.integers(-250, 250, n).astype(np.int32)),
             ("uint8", T.UINT8, rng.integers(0, 256, n).astype(np.uint8)),
             ("float64", T.DOUBLE, f64)]
    ok = True
    for name, elem, x in cases:
        for largest in (1, 0):
            d = os.path.join(a.work, f"{name}_{largest}")
            os.makedirs(d, exist_ok=True)
            model(os.path.join(d, "m.onnx"), elem, n, k, largest)
            np.save(os.path.join(d, "x.npy"), x.reshape(1, n))
            r = subprocess.run([a.visiond, "nn", "run", os.path.join(d, "m.onnx"), "--input",
                                "x=" + os.path.join(d, "x.npy"), "--output-dir",
                                os.path.join(d, "out"), "--threads", "2"],
                               capture_output=True, text=True)
            if r.returncode:
                print(f"{name} largest={largest}: FAIL exit {r.returncode}: {r.stderr.strip()}")
                ok = False
                continue
            got = np.load(os.path.join(d, "out", "i.npy"))[0]
            vals = np.load(os.path.join(d, "out", "v.npy"))[0]
            ref = reference(x, k, largest)
            same = np.array_equal(got, ref) and np.array_equal(vals, x[ref], equal_nan=True)
            print(f"{name} largest={largest}: {'ok  ' if same else 'FAIL'} indices "
                  f"{got[:6].tolist()}... reference {ref[:6].tolist()}...")
            ok &= same
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
