// Package e2e runs the zonekeeper binary as users run it — `zonekeeper run` against a
// real kube-apiserver (test/kubeapi) with the zonefile provider — and checks what lands
// in the zone files, on /readyz and on /metrics.
//
// Every test starts its own daemon process with its own namespace (--namespace), zone
// folder and metrics port, and stops it with SIGTERM, expecting exit code 0. One
// kube-apiserver serves all tests but the one that stops it.
//
// The tests run the binary built with the race detector. Benchmarks (go test -run '^$'
// -bench . -benchtime 1x ./test/e2e/) run a plain build instead, so that latency and
// memory are those of the binary as shipped.
package e2e
