"""check_tfjs.py -- the TF.js CenterNet COCO model through vision/nn/tfjs2onnx.py.

  check_tfjs.py --visiond BIN --src SRC --deps DEPS --data DATA --work DIR MODE

MODE:
  exact-messi, exact-vtest, exact-nanodet  convert centernet.json (all three
      outputs; nanodet.json for exact-nanodet, six outputs) with the
      repository's converter, feed the same image (messi5.jpg; vtest.avi's
      frame at 10 s), resized and normalised as the model expects (CenterNet:
      512x512 NHWC RGB 0-255; NanoDet: 416x416 NCHW BGR, ImageNet mean/std), to
      `visiond nn run`, to TF.js's pure-JS CPU backend (tfjs_run.js) and to
      onnxruntime-node on the converted file (ort_run.js). Every output but
      CenterNet's `detections` must agree within 1e-3 + 1e-3*|ref| element by
      element (CenterNet's heatmaps `keypoints` and sizes `wh`, NanoDet's class
      scores and box distributions). `detections` [1,100,6] is TopK's
      output: rows of nearly equal score may trade places between runtimes,
      so it is compared as rows sorted by score (scores within tolerance,
      position by position), and every reference row must have a row of the
      same class and box within tolerance (rows whose score is within
      tolerance of the 100th, the cut-off, may fall out of the top 100).
  detect  the shipped card config/models/centernet-coco.json through
      `visiond detect` on messi5.jpg and vtest.avi, against hand-marked boxes.
  refuse  a TF.js model with an op the converter does not map is refused,
      naming the node and the op.
Exit 77 (ctest: skipped) when the npm assets are missing (./setup.sh test)."""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "nn_ref"))
from check_models import compare  # noqa: E402  (same tolerance as the other model tests)

SKIP = 77
MODELS = "npm/human-models-3.0.4/package/models/"


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"FAIL {' '.join(cmd)}\n  exit {r.returncode}: {r.stderr.strip()}")
    return r


def image(a, which, size):
    """The frame resized to size x size, BGR uint8."""
    import cv2
    if which != "vtest":
        bgr = cv2.imread(os.path.join(a.data, "messi5.jpg"))
    else:
        cap = cv2.VideoCapture(os.path.join(a.data, "vtest.avi"))
        cap.set(cv2.CAP_PROP_POS_FRAMES, 100)  # 10 fps: 10 s
        ok, bgr = cap.read()
        if not ok:
            sys.exit("FAIL vtest.avi: cannot read frame 100")
    return cv2.resize(bgr, (size, size), interpolation=cv2.INTER_LINEAR)


def centernet_input(bgr):
    return bgr[None, :, :, ::-1].astype(np.float32)


def nanodet_input(bgr):  # NanoDet's own preprocessing: BGR, ImageNet mean/std, NCHW
    x = (bgr.astype(np.float32) - [103.53, 116.28, 123.675]) / [57.375, 57.12, 58.395]
    return x.astype(np.float32).transpose(2, 0, 1)[None]


# model file, input name, input size, preprocessing, the TopK output compared as rows
MODEL = {"centernet": ("centernet.json", "tower_0/images", 512, centernet_input,
                       "tower_0_detections"),
         "nanodet": ("nanodet.json", "input_1", 416, nanodet_input, None)}


def compare_detections(ours, ref, who):
    """TopK rows: sorted scores position by position, then each reference row
    matched to a row of the same class with every column within tolerance."""
    a, b = np.load(ours)[0].astype(np.float64), np.load(ref)[0].astype(np.float64)
    if a.shape != b.shape:
        return False, f"detections: shapes {a.shape} vs {b.shape}"

    def near(x, y):
        return np.abs(x - y) <= 1e-3 + 1e-3 * np.abs(y)

    sa, sb = np.sort(a[:, 4])[::-1], np.sort(b[:, 4])[::-1]
    scores_ok = bool(near(sa, sb).all())
    cutoff = b[:, 4].min()
    used, same_place, moved, missing = set(), 0, 0, []
    for i, row in enumerate(b):
        cands = [j for j in range(len(a)) if j not in used and a[j, 5] == row[5]
                 and near(a[j], row).all()]
        if not cands:
            if not near(row[4], cutoff):
                missing.append(i)
            continue
        j = i if i in cands else cands[0]
        used.add(j)
        same_place += j == i
        moved += j != i
    ok = scores_ok and not missing
    return ok, (f"detections: sorted scores {'agree' if scores_ok else 'DIFFER'}; "
                f"{same_place} rows at the same place, {moved} moved among near-equal scores, "
                f"{100 - same_place - moved - len(missing)} at the cut-off, "
                f"{len(missing)} reference rows unmatched {missing[:5]}")


