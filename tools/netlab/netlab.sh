# shellcheck shell=bash
#
# netlab: a small library for building throw-away networks out of Linux network namespaces
# joined by veth pairs, running real programs in them, and tearing all of it down again.
# Source it from a bash script that runs as root:
#
#   . tools/netlab/netlab.sh
#   netlab_init demo              # unique run prefix, temp dir, teardown trap
#   netlab_ns a; netlab_ns b
#   netlab_link a eth0 b eth0     # a veth pair, one end in each namespace
#   netlab_start srv b some-server --flag
#   netlab_wait 5 "server up" netlab_log_has srv "listening"
#
# Everything a run creates carries its prefix: namespaces are "<prefix>-<name>", files live
# in $NETLAB_DIR. The teardown, installed as an EXIT/INT/TERM trap, stops every process
# started in the run's namespaces (including daemons that detached), deletes the namespaces
# (and with them every veth and bridge) and the temp dir, and runs the extra cleanups
# registered with netlab_on_teardown. Two runs can therefore coexist and never touch each
# other's objects. Interface names only need to be unique inside one namespace, because veth
# ends are created directly in their namespaces.
#
# Conventions: functions return non-zero on failure and print the reason to stderr; they
# work under `set -euo pipefail`. Set NETLAB_KEEP=1 to keep $NETLAB_DIR after the run.

NETLAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

NETLAB_PREFIX=""
NETLAB_DIR=""
NETLAB_NAMESPACES=()
NETLAB_CLEANUPS=()
declare -A NETLAB_PGIDS=()
NETLAB_TORN_DOWN=0

netlab_die() {
	echo "netlab: $*" >&2
	exit 1
}

