#!/usr/bin/env bash
# ctl: mtdhcpctl against the lab daemon, live and with the daemon stopped.
#  - live: status; stats numbers move after clients get leases (the tenants', the port's,
#    the lcore's frames and cycles by stage); tenants shows pool use;
#    leases filters, sorting and paging; lease shows the relay information; release frees
#    a lease (leases shows it released and a new client can get that address); history
#    by MAC, by address and at a time tells who had it; reload
#    applies an added tenant and reports a broken tenant file with file:line; bad JSON on
#    the control socket gets an error and the daemon keeps serving;
#  - stopped: leases, lease and tenants still answer (from the files and the database);
#    live commands exit 3;
#  - exit codes: 0, 1 (unknown tenant, no such lease), 2 (usage), 3 (daemon unreachable).
. "$(dirname "$0")/common.sh"
itest_need MTDHCPD MTDHCPCTL MTDHCP_TAGGER
itest_start

lab_core
lab_relay_site ar 10.0.1.2/24 192.168.1.1/24 10.0.1.1 a1 a2 a3
lab_vlan_site gsw g1=8100:100
lab_install_conf "$ITEST_SRC/demo"
lab_start_daemon "$MTDHCPD"
lab_start_relays
lab_start_taggers "$MTDHCP_TAGGER"

