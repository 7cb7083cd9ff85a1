#!/usr/bin/env bash
# Rebuilds bench/RESULTS.md from bench/results/SUMMARY.md (the hand-written
# summary against the issues' targets) and each area's report in
# bench/results/, which the area's benchmark script documents how to redo.
set -euo pipefail
cd "$(dirname "$0")"
note_nn="*(An earlier run, before the conv work of both sessions reported above; kept for its per-op analysis of the gap at the time.)*"
demote() {
  awk '/^```/ { fence = !fence } { if (!fence && /^#/) print "#" $0; else print }' "$1"
}
{
  cat results/SUMMARY.md
  for f in reader transforms nn-fullsize tfjs build-types nn-perf nn-dw nn nn-kernels-heavy nn-kernels-light detect store daemon api faults soak sanitize; do
    printf '\n---\n\n'
    # Demote each report's headings one level under this page's title
    # (not the '#' comment lines inside its code blocks).
    demote "results/$f.md" | sed -n '1p'
    if [ "$f" = nn ]; then printf '\n%s\n' "$note_nn"; fi
    demote "results/$f.md" | sed '1d'
  done
} > RESULTS.md