# netlab_init [TAG]: checks for root, picks the run prefix, makes $NETLAB_DIR, installs the
# teardown trap. TAG (default "netlab") starts the prefix, for humans reading `ip netns`.
netlab_init() {
	local tag=${1:-netlab} rnd

	[ "$(id -u)" = 0 ] || netlab_die "needs root (network namespaces, raw sockets); try: sudo $0"
	for cmd in ip setsid timeout; do
		command -v "$cmd" >/dev/null || netlab_die "missing command: $cmd"
	done
	rnd=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	NETLAB_PREFIX="$tag-$rnd"
	NETLAB_DIR=$(mktemp -d "/tmp/$NETLAB_PREFIX.XXXXXX")
	chmod 755 "$NETLAB_DIR"
	mkdir -p "$NETLAB_DIR/log" "$NETLAB_DIR/clients"
	trap netlab_teardown EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# netlab_on_teardown CMD...: runs CMD (eval'd) during teardown, after the namespaces are gone.
netlab_on_teardown() {
	NETLAB_CLEANUPS+=("$*")
}

# netlab_nsname NAME: the real namespace name of lab host NAME.
netlab_nsname() {
	echo "$NETLAB_PREFIX-$1"
}

# netlab_ns NAME: a new namespace (a "host") with lo up and IPv6 off, so that the only
# traffic on its links is the IPv4 the lab asks for.
netlab_ns() {
	local ns
	ns=$(netlab_nsname "$1")
	ip netns add "$ns" || return 1
	NETLAB_NAMESPACES+=("$ns")
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1
	ip -n "$ns" link set lo up
}

# netlab_exec NAME CMD...: runs CMD in host NAME, in the foreground.
netlab_exec() {
	local ns
	ns=$(netlab_nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

# netlab_link NAME1 IF1 NAME2 IF2 [MAC1 [MAC2]]: a veth pair IF1 (in NAME1) -- IF2 (in
# NAME2), both up. Transmit checksum offload is turned off on both ends: otherwise a UDP
# datagram sent over veth carries only a partial checksum, which a raw-socket receiver such
# as a DPDK af_packet port (or a capture) sees as wrong.
netlab_link() {
	local n1 n2
	n1=$(netlab_nsname "$1")
	n2=$(netlab_nsname "$3")
	ip -n "$n1" link add "$2" type veth peer name "$4" netns "$n2" || return 1
	[ -z "${5:-}" ] || ip -n "$n1" link set "$2" address "$5" || return 1
	[ -z "${6:-}" ] || ip -n "$n2" link set "$4" address "$6" || return 1
	netlab_offload_off "$1" "$2" && netlab_offload_off "$3" "$4" || return 1
	ip -n "$n1" link set "$2" up && ip -n "$n2" link set "$4" up
}

# netlab_offload_off NAME IF: no transmit checksum offload on IF (nor segmentation offload,
# which depends on it). Uses ethtool, or the same ioctl from Python where ethtool is missing.
netlab_offload_off() {
	if command -v ethtool >/dev/null; then
		netlab_exec "$1" ethtool -K "$2" tx off >/dev/null
	else
		# SIOCETHTOOL with struct ethtool_value {ETHTOOL_STXCSUM, 0} (linux/ethtool.h).
		netlab_exec "$1" /usr/bin/python3 -c '
import ctypes, fcntl, socket, struct, sys
ev = ctypes.create_string_buffer(struct.pack("II", 0x17, 0))
ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(ev)).ljust(40, b"\0")
fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8946, ifr)' "$2"
	fi
}

# netlab_bridge NAME BR [IF...]: a Linux bridge BR in host NAME with the IFs as its ports.
# STP off and forwarding delay 0, so ports forward at once.
netlab_bridge() {
	local name=$1 br=$2 ns
	shift 2
	ns=$(netlab_nsname "$name")
	ip -n "$ns" link add "$br" type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$ns" link set "$br" up || return 1
	for ifc in "$@"; do
		netlab_bridge_add "$name" "$br" "$ifc" || return 1
	done
}

# netlab_bridge_add NAME BR IF: adds IF as a port of bridge BR.
netlab_bridge_add() {
	local ns
	ns=$(netlab_nsname "$1")
	ip -n "$ns" link set "$3" master "$2" && ip -n "$ns" link set "$3" up
}

# netlab_addr NAME IF CIDR: adds an IPv4 address.
netlab_addr() {
	ip -n "$(netlab_nsname "$1")" addr add "$3" dev "$2"
}

# netlab_route NAME DEST VIA: adds a route.
netlab_route() {
	ip -n "$(netlab_nsname "$1")" route add "$2" via "$3"
}

# netlab_sysctl NAME KEY=VALUE...
netlab_sysctl() {
	local name=$1
	shift
	netlab_exec "$name" sysctl -qw "$@" >/dev/null
}

# netlab_start ID NAME CMD...: starts CMD in host NAME in the background, in its own
# session and process group, with stdout and stderr in $(netlab_log ID). Its PID (also the
# process group) is in NETLAB_PGIDS[ID].
netlab_start() {
	local id=$1 ns
	ns=$(netlab_nsname "$2")
	shift 2
	[ -z "${NETLAB_PGIDS[$id]:-}" ] || { echo "netlab: process $id exists" >&2; return 1; }
	# Without job control the background child is no process group leader, so setsid does
	# not fork and $! is the command's own PID and process group.
	local flags=$-
	set +m
	setsid ip netns exec "$ns" "$@" </dev/null >"$(netlab_log "$id")" 2>&1 &
	NETLAB_PGIDS[$id]=$!
	[[ $flags != *m* ]] || set -m
}

# netlab_log ID: the log file of process ID.
netlab_log() {
	echo "$NETLAB_DIR/log/$1.log"
}

# netlab_pid ID: the PID of process ID.
netlab_pid() {
	echo "${NETLAB_PGIDS[$1]:-}"
}

# netlab_running ID: true while process ID runs.
netlab_running() {
	local pid=${NETLAB_PGIDS[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# netlab_stop ID [SIGNAL [TIMEOUT]]: sends SIGNAL (default TERM) to process ID's group,
# waits up to TIMEOUT seconds (default 5) for it to exit, then kills the group. Returns the
# process's exit status (128+n for a signal), or 124 when it had to be killed.
netlab_stop() {
	local id=$1 sig=${2:-TERM} timeout=${3:-5} pid rc=0
	pid=${NETLAB_PGIDS[$id]:-}
	[ -n "$pid" ] || return 0
	kill -s "$sig" -- "-$pid" 2>/dev/null || true
	if ! netlab_wait_quiet "$timeout" netlab_exited "$pid"; then
		kill -s KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rc=124
	else
		wait "$pid" 2>/dev/null || rc=$?
	fi
	unset "NETLAB_PGIDS[$id]"
	return "$rc"
}

# netlab_wait_exit ID TIMEOUT: waits for process ID to exit by itself; returns its status,
# or 124 (and leaves it running) on timeout.
netlab_wait_exit() {
	local id=$1 pid rc=0
	pid=${NETLAB_PGIDS[$id]:-}
	[ -n "$pid" ] || return 127
	netlab_wait_quiet "$2" netlab_exited "$pid" || return 124
	wait "$pid" 2>/dev/null || rc=$?
	unset "NETLAB_PGIDS[$id]"
	return "$rc"
}

netlab_exited() {
	! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

# netlab_wait_quiet TIMEOUT CMD...: runs CMD every 50 ms until it succeeds (0) or TIMEOUT
# seconds (may be fractional) have passed (1).
netlab_wait_quiet() {
	local deadline now
	deadline=$(($(date +%s%N) + ${1%.*} * 1000000000))
	case $1 in *.*) deadline=$((deadline + 10#$(printf '%-9s' "${1#*.}" | tr ' ' 0))) ;; esac
	shift
	while true; do
		"$@" >/dev/null 2>&1 && return 0
		now=$(date +%s%N)
		[ "$now" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# netlab_wait TIMEOUT WHAT CMD...: as netlab_wait_quiet, but says what it waited for when it
# gives up.
netlab_wait() {
	local timeout=$1 what=$2
	shift 2
	netlab_wait_quiet "$timeout" "$@" && return 0
	echo "netlab: timed out after ${timeout}s waiting for: $what" >&2
	return 1
}

# netlab_log_has ID REGEX: true when process ID's log has a line matching REGEX (grep -E).
netlab_log_has() {
	grep -qE -- "$2" "$(netlab_log "$1")" 2>/dev/null
}

# netlab_client_dir ID: the directory of DHCP client ID (made on demand).
netlab_client_dir() {
	mkdir -p "$NETLAB_DIR/clients/$1"
	echo "$NETLAB_DIR/clients/$1"
}

# netlab_client_value ID KEY: a value the client's script recorded (ip, mask, router,
# server_id, lease_time, reason), empty when absent.
netlab_client_value() {
	local f="$NETLAB_DIR/clients/$1/lease"
	[ -f "$f" ] || return 0
	sed -n "s/^$2=//p" "$f" | tail -n 1
}

# netlab_dhclient ID NAME IF [TIMEOUT]: runs ISC dhclient once on IF in host NAME, in the
# foreground, until it is bound (0) or gives up (non-zero). dhclient then stays in the
# background for renewals; the teardown stops it. Its hostname (option 12) is ID. The lease
# is in $(netlab_client_dir ID)/lease (see netlab_client_value); the log is $(netlab_log ID).
netlab_dhclient() {
	local id=$1 name=$2 ifc=$3 timeout=${4:-20} dir
	dir=$(netlab_client_dir "$id")
	rm -f "$dir/lease"
	# Our own client config: no reliance on /etc/dhcp/dhclient.conf, a hostname per client,
	# and a timeout short enough for tests.
	cat >"$dir/dhclient.conf" <<-EOF
		timeout $timeout;
		initial-interval 1;
		send host-name "$id";
		request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers,
			host-name, dhcp-lease-time, dhcp-server-identifier;
	EOF
	timeout $((timeout + 10)) ip netns exec "$(netlab_nsname "$name")" \
		dhclient -4 -v -1 -cf "$dir/dhclient.conf" -sf "$NETLAB_LIB_DIR/dhclient-script" \
		-e "NETLAB_LEASE=$dir/lease" -lf "$dir/dhclient.leases" -pf "$dir/dhclient.pid" \
		"$ifc" </dev/null >"$(netlab_log "$id")" 2>&1 || return 1
	[ -n "$(netlab_client_value "$id" ip)" ]
}

# netlab_udhcpc ID NAME IF [-B] [EXTRA...]: runs busybox udhcpc once on IF in host NAME
# until it is bound (0) or gives up (non-zero); -B asks for broadcast replies (RFC 2131
# section 4.1, the BROADCAST flag). Lease and log as for netlab_dhclient.
netlab_udhcpc() {
	local id=$1 name=$2 ifc=$3 dir
	shift 3
	dir=$(netlab_client_dir "$id")
	rm -f "$dir/lease"
	NETLAB_LEASE="$dir/lease" timeout 30 ip netns exec "$(netlab_nsname "$name")" \
		udhcpc -i "$ifc" -f -q -n -t 5 -T 2 -s "$NETLAB_LIB_DIR/udhcpc-script" \
		-x "hostname:$id" "$@" </dev/null >"$(netlab_log "$id")" 2>&1 || return 1
	[ -n "$(netlab_client_value "$id" ip)" ]
}

# netlab_dhcrelay ID NAME DOWN UP SERVER [EXTRA...]: starts ISC dhcrelay in host NAME,
# relaying between client interface DOWN and server interface UP, adding option 82 (-a,
# Circuit-ID = DOWN's name), and waits until it listens.
netlab_dhcrelay() {
	local id=$1 name=$2 down=$3 up=$4 server=$5
	shift 5
	netlab_start "$id" "$name" dhcrelay -4 -d --no-pid -a "$@" -id "$down" -iu "$up" \
		"$server" || return 1
	netlab_wait 5 "dhcrelay $id to start" netlab_log_has "$id" "^Sending on +Socket/fallback"
}

# netlab_capture ID NAME IF FILTER...: starts tcpdump on IF in host NAME writing
# $NETLAB_DIR/ID.pcap, and waits until it captures. Stop it with netlab_capture_stop ID.
# Immediate mode hands each packet over at once instead of in blocks, so that the file is
# complete when the capture is stopped.
netlab_capture() {
	local id=$1 name=$2 ifc=$3
	shift 3
	netlab_start "$id" "$name" tcpdump -i "$ifc" --immediate-mode -U -n -s 0 \
		-w "$NETLAB_DIR/$id.pcap" "$@" || return 1
	netlab_wait 5 "tcpdump $id to start" netlab_log_has "$id" "listening on"
}

netlab_pcap_settled() {
	local size
	size=$(stat -c %s "$1" 2>/dev/null || echo 0)
	sleep 0.1
	[ "$size" = "$(stat -c %s "$1" 2>/dev/null || echo 0)" ]
}

# netlab_capture_stop ID: lets the capture catch up (the file stops growing), stops it and
# prints the pcap's path.
netlab_capture_stop() {
	local pcap="$NETLAB_DIR/$1.pcap"
	netlab_wait_quiet 2 netlab_pcap_settled "$pcap" || true
	netlab_stop "$1" INT 5 >/dev/null || true
	echo "$pcap"
}

# netlab_dump_logs: prints every log of the run (for a failing test).
netlab_dump_logs() {
	local f
	for f in "$NETLAB_DIR"/log/*.log; do
		[ -f "$f" ] || continue
		echo "----- $(basename "$f" .log) -----"
		tail -n 60 "$f"
	done
}

# Stops every process in a namespace, detached daemons included: whatever runs there belongs
# to this run.
netlab_kill_ns_pids() {
	local ns=$1 sig=$2 pids
	pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
	# shellcheck disable=SC2086 # one argument per PID
	[ -z "$pids" ] || kill -s "$sig" $pids 2>/dev/null || true
	[ -n "$pids" ]
}

netlab_ns_empty() {
	[ -z "$(ip netns pids "$1" 2>/dev/null)" ]
}

# netlab_teardown: stops everything, deletes everything. Safe to call more than once.
netlab_teardown() {
	local rc=$? id ns pid
	[ "$NETLAB_TORN_DOWN" = 0 ] || return "$rc"
	NETLAB_TORN_DOWN=1
	# Finish even if whoever reads our output has gone (a closed pipe, a closed terminal):
	# no signal, and no `set -e` exit when a message cannot be written.
	trap '' PIPE HUP INT TERM
	set +e
	for id in "${!NETLAB_PGIDS[@]}"; do
		kill -s TERM -- "-${NETLAB_PGIDS[$id]}" 2>/dev/null || true
	done
	for ns in "${NETLAB_NAMESPACES[@]}"; do
		netlab_kill_ns_pids "$ns" TERM || true
	done
	for ns in "${NETLAB_NAMESPACES[@]}"; do
		if ! netlab_wait_quiet 3 netlab_ns_empty "$ns"; then
			netlab_kill_ns_pids "$ns" KILL || true
			netlab_wait_quiet 2 netlab_ns_empty "$ns" || true
		fi
	done
	for id in "${!NETLAB_PGIDS[@]}"; do
		pid=${NETLAB_PGIDS[$id]}
		kill -s KILL -- "-$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	NETLAB_PGIDS=()
	for ns in "${NETLAB_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null || echo "netlab: could not delete namespace $ns" >&2
	done
	NETLAB_NAMESPACES=()
	for cmd in "${NETLAB_CLEANUPS[@]}"; do
		eval "$cmd" || true
	done
	NETLAB_CLEANUPS=()
	if [ -n "$NETLAB_DIR" ] && [ -d "$NETLAB_DIR" ]; then
		if [ "${NETLAB_KEEP:-0}" = 1 ]; then
			echo "netlab: kept $NETLAB_DIR" >&2
		else
			rm -rf "$NETLAB_DIR"
		fi
	fi
	return "$rc"
}
