package main

import (
	"strings"
	"testing"
)

// TestCRDSource: plan --source=manifest previews DNSEndpoints, a bad entry is refused
// naming the object, its file and the entry while the others are planned; the crd flags
// are checked at start.
func TestCRDSource(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{
			name: "manifest preview",
			args: []string{"plan", "--source=manifest", "--manifest=testdata/crd", "--managed-record-types=A,MX,TXT", "--txt-prefix=_zk-%{record_type}."},
			code: 1,
			stdout: []string{
				"+ example.com MX 10 mail.example.com   (crd/default/mail)",
				`+ example.com TXT "v=spf1 mx -all"   (crd/default/mail)`,
				"+ mail.example.com A 192.0.2.25   (crd/default/mail)",
				`crd/default/mail (testdata/crd/mail.yaml): spec.endpoints[3] (dnsName "bad.example.com"): A target "mail.example.com": not an IP address`,
				"3 to create",
			},
			stderr: []string{"invalid input"},
		},
		{
			name:   "--source=crd reads the manifest's DNSEndpoints alone",
			args:   []string{"plan", "--source=crd", "--manifest=testdata/crd", "--managed-record-types=A,MX,TXT", "--txt-prefix=_zk-%{record_type}."},
			code:   1,
			stdout: []string{"3 to create"},
		},
		{
			name:   "a bad --crd-source-apiversion",
			args:   []string{"plan", "--source=crd", "--manifest=testdata/crd", "--crd-source-apiversion=v1"},
			code:   1,
			stderr: []string{"--crd-source-apiversion", `"v1"`},
		},
		{
			name:   "an unknown source names the known ones",
			args:   []string{"plan", "--source=crds", "--manifest=testdata/crd"},
			code:   1,
			stderr: []string{`--source "crds"`, "crd", "manifest"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, append(tt.args, "--provider=zonefile", "--zonefile-dir="+t.TempDir(), "--zonefile-zone=example.com")...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}
