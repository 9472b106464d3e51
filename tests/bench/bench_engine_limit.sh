#!/usr/bin/env bash
# bench_engine_limit: how many durable leases per second mtdhcpd's engine completes when
# nothing but the engine limits it, on 1 lcore and on 2.
#
#   bench_engine_limit.sh BUILD_DIR      (make bench runs it through tests/bench/run.sh)
#
# No load generator and no network: the daemon's one port is DPDK's net_pcap reading a
# generated capture forever (rx_pcap=FILE, infinite_rx=1; what it sends is dropped), so
# it receives as fast as its lcores can take frames. The capture (engine_limit_pcap.py):
# BENCH_CLIENTS clients over BENCH_TENANTS tenants, each tenant behind its own relay; per
# client a relayed DHCPDISCOVER and a DHCPREQUEST (SELECTING, server identifier set). The
# first pass binds every client, each later pass renews every binding: every DHCPACK
# follows the commit of its lease change (durability commit-before-ack: WAL,
# synchronous=FULL), on the machine's ordinary file system.
#
# With N lcores the port has N receive queues, each replaying its share of the frames
# (split by relay, as a NIC's RSS splits them: regardless of which lcore owns the tenant,
# so about half the frames go through a hand-off ring to their owner).
#
# Per run: after BENCH_WARMUP seconds, `mtdhcpctl stats --json` twice BENCH_SECONDS apart
# gives the leases (DHCPACKs) per second and the lease store's commits; the scheduler's
# clock gives each thread's CPU over the same window; the daemon's shutdown log gives each
# lcore's TSC cycles by stage (rx, parse, classify, handoff, engine, completion, tx). With
# BENCH_PERF=1, `perf record` profiles the window (BUILD/bench/engine_limit_perf-N.txt).
#
# The daemon runs at nice BENCH_NICE (default -19) so that other programs on a shared
# machine disturb it less; the CPU columns tell how much it actually got.
#
# Then, on 1 lcore, the lease writer's batch size: each of BENCH_BATCHES as batch_max (the
# queue four times as large, at least the default 16384).
#
# Environment: BENCH_LCORES (default "1 2"), BENCH_BATCHES (default "256 1024 4096"; empty
# to skip), BENCH_CLIENTS (65536), BENCH_TENANTS (8), BENCH_SECONDS (10), BENCH_WARMUP (4),
# BENCH_PERF (0), BENCH_NICE (-19), BENCH_LEASE_DB (extra lease_db settings for the lcore
# runs, e.g. "batch_max = 1024; queue_size = 65536;"), BENCH_DIR (the run directory,
# default BUILD/bench/engine-limit: the database goes there), QUICK=1 (16384 clients, 5 s,
# batch sizes 256 and 4096).
# Output: BUILD/bench/engine_limit.txt (and each run's directory under BENCH_DIR).
set -euo pipefail

BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$SRC/tests/bench
PY=/usr/bin/python3
MTDHCPD=$BUILD/mtdhcpd
MTDHCPCTL=$BUILD/cli/mtdhcpctl
if [ "${QUICK:-0}" = 1 ]; then
	CLIENTS=${BENCH_CLIENTS:-16384}
	SECONDS_=${BENCH_SECONDS:-5}
else
	CLIENTS=${BENCH_CLIENTS:-65536}
	SECONDS_=${BENCH_SECONDS:-10}
fi
TENANTS=${BENCH_TENANTS:-8}
WARMUP=${BENCH_WARMUP:-4}
LCORES=${BENCH_LCORES:-1 2}
if [ "${QUICK:-0}" = 1 ]; then
	BATCHES=${BENCH_BATCHES-256 4096}
else
	BATCHES=${BENCH_BATCHES-256 1024 4096}
fi
NICE=${BENCH_NICE:--19}
DIR=${BENCH_DIR:-$BUILD/bench/engine-limit}
OUT=$BUILD/bench/engine_limit.txt
PREFIX=mtdhcp-bench-el-$$

die() {
	echo "bench_engine_limit: $*" >&2
	exit 1
}
[ -x "$MTDHCPD" ] || die "no mtdhcpd in $BUILD (build it first)"
[ -x "$MTDHCPCTL" ] || die "no mtdhcpctl in $BUILD/cli (build it first)"
[ "$(id -u)" = 0 ] || die "needs root (the DPDK EAL)"
for n in $LCORES; do
	[ "$n" -le "$(nproc)" ] || die "$n lcores asked for, $(nproc) CPUs here"
done

DAEMON_PID=""
cleanup() {
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null || true
	fi
	rm -rf "/var/run/dpdk/$PREFIX"
}
trap cleanup EXIT

mkdir -p "$DIR" "$BUILD/bench"
rm -rf "${DIR:?}"/gen-* "${DIR:?}"/run-*
fs=$(stat -f -c %T "$DIR")
mem=$((CLIENTS * 2 * 3 / 1000 + 512)) # MB: the replayed frames in mbufs, and the rest

# The traffic for N receive queues (N = 1: one file of every frame).
gen() {
	local n=$1 d="$DIR/gen-$1"
	[ -d "$d" ] && return 0
	"$PY" "$HERE/engine_limit_pcap.py" "$d" --clients "$CLIENTS" --tenants "$TENANTS" \
		--queues "$n" || die "cannot generate the capture"
}

