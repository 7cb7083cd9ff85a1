#!/usr/bin/python3
"""api_security.py -- the daemon's attack surface, against a real `visiond
serve` over loopback (docs/SECURITY.md).

usage: api_security.py VISIOND SOURCE_DIR MODE
  authlimit  failed tokens are limited per client address: after
             http.max_auth_failures 401s within http.auth_window s the
             address gets 429 + Retry-After (the right token too, the public
             health route still answers), another address (clients bound to
             127.0.0.2/.3/.4) is not affected, DeepStack's api_key counts,
             and the address is served again once its window is over
  sources    HLS playlists and ffconcat lists handed in as cameras, in the
             config and by POST /api/v1/streams: a segment outside
             media_dirs, file:///etc/passwd, a segment on another loopback
             port (a listening socket records whether anyone connected), an
             HTTP playlist naming another host or a local file; each stream
             fails with an error naming the refusal, the file outside
             (a FIFO that records any reader) is never opened, the socket
             never connected; a playlist whose segments stay inside
             media_dirs (or on its own HTTP host) still plays
  paths      every route that takes an id, and the console's static route,
             with "..", %2e%2e, encoded slashes, absolute paths and NUL:
             never a 2xx, never a byte of /etc/passwd or of the state dir
  limits     connections per address (http.max_connections_per_address:
             that address's next connection is closed unanswered, another
             address is served) and in all (http.max_connections), SSE clients (http.max_sse_clients: 503),
             image pixels (413), model size (the model fails to load with
             the limit named; detection with it answers 404 naming it)

Each mode starts its own daemon (tests/api_http.py's Daemon: free port, temp
state dir) and stops it with SIGTERM (exit 0). Exits 77 (ctest SKIP) without
setup.sh's BlazeFace assets.
"""
import errno
import http.client
import http.server
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

import api_http as A
from api_http import TOKEN, Daemon, error_is, expect

MODE = sys.argv[3]


def request_from(d, addr, method, path, token=None, body=None, headers=None):
    """(status, headers, body) of one request from the local address addr."""
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10, source_address=(addr, 0))
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.headers, data


