#!/usr/bin/python3
"""daemon_faults.py -- faults injected into the real `visiond serve` (real
FFmpeg, real SQLite, real HTTP on loopback, rtsp-server-perl): the daemon
survives each, says what happened, and loses no committed row.

usage: daemon_faults.py VISIOND FFMPEG SOURCE_DIR OPENCV_DATA MODE [ARG]
  refuse    a camera whose port refuses connections for ARG s (300 in CI):
            the reconnect backoff holds (reconnect: {min: 1, max: 30}; each
            attempt's backoff_s within +-20 % of min(2^k, 30), the attempt
            count within what that schedule allows), the daemon's CPU time
            (/proc/PID/stat) stays under 1 % of the wall time, the log gets
            at most 3 lines; then rtsp-server-perl comes up on that port with
            a publisher and the stream is running again within one backoff
  corrupt   6000 random bytes (seed 13) in the middle of an 8 s H.264 file
  truncated the same file cut at 60 %: each as a daemon stream, the stream
            ends `stopped` (not failed, not re-read), the damage is counted
            (frames_damaged in the stream and /stats) and named
            (last_damage, and one log line), the daemon stays healthy, and
            the detections are those `visiond detect` finds in the same
            damaged file: the same pts before and after the damage; the
            same file looping (unpaced) runs on, counts each pass's damage
            and logs it once (then at most once a minute)
  diskfull-tmpfs  the state dir on a 16 MiB tmpfs, filled by a file while
            rows are written (skips, exit 77, where mounting is not allowed)
  diskfull-fsize  RLIMIT_FSIZE set on the running daemon (prlimit --pid) at
            its files' current sizes, raised again later: in both, analysis
            goes on, /stats store.write_errors counts and last_error names
            the error, the log says it once, every row the API returned
            before is still there, writing resumes when space returns with
            nothing dropped, and PRAGMA integrity_check is ok
  kill9     ARG rounds (20 in CI) of kill -9 at a random moment (seed
            printed) while three unpaced streams write: after each restart
            every detection the API had returned is there, identical (and
            every event, by id), and
            PRAGMA integrity_check is ok after every kill
"""
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_lib import Daemon, Failure, check, run, wait_for, write_config  # noqa: E402

VISIOND, FFMPEG, SRC, DATA, MODE = sys.argv[1:6]
SRC = os.path.abspath(SRC)
ARG = sys.argv[6] if len(sys.argv) > 6 else None
CARD = os.path.join(SRC, "config/models/blazeface-back.json")
FACE_MODEL = {"face": {"card": CARD, "threads": 1, "max_batch": 1, "max_wait_ms": 10}}
SEED = 13


def ffmpeg(*args):
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", *args], check=True)


def face_clip(tmp, seconds=8, name="faces.mp4"):
    """messi5.jpg panned slowly (one face in every frame), index up front
    (+faststart) so a truncated file still opens."""
    path = os.path.join(tmp, name)
    ffmpeg("-loop", "1", "-i", os.path.join(DATA, "messi5.jpg"), "-t", str(seconds), "-r", "25",
           "-vf", "scale=1096:684,crop=640:480:'100+t*30':100", "-c:v", "libx264",
           "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25", "-movflags", "+faststart",
           path)
    return path


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def store_stats(d):
    return d.get("/api/v1/stats")["store"]


