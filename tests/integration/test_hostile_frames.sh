#!/usr/bin/env bash
# hostile_frames: malformed frames and relay loops (issue 8). A host on the L2 network sends,
# from a raw socket, frames truncated at several lengths, oversized ones (a 9000-octet jumbo
# frame, a DHCP message over the 1500 octets served), IPv4 fragments, bad IPv4 and UDP
# checksums and lengths, three VLAN tags, and well-formed frames carrying broken DHCP
# messages (too short, hlen 17, no cookie, op 2, no option 53, an option past the end), then
# relayed requests with hops 17 and 255 (RFC 1542 4.1.1). Each must be dropped, without a
# reply, and counted under its own reason in `mtdhcpctl stats --json` (the port's drops by
# reason, or the tenant's parse counters); hops 16 is still served. Afterwards the daemon
# still serves a real client (udhcpc).
#
# The links carry jumbo frames (MTU 9000) so that the oversized frames reach the daemon's
# port, and the lab's bridge does not validate IPv4 (lab_core turns bridge netfilter off: a
# switch does not look into frames): the frames must reach the daemon as they were sent.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL
itest_start

lab_core
lab_direct_site x1 x2
for l in "x1 eth0" "sw x1" "sw svc" "svc svc0"; do
	# shellcheck disable=SC2086 # host and interface
	netlab_exec ${l% *} ip link set "${l#* }" mtu 9000
done

# "lan" serves the directly attached clients as the default tenant, so the untagged link
# stays a relay link, where "far" is found by its relay's address 10.0.1.9.
src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cp "$ITEST_SRC/demo/mtdhcpd.conf" "$src/"
echo 'default_tenant = "lan";' >>"$src/mtdhcpd.conf"
cat >"$src/tenants.d/lan.conf" <<'EOF'
server_address = "10.0.1.1";
subnets = ( { subnet = "10.0.1.0/24";
              pools = ( { first = "10.0.1.100"; last = "10.0.1.150"; } ); } );
EOF
lab_tenant_file "$src/tenants.d/far.conf" far 10.0.1.9 10.0.9.0/24 10.0.9.100 10.0.9.150
lab_install_conf "$src"
# net_pcap, not af_packet: DPDK's af_packet PMD joins its socket to a fanout group with the
# kernel's defragmentation flag, so the kernel holds IPv4 fragments for reassembly and the
# daemon never sees one (docs/robustness.md). libpcap hands over every frame as it came.
lab_use_pmd pcap
lab_start_daemon "$MTDHCPD"

itest_check "every malformed frame is dropped and counted under its reason; hops 16 served" \
	netlab_exec x1 "$ITEST_PY" "$ITEST_DIR/hostile_frames.py" eth0 --ctl "$MTDHCPCTL" \
	--service "$LAB_SERVICE" --server-mac "$LAB_SVC_MAC"
itest_check "mtdhcpd is still running" netlab_running mtdhcpd
itest_clients x2:udhcpc:x2
itest_check "a real client afterwards gets lan's address $(netlab_client_value x2 ip)" \
	itest_in_pool "$(netlab_client_value x2 ip)" 10.0.1.100 10.0.1.150
itest_daemon_stops_cleanly
