package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
)

// unchangedProvider is the in-memory provider with a ChangeDetector that answers
// unchanged.
type unchangedProvider struct {
	*inmemory.Provider
	unchanged bool
	asked     int
}

func (p *unchangedProvider) Unchanged(context.Context, provider.Zone) (bool, error) {
	p.asked++
	return p.unchanged, nil
}

// TestRunChangedPlansOnlyChangedNames checks when RunChanged plans a zone from its cache
// and when it reads it whole: every RunOnce reads whole; an event at a name not written
// since the last read is planned from the cache; so is one at a name written since when
// the provider proves the zone unchanged (a ChangeDetector, whose applied changes are
// written into the cache); one at a name written since with any other provider, or in a
// zone the provider does not prove unchanged, is read whole.
func TestRunChangedPlansOnlyChangedNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		// detector: nil for a provider without ChangeDetector, else its answer.
		detector *bool
		// rewrite changes again the name the first event changed.
		rewrite         bool
		wantIncremental []bool // of the two events
	}{
		{name: "no change detector", wantIncremental: []bool{true, true}},
		// The second RunOnce skips the zone, proven unchanged; what the first wrote is
		// in the cache.
		{name: "proven unchanged", detector: new(true), wantIncremental: []bool{true, true}},
		{name: "proven unchanged, a name written since the read", detector: new(true), rewrite: true, wantIncremental: []bool{true, true}},
		{name: "not proven unchanged", detector: new(false), wantIncremental: []bool{false, false}},
		{name: "a name written since the read", rewrite: true, wantIncremental: []bool{true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p provider.Provider = seeded(t, []string{"example.com"}, nil)
			var detector *unchangedProvider
			if tc.detector != nil {
				detector = &unchangedProvider{Provider: p.(*inmemory.Provider), unchanged: *tc.detector}
				p = detector
			}
			src := &fixedSource{}
			for _, n := range []string{"a", "b", "c"} {
				src.result.Endpoints = append(src.result.Endpoints, wanted(svc(n), n+".example.com", endpoint.RecordTypeA, 0, "192.0.2.1"))
			}
			c := newController(t, p, Config{Policy: plan.PolicySync}, src)
			// The first reconcile writes every name: each is dirty until the zone is
			// read again, here by a second full reconcile (unless it is skipped).
			for range 2 {
				if z := runOnce(t, c).Zones[0]; z.Incremental {
					t.Fatal("RunOnce was incremental")
				}
			}
			second := "b"
			if tc.rewrite {
				second = "a"
			}
			for i, n := range []string{"a", second} {
				src.result.Endpoints = slices.Clone(src.result.Endpoints)
				idx := slices.IndexFunc(src.result.Endpoints, func(e *endpoint.Endpoint) bool { return e.DNSName == n+".example.com" })
				src.result.Endpoints[idx] = wanted(svc(n), n+".example.com", endpoint.RecordTypeA, 0, "192.0.2."+string(rune('2'+i)))
				rep, err := c.RunChanged(context.Background())
				if err != nil || rep.Err() != nil {
					t.Fatal(err, rep.Err())
				}
				z := rep.Zones[0]
				if z.Incremental != tc.wantIncremental[i] {
					t.Errorf("event %d: incremental %v, want %v", i, z.Incremental, tc.wantIncremental[i])
				}
				if len(z.Changes) != 1 || z.Changes[0].Main().New.DNSName != n+".example.com" {
					t.Errorf("event %d: changes %v, want one update of %s.example.com", i, z.Changes, n)
				}
			}
			if z := runOnce(t, c).Zones[0]; z.Incremental {
				t.Error("RunOnce was incremental")
			}
			if detector != nil && detector.asked == 0 {
				t.Error("the change detector was never asked")
			}
		})
	}
}

// TestResyncPlansChangedNamesOfAProvenZone: a RunOnce of a zone the provider proves
// unchanged plans only the names whose desired records changed, until the cache is
// older than MaxCacheAge; a zone not proven unchanged is read whole.
func TestResyncPlansChangedNamesOfAProvenZone(t *testing.T) {
	for _, tc := range []struct {
		name      string
		unchanged bool
		age       time.Duration
		want      bool
	}{
		{"proven unchanged", true, 0, true},
		{"proven unchanged, cache too old", true, MaxCacheAge + time.Minute, false},
		{"not proven unchanged", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &unchangedProvider{Provider: seeded(t, []string{"example.com"}, nil), unchanged: true}
			src := &fixedSource{}
			for _, n := range []string{"a", "b"} {
				src.result.Endpoints = append(src.result.Endpoints, wanted(svc(n), n+".example.com", endpoint.RecordTypeA, 0, "192.0.2.1"))
			}
			c := newController(t, p, Config{Policy: plan.PolicySync}, src)
			now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
			c.clock = func() time.Time { return now }
			runOnce(t, c)
			p.unchanged = tc.unchanged
			now = now.Add(tc.age)
			src.result.Endpoints = slices.Clone(src.result.Endpoints)
			src.result.Endpoints[1] = wanted(svc("b"), "b.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")
			z := runOnce(t, c).Zones[0]
			if z.Incremental != tc.want {
				t.Errorf("incremental %v, want %v", z.Incremental, tc.want)
			}
			if len(z.Changes) != 1 || z.Changes[0].Main().New.DNSName != "b.example.com" {
				t.Errorf("changes %v, want one update of b.example.com", z.Changes)
			}
		})
	}
}
