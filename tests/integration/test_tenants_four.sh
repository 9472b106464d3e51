#!/usr/bin/env bash
# tenants_four: five tenants served at once by one daemon, each found by another kind of key
# (issue 4), three of them in the same 192.168.1.0/24:
#
#   acme      behind dhcrelay -a, matched by option 82 circuit-id "ar-br" (not by giaddr)
#   globex    802.1Q VLAN 100 (the userspace tagger), 192.168.1.0/24 as well
#   initech   QinQ: 802.1ad S-tag 300 (TPID 0x88a8), 802.1Q C-tag 100, 192.168.1.0/24 too
#   umbrella  RFC 6607 VSS: crafted relayed requests with option 82 sub-option 151
#             "umbrella-vpn" (and 152), from relay 10.0.1.3
#   hooli     giaddr 10.0.1.3: the same relay's requests without VSS
#
# Real clients (dhclient, udhcpc) in every site but the VSS one. Checks: every lease's
# tenant, address and pool through `mtdhcpctl leases --json`; 192.168.1.100 leased in
# acme, globex and initech at once; VSS taking precedence over giaddr; a VPN no tenant
# serves is dropped (RFC 6607), counted, and not served from the relay's tenant; the
# client's own option 221 chooses nothing (ports do not trust it by default); replies on
# the QinQ trunk carry the S-tag's TPID 0x88a8 as the request did, which is why the daemon
# runs on DPDK's net_pcap here (lab_use_pmd).
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL MTDHCP_TAGGER
itest_start

check_py() { "$ITEST_PY" "$ITEST_DIR/tenants_check.py" "$@"; }

# --- the configuration ---
src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cat >"$src/mtdhcpd.conf" <<'EOF'
dataplane = {
  eal = [ "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf" ];
  ports = ( { name = "uplink"; device = "net_af_packet0,iface=svc0"; address = "10.0.1.1/24"; } );
  idle_sleep_max_usec = 1000;
};
lease_db = { path = "leases.db"; };
log_level = "info";
tenants_dir = "tenants.d";
defaults = { lease_time = 600; options = { domain-name-servers = [ "10.0.0.53" ]; }; };
EOF
cat >"$src/tenants.d/acme.conf" <<'EOF'
match = { circuit_ids = [ "ar-br" ]; };   # dhcrelay -a: the relay's client interface
options = { routers = [ "192.168.1.1" ]; };
subnets = ( { subnet = "192.168.1.0/24";
              pools = ( { first = "192.168.1.100"; last = "192.168.1.199"; } ); } );
EOF
cat >"$src/tenants.d/globex.conf" <<'EOF'
match = { vlans = ( { port = "uplink"; vlan = 100; } ); };
server_address = "192.168.1.254";
options = { routers = [ "192.168.1.254" ]; };
subnets = ( { subnet = "192.168.1.0/24";
              pools = ( { first = "192.168.1.100"; last = "192.168.1.199"; } ); } );
EOF
cat >"$src/tenants.d/initech.conf" <<'EOF'
match = { vlans = ( { port = "uplink"; vlan = 300; inner_vlan = 100; } ); };
server_address = "192.168.1.254";
options = { routers = [ "192.168.1.254" ]; };
subnets = ( { subnet = "192.168.1.0/24";
              pools = ( { first = "192.168.1.100"; last = "192.168.1.199"; } ); } );
EOF
cat >"$src/tenants.d/umbrella.conf" <<'EOF'
match = { vss = [ "umbrella-vpn" ]; };
subnets = ( { subnet = "10.40.0.0/24";
              pools = ( { first = "10.40.0.100"; last = "10.40.0.199"; } ); } );
EOF
cat >"$src/tenants.d/hooli.conf" <<'EOF'
match = { relays = [ "10.0.1.3" ]; };
subnets = ( { subnet = "10.50.0.0/24";
              pools = ( { first = "10.50.0.100"; last = "10.50.0.199"; } ); } );
EOF

# --- the lab ---
lab_core
lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1 a2
lab_vlan_site gsw g1=8100:100 g2=8100:100
lab_vlan_site isw q1=88a8:300,8100:100 q2=88a8:300,8100:100
# The VSS relay: a host on the L2 network, where tenants_check.py plays the relay agent.
netlab_ns vr
netlab_link vr vr-up sw vr && netlab_bridge_add sw "$LAB_BRIDGE" vr
netlab_addr vr vr-up 10.0.1.3/24

