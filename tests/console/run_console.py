#!/usr/bin/env python3
"""run_console.py -- start a real `visiond serve` on a generated clip and
run the browser test (console_test.mjs) against its web console.

usage: run_console.py VISIOND SOURCE_DIR WORK_DIR [--screenshots DIR]

Also checks what the browser test cannot see: the headers of / and its
assets (CSP, gzip, caching) and the console's total size. The daemon runs
with a bearer token, so the token flow is part of every run."""
import gzip, os, shutil, signal, socket, subprocess, sys, time, urllib.request

visiond, src, work = sys.argv[1:4]
shots = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--screenshots" else ""
data = os.environ.get("VD_OPENCV_DATA", "/usr/share/doc/opencv-doc/examples/data")
ffmpeg = os.environ.get("FFMPEG", "ffmpeg")
npm_dir = os.environ["VD_NPM_DIR"]
TOKEN = "console-test-token-4f1c"
failures = []
passes = []


def check(ok, what):
    print(("ok - " if ok else "FAIL - ") + what, flush=True)
    (passes if ok else failures).append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status, dict(r.headers), r.read()


shutil.rmtree(work, ignore_errors=True)
os.makedirs(f"{work}/state")
clip = f"{work}/messi.mp4"
subprocess.run([ffmpeg, "-v", "error", "-loop", "1", "-i", f"{data}/messi5.jpg", "-t", "8", "-r", "10",
                "-vf", "scale=640:-2", "-pix_fmt", "yuv420p", "-c:v", "libx264", clip], check=True)
with open(f"{work}/token", "w") as f:
    f.write(TOKEN + "\n")
port = free_port()
with open(f"{work}/visiond.yaml", "w") as f:
    f.write(f"""http:
  listen: 127.0.0.1:{port}
  token_file: {work}/token
models:
  face:
    card: {src}/config/models/blazeface-back.json
streams:
  - id: door-cam
    url: {clip}
    realtime: true
    loop: true
    fps: 5
    detect: {{model: face, threshold: 0.5}}
    track: true
""")
base = f"http://127.0.0.1:{port}"
log = open(f"{work}/visiond.log", "w")
proc = subprocess.Popen([visiond, "serve", "--config", f"{work}/visiond.yaml", "--state-dir", f"{work}/state"],
                        stdout=log, stderr=subprocess.STDOUT)
try:
    for _ in range(100):
        try:
            if get(base + "/api/v1/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        check(False, "daemon answers /api/v1/health within 10 s")

    # Headers a browser relies on; the console itself needs no token.
    total = 0
    for path, ctype in [("/", "text/html"), ("/console.js", "text/javascript"), ("/console.css", "text/css")]:
        st, h, body = get(base + path, {"Accept-Encoding": "gzip"})
        h = {k.lower(): v for k, v in h.items()}
        check(st == 200 and h.get("content-type", "").startswith(ctype), f"GET {path}: 200 {ctype}")
        check(h.get("content-security-policy", "").startswith("default-src 'self'"), f"GET {path}: CSP default-src 'self'")
        check(h.get("content-encoding") == "gzip", f"GET {path}: gzip")
        check("cache-control" in h and ("etag" in h or "last-modified" in h), f"GET {path}: caching headers")
        check(h.get("x-content-type-options") == "nosniff", f"GET {path}: nosniff")
        total += len(body)
        if h.get("content-encoding") == "gzip":
            gzip.decompress(body)
    check(total < 100 * 1024, f"whole console {total} bytes < 100 KB")
    if "etag" in h:
        req = urllib.request.Request(base + "/console.css", headers={"If-None-Match": h["etag"], "Accept-Encoding": "gzip"})
        try:
            urllib.request.urlopen(req, timeout=5)
            check(False, "If-None-Match gives 304")
        except urllib.error.HTTPError as e:
            check(e.code == 304, f"If-None-Match gives 304 (got {e.code})")

    # Chromium (screenshots from it), then Firefox ESR against the same daemon.
    for browser in ("chromium", "firefox"):
        env = dict(os.environ, VD_NPM_DIR=npm_dir, VD_BROWSER=browser)
        rc = subprocess.run(["node", f"{src}/tests/console/console_test.mjs", base, TOKEN,
                             f"{data}/messi5.jpg", shots if browser == "chromium" else ""],
                            env=env, timeout=240).returncode
        check(rc == 0, f"browser test in {browser}")
finally:
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=15)
        check(rc == 0, f"daemon exits 0 on SIGTERM (got {rc})")
    except subprocess.TimeoutExpired:
        proc.kill()
        check(False, "daemon exits within 15 s of SIGTERM")
    log.close()
if failures:
    print(open(f"{work}/visiond.log").read()[-4000:])
print(f"console: {len(passes)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
