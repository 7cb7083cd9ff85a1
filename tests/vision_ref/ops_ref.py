#!/usr/bin/python3
"""Reference values for tests/test_ops.c: numpy implementations of
torchvision.ops written from torchvision's documentation and its CPU
kernels' published algorithm, independent of the C code (vectorised
numpy, different structure). torch is not installed here.

Usage: ops_ref.py OUTDIR
"""
import os
import sys

import numpy as np

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(arr))


def box_iou(a, b):
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def nms(boxes, scores, thr):
    order = np.argsort(-scores, kind="stable")
    iou = box_iou(boxes, boxes)
    keep = []
    alive = np.ones(len(boxes), bool)
    for i in order:
        if not alive[i]:
            continue
        keep.append(i)
        alive &= ~(iou[i] > thr)
    return np.array(keep, np.int64)


def batched_nms(boxes, scores, classes, thr):
    # the per-class loop torchvision uses for large inputs (_batched_nms_vanilla)
    keep = np.zeros(len(boxes), bool)
    for c in np.unique(classes):
        idx = np.where(classes == c)[0]
        keep[idx[nms(boxes[idx], scores[idx], thr)]] = True
    kept = np.where(keep)[0]
    return kept[np.argsort(-scores[kept], kind="stable")]


def bilinear(img, y, x):
    H, W = img.shape[-2:]
    if y < -1.0 or y > H or x < -1.0 or x > W:
        return np.zeros(img.shape[0], np.float64)
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(np.floor(y)), int(np.floor(x))
    y1, x1 = min(y0 + 1, H - 1), min(x0 + 1, W - 1)
    if y0 >= H - 1:
        y0 = y1 = H - 1
        y = float(y0)
    if x0 >= W - 1:
        x0 = x1 = W - 1
        x = float(x0)
    ly, lx = y - y0, x - x0
    return ((1 - ly) * (1 - lx) * img[:, y0, x0] + (1 - ly) * lx * img[:, y0, x1] +
            ly * (1 - lx) * img[:, y1, x0] + ly * lx * img[:, y1, x1])


def roi_align(inp, rois, oh, ow, scale, ratio, aligned):
    K, C = len(rois), inp.shape[1]
    out = np.zeros((K, C, oh, ow), np.float64)
    off = 0.5 if aligned else 0.0
    for k, r in enumerate(rois):
        img = inp[int(r[0])].astype(np.float64)
        x1, y1, x2, y2 = r[1:] * scale - off
        rw, rh = x2 - x1, y2 - y1
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / oh, rw / ow
        gh = ratio if ratio > 0 else int(np.ceil(rh / oh))
        gw = ratio if ratio > 0 else int(np.ceil(rw / ow))
        cnt = max(gh * gw, 1)
        for py in range(oh):
            for px in range(ow):
                acc = np.zeros(C)
                for iy in range(gh):
                    yy = y1 + py * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = x1 + px * bw + (ix + 0.5) * bw / gw
                        acc += bilinear(img, yy, xx)
                out[k, :, py, px] = acc / cnt
    return out


# clustered boxes so NMS has work to do; some scores tied
centers = rng.uniform(20, 300, (12, 2))
n = 200
c = centers[rng.integers(0, 12, n)] + rng.normal(0, 6, (n, 2))
wh = rng.uniform(10, 60, (n, 2))
boxes = np.concatenate([c - wh / 2, c + wh / 2], 1).astype(np.float32)
scores = np.round(rng.uniform(0, 1, n), 2).astype(np.float32)  # many ties
classes = rng.integers(0, 4, n).astype(np.int32)
save("boxes", boxes)
save("scores", scores)
save("classes", classes)
save("iou", box_iou(boxes[:50].astype(np.float64), boxes[50:90].astype(np.float64)).astype(np.float32))
for thr in (0.3, 0.5, 0.7):
    save("nms_%g" % thr, nms(boxes.astype(np.float64), scores, thr))
    save("bnms_%g" % thr, batched_nms(boxes.astype(np.float64), scores, classes, thr))

inp = rng.normal(0, 1, (2, 3, 13, 17)).astype(np.float32)
rois = np.array([[0, 1.2, 2.5, 9.7, 11.1],
                 [1, 0, 0, 16, 12],
                 [1, -3.0, -2.0, 5.0, 4.0],     # partly outside
                 [0, 10.3, 4.4, 10.9, 5.0],     # smaller than a pixel
                 [1, 14.0, 9.0, 30.0, 20.0],    # mostly outside
                 [0, 4.0, 6.0, 52.0, 40.0]], np.float32)  # with scale 0.25 -> inside
save("roi_input", inp)
save("rois", rois)
for (oh, ow, scale, ratio, aligned) in [(3, 4, 1.0, 2, 0), (3, 4, 1.0, 2, 1), (5, 5, 1.0, -1, 0),
                                        (5, 5, 1.0, -1, 1), (2, 3, 0.25, 0, 1)]:
    save("roi_%d_%d_%g_%d_%d" % (oh, ow, scale, ratio, aligned),
         roi_align(inp, rois, oh, ow, scale, ratio, aligned).astype(np.float32))

