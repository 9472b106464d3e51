#!/usr/bin/env bash
# hostile_starvation: a starvation attack on one tenant must not cost another its service
# (issue 8). perfdhcp, as tenant "flood"'s relay agent (giaddr 10.0.1.5), runs DORAs for a
# million random MACs as fast as it can against a pool of 32 addresses with 5-second
# leases, so the pool runs out at once and keeps turning over (leases and offers run out,
# the flood takes every address freed). Meanwhile three real clients of tenant "quiet"
# (busybox udhcpc behind ISC dhcrelay) do whole DORAs back to back, each one a renewed
# lease committed to the database. Checks:
#   - the quiet tenant keeps at least 99 % of its exchanges (both tenants' figures printed);
#   - the flooded tenant's drop_pool_exhausted, read live from `mtdhcpctl stats --json`,
#     grows during the flood, and its pool turned over (the exhaustion flapped);
#   - the daemon logged the exhaustion exactly once, and its recovery at most once: not a
#     line per packet, nor a pair per address that turned over.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL
itest_start

FLOOD_RATE=${FLOOD_RATE:-20000}
FLOOD_SECONDS=${FLOOD_SECONDS:-16}
QUIET_SECONDS=${QUIET_SECONDS:-11}

lab_core
lab_relay_site qr 10.0.1.2/24 192.168.1.1/24 10.0.1.1 q1 q2 q3
netlab_ns pf
netlab_link pf pf0 sw pf && netlab_bridge_add sw "$LAB_BRIDGE" pf
netlab_addr pf pf0 10.0.1.5/24

src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cp "$ITEST_SRC/demo/mtdhcpd.conf" "$src/"
lab_tenant_file "$src/tenants.d/flood.conf" flood 10.0.1.5 10.20.0.0/24 10.20.0.10 10.20.0.41 \
	"offer_time = 1;" "min_lease_time = 5;" "lease_time = 5;"
lab_tenant_file "$src/tenants.d/quiet.conf" quiet 192.168.1.1 192.168.1.0/24 192.168.1.100 \
	192.168.1.199 "lease_time = 600;" 'options = { routers = [ "192.168.1.1" ]; };'
lab_install_conf "$src"
lab_start_daemon "$MTDHCPD"
lab_start_relays
log=$(netlab_log mtdhcpd)
ctl() { "$MTDHCPCTL" -c "$LAB_SERVICE" "$@"; }
counter() { # counter TENANT NAME: one counter, read live
	ctl stats --tenant "$1" --json | "$ITEST_PY" -c \
		'import json, sys; print(json.load(sys.stdin)["tenants"][0]["counters"][sys.argv[1]])' "$2"
}

# udhcpc's script: only says which address it got (udhcpc sets $ip for the script).
script="$NETLAB_DIR/udhcpc-report.sh"
# shellcheck disable=SC2016 # the script's own variables
printf '#!/bin/sh\n[ "$1" = bound ] && echo "lease $ip"\nexit 0\n' >"$script"
chmod +x "$script"

netlab_start perfdhcp pf perfdhcp -4 -l 10.0.1.5 -r "$FLOOD_RATE" -R 1000000 \
	-p "$FLOOD_SECONDS" 10.0.1.1
exhausted() { [ "$(counter flood drop_pool_exhausted)" -gt 0 ]; }
itest_check "the flood exhausts tenant flood's pool" netlab_wait 8 "exhaustion" exhausted
for c in q1 q2 q3; do
	netlab_start "loop-$c" "$c" "$ITEST_PY" "$ITEST_DIR/hostile_starve.py" loop --id "$c" \
		--script "$script" --stop "$NETLAB_DIR/stop" --out "$NETLAB_DIR/$c.json"
done
sleep 3
ctl stats --json >"$NETLAB_DIR/stats-early.json"
sleep $((QUIET_SECONDS - 3))
ctl stats --json >"$NETLAB_DIR/stats.json"
touch "$NETLAB_DIR/stop"
for c in q1 q2 q3; do
	netlab_wait_exit "loop-$c" 25 || itest_fail "the clients of $c did not stop"
done
# perfdhcp exits 3 when requests went unanswered, which is the point here.
flood_ended() {
	local rc=0
	netlab_wait_exit perfdhcp $((FLOOD_SECONDS + 10)) || rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 3 ]
}
itest_check "the flood ran to its end" flood_ended
itest_check "mtdhcpd is still running" netlab_running mtdhcpd

itest_check "both tenants' figures: quiet >= 99 % under the flood, flood's pool exhausted" \
	"$ITEST_PY" "$ITEST_DIR/hostile_starve.py" report --clients "$NETLAB_DIR"/q?.json \
	--perfdhcp "$(netlab_log perfdhcp)" --seconds "$FLOOD_SECONDS" \
	--stats-early "$NETLAB_DIR/stats-early.json" --stats "$NETLAB_DIR/stats.json" \
	--flooded flood --quiet quiet --quiet-pool 192.168.1.100-192.168.1.199
n_warn=$(grep -c "tenant flood: no free address" "$log" || true)
n_again=$(grep -c "tenant flood: addresses available again" "$log" || true)
itest_check "the exhaustion is logged exactly once (got $n_warn), not per packet" \
	test "$n_warn" = 1
itest_check "its recovery at most once (got $n_again), not a pair per address turnover" \
	test "$n_again" -le 1
itest_daemon_stops_cleanly
