#!/usr/bin/python3
"""PIL (libjpeg/zlib) as the reference decoder/encoder for tests/test_image.c.

  image_ref.py refs OUTDIR DATADIR   PIL decodes of the sample images, extra
                                     images PIL makes (16-bit PNG, gray
                                     JPEG, 4:4:4 JPEG) and libjpeg's quant
                                     tables for several qualities
  image_ref.py decode IN OUT.npy     PIL decode of a file we wrote (RGB or L)
  image_ref.py qtables IN OUT.npy    the DQT tables of a JPEG, natural order
"""
import os
import sys

import numpy as np
from PIL import Image

JPEGS = ["messi5.jpg", "baboon.jpg", "Blender_Suzanne1.jpg", "starry_night.jpg", "ellipses.jpg"]
PNGS = ["pic1.png", "box.png", "opencv-logo-white.png", "imageTextN.png", "mask.png"]


def qtables(path):
    q = Image.open(path).quantization
    return np.array([list(q[0]), list(q[1] if 1 in q else q[0])], np.int64)


def refs(out, data):
    os.makedirs(out, exist_ok=True)
    for f in JPEGS + PNGS:
        im = Image.open(os.path.join(data, f))
        stem = f.rsplit(".", 1)[0]
        np.save(os.path.join(out, stem + "_rgb.npy"), np.asarray(im.convert("RGB")))
        np.save(os.path.join(out, stem + "_l.npy"), np.asarray(im.convert("L")))
        np.save(os.path.join(out, stem + "_rgba.npy"), np.asarray(im.convert("RGBA")))
    # 16-bit gray PNG with a known ramp
    ramp = (np.arange(64 * 48, dtype=np.uint32).reshape(48, 64) * 21).astype(np.uint16)
    Image.fromarray(ramp, "I;16").save(os.path.join(out, "gray16.png"))
    np.save(os.path.join(out, "gray16.npy"), ramp)
    # libjpeg's tables at several qualities (PIL encodes with libjpeg)
    src = Image.open(os.path.join(data, "messi5.jpg")).convert("RGB")
    for q in (10, 50, 75, 90, 95):
        p = os.path.join(out, "pil_q%d.jpg" % q)
        src.save(p, quality=q)
        np.save(os.path.join(out, "qtables_pil_q%d.npy" % q), qtables(p))


def main():
    mode = sys.argv[1]
    if mode == "refs":
        refs(sys.argv[2], sys.argv[3])
    elif mode == "decode":
        im = Image.open(sys.argv[2])
        im = im.convert("L" if im.mode in ("L", "LA") else "RGB")
        np.save(sys.argv[3], np.asarray(im))
    elif mode == "qtables":
        np.save(sys.argv[3], qtables(sys.argv[2]))
    else:
        sys.exit("unknown mode " + mode)


main()
