#!/usr/bin/env bash
# relay_acme: dhclient and udhcpc behind acme's dhcrelay get addresses in acme's pool, and
# every OFFER/ACK the server sends to the relay is what RFC 2131 section 4.1 and RFC 3046
# section 2.2 ask for: IPv4 unicast from 10.0.1.1:67 to giaddr 192.168.1.1:67, carrying the
# relayed request's option 82 unchanged (matched by xid). Captured on the relay's uplink.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start

lab_core
lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1 a2
lab_install_conf "$ITEST_SRC/demo"
lab_start_daemon "$MTDHCPD"
lab_start_relays
netlab_capture cap-up ar ar-up udp port 67 or udp port 68

itest_clients a1:dhclient:a1 a2:udhcpc:a2
for c in a1 a2; do
	itest_check "$c's address $(netlab_client_value $c ip) is in acme's pool" \
		itest_in_pool "$(netlab_client_value $c ip)" 192.168.1.100 192.168.1.199
	itest_check "$c's router is acme's 192.168.1.1" \
		test "$(netlab_client_value $c router)" = 192.168.1.1
done
itest_check "a1 and a2 got different addresses" \
	test "$(netlab_client_value a1 ip)" != "$(netlab_client_value a2 ip)"

pcap=$(netlab_capture_stop cap-up)
itest_check "replies on the relay's uplink are unicast to giaddr with option 82 echoed" \
	"$ITEST_PY" "$ITEST_DIR/dhcp_pcap.py" relay "$pcap" --server 10.0.1.1 \
	--relay-src 10.0.1.2 --giaddr 192.168.1.1 --clients 2
itest_daemon_stops_cleanly
