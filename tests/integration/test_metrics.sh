#!/usr/bin/env bash
# metrics: the Prometheus endpoint of the lab daemon. Off by default (nothing listens);
# with `metrics = { listen = ...; }` a scrape of /metrics is well-formed exposition text
# (one HELP and TYPE per family, counters named _total, every sample after its family's
# TYPE) whose counters move when a client gets a lease: the tenant's sent ACKs, its active
# leases and pool use, the port's frames, the lcore's frames and engine messages; and the
# daemon keeps serving through scrapes.
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL
itest_start
PORT=9167

lab_core
lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1 a2
lab_install_conf "$ITEST_SRC/demo"

# scrape PATH OUT: GET http://127.0.0.1:$PORT/PATH from inside the service VM's namespace
# (where the daemon listens); the status line's code is printed, the body goes to OUT.
scrape() {
	netlab_exec svc "$ITEST_PY" - "$PORT" "$1" "$2" <<'EOF'
import sys, urllib.request, urllib.error
port, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    r = urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=5)
    code, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
except urllib.error.HTTPError as e:
    code, body, ctype = e.code, e.read(), ""
except OSError as e:
    print("refused" if "refused" in str(e) else "error: %s" % e)
    sys.exit(0)
open(out, "wb").write(body)
print(code, ctype)
EOF
}

# value FILE SAMPLE: the value of the sample line that starts with SAMPLE (name{labels}).
value() {
	awk -v s="$2" 'index($0, s " ") == 1 { print $NF; found = 1 } END { if (!found) print "none" }' "$1"
}

# The exposition format's rules, checked line by line.
check_format() {
	"$ITEST_PY" - "$1" <<'EOF'
import re, sys
declared, current, samples = set(), None, 0
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        continue
    m = re.fullmatch(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)", line)
    if m:
        name, kind = m.groups()
        assert name not in declared, "line %d: %s declared twice" % (n, name)
        assert kind != "counter" or name.endswith("_total"), "line %d: counter %s" % (n, name)
        declared.add(name)
        current = name
        continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-z_]+="(\\.|[^"\\])*",?)*\})? ([0-9.e+-]+)', line)
    assert m, "line %d is not a sample: %r" % (n, line)
    assert m.group(1) == current, "line %d: sample of %s under %s" % (n, m.group(1), current)
    samples += 1
assert samples > 20, samples
print("%d families, %d samples" % (len(declared), samples))
EOF
}

# --- off by default ------------------------------------------------------------------------
lab_start_daemon "$MTDHCPD"
itest_check "without a metrics setting nothing listens on $PORT" \
	test "$(scrape /metrics "$NETLAB_DIR/m0")" = refused
itest_daemon_stops_cleanly

# --- on -------------------------------------------------------------------------------------
echo "metrics = { listen = \"127.0.0.1:$PORT\"; };" >>"$LAB_SERVICE"
itest_check "the service file with metrics passes check" \
	"$MTDHCPCTL" check -c "$LAB_SERVICE"
lab_start_daemon "$MTDHCPD"
lab_start_relays
itest_check "the daemon says where the metrics are" \
	grep -q "metrics on http://127.0.0.1:$PORT/metrics" "$(netlab_log mtdhcpd)"

status=$(scrape /metrics "$NETLAB_DIR/m1")
itest_check "GET /metrics: 200, text/plain version 0.0.4 ($status)" \
	grep -q "^200 text/plain; version=0.0.4" <<<"$status"
itest_check "the text follows the exposition format ($(check_format "$NETLAB_DIR/m1"))" \
	check_format "$NETLAB_DIR/m1"
acks0=$(value "$NETLAB_DIR/m1" 'mtdhcp_tenant_sent_total{tenant="acme",type="ack"}')
active0=$(value "$NETLAB_DIR/m1" 'mtdhcp_tenant_leases_active{tenant="acme"}')
rx0=$(value "$NETLAB_DIR/m1" 'mtdhcp_port_received_frames_total{port="uplink"}')
lframes0=$(value "$NETLAB_DIR/m1" 'mtdhcp_lcore_frames_total{lcore="0"}')
lengine0=$(value "$NETLAB_DIR/m1" 'mtdhcp_lcore_stage_items_total{lcore="0",stage="engine"}')
itest_check "before any client: acme sent $acks0 ACKs, has $active0 active leases" \
	test "$acks0" = 0 -a "$active0" = 0
