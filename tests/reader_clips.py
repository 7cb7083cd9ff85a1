#!/usr/bin/python3
"""reader_clips.py -- `visiond clips` against torchvision's VideoClips
arithmetic, reimplemented here from its documented behaviour (torchvision is
not installed): VideoClips lists, per video, every window of
clip_length_in_frames frames taken frames_between_clips apart, on the video
resampled to frame_rate; clips are numbered across the videos in order.

usage: reader_clips.py VISIOND FFMPEG DIR

Clips are encoded into DIR with the ffmpeg CLI (30, 29.97 and 25 fps). The
reference takes each video's frame timestamps from ffprobe's packets
(torchvision's read_video_timestamps fast path: packet pts, sorted) and its
average frame rate. Materialised clips are checked against framemd5.
"""
import hashlib
import json
import math
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np

VISIOND, FFMPEG, DIR = sys.argv[1:4]
FFPROBE = os.path.join(os.path.dirname(FFMPEG), "ffprobe")


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


# ---- the reference: torchvision's documented index arithmetic ----------

def resample_idx(num_frames, fps, new_fps):
    """_resample_video_idx: an integer step is a plain slice of the whole
    video; otherwise torch.arange(num_frames, float32) * step, floored."""
    step = float(fps) / new_fps
    if step.is_integer():
        return slice(None, None, int(step))
    return np.floor(np.arange(num_frames, dtype=np.float32) * np.float32(step)).astype(np.int64)


def windows(n, size, step):
    """unfold(): starts of all windows of `size`, `step` apart; [] if none."""
    count = (n - size) // step + 1
    return [i * step for i in range(max(count, 0))]


def clips_for_video(pts, num_frames, step, fps, frame_rate=None):
    """compute_clips_for_video: (clip pts lists, clip original-index lists)."""
    if frame_rate is None:
        frame_rate = fps
    total = len(pts) * (float(frame_rate) / fps)
    idx = resample_idx(int(math.floor(total)), fps, frame_rate)
    orig = np.arange(len(pts))[idx]
    return [(pts[orig[s:s + num_frames]], orig[s:s + num_frames].tolist())
            for s in windows(len(orig), num_frames, step)]


def known_cases():
    """Hand-computed: 10 frames at 30 fps resampled to 12 (step 2.5) keep
    floor(10 * 0.4) = 4 frames 0, 2, 5, 7; to 15 (step 2) a slice 0, 2, ..., 8;
    to 60 (step 0.5) 20 frames, each twice."""
    pts = np.arange(10) * 100
    c = clips_for_video(pts, 2, 1, 30.0, 12)
    assert [i for _, i in c] == [[0, 2], [2, 5], [5, 7]], c
    c = clips_for_video(pts, 3, 2, 30.0, 15)
    assert [i for _, i in c] == [[0, 2, 4], [4, 6, 8]], c
    c = clips_for_video(pts, 4, 4, 30.0, 60)
    assert [i for _, i in c] == [[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5], [6, 6, 7, 7],
                                 [8, 8, 9, 9]], c
    assert clips_for_video(pts, 11, 1, 30.0) == []
    # float32, as torch computes it: 60 * 2.0833333 rounds to 124.99999
    # (exact arithmetic: 125), so the 61st of 62 frames is frame 124
    c = clips_for_video(np.arange(130), 62, 1, 25.0, 12)
    assert c[0][1][58:] == [120, 122, 124, 127], c[0][1][58:]
    print("ok  reference: hand-computed cases")


# ---- the videos -----------------------------------------------------------

def generate():
    os.makedirs(DIR, exist_ok=True)
    out = []
    for name, rate, dur in [("c30.mp4", "30", 4), ("c2997.mp4", "30000/1001", 5),
                            ("c25.mkv", "25", 8)]:
        path = os.path.join(DIR, name)
        if not os.path.exists(path):
            subprocess.run([FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i",
                            f"testsrc2=size=160x120:rate={rate}:duration={dur}", "-c:v",
                            "libx264", "-bf", "2", "-g", "24", "-pix_fmt", "yuv420p", path],
                           check=True)
        out.append(path)
    return out


