#!/bin/sh
# run_transforms.sh -- visiond's fused preprocessing chain vs OpenCV + numpy,
# side by side on this machine, same cases, same test pattern.
#
# Usage: bench/run_transforms.sh BUILD_DIR [ROUNDS] [REPS] [ITERS]
#   BUILD_DIR  a cmake build dir with bench_transforms built
#   ROUNDS     alternating rounds of (ours, cv2 1 thread, cv2 default threads)
#              so load from other processes hits all of them alike (default 3)
#   REPS/ITERS per program: median of REPS runs of ITERS frames (default 7/20)
# Prints a markdown table: median wall ms/frame and median CPU ms/frame over
# all rounds, and the ratios (peer / ours; > 1 means visiond is faster). CPU
# time (summed over OpenCV's threads) is the fairer cost on a loaded machine.
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
rows, order = {}, []
for line in sys.stdin:
    case, impl, med, _, cpu = line.rstrip("\n").split("\t")
    if case not in rows:
        rows[case] = {}
        order.append(case)
    rows[case].setdefault(impl, []).append((float(med), float(cpu)))
print("| case | implementation | wall ms/frame | wall: peer / visiond | CPU ms/frame | CPU: peer / visiond |")
print("|---|---|---:|---:|---:|---:|")
for case in order:
    ow = statistics.median(v[0] for v in rows[case]["visiond"])
    oc = statistics.median(v[1] for v in rows[case]["visiond"])
    for impl, v in rows[case].items():
        w = statistics.median(x[0] for x in v)
        c = statistics.median(x[1] for x in v)
        rw = "" if impl == "visiond" else "%.2fx" % (w / ow)
        rc = "" if impl == "visiond" else "%.2fx" % (c / oc)
        print("| %s | %s | %.3f | %s | %.3f | %s |" % (case, impl, w, rw, c, rc))
'
