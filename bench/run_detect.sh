#!/usr/bin/env bash
# run_detect.sh -- frames/s of `visiond detect` over vtest.avi sampled at
# --fps 5, with BlazeFace (back 256x256 card) and with the YOLOv8-like graph
# of tests/nn_ref/make_models.py (320x320, seeded random weights: its
# detections are meaningless, the compute is an export's), each with and
# without the --motion gate, plus motion alone; and a peer: the same
# BlazeFace pipeline in Python with OpenCV (cv2.VideoCapture, letterbox,
# cv2.dnn, numpy decode + weighted NMS), one thread each.
# (cv2.dnn 4.6 cannot load the YOLO-like graphs: no YOLO peer.)
#
#   bench/run_detect.sh [BUILD_DIR]          (default: build)
#
# Inputs: vtest.avi [0, 40 s) (walkers in every frame: the gate seldom
# skips; --motion-crop feeds only the moving area) and "quiet40": 20 s of
# vtest's first frame held still, then vtest's first 20 s (an NVR's typical day: nothing, then people), made once
# with ffmpeg. Each configuration runs RUNS times (default 3), alternating
# configurations so all see the same load; the table gives the median
# frames/s (frames delivered / wall time of the process, decode included).
# Writes bench/results/detect.md (OUT=path to write elsewhere).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work detect
RUNS=${RUNS:-3}
OUT=${OUT:-$HERE/results/detect.md}
DATA=${VD_OPENCV_DATA:-/usr/share/doc/opencv-doc/examples/data}
mkdir -p "$(dirname "$OUT")"

YOLO=$WORK/yolov8n_like.onnx
[ -f "$YOLO" ] || "$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_like >/dev/null
VTEST=$DATA/vtest.avi
QUIET=$WORK/quiet40.avi
[ -f "$QUIET" ] || ffmpeg -v error -y -t 20 -i "$VTEST" \
    -vf "tpad=start_duration=20:start_mode=clone" -c:v mpeg4 -q:v 2 "$QUIET"
BF=$ROOT/config/models/blazeface-back.json

cat > "$WORK/peer.py" <<'PYEOF'
"""BlazeFace back 256 with OpenCV: the same steps as `visiond detect`."""
import sys, time
import cv2
import numpy as np
cv2.setNumThreads(1)
video, model, end = sys.argv[1], sys.argv[2], float(sys.argv[3])
net = cv2.dnn.readNetFromONNX(model)
names = net.getUnconnectedOutLayersNames()
# anchors: 16x16 grid x2, 8x8 grid x6 (strides 16, 32,32,32 at 256)
anc = []
for cells, per in ((16, 2), (8, 6)):
    for y in range(cells):
        for x in range(cells):
            anc += [((x + .5) / cells, (y + .5) / cells)] * per
anc = np.array(anc, np.float32) * 256
def iou(a, b):
    iw = np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0])
    ih = np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter)
cap = cv2.VideoCapture(video)
t0 = time.time(); n = 0; next_t = 0.0; faces = 0
while True:
    ok, frame = cap.read()
    if not ok:
        break
    t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000
    if t >= end:
        break
    if t + 1e-6 < next_t:
        continue
    next_t += 0.2
    h, w = frame.shape[:2]
    r = min(256 / w, 256 / h); cw, ch = round(w * r), round(h * r)
    px, py = (256 - cw) // 2, (256 - ch) // 2
    img = np.zeros((256, 256, 3), np.float32) - 1
    small = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), (cw, ch), interpolation=cv2.INTER_LINEAR)
    img[py:py + ch, px:px + cw] = small.astype(np.float32) / 127.5 - 1
    net.setInput(img[None])
    outs = dict(zip(names, net.forward(names)))
    sc = np.concatenate([outs[k].reshape(-1) for k in names if outs[k].shape[2] == 1])
    rg = np.concatenate([outs[k].reshape(-1, 16) for k in names if outs[k].shape[2] == 16])
    keep = sc > np.log(0.5 / 0.5)
    s = 1 / (1 + np.exp(-sc[keep])); g = rg[keep]; a = anc[keep]
    c = a + g[:, :2]
    boxes = np.concatenate([c - g[:, 2:4] / 2, c + g[:, 2:4] / 2], 1)
    order = np.argsort(-s); boxes, s = boxes[order], s[order]
    alive = np.ones(len(s), bool)
    for i in range(len(s)):
        if not alive[i]:
            continue
        m = alive & (iou(boxes[i], boxes) >= 0.3)
        wsum = s[m].sum(); _ = (boxes[m] * s[m, None]).sum(0) / wsum
        alive &= ~m; faces += 1
    n += 1
