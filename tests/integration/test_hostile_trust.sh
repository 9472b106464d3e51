#!/usr/bin/env bash
# hostile_trust: relay information where no relay is (issue 8, docs/classification.md
# "Trust"). Tenant "victim" is chosen by a circuit-id, a VSS VPN name and a relay address;
# "lan100" claims VLAN 100; "fallback" is the default tenant; VLAN 200 is nobody's. A host on
# the L2 network sends DISCOVERs that carry the victim's keys (giaddr, option 82 with
# circuit-id and VSS, option 221) from places that are not relay links: VLAN 100, VLAN 200,
# a client's own option 82 on the untagged link, a client's option 221 behind an unknown
# relay. Three runs of the same cases, the port's settings changed by a reload between them:
#   1. defaults (untrusted_relay = "ignore"): each is served by the tenant of its link (or
#      the default tenant), never by "victim", and counted as relay_info_ignored; only the
#      real relayed request, from 10.0.1.3 on the untagged relay link, reaches "victim";
#   2. untrusted_relay = "drop": the same requests off relay links are dropped and counted
#      (untrusted_relay), with no reply; the relay link still works;
#   3. relays = false: the port has no relay link at all, so the relayed request is dropped
#      as well.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL
itest_start

lab_core
lab_direct_site x1

src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cat >"$src/mtdhcpd.conf" <<'EOF'
dataplane = {
  eal = [ "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf" ];
  ports = ( { name = "uplink"; device = "net_af_packet0,iface=svc0"; address = "10.0.1.1/24";
              # PORT-POLICY
            } );
  idle_sleep_max_usec = 1000;
};
lease_db = { path = "leases.db"; };
log_level = "info";
tenants_dir = "tenants.d";
default_tenant = "fallback";
EOF
cat >"$src/tenants.d/victim.conf" <<'EOF'
match = { circuit_ids = [ "victim-circuit" ]; vss = [ "victim-vpn" ];
          relays = [ "10.0.1.3" ]; };
subnets = ( { subnet = "10.50.0.0/24";
              pools = ( { first = "10.50.0.100"; last = "10.50.0.150"; } ); } );
EOF
cat >"$src/tenants.d/lan100.conf" <<'EOF'
match = { vlans = ( { port = "uplink"; vlan = 100; } ); };
server_address = "10.100.0.1";
subnets = ( { subnet = "10.100.0.0/24";
              pools = ( { first = "10.100.0.100"; last = "10.100.0.150"; } ); } );
EOF
cat >"$src/tenants.d/fallback.conf" <<'EOF'
subnets = ( { subnet = "10.60.0.0/24";
              pools = ( { first = "10.60.0.100"; last = "10.60.0.150"; } ); } );
EOF
lab_install_conf "$src"
lab_start_daemon "$MTDHCPD"

trust() {
	netlab_exec x1 "$ITEST_PY" "$ITEST_DIR/hostile_trust.py" eth0 --ctl "$MTDHCPCTL" \
		--service "$LAB_SERVICE" --server-mac "$LAB_SVC_MAC" --phase "$1"
}
# policy SETTINGS: the port's relay settings become SETTINGS, applied by a reload.
policy() {
	sed -i "s/^\( *\)\(# PORT-POLICY\|relays = .*\|untrusted_relay = .*\)$/\1$1/" "$LAB_SERVICE"
	grep -qF "$1" "$LAB_SERVICE" || { echo "the port's settings did not change" >&2; return 1; }
	"$MTDHCPCTL" -c "$LAB_SERVICE" reload >"$NETLAB_DIR/reload.out" 2>&1 ||
		{ cat "$NETLAB_DIR/reload.out" >&2; return 1; }
}

itest_check "defaults: relay information off relay links is ignored, never chooses victim" \
	trust ignore
itest_check "reload with untrusted_relay = \"drop\"" policy 'untrusted_relay = "drop";'
itest_check "untrusted_relay = drop: those requests are dropped and counted" trust drop
itest_check "reload with relays = false" policy 'relays = false; untrusted_relay = "drop";'
itest_check "relays = false: even the relay's request is untrusted, dropped and counted" \
	trust norelay
itest_check "victim received exactly the real relay's two DISCOVERs, nothing else" \
	"$ITEST_PY" -c 'import json, subprocess, sys
s = json.loads(subprocess.run(sys.argv[1:], check=True, capture_output=True).stdout)
c = [t for t in s["tenants"] if t["name"] == "victim"][0]["counters"]
print("    victim: rx_discover %d, tx_offer %d" % (c["rx_discover"], c["tx_offer"]))
sys.exit(0 if c["rx_discover"] == 2 and c["tx_offer"] == 2 else 1)' \
	"$MTDHCPCTL" -c "$LAB_SERVICE" stats --json
itest_daemon_stops_cleanly
