package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTargetFlags runs plan over the examples with external-dns's target flags.
func TestTargetFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		flags   []string
		code    int
		want    []string
		notWant []string
	}{
		{
			name:  "defaults leave objects with targets alone",
			flags: []string{"--default-targets=203.0.113.5"},
			want:  []string{"+ api.example.com 60 A 192.0.2.20", "+ docs.example.com CNAME shop-docs.example.net", "7 to create"},
		},
		{
			name:    "forced defaults replace every record",
			flags:   []string{"--default-targets=203.0.113.5", "--default-targets=2001:db8::99", "--force-default-targets"},
			want:    []string{"+ api.example.com 60 A 203.0.113.5", "+ api.example.com 60 AAAA 2001:db8::99", "+ docs.example.com A 203.0.113.5", "+ docs.example.com AAAA 2001:db8::99"},
			notWant: []string{"192.0.2.20", "shop-docs.example.net", "CNAME"},
		},
		{
			name:    "net filter and exclusion",
			flags:   []string{"--target-net-filter=192.0.2.0/28", "--exclude-target-net=192.0.2.20/32"},
			want:    []string{"+ www.example.com 120 A 192.0.2.10", "warning: service/shop/api (../../examples/services.yaml) api.example.com: A record not published", "docs.example.com: CNAME record not published", "2 to create"},
			notWant: []string{"+ api.example.com", "+ docs.example.com"},
		},
		{
			name:    "exclusions from external-dns's environment, one a line",
			env:     map[string]string{"EXTERNAL_DNS_EXCLUDE_TARGET_NET": "192.0.2.10/32\n2001:db8::/32\n"},
			want:    []string{"+ api.example.com 60 A 192.0.2.20", "+ docs.example.com CNAME shop-docs.example.net", "api.example.com: AAAA record not published", "www.example.com: A record not published"},
			notWant: []string{"+ www.example.com", "+ api.example.com 60 AAAA"},
		},
		{name: "force without defaults", flags: []string{"--force-default-targets"}, code: 1, want: []string{"--force-default-targets needs --default-targets"}},
		{name: "two default host names", flags: []string{"--default-targets=a.example.net,b.example.net"}, code: 1, want: []string{"a CNAME has exactly one target"}},
		{name: "not a CIDR", flags: []string{"--target-net-filter=192.0.2.0"}, code: 1, want: []string{`--target-net-filter "192.0.2.0": want a CIDR`}},
		{name: "old plural name", flags: []string{"--exclude-target-nets=10.0.0.0/8"}, code: 1, want: []string{"use --exclude-target-net"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, append([]string{"plan"}, zoneArgs(t.TempDir(), tt.flags...)...)...)
			out := r.stdout + r.stderr
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s", r.code, tt.code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestDefaultTargetsAndDNSEndpoints shows what the default targets do to DNSEndpoint
// entries: one without targets stays refused, one with targets is replaced only when forced.
func TestDefaultTargetsAndDNSEndpoints(t *testing.T) {
	args := func(extra ...string) []string {
		return append([]string{"plan", "--source=manifest", "--manifest=testdata/targets", "--provider=zonefile",
			"--zonefile-dir=" + t.TempDir(), "--zonefile-zone=example.com", "--managed-record-types=A,MX"}, extra...)
	}
	plain := runCLI(t, nil, args("--default-targets=203.0.113.5")...)
	for _, want := range []string{"+ mail.example.com MX 10 mx.example.net", "crd/default/records", "no targets"} {
		if !strings.Contains(plain.stdout+plain.stderr, want) {
			t.Errorf("plan --default-targets lacks %q:\n%s%s", want, plain.stdout, plain.stderr)
		}
	}
	forced := runCLI(t, nil, args("--default-targets=203.0.113.5", "--force-default-targets")...)
	if out := forced.stdout + forced.stderr; !strings.Contains(out, "+ mail.example.com A 203.0.113.5") || strings.Contains(out, "+ mail.example.com MX") {
		t.Errorf("plan --force-default-targets did not turn the MX entry into an A record:\n%s", out)
	}
}

// TestTargetFlagsConverge applies a filtered plan and plans again: the records the
// filter removed stay unpublished, without a change planned for them.
func TestTargetFlagsConverge(t *testing.T) {
	dir := t.TempDir()
	flags := []string{"--exclude-target-net=192.0.2.20/32", "--default-targets=lb.example.net", "--force-default-targets"}
	if r := runCLI(t, nil, append([]string{"run", "--once"}, zoneArgs(dir, flags...)...)...); r.code != 0 {
		t.Fatalf("run --once exit %d\n%s", r.code, r.stderr)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "example.com.zone"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"api.example.com.", "lb.example.net."} {
		if !strings.Contains(string(zone), want) {
			t.Errorf("zone lacks %q:\n%s", want, zone)
		}
	}
	if strings.Contains(string(zone), "192.0.2.20") {
		t.Errorf("zone holds a replaced target:\n%s", zone)
	}
	again := runCLI(t, nil, append([]string{"plan", "--detailed-exitcode"}, zoneArgs(dir, flags...)...)...)
	if again.code != 0 {
		t.Fatalf("second plan exit %d, want 0:\n%s%s", again.code, again.stdout, again.stderr)
	}
}
