"""check_models.py -- `visiond nn run` against onnxruntime on whole models.

For each model named on the command line: seeded random inputs (uniform
[0,1), at batch 1 and, when the batch dim is symbolic, batch 2) are written
as .npy; `visiond nn run` and tests/nn_ref/ort_run.js (onnxruntime-node) run
the model on the same files; every output must have the same dtype and
shape and satisfy max |a - b| <= 1e-3 + 1e-3 * |b| (exact for integers).
Prints one line per output with the max abs error; exits 1 on a mismatch,
77 (ctest: skipped) when every model named hits a limitation listed in
KNOWN_LIMITS, with the reason printed.

  check_models.py --visiond BIN --models DIR --deps DEPS_DIR NAME [NAME ...]

NAME is a model from make_models.py (DIR/NAME.onnx) or blazeface_front /
blazeface_back (DEPS_DIR/npm/blazeface/package/ONNX/...)."""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
BLAZEFACE = {"blazeface_front": "face_detection_front_128x128_barracuda.onnx",
             "blazeface_back": "face_detection_back_256x256_barracuda.onnx"}
NP_DTYPES = {1: np.float32, 7: np.int64, 6: np.int32, 9: np.bool_, 2: np.uint8}
SKIP = 77  # ctest SKIP_RETURN_CODE
# Listed engine limitations: a model refused by visiond with this message is
# reported as skipped (exit 77, shown by ctest), never silently passed.
KNOWN_LIMITS = {}
# Ops the optimized graph must run (`visiond nn bench --profile`), counted per
# '+'-joined part of the profile's op names ("Conv+Gelu" counts Conv and Gelu):
# the decomposed Gelu/Mish subgraphs are folded into one op, then into the conv.
EXPECT_OPS = {
    "fuse_gelu_mish": {"Gelu": 3, "Gelu(tanh)": 2, "Mish": 1, "Erf": 2, "Div": 2,
                       "Tanh": 0, "Softplus": 0, "Pow": 0, "Conv": 8},
}
# Models visiond must refuse at load time (`visiond nn info` fails) with a
# message holding every listed piece: the node, the op, the opset, the reason.
REFUSED = {
    "refuse_resize_antialias": ["node 'refused_resize' (Resize, opset 18)",
                                "attribute antialias = 1 is not supported"],
    "refuse_pad_wrap_18": ["node 'refused_pad' (Pad, opset 18)",
                           'attribute mode = "wrap" is not supported before opset 19'],
    "refuse_scatter_max_17": ["node 'refused_scatterelements' (ScatterElements, opset 17)",
                              'attribute reduction = "max" is not supported before opset 18'],
    "refuse_opset_21": ["opset 21 is not supported (supported: 7 to 20)"],
}


class Skipped(Exception):
    pass


def model_path(a, name):
    if name in BLAZEFACE:
        return os.path.join(a.deps, "npm", "blazeface", "package", "ONNX", BLAZEFACE[name])
    return os.path.join(a.models, name + ".onnx")


def make_inputs(model, batch, workdir, rng):
    args = []
    for inp in model.graph.input:
        if inp.name in {i.name for i in model.graph.initializer}:
            continue
        tt = inp.type.tensor_type
        shape = [batch if (i == 0 and not d.dim_value) else d.dim_value
                 for i, d in enumerate(tt.shape.dim)]
        dt = NP_DTYPES[tt.elem_type]
        x = rng.random(shape).astype(dt) if dt == np.float32 else np.zeros(shape, dt)
        f = os.path.join(workdir, f"in_{len(args)}.npy")
        np.save(f, x)
        args.append(f"{inp.name}={f}")
    return args


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}\n  exit {r.returncode}: {r.stderr.strip()}")


