#!/usr/bin/env bash
# disk_full: when the lease database cannot be written, no DHCPACK goes out (RFC 2131
# section 3.1 step 4), the daemon says why in one clear log line and counts the failures,
# and service comes back by itself once there is space again.
#
# The database lives on a small tmpfs mounted for this run (unmounted at teardown). perfdhcp
# plays a relay agent (giaddr 10.200.0.1) with its clients: a first round is served; then
# a file fills the tmpfs and a second round must get OFFERs (no disk needed) but not one
# ACK; the file is removed and a third round is served again. Every ACK seen on the wire
# must have its row.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start
GIADDR=10.200.0.1
SERVER=10.0.1.1

lab_core
netlab_ns pd
netlab_link pd pd0 sw pd
netlab_bridge_add sw "$LAB_BRIDGE" pd
netlab_addr pd pd0 10.0.1.2/24
netlab_addr pd pd0 "$GIADDR/32"
LAB_PROBE_HOST=pd
LAB_SERVER_ADDR=$SERVER

# 8 MiB: the database and its WAL fit with room to spare, and the WAL stays below its
# checkpoint size (1000 pages), so a full file system stops the next commit.
fs="$NETLAB_DIR/dbfs"
mkdir -p "$fs"
mount -t tmpfs -o size=8m,mode=0755 mtdhcp-disk-full "$fs"
netlab_on_teardown "umount -l '$fs'"

src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
sed "s|path = \"leases.db\"|path = \"$fs/leases.db\"|" "$ITEST_SRC/demo/mtdhcpd.conf" \
	>"$src/mtdhcpd.conf"
grep -q "path = \"$fs/leases.db\"" "$src/mtdhcpd.conf" ||
	itest_fail "could not point lease_db.path at the tmpfs"
cat >"$src/tenants.d/full.conf" <<EOF
name = "full";
match = { relays = [ "$GIADDR" ]; };
lease_time = 3600;
subnets = ( { subnet = "10.200.0.0/16";
              pools = ( { first = "10.200.1.0"; last = "10.200.254.255"; } ); } );
EOF
lab_install_conf "$src"
itest_check "the lease database is on the tmpfs ($LAB_DB)" test "$LAB_DB" = "$fs/leases.db"
lab_start_daemon "$MTDHCPD"

# round ID MAC_BASE: 40 DORAs at 20/s from clients whose MACs share MAC_BASE's first four
# octets, relayed from $GIADDR, captured on the relay's link into $NETLAB_DIR/cap-ID.pcap.
round() {
	netlab_capture "cap-$1" pd pd0 udp port 67 || return 1
	netlab_start "perf-$1" pd perfdhcp -4 -l "$GIADDR" -r 20 -R 60000 -b "mac=$2" -n 40 \
		-W 2000000 "$SERVER" || return 1
	netlab_wait_exit "perf-$1" 30 >/dev/null || true
	netlab_capture_stop "cap-$1" >/dev/null
}
count() {
	"$ITEST_PY" "$ITEST_DIR/leases2_pcap.py" count "$1" "$NETLAB_DIR/cap-$2.pcap"
}
# stats: the daemon's counters (mtdhcpctl stats --json), when mtdhcpctl was given.
stat_value() {
	"$MTDHCPCTL" -c "$LAB_SERVICE" stats --json | "$ITEST_PY" -c "
import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1], {}, {'d': d}))" "$1"
}

round one 00:0c:01:00:00:00
acks=$(count ACK one)
itest_check "round one is served while there is space ($acks ACKs)" test "$acks" -gt 20

# Fill the file system to the last block.
dd if=/dev/zero of="$fs/filler" bs=64k status=none 2>/dev/null || true
dd if=/dev/zero of="$fs/filler-tail" bs=4k status=none 2>/dev/null || true
itest_check "the tmpfs is full" test "$(df --output=avail -k "$fs" | tail -n 1 | tr -d ' ')" = 0
round two 00:0c:02:00:00:00
offers=$(count OFFER two)
requests=$(count REQUEST two)
acks=$(count ACK two)
itest_check "round two: OFFERs need no disk ($offers OFFERs)" test "$offers" -gt 20
itest_check "round two: $requests REQUESTs, not one ACK while the disk is full (got $acks)" \
	test "$requests" -gt 20 -a "$acks" = 0
itest_check "the daemon is still running" netlab_running mtdhcpd
itest_check "the daemon says in one line that the disk is full" \
	netlab_log_has mtdhcpd "lease database .*: writing [0-9]+ lease changes failed: the disk is full"
grep -m 1 "the disk is full" "$(netlab_log mtdhcpd)" | sed 's/^/    /'
lines=$(grep -c "lease changes failed" "$(netlab_log mtdhcpd)" || true)
itest_check "the failures are logged at a limited rate ($lines lines for $requests REQUESTs)" \
	test "$lines" -lt "$requests"
if [ -n "$MTDHCPCTL" ]; then
	failed=$(stat_value "d['lease_store']['failed']")
	itest_check "the lease store counts the failed changes ($failed)" test "$failed" -ge "$requests"
	dropped=$(stat_value "[t for t in d['tenants'] if t['name'] == 'full'][0]['counters']['drop_commit_failed']")
	itest_check "tenant full counts the REQUESTs left without ACK ($dropped)" \
		test "$dropped" -ge "$requests"
fi

# Space again: nothing else is done; the next commits just work.
rm -f "$fs/filler" "$fs/filler-tail"
round three 00:0c:03:00:00:00
acks=$(count ACK three)
itest_check "round three is served again once there is space ($acks ACKs)" test "$acks" -gt 20
itest_check "the daemon says that writes work again" \
	netlab_log_has mtdhcpd "writes succeed again after [1-9][0-9]* failed lease changes"
grep -m 1 "writes succeed again" "$(netlab_log mtdhcpd)" | sed 's/^/    /'
itest_check "every DHCPACK of the three rounds has its row" \
	"$ITEST_PY" "$ITEST_DIR/leases2_pcap.py" rows --db "$LAB_DB" --tenant full \
	"$NETLAB_DIR/cap-one.pcap" "$NETLAB_DIR/cap-two.pcap" "$NETLAB_DIR/cap-three.pcap"
itest_daemon_stops_cleanly