def raw_request(d, line, token=TOKEN):
    """Send a request line as given (no client-side normalisation)."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    s.sendall(("%s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n"
               % (line, token)).encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


# ---- authlimit --------------------------------------------------------------

def mode_authlimit():
    d = Daemon(token=TOKEN, streams=[],
               http_extra={"max_auth_failures": 5, "auth_window": 8})
    try:
        bad = "127.0.0.2"
        for i in range(5):
            st, _, _ = request_from(d, bad, "GET", "/api/v1/streams", token="guess%d" % i)
            expect(st == 401, "failure %d from %s: %d" % (i + 1, bad, st))
        st, h, body = request_from(d, bad, "GET", "/api/v1/streams", token="guess5")
        expect(st == 429, "6th wrong token: %d" % st)
        err = json.loads(body)
        A.check(err, "Error")
        expect(err["error"]["code"] == "too_many_requests" and "retry in" in err["error"]["message"],
               "429 body: %s" % err)
        retry = int(h.get("Retry-After", "0"))
        expect(1 <= retry <= 9, "Retry-After: %s" % h.get("Retry-After"))
        # blocked for everything that needs the token, the right token too
        st, _, _ = request_from(d, bad, "GET", "/api/v1/streams", token=TOKEN)
        expect(st == 429, "right token from a blocked address: %d" % st)
        st, _, _ = request_from(d, bad, "GET", "/api/v1/health")
        expect(st == 200, "health from a blocked address: %d" % st)
        # another address is not affected, and has its own count
        ok = "127.0.0.3"
        st, _, _ = request_from(d, ok, "GET", "/api/v1/streams", token=TOKEN)
        expect(st == 200, "other address, right token: %d" % st)
        st, _, _ = request_from(d, ok, "GET", "/api/v1/streams", token="nope")
        expect(st == 401, "other address, wrong token: %d" % st)
        # DeepStack's api_key failures count the same way (its error shape)
        ds = "127.0.0.4"
        img = open(A.MESSI, "rb").read()
        boundary = "vdsecboundary"
        form = ("--%s\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nwrong\r\n"
                "--%s\r\nContent-Disposition: form-data; name=\"image\"; filename=\"m.jpg\"\r\n"
                "Content-Type: image/jpeg\r\n\r\n" % (boundary, boundary)).encode() + img + \
            ("\r\n--%s--\r\n" % boundary).encode()
        fh = {"Content-Type": "multipart/form-data; boundary=" + boundary}
        for i in range(5):
            st, _, _ = request_from(d, ds, "POST", "/v1/vision/detection", body=form, headers=fh)
            expect(st == 401, "DeepStack failure %d: %d" % (i + 1, st))
        st, _, body = request_from(d, ds, "POST", "/v1/vision/detection", body=form, headers=fh)
        expect(st == 429 and json.loads(body)["success"] is False,
               "DeepStack 6th: %d %s" % (st, body[:200]))
        # the window ends: served again
        time.sleep(retry + 0.2)
        st, _, _ = request_from(d, bad, "GET", "/api/v1/streams", token=TOKEN)
        expect(st == 200, "after Retry-After: %d" % st)
        stats = d.json("GET", "/api/v1/stats", 200, schema="Stats")["http"]
        expect(stats["auth_refused"] == 3, "auth_refused: %s" % stats)
        d.stop()
    finally:
        d.kill()


# ---- sources ----------------------------------------------------------------

class Listener:
    """A loopback socket that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.connections += 1
                c.close()
            except OSError:
                pass


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def serve_dir(path):
    handler = lambda *a, **kw: Quiet(*a, directory=path, **kw)  # noqa: E731
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def fifo_opened(path):
    """1 when someone holds the FIFO open for reading."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ENXIO:
            return 0
        raise
    os.close(fd)
    return 1


def playlist(path, segments):
    with open(path, "w") as f:
        f.write("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n")
        for s in segments:
            f.write("#EXTINF:1.0,\n%s\n" % s)
        f.write("#EXT-X-ENDLIST\n")


def concat(path, entries):
    with open(path, "w") as f:
        f.write("ffconcat version 1.0\n")
        for e in entries:
            f.write("file '%s'\n" % e)


def wait_state(d, sid, states, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = d.json("GET", "/api/v1/streams/" + sid, 200)
        if s["state"] in states:
            return s
        time.sleep(0.2)
    sys.exit("FAIL: stream %s not in %s after %d s: %s" % (sid, states, timeout, s))


def mode_sources():
    tmp = tempfile.mkdtemp(prefix="vd-sec-")
    media, outside = os.path.join(tmp, "media"), os.path.join(tmp, "outside")
    os.makedirs(media)
    os.makedirs(outside)
    seg = os.path.join(media, "seg.ts")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", A.VTEST, "-t", "1", "-an", "-c:v",
                    "mpeg2video", seg], check=True)
    secret = os.path.join(outside, "secret.ts")
    os.mkfifo(secret)
    other = Listener()
    web = serve_dir(media)
    hport = web.server_address[1]
    net_seg = "http://127.0.0.1:%d/x.ts" % other.port
    playlist(os.path.join(media, "out.m3u8"), [secret])
    playlist(os.path.join(media, "passwd.m3u8"), ["file:///etc/passwd"])
    playlist(os.path.join(media, "net.m3u8"), [net_seg])
    playlist(os.path.join(media, "ok.m3u8"), ["seg.ts"])
    playlist(os.path.join(media, "web_other.m3u8"), [net_seg])
    playlist(os.path.join(media, "web_local.m3u8"), ["file://" + seg])
    playlist(os.path.join(media, "fileurl.m3u8"), ["file://" + secret])
    concat(os.path.join(media, "out.ffconcat"), [secret])
    concat(os.path.join(media, "passwd.ffconcat"), ["file:///etc/passwd"])
    concat(os.path.join(media, "net.ffconcat"), [net_seg])
    concat(os.path.join(media, "in.ffconcat"), ["seg.ts"])
    web_url = "http://127.0.0.1:%d/" % hport
    # (name, url, words of the error)
    refused = [
        ("hls_out", os.path.join(media, "out.m3u8"), [secret, "outside sources.media_dirs"]),
        ("hls_passwd", os.path.join(media, "passwd.m3u8"), ["'/etc/passwd' is outside sources.media_dirs"]),
        ("hls_fileurl", os.path.join(media, "fileurl.m3u8"), [secret, "outside sources.media_dirs"]),
        ("hls_net", os.path.join(media, "net.m3u8"), [net_seg, "local files only"]),
        ("cc_out", os.path.join(media, "out.ffconcat"), ["format 'concat' is not allowed"]),
        ("cc_passwd", os.path.join(media, "passwd.ffconcat"), ["format 'concat' is not allowed"]),
        ("cc_net", os.path.join(media, "net.ffconcat"), ["format 'concat' is not allowed"]),
        ("cc_in", os.path.join(media, "in.ffconcat"), ["format 'concat' is not allowed"]),
        ("web_other", web_url + "web_other.m3u8", ["127.0.0.1:%d" % other.port,
                                                    "not on the source's own host"]),
        ("web_local", web_url + "web_local.m3u8", ["protocol 'file' is not allowed"]),
    ]
    plays = [("hls_ok", os.path.join(media, "ok.m3u8")), ("web_ok", web_url + "ok.m3u8")]
    # every case twice: in the config (c_) and by POST /api/v1/streams (p_)
    in_config = [{"id": "c_" + n, "url": u, "fps": 0} for n, u, _ in refused] + \
                [{"id": n, "url": u, "fps": 0} for n, u in plays]
    d = Daemon(streams=in_config, extra={"sources": {"media_dirs": [media]}})
    try:
        for n, u, _ in refused:
            d.json("POST", "/api/v1/streams", 201,
                   body=json.dumps({"id": "p_" + n, "url": u, "fps": 0}),
                   headers={"Content-Type": "application/json"})
        for n, u, words in refused:
            for sid in ("c_" + n, "p_" + n):
                s = wait_state(d, sid, ("failed",))
                expect(s["frames_in"] == 0, "%s read %d frames" % (sid, s["frames_in"]))
                for w in words:
                    expect(w in (s["last_error"] or ""), "%s: '%s' not in the error: %s"
                           % (sid, w, s["last_error"]))
            print("%-12s refused: %s" % (n, s["last_error"]))
        for n, _ in plays:
            s = wait_state(d, n, ("stopped", "running"))
            expect(s["frames_in"] > 0 and not s["last_error"], "%s did not play: %s" % (n, s))
        expect(not fifo_opened(secret), "the file outside media_dirs was opened")
        time.sleep(0.5)
        expect(other.connections == 0, "the other port got %d connections" % other.connections)
        d.stop()
    finally:
        other.stop = True
        web.shutdown()
        d.kill()
        subprocess.run(["rm", "-rf", tmp])


# ---- paths ------------------------------------------------------------------

def mode_paths():
    d = Daemon(token=TOKEN)
    try:
        state = os.path.join(d.dir, "state")
        A.wait_rows(d, "/api/v1/events?limit=1", "events", 1)
        secrets = [b"root:", b"SQLite format", TOKEN.encode()]
        ids = ["..", "%2e%2e", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
               "%2fetc%2fpasswd", "..%5c..%5cetc%5cpasswd", "cam%00", "cam%00.jpg", "1%00",
               "1%2f..%2f..", "%2f" + urlq(state) + "%2fvisiond.db", "visiond.db",
               "..%2fstate%2fvisiond.db", "%252e%252e"]
        routes = [("GET", "/api/v1/streams/{}"), ("PATCH", "/api/v1/streams/{}"),
                  ("DELETE", "/api/v1/streams/{}"), ("GET", "/api/v1/streams/{}/snapshot.jpg"),
                  ("GET", "/api/v1/events/{}"), ("GET", "/api/v1/events/{}/snapshot.jpg"),
                  ("POST", "/v1/vision/custom/{}")]
        n = 0
        for method, pattern in routes:
            for i in ids:
                st, body = raw_request(d, "%s %s" % (method, pattern.replace("{}", i)))
                n += 1
                expect(400 <= st < 500, "%s %s: %d" % (method, pattern.replace("{}", i), st))
                for s in secrets:
                    expect(s not in body, "%s %s: answer holds %r" % (method, i, s))
        # the console's static route, and paths straight at the state dir
        for p in ["/../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                  "//etc/passwd", "/index.html/../../../../etc/passwd", "/console.js%00.html",
                  "/%2fetc%2fpasswd", "/visiond.db", "/state/visiond.db", "/../state/visiond.db",
                  "/www/../../../etc/passwd", "/.%2e/.%2e/etc/passwd", "/index.html%00",
                  "/" + urlq(state) + "/visiond.db", state + "/visiond.db"]:
            for method in ("GET", "HEAD"):
                st, body = raw_request(d, "%s %s" % (method, p))
                n += 1
                expect(st == 404, "%s %s: %d" % (method, p, st))
                for s in secrets:
                    expect(s not in body, "%s %s: answer holds %r" % (method, p, s))
        # a stream id is never a path either
        jh = {"Content-Type": "application/json"}
        for sid in ["../x", "/etc/passwd", "a/b", "..", "x\u0000y", "a%2fb"]:
            error_is(d, "POST", "/api/v1/streams", 400, ["id"],
                     body=json.dumps({"id": sid, "url": A.VTEST}).encode(), headers=jh)
        # and the real routes still answer
        d.json("GET", "/api/v1/streams/cam", 200, schema="Stream")
        st, _ = raw_request(d, "GET /index.html")
        expect(st in (200, 404), "console: %d" % st)
        print("paths: %d traversal requests refused" % n)
        d.stop()
    finally:
        d.kill()


def urlq(path):
    return path.replace("/", "%2f")


# ---- limits -----------------------------------------------------------------

def png(width, height):
    """A valid grey PNG of width x height (all zero), compressed on the fly."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    z = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def refused_from(d, addr):
    """1 when a new connection from addr is closed without an answer."""
    s = socket.create_connection(("127.0.0.1", d.port), source_address=(addr, 0), timeout=5)
    try:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
        got = s.recv(100)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    s.close()
    return got == b""


