#!/usr/bin/python3
"""daemon_load.py -- the real `visiond serve` under concurrent API load and
with its model files replaced underneath it (issue 13 §3), over real HTTP
on loopback.

usage: daemon_load.py VISIOND FFMPEG SOURCE_DIR OPENCV_DATA MODE
  clients  100 API clients (threads, one keep-alive http.client connection
           each, 40 s; 4 of them hold /api/v1/live open the whole time) read
           every endpoint; a tenth add, PATCH (detection off/on) and delete
           their own streams, another tenth POST /api/v1/detect; all read
           each other's streams. Meanwhile the test sends SIGHUP every 1 s,
           the config cycling through a stream added and removed, a stream's
           fps changed and the model's max_wait_ms changed (the model is
           replaced, and every stream on it restarts, API-added ones too).
           Of the documented statuses (docs/api.md), these are expected,
           per request: 200 for reads, PATCH and detect; 201 for a POST of
           the client's own new id; 204 for its DELETE; 404 only where a
           stream may just have gone or not be there yet (another client's
           stream, the stream SIGHUP adds and removes, a snapshot before the
           first analysed frame). Not expected, so failures: 400/415 (every
           request is well formed), 409 (ids are unique), 503 (documented
           while starting or over 32 live clients: the clients start once
           the daemon is ready, and 4 live clients are far below), 500,
           a connection reset, a timeout, a live stream cut off. At the end
           the daemon still answers, every SIGHUP was applied, the streams
           it lists are exactly the config's, all `running`, their frames
           advancing, and SIGTERM exits 0.
  model    the ONNX file and the card of a model in use are replaced on disk
           while two streams analyse with it. An in-place truncate and
           garbage written over the ONNX file: the streams keep detecting
           (the model was read into memory); SIGHUP refuses the damaged
           file with an error naming it, the loaded model keeps serving
           (same model object, streams not restarted, runs go on); so does
           another valid ONNX model renamed over it whose input size
           differs from the card's (BlazeFace front, 128x128). The
           original file put back by an atomic rename-over with a new card
           (threshold 0.99): SIGHUP loads the new files (a new model, runs
           counted from 0, the faces' ~0.87 scores now below threshold).
           A daemon started on a truncated file runs its streams without the
           model (/api/v1/models names the file); fixed and SIGHUP: it loads.
"""
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_lib import Daemon, check, pan_clip, run, wait_for, write_config  # noqa: E402

VISIOND, FFMPEG, SRC, DATA, MODE = sys.argv[1:6]
CARD = os.path.join(SRC, "config/models/blazeface-back.json")


def face_clip(tmp):
    return pan_clip(FFMPEG, DATA, os.path.join(tmp, "faces.mp4"))


def live(sid, url, fps=2, **kw):
    s = {"id": sid, "url": url, "realtime": True, "loop": True, "fps": fps}
    s.update(kw)
    return s


# ---- clients ----

CLIENTS, CLIENT_SECONDS, HUP_EVERY = 100, 40, 1.0


