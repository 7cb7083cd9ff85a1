#!/usr/bin/env bash
# nn_bench.sh -- vision/nn (`visiond nn bench`) vs onnxruntime-node, side by side.
#
#   bench/nn_bench.sh [BUILD_DIR]      (default: build)
#
# Models: BlazeFace front 128x128 (from .deps; a copy with its batch-1
# constants rewritten to 8 for batch 8), and the YOLOv8-like net of
# tests/nn_ref/make_models.py at 320 and 640. Each (model, batch, threads)
# is measured RUNS times (default 3), alternating visiond and onnxruntime
# processes so both see the same machine load; each process does WARMUP
# untimed and ITER timed inferences. The table shows the median over runs
# of each process's p50 and p90 latency, and the largest peak RSS.
# Then `visiond nn bench --profile` and `ort_bench.js --profile` (onnxruntime's
# profiler), RUNS alternating times, for the per-op split (medians per op).
# Writes the table to stdout and bench/results/nn.md (OUT=path to write
# elsewhere). SKIP_MEASURE=1 keeps the last measurements and redoes the rest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_work nn
RUNS=${RUNS:-3}
ITER=${ITER:-10}
WARMUP=${WARMUP:-2}
OUT=${OUT:-$HERE/results/nn.md}
mkdir -p "$(dirname "$OUT")"

# ---- models ----
"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_like >/dev/null
"$PY" "$ROOT/tests/nn_ref/make_models.py" "$WORK" --only yolov8n_like --size 640 >/dev/null
BF=$ROOT/.deps/npm/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx
cp "$BF" "$WORK/blazeface_front.onnx"
"$PY" "$HERE/rebatch_onnx.py" "$BF" "$WORK/blazeface_front_b8.onnx" 8

# ---- measurements: one JSON object per line in $WORK/results.jsonl ----
RES=$WORK/results.jsonl
[ "${SKIP_MEASURE:-0}" = 1 ] || : > "$RES"
measure() { # label model batch threads [model_for_batch]
  local label=$1 model=$2 batch=$3 threads=$4 r
  for r in $(seq "$RUNS"); do
    "$VISIOND" nn bench "$model" --batch "$batch" --threads "$threads" \
      --iterations "$ITER" --warmup "$WARMUP" |
      "$PY" -c 'import json,sys; d=json.load(sys.stdin); d.update(rt="visiond",label=sys.argv[1]); print(json.dumps(d))' "$label" >> "$RES"
    node "$HERE/ort_bench.js" "$model" --batch "$batch" --threads "$threads" \
      --iterations "$ITER" --warmup "$WARMUP" |
      "$PY" -c 'import json,sys; d=json.load(sys.stdin); d.update(rt="onnxruntime",label=sys.argv[1]); print(json.dumps(d))' "$label" >> "$RES"
  done
}
for threads in 1 2; do
  [ "${SKIP_MEASURE:-0}" = 1 ] && break
  measure "BlazeFace 128" "$WORK/blazeface_front.onnx" 1 "$threads"
  measure "BlazeFace 128" "$WORK/blazeface_front_b8.onnx" 8 "$threads"
  for batch in 1 8; do
    measure "YOLOv8-like 320" "$WORK/yolov8n_like.onnx" "$batch" "$threads"
    measure "YOLOv8-like 640" "$WORK/yolov8n_like_640.onnx" "$batch" "$threads"
  done
done

# ---- per-op profile of visiond ----
PROF=$WORK/profile
rm -rf "$PROF" && mkdir -p "$PROF"
profile() { # name model: alternating runs, the report takes per-op medians
  local r
  for r in $(seq "$RUNS"); do
    "$VISIOND" nn bench "$2" --threads 1 --iterations "$ITER" --profile > "$PROF/$1.visiond.$r.json"
    node "$HERE/ort_bench.js" "$2" --threads 1 --iterations "$ITER" --profile > "$PROF/$1.ort.$r.json"
  done
}
profile "BlazeFace 128" "$WORK/blazeface_front.onnx"
profile "YOLOv8-like 320" "$WORK/yolov8n_like.onnx"
profile "YOLOv8-like 640" "$WORK/yolov8n_like_640.onnx"

# ---- report ----
"$PY" - "$RES" "$PROF" "$OUT" "$RUNS" "$ITER" "$WARMUP" <<'EOF'
import json, os, statistics, subprocess, sys
res, prof, out, runs, iters, warm = sys.argv[1:7]
rows = [json.loads(l) for l in open(res)]
keys = []
for r in rows:
    k = (r["label"], r["batch"], r["threads"])
    if k not in keys:
        keys.append(k)
