package main

import (
	"strings"
	"testing"
)

// TestIgnoreHostnameAnnotationNeedsTemplate: external-dns refuses
// --ignore-hostname-annotation without --fqdn-template (its config validation), since no
// object could then name a record; so does zonekeeper, naming both flags.
func TestIgnoreHostnameAnnotationNeedsTemplate(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, nil, "plan", "--source=service", "--manifest=testdata/fqdn", "--provider=zonefile",
		"--zonefile-dir="+dir, "--zonefile-zone=example.com", "--ignore-hostname-annotation")
	if r.code == 0 || !strings.Contains(r.stderr, "--ignore-hostname-annotation needs --fqdn-template") {
		t.Fatalf("exit %d, want a configuration error naming both flags\nstderr:\n%s", r.code, r.stderr)
	}
	ok := runCLI(t, nil, "plan", "--source=service", "--manifest=testdata/fqdn", "--provider=zonefile",
		"--zonefile-dir="+dir, "--zonefile-zone=example.com", "--ignore-hostname-annotation", "--fqdn-template={{.Name}}.example.com")
	if ok.code != 0 {
		t.Fatalf("with --fqdn-template: exit %d\nstderr:\n%s", ok.code, ok.stderr)
	}
}
