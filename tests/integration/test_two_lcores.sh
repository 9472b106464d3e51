#!/usr/bin/env bash
# two_lcores: the daemon on two lcores (EAL -l 0,1) and a port with two queue pairs
# (net_af_packet qpairs=2). Four tenants, owned by both lcores (owner = database id modulo
# the lcore count, docs/performance.md):
#
#   acme     behind dhcrelay (giaddr 192.168.1.1), clients a1 a2
#   globex   VLAN 100 (the userspace tagger), clients g1 g2
#   initech  VLAN 200, clients i1 i2
#   hooli    behind another dhcrelay (giaddr 192.168.4.1), clients h1 h2
#
# Checks: every real client (dhclient, udhcpc) gets a lease in its own tenant, whichever
# lcore received its frames; `mtdhcpctl stats` lists both lcores with the tenants each owns,
# and their frames, engine messages and cycles move with the clients' traffic, as do the
# frames handed from one to the other; `mtdhcpctl release` reaches the engine of the tenant's owner
# for tenants of both lcores; a reload that changes a tenant of each lcore is served by the
# new version (a client sees the new router); the shutdown log shows both lcores serving
# messages and frames handed from one lcore to the other.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL MTDHCP_TAGGER
itest_start

ctl() { "$MTDHCPCTL" -c "$LAB_SERVICE" "$@"; }

# --- the configuration ---
src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cat >"$src/mtdhcpd.conf" <<'EOF'
dataplane = {
  eal = [ "-l", "0,1", "--no-huge", "-m", "256", "--no-pci", "--no-shconf" ];
  ports = ( { name = "uplink"; device = "net_af_packet0,iface=svc0,qpairs=2";
              address = "10.0.1.1/24"; } );
  idle_sleep_max_usec = 1000;
};
lease_db = { path = "leases.db"; };
log_level = "info";
tenants_dir = "tenants.d";
defaults = { lease_time = 600; authoritative = true;
             options = { domain-name-servers = [ "10.0.0.53" ]; }; };
EOF
# tenant_conf NAME ROUTER: writes NAME's tenant file with ROUTER as its router option.
tenant_conf() {
	local f="$src/tenants.d/$1.conf"
	case $1 in
	acme)
		cat >"$f" <<EOF
match = { relays = [ "192.168.1.1" ]; };
options = { routers = [ "$2" ]; };
subnets = ( { subnet = "192.168.1.0/24";
              pools = ( { first = "192.168.1.100"; last = "192.168.1.199"; } ); } );
EOF
		;;
	globex)
		cat >"$f" <<EOF
match = { vlans = ( { port = "uplink"; vlan = 100; } ); };
server_address = "192.168.2.1";
options = { routers = [ "$2" ]; };
subnets = ( { subnet = "192.168.2.0/24";
              pools = ( { first = "192.168.2.100"; last = "192.168.2.199"; } ); } );
EOF
		;;
	initech)
		cat >"$f" <<EOF
match = { vlans = ( { port = "uplink"; vlan = 200; } ); };
server_address = "192.168.3.1";
options = { routers = [ "$2" ]; };
subnets = ( { subnet = "192.168.3.0/24";
              pools = ( { first = "192.168.3.100"; last = "192.168.3.199"; } ); } );
EOF
		;;
	hooli)
		cat >"$f" <<EOF
match = { relays = [ "192.168.4.1" ]; };
options = { routers = [ "$2" ]; };
subnets = ( { subnet = "192.168.4.0/24";
              pools = ( { first = "192.168.4.100"; last = "192.168.4.199"; } ); } );
EOF
		;;
	esac
}
tenant_conf acme 192.168.1.1
tenant_conf globex 192.168.2.1
tenant_conf initech 192.168.3.1
tenant_conf hooli 192.168.4.1

# --- the lab ---
lab_core
lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1 a2
lab_vlan_site gsw g1=8100:100 g2=8100:100
lab_vlan_site isw i1=8100:200 i2=8100:200
lab_relay_site hr 10.0.1.3/24 192.168.4.1/24 10.0.1.1 h1 h2
lab_install_conf "$src"
lab_start_daemon "$MTDHCPD"
lab_start_relays
lab_start_taggers "$MTDHCP_TAGGER"
log=$(netlab_log mtdhcpd)
itest_check "the daemon runs two lcores" grep -q "dataplane: 2 lcores running" "$log"
itest_check "the port has two queue pairs (qpairs=2)" grep -q "port uplink: started .*2 queue pairs" "$log"

