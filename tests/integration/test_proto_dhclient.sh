#!/usr/bin/env bash
# proto_dhclient: real clients on a directly attached, untagged link, each through its
# whole life cycle (RFC 2131 4.4): ISC dhclient gets a lease (DORA), RENEWs it at T1 by
# unicast, REBINDs it by broadcast at T2 once its unicast path to the server is cut, and
# RELEASEs it; busybox udhcpc gets a lease with its client identifier (option 61, RFC
# 6842) and releases it on exit. The lease database shows each step.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start

lab_core
lab_direct_site d1 d2
cat >"$NETLAB_DIR/lan.conf" <<'CONF'
name = "lan";
match = { vlans = ( { port = "uplink"; } ); };
server_address = "10.0.1.1";
# Short times, so that a renewal (T1) and a rebinding (T2) happen within the test.
lease_time = 20;
min_lease_time = 10;
renew_time = 3;
rebind_time = 7;
subnets = ( {
  subnet = "10.0.1.0/24";
  options = { routers = [ "10.0.1.1" ]; domain-name = "lan.example"; };
  pools = ( { first = "10.0.1.100"; last = "10.0.1.150"; } );
} );
CONF
lab_proto_conf "$NETLAB_DIR/src" "$NETLAB_DIR/lan.conf"
lab_install_conf "$NETLAB_DIR/src"
lab_start_daemon "$MTDHCPD"

# --- dhclient: DORA, RENEWING, REBINDING, RELEASE ---
netlab_capture cap-d1 sw d1 udp port 67 or udp port 68
itest_check "d1 (dhclient) gets a lease" netlab_dhclient d1 d1 eth0
ip1=$(netlab_client_value d1 ip)
itest_check "d1's address $ip1 is in the pool" itest_in_pool "$ip1" 10.0.1.100 10.0.1.150
itest_check "d1's lease time is the tenant's 20 s" test "$(netlab_client_value d1 lease_time)" = 20
itest_check "the lease is active in the database" test "$(lab_db_lease "$LAB_DB" lan "$ip1")" = active
reason() { test "$(netlab_client_value d1 reason)" = "$1"; }
itest_check "d1 renews at T1 (unicast, RENEWING)" netlab_wait 8 "d1 RENEW" reason RENEW
# Cut the client's unicast path to the server: at T2 it broadcasts (REBINDING). dhclient
# runs its script with RENEW for both, so the capture tells them apart.
netlab_exec d1 ip route add blackhole 10.0.1.1/32
rebound() { "$ITEST_PY" "$ITEST_DIR/proto_pcap.py" renew-rebind "$NETLAB_DIR/cap-d1.pcap" \
	--ip "$ip1" --server 10.0.1.1 >/dev/null; }
netlab_wait 20 "d1 to rebind" rebound || true
pcap=$(netlab_capture_stop cap-d1)
itest_check "d1 renewed (unicast) and rebound (broadcast) at T1 and T2, each ACKed" \
	"$ITEST_PY" "$ITEST_DIR/proto_pcap.py" renew-rebind "$pcap" --ip "$ip1" --server 10.0.1.1
itest_check "d1 kept its address through renew and rebind" test "$(netlab_client_value d1 ip)" = "$ip1"
netlab_exec d1 ip route del blackhole 10.0.1.1/32
dir=$(netlab_client_dir d1)
netlab_exec d1 dhclient -4 -r -cf "$dir/dhclient.conf" -sf "$NETLAB_LIB_DIR/dhclient-script" \
	-lf "$dir/dhclient.leases" -pf "$dir/dhclient.pid" eth0 >>"$(netlab_log d1)" 2>&1
released() { test "$(lab_db_lease "$LAB_DB" lan "$1")" = released; }
itest_check "d1's RELEASE marks its lease released" netlab_wait 5 "release of $ip1" released "$ip1"

# --- udhcpc: DORA with option 61, release on exit (-R) ---
udir=$(netlab_client_dir d2)
netlab_start d2 d2 env NETLAB_LEASE="$udir/lease" udhcpc -i eth0 -f -R -t 5 -T 2 \
	-s "$NETLAB_LIB_DIR/udhcpc-script" -x hostname:d2
got() { test -n "$(netlab_client_value d2 ip)"; }
itest_check "d2 (udhcpc) gets a lease" netlab_wait 15 "d2 lease" got
ip2=$(netlab_client_value d2 ip)
itest_check "d2's address $ip2 is in the pool" itest_in_pool "$ip2" 10.0.1.100 10.0.1.150
itest_check "d2's address is not d1's" test "$ip2" != "$ip1"
itest_check "d2's lease is stored with its client identifier (01 + MAC)" \
	"$ITEST_PY" - "$LAB_DB" "$ip2" "$(lab_mac d2)" <<'PY'
import sqlite3, socket, struct, sys
db, ip, mac = sys.argv[1:4]
a = struct.unpack("!I", socket.inet_aton(ip))[0]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
cid = c.execute("SELECT client_id FROM leases WHERE address = ?", (a,)).fetchone()[0]
want = bytes([1]) + bytes.fromhex(mac.replace(":", ""))
sys.exit(0 if cid == want else "client_id %r, want %r" % (cid, want))
PY
netlab_stop d2 TERM 5 || true
itest_check "d2's RELEASE on exit marks its lease released" netlab_wait 5 "release of $ip2" released "$ip2"
itest_daemon_stops_cleanly
