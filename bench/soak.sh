#!/usr/bin/env bash
# soak.sh -- issue 13 §3: `visiond serve` for SECONDS (default 1800) with 4
# realtime looping streams (3 BlazeFace at 5 fps, 1 COCO CenterNet at 1 fps),
# an SSE client and ~10 API requests/s (bench/soak.py has the details),
# sampling RSS, fd count and thread count from /proc every 10 s.
#
#   bench/soak.sh [BUILD_DIR] [SECONDS]
#
# Writes $BUILD/bench/soak/soak.csv and soak.json, then prints the markdown
# that goes into bench/results/soak.md and draws docs/img/soak.svg. Exits 1
# if the daemon died, an API call failed, or SIGTERM did not stop it cleanly.
# Needs the ffmpeg CLI, opencv-doc's samples and the BlazeFace and CenterNet
# assets (./setup.sh test installs them).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work soak
SECONDS_RUN=${2:-1800}
rc=0
"$PY" "$HERE/soak.py" run "$VISIOND" "$(command -v ffmpeg)" "$ROOT" \
    /usr/share/doc/opencv-doc/examples/data "$WORK" "$SECONDS_RUN" || rc=$?
[ -f "$WORK/soak.json" ] && "$PY" "$HERE/soak.py" report "$WORK" "${SOAK_SVG:-$ROOT/docs/img/soak.svg}"
exit $rc
