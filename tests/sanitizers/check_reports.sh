#!/bin/sh
# check_reports.sh DIR -- the last test of a VD_SANITIZE run (sanitizers.cmake):
# every ASan/LSan/UBSan report any process wrote during the run lands in DIR as
# TEST.PID (log_path), so a finding in a process whose exit status its test does
# not look at (a Criterion worker's leak, a CLI expected to fail) still fails
# the run. Prints each report, named by its test; exit 1 if there is one.
dir="$1"
n=0
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  echo "=== $(basename "$f") (test.pid)"
  cat "$f"
done
if [ "$n" -gt 0 ]; then
  echo "$n sanitizer report(s) in $dir"
  exit 1
fi
echo "no sanitizer report in $dir"
