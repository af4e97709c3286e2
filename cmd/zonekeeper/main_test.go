package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := execute(context.Background(), args, &out, &errOut, lookup)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func zoneArgs(dir string, extra ...string) []string {
	return append([]string{"--source=manifest", "--manifest=../../examples", "--provider=zonefile",
		"--zonefile-dir=" + dir, "--zonefile-zone=example.com"}, extra...)
}

func TestPlanApplyReplanIsEmpty(t *testing.T) {
	dir := t.TempDir()
	first := runCLI(t, nil, append([]string{"plan", "--detailed-exitcode"}, zoneArgs(dir)...)...)
	if first.code != 2 {
		t.Fatalf("first plan exit %d, want 2 (changes)\nstdout:\n%s\nstderr:\n%s", first.code, first.stdout, first.stderr)
	}
	for _, want := range []string{"+ www.example.com 120 A 192.0.2.10", "(ingress/shop/web)", "ownership + a-www.example.com TXT",
		"docs.example.com CNAME shop-docs.example.net", "xn--bcher-kva.example.com", "to create, 0 to update, 0 to delete."} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, first.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "example.com.zone")); !os.IsNotExist(err) {
		t.Fatalf("plan wrote the zone file (stat err %v): plan must never write", err)
	}

	if r := runCLI(t, nil, append([]string{"run", "--once"}, zoneArgs(dir)...)...); r.code != 0 {
		t.Fatalf("run --once exit %d\n%s", r.code, r.stderr)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "example.com.zone"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(zone), "heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/shop/web") {
		t.Errorf("zone file lacks the ownership record of www:\n%s", zone)
	}

	again := runCLI(t, nil, append([]string{"plan", "--detailed-exitcode"}, zoneArgs(dir)...)...)
	if again.code != 0 || !strings.Contains(again.stdout, "0 to create, 0 to update, 0 to delete.") {
		t.Fatalf("second plan exit %d, want 0 and no changes:\n%s\n%s", again.code, again.stdout, again.stderr)
	}
}

