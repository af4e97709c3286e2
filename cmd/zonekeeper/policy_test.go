package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/policy"
)

// writePolicy writes doc to path.
func writePolicy(t *testing.T, path, doc string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPlanRunDomainPolicy runs plan and run --once over the example manifests with a
// policy file: plan shows what the policy refused and why; run publishes only what it
// allows; a policy taking a published name away keeps its record (exit 3, withheld)
// until run --once --force deletes it.
func TestPlanRunDomainPolicy(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, file, "default: deny\nrules:\n  - {name: shop, namespaces: [shop], names: [www.example.com, api.example.com]}\n")
	args := func(extra ...string) []string {
		return zoneArgs(dir, append([]string{"--domain-policy-file=" + file}, extra...)...)
	}

	plan := runCLI(t, nil, append([]string{"plan"}, args()...)...)
	if plan.code != 0 {
		t.Fatalf("plan exit %d\n%s\n%s", plan.code, plan.stdout, plan.stderr)
	}
	for _, want := range []string{"+ www.example.com", "+ api.example.com",
		"docs.example.com may not be published from namespace shop by the domain policy: namespace shop may publish only api.example.com, www.example.com"} {
		if !strings.Contains(plan.stdout, want) {
			t.Errorf("plan output lacks %q:\n%s", want, plan.stdout)
		}
	}
	if strings.Contains(plan.stdout, "+ docs.example.com") {
		t.Errorf("plan creates a refused name:\n%s", plan.stdout)
	}
	if r := runCLI(t, nil, append([]string{"run", "--once"}, args()...)...); r.code != 0 {
		t.Fatalf("run --once exit %d\n%s", r.code, r.stderr)
	}
	zoneFile := filepath.Join(dir, "example.com.zone")
	zone := func() string {
		data, err := os.ReadFile(zoneFile)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if z := zone(); !strings.Contains(z, "www.example.com") || strings.Contains(z, "docs.example.com") {
		t.Fatalf("zone after run --once:\n%s", z)
	}

	writePolicy(t, file, "default: deny\nrules:\n  - {namespaces: [shop], names: [api.example.com]}\n")
	r := runCLI(t, nil, append([]string{"run", "--once"}, args()...)...)
	if r.code != exitWithheld || !strings.Contains(r.stderr, "for domain_policy") {
		t.Fatalf("run --once after the policy change: exit %d, want %d naming domain_policy\n%s", r.code, exitWithheld, r.stderr)
	}
	if !strings.Contains(zone(), "www.example.com") {
		t.Fatalf("the policy change deleted www.example.com:\n%s", zone())
	}
	if r := runCLI(t, nil, append([]string{"run", "--once", "--force"}, args()...)...); r.code != 0 {
		t.Fatalf("run --once --force exit %d\n%s", r.code, r.stderr)
	}
	if z := zone(); strings.Contains(z, "www.example.com") || !strings.Contains(z, "api.example.com") {
		t.Fatalf("zone after run --once --force:\n%s", z)
	}
}

// TestDomainPolicyFlags: a broken or missing policy, or contradicting flags, stop the
// start with a message naming the problem.
func TestDomainPolicyFlags(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	writePolicy(t, broken, "default: deny\nrules: [{namespaces: [shop]}]\n")
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--domain-policy-file=" + broken}, "--domain-policy-file=" + broken + ": domain policy: rule 1: admits no name"},
		{[]string{"--domain-policy-file=/nonexistent/policy.yaml"}, "--domain-policy-file: open /nonexistent/policy.yaml"},
		{[]string{"--domain-policy-file=" + broken, "--domain-policy-configmap=a/b"}, "give one"},
		{[]string{"--domain-policy-configmap=nonamespace"}, "want NAMESPACE/NAME"},
		{[]string{"--domain-policy-confirm-after=1m"}, "needs a domain policy"},
		{[]string{"--domain-policy-file=" + broken, "--domain-policy-confirm-after=-1s"}, "want 0 (never) or more"},
	} {
		r := runCLI(t, nil, append([]string{"plan"}, zoneArgs(t.TempDir(), tc.flags...)...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("plan %q: exit %d, stderr %q; want 1 and %q", tc.flags, r.code, r.stderr, tc.want)
		}
	}
}

// TestDomainPolicyFileReload: the file is read again at every reconcile; a broken
// version is refused and the last good policy stays in force, a good one replaces it.
func TestDomainPolicyFileReload(t *testing.T) {
	file := filepath.Join(t.TempDir(), "policy.yaml")
	writePolicy(t, file, "default: allow\n")
	o := &options{}
	o.domainPolicy.file = file
	var log strings.Builder
	dp, err := buildDomainPolicy(o, slog.New(slog.NewTextHandler(&log, nil)), modeDaemon)
	if err != nil {
		t.Fatal(err)
	}
	mode := func() policy.Mode {
		p := dp.Current()
		if p == nil {
			t.Fatal("no policy in force")
		}
		return p.Mode()
	}
	if got := mode(); got != policy.Allow {
		t.Fatalf("mode %s, want allow", got)
	}
	writePolicy(t, file, "default: deny\nrules: [{namespaces: [x]}]\n")
	if got := mode(); got != policy.Allow {
		t.Errorf("after a broken policy: mode %s, want the last good one (allow)", got)
	}
	if !strings.Contains(log.String(), "domain policy refused; the last good one stays in force") || !strings.Contains(log.String(), "rule 1: admits no name") {
		t.Errorf("the refusal is not logged with its problem:\n%s", log.String())
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if got := mode(); got != policy.Allow {
		t.Errorf("after the file vanished: mode %s, want the last good one (allow)", got)
	}
	writePolicy(t, file, "default: deny\n")
	if got := mode(); got != policy.Deny {
		t.Errorf("after a good change: mode %s, want deny", got)
	}
}
