#!/usr/bin/env bash
# run_reader.sh -- the reader benchmark: visiond's reader (bench_reader) side
# by side with the ffmpeg CLI, cv2.VideoCapture and PyAV (reader_peers.py)
# on the same files, scenario by scenario, REPS rounds interleaved so machine
# noise hits every tool alike. Prints a Markdown table of medians and ratios
# and checks the seek results for exactness against ffmpeg's framemd5.
#
#   bench/run_reader.sh [BUILD_DIR]        (env: REPS=5, OUT=BUILD_DIR/bench/reader)
#
# Besides wall time, each tool reports its CPU seconds (user + sys of all
# its threads and child processes): on a machine shared with other jobs
# the clock measures the neighbours as much as the tool.
#
# Narrower runs: ONLY="<file names>", SCENARIOS="all every30",
# TOOLS="visiond pyav"; BASE=<another build's bench_reader> adds it as the
# tool "base", run in the same rounds: the regression check of a change.
#
# Files: a generated H.264 clip with B-frames (640x360, 30 fps, 60 s,
# keyint 250, x264 preset medium: 3 B-frames, B-pyramid), the same with
# b-pyramid=none (every B-frame non-reference), issue 11's 720p clip (x264
# veryfast -bf 3 -g 50, B-pyramid on by default) and opencv-doc's vtest.avi.
# seek20 = first frame with pts >= t; at20 = the frame played at t (pts <= t
# < next pts), both checked by MD5.
# Every tool uses its decoder's default automatic thread count.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPS=${REPS:-5}
PY=/usr/bin/python3
OUT=${OUT:-$BUILD/bench/reader}
BENCH=$BUILD/bench/bench_reader
DATA=${VD_OPENCV_DATA:-/usr/share/doc/opencv-doc/examples/data}
mkdir -p "$OUT"
[ -x "$BENCH" ] || { echo "build $BENCH first (cmake --build $BUILD --target bench_reader)" >&2; exit 2; }

gen() { # gen OUT SIZE PRESET GOP X264PARAMS
  [ -f "$1" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=$2:rate=30:duration=60" \
    -c:v libx264 -preset "$3" -bf 3 -g "$4" -x264-params "$5" -pix_fmt yuv420p "$1"
}
gen "$OUT/h264_bpyramid.mp4" 640x360 medium 250 "b-pyramid=normal"
gen "$OUT/h264_nopyramid.mp4" 640x360 medium 250 "b-pyramid=none"
gen "$OUT/h264_720p_g50.mp4" 1280x720 veryfast 50 "b-pyramid=normal"
FILES=("$OUT/h264_bpyramid.mp4" "$OUT/h264_nopyramid.mp4" "$OUT/h264_720p_g50.mp4"
       "$DATA/vtest.avi")
if [ -n "${ONLY:-}" ]; then  # ONLY="h264_720p_g50.mp4 vtest.avi": these files only
  FILES=()
  for n in $ONLY; do [ -f "$OUT/$n" ] && FILES+=("$OUT/$n") || FILES+=("$DATA/$n"); done
fi
read -r -a SCENARIOS <<< "${SCENARIOS:-all every30 keyframes seek20 at20 range}"
read -r -a TOOLS <<< "${TOOLS:-visiond ffmpeg cv2 pyav}"
[ -z "${BASE:-}" ] || TOOLS=(visiond base "${TOOLS[@]:1}")
results="$OUT/results.tsv"
: > "$results"

for f in "${FILES[@]}"; do
  name=$(basename "$f")
  # 20 seek targets, uniform over the first 95% (seeded: the same for all tools)
  targets=$($PY - "$f" <<'EOF'
import json, random, subprocess, sys
j = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration,start_time",
                               "-of", "json", sys.argv[1]], capture_output=True, text=True).stdout)