def compare(name, ours, ref):
    a, b = np.load(ours), np.load(ref)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False, f"{name}: visiond {a.dtype}{a.shape} vs onnxruntime {b.dtype}{b.shape}"
    if a.dtype.kind != "f":
        bad = int(np.sum(a != b))
        return bad == 0, f"{name}: {a.dtype}{list(a.shape)} {bad} elements differ"
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    err = np.abs(a64 - b64)
    finite = np.isfinite(a64).all()
    ratio = float(np.max(err / (1e-3 + 1e-3 * np.abs(b64)))) if a.size else 0.0
    ok = finite and ratio <= 1.0
    return ok, (f"{name}: {a.dtype}{list(a.shape)} max|a-b| {float(err.max()) if a.size else 0:.3g}"
                f" (max |b| {float(np.abs(b64).max()) if a.size else 0:.3g}), "
                f"worst err/tol {ratio:.3f}")


def check_refused(a, name):
    r = subprocess.run([a.visiond, "nn", "info", model_path(a, name)], capture_output=True,
                       text=True)
    missing = [w for w in REFUSED[name] if w not in r.stderr]
    ok = r.returncode != 0 and not missing
    print(f"{name}: {'ok  ' if ok else 'FAIL'} refused at load (exit {r.returncode}): "
          f"{r.stderr.strip()}" + (f"; missing {missing}" if missing else ""))
    return ok


def check_ops(a, name, path):
    r = subprocess.run([a.visiond, "nn", "bench", path, "--iterations", "1", "--profile"],
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"visiond nn bench --profile: exit {r.returncode}: {r.stderr.strip()}")
    got = {}
    for row in json.loads(r.stdout)["profile"]["by_op"]:
        for part in row["op"].split("+"):
            got[part] = got.get(part, 0) + row["nodes"]
    bad = {op: got.get(op, 0) for op, n in EXPECT_OPS[name].items() if got.get(op, 0) != n}
    print(f"{name}: {'ok  ' if not bad else 'FAIL'} ops run {got}"
          + (f"; expected {EXPECT_OPS[name]}" if bad else ""))
    return not bad


def check(a, name):
    if name in REFUSED:
        return check_refused(a, name)
    path = model_path(a, name)
    model = onnx.load(path, load_external_data=False)
    first = model.graph.input[0].type.tensor_type.shape.dim
    batches = [1, 2] if first and not first[0].dim_value else [1]
    rng = np.random.default_rng(1234)
    ok_all = check_ops(a, name, path) if name in EXPECT_OPS else True
    for batch in batches:
        work = os.path.join(a.work, name, f"b{batch}")
        os.makedirs(work, exist_ok=True)
        inputs = make_inputs(model, batch, work, rng)
        ours, ref = os.path.join(work, "visiond"), os.path.join(work, "onnxruntime")
        cmd = [a.visiond, "nn", "run", path, "--output-dir", ours, "--threads", "2"]
        for i in inputs:
            cmd += ["--input", i]
        try:
            run(cmd)
        except RuntimeError as e:
            limit = KNOWN_LIMITS.get(name)
            if limit and limit[0] in str(e):
                raise Skipped(f"{name}: SKIPPED (listed limitation: {limit[1]}): "
                              f"{str(e).splitlines()[-1].strip()}")
            raise
        run([a.node, os.path.join(HERE, "ort_run.js"), path, ref, "--threads", "1"] + inputs)
        for f in sorted(os.listdir(ref)):
            if not os.path.exists(os.path.join(ours, f)):
                print(f"{name} batch {batch}: FAIL {f}: visiond wrote no such output")
                ok_all = False
                continue
            ok, msg = compare(f[:-4], os.path.join(ours, f), os.path.join(ref, f))
            print(f"{name} batch {batch}: {'ok  ' if ok else 'FAIL'} {msg}")
            ok_all &= ok
    return ok_all


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--visiond", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("--models", required=True)
    ap.add_argument("--deps", required=True)
    ap.add_argument("--work", default=None)
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    a.work = a.work or os.path.join(a.models, "runs")
    ok, skipped = True, 0
    for name in a.names:
        try:
            ok &= check(a, name)
            if name in KNOWN_LIMITS:
                print(f"{name}: note: the listed limitation no longer applies; "
                      "remove it from KNOWN_LIMITS in check_models.py")
        except Skipped as e:
            print(e)
            skipped += 1
        except RuntimeError as e:
            print(f"{name}: FAIL {e}")
            ok = False
    sys.exit(1 if not ok else SKIP if skipped == len(a.names) else 0)


if __name__ == "__main__":
    main()
