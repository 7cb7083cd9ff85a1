#!/usr/bin/env bash
# kernels_heavy_bench.sh -- the heavy kernels one layer at a time, vision/nn
# (`visiond nn bench`) vs onnxruntime-node on the same single-op models.
#
#   bench/kernels_heavy_bench.sh [BUILD_DIR]      (default: build)
#
# Each model is one layer with the shape it has in the nets we target
# (YOLOv8 at 320/640, BlazeFace 128, MobileNet/ResNet heads), so the table
# says which kernel makes up a whole-model gap (bench/nn_bench.sh). Each
# (layer, threads) is measured RUNS times (default 5), alternating visiond and
# onnxruntime processes; each process does WARMUP untimed and ITER timed runs.
# Cells are the median over runs of each process's minimum and p50 latency
# (the minimum is the least disturbed by other load on a shared machine).
# Writes the table to stdout and bench/results/nn-kernels-heavy.md (OUT=path).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work kernels_heavy
RUNS=${RUNS:-5}
ITER=${ITER:-50}
WARMUP=${WARMUP:-5}
THREADS=${THREADS:-"1 2"}
OUT=${OUT:-$HERE/results/nn-kernels-heavy.md}
mkdir -p "$(dirname "$OUT")"

# ---- one ONNX file per layer: name|op|description (listed in $WORK/layers.txt) ----
"$PY" - "$WORK" <<'EOF'
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rng = np.random.default_rng(0)
layers = []

def save(name, desc, nodes, x_shape, inits, extra_inputs=()):
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in extra_inputs]
    g = helper.make_graph(nodes, name, inputs,
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
              f"{out}/{name}.onnx")
    layers.append(f"{name}|{desc}")

def w(name, shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name)

