# lib.sh -- the preamble the nn and detect benchmark scripts share.
#
#   . "$(dirname "$0")/lib.sh"      (in a script taking [BUILD_DIR] as $1)
#   bench_work SUBDIR               WORK=$BUILD/bench/SUBDIR, made; stops
#                                   with a message if visiond is not built
#
#   vs_ort RES LABEL MODEL BATCH THREADS ITERS [FIXED_BATCH_MODEL]
#                                   RUNS alternating visiond / onnxruntime
#                                   processes, one JSON line each into RES
#   vs_ort_table RES                the markdown table of RES: medians of
#                                   p50 and min per (label, batch, threads)
#
# Sets HERE (bench/), ROOT, BUILD, VISIOND, PY (Debian's python3, which has
# onnx/numpy: the pyenv one on PATH does not) and ORT_NODE_PATH for
# bench/ort_bench.js; each of them can be overridden from the environment.
HERE=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${1:-$ROOT/build}
VISIOND=${VISIOND:-$BUILD/daemon/visiond}
PY=${VD_PYTHON:-/usr/bin/python3}
export ORT_NODE_PATH=${ORT_NODE_PATH:-$ROOT/.deps/npm/node_modules/onnxruntime-node}

bench_work() {
    WORK=$BUILD/bench/$1
    mkdir -p "$WORK"
    [ -x "$VISIOND" ] || {
        echo "$(basename "${BASH_SOURCE[1]}"): no visiond at $VISIOND (build first)" >&2
        exit 1
    }
}

# One (model, batch, threads) cell: RUNS (default 5) alternating processes,
# each 2 warm-up and ITERS timed inferences. A fixed-batch model (BlazeFace
# rewritten to batch 8) runs at --batch 1 and is recorded at BATCH.
vs_ort() {
    local res=$1 label=$2 model=$3 batch=$4 threads=$5 iters=$6 run_model=${7:-$3} run_batch=$4
    local pick='import json,sys; d=json.load(sys.stdin); print(json.dumps({"label":sys.argv[1],"batch":int(sys.argv[2]),"threads":int(sys.argv[3]),"rt":sys.argv[4],"p50":d["p50_ms"],"min":d["min_ms"],"rss":d["peak_rss_bytes"]}))'
    [ -n "${7:-}" ] && run_batch=1
    for _ in $(seq "${RUNS:-5}"); do
        "$VISIOND" nn bench "$run_model" --batch "$run_batch" --threads "$threads" \
            --iterations "$iters" --warmup 2 | "$PY" -c "$pick" "$label" "$batch" "$threads" visiond >> "$res"
        node "$HERE/ort_bench.js" "$run_model" --batch "$run_batch" --threads "$threads" \
            --iterations "$iters" --warmup 2 | "$PY" -c "$pick" "$label" "$batch" "$threads" ort >> "$res"
    done
}

vs_ort_table() {
    "$PY" - "$1" <<'PYEOF'
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
}
