#!/usr/bin/env bash
# run_reader_clips.sh -- what listing torchvision-style clips costs next to
# decoding the videos: `visiond clips` over 10 files (packet index only)
# vs `visiond frames` decoding every frame of the same files, and vs
# materialising one clip. Medians of REPS rounds, interleaved.
#
#   bench/run_reader_clips.sh [BUILD_DIR]     (env: REPS=5, OUT=BUILD_DIR/bench/reader_clips)
#
# Files: 10 generated H.264 clips, 640x360, 30 fps, 10 s (300 frames),
# x264 veryfast -bf 3 -g 50, each a different lavfi source offset.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPS=${REPS:-5}
OUT=${OUT:-$BUILD/bench/reader_clips}
VISIOND=$BUILD/daemon/visiond
mkdir -p "$OUT"
files=()
for i in $(seq 0 9); do
  f="$OUT/v$i.mp4"
  [ -f "$f" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=640x360:rate=30:duration=10" \
    -vf "hue=h=$((i * 36))" -c:v libx264 -preset veryfast -bf 3 -g 50 -pix_fmt yuv420p "$f"
  files+=("$f")
done
/usr/bin/python3 - "$VISIOND" "$REPS" "${files[@]}" <<'EOF'
import statistics, subprocess, sys, time
visiond, reps, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def timed(cmds):
    t0 = time.perf_counter()
    for c in cmds:
        subprocess.run(c, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0

runs = {"list": [], "decode": [], "one": []}
for _ in range(reps):
    runs["list"].append(timed([[visiond, "clips", *files, "--frames", "16", "--stride", "8",
                                "--frame-rate", "15"]]))
    runs["decode"].append(timed([[visiond, "frames", f] for f in files]))
    runs["one"].append(timed([[visiond, "clips", *files, "--frames", "16", "--stride", "8",
                               "--frame-rate", "15", "--clip", "100"]]))
m = {k: statistics.median(v) for k, v in runs.items()}
n = subprocess.run([visiond, "clips", *files, "--frames", "16", "--stride", "8",
                    "--frame-rate", "15"], capture_output=True, text=True).stdout.count("\n")
print(f"| 10 files x 300 frames (640x360 H.264) | median of {reps} (s) |")
print("|---|---|")
print(f"| `visiond clips` list ({n} clips, 16 frames, stride 8, 15 fps) | {m['list']:.3f} |")
print(f"| `visiond frames` decode every frame of the 10 files | {m['decode']:.3f} |")
print(f"| `visiond clips --clip 100` (list + decode one clip) | {m['one']:.3f} |")
print(f"\nlisting / decoding = {m['list'] / m['decode']:.3f} "
      f"({m['decode'] / m['list']:.0f}x cheaper)")
EOF
