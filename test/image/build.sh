#!/usr/bin/env bash
# Builds the offline container image with podman: a FROM scratch image holding the
# static binary (CGO_ENABLED=0) and the CA bundle of Debian's ca-certificates
# package. No registry is contacted. Prints the image name on stdout, nothing else.
#
# Usage: test/image/build.sh [IMAGE]   (default localhost/zonekeeper:offline)
# Environment: VERSION (stamped into the binary, default dev), GO (default go),
# CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
image=${1:-localhost/zonekeeper:offline}
go=${GO:-go}
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

if ! command -v podman >/dev/null; then
	echo "podman is missing: apt-get install -y podman runc (or make podman as root)" >&2
	exit 1
fi
if [ ! -s "$ca" ]; then
	echo "no CA bundle at $ca: apt-get install -y ca-certificates" >&2
	exit 1
fi

# crun and default ulimits fail in sandboxes like CI's; containers.conf says runc
# and cgroupfs. A caller's own CONTAINERS_CONF wins.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
(cd "$root" && CGO_ENABLED=0 "$go" build -trimpath \
	-ldflags "-s -w -X main.version=${VERSION:-dev}" -o "$ctx/zonekeeper" ./cmd/zonekeeper)
cp "$ca" "$ctx/ca-certificates.crt"
cp "$here/Containerfile" "$ctx/Containerfile"
podman build --quiet --runtime runc -t "$image" -f "$ctx/Containerfile" "$ctx" >/dev/null
echo "$image"
