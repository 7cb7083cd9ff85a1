#!/usr/bin/python3
"""gen_seeds.py -- (re)writes the committed seed corpora in tests/fuzz/seeds/.

  seeds/config/  YAML configs: the example config, every section and key,
                 flow and block style, quoted scalars, errors the validator
                 names (bad types, ranges, unknown keys)
  seeds/card/    model cards: the repo's config/models/*.json and variants
  seeds/http/    raw HTTP/1.1 requests, one per route and then some: query
                 arguments, JSON bodies, multipart and urlencoded forms
                 with a small JPEG, chunked bodies, keep-alive pairs
  seeds/image/   small JPEGs (baseline 4:2:0/4:2:2/4:4:4, progressive,
                 grey, restart markers) and PNGs (grey, palette, alpha,
                 16-bit, interlaced), then one selector byte (fuzz_image.c)
  seeds/reader/  1-second 32x24 clips from the ffmpeg CLI in the forced
                 formats of fuzz_reader.c, each prefixed with its selector
                 byte (and once with 0: probing)

Every file is a few KB at most; run this after changing a harness's input
layout and commit the result. Needs python3-pil and the ffmpeg CLI.
usage: gen_seeds.py [OUTDIR]   (default: the seeds/ folder beside this file)"""
import io
import json
import os
import subprocess
import sys
import tempfile

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOKEN = "fuzz-token"  # fuzz_http.c's


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def picture(w, h, mode="RGB"):
    img = Image.new("RGB", (w, h))
    img.putdata([((x * 37) % 256, (y * 53) % 256, ((x + y) * 11) % 256)
                 for y in range(h) for x in range(w)])
    return img.convert(mode)


