package policy

import (
	"math/rand/v2"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// randomLabel returns a short label from a small alphabet, so that random names often
// share suffixes and prefixes.
func randomLabel(r *rand.Rand) string {
	const alphabet = "abAB-0"
	n := 1 + r.IntN(3)
	var b strings.Builder
	for b.Len() < n {
		c := alphabet[r.IntN(len(alphabet))]
		if c == '-' && (b.Len() == 0 || b.Len() == n-1) {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func randomName(r *rand.Rand) string {
	labels := make([]string, 1+r.IntN(3))
	for i := range labels {
		labels[i] = randomLabel(r)
	}
	return strings.Join(labels, ".")
}

// TestSuffixIsLabelWise: a suffix admits a name exactly when the name is the suffix or
// ends in "." + suffix, compared without case; glueing characters to the suffix's first
// label (badexample.com for example.com) never admits.
func TestSuffixIsLabelWise(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		suffix, name := randomName(r), randomName(r)
		if r.IntN(2) == 0 {
			name = randomLabel(r) + "." + suffix
		}
		if r.IntN(4) == 0 {
			name = randomLabel(r) + suffix // glued to the first label
		}
		p, err := New(Document{Default: Deny, Rules: []Rule{{Namespaces: []string{"ns"}, Suffixes: []string{suffix}}}})
		if err != nil {
			t.Fatalf("New(suffix %q): %v", suffix, err)
		}
		got, _ := p.Allows(Namespace{Name: "ns"}, name)
		ls, ln := strings.ToLower(suffix), strings.ToLower(name)
		want := ln == ls || strings.HasSuffix(ln, "."+ls)
		if got != want {
			t.Fatalf("suffix %q, name %q: Allows = %v, want %v", suffix, name, got, want)
		}
		if got2, _ := p.Allows(Namespace{Name: "ns"}, strings.ToUpper(name)+"."); got2 != got {
			t.Fatalf("suffix %q, name %q: case or a trailing dot changed the answer", suffix, name)
		}
	}
}

// TestExclusionsWin: whatever the rules and the mode, a name an exclusion covers
// (top-level or of a rule selecting the namespace) is refused.
func TestExclusionsWin(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		doc := Document{Default: []Mode{Deny, Allow}[r.IntN(2)]}
		ex := randomName(r)
		rules := 1 + r.IntN(3)
		for i := range rules {
			rule := Rule{Namespaces: []string{"ns"}, Suffixes: []string{randomName(r), ex}}
			if i == rules-1 {
				rule.Exclude = []string{ex}
			}
			doc.Rules = append(doc.Rules, rule)
		}
		if r.IntN(2) == 0 {
			doc.Rules[rules-1].Exclude = nil
			doc.Exclude = []string{ex}
		}
		p, err := New(doc)
		if err != nil {
			t.Fatal(err)
		}
		name := ex
		if r.IntN(2) == 0 {
			name = randomLabel(r) + "." + ex
		}
		if ok, why := p.Allows(Namespace{Name: "ns"}, name); ok {
			t.Fatalf("%+v: %s allowed although excluded (%s)", doc, name, why)
		}
	}
}

// TestDefaultMode: a namespace no rule selects gets everything not excluded under
// allow, nothing under deny; a namespace a rule selects gets only what rules admit,
// whatever the mode.
func TestDefaultMode(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		mode := []Mode{Deny, Allow}[r.IntN(2)]
		admitted := randomName(r)
		p, err := New(Document{Default: mode, Rules: []Rule{{
			Namespaces:        []string{"listed"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tenant": "x"}},
			Suffixes:          []string{admitted},
		}}})
		if err != nil {
			t.Fatal(err)
		}
		name := randomName(r)
		covered := strings.EqualFold(name, admitted) || strings.HasSuffix(strings.ToLower(name), "."+strings.ToLower(admitted))
		unselected := Namespace{Name: "other", Labels: map[string]string{"tenant": "y"}}
		if got, _ := p.Allows(unselected, name); got != (mode == Allow) {
			t.Fatalf("mode %s, unselected namespace, %s: Allows = %v", mode, name, got)
		}
		for _, ns := range []Namespace{{Name: "listed"}, {Name: "labelled", Labels: map[string]string{"tenant": "x"}}} {
			if got, _ := p.Allows(ns, name); got != covered {
				t.Fatalf("mode %s, namespace %s, suffix %s, name %s: Allows = %v, want %v", mode, ns.Name, admitted, name, got, covered)
			}
		}
	}
}
