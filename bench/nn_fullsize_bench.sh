#!/usr/bin/env bash
# nn_fullsize_bench.sh -- vision/nn vs onnxruntime-node on models at the size
# real ones have (issue 9): CenterNet's TopK alone (k=100 over 128x128x80 =
# 1.3 M values, one node) and a YOLOv8n-structured graph at its real width
# (3.2 M parameters, 640x640, channels 16-256), batch 1 and 8, 1 and 2
# threads. Both models come from tests/nn_ref/make_models.py (topk_single,
# yolov8n_full; seeded random weights). "centernet" adds the real CenterNet
# COCO that setup.sh converts from TF.js (.deps/models/centernet-coco.onnx).
#
#   bench/nn_fullsize_bench.sh [BUILD_DIR]     (default: build)
#
# Each cell: RUNS (default 5) alternating visiond / onnxruntime processes
# (bench/lib.sh vs_ort); the table has the medians of their p50 and min.
# Writes the table to stdout and bench/results/nn-fullsize.md (OUT=...).
# MODELS="topk yolo" (default) picks the models.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work nn_fullsize
RUNS=${RUNS:-5}
OUT=${OUT:-$HERE/results/nn-fullsize.md}
MODELS=${MODELS:-topk yolo centernet}
CENTERNET=${CENTERNET:-$ROOT/.deps/models/centernet-coco.onnx}

"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only topk_single >/dev/null
"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_full --size 640 >/dev/null

RES=$WORK/results.jsonl
: > "$RES"
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
for T in 1 2; do
    if [[ " $MODELS " == *" topk "* ]]; then
        vs_ort "$RES" "TopK k=100 of 1.3 M" "$WORK/topk_single.onnx" 1 "$T" 200
        vs_ort "$RES" "TopK k=100 of 1.3 M" "$WORK/topk_single.onnx" 8 "$T" 50
    fi
    if [[ " $MODELS " == *" centernet "* && -f "$CENTERNET" ]]; then
        vs_ort "$RES" "CenterNet COCO 512 (TF.js, converted)" "$CENTERNET" 1 "$T" 10
    fi
    if [[ " $MODELS " == *" yolo "* ]]; then
        vs_ort "$RES" "YOLOv8n full width 640" "$WORK/yolov8n_full_640.onnx" 1 "$T" 10
        vs_ort "$RES" "YOLOv8n full width 640" "$WORK/yolov8n_full_640.onnx" 8 "$T" 2
    fi
done

{
    echo "# Models at full size: visiond vs onnxruntime-node"
    echo
    echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%F);"
    bt=$(sed -n "s/^CMAKE_BUILD_TYPE:STRING=//p" "$BUILD/CMakeCache.txt")
    echo "build type: ${bt:-RelWithDebInfo (the default)}."
    echo "Medians over $RUNS alternating process pairs (bench/nn_fullsize_bench.sh);"
    echo "1-minute load average $LOAD0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end."
    echo
    vs_ort_table "$RES"
} | tee "$OUT"
