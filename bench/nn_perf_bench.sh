#!/usr/bin/env bash
# nn_perf_bench.sh -- the table of bench/results/nn-perf.md: visiond vs
# onnxruntime-node on BlazeFace front 128 and the YOLOv8-like net at 320 and
# 640, batch 1 and 8, 1 and 2 threads, side by side.
#
#   bench/nn_perf_bench.sh [BUILD_DIR]     (default: build)
#
# Each (model, batch, threads) runs RUNS times (default 5), alternating a
# visiond process and an onnxruntime process (bench/ort_bench.js), each doing
# 2 warm-up and ITER timed inferences (ITER per model below). Prints a
# markdown table: medians over runs of each process's p50 and min, their
# ratio, and the largest peak RSS. BlazeFace at batch 8 uses a copy whose
# baked batch-1 constants are rewritten to 8 (tf2onnx fixes the batch).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work nn_perf
RUNS=${RUNS:-5}

"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_like >/dev/null
"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_like --size 640 >/dev/null
BF=$ROOT/.deps/npm/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx
"$PY" "$HERE/rebatch_onnx.py" "$BF" "$WORK/bf_b8.onnx" 8

RES=$WORK/results.jsonl
: > "$RES"
pick='import json,sys; d=json.load(sys.stdin); print(json.dumps({"label":sys.argv[1],"batch":int(sys.argv[2]),"threads":int(sys.argv[3]),"rt":sys.argv[4],"p50":d["p50_ms"],"min":d["min_ms"],"rss":d["peak_rss_bytes"]}))'
one() { # label model batch threads iters [fixed-batch model]
    local label=$1 model=$2 batch=$3 threads=$4 iters=$5 run_model=${6:-$2} run_batch=$3
    [ -n "${6:-}" ] && run_batch=1
    for _ in $(seq "$RUNS"); do
        "$VISIOND" nn bench "$run_model" --batch "$run_batch" --threads "$threads" \
            --iterations "$iters" --warmup 2 | "$PY" -c "$pick" "$label" "$batch" "$threads" visiond >> "$RES"
        node "$HERE/ort_bench.js" "$run_model" --batch "$run_batch" --threads "$threads" \
            --iterations "$iters" --warmup 2 | "$PY" -c "$pick" "$label" "$batch" "$threads" ort >> "$RES"
    done
}
for T in 1 2; do
    one blazeface_front_128 "$BF" 1 "$T" 300
    one blazeface_front_128 "$BF" 8 "$T" 60 "$WORK/bf_b8.onnx"
    one yolov8n_like_320 "$WORK/yolov8n_like.onnx" 1 "$T" 60
    one yolov8n_like_320 "$WORK/yolov8n_like.onnx" 8 "$T" 10
    one yolov8n_like_640 "$WORK/yolov8n_like_640.onnx" 1 "$T" 20
    one yolov8n_like_640 "$WORK/yolov8n_like_640.onnx" 8 "$T" 4
done

"$PY" - "$RES" <<'PYEOF'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = list(dict.fromkeys((r["label"], r["batch"], r["threads"]) for r in rows))
print("| model | batch | threads | visiond p50 ms | ORT p50 ms | ratio p50 (vd/ORT) "
      "| visiond min ms | ORT min ms | ratio min | visiond peak RSS MB | ORT peak RSS MB | runs |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for k in keys:
    v = [r for r in rows if (r["label"], r["batch"], r["threads"]) == k and r["rt"] == "visiond"]
    o = [r for r in rows if (r["label"], r["batch"], r["threads"]) == k and r["rt"] == "ort"]
    vp, op = st.median(r["p50"] for r in v), st.median(r["p50"] for r in o)
    vm, om = st.median(r["min"] for r in v), st.median(r["min"] for r in o)
    vr, orr = max(r["rss"] for r in v) / 2**20, max(r["rss"] for r in o) / 2**20
    print(f"| {k[0]} | {k[1]} | {k[2]} | {vp:.2f} | {op:.2f} | **{vp/op:.2f}** | {vm:.2f} "
          f"| {om:.2f} | {vm/om:.2f} | {vr:.0f} | {orr:.0f} | {min(len(v), len(o))} |")
PYEOF
