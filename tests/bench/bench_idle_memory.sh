#!/usr/bin/env bash
# bench_idle_memory: what an idle mtdhcpd costs, and how much memory its leases take.
#
#   bench_idle_memory.sh BUILD_DIR      (make bench runs it through tests/bench/run.sh)
#
# Idle CPU: the daemon on a veth whose other end is silent, started with the default
# back-off (no idle_sleep_max_usec setting) and then with idle_sleep_max_usec = 0 (busy
# poll, for contrast) and with a 10 ms bound; after it is ready and has settled, its CPU
# time over IDLE_SECS seconds as % of one core: all threads, from the scheduler's clock
# (/proc/PID/task/*/schedstat) and, beside it, from utime+stime (/proc/PID/stat, sampled
# at the tick); and the lcore's own share, wake-ups (context switches) per second and
# CPU time per wake-up.
#
# Memory: the same daemon with
#   tiny:  a pool of 11 addresses and no leases (the baseline: code, EAL memory and the
#          DPDK mbuf pool, SQLite, the registry),
#   pool:  a pool of 1,048,561 addresses (10.0.0.10 - 10.15.255.250 in 10.0.0.0/12) and
#          no leases,
#   full:  that pool and a lease database holding 1,000,000 active leases (rows written
#          by lease_fill.py into the schema the daemon created),
# each measured once ready and settled (VmRSS, RssAnon, RssFile, RssShmem from
# /proc/PID/status). pool - tiny is the cost of the pool's addresses, full - pool the cost
# of the leases; neither contains the DPDK pools, which are in all three. The time from
# start to "ready" shows how long loading the leases takes.
#
# Environment: QUICK=1 (3 s idle windows), BENCH_LEASES (default 1000000), BENCH_NICE
# (default -19: the daemon's nice level, so that other programs on a shared machine do not
# stretch the load time; 0 to leave it alone), NETLAB_KEEP=1.
set -euo pipefail

BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$SRC/tests/bench
PY=/usr/bin/python3
MTDHCPD=$BUILD/mtdhcpd
LEASES=${BENCH_LEASES:-1000000}
NICE=${BENCH_NICE:--19}
# PRIO CMD...: CMD at nice level NICE, and its session's scheduling autogroup too (netlab
# starts each daemon in a session of its own, and a nice level only ranks a task against
# the others of its autogroup).
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
PRIO=(sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' "$NICE")
if [ "${QUICK:-0}" = 1 ]; then IDLE_SECS=3; else IDLE_SECS=10; fi
SETTLE_SECS=2
CPU=0 # the core of the EAL's -l, as in the example configuration

BIG_FIRST=10.0.0.10
BIG_LAST=10.15.255.250
BIG_SIZE=1048561
RELAY=10.0.0.1

die() {
	echo "bench_idle_memory: $*" >&2
	exit 1
}
[ -x "$MTDHCPD" ] || die "no mtdhcpd in $BUILD (build it first)"
[ "$LEASES" -le "$BIG_SIZE" ] || die "BENCH_LEASES must be at most $BIG_SIZE"

# shellcheck source=../../tools/netlab/netlab.sh
. "$SRC/tools/netlab/netlab.sh"
netlab_init idlemem
netlab_ns svc
netlab_ns peer
netlab_link svc svc0 peer eth0

# conf DIR POOL_FIRST POOL_LAST [DATAPLANE_SETTING]: a service file and one tenant in DIR,
# with the defaults apart from the run's DPDK file prefix and paths.
conf() {
	local dir=$1
	mkdir -p "$dir/tenants.d"
	cat >"$dir/mtdhcpd.conf" <<-EOF
		dataplane = {
		  eal = [ "-l", "$CPU", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		          "--file-prefix", "$NETLAB_PREFIX" ];
		  ports = ( { name = "uplink"; device = "net_af_packet0,iface=svc0";
		              address = "192.0.2.1/24"; } );
		  ${4:-}
		};
		lease_db = { path = "leases.db"; };
		control_socket = "control.sock";
		tenants_dir = "tenants.d";
	EOF
	cat >"$dir/tenants.d/bench.conf" <<-EOF
		match = { relays = [ "$RELAY" ]; };
		subnets = ( { subnet = "10.0.0.0/12"; pools = ( { first = "$2"; last = "$3"; } ); } );
	EOF
}
netlab_on_teardown "rm -rf '/var/run/dpdk/$NETLAB_PREFIX'"
[ -d /var/run/dpdk ] || netlab_on_teardown "rmdir /var/run/dpdk 2>/dev/null"

STARTUP_MS=0
# start ID DIR: starts the daemon of DIR and waits until it is ready; STARTUP_MS is how long
# that took.
start() {
	local t0 t1
	t0=$(date +%s%N)
	netlab_start "$1" svc "${PRIO[@]}" "$MTDHCPD" -c "$2/mtdhcpd.conf"
	netlab_wait 120 "mtdhcpd ($1) to be ready" netlab_log_has "$1" "ready:" ||
		{ tail -n 20 "$(netlab_log "$1")" >&2; return 1; }
	t1=$(date +%s%N)
	STARTUP_MS=$(((t1 - t0) / 1000000))
	sleep "$SETTLE_SECS"
}

stop() {
	local rc=0
	netlab_stop "$1" TERM 30 || rc=$?
	[ "$rc" = 0 ] || echo "  WARNING: mtdhcpd ($1) exited with status $rc on SIGTERM"
}

# ticks PID [TID]: utime+stime of a process (all threads) or of one thread.
ticks() {
	local f=/proc/$1/stat
	[ -z "${2:-}" ] || f=/proc/$1/task/$2/stat
	sed 's/.*) //' "$f" | awk '{print $12 + $13}'
}

# runtime PID [TID]: nanoseconds on a CPU of a process (all its threads) or of one thread,
# from the scheduler's own clock (/proc/.../schedstat). Exact, where utime+stime are
# sampled at the timer tick: a thread that wakes a thousand times a second for a few
# microseconds is what ticks measure worst.
runtime() {
	local t=0 f
	if [ -n "${2:-}" ]; then
		cut -d' ' -f1 "/proc/$1/task/$2/schedstat"
		return
	fi
	for f in /proc/"$1"/task/*/schedstat; do
		t=$((t + $(cut -d' ' -f1 "$f")))
	done
	echo "$t"
}

# switches PID: voluntary + involuntary context switches of the main thread (the lcore).
switches() {
	awk '/ctxt_switches/ {n += $2} END {print n}' "/proc/$1/status"
}

# idle ID DIR LABEL: one idle measurement.
idle() {
	local pid t0 t1 r0 r1 c0 c1 s0 s1 w0 w1 hz
	start "$1" "$2"
	pid=$(netlab_pid "$1")
	hz=$(getconf CLK_TCK)
	w0=$(date +%s%N)
	t0=$(ticks "$pid")
	r0=$(runtime "$pid")
	c0=$(runtime "$pid" "$pid")
	s0=$(switches "$pid")
	sleep "$IDLE_SECS" &
	wait $! # (a signal to this script is handled at once, not after the sleep)
	w1=$(date +%s%N)
	t1=$(ticks "$pid")
	r1=$(runtime "$pid")
	c1=$(runtime "$pid" "$pid")
	s1=$(switches "$pid")
	stop "$1"
	awk -v t=$((t1 - t0)) -v r=$((r1 - r0)) -v c=$((c1 - c0)) -v s=$((s1 - s0)) \
		-v w=$((w1 - w0)) -v hz="$hz" -v label="$3" 'BEGIN {
			secs = w / 1e9
			printf "  %-40s %6.2f %% of a core (utime+stime %.1f %%); lcore %6.2f %%," \
				" %5.0f wake-ups/s", label, 100 * r / w, 100 * t / hz / secs,
				100 * c / w, s / secs
			if (s > 0)
				printf ", %.1f us each", c / 1e3 / s
			printf "\n"
		}'
}

# mem ID DIR LABEL: RSS of a settled daemon; prints a line and leaves VmRSS etc. in
# MEM_<ID>_<FIELD> (kB).
mem() {
	local pid f v
	start "$1" "$2"
	pid=$(netlab_pid "$1")
	for f in VmRSS RssAnon RssFile RssShmem; do
		v=$(awk -v f="$f:" '$1 == f {print $2}' "/proc/$pid/status")
		printf -v "MEM_${1}_$f" '%s' "$v"
	done
	local rss="MEM_${1}_VmRSS" anon="MEM_${1}_RssAnon" file="MEM_${1}_RssFile"
	local shm="MEM_${1}_RssShmem"
	printf "  %-8s VmRSS %8d kB (anon %8d, file %6d, shmem %6d), ready after %5d ms: %s\n" \
		"$1" "${!rss}" "${!anon}" "${!file}" "${!shm}" "$STARTUP_MS" "$3"
	grep -o 'tenant bench: .*' "$(netlab_log "$1")" | head -n 1 | sed 's/^/           /'
	eval "STARTUP_$1=$STARTUP_MS"
	stop "$1"
}

echo "mtdhcpd $("$MTDHCPD" --version | awk '{print $2}'), $(date -u '+%Y-%m-%d %H:%M UTC')," \
	"$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs," \
	"Linux $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Idle CPU (nothing on the wire, ${IDLE_SECS} s after a ${SETTLE_SECS} s settle):"
conf "$NETLAB_DIR/idle-default" 10.0.0.10 10.0.0.20
idle idle-default "$NETLAB_DIR/idle-default" "default back-off (idle_sleep_max_usec unset)"
# A longer bound, to show what one wake-up costs on this machine.
conf "$NETLAB_DIR/idle-10ms" 10.0.0.10 10.0.0.20 "idle_sleep_max_usec = 10000;"
idle idle-10ms "$NETLAB_DIR/idle-10ms" "idle_sleep_max_usec = 10000"
conf "$NETLAB_DIR/idle-poll" 10.0.0.10 10.0.0.20 "idle_sleep_max_usec = 0;"
idle idle-poll "$NETLAB_DIR/idle-poll" "busy poll (idle_sleep_max_usec = 0)"

echo
echo "Memory (each daemon settled ${SETTLE_SECS} s after ready):"
conf "$NETLAB_DIR/tiny" 10.0.0.10 10.0.0.20
mem tiny "$NETLAB_DIR/tiny" "11 addresses, no leases"
conf "$NETLAB_DIR/pool" "$BIG_FIRST" "$BIG_LAST"
mem pool "$NETLAB_DIR/pool" "$BIG_SIZE addresses, no leases"
# The full database: the daemon's own schema and tenant id (from the pool run's
# database, which has no leases), then the rows.
conf "$NETLAB_DIR/full" "$BIG_FIRST" "$BIG_LAST"
cp "$NETLAB_DIR/pool/leases.db" "$NETLAB_DIR/full/leases.db"
t0=$(date +%s%N)
"$PY" "$HERE/lease_fill.py" "$NETLAB_DIR/full/leases.db" bench "$BIG_FIRST" "$LEASES" \
	--giaddr "$RELAY" | sed 's/^/  lease_fill.py: /'
echo "  (written in $((($(date +%s%N) - t0) / 1000000)) ms; database file" \
	"$(($(stat -c %s "$NETLAB_DIR/full/leases.db") / 1048576)) MB)"
mem full "$NETLAB_DIR/full" "$BIG_SIZE addresses, $LEASES active leases"

# shellcheck disable=SC2154 # MEM_* and STARTUP_* are set by mem through printf -v / eval
awk -v tiny="$MEM_tiny_VmRSS" -v pool="$MEM_pool_VmRSS" -v full="$MEM_full_VmRSS" \
	-v tanon="$MEM_tiny_RssAnon" -v panon="$MEM_pool_RssAnon" -v fanon="$MEM_full_RssAnon" \
	-v size="$BIG_SIZE" -v leases="$LEASES" -v st_pool="$STARTUP_pool" \
	-v st_full="$STARTUP_full" 'BEGIN {
		printf "\n"
		printf "  per pool address (pool - tiny):     %6.1f bytes (VmRSS), %6.1f (RssAnon)\n",
			(pool - tiny) * 1024 / size, (panon - tanon) * 1024 / size
		printf "  per active lease (full - pool):     %6.1f bytes (VmRSS), %6.1f (RssAnon)\n",
			(full - pool) * 1024 / leases, (fanon - panon) * 1024 / leases
		printf "  per lease, pool included (full - tiny): %6.1f bytes (VmRSS)\n",
			(full - tiny) * 1024 / leases
		printf "  loading %d leases: %d ms (ready after %d ms, %d ms with no leases)\n",
			leases, st_full - st_pool, st_full, st_pool
	}'
