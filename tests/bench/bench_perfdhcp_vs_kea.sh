#!/usr/bin/env bash
# bench_perfdhcp_vs_kea: mtdhcpd and kea-dhcp4 side by side under perfdhcp.
#
#   bench_perfdhcp_vs_kea.sh BUILD_DIR      (make bench runs it through tests/bench/run.sh)
#
# One lab, two namespaces joined by a veth pair:
#
#   ns svc: svc0, the server's interface: mtdhcpd's DPDK af_packet port (no kernel address),
#           or kea-dhcp4's interface with 10.16.0.1/16
#   ns cl:  cl0 10.16.0.2/16, perfdhcp
#
# Both servers serve 10.16.0.0/16 from the pool 10.16.0.10 - 10.16.255.250 (65521
# addresses) to the same number of simulated clients, with durable leases: mtdhcpd with
# its default commit-before-ack (SQLite, synchronous=FULL), Kea with memfile and
# persist=true (tests/bench/kea/kea-dhcp4.conf.in). Each server runs, freshly started with
# an empty lease store, through a ladder of rates in two modes:
#
#   relayed: perfdhcp is given the server's unicast address and acts as a relay agent
#            (giaddr = 10.16.0.2, from port 67 to port 67);
#   direct:  perfdhcp sends from port 68 to 255.255.255.255 with giaddr 0 and the BROADCAST
#            flag (templates from perfdhcp_report.py), as clients without an address do;
#            the servers broadcast their replies (RFC 2131 section 4.1). perfdhcp's socket
#            is bound to its own address and would never see a broadcast, so an nftables
#            rule in the client namespace rewrites their destination to 10.16.0.2.
#
# The server is pinned to CPU BENCH_SERVER_CPU (default 0; mtdhcpd's EAL -l says the same)
# and perfdhcp to BENCH_CLIENT_CPU (default 1), and each interface's receive work is
# steered to its side's CPU. Per step the script reads the server's CPU time
# (/proc/PID/stat utime+stime, all threads; a polling lcore counts fully, so the daemon's
# idle back-off matters) and its CPU's busy time, the frames in and out of svc0 (requests
# the server left unanswered) and the client's UDP receive-buffer drops (replies perfdhcp
# was too slow to read), and prints one table per server and mode and the mtdhcpd/Kea
# ratios. The results also go to BUILD_DIR/bench/perfdhcp_vs_kea.txt.
#
# Environment: QUICK=1 (two rates, 3 s steps: about a minute), BENCH_RATES="1000 2000 ...",
# BENCH_STEP (seconds per rate), BENCH_CLIENTS (perfdhcp -R), BENCH_SERVERS ("mtdhcpd kea"),
# BENCH_MODES ("relayed direct"), BENCH_SERVER_CPU, BENCH_CLIENT_CPU, NETLAB_KEEP=1,
# BENCH_PERF=1 (profile each server at the highest rate with `perf record -g`; the reports
# go to BUILD_DIR/bench/perf-SERVER-MODE.txt), BENCH_NICE (default -19: the servers and
# perfdhcp run at this nice level, all alike, so that on a shared machine other programs
# take the CPUs only when the benchmark leaves them idle; 0 to leave priorities alone).
set -euo pipefail

BUILD=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$SRC/tests/bench
PY=/usr/bin/python3 # Debian's python (the one on PATH may be another)
REPORT="$PY $HERE/perfdhcp_report.py"
MTDHCPD=$BUILD/mtdhcpd

if [ "${QUICK:-0}" = 1 ]; then
	RATES=${BENCH_RATES:-"1000 8000"}
	STEP=${BENCH_STEP:-3}
else
	RATES=${BENCH_RATES:-"1000 2000 4000 8000 12000 16000"}
	STEP=${BENCH_STEP:-10}
