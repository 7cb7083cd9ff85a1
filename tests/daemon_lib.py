"""daemon_lib.py -- start the real `visiond serve` for a test and talk to it
over real HTTP on loopback (python's urllib), for tests/daemon_*.py.

A Daemon runs in its own temp state dir, listens on 127.0.0.1 port 0 (the
daemon picks a free port and prints it: "listening on http://HOST:PORT/"),
and its stderr goes to a log file that fail() prints. Everything a test
starts is killed in finally blocks (Daemon.kill, Daemon.__exit__).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# Under ASan (./setup.sh test-sanitize) everything runs 2-3x slower: the
# sanitizer run sets VD_TIME_SCALE (tests/sanitizers/sanitizers.cmake).
TIME_SCALE = float(os.environ.get("VD_TIME_SCALE", "1"))


def wait_for(what, cond, limit, step=0.05):
    """Poll cond() until it returns a truthy value; that value, or Failure.
    The limit is scaled by VD_TIME_SCALE."""
    limit *= TIME_SCALE
    end = time.monotonic() + limit
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise Failure(f"{what}: not after {limit} s")
        time.sleep(step)


def pan_clip(ffmpeg, data, path, seconds=4, x0=100, speed=40):
    """An H.264 clip of opencv-doc's messi5.jpg at 2x seen through a 640x480
    window panning right at `speed` px/s: a face in every frame."""
    subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-y", "-loop", "1", "-i",
                    os.path.join(data, "messi5.jpg"), "-t", str(seconds), "-r", "25", "-vf",
                    f"scale=1096:684,crop=640:480:'{x0}+t*{speed}':100", "-c:v", "libx264",
                    "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25", path], check=True)
    return path


def write_config(path, streams, models=None, extra=""):
    """A visiond.yaml from python data (JSON is YAML)."""
    with open(path, "w") as f:
        f.write(extra)
        if models:
            f.write("models: " + json.dumps(models) + "\n")
        f.write("streams: " + json.dumps(streams) + "\n")


class Daemon:
    def __init__(self, visiond, tmp, config=None, env=None, name="daemon"):
        self.visiond, self.tmp, self.config = visiond, tmp, config
        self.state = os.path.join(tmp, "state")
        self.env = env
        self.name = name
        self.proc = None
        self.port = None
        self.runs = 0

    def start(self, limit=30):
        self.runs += 1
        self.log_path = os.path.join(self.tmp, f"{self.name}-{self.runs}.log")
        self.log = open(self.log_path, "w")
        cmd = [self.visiond, "serve", "--listen", "127.0.0.1:0", "--state-dir", self.state]
        if self.config:
            cmd += ["--config", self.config]
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log, env=env, start_new_session=True)
        m = wait_for("daemon listening", lambda: self._listening(), limit)
        self.port = int(m.group(1))
        # the API listens while the models load (503); tests start once ready
        wait_for("daemon ready", lambda: self.request("GET", "/api/v1/health")[0] == 200, limit)
        return self

    def _listening(self):
        if self.proc.poll() is not None:
            raise Failure(f"daemon exited with {self.proc.returncode}:\n{self.text()}")
        return re.search(r"listening on http://127\.0\.0\.1:(\d+)/", self.text())

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, body=None, ctype="application/json"):
        """(status, headers, bytes) of one request; no exception on 4xx/5xx."""
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
        except urllib.error.URLError as e:  # no answer: say whether it died
            dead = self.proc.poll()
            raise Failure(f"{method} {path}: {e.reason}" + (
                f"; the daemon exited with {dead}" if dead is not None else ""))

    def get(self, path):
        status, _, body = self.request("GET", path)
        check(status == 200, f"GET {path}: {status} {body[:300]!r}")
        return json.loads(body)

    def stream(self, sid):
        return self.get(f"/api/v1/streams/{sid}")

    def all_rows(self, kind, query=""):
        """Every committed detection/event, following next_cursor."""
        rows, cursor = [], None
        while True:
            q = f"/api/v1/{kind}?limit=1000{query}" + (f"&cursor={cursor}" if cursor else "")
            page = self.get(q)
            rows += page[kind]
            cursor = page["next_cursor"]
            if not cursor:
                return rows

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, limit=10):
        """SIGTERM: exit 0 within `limit` s, or Failure; the seconds it took."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=limit + 5)
        except subprocess.TimeoutExpired:
            raise Failure(f"daemon still running {limit + 5} s after SIGTERM")
        self.log.close()
        secs = time.monotonic() - t0
        check(rc == 0 and secs < limit, f"SIGTERM: exit {rc} after {secs:.1f} s, "
              f"want 0 within {limit} s")
        return secs

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc:
            self.log.close()


def run(main, tmp_prefix):
    """Run main(tmp) with a temp dir; print the daemon logs on failure."""
    tmp = tempfile.mkdtemp(prefix=tmp_prefix)
    t0 = time.monotonic()
    try:
        main(tmp)
    except Failure as e:
        print("FAIL:", e)
        for name in sorted(os.listdir(tmp)):
            if name.endswith(".log"):
                with open(os.path.join(tmp, name), errors="replace") as f:
                    print(f"--- {name} (last lines)\n" + "".join(f.readlines()[-30:]))
        sys.exit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"ok in {time.monotonic() - t0:.1f} s")