def exact(a, model, which):
    file, input_name, size, prep, topk_out = MODEL[model]
    model_json = os.path.join(a.deps, MODELS, file)
    work = os.path.join(a.work, which)
    os.makedirs(work, exist_ok=True)
    onnx_path = os.path.join(work, model + ".onnx")
    run([sys.executable, os.path.join(a.src, "vision", "nn", "tfjs2onnx.py"), model_json, onnx_path])
    inp = os.path.join(work, "input.npy")
    np.save(inp, np.ascontiguousarray(prep(image(a, which, size))))
    feed = f"{input_name}={inp}"
    dirs = {k: os.path.join(work, k) for k in ("visiond", "tfjs", "onnxruntime")}
    run([a.visiond, "nn", "run", onnx_path, "--input", feed, "--output-dir", dirs["visiond"],
         "--threads", "2"])
    env = dict(os.environ, TFJS_NODE_MODULES=os.path.join(a.deps, "npm", "node_modules"),
               ORT_NODE_PATH=os.path.join(a.deps, "npm", "node_modules", "onnxruntime-node"))
    print(run([a.node, os.path.join(HERE, "tfjs_run.js"), model_json, dirs["tfjs"], feed],
              env).stdout.strip())
    run([a.node, os.path.join(HERE, "..", "nn_ref", "ort_run.js"), onnx_path, dirs["onnxruntime"],
         "--threads", "1", feed], env)
    ok_all = True
    for ours, refs in (("visiond", ("tfjs", "onnxruntime")), ("onnxruntime", ("tfjs",))):
        for ref in refs:
            for f in sorted(os.listdir(dirs["tfjs"])):
                mine, theirs = os.path.join(dirs[ours], f), os.path.join(dirs[ref], f)
                if not os.path.exists(mine):
                    print(f"{which}: FAIL {ours} wrote no {f}")
                    ok_all = False
                    continue
                if f[:-4] == topk_out:
                    ok, msg = compare_detections(mine, theirs, ref)
                else:
                    ok, msg = compare(f[:-4], mine, theirs)
                print(f"{which}: {'ok  ' if ok else 'FAIL'} {ours} vs {ref}: {msg}")
                ok_all &= ok
    return ok_all


