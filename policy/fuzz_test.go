package policy

import (
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// FuzzParse: a policy document is outside input (a ConfigMap anyone with edit rights in
// one namespace may write). Parse must never panic, must refuse with an error naming
// the domain policy, and a policy it accepts must decide every name, the same way on
// the document it re-encodes to.
func FuzzParse(f *testing.F) {
	f.Add([]byte(tenants))
	f.Add([]byte(`{"default":"allow","exclude":["x.com"]}`))
	f.Add([]byte("default: deny\nrules: [{namespaces: [a], names: [\"bü.com\"]}]"))
	f.Add([]byte("default: deny\nrules: [{namespaceSelector: {matchExpressions: [{key: a, operator: Exists}]}, suffixes: [a]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if len(err.Error()) == 0 {
				t.Fatal("empty error")
			}
			return
		}
		again, err := New(p.Document())
		if err != nil {
			t.Fatalf("the accepted document is refused when compiled again: %v", err)
		}
		for _, ns := range []Namespace{{Name: "a"}, {Name: "b", Labels: map[string]string{"a": "b"}}} {
			for _, name := range []string{"a", "x.a", "bü.com", "x.com", "www.example.com"} {
				ok1, why := p.Allows(ns, name)
				ok2, _ := again.Allows(ns, name)
				if ok1 != ok2 || why == "" {
					t.Fatalf("Allows(%v, %s) = %v %q, again %v", ns, name, ok1, why, ok2)
				}
				if n, err := endpoint.NormalizeName(name); err == nil {
					if ok3, _ := p.Allows(ns, n); ok3 != ok1 {
						t.Fatalf("Allows(%v, %s) differs from the normalised name's", ns, name)
					}
				}
			}
		}
	})
}
