#!/usr/bin/env bash
# Builds external-dns's webhook server (main.go beside this script, linking external-dns's
# published module) for the webhook provider's tests, and prints the binary's path
# (nothing else goes to stdout).
#
# external-dns v0.23.0 needs Go 1.27, newer than zonekeeper's own; GOTOOLCHAIN makes the
# go command fetch that toolchain from the module proxy for this build only. The folder is
# keyed by external-dns's version and a checksum of this module's files, so an unchanged
# checkout reuses the binary at once; the cold build takes about 5 minutes. Concurrent
# callers wait on one lock, and the result appears only by rename.
#
# Environment: ZONEKEEPER_E2E_CACHE (default ~/.cache/zonekeeper-e2e) is where the
# versioned folder lives; GO (default go) is the go command to start from.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
edns_version=v0.23.0
toolchain=go1.27.3
sum=$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-12)

cache=${ZONEKEEPER_E2E_CACHE:-$HOME/.cache/zonekeeper-e2e}
out=$cache/externaldns-webhook-$edns_version-$sum
go=${GO:-go}

complete() { [ -x "$out/externaldns-webhook" ]; }

if complete; then
	echo "$out/externaldns-webhook"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.build-externaldns-webhook.lock"
flock 9
if complete; then
	echo "$out/externaldns-webhook"
	exit 0
fi

rm -rf "$cache"/.build-externaldns-webhook.??????
tmp=$(mktemp -d "$cache/.build-externaldns-webhook.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "building external-dns $edns_version's webhook server into $out (minutes on a cold cache)" >&2
cd "$here"
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-buildvcs=false -mod=readonly" GOTOOLCHAIN=$toolchain
"$go" build -trimpath -ldflags "-s -w" -o "$tmp/externaldns-webhook" . >&2

rm -rf "$out"
mv "$tmp" "$out"
chmod 0755 "$out"
trap - EXIT
echo "$out/externaldns-webhook"