def encode(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def image_seeds(out):
    jpegs = {
        "j420": encode(picture(24, 16), "JPEG", quality=80),
        "j422": encode(picture(24, 16), "JPEG", quality=80, subsampling=1),
        "j444": encode(picture(17, 9), "JPEG", quality=90, subsampling=0),
        "jprog": encode(picture(24, 16), "JPEG", progressive=True),
        "jgray": encode(picture(16, 16, "L"), "JPEG"),
        "jcmyk": encode(picture(8, 8, "CMYK"), "JPEG"),
    }
    pngs = {
        "prgb": encode(picture(12, 8), "PNG"),
        "pgray": encode(picture(12, 8, "L"), "PNG"),
        "ppal": encode(picture(12, 8).convert("P"), "PNG"),
        "prgba": encode(picture(12, 8, "RGBA"), "PNG"),
        "pla": encode(picture(12, 8, "LA"), "PNG"),
        "p16": encode(Image.new("I;16", (6, 4), 40000), "PNG"),
        "pinter": encode(picture(12, 8), "PNG", interlace=1),
    }
    # restart markers: PIL has no option for them; ffmpeg's mjpeg has none
    # either, so take libjpeg's via OpenCV when present
    for name, data in {**jpegs, **pngs}.items():
        for sel in (0, 9):  # RGB u8 64 Mpx; RGB f32 4096 px
            write(os.path.join(out, f"{name}_{sel}"), data + bytes([sel]))


FORMATS = ["", "mov", "matroska", "avi", "mpegts", "h264", "hevc", "mjpeg", "mpjpeg", "flv",
           "rawvideo"]  # fuzz_reader.c's table (index = low nibble)


def reader_seeds(out):
    clips = [  # (selector format, ffmpeg args producing it)
        ("mov", ["-c:v", "libx264", "-f", "mp4"]),
        ("matroska", ["-c:v", "libx264", "-f", "matroska"]),
        ("avi", ["-c:v", "mpeg4", "-f", "avi"]),
        ("mpegts", ["-c:v", "mpeg2video", "-f", "mpegts"]),
        ("h264", ["-c:v", "libx264", "-bsf:v", "h264_mp4toannexb", "-f", "h264"]),
        ("hevc", ["-c:v", "libx265", "-x265-params", "log-level=0", "-f", "hevc"]),
        ("mjpeg", ["-c:v", "mjpeg", "-f", "mjpeg"]),
        ("mpjpeg", ["-c:v", "mjpeg", "-f", "mpjpeg"]),
        ("flv", ["-c:v", "flv1", "-f", "flv"]),
    ]
    src = ["-f", "lavfi", "-i", "testsrc=size=32x24:rate=5:duration=1"]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, args in clips:
            path = os.path.join(tmp, fmt)
            extra = ["-g", "3", "-pix_fmt", "yuv420p"] if fmt not in ("mjpeg", "mpjpeg") else []
            r = subprocess.run(["ffmpeg", "-v", "error", "-y", *src, *extra, *args, path],
                               capture_output=True)
            if r.returncode:
                print(f"skipped {fmt}: {r.stderr.decode().strip()}", file=sys.stderr)
                continue
            data = open(path, "rb").read()
            sel = FORMATS.index(fmt)
            write(os.path.join(out, f"{fmt}"), bytes([sel]) + data)
            write(os.path.join(out, f"{fmt}_probe_seek"), bytes([0x20]) + data)
        wav = os.path.join(tmp, "a.wav")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=8000:duration=0.2", wav], check=True)
        write(os.path.join(out, "wav_audio"), bytes([0x10]) + open(wav, "rb").read())


CONFIG_BASE = """http:
  listen: 127.0.0.1:8080
  token_file: null
  max_body: 16777216
  max_connections: 256
  connection_timeout: 30
store:
  path: visiond.db
  retention: {days: 7, max_rows: 1000000}
sources:
  schemes: [rtsp, rtsps, http, https, file, v4l2]
  media_dirs: [media, /tmp]
models:
  coco:
    card: models/centernet-coco.json
    threads: 1
    max_batch: 8
    max_wait_ms: 20
  face: {card: face.json}
deepstack_model: coco
streams:
  - id: sample
    url: media/vtest.avi
    rtsp_transport: tcp
    timeout: 10
    reconnect: {min: 1, max: 60}
    realtime: true
    backpressure: drop
    loop: true
    fps: 5
    detect: {model: coco, threshold: 0.4, classes: [person, car], enabled: true}
    motion: {gate: true, detect: false}
    track: true
    zones:
      entrance: [[0.0, 0.45], [0.35, 0.45], [0.35, 1.0], [0.0, 1.0]]
  - {id: cam-2, url: "rtsp://user:pass@10.0.0.1/stream", detect: {model: face}}
"""


def config_seeds(out):
    write(os.path.join(out, "example.yaml"), open(os.path.join(ROOT, "config/visiond.yaml")).read())
    write(os.path.join(out, "all_keys.yaml"), CONFIG_BASE)
    variants = {
        "empty.yaml": "",
        "null_doc.yaml": "~\n",
        "flow.yaml": '{http: {listen: "[::1]:0"}, streams: [{id: a, url: /dev/video0, fps: 0}]}\n',
        "quoted.yaml": 'http:\n  listen: "127.0.0.1:8080"\n  max_body: "5"\nstore: {path: \'x.db\'}\n',
        "bad_range.yaml": "streams:\n  - id: a\n    url: x.mp4\n    detect: {threshold: 1.5}\n",
        "unknown_key.yaml": "htp: {}\n",
        "alias.yaml": "a: &x {listen: 1}\nhttp: *x\n",
        "multi_doc.yaml": "http: {}\n---\nstore: {}\n",
        "tags.yaml": "http: !!map {listen: !!str 127.0.0.1:1}\n",
        "deep.yaml": "streams: " + "[" * 40 + "]" * 40 + "\n",
        "zones.yaml": "streams:\n  - id: z\n    url: v.mp4\n    zones: {a: [[0,0],[1,0],[1,1]], b: []}\n",
        "backpressure.yaml": "streams:\n  - {id: b, url: 'file:v.mp4', backpressure: block, reconnect: {min: 5, max: 1}}\n",
    }
    for name, text in variants.items():
        write(os.path.join(out, name), text)


def card_seeds(out):
    cards = os.path.join(ROOT, "config/models")
    for f in sorted(os.listdir(cards)):
        write(os.path.join(out, f), open(os.path.join(cards, f)).read())
    full = {
        "path": "m.onnx", "kind": "ssd", "labels": "face.txt",
        "input": {"size": [128, 128], "resize": "letterbox", "pad_value": 0,
                  "interpolation": "nearest", "antialias": True, "layout": "nhwc",
                  "channels": "bgr", "range": "0-255", "mean": [0.5, 0.5, 0.5],
                  "std": [0.5, 0.5, 0.5]},
        "threshold": 0.5, "iou": 0.3, "max_detections": 100, "top_k": 5,
        "classes": ["person", "car"], "outputs": ["a", "b"],
        "filters": [{"label": "person", "min_area": 400, "max_area": 0, "min_aspect": 0,
                     "max_aspect": 0}],
        "ssd": {"strides": [8, 16, 16, 16], "anchors_per_layer": 2, "anchor_offset": 0.5,
                "keypoints": 6, "nms": "weighted"},
        "description": "every key",
    }
    write(os.path.join(out, "all_keys.json"), json.dumps(full, indent=1))
    write(os.path.join(out, "minimal.json"), '{"path": "x.onnx"}')
    write(os.path.join(out, "dup_key.json"), '{"path": "a", "path": "b"}')


def req(method, path, body=b"", headers=(), token=True):
    h = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if token:
        h.append(f"Authorization: Bearer {TOKEN}")
    h += list(headers)
    if (body or method in ("POST", "PATCH", "PUT")) and not any(
            x.startswith("Content-Length") for x in headers):
        h.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def multipart(fields, boundary="xYzZY"):
    out = b""
    for name, value, fname, ctype in fields:
        out += f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"".encode()
        if fname:
            out += f"; filename=\"{fname}\"".encode()
        out += b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def http_seeds(out):
    jpeg = encode(picture(16, 16), "JPEG", quality=50)
    form = multipart([("image", jpeg, "a.jpg", "image/jpeg"), ("min_confidence", b"0.4", None, None),
                      ("api_key", TOKEN.encode(), None, None), ("other", b"x", None, None)])
    mp = ["Content-Type: multipart/form-data; boundary=xYzZY"]
    stream = json.dumps({"id": "cam1", "url": "rtsp://10.0.0.1/s", "fps": 2,
                         "detect": {"model": "coco", "threshold": 0.5, "classes": ["person"]},
                         "zones": {"door": [[0, 0], [1, 0], [1, 1]]}}).encode()
    js = ["Content-Type: application/json"]
    seeds = {
        "health": req("GET", "/api/v1/health", token=False),
        "streams": req("GET", "/api/v1/streams"),
        "streams_post": req("POST", "/api/v1/streams", stream, js),
        "streams_get": req("GET", "/api/v1/streams/cam1"),
        "streams_patch": req("PATCH", "/api/v1/streams/cam1", b'{"fps": null, "loop": true}', js),
        "streams_delete": req("DELETE", "/api/v1/streams/cam1"),
        "snapshot": req("GET", "/api/v1/streams/cam1/snapshot.jpg?annotate=1"),
        "detections": req("GET", "/api/v1/detections?stream=cam1&label=person&zone=door"
                                 "&since=2024-01-01T00:00:00Z&until=2030-01-01T00:00:00Z"
                                 "&min_score=0.5&limit=10"),
        "detections_cursor": req("GET", "/api/v1/detections?since=1700000000&cursor=abc"),
        "events": req("GET", "/api/v1/events?stream=a&type=new&limit=2"),
        "event": req("GET", "/api/v1/events/12"),
        "event_snap": req("GET", "/api/v1/events/12/snapshot.jpg"),
        "live": req("GET", "/api/v1/live?stream=cam1&types=detection,event"),
        "detect": req("POST", "/api/v1/detect?model=coco&min_score=0.3", jpeg,
                      ["Content-Type: image/jpeg"]),
        "models": req("GET", "/api/v1/models"),
        "stats": req("GET", "/api/v1/stats"),
        "metrics": req("GET", "/metrics"),
        "console": req("GET", "/", token=False),
        "console_js": req("GET", "/console.js", headers=["Accept-Encoding: gzip"], token=False),
        "deepstack": req("POST", "/v1/vision/detection", form, mp, token=False),
        "deepstack_custom": req("POST", "/v1/vision/custom/face", form, mp, token=False),
        "deepstack_urlenc": req("POST", "/v1/vision/detection", b"min_confidence=0.5&api_key=" + TOKEN.encode() + b"&image=%FF%D8%FF",
                                ["Content-Type: application/x-www-form-urlencoded"], token=False),
        "no_token": req("GET", "/api/v1/streams", token=False),
        "method": req("PUT", "/api/v1/health", b"{}", js),
        "not_found": req("GET", "/nope/../../etc/passwd?x=%00"),
        "bad_ctype": req("POST", "/api/v1/streams", stream, ["Content-Type: text/plain"]),
        "too_large": req("POST", "/api/v1/detect", b"", ["Content-Type: image/png",
                                                         "Content-Length: 99999999999"]),
    }
    chunked = (b"POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
               b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
               f"{len(stream):x}\r\n".encode() + stream + b"\r\n0\r\n\r\n")
    seeds["chunked"] = chunked
    seeds["keepalive_pair"] = req("GET", "/api/v1/health", token=False) + req("GET", "/api/v1/stats")
    seeds["http10"] = b"GET /api/v1/health HTTP/1.0\r\n\r\n"
    for name, data in seeds.items():
        write(os.path.join(out, name), data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "seeds")
    image_seeds(os.path.join(out, "image"))
    reader_seeds(os.path.join(out, "reader"))
    config_seeds(os.path.join(out, "config"))
    card_seeds(os.path.join(out, "card"))
    http_seeds(os.path.join(out, "http"))


if __name__ == "__main__":
    main()
