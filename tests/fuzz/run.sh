#!/usr/bin/env bash
#
# `make fuzz`: runs each libFuzzer target of a MTDHCP_FUZZ=ON build for a bounded time and
# prints how many inputs each one executed.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS [TARGET...]]
#
# TARGET is frame, options or conf (default: all three); SECONDS defaults to 60 per target.
# Each target starts from its seeds (tests/fuzz/corpus/<target>) plus what earlier runs
# found, kept in BUILD_DIR/fuzz/corpus-<target>; an input that crashes or leaks is written
# to BUILD_DIR/fuzz/artifacts/ and the run fails. FUZZ_ARGS adds libFuzzer options
# (e.g. FUZZ_ARGS=-runs=10000000 for a run of a given length instead of a given time).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:?usage: $0 BUILD_DIR [SECONDS [TARGET...]]}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame options conf)

# The largest inputs worth trying: a sequence of frames, one DHCP message (DHCP_MSG_MAX is
# 1500), a service file and its tenant files.
declare -A max_len=([frame]=8192 [options]=1600 [conf]=16384)
# libFuzzer looks for leaks after every input that allocated more than it freed. libconfig
# 1.5 leaks a string on many syntax errors (lsan.supp), so fuzz_conf would spend nearly all
# its time in suppressed leak checks (~100 executions/s instead of ~2000). It runs without
# them instead, and then every input of its corpus, which covers all it reached, is run once
# with them. LeakSanitizer's check at exit stays on throughout.
declare -A leak_pass=([conf]=1)

export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
art="$build/fuzz/artifacts"
mkdir -p "$art"
failed=0
summary=()
for t in "${targets[@]}"; do
	bin="$build/fuzz/fuzz_$t"
	[ -x "$bin" ] || { echo "fuzz: $bin is missing (build with MTDHCP_FUZZ=ON)" >&2; exit 2; }
	work="$build/fuzz/corpus-$t"
	log="$build/fuzz/fuzz_$t.log"
	mkdir -p "$work"
	dict=()
	[ -f "$here/$t.dict" ] && dict=("-dict=$here/$t.dict")
	leaks=()
	[ -z "${leak_pass[$t]:-}" ] || leaks=(-detect_leaks=0)
	echo "fuzz: $t for ${seconds}s (log: $log)"
	rc=0
	# shellcheck disable=SC2086 # FUZZ_ARGS: one libFuzzer option per word
	"$bin" -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -print_final_stats=1 \
		-artifact_prefix="$art/$t-" "${dict[@]}" "${leaks[@]}" ${FUZZ_ARGS:-} \
		"$work" "$here/corpus/$t" >"$log" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && [ -n "${leak_pass[$t]:-}" ]; then
		echo "fuzz: $t: leak check of every corpus input"
		"$bin" -runs=0 -detect_leaks=1 -max_len="${max_len[$t]:-4096}" \
			-artifact_prefix="$art/$t-" "$work" "$here/corpus/$t" >"$log.leaks" 2>&1 ||
			{ rc=$?; log="$log.leaks"; }
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	corpus=$(find "$work" -type f | wc -l)
	if [ "$rc" != 0 ]; then
		failed=1
		summary+=("$(printf '%-8s FAILED (rc %s) after %s executions; see %s' "$t" "$rc" \
			"${execs:-?}" "$log")")
		grep -E "ERROR|SUMMARY|fuzz check failed|Test unit written" "$log" | head -n 20 >&2 || true
	else
		summary+=("$(printf '%-8s %12s executions  %8s/s  corpus %s inputs' "$t" \
			"${execs:-?}" "${rate:-?}" "$corpus")")
	fi
done
echo
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$failed"
