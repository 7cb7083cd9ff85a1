#!/usr/bin/python3
"""reader_peers.py -- the peers of bench_reader: one timed scenario, one tool.

usage: reader_peers.py TOOL FILE SCENARIO [--targets T1,T2,...]
TOOL: ffmpeg | cv2 | pyav, or cv2-ref (untimed md5s of cv2's frames).
SCENARIO: all | every30 | keyframes | seek20 | at20 | range

Prints the same JSON line as bench_reader. Each peer does what its users
would write for the scenario:
  ffmpeg  all: -f null; every30: select=not(mod(n\\,30)); keyframes:
          -skip_frame nokey; range: -ss/-to (accurate); seek20: one process
          per seek (-ss T -frames:v 1), so its time includes 20 process starts.
  cv2     grab() decodes without the BGR conversion; retrieve() only the
          frames kept; seeks with CAP_PROP_POS_MSEC; no keyframes mode (n/a).
          at20 ("the frame played at t"): CAP_PROP_POS_MSEC = t, read(), the
          same calls as seek20 (OpenCV documents POS_MSEC as that position).
  pyav    at20: seek backward, decode until a frame's pts > t, keep the one
          before (what TorchCodec's get_frames_played_at returns).
  pyav    thread_type AUTO; skip_frame NONKEY for keyframes; container.seek
          (backward to a keyframe) then decode to the first pts >= T.
Run with Debian's /usr/bin/python3 (python3-opencv, python3-av).
"""
import hashlib
import json
import resource
import subprocess
import sys
import time

TOOL, FILE, SC = sys.argv[1], sys.argv[2], sys.argv[3]
TARGETS = []
if "--targets" in sys.argv:
    TARGETS = [float(x) for x in sys.argv[sys.argv.index("--targets") + 1].split(",")]


def probe_duration(path):
    """(start, duration) with ffprobe, before the clock starts. (Importing
    PyAV into the cv2 process would deadlock: PyAV's log callback wants the
    GIL while cv2 holds it in grab().)"""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "format=duration:stream=start_time", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    st = j["streams"][0].get("start_time", "0")
    return float(st if st != "N/A" else 0), float(j["format"]["duration"])


START, DUR = probe_duration(FILE)


def run_ffmpeg():
    base = ["ffmpeg", "-v", "error", "-nostdin"]
    out = ["-map", "0:v:0", "-f", "null", "-"]
    if SC == "at20":
        return "n/a", None
    if SC == "seek20":
        for t in TARGETS:
            subprocess.run(base + ["-ss", str(t), "-i", FILE, "-frames:v", "1"] + out, check=True)
        return len(TARGETS), None
    if SC == "all":
        cmd = base + ["-i", FILE] + out
    elif SC == "every30":
        cmd = base + ["-i", FILE, "-vf", "select=not(mod(n\\,30))"] + out
    elif SC == "keyframes":
        cmd = base + ["-skip_frame", "nokey", "-i", FILE] + out
    else:
        cmd = base + ["-ss", str(START + DUR * 0.25), "-to", str(START + DUR * 0.5), "-i", FILE] + out
    subprocess.run(cmd, check=True)
    return None, None


def run_cv2():
    import cv2
    cap = cv2.VideoCapture(FILE, cv2.CAP_FFMPEG)
    n, seeks = 0, []
    if SC == "all":
        while cap.grab():
            n += 1
    elif SC == "every30":
        i = 0
        while cap.grab():
            if i % 30 == 0:
                cap.retrieve()
                n += 1
            i += 1
    elif SC == "keyframes":
        return "n/a", None
    elif SC in ("seek20", "at20"):
        for t in TARGETS:
            cap.set(cv2.CAP_PROP_POS_MSEC, t * 1000)
            ok, img = cap.read()
            pts = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000
            seeks.append([t, pts, hashlib.md5(img.tobytes()).hexdigest() if ok else ""])
            n += 1
    else:
        cap.set(cv2.CAP_PROP_POS_MSEC, (START + DUR * 0.25) * 1000)
        while cap.grab():
            if cap.get(cv2.CAP_PROP_POS_MSEC) / 1000 >= START + DUR * 0.5:
                break
            cap.retrieve()
            n += 1
    return n, seeks


def packed(f):
    """The frame's planes without padding: the bytes framemd5 hashes (8-bit)."""
    out = bytearray()
    for p in f.planes:
        buf = memoryview(p)
        for r in range(p.height):
            out += buf[r * p.line_size: r * p.line_size + p.width]
    return bytes(out)


def cv2_reference():
    """md5 of every BGR frame cv2 reads sequentially (untimed): what a
    correct cv2 seek must return."""
    import cv2
    cap = cv2.VideoCapture(FILE, cv2.CAP_FFMPEG)
    out = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        out.append(hashlib.md5(img.tobytes()).hexdigest())
    print(json.dumps(out))


def run_pyav():
    import av
    # PyAV's log callback takes the GIL; a frame thread logging while the
    # main thread holds it (closing mid-stream) deadlocks. Use FFmpeg's own.
    av.logging.restore_default_callback()
    c = av.open(FILE)
    s = c.streams.video[0]
    s.thread_type = "AUTO"
    n, seeks = 0, []
    tb = float(s.time_base)
    if SC in ("all", "every30"):
        for i, f in enumerate(c.decode(s)):
            n += SC == "all" or i % 30 == 0
    elif SC == "keyframes":
        s.codec_context.skip_frame = "NONKEY"
        for f in c.decode(s):
            n += 1
    elif SC == "seek20":
        for t in TARGETS:
            c.seek(int(t / tb), stream=s, backward=True)
            for f in c.decode(s):
                if f.pts is not None and f.pts * tb >= t - 1e-9:
                    planes = packed(f)
                    seeks.append([t, f.pts * tb, hashlib.md5(planes).hexdigest()])
                    break
            n += 1
    elif SC == "at20":
        for t in TARGETS:
            c.seek(int(t / tb), stream=s, backward=True)
            prev = None
            for f in c.decode(s):
                if f.pts is not None and f.pts * tb > t + 1e-9 and prev is not None:
                    break
                prev = f
            seeks.append([t, prev.pts * tb, hashlib.md5(packed(prev)).hexdigest()])
            n += 1
    else:
        lo, hi = START + DUR * 0.25, START + DUR * 0.5
        c.seek(int(lo / tb), stream=s, backward=True)
        for f in c.decode(s):
            t = f.pts * tb
            if t >= hi:
                break
            n += t >= lo
    c.close()
    return n, seeks


if TOOL == "cv2-ref":
    cv2_reference()
    sys.exit(0)
def cpu():
    """CPU seconds of this process and its finished children (the ffmpeg CLI)."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


t0, c0 = time.perf_counter(), cpu()
frames, seeks = {"ffmpeg": run_ffmpeg, "cv2": run_cv2, "pyav": run_pyav}[TOOL]()
out = {"tool": TOOL, "scenario": SC, "seconds": round(time.perf_counter() - t0, 4),
       "cpu": round(cpu() - c0, 4), "frames": frames}
if frames == "n/a":
    out["seconds"] = None
if seeks:
    out["seeks"] = seeks
print(json.dumps(out))
