#!/usr/bin/env bash
# crash_recovery: a DHCPACK is only sent for a lease that is on disk (RFC 2131 section 3.1
# step 4), so killing the daemon at any moment loses no acknowledged lease.
#
# perfdhcp, as a relay agent (giaddr 10.200.0.1), runs DORAs at a steady rate against the
# daemon; the daemon is killed with SIGKILL at a random moment while the load runs, and the
# DHCP traffic is captured on the relay's link. The daemon is started again on the same
# database. Then every DHCPACK seen on the wire before the kill must have its row (tenant,
# address, the client's chaddr, active), and new clients (other MACs) must never be offered
# or acknowledged an address that was acknowledged to someone else before the kill.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start
GIADDR=10.200.0.1
SERVER=10.0.1.1
RATE=${CRASH_RATE:-250}

# The service's L2 network, and a host on it that plays the relay for perfdhcp.
lab_core
netlab_ns pd
netlab_link pd pd0 sw pd
netlab_bridge_add sw "$LAB_BRIDGE" pd
netlab_addr pd pd0 10.0.1.2/24
netlab_addr pd pd0 "$GIADDR/32"
LAB_PROBE_HOST=pd
LAB_SERVER_ADDR=$SERVER

# The demo's service file (commit-before-ack) and one tenant behind that relay.
src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cp "$ITEST_SRC/demo/mtdhcpd.conf" "$src/"
cat >"$src/tenants.d/crash.conf" <<EOF
name = "crash";
match = { relays = [ "$GIADDR" ]; };
lease_time = 3600;
subnets = ( { subnet = "10.200.0.0/16";
              pools = ( { first = "10.200.1.0"; last = "10.200.254.255"; } ); } );
EOF
lab_install_conf "$src"
lab_start_daemon "$MTDHCPD"

# perfdhcp ID MAC_BASE SECONDS: DORAs at $RATE/s from up to 60000 clients whose MACs share
# MAC_BASE's first four octets, relayed from $GIADDR, for SECONDS.
perfdhcp_start() {
	netlab_start "$1" pd perfdhcp -4 -l "$GIADDR" -r "$RATE" -R 60000 -b "mac=$2" -p "$3" \
		"$SERVER"
}

netlab_capture cap-before pd pd0 udp port 67
perfdhcp_start perf-before 00:0c:01:00:00:00 30
# A random moment between 3 and 7 seconds into the load.
delay_ms=$((3000 + RANDOM % 4000))
sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
pid=$(netlab_pid mtdhcpd)
itest_check "the daemon is still serving when it is killed" netlab_running mtdhcpd
kill -KILL "$pid"
killed_at=$(date +%s.%N)
rc=0
netlab_wait_exit mtdhcpd 10 || rc=$?
itest_check "mtdhcpd died of SIGKILL after ${delay_ms} ms of load (status $rc)" test "$rc" = 137
# Anything still in flight is answered by no one; let the capture catch the last frames.
sleep 0.5
netlab_stop perf-before INT 5 >/dev/null || true
pcap_before=$(netlab_capture_stop cap-before)
cp "$(netlab_log mtdhcpd)" "$NETLAB_DIR/log/mtdhcpd-before-kill.log"
echo "    killed at $killed_at"
acks=$("$ITEST_PY" "$ITEST_DIR/leases2_pcap.py" count ACK "$pcap_before")
itest_check "clients were acknowledged before the kill ($acks ACKs)" test "$acks" -gt 50

# The same database, the same configuration.
lab_start_daemon "$MTDHCPD"
itest_check "the restarted daemon loaded the leases" \
	netlab_log_has mtdhcpd "tenant crash: .* [1-9][0-9]* active leases loaded"
grep "tenant crash:" "$(netlab_log mtdhcpd)" | sed 's/^/    /'
itest_check "every DHCPACK seen before the kill has its row (tenant, address, chaddr, active)" \
	"$ITEST_PY" "$ITEST_DIR/leases2_pcap.py" rows --db "$LAB_DB" --tenant crash "$pcap_before"

# New clients after the restart.
netlab_capture cap-after pd pd0 udp port 67
perfdhcp_start perf-after 00:0c:02:00:00:00 4
netlab_wait_exit perf-after 15 >/dev/null || true
pcap_after=$(netlab_capture_stop cap-after)
offers=$("$ITEST_PY" "$ITEST_DIR/leases2_pcap.py" count OFFER "$pcap_after")
itest_check "new clients were served after the restart ($offers OFFERs)" test "$offers" -gt 50
itest_check "no address acknowledged before the kill is offered to another client after it" \
	"$ITEST_PY" "$ITEST_DIR/leases2_pcap.py" not-reoffered --acked "$pcap_before" \
	--after "$pcap_after"
itest_daemon_stops_cleanly
