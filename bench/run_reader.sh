#!/usr/bin/env bash
# run_reader.sh -- the reader benchmark: visiond's reader (bench_reader) side
# by side with the ffmpeg CLI, cv2.VideoCapture and PyAV (reader_peers.py)
# on the same files, scenario by scenario, REPS rounds interleaved so machine
# noise hits every tool alike. Prints a Markdown table of medians and ratios
# and checks the seek results for exactness against ffmpeg's framemd5.
#
#   bench/run_reader.sh [BUILD_DIR]        (env: REPS=5, OUT=BUILD_DIR/bench/reader)
#
# Files: a generated H.264 clip with B-frames (640x360, 30 fps, 60 s,
# keyint 250, x264 preset medium: 3 B-frames, B-pyramid), the same with
# b-pyramid=none (every B-frame non-reference), and opencv-doc's vtest.avi.
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

gen() { # gen OUT X264PARAMS
  [ -f "$1" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=640x360:rate=30:duration=60 \
    -c:v libx264 -preset medium -bf 3 -g 250 -x264-params "$2" -pix_fmt yuv420p "$1"
}
gen "$OUT/h264_bpyramid.mp4" "b-pyramid=normal"
gen "$OUT/h264_nopyramid.mp4" "b-pyramid=none"
FILES=("$OUT/h264_bpyramid.mp4" "$OUT/h264_nopyramid.mp4" "$DATA/vtest.avi")
SCENARIOS=(all every30 keyframes seek20 range)
TOOLS=(visiond ffmpeg cv2 pyav)
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
        if [ "$tool" = visiond ]; then
          cmd=("$BENCH" "$f" "$sc" --targets "$targets")
        else
          cmd=($PY bench/reader_peers.py "$tool" "$f" "$sc" --targets "$targets")
        fi
        line=$(timeout 300 "${cmd[@]}") ||
          line="{\"tool\": \"$tool\", \"scenario\": \"$sc\", \"seconds\": null, \"frames\": \"failed\"}"
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
seeks = {}
for line in open(res):
    name, js = line.rstrip("\n").split("\t", 1)
    j = json.loads(js)
    if j["seconds"] is not None:
        runs[(name, j["scenario"], j["tool"])].append(j["seconds"])
    if "seeks" in j:
        seeks[(name, j["tool"])] = j["seeks"]
tools = ["visiond", "ffmpeg", "cv2", "pyav"]
scen = ["all", "every30", "keyframes", "seek20", "range"]
for name in dict.fromkeys(k[0] for k in runs):
    print(f"\n### {name}\n")
    print("| scenario | " + " | ".join(f"{t} (s)" for t in tools) + " | visiond vs ffmpeg | vs cv2 | vs pyav |")
    print("|---" * (len(tools) + 4) + "|")
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
    a = med[("all", "visiond")]
    print(f"\nvisiond: decode-all / every30 = {a / med[('every30', 'visiond')]:.2f}x (target >= 2), "
          f"decode-all / keyframes = {a / med[('keyframes', 'visiond')]:.2f}x (target >= 10), "
          f"decode-all vs ffmpeg -f null: {100 * (a / med[('all', 'ffmpeg')] - 1):+.1f}% (target within 5%)")
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
    for t in ["visiond", "cv2", "pyav"]:
        s = seeks.get((name, t))
        if not s:
            continue
        ok = 0
        for target, pts, md5 in s:
            k = next(i for i, fr in enumerate(tb_frames) if fr[0] >= target - 1e-9)
            want = cv2ref[k] if t == "cv2" and k < len(cv2ref) else tb_frames[k][1]
            ok += md5 == want
        print(f"{t}: {ok}/{len(s)} seeks exact (frame = first with pts >= t, by md5)")
EOF
