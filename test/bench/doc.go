// Package bench measures the zonekeeper binary on real components — a real
// kube-apiserver and etcd (test/kubeapi), BIND9 over RFC 2136 with AXFR
// (test/dnsserver), and the Route53 and Cloudflare API emulators
// (provider/route53/route53test, provider/cloudflare/cloudflaretest) served in process —
// in the scenarios of issue 9, and renders the figures as a Markdown report beside
// upstream external-dns v0.22's and the targets.
//
// The scenarios are functions of this package; cmd/zkbench runs them (`make bench`)
// and writes docs/benchmarks.md. Nothing here runs under `go test` except the unit
// tests of the pure parts (statistics, /proc parsing, log counting, call counting,
// Route53's change-call bound, rendering, the background churn's pacing) and one short check against BIND9 that skips
// where BIND9 is not installed.
//
// What is counted where:
//   - wall time, CPU (user+system) and peak RSS of a one-shot run come from the
//     child's rusage as the kernel reports it when the child is reaped;
//   - a daemon's CPU comes from /proc/<pid>/stat (utime+stime), its RSS from
//     /proc/<pid>/status (VmRSS); its CPU per periodic full resync is its CPU over the
//     idle window divided by the reconciles its log says ended in that window;
//   - UPDATE messages are the increase of the zone's SOA serial, which BIND9 raises by
//     one for every UPDATE message that changes the zone (a refused or empty UPDATE
//     is not counted);
//   - AXFRs are the "AXFR started" lines of BIND9's log (category xfer-out, logged at
//     info level, which `named -g` writes);
//   - API calls are the emulator's own request counts per operation (Calls), zeroed
//     (ResetCounters) before each measured window: every HTTP request counts, retries
//     and refused ones included.
package bench
