"""regress_http.py -- the HTTP inputs the fuzz_http target found, sent to a
real `visiond serve` over loopback TCP (no clang needed, unlike the fuzz
gate that replays them in-process under the sanitizers).

usage: regress_http.py VISIOND DIR
Each file of DIR (tests/fuzz/regress/http/) is written raw on its own
connection, the write side shut, and the answer read until the daemon
closes (5 s at most). After each, the daemon must still answer
GET /api/v1/health with 200; at the end SIGTERM must stop it with exit 0.
A few seconds."""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from daemon_lib import Daemon, Failure, check, run  # noqa: E402

VISIOND, DIR = sys.argv[1:3]


def send_raw(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    return answer


def main(tmp):
    d = Daemon(VISIOND, tmp).start()
    try:
        for name in sorted(os.listdir(DIR)):
            with open(os.path.join(DIR, name), "rb") as f:
                answer = send_raw(d.port, f.read())
            status = answer.split(b"\r\n", 1)[0].decode(errors="replace")
            try:
                st, _, body = d.request("GET", "/api/v1/health")
            except OSError as e:
                d.proc.wait(timeout=5)
                raise Failure(f"{name}: the daemon died (exit {d.proc.returncode}, answer "
                              f"'{status}'): {e}")
            check(st == 200, f"after {name}: health {st} {body[:200]!r}")
            print(f"{name}: {status or 'connection closed'}; daemon alive")
        d.stop()
    finally:
        d.kill()


if __name__ == "__main__":
    run(main, "vd-regress-http-")
