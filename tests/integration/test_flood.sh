#!/usr/bin/env bash
# flood: fair service of tenants (issue 4). Tenant "flood" gets a flood of DISCOVERs from
# random MACs (a raw generator relaying as 172.16.0.1, as fast as this host can send) while
# the clients of tenant "quiet" (relay 192.168.1.1) renew their leases back to back, each
# renewal a commit to the lease database. Two rounds:
#   1. the flooding tenant has a budget (packets_per_second 2000, burst 500), as an
#      operator would give a tenant that misbehaves;
#   2. a reload (SIGHUP, under the flood) takes the budget away: only the fair queues stand
#      between the flood and the quiet tenant.
# In both the quiet tenant's success rate must stay at least 99 %. Prints both tenants'
# figures: the flood's rate, the OFFERs it got and what the daemon dropped (over budget,
# queue full, pool exhausted); the quiet tenant's exchanges, successes and latency, alone
# and under each flood.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD
itest_start

FLOOD_RATE=${FLOOD_RATE:-40000}
FLOOD_SECONDS=${FLOOD_SECONDS:-8}
BUDGET=2000
BURST=500

src="$NETLAB_DIR/src"
mkdir -p "$src/tenants.d"
cp "$ITEST_SRC/demo/mtdhcpd.conf" "$src/"
flood_tenant() { # flood_tenant DIR [SETTING...]
	local dir=$1
	shift
	lab_tenant_file "$dir/flood.conf" flood 172.16.0.1 172.16.0.0/16 172.16.1.0 \
		172.16.255.254 "offer_time = 5;" "$@"
}
flood_tenant "$src/tenants.d" "packets_per_second = $BUDGET;" "burst = $BURST;"
lab_tenant_file "$src/tenants.d/quiet.conf" quiet 192.168.1.1 192.168.1.0/24 192.168.1.100 \
	192.168.1.199 "lease_time = 60;"

lab_core
lab_relay_sim rl 10.0.1.2/24 172.16.0.1 192.168.1.1
lab_install_conf "$src"
lab_start_daemon "$MTDHCPD"
log=$(netlab_log mtdhcpd)
sim() { netlab_exec rl "$ITEST_PY" "$ITEST_DIR/isolate_dhcp.py" "$@"; }
quiet=(--tenant quiet=192.168.1.1:8 --interval 0.005)

sim renew "${quiet[@]}" --duration 3 --out "$NETLAB_DIR/alone.json" ||
	itest_fail "the quiet tenant's clients did not run"

# flood_round N: a flood of FLOOD_SECONDS with the quiet clients (new MACs) renewing in it.
flood_round() {
	netlab_start "flood$1" rl "$ITEST_PY" "$ITEST_DIR/isolate_dhcp.py" flood \
		--tenant flood=172.16.0.1 --rate "$FLOOD_RATE" --duration "$FLOOD_SECONDS"
	sleep 1
	sim renew "${quiet[@]}" --mac-base "$1" --duration $((FLOOD_SECONDS - 2)) \
		--out "$NETLAB_DIR/flood$1.json" || itest_fail "the quiet tenant's clients did not run"
	netlab_wait_exit "flood$1" $((FLOOD_SECONDS + 10)) || itest_fail "flood $1 did not end"
	tail -n 1 "$(netlab_log "flood$1")" >"$NETLAB_DIR/flood$1.gen.json"
}

flood_round 1
# No budget any more: the reload happens while the next flood runs.
flood_tenant "$LAB_CONF_DIR/tenants.d"
(sleep 2 && kill -HUP "$(netlab_pid mtdhcpd)") &
hup=$!
flood_round 2
wait "$hup"
itest_check "the reload under the flood took the budget away" \
	grep -qE 'reload done: 0 tenants added, 1 changed, 1 unchanged' "$log"
lab_stop_daemon || itest_fail "mtdhcpd did not stop cleanly"
counters=$(grep -E "info: tenant (flood|quiet):.*=" "$log")
echo "$counters"

itest_check "the quiet tenant keeps a success rate of at least 99 % under both floods" \
	"$ITEST_PY" - "$NETLAB_DIR" "$counters" "$BUDGET" "$BURST" <<'PY'
import json, re, sys
d, text = sys.argv[1], sys.argv[2]
budget, burst = (int(x) for x in sys.argv[3:5])
counters = {}
for line in text.splitlines():
    m = re.search(r"tenant (\w+):(.*)", line)
    if m:
        counters[m.group(1)] = dict(kv.split("=") for kv in m.group(2).split())
f = counters.get("flood", {})
g = lambda k: int(f.get(k, 0))
ok = True
q = json.load(open(d + "/alone.json"))["quiet"]
fmt = ("    quiet %-9s %5d exchanges, %5d ok (%.2f %%), %d failed, %d retransmitted; "
       "latency avg %s ms, p99 %s ms, max %s ms")
print(fmt % ("alone:", q["attempts"], q["ok"], 100.0 * q["success_rate"], q["failed"],
             q["retransmits"], q["latency_avg_ms"], q["latency_p99_ms"], q["latency_max_ms"]))
for n, what in ((1, "with a budget of %d/s, burst %d" % (budget, burst)), (2, "without a budget")):
    gen = json.load(open("%s/flood%d.gen.json" % (d, n)))
    q = json.load(open("%s/flood%d.json" % (d, n)))["quiet"]
    lasted = gen["sent"] / gen["rate"]
    print("    flood %d (%s): %d DISCOVERs in %.1f s (%.0f/s), %d OFFERs back"
          % (n, what, gen["sent"], lasted, gen["rate"], gen["offers"]))
    print(fmt % ("flood %d:" % n, q["attempts"], q["ok"], 100.0 * q["success_rate"],
                 q["failed"], q["retransmits"], q["latency_avg_ms"], q["latency_p99_ms"],
                 q["latency_max_ms"]))
    ok = ok and q["attempts"] >= 100 and q["success_rate"] >= 0.99
    ok = ok and gen["sent"] > 5 * budget  # it did flood
    if n == 1:
        # The budget held: at most rate x time + burst OFFERs (the last second's included).
        ok = ok and gen["offers"] <= budget * (lasted + 1) + burst
print("    daemon, flood tenant (both rounds): %d served, %d OFFERs, %d dropped over budget, "
      "%d at a full queue, %d with the pool exhausted"
      % (g("rx_discover"), g("tx_offer"), g("drop_rate_limit"), g("drop_queue_overflow"),
         g("drop_pool_exhausted")))
ok = ok and g("drop_rate_limit") > 0
sys.exit(0 if ok else 1)
PY
