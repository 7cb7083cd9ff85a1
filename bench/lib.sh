# lib.sh -- the preamble the nn and detect benchmark scripts share.
#
#   . "$(dirname "$0")/lib.sh"      (in a script taking [BUILD_DIR] as $1)
#   bench_work SUBDIR               WORK=$BUILD/bench/SUBDIR, made; stops
#                                   with a message if visiond is not built
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
