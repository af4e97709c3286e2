package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		check   func(config) string
		wantErr string
	}{
		{"defaults are issue 9's", nil, func(c config) string {
			if !slices.Equal(c.ns, []int{1000, 5000, 10000, 50000}) || c.opts.Runs != 3 || c.opts.IdleFor != 3*time.Minute ||
				c.opts.Samples != 20 || c.out != "docs/benchmarks.md" || len(c.opts.Scenarios) != 6 ||
				!slices.Equal(c.providers, []string{"rfc2136", "route53", "cloudflare"}) || c.apiMaxN != 10000 || c.apiDaemonRuns != 1 ||
				c.opts.ChurnRate != 0 {
				return "not the defaults"
			}
			return ""
		}, ""},
		{"smoke", []string{"-smoke"}, func(c config) string {
			if !slices.Equal(c.ns, []int{200}) || c.opts.Runs != 1 || c.opts.DaemonRuns != 1 || c.opts.IdleFor != 10*time.Second || c.out != "" ||
				c.opts.ChurnRate != 0 {
				return "not the smoke settings"
			}
			return ""
		}, ""},
		{"n sorted, scenarios chosen", []string{"-n", "5000, 1000", "-scenarios", "cold,idle"}, func(c config) string {
			if !slices.Equal(c.ns, []int{1000, 5000}) || !c.opts.Scenarios["cold"] || !c.opts.Scenarios["idle"] || c.opts.Scenarios["event"] {
				return "wrong N or scenarios"
			}
			return ""
		}, ""},
		{"providers chosen, in the order given, once each", []string{"-providers", "cloudflare, route53,cloudflare"}, func(c config) string {
			if !slices.Equal(c.providers, []string{"cloudflare", "route53"}) {
				return "wrong providers"
			}
			return ""
		}, ""},
		{"churn rate", []string{"-churn-rate", "20"}, func(c config) string {
			if c.opts.ChurnRate != 20 {
				return "churn rate not 20"
			}
			return ""
		}, ""},
		{"negative churn rate", []string{"-churn-rate", "-5"}, nil, "-churn-rate: -5 updates/s"},
		{"churn rate beyond the ticker", []string{"-churn-rate", "1e12"}, nil, "-churn-rate: 1e+12 updates/s"},
		{"unknown provider", []string{"-providers", "route53,azure"}, nil, `unknown provider "azure"`},
		{"bad n", []string{"-n", "10,x"}, nil, `-n: "x"`},
		{"zero n", []string{"-n", "0"}, nil, `-n: "0"`},
		{"unknown scenario", []string{"-scenarios", "cold,warm"}, nil, `unknown scenario "warm"`},
		{"zero runs", []string{"-runs", "0"}, nil, "must be positive"},
		{"zero API daemon runs", []string{"-api-daemon-runs", "0"}, nil, "must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(append([]string{"zkbench"}, tc.args...))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if problem := tc.check(c); problem != "" {
				t.Errorf("%v: %s: %+v", tc.args, problem, c)
			}
		})
	}
}

func TestWithKeptSections(t *testing.T) {
	page := "# Benchmarks\n\nnew tables\n"
	kept := keptMarker + "\n\n## Webhook\n\nasserted counts\n"
	for _, tt := range []struct{ name, old, want string }{
		{"no file yet", "", page},
		{"nothing kept", "# Benchmarks\n\nold tables\n", page},
		{"kept part", "# Benchmarks\n\nold tables\n\n" + kept, "# Benchmarks\n\nnew tables\n\n" + kept},
	} {
		if got := withKeptSections(tt.old, page); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
