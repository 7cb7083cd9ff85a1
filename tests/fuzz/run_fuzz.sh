#!/bin/sh
# run_fuzz.sh -- one bounded libFuzzer session, as ctest runs it (tests/fuzz.cmake)
# and as a developer runs it for longer (docs/fuzz.md).
#
#   run_fuzz.sh FUZZER SEEDS_DIR DICT BUDGET WORK_DIR [libFuzzer flags...]
#
# BUDGET is either
#   Ns  explore for N seconds from a random seed; new inputs go to
#       WORK_DIR/corpus and are kept, so a later run starts from what an
#       earlier one reached (a developer's campaign, docs/fuzz.md);
#   N   run exactly N inputs from seed 1 and an empty WORK_DIR/corpus: the
#       same inputs on every machine for the same tree (what ctest runs, so
#       a CI failure reproduces here and a lucky new finding elsewhere does
#       not make CI flaky; 600 s cap).
# SEEDS_DIR is only read. A crash, leak, UB report,
# timeout or over-limit allocation fails the run and leaves the input in
# WORK_DIR/artifacts/ (reproduce: FUZZER FILE). The limits: 2 GiB RSS, 10 s
# per input.
set -eu
fuzzer=$1 seeds=$2 dict=$3 budget=$4 work=$5
shift 5
case $budget in
  *s) limit="-max_total_time=${budget%s}" ;;
  *) rm -rf "$work/corpus"; limit="-runs=$budget -seed=1 -reload=0 -max_total_time=600"
     # Comparisons the target makes feed the mutator, and some compare
     # addresses: without ASLR, the same tree runs the same inputs.
     setarch "$(uname -m)" -R true 2>/dev/null && norand="setarch $(uname -m) -R" ;;
esac
mkdir -p "$work/corpus" "$work/artifacts"
# Stack traces for UB; leak checks. A single allocation over 1 GiB returns
# NULL, as on a small machine, so the engine's ENOMEM paths run (and are
# leak-checked) instead of ASan's shadow for a 16 GiB arena hitting the
# 2 GiB RSS limit: a size the engine accepts is not a bug, a crash is.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=1024${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
rc=0
${norand:-} "$fuzzer" $limit -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -dict="$dict" -artifact_prefix="$work/artifacts/" "$@" \
  "$work/corpus" "$seeds" >"$work/log" 2>&1 || rc=$?
# The stats and any report, not the whole progress log.
grep -E 'stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|runtime error|Test unit written|INFO: seed corpus' "$work/log" || true
[ "$rc" -eq 0 ] || { echo "fuzzer failed (rc $rc); full log: $work/log"; tail -n 60 "$work/log"; }
exit "$rc"