J="$NETLAB_DIR/out.json"
ctl() { "$MTDHCPCTL" -c "$LAB_SERVICE" "$@"; }
# jq-like checks with Debian's python: jcheck FILE EXPR (d is the parsed JSON).
jcheck() {
	"$ITEST_PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
sys.exit(0 if ok else 1)' "$1" "$2"
}
jvalue() {
	"$ITEST_PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}
# expect_exit CODE CMD...: CMD exits with CODE (its stderr goes to $NETLAB_DIR/err).
expect_exit() {
	local want=$1 rc=0
	shift
	"$@" >"$NETLAB_DIR/stdout" 2>"$NETLAB_DIR/err" || rc=$?
	[ "$rc" = "$want" ] || {
		echo "    exit $rc (wanted $want): $(cat "$NETLAB_DIR/err")" >&2
		return 1
	}
}

# --- live: status, stats before and after clients ----------------------------------------
itest_check "status: the daemon is running" expect_exit 0 ctl status
grep -q "is running" "$NETLAB_DIR/stdout" || itest_fail "status text: $(cat "$NETLAB_DIR/stdout")"
itest_check "stats --json before any client" expect_exit 0 ctl stats --json
cp "$NETLAB_DIR/stdout" "$J"
cp "$J" "$NETLAB_DIR/before.json"
acme_ack0=$(jvalue "$J" '[t for t in d["tenants"] if t["name"] == "acme"][0]["counters"]["tx_ack"]')
itest_check "stats --json has one lcore with the 7 stages" jcheck "$J" \
	"len(d['lcores']) == 1 and d['lcores'][0]['index'] == 0 and list(d['lcores'][0]['stages']) == ['rx', 'parse', 'classify', 'handoff', 'engine', 'completion', 'tx']"
itest_check "the one lcore owns every tenant" jcheck "$J" \
	"d['lcores'][0]['tenants'] == len(d['tenants'])"

itest_clients a1:dhclient:a1 g1:udhcpc:g1
a1_ip=$(netlab_client_value a1 ip)
g1_ip=$(netlab_client_value g1 ip)
a1_mac=$(lab_mac a1)

itest_check "stats --json after the clients" expect_exit 0 ctl stats --json
cp "$NETLAB_DIR/stdout" "$J"
itest_check "acme's ACKs moved from $acme_ack0" jcheck "$J" \
	"[t for t in d['tenants'] if t['name'] == 'acme'][0]['counters']['tx_ack'] > $acme_ack0"
itest_check "acme received a DISCOVER and a REQUEST" jcheck "$J" \
	"(lambda c: c['rx_discover'] >= 1 and c['rx_request'] >= 1)([t for t in d['tenants'] if t['name'] == 'acme'][0]['counters'])"
itest_check "globex has an ACK too" jcheck "$J" \
	"[t for t in d['tenants'] if t['name'] == 'globex'][0]['counters']['tx_ack'] >= 1"
itest_check "the port counted frames" jcheck "$J" \
	"d['ports'][0]['name'] == 'uplink' and d['ports'][0]['rx'] > 0 and d['ports'][0]['tx'] > 0"
itest_check "the lease store committed" jcheck "$J" "d['lease_store']['committed'] >= 2"
# The lcore's numbers moved with the traffic: frames, the engine's messages and cycles,
# busy loops; and a single lcore hands nothing off.
lcore_moved() {
	"$ITEST_PY" - "$NETLAB_DIR/before.json" "$J" <<'EOF'
import json, sys
a, b = (json.load(open(p))["lcores"][0] for p in sys.argv[1:3])
print("    lcore 0: frames %d -> %d, engine %d -> %d messages, busy %.1f %%, %.0f cycles/frame"
      % (a["frames"], b["frames"], a["stages"]["engine"]["items"],
         b["stages"]["engine"]["items"], b["busy_percent"], b["cycles_per_frame"]))
ok = (b["tsc_hz"] > 0 and b["frames"] > a["frames"] and b["busy_loops"] > a["busy_loops"]
      and b["busy_cycles"] > a["busy_cycles"] and b["running_cycles"] > a["running_cycles"]
      and b["stages"]["engine"]["items"] >= a["stages"]["engine"]["items"] + 4
      and b["stages"]["engine"]["cycles"] > a["stages"]["engine"]["cycles"]
      and b["stages"]["rx"]["items"] > a["stages"]["rx"]["items"]
      and b["stages"]["engine"]["cycles_per_frame"] > 0 and b["cycles_per_frame"] > 0
      and 0 <= b["busy_percent"] <= 100
      and b["handoff_out"] == b["handoff_in"] == b["handoff_full"] == 0)
sys.exit(0 if ok else 1)
EOF
}
itest_check "the lcore's frames, engine messages and cycles moved" lcore_moved
itest_check "stats (table) runs" expect_exit 0 ctl stats
grep -q "^acme " "$NETLAB_DIR/stdout" && grep -q "^uplink " "$NETLAB_DIR/stdout" ||
	itest_fail "stats table: $(cat "$NETLAB_DIR/stdout")"
sed -n '/^INDEX/,$p' "$NETLAB_DIR/stdout" | sed 's/^/    /'
itest_check "  with the lcore's cycles per frame by stage" \
	grep -qE "^INDEX +RX +PARSE +CLASSIFY +HANDOFF +ENGINE +COMPLETION +TX +TOTAL$" \
	"$NETLAB_DIR/stdout"
itest_check "  and its row: tenants, frames, busy share, no hand-offs" \
	grep -qE "^0 +[0-9]+ +2 +[1-9][0-9]* +[0-9.]+% +0 +0 +0 +[0-9]+$" "$NETLAB_DIR/stdout"
itest_check "stats --tenant globex lists every counter" expect_exit 0 ctl stats --tenant globex
grep -q "^rx_discover " "$NETLAB_DIR/stdout" || itest_fail "$(cat "$NETLAB_DIR/stdout")"
itest_check "stats --tenant nobody exits 1" expect_exit 1 ctl stats --tenant nobody

# --- tenants -------------------------------------------------------------------------------
itest_check "tenants --json" expect_exit 0 ctl tenants --json
cp "$NETLAB_DIR/stdout" "$J"
itest_check "tenants come from the daemon" jcheck "$J" "d['source'] == 'daemon'"
itest_check "acme: relay 192.168.1.1, 100 addresses, 1 used, 1 active" jcheck "$J" \
	"(lambda t: t['match']['relays'] == ['192.168.1.1'] and t['pool']['size'] == 100 and t['pool']['used'] == 1 and t['pool']['active_leases'] == 1 and t['pool']['use_percent'] == 1.0)([t for t in d['tenants'] if t['name'] == 'acme'][0])"
itest_check "globex: VLAN 100 on port uplink" jcheck "$J" \
	"[t for t in d['tenants'] if t['name'] == 'globex'][0]['match']['vlans'][0] == {'port': 'uplink', 'port_index': 0, 'vlan': 100, 'inner_vlan': 0}"
itest_check "tenants (table)" expect_exit 0 ctl tenants
grep -q "^acme .*relay 192.168.1.1 .*192.168.1.0/24 .*1/100 (1.0%)" "$NETLAB_DIR/stdout" ||
	itest_fail "tenants table: $(cat "$NETLAB_DIR/stdout")"

# --- leases: filters, sort, paging; lease ------------------------------------------------
count() { "$ITEST_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
n=$(ctl leases --json --ip 192.168.1.0/24 | count)
itest_check "leases --ip 192.168.1.0/24 finds both ($n)" test "$n" = 2
n=$(ctl leases --json --tenant acme --ip "$a1_ip" | count)
itest_check "leases --tenant acme --ip $a1_ip finds a1 ($n)" test "$n" = 1
n=$(ctl leases --json --mac "$a1_mac" | count)
itest_check "leases --mac $a1_mac finds a1 ($n)" test "$n" = 1
n=$(ctl leases --json --hostname 'A*' | count)
itest_check "leases --hostname 'A*' (any case) finds a1 ($n)" test "$n" = 1
n=$(ctl leases --json --expiring-within 1h | count)
itest_check "both leases expire within 1h ($n)" test "$n" = 2
n=$(ctl leases --json --expiring-within 30s | count)
itest_check "none within 30s ($n)" test "$n" = 0
n=$(ctl leases --json --sort expires --reverse --limit 1 | count)
itest_check "--limit 1 gives one ($n)" test "$n" = 1
n=$(ctl leases --json --limit 5 --offset 1 | count)
itest_check "--offset 1 skips one ($n)" test "$n" = 1
itest_check "lease acme $a1_ip" expect_exit 0 ctl lease acme "$a1_ip"
grep -q "^relay  *192.168.1.1$" "$NETLAB_DIR/stdout" && grep -q "^circuit-id " "$NETLAB_DIR/stdout" ||
	itest_fail "lease text: $(cat "$NETLAB_DIR/stdout")"
itest_check "lease --json has giaddr and the circuit-id" expect_exit 0 ctl lease acme "$a1_ip" --json
itest_check "  giaddr 192.168.1.1, circuit-id set, hwaddr $a1_mac" jcheck "$NETLAB_DIR/stdout" \
	"d['giaddr'] == '192.168.1.1' and d['circuit_id'] and d['hwaddr'] == '$a1_mac' and d['state'] == 'active'"
itest_check "lease of an address nobody has exits 1" expect_exit 1 ctl lease acme 192.168.1.250
itest_check "lease in an unknown tenant exits 1" expect_exit 1 ctl lease nobody 192.168.1.100

# --- release -------------------------------------------------------------------------------
itest_check "release acme $a1_ip" expect_exit 0 ctl release acme "$a1_ip"
itest_check "leases shows it released" expect_exit 0 ctl leases --json --tenant acme --ip "$a1_ip"
itest_check "  state released" jcheck "$NETLAB_DIR/stdout" "d[0]['state'] == 'released'"
itest_check "releasing it again: no lease to release (exit 1)" expect_exit 1 ctl release acme "$a1_ip"
grep -q "no lease" "$NETLAB_DIR/err" || itest_fail "$(cat "$NETLAB_DIR/err")"
itest_check "release outside the tenant's subnets exits 1" expect_exit 1 ctl release acme 10.9.9.9
# globex's lease on the same address is another tenant's: untouched.
itest_check "globex's lease is still active" expect_exit 0 ctl leases --json --tenant globex
itest_check "  active" jcheck "$NETLAB_DIR/stdout" "d[0]['state'] == 'active'"
itest_clients "a2:udhcpc:a2:-r $a1_ip"
itest_check "a new client asking for $a1_ip gets it" test "$(netlab_client_value a2 ip)" = "$a1_ip"
itest_check "tenants: acme has 1 lease in use again" expect_exit 0 ctl tenants --json --tenant acme
itest_check "  used 1" jcheck "$NETLAB_DIR/stdout" "d['tenants'][0]['pool']['used'] == 1"

# --- history: by MAC through the addresses it bound, by address, at a time ----------------
itest_check "history --mac $a1_mac" expect_exit 0 ctl history --tenant acme --mac "$a1_mac" --json
itest_check "  a1 bound $a1_ip and it was released, nothing else" jcheck "$NETLAB_DIR/stdout" \
	"d[0]['event'] == 'bind' and d[-1]['event'] == 'release' and all(e['address'] == '$a1_ip' and e['hwaddr'] == '$a1_mac' for e in d)"
itest_check "history --ip $a1_ip" expect_exit 0 ctl history --tenant acme --ip "$a1_ip" --json
itest_check "  a1's binding, its release, then a2's binding" jcheck "$NETLAB_DIR/stdout" \
	"[e['event'] for e in d][:2] == ['bind', 'release'] and d[-1]['event'] == 'bind' and d[-1]['hwaddr'] != '$a1_mac'"
itest_check "history --ip $a1_ip --at now" expect_exit 0 ctl history --tenant acme --ip "$a1_ip" --at now --json
itest_check "  a2 holds it now" jcheck "$NETLAB_DIR/stdout" "len(d) == 1 and d[0]['hwaddr'] != '$a1_mac'"
itest_check "history --mac $a1_mac --at now: nothing held" expect_exit 0 ctl history --tenant acme --mac "$a1_mac" --at now --json
itest_check "  empty" jcheck "$NETLAB_DIR/stdout" "d == []"

# --- bad requests on the socket ----------------------------------------------------------
sock="$LAB_CONF_DIR/control.sock"
itest_check "the control socket is a socket of mode 0660" \
	test "$(stat -c %a "$sock")" = 660 -a -S "$sock"
resp=$("$ITEST_PY" - "$sock" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'this is not json\n{"cmd":"stats","tenant":5}\n\xff\xfe\x00garbage\n{"cmd":"ping","id":7}\n')
buf = b""
while buf.count(b"\n") < 4:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
print(buf.decode())
EOF
)
echo "$resp" | head -4 | sed 's/^/    /'
itest_check "bad JSON gets bad_request" grep -q '"code":"bad_request"' <<<"$(echo "$resp" | sed -n 1p)"
itest_check "a mistyped argument gets bad_request" grep -q '"code":"bad_request"' <<<"$(echo "$resp" | sed -n 2p)"
itest_check "binary garbage gets bad_request" grep -q '"code":"bad_request"' <<<"$(echo "$resp" | sed -n 3p)"
itest_check "the same connection still answers ping" grep -q '"ok":true.*"id":7' <<<"$(echo "$resp" | sed -n 4p)"
# A client that sends a huge line and one that connects and says nothing.
"$ITEST_PY" - "$sock" <<'EOF' || true
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    s.sendall(b"x" * (1 << 20))
except OSError:
    pass
EOF
"$ITEST_PY" -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.5)' "$sock"
itest_check "the daemon still runs" netlab_running mtdhcpd
itest_check "and answers status" expect_exit 0 ctl status
itest_clients a3:dhclient:a3
itest_check "and serves DHCP" itest_in_pool "$(netlab_client_value a3 ip)" 192.168.1.100 192.168.1.199

