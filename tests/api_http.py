#!/usr/bin/python3
"""api_http.py -- the HTTP API of a real `visiond serve` over real HTTP on
127.0.0.1, every response checked against docs/openapi.yaml (python3-jsonschema).

usage: api_http.py VISIOND SOURCE_DIR MODE
  errors      with a token configured: 401 (none, wrong, Bearer in the wrong
              place), 404, 405 + Allow, 409, 400 naming the parameter or the
              key, 413 (declared and chunked bodies), 415, 503 (one SSE client
              over the limit); each body {"error": {"code", "message"}}; the
              idle-connection timeout and the header size limit (431)
  resources   health, streams (list, one, POST 201, PATCH 200, DELETE 204, the
              URL never echoed with its credentials), detections and events
              (filters, one, snapshot JPEG), stream snapshot (?annotate=1),
              models, stats, /metrics (histograms consistent)
  pagination  keyset pages of 7 walked while the stream inserts rows: no row
              repeated or skipped, order (ts, id) descending
  sse         /api/v1/live: detection and event messages (schemas), ?stream=
              filter, keep-alive comments, and a client that stops reading is
              dropped while a reading client keeps receiving
  spec        daemon/server/routes.c, docs/openapi.yaml and docs/api.md list the
              same endpoints
  deepstack   POST /v1/vision/detection and /custom/{model}: curl -F with a real
              JPEG, the requests Home Assistant's deepstack client and Frigate's
              deepstack detector send (python3-requests, as they build them),
              DeepStack's error shapes and statuses

Each mode starts its own daemon (free port, temp state dir) and stops it with
SIGTERM, asserting exit 0. Exits 77 (ctest SKIP) when the BlazeFace model of
setup.sh's test assets is missing.
"""
import copy
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import jsonschema
import requests
import yaml

VISIOND, SRC, MODE = sys.argv[1:4]
DATA = "/usr/share/doc/opencv-doc/examples/data"
VTEST = os.path.join(DATA, "vtest.avi")
MESSI = os.path.join(DATA, "messi5.jpg")
CARD = os.path.join(SRC, "config/models/blazeface-back.json")
TOKEN = "s3cret-token-for-tests"


# ---- OpenAPI -> JSON Schema ------------------------------------------------

