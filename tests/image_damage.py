"""image_damage.py -- still images with one flipped byte, decoded as the
ffmpeg CLI and PIL decode them (issue #13 §3, "Damaged still images").

usage: image_damage.py VISIOND SOURCE_DIR IMAGE

About 70 copies of IMAGE (messi5.jpg), each with one byte inverted
(x ^ 0xFF) at a fixed position: each of bytes 3..32 (APP0, COM), 10 every
30 bytes after (tables, frame header) and 30 spread evenly over the file
(mostly entropy-coded data). For
each, the references are `ffmpeg -i x.jpg -f framemd5 -` (the CLI: did it
output a frame, did it log errors?) and PIL (Image.open().load()). Asserted:
  - `visiond detect x.jpg --motion` outputs the frame for
    every copy the ffmpeg CLI decodes, with "damaged": true exactly when
    FFmpeg logged errors for it, and fails naming the file and a reason for
    every copy it does not decode;
  - every copy PIL decodes, visiond decodes too;
  - the daemon: POST /api/v1/detect and /v1/vision/detection with each copy
    ffmpeg decodes answer 200, with "damaged": true when FFmpeg logged
    errors, as the CLI says; the copies it does not decode get 400; /api/v1/models counts the
    damaged ones in images_damaged.
Prints the counts (the figures of docs/fuzz.md). Exits 77 (ctest SKIP)
without the BlazeFace model of setup.sh's test assets. ~150 processes:
~30 s on 2 idle cores; 2 min 10 s seen at a load average of 20.
"""
import json
import os
import subprocess
import sys
import tempfile
import uuid

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_lib import Daemon, check, run, write_config  # noqa: E402

VISIOND, SRC, IMAGE = sys.argv[1:4]
SRC = os.path.abspath(SRC)
CARD = os.path.join(SRC, "config/models/blazeface-back.json")
FFMPEG = os.environ.get("FFMPEG", "ffmpeg")


def positions(n):
    head = list(range(3, 33))                    # SOI's last byte, APP0, COM
    tables = [45 + 30 * k for k in range(10)]    # DQT, SOF, DHT
    spread = [3 + (k * (n - 4)) // 30 for k in range(30)]  # mostly scan data
    return sorted(set(head + tables + spread))


def ffmpeg_ref(path):
    p = subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-i", path, "-f", "framemd5", "-"],
                       capture_output=True, text=True)
    frames = sum(1 for line in p.stdout.splitlines() if line and not line.startswith("#"))
    return frames > 0, bool(p.stderr.strip())


def pil_ref(path):
    try:
        with Image.open(path) as im:
            im.load()
        return True
    except Exception:  # PIL raises OSError, SyntaxError, ValueError... for bad data
        return False


def cli(path):
    # --motion: no model to load; the frame line and its "damaged" are the same
    p = subprocess.run([VISIOND, "detect", path, "--motion"], capture_output=True, text=True)
    lines = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, lines, p.stderr


def multipart(data):
    b = uuid.uuid4().hex
    return (f"--{b}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{b}--\r\n".encode(), \
        f"multipart/form-data; boundary={b}"


def check_cli(name, path, ff_ok, ff_err, pil_ok):
    rc, lines, err = cli(path)
    if ff_ok or pil_ok:
        check(rc == 0 and len(lines) == 1, f"{name}: ffmpeg/PIL decode it, visiond detect: "
                                           f"exit {rc}, {len(lines)} lines\n{err}")
        damaged = lines[0].get("damaged", False)
        check(damaged or not ff_err, f"{name}: ffmpeg logged errors, visiond did not flag it")
        return damaged
    last = err.strip().splitlines()[-1] if err.strip() else ""
    check(rc != 0 and path in last and len(last) > len(path) + 20,
          f"{name}: ffmpeg refuses it; visiond detect: exit {rc}, '{last}'")
    return False


def check_daemon(d, copies):
    damaged = 0
    for name, data, ff_ok, ff_err, sniffed, cli_damaged in copies:
        st, _, body = d.request("POST", "/api/v1/detect", data, "image/jpeg")
        st2, _, body2 = d.request("POST", "/v1/vision/detection", *multipart(data))
        # a copy whose magic bytes are gone is not an image upload at all
        want = 200 if ff_ok and sniffed else 400
        check(st == want and st2 == want, f"{name}: POST {st} / DeepStack {st2}, want {want}: "
                                          f"{body[:200]!r}")
        if want == 200:
            a, b = json.loads(body), json.loads(body2)
            da, db = a.get("damaged", False), b.get("damaged", False)
            check(da == db == cli_damaged and (da or not ff_err),
                  f"{name}: damaged {da} / {db}, CLI {cli_damaged}, ffmpeg errors {ff_err}")
            damaged += 2 * da
    models = d.get("/api/v1/models")["models"]
    got = sum(m["images_damaged"] for m in models)
    check(got == damaged, f"/api/v1/models images_damaged {got}, want {damaged}")
    return damaged


def flips(tmp, counts):
    src = open(IMAGE, "rb").read()
    copies = []
    for pos in positions(len(src)):
        b = bytearray(src)
        b[pos] ^= 0xFF
        name = f"{os.path.basename(IMAGE)}@{pos}"
        path = os.path.join(tmp, f"flip{pos}.jpg")
        with open(path, "wb") as f:
            f.write(b)
        ff_ok, ff_err = ffmpeg_ref(path)
        pil_ok = pil_ref(path)
        damaged = check_cli(name, path, ff_ok, ff_err, pil_ok)
        counts["copies"] += 1
        counts["ffmpeg"] += ff_ok
        counts["ffmpeg_errors"] += ff_ok and ff_err
        counts["pil"] += pil_ok
        counts["visiond"] += ff_ok or pil_ok
        counts["damaged"] += damaged
        counts["damaged_ffmpeg_silent"] += damaged and not ff_err
        counts["refused"] += not (ff_ok or pil_ok)
        copies.append((name, bytes(b), ff_ok, ff_err, b[:3] == b"\xff\xd8\xff", damaged))
    return copies


def main(tmp):
    counts = {"copies": 0, "ffmpeg": 0, "ffmpeg_errors": 0, "pil": 0, "visiond": 0,
              "damaged": 0, "damaged_ffmpeg_silent": 0, "refused": 0}
    copies = flips(tmp, counts)
    cfg = os.path.join(tmp, "visiond.yaml")
    write_config(cfg, [], {"face": {"card": CARD}})
    d = Daemon(VISIOND, tmp, cfg).start()
    try:
        counts["daemon_damaged_answers"] = check_daemon(d, copies)
        d.stop()
    finally:
        d.kill()
    print("image_damage:", json.dumps(counts))


if __name__ == "__main__":
    if not os.path.exists(os.path.join(os.path.dirname(CARD), json.load(open(CARD))["path"])):
        print("skipped: the BlazeFace model of setup.sh's test assets is missing")
        sys.exit(77)
    run(main, "vd-image-damage-")