def conv(name, desc, c, m, h, k, s, g=1, act=None, wd=None):
    wd = wd or h
    y = "C" if act else "Y"
    nodes = [helper.make_node("Conv", ["X", "W", "B"], [y], kernel_shape=[k, k],
                              strides=[s, s], pads=[k // 2] * 4, group=g)]
    if act == "silu":
        nodes += [helper.make_node("Sigmoid", ["C"], ["S"]),
                  helper.make_node("Mul", ["C", "S"], ["Y"])]
    elif act == "relu":
        nodes += [helper.make_node("Relu", ["C"], ["Y"])]
    save(name, desc, nodes, [1, c, h, wd], [w("W", (m, c // g, k, k)), w("B", (m,))])

conv("yolo640_stem", "Conv 3->16 3x3 s2 +SiLU, 640x640 (YOLOv8n stem)", 3, 16, 640, 3, 2, act="silu")
conv("yolo320_c3x3", "Conv 80->80 3x3 +SiLU, 40x40 (YOLOv8 head)", 80, 80, 40, 3, 1, act="silu")
conv("yolo640_c3x3", "Conv 32->32 3x3 +SiLU, 160x160 (YOLOv8n C2f at 640)", 32, 32, 160, 3, 1, act="silu")
conv("yolo_down", "Conv 64->128 3x3 s2 +SiLU, 80x80", 64, 128, 80, 3, 2, act="silu")
conv("pw_64_160", "Conv 1x1 64->64 +SiLU, 160x160", 64, 64, 160, 1, 1, act="silu")
conv("pw_96_8", "Conv 1x1 96->96, 8x8 (BlazeFace tail)", 96, 96, 8, 1, 1)
conv("bf_stem", "Conv 3->24 5x5 s2 +Relu, 128x128 (BlazeFace stem)", 3, 24, 128, 5, 2, act="relu")
conv("dw3_64", "depthwise 3x3 s1, 24ch 64x64 (BlazeFace)", 24, 24, 64, 3, 1, g=24)
conv("dw3_s2", "depthwise 3x3 s2, 96ch 56x56 (MobileNet)", 96, 96, 56, 3, 2, g=96)
conv("dw5_s1", "depthwise 5x5 s1, 240ch 14x14 (MobileNetV3)", 240, 240, 14, 5, 1, g=240)
save("convt_2x", "ConvTranspose 64->32 2x2 s2, 40x40",
     [helper.make_node("ConvTranspose", ["X", "W", "B"], ["Y"], kernel_shape=[2, 2], strides=[2, 2])],
     [1, 64, 40, 40], [w("W", (64, 32, 2, 2)), w("B", (32,))])
save("gemm_fc", "Gemm 1x1280 x 1280x1000 +bias (classifier)",
     [helper.make_node("Gemm", ["X", "W", "B"], ["Y"], transB=1)],
     [1, 1280], [w("W", (1000, 1280)), w("B", (1000,))])
save("matmul_attn", "MatMul [4,400,32] x [4,32,400] (attention scores)",
     [helper.make_node("MatMul", ["X", "K"], ["Y"])], [4, 400, 32], [w("K", (4, 32, 400))])
save("maxpool_2x2", "MaxPool 2x2 s2, 28ch 64x64",
     [helper.make_node("MaxPool", ["X"], ["Y"], kernel_shape=[2, 2], strides=[2, 2])],
     [1, 28, 64, 64], [])
save("maxpool_sppf", "MaxPool 5x5 s1 p2, 256ch 20x20 (SPPF)",
     [helper.make_node("MaxPool", ["X"], ["Y"], kernel_shape=[5, 5], pads=[2] * 4)],
     [1, 256, 20, 20], [])
save("resize_up2", "Resize nearest 2x, 128ch 40x40",
     [helper.make_node("Resize", ["X", "", "S"], ["Y"], mode="nearest")], [1, 128, 40, 40],
     [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "S")])
save("resize_bilinear", "Resize linear half_pixel 2x, 64ch 80x80",
     [helper.make_node("Resize", ["X", "", "S"], ["Y"], mode="linear")], [1, 64, 80, 80],
     [numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "S")])
save("softmax_dfl", "Softmax axis 1 over [1,16,4,8400] (YOLOv8 DFL at 640)",
     [helper.make_node("Softmax", ["X"], ["Y"], axis=1)], [1, 16, 4, 8400], [])
open(f"{out}/layers.txt", "w").write("\n".join(layers) + "\n")
EOF

# ---- measurements ----
RES=$WORK/results.jsonl
: > "$RES"
while IFS='|' read -r name desc; do
  for threads in $THREADS; do
    for r in $(seq "$RUNS"); do
      "$VISIOND" nn bench "$WORK/$name.onnx" --threads "$threads" --iterations "$ITER" \
        --warmup "$WARMUP" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d.update(rt="visiond",name=sys.argv[1]); print(json.dumps(d))' "$name" >> "$RES"
      node "$HERE/ort_bench.js" "$WORK/$name.onnx" --threads "$threads" --iterations "$ITER" \
        --warmup "$WARMUP" 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin); d.update(rt="onnxruntime",name=sys.argv[1]); print(json.dumps(d))' "$name" >> "$RES"
    done
  done
done < "$WORK/layers.txt"

# ---- report ----
"$PY" - "$RES" "$WORK/layers.txt" "$OUT" "$RUNS" "$ITER" "$WARMUP" <<'EOF'
import json, os, statistics, subprocess, sys
res, layers, out, runs, iters, warm = sys.argv[1:7]
rows = [json.loads(l) for l in open(res)]
desc = dict(l.rstrip("\n").split("|", 1) for l in open(layers) if l.strip())
def med(name, t, rt, key):
    return statistics.median(r[key] for r in rows
                             if r["name"] == name and r["threads"] == t and r["rt"] == rt)
lines = ["| layer | threads | visiond min ms | ORT min ms | min ratio (vd/ORT) | "
         "visiond p50 ms | ORT p50 ms |", "|---|---|---|---|---|---|---|"]
for name in desc:
    for t in sorted({r["threads"] for r in rows if r["name"] == name}):
        v, o = med(name, t, "visiond", "min_ms"), med(name, t, "onnxruntime", "min_ms")
        lines.append(f"| {desc[name]} | {t} | {v:.3f} | {o:.3f} | **{v / o:.2f}** | "
                     f"{med(name, t, 'visiond', 'p50_ms'):.3f} | "
                     f"{med(name, t, 'onnxruntime', 'p50_ms'):.3f} |")
table = "\n".join(lines)
cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(
    ["lscpu"], capture_output=True, text=True).stdout.splitlines()
    if l.startswith("Model name")), "?")
md = ["# vision/nn heavy kernels vs onnxruntime, one layer at a time", "",
      f"Machine: {cpu}, {os.cpu_count()} cores, shared with other jobs while measured "
      f"(load varies: compare the min columns). onnxruntime-node "
      "(intraOpNumThreads=T, sequential, all graph optimisations).", "",
      f"Each model is a single layer (plus Sigmoid+Mul or Relu where marked, which "
      "vision/nn fuses into the conv epilogue). Cells: median over "
      f"{runs} alternating runs (separate processes) of each process's min and p50 over "
      f"{iters} timed inferences after {warm} warm-up ones. Ratio < 1: visiond is faster.",
      "", table, "", "## Command", "", "```",
      "bench/kernels_heavy_bench.sh build   # RUNS=5 ITER=50 WARMUP=5 THREADS=\"1 2\"",
      "```", ""]
open(out, "w").write("\n".join(md))
print(table)
print(f"\nwritten to {out}")
EOF
