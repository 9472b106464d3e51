# shellcheck shell=bash disable=SC2034 # the paths and ITEST_PY are for the sourcing test
#
# Sourced by every integration test script. Usage of a test:
#
#   test_NAME.sh [--mtdhcpd PATH] [--mtdhcpctl PATH] [--tagger PATH]
#
# (ctest passes the build's programs). Gives the test the netlab and lab libraries, a
# check/fail vocabulary, and a teardown that prints every log when the test failed.

set -euo pipefail

ITEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ITEST_SRC=$(cd "$ITEST_DIR/../.." && pwd)
ITEST_PY=/usr/bin/python3 # Debian's python, which has scapy
MTDHCPD=""
MTDHCPCTL=""
MTDHCP_TAGGER=""
ITEST_CHECKS=0
ITEST_NAME=$(basename "$0" .sh)

while [ $# -gt 0 ]; do
	case $1 in
	--mtdhcpd) MTDHCPD=$2 ;;
	--mtdhcpctl) MTDHCPCTL=$2 ;;
	--tagger) MTDHCP_TAGGER=$2 ;;
	*)
		echo "usage: $0 [--mtdhcpd PATH] [--mtdhcpctl PATH] [--tagger PATH]" >&2
		exit 2
		;;
	esac
	shift 2
done

# shellcheck source=../../tools/netlab/netlab.sh
. "$ITEST_SRC/tools/netlab/netlab.sh"
# shellcheck source=../../tools/netlab/lab.sh
. "$ITEST_SRC/tools/netlab/lab.sh"

# itest_need PROGRAM...: fails the test unless each of the named programs was given.
itest_need() {
	local v
	for v in "$@"; do
		if [ -z "${!v}" ] || [ ! -x "${!v}" ]; then
			itest_fail "$v not given or not executable: '${!v}'"
		fi
	done
}

itest_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# itest_check WHAT CMD...: runs CMD; the test fails unless it succeeds.
itest_check() {
	local what=$1
	shift
	ITEST_CHECKS=$((ITEST_CHECKS + 1))
	if "$@"; then
		echo "ok: $what"
	else
		itest_fail "$what"
	fi
}

# itest_in_pool IP FIRST LAST: true when IP lies in [FIRST, LAST] (same /24 assumed away:
# compares as 32-bit numbers).
itest_ip_num() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	echo $((($1 << 24) + ($2 << 16) + ($3 << 8) + $4))
}
itest_in_pool() {
	[ -n "$1" ] || return 1
	local n
	n=$(itest_ip_num "$1")
	[ "$n" -ge "$(itest_ip_num "$2")" ] && [ "$n" -le "$(itest_ip_num "$3")" ]
}

# itest_sanitizer_check: in a sanitizer build (make test SANITIZE=1) the programs print
# AddressSanitizer, LeakSanitizer and UBSan reports to their logs; any report fails the
# test. A daemon still running is first stopped as an operator stops it (SIGTERM), so that
# its shutdown runs too, LeakSanitizer's check at exit included; it must exit 0.
itest_sanitizer_check() {
	local rc=0 f
	if netlab_running mtdhcpd; then
		lab_stop_daemon || rc=$?
		if [ "$rc" != 0 ]; then
			echo "FAIL: mtdhcpd did not exit cleanly on SIGTERM at teardown (status $rc)" >&2
		fi
	fi
	for f in "$NETLAB_DIR"/log/*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$f"; then
			echo "FAIL: sanitizer report in $(basename "$f" .log)'s log:" >&2
			grep -E -A 40 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$f" |
				head -n 80 >&2
			rc=1
		fi
	done
	return "$rc"
}

itest_exit() {
	local rc=$?
	trap '' PIPE # a reader that went away must not stop the teardown
	set +e
	if [ -n "$NETLAB_DIR" ] && ! itest_sanitizer_check && [ "$rc" = 0 ]; then
		rc=1
	fi
	if [ "$rc" != 0 ]; then
		echo "----- $ITEST_NAME failed (rc $rc); logs of the run -----" >&2
		netlab_dump_logs >&2 || true
	else
		echo "PASS: $ITEST_NAME ($ITEST_CHECKS checks)"
	fi
	netlab_teardown
	# From the EXIT trap: a failure found here must become the script's status.
	exit "$rc"
}

# itest_start: a lab run of its own (unique prefix) that is torn down when the test ends.
itest_start() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: $ITEST_NAME needs root (network namespaces, raw sockets)"
		exit 77
	fi
	netlab_init "it-${ITEST_NAME#test_}"
	trap itest_exit EXIT
}

# itest_clients ID:PROGRAM:HOST[:ARGS]...: runs the DHCP clients in parallel (PROGRAM is
# dhclient or udhcpc, ARGS extra udhcpc arguments) and fails the test if any gets no lease.
itest_clients() {
	local spec id prog host args
	local -A jobs=()
	for spec in "$@"; do
		IFS=: read -r id prog host args <<<"$spec"
		# shellcheck disable=SC2086 # $args: udhcpc's extra arguments, one word each
		case $prog in
		dhclient) netlab_dhclient "$id" "$host" eth0 & ;;
		udhcpc) netlab_udhcpc "$id" "$host" eth0 $args & ;;
		*) itest_fail "unknown client program $prog" ;;
		esac
		jobs[$id]=$!
	done
	for id in "${!jobs[@]}"; do
		itest_check "client $id got a lease ($(netlab_log "$id"))" wait "${jobs[$id]}"
		echo "    $id: $(netlab_client_value "$id" ip) from $(netlab_client_value "$id" server_id)"
	done
}

# itest_leases_json FILE [ARGS...]: `mtdhcpctl leases ARGS --json` into FILE.
itest_leases_json() {
	local out=$1
	shift
	"$MTDHCPCTL" -c "$LAB_SERVICE" leases "$@" --json >"$out"
}

# itest_daemon_stops_cleanly: SIGTERM makes the daemon exit with status 0.
itest_daemon_stops_cleanly() {
	local rc=0
	lab_stop_daemon || rc=$?
	itest_check "mtdhcpd exits 0 on SIGTERM (got $rc)" test "$rc" = 0
}
