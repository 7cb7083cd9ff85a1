#!/usr/bin/python3
"""soak.py -- issue 13 §3's soak (bench/soak.sh): `visiond serve` with 4
realtime looping streams and a steady API load for a given time, sampling
the daemon's RSS, fd count and thread count from /proc every ~10 s.

usage: soak.py run VISIOND FFMPEG SOURCE_DIR OPENCV_DATA WORKDIR SECONDS
       soak.py report WORKDIR [SVG]

run     writes WORKDIR/soak.csv (one row per sample) and WORKDIR/soak.json
        (the setup and the counters of the load), then stops the daemon
        with SIGTERM (exit 0 within 10 s is part of the result).
report  prints the markdown of bench/results/soak.md's figures from those
        files (start/end/peak, growth per hour after the warm-up, a table
        of samples every few minutes) and writes an SVG of the curve.

The streams: 3 BlazeFace (back) streams at 5 fps on messi5.jpg pans (a
face in every frame, so the detection, tracking, event and snapshot paths
all run), 1 COCO CenterNet stream on OpenCV's vtest.avi at 1 fps (people
walking; motion-gated). The load: one SSE client on /api/v1/live for the
whole run, and ~10 requests/s cycling through every read endpoint plus a
POST /api/v1/detect every 5 s and a stream added and removed every 30 s.
Any answer other than the expected status is counted as an error.
"""
import http.client
import json
import os
import socket
import shutil
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from daemon_lib import Daemon, pan_clip, write_config  # noqa: E402

WARMUP_S = 300  # growth is measured after this: caches, SQLite pages, arenas


def proc_sample(pid):
    """(rss_kib, fds, threads, cpu_s) of a live process, from /proc."""
    rss = threads = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, fds, threads, cpu


def make_clips(ffmpeg, data, work):
    """Three 10 s pans of messi5.jpg, from different starting points."""
    return [pan_clip(ffmpeg, data, os.path.join(work, f"faces{i}.mp4"), 10, x0, 20)
            for i, x0 in enumerate((60, 160, 260))]


def config(src, data, clips, tmp):
    models = {"face": {"card": os.path.join(src, "config/models/blazeface-back.json"),
                       "threads": 1, "max_batch": 4, "max_wait_ms": 20},
              "coco": {"card": os.path.join(src, "config/models/centernet-coco.json"),
                       "threads": 1, "max_batch": 4, "max_wait_ms": 20}}
    live = {"realtime": True, "loop": True, "backpressure": "drop", "track": True}
    streams = [dict(live, id=f"face{i}", url=c, fps=5, detect={"model": "face"})
               for i, c in enumerate(clips)]
    streams.append(dict(live, id="street", url=os.path.join(data, "vtest.avi"), fps=1,
                        detect={"model": "coco", "threshold": 0.4}, motion={"gate": True}))
    path = os.path.join(tmp, "soak.yaml")
    write_config(path, streams, models)
    return path, streams