fi
CLIENTS=${BENCH_CLIENTS:-60000}
SERVERS=${BENCH_SERVERS:-"mtdhcpd kea"}
MODES=${BENCH_MODES:-"relayed direct"}
PERF=${BENCH_PERF:-0}
NICE=${BENCH_NICE:--19}
# PRIO CMD...: CMD at nice level NICE. With scheduling autogroups (the kernel's default), a
# nice level only ranks a task against the others of its session, and each server and
# perfdhcp run in a session of their own: the session's autogroup gets the level too.
# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
PRIO=(sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null; exec nice -n "$0" "$@"' "$NICE")
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
WAIT_USEC=500000 # perfdhcp -W: how long it waits for the last replies after a step

SUBNET=10.16.0.0/16
SERVER_IP=10.16.0.1
CLIENT_IP=10.16.0.2
POOL_FIRST=10.16.0.10
POOL_LAST=10.16.255.250
POOL_SIZE=65521

OUT_DIR=$BUILD/bench
OUT=$OUT_DIR/perfdhcp_vs_kea.txt

die() {
	echo "bench_perfdhcp_vs_kea: $*" >&2
	exit 1
}

[ -x "$MTDHCPD" ] || die "no mtdhcpd in $BUILD (build it first)"
command -v perfdhcp >/dev/null || die "perfdhcp is missing (Debian package kea-admin)"
[ -x "$PY" ] || die "$PY is missing"
if ! command -v kea-dhcp4 >/dev/null; then
	echo "note: kea-dhcp4 is missing (Debian package kea-dhcp4-server): mtdhcpd only"
	SERVERS=${SERVERS//kea/}
fi
if ! command -v nft >/dev/null && [[ $MODES == *direct* ]]; then
	echo "note: nft is missing (Debian package nftables): no direct mode"
	MODES=${MODES//direct/}
fi
if [ "$PERF" = 1 ] && ! perf --version >/dev/null 2>&1; then
	echo "note: perf is missing (Debian package linux-perf): no profiles"
	PERF=0
fi
if [ "$(nproc)" -lt 2 ]; then
	echo "note: one CPU only: server and perfdhcp share it"
	SERVER_CPU=0
	CLIENT_CPU=0
fi

# shellcheck source=../../tools/netlab/netlab.sh
. "$SRC/tools/netlab/netlab.sh"
netlab_init bench
# DPDK keeps its run-time files in /var/run/dpdk/<file prefix>; the prefix is this run's.
netlab_on_teardown "rm -rf '/var/run/dpdk/$NETLAB_PREFIX'"
[ -d /var/run/dpdk ] || netlab_on_teardown "rmdir /var/run/dpdk 2>/dev/null"
RESULTS=$NETLAB_DIR/results.jsonl
: >"$RESULTS"
mkdir -p "$OUT_DIR"

netlab_ns svc
netlab_ns cl
netlab_link svc svc0 cl cl0 02:00:00:00:00:01 02:00:00:00:00:02
netlab_addr cl cl0 "$CLIENT_IP/16"
# A veth delivers a frame by running the receiver's whole network stack on the sending
# CPU, so the server would pay for perfdhcp's receive path and perfdhcp for the server's.
# Receive packet steering makes each side's receive work run on its own CPU, as on two
# machines.
rps() {
	netlab_exec "$1" sh -c "printf %x $((1 << $3)) >/sys/class/net/$2/queues/rx-0/rps_cpus"
}
rps svc svc0 "$SERVER_CPU"
rps cl cl0 "$CLIENT_CPU"

# direct_nat add|delete: the servers' broadcast replies to direct clients, made unicast to
# perfdhcp's address (see the top of this file). Only for the direct runs: the rule turns
# on connection tracking in the client's namespace, which costs every packet a little.
direct_nat() {
	if [ "$1" = add ]; then
		netlab_exec cl nft -f - <<-EOF
			table ip bench {
				chain prerouting {
					type nat hook prerouting priority dstnat;
					ip daddr 255.255.255.255 udp dport 68 dnat to $CLIENT_IP
				}
			}
		EOF
	else
		netlab_exec cl nft delete table ip bench
	fi
}
DIRECT_ARGS=$($REPORT templates "$NETLAB_DIR")

# --- The servers ----------------------------------------------------------------------------

SERVER_ID=""
SVC_RX0=0
SVC_TX0=0

# svc0_count rx|tx: packets through the server's interface so far.
svc0_count() {
	netlab_exec svc cat "/sys/class/net/svc0/statistics/$1_packets"
}

mtdhcpd_conf() {
	local dir=$1
	mkdir -p "$dir/tenants.d"
	cat >"$dir/mtdhcpd.conf" <<-EOF
		# The defaults, apart from this run's DPDK file prefix, core and paths.
		dataplane = {
		  eal = [ "-l", "$SERVER_CPU", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
		          "--file-prefix", "$NETLAB_PREFIX" ];
		  ports = ( { name = "uplink"; device = "net_af_packet0,iface=svc0";
		              address = "$SERVER_IP/16"; } );
		};
		lease_db = { path = "leases.db"; durability = "commit-before-ack"; };
		control_socket = "control.sock";
		tenants_dir = "tenants.d";
	EOF
	# Relayed requests are matched by giaddr, direct ones by the (untagged) port.
	cat >"$dir/tenants.d/bench.conf" <<-EOF
		match = { relays = [ "$CLIENT_IP" ]; vlans = ( { port = "uplink"; } ); };
		server_address = "$SERVER_IP";
		options = { domain-name-servers = [ "10.0.0.53" ]; };
		subnets = ( { subnet = "$SUBNET";
		              pools = ( { first = "$POOL_FIRST"; last = "$POOL_LAST"; } ); } );
	EOF
}

start_mtdhcpd() {
	local dir=$NETLAB_DIR/mtdhcpd-$1
	mtdhcpd_conf "$dir"
	SERVER_ID=mtdhcpd-$1
	netlab_start "$SERVER_ID" svc "${PRIO[@]}" taskset -c "$SERVER_CPU" "$MTDHCPD" \
		-c "$dir/mtdhcpd.conf"
	netlab_wait 20 "mtdhcpd to be ready" netlab_log_has "$SERVER_ID" "ready:" ||
		{ tail -n 20 "$(netlab_log "$SERVER_ID")" >&2; return 1; }
}

kea_listening() {
	[ -n "$(netlab_exec svc ss -Hunl 'sport = :67')" ]
}

start_kea() {
	local dir=$NETLAB_DIR/kea-$1 socket=udp
	[ "$1" = relayed ] || socket=raw
	mkdir -p "$dir"
	sed -e "s|@IFACE@|svc0|; s|@SOCKET_TYPE@|$socket|; s|@LEASE_FILE@|$dir/leases4.csv|" \
		-e "s|@SUBNET@|$SUBNET|; s|@POOL_FIRST@|$POOL_FIRST|; s|@POOL_LAST@|$POOL_LAST|" \
		-e "s|@LOG_FILE@|$dir/kea.log|" "$HERE/kea/kea-dhcp4.conf.in" >"$dir/kea-dhcp4.conf"
	netlab_exec svc ip addr add "$SERVER_IP/16" dev svc0
	netlab_exec svc kea-dhcp4 -t "$dir/kea-dhcp4.conf" >"$dir/check.log" 2>&1 ||
		{ cat "$dir/check.log" >&2; return 1; }
	SERVER_ID=kea-$1
	# Kea's pid and lock files go to the run's directory, not /run/kea.
	netlab_start "$SERVER_ID" svc env KEA_PIDFILE_DIR="$dir" KEA_LOCKFILE_DIR="$dir" \
		"${PRIO[@]}" taskset -c "$SERVER_CPU" kea-dhcp4 -c "$dir/kea-dhcp4.conf"
	netlab_wait 20 "kea-dhcp4 to listen" kea_listening ||
		{ tail -n 20 "$(netlab_log "$SERVER_ID")" >&2; return 1; }
}

# stop_server SERVER MODE: stops it and prints what it says about the run.
stop_server() {
	local rc=0 dir
	netlab_stop "$SERVER_ID" TERM 20 || rc=$?
	if [ "$1" = mtdhcpd ]; then
		dir=$NETLAB_DIR/mtdhcpd-$2
		# The port's rx below against the interface's: frames the kernel had for the
		# daemon's af_packet ring and that it never read (the ring was full).
		echo "  svc0 (kernel) over the run: rx $(($(svc0_count rx) - SVC_RX0))" \
			"tx $(($(svc0_count tx) - SVC_TX0))"
		sed -n 's/^mtdhcpd: info: \(port\|tenant\) \(.*\)/  mtdhcpd \1 \2/p' \
			"$(netlab_log "$SERVER_ID")"
		echo "  leases in the database: $(sqlite3 "$dir/leases.db" \
			'SELECT count(*) FROM leases WHERE state = 1') active"
	else
		dir=$NETLAB_DIR/kea-$2
		netlab_exec svc ip addr flush dev svc0
		# memfile appends one line per lease change: count the addresses.
		echo "  leases in the lease file: $(tail -n +2 "$dir/leases4.csv" |
			cut -d, -f1 | sort -u | wc -l) addresses"
	fi
	if [ "$rc" != 0 ]; then
		echo "  WARNING: $1 exited with status $rc on SIGTERM; its last words:"
		grep -v '^EAL' "$(netlab_log "$SERVER_ID")" | tail -n 5 | sed 's/^/    /'
	fi
	SERVER_ID=""
}

# --- One step -------------------------------------------------------------------------------

snapshot() {
	local d=$1 pid
	pid=$(netlab_pid "$SERVER_ID")
	mkdir -p "$d"
	date +%s.%N >"$d/time"
	$REPORT snapshot "$d" "$pid"
	grep "^cpu$SERVER_CPU " /proc/stat >"$d/cpu"
	grep "^cpu$CLIENT_CPU " /proc/stat >"$d/client_cpu"
	svc0_count rx >"$d/svc_rx"
	svc0_count tx >"$d/svc_tx"
	netlab_exec cl cat /proc/net/snmp >"$d/client_snmp"
	netlab_exec svc cat /proc/net/snmp >"$d/server_snmp"
}

# profile_start DIR: samples the server's threads (cpu-clock: a VM has no hardware
# counters) with call graphs until profile_stop.
profile_start() {
	perf record -q -e cpu-clock -F 1999 -g -p "$(netlab_pid "$SERVER_ID")" \
		-o "$1/perf.data" >"$1/perf.log" 2>&1 &
	PERF_PID=$!
	sleep 0.2 # perf attaches to every thread before the load starts
}

# profile_stop DIR SERVER MODE RATE: writes the report and prints its summary.
profile_stop() {
	local out=$OUT_DIR/perf-$2-$3.txt
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" || true
	perf report -i "$1/perf.data" --stdio --no-children --sort comm 2>/dev/null |
		grep -E '^ +[0-9.]+%' >"$1/threads.txt" || true
	perf report -i "$1/perf.data" --stdio --no-children -g none --percent-limit 0.5 \
		--sort comm,dso,sym 2>/dev/null | grep -E '^ +[0-9.]+%' >"$1/symbols.txt" || true
	{
		echo "$2, $3, $4/s offered: where the server's CPU time goes (cpu-clock samples)"
		echo
		cat "$1/threads.txt"
		echo
		cat "$1/symbols.txt"
		echo
		echo "call graphs (callees under callers, above 2 %):"
		perf report -i "$1/perf.data" --stdio --children -G --percent-limit 2 \
			--sort comm,sym 2>/dev/null | grep -v '^#' | grep -v '^$' || true
	} >"$out"
	echo "  profile of the $4/s step ($out), by thread and the top symbols:"
	sed 's/^ */    /' "$1/threads.txt"
	head -n 12 "$1/symbols.txt" | sed 's/^ */    /'
}

# step SERVER MODE RATE [profile]: one perfdhcp run of STEP seconds; appends its record to
# RESULTS.
step() {
	local server=$1 mode=$2 rate=$3 d rc=0 args
	d=$NETLAB_DIR/steps/$server-$mode-$rate
	if [ "$mode" = relayed ]; then
		args=("$SERVER_IP")
	else
		# shellcheck disable=SC2206 # the words of perfdhcp_report.py templates
		args=(-l cl0 -B -L 68 $DIRECT_ARGS)
	fi
	snapshot "$d/before"
	[ "$4" != profile ] || profile_start "$d"
	# In the background and waited for, so that a signal to this script is handled at once.
	setsid -w ip netns exec "$(netlab_nsname cl)" "${PRIO[@]}" taskset -c "$CLIENT_CPU" \
		perfdhcp -4 -r "$rate" -R "$CLIENTS" -p "$STEP" -W "$WAIT_USEC" "${args[@]}" \
		>"$d/perfdhcp.out" 2>&1 </dev/null &
	wait $! || rc=$?
	snapshot "$d/after"
	[ "$4" != profile ] || profile_stop "$d" "$server" "$mode" "$rate"
	# 3 is perfdhcp's "some exchanges did not complete": the table says how many.
	if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
		echo "perfdhcp failed (status $rc):" >&2
		tail -n 20 "$d/perfdhcp.out" >&2
		return 1
	fi
	netlab_running "$SERVER_ID" || { echo "$server died during the step" >&2; return 1; }
	$REPORT record --server "$server" --mode "$mode" --rate "$rate" --secs "$STEP" \
		--before "$d/before" --after "$d/after" --perfdhcp "$d/perfdhcp.out" --rc "$rc" \
		>>"$RESULTS"
}

# --- The run --------------------------------------------------------------------------------

header() {
	local rev tree
	# The source tree the daemon was built from, which need not be this script's.
	tree=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
	tree=${tree:-$SRC}
	if rev=$(git -C "$tree" rev-parse --short HEAD 2>/dev/null); then
		[ -z "$(git -C "$tree" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
			rev="$rev+local changes"
	else
		rev="built from $tree"
	fi
	echo "perfdhcp vs kea-dhcp4, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs," \
		"$(free -g | awk '/^Mem:/ {print $2}') GB, Linux $(uname -r)"
	echo "lease files on: $(df -T "$NETLAB_DIR" | awk 'NR == 2 {print $2 " " $1}')"
	echo "mtdhcpd $("$MTDHCPD" --version | awk '{print $2}') ($rev), commit-before-ack;" \
		"$(kea-dhcp4 -v 2>/dev/null | sed 's/^/Kea /' || echo 'no Kea'), memfile persist," \
		"lfc-interval 3600, single-threaded; perfdhcp $(perfdhcp -v 2>&1 | sed -n 's/^VERSION: //p' | head -n 1)"
	echo "pool $POOL_FIRST-$POOL_LAST ($POOL_SIZE addresses), $CLIENTS clients (-R)," \
		"$STEP s per rate, server on CPU $SERVER_CPU, perfdhcp on CPU $CLIENT_CPU, both at" \
		"nice $NICE"
	echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
}

legend() {
	cat <<-'EOF'

		offered: perfdhcp -r; sent/s: DISCOVERs perfdhcp managed to send; done/s: completed
		DORA exchanges (ACKs received) per second. loss%: exchanges not completed; srv%: of
		them, requests that reached the server's interface and were never answered; cli%:
		replies the client's kernel dropped because perfdhcp's socket buffer was full (the
		client's loss, not the server's). avg ms: mean DISCOVER-OFFER + mean REQUEST-ACK
		delay; max ms: the sum of the two maxima (an upper bound of the slowest exchange).
		cpu%: the server process's CPU time (all threads, utime+stime from /proc/PID/stat)
		over the step's wall time (perfdhcp's run and its final wait); us/lease: that time
		per completed exchange. core%, core-us: the same from the server CPU's busy time
		(/proc/stat), which adds the kernel's receive work for the server when it ran while
		the server slept, kernel threads (block I/O for the fsyncs), and anything else
		that ran on that CPU. cl-cpu: busy % of perfdhcp's CPU (near 100,
		perfdhcp is the limit). threads: CPU seconds and context switches per second of
		each server thread (mtdhcpd: the lcore is "mtdhcpd"). ratio: mtdhcpd / Kea.
	EOF
}

run_server() {
	local server=$1 mode=$2 rate
	echo "== $server, $mode" >&2
	SVC_RX0=$(svc0_count rx)
	SVC_TX0=$(svc0_count tx)
	[ "$mode" != direct ] || direct_nat add
	"start_$server" "$mode"
	local last=${RATES##* } how
	for rate in $RATES; do
		echo "   $rate/s" >&2
		how=""
		[ "$PERF" != 1 ] || [ "$rate" != "$last" ] || how=profile
		step "$server" "$mode" "$rate" "$how"
		sleep 1 # let the last commits and the server settle
	done
	stop_server "$server" "$mode"
	[ "$mode" != direct ] || direct_nat delete
}

main() {
	header
	for mode in $MODES; do
		for server in $SERVERS; do
			echo "$server, $mode:"
			run_server "$server" "$mode"
		done
	done
	echo
	$REPORT table "$RESULTS"
	legend
}

# The run happens in this shell (not in a pipeline's subshell), so that the teardown knows
# every process it started and a signal stops it at once; tee copies what it prints.
exec {tee_fd}> >(tee "$OUT")
tee_pid=$!
main >&"$tee_fd"
exec {tee_fd}>&-
wait "$tee_pid"
echo "results: $OUT"