def timestamps(path):
    """(sorted packet pts in ticks, time base, average frame rate)."""
    j = json.loads(subprocess.run(
        [FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=time_base,avg_frame_rate:packet=pts", "-of", "json", path],
        check=True, capture_output=True, text=True).stdout)
    st = j["streams"][0]
    pts = np.array(sorted(int(p["pts"]) for p in j["packets"] if "pts" in p))
    return pts, Fraction(st["time_base"]), float(Fraction(st["avg_frame_rate"]))


def visiond(*args, rc=0):
    p = subprocess.run([VISIOND, "clips", *args], capture_output=True, text=True)
    if p.returncode != rc:
        fail(f"visiond clips {' '.join(args)}: exit {p.returncode}, want {rc}: {p.stderr}")
    return [json.loads(l) for l in p.stdout.splitlines()]


def check_listing(videos, meta, frames, stride, rate):
    args = [*videos, "--frames", str(frames), "--stride", str(stride)]
    if rate:
        args += ["--frame-rate", str(rate)]
    got = visiond(*args)
    want = []
    for v, (pts, tb, fps) in zip(videos, meta):
        for cp, ix in clips_for_video(pts, frames, stride, fps, rate):
            want.append((v, float(cp[0] * tb), float(cp[-1] * tb), ix))
    if len(got) != len(want):
        fail(f"{args}: {len(got)} clips, torchvision's arithmetic gives {len(want)}")
    for k, (g, (v, s, e, ix)) in enumerate(zip(got, want)):
        if (g["clip"] != k or g["video"] != v or g["indices"] != ix or
                abs(g["start_pts"] - s) > 1e-9 or abs(g["end_pts"] - e) > 1e-9):
            fail(f"{args}: clip {k}: got {g}, want {(v, s, e, ix)}")
    print(f"ok  clips --frames {frames} --stride {stride} --frame-rate {rate}: {len(got)} clips")
    return got


def framemd5(path):
    out = subprocess.run([FFMPEG, "-v", "error", "-copyts", "-i", path, "-map", "0:v:0",
                          "-fps_mode", "passthrough", "-f", "framemd5", "-"],
                         check=True, capture_output=True, text=True).stdout
    return [l.split(",")[5].strip() for l in out.splitlines() if l and not l.startswith("#")]


def check_materialise(videos, listing, pick, extra):
    c = listing[pick]
    ref = framemd5(c["video"])
    p = subprocess.run([VISIOND, "clips", *videos, *extra, "--clip", str(pick), "--md5"],
                       capture_output=True, text=True)
    if p.returncode:
        fail(f"--clip {pick}: exit {p.returncode}: {p.stderr}")
    got = [json.loads(l) for l in p.stdout.splitlines()]
    if [g["index"] for g in got] != c["indices"] or \
            [g["md5"] for g in got] != [ref[i] for i in c["indices"]]:
        fail(f"--clip {pick}: frames differ from framemd5 at indices {c['indices']}")
    print(f"ok  --clip {pick} {' '.join(extra)}: {len(got)} frames = framemd5")


known_cases()
videos = generate()
meta = [timestamps(v) for v in videos]
for frames, stride, rate in [(16, 8, None), (5, 3, 15), (4, 4, 12), (8, 5, 60), (6, 10, 10),
                             (30, 1, 7.5), (200, 1, None)]:
    listing = check_listing(videos, meta, frames, stride, rate)
for extra in (["--frames", "5", "--stride", "3", "--frame-rate", "12"],
              ["--frames", "8", "--stride", "5", "--frame-rate=60"]):
    listing = visiond(*videos, *extra)
    for pick in (0, len(listing) // 2, len(listing) - 1):
        check_materialise(videos, listing, pick, extra)
visiond(*videos, "--frames", "4", "--clip", "99999", rc=1)
for bad in (["--frames", "0"], ["--frames", "4", "--stride", "x"], ["--frames", "4", "--md5"],
            ["--frames", "4", "--frame-rate", "-1"], ["--bogus"]):
    visiond(videos[0], *bad, rc=2)
print("all passed")
