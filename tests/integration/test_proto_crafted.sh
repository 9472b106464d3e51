#!/usr/bin/env bash
# proto_crafted: crafted frames (scapy, proto_frames.py) for what real clients do not send:
# option overload when a reply would not fit the client's option 57 and option 57 itself
# (RFC 2131 4.1, RFC 2132 9.3 and 9.10), hlen > 16 (dropped), a REQUEST naming another
# server (RFC 2131 4.3.2: silence), rapid commit (RFC 4039), and a relay that listens on
# another UDP port (RFC 8357 sub-option 19).
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start

lab_core
lab_direct_site x1
netlab_addr x1 eth0 10.0.1.9/24
hex() { "$ITEST_PY" -c "import sys; print(':'.join(['%02x' % (i % 251 + 1) for i in range(int(sys.argv[1]))]))" "$1"; }
cat >"$NETLAB_DIR/lan.conf" <<CONF
name = "lan";
match = { vlans = ( { port = "uplink"; } ); };
server_address = "10.0.1.1";
rapid_commit = true;
subnets = ( {
  subnet = "10.0.1.0/24";
  options = { routers = [ "10.0.1.1" ]; domain-name = "lan.example";
              option-224 = "$(hex 200)"; option-225 = "$(hex 100)"; option-226 = "$(hex 200)"; };
  pools = ( { first = "10.0.1.100"; last = "10.0.1.150"; } );
} );
CONF
cat >"$NETLAB_DIR/far.conf" <<'CONF'
name = "far";
match = { relays = [ "10.0.1.9" ]; };
subnets = ( { subnet = "10.0.9.0/24"; pools = ( { first = "10.0.9.100"; last = "10.0.9.150"; } ); } );
CONF
lab_proto_conf "$NETLAB_DIR/src" "$NETLAB_DIR/lan.conf" "$NETLAB_DIR/far.conf"
lab_install_conf "$NETLAB_DIR/src"
lab_start_daemon "$MTDHCPD"

frames() { netlab_exec x1 "$ITEST_PY" "$ITEST_DIR/proto_frames.py" eth0 "$@"; }
itest_check "57 = 576: within 548 octets, overloaded into file, least wanted option left out" \
	frames overload
itest_check "57 = 1500: every option in the options field, no overload" frames maxmsg
itest_check "hlen 17 is dropped" frames hlen
itest_check "a REQUEST naming another server gets no reply" frames serverid
itest_check "rapid commit: DISCOVER with 80 gets an ACK with 80" frames rapid
itest_check "RFC 8357: the reply goes to the relay's source port" frames relayport \
	--relay-ip 10.0.1.9 --server-mac "$LAB_SVC_MAC"
itest_daemon_stops_cleanly