func TestPlanJSON(t *testing.T) {
	r := runCLI(t, nil, append([]string{"plan", "--output=json"}, zoneArgs(t.TempDir())...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc jsonPlan
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	var records, ownership int
	for _, z := range doc.Zones {
		for _, c := range z.Changes {
			if c.Ownership {
				ownership++
				continue
			}
			records++
			if len(c.Objects) == 0 {
				t.Errorf("change %+v names no object", c.Record)
			}
		}
	}
	if records == 0 || ownership != records || doc.Summary.Create != records {
		t.Errorf("records %d, ownership %d, summary %+v: want one ownership record per record, all counted", records, ownership, doc.Summary)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   []string
		stdout   []string
		noStdout bool
	}{
		{
			name:     "unreadable manifest",
			args:     []string{"plan", "--source=manifest", "--manifest=testdata/missing.yaml"},
			code:     1,
			stderr:   []string{"testdata/missing.yaml"},
			noStdout: true,
		},
		{
			name:     "broken YAML",
			args:     []string{"plan", "--source=manifest", "--manifest=testdata/broken.yaml"},
			code:     1,
			stderr:   []string{"testdata/broken.yaml"},
			noStdout: true,
		},
		{
			name:   "a record the registry cannot own fails the plan",
			args:   []string{"plan", "--detailed-exitcode", "--source=manifest", "--manifest=testdata/apex", "--provider=inmemory", "--inmemory-zone=example.com"},
			code:   1,
			stdout: []string{"ingress/default/apex", "a-example.com"},
			stderr: []string{"cannot be written"},
		},
		{
			name: "per-object problems leave the rest of the plan",
			args: []string{"plan", "--source=manifest", "--manifest=testdata/bad"},
			code: 1,
			stdout: []string{
				"+ good.example.com A 192.0.2.1",
				"ingress/default/long-label",
				"is 64 bytes long",
				`unknown kind "Ingres"`,
				"testdata/bad/objects.yaml",
				"service/default/bad-ttl",
				`"soon"`,
				"+ ttl.example.com A 192.0.2.3",
			},
			stderr: []string{"invalid input"},
		},
		{
			name:     "unsupported upstream flag",
			args:     []string{"plan", "--source=manifest", "--manifest=../../examples", "--azure-resource-group=prod"},
			code:     1,
			stderr:   []string{"--azure-resource-group", "not support", "no Azure DNS provider"},
			noStdout: true,
		},
		{
			name:     "unsupported upstream boolean flag",
			args:     []string{"plan", "--source=manifest", "--manifest=../../examples", "--rfc2136-gss-tsig"},
			code:     1,
			stderr:   []string{"--rfc2136-gss-tsig"},
			noStdout: true,
		},
		{
			name:     "noop registry with sync",
			args:     []string{"plan", "--source=manifest", "--manifest=../../examples", "--registry=noop"},
			code:     1,
			stderr:   []string{"--registry=noop", "--policy=sync"},
			noStdout: true,
		},
		{
			name:     "unknown policy",
			args:     []string{"plan", "--source=manifest", "--manifest=../../examples", "--policy=yolo"},
			code:     1,
			stderr:   []string{"--policy", "yolo"},
			noStdout: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "--zonefile-dir="+t.TempDir(), "--zonefile-zone=example.com")
			r := runCLI(t, nil, args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			for _, w := range tt.stdout {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			if tt.noStdout && r.stdout != "" {
				t.Errorf("stdout should be empty on a fatal error:\n%s", r.stdout)
			}
		})
	}
}

func TestFlagsFromEnvironment(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		owner string
	}{
		{name: "upstream variable", env: map[string]string{"EXTERNAL_DNS_TXT_OWNER_ID": "up"}, owner: "up"},
		{name: "ours wins over upstream's", env: map[string]string{"EXTERNAL_DNS_TXT_OWNER_ID": "up", "ZONEKEEPER_TXT_OWNER_ID": "zk"}, owner: "zk"},
		{name: "command line wins", env: map[string]string{"ZONEKEEPER_TXT_OWNER_ID": "zk"}, args: []string{"--txt-owner-id=cli"}, owner: "cli"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, append(append([]string{"plan"}, zoneArgs(t.TempDir())...), tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "external-dns/owner="+tt.owner+",") {
				t.Errorf("plan does not write owner %q:\n%s", tt.owner, r.stdout)
			}
		})
	}
}

func TestEnvironmentErrorsNameTheVariable(t *testing.T) {
	r := runCLI(t, map[string]string{"EXTERNAL_DNS_DRY_RUN": "maybe"}, append([]string{"run", "--once"}, zoneArgs(t.TempDir())...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "EXTERNAL_DNS_DRY_RUN") {
		t.Errorf("exit %d, stderr %q: want 1 naming the variable", r.code, r.stderr)
	}
}

func TestNegatedBooleanFlag(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, map[string]string{"EXTERNAL_DNS_DRY_RUN": "true"}, append([]string{"run", "--once", "--no-dry-run"}, zoneArgs(dir)...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "example.com.zone")); err != nil {
		t.Errorf("--no-dry-run should have overridden EXTERNAL_DNS_DRY_RUN=true and written the zone: %v", err)
	}

	dry := t.TempDir()
	if r := runCLI(t, nil, append([]string{"run", "--once", "--dry-run"}, zoneArgs(dry)...)...); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dry, "example.com.zone")); !os.IsNotExist(err) {
		t.Errorf("--dry-run wrote the zone file")
	}
}

