#!/bin/sh
# need-packages.sh PACKAGE...: installs those of the named Debian packages that are missing
# (the tools `make deb-test`, `make vm` and `make vm-test` need beyond install-deps.sh).
set -eu
missing=""
for p in "$@"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "need-packages: missing:$missing (run as root to install them)" >&2
	exit 1
fi
echo "need-packages: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends $missing >/tmp/mtdhcp-apt-pkg.log 2>&1 || {
	apt-get update >>/tmp/mtdhcp-apt-pkg.log 2>&1
	apt-get install -y --no-install-recommends $missing >>/tmp/mtdhcp-apt-pkg.log 2>&1 || {
		tail -20 /tmp/mtdhcp-apt-pkg.log >&2
		exit 1
	}
}