def load_spec():
    with open(os.path.join(SRC, "docs/openapi.yaml")) as f:
        spec = yaml.safe_load(f)

    def conv(node):
        """Inline $refs; OpenAPI's nullable becomes anyOf [..., null]."""
        if isinstance(node, list):
            return [conv(x) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return conv(target)
        out = {k: conv(v) for k, v in node.items() if k not in ("nullable", "format", "description")}
        if node.get("nullable"):
            return {"anyOf": [out, {"type": "null"}]}
        return out

    return {name: conv(s) for name, s in spec["components"]["schemas"].items()}, spec


SCHEMAS, SPEC = load_spec()


def check(obj, schema):
    jsonschema.Draft7Validator(SCHEMAS[schema]).validate(obj)


# ---- the daemon ----------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    def __init__(self, token=None, streams=None, http_extra=None, models=None, wait_ready=True,
                 extra=None):
        self.dir = tempfile.mkdtemp(prefix="vd-api-")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.token = token
        cfg = {"http": {"listen": "127.0.0.1:%d" % self.port},
               "sources": {"media_dirs": [DATA]},
               "models": models or {"face": {"card": CARD, "max_batch": 4}},
               "streams": streams if streams is not None else [stream("cam")]}
        cfg["http"].update(http_extra or {})
        cfg.update(extra or {})
        if token:
            tf = os.path.join(self.dir, "token")
            with open(tf, "w") as f:
                f.write(token + "\n")
            cfg["http"]["token_file"] = tf
        self.cfg_path = os.path.join(self.dir, "visiond.yaml")
        with open(self.cfg_path, "w") as f:
            yaml.safe_dump(cfg, f)
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen([VISIOND, "serve", "--config", self.cfg_path, "--state-dir",
                                      os.path.join(self.dir, "state")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                st = self.request("GET", "/api/v1/health", auth=False)[0]
                if st == 200 or (st == 503 and not wait_ready):
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.fail_log("the daemon did not come up")
            time.sleep(0.1)

    def fail_log(self, why):
        self.log.seek(0)
        sys.exit("%s\n--- daemon log ---\n%s" % (why, self.log.read()))

    def request(self, method, path, body=None, headers=None, auth=True, timeout=30):
        """(status, headers, raw body) over a fresh connection."""
        h = dict(headers or {})
        if auth and self.token:
            h.setdefault("Authorization", "Bearer " + self.token)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.headers, data

    def json(self, method, path, want, schema=None, **kw):
        status, headers, data = self.request(method, path, **kw)
        if status != want:
            sys.exit("%s %s: status %d, expected %d: %s" % (method, path, status, want, data[:500]))
        obj = json.loads(data) if data else None
        if schema:
            check(obj, schema)
        return obj

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.fail_log("no exit 15 s after SIGTERM")
        if rc != 0:
            self.fail_log("exit %d after SIGTERM" % rc)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def stream(sid, **over):
    s = {"id": sid, "url": VTEST, "realtime": True, "loop": True, "fps": 5,
         "motion": {"detect": True}, "track": True,
         "zones": {"left": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}}
    s.update(over)
    return s


def expect(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


def error_is(d, method, path, status, words=(), **kw):
    """The error shape, its code for the status, and words of the message."""
    body = d.json(method, path, status, schema="Error", **kw)
    code = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
            409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
            429: "too_many_requests", 503: "unavailable"}[status]
    expect(body["error"]["code"] == code, "%s %s: code %s" % (method, path, body))
    for w in words:
        expect(w in body["error"]["message"], "%s %s: '%s' not in %s" % (method, path, w, body))
    return body


def open_live(d, n):
    """n SSE clients that each got their 200 (sockets: close them)."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(("GET /api/v1/live HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n"
                   % d.token).encode())
        s.settimeout(5)
        expect(s.recv(64).startswith(b"HTTP/1.1 200"), "live client refused early")
        socks.append(s)
    return socks


def wait_rows(d, path, key, n, timeout=20):
    timeout *= float(os.environ.get("VD_TIME_SCALE", "1"))  # 3 under ASan (sanitizers.cmake)
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = d.json("GET", path, 200)[key]
        if len(rows) >= n:
            return rows
        time.sleep(0.3)
    sys.exit("%s: fewer than %d %s after %d s" % (path, n, key, timeout))


# ---- modes -------------------------------------------------------------------

def mode_errors():
    d = Daemon(token=TOKEN, http_extra={"max_body": 1 << 20, "connection_timeout": 2,
                                        "max_auth_failures": 1000})
    try:
        # 401 on everything but health; the token only in the Authorization header
        d.json("GET", "/api/v1/health", 200, schema="Health", auth=False)
        for method, path in [("GET", "/api/v1/streams"), ("GET", "/api/v1/detections"),
                             ("GET", "/api/v1/events"), ("GET", "/api/v1/stats"),
                             ("GET", "/metrics"), ("GET", "/api/v1/live"),
                             ("DELETE", "/api/v1/streams/cam")]:
            error_is(d, method, path, 401, ["token"], auth=False)
        error_is(d, "GET", "/api/v1/streams", 401, headers={"Authorization": "Bearer wrong"})
        error_is(d, "GET", "/api/v1/streams", 401,
                 headers={"Authorization": "Bearer " + TOKEN[:-1]})
        error_is(d, "GET", "/api/v1/streams?token=" + TOKEN, 401, auth=False)
        st, h, _ = d.request("GET", "/api/v1/streams", auth=False)
        expect(h.get("WWW-Authenticate") == "Bearer", "401 without WWW-Authenticate")
        d.json("GET", "/api/v1/streams", 200, schema="StreamList")
        # 404: path, stream, event
        error_is(d, "GET", "/api/v1/nope", 404, ["/api/v1/nope"])
        error_is(d, "GET", "/api/v1/streams/nope", 404, ["nope"])
        error_is(d, "DELETE", "/api/v1/streams/nope", 404, ["nope"])
        error_is(d, "GET", "/api/v1/events/999999", 404)
        error_is(d, "GET", "/api/v1/events/999999/snapshot.jpg", 404)
        # 405 + Allow
        st, h, _ = d.request("PUT", "/api/v1/streams", body=b"{}")
        expect(st == 405 and h.get("Allow") == "GET, POST", "405 Allow: %s %s" % (st, h.get("Allow")))
        error_is(d, "DELETE", "/api/v1/detections", 405, ["DELETE"])
        st, h, _ = d.request("POST", "/api/v1/streams/cam")
        expect(st == 405 and h.get("Allow") == "GET, PATCH, DELETE", "405 Allow: %s" % h.get("Allow"))
        # 400 naming the parameter
        for q, name in [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"),
                        ("min_score=2", "min_score"), ("since=yesterday", "since"),
                        ("until=-1", "until"), ("cursor=garbage", "cursor")]:
            error_is(d, "GET", "/api/v1/detections?" + q, 400, [name])
        error_is(d, "GET", "/api/v1/events?in_progress=maybe", 400, ["in_progress"])
        error_is(d, "GET", "/api/v1/events/abc", 400, ["id"])
        error_is(d, "GET", "/api/v1/streams/cam/snapshot.jpg?annotate=yes", 400, ["annotate"])
        error_is(d, "POST", "/api/v1/detect?min_score=7", 400, ["min_score"],
                 body=open(MESSI, "rb").read(), headers={"Content-Type": "image/jpeg"})
        jh = {"Content-Type": "application/json"}
        error_is(d, "POST", "/api/v1/streams", 400, ["JSON"], body=b'{"id": "x",', headers=jh)
        error_is(d, "POST", "/api/v1/streams", 400, ["url"], body=b'{"id": "x"}', headers=jh)
        error_is(d, "POST", "/api/v1/streams", 400, ["colour"],
                 body=json.dumps({"id": "x", "url": VTEST, "colour": 1}).encode(), headers=jh)
        error_is(d, "POST", "/api/v1/streams", 400, ["fps"],
                 body=json.dumps({"id": "x", "url": VTEST, "fps": "fast"}).encode(), headers=jh)
        error_is(d, "POST", "/api/v1/streams", 400, ["nomodel"],
                 body=json.dumps({"id": "x", "url": VTEST, "detect": {"model": "nomodel"}}).encode(),
                 headers=jh)
        error_is(d, "POST", "/api/v1/streams", 400, ["/etc"],
                 body=json.dumps({"id": "x", "url": "/etc/passwd"}).encode(), headers=jh)
        error_is(d, "PATCH", "/api/v1/streams/cam", 400, ["threshold"],
                 body=json.dumps({"detect": {"model": "face", "threshold": 3}}).encode(), headers=jh)
        error_is(d, "POST", "/api/v1/detect", 400, ["image"], body=b"not an image",
                 headers={"Content-Type": "image/jpeg"})
        error_is(d, "POST", "/api/v1/detect", 400, ["body"], body=b"",
                 headers={"Content-Type": "image/png"})
        # 409
        error_is(d, "POST", "/api/v1/streams", 409, ["cam"],
                 body=json.dumps(stream("cam")).encode(), headers=jh)
        # 404 for an unknown model
        error_is(d, "POST", "/api/v1/detect?model=nomodel", 404, ["nomodel"],
                 body=open(MESSI, "rb").read(), headers={"Content-Type": "image/jpeg"})
        # 413: a declared length over the limit is answered before the body is
        # read: a raw client sends the headers only, curl waits (Expect: 100-continue)
        big = b"\xff\xd8" + os.urandom((1 << 20) + 10)
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(("POST /api/v1/detect HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                   % (TOKEN, len(big))).encode())
        s.settimeout(5)
        head = s.recv(65536).decode()
        s.close()
        expect(head.startswith("HTTP/1.1 413") and "payload_too_large" in head, "413: " + head)
        check(json.loads(head.split("\r\n\r\n", 1)[1]), "Error")
        bigf = os.path.join(d.dir, "big.jpg")
        with open(bigf, "wb") as f:
            f.write(big)
        out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "-H", "Authorization: Bearer " + TOKEN,
                              "-H", "Content-Type: image/jpeg", "--data-binary", "@" + bigf,
                              d.base + "/api/v1/detect"], capture_output=True, check=True).stdout
        body, code = out.decode().rsplit("\n", 1)
        expect(code == "413" and json.loads(body)["error"]["code"] == "payload_too_large",
               "curl 413: %s %s" % (code, body))
        # ... and a chunked body that grows over it
        def chunks():
            for i in range(0, len(big), 65536):
                yield big[i:i + 65536]
        r = requests.post(d.base + "/api/v1/detect", data=chunks(),
                          headers={"Content-Type": "image/jpeg", "Authorization": "Bearer " + TOKEN})
        expect(r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large",
               "chunked 413: %d %s" % (r.status_code, r.text))
        # 415
        error_is(d, "POST", "/api/v1/streams", 415, ["application/json"],
                 body=json.dumps(stream("y")).encode(),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        error_is(d, "PATCH", "/api/v1/streams/cam", 415, ["application/json"], body=b"{}")
        error_is(d, "POST", "/api/v1/detect", 415, ["image/jpeg"], body=open(MESSI, "rb").read(),
                 headers={"Content-Type": "text/plain"})
        # 503: one live client over the limit (32)
        socks = open_live(d, 32)
        error_is(d, "GET", "/api/v1/live", 503, ["live clients"])
        for s in socks:
            s.close()
        # limits: a connection that says nothing is closed after connection_timeout
        # (2 s), and headers over 32 KiB are refused by libmicrohttpd (431)
        s = socket.create_connection(("127.0.0.1", d.port))
        s.settimeout(10)
        t0 = time.time()
        expect(s.recv(100) == b"" and 1.5 < time.time() - t0 < 6,
               "idle connection closed after %.1f s" % (time.time() - t0))
        s.close()
        st, _, _ = d.request("GET", "/api/v1/health", headers={"X-Big": "x" * 40000}, auth=False)
        expect(st == 431, "oversized headers: %d" % st)
        # the server still answers after all that
        d.json("GET", "/api/v1/stats", 200, schema="Stats")
        d.stop()
    finally:
        d.kill()


def mode_starting():
    """503 while the models load. The model card is a FIFO, so loading it
    blocks until the test writes it: the daemon is 'starting' for as long as
    the test wants, with no timing guess."""
    fifo = os.path.join(tempfile.mkdtemp(prefix="vd-fifo-"), "slow.json")
    os.mkfifo(fifo)
    with open(CARD) as f:
        card = json.load(f)
    for k in ("path", "labels"):
        card[k] = os.path.normpath(os.path.join(os.path.dirname(CARD), card[k]))
    d = Daemon(models={"slow": {"card": fifo}},
               streams=[stream("cam", detect={"model": "slow"})], wait_ready=False)
    try:
        h = d.json("GET", "/api/v1/health", 503, schema="Health")
        expect(h["status"] == "starting", "health while loading: %s" % h)
        for path in ("/api/v1/streams", "/api/v1/models", "/api/v1/detections", "/metrics"):
            body = d.json("GET", path, 503, schema="Error")
            expect(body["error"]["code"] == "unavailable" and "starting" in body["error"]["message"],
                   "503 body of %s: %s" % (path, body))
        with open(fifo, "w") as f:  # the model arrives: loading goes on
            json.dump(card, f)
        deadline = time.time() + 20
        while d.request("GET", "/api/v1/health", auth=False)[0] != 200:
            expect(time.time() < deadline, "ready within 20 s of the card arriving")
            time.sleep(0.05)
        s = d.json("GET", "/api/v1/streams/cam", 200, schema="Stream")
        expect(s["state"] in ("starting", "running"), "the stream started once ready: %s" % s)
        print("starting: 503 while loading, then ready and the stream started")
        d.stop()
    finally:
        d.kill()


def mode_resources():
    # Under ASan (VD_SANITIZE) the detector runs ~10x slower: "block" lets the tracker
    # see every sampled frame, as at full speed, rather than the few left between drops.
    slow = {"backpressure": "block"} if os.environ.get("VD_SANITIZE") else {}
    d = Daemon(streams=[stream("cam", detect={"model": "face", "threshold": 0.5}, **slow)])
    try:
        h = d.json("GET", "/api/v1/health", 200, schema="Health")
        expect(h["status"] == "ok" and h["uptime_s"] >= 0, "health %s" % h)
        lst = d.json("GET", "/api/v1/streams", 200, schema="StreamList")
        expect([s["id"] for s in lst["streams"]] == ["cam"], "streams %s" % lst)
        # detections and events arrive from the motion detector
        dets = wait_rows(d, "/api/v1/detections?stream=cam&limit=1000", "detections", 10)
        check({"detections": dets, "next_cursor": None}, "DetectionPage")
        cam = d.json("GET", "/api/v1/streams/cam", 200, schema="Stream")
        expect(cam["state"] == "running" and cam["frames_analysed"] > 0, "cam %s" % cam)
        expect(abs(cam["fps_in"] - cam["fps_analysed"] - cam["fps_skipped"]) < 0.05,
               "fps_in = analysed + skipped: %s" % cam)
        # filters
        expect(all(x["label"] in ("motion", "face") for x in dets), "labels")
        expect(d.json("GET", "/api/v1/detections?label=person", 200)["detections"] == [],
               "label filter")
        hi = d.json("GET", "/api/v1/detections?min_score=0.8&limit=1000", 200)["detections"]
        expect(all(x["score"] >= 0.8 for x in hi), "min_score filter")
        z = d.json("GET", "/api/v1/detections?zone=left&limit=1000", 200)["detections"]
        expect(all("left" in x["zones"] for x in z), "zone filter")
        mid = dets[len(dets) // 2]["ts"]
        older = d.json("GET", "/api/v1/detections?until=%f&limit=1000" % mid, 200)["detections"]
        expect(older and all(x["ts"] <= mid for x in older), "until filter")
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(mid)) + ".000Z"
        newer = d.json("GET", "/api/v1/detections?since=" + iso, 200)["detections"]
        expect(all(x["ts"] >= int(mid) for x in newer), "since (ISO) filter")
        # events: list, one, snapshot
        evs = wait_rows(d, "/api/v1/events?limit=1000", "events", 1)
        check({"events": evs, "next_cursor": None}, "EventPage")
        e = d.json("GET", "/api/v1/events/%d" % evs[0]["id"], 200, schema="Event")
        expect(e["id"] == evs[0]["id"], "event by id")
        with_snap = [x for x in evs if x["snapshot"]]
        if with_snap:
            st, hd, jpg = d.request("GET", with_snap[0]["snapshot"])
            expect(st == 200 and hd["Content-Type"] == "image/jpeg" and jpg[:2] == b"\xff\xd8",
                   "event snapshot")
        ended = d.json("GET", "/api/v1/events?in_progress=false&limit=1000", 200)["events"]
        expect(all(not x["in_progress"] and x["end"] for x in ended), "in_progress=false")
        # stream snapshot, plain and annotated
        st, hd, plain = d.request("GET", "/api/v1/streams/cam/snapshot.jpg")
        st2, _, ann = d.request("GET", "/api/v1/streams/cam/snapshot.jpg?annotate=1")
        expect(st == 200 and st2 == 200 and plain[:2] == b"\xff\xd8" and ann[:2] == b"\xff\xd8",
               "stream snapshots %d %d" % (st, st2))
        expect(plain != ann, "annotate=1 draws on the frame")
        # POST (credentials never echoed), PATCH, DELETE
        body = dict(stream("cam2"), url="rtsp://alice:pa55word@127.0.0.1:9/cam", timeout=1)
        body.pop("realtime"), body.pop("loop")
        st, hd, data = d.request("POST", "/api/v1/streams", body=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
        expect(st == 201, "POST %d %s" % (st, data))
        created = json.loads(data)
        check(created, "Stream")
        expect(created["id"] == "cam2" and "pa55word" not in data.decode(), "redacted: %s" % data)
        p = d.json("PATCH", "/api/v1/streams/cam", 200, schema="Stream",
                   body=b'{"detect": {"enabled": false}}',
                   headers={"Content-Type": "application/json"})
        expect(p["detect_enabled"] is False, "PATCH detect.enabled: %s" % p)
        expect(d.json("GET", "/api/v1/streams/cam", 200)["detect_enabled"] is False, "PATCH kept")
        time.sleep(1.5)  # cam2 fails to connect: its last_error is set
        for path in ["/api/v1/streams", "/api/v1/streams/cam2", "/api/v1/stats", "/metrics"]:
            expect(b"pa55word" not in d.request("GET", path)[2], "credentials in " + path)
        st, _, data = d.request("DELETE", "/api/v1/streams/cam2")
        expect(st == 204 and data == b"", "DELETE %d" % st)
        d.json("GET", "/api/v1/streams/cam2", 404, schema="Error")
        # models, stats, metrics
        m = d.json("GET", "/api/v1/models", 200, schema="ModelList")
        expect(m["models"][0]["name"] == "face" and m["models"][0]["loaded"], "models %s" % m)
        s = d.json("GET", "/api/v1/stats", 200, schema="Stats")
        expect(s["store"]["detections"] > 0 and s["http"]["requests"] > 0, "stats %s" % s)
        check_metrics(d)
        d.stop()
    finally:
        d.kill()


def check_metrics(d):
    st, hd, text = d.request("GET", "/metrics")
    expect(st == 200 and hd["Content-Type"].startswith("text/plain"), "metrics status")
    text = text.decode()
    for name in ["visiond_stream_frames_in_total{stream=\"cam\"}", "visiond_inference_seconds_bucket",
                 "visiond_http_request_duration_seconds_bucket", "visiond_store_rows"]:
        expect(name in text, "metrics: no " + name)
    # every histogram: buckets non-decreasing, +Inf == _count
    series = {}
    for line in text.splitlines():
        m = re.match(r'^(\w+)_bucket\{(.*),le="([^"]+)"\} (\d+)$', line)
        if m:
            series.setdefault((m[1], m[2]), []).append((m[3], int(m[4])))
        elif line and not line.startswith("#"):
            expect(re.match(r'^\w+(\{.*\})? -?[0-9.e+-]+$', line), "metrics line: " + line)
    expect(series, "no histogram")
    # and the Prometheus project's own parser reads it, types and all
    from prometheus_client.parser import text_string_to_metric_families
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    expect(fams["visiond_inference_seconds"].type == "histogram" and
           fams["visiond_http_request_duration_seconds"].type == "histogram" and
           fams["visiond_stream_frames_in"].type == "counter", "prometheus_client: %s" % sorted(fams))
    expect(any(s.labels.get("stream") == "cam" and s.value > 0
               for s in fams["visiond_stream_frames_in"].samples), "frames_in of cam")
    for (name, labels), buckets in series.items():
        counts = [c for _, c in buckets]
        expect(counts == sorted(counts) and buckets[-1][0] == "+Inf", "histogram " + name)
        total = re.search(r'^%s_count\{%s\} (\d+)$' % (name, re.escape(labels)), text, re.M)
        expect(total and int(total[1]) == counts[-1], "histogram count " + name)


def mode_pagination():
    d = Daemon(streams=[stream("a"), stream("b", fps=10)])
    try:
        wait_rows(d, "/api/v1/detections?limit=100", "detections", 60)
        seen, cursor, pages = [], None, 0
        while True:  # 7 rows a page, slowly, while both streams insert
            q = "/api/v1/detections?limit=7" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            page = d.json("GET", q, 200, schema="DetectionPage")
            seen += page["detections"]
            cursor = page["next_cursor"]
            pages += 1
            if not cursor or pages >= 30:
                break
            time.sleep(0.05)
        ids = [x["id"] for x in seen]
        expect(len(ids) == len(set(ids)), "a row repeated across pages")
        expect(ids == sorted(ids, reverse=True), "pages not newest first (by id, the commit order)")
        # every committed row inside the walked range was returned
        top, bottom = ids[0], ids[-1]
        everything = []
        cursor = None
        while True:
            q = "/api/v1/detections?limit=1000" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            page = d.json("GET", q, 200)
            everything += page["detections"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        inside = {x["id"] for x in everything if bottom <= x["id"] <= top}
        expect(inside == set(ids), "rows skipped: %s" % sorted(inside - set(ids))[:10])
        expect(len(everything) > len(seen), "no rows were inserted during the walk")
        # filters keep the cursor's meaning
        b = d.json("GET", "/api/v1/detections?stream=b&limit=3", 200)
        b2 = d.json("GET", "/api/v1/detections?stream=b&limit=3&cursor=" +
                    urllib.parse.quote(b["next_cursor"]), 200)
        expect(all(x["stream"] == "b" for x in b["detections"] + b2["detections"]) and
               b["detections"][-1]["id"] != b2["detections"][0]["id"], "filtered pages")
        print("pagination: %d pages, %d rows walked, %d rows now" % (pages, len(seen), len(everything)))
        d.stop()
    finally:
        d.kill()


class SSE(threading.Thread):
    """A live client reading messages (or not reading at all)."""

    def __init__(self, d, query="", read=True):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", d.port))
        if not read:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.sendall(("GET /api/v1/live%s HTTP/1.1\r\nHost: t\r\n\r\n" % query).encode())
        self.read, self.buf, self.closed = read, b"", False
        if read:
            self.start()

    def run(self):
        self.sock.settimeout(60)
        try:
            while True:
                b = self.sock.recv(65536)
                if not b:
                    break
                self.buf += b
        except OSError:
            pass
        self.closed = True

    def messages(self):
        """(event, data) pairs, decoding the chunked body loosely: SSE lines only."""
        text = self.buf.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
        text = re.sub(r"\r\n[0-9A-Fa-f]+\r\n", "", "\r\n" + text)
        out = []
        for block in text.split("\n\n"):
            ev = re.search(r"^event: (\w+)$", block, re.M)
            data = re.search(r"^data: (.*)$", block, re.M)
            if ev and data:
                out.append((ev[1], data[1]))
        return out


def mode_sse():
    many = [stream("s%d" % i, fps=0) for i in range(4)]  # every frame: a fast message rate
    d = Daemon(streams=[stream("cam")] + many)
    try:
        st, hd, _ = d.request("GET", "/api/v1/live?stream=nope")
        expect(st == 404, "live ?stream=nope: %d" % st)
        stalled = SSE(d, read=False)
        good, cam = SSE(d), SSE(d, "?stream=cam")
        t0 = time.time()
        while time.time() - t0 < 45:
            time.sleep(1)
            stats = d.json("GET", "/api/v1/stats", 200)["http"]
            if stats["sse_dropped"] >= 1 and any(e == "event" for e, _ in good.messages()):
                break
        msgs = good.messages()
        dets = [json.loads(x) for e, x in msgs if e == "detection"]
        evs = [json.loads(x) for e, x in msgs if e == "event"]
        expect(dets and evs, "live: %d detections, %d events" % (len(dets), len(evs)))
        for x in dets[:50]:
            check(x, "Detection")
        for x in evs[:50]:
            check(x, "Event")
        expect({x["stream"] for x in dets} >= {"cam", "s0"}, "all streams on /live")
        camd = [json.loads(x) for e, x in cam.messages() if e == "detection"]
        expect(camd and all(x["stream"] == "cam" for x in camd), "?stream=cam filter")
        expect(stats["sse_dropped"] >= 1, "the stalled client was not dropped: %s" % stats)
        expect(not good.closed, "the reading client was dropped")
        # the stalled client's connection ends (read what is left, then EOF)
        stalled.sock.settimeout(10)
        n = 0
        try:
            while True:
                b = stalled.sock.recv(65536)
                if not b:
                    break
                n += len(b)
        except socket.timeout:
            sys.exit("FAIL: the dropped client's connection stays open")
        expect(n < 2 << 20, "the dropped client received %d bytes: not bounded" % n)
        # REST and SSE give the same object for a committed detection
        rest = d.json("GET", "/api/v1/detections?stream=cam&limit=1000", 200)["detections"]
        by_id = {x["id"]: x for x in rest}
        same = [x for x in camd if x["id"] in by_id]
        expect(same and all(by_id[x["id"]] == x for x in same), "SSE and REST objects differ")
        print("sse: %d detections, %d events, stalled client got %d bytes before EOF"
              % (len(dets), len(evs), n))
        d.stop()
    finally:
        d.kill()


def mode_keepalive():
    d = Daemon(streams=[])
    try:
        c = SSE(d)
        time.sleep(16)  # the period is 15 s
        text = c.buf.decode(errors="replace")
        expect(": keep-alive" in text and "HTTP/1.1 200" in text and
               "text/event-stream" in text, "no keep-alive comment: %r" % text[-300:])
        d.stop()
    finally:
        d.kill()


def deepstack_checks(d, preds, width, height, min_conf):
    confs = [p["confidence"] for p in preds]
    expect(confs == sorted(confs, reverse=True), "predictions not sorted by confidence")
    for p in preds:
        expect(all(isinstance(p[k], int) for k in ("x_min", "y_min", "x_max", "y_max")),
               "integer pixels: %s" % p)
        expect(0 <= p["x_min"] < p["x_max"] <= width and 0 <= p["y_min"] < p["y_max"] <= height,
               "box inside the image: %s" % p)
        expect(p["confidence"] >= min_conf, "min_confidence %g: %s" % (min_conf, p))


def mode_deepstack():
    from PIL import Image
    d = Daemon(token=TOKEN, streams=[])
    try:
        url = d.base + "/v1/vision/detection"
        # curl with a real multipart upload
        out = subprocess.run(["curl", "-s", "-F", "image=@" + MESSI, "-F", "api_key=" + TOKEN, url],
                             capture_output=True, check=True).stdout
        r = json.loads(out)
        check(r, "DeepStackResult")
        expect(r["success"] is True and r["predictions"], "curl: %s" % r)
        w, h = Image.open(MESSI).size
        deepstack_checks(d, r["predictions"], w, h, 0.4)
        # the same image through the native endpoint, same model: same boxes
        nat = d.json("POST", "/api/v1/detect?min_score=0.4", 200, schema="DetectResult",
                     body=open(MESSI, "rb").read(), headers={"Content-Type": "image/jpeg"})
        expect((nat["width"], nat["height"]) == (w, h), "native size")
        expect(len(nat["detections"]) == len(r["predictions"]), "native vs DeepStack count")
        for p, n in zip(r["predictions"], nat["detections"]):
            expect(p["label"] == n["label"] and abs(p["x_min"] - n["box"][0]) <= 1 and
                   abs(p["y_max"] - n["box"][3]) <= 1, "native vs DeepStack: %s %s" % (p, n))
        # Home Assistant's deepstack client (deepstack-python's post_image):
        # requests.post(url, files={"image": image_bytes}, data=data, timeout=timeout)
        image_bytes = open(MESSI, "rb").read()
        data = {"min_confidence": 0.8}
        data["api_key"] = TOKEN
        resp = requests.post(url, files={"image": image_bytes}, data=data, timeout=10)
        expect(resp.status_code == 200, "HA client: %d %s" % (resp.status_code, resp.text))
        check(resp.json(), "DeepStackResult")
        deepstack_checks(d, resp.json()["predictions"], w, h, 0.8)
        expect(len(resp.json()["predictions"]) <= len(r["predictions"]), "min_confidence 0.8")
        # ... through /v1/vision/custom/{model} (DeepstackObject(custom_model=...))
        resp = requests.post(d.base + "/v1/vision/custom/face", files={"image": image_bytes},
                             data={"api_key": TOKEN}, timeout=10)
        expect(resp.status_code == 200 and resp.json()["predictions"], "custom/face: %s" % resp.text)
        # Frigate's deepstack detector: a PIL JPEG of the model input tensor,
        # requests.post(api_url, data={"api_key": key}, files={"image": bytes}, timeout)
        frame = Image.open(MESSI).convert("RGB").resize((320, 320))
        with io.BytesIO() as output:
            frame.save(output, format="JPEG")
            jpeg = output.getvalue()
        resp = requests.post(url, data={"api_key": TOKEN}, files={"image": jpeg}, timeout=10)
        rj = resp.json()
        expect(rj.get("predictions") is not None, "Frigate: no predictions: %s" % rj)
        labels = {"face"}
        rows = []
        for i, det in enumerate(rj.get("predictions")):  # Frigate's reading loop
            if det["confidence"] < 0.4:
                break
            expect(det["label"].lower() in labels, "Frigate label %s" % det)
            rows.append([det["y_min"] / 320, det["x_min"] / 320, det["y_max"] / 320, det["x_max"] / 320])
        expect(rows and all(0 <= v <= 1 for row in rows for v in row), "Frigate rows %s" % rows)
        # DeepStack's errors
        def ds_error(status, words, **kw):
            resp = requests.post(kw.pop("to", url), timeout=10, **kw)
            expect(resp.status_code == status, "status %d, expected %d: %s" % (resp.status_code, status, resp.text))
            check(resp.json(), "DeepStackError")
            for wd in words:
                expect(wd in resp.json()["error"], "'%s' not in %s" % (wd, resp.text))
        ds_error(401, ["api key"], files={"image": image_bytes}, data={"api_key": "wrong"})
        ds_error(401, ["api key"], files={"image": image_bytes})
        ds_error(400, ["invalid image file"], files={"image": b"GIF89a not a jpeg"},
                 data={"api_key": TOKEN})
        ds_error(400, ["image"], data={"api_key": TOKEN, "x": "1"}, files={"other": b"x"})
        ds_error(400, ["min_confidence"], files={"image": image_bytes},
                 data={"api_key": TOKEN, "min_confidence": "high"})
        ds_error(404, ["nomodel"], files={"image": image_bytes}, data={"api_key": TOKEN},
                 to=d.base + "/v1/vision/custom/nomodel")
        ds_error(415, ["multipart"], json={"image": "x"})
        # the bearer token works too (Blue Iris style clients send no api_key)
        resp = requests.post(url, files={"image": image_bytes},
                             headers={"Authorization": "Bearer " + TOKEN}, timeout=10)
        expect(resp.status_code == 200, "bearer on DeepStack: %d" % resp.status_code)
        d.stop()
    finally:
        d.kill()


def mode_spec():
    """routes.c, openapi.yaml and api.md name the same endpoints."""
    src = open(os.path.join(SRC, "daemon/server/routes.c")).read()
    routes = set(re.findall(r'\{"(GET|POST|PATCH|DELETE)", "([^"]+)", vd_api_', src))
    expect(len(routes) >= 18, "routes.c: %d routes found" % len(routes))
    spec = set()
    for path, ops in SPEC["paths"].items():
        for method in ops:
            if method in ("get", "post", "patch", "delete"):
                spec.add((method.upper(), re.sub(r"\{[^}]+\}", "{}", path)))
    expect(routes == spec, "routes.c vs openapi.yaml: only in the code %s, only in the spec %s"
           % (sorted(routes - spec), sorted(spec - routes)))
    doc = open(os.path.join(SRC, "docs/api.md")).read()
    for method, path in sorted(routes):
        shown = re.sub(r"\{\}", "{", path).split("{")[0]
        expect(shown in doc, "docs/api.md does not mention %s" % path)


if __name__ == "__main__":
    if not os.path.exists(os.path.join(os.path.dirname(CARD), json.load(open(CARD))["path"])):
        print("BlazeFace assets missing (./setup.sh test installs them)")
        sys.exit(77)
    {"errors": mode_errors, "starting": mode_starting, "resources": mode_resources, "pagination": mode_pagination,
     "sse": mode_sse, "keepalive": mode_keepalive, "deepstack": mode_deepstack,
     "spec": mode_spec}[MODE]()
    print(MODE + ": ok")
