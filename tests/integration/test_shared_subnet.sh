#!/usr/bin/env bash
# shared_subnet: acme (relayed) and globex (VLAN 100) both use 192.168.1.0/24. With all four
# clients at once, `mtdhcpctl leases --json` lists exactly one lease per client, in the
# client's own tenant, with the address the client got, and 192.168.1.100 (the first
# address of both pools) is leased in both tenants at the same time.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL MTDHCP_TAGGER
itest_start

lab_build_default
lab_install_conf "$ITEST_SRC/demo"
lab_start_daemon "$MTDHCPD"
lab_start_relays
lab_start_taggers "$MTDHCP_TAGGER"

itest_clients a1:dhclient:a1 a2:udhcpc:a2 g1:dhclient:g1 g2:udhcpc:g2

json="$NETLAB_DIR/leases.json"
itest_check "mtdhcpctl leases --json runs" itest_leases_json "$json"
args=()
for c in a1 a2 g1 g2; do
	case $c in a*) t=acme ;; g*) t=globex ;; esac
	args+=(--lease "$t,$(lab_mac $c),$(netlab_client_value $c ip)")
done
itest_check "one lease per client in its own tenant; 192.168.1.100 leased in both tenants" \
	"$ITEST_PY" "$ITEST_DIR/check_leases.py" "$json" "${args[@]}" \
	--shared 192.168.1.100 --tenants acme,globex
itest_check "mtdhcpctl leases --tenant globex --json runs" \
	itest_leases_json "$json.globex" --tenant globex
itest_check "--tenant globex lists g1 and g2 and nothing else" \
	"$ITEST_PY" "$ITEST_DIR/check_leases.py" "$json.globex" --only globex \
	--lease "globex,$(lab_mac g1),$(netlab_client_value g1 ip)" \
	--lease "globex,$(lab_mac g2),$(netlab_client_value g2 ip)"
itest_daemon_stops_cleanly
