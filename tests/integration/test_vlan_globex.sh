#!/usr/bin/env bash
# vlan_globex: on globex's VLAN 100, dhclient (BROADCAST flag 0) and udhcpc -B (flag 1) get
# addresses in globex's pool, and the server delivers OFFER/ACK as RFC 2131 section 4.1
# says: flag 0 -> IP yiaddr and Ethernet chaddr, flag 1 -> 255.255.255.255 and
# ff:ff:ff:ff:ff:ff. Every reply comes from 192.168.1.254 with option 54 = 192.168.1.254,
# carries VLAN 100 on the trunk, and arrives untagged at the client's access port.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCP_TAGGER
itest_start

lab_core
lab_vlan_site gsw g1=8100:100 g2=8100:100
lab_install_conf "$ITEST_SRC/demo"
lab_start_daemon "$MTDHCPD"
lab_start_taggers "$MTDHCP_TAGGER"
# The trunk, and each client's access port, seen from the switch.
netlab_capture cap-trunk gsw trunk
netlab_capture cap-g1 gsw g1
netlab_capture cap-g2 gsw g2

itest_clients g1:dhclient:g1 g2:udhcpc:g2:-B
for c in g1 g2; do
	itest_check "$c's address $(netlab_client_value $c ip) is in globex's pool" \
		itest_in_pool "$(netlab_client_value $c ip)" 192.168.1.100 192.168.1.199
	itest_check "$c's router is 192.168.1.254" \
		test "$(netlab_client_value $c router)" = 192.168.1.254
	itest_check "$c's server identifier is 192.168.1.254" \
		test "$(netlab_client_value $c server_id)" = 192.168.1.254
done

check() { "$ITEST_PY" "$ITEST_DIR/dhcp_pcap.py" vlan "$@" --server-id 192.168.1.254; }
pcap=$(netlab_capture_stop cap-trunk)
itest_check "on the trunk: VLAN 100, RFC 2131 4.1 addressing, flags 0 and 1 seen" \
	check "$pcap" --vlan 100 --clients 2 --flags 0,1
pcap=$(netlab_capture_stop cap-g1)
itest_check "at g1's access port: untagged, unicast to yiaddr/chaddr (flag 0)" \
	check "$pcap" --untagged --clients 1 --chaddr "$(lab_mac g1)" --flags 0
pcap=$(netlab_capture_stop cap-g2)
itest_check "at g2's access port: untagged, broadcast (flag 1)" \
	check "$pcap" --untagged --clients 1 --chaddr "$(lab_mac g2)" --flags 1
itest_daemon_stops_cleanly
