#!/usr/bin/python3
"""valgrind_serve.py -- `visiond serve` under valgrind's memcheck: a start, a
model load, API requests and a SIGTERM stop must be clean.

usage: valgrind_serve.py VISIOND FFMPEG SOURCE_DIR DATA_DIR

The daemon runs two streams of one clip (messi5.jpg panned into 2 s of video):
"clip" through the BlazeFace back-camera card to its end (face rows stored),
"live" as a looping camera with motion only, still running at the stop. It
answers health, streams, one stream, models, stats, /metrics, detections
events, the stream's snapshot JPEG, a DeepStack POST with a real JPEG (python3-requests'
multipart, as Home Assistant sends it), a native /api/v1/detect, a bad image
and an unknown path; then SIGTERM. valgrind exits with --error-exitcode (99)
on any memcheck error (invalid read/write, use of an uninitialised value, bad
free) and on definitely-lost blocks; the daemon itself must exit 0.
Third-party internals valgrind cannot tell apart from bugs are suppressed in
tests/sanitizers/valgrind.supp, each entry saying why. The figures (errors,
definitely/indirectly/possibly lost, wall time) are printed for
bench/results/sanitize.md. Exits 77 (ctest SKIP) without valgrind.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_lib import Failure, check, wait_for, write_config  # noqa: E402

VISIOND, FFMPEG, SRC, DATA = sys.argv[1:5]
CARD = os.path.join(SRC, "config/models/blazeface-back.json")
SUPP = os.path.join(SRC, "tests/sanitizers/valgrind.supp")
ERROR_EXIT = 99


def make_clip(tmp):
    """messi5.jpg at 320x200 panning right for 2 s at 10 fps (MPEG-4 Part 2)."""
    path = os.path.join(tmp, "faces.mp4")
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-loop", "1",
                    "-i", os.path.join(DATA, "messi5.jpg"), "-t", "2", "-r", "10",
                    "-vf", "scale=548:342,crop=320:240:'60+t*40':50", "-c:v", "mpeg4",
                    "-q:v", "4", path], check=True)
    return path


def valgrind_cmd(log, cfg, state):
    return ["valgrind", "--tool=memcheck", f"--error-exitcode={ERROR_EXIT}",
            "--leak-check=full", "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
            "--num-callers=30", f"--suppressions={SUPP}", "--gen-suppressions=all",
            f"--log-file={log}",
            VISIOND, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--state-dir", state]


class Valgrinded:
    """The daemon under valgrind; its own stderr and valgrind's report apart."""

    def __init__(self, tmp, cfg):
        self.vg_log = os.path.join(tmp, "valgrind.log")
        self.out_path = os.path.join(tmp, "daemon.log")
        self.out = open(self.out_path, "w")
        # one BLAS thread: OpenBLAS's pool adds only noise and time under valgrind
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        self.proc = subprocess.Popen(valgrind_cmd(self.vg_log, cfg, os.path.join(tmp, "state")),
                                     stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.out,
                                     env=env, start_new_session=True)
        m = wait_for("daemon listening under valgrind", self._listening, 120, 0.5)
        self.base = f"http://127.0.0.1:{m.group(1)}"
        wait_for("daemon ready (model loaded)", lambda: self.get("/api/v1/health", ok=False)
                 .status_code == 200, 120, 0.5)

    def _listening(self):
        if self.proc.poll() is not None:
            raise Failure(f"exited with {self.proc.returncode} before listening")
        with open(self.out_path, errors="replace") as f:
            return re.search(r"listening on http://127\.0\.0\.1:(\d+)/", f.read())

    def get(self, path, ok=True):
        r = requests.get(self.base + path, timeout=240)
        check(not ok or r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}")
        return r

    def post(self, path, want, **kw):
        r = requests.post(self.base + path, timeout=240, **kw)
        check(r.status_code == want, f"POST {path}: {r.status_code}, want {want}: {r.text[:300]}")
        return r.json()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            raise Failure("still running 90 s after SIGTERM")

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.out.close()