itest_check "acme's pool has 100 addresses" \
	test "$(value "$NETLAB_DIR/m1" 'mtdhcp_tenant_pool_size{tenant="acme"}')" = 100

itest_clients a1:dhclient:a1 a2:udhcpc:a2
# The gauges (active leases, pool use) are refreshed by the dataplane once a second.
gauges_settled() {
	scrape /metrics "$NETLAB_DIR/m2" >/dev/null &&
		test "$(value "$NETLAB_DIR/m2" 'mtdhcp_tenant_leases_active{tenant="acme"}')" = 2
}
netlab_wait 5 "the active leases gauge" gauges_settled || true
acks=$(value "$NETLAB_DIR/m2" 'mtdhcp_tenant_sent_total{tenant="acme",type="ack"}')
active=$(value "$NETLAB_DIR/m2" 'mtdhcp_tenant_leases_active{tenant="acme"}')
used=$(value "$NETLAB_DIR/m2" 'mtdhcp_tenant_pool_used{tenant="acme"}')
rx=$(value "$NETLAB_DIR/m2" 'mtdhcp_port_received_frames_total{port="uplink"}')
discovers=$(value "$NETLAB_DIR/m2" 'mtdhcp_tenant_received_total{tenant="acme",type="discover"}')
itest_check "after two clients: acme sent $acks ACKs (>= 2)" test "$acks" -ge 2
itest_check "acme received $discovers DISCOVERs (>= 2)" test "$discovers" -ge 2
itest_check "acme has $active active leases and $used pool addresses used" \
	test "$active" = 2 -a "$used" = 2
itest_check "the port received $rx frames (was $rx0)" test "$rx" -gt "$rx0"
lframes=$(value "$NETLAB_DIR/m2" 'mtdhcp_lcore_frames_total{lcore="0"}')
lengine=$(value "$NETLAB_DIR/m2" 'mtdhcp_lcore_stage_items_total{lcore="0",stage="engine"}')
lcycles=$(value "$NETLAB_DIR/m2" 'mtdhcp_lcore_stage_cycles_total{lcore="0",stage="engine"}')
itest_check "lcore 0 worked on $lframes frames (was $lframes0)" test "$lframes" -gt "$lframes0"
itest_check "  its engine served $lengine messages (was $lengine0) in $lcycles cycles" \
	test "$lengine" -ge "$((lengine0 + 4))" -a "$lcycles" -gt 0
itest_check "  it owns both tenants, on EAL lcore 0" \
	test "$(value "$NETLAB_DIR/m2" 'mtdhcp_lcore_tenants{lcore="0"}')" = 2 -a \
	"$(value "$NETLAB_DIR/m2" 'mtdhcp_lcore_info{lcore="0",eal_lcore="0"}')" = 1
itest_check "globex is there with its zeros" \
	test "$(value "$NETLAB_DIR/m2" 'mtdhcp_tenant_sent_total{tenant="globex",type="ack"}')" = 0
itest_check "the lease store's commits are counted" \
	test "$(value "$NETLAB_DIR/m2" mtdhcp_lease_store_committed_total)" -ge 2
itest_check "metrics and mtdhcpctl stats agree on acme's ACKs" \
	test "$("$MTDHCPCTL" -c "$LAB_SERVICE" stats --json | "$ITEST_PY" -c \
		'import json,sys; print([t for t in json.load(sys.stdin)["tenants"] if t["name"] == "acme"][0]["counters"]["tx_ack"])')" = "$acks"

status=$(scrape /nowhere "$NETLAB_DIR/m3")
itest_check "another path: 404 ($status)" grep -q "^404" <<<"$status"
# Many scrapes in a row and a raw client that sends garbage: the daemon keeps serving.
for _ in $(seq 20); do scrape /metrics "$NETLAB_DIR/m4" >/dev/null; done
netlab_exec svc "$ITEST_PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x00\x01garbage\r\n\r\n")
s.settimeout(3)
try:
    s.recv(4096)
except OSError:
    pass' "$PORT"
status=$(scrape /metrics "$NETLAB_DIR/m5")
itest_check "still 200 after garbage and 20 scrapes ($status)" grep -q "^200" <<<"$status"
itest_check "the daemon still serves DHCP" netlab_udhcpc a1b a1 eth0
itest_daemon_stops_cleanly
