#!/usr/bin/env bash
# proto_relay: ISC dhcrelay in both its modes. `dhcrelay -a` adds option 82 with the
# Circuit-ID of the client's interface ("ar-br"), which a circuit-id reservation turns
# into the reserved address; the server answers giaddr:67 with option 82 echoed unchanged
# (RFC 3046 2.2). `dhcrelay -a -U` sets giaddr to its upstream address and names the
# client's link with the link-selection sub-option (RFC 3527): the tenant's subnet for
# that link is chosen, though giaddr is in none of its subnets.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start

lab_core
lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1
lab_relay_site rb 10.0.1.3/24 192.168.5.1/24 10.0.1.1 b1
cat >"$NETLAB_DIR/acme.conf" <<'CONF'
name = "acme";
match = { relays = [ "192.168.1.1" ]; };
subnets = ( { subnet = "192.168.1.0/24"; options = { routers = [ "192.168.1.1" ]; };
  pools = ( { first = "192.168.1.100"; last = "192.168.1.199"; } );
  reservations = ( { circuit-id = "ar-br"; address = "192.168.1.51"; } ); } );
CONF
cat >"$NETLAB_DIR/bravo.conf" <<'CONF'
name = "bravo";
match = { relays = [ "10.0.1.3", "192.168.5.1" ]; };
# Two subnets: giaddr (10.0.1.3) names neither, so only link selection can choose.
subnets = (
  { subnet = "172.20.0.0/24"; pools = ( { first = "172.20.0.100"; last = "172.20.0.150"; } ); },
  { subnet = "192.168.5.0/24"; options = { routers = [ "192.168.5.1" ]; };
    pools = ( { first = "192.168.5.100"; last = "192.168.5.150"; } ); }
);
CONF
lab_proto_conf "$NETLAB_DIR/src" "$NETLAB_DIR/acme.conf" "$NETLAB_DIR/bravo.conf"
lab_install_conf "$NETLAB_DIR/src"
lab_start_daemon "$MTDHCPD"
netlab_dhcrelay relay-ar ar ar-br ar-up 10.0.1.1
# -U: giaddr is br-up's address, the link goes in sub-option 5; no -iu (see the captures
# README: dhcrelay 4.4.3 crashes with both).
netlab_start relay-rb rb dhcrelay -4 -d --no-pid -a -U rb-up -id rb-br 10.0.1.1
netlab_wait 5 "dhcrelay -U to start" netlab_log_has relay-rb "^Sending on +Socket/fallback"
netlab_capture cap-ar ar ar-up udp port 67 or udp port 68

itest_clients a1:dhclient:a1 b1:dhclient:b1
itest_check "a1 got its circuit-id reservation 192.168.1.51" \
	test "$(netlab_client_value a1 ip)" = 192.168.1.51
itest_check "a1's lease is in acme's database with its circuit-id" \
	test "$(lab_db_lease "$LAB_DB" acme 192.168.1.51)" = active
pcap=$(netlab_capture_stop cap-ar)
itest_check "replies to dhcrelay -a go to giaddr:67 with option 82 echoed" \
	"$ITEST_PY" "$ITEST_DIR/dhcp_pcap.py" relay "$pcap" --server 10.0.1.1 \
	--relay-src 10.0.1.2 --giaddr 192.168.1.1 --clients 1
ip=$(netlab_client_value b1 ip)
itest_check "b1 behind dhcrelay -U got $ip from the linked subnet 192.168.5.0/24" \
	itest_in_pool "$ip" 192.168.5.100 192.168.5.150
itest_check "b1's router is the one of that subnet" test "$(netlab_client_value b1 router)" = 192.168.5.1
itest_check "b1's lease is bravo's" test "$(lab_db_lease "$LAB_DB" bravo "$ip")" = active
itest_daemon_stops_cleanly
