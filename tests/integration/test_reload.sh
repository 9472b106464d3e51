#!/usr/bin/env bash
# reload: live reload (issue 4) while clients renew. Six tenants share 192.168.1.0/24, each
# behind its own relay address. Clients of four of them renew in a loop (a short lease,
# an exchange every few tens of milliseconds) while SIGHUP reloads:
#   1. change one tenant (its pool grows) and add a tenant;
#   2. remove a tenant;
#   3. break a tenant file (a syntax error);
#   4. put the removed tenant back;
#   5. nothing changed;
#   6. the broken file repaired as it was (through `mtdhcpctl reload` when given).
# None of the renewing clients' exchanges may fail: the untouched tenants', the changed
# tenant's (its state is carried over) and the broken file's (it keeps its running
# version). The added tenant serves; the removed one does not, and its lease stays in the
# database with the tenant marked removed; put back, its client gets the same address.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start

SUBNET=192.168.1.0/24
src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cp "$ITEST_SRC/demo/mtdhcpd.conf" "$src/"
# name relay: the tenants and their relay addresses (giaddr).
declare -A RELAY=([keep]=192.168.1.11 [keep2]=192.168.1.12 [change]=192.168.1.13
	[gone]=192.168.1.14 [broken]=192.168.1.15 [added]=192.168.1.16)
tenant() { # tenant NAME [LAST]: writes tenants.d/NAME.conf (pool .100-LAST)
	lab_tenant_file "${TD:-$src/tenants.d}/$1.conf" "$1" "${RELAY[$1]}" "$SUBNET" \
		192.168.1.100 "192.168.1.${2:-199}" "lease_time = 60;"
}
for t in keep keep2 change gone broken; do
	tenant $t
done

lab_core
lab_relay_sim rl 10.0.1.2/24 "${RELAY[@]}"
lab_install_conf "$src"
TD="$LAB_CONF_DIR/tenants.d"
lab_start_daemon "$MTDHCPD"
pid=$(netlab_pid mtdhcpd)
log=$(netlab_log mtdhcpd)