def requests_round(d):
    """Every kind of request a user sends, with a check of what comes back."""
    check(d.get("/api/v1/health").json()["status"] == "ok", "health not ok")
    check(sorted(s["id"] for s in d.get("/api/v1/streams").json()["streams"]) == ["clip", "live"],
          "streams")
    d.get("/api/v1/streams/clip")
    d.get("/api/v1/models")
    d.get("/api/v1/stats")
    check(b"visiond_" in d.get("/metrics").content, "/metrics: no visiond_ series")
    rows = wait_for("a stored face detection", lambda: d.get("/api/v1/detections?label=face")
                    .json()["detections"], 240, 1)
    check(rows[0]["label"] == "face", f"detection {rows[0]}")
    d.get("/api/v1/events?limit=5")
    check(d.get("/api/v1/streams/live/snapshot.jpg").content[:2] == b"\xff\xd8", "snapshot")
    image = open(os.path.join(DATA, "messi5.jpg"), "rb").read()
    r = d.post("/v1/vision/detection", 200, files={"image": image}, data={"min_confidence": "0.5"})
    check(r["success"] and r["predictions"], f"DeepStack: no faces on messi5.jpg: {r}")
    r = d.post("/api/v1/detect", 200, data=image, headers={"Content-Type": "image/jpeg"})
    check(r["detections"], f"/api/v1/detect: no faces on messi5.jpg: {r}")
    d.post("/v1/vision/detection", 400, files={"image": b"\xff\xd8\xff not a jpeg"})
    check(d.get("/api/v1/nothing", ok=False).status_code == 404, "unknown path not 404")


def figures(log):
    """errors, definitely/indirectly/possibly lost and still reachable bytes (libraries'
    caches, freed by nobody at exit: not counted as errors) from valgrind's summary."""
    text = open(log, errors="replace").read()
    def num(pat):
        m = re.findall(pat, text)
        return int(m[-1].replace(",", "")) if m else None
    return text, {"errors": num(r"ERROR SUMMARY: ([\d,]+) errors"),
                  "definitely": num(r"definitely lost: ([\d,]+) bytes"),
                  "indirectly": num(r"indirectly lost: ([\d,]+) bytes"),
                  "possibly": num(r"possibly lost: ([\d,]+) bytes"),
                  "reachable": num(r"still reachable: ([\d,]+) bytes"),
                  "suppressed": num(r"suppressed: ([\d,]+) bytes")}


def main():
    if not shutil.which("valgrind"):
        print("skipped: valgrind is not installed (Debian: apt-get install valgrind)")
        sys.exit(77)
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"vd-valgrind-{os.getpid()}")
    os.makedirs(tmp)
    t0 = time.monotonic()
    d = None
    try:
        cfg = os.path.join(tmp, "visiond.yaml")
        clip = make_clip(tmp)
        # "clip" runs the face model on 2 frames and ends (an inference costs ~15 s of CPU
        # under memcheck); "live" plays the clip as a camera, motion only, until SIGTERM.
        write_config(cfg, [{"id": "clip", "url": clip, "fps": 1, "detect": {"model": "face"},
                            "track": True},
                           {"id": "live", "url": clip, "realtime": True, "loop": True, "fps": 2,
                            "motion": {"detect": True}, "track": True}],
                     {"face": {"card": CARD, "threads": 1, "max_batch": 2}},
                     extra=f"sources: {{media_dirs: [{tmp}]}}\n")
        d = Valgrinded(tmp, cfg)
        t_ready = time.monotonic() - t0
        requests_round(d)
        rc = d.stop()
        text, fig = figures(d.vg_log)
        print(f"valgrind: ready in {t_ready:.0f} s, whole run {time.monotonic() - t0:.0f} s, "
              f"exit {rc}; " + ", ".join(f"{k} {v}" for k, v in fig.items()))
        check(fig["errors"] is not None, "no valgrind summary in its log")
        check(rc == 0 and fig["errors"] == 0 and fig["definitely"] in (0, None),
              f"exit {rc} (valgrind errors exit {ERROR_EXIT}); the report:\n" + text[-20000:])
    except Failure as e:
        print("FAIL:", e)
        for p in (os.path.join(tmp, "daemon.log"), os.path.join(tmp, "valgrind.log")):
            if os.path.exists(p):
                print(f"--- {p} (last lines)\n" + "".join(open(p, errors="replace").readlines()[-60:]))
        sys.exit(1)
    finally:
        if d:
            d.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
