#!/usr/bin/python3
"""Evidence tests for `visiond detect` on real data (tests/detect.cmake).

Every expected region below was determined BY HAND by looking at the frames
(extracted with ffmpeg at the same timestamps, viewed with a pixel grid);
they are source-frame pixels [x1, y1, x2, y2]. Face regions span the face
from forehead (below the hair) to chin and cheek to cheek; BlazeFace's box
is the inner face (brows to chin), so the checks are IoU >= 0.4 with slack
and "every detection's centre lies inside a hand-marked face".

usage: check_detect.py VISIOND SRCDIR DATADIR MODE [MODELDIR | NODE]
  MODE: faces-messi | faces-megamind-back | faces-megamind-front | faces-megamind-crop |
        motion-vtest | motion-lights | track-vtest | cli-errors | yolov8-ref | yolov5-ref (MODELDIR) |
        blazeface-ort (NODE; ORT_NODE_PATH may point at onnxruntime-node)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

VISIOND, SRC, DATA, MODE = sys.argv[1:5]
CARDS = os.path.join(SRC, "config", "models")


def run(args, expect_rc=0):
    p = subprocess.run([VISIOND, "detect"] + args, capture_output=True, text=True)
    if p.returncode != expect_rc:
        sys.exit(f"visiond detect {' '.join(args)}: exit {p.returncode}, want {expect_rc}\n{p.stderr}")
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()], p.stderr


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def inside(pt, box):
    return box[0] <= pt[0] <= box[2] and box[1] <= pt[1] <= box[3]


def centre(b):
    return ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)


def covered(inner, outer):
    """Fraction of `inner`'s area inside `outer`."""
    iw = min(inner[2], outer[2]) - max(inner[0], outer[0])
    ih = min(inner[3], outer[3]) - max(inner[1], outer[1])
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return max(iw, 0) * max(ih, 0) / area


failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


# ---- faces ----------------------------------------------------------------

# messi5.jpg (548x342): Messi's face; the crowd behind is blurred.
MESSI = [[216, 92, 260, 134]]
# Megamind.avi (720x528), frames at these pts (first frame with pts >= t):
#   required faces first, then optional ones (blurred background man).
MEGAMIND = {
    1: ([[280, 195, 400, 345]], [[440, 175, 520, 270]]),  # Roxanne; man behind
    3: ([[245, 205, 385, 360]], [[460, 150, 530, 250]]),  # Roxanne eyes closed; man
    5: ([[385, 140, 545, 355]], []),                      # Bernard (glasses), right
    7: ([[210, 105, 380, 315]], []),                      # Roxanne, left
    9: ([[250, 60, 545, 410]], []),                       # Bernard close-up
}


def check_faces(frame_name, dets, required, optional):
    faces = [d for d in dets if d["label"] == "face"]
    check(len(faces) == len(dets), f"{frame_name}: non-face labels {dets}")
    for r in required:
        best = max((iou(d["box"], r) for d in faces), default=0)
        check(best >= 0.4, f"{frame_name}: face {r} found with IoU {best:.2f} < 0.4 ({faces})")
    for d in faces:
        ok = any(inside(centre(d["box"]), r) for r in required + optional)
        check(ok, f"{frame_name}: detection {d['box']} (score {d['score']}) is far from every real face")
        check(len(d.get("keypoints", [])) == 6, f"{frame_name}: {d} lacks the 6 keypoints")
        # the eyes (keypoints 0, 1) are in the upper half of the face box
        if len(d.get("keypoints", [])) == 6:
            b = d["box"]
            for k in d["keypoints"][:2]:
                check(inside(k, [b[0], b[1], b[2], (b[1] + b[3]) / 2]),
                      f"{frame_name}: eye keypoint {k} not in the upper half of {b}")


def faces_messi():
    out, _ = run([os.path.join(DATA, "messi5.jpg"), "--model", os.path.join(CARDS, "blazeface-back.json")])
    check(len(out) == 1 and out[0]["pts"] == 0, f"one frame at pts 0 expected: {out}")
    check_faces("messi5.jpg", out[0]["detections"], MESSI, [])