func TestVersionAndCompletion(t *testing.T) {
	if r := runCLI(t, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "zonekeeper ") {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
	if r := runCLI(t, nil, "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "zonekeeper") {
		t.Errorf("completion bash: exit %d", r.code)
	}
}

func TestRunUntilStopped(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	var stderr bytes.Buffer
	go func() {
		done <- execute(ctx, append([]string{"run", "--interval=20ms"}, zoneArgs(dir)...), io.Discard, &stderr, func(string) (string, bool) { return "", false })
	}()
	zone := filepath.Join(dir, "example.com.zone")
	for {
		if _, err := os.Stat(zone); err == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("run exited with %d before writing the zone: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run exit %d after the context ended, want 0: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopping") {
		t.Errorf("no stop message in the log:\n%s", stderr.String())
	}
}

// Encrypted ownership records read back from the zone file must plan as unchanged: a
// value that churned would be rewritten on every run.
func TestEncryptedOwnershipConverges(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"EXTERNAL_DNS_TXT_ENCRYPT_AES_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}
	args := zoneArgs(dir, "--txt-encrypt-enabled")
	if r := runCLI(t, env, append([]string{"run", "--once"}, args...)...); r.code != 0 {
		t.Fatalf("run --once exit %d: %s", r.code, r.stderr)
	}
	zone, err := os.ReadFile(filepath.Join(dir, "example.com.zone"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(zone), "heritage=") {
		t.Fatalf("ownership values are not encrypted:\n%s", zone)
	}
	again := runCLI(t, env, append([]string{"plan", "--detailed-exitcode"}, args...)...)
	if again.code != 0 {
		t.Fatalf("plan after an encrypted run: exit %d, want 0 (no changes)\n%s%s", again.code, again.stdout, again.stderr)
	}
	other := runCLI(t, map[string]string{"EXTERNAL_DNS_TXT_ENCRYPT_AES_KEY": "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="}, append([]string{"plan"}, args...)...)
	if !strings.Contains(other.stdout, "www.example.com: A record exists and is not owned by zonekeeper") ||
		!strings.Contains(other.stdout, "0 to create, 0 to update, 0 to delete.") {
		t.Errorf("with another key the records must not count as ours:\n%s", other.stdout)
	}
}

// A zone written by an external-dns release that still used the legacy ownership format
// (the TXT at the record's own name) is taken over without touching a record: the only
// change is writing the new-format ownership record next to the legacy one.
func TestTakeOverLegacyOwnership(t *testing.T) {
	dir := t.TempDir()
	zone := `$ORIGIN example.com.
$TTL 300
@ 300 IN SOA ns1 hostmaster 41 3600 600 604800 300
@ 300 IN NS localhost.
www 120 IN A 192.0.2.10
www 300 IN TXT "heritage=external-dns,external-dns/owner=default,external-dns/resource=ingress/shop/web"
`
	if err := os.WriteFile(filepath.Join(dir, "example.com.zone"), []byte(zone), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(dir, "web.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules: [{host: www.example.com}]
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.10}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--source=ingress", "--manifest=" + manifest, "--zonefile-dir=" + dir}
	r := runCLI(t, nil, append([]string{"plan", "--output=json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc jsonPlan
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Zones) != 1 || len(doc.Zones[0].Changes) != 1 {
		t.Fatalf("changes %+v: want exactly one", doc.Zones)
	}
	c := doc.Zones[0].Changes[0]
	if c.Op != "create" || c.Record.Name != "a-www.example.com" || c.Record.Type != "TXT" {
		t.Errorf("change %+v %+v: want the new-format ownership record of www created", c, c.Record)
	}
	if r := runCLI(t, nil, append([]string{"run", "--once"}, args...)...); r.code != 0 {
		t.Fatalf("run --once exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, append([]string{"plan", "--detailed-exitcode"}, args...)...); r.code != 0 {
		t.Errorf("plan after the take-over: exit %d, want 0\n%s", r.code, r.stdout)
	}
}

func TestMinTTL(t *testing.T) {
	tests := []struct {
		flag string
		code int
		want string
	}{
		{flag: "--min-ttl=1m", want: "+ docs.example.com 60 CNAME shop-docs.example.net"},
		{flag: "--min-ttl=90", want: "+ api.example.com 90 A 192.0.2.20"},
		{flag: "--min-ttl=0", code: 1, want: "--min-ttl"},
		{flag: "--min-ttl=soon", code: 1, want: "--min-ttl"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"plan", tt.flag}, zoneArgs(t.TempDir())...)...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("exit %d, want %d and %q in\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
		})
	}
}
