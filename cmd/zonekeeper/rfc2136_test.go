package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// TestRFC2136ThroughCLI applies examples/ to a real BIND9 through the command line's
// flags, with the TSIG secret taken from the command line (with a warning), the
// environment or a file, and plans again.
func TestRFC2136ThroughCLI(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}, Algorithm: "hmac-sha512"})
	secretFile := filepath.Join(t.TempDir(), "tsig")
	if err := os.WriteFile(secretFile, []byte(srv.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// args gives cmd and the flags; args(…)[1:] are the flags alone, external-dns's form.
	args := func(cmd string, extra ...string) []string {
		return append([]string{cmd, "--source=manifest", "--manifest=../../examples", "--provider=rfc2136",
			"--rfc2136-host=" + srv.Host, "--rfc2136-port=" + strconv.Itoa(srv.Port), "--rfc2136-zone=example.com",
			"--rfc2136-tsig-keyname=" + srv.KeyName, "--rfc2136-tsig-secret-alg=" + srv.Algorithm}, extra...)
	}
	secretEnv := map[string]string{"EXTERNAL_DNS_RFC2136_TSIG_SECRET": srv.Secret}

	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "secret on the command line, external-dns's args without a command: applied, with a warning",
			args: args("run", "--once", "--rfc2136-tsig-secret="+srv.Secret)[1:], wantCode: 0, wantErr: tsigSecretWarning},
		{name: "secret in both places is refused", env: secretEnv, args: args("plan", "--rfc2136-tsig-secret-file="+secretFile),
			wantCode: 1, wantErr: "keep one"},
		{name: "no secret at all", args: args("plan"), wantCode: 1, wantErr: "secret"},
		{name: "apply with the secret from the environment", env: secretEnv, args: args("run", "--once"), wantCode: 0},
		{name: "nothing left to do, secret from a file", args: args("plan", "--detailed-exitcode", "--rfc2136-tsig-secret-file="+secretFile), wantCode: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("exit %d, want %d with %q in stderr\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, tt.wantErr, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, srv.Secret) {
				t.Errorf("the TSIG secret appears in the output")
			}
		})
	}
	records, err := srv.Transfer(t.Context(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, rr := range records {
		text.WriteString(rr.String() + "\n")
	}
	for _, want := range []string{"www.example.com.\t120\tIN\tA\t192.0.2.10", "a-www.example.com.", "xn--bcher-kva.example.com."} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("zone lacks %q after run --once:\n%s", want, text.String())
		}
	}
}
