#!/usr/bin/python3
"""reader_cli.py -- integration tests of `visiond frames`/`probe` against the
ffmpeg CLI's `-f framemd5` (the reference nobody here wrote).

usage: reader_cli.py VISIOND FFMPEG [--gen DIR] [FILE...]

--gen DIR encodes more clips into DIR with the ffmpeg CLI (H.264 with
B-frames in MP4; H.264 in MPEG-TS starting at 10 s; open-GOP H.264 and HEVC
with scene cuts in Matroska) and checks them too.

For each file: every frame (pts and md5) equals framemd5 with the pixel
format left native; --start/--end/--step/--count/--fps/--keyframes/--indices
deliver exactly the reference frames the documented semantics pick
(computed here from the reference list, independently of the reader);
--pix-fmt rgb24 equals framemd5 of `-pix_fmt rgb24`; and the exit codes for
bad arguments (2) and bad inputs (1). Exits non-zero on the first mismatch.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

VISIOND, FFMPEG = sys.argv[1], sys.argv[2]
FILES = sys.argv[3:]


def generate(d):
    os.makedirs(d, exist_ok=True)
    src = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4"]
    x264 = ["-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", "30",
            "-pix_fmt", "yuv420p"]
    out = [os.path.join(d, "gen_bframes.mp4"), os.path.join(d, "gen_start10.ts")]
    subprocess.run([FFMPEG, "-v", "error", "-y", *src, *x264, out[0]], check=True)
    subprocess.run([FFMPEG, "-v", "error", "-y", *src, *x264, "-output_ts_offset", "10",
                    out[1]], check=True)
    # Open GOPs with scene cuts: concatenated sources make x264/x265 put
    # recovery-point I-frames (H.264) and CRA pictures (HEVC) off the grid.
    cuts = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
            "-f", "lavfi", "-i", "smptebars=size=320x240:rate=25:duration=3",
            "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=25,trim=duration=5",
            "-filter_complex", "[0][1][2]concat=n=3:v=1[v]", "-map", "[v]", "-pix_fmt", "yuv420p"]
    og = "open-gop=1:keyint=90:min-keyint=10:scenecut=40"
    for name, codec in [("gen_open_gop_h264.mkv", ["-c:v", "libx264", "-bf", "3",
                                                    "-x264-params", og]),
                        ("gen_open_gop_hevc.mkv", ["-c:v", "libx265", "-x265-params",
                                                   "log-level=error:bframes=3:" + og])]:
        out.append(os.path.join(d, name))
        subprocess.run([FFMPEG, "-v", "error", "-y", *cuts, *codec, out[-1]], check=True)
    return out


if FILES[:1] == ["--gen"]:
    FILES = FILES[2:] + generate(FILES[1])


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def reference(path, extra=()):
    """[(pts_seconds, md5)] of the first video stream, timestamps kept."""
    cmd = [FFMPEG, "-v", "error", "-copyts", "-i", path, "-map", "0:v:0",
           "-fps_mode", "passthrough", *extra, "-f", "framemd5", "-"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    tb, frames = None, []
    for line in out.splitlines():
        if line.startswith("#tb 0:"):
            n, d = line.split(":")[1].strip().split("/")
            tb = int(n) / int(d)
        elif line and not line.startswith("#"):
            f = [x.strip() for x in line.split(",")]
            frames.append((int(f[2]) * tb, f[5]))
    return frames


def keyflags(path):
    """Presentation times of the key frames of a full decode (ffprobe)."""
    probe = os.path.join(os.path.dirname(FFMPEG), "ffprobe")
    cmd = [probe, "-v", "error", "-select_streams", "v:0", "-show_entries",
           "frame=key_frame,best_effort_timestamp_time", "-of", "csv=p=0", path]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = [l.split(",") for l in out.splitlines() if l]
    return [float(r[1]) for r in rows if r[0] == "1"]


def is_key(pts, keys):
    return any(abs(pts - k) < 1e-5 for k in keys)


def frames(path, *args, expect_rc=0):
    p = subprocess.run([VISIOND, "frames", path, "--md5", *args], capture_output=True, text=True)
    if p.returncode != expect_rc:
        fail(f"visiond frames {path} {' '.join(args)}: exit {p.returncode}, want {expect_rc}\n"
             f"{p.stderr}")
    return [json.loads(l) for l in p.stdout.splitlines()]


def same(name, got, want, tol=1.5e-6):
    if len(got) != len(want):
        fail(f"{name}: {len(got)} frames, reference has {len(want)}")
    for i, (g, (pts, md5)) in enumerate(zip(got, want)):
        if g["md5"] != md5 or abs(g["pts"] - pts) > tol:
            fail(f"{name}: frame {i}: got pts {g['pts']} md5 {g['md5']}, want {pts} {md5}")
    print(f"ok  {name}: {len(got)} frames")


def fps_pick(ref, fps):
    out, t0, nxt = [], None, 0
    for pts, md5 in ref:
        if t0 is None:
            t0 = pts
        if pts < t0 + nxt / fps - 1e-6:
            continue
        nxt = math.floor((pts - t0) * fps + 1e-6) + 1
        out.append((pts, md5))
    return out


def check_file(path):
    name = os.path.basename(path)
    ref = reference(path)
    if not ref:
        fail(f"{name}: the reference has no frames")
    same(f"{name} all", frames(path), ref)
    dur = ref[-1][0] - ref[0][0]
    s, e = ref[0][0] + dur * 0.3, ref[0][0] + dur * 0.6
    mid = ref[len(ref) // 2][0]
    same(f"{name} --start {s:.4f} --end {e:.4f}",
         frames(path, "--start", f"{s:.6f}", "--end", f"{e:.6f}"),
         [f for f in ref if s <= f[0] < e])
    same(f"{name} --start at frame pts", frames(path, "--start", f"{mid:.6f}", "--count", "5"),
         [f for f in ref if f[0] >= mid - 1e-6][:5])
    same(f"{name} --step 7", frames(path, "--step", "7"), ref[::7])
    same(f"{name} --start --step 30 --count 4",
         frames(path, "--start", f"{s:.6f}", "--step", "30", "--count", "4"),
         [f for f in ref if f[0] >= s][::30][:4])
    same(f"{name} --fps 3", frames(path, "--fps", "3"), fps_pick(ref, 3))
    keys = keyflags(path)
    kref = [f for f in ref if is_key(f[0], keys)]
    same(f"{name} --keyframes", frames(path, "--keyframes"), kref)
    same(f"{name} --keyframes --start {s:.4f} --end {e:.4f}",
         frames(path, "--keyframes", "--start", f"{s:.6f}", "--end", f"{e:.6f}"),
         [f for f in kref if s <= f[0] < e])
    idx = [len(ref) - 1, 3, 3, len(ref) // 2, 0, len(ref) // 2]
    got = frames(path, "--indices", ",".join(map(str, idx)))
    same(f"{name} --indices {idx}", got, [ref[i] for i in idx])
    if [g["index"] for g in got] != idx:
        fail(f"{name}: --indices reported {[g['index'] for g in got]}")
    same(f"{name} past the end", frames(path, "--start", f"{ref[-1][0] + 100:.3f}"), [])
    check_at(path, name, ref)
    rgb = reference(path, ["-pix_fmt", "rgb24"])[:10]
    same(f"{name} --pix-fmt rgb24", frames(path, "--pix-fmt", "rgb24", "--count", "10"), rgb)


def played_at(ref, t):
    """The frame on screen at t: the last with pts <= t (pts as printed)."""
    return [f for f in ref if f[0] <= t + 1e-6][-1]


def check_at(path, name, ref):
    if "Megamind" in name:  # packets without pts: --at is documented unsupported
        frames(path, "--at", "1", expect_rc=1)
        return
    k = [len(ref) // 2, 3, len(ref) - 2, 3]
    ts = [ref[k[0]][0], (ref[k[1]][0] + ref[k[1] + 1][0]) / 2, ref[k[2] + 1][0] - 1e-4,
          ref[k[3]][0] + 1e-4]
    got = frames(path, "--at=" + ",".join(f"{t:.6f}" for t in ts))
    same(f"{name} --at {ts}", got, [played_at(ref, t) for t in ts])
    frames(path, "--at", f"{ref[-1][0] + 100:.6f}", expect_rc=1)
    if ref[0][0] > 0.5:
        frames(path, "--at", f"{ref[0][0] - 0.5:.6f}", expect_rc=1)


def check_npy(path):
    """--npy: numpy reads [N,H,W,C] uint8 whose rows are ffmpeg's rgb24
    frames, and [N,3,H,W] float32 = those bytes / 255."""
    import hashlib
    import numpy as np
    name = os.path.basename(path)
    rgb = reference(path, ["-pix_fmt", "rgb24"])[::9]
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "a.npy"), os.path.join(d, "b.npy")
        frames(path, "--step", "9", "--pix-fmt", "rgb24", "--npy", a)
        frames(path, "--step", "9", "--pix-fmt=rgbf32", "--npy=" + b)
        x, y = np.load(a), np.load(b)
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[0] != len(rgb) or x.shape[3] != 3:
            fail(f"{name} --npy rgb24: {x.dtype} {x.shape}, want [{len(rgb)},H,W,3] uint8")
        for i, (pts, md5) in enumerate(rgb):
            if hashlib.md5(x[i].tobytes()).hexdigest() != md5:
                fail(f"{name} --npy rgb24: frame {i} differs from ffmpeg's rgb24")
        if y.dtype != np.float32 or y.shape != (x.shape[0], 3, x.shape[1], x.shape[2]):
            fail(f"{name} --npy rgbf32: {y.dtype} {y.shape}")
        if not np.allclose(y, x.transpose(0, 3, 1, 2) / 255.0, rtol=0, atol=1e-7):
            fail(f"{name} --npy rgbf32 is not rgb24 / 255")
        g = os.path.join(d, "g.npy")
        frames(path, "--start", "9999", "--size", "32x16", "--pix-fmt", "gray", "--npy", g)
        if np.load(g).shape != (0, 16, 32, 1):
            fail(f"{name} --npy of no frames: {np.load(g).shape}")
        frames(path, "--npy", g, expect_rc=2)  # native pixels have no array layout
    print(f"ok  {name} --npy: {x.shape} uint8 and {y.shape} float32 read by numpy")


def check_cli_errors(path):
    bad = [["--start", "-1"], ["--start", "5", "--end", "2"], ["--step", "0"],
           ["--pix-fmt", "yuv9"], ["--fps", "0"], ["--size", "12"], ["--count", "x"],
           ["--indices", "1,a"], ["--indices", "1", "--step", "2"], ["--bogus"],
           ["--at", "1,x"], ["--at", "-1"], ["--at", "1", "--indices", "2"], ["--at=1", "--end=3"]]
    for args in bad:
        p = subprocess.run([VISIOND, "frames", path, *args], capture_output=True, text=True)
        if p.returncode != 2 or not p.stderr.strip():
            fail(f"frames {args}: exit {p.returncode} stderr {p.stderr!r}, want 2 + message")
    print(f"ok  bad arguments exit 2 ({len(bad)} cases)")
    with tempfile.TemporaryDirectory() as d:
        missing = os.path.join(d, "missing.mp4")
        junk = os.path.join(d, "junk.mp4")
        with open(junk, "wb") as f:
            f.write(b"this is not a video" * 100)
        for bad_input, word in [(missing, "no such file"), (junk, "junk.mp4")]:
            for cmd in (["frames", bad_input], ["probe", bad_input]):
                p = subprocess.run([VISIOND, *cmd], capture_output=True, text=True)
                if p.returncode != 1 or word not in p.stderr:
                    fail(f"{cmd}: exit {p.returncode} stderr {p.stderr!r}, want 1 naming {word}")
        p = subprocess.run([VISIOND, "frames", path, "--stream", "audio"], capture_output=True,
                           text=True)
        if has_audio(path):
            pass
        elif p.returncode != 1 or "no audio stream" not in p.stderr:
            fail(f"--stream audio on a silent file: exit {p.returncode} {p.stderr!r}")
        pngdir = os.path.join(d, "png")
        got = frames(path, "--count", "2", "--size", "64x48", "--out", pngdir)
        if len(os.listdir(pngdir)) != 2 or any(g["width"] != 64 for g in got):
            fail("--out did not write 2 images of 64 px")
    print("ok  input errors exit 1 with the input named; --out writes images")


def has_audio(path):
    p = subprocess.run([VISIOND, "probe", path], capture_output=True, text=True, check=True)
    return any(s["type"] == "audio" for s in json.loads(p.stdout)["streams"])


def check_probe(path):
    p = subprocess.run([VISIOND, "probe", path], capture_output=True, text=True, check=True)
    j = json.loads(p.stdout)
    v = [s for s in j["streams"] if s["type"] == "video"]
    if not v or v[0]["width"] <= 0 or not v[0]["codec"] or j["duration"] <= 0:
        fail(f"probe {path}: {p.stdout}")
    print(f"ok  probe {os.path.basename(path)}: {v[0]['codec']} {v[0]['width']}x{v[0]['height']}")


for f in FILES:
    check_probe(f)
    check_file(f)
check_npy(FILES[-1])
check_cli_errors(next((f for f in FILES if not has_audio(f)), FILES[0]))
print("all passed")