class Clients:
    """Counters and failures shared by the client threads."""

    def __init__(self, port, clip):
        self.port, self.clip = port, clip
        with open(os.path.join(DATA, "messi5.jpg"), "rb") as f:
            self.jpeg = f.read()
        self.mu = threading.Lock()
        self.statuses = {}
        self.failures = []
        self.sse_ok = 0
        self.stop = threading.Event()

    def call(self, conn, method, path, want, body=None, ctype="application/json"):
        """One request on the client's keep-alive connection; a status
        outside `want`, a reset or a timeout is a failure."""
        headers = {"Content-Type": ctype} if body is not None else {}
        if isinstance(body, dict):
            body = json.dumps(body)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            status = r.status
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            with self.mu:
                self.failures.append(f"{method} {path}: {e!r}")
            return None
        with self.mu:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status not in want:
                self.failures.append(f"{method} {path}: {status} {data[:200]!r}, "
                                     f"want one of {want}")
        return status

    def client(self, n):
        if n % 25 == 1:
            return self.sse_client()
        rnd = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        reads = ["/api/v1/health", "/api/v1/streams", "/api/v1/streams/base0",
                 "/api/v1/detections?limit=20", "/api/v1/events?limit=5", "/api/v1/stats",
                 "/api/v1/models", "/metrics"]
        mine, k = None, 0
        end = time.monotonic() + CLIENT_SECONDS
        while time.monotonic() < end and not self.stop.is_set():
            roll = rnd.random()
            if n % 10 == 0 and roll < 0.15:  # a tenth of the clients add and remove streams
                if mine:
                    self.call(conn, "DELETE", f"/api/v1/streams/{mine}", (204,))
                    mine = None
                else:
                    k += 1
                    mine = f"c{n}-{k}"
                    self.call(conn, "POST", "/api/v1/streams", (201,),
                              live(mine, self.clip, 1, detect={"model": "face"}))
            elif n % 10 == 0 and roll < 0.2 and mine:  # detection off/on: no restart
                self.call(conn, "PATCH", f"/api/v1/streams/{mine}", (200,),
                          {"detect": {"enabled": rnd.random() < 0.5}})
            elif n % 10 == 5 and roll < 0.1:  # on demand, while SIGHUP replaces the model
                self.call(conn, "POST", "/api/v1/detect?model=face", (200,), self.jpeg,
                          "image/jpeg")
            elif roll < 0.25:  # someone else's stream, or the one SIGHUP flips: may be gone
                other = rnd.choice([f"c{rnd.randrange(0, CLIENTS, 10)}-{rnd.randint(1, 3)}",
                                    "hup", "base1"])
                self.call(conn, "GET", f"/api/v1/streams/{other}", (200, 404))
            elif roll < 0.3:  # no analysed frame yet just after a restart: 404
                self.call(conn, "GET", "/api/v1/streams/base0/snapshot.jpg", (200, 404))
            else:
                self.call(conn, "GET", rnd.choice(reads), (200,))
            time.sleep(rnd.uniform(0.02, 0.1))
        if mine:
            self.call(conn, "DELETE", f"/api/v1/streams/{mine}", (204,))
        conn.close()

    def sse_client(self):
        """/api/v1/live read for the whole run; it must not be cut off."""
        end = time.monotonic() + CLIENT_SECONDS
        events = 0
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=20) as s:
                s.sendall(b"GET /api/v1/live HTTP/1.1\r\nHost: x\r\n\r\n")
                head = s.recv(65536)
                check(head.startswith(b"HTTP/1.1 200"), f"live: {head[:100]!r}")
                while time.monotonic() < end:
                    chunk = s.recv(65536)
                    if not chunk:
                        raise OSError("closed by the daemon")
                    events += chunk.count(b"event: ")
        except Exception as e:  # noqa: BLE001 -- any end of it is a failure
            with self.mu:
                self.failures.append(f"GET /api/v1/live: {e!r} after {events} events")
            return
        with self.mu:
            self.sse_ok += 1
            if not events:
                self.failures.append("GET /api/v1/live: no event in the whole run")

