#!/bin/sh
# systemd_unit.sh BUILD_DIR SOURCE_DIR OUT -- see tests/systemd.cmake.
set -eu
BUILD=$1 SRC=$2 OUT=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
p=$root/usr/local
cmake --install "$BUILD" --prefix "$p" >/dev/null
unit=$p/lib/systemd/system/visiond.service
for f in bin/visiond lib/systemd/system/visiond.service etc/visiond/visiond.yaml \
         etc/visiond/models/blazeface-back.json etc/visiond/labels/face.txt \
         share/visiond/systemd/v4l2.conf; do
    [ -f "$p/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
grep -qx "ExecStart=$p/bin/visiond serve --config $p/etc/visiond/visiond.yaml --state-dir %S/visiond" "$unit" ||
    { echo "ExecStart does not follow the prefix:" >&2; grep ExecStart "$unit" >&2; exit 1; }
# the installed cards point at the installed models (when setup.sh fetched them)
if [ -f "$SRC/.deps/npm/blazeface/package/ONNX/face_detection_back_256x256_barracuda.onnx" ]; then
    grep -q "\"path\": \"$p/share/visiond/models/face_detection_back_256x256_barracuda.onnx\"" \
        "$p/etc/visiond/models/blazeface-back.json"
    [ -f "$p/share/visiond/models/face_detection_back_256x256_barracuda.onnx" ]
fi
"$p/bin/visiond" check-config "$p/etc/visiond/visiond.yaml"
# a second install keeps the edited config and puts the new example beside it
echo "# edited" >>"$p/etc/visiond/visiond.yaml"
cmake --install "$BUILD" --prefix "$p" >/dev/null
grep -q "^# edited" "$p/etc/visiond/visiond.yaml"
[ -f "$p/etc/visiond/visiond.yaml.new" ]

command -v systemd-analyze >/dev/null || {
    echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"
    exit 77
}
# verify exits 0 on unknown keys and unparsable values, it only warns:
# any output is a failure
verify() {
    msg=$(systemd-analyze verify "$unit" 2>&1) || { echo "$msg" >&2; exit 1; }
    [ -z "$msg" ] || { echo "systemd-analyze verify: $msg" >&2; exit 1; }
}
verify
exposure() {
    systemd-analyze security --offline=true "$unit" |
        sed -n 's/.*Overall exposure level for visiond.service: \([0-9.]*\).*/\1/p'
}
plain=$(exposure)
mkdir -p "$unit.d"
cp "$p/share/visiond/systemd/v4l2.conf" "$unit.d/"
verify
v4l2=$(exposure)
printf 'visiond.service exposure (systemd-analyze security --offline=true): %s\nwith the v4l2 drop-in: %s\n' \
    "$plain" "$v4l2" | tee "$OUT"
awk -v e="$plain" -v v="$v4l2" 'BEGIN { exit !(e != "" && e <= 2.0 && v != "" && v <= 2.0) }' ||
    { echo "exposure above the 2.0 goal" >&2; exit 1; }
