package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// TestNoTakeoverThroughOwnershipNames (D1) runs run --once twice against BIND9 over RFC
// 2136. The zone holds a hand-written, unowned a-team.example.com A 10.0.0.1; a Service
// asks for team.example.com, whose ownership record is named a-team.example.com. The
// hand-written record must stay as it is, and a Service that asks for a-team.example.com
// too must not get it. (It was deleted on the second run, or repointed.)
func TestNoTakeoverThroughOwnershipNames(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{
		Zones:        []string{"example.com"},
		ExtraRecords: map[string][]string{"example.com": {"a-team 300 A 10.0.0.1"}},
	})
	service := func(name, hostnames string) string {
		return `---
apiVersion: v1
kind: Service
metadata:
  name: ` + name + `
  namespace: tenant
  annotations:
    external-dns.kubernetes.io/hostname: ` + hostnames + `
spec:
  type: LoadBalancer
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.66}]
`
	}
	for _, tt := range []struct{ name, manifest string }{
		{"the name beside", service("team", "team.example.com")},
		{"the name itself asked for too", service("team", "team.example.com,a-team.example.com")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "svc.yaml"), []byte(tt.manifest), 0o600); err != nil {
				t.Fatal(err)
			}
			for run := range 2 {
				r := runCLI(t, map[string]string{"EXTERNAL_DNS_RFC2136_TSIG_SECRET": srv.Secret}, "run", "--once",
					"--source=manifest", "--manifest="+dir, "--provider=rfc2136", "--rfc2136-host="+srv.Host,
					"--rfc2136-port="+strconv.Itoa(srv.Port), "--rfc2136-zone=example.com", "--rfc2136-tsig-keyname="+srv.KeyName,
					"--rfc2136-tsig-secret-alg="+srv.Algorithm, "--txt-owner-id=x")
				if r.code != 0 {
					t.Fatalf("run %d: exit %d\n%s", run+1, r.code, r.stderr)
				}
				if slices.ContainsFunc(strings.Split(r.stderr, "\n"), func(l string) bool {
					return strings.Contains(l, "change applied") && strings.Contains(l, "record.name=a-team.example.com")
				}) {
					t.Errorf("run %d changed a-team.example.com:\n%s", run+1, r.stderr)
				}
			}
			records, err := srv.Transfer(t.Context(), "example.com")
			if err != nil {
				t.Fatal(err)
			}
			var aTeam []string
			for _, rr := range records {
				if rr.Header().Name == "a-team.example.com." && rr.Header().Rrtype != dns.TypeTXT {
					aTeam = append(aTeam, rr.String())
				}
			}
			if len(aTeam) != 1 || !strings.HasSuffix(aTeam[0], "10.0.0.1") {
				t.Errorf("a-team.example.com holds %q, want only the hand-written A 10.0.0.1", aTeam)
			}
		})
	}
}
