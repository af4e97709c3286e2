package policy

import (
	"strings"
	"testing"
)

const tenants = `
default: deny
exclude: [login.example.com]
rules:
  - name: team-a
    namespaces: [team-a]
    suffixes: [a.example.com, "BÜCHER.example.com."]
    names: [www.example.com]
    exclude: [admin.a.example.com]
  - name: labelled
    namespaceSelector:
      matchLabels: {tenant: b}
    suffixes: [b.example.com]
  - name: expressions
    namespaceSelector:
      matchExpressions:
        - {key: tier, operator: In, values: [gold]}
    suffixes: [gold.example.com]
`

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestAllows(t *testing.T) {
	p := mustParse(t, tenants)
	teamA := Namespace{Name: "team-a"}
	teamB := Namespace{Name: "anything", Labels: map[string]string{"tenant": "b"}}
	gold := Namespace{Name: "g", Labels: map[string]string{"tier": "gold", "tenant": "b"}}
	stranger := Namespace{Name: "stranger", Labels: map[string]string{"tenant": "c"}}
	for _, tc := range []struct {
		ns    Namespace
		name  string
		allow bool
		why   string
	}{
		{teamA, "a.example.com", true, "names under a.example.com"},
		{teamA, "deep.www.a.example.com", true, "names under a.example.com"},
		{teamA, "WWW.A.Example.COM.", true, "names under a.example.com"},
		{teamA, "*.a.example.com", true, "names under a.example.com"},
		{teamA, "bada.example.com", false, "may publish only names under a.example.com"},
		{teamA, "www.example.com", true, "admits the name www.example.com"},
		{teamA, "x.www.example.com", false, "may publish only"},
		{teamA, "admin.a.example.com", false, "excluded for namespace team-a by rule 1 (\"team-a\")"},
		{teamA, "x.admin.a.example.com", false, "exclude admin.a.example.com"},
		{teamA, "login.example.com", false, "excluded for every namespace"},
		// IDN: the Unicode suffix was stored in punycode, and names are compared so.
		{teamA, "shop.bücher.example.com", true, "names under xn--bcher-kva.example.com"},
		{teamA, "shop.xn--bcher-kva.example.com", true, ""},
		{teamA, "b.example.com", false, "may publish only"},
		{teamB, "api.b.example.com", true, "rule 2"},
		{teamB, "api.a.example.com", false, "namespace anything may publish only names under b.example.com"},
		{gold, "x.gold.example.com", true, "rule 3"},
		{gold, "x.b.example.com", true, "rule 2"},
		{stranger, "x.b.example.com", false, "no rule selects namespace stranger, and the policy's default is deny"},
		{teamA, "x.a.example.com..", false, "ends with an empty label"},
	} {
		got, why := p.Allows(tc.ns, tc.name)
		if got != tc.allow || !strings.Contains(why, tc.why) {
			t.Errorf("Allows(%s, %q) = %v, %q; want %v and a reason containing %q", tc.ns.Name, tc.name, got, why, tc.allow, tc.why)
		}
	}
}

func TestDefaultAllow(t *testing.T) {
	p := mustParse(t, `{"default": "allow", "exclude": ["example.com"], "rules": [{"namespaces": ["web"], "suffixes": ["web.example.org"]}]}`)
	for _, tc := range []struct {
		ns    string
		name  string
		allow bool
	}{
		{"other", "anything.example.org", true},
		{"other", "example.com", false},
		{"other", "x.example.com", false},
		{"other", "notexample.com", true},
		// A namespace a rule selects gets only what its rules admit.
		{"web", "anything.example.org", false},
		{"web", "a.web.example.org", true},
	} {
		if got, why := p.Allows(Namespace{Name: tc.ns}, tc.name); got != tc.allow {
			t.Errorf("Allows(%s, %s) = %v (%s), want %v", tc.ns, tc.name, got, why, tc.allow)
		}
	}
	if p.UsesSelectors() {
		t.Error("UsesSelectors: true for a policy without selectors")
	}
	if !mustParse(t, tenants).UsesSelectors() {
		t.Error("UsesSelectors: false for a policy with selectors")
	}
}

func TestAllowed(t *testing.T) {
	p := mustParse(t, tenants)
	suffixes, names := p.Allowed(Namespace{Name: "team-a", Labels: map[string]string{"tenant": "b"}})
	if got := strings.Join(suffixes, ","); got != "a.example.com,b.example.com,xn--bcher-kva.example.com" {
		t.Errorf("suffixes = %s", got)
	}
	if got := strings.Join(names, ","); got != "www.example.com" {
		t.Errorf("names = %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want string
	}{
		{``, `"default" is required`},
		{`default: maybe`, `"default" "maybe": want deny or allow`},
		{`default: deny
rules: [{namespaces: [a]}]`, `rule 1: admits no name`},
		{`default: deny
rules: [{name: x, suffixes: [a.com]}]`, `rule 1 ("x"): selects no namespace`},
		{`default: deny
rules: [{namespaces: [a], suffixes: [a.com]}, {namespaces: [Bad_NS], suffixes: [a.com]}]`, `rule 2: namespace "Bad_NS" is not a namespace name`},
		{`default: deny
rules: [{namespaces: [a], suffixes: ["a..com"]}]`, `rule 1: suffixes: name "a..com"`},
		{`default: deny
rules: [{namespaces: [a], suffixes: ["-a.com"]}]`, `rule 1: suffixes:`},
		{`default: deny
rules: [{namespaceSelector: {}, suffixes: [a.com]}]`, `rule 1: namespaceSelector is empty`},
		{`default: deny
rules: [{namespaceSelector: {matchExpressions: [{key: a, operator: Sometimes}]}, suffixes: [a.com]}]`, `rule 1: namespaceSelector: "Sometimes" is not a valid`},
		{`default: deny
rules: [{namespaces: [a], suffix: [a.com]}]`, `unknown field "suffix"`},
		{`default: deny
exclude: [""]`, `exclude: an empty name`},
		{`[1, 2]`, `domain policy:`},
	} {
		_, err := Parse([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tc.doc, err, tc.want)
		}
	}
}
