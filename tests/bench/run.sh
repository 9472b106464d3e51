#!/bin/bash
# Runs every benchmark and prints its numbers: the compiled ones (BUILD/bench/bench_*) and
# the scripts (tests/bench/bench_*.sh, which get the build directory as their argument).
# Results are also appended to BUILD/bench/results.txt.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
out="$build/bench/results.txt"
mkdir -p "$build/bench"
: >"$out"
status=0
run() {
	echo "== $1 ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r))" | tee -a "$out"
	shift
	"$@" 2>&1 | tee -a "$out"
	[ "${PIPESTATUS[0]}" = 0 ] || status=1
	echo | tee -a "$out"
}
for b in "$build"/bench/bench_*; do
	[ -x "$b" ] || continue
	run "$(basename "$b")" "$b"
done
for s in "$here"/bench_*.sh; do
	[ -f "$s" ] || continue
	run "$(basename "$s" .sh)" bash "$s" "$build"
done
echo "results: $out"
exit $status