# --- which lcore owns which tenant: database id modulo 2 ---
declare -A owner=()
while IFS='|' read -r name id; do
	owner[$name]=$((id % 2))
done < <("$ITEST_PY" - "$LAB_DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=2)
for name, tid in c.execute("SELECT name, id FROM tenants ORDER BY id"):
    print("%s|%d" % (name, tid))
PY
)
echo "    owners: $(for t in "${!owner[@]}"; do printf '%s=lcore%s ' "$t" "${owner[$t]}"; done)"
itest_check "the four tenants have database ids" test "${#owner[@]}" = 4
itest_check "both lcores own tenants" \
	test "$(printf '%s\n' "${owner[@]}" | sort -u | tr -d '\n')" = 01

# --- the lcores in `mtdhcpctl stats`, before any client ---
# stats_json FILE: `mtdhcpctl stats --json` into FILE.
stats_json() { ctl stats --json >"$1"; }
itest_check "stats --json (before the clients)" stats_json "$NETLAB_DIR/s0.json"
owned0=0
owned1=0
for t in "${!owner[@]}"; do
	if [ "${owner[$t]}" = 0 ]; then owned0=$((owned0 + 1)); else owned1=$((owned1 + 1)); fi
done
itest_check "stats lists lcores 0 and 1 (EAL 0 and 1), owning $owned0 and $owned1 tenants" \
	"$ITEST_PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
l = d["lcores"]
sys.exit(0 if [(x["index"], x["lcore_id"], x["tenants"]) for x in l] ==
         [(0, 0, int(sys.argv[2])), (1, 1, int(sys.argv[3]))] else 1)' \
	"$NETLAB_DIR/s0.json" "$owned0" "$owned1"

# --- real clients in every tenant ---
itest_clients a1:dhclient:a1 a2:udhcpc:a2 g1:dhclient:g1 g2:udhcpc:g2 i1:dhclient:i1 \
	i2:udhcpc:i2 h1:dhclient:h1 h2:udhcpc:h2
json="$NETLAB_DIR/leases.json"
itest_check "mtdhcpctl leases --json runs" itest_leases_json "$json"
args=()
for c in a1 a2 g1 g2 i1 i2 h1 h2; do
	case $c in a*) t=acme ;; g*) t=globex ;; i*) t=initech ;; h*) t=hooli ;; esac
	args+=(--lease "$t,$(lab_mac $c),$(netlab_client_value $c ip)")
done
itest_check "one lease per client, each in its own tenant" \
	"$ITEST_PY" "$ITEST_DIR/check_leases.py" "$json" "${args[@]}"

# --- the lcores' numbers moved: both served, and frames crossed between them ---
itest_check "stats --json (after the clients)" stats_json "$NETLAB_DIR/s1.json"
lcores_moved() {
	"$ITEST_PY" - "$NETLAB_DIR/s0.json" "$NETLAB_DIR/s1.json" <<'EOF'
import json, sys
a, b = (json.load(open(p))["lcores"] for p in sys.argv[1:3])
ok = len(a) == len(b) == 2
for x, y in zip(a, b):
    print("    lcore %d: frames %d -> %d, engine %d -> %d, handoff out %d in %d full %d, "
          "busy %.1f %%, %.0f cycles/frame"
          % (y["index"], x["frames"], y["frames"], x["stages"]["engine"]["items"],
             y["stages"]["engine"]["items"], y["handoff_out"], y["handoff_in"],
             y["handoff_full"], y["busy_percent"], y["cycles_per_frame"]))
    ok = ok and y["tsc_hz"] > 0 and y["frames"] > x["frames"]
    ok = ok and y["stages"]["engine"]["items"] > x["stages"]["engine"]["items"]
    ok = ok and y["stages"]["engine"]["cycles"] > x["stages"]["engine"]["cycles"]
    ok = ok and y["busy_cycles"] > x["busy_cycles"] and 0 <= y["busy_percent"] <= 100
    ok = ok and y["handoff_full"] == 0
# What one lcore handed out, the other took in.
out = sum(y["handoff_out"] - x["handoff_out"] for x, y in zip(a, b))
inn = sum(y["handoff_in"] - x["handoff_in"] for x, y in zip(a, b))
print("    handed over: %d out, %d in" % (out, inn))
ok = ok and out > 0 and out == inn
sys.exit(0 if ok else 1)
EOF
}
itest_check "both lcores' frames and engines moved; frames crossed, none lost" lcores_moved
ctl stats >"$NETLAB_DIR/stats.txt" || itest_fail "mtdhcpctl stats failed"
sed -n '/^INDEX/,$p' "$NETLAB_DIR/stats.txt" | sed 's/^/    /'
itest_check "stats (table): a row per lcore, with its tenants, frames and hand-offs" \
	test "$(grep -cE "^[01] +[01] +[0-9]+ +[1-9][0-9]* +[0-9.]+% +[0-9]+ +[0-9]+ +0 +[0-9]+$" \
		"$NETLAB_DIR/stats.txt")" = 2
