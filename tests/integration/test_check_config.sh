#!/usr/bin/env bash
# check_config: `mtdhcpd --check` accepts the demo's configuration, and rejects it (non-zero
# exit) once broken tenant files join it, naming for each error the file, the line and the
# setting ("file:line: setting: message"). Every line marked "# error: SETTING" in
# conf/broken/*.conf must be reported, all in one run. No network, no root needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
MTDHCPD=""
while [ $# -gt 0 ]; do
	case $1 in
	--mtdhcpd) MTDHCPD=$2 ;;
	--mtdhcpctl | --tagger) ;;
	*) echo "usage: $0 --mtdhcpd PATH" >&2; exit 2 ;;
	esac
	shift 2
done
[ -x "$MTDHCPD" ] || { echo "FAIL: --mtdhcpd not given or not executable" >&2; exit 1; }
work=$(mktemp -d /tmp/it-check_config.XXXXXX)
trap 'rm -rf "$work"' EXIT
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "ok: $*"; }

# A copy, so that nothing --check might create lands in the source tree.
cp -r "$src/demo/mtdhcpd.conf" "$src/demo/tenants.d" "$work/"
rc=0
out=$("$MTDHCPD" --check -c "$work/mtdhcpd.conf" 2>&1) || rc=$?
[ "$rc" = 0 ] || fail "--check rejects the demo config (rc $rc): $out"
ok "--check accepts the demo configuration"

cp "$here"/conf/broken/*.conf "$work/tenants.d/"
rc=0
out=$("$MTDHCPD" --check -c "$work/mtdhcpd.conf" 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
[ "$rc" != 0 ] || fail "--check accepts a configuration with broken tenant files"
ok "--check rejects the broken configuration (rc $rc)"
for f in "$here"/conf/broken/*.conf; do
	name=$(basename "$f")
	while IFS=: read -r line setting; do
		setting=${setting##*error: }
		# "file:line: setting: message"; the file may be printed with its directory.
		printf '%s\n' "$out" | grep -E "(^|/)$name:$line: " | grep -qF -- "$setting" ||
			fail "no '$name:$line: ...$setting...' line in the output"
		ok "$name:$line reported, naming $setting"
	done < <(grep -n '# error: ' "$f" | sed 's/^\([0-9]*\):.*# error: /\1:/')
done
echo "PASS: test_check_config ($checks checks)"
