#!/usr/bin/python3
"""Reference values for tests/test_transforms.c, computed without visiond.

Usage: transforms_ref.py OUTDIR

Writes .npy inputs and expected outputs. The expectations come from
OpenCV (cv2.resize on float32, which has no fixed-point rounding), PIL
(Image.resize BILINEAR on mode 'F': the antialiasing triangle filter torch's
_upsample_bilinear2d_aa copies) and small numpy transcriptions of the
torch/torchvision formulas written here from their documentation, so
each resize is checked against two independent sources where possible.
"""
import os
import sys

import cv2
import numpy as np
from PIL import Image

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(1234)


def save(name, arr):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(arr))


# ---- independent numpy transcriptions of torch's formulas ------------------

def torch_bilinear_1d(n_in, n_out):
    """Weight matrix [n_out, n_in] of upsample_bilinear2d, align_corners=False."""
    m = np.zeros((n_out, n_in), np.float64)
    scale = n_in / n_out
    for i in range(n_out):
        src = max(scale * (i + 0.5) - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        l1 = src - i0 if i0 < n_in - 1 else 0.0
        m[i, i0] += 1 - l1
        m[i, i1] += l1
    return m


def torch_nearest_idx(n_in, n_out):
    scale = np.float32(n_in) / np.float32(n_out)
    idx = np.floor(np.arange(n_out, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(idx, n_in - 1)


def resize_matrix(img, my, mx):
    # img [..., H, W]
    return np.einsum("oh,...hw,pw->...op", my, img.astype(np.float64), mx)


# ---- float tensor resizes --------------------------------------------------
x = rng.random((2, 3, 37, 53), dtype=np.float32) * 255
save("x", x)
sizes = [(20, 30), (37, 53), (74, 106), (50, 17), (9, 100), (1, 1)]
for (oh, ow) in sizes:
    tag = "%dx%d" % (ow, oh)
    # bilinear, no antialias: OpenCV INTER_LINEAR per plane, and the formula
    cv = np.stack([np.stack([cv2.resize(x[b, c], (ow, oh), interpolation=cv2.INTER_LINEAR)
                             for c in range(3)]) for b in range(2)])
    formula = resize_matrix(x, torch_bilinear_1d(37, oh), torch_bilinear_1d(53, ow))
    assert np.abs(cv - formula).max() < 1e-2, ("cv2 and torch formula disagree", tag)
    save("bilinear_" + tag, formula.astype(np.float32))
    save("bilinear_cv2_" + tag, cv)
    # antialias: PIL on mode F
    pil = np.stack([np.stack([np.asarray(Image.fromarray(x[b, c], "F").resize((ow, oh), Image.BILINEAR))
                              for c in range(3)]) for b in range(2)])
    save("aa_" + tag, pil.astype(np.float32))
    # nearest: torch formula, and cv2 INTER_NEAREST
    ny, nx = torch_nearest_idx(37, oh), torch_nearest_idx(53, ow)
    near = x[:, :, ny][:, :, :, nx]
    cvn = np.stack([np.stack([cv2.resize(x[b, c], (ow, oh), interpolation=cv2.INTER_NEAREST)
                              for c in range(3)]) for b in range(2)])
    save("nearest_" + tag, near)
    save("nearest_cv2_" + tag, cvn)

# ---- letterbox (ultralytics LetterBox, written out) -------------------------
def letterbox(img_hwc, new_w, new_h, pad):
    h, w = img_hwc.shape[:2]
    r = min(new_h / h, new_w / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (new_w - nw) / 2, (new_h - nh) / 2
    top, left = int(round(dh - 0.1)), int(round(dw - 0.1))
    bottom, right = new_h - nh - top, new_w - nw - left
    im = cv2.resize(img_hwc, (nw, nh), interpolation=cv2.INTER_LINEAR)
    if im.ndim == 2:
        im = im[:, :, None]
    out = np.pad(im, ((top, bottom), (left, right), (0, 0)), constant_values=pad)
    return out, (nw / w, nh / h, left, top, nw, nh)


lb = np.stack([letterbox(x[b].transpose(1, 2, 0), 64, 64, 114.0)[0].transpose(2, 0, 1)
               for b in range(2)])
_, g = letterbox(x[0].transpose(1, 2, 0), 64, 64, 114.0)
save("letterbox_64x64", lb.astype(np.float32))
save("letterbox_64x64_geom", np.array(g, np.float64))

# ---- crops (torchvision formulas) --------------------------------------------
def crop(img, top, left, h, w):
    H, W = img.shape[-2:]
    out = np.zeros(img.shape[:-2] + (h, w), img.dtype)
    for y in range(h):
        for xx in range(w):
            sy, sx = top + y, left + xx
            if 0 <= sy < H and 0 <= sx < W:
                out[..., y, xx] = img[..., sy, sx]
    return out


def center_crop(img, h, w):
    H, W = img.shape[-2:]
    if h > H or w > W:
        pl, pt = ((w - W) // 2 if w > W else 0), ((h - H) // 2 if h > H else 0)
        pr, pb = ((w - W + 1) // 2 if w > W else 0), ((h - H + 1) // 2 if h > H else 0)
        img = np.pad(img, [(0, 0)] * (img.ndim - 2) + [(pt, pb), (pl, pr)])
        H, W = img.shape[-2:]
    top, left = int(round((H - h) / 2.0)), int(round((W - w) / 2.0))
    return img[..., top:top + h, left:left + w]


save("crop_5_7_20_30", crop(x, 7, 5, 30, 20))      # left 5, top 7, w 20, h 30
save("crop_m3_m4_10_12", crop(x, -4, -3, 12, 10))  # partly outside
save("center_crop_24x24", center_crop(x, 24, 24))
save("center_crop_60x40", center_crop(x, 40, 60))  # wider than the image
save("center_crop_52x36", center_crop(x, 36, 52))  # odd differences: round half even

mean = np.array([0.485, 0.456, 0.406], np.float32) * 255
std = np.array([0.229, 0.224, 0.225], np.float32) * 255
save("normalized", (x - mean[None, :, None, None]) / std[None, :, None, None])

# ---- the fused chain on a real photo -----------------------------------------
src = np.asarray(Image.open(os.path.join(sys.argv[2], "messi5.jpg")).convert("RGB"))
save("messi_rgb", src)
srcf = src.astype(np.float32)

# a) YOLOv8: 640x640 letterbox 114, bilinear, nchw, rgb, 0-1
im, g = letterbox(srcf, 640, 640, 114.0)
save("chain_yolo", (im / 255.0).transpose(2, 0, 1)[None].astype(np.float32))
save("chain_yolo_geom", np.array(g, np.float64))

# b) classifier: 224x224 stretch, antialias, ImageNet mean/std, nhwc, bgr
chans = [np.asarray(Image.fromarray(srcf[:, :, c], "F").resize((224, 224), Image.BILINEAR))
         for c in range(3)]
rgb = np.stack(chans, -1) / 255.0
imn = (rgb - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
save("chain_cls", imn[:, :, ::-1][None].astype(np.float32))  # nhwc, bgr (mean/std in rgb order reversed)

# c) BlazeFace-like: 128x128 stretch nearest, 0-255, mean 127.5 std 127.5, nchw rgb
ny, nx = torch_nearest_idx(src.shape[0], 128), torch_nearest_idx(src.shape[1], 128)
near = srcf[ny][:, nx]
save("chain_face", ((near - 127.5) / 127.5).transpose(2, 0, 1)[None].astype(np.float32))

# d) uint8 batch nhwc, 300x200 letterbox pad 0, bilinear, 0-255
im, _ = letterbox(srcf, 300, 200, 0.0)
save("chain_u8", np.clip(np.floor(im + 0.5), 0, 255).astype(np.uint8)[None])

# e) gray source replicated into 3 channels, 96x96 stretch bilinear, 0-1
gray = np.asarray(Image.open(os.path.join(sys.argv[2], "messi5.jpg")).convert("L"))
save("messi_gray", gray)
gi = cv2.resize(gray.astype(np.float32), (96, 96), interpolation=cv2.INTER_LINEAR) / 255.0
save("chain_gray", np.stack([gi] * 3)[None].astype(np.float32))

# f) upscaling a tiny source (7x5) into a 32x32 letterbox, 0-255
tiny = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
save("tiny_rgb", tiny)
im, g = letterbox(tiny.astype(np.float32), 32, 32, 7.0)
save("chain_tiny", im.transpose(2, 0, 1)[None].astype(np.float32))

# uint8 interleaved resize: cv2 on float32 then rounded (cv2's uint8 path uses
# 11-bit fixed point weights, so it can differ by 1 level)
r8 = cv2.resize(srcf, (200, 123), interpolation=cv2.INTER_LINEAR)
save("resize_u8_200x123", np.clip(np.floor(r8 + 0.5), 0, 255).astype(np.uint8))
save("resize_u8_cv2_200x123", cv2.resize(src, (200, 123), interpolation=cv2.INTER_LINEAR))

