package endpoint

import (
	"strings"
	"testing"
)

func TestDomainFilterMatch(t *testing.T) {
	tests := []struct {
		desc                  string
		include, exclude      []string
		regex, regexExclusion string
		match, noMatch        []string
		wantConfigured        bool
	}{
		{
			desc:  "zero filter matches everything",
			match: []string{"example.com", "a.b.example.org", "", "*.x.y"},
		},
		{
			desc:    "empty entries are ignored",
			include: []string{"", " , "},
			match:   []string{"example.com", "other.org"},
		},
		{
			desc:           "include list: the name and names below it, whole labels only",
			include:        []string{"example.com"},
			match:          []string{"example.com", "app.example.com", "a.b.example.com", "App.Example.COM.", "*.example.com"},
			noMatch:        []string{"badexample.com", "example.com.evil.org", "example.org", "com"},
			wantConfigured: true,
		},
		{
			desc:           "leading dot: only names below",
			include:        []string{".example.com"},
			match:          []string{"app.example.com", "a.b.example.com"},
			noMatch:        []string{"example.com", "badexample.com", "app.badexample.com"},
			wantConfigured: true,
		},
		{
			desc:           "comma-separated entries in one value, with spaces and trailing dots",
			include:        []string{"example.com, example.org.", "example.net"},
			match:          []string{"a.example.com", "example.org", "b.example.net"},
			noMatch:        []string{"example.io"},
			wantConfigured: true,
		},
		{
			desc:           "upper-case entries",
			include:        []string{"EXAMPLE.com"},
			match:          []string{"app.example.com"},
			wantConfigured: true,
		},
		{
			desc:           "exclusions win over inclusions",
			include:        []string{"example.com"},
			exclude:        []string{"internal.example.com", ".private.example.com"},
			match:          []string{"example.com", "app.example.com", "private.example.com", "notinternal.example.com"},
			noMatch:        []string{"internal.example.com", "a.internal.example.com", "a.private.example.com", "example.org"},
			wantConfigured: true,
		},
		{
			desc:           "exclusions alone",
			exclude:        []string{"example.com,example.org"},
			match:          []string{"example.net", "badexample.com"},
			noMatch:        []string{"example.com", "a.example.org"},
			wantConfigured: true,
		},
		{
			desc:           "IDN entries and names compare in punycode",
			include:        []string{"Bücher.example"},
			exclude:        []string{"xn--r8jz45g.xn--bcher-kva.example"},
			match:          []string{"xn--bcher-kva.example", "a.bücher.example", "A.BÜCHER.example."},
			noMatch:        []string{"bucher.example", "例え.bücher.example"},
			wantConfigured: true,
		},
		{
			desc:           "include regex; plain lists ignored",
			include:        []string{"example.org"},
			exclude:        []string{"a.example.com"},
			regex:          `(^|\.)example\.com$`,
			match:          []string{"example.com", "a.example.com", "B.Example.com."},
			noMatch:        []string{"example.org", "badexample.org", "example.com.org"},
			wantConfigured: true,
		},
		{
			desc:           "exclusion regex alone; plain lists ignored",
			include:        []string{"example.org"},
			regexExclusion: `^internal\.`,
			match:          []string{"example.com", "app.example.com"},
			noMatch:        []string{"internal.example.com", "Internal.example.org"},
			wantConfigured: true,
		},
		{
			desc:           "include and exclusion regex",
			regex:          `\.example\.com$`,
			regexExclusion: `^internal\.`,
			match:          []string{"app.example.com"},
			noMatch:        []string{"internal.example.com", "app.example.org", "example.com"},
			wantConfigured: true,
		},
		{
			desc:           "regex sees the punycode form",
			regex:          `^xn--bcher-kva\.`,
			match:          []string{"Bücher.example"},
			noMatch:        []string{"buecher.example"},
			wantConfigured: true,
		},
	}
	for _, tt := range tests {
		f, err := NewDomainFilter(tt.include, tt.exclude, tt.regex, tt.regexExclusion)
		if err != nil {
			t.Errorf("%s: NewDomainFilter: %v", tt.desc, err)
			continue
		}
		if got := f.IsConfigured(); got != tt.wantConfigured {
			t.Errorf("%s: IsConfigured() = %v, want %v", tt.desc, got, tt.wantConfigured)
		}
		for _, n := range tt.match {
			if !f.Match(n) {
				t.Errorf("%s: Match(%q) = false, want true", tt.desc, n)
			}
		}
		for _, n := range tt.noMatch {
			if f.Match(n) {
				t.Errorf("%s: Match(%q) = true, want false", tt.desc, n)
			}
		}
	}
}

