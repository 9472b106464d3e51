#!/usr/bin/env bash
#
# `make demo`: two tenants on the same subnet, served by one mtdhcpd, with real clients.
#
#   demo/demo.sh BUILD_DIR
#
# Builds a small network out of namespaces (see tools/netlab/lab.sh): acme's clients sit
# behind acme's edge router, which relays their DHCP to the service; globex's clients sit on
# VLAN 100 of a trunk. Both use 192.168.1.0/24. mtdhcpd tells them apart by relay address
# and by VLAN, and keeps all leases in one database. Everything is removed at the end, and
# on Ctrl-C. Needs root. Set NETLAB_KEEP=1 to keep the run's files (logs, configs, leases).
# MTDHCPD, MTDHCPCTL and MTDHCP_TAGGER override the programs' paths.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
	echo "The demo builds network namespaces and opens raw sockets, so it needs root:" >&2
	echo "    sudo make demo" >&2
	exit 1
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) ||
	{ echo "demo: no build directory '${1:-build}'; run make first" >&2; exit 1; }
MTDHCPD=${MTDHCPD:-$build/mtdhcpd}
MTDHCPCTL=${MTDHCPCTL:-$build/cli/mtdhcpctl}
MTDHCP_TAGGER=${MTDHCP_TAGGER:-$build/tools/mtdhcp-tagger}

if [ -t 1 ]; then
	B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'
else
	B="" G="" R="" N=""
fi
step=0
say_step() {
	step=$((step + 1))
	printf '\n%s%d. %s%s\n' "$B" "$step" "$1" "$N"
}
say() { printf '   %s\n' "$*"; }
fail() {
	printf '   %sError:%s %s\n' "$R" "$N" "$*" >&2
	exit 1
}

for prog in "$MTDHCPD" "$MTDHCPCTL" "$MTDHCP_TAGGER"; do
	[ -x "$prog" ] || { echo "demo: $prog is missing; run make first" >&2; exit 1; }
done
for cmd in dhclient udhcpc dhcrelay; do
	command -v "$cmd" >/dev/null ||
		{ echo "demo: '$cmd' is missing; run packaging/install-deps.sh" >&2; exit 1; }
done

# shellcheck source=../tools/netlab/netlab.sh
. "$here/../tools/netlab/netlab.sh"
# shellcheck source=../tools/netlab/lab.sh
. "$here/../tools/netlab/lab.sh"

demo_cleanup() {
	local rc=$?
	trap '' PIPE # a reader that went away must not stop the teardown
	set +e
	printf '\n%s%d. Cleaning up%s\n' "$B" "$((step + 1))" "$N"
	if [ "$rc" = 130 ] || [ "$rc" = 143 ]; then
		say "Interrupted."
	elif [ "$rc" != 0 ] && [ -n "$NETLAB_DIR" ] && [ -d "$NETLAB_DIR/log" ]; then
		say "Something went wrong; the last lines of each log:"
		netlab_dump_logs | sed 's/^/     /'
	fi
	netlab_teardown
	if [ "${NETLAB_KEEP:-0}" = 1 ]; then
		say "Removed every namespace and process; kept the run's files (NETLAB_KEEP=1)."
	else
		say "Removed every namespace, process and file the demo made."
	fi
	return "$rc"
}

start=$(date +%s)
printf '%smtdhcp demo%s: two tenants, one subnet (192.168.1.0/24), one DHCP service.\n' "$B" "$N"

say_step "Building the lab network (network namespaces joined by veth pairs)"
netlab_init mtdhcp-demo
trap demo_cleanup EXIT
lab_build_default || fail "could not build the lab"
say "svc          the service VM: mtdhcpd's DPDK port svc0 (10.0.1.1)"
say "sw           the L2 network between the service and the tenants"
say "ar, a1, a2   acme: edge router 192.168.1.1 relaying to 10.0.1.1, two clients"
say "gsw, g1, g2  globex: access switch tagging VLAN 100 onto the trunk, two clients"

say_step "Starting mtdhcpd"
lab_install_conf "$here" || fail "could not install the configuration"
say "config: demo/mtdhcpd.conf, tenants: demo/tenants.d/{acme,globex}.conf"
lab_start_daemon "$MTDHCPD" 20 || fail "mtdhcpd did not start (log: above)"
say "mtdhcpd is serving."

say_step "Starting acme's DHCP relay and globex's VLAN tagger"
lab_start_relays || fail "dhcrelay did not start"
lab_start_taggers "$MTDHCP_TAGGER" || fail "the tagger did not start"
say "ar: dhcrelay adds option 82 and relays to 10.0.1.1"
say "gsw: mtdhcp-tagger puts g1's and g2's frames on VLAN 100"

say_step "Four clients ask for an address at the same time"
declare -A tenant_of=([a1]=acme [a2]=acme [g1]=globex [g2]=globex)
declare -A program_of=([a1]=dhclient [a2]=udhcpc [g1]=dhclient [g2]=udhcpc)
declare -A job_of=()
for c in a1 a2 g1 g2; do
	if [ "${program_of[$c]}" = dhclient ]; then
		netlab_dhclient "$c" "$c" eth0 &
	else
		netlab_udhcpc "$c" "$c" eth0 &
	fi
	job_of[$c]=$!
done
failed=0
for c in a1 a2 g1 g2; do
	if wait "${job_of[$c]}"; then
		printf '   %-7s %-3s %-9s %s%-14s%s router %s, server %s\n' "${tenant_of[$c]}" "$c" \
			"${program_of[$c]}" "$G" "$(netlab_client_value "$c" ip)" "$N" \
			"$(netlab_client_value "$c" router)" "$(netlab_client_value "$c" server_id)"
	else
		printf '   %-7s %-3s %-9s %sno address%s (log: %s)\n' "${tenant_of[$c]}" "$c" \
			"${program_of[$c]}" "$R" "$N" "$(netlab_log "$c")"
		failed=$((failed + 1))
	fi
done

say_step "The lease database, as the operator sees it: mtdhcpctl leases"
"$MTDHCPCTL" -c "$LAB_SERVICE" leases 2>&1 | sed 's/^/   /' || say "(mtdhcpctl failed)"

say_step "Summary"
shared=0
for ca in a1 a2; do
	for cg in g1 g2; do
		ipa=$(netlab_client_value "$ca" ip)
		if [ -n "$ipa" ] && [ "$ipa" = "$(netlab_client_value "$cg" ip)" ]; then
			say "$ipa is leased twice at once: to $ca in acme and to $cg in globex."
			shared=1
		fi
	done
done
[ "$shared" = 0 ] ||
	say "Same subnet, separate tenants: each lease is keyed by (tenant, address)."
if [ "$failed" = 0 ]; then
	say "${G}All 4 clients got an address${N} in $(($(date +%s) - start)) s."
else
	say "${R}$failed of 4 clients got no address.${N}"
	NETLAB_KEEP=1
	say "Logs are kept in $NETLAB_DIR/log."
	exit 1
fi
