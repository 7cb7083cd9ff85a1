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
# each process's p50 and min latency and of its CPU time (user + sys, from
# /usr/bin/time, 10 ms resolution: load, warm-up and the timed runs, so
# it includes the parser and the CLI, which follow the build type).
# Exits 1 when a build type's median p50 is more than TOL (default 1.05)
# times the best one's: the check issue 9 asks for. On a box shared with
# other jobs (load well above its 2 cores) the medians move by 5-30%
# between rounds with the code unchanged: rerun on a quieter box before
# believing a failure. SKIP_MEASURE=1 redoes the report from the last
# measurements. Writes bench/results/build-types.md (OUT=...).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work build_types
RUNS=${RUNS:-7}
ITER=${ITER:-30}
TOL=${TOL:-1.05}
OUT=${OUT:-$HERE/results/build-types.md}
TYPES="Release RelWithDebInfo MinSizeRel"

[ "${SKIP_MEASURE:-0}" = 1 ] || for t in $TYPES; do
    cmake -S "$ROOT" -B "$WORK/$t" -DCMAKE_BUILD_TYPE="$t" >/dev/null
    cmake --build "$WORK/$t" -j2 --target visiond >/dev/null
done
"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_like >/dev/null
BF=$ROOT/.deps/npm/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx

RES=$WORK/results.jsonl
ROUNDS=$RUNS
[ "${SKIP_MEASURE:-0}" = 1 ] && ROUNDS=0 || : > "$RES"
pick='import json,sys; d=json.load(sys.stdin); u,s=open(sys.argv[3]).read().split(); print(json.dumps({"model":sys.argv[1],"type":sys.argv[2],"p50":d["p50_ms"],"min":d["min_ms"],"cpu":float(u)+float(s)}))'
for _ in $(seq "$ROUNDS"); do
    for m in "yolov8n_like_320:$WORK/yolov8n_like.onnx" "blazeface_front_128:$BF"; do
        for t in $TYPES; do
            /usr/bin/time -f "%U %S" -o "$WORK/cpu" "$WORK/$t/daemon/visiond" nn bench "${m#*:}" \
                --threads 1 --iterations "$ITER" --warmup 3 |
                "$PY" -c "$pick" "${m%%:*}" "$t" "$WORK/cpu" >> "$RES"
        done
    done
done
[ "$ROUNDS" = 0 ] || cut -d' ' -f1 /proc/loadavg > "$WORK/load"

"$PY" - "$RES" "$OUT" "$TOL" "$(cat "$WORK/load" 2>/dev/null || echo '?')" "$ITER" <<'PYEOF'
import json, subprocess, sys, statistics as st
res, out, tol, load, iters = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = [json.loads(l) for l in open(res) if l.strip()]
runs = len(rows) // len({(r["model"], r["type"]) for r in rows})
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True,
            text=True).stdout.splitlines() if l.startswith("Model name")), "?")
gcc = subprocess.run(["gcc", "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
md = ["# Build types: the same engine at -O3, -O2 and -Os", "",
      f"Machine: {cpu}, gcc {gcc}; 1-minute load average {load} at the end of the measurements. "
      f"`visiond nn bench --threads 1`, {runs} rounds of 3 warm-up and {iters} timed inferences, "
      "the build types alternating within each round; medians over rounds. CPU s: the "
      "process's user + sys time (10 ms resolution; parser and CLI included). Check: every "
      f"build type's p50 within {tol:.2f}x of the best build type's.", "",
      "| model | build type | p50 ms | p50 vs best | min ms | CPU s |",
      "|---|---|---|---|---|---|"]
bad = []
for model in dict.fromkeys(r["model"] for r in rows):
    agg = {}
    for t in dict.fromkeys(r["type"] for r in rows):
        rs = [r for r in rows if r["model"] == model and r["type"] == t]
        agg[t] = [st.median(r[k] for r in rs) for k in ("p50", "min", "cpu")]
    best = min(v[0] for v in agg.values())
    for t, (p50, mn, cpu_s) in agg.items():
        md.append(f"| {model} | {t} | {p50:.2f} | **{p50 / best:.2f}** | {mn:.2f} | {cpu_s:.2f} |")
        if p50 / best > tol:
            bad.append(f"{model} {t} {p50 / best:.2f}x")
md += ["", "Result: " + ("every build type within tolerance" if not bad else
                         "OVER TOLERANCE: " + ", ".join(bad)), ""]
open(out, "w").write("\n".join(md))
print("\n".join(md))
sys.exit(1 if bad else 0)
PYEOF
