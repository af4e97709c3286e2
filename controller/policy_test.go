package controller

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/policy"
	"github.com/zonekeeper/zonekeeper/source"
)

func mustPolicy(t *testing.T, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const tenantPolicy = `
default: deny
rules:
  - {namespaces: [team-a], suffixes: [a.example.com]}
  - {namespaceSelector: {matchLabels: {tenant: b}}, suffixes: [b.example.com]}
`

// TestPolicyRefusesNames: an object whose namespace may not publish a name gets no
// record and a NameNotAllowed warning; the allowed objects are published; namespaces are
// found by name and by label; an object without a namespace counts as "default".
func TestPolicyRefusesNames(t *testing.T) {
	p := seeded(t, []string{"example.com"}, nil)
	teamA := endpoint.ObjectRef{Kind: "ingress", Namespace: "team-a", Name: "web"}
	teamB := endpoint.ObjectRef{Kind: "ingress", Namespace: "team-b", Name: "web"}
	bad := endpoint.ObjectRef{Kind: "ingress", Namespace: "team-b", Name: "steal"}
	unset := endpoint.ObjectRef{Kind: "ingress", Name: "plain", Source: "site.yaml"}
	src := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(teamA, "www.a.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
		wanted(teamB, "www.b.example.com", endpoint.RecordTypeA, 0, "192.0.2.2"),
		wanted(bad, "login.a.example.com", endpoint.RecordTypeA, 0, "192.0.2.66"),
		wanted(unset, "plain.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"),
	}}}
	var asked []string
	pol := mustPolicy(t, tenantPolicy)
	c := newController(t, p, Config{Policy: plan.PolicySync, Events: EventConfig{Warnings: true},
		DomainPolicy: DomainPolicy{
			Current: func() *policy.Policy { return pol },
			NamespaceLabels: func(ns string) (map[string]string, error) {
				asked = append(asked, ns)
				if ns == "team-b" {
					return map[string]string{"tenant": "b"}, nil
				}
				return nil, nil
			},
		}}, src)
	ev := &recorded{}
	c.Events = ev
	runOnce(t, c)
	got := lines(records(t, p, "example.com"))
	for _, want := range []string{"www.a.example.com", "www.b.example.com"} {
		if !slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, want+" ") }) {
			t.Errorf("%s not published: %q", want, got)
		}
	}
	for _, refused := range []string{"login.a.example.com", "plain.example.com"} {
		if slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, refused) }) {
			t.Errorf("%s published although refused: %q", refused, got)
		}
	}
	wantEvents := []string{
		"Warning NameNotAllowed ingress//plain: plain.example.com may not be published from namespace default by the domain policy: no rule selects namespace default, and the policy's default is deny",
		"Warning NameNotAllowed ingress/team-b/steal: login.a.example.com may not be published from namespace team-b by the domain policy: namespace team-b may publish only names under b.example.com",
	}
	if got := ev.lines(); !matchEach(got, wantEvents) {
		t.Errorf("events:\n%s\nwant lines containing:\n%s", strings.Join(got, "\n"), strings.Join(wantEvents, "\n"))
	}
	slices.Sort(asked)
	if want := []string{"default", "team-a", "team-b"}; !slices.Equal(asked, want) {
		t.Errorf("namespace labels asked for %q, want each namespace once: %q", asked, want)
	}
}