sim() { netlab_exec rl "$ITEST_PY" "$ITEST_DIR/isolate_dhcp.py" "$@"; }
reloads=0
reloads_done() { [ "$(grep -cE 'reload (done|rejected)' "$log")" -ge "$1" ]; }
reload() { # reload WHAT: SIGHUP, then waits for the daemon to say it is done
	reloads=$((reloads + 1))
	kill -HUP "$pid"
	netlab_wait 10 "reload $reloads ($1)" reloads_done "$reloads" ||
		itest_fail "reload $reloads ($1) did not finish"
	echo "    reload $reloads ($1): $(grep -E 'reload (done|rejected)' "$log" | tail -n 1 |
		sed 's/.*reload/reload/')"
}
db_sql() { "$ITEST_PY" -c 'import sqlite3,sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
for r in c.execute(sys.argv[2]): print(*r)' "$LAB_DB" "$1"; }

# A client of the tenant to be removed gets its lease first.
gone_mac=02:43:00:00:00:01
gone_ip=$(sim dora --tenant "gone=${RELAY[gone]}" --mac $gone_mac) ||
	itest_fail "a client of tenant gone got no lease"
echo "    gone's client: $gone_ip"

# The clients that must never see a failed exchange.
netlab_start renew rl "$ITEST_PY" "$ITEST_DIR/isolate_dhcp.py" renew \
	--tenant "keep=${RELAY[keep]}:4" --tenant "keep2=${RELAY[keep2]}:4" \
	--tenant "change=${RELAY[change]}:4" --tenant "broken=${RELAY[broken]}:4" \
	--interval 0.02 --duration 60 --stop "$NETLAB_DIR/stop" --out "$NETLAB_DIR/renew.json"
sleep 2

# 1. A changed tenant and a new one.
tenant change 219
tenant added
reload "change one tenant, add one"
itest_check "the changed tenant's instance was swapped in, state carried" \
	grep -qE 'reload: [0-9]+ tenants kept, 1 changed, 1 added, 0 removed' "$log"
added_ip=$(sim dora --tenant "added=${RELAY[added]}" --mac 02:44:00:00:00:01) || added_ip=""
itest_check "the added tenant serves a client (got '$added_ip')" \
	itest_in_pool "$added_ip" 192.168.1.100 192.168.1.199
sleep 1

# 2. A removed tenant.
rm "$TD/gone.conf"
reload "remove a tenant"
itest_check "the removed tenant serves nobody" \
	sim dora --tenant "gone=${RELAY[gone]}" --mac 02:43:00:00:00:02 --expect-none --tries 2
itest_check "the removed tenant is marked in the database" \
	test -n "$(db_sql "SELECT removed FROM tenants WHERE name = 'gone' AND removed IS NOT NULL")"
itest_check "the removed tenant's lease stays in the database" \
	test "$(lab_db_lease "$LAB_DB" gone "$gone_ip")" = active
sleep 1

# 3. A tenant file that fails: rejected alone, with its file and line.
printf 'name = "broken";\nmatch = { relays = [ "%s" ]; };\nlease_time = ;\n' \
	"${RELAY[broken]}" >"$TD/broken.conf"
reload "break a tenant file"
itest_check "the broken file is reported with its file and line" \
	grep -qE "reload: .*broken\.conf:3" "$log"
itest_check "the broken tenant keeps its running version" \
	grep -q "tenant broken keeps its running configuration" "$log"
itest_check "the other tenants' reload still applied" \
	grep -qE 'reload done: .*1 tenant files rejected \(1 keep their running version\)' "$log"
sleep 1

# 4. The removed tenant comes back: its database id and its lease are still there.
tenant gone
reload "put the removed tenant back"
back_ip=$(sim dora --tenant "gone=${RELAY[gone]}" --mac $gone_mac) || back_ip=""
itest_check "the returning tenant's client gets its address back ($gone_ip, got '$back_ip')" \
	test "$back_ip" = "$gone_ip"
itest_check "the returning tenant is no longer marked removed" \
	test -z "$(db_sql "SELECT removed FROM tenants WHERE name = 'gone' AND removed IS NOT NULL")"

# 5. Nothing changed (the broken file is still broken): every tenant kept as it is.
reload "no change"
itest_check "an unchanged tenant keeps its instance" \
	grep -qE 'reload: [0-9]+ tenants kept, 0 changed, 0 added, 0 removed' "$log"
# 6. The broken file repaired as it was: the running version is that file, so nothing
# changes (through mtdhcpctl when it is given, else SIGHUP).
tenant broken
if [ -n "$MTDHCPCTL" ]; then
	reloads=$((reloads + 1))
	out=$("$MTDHCPCTL" -c "$LAB_SERVICE" reload) || itest_fail "mtdhcpctl reload: $out"
	echo "    reload $reloads (mtdhcpctl, repaired file): $out"
	itest_check "mtdhcpctl reload: the repaired file is its running version" \
		grep -q "reloaded: 0 tenants added, 0 changed, 6 unchanged, 0 removed" <<<"$out"
else
	reload "repaired file"
	itest_check "the repaired file is its running version" \
		grep -qE 'reload done: 0 tenants added, 0 changed, 6 unchanged, 0 removed; 0 tenant' \
		"$log"
fi
sleep 1

touch "$NETLAB_DIR/stop"
netlab_wait_exit renew 20 || itest_fail "the renewing clients did not finish"
cat "$NETLAB_DIR/renew.json"
itest_check "no renewing client's exchange failed across $reloads reloads" \
	"$ITEST_PY" - "$NETLAB_DIR/renew.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
bad = 0
for name in ("keep", "keep2", "change", "broken"):
    t = s[name]
    print("    %-7s %5d exchanges, %d failed, %d retransmitted, latency avg %s ms max %s ms"
          % (name, t["attempts"], t["failed"], t["retransmits"], t["latency_avg_ms"],
             t["latency_max_ms"]))
    if t["failed"] or t["attempts"] < 50:
        bad += 1
sys.exit(1 if bad else 0)
PY
itest_daemon_stops_cleanly
