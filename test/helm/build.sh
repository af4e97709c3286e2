#!/usr/bin/env bash
# Builds the helm binary that test/helm runs, from the Go module proxy, and
# prints its path (nothing else goes to stdout).
#
# The folder is keyed by helm's version, so a version bump here builds afresh
# while an unchanged checkout reuses the binary in well under a second. A cold
# build takes minutes, which is why concurrent callers wait on one lock
# instead of building side by side, and why the result only appears by
# rename: a build that is killed halfway leaves no folder that looks complete.
#
# Environment: ZONEKEEPER_E2E_CACHE (default ~/.cache/zonekeeper-e2e) is where
# the versioned folder lives; GO (default go) is the toolchain to build with.
set -euo pipefail

helm_version=v3.22.0

cache=${ZONEKEEPER_E2E_CACHE:-$HOME/.cache/zonekeeper-e2e}
out=$cache/helm-$helm_version
go=${GO:-go}

complete() { [ -x "$out/helm" ]; }

if complete; then
	echo "$out/helm"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.build-helm.lock"
flock 9
# Whoever held the lock before us may have just finished the same build.
if complete; then
	echo "$out/helm"
	exit 0
fi

# Holding the lock, no other helm build is running: any temporary folder left
# is from a build that was killed.
rm -rf "$cache"/.build-helm.??????
tmp=$(mktemp -d "$cache/.build-helm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "building helm $helm_version into $out (takes minutes on a cold cache)" >&2
# Outside any module: go install pkg@version resolves helm's own go.mod, not
# zonekeeper's, and never touches this checkout's go.mod or go.sum.
cd "$tmp"
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-buildvcs=false"
GOBIN="$tmp" "$go" install -trimpath \
	-ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version" \
	"helm.sh/helm/v3/cmd/helm@$helm_version" >&2

rm -rf "$out"
mv "$tmp" "$out"
chmod 0755 "$out"
trap - EXIT
echo "$out/helm"