class Load:
    """The API clients: counters shared with the sampler (under `mu`)."""

    def __init__(self, port, jpeg, clip):
        self.port, self.jpeg, self.clip = port, jpeg, clip
        self.mu = threading.Lock()
        self.requests = self.errors = self.sse_events = self.sse_reconnects = 0
        self.last_errors = []
        self.stop = threading.Event()

    def call(self, conn, method, path, body=None, ctype=None, want=(200,)):
        headers = {"Content-Type": ctype} if ctype else {}
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            r.read()
            ok = r.status in want
            what = f"{method} {path}: {r.status}"
        except (OSError, http.client.HTTPException) as e:
            conn.close()  # http.client reconnects on the next request
            ok, what = False, f"{method} {path}: {e!r}"
        with self.mu:
            self.requests += 1
            if not ok:
                self.errors += 1
                self.last_errors = (self.last_errors + [what])[-10:]

    def requests_loop(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        reads = ["/api/v1/health", "/api/v1/streams", "/api/v1/streams/face0",
                 "/api/v1/detections?limit=50", "/api/v1/events?limit=20",
                 "/api/v1/detections?stream=street&label=person&limit=10", "/api/v1/stats",
                 "/metrics", "/api/v1/models", "/api/v1/streams/face1/snapshot.jpg?annotate=1"]
        n = 0
        while not self.stop.wait(0.1):
            n += 1
            self.call(conn, "GET", reads[n % len(reads)], want=(200, 304))
            if n % 50 == 0:
                self.call(conn, "POST", "/api/v1/detect?model=face", self.jpeg, "image/jpeg")
            if n % 300 == 100:
                body = json.dumps({"id": "extra", "url": self.clip, "realtime": True,
                                   "loop": True, "fps": 2, "detect": {"model": "face"}})
                self.call(conn, "POST", "/api/v1/streams", body, "application/json", (201,))
            if n % 300 == 250:
                self.call(conn, "DELETE", "/api/v1/streams/extra", want=(204,))
        conn.close()

    def sse_loop(self):
        while not self.stop.is_set():
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
                s.sendall(b"GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n")
                while not self.stop.is_set():
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    with self.mu:
                        self.sse_events += chunk.count(b"\nevent: ")
                s.close()
            except OSError:
                pass
            if not self.stop.is_set():
                with self.mu:
                    self.sse_reconnects += 1
                time.sleep(1)


def frames_analysed(d):
    try:
        return sum(s["frames_analysed"] for s in d.get("/api/v1/streams")["streams"])
    except Exception:  # noqa: BLE001 -- a sample must not end the soak
        return -1


def run(visiond, ffmpeg, src, data, work, seconds):
    work = os.path.abspath(work)  # the config's paths must be absolute
    os.makedirs(work, exist_ok=True)
    for old in ("soak.csv", "soak.json"):  # no report from a previous run
        if os.path.exists(os.path.join(work, old)):
            os.remove(os.path.join(work, old))
    tmp = os.path.join(work, "run")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    clips = make_clips(ffmpeg, data, work)
    cfg, streams = config(src, data, clips, tmp)
    d = Daemon(visiond, tmp, cfg, name="soak").start(limit=120)
    with open(os.path.join(data, "messi5.jpg"), "rb") as f:
        load = Load(d.port, f.read(), clips[0])
    threads = [threading.Thread(target=load.requests_loop), threading.Thread(target=load.sse_loop)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    rows = []
    csv = open(os.path.join(work, "soak.csv"), "w")
    csv.write("t_s,rss_kib,fds,threads,cpu_s,frames_analysed,requests,errors,sse_events\n")
    try:
        while True:
            t = time.monotonic() - t0
            rss, fds, nth, cpu = proc_sample(d.proc.pid)
            with load.mu:
                counts = (load.requests, load.errors, load.sse_events)
            row = (round(t, 1), rss, fds, nth, round(cpu, 2), frames_analysed(d), *counts)
            rows.append(row)
            csv.write(",".join(map(str, row)) + "\n")
            csv.flush()
            if t >= seconds or d.proc.poll() is not None:
                break
            time.sleep(min(10, max(0.1, seconds - t)))
    finally:
        load.stop.set()
        for t in threads:
            t.join(timeout=40)
        csv.close()
    alive = d.proc.poll() is None
    stop_s = d.stop() if alive else None
    summary = {"seconds": seconds, "streams": streams, "alive_at_end": alive,
               "sigterm_s": stop_s and round(stop_s, 2), "requests": load.requests, "errors": load.errors,
               "last_errors": load.last_errors, "sse_events": load.sse_events,
               "sse_reconnects": load.sse_reconnects}
    with open(os.path.join(work, "soak.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "streams"}))
    return 0 if alive and not load.errors else 1


def slope_per_hour(xs, ys):
    """Least-squares slope of ys over xs (seconds), per hour."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return 3600 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def load_rows(work):
    with open(os.path.join(work, "soak.csv")) as f:
        head = f.readline().strip().split(",")
        return [dict(zip(head, map(float, line.split(",")))) for line in f if line.strip()]


def svg(rows, path):
    """Three stacked panels (RSS MiB, fds, threads) over minutes, plain SVG;
    a dashed line marks the end of the warm-up."""
    w, h, pad, gap = 640, 120, 48, 28
    panels = [("RSS (MiB)", [r["rss_kib"] / 1024 for r in rows], "#1f77b4"),
              ("open fds", [r["fds"] for r in rows], "#d62728"),
              ("threads", [r["threads"] for r in rows], "#2ca02c")]
    mins = [r["t_s"] / 60 for r in rows]
    tmax = max(mins[-1], 1e-9)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w + 2 * pad}" '
           f'height="{3 * (h + gap) + pad}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>']
    for k, (name, ys, color) in enumerate(panels):
        top = pad // 2 + k * (h + gap)
        lo, hi = 0, max(ys) * 1.3 + 1  # room for the label above the curve
        pts = " ".join(f"{pad + w * x / tmax:.1f},{top + h - h * (y - lo) / (hi - lo):.1f}"
                       for x, y in zip(mins, ys))
        xw = pad + w * min(WARMUP_S / 60, tmax) / tmax  # the warm-up's end, dashed
        out += [f'<rect x="{pad}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
                f'<line x1="{xw:.1f}" y1="{top}" x2="{xw:.1f}" y2="{top + h}" stroke="#bbb" '
                'stroke-dasharray="4 3"/>',
                f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.5"/>',
                f'<text x="{pad + 4}" y="{top + 13}">{name}: {ys[0]:.0f} at start, '
                f'{max(ys):.0f} peak, {ys[-1]:.0f} at end</text>',
                f'<text x="{pad - 4}" y="{top + h}" text-anchor="end">{lo:.0f}</text>',
                f'<text x="{pad - 4}" y="{top + 10}" text-anchor="end">{hi:.0f}</text>']
    base = 3 * (h + gap) + pad // 2 - gap + 14
    out += [f'<text x="{pad}" y="{base}">0</text>',
            f'<text x="{pad + w}" y="{base}" text-anchor="end">{tmax:.0f} min</text>',
            f'<text x="{pad + w / 2}" y="{base}" text-anchor="middle">'
            'visiond soak: 4 streams + API load</text>', "</svg>"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def report(work, svg_path=None):
    rows = load_rows(work)
    with open(os.path.join(work, "soak.json")) as f:
        s = json.load(f)
    warm = [r for r in rows if r["t_s"] >= min(WARMUP_S, rows[-1]["t_s"] / 2)]
    xs = [r["t_s"] for r in warm]
    print("| | start | after warm-up | end | peak | growth/hour after warm-up |")
    print("|---|---|---|---|---|---|")
    for key, name, div, unit in (("rss_kib", "RSS", 1024, " MiB"), ("fds", "open fds", 1, ""),
                                 ("threads", "threads", 1, "")):
        ys = [r[key] / div for r in rows]
        g = slope_per_hour(xs, [r[key] / div for r in warm])
        print(f"| {name} | {ys[0]:.1f}{unit} | {warm[0][key] / div:.1f}{unit} | "
              f"{ys[-1]:.1f}{unit} | {max(ys):.1f}{unit} | {g:+.2f}{unit} |")
    last = rows[-1]
    print(f"\n{last['t_s'] / 60:.1f} min; CPU {last['cpu_s']:.0f} s "
          f"({100 * last['cpu_s'] / last['t_s']:.0f} % of one core); "
          f"{last['frames_analysed']:.0f} frames analysed; {s['requests']} requests, "
          f"{s['errors']} errors; {s['sse_events']} SSE events, "
          f"{s['sse_reconnects']} SSE reconnects; SIGTERM exit in {s['sigterm_s']} s.\n")
    print("| min | RSS MiB | fds | threads | CPU s | frames analysed | requests |")
    print("|---|---|---|---|---|---|---|")
    step, next_t = 180, 0
    for r in rows:
        if r["t_s"] >= next_t or r is rows[-1]:
            print(f"| {r['t_s'] / 60:.1f} | {r['rss_kib'] / 1024:.1f} | {r['fds']:.0f} | "
                  f"{r['threads']:.0f} | {r['cpu_s']:.0f} | {r['frames_analysed']:.0f} | "
                  f"{r['requests']:.0f} |")
            next_t = r["t_s"] + step
    if svg_path:
        svg(rows, svg_path)


if __name__ == "__main__":
    if len(sys.argv) >= 8 and sys.argv[1] == "run":
        sys.exit(run(*sys.argv[2:7], float(sys.argv[7])))
    if len(sys.argv) in (3, 4) and sys.argv[1] == "report":
        sys.exit(report(*sys.argv[2:]))
    sys.exit(__doc__)
