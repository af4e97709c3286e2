#!/usr/bin/env bash
# Makes sure the DNS servers the tests run are installed: BIND9 (named, and its
# named-checkzone, which checks what the zonefile provider writes), Knot and PowerDNS
# with its SQLite backend. As root it installs the missing ones from Debian's packages;
# otherwise it stops, printing the one command that installs them. Tests never skip a
# missing server, so `make test` cannot pass without them.
set -euo pipefail

packages="bind9 bind9-utils bind9-dnsutils knot knot-dnsutils pdns-server pdns-backend-sqlite3 sqlite3"
commands="named named-checkzone knotd knotc pdns_server pdnsutil sqlite3"

missing() {
	for c in $commands; do
		command -v "$c" >/dev/null || echo "$c"
	done
}

[ -z "$(missing)" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "installing the DNS servers the tests need: $packages" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
	[ -z "$(missing)" ] && exit 0
fi

echo "the tests need DNS servers that are missing here: $(missing | tr '\n' ' ')" >&2
echo "install them with:" >&2
echo "  sudo apt-get install -y --no-install-recommends $packages" >&2
exit 1
