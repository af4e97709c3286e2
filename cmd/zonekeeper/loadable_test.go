package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCNAMEBesideOtherDataIsRefused (D2) runs run --once with the zonefile provider on a
// zone holding www TXT and mail MX, for a Service that asks for www and mail with a CNAME
// target: both CNAMEs must be refused with a warning naming what stands there, nothing
// of them written (no ownership record either), and the zone must still load in BIND.
func TestCNAMEBesideOtherDataIsRefused(t *testing.T) {
	checkzone, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Fatal("named-checkzone is not installed: make dns-servers installs it (bind9-utils)")
	}
	zones, manifests := t.TempDir(), t.TempDir()
	zoneFile := filepath.Join(zones, "example.com.zone")
	original := `$ORIGIN example.com.
$TTL 300
@	SOA	ns1.example.com. hostmaster.example.com. 1 3600 600 604800 300
@	NS	ns1.example.net.
www	TXT	"google-site-verification=abc"
mail	MX	10 mx.example.net.
`
	if err := os.WriteFile(zoneFile, []byte(original), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
    external-dns.kubernetes.io/hostname: www.example.com,mail.example.com
    external-dns.kubernetes.io/target: lb.example.net
spec:
  type: LoadBalancer
`
	if err := os.WriteFile(filepath.Join(manifests, "svc.yaml"), []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "run", "--once", "--source=manifest", "--manifest="+manifests, "--provider=zonefile",
		"--zonefile-dir="+zones, "--zonefile-zone=example.com")
	if strings.Contains(r.stderr, "change applied") {
		t.Errorf("a change was applied:\n%s", r.stderr)
	}
	for _, want := range []string{"www.example.com CNAME not written: www.example.com holds TXT", "mail.example.com CNAME not written: mail.example.com holds MX"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the log lacks %q:\n%s", want, r.stderr)
		}
	}
	content, err := os.ReadFile(zoneFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != original {
		t.Errorf("the zone file changed:\n%s", content)
	}
	if out, err := exec.Command(checkzone, "-i", "local", "-k", "fail", "example.com", zoneFile).CombinedOutput(); err != nil {
		t.Errorf("named-checkzone refuses the zone: %v\n%s", err, out)
	}
}
