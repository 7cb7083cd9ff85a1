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
for T in 1 2; do
    vs_ort "$RES" blazeface_front_128 "$BF" 1 "$T" 300
    vs_ort "$RES" blazeface_front_128 "$BF" 8 "$T" 60 "$WORK/bf_b8.onnx"
    vs_ort "$RES" yolov8n_like_320 "$WORK/yolov8n_like.onnx" 1 "$T" 60
    vs_ort "$RES" yolov8n_like_320 "$WORK/yolov8n_like.onnx" 8 "$T" 10
    vs_ort "$RES" yolov8n_like_640 "$WORK/yolov8n_like_640.onnx" 1 "$T" 20
    vs_ort "$RES" yolov8n_like_640 "$WORK/yolov8n_like_640.onnx" 8 "$T" 4
done

vs_ort_table "$RES"