def ious(box, boxes):
    """IoU of one [x1,y1,x2,y2] box with each of `boxes` (numpy, vectorised)."""
    b, bs = np.asarray(box, float), np.asarray(boxes, float).reshape(-1, 4)
    lo, hi = np.maximum(b[:2], bs[:, :2]), np.minimum(b[2:], bs[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda x: (x[..., 2] - x[..., 0]) * (x[..., 3] - x[..., 1])  # noqa: E731
    return inter / (area(b) + area(bs) - inter)


def centre_inside(box, region):
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


# Hand-marked on the frames (source pixels). messi5.jpg (548x342): Messi from
# his raised hand to his shoe, and the ball. vtest.avi at 10 s: the walkers
# of tests/detect_ref/check_detect.py (the one behind the sign is half hidden).
MESSI = {"person": [70, 60, 455, 340], "sports ball": [337, 288, 388, 337]}
WALKERS_10S = [[218, 55, 245, 100], [350, 200, 378, 275], [375, 178, 410, 255],
               [425, 180, 450, 258], [495, 148, 520, 222], [517, 152, 540, 222],
               [590, 155, 617, 235]]


def detect_lines(a, args):
    card = os.path.join(a.src, "config", "models", "centernet-coco.json")
    r = run([a.visiond, "detect"] + args + ["--model", card])
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def detect(a):
    ok = True
    dets = detect_lines(a, [os.path.join(a.data, "messi5.jpg")])[0]["detections"]
    for label, box in MESSI.items():
        boxes = [d["box"] for d in dets if d["label"] == label]
        best = float(ious(box, boxes).max()) if boxes else 0.0
        good = best >= 0.7
        print(f"messi5.jpg: {'ok  ' if good else 'FAIL'} {label} {box}: best IoU {best:.2f} (>= 0.7)")
        ok &= good
    top = dets[0]["label"] if dets else None
    print(f"messi5.jpg: {'ok  ' if top == 'sports ball' else 'FAIL'} top detection {top}")
    ok &= top == "sports ball"
    dets = detect_lines(a, [os.path.join(a.data, "vtest.avi"), "--start", "10", "--count", "1",
                            "--classes", "person"])[0]["detections"]
    # the walkers' boxes were marked loosely for motion regions: a walker is
    # found when a person box's centre is inside it and they overlap well
    found = [any(centre_inside(d["box"], w) and ious(d["box"], w)[0] >= 0.3 for d in dets)
             for w in WALKERS_10S]
    good = sum(found) >= 6
    print(f"vtest.avi 10 s: {'ok  ' if good else 'FAIL'} {sum(found)} of {len(WALKERS_10S)} "
          f"walkers found as person (want >= 6): {found}")
    strays = [d for d in dets if d["score"] >= 0.5 and ious(d["box"], WALKERS_10S).max() == 0]
    print(f"vtest.avi 10 s: {'ok  ' if not strays else 'FAIL'} person boxes with score >= 0.5 "
          f"away from every walker: {strays}")
    return ok and good and not strays


def refuse(a):
    """A one-op graph whose op (Cumsum) the converter does not map."""
    work = os.path.join(a.work, "refuse")
    os.makedirs(work, exist_ok=True)
    spec = {"format": "graph-model", "modelTopology": {"node": [
        {"name": "x", "op": "Placeholder", "attr": {
            "dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "1"}, {"size": "4"}]}}}},
        {"name": "axis", "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}, "value": {
            "tensor": {"dtype": "DT_INT32", "tensorShape": {}}}}},
        {"name": "head/cumsum", "op": "Cumsum", "input": ["x", "axis"]}]},
        "weightsManifest": [{"paths": ["w.bin"], "weights": [
            {"name": "axis", "shape": [], "dtype": "int32"}]}]}
    with open(os.path.join(work, "model.json"), "w") as f:
        json.dump(spec, f)
    with open(os.path.join(work, "w.bin"), "wb") as f:
        f.write(np.int32(1).tobytes())
    r = subprocess.run([sys.executable, os.path.join(a.src, "vision", "nn", "tfjs2onnx.py"),
                        os.path.join(work, "model.json"), os.path.join(work, "out.onnx")],
                       capture_output=True, text=True)
    want = "node 'head/cumsum' (Cumsum): op is not supported"
    ok = r.returncode == 1 and want in r.stderr and not os.path.exists(os.path.join(work, "out.onnx"))
    print(f"refuse: {'ok  ' if ok else 'FAIL'} exit {r.returncode}: {r.stderr.strip()}")
    return ok


def main():
    ap = argparse.ArgumentParser()
    for k in ("visiond", "src", "deps", "data", "work"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("mode", choices=["exact-messi", "exact-vtest", "exact-nanodet", "detect",
                                     "refuse"])
    a = ap.parse_args()
    tfjs = "npm/node_modules/@tensorflow/tfjs-converter/package.json"
    need = {"exact-messi": [MODELS + "centernet.json", tfjs],
            "exact-vtest": [MODELS + "centernet.json", tfjs],
            "exact-nanodet": [MODELS + "nanodet.json", tfjs],
            "detect": ["models/centernet-coco.onnx"], "refuse": []}
    absent = [p for p in need[a.mode] if not os.path.exists(os.path.join(a.deps, p))]
    if absent:
        print(f"SKIPPED: {absent} missing in {a.deps}; run ./setup.sh test")
        sys.exit(SKIP)
    ok = {"exact-messi": lambda: exact(a, "centernet", "messi"),
          "exact-vtest": lambda: exact(a, "centernet", "vtest"),
          "exact-nanodet": lambda: exact(a, "nanodet", "nanodet-messi"),
          "detect": lambda: detect(a), "refuse": lambda: refuse(a)}[a.mode]()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
