#!/usr/bin/env bash
# ack_after_commit: the lease row is committed before the DHCPACK leaves (RFC 2131 section
# 3.1 step 4; DESIGN.md "commit before ACK"). A helper holds the SQLite write lock on the
# lease database while g1 runs its DORA: the OFFER may come (it needs no disk), but no ACK
# may appear until the lock is released; then an ACK must come, the row for g1's chaddr must
# be in the database, and it must still be there after the daemon is stopped.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCP_TAGGER
itest_start
LOCK_SECONDS=4

lab_core
lab_vlan_site gsw g1=8100:100
lab_install_conf "$ITEST_SRC/demo"
lab_start_daemon "$MTDHCPD"
lab_start_taggers "$MTDHCP_TAGGER"
itest_check "the lease database exists once the daemon is ready" test -f "$LAB_DB"
netlab_capture cap-g1 gsw g1
mac=$(lab_mac g1)

lockout="$NETLAB_DIR/lock.out"
"$ITEST_PY" "$ITEST_DIR/hold_db_lock.py" "$LAB_DB" "$LOCK_SECONDS" >"$lockout" 2>&1 &
lock_pid=$!
netlab_wait 10 "the helper to lock the database" grep -q '^locked' "$lockout"
netlab_dhclient g1 g1 eth0 &
client_pid=$!
itest_check "the lock helper ran" wait "$lock_pid"
itest_check "g1 got a lease" wait "$client_pid"

locked=$(sed -n 's/^locked //p' "$lockout")
releasing=$(sed -n 's/^releasing //p' "$lockout")
pcap=$(netlab_capture_stop cap-g1)
itest_check "no DHCPACK while locked, a DHCPACK after it (REQUEST and OFFER seen while locked)" \
	"$ITEST_PY" "$ITEST_DIR/dhcp_pcap.py" ack-window "$pcap" --hwaddr "$mac" \
	--locked "$locked" --released "$releasing"
itest_check "the database has a row for $mac once the ACK was seen" \
	"$ITEST_PY" "$ITEST_DIR/dhcp_pcap.py" db-has-hwaddr "$LAB_DB" "$mac"
if [ -n "$MTDHCPCTL" ]; then
	itest_check "mtdhcpctl leases --json runs" itest_leases_json "$NETLAB_DIR/leases.json"
	itest_check "g1's lease is globex's with the address g1 got" \
		"$ITEST_PY" "$ITEST_DIR/check_leases.py" "$NETLAB_DIR/leases.json" \
		--lease "globex,$mac,$(netlab_client_value g1 ip)"
fi
itest_daemon_stops_cleanly
itest_check "the row for $mac is still there after the daemon stopped" \
	"$ITEST_PY" "$ITEST_DIR/dhcp_pcap.py" db-has-hwaddr "$LAB_DB" "$mac"