def faces_megamind(card):
    video = os.path.join(DATA, "Megamind.avi")
    for t, (req, opt) in MEGAMIND.items():
        out, _ = run([video, "--model", os.path.join(CARDS, card), "--start", str(t), "--count", "1"])
        check(len(out) == 1 and t <= out[0]["pts"] < t + 0.1, f"t={t}: frame {out and out[0]['pts']}")
        check_faces(f"Megamind.avi@{t}s ({card})", out[0]["detections"], req, opt)


def faces_megamind_crop():
    """--motion-crop: the detector sees only the moving part of the frame;
    the faces must still land on the hand-marked regions (crop geometry)."""
    video = os.path.join(DATA, "Megamind.avi")
    card = os.path.join(CARDS, "blazeface-front.json")
    for t, (req, opt) in MEGAMIND.items():
        out, err = run([video, "--model", card, "--motion-crop", "--start", str(t - 1),
                        "--end", str(t + 0.05), "--fps", "5"])
        last = out[-1]
        check(abs(last["pts"] - t) < 0.25, f"t={t}: last frame at {last['pts']}")
        check(last.get("motion", 0) > 0, f"t={t}: no motion in the frame: {last}")
        check_faces(f"Megamind.avi@{last['pts']:.2f}s (--motion-crop)", last["detections"], req, opt)


# ---- motion ---------------------------------------------------------------

# vtest.avi (768x576, 10 fps): pedestrians, hand-marked at these pts.
WALKERS = {
    10: [[218, 55, 245, 100], [350, 200, 378, 275], [375, 178, 410, 255], [425, 180, 450, 258],
         [495, 148, 520, 222], [517, 152, 540, 222], [590, 155, 617, 235]],
    30: [[187, 158, 218, 233], [243, 158, 270, 222], [298, 157, 323, 230], [316, 210, 345, 297],
         [582, 158, 610, 235], [619, 160, 643, 235]],
    50: [[307, 187, 332, 265], [557, 240, 592, 350], [572, 282, 612, 392], [615, 275, 640, 375]],
}
# Areas where nothing moves at those times: lawn left of the path, the
# bottom lawn, the building facade with the windows.
STATIC = [[150, 330, 320, 450], [0, 460, 768, 576], [300, 10, 560, 90]]


def motion_vtest():
    out, err = run([os.path.join(DATA, "vtest.avi"), "--motion", "--fps", "5", "--end", "50.1"])
    by_pts = {round(f["pts"], 1): f["detections"] for f in out}
    check(len(out) == 251, f"--fps 5 over [0, 50.1) gives 251 frames, got {len(out)}")
    for t, walkers in WALKERS.items():
        regions = [d["box"] for d in by_pts.get(float(t), [])]
        check(all(d["label"] == "motion" for d in by_pts.get(float(t), [])), f"t={t}: labels")
        for w in walkers:
            check(any(inside(centre(w), r) for r in regions),
                  f"t={t}: walker {w} is in no motion region {regions}")
        for r in regions:
            check(any(iou(r, w) > 0 for w in walkers), f"t={t}: motion region {r} touches no walker")
            for s in STATIC:
                check(iou(r, s) == 0, f"t={t}: motion region {r} overlaps static area {s}")
    check("resets 0" in err, f"no light/scene resets expected on vtest.avi: {err}")
    # zones on motion regions: a region is in "left" when its bottom-centre is
    out, _ = run([os.path.join(DATA, "vtest.avi"), "--motion", "--fps", "5", "--start", "9",
                  "--end", "10.1", "--zone", "left:0,0,0.5,0,0.5,1,0,1"])
    regions = out[-1]["detections"]
    check(len(regions) >= 2, f"t=10: {regions}")
    for d in regions:
        left = (d["box"][0] + d["box"][2]) / 2 < 384
        check(d.get("zones") == (["left"] if left else None), f"zones of {d}")