itest_check "  and a row of cycles per frame by stage per lcore" \
	test "$(sed -n '/^TSC cycles per frame/,/^$/p' "$NETLAB_DIR/stats.txt" |
		grep -cE "^[01]( +[0-9]+){8}$")" = 2

# --- release through the owner's engine, for a tenant of each lcore ---
for t in acme globex initech hooli; do
	case $t in acme) c=a1 ;; globex) c=g1 ;; initech) c=i1 ;; hooli) c=h1 ;; esac
	ip=$(netlab_client_value $c ip)
	itest_check "release $t $ip (lcore ${owner[$t]})" ctl release "$t" "$ip"
	itest_check "  $t $ip is released in the database" \
		test "$(lab_db_lease "$LAB_DB" "$t" "$ip")" = released
done

# --- a reload that changes one tenant of each lcore ---
lcore0=""
lcore1=""
for t in acme globex initech hooli; do
	if [ "${owner[$t]}" = 0 ] && [ -z "$lcore0" ]; then lcore0=$t; fi
	if [ "${owner[$t]}" = 1 ] && [ -z "$lcore1" ]; then lcore1=$t; fi
done
declare -A newrouter=([acme]=192.168.1.2 [globex]=192.168.2.2 [initech]=192.168.3.2
	[hooli]=192.168.4.2)
for t in "$lcore0" "$lcore1"; do
	tenant_conf "$t" "${newrouter[$t]}"
	cp "$src/tenants.d/$t.conf" "$LAB_CONF_DIR/tenants.d/$t.conf"
done
itest_check "reload with $lcore0 (lcore 0) and $lcore1 (lcore 1) changed" ctl reload
for t in "$lcore0" "$lcore1"; do
	case $t in acme) c=a2 ;; globex) c=g2 ;; initech) c=i2 ;; hooli) c=h2 ;; esac
	itest_clients "$c:udhcpc:$c"
	itest_check "$c ($t, lcore ${owner[$t]}) is told the reloaded router ${newrouter[$t]}" \
		test "$(netlab_client_value $c router)" = "${newrouter[$t]}"
done

# --- both lcores served, and frames crossed between them ---
itest_daemon_stops_cleanly
for i in 0 1; do
	line=$(grep -E "lcore [0-9]+ \(index $i\):" "$log" | tail -n 1)
	echo "    $line"
	served=$(sed -n 's/.* engine=[0-9]*\/\([0-9]*\).*/\1/p' <<<"$line")
	itest_check "lcore index $i served DHCP messages ($served)" test "${served:-0}" -gt 0
done
handed=$(grep -E "lcore [0-9]+ \(index [01]\):" "$log" |
	sed -n 's/.*handoff out \([0-9]*\) in.*/\1/p' | awk '{s += $1} END {print s + 0}')
itest_check "frames were handed to the owning lcore ($handed)" test "$handed" -gt 0
itest_check "no frame was lost to a full hand-off ring" \
	test -z "$(grep -E "lcore [0-9]+ \(index [01]\):" "$log" | grep -v 'full 0,')"
