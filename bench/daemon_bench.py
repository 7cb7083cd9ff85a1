#!/usr/bin/python3
"""daemon_bench.py -- issue 10 §9, the first two figures (bench/daemon_bench.sh).

overhead  CPU seconds (user + sys, from wait4) of `visiond serve` analysing
          N file streams in realtime mode (a 720p25 H.264 clip made with the
          ffmpeg CLI, analysis at 5 fps, BlazeFace back 256x256, one
          inference thread, max_batch 8), divided by N times the CPU seconds
          of `visiond detect CLIP --fps 5` doing the same decode and
          inference offline. Goal <= 1.10. The streams use `backpressure:
          block`, so that both sides do exactly the same frames even on a
          loaded machine (with `drop`, dropped frames would make the daemon
          look cheaper than it is).
capacity  streams (the same clip, looping, realtime) analysed in real time
          without drops: after a warm-up, every stream must analyse >= 95 %
          of 5 fps and drop nothing; compared with the count predicted from
          the offline cost: cores / (offline CPU s per second of video).

usage: daemon_bench.py VISIOND FFMPEG CARD OPENCV_DATA WORKDIR [--runs R]
       [--streams 1,2,4] [--capacity 2,4,6,8,10,12] [--seconds 20]
Prints a markdown report on stdout.
"""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import functools

print = functools.partial(print, flush=True)  # progress shows while it runs

p = argparse.ArgumentParser()
p.add_argument("visiond")
p.add_argument("ffmpeg")
p.add_argument("card")
p.add_argument("data")
p.add_argument("work")
p.add_argument("--runs", type=int, default=3)
p.add_argument("--streams", default="1,2,4")
p.add_argument("--capacity", default="2,4,6,8,10,12")
p.add_argument("--seconds", type=int, default=20)
p.add_argument("--only", choices=["overhead", "capacity"], help="run one of the two figures")
a = p.parse_args()
a.work, a.visiond, a.card = map(os.path.abspath, (a.work, a.visiond, a.card))
os.makedirs(a.work, exist_ok=True)
CORES = os.cpu_count()


def clip():
    """720p25 H.264 at a camera's 2 Mbit/s: a face panning across, with
    sensor-like temporal noise (a clean still would cost nothing to decode)."""
    path = os.path.join(a.work, f"face720p_{a.seconds}s_2M.mp4")
    if not os.path.exists(path):
        subprocess.run([a.ffmpeg, "-nostdin", "-v", "error", "-y", "-loop", "1",
                        "-i", os.path.join(a.data, "messi5.jpg"), "-t", str(a.seconds),
                        "-r", "25", "-vf", "scale=2192:1368,crop=1280:720:'200+t*30':200,noise=alls=8:allf=t",
                        "-c:v", "libx264", "-preset", "medium", "-b:v", "2M", "-maxrate", "2M",
                        "-bufsize", "4M", "-g", "50", "-pix_fmt", "yuv420p", path + ".tmp.mp4"],
                       check=True)
        os.rename(path + ".tmp.mp4", path)
    return path


