#!/usr/bin/env bash
# tagger: mtdhcp-tagger on its own (no daemon). A far end on the trunk and three access
# ports: c1 and c2 on 802.1Q VLAN 100, c3 on QinQ S-tag 300 / C-tag 100.
#   access -> trunk: the port's stack is pushed;
#   trunk -> access: the stack (outer tag possibly moved into metadata by veth, then rebuilt
#   by the tagger) is matched on its VIDs only, popped, and sent to every matching port;
#   untagged and unmatched trunk frames are dropped and counted; SIGTERM prints counters.
. "$(dirname "$0")/common.sh"
itest_need MTDHCP_TAGGER
itest_start

netlab_ns far
netlab_ns sw
netlab_link far eth0 sw trunk
for c in c1 c2 c3; do
	netlab_ns "$c"
	netlab_link "$c" eth0 sw "$c"
done
netlab_start tagger sw "$MTDHCP_TAGGER" --trunk trunk --access c1=8100:100 \
	--access c2=8100:100 --access c3=88a8:300,8100:100
netlab_wait 5 "the tagger" netlab_log_has tagger ready
for h in far c1 c2 c3; do
	netlab_capture "cap-$h" "$h" eth0 ether proto 0x88b5 or vlan
done

send() { netlab_exec "$1" "$ITEST_PY" "$ITEST_DIR/tagger_frames.py" send eth0 "$2" "${3:-}"; }
send c1 from-c1
send c3 from-c3
send far to-100 8100:100
send far to-100-pcp5 8100:41060      # PCP 5, DEI 0, VID 100: PCP is ignored
send far to-qinq 88a8:300,8100:100
send far to-qinq-8100 8100:300,8100:100 # the same VIDs with another outer TPID
send far to-200 8100:200             # no port has VLAN 200
send far to-300-only 88a8:300        # the outer tag alone matches nobody
send far untagged
declare -A pcaps=()
for h in far c1 c2 c3; do
	pcaps[$h]=$(netlab_capture_stop "cap-$h")
done
check() { "$ITEST_PY" "$ITEST_DIR/tagger_frames.py" check "$@"; }
itest_check "access -> trunk pushes the port's tags" \
	check "${pcaps[far]}" from-c1=8100:100 from-c3=88a8:300,8100:100
for c in c1 c2; do
	itest_check "VLAN 100 reaches $c untagged; QinQ, VLAN 200 and untagged do not" \
		check "${pcaps[$c]}" to-100=none to-100-pcp5=none --absent to-qinq --absent to-200 \
		--absent to-qinq-8100 \
		--absent to-300-only --absent untagged
done
itest_check "the QinQ stack (VIDs 300, 100) reaches c3 only, untagged" \
	check "${pcaps[c3]}" to-qinq=none to-qinq-8100=none --absent to-100 --absent to-200 --absent to-300-only \
	--absent untagged --absent from-c1
itest_check "c1's frame does not come back out of c2" check "${pcaps[c2]}" --absent from-c1

rc=0
netlab_stop tagger TERM 5 || rc=$?
itest_check "the tagger exits 0 on SIGTERM (got $rc)" test "$rc" = 0
log=$(netlab_log tagger)
itest_check "counters: the 2 unmatched trunk frames dropped (VLAN 200, S-tag 300 alone)" \
	grep -qE 'trunk +trunk .* unmatched_dropped 2$' "$log"
itest_check "counters: the untagged trunk frame dropped, tags rebuilt from metadata" \
	grep -qE "trunk +trunk .* tag_from_metadata [1-9][0-9]* untagged_dropped 1 " "$log"