def test_clients(tmp):
    clip = face_clip(tmp)
    cfg = os.path.join(tmp, "visiond.yaml")
    models = [{"face": {"card": CARD, "threads": 1, "max_batch": 4, "max_wait_ms": w}}
              for w in (20, 30)]  # max_wait_ms changed: the model is replaced
    base = [live("base0", clip, 2, detect={"model": "face"}, track=True), live("base1", clip, 1)]
    configs = [(base, models[0]), (base + [live("hup", clip, 1)], models[1]),
               ([base[0], live("base1", clip, 2)], models[0])]  # base1 changed: it restarts
    write_config(cfg, *configs[0])
    d = Daemon(VISIOND, tmp, cfg).start()
    try:
        c = Clients(d.port, clip)
        threads = [threading.Thread(target=c.client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        hups, t_end = 0, time.monotonic() + CLIENT_SECONDS
        while time.monotonic() < t_end:
            time.sleep(HUP_EVERY)
            hups += 1
            write_config(cfg, *configs[hups % len(configs)])
            d.signal(signal.SIGHUP)
            check(d.proc.poll() is None, f"daemon died (exit {d.proc.returncode})")
        for t in threads:
            t.join(timeout=60)
        check(not any(t.is_alive() for t in threads), "clients still running 60 s after the end")
        total = sum(c.statuses.values())
        print(f"{total} requests, statuses {dict(sorted(c.statuses.items()))}, {hups} SIGHUPs, "
              f"{len(c.failures)} failures")
        check(not c.failures, f"{len(c.failures)} failed requests, e.g.:\n  " +
              "\n  ".join(c.failures[:10]))
        check(total > CLIENTS * 50, f"only {total} requests answered")
        check(c.sse_ok == CLIENTS // 25, f"{c.sse_ok} of {CLIENTS // 25} live clients lasted")
        reloads = wait_for("every SIGHUP reloaded", lambda: (lambda n: n >= hups and n)(
            d.text().count("SIGHUP: reloaded")), 20)
        check(reloads == hups, f"{reloads} of {hups} SIGHUPs reloaded:\n{d.text()[-2000:]}")
        check_all_running(d, {s["id"] for s in configs[hups % len(configs)][0]})
        d.stop()
    finally:
        d.kill()


def check_all_running(d, ids):
    """The daemon lists exactly `ids` (the clients deleted theirs), all
    running, and each one's frames advance."""
    def frames():
        return {s["id"]: (s["state"], s["frames_in"]) for s in d.get("/api/v1/streams")["streams"]}
    first = wait_for("streams running", lambda: (lambda f: f if all(
        st == "running" for st, _ in f.values()) else None)(frames()), 20)
    check(set(first) == ids, f"streams {sorted(first)}, want {sorted(ids)}")
    wait_for("frames advancing", lambda: all(
        frames()[i][1] > first[i][1] for i in ids), 20)


# ---- model ----

def models_entry(d, name="face"):
    return next(m for m in d.get("/api/v1/models")["models"] if m["name"] == name)


def write_card(path, onnx, threshold):
    with open(CARD) as f:
        card = json.load(f)
    card.update(path=onnx, labels=os.path.join(SRC, "config/labels/face.txt"),
                threshold=threshold)
    with open(path + ".new", "w") as f:
        json.dump(card, f)
    os.replace(path + ".new", path)


def dets_after(d, since_id):
    return [r for r in d.get("/api/v1/detections?limit=1000")["detections"] if r["id"] > since_id]


def last_det_id(d):
    rows = d.get("/api/v1/detections?limit=1")["detections"]
    return rows[0]["id"] if rows else 0


def still_detecting(d, what):
    """New face detections keep coming, from both streams."""
    since = last_det_id(d)
    wait_for(f"{what}: both streams detect", lambda: {r["stream"] for r in dets_after(d, since)}
             >= {"a", "b"}, 15)


def streams_counters(d):
    return {s["id"]: s["frames_in"] for s in d.get("/api/v1/streams")["streams"]}


def hup_refused(d, onnx, what):
    """SIGHUP with a damaged ONNX file: refused with its name, old model kept."""
    before_m, before_s = models_entry(d), streams_counters(d)
    def hup_lines():
        return [line for line in d.text().splitlines() if "SIGHUP:" in line]
    n_log = len(hup_lines())
    d.signal(signal.SIGHUP)
    msg = wait_for("SIGHUP answered", lambda: hup_lines()[n_log:], 20)[0]
    check(onnx in msg and "the loaded model keeps running" in msg and "reloaded" not in msg,
          f"{what}: SIGHUP should refuse {onnx} and keep the model: {msg!r}")
    print(f"{what}: {msg}")
    still_detecting(d, f"{what}, after SIGHUP")
    # the same model object runs on: its counters go on from where they were
    after_m = wait_for(f"{what}: the loaded model runs on", lambda: (lambda m: m if m[
        "runs"] > before_m["runs"] else None)(models_entry(d)), 15)
    after_s = streams_counters(d)
    check(after_m["loaded"] and after_m["error"] is None,
          f"{what}: the loaded model should keep running: {before_m} -> {after_m}")
    check(all(after_s[i] >= before_s[i] for i in before_s),
          f"{what}: streams restarted (counters {before_s} -> {after_s})")


def test_model(tmp):
    clip = face_clip(tmp)
    with open(CARD) as f:
        onnx_src = os.path.normpath(os.path.join(os.path.dirname(CARD), json.load(f)["path"]))
    onnx, card = os.path.join(tmp, "face.onnx"), os.path.join(tmp, "face.json")
    shutil.copyfile(onnx_src, onnx)
    write_card(card, onnx, 0.5)
    size = os.path.getsize(onnx)
    cfg = os.path.join(tmp, "visiond.yaml")
    write_config(cfg, [live(s, clip, 5, detect={"model": "face"}) for s in ("a", "b")],
                 {"face": {"card": card, "threads": 1, "max_batch": 2, "max_wait_ms": 20}})
    d = Daemon(VISIOND, tmp, cfg).start()
    try:
        still_detecting(d, "start")
        # in place, while analysing: truncated to half (an mmapped model would SIGBUS here)
        with open(onnx, "r+b") as f:
            f.truncate(size // 2)
        time.sleep(1)
        check(d.proc.poll() is None, f"daemon died after the truncate: {d.proc.returncode}")
        still_detecting(d, "truncated in place")
        hup_refused(d, onnx, "truncated")
        # in place: garbage over the whole file, same size as the original
        with open(onnx, "r+b") as f:
            f.write(random.Random(1).randbytes(size))
        still_detecting(d, "overwritten in place")
        hup_refused(d, onnx, "garbage")
        # a valid ONNX file of another model (BlazeFace front, 128x128) renamed over it
        shutil.copyfile(os.path.join(os.path.dirname(onnx_src),
                                     "face_detection_front_128x128_barracuda.onnx"), onnx + ".new")
        os.replace(onnx + ".new", onnx)
        hup_refused(d, onnx, "another model")
        # the original back by an atomic rename-over, with a new card
        shutil.copyfile(onnx_src, onnx + ".new")
        os.replace(onnx + ".new", onnx)
        write_card(card, onnx, 0.99)
        runs = models_entry(d)["runs"]
        d.signal(signal.SIGHUP)
        wait_for("reloaded", lambda: "SIGHUP: reloaded" in d.text(), 20)
        m = wait_for("the new model runs", lambda: (lambda m: m["runs"] > 0 and m)(
            models_entry(d)), 20)
        check(m["loaded"] and m["error"] is None and m["runs"] < runs,
              f"rename-over: a new model should run (runs from 0): {runs} -> {m}")
        time.sleep(1)  # frames analysed by the old model may still arrive
        since = last_det_id(d)
        wait_for("two more runs", lambda: models_entry(d)["runs"] >= m["runs"] + 4, 20)
        time.sleep(0.5)
        late = dets_after(d, since)
        check(not late, f"threshold 0.99 from the new card: want no faces, got {late[:3]}")
        check(re.search(r"SIGHUP: reloaded", d.text()), "no reload line")
        # the old card's threshold back, same file: detections return
        write_card(card, onnx, 0.5)
        d.signal(signal.SIGHUP)
        still_detecting(d, "after the card is restored")
        d.stop()
        # a daemon started on a truncated file: the model is not loaded (the
        # streams run without it); the file fixed and SIGHUP: it loads
        with open(onnx, "r+b") as f:
            f.truncate(size // 3)
        d.start()
        m = models_entry(d)
        check(not m["loaded"] and onnx in (m["error"] or ""), f"truncated at start: {m}")
        shutil.copyfile(onnx_src, onnx + ".new")
        os.replace(onnx + ".new", onnx)
        d.signal(signal.SIGHUP)
        wait_for("loaded at SIGHUP", lambda: models_entry(d)["loaded"], 20)
        still_detecting(d, "fixed after a failed start")
        d.stop()
    finally:
        d.kill()


if __name__ == "__main__":
    tests = {"clients": test_clients, "model": test_model}
    run(tests[MODE], f"vd-load-{MODE}-")
