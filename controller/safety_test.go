package controller

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

func TestDeletionBudgetExceeded(t *testing.T) {
	tests := []struct {
		name             string
		budget           DeletionBudget
		n, recent, owned int
		want             string // substring of the reason; "" means within budget
	}{
		{"no budget", DeletionBudget{}, 1000, 0, 1000, ""},
		{"at the absolute limit", DeletionBudget{MaxDeletions: 50}, 50, 0, 1000, ""},
		{"over the absolute limit", DeletionBudget{MaxDeletions: 50}, 51, 0, 1000, "51 deletions planned in the zone, more than --max-deletions=50"},
		{"at the ratio", DeletionBudget{MaxRatio: 0.3}, 30, 0, 100, ""},
		{"over the ratio", DeletionBudget{MaxRatio: 0.3}, 31, 0, 100, "31 deletions planned of the zone's 100 owned records, more than --max-deletion-ratio=0.3"},
		{"ratio ignored in a small zone", DeletionBudget{MaxRatio: 0.3}, 9, 0, MinOwnedForRatio - 1, ""},
		{"ratio applies from the minimum size", DeletionBudget{MaxRatio: 0.3}, 4, 0, MinOwnedForRatio, "4 deletions planned of the zone's 10"},
		{"the absolute limit is checked first", DeletionBudget{MaxDeletions: 5, MaxRatio: 0.1}, 6, 0, 10, "more than --max-deletions=5"},
		{"recent deletions count", DeletionBudget{MaxDeletions: 50, Window: time.Minute}, 20, 31, 1000, "20 deletions planned and 31 made in the last 1m0s in the zone, more than --max-deletions=50"},
		{"recent deletions within the limit", DeletionBudget{MaxDeletions: 50, Window: time.Minute}, 20, 30, 1000, ""},
		{"the ratio is of what the zone owned before", DeletionBudget{MaxRatio: 0.3, Window: time.Minute}, 11, 20, 80, "11 deletions planned and 20 made in the last 1m0s of the zone's 100 owned records"},
		{"at the ratio of what the zone owned before", DeletionBudget{MaxRatio: 0.3, Window: time.Minute}, 10, 20, 80, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.budget.exceeded(tt.n, tt.recent, tt.owned)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("exceeded(%d, %d, %d) = %q, want %q", tt.n, tt.recent, tt.owned, got, tt.want)
			}
		})
	}
}

// TestDeletionSafety runs a zone owning 20 records (web-0 … web-19, one per Service)
// through one reconcile in which the sources want only some of them, under each safety
// setting, and checks what was deleted, what withheld and that the rest still happened.
func TestDeletionSafety(t *testing.T) {
	const owned = 20
	// keeping returns the source result of Services web-0 … web-(n-1) with their
	// records, plus a new Service, so that each case also shows creates go on.
	keeping := func(n int) source.Result {
		r := keepingWeb(n)
		r.Endpoints = append(r.Endpoints, wanted(svc("new"), "new.example.com", endpoint.RecordTypeA, 0, "198.51.100.1"))
		return r
	}
	tests := []struct {
		name        string
		config      Config
		result      source.Result
		wantDeleted int
		wantCause   WithholdCause
		wantHeld    int
	}{
		{"no budget deletes everything unwanted", Config{}, keeping(0), owned, "", 0},
		{"within the absolute budget", Config{Budget: DeletionBudget{MaxDeletions: 5}}, keeping(owned - 5), 5, "", 0},
		{"over the absolute budget: all withheld", Config{Budget: DeletionBudget{MaxDeletions: 5}}, keeping(owned - 6), 0, CauseBudget, 6},
		{"over the ratio: all withheld", Config{Budget: DeletionBudget{MaxRatio: 0.3}}, keeping(owned - 7), 0, CauseBudget, 7},
		{"an emptied source withheld by the ratio", Config{Budget: DeletionBudget{MaxDeletions: 50, MaxRatio: 0.3}}, keeping(0), 0, CauseBudget, owned},
		{"an object without address keeps its name", Config{KeepRecordsOfExistingObjects: true}, withoutAddress(keeping(owned-1), owned-1, webName(owned-1)), 0, CauseNoTargets, 1},
		{"without the guard the name goes", Config{}, withoutAddress(keeping(owned-1), owned-1, webName(owned-1)), 1, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": seedWeb(t, owned)})
			tt.config.Policy = plan.PolicySync
			c := newController(t, p, tt.config, fixedSource{result: tt.result})

			rep := runOnce(t, c)

			_, _, deleted := rep.ChangeCount()
			if deleted != tt.wantDeleted {
				t.Errorf("%d deletions planned, want %d", deleted, tt.wantDeleted)
			}
			var held []WithholdCause
			for _, w := range rep.Zones[0].Withheld {
				held = append(held, w.Cause)
			}
			if want := slices.Repeat([]WithholdCause{tt.wantCause}, tt.wantHeld); !slices.Equal(held, want) {
				t.Errorf("withheld %q, want %q", held, want)
			}
			got := lines(records(t, p, "example.com"))
			if !slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "new.example.com A") }) {
				t.Errorf("zone %q lacks new.example.com: safety checks must not stop creates", got)
			}
			if wantRecords := 2*(owned-tt.wantDeleted) + 2; len(got) != wantRecords {
				t.Errorf("zone holds %d records, want %d", len(got), wantRecords)
			}
		})
	}
}

// withoutAddress adds to r the warning the sources give for Service web-i, which still
// asks for dnsName but has no address for it.
func withoutAddress(r source.Result, i int, dnsName string) source.Result {
	r.Problems = append(r.Problems, endpoint.Problem{Ref: svc(fmt.Sprintf("web-%d", i)), DNSName: dnsName, Warning: true, Err: source.ErrNoTargets})
	return r
}

// TestOwnerMigration: --migrate-from-txt-owner takes over only the former owner's
// records whose objects exist here; nothing else is adopted or deleted.
func TestOwnerMigration(t *testing.T) {
	web := rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	gone := rec("gone.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")
	theirs := rec("theirs.example.com", endpoint.RecordTypeA, 0, "192.0.2.3")
	seed := slices.Concat(
		ownedBy(t, "old", "service/ns/web", web),
		ownedBy(t, "old", "service/ns/gone", gone),
		ownedBy(t, "other-cluster", "service/ns/web", theirs),
	)
	p := seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": seed})
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: ourOwner, MigrateFromOwner: "old"})
	if err != nil {
		t.Fatal(err)
	}
	c := newController(t, p, Config{Policy: plan.PolicySync}, fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
	}}})
	c.Registry = reg

	runOnce(t, c)
	if again := runOnce(t, c); changeCount(again) != 0 {
		t.Errorf("second reconcile planned %d changes, want none", changeCount(again))
	}

	want := slices.Concat(
		ownedBy(t, ourOwner, "service/ns/web", web),
		ownedBy(t, "old", "service/ns/gone", gone),
		ownedBy(t, "other-cluster", "service/ns/web", theirs),
	)
	if got := lines(records(t, p, "example.com")); !slices.Equal(got, lines(want)) {
		t.Errorf("zone holds\n%q\nwant\n%q", got, lines(want))
	}
}