def cpu_of(cmd, **kw):
    """Run to the end; (user + sys CPU s, wall s) of the child."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{cmd[:3]}: exit {proc.returncode}")
    return ru.ru_utime + ru.ru_stime, time.monotonic() - t0


def write_config(path, n, video, loop, bp):
    streams = [{"id": f"s{i}", "url": video, "realtime": True, "loop": loop, "fps": 5,
                "backpressure": bp, "detect": {"model": "face"}, "track": True}
               for i in range(n)]
    with open(path, "w") as f:
        f.write("models: " + json.dumps({"face": {"card": a.card, "threads": 1,
                                                   "max_batch": 8, "max_wait_ms": 20}}) + "\n")
        f.write("streams: " + json.dumps(streams) + "\n")


class Daemon:
    def __init__(self, n, video, loop, bp):
        cfg = os.path.join(a.work, f"bench_{n}.yaml")
        state = os.path.join(a.work, f"state_{n}_{time.monotonic_ns()}")
        write_config(cfg, n, video, loop, bp)
        self.log = open(os.path.join(a.work, "daemon.log"), "w")
        self.proc = subprocess.Popen([a.visiond, "serve", "--config", cfg, "--listen",
                                      "127.0.0.1:0", "--state-dir", state],
                                     stdout=self.log, stderr=self.log)
        self.port = None
        while self.port is None:
            time.sleep(0.05)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/",
                          open(self.log.name).read())
            self.port = m and int(m.group(1))
            if self.proc.poll() is not None:
                sys.exit("daemon exited:\n" + open(self.log.name).read())

    def streams(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/streams") as r:
            return json.load(r)["streams"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        _, status, ru = os.wait4(self.proc.pid, 0)
        return ru.ru_utime + ru.ru_stime


def overhead(video, offline):
    rows = []
    for n in map(int, a.streams.split(",")):
        ratios, cpus = [], []
        for _ in range(a.runs):
            d = Daemon(n, video, False, "block")
            while not all(s["state"] == "stopped" for s in d.streams()):
                time.sleep(0.25)
            dropped = sum(s["frames_dropped"] for s in d.streams())
            cpu = d.stop()
            cpus.append(cpu)
            ratios.append(cpu / (n * offline))
        rows.append((n, statistics.median(cpus), n * offline, statistics.median(ratios),
                     min(ratios), max(ratios), dropped))
    return rows


def capacity(video):
    """Rows as they come (a generator: each prints while the next runs)."""
    for n in map(int, a.capacity.split(",")):
        d = Daemon(n, video, True, "drop")
        time.sleep(5)  # warm-up: model load, first batches
        s0 = {s["id"]: s for s in d.streams()}
        t0 = time.monotonic()
        time.sleep(15)
        s1 = {s["id"]: s for s in d.streams()}
        dt = time.monotonic() - t0
        d.stop()
        fps = [(s1[k]["frames_analysed"] - s0[k]["frames_analysed"]) / dt for k in s0]
        drops = sum(s1[k]["frames_dropped"] - s0[k]["frames_dropped"] for k in s0)
        ok = drops == 0 and min(fps) >= 0.95 * 5
        yield n, min(fps), statistics.mean(fps), drops, ok
        if not ok:
            return


def main():
    video = clip()
    offline = statistics.median(cpu_of([a.visiond, "detect", video, "--model", a.card,
                                        "--fps", "5", "--track"])[0] for _ in range(a.runs))
    per_video_s = offline / a.seconds
    print(f"clip: {os.path.basename(video)} ({a.seconds} s, 720p25 H.264); analysis at 5 fps, "
          f"BlazeFace back 256x256, 1 inference thread; {a.runs} runs each, medians\n")
    print(f"`visiond detect --fps 5 --track` offline: {offline:.2f} CPU s "
          f"({per_video_s:.3f} CPU s per second of video)\n")
    if a.only != "capacity":
        print("| streams | daemon CPU s | N x detect CPU s | ratio (median) | min-max | drops |")
        print("|---|---|---|---|---|---|")
        for n, cpu, ref, r, lo, hi, dropped in overhead(video, offline):
            print(f"| {n} | {cpu:.2f} | {ref:.2f} | **{r:.3f}** | {lo:.3f}-{hi:.3f} | {dropped} |")
    if a.only == "overhead":
        return
    predicted = int(CORES / per_video_s)
    print(f"\ncapacity ({CORES} cores): predicted from the offline cost "
          f"{CORES} / {per_video_s:.3f} = **{predicted}** streams\n")
    print("| streams | min fps analysed | mean fps | drops (15 s) | real time |")
    print("|---|---|---|---|---|")
    cap = []
    for row in capacity(video):
        n, lo, mean, drops, ok = row
        print(f"| {n} | {lo:.2f} | {mean:.2f} | {drops} | {'yes' if ok else 'no'} |")
        cap.append(row)
    best = max([n for n, *_, ok in cap if ok], default=0)
    print(f"\nmeasured: **{best}** streams in real time without drops "
          f"(first failing count: {cap[-1][0] if not cap[-1][4] else 'none tried'})")


main()
