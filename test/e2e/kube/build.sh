#!/usr/bin/env bash
# Builds the kube-apiserver and etcd that test/kubeapi runs, from this folder's
# go.mod, and prints the folder that holds them (nothing else goes to stdout).
#
# The folder is keyed by both versions, so a version bump in go.mod and here
# builds afresh while an unchanged checkout reuses the binaries in well under a
# second. A cold build takes minutes and gigabytes, which is why concurrent
# callers (parallel test binaries, make -j) wait on one lock instead of
# building side by side, and why the result only appears by rename: a build
# that is killed halfway leaves no folder that looks complete.
#
# Environment: ZONEKEEPER_E2E_CACHE (default ~/.cache/zonekeeper-e2e) is where
# the versioned folder lives; GO (default go) is the toolchain to build with.
set -euo pipefail

k8s_version=v1.37.2
etcd_version=v3.7.0

here=$(cd "$(dirname "$0")" && pwd)
cache=${ZONEKEEPER_E2E_CACHE:-$HOME/.cache/zonekeeper-e2e}
out=$cache/k8s-$k8s_version-etcd-$etcd_version
go=${GO:-go}

complete() { [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; }

if complete; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9
# Whoever held the lock before us may have just finished the same build.
if complete; then
	echo "$out"
	exit 0
fi

# Holding the lock, no other build is running: any temporary folder left is
# from a build that was killed.
rm -rf "$cache"/.build.??????
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

k8s_minor=${k8s_version#v*.}
k8s_minor=${k8s_minor%%.*}
k8s_major=${k8s_version#v}
k8s_major=${k8s_major%%.*}
version_pkg=k8s.io/component-base/version
k8s_ldflags="-s -w \
-X $version_pkg.gitVersion=$k8s_version \
-X $version_pkg.gitMajor=$k8s_major \
-X $version_pkg.gitMinor=$k8s_minor \
-X $version_pkg.gitTreeState=clean"
etcd_ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version"

echo "building kube-apiserver $k8s_version and etcd $etcd_version into $out (takes minutes on a cold cache)" >&2
cd "$here"
# GOWORK=off and -mod=readonly: build exactly what go.mod and go.sum pin, even
# if a go.work sits above the checkout, and never rewrite them.
export CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"
"$go" build -trimpath -ldflags "$k8s_ldflags" -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2
"$go" build -trimpath -ldflags "$etcd_ldflags" -o "$tmp/etcd" go.etcd.io/etcd/server/v3 >&2

# A stale partial folder can only come from something other than this script;
# replace it whole so the rename below stays atomic.
rm -rf "$out"
mv "$tmp" "$out"
chmod 0755 "$out"
trap - EXIT
echo "$out"
