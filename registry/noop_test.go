package registry

import (
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
)

func TestNoop(t *testing.T) {
	reg := NewNoop()
	if reg.OwnerID() != "" {
		t.Errorf("OwnerID = %q, want empty", reg.OwnerID())
	}
	records := []*endpoint.Endpoint{
		record("app.example.com", "A", "192.0.2.1"),
		ownership("a-app.example.com", "someone", "app"),
	}
	z := reg.Load(testZone, records)
	got := z.Records()
	if len(got) != 2 || got[0] != records[0] || got[1] != records[1] || len(got[0].Labels) != 0 {
		t.Errorf("Records = %v, want the records unchanged", got)
	}
	changes, problems := z.Changes(plan.Changes{
		Create: []*endpoint.Endpoint{wanted("new.example.com", "A", "new", "192.0.2.2")},
		Update: []plan.Update{{Old: records[0], New: wanted("app.example.com", "A", "app", "192.0.2.3")}},
		Delete: []*endpoint.Endpoint{record("gone.example.com", "A", "192.0.2.4")},
	})
	want := []string{"*-A gone.example.com", "*~A app.example.com", "*+A new.example.com"}
	if s := summaries(changes); !slices.Equal(s, want) || problems != nil {
		t.Errorf("Changes = %v, %v; want %v and no problems", s, problems, want)
	}
}