func TestZeroDomainFilter(t *testing.T) {
	var f DomainFilter
	if f.IsConfigured() {
		t.Error("zero DomainFilter: IsConfigured() = true")
	}
	for _, n := range []string{"example.com", "", "a.b.c"} {
		if !f.Match(n) || !f.MatchZone(n) {
			t.Errorf("zero DomainFilter does not match %q", n)
		}
	}
}

func TestNewDomainFilterErrors(t *testing.T) {
	tests := []struct {
		desc                  string
		include, exclude      []string
		regex, regexExclusion string
		want                  []string // substrings of the error
	}{
		{desc: "bad include regex", regex: `(`, want: []string{"--regex-domain-filter", `"("`}},
		{desc: "bad exclusion regex", regexExclusion: `[a-`, want: []string{"--regex-domain-exclusion", `"[a-"`}},
		{desc: "bad IDN include", include: []string{"ok.com,\u0300a.com"}, want: []string{"--domain-filter", "\u0300a.com"}},
		{desc: "bad IDN exclusion", exclude: []string{"a\u200db.com"}, want: []string{"--exclude-domains", "punycode"}},
		{desc: "empty trailing label", include: []string{"example.com.."}, want: []string{"--domain-filter", "empty label"}},
	}
	for _, tt := range tests {
		_, err := NewDomainFilter(tt.include, tt.exclude, tt.regex, tt.regexExclusion)
		if err == nil {
			t.Errorf("%s: no error", tt.desc)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.desc, err, w)
			}
		}
	}
}

func TestDomainFilterMatchZone(t *testing.T) {
	tests := []struct {
		desc             string
		include, exclude []string
		regex            string
		keep, drop       []string
	}{
		{
			desc:    "a filter keeps the zones above it",
			include: []string{"app.example.com"},
			keep:    []string{"example.com", "com", "app.example.com", "sub.app.example.com", "Example.COM."},
			drop:    []string{"other.example.com", "badexample.com", "pp.example.com", "example.org"},
		},
		{
			desc:    "a subdomain-only entry keeps its parent zone: its names live there",
			include: []string{".example.com"},
			keep:    []string{"example.com", "sub.example.com", "com"},
			drop:    []string{"badexample.com", "example.org"},
		},
		{
			desc:    "a subdomain-only entry below the zone",
			include: []string{".app.example.com"},
			keep:    []string{"example.com", "app.example.com", "x.app.example.com"},
			drop:    []string{"other.example.com"},
		},
		{
			desc:    "an excluded zone is dropped even when an entry lies below it",
			include: []string{"app.example.com"},
			exclude: []string{"example.com"},
			drop:    []string{"example.com", "app.example.com", "sub.app.example.com"},
		},
		{
			desc:    "excluding a part of a zone keeps the zone",
			include: []string{"example.com"},
			exclude: []string{"internal.example.com"},
			keep:    []string{"example.com"},
			drop:    []string{"internal.example.com", "a.internal.example.com"},
		},
		{
			desc:    "exclusions alone",
			exclude: []string{"example.org"},
			keep:    []string{"example.com"},
			drop:    []string{"example.org", "sub.example.org"},
		},
		{
			desc:    "IDN entry",
			include: []string{"shop.bücher.example"},
			keep:    []string{"xn--bcher-kva.example", "Bücher.example"},
			drop:    []string{"bucher.example"},
		},
		{
			desc:  "a regex keeps every zone",
			regex: `^app\.example\.com$`,
			keep:  []string{"example.com", "example.org"},
		},
	}
	for _, tt := range tests {
		f, err := NewDomainFilter(tt.include, tt.exclude, tt.regex, "")
		if err != nil {
			t.Errorf("%s: NewDomainFilter: %v", tt.desc, err)
			continue
		}
		for _, z := range tt.keep {
			if !f.MatchZone(z) {
				t.Errorf("%s: MatchZone(%q) = false, want true", tt.desc, z)
			}
		}
		for _, z := range tt.drop {
			if f.MatchZone(z) {
				t.Errorf("%s: MatchZone(%q) = true, want false", tt.desc, z)
			}
		}
	}
}

func TestIsSubdomain(t *testing.T) {
	tests := []struct {
		name, zone string
		want       bool
	}{
		{"example.com", "example.com", true},
		{"app.example.com", "example.com", true},
		{"a.b.example.com", "example.com", true},
		{"badexample.com", "example.com", false},
		{"example.com", "app.example.com", false},
		{"example.com.org", "example.com", false},
		{"example.com", "", true},
		{"", "", true},
		{"", "example.com", false},
	}
	for _, tt := range tests {
		if got := IsSubdomain(tt.name, tt.zone); got != tt.want {
			t.Errorf("IsSubdomain(%q, %q) = %v, want %v", tt.name, tt.zone, got, tt.want)
		}
	}
}