# --- reload ---------------------------------------------------------------------------------
cat >"$LAB_CONF_DIR/tenants.d/initech.conf" <<'EOF'
name = "initech";
match = { relays = [ "172.16.9.1" ]; };
subnets = ( { subnet = "172.16.9.0/24";
              pools = ( { first = "172.16.9.10"; last = "172.16.9.20"; } ); } );
EOF
itest_check "reload with a new tenant file" expect_exit 0 ctl reload
sed 's/^/    /' "$NETLAB_DIR/stdout"
itest_check "tenants now lists initech" expect_exit 0 ctl tenants --json --tenant initech
itest_check "  with its 11 addresses" jcheck "$NETLAB_DIR/stdout" "d['tenants'][0]['pool']['size'] == 11"
printf 'name = "broken";\nsubnets = ( { subnet = "10.99.0.0/33"; } );\n' \
	>"$LAB_CONF_DIR/tenants.d/broken.conf"
itest_check "reload with a broken tenant file exits 1" expect_exit 1 ctl reload
cat "$NETLAB_DIR/stdout" "$NETLAB_DIR/err" | sed 's/^/    /'
itest_check "  and names the file and line" grep -q "broken.conf:2" "$NETLAB_DIR/stdout" "$NETLAB_DIR/err"
rm -f "$LAB_CONF_DIR/tenants.d/broken.conf"
itest_check "the daemon still answers after the reloads" expect_exit 0 ctl stats --tenant acme
# log_level changes at a reload: at "warning", a successful release (an info line) is not
# logged any more, a refused one (a warning) still is.
a3_ip=$(netlab_client_value a3 ip)
sed -i 's/^log_level = .*/log_level = "warning";/' "$LAB_SERVICE"
itest_check "reload to log_level warning" expect_exit 0 ctl reload
itest_check "release acme $a3_ip" expect_exit 0 ctl release acme "$a3_ip"
itest_check "a refused release" expect_exit 1 ctl release acme "$a3_ip"
itest_check "  the successful release is not logged at level warning" \
	test "$(grep -c "control: release tenant=acme address=$a3_ip .*: done" "$(netlab_log mtdhcpd)")" = 0