# conf N RUN_DIR LEASE_DB_EXTRA: the service file for N lcores.
conf() {
	local n=$1 d=$2 extra=$3 lcores="0" dev i
	for ((i = 1; i < n; i++)); do lcores="$lcores,$i"; done
	if [ "$n" = 1 ]; then
		dev="net_pcap0,rx_pcap=$DIR/gen-1/all.pcap,infinite_rx=1"
	else
		dev="net_pcap0"
		for ((i = 0; i < n; i++)); do dev="$dev,rx_pcap=$DIR/gen-$n/q$i.pcap"; done
		dev="$dev,infinite_rx=1"
	fi
	mkdir -p "$d"
	cp -r "$DIR/gen-$n/tenants.d" "$d/"
	cat >"$d/mtdhcpd.conf" <<-EOF
		dataplane = {
		  eal = [ "-l", "$lcores", "--no-huge", "-m", "$mem", "--no-pci", "--no-shconf",
		          "--file-prefix", "$PREFIX" ];
		  ports = ( { name = "bench"; device = "$dev"; address = "10.0.0.1/24"; } );
		};
		lease_db = { path = "leases.db"; durability = "commit-before-ack"; $extra };
		control_socket = "$d/control.sock";
		log_level = "info";
		tenants_dir = "tenants.d";
		defaults = { lease_time = 86400; };
	EOF
}

# sched PID FILE: "tid<TAB>comm<TAB>runtime_ns" of every thread of PID, and the bytes the
# process has written to storage ("io<TAB>write_bytes<TAB>N").
# Builtins only: forked helpers would wait for CPU behind the polling lcores.
sched() {
	local t comm run rest key val
	{
		for t in /proc/"$1"/task/*; do
			read -r comm <"$t/comm" && read -r run rest <"$t/schedstat" &&
				printf '%s\t%s\t%s\n' "${t##*/}" "$comm" "$run"
		done
		while read -r key val; do
			[ "$key" = write_bytes: ] && printf 'io\twrite_bytes\t%s\n' "$val"
		done <"/proc/$1/io"
	} >"$2" 2>/dev/null || true
}

# sample RUN_DIR K: the counters (sK.json), their time (tK: the middle of the call, which
# the control thread answers between two of its other jobs), the threads' CPU (schedK).
sample() {
	local d=$1 k=$2 a b
	sched "$DAEMON_PID" "$d/sched$k"
	a=$(date +%s.%N)
	# At the daemon's priority: with every CPU polled, a nice-0 client would wait seconds.
	nice -n "$NICE" "$MTDHCPCTL" -c "$d/mtdhcpd.conf" stats --json >"$d/s$k.json"
	b=$(date +%s.%N)
	echo "$a $b" | awk '{printf "%.6f\n", ($1 + $2) / 2}' >"$d/t$k"
	awk -v a="$a" -v b="$b" 'BEGIN { if (b - a > 0.5)
		printf "  (the stats call took %.1f s: the control thread is short of CPU)\n", b - a }'
}

# run NAME N LEASE_DB_EXTRA: one measured run on N lcores; its report goes to stdout.
run() {
	local name=$1 n=$2 d="$DIR/run-$1" i
	gen "$n"
	conf "$n" "$d" "$3"
	(
		cd "$d" || exit 1
		# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
		exec sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' \
			"$NICE" "$MTDHCPD" -c "$d/mtdhcpd.conf" >"$d/log" 2>&1
	) &
	DAEMON_PID=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q "ready:" "$d/log" 2>/dev/null && break
		kill -0 "$DAEMON_PID" 2>/dev/null || die "mtdhcpd exited: $(tail -n 5 "$d/log")"
		sleep 0.1
	done
	grep -q "ready:" "$d/log" || die "mtdhcpd did not become ready in 120 s"
	sleep "$WARMUP"
	sample "$d" 1
	sleep "$SECONDS_"
	sample "$d" 2
	# The profile comes after the measured window: perf slows what it watches.
	if [ "${BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
		perf record -q -g -p "$DAEMON_PID" -o "$d/perf.data" -- sleep "$SECONDS_" \
			>/dev/null 2>&1 || true
	fi
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || die "mtdhcpd did not stop cleanly: $(tail -n 5 "$d/log")"
	DAEMON_PID=""
	"$PY" "$HERE/engine_limit_report.py" run "$d" "$n" "$name"
	if [ -f "$d/perf.data" ]; then
		perf report -i "$d/perf.data" --no-children --sort comm,dso,sym --stdio 2>/dev/null |
			grep -E '^ +[0-9]' | head -n 60 >"$BUILD/bench/engine_limit_perf-$name.txt" || true
		echo "  profile: $BUILD/bench/engine_limit_perf-$name.txt"
	fi
}

# Everything below goes to the terminal and to $OUT; the runs stay in this shell, so that
# the exit trap stops a daemon whatever ends the script.
exec > >(tee "$OUT") 2>&1
echo "engine limit: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p')), $(uname -r)"
echo "$CLIENTS clients in $TENANTS tenants, relayed DISCOVER + REQUEST each, replayed by"
echo "net_pcap (infinite_rx); lease database on $fs ($DIR), commit-before-ack;"
echo "mtdhcpd at nice $NICE"
echo
results=()
for n in $LCORES; do
	run "lcores-$n" "$n" "${BENCH_LEASE_DB:-}"
	results+=("$DIR/run-lcores-$n/result.json")
done
batches=()
for b in $BATCHES; do
	q=$((4 * b > 16384 ? 4 * b : 16384))
	run "batch-$b" 1 "batch_max = $b; queue_size = $q;"
	batches+=("$DIR/run-batch-$b/result.json")
done
echo "lcores (lease_db: ${BENCH_LEASE_DB:-the defaults}):"
"$PY" "$HERE/engine_limit_report.py" summary "${results[@]}"
if [ ${#batches[@]} -gt 0 ]; then
	echo
	echo "the lease writer's batch_max, 1 lcore:"
	"$PY" "$HERE/engine_limit_report.py" batches "${batches[@]}"
fi
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other programs share the CPUs)"
echo "results: $OUT"