// TestPolicyChangeNeverDeletes: a record published while the policy allowed it stays
// when the policy changes to refuse it, with a warning on the object, until confirmed:
// after --domain-policy-confirm-after and full reads, or at once when an operator
// forces it. Deleting the object still deletes its record.
func TestPolicyChangeNeverDeletes(t *testing.T) {
	obj := endpoint.ObjectRef{Kind: "ingress", Namespace: "team-a", Name: "web"}
	for _, tc := range []struct {
		name         string
		confirmAfter time.Duration
		force        bool
	}{
		{"confirmed after the wait", 10 * time.Minute, false},
		{"kept until forced", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := seeded(t, []string{"example.com"}, nil)
			src := &stepSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(obj, "www.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")}}}
			pol := mustPolicy(t, `{"default": "deny", "rules": [{"namespaces": ["team-a"], "suffixes": ["example.com"]}]}`)
			reg := prometheus.NewRegistry()
			metrics := NewPolicyMetrics(reg)
			c := newController(t, p, Config{Policy: plan.PolicySync, Events: EventConfig{Warnings: true},
				Budget:       DeletionBudget{ConfirmFullReads: 2},
				DomainPolicy: DomainPolicy{Current: func() *policy.Policy { return pol }, ConfirmAfter: tc.confirmAfter, Metrics: metrics}}, src)
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := start
			c.clock = func() time.Time { return now }
			runOnce(t, c)
			if n := len(records(t, p, "example.com")); n != 2 {
				t.Fatalf("published: zone holds %d records, want the A record and its ownership record", n)
			}

			pol = mustPolicy(t, `{"default": "deny", "rules": [{"namespaces": ["team-a"], "suffixes": ["a.example.com"]}]}`)
			for _, at := range []time.Duration{0, time.Minute, 9 * time.Minute, time.Hour} {
				if tc.confirmAfter > 0 && at >= tc.confirmAfter {
					break
				}
				now = start.Add(at)
				ev := &recorded{}
				c.Events = ev
				rep := runOnce(t, c)
				if n := len(records(t, p, "example.com")); n != 2 {
					t.Fatalf("after the policy change (+%s): zone holds %d records, want both kept", at, n)
				}
				if got := rep.WithheldByCause()[CausePolicy]; got != 1 {
					t.Errorf("+%s: %d deletions withheld by the policy, want 1: %q", at, got, withheldLines(rep))
				}
				want := []string{"Warning DeletionWithheld ingress/team-a/web: deletion of A www.example.com → 192.0.2.1 withheld: the domain policy no longer allows",
					"Warning NameNotAllowed ingress/team-a/web: www.example.com may not be published from namespace team-a by the domain policy: namespace team-a may publish only names under a.example.com"}
				if got := ev.lines(); !matchEach(got, want) {
					t.Errorf("+%s: events %q, want lines containing %q", at, got, want)
				}
				if got := samples(t, reg, "zonekeeper_policy_refused"); !slices.Equal(got, []string{`zonekeeper_policy_refused{namespace="team-a"} 1`}) {
					t.Errorf("metric: %q", got)
				}
			}
			if tc.force {
				c.Config.DomainPolicy.DeleteRefused = true
			} else {
				now = start.Add(tc.confirmAfter)
			}
			rep := runOnce(t, c)
			if _, _, del := rep.ChangeCount(); del != 1 || len(records(t, p, "example.com")) != 0 {
				t.Errorf("once confirmed: %d deletions, zone holds %q; want the record deleted", del, lines(records(t, p, "example.com")))
			}
		})
	}
}

// TestPolicyKeepsNothingOfDeletedObjects: the policy keeps records only of objects that
// still ask for their names; deleting the object deletes the record as usual.
func TestPolicyKeepsNothingOfDeletedObjects(t *testing.T) {
	seed := ownedBy(t, ourOwner, "ingress/team-b/gone", rec("www.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"))
	p := seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": seed})
	pol := mustPolicy(t, `default: deny`)
	c := newController(t, p, Config{Policy: plan.PolicySync, DomainPolicy: DomainPolicy{Current: func() *policy.Policy { return pol }}}, fixedSource{})
	rep := runOnce(t, c)
	if _, _, del := rep.ChangeCount(); del != 1 || len(records(t, p, "example.com")) != 0 {
		t.Errorf("%d deletions, zone holds %q; want the record of the deleted object deleted", del, lines(records(t, p, "example.com")))
	}
}

// TestPolicyNamespaceLabelsUnreadable: a namespace whose labels cannot be read cannot be
// shown to be selected: its objects' names are refused with the reason.
func TestPolicyNamespaceLabelsUnreadable(t *testing.T) {
	p := seeded(t, []string{"example.com"}, nil)
	obj := endpoint.ObjectRef{Kind: "ingress", Namespace: "team-b", Name: "web"}
	pol := mustPolicy(t, tenantPolicy)
	c := newController(t, p, Config{Policy: plan.PolicySync, DomainPolicy: DomainPolicy{
		Current:         func() *policy.Policy { return pol },
		NamespaceLabels: func(string) (map[string]string, error) { return nil, errors.New("forbidden") },
	}}, fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{wanted(obj, "www.b.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")}}})
	rep := runOnce(t, c)
	want := []string{"ingress/team-b/web www.b.example.com warning=true: www.b.example.com may not be published from namespace team-b by the domain policy: the labels of namespace team-b cannot be read: forbidden"}
	if got := problemLines(rep); !matchEach(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	if n := len(records(t, p, "example.com")); n != 0 {
		t.Errorf("zone holds %d records, want none", n)
	}
}

// TestPolicyNilAllowsAll: without a policy (none configured, or Current returning nil)
// every name is planned.
func TestPolicyNilAllowsAll(t *testing.T) {
	for _, dp := range []DomainPolicy{{}, {Current: func() *policy.Policy { return nil }}} {
		p := seeded(t, []string{"example.com"}, nil)
		c := newController(t, p, Config{Policy: plan.PolicySync, DomainPolicy: dp},
			fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{wanted(svc("a"), "a.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")}}})
		runOnce(t, c)
		if n := len(records(t, p, "example.com")); n != 2 {
			t.Errorf("zone holds %d records, want 2", n)
		}
	}
}