def integrity(db):
    """PRAGMA integrity_check on a read-only connection, so the files stay
    as the daemon left them (a WAL file is not checkpointed away)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


# ---- refuse: a camera that refuses connections for minutes ----

def attempt_bounds(secs, lo_s, hi_s):
    """(fewest, most) failed attempts within secs when the k-th wait is
    min(lo * 2^k, hi) with +-20 % jitter (a refused connect takes ~0 s)."""
    def count(f):
        t, n = 0.0, 0
        while t <= secs:
            n += 1
            t += f * min(lo_s * 2 ** (n - 1), hi_s)
        return n
    return count(1.2), count(0.8)


def test_refuse(tmp):
    import rtsp_live
    if not rtsp_live.SERVER:
        print("SKIP: rtsp-server-perl is not installed")
        sys.exit(77)
    secs = float(ARG or 300)
    lo_s, hi_s = 1, 30
    cport, sport = rtsp_live.free_tcp_port(), rtsp_live.free_tcp_port()
    cfg = os.path.join(tmp, "visiond.yaml")
    write_config(cfg, [{"id": "cam", "url": f"rtsp://127.0.0.1:{cport}/cam",
                        "rtsp_transport": "udp", "timeout": 2, "fps": 5,
                        "reconnect": {"min": lo_s, "max": hi_s}, "motion": {"detect": True}}])
    d = Daemon(VISIOND, tmp, cfg)
    rig = None
    try:
        d.start()
        wait_for("cam reconnecting", lambda: d.stream("cam")["state"] == "reconnecting", 10)
        t0, cpu0, lines0 = time.monotonic(), cpu_seconds(d.proc.pid), len(d.text().splitlines())
        samples = []
        while time.monotonic() - t0 < secs:
            s = d.stream("cam")
            check(s["state"] == "reconnecting", f"a refusing camera: {s}")
            samples.append((s["reconnects"], s["backoff_s"]))
            time.sleep(1)
        cpu = cpu_seconds(d.proc.pid) - cpu0
        wall = time.monotonic() - t0
        log = d.text().splitlines()[lines0:]
        n = d.stream("cam")["reconnects"]
        fewest, most = attempt_bounds(wall, lo_s, hi_s)
        for k, b in samples:
            want = min(lo_s * 2 ** (k - 1), hi_s)
            check(0.8 * want - 0.01 <= b <= 1.2 * want + 0.01,
                  f"attempt {k}: backoff {b} s, want {want} s +-20 %")
        check(fewest - 1 <= n <= most + 1,
              f"{n} attempts in {wall:.0f} s; the backoff allows {fewest}..{most}")
        check(cpu < 0.01 * wall, f"{cpu:.2f} s of CPU in {wall:.0f} s (want < 1 %)")
        check(len(log) <= 3, f"{len(log)} log lines while refused: {log[:5]}")
        err = d.stream("cam")["last_error"] or ""
        check(str(cport) in err and "refused" in err.lower(), f"last_error: {err!r}")
        # the camera comes up on that port
        ports = iter([cport, sport])
        rtsp_live.free_tcp_port = lambda: next(ports)
        rig = rtsp_live.Rig()
        rig.publish()
        t_up = time.monotonic()
        wait_for("running again", lambda: d.stream("cam")["state"] == "running" and
                 d.stream("cam")["frames_analysed"] >= 10, 1.2 * hi_s + 15, 0.2)
        back = time.monotonic() - t_up
        d.stop()
    finally:
        d.kill()
        if rig:
            rig.close()
        shutil.rmtree(rtsp_live.TMP, ignore_errors=True)
    print(f"refuse: {n} attempts in {wall:.0f} s (backoff allows {fewest}..{most}), "
          f"CPU {cpu:.2f} s ({100 * cpu / wall:.3f} %), {len(log)} log lines, "
          f"running again {back:.1f} s after the camera came up")
    print(f"FIGURES refuse secs={wall:.0f} attempts={n} allowed={fewest}..{most} "
          f"cpu_s={cpu:.2f} cpu_pct={100 * cpu / wall:.3f} log_lines={len(log)} "
          f"recovered_s={back:.1f}")


# ---- corrupt / truncated files ----

def damage(clip, mode):
    data = bytearray(open(clip, "rb").read())
    if mode == "corrupt":
        rng = random.Random(SEED)
        mid = len(data) // 2
        data[mid:mid + 6000] = bytes(rng.randrange(256) for _ in range(6000))
    else:
        del data[int(len(data) * 0.6):]
    path = clip.replace(".mp4", f"-{mode}.mp4")
    with open(path, "wb") as f:
        f.write(data)
    return path


def cli_pts(path):
    p = subprocess.run([VISIOND, "detect", path, "--model", CARD, "--fps", "5"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode in (0, 1), f"visiond detect {path}: exit {p.returncode}: {p.stderr}")
    frames = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    return sorted(round(f["pts"], 3) for f in frames for _ in f.get("detections", []))


def test_damaged(tmp):
    clip = face_clip(tmp)
    bad = damage(clip, MODE)
    want = cli_pts(bad)
    clean = cli_pts(clip)
    check(len(clean) >= 35, f"the clean clip has {len(clean)} faces in 40 frames")
    cfg = os.path.join(tmp, "visiond.yaml")
    # "loop" reads the damaged file again and again, unpaced
    write_config(cfg, [{"id": "cam", "url": bad, "fps": 5, "detect": {"model": "face"}},
                       {"id": "loop", "url": bad, "fps": 5, "loop": True}], FACE_MODEL)
    d = Daemon(VISIOND, tmp, cfg).start()
    try:
        wait_for("stream ended", lambda: d.stream("cam")["state"] in ("stopped", "failed"), 60,
                 0.2)
        s = d.stream("cam")
        check(s["state"] == "stopped", f"a damaged file ends like a file: {s}")
        check(s["frames_damaged"] >= 1 and s["last_damage"] and
              os.path.basename(bad) in s["last_damage"], f"damage not reported: {s}")
        stats = [x for x in d.get("/api/v1/stats")["streams"] if x["id"] == "cam"][0]
        check(stats["frames_damaged"] == s["frames_damaged"], f"/stats: {stats}")
        wait_for("damage logged", lambda: "stream cam: 1 damaged frames" in d.text(), 3)
        line = [x for x in d.text().splitlines() if "stream cam: 1 damaged" in x][0]
        check(s["last_damage"] in line, f"log line: {line}")
        passes = wait_for("3 damaged passes", lambda: (lambda x: x["frames_damaged"] >= 3 and x)(
            d.stream("loop")), 30, 0.2)
        check(passes["state"] == "running", f"a looping damaged file: {passes}")
        loop_lines = [x for x in d.text().splitlines() if "stream loop: " in x and "damaged" in x]
        check(len(loop_lines) == 1, f"damage log lines of a looping file: {loop_lines}")
        check(d.request("GET", "/api/v1/health")[0] == 200, "unhealthy after the damage")
        time.sleep(0.5)  # the store commits every 100 ms
        got = sorted(round(r["pts"], 3) for r in d.all_rows("detections", "&stream=cam"))
        check(got == want, f"daemon pts {got} vs visiond detect on the same file {want}")
        m = re.search(r"at (\d+\.\d+) s", s["last_damage"])
        cut = float(m.group(1)) if m else max(clean) * 0.6
        before = [p for p in got if p < cut - 0.5]
        after = [p for p in got if p > cut + 0.5]
        check(before, f"no detection before the damage at {cut} s")
        if MODE == "corrupt":
            check(after, f"no detection after the damage at {cut} s: {got}")
        d.stop()
    finally:
        d.kill()
    print(f"{MODE}: stopped, {s['frames_damaged']} damaged frames ({s['last_damage']}), "
          f"{len(got)} detections = visiond detect's ({len(before)} before / {len(after)} after "
          f"{cut:.1f} s; the clean clip {len(clean)})")
    print(f"FIGURES {MODE} damaged={s['frames_damaged']} rows={len(got)} cli_rows={len(want)}")


# ---- disk full ----

def busy_streams(clip, n=2):
    return [{"id": f"s{i}", "url": clip, "fps": 10, "realtime": True, "loop": True,
             "detect": {"model": "face"}, "track": True} for i in range(n)]


class Tmpfs:
    """A 16 MiB tmpfs as the state dir, filled and emptied by a file."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "small")
        os.makedirs(self.dir)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", self.dir],
                           capture_output=True, text=True)
        if p.returncode:
            print(f"SKIP: cannot mount a tmpfs here ({p.stderr.strip()}); "
                  "diskfull-fsize covers the disk-full path")
            sys.exit(77)
        self.filler = os.path.join(self.dir, "filler")

    def fill(self, d):
        # unbuffered: nothing left to flush (and fail) at close
        with open(self.filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        return "tmpfs full"

    def free(self, d):
        os.unlink(self.filler)

    def close(self):
        subprocess.run(["umount", "-l", self.dir])


class Fsize:
    """RLIMIT_FSIZE on the running daemon: no file of it may grow."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "state")

    def fill(self, d):
        names = [n for n in os.listdir(d.state) if n.startswith("visiond.db")]
        limit = max(os.path.getsize(os.path.join(d.state, n)) for n in names)
        check(limit > os.path.getsize(d.log_path) + 65536, "the log would hit the limit")
        subprocess.run(["prlimit", "--pid", str(d.proc.pid), f"--fsize={limit}:unlimited"], check=True)
        return f"RLIMIT_FSIZE {limit} bytes"

    def free(self, d):
        if d.proc.poll() is not None:
            return  # the limit went with the process
        subprocess.run(["prlimit", "--pid", str(d.proc.pid), "--fsize=unlimited:unlimited"], check=True)

    def close(self):
        pass


def while_full(d, disk):
    """Fill the disk while rows are written: the error is counted, named
    and logged, analysis goes on, reads still work. The rows the API
    returned and the count queued meanwhile."""
    how = disk.fill(d)
    seen = {r["id"]: r for r in d.all_rows("detections")}
    wait_for("a write error", lambda: store_stats(d)["write_errors"] > 0, 60, 0.2)
    wait_for("logged", lambda: "store: cannot write" in d.text(), 3)
    a0 = sum(d.stream(f"s{i}")["frames_analysed"] for i in range(2))
    seen.update((r["id"], r) for r in d.all_rows("detections"))
    time.sleep(4)
    a1 = sum(d.stream(f"s{i}")["frames_analysed"] for i in range(2))
    st = store_stats(d)
    check(st["last_error"] and ("full" in st["last_error"] or "large" in st["last_error"]),
          f"/stats store.last_error: {st}")
    check(a1 - a0 >= 10, f"analysis stalled while the disk was full: {a0} -> {a1} frames")
    check(st["queued"] > 0 and st["write_errors"] >= 3, f"store while full: {st}")
    check(d.request("GET", "/api/v1/detections?limit=5")[0] == 200, "reads fail while full")
    return how, seen, st


def intact(d, seen):
    after = {r["id"]: r for r in d.all_rows("detections")}
    lost = [i for i in seen if after.get(i) != seen[i]]
    check(not lost, f"{len(lost)} rows returned before are gone or changed: {lost[:5]}")
    check(integrity(os.path.join(d.state, "visiond.db")) == "ok", "integrity_check")
    return after


def start_while_full(d, disk):
    """A (re)start on the full disk: the daemon runs, analyses and counts
    the write errors, or (no room for the WAL) exits 1 naming the file and
    the cause; never a crash. What happened, for the summary."""
    if os.path.exists(disk.filler):
        os.unlink(disk.filler)
    disk.fill(d)  # and what the stop's checkpoint freed
    try:
        d.start()
    except Failure:
        rc = d.proc.wait(timeout=10)
        check(rc == 1 and "visiond.db" in d.text() and "No space left" in d.text(),
              f"a start on a full disk: exit {rc}: {d.text()}")
        return "refused (exit 1, No space left on device)"
    wait_for("a write error", lambda: store_stats(d)["write_errors"] > 0, 20, 0.2)
    a0 = d.stream("s0")["frames_analysed"]
    wait_for("analysis", lambda: d.stream("s0")["frames_analysed"] > a0 + 10, 10, 0.2)
    d.stop()
    return "ran: analysed, write errors counted"


def test_diskfull(tmp):
    disk = (Tmpfs if MODE == "diskfull-tmpfs" else Fsize)(tmp)
    clip = face_clip(tmp, 4)
    cfg = os.path.join(tmp, "visiond.yaml")
    write_config(cfg, busy_streams(clip), FACE_MODEL)
    d = Daemon(VISIOND, tmp, cfg)
    d.state = disk.dir
    try:
        d.start()
        wait_for("rows", lambda: len(d.all_rows("detections")) >= 30, 60, 0.2)
        how, seen, full = while_full(d, disk)
        disk.free(d)
        wait_for("writing again", lambda: (lambda s: not s["last_error"] and s["queued"] < 50)(
            store_stats(d)), 10, 0.2)
        wait_for("logged", lambda: "store: writing again" in d.text(), 3)
        after = intact(d, seen)
        check(len(after) >= len(seen) + full["queued"] // 2,
              f"the rows queued while full were not written: {len(seen)} -> {len(after)}")
        check(store_stats(d)["dropped"] == 0, f"rows dropped: {store_stats(d)}")
        # full again, and stopped so: a clean exit in time, the loss counted
        _, seen, _ = while_full(d, disk)
        secs = d.stop()
        said = [x for x in d.text().splitlines() if x.startswith("visiond: stopped")]
        check(said and re.search(r"stopped; store .*: \d+ rows could not be written", said[0]),
              f"the rows lost at the stop are not logged: {said}")
        restart = [start_while_full(d, disk)] if isinstance(disk, Tmpfs) else []
        disk.free(d)
        write_config(cfg, [], FACE_MODEL)
        d.start()
        intact(d, seen)
        d.stop()
        if isinstance(disk, Tmpfs):  # once more, the WAL gone after a clean stop
            write_config(cfg, busy_streams(clip), FACE_MODEL)
            restart.append(start_while_full(d, disk))
    finally:
        d.kill()
        disk.close()
    print(f"{MODE}: {how}; {full['write_errors']} failed commits in ~4 s, {full['queued']} "
          f"rows queued meanwhile and written after; {len(seen)} returned rows intact, "
          f"integrity ok; full at SIGTERM: stopped in {secs:.1f} s, committed rows intact; "
          f"a start on the full disk: {'; '.join(restart) or 'not tried'}")
    print(f"FIGURES {MODE} write_errors={full['write_errors']} queued={full['queued']} "
          f"returned={len(seen)} lost=0")


# ---- kill -9 in a loop ----

def test_kill9(tmp):
    rounds = int(ARG or 20)
    seed = int(os.environ.get("VD_FAULT_SEED", "20261206"))
    rng = random.Random(seed)
    moments = [round(rng.uniform(0.05, 3.0), 3) for _ in range(rounds)]
    print(f"kill9: seed {seed}, kill moments after the first commit of each round: {moments}")
    clip = face_clip(tmp, 4)
    cfg = os.path.join(tmp, "visiond.yaml")
    # unpaced (block) looping files: the writes go as fast as the analysis
    streams = [{"id": f"f{i}", "url": clip, "fps": 25, "loop": True,
                "detect": {"model": "face"}, "track": True} for i in range(2)]
    streams.append({"id": "m", "url": os.path.join(DATA, "vtest.avi"), "fps": 10, "loop": True,
                    "motion": {"detect": True}})
    write_config(cfg, streams, FACE_MODEL)
    d = Daemon(VISIOND, tmp, cfg)
    db = os.path.join(d.state, "visiond.db")
    seen, seen_events, total, rates = {}, set(), 0, []
    try:
        for k, moment in enumerate(moments):
            d.start()
            rows = {r["id"]: r for r in d.all_rows("detections")}
            lost = [i for i in seen if rows.get(i) != seen[i]]
            check(not lost, f"round {k}: {len(lost)} rows the API had returned are gone or "
                  f"changed: {lost[:5]}")
            seen.update(rows)
            events = {e["id"] for e in d.all_rows("events")}
            check(seen_events <= events, f"round {k}: events the API had returned are gone: "
                  f"{sorted(seen_events - events)[:5]}")
            seen_events |= events
            c0 = wait_for("committing", lambda: store_stats(d)["committed"], 30, 0.05)
            t0 = time.monotonic()
            while time.monotonic() - t0 < moment:  # read while it writes
                for r in d.get("/api/v1/detections?limit=200")["detections"]:
                    seen[r["id"]] = r
                seen_events |= {e["id"] for e in d.get("/api/v1/events?limit=50")["events"]}
            rates.append(store_stats(d)["committed"] - c0)
            d.proc.kill()
            d.proc.wait()
            d.log.close()
            ok = integrity(db)
            check(ok == "ok", f"round {k}: integrity_check after kill -9: {ok}")
        d.start()
        rows = {r["id"]: r for r in d.all_rows("detections")}
        lost = [i for i in seen if rows.get(i) != seen[i]]
        check(not lost, f"after the last round: {len(lost)} returned rows gone: {lost[:5]}")
        check(seen_events <= {e["id"] for e in d.all_rows("events")},
              "after the last round: returned events gone")
        total = len(rows)
        d.stop()
        check(integrity(db) == "ok", "integrity_check after the clean stop")
    finally:
        d.kill()
    check(sum(1 for r in rates if r > 0) >= rounds * 3 // 4,
          f"rows committed while the kill came, per round: {rates}")
    print(f"kill9: {rounds} rounds, {len(seen)} detections and {len(seen_events)} events "
          f"returned by the API all intact, "
          f"integrity ok after every kill, {total} rows in the end; rows committed in the "
          f"last moment per round {rates}")
    print(f"FIGURES kill9 rounds={rounds} seed={seed} returned={len(seen)} lost=0 "
          f"integrity_ok={rounds + 1}")


if __name__ == "__main__":
    tests = {"refuse": test_refuse, "corrupt": test_damaged, "truncated": test_damaged,
             "diskfull-tmpfs": test_diskfull, "diskfull-fsize": test_diskfull,
             "kill9": test_kill9}
    if MODE not in tests:
        sys.exit(f"unknown mode {MODE}; one of {', '.join(tests)}")
    if MODE == "refuse":
        sys.argv = [sys.argv[0], VISIOND, FFMPEG, "daemon"]  # rtsp_live reads its own argv
    run(tests[MODE], f"vd_faults_{MODE}_")
