package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// TestRunOnceAfterPartialWrite runs run --once against a BIND9 that goes away after
// accepting a few of the UPDATE messages (one change each): the run must fail, and its log
// must say exactly what was applied, one "change applied" line per change the server
// holds, and count in its closing summary the changes applied, in flight and never
// attempted. (The log once said every change was not applied, and logged none.)
func TestRunOnceAfterPartialWrite(t *testing.T) {
	const services, accepted = 12, 5
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}})
	cutter := dnsserver.Cut(t, srv.Addr, accepted)
	manifests := t.TempDir()
	var yaml strings.Builder
	for i := range services {
		fmt.Fprintf(&yaml, `---
apiVersion: v1
kind: Service
metadata:
  name: svc-%02d
  namespace: shop
  annotations:
    external-dns.kubernetes.io/hostname: svc-%02d.example.com
spec:
  type: LoadBalancer
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.%d}]
`, i, i, i+1)
	}
	if err := os.WriteFile(filepath.Join(manifests, "services.yaml"), []byte(yaml.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(cutter.Addr, ":")
	r := runCLI(t, map[string]string{"EXTERNAL_DNS_RFC2136_TSIG_SECRET": srv.Secret}, "run", "--once",
		"--source=manifest", "--manifest="+manifests, "--provider=rfc2136", "--rfc2136-host="+host, "--rfc2136-port="+port,
		"--rfc2136-zone=example.com", "--rfc2136-tsig-keyname="+srv.KeyName, "--rfc2136-tsig-secret-alg="+srv.Algorithm,
		"--rfc2136-batch-change-size=1")
	if r.code != 1 {
		t.Fatalf("run --once exit %d, want 1\n%s", r.code, r.stderr)
	}
	if got := cutter.Forwarded(); got != accepted {
		t.Fatalf("the server got %d UPDATE messages, want %d", got, accepted)
	}

	records, err := srv.Transfer(t.Context(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	var held []string
	for _, rr := range records {
		if rr.Header().Rrtype == dns.TypeA {
			held = append(held, strings.TrimSuffix(rr.Header().Name, "."))
		}
	}
	logged := regexp.MustCompile(`msg="change applied" .*record.name=(\S+)`).FindAllStringSubmatch(r.stderr, -1)
	var applied []string
	for _, m := range logged {
		applied = append(applied, m[1])
	}
	slices.Sort(held)
	slices.Sort(applied)
	if len(held) != accepted || !slices.Equal(held, applied) {
		t.Errorf("the server holds A records %q; the log says it applied %q\n%s", held, applied, r.stderr)
	}
	summary := regexp.MustCompile(`msg="reconcile finished" .*`).FindString(r.stderr)
	for _, want := range []string{
		"plannedCreate=" + strconv.Itoa(services), "applied=" + strconv.Itoa(accepted),
		"unknown=1", "notAttempted=" + strconv.Itoa(services-accepted-1),
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the closing summary lacks %s: %s", want, summary)
		}
	}
}