st, d = float(j["format"].get("start_time", 0)), float(j["format"]["duration"])
r = random.Random(42)
print(",".join(f"{st + r.uniform(0, 0.95 * d):.3f}" for _ in range(20)))
EOF
)
  echo "$targets" > "$OUT/$name.targets"
  ffmpeg -v error -copyts -i "$f" -map 0:v:0 -fps_mode passthrough -f framemd5 - > "$OUT/$name.framemd5"
  $PY bench/reader_peers.py cv2-ref "$f" seek20 > "$OUT/$name.cv2ref.json"
  for rep in $(seq "$REPS"); do
    for sc in "${SCENARIOS[@]}"; do
      for tool in "${TOOLS[@]}"; do
        if [ "$tool" = visiond ] || [ "$tool" = base ]; then
          b=$BENCH; [ "$tool" = visiond ] || b=$BASE
          cmd=("$b" "$f" "$sc" --targets "$targets")
        else
          cmd=($PY bench/reader_peers.py "$tool" "$f" "$sc" --targets "$targets")
        fi
        line=$(timeout 300 "${cmd[@]}") ||
          line="{\"tool\": \"$tool\", \"scenario\": \"$sc\", \"seconds\": null, \"frames\": \"failed\"}"
        [ "$tool" != base ] || line=${line/\"visiond\"/\"base\"}
        printf '%s\t%s\n' "$name" "$line" >> "$results"
      done
    done
    echo "  $name: round $rep/$REPS done" >&2
  done
done

$PY - "$results" "$OUT" <<'EOF'
import collections, json, statistics, sys
res, out = sys.argv[1], sys.argv[2]
runs = collections.defaultdict(list)
cpus = collections.defaultdict(list)
seeks = {}
for line in open(res):
    name, js = line.rstrip("\n").split("\t", 1)
    j = json.loads(js)
    if j["seconds"] is not None:
        runs[(name, j["scenario"], j["tool"])].append(j["seconds"])
        if j.get("cpu") is not None:
            cpus[(name, j["scenario"], j["tool"])].append(j["cpu"])
    if "seeks" in j:
        seeks[(name, j["tool"], j["scenario"])] = j["seeks"]
present = {k[2] for k in runs} | {k[1] for k in seeks}
tools = [t for t in ["visiond", "base", "ffmpeg", "cv2", "pyav"] if t in present]
scen = [s for s in ["all", "every30", "keyframes", "seek20", "at20", "range"]
        if any(k[1] == s for k in runs)]
for name in dict.fromkeys(k[0] for k in runs):
    print(f"\n### {name}\n")
    print("| scenario | " + " | ".join(f"{t} (s)" for t in tools) + " | " +
          " | ".join(f"visiond vs {t}" for t in tools[1:]) + " |")
    print("|---" * (2 * len(tools)) + "|")
    med = {}
    for sc in scen:
        row = []
        for t in tools:
            v = runs.get((name, sc, t))
            med[(sc, t)] = statistics.median(v) if v else None
            row.append(f"{med[(sc, t)]:.3f}" if v else "n/a")
        ratios = []
        for t in tools[1:]:
            a, b = med[(sc, "visiond")], med[(sc, t)]
            ratios.append(f"{b / a:.2f}x" if a and b else "n/a")
        print(f"| {sc} | " + " | ".join(row) + " | " + " | ".join(ratios) + " |")
    if cpus:
        print("\nCPU seconds (user + sys, all threads; medians):\n")
        print("| scenario | " + " | ".join(tools) + " | " +
              " | ".join(f"visiond vs {t}" for t in tools[1:]) + " |")
        print("|---" * (2 * len(tools)) + "|")
        for sc in scen:
            c = {t: statistics.median(cpus[(name, sc, t)]) if cpus.get((name, sc, t)) else None
                 for t in tools}
            print(f"| {sc} | " + " | ".join(f"{c[t]:.3f}" if c[t] else "n/a" for t in tools) +
                  " | " + " | ".join(f"{c[t] / c['visiond']:.2f}x" if c[t] and c["visiond"]
                                     else "n/a" for t in tools[1:]) + " |")
            for t in tools:
                med[(sc, t, "cpu")] = c[t]
        print("\nCPU: " + "; ".join(
            f"{t}: every30 = {med[('every30', t, 'cpu')] / med[('all', t, 'cpu')]:.2f}x decode-all"
            for t in tools if med.get(("every30", t, "cpu")) and med.get(("all", t, "cpu"))))
    def ratio(t, a, b):
        x, y = med.get((a, t)), med.get((b, t))
        return f"{x / y:.2f}x" if x and y else "n/a"
    print("\n" + "; ".join(f"{t}: every30 = {ratio(t, 'every30', 'all')} decode-all"
                           for t in tools if t != "ffmpeg") +
          " (issue 11 target for visiond: <= 0.5x on the 720p clip)")
    a, f = med.get(("all", "visiond")), med.get(("all", "ffmpeg"))
    print(f"visiond: keyframes = {ratio('visiond', 'keyframes', 'all')} decode-all" +
          (f"; decode-all = {a / f:.2f}x the time of ffmpeg -f null" if a and f else ""))
    # exactness of the 20 seeks: first frame with pts >= t
    tb_frames = []
    tb = None
    for l in open(f"{out}/{name}.framemd5"):
        if l.startswith("#tb 0:"):
            n, d = l.split(":")[1].strip().split("/")
            tb = int(n) / int(d)
        elif l.strip() and not l.startswith("#"):
            f = [x.strip() for x in l.split(",")]
            tb_frames.append((int(f[2]) * tb, f[5]))
    cv2ref = json.load(open(f"{out}/{name}.cv2ref.json"))
    rules = {"seek20": ("seeks", "first with pts >= t",
                        lambda t: next(i for i, fr in enumerate(tb_frames) if fr[0] >= t - 1e-9)),
             "at20": ("played-at", "pts <= t < next pts",
                      lambda t: [i for i, fr in enumerate(tb_frames) if fr[0] <= t + 1e-9][-1])}
    for sc, (what, rule, pick) in rules.items():
        for t in ["visiond", "base", "cv2", "pyav"]:
            s = seeks.get((name, t, sc))
            if not s:
                continue
            ok = 0
            for target, pts, md5 in s:
                k = pick(target)
                want = cv2ref[k] if t == "cv2" and k < len(cv2ref) else tb_frames[k][1]
                ok += md5 == want
            print(f"{t}: {ok}/{len(s)} {what} exact (frame = {rule}, by md5)")
EOF
