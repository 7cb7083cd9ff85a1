#!/bin/sh
# run_transforms.sh -- visiond's fused preprocessing chain vs OpenCV + numpy,
# side by side on this machine, same cases, same test pattern.
#
# Usage: bench/run_transforms.sh BUILD_DIR [ROUNDS] [REPS] [ITERS]
#   BUILD_DIR  a cmake build dir with bench_transforms built
#   ROUNDS     alternating rounds of (ours, cv2 1 thread, cv2 default threads)
#              so load from other processes hits all of them alike (default 3)
#   REPS/ITERS per program: median of REPS runs of ITERS frames (default 7/20)
# Prints a markdown table: median ms/frame over all rounds and the ratio
# (peer / ours; > 1 means visiond is faster).
set -eu
BUILD=${1:?usage: run_transforms.sh BUILD_DIR [ROUNDS] [REPS] [ITERS]}
ROUNDS=${2:-3}
REPS=${3:-7}
ITERS=${4:-20}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${VD_PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

r=0
while [ "$r" -lt "$ROUNDS" ]; do
    "$BUILD/bench/bench_transforms" "$REPS" "$ITERS" | sed 's/\t/\tvisiond\t/' >>"$TMP/ours"
    "$PY" "$HERE/transforms_peer.py" "$REPS" "$ITERS" 1 | sed 's/\t\(cv2+numpy\|blob\)\t/\t\1 (1 thread)\t/' >>"$TMP/peer1"
    "$PY" "$HERE/transforms_peer.py" "$REPS" "$ITERS" 0 | sed 's/\t\(cv2+numpy\|blob\)\t/\t\1 (all threads)\t/' >>"$TMP/peerN"
    r=$((r + 1))
done

cat "$TMP/ours" "$TMP/peer1" "$TMP/peerN" | "$PY" -c '
import sys, statistics
rows = {}
order = []
for line in sys.stdin:
    case, impl, med, _ = line.rstrip("\n").split("\t")
    if case not in rows:
        rows[case] = {}
        order.append(case)
    rows[case].setdefault(impl, []).append(float(med))
print("| case | implementation | ms/frame (median) | peer / visiond |")
print("|---|---|---:|---:|")
for case in order:
    ours = statistics.median(rows[case]["visiond"])
    for impl, v in rows[case].items():
        m = statistics.median(v)
        ratio = "" if impl == "visiond" else "%.2fx" % (m / ours)
        print("| %s | %s | %.3f | %s |" % (case, impl, m, ratio))
'
