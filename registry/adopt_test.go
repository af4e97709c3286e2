package registry

import (
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
)

// TestLoadAdopting: after an owner id change from "old" to the test registry's
// "default", only records "old" owns for objects that exist are taken over.
func TestLoadAdopting(t *testing.T) {
	existing := map[string]bool{"service/default/app": true, "service/default/moved": true}
	exists := func(resource string) bool { return existing[resource] }
	app := record("app.example.com", "A", "192.0.2.1")
	moved := record("moved.example.com", "A", "192.0.2.2")
	elsewhere := record("elsewhere.example.com", "A", "192.0.2.3")
	foreign := record("foreign.example.com", "A", "192.0.2.4")
	current := []*endpoint.Endpoint{
		app, ownership("a-app.example.com", "old", "app"),
		moved, ownership("a-moved.example.com", "old", "moved"),
		elsewhere, ownership("a-elsewhere.example.com", "old", "elsewhere"),
		foreign, ownership("a-foreign.example.com", "third", "app"),
	}
	tests := []struct {
		name        string
		migrateFrom string
		exists      func(string) bool
		changes     plan.Changes
		wantOwners  []string
		want        []string
	}{
		{
			name:        "existing objects' records are adopted and their TXT rewritten",
			migrateFrom: "old",
			exists:      exists,
			changes:     plan.Changes{Update: []plan.Update{{Old: adoptedCopy(moved, "moved"), New: wanted("moved.example.com", "A", "moved", "192.0.2.9")}}},
			wantOwners: []string{
				"app.example.com A  default service/default/app",
				"moved.example.com A  default service/default/moved",
				"elsewhere.example.com A  old service/default/elsewhere",
				"foreign.example.com A  third service/default/app",
			},
			want: []string{"~TXT a-moved.example.com, *~A moved.example.com", "*~TXT a-app.example.com"},
		},
		{
			name:       "without a former owner id nothing is adopted",
			exists:     exists,
			wantOwners: []string{"app.example.com A  old service/default/app", "moved.example.com A  old service/default/moved", "elsewhere.example.com A  old service/default/elsewhere", "foreign.example.com A  third service/default/app"},
		},
		{
			name:        "without knowing which objects exist nothing is adopted",
			migrateFrom: "old",
			wantOwners:  []string{"app.example.com A  old service/default/app", "moved.example.com A  old service/default/moved", "elsewhere.example.com A  old service/default/elsewhere", "foreign.example.com A  third service/default/app"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestTXT(t, TXTConfig{MigrateFromOwner: tt.migrateFrom})
			z := reg.LoadAdopting(testZone, current, tt.exists)
			var owners []string
			for _, ep := range z.Records() {
				owners = append(owners, ep.DNSName+" "+ep.RecordType+" "+ep.SetIdentifier+" "+ep.Labels[endpoint.OwnerLabelKey]+" "+ep.Labels[endpoint.ResourceLabelKey])
			}
			if !slices.Equal(owners, tt.wantOwners) {
				t.Errorf("owners:\n%s\nwant:\n%s", strings.Join(owners, "\n"), strings.Join(tt.wantOwners, "\n"))
			}
			changes, problems := z.Changes(tt.changes)
			checkChangesAt(t, z, tt.changes, current)
			checkRelatedNames(t, reg, func(records []*endpoint.Endpoint) Zone { return reg.LoadAdopting(testZone, records, tt.exists) }, tt.changes, current)
			if got := summaries(changes); !slices.Equal(got, tt.want) || len(problems) > 0 {
				t.Errorf("changes:\n%s\nwant:\n%s\nproblems %v", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), problems)
			}
			for _, c := range changes {
				for _, rc := range c.Records {
					if rc.New != nil && rc.New.RecordType == "TXT" && !strings.Contains(rc.New.Targets[0], "external-dns/owner=default,") {
						t.Errorf("ownership record %s written as %q, want owner default", rc.New.DNSName, rc.New.Targets[0])
					}
				}
			}
		})
	}
}

func adoptedCopy(ep *endpoint.Endpoint, resource string) *endpoint.Endpoint {
	c := ep.Clone()
	c.Labels = endpoint.Labels{endpoint.OwnerLabelKey: "default", endpoint.ResourceLabelKey: "service/default/" + resource}
	return c
}

func TestMigrateFromOwnItself(t *testing.T) {
	if _, err := NewTXT(TXTConfig{OwnerID: "a", MigrateFromOwner: "a"}); err == nil || !strings.Contains(err.Error(), "--migrate-from-txt-owner") {
		t.Errorf("NewTXT = %v, want an error naming --migrate-from-txt-owner", err)
	}
}