dt = time.time() - t0
print(f"{n} frames in {dt:.2f} s ({n / dt:.1f} frames/s), faces {faces}", file=sys.stderr)
PYEOF

# name|command (the "frames/s" of the stderr summary is parsed)
CONFIGS=(
  "blazeface back 256, vtest 0-40 s|$VISIOND detect $VTEST --end 40 --fps 5 --model $BF"
  "blazeface back 256 + --motion, vtest 0-40 s|$VISIOND detect $VTEST --end 40 --fps 5 --model $BF --motion"
  "blazeface back 256 + --motion-crop, vtest 0-40 s|$VISIOND detect $VTEST --end 40 --fps 5 --model $BF --motion-crop"
  "peer: python cv2.dnn blazeface back 256, vtest 0-40 s|$PY $WORK/peer.py $VTEST $ROOT/.deps/npm/blazeface/package/ONNX/face_detection_back_256x256_barracuda.onnx 40"
  "yolov8-like 320, vtest 0-40 s|$VISIOND detect $VTEST --end 40 --fps 5 --model $YOLO"
  "yolov8-like 320 + --motion, vtest 0-40 s|$VISIOND detect $VTEST --end 40 --fps 5 --model $YOLO --motion"
  "motion only, vtest 0-40 s|$VISIOND detect $VTEST --end 40 --fps 5 --motion"
  "blazeface back 256, quiet40|$VISIOND detect $QUIET --fps 5 --model $BF"
  "blazeface back 256 + --motion, quiet40|$VISIOND detect $QUIET --fps 5 --model $BF --motion"
  "yolov8-like 320, quiet40|$VISIOND detect $QUIET --fps 5 --model $YOLO"
  "yolov8-like 320 + --motion, quiet40|$VISIOND detect $QUIET --fps 5 --model $YOLO --motion"
)

declare -A FPS SUMMARY
for run in $(seq "$RUNS"); do
  for cfg in "${CONFIGS[@]}"; do
    name=${cfg%%|*}; cmd=${cfg#*|}
    line=$($cmd 2>&1 >/dev/null | tail -1)
    fps=$(sed -n 's/.*(\([0-9.]*\) frames\/s).*/\1/p' <<<"$line")
    [ -n "$fps" ] || { echo "run_detect.sh: '$name' failed: $line" >&2; exit 1; }
    FPS[$name]="${FPS[$name]:-} $fps"
    SUMMARY[$name]=$line
    echo "run $run: $name: $fps frames/s" >&2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

{
  echo "# visiond detect: frames/s"
  echo
  echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), shared with other jobs."
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ). Command: \`bench/run_detect.sh $BUILD\` (RUNS=$RUNS)."
  echo "One inference thread everywhere (visiond default --threads 1; cv2.setNumThreads(1))."
  echo "Frames/s = frames analysed / process wall time (decode, preprocessing, inference,"
  echo "decode of outputs, JSON output; model loading included)."
  echo
  echo "| configuration | median frames/s | runs | last run |"
  echo "|---|---|---|---|"
  for cfg in "${CONFIGS[@]}"; do
    name=${cfg%%|*}
    m=$(median <<<"${FPS[$name]}")
    echo "| $name | $m | ${FPS[$name]# } | ${SUMMARY[$name]#visiond detect: } |"
  done
  echo
  # ours/peer per run: the two ran back to back, so they saw similar load
  a=(${FPS["blazeface back 256, vtest 0-40 s"]}); b=(${FPS["peer: python cv2.dnn blazeface back 256, vtest 0-40 s"]})
  ratios=$(for i in "${!a[@]}"; do awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN {printf "%.2f ", x / y}'; done)
  echo "BlazeFace visiond / cv2.dnn peer, per run (back to back): $ratios-> median $(median <<<"$ratios")."
  echo "Runs are in order; other jobs share the 2 cores, so absolute numbers drift between runs:"
  echo "compare rows within a run, and read ratios rather than absolute frames/s."
  echo
  echo "Commands (VISIOND=$VISIOND):"
  echo
  for cfg in "${CONFIGS[@]}"; do echo "    ${cfg#*|}"; done
} > "$OUT"
cat "$OUT"
