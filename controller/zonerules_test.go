package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

func TestEnforceZoneRules(t *testing.T) {
	rr := func(name, recordType string) *endpoint.Endpoint {
		e := endpoint.New(name, recordType, 0, "x")
		e.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "ns", Name: strings.Split(name, ".")[0]}}
		return e
	}
	create := func(name, recordType string) provider.Change {
		return provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: rr(name, recordType)}}}
	}
	owned := func(name, recordType, ownership string) provider.Change {
		return provider.Change{Primary: 1, Records: []provider.RecordChange{
			{Op: provider.OpCreate, New: rr(ownership, "TXT")}, {Op: provider.OpCreate, New: rr(name, recordType)}}}
	}
	remove := func(name, recordType string) provider.Change {
		return provider.Change{Records: []provider.RecordChange{{Op: provider.OpDelete, Old: rr(name, recordType)}}}
	}
	tests := []struct {
		name    string
		zone    []*endpoint.Endpoint
		changes []provider.Change
		refused []string // "name TYPE" of the refused changes' main records
		message string   // part of the first refusal's message
	}{
		{
			name:    "CNAME beside a site-verification TXT and an MX (D2)",
			zone:    []*endpoint.Endpoint{rr("www.example.com", "TXT"), rr("mail.example.com", "MX")},
			changes: []provider.Change{owned("www.example.com", "CNAME", "cname-www.example.com"), owned("mail.example.com", "CNAME", "cname-mail.example.com"), create("ok.example.com", "A")},
			refused: []string{"www.example.com CNAME", "mail.example.com CNAME"},
			message: "www.example.com holds TXT",
		},
		{
			name:    "CNAME at the apex",
			changes: []provider.Change{owned("example.com", "CNAME", "_zk-cname.example.com")},
			refused: []string{"example.com CNAME"},
			message: "apex",
		},
		{
			name:    "CNAME at a name holding another record's ownership TXT",
			zone:    []*endpoint.Endpoint{rr("a-team.example.com", "TXT")},
			changes: []provider.Change{create("a-team.example.com", "CNAME")},
			refused: []string{"a-team.example.com CNAME"},
		},
		{
			name:    "A beside a hand-written CNAME",
			zone:    []*endpoint.Endpoint{rr("www.example.com", "CNAME")},
			changes: []provider.Change{owned("www.example.com", "A", "a-www.example.com")},
			refused: []string{"www.example.com A"},
			message: "www.example.com holds CNAME",
		},
		{
			name:    "ownership TXT beside a hand-written CNAME refuses its record too",
			zone:    []*endpoint.Endpoint{rr("a-app.example.com", "CNAME")},
			changes: []provider.Change{owned("app.example.com", "A", "a-app.example.com")},
			refused: []string{"app.example.com A"},
		},
		{
			name:    "CNAME replacing an A record in the same reconcile",
			zone:    []*endpoint.Endpoint{rr("www.example.com", "A")},
			changes: []provider.Change{remove("www.example.com", "A"), owned("www.example.com", "CNAME", "cname-www.example.com")},
		},
		{
			name:    "A replacing a CNAME in the same reconcile",
			zone:    []*endpoint.Endpoint{rr("www.example.com", "CNAME")},
			changes: []provider.Change{remove("www.example.com", "CNAME"), create("www.example.com", "A")},
		},
		{
			name:    "a new CNAME and new data at one name: the CNAME is refused, the data written",
			changes: []provider.Change{create("www.example.com", "CNAME"), create("www.example.com", "TXT")},
			refused: []string{"www.example.com CNAME"},
		},
		{
			name:    "an A is not refused for a CNAME that is refused itself",
			zone:    []*endpoint.Endpoint{rr("example.com", "CNAME")},
			changes: []provider.Change{remove("example.com", "CNAME"), create("example.com", "CNAME"), create("example.com", "A")},
			refused: []string{"example.com CNAME"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep, problems := enforceZoneRules("example.com", tt.zone, tt.changes)
			var refused []string
			for _, c := range tt.changes {
				if !slices.ContainsFunc(keep, func(k provider.Change) bool { return k.Main().Endpoint() == c.Main().Endpoint() }) {
					refused = append(refused, c.Main().Endpoint().DNSName+" "+c.Main().Endpoint().RecordType)
				}
			}
			if !slices.Equal(refused, tt.refused) {
				t.Errorf("refused %q, want %q", refused, tt.refused)
			}
			if len(problems) != len(tt.refused) {
				t.Errorf("%d problems, want one per refused change: %v", len(problems), problems)
			}
			if tt.message != "" && (len(problems) == 0 || !strings.Contains(problems[0].Error(), tt.message)) {
				t.Errorf("problems %v, want the first to say %q", problems, tt.message)
			}
		})
	}
}

// BenchmarkZoneRules10k judges the zone rules for 10,000 new names, each an A record
// and its ownership TXT record, as a cold run writes them.
func BenchmarkZoneRules10k(b *testing.B) {
	var changes []provider.Change
	for i := range 10000 {
		a := rec(fmt.Sprintf("ing-%d.example.com", i), endpoint.RecordTypeA, 0, "192.0.2.1")
		txt := rec(fmt.Sprintf("a-ing-%d.example.com", i), endpoint.RecordTypeTXT, 0, "heritage=external-dns")
		changes = append(changes, provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: a}, {Op: provider.OpCreate, New: txt}}})
	}
	b.ReportAllocs()
	for range b.N {
		if keep, problems := enforceZoneRules("example.com", nil, changes); len(keep) != len(changes) || len(problems) != 0 {
			b.Fatalf("kept %d of %d changes, %d problems", len(keep), len(changes), len(problems))
		}
	}
}