def motion_lights():
    """vtest.avi with the lights switched on at 3 s (ffmpeg's eq filter
    brightens every pixel by 0.25): the switch is not motion -- no region in
    that frame, one counted reset -- and the walkers are found again in the
    very next frames."""
    with tempfile.TemporaryDirectory() as d:
        clip = os.path.join(d, "lights.avi")
        subprocess.run([os.environ.get("FFMPEG", "ffmpeg"), "-v", "error", "-y", "-t", "6", "-i",
                        os.path.join(DATA, "vtest.avi"), "-vf", "eq=brightness=0.25:enable='gte(t,3)'",
                        "-c:v", "mpeg4", "-q:v", "2", clip], check=True)
        out, err = run([clip, "--motion", "--fps", "5"])
    n = {round(f["pts"], 1): len(f["detections"]) for f in out}
    check(n.get(3.0) == 0, f"the frame where the lights go on has {n.get(3.0)} regions")
    check(all(n.get(t, 0) > 0 for t in (2.4, 2.6, 2.8, 3.2, 3.4, 3.6)), f"walkers around the switch: {n}")
    check("resets 1" in err, f"one reset expected: {err}")


# ---- tracking -------------------------------------------------------------

# The lone walker on the far path (top left), hand-marked; she walks left.
FAR_WALKER = {8: [268, 50, 287, 83], 10: [220, 58, 240, 92], 12: [163, 66, 180, 102],
              14: [100, 76, 118, 114]}


def track_vtest():
    out, _ = run([os.path.join(DATA, "vtest.avi"), "--motion", "--track", "--fps", "5",
                  "--start", "6", "--end", "15"])
    frames = [f for f in out if "detections" in f]
    events = [f for f in out if "event" in f]
    ids = set()
    for t, w in FAR_WALKER.items():
        f = next(f for f in frames if abs(f["pts"] - t) < 0.05)
        hits = [d for d in f["detections"] if inside(centre(w), d["box"])]
        check(len(hits) == 1, f"t={t}: walker {w} in {len(hits)} regions")
        if hits:
            d = hits[0]
            check(covered(w, d["box"]) >= 0.8, f"t={t}: region {d['box']} does not cover walker {w}")
            area = lambda b: (b[2] - b[0]) * (b[3] - b[1])
            check(area(d["box"]) <= 5 * area(w), f"t={t}: region {d['box']} is loose around {w}")
            ids.add(d.get("track_id"))
    check(len(ids) == 1 and None not in ids, f"the far walker has track ids {ids}, want one")
    if len(ids) == 1 and None not in ids:
        tid = ids.pop()
        span = [f for f in frames if 8 - 0.05 <= f["pts"] <= 14 + 0.05]
        xs = []
        for f in span:
            mine = [d for d in f["detections"] if d.get("track_id") == tid]
            check(len(mine) == 1, f"pts {f['pts']}: track {tid} present {len(mine)} times")
            if mine:
                xs.append(centre(mine[0]["box"])[0])
        check(len(span) == 31, f"31 sampled frames in [8, 14], got {len(span)}")
        # moving left all along: centre x never goes right by more than 8 px
        # between samples, and overall as far as the hand marks say (+-30 px)
        check(all(b <= a + 8 for a, b in zip(xs, xs[1:])), f"track {tid} x: {xs}")
        want = centre(FAR_WALKER[8])[0] - centre(FAR_WALKER[14])[0]
        check(xs and abs((xs[0] - xs[-1]) - want) <= 30,
              f"track {tid} moved {xs[0] - xs[-1]:.0f} px in 6 s, the walker {want:.0f} px")
        new = [e for e in events if e["event"] == "new" and e["track_id"] == tid]
        end = [e for e in events if e["event"] == "end" and e["track_id"] == tid]
        check(len(new) == 1 and new[0]["pts"] < 8, f"one 'new' event before 8 s: {new}")
        check(len(end) == 1 and end[0]["last_pts"] >= 14, f"one 'end' event after 14 s: {end}")
        if new and end:
            check(end[0]["first_pts"] <= new[0]["pts"], "first_pts precedes confirmation")


# ---- CLI errors -----------------------------------------------------------

