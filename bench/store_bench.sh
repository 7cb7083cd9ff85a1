#!/usr/bin/env bash
# store_bench.sh -- rows/s into the detection store: vd_store (queue, writer
# thread, WAL transactions of batch_rows rows with synchronous=FULL; the
# producer is held back so nothing is dropped) vs the sqlite3 CLI
# bulk-inserting the same rows into the same schema: as INSERT statements in
# one transaction, in 1000-row transactions (vd_store's batching), and as CSV
# through .import (the CLI's bulk loader: one prepared statement, one
# transaction). Round 1 checks that the files hold identical rows.
#
# Usage: bench/store_bench.sh [BUILD_DIR] [ROWS] [ROUNDS]   (defaults build 200000 5)
# Rounds alternate the five so load from other jobs hits all alike; prints
# a markdown table of medians. Needs the sqlite3 CLI (setup.sh test packages).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ROWS=${2:-200000}
ROUNDS=${3:-5}
bench_work store
BENCH=$BUILD/bench/bench_store
command -v sqlite3 >/dev/null || { echo "store_bench.sh: no sqlite3 CLI (apt-get install sqlite3)" >&2; exit 1; }
"$BENCH" sql "$ROWS" "$WORK/proto1.db" "$WORK/one.sql" "$ROWS"
"$BENCH" sql "$ROWS" "$WORK/proto2.db" "$WORK/batched.sql" 1000
"$BENCH" csv "$ROWS" "$WORK/proto3.db" "$WORK/rows.csv"
rows_md5() { sqlite3 "$1" 'SELECT * FROM detections ORDER BY id' | md5sum | cut -d' ' -f1; }
cli() { # cli NAME ARGS... (sqlite3 CLI on a fresh copy of the empty store) -> rows/s
    local name=$1 t0 t1
    shift
    rm -f "$WORK/$name.db"*
    cp "$WORK/proto1.db" "$WORK/$name.db"
    t0=$(date +%s.%N)
    sqlite3 "$WORK/$name.db" "$@"
    t1=$(date +%s.%N)
    [ "$(sqlite3 "$WORK/$name.db" 'SELECT count(*) FROM detections')" = "$ROWS" ]
    echo "$ROWS $t0 $t1" | awk '{ printf "%.0f\n", $1 / ($3 - $2) }'
}
: >"$WORK/raw.tsv"
for r in $(seq "$ROUNDS"); do
    rm -f "$WORK/vd.db"*
    "$BENCH" vd "$ROWS" "$WORK/vd.db" | awk -v r="$r" '{ print r "\tvd_store, 1000-row transactions (the default)\t" $2 }' >>"$WORK/raw.tsv"
    rm -f "$WORK/vd5.db"*
    "$BENCH" vd "$ROWS" "$WORK/vd5.db" 5000 | awk -v r="$r" '{ print r "\tvd_store, 5000-row transactions\t" $2 }' >>"$WORK/raw.tsv"
    echo -e "$r\tsqlite3 CLI, INSERTs in one transaction\t$(cli one ".read $WORK/one.sql")" >>"$WORK/raw.tsv"
    echo -e "$r\tsqlite3 CLI, INSERTs in 1000-row transactions\t$(cli batched ".read $WORK/batched.sql")" >>"$WORK/raw.tsv"
    echo -e "$r\tsqlite3 CLI, .import --csv\t$(cli csv ".import --csv $WORK/rows.csv detections")" >>"$WORK/raw.tsv"
    if [ "$r" = 1 ]; then
        want=$(rows_md5 "$WORK/vd.db")
        for f in one batched csv; do
            [ "$(rows_md5 "$WORK/$f.db")" = "$want" ] || { echo "store_bench.sh: $f.db rows differ from vd.db" >&2; exit 1; }
        done
    fi
done
"$PY" - "$WORK/raw.tsv" "$ROWS" "$ROUNDS" <<'PY'
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    _, who, rate = line.rstrip("\n").split("\t")
    rows.setdefault(who, []).append(float(rate))
base = statistics.median(next(iter(rows.values())))
print(f"{sys.argv[2]} detections, median of {sys.argv[3]} rounds (rows/s; all runs in brackets)\n")
print("| inserter | rows/s | vd_store / this |")
print("|---|---|---|")
for who, v in rows.items():
    m = statistics.median(v)
    print(f"| {who} | {m:,.0f} ({', '.join(f'{x:,.0f}' for x in v)}) | {base / m:.2f} |")
PY