lab_install_conf "$src"
lab_use_pmd pcap
itest_check "mtdhcpd --check accepts the five tenants" \
	"$MTDHCPD" --check -c "$LAB_SERVICE"
lab_start_daemon "$MTDHCPD"
lab_start_relays
lab_start_taggers "$MTDHCP_TAGGER"
netlab_capture cap-qinq isw trunk

# --- real clients in acme, globex and initech ---
itest_clients a1:dhclient:a1 a2:udhcpc:a2 g1:dhclient:g1 g2:udhcpc:g2 q1:dhclient:q1 \
	q2:udhcpc:q2
for c in a1 a2 g1 g2 q1 q2; do
	itest_check "$c's address $(netlab_client_value $c ip) is in the 192.168.1.100-199 pool" \
		itest_in_pool "$(netlab_client_value $c ip)" 192.168.1.100 192.168.1.199
done
itest_check "acme's clients are told acme's router (their tenant's options)" \
	test "$(netlab_client_value a1 router)" = 192.168.1.1
for c in g1 q1; do
	itest_check "$c's server identifier is its tenant's link address 192.168.1.254" \
		test "$(netlab_client_value $c server_id)" = 192.168.1.254
done

# --- VSS and giaddr from the same relay ---
vss_mac=02:00:00:00:40:01
hooli_mac=02:00:00:00:50:01
nobody_mac=02:00:00:00:60:01
opt221_mac=02:00:00:00:70:01
relay() { netlab_exec vr "$ITEST_PY" "$ITEST_DIR/tenants_check.py" relay-dora \
	--server 10.0.1.1 --giaddr 10.0.1.3 "$@"; }
out=$(relay --mac $vss_mac --vss umbrella-vpn) || itest_fail "VSS DORA: $out"
vss_ip=$(sed -n 's/^address \([0-9.]*\) .*/\1/p' <<<"$out")
itest_check "VSS umbrella-vpn (82.151) gets umbrella's pool, not hooli's: $vss_ip" \
	itest_in_pool "$vss_ip" 10.40.0.100 10.40.0.199
out=$(relay --mac $hooli_mac --circuit unknown-circuit) || itest_fail "giaddr DORA: $out"
hooli_ip=$(sed -n 's/^address \([0-9.]*\) .*/\1/p' <<<"$out")
itest_check "the same relay without VSS: hooli by giaddr 10.0.1.3: $hooli_ip" \
	itest_in_pool "$hooli_ip" 10.50.0.100 10.50.0.199
itest_check "VSS naming a VPN no tenant serves is dropped, not served by giaddr's hooli" \
	relay --mac $nobody_mac --vss nobody-vpn --expect-none --timeout 3
out=$(relay --mac $opt221_mac --vss-option umbrella-vpn) || itest_fail "option 221 DORA: $out"
opt221_ip=$(sed -n 's/^address \([0-9.]*\) .*/\1/p' <<<"$out")
itest_check "the client's own option 221 chooses nothing (untrusted): hooli's $opt221_ip" \
	itest_in_pool "$opt221_ip" 10.50.0.100 10.50.0.199

# --- every lease in its tenant ---
json="$NETLAB_DIR/leases.json"
itest_check "mtdhcpctl leases --json runs" itest_leases_json "$json"
args=()
for c in a1 a2 g1 g2 q1 q2; do
	case $c in a*) t=acme ;; g*) t=globex ;; q*) t=initech ;; esac
	args+=(--lease "$t,$(lab_mac $c),$(netlab_client_value $c ip)")
done
args+=(--lease "umbrella,$vss_mac,$vss_ip" --lease "hooli,$hooli_mac,$hooli_ip")
args+=(--lease "hooli,$opt221_mac,$opt221_ip")
itest_check "one lease per client, in its own tenant; 192.168.1.100 in acme, globex, initech" \
	"$ITEST_PY" "$ITEST_DIR/check_leases.py" "$json" "${args[@]}" \
	--shared 192.168.1.100 --tenants acme,globex,initech
itest_check "no lease anywhere for the unknown VPN's client" \
	check_py absent "$json" $nobody_mac

# --- QinQ replies keep the 802.1ad TPID ---
pcap=$(netlab_capture_stop cap-qinq)
itest_check "on initech's trunk every DHCP frame is 88a8:300 then 8100:100, replies too" \
	check_py tags "$pcap" --tags 88a8:300,8100:100 --min 4

itest_daemon_stops_cleanly
itest_check "the dropped VSS request is counted as a request no tenant claims" \
	grep -qE "port uplink: .*no tenant [1-9]" "$(netlab_log mtdhcpd)"
