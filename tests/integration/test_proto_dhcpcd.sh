#!/usr/bin/env bash
# proto_dhcpcd: dhcpcd on a directly attached link. Its client identifier is the RFC 4361
# form (0xff, IAID, DUID), stored with its lease and echoed (RFC 6842). A third host
# already holds the first pool address: dhcpcd's ARP probe finds it, dhcpcd DECLINEs it
# (RFC 2131 4.3.3), the address is quarantined (state declined in the database, never
# offered again) and dhcpcd gets the next one. `dhcpcd -s` sends a DHCPINFORM and gets
# an ACK with the options, no lease time and no yiaddr, unicast to it (RFC 2131 4.3.5).
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start

lab_core
lab_direct_site c1 h1 i1
netlab_addr h1 eth0 10.0.1.100/24
cat >"$NETLAB_DIR/lan.conf" <<'CONF'
name = "lan";
match = { vlans = ( { port = "uplink"; } ); };
server_address = "10.0.1.1";
decline_time = 3600;
subnets = ( {
  subnet = "10.0.1.0/24";
  options = { routers = [ "10.0.1.1" ]; domain-name = "lan.example";
              domain-name-servers = [ "10.0.1.53" ]; };
  pools = ( { first = "10.0.1.100"; last = "10.0.1.150"; } );
} );
CONF
lab_proto_conf "$NETLAB_DIR/src" "$NETLAB_DIR/lan.conf"
lab_install_conf "$NETLAB_DIR/src"
lab_start_daemon "$MTDHCPD"
netlab_capture cap-c1 sw c1 udp port 67 or udp port 68
netlab_capture cap-i1 sw i1 udp port 67 or udp port 68

# dhcpcd keeps its DUID and state in /var/lib/dhcpcd and /run/dhcpcd: private ones.
dhcpcd_in() {
	local host=$1
	shift
	netlab_exec "$host" unshare -m sh -c 'mount -t tmpfs none /var/lib/dhcpcd 2>/dev/null ||
		{ mkdir -p /var/lib/dhcpcd && mount -t tmpfs none /var/lib/dhcpcd; }
		mkdir -p /run/dhcpcd && mount -t tmpfs none /run/dhcpcd && exec dhcpcd "$@"' \
		dhcpcd "$@"
}
addr_of() { netlab_exec "$1" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -n 1; }

dhcpcd_in c1 -4 -1 -t 30 -c /bin/true eth0 >"$(netlab_log c1)" 2>&1 &
client=$!
itest_check "c1 (dhcpcd) gets a lease after declining the address in use" wait "$client"
ip=$(addr_of c1)
itest_check "c1's address $ip is in the pool and not 10.0.1.100" \
	bash -c "[ '$ip' != 10.0.1.100 ] && [ -n '$ip' ]"
itest_check "10.0.1.100 is declined in the database" \
	test "$(lab_db_lease "$LAB_DB" lan 10.0.1.100)" = declined
itest_check "the daemon logged the decline" netlab_log_has mtdhcpd "10.0.1.100 was declined"
itest_check "c1's lease is stored with its RFC 4361 client identifier (0xff, IAID, DUID)" \
	"$ITEST_PY" - "$LAB_DB" "$ip" <<'PY'
import sqlite3, socket, struct, sys
db, ip = sys.argv[1:3]
a = struct.unpack("!I", socket.inet_aton(ip))[0]
c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
cid = c.execute("SELECT client_id FROM leases WHERE address = ?", (a,)).fetchone()[0]
sys.exit(0 if cid and cid[0] == 0xFF and len(cid) > 9 else "client_id %r" % cid)
PY
pcap=$(netlab_capture_stop cap-c1)
itest_check "the DECLINE named 10.0.1.100 and no later OFFER did" \
	"$ITEST_PY" "$ITEST_DIR/proto_pcap.py" decline "$pcap" --ip 10.0.1.100

# INFORM: an address of its own, options from the server.
dhcpcd_in i1 -4 -1 -t 10 -s 10.0.1.60/24 -c /bin/true eth0 >"$(netlab_log i1)" 2>&1 || true
pcap=$(netlab_capture_stop cap-i1)
itest_check "the INFORM got an ACK unicast to 10.0.1.60, without lease time or yiaddr" \
	"$ITEST_PY" "$ITEST_DIR/proto_pcap.py" inform "$pcap" --ip 10.0.1.60
itest_daemon_stops_cleanly
