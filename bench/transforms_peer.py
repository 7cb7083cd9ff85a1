#!/usr/bin/python3
"""The peer of bench_transforms.c: the same preprocessing written the way a
Python user does it with OpenCV + numpy, timed the same way (median over
reps runs of iters frames, ms/frame), on the same test pattern.

Prints: case, variant, median wall ms/frame, min wall, median CPU ms/frame.

Two variants per case:
  cv2+numpy : cv2.resize, cv2.copyMakeBorder, cv2.cvtColor, then numpy for
              /255, mean/std and HWC->CHW (ultralytics / torchvision-style)
  blob      : cv2.resize (+border) then cv2.dnn.blobFromImage (fused scale,
              mean, swapRB and layout), where the case allows it

Usage: transforms_peer.py [reps] [iters] [threads]
threads: cv2.setNumThreads value (1 = single-threaded like bench_transforms)
"""
import sys
import time

import cv2
import numpy as np

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 30
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
cv2.setNumThreads(threads)


def pattern(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    c = np.arange(3)[None, None, :]
    return ((x[..., None] * 3 + y[..., None] * 7 + c * 50 + (x * y)[..., None] // 64) & 255).astype(np.uint8)


def letterbox(bgr, size, pad):
    h, w = bgr.shape[:2]
    r = min(size / h, size / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (size - nw) / 2, (size - nh) / 2
    top, left = int(round(dh - 0.1)), int(round(dw - 0.1))
    im = cv2.resize(bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return cv2.copyMakeBorder(im, top, size - nh - top, left, size - nw - left,
                              cv2.BORDER_CONSTANT, value=(pad, pad, pad))


def yolo_numpy(bgr):
    im = cv2.cvtColor(letterbox(bgr, 640, 114), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(im.transpose(2, 0, 1)[None]).astype(np.float32) / 255.0


def yolo_blob(bgr):
    return cv2.dnn.blobFromImage(letterbox(bgr, 640, 114), 1 / 255.0, swapRB=True)


MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def cls_numpy(bgr):
    im = cv2.cvtColor(cv2.resize(bgr, (320, 320), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
    x = (im.astype(np.float32) / 255.0 - MEAN) / STD
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def cls_blob(bgr):
    # blobFromImage has one scale factor, so std is applied afterwards
    im = cv2.resize(bgr, (320, 320), interpolation=cv2.INTER_LINEAR)
    b = cv2.dnn.blobFromImage(im, 1 / 255.0, mean=tuple(float(v) * 255 for v in MEAN[::-1]), swapRB=True)
    b /= STD[None, :, None, None]
    return b


def face_numpy(bgr):
    # antialiased downscale: INTER_AREA is what OpenCV users reach for
    im = cv2.cvtColor(cv2.resize(bgr, (128, 128), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    x = (im.astype(np.float32) / 255.0 - 0.5) / 0.5
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


CASES = [
    ("1280x720 -> 640x640 letterbox(114) bilinear, 0-1, nchw rgb", 1280, 720, yolo_numpy, yolo_blob),
    ("768x576 -> 320x320 stretch bilinear, imagenet mean/std, nchw rgb", 768, 576, cls_numpy, cls_blob),
    ("1920x1080 -> 640x640 letterbox(114) bilinear, 0-1, nchw rgb", 1920, 1080, yolo_numpy, yolo_blob),
    ("768x576 -> 128x128 stretch bilinear+antialias, 0-1 mean/std 0.5, nchw rgb", 768, 576, face_numpy, None),
]


def bench(fn, img):
    """(median wall, min wall, median process CPU) in ms/frame; CPU time
    sums OpenCV's worker threads, so it is the total cost."""
    fn(img)
    t, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iters):
            fn(img)
        t.append((time.perf_counter() - t0) * 1e3 / iters)
        cpu.append((time.process_time() - c0) * 1e3 / iters)
    t.sort()
    cpu.sort()
    return t[len(t) // 2], t[0], cpu[len(cpu) // 2]


for name, w, h, f_np, f_blob in CASES:
    bgr = pattern(w, h)[:, :, ::-1].copy()  # cv2 users hold BGR frames
    print("%s\tcv2+numpy\t%.3f\t%.3f\t%.3f" % ((name,) + bench(f_np, bgr)))
    if f_blob:
        print("%s\tblob\t%.3f\t%.3f\t%.3f" % ((name,) + bench(f_blob, bgr)))