def cli_errors():
    messi = os.path.join(DATA, "messi5.jpg")
    card = os.path.join(CARDS, "blazeface-back.json")
    _, err = run([messi], 2)
    check("--model" in err, f"no model and no motion: {err}")
    _, err = run([messi, "--model", card, "--layout", "nhcw"], 2)
    check("nhcw" in err, f"bad layout named: {err}")
    _, err = run([messi, "--model", card, "--kind", "yolox"], 2)
    check("yolox" in err, f"bad kind named: {err}")
    _, err = run([messi, "--model", card, "--threshold", "abc"], 2)
    check("--threshold" in err, err)
    _, err = run([messi, "--model", card, "--bogus", "1"], 2)
    check("--bogus" in err, err)
    _, err = run(["/nonexistent.mp4", "--motion"], 1)
    check("nonexistent" in err, err)
    _, err = run([messi, "--motion", "--start", "3"], 1)
    check("still image" in err, err)
    _, err = run([messi, "--model", card, "--input-size", "128x128"], 1)
    check("256x256" in err, f"size mismatch with the model explained: {err}")
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            json.dump({"path": "x.onnx", "input": {"layuot": "nhwc"}}, f)
        _, err = run([messi, "--model", bad], 1)
        check("bad.json" in err and "input.layuot" in err, f"unknown card key named with the file: {err}")
        with open(bad, "w") as f:
            json.dump({"path": "x.onnx", "threshold": 3}, f)
        _, err = run([messi, "--model", bad], 1)
        check("threshold" in err and "[0, 1]" in err, err)
        with open(bad, "w") as f:
            f.write("{\"path\": ")
        _, err = run([messi, "--model", bad], 1)
        check("bad.json" in err, err)
        ann = os.path.join(d, "ann")
        out, _ = run([messi, "--model", card, "--annotate", ann])
        files = os.listdir(ann)
        check(files == ["000000.jpg"], f"annotate wrote {files}")
        check(os.path.getsize(os.path.join(ann, files[0])) > 10000 if files else False, "annotated jpeg")
    # zones: the face's bottom-centre (about 239,133 of 548x342) is in the left half
    out, _ = run([messi, "--model", card, "--zone", "left:0,0,0.5,0,0.5,1,0,1",
                  "--zone", "right:0.5,0,1,0,1,1,0.5,1"])
    zones = [d.get("zones") for d in out[0]["detections"]]
    check(zones == [["left"]], f"zones {zones}")
    # class filter on the only class
    out, _ = run([messi, "--model", card, "--classes", "face", "--threshold", "0.99"])
    check(out[0]["detections"] == [], f"threshold 0.99 leaves nothing: {out}")


# The 80 COCO class names in the ultralytics order (the reference for labels).
COCO80 = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck',
          'boat', 'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench',
          'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra',
          'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee', 'skis',
          'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard',
          'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife',
          'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
          'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
          'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
          'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book',
          'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush']


# ---- YOLO adapters vs a numpy reference on a real graph's outputs ----------

