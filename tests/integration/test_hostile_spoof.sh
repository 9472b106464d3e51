#!/usr/bin/env bash
# hostile_spoof: forged DHCPRELEASE and DHCPDECLINE for other clients' leases (issue 8).
# Two real clients of tenant "lan" (udhcpc, which sends a client identifier, and dhclient,
# which does not) get leases; an attacker on the same link then forges, for each of them:
# a RELEASE and a DECLINE of the victim's address from its own MAC; the same from the
# victim's MAC without the victim's client identifier; a RELEASE as the victim naming
# another server; and, on VLAN 200, where tenant "other" serves the same 10.0.1.0/24, the
# RELEASE and DECLINE with the victim's very identity (the same MAC in another tenant).
# Every one is ignored (no reply, nothing declined) and counted in the tenant it reached.
# A REQUEST for a victim's address from the attacker gets a NAK. Both leases stay active
# in `mtdhcpctl leases`, and the clients keep their addresses. Last, the attacker takes a
# lease in "other" with the dhclient victim's identity and releases it: released there,
# while the victim's lease in "lan" stays active.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL
itest_start

lab_core
lab_direct_site v1 v2 x1

src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cp "$ITEST_SRC/demo/mtdhcpd.conf" "$src/"
for t in lan:'{ port = "uplink"; }' other:'{ port = "uplink"; vlan = 200; }'; do
	cat >"$src/tenants.d/${t%%:*}.conf" <<EOF
match = { vlans = ( ${t#*:} ); };
server_address = "10.0.1.1";
subnets = ( { subnet = "10.0.1.0/24";
              pools = ( { first = "10.0.1.100"; last = "10.0.1.150"; } ); } );
EOF
done
lab_install_conf "$src"
lab_start_daemon "$MTDHCPD"

itest_clients v1:udhcpc:v1 v2:dhclient:v2
v1_ip=$(netlab_client_value v1 ip)
v2_ip=$(netlab_client_value v2 ip)
json="$NETLAB_DIR/leases.json"
itest_leases_json "$json" --tenant lan
v1_cid=$("$ITEST_PY" -c 'import json, sys
l = [x for x in json.load(open(sys.argv[1])) if x["address"] == sys.argv[2]]
print(l[0]["client_id"] or "")' \
	"$json" "$v1_ip")
itest_check "udhcpc sent a client identifier ($v1_cid), dhclient none" test -n "$v1_cid"

itest_check "forged RELEASEs and DECLINEs are ignored and counted; the leases stay active" \
	netlab_exec x1 "$ITEST_PY" "$ITEST_DIR/hostile_spoof.py" eth0 --ctl "$MTDHCPCTL" \
	--service "$LAB_SERVICE" --server-mac "$LAB_SVC_MAC" --tenant lan \
	--victim "$(lab_mac v2)=$v2_ip" --victim "$(lab_mac v1)=$v1_ip=$v1_cid" \
	--other other --other-vlan 200

# The clients themselves still have their addresses: a new DORA gets each the same one.
itest_clients v1:udhcpc:v1
itest_check "v1 gets its address $v1_ip again (got $(netlab_client_value v1 ip))" \
	test "$(netlab_client_value v1 ip)" = "$v1_ip"
itest_leases_json "$json" --tenant lan --state active
itest_check "both victims' leases are active in lan" \
	"$ITEST_PY" "$ITEST_DIR/check_leases.py" "$json" --lease "lan,$(lab_mac v1),$v1_ip" \
	--lease "lan,$(lab_mac v2),$v2_ip"
itest_daemon_stops_cleanly