itest_check "  the refused one is" \
	grep -q "control: release tenant=acme address=$a3_ip .*no lease" "$(netlab_log mtdhcpd)"

# --- the daemon stopped --------------------------------------------------------------------
itest_daemon_stops_cleanly
itest_check "the socket file is gone" test ! -e "$sock"
itest_check "status: not reachable (exit 3)" expect_exit 3 ctl status
grep -q "not running" "$NETLAB_DIR/err" || itest_fail "$(cat "$NETLAB_DIR/err")"
itest_check "stats: exit 3" expect_exit 3 ctl stats
itest_check "release: exit 3" expect_exit 3 ctl release acme "$a1_ip"
itest_check "reload: exit 3" expect_exit 3 ctl reload
itest_check "leases works from the database" expect_exit 0 ctl leases --json
# a2 took a1's released address: that row is a2's now (keyed by tenant and address).
itest_check "  with the three leases: acme's two and globex's" jcheck "$NETLAB_DIR/stdout" \
	"len(d) == 3 and sorted(x['tenant'] for x in d) == ['acme', 'acme', 'globex']"
itest_check "lease works from the database" expect_exit 0 ctl lease globex "$g1_ip"
itest_check "tenants works from the files and the database" expect_exit 0 ctl tenants --json
itest_check "  marked as such, with acme's pool use (a2's lease; a3's was released)" jcheck "$NETLAB_DIR/stdout" \
	"d['source'] == 'configuration' and [t for t in d['tenants'] if t['name'] == 'acme'][0]['pool']['used'] == 1"
itest_check "check -c the lab's service file" expect_exit 0 ctl check -c "$LAB_SERVICE"

# --- usage errors --------------------------------------------------------------------------
itest_check "leases --ip 300.1.1.1: usage (2)" expect_exit 2 ctl leases --ip 300.1.1.1
itest_check "leases --expiring-within soon: usage (2)" expect_exit 2 ctl leases --expiring-within soon
itest_check "leases --sort colour: usage (2)" expect_exit 2 ctl leases --sort colour
itest_check "lease with one argument: usage (2)" expect_exit 2 ctl lease acme
itest_check "release with a bad address: usage (2)" expect_exit 2 ctl release acme 1.2.3
itest_check "stats extra: usage (2)" expect_exit 2 ctl stats extra