def mode_limits():
    tmp = tempfile.mkdtemp(prefix="vd-sec-")
    big = os.path.join(tmp, "big.onnx")
    with open(big, "wb") as f:  # sparse: no disk used
        f.truncate((2 << 30) + 1)
    models = {"face": {"card": A.CARD, "max_batch": 1}, "big": {"card": big}}
    d = Daemon(token=TOKEN, streams=[], models=models,
               http_extra={"max_connections_per_address": 4, "max_connections": 8,
                           "max_sse_clients": 2})
    socks = []
    try:
        # connections per address: 4 open from 127.0.0.2, the 5th is closed unanswered
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", d.port), source_address=("127.0.0.2", 0))
            socks.append(s)
        time.sleep(0.3)
        expect(refused_from(d, "127.0.0.2"), "5th connection from 127.0.0.2 was answered")
        st, _, _ = request_from(d, "127.0.0.3", "GET", "/api/v1/streams", token=TOKEN)
        expect(st == 200, "127.0.0.3 while .2 is at its limit: %d" % st)
        # connections in all: 8 with 4 more from .5 and .6; a 9th (a new address) is
        # not accepted (it waits in the listen backlog) until one of them closes
        for addr in ["127.0.0.5"] * 3 + ["127.0.0.6"]:
            socks.append(socket.create_connection(("127.0.0.1", d.port),
                                                  source_address=(addr, 0)))
        time.sleep(0.3)
        ninth = socket.create_connection(("127.0.0.1", d.port), source_address=("127.0.0.7", 0))
        ninth.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        ninth.settimeout(1.5)
        try:
            early = ninth.recv(100)
        except TimeoutError:
            early = None
        expect(early is None, "a 9th connection in all was served: %r" % early)
        socks.pop().close()
        ninth.settimeout(5)
        late = ninth.recv(100)
        ninth.close()
        expect(late.startswith(b"HTTP/1.1 200"), "the 9th after one closed: %r" % late)
        for s in socks:
            s.close()
        socks = []
        time.sleep(0.3)
        st, _, _ = request_from(d, "127.0.0.2", "GET", "/api/v1/health")
        expect(st == 200, "127.0.0.2 after closing: %d" % st)
        # SSE clients: 2, the 3rd gets 503
        socks = A.open_live(d, 2)
        error_is(d, "GET", "/api/v1/live", 503, ["live clients"])
        # image pixels: 9000 x 8000 = 72 Mpx, over the 64 Mpx limit, in a 80 KB PNG
        img = png(9000, 8000)
        body = error_is(d, "POST", "/api/v1/detect?model=face", 413, ["pixel limit", "9000x8000"],
                        body=img, headers={"Content-Type": "image/png"})
        # model size: a 2 GiB + 1 byte model does not load; the models list says why
        ms = {m["name"]: m for m in d.json("GET", "/api/v1/models", 200)["models"]}
        err = ms["big"].get("error") or ""
        expect("2147483648" in err or "limit" in err, "big model: %s" % ms["big"])
        error_is(d, "POST", "/api/v1/detect?model=big", 404, ["did not load", "limit"],
                 body=open(A.MESSI, "rb").read(), headers={"Content-Type": "image/jpeg"})
        print("limits: per-address connections, SSE, pixels (%d-byte PNG), model size (%s)"
              % (len(img), err))
        d.stop()
    finally:
        for s in socks:
            s.close()
        d.kill()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    if not os.path.exists(os.path.join(os.path.dirname(A.CARD), json.load(open(A.CARD))["path"])):
        print("BlazeFace assets missing (./setup.sh test installs them)")
        sys.exit(77)
    {"authlimit": mode_authlimit, "sources": mode_sources, "paths": mode_paths,
     "limits": mode_limits}[MODE]()
    print(MODE + ": ok")