def nms_ref(boxes, scores, classes, thr):
    """torchvision batched_nms: per class, drop IoU > thr; stable order."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        if all(classes[k] != classes[i] or iou(boxes[k], boxes[i]) <= thr for k in keep):
            keep.append(i)
    return keep


def yolo_ref(kind, model_dir):
    """The example card on the YOLO-like graph (seeded random weights): a
    320x240 PNG letterboxed into 320x320 has scale 1 and 40-pixel bands, so
    numpy builds the exact input tensor (range 0-255), the graph runs on it
    and the decode (cx,cy,w,h -> xyxy, best class, objectness, threshold,
    class-wise NMS, -40 on y, clip, cap) is recomputed here and compared
    with `visiond detect` on the PNG."""
    import numpy as np
    from PIL import Image
    model = {"yolov8": "yolov8n_like.onnx", "yolov5": "yolov5n_like.onnx"}[kind]
    card_src = os.path.join(CARDS, f"{kind}-example.json")
    with tempfile.TemporaryDirectory() as d:
        card = json.load(open(card_src))
        os.symlink(os.path.join(model_dir, model), os.path.join(d, card["path"]))
        shutil.copy(card_src, os.path.join(d, "card.json"))
        img = Image.open(os.path.join(DATA, "messi5.jpg")).convert("RGB").resize((320, 240))
        png = os.path.join(d, "in.png")
        img.save(png)
        x = np.full((320, 320, 3), 114, np.float32)
        x[40:280] = np.asarray(img, np.float32)
        np.save(os.path.join(d, "in.npy"), x.transpose(2, 0, 1)[None].copy())
        # raw outputs from `visiond nn run` on the same tensor: the engine is
        # checked against onnxruntime by tests/nn_models.cmake; here the
        # exact same floats isolate the adapter (ties between near-equal
        # random-weight scores would otherwise decide NMS differently)
        p = subprocess.run([VISIOND, "nn", "run", os.path.join(d, card["path"]), "--input",
                            "images=" + os.path.join(d, "in.npy"), "--output-dir", d],
                           capture_output=True, text=True)
        if p.returncode:
            sys.exit(f"visiond nn run failed: {p.stderr}")
        outs = [f for f in os.listdir(d) if f.endswith(".npy") and f != "in.npy"]
        y = np.load(os.path.join(d, outs[0]))[0]
        thr, iou_thr, max_det = card["threshold"], card["iou"], card["max_detections"]
        rows = y if kind == "yolov5" else y.T
        boxes, scores, classes = [], [], []
        for r in rows:
            cls = r[5:] if kind == "yolov5" else r[4:]
            c = int(np.argmax(cls))
            sc = float(cls[c]) * (float(r[4]) if kind == "yolov5" else 1.0)
            if (kind == "yolov5" and r[4] < thr) or sc < thr:
                continue
            cx, cy, w, h = (float(v) for v in r[:4])
            boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
            scores.append(sc)
            classes.append(c)
        keep = nms_ref(boxes, scores, classes, iou_thr)
        ref = []
        for i in keep:
            b = boxes[i]
            b = [min(max(b[0], 0), 320), min(max(b[1] - 40, 0), 240),
                 min(max(b[2], 0), 320), min(max(b[3] - 40, 0), 240)]
            if b[2] > b[0] and b[3] > b[1]:
                ref.append((scores[i], classes[i], b))
        ref = ref[:max_det]
        out, _ = run([png, "--model", os.path.join(d, "card.json"), "--range", "0-255",
                      "--input-size", "320x320"])
    dets = out[0]["detections"]
    labels = COCO80
    # detections come sorted by score; among exactly equal scores (many, with
    # random weights) the order is unspecified, so both lists are put in one
    # canonical order first
    check(all(a["score"] >= b["score"] for a, b in zip(dets, dets[1:])), f"{kind}: not sorted by score")
    dets.sort(key=lambda d: (-d["score"], d["label"], [round(v) for v in d["box"]]))
    ref.sort(key=lambda r: (-round(r[0], 4), labels[r[1]], [round(v) for v in r[2]]))
    check(len(ref) > 3, f"{kind}: the reference keeps only {len(ref)} boxes; the test needs some")
    check(len(dets) == len(ref), f"{kind}: {len(dets)} detections, reference {len(ref)}")
    for k, (d, (sc, c, b)) in enumerate(zip(dets, ref)):
        check(d["label"] == labels[c], f"{kind} #{k}: label {d['label']} want {labels[c]}")
        check(abs(d["score"] - sc) < 2e-3, f"{kind} #{k}: score {d['score']} want {sc:.4f}")
        check(all(abs(u - v) < 0.3 for u, v in zip(d["box"], b)), f"{kind} #{k}: box {d['box']} want {b}")


# ---- BlazeFace decode vs onnxruntime + a Python decode ----------------------

def blazeface_ort(node):
    """Images 256 px wide letterboxed into the back model's 256x256 input
    have scale 1 (bands top and bottom), so numpy builds the exact input;
    onnxruntime runs the model; anchors, sigmoid and MediaPipe's weighted
    NMS are recomputed here (as keijiro's BlazeFace shaders do them) and
    compared with `visiond detect`: boxes and keypoints within 1 px."""
    import numpy as np
    import onnx
    from PIL import Image
    model = os.path.join(SRC, ".deps", "npm", "blazeface", "package", "ONNX",
                         "face_detection_back_256x256_barracuda.onnx")
    names = [o.name for o in onnx.load(model).graph.output]
    anchors = []
    for cells, per in ((16, 2), (8, 6)):
        for y in range(cells):
            for x in range(cells):
                anchors += [((x + 0.5) / cells * 256, (y + 0.5) / cells * 256)] * per
    sources = [("messi5.jpg", (150, 40, 406, 232)), ("Megamind.avi@9s", None)]
    with tempfile.TemporaryDirectory() as d:
        for name, crop in sources:
            if crop:
                img = Image.open(os.path.join(DATA, name)).convert("RGB").crop(crop)
            else:
                frame = os.path.join(d, "mm.png")
                subprocess.run([os.environ.get("FFMPEG", "ffmpeg"), "-v", "error", "-y", "-ss", "9", "-i",
                                os.path.join(DATA, "Megamind.avi"), "-frames:v", "1", frame], check=True)
                img = Image.open(frame).convert("RGB").resize((256, 188), Image.BILINEAR)
            w, h = img.size
            pad = (256 - h) // 2
            png = os.path.join(d, "in.png")
            img.save(png)
            x = np.full((256, 256, 3), -1, np.float32)
            x[pad:pad + h] = (np.asarray(img, np.float32) / np.float32(255) - np.float32(0.5)) / np.float32(0.5)
            np.save(os.path.join(d, "in.npy"), x[None])
            p = subprocess.run([node, os.path.join(SRC, "tests", "nn_ref", "ort_run.js"), model, d,
                                "input:0=" + os.path.join(d, "in.npy")], capture_output=True, text=True)
            if p.returncode:
                sys.exit(f"onnxruntime: {p.stderr}")
            outs = [np.load(os.path.join(d, n.replace(":", "_") + ".npy"))[0] for n in names]
            scores = np.concatenate([o.reshape(-1) for o in outs if o.shape[1] == 1])
            regs = np.concatenate([o for o in outs if o.shape[1] == 16])
            cand = []
            for i in np.argsort(-scores, kind="stable"):
                sc = 1 / (1 + np.exp(-float(scores[i])))
                if sc < 0.5:
                    break
                (ax, ay), r = anchors[i], regs[i].astype(np.float64)
                cx, cy = ax + r[0], ay + r[1]
                v = [cx - r[2] / 2, cy - r[3] / 2, cx + r[2] / 2, cy + r[3] / 2]
                v += [c for k in range(6) for c in (ax + r[4 + 2 * k], ay + r[5 + 2 * k])]
                cand.append([sc, np.array(v)])
            ref = []
            while cand:
                best = cand[0]
                group = [c for c in cand if c is best or iou(best[1][:4], c[1][:4]) >= 0.3]
                wsum = sum(c[0] for c in group)
                ref.append((best[0], sum(c[0] * c[1] for c in group) / wsum))
                cand = [c for c in cand if not any(c is g for g in group)]
            out, _ = run([png, "--model", os.path.join(CARDS, "blazeface-back.json")])
            dets = out[0]["detections"]
            check(len(ref) >= 1, f"{name}: the reference finds no face")
            check(len(dets) == len(ref), f"{name}: {len(dets)} faces, reference {len(ref)}")
            for dd, (sc, v) in zip(dets, ref):
                want = [v[0], v[1] - pad, v[2], v[3] - pad]
                want = [min(max(want[0], 0), w), min(max(want[1], 0), h),
                        min(max(want[2], 0), w), min(max(want[3], 0), h)]
                kp = [[v[4 + 2 * k], v[5 + 2 * k] - pad] for k in range(6)]
                check(abs(dd["score"] - sc) < 2e-3, f"{name}: score {dd['score']} want {sc:.4f}")
                check(all(abs(a - b) < 1.0 for a, b in zip(dd["box"], want)),
                      f"{name}: box {dd['box']} want {[round(t, 1) for t in want]}")
                check(all(abs(a - b) < 1.0 for p1, p2 in zip(dd["keypoints"], kp) for a, b in zip(p1, p2)),
                      f"{name}: keypoints {dd['keypoints']} want {kp}")


MODES = {
    "faces-messi": faces_messi,
    "faces-megamind-back": lambda: faces_megamind("blazeface-back.json"),
    "faces-megamind-front": lambda: faces_megamind("blazeface-front.json"),
    "faces-megamind-crop": faces_megamind_crop,
    "motion-vtest": motion_vtest,
    "motion-lights": motion_lights,
    "track-vtest": track_vtest,
    "cli-errors": cli_errors,
    "blazeface-ort": lambda: blazeface_ort(sys.argv[5]),
    "yolov8-ref": lambda: yolo_ref("yolov8", sys.argv[5]),
    "yolov5-ref": lambda: yolo_ref("yolov5", sys.argv[5]),
}
MODES[MODE]()
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"{MODE}: ok")
