package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/controller"
)

func TestDeletionBudgetFlags(t *testing.T) {
	tests := []struct {
		name    string
		o       options
		want    controller.DeletionBudget
		wantErr string
	}{
		{"defaults", options{maxDeletions: 50, maxDeletionRatio: 0.3, deletionConfirmAfter: 10 * time.Minute, interval: time.Minute},
			controller.DeletionBudget{MaxDeletions: 50, MaxRatio: 0.3, Window: time.Minute, ConfirmAfter: 10 * time.Minute}, ""},
		{"no limits", options{}, controller.DeletionBudget{}, ""},
		{"forced one-shot run", options{maxDeletions: 50, maxDeletionRatio: 0.3, force: true, once: true}, controller.DeletionBudget{}, ""},
		{"forced daemon", options{maxDeletions: 50, force: true}, controller.DeletionBudget{}, "use it with run --once"},
		{"negative count", options{maxDeletions: -1}, controller.DeletionBudget{}, "--max-deletions=-1"},
		{"ratio above 1", options{maxDeletionRatio: 1.5}, controller.DeletionBudget{}, "--max-deletion-ratio=1.5"},
		{"ratio NaN", options{maxDeletionRatio: math.NaN()}, controller.DeletionBudget{}, "--max-deletion-ratio=NaN: not a finite number"},
		{"ratio +Inf", options{maxDeletionRatio: math.Inf(1)}, controller.DeletionBudget{}, "--max-deletion-ratio=+Inf: not a finite number"},
		{"ratio -Inf", options{maxDeletionRatio: math.Inf(-1)}, controller.DeletionBudget{}, "--max-deletion-ratio=-Inf: not a finite number"},
		{"negative confirmation", options{deletionConfirmAfter: -time.Second}, controller.DeletionBudget{}, "--deletion-confirm-after=-1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deletionBudget(&tt.o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("deletionBudget = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestDeletionRatioNotANumber: a ratio that is not a finite number, on the command line
// or in the environment, is refused before anything is read: NaN would pass every
// comparison and turn the ratio guard off.
func TestDeletionRatioNotANumber(t *testing.T) {
	for _, value := range []string{"NaN", "nan", "+Inf", "-Inf", "Inf", "infinity"} {
		for _, via := range []string{"flag", "EXTERNAL_DNS_MAX_DELETION_RATIO", "ZONEKEEPER_MAX_DELETION_RATIO"} {
			t.Run(value+" by "+via, func(t *testing.T) {
				dir := t.TempDir()
				args := zoneArgs(dir)
				var env map[string]string
				if via == "flag" {
					args = append(args, "--max-deletion-ratio="+value)
				} else {
					env = map[string]string{via: value}
				}
				for _, cmd := range [][]string{{"plan"}, {"run", "--once"}} {
					r := runCLI(t, env, append(cmd, args...)...)
					if r.code != 1 || !strings.Contains(r.stderr, "--max-deletion-ratio=") || !strings.Contains(r.stderr, "not a finite number") {
						t.Errorf("%s: exit %d, stderr %q; want 1 and --max-deletion-ratio refused as not a finite number", cmd, r.code, r.stderr)
					}
				}
				if _, err := os.Stat(filepath.Join(dir, "example.com.zone")); !os.IsNotExist(err) {
					t.Errorf("a zone file was written (stat err %v)", err)
				}
			})
		}
	}
}

// budgetZone writes a manifest of n Ingresses web-0 … web-(n-1), each asking for
// web-<i>.example.com, and returns its path.
func budgetZone(t *testing.T, n int) (manifest string) {
	t.Helper()
	manifest = filepath.Join(t.TempDir(), "ingresses.yaml")
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web-%d, namespace: default}
spec:
  rules: [{host: web-%d.example.com}]
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.%d}]
`, i, i, i+1)
	}
	if err := os.WriteFile(manifest, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return manifest
}

// TestWithheldDeletionsExitCode: a zone of 20 records whose sources now want 10 of them
// (10 deletions, over --max-deletions=5). plan --detailed-exitcode and run --once exit 3
// (not 0: "in sync", nor 2: "changes"), and run --once deletes nothing and says how to
// proceed; --force deletes them, after which everything is in sync.
func TestWithheldDeletionsExitCode(t *testing.T) {
	zoneDir := t.TempDir()
	base := func(manifest string, extra ...string) []string {
		return append([]string{"--source=manifest", "--manifest=" + manifest, "--provider=zonefile",
			"--zonefile-dir=" + zoneDir, "--zonefile-zone=example.com", "--max-deletions=5"}, extra...)
	}
	all, half := budgetZone(t, 20), budgetZone(t, 10)
	if r := runCLI(t, nil, append([]string{"run", "--once"}, base(all)...)...); r.code != 0 {
		t.Fatalf("seeding run --once exit %d:\n%s", r.code, r.stderr)
	}
	seeded, err := os.ReadFile(filepath.Join(zoneDir, "example.com.zone"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"plan without --detailed-exitcode", append([]string{"plan"}, base(half)...), 0,
			[]string{"! withheld delete", "more than --max-deletions=5"}, nil},
		{"plan --detailed-exitcode", append([]string{"plan", "--detailed-exitcode"}, base(half)...), exitWithheld,
			[]string{"! withheld delete", "0 to create, 0 to update, 0 to delete."}, []string{"10 deletions withheld (10 for deletion_budget)", "run --once --force"}},
		{"plan --detailed-exitcode with other changes too", append([]string{"plan", "--detailed-exitcode", "--min-ttl=600"}, base(half)...), exitWithheld,
			[]string{"~ web-0.example.com"}, []string{"10 deletions withheld"}},
		{"plan --detailed-exitcode with an error", append([]string{"plan", "--detailed-exitcode"}, base(half, "--manifest=testdata/bad")...), 1,
			nil, []string{"invalid input"}},
		{"run --once", append([]string{"run", "--once"}, base(half)...), exitWithheld,
			nil, []string{"deletion withheld", "10 deletions withheld (10 for deletion_budget)", "run --once --force", "--deletion-confirm-after"}},
		{"run --once --deletion-confirm-after has no memory", append([]string{"run", "--once", "--deletion-confirm-after=1ns"}, base(half)...), exitWithheld,
			nil, []string{"10 deletions withheld"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			// Nothing was deleted (nor written).
			if zone, _ := os.ReadFile(filepath.Join(zoneDir, "example.com.zone")); string(zone) != string(seeded) {
				t.Errorf("the zone changed:\n%s", zone)
			}
		})
	}

	if r := runCLI(t, nil, append([]string{"run", "--once", "--force"}, base(half)...)...); r.code != 0 {
		t.Fatalf("run --once --force exit %d:\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, append([]string{"plan", "--detailed-exitcode"}, base(half)...)...); r.code != 0 {
		t.Errorf("plan after --force exit %d, want 0 (in sync):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
