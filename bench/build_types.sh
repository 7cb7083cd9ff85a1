#!/usr/bin/env bash
# build_types.sh -- does the engine run as fast in every standard build
# type? Builds visiond as Release (-O3), RelWithDebInfo (-O2, the default)
# and MinSizeRel (-Os) from this tree, then times `visiond nn bench` on the
# YOLOv8-like net (tests/nn_ref/make_models.py, 320) and BlazeFace front
# 128 at 1 thread, the three builds alternating in every round.
#
#   bench/build_types.sh [BUILD_DIR]     (default: build; builds go under
#                                        BUILD_DIR/bench/build_types/<type>)
#
# RUNS rounds (default 7), ITER timed inferences each (default 30). Prints
# a markdown table: per model and build type, the medians over rounds of
# each process's p50 and min, and the best min over all rounds relative to
# the best build type's. Exits 1 when a build type's best min is more than
# TOL (default 1.05) times the best one's: the check issue 9 asks for. The
# best min is what the code can do; medians on a shared 2-core box move by
# 10-30% between rounds. Writes bench/results/build-types.md (OUT=...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work build_types
RUNS=${RUNS:-7}
ITER=${ITER:-30}
TOL=${TOL:-1.05}
OUT=${OUT:-$HERE/results/build-types.md}
TYPES="Release RelWithDebInfo MinSizeRel"

for t in $TYPES; do
    cmake -S "$ROOT" -B "$WORK/$t" -DCMAKE_BUILD_TYPE="$t" >/dev/null
    cmake --build "$WORK/$t" -j2 --target visiond >/dev/null
done
"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_like >/dev/null
BF=$ROOT/.deps/npm/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx

RES=$WORK/results.jsonl
: > "$RES"
pick='import json,sys; d=json.load(sys.stdin); print(json.dumps({"model":sys.argv[1],"type":sys.argv[2],"p50":d["p50_ms"],"min":d["min_ms"]}))'
for _ in $(seq "$RUNS"); do
    for m in "yolov8n_like_320:$WORK/yolov8n_like.onnx" "blazeface_front_128:$BF"; do
        for t in $TYPES; do
            "$WORK/$t/daemon/visiond" nn bench "${m#*:}" --threads 1 --iterations "$ITER" \
                --warmup 3 | "$PY" -c "$pick" "${m%%:*}" "$t" >> "$RES"
        done
    done
done

"$PY" - "$RES" "$OUT" "$TOL" "$RUNS" "$ITER" <<'PYEOF'
import json, subprocess, sys, statistics as st
res, out, tol, runs, iters = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = [json.loads(l) for l in open(res) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True,
            text=True).stdout.splitlines() if l.startswith("Model name")), "?")
gcc = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
md = ["# Build types: the same engine at -O3, -O2 and -Os", "",
      f"Machine: {cpu}, gcc {gcc}. `visiond nn bench --threads 1`, {runs} rounds of "
      f"{iters} timed inferences, the build types alternating within each round; medians "
      f"over rounds, and the best min of all rounds. Check: every build type's best min "
      f"within {tol:.2f}x of the best build type's.", "",
      "| model | build type | p50 ms (median) | min ms (median) | best min ms | vs best |",
      "|---|---|---|---|---|---|"]
bad = []
for model in dict.fromkeys(r["model"] for r in rows):
    agg = {}
    for t in dict.fromkeys(r["type"] for r in rows):
        rs = [r for r in rows if r["model"] == model and r["type"] == t]
        agg[t] = (st.median(r["p50"] for r in rs), st.median(r["min"] for r in rs),
                  min(r["min"] for r in rs))
    best = min(v[2] for v in agg.values())
    for t, (p50, mn, bmn) in agg.items():
        md.append(f"| {model} | {t} | {p50:.2f} | {mn:.2f} | {bmn:.2f} | **{bmn / best:.2f}** |")
        if bmn / best > tol:
            bad.append(f"{model} {t} {bmn / best:.2f}x")
md += ["", "Result: " + ("every build type within tolerance" if not bad else
                         "OVER TOLERANCE: " + ", ".join(bad)), ""]
open(out, "w").write("\n".join(md))
print("\n".join(md))
sys.exit(1 if bad else 0)
PYEOF