def agg(k, rt):
    rs = [r for r in rows if (r["label"], r["batch"], r["threads"]) == k and r["rt"] == rt]
    return (statistics.median(r["p50_ms"] for r in rs), statistics.median(r["p90_ms"] for r in rs),
            max(r["peak_rss_bytes"] for r in rs) / 2**20)
lines = ["| model | batch | threads | visiond p50 ms | ORT p50 ms | p50 ratio (vd/ORT) | "
         "visiond p90 ms | ORT p90 ms | visiond img/s | ORT img/s | visiond RSS MiB | ORT RSS MiB |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for k in keys:
    v, o = agg(k, "visiond"), agg(k, "onnxruntime")
    b = k[1]
    lines.append(f"| {k[0]} | {b} | {k[2]} | {v[0]:.2f} | {o[0]:.2f} | **{v[0]/o[0]:.2f}** | "
                 f"{v[1]:.2f} | {o[1]:.2f} | {b*1000/v[0]:.1f} | {b*1000/o[0]:.1f} | "
                 f"{v[2]:.0f} | {o[2]:.0f} |")
table = "\n".join(lines)
def cpu():
    for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if l.startswith("Model name"):
            return l.split(":", 1)[1].strip()
    return "?"
md = ["# vision/nn vs onnxruntime: latency and memory", "",
      f"Machine: {cpu()}, {os.cpu_count()} cores (shared with other jobs while measured: "
      "treat differences under ~15% as noise). onnxruntime-node 1.30 "
      "(intraOpNumThreads=T, interOpNumThreads=1, sequential, graphOptimizationLevel all).", "",
      f"Each cell: median over {runs} alternating runs (separate processes) of the per-process "
      f"p50/p90 over {iters} timed inferences after {warm} warm-up ones. Ratio < 1: visiond is "
      "faster. RSS: peak resident set of the whole process (for ORT that includes node itself: 39 MiB, 51 MiB once onnxruntime is loaded, before any model).", "",
      table, "", "## Where the time goes, per op (1 thread, batch 1)", "",
      "`visiond nn bench --profile` next to `node bench/ort_bench.js --profile` (onnxruntime's "
      "profiler; '(nchwc)': its blocked-layout kernels; ReorderInput/Output: its layout "
      "conversions; FusedConv: Conv with fused activation).", ""]
def median_profile(name, rt):
    runs = [json.load(open(os.path.join(prof, f)))["profile"] for f in os.listdir(prof)
            if f.startswith(name + "." + rt + ".")]
    ops = {}
    for p in runs:
        for r in p["by_op"]:
            ops.setdefault(r["op"], {"nodes": r["nodes"], "ms": []})["ms"].append(r["ms"])
    total = statistics.median(p["total_ms"] for p in runs)
    rows = [{"op": k, "nodes": v["nodes"],
             "ms": statistics.median(v["ms"] + [0.0] * (len(runs) - len(v["ms"])))}
            for k, v in ops.items()]
    for r in rows:
        r["percent"] = 100 * r["ms"] / total if total else 0
    return {"total_ms": total, "by_op": sorted(rows, key=lambda r: -r["ms"])}
for name in sorted({f.split(".")[0] for f in os.listdir(prof)}):
    vp, op = median_profile(name, "visiond"), median_profile(name, "ort")
    md += [f"### {name}: visiond {vp.get('total_ms', 0):.2f} ms, onnxruntime {op.get('total_ms', 0):.2f} ms "
           f"(sums of node times per run, profilers on, per-op medians of {runs} alternating runs)", "",
           "| visiond op | nodes | ms/run | % | | onnxruntime op | nodes | ms/run | % |",
           "|---|---|---|---|---|---|---|---|---|"]
    vr, orr = vp.get("by_op", [])[:12], op.get("by_op", [])[:12]
    cell = lambda r: (f"{r['op']} | {r['nodes']} | {r['ms']:.3f} | {r['percent']:.1f}" if r else " | | | ")
    for i in range(max(len(vr), len(orr))):
        md.append(f"| {cell(vr[i] if i < len(vr) else None)} | | "
                  f"{cell(orr[i] if i < len(orr) else None)} |")
    md.append("")
md += ["## Commands", "", "```", "bench/nn_bench.sh build   # RUNS=3 ITER=10 WARMUP=2 by default",
       "visiond nn bench MODEL --batch B --threads T --iterations I --warmup W",
       "node bench/ort_bench.js MODEL --batch B --threads T --iterations I --warmup W",
       "visiond nn bench MODEL --threads 1 --profile",
       "node bench/ort_bench.js MODEL --threads 1 --profile", "```", ""]
open(out, "w").write("\n".join(md))
print(table)
print(f"\nwritten to {out}")
EOF
