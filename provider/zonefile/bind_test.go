package zonefile

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

// TestBINDLoadsWrittenZone hands what the provider writes to BIND's own zone loader with
// its strictest checks, so "BIND can serve it" is a fact, not a hope. make test installs
// bind9-utils (make dns-servers); without it the test fails rather than skips.
func TestBINDLoadsWrittenZone(t *testing.T) {
	checkzone, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Fatal("named-checkzone is not installed: make dns-servers installs it (bind9-utils)")
	}
	dir := t.TempDir()
	p := newProvider(t, dir, "example.com")
	long := `"` + strings.Repeat("0123456789", 60) + `"`
	changes := []provider.Change{
		providertest.CreateOf(rec("example.com", "A", 0, "192.0.2.1")),
		providertest.CreateOf(rec("www.example.com", "A", 60, "192.0.2.1", "192.0.2.2")),
		providertest.CreateOf(rec("www.example.com", "AAAA", 60, "2001:db8::1")),
		providertest.CreateOf(rec("*.apps.example.com", "CNAME", 0, "lb.example.net")),
		providertest.CreateOf(rec("xn--bcher-kva.example.com", "CNAME", 0, "www.example.com")),
		providertest.CreateOf(rec("long.example.com", "TXT", 0, long)),
		providertest.CreateOf(rec("example.com", "MX", 0, "10 mail.example.net")),
		providertest.CreateOf(rec("_https._tcp.example.com", "SRV", 0, "0 50 443 www.example.com")),
	}
	if err := p.Apply(context.Background(), exampleZone, changes); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	file := filepath.Join(dir, "example.com.zone")
	out, err := exec.Command(checkzone, "-k", "fail", "-n", "fail", "-m", "fail", "-M", "fail", "-S", "fail", "-W", "warn", "example.com", file).CombinedOutput()
	if err != nil {
		content, _ := os.ReadFile(file)
		t.Fatalf("named-checkzone refused the written zone: %v\n%s\nzone file:\n%s", err, out, content)
	}
	if !strings.Contains(string(out), "loaded serial 1") {
		t.Errorf("named-checkzone output %q: want serial 1", out)
	}

	recs, err := p.Records(context.Background(), exampleZone)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs {
		if r.DNSName == "long.example.com" && r.RecordType == endpoint.RecordTypeTXT {
			found = true
			if len(r.Targets) != 1 || r.Targets[0] != long {
				t.Errorf("long TXT read back as %q", r.Targets)
			}
		}
	}
	if !found {
		t.Error("long TXT not read back")
	}
}
