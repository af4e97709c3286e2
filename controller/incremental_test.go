package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// unchangedProvider is the in-memory provider with a ChangeDetector that answers
// unchanged.
type unchangedProvider struct {
	*inmemory.Provider
	unchanged bool
	asked     int
	// reads counts Records calls.
	reads int
}

func (p *unchangedProvider) Records(ctx context.Context, z provider.Zone) ([]*endpoint.Endpoint, error) {
	p.reads++
	return p.Provider.Records(ctx, z)
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
		rewrite bool
		// cached puts the provider behind provider.Cached, as the daemon does Route 53's:
		// a ChangeDetector by type that proves nothing without a detector beneath.
		cached          bool
		wantIncremental []bool // of the two events
	}{
		{name: "no change detector", wantIncremental: []bool{true, true}},
		{name: "behind provider.Cached, no change detector", cached: true, wantIncremental: []bool{true, true}},
		{name: "behind provider.Cached, a name written since the read", cached: true, rewrite: true, wantIncremental: []bool{true, false}},
		{name: "behind provider.Cached, proven unchanged", cached: true, detector: new(true), rewrite: true, wantIncremental: []bool{true, true}},
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
			if tc.cached {
				p = provider.NewCached(p, time.Hour)
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

// faultyApply is unchangedProvider whose next Apply, when stop is set, ends without an
// answer (every change it was given is in an unknown state), and, when refuse is set,
// refuses its first change and applies the others.
type faultyApply struct {
	*unchangedProvider
	stop, refuse bool
}

func (p *faultyApply) Apply(ctx context.Context, z provider.Zone, changes []provider.Change) error {
	switch {
	case p.stop:
		p.stop = false
		return errors.New("connection reset")
	case p.refuse && len(changes) > 0:
		p.refuse = false
		if err := p.unchangedProvider.Apply(ctx, z, changes[1:]); err != nil {
			return err
		}
		return &provider.ApplyError{Zone: z.Name, Failed: []provider.ChangeError{{Change: changes[0], Err: errors.New("prerequisite failed")}}}
	}
	return p.unchangedProvider.Apply(ctx, z, changes)
}

// TestFullReconcileReadsAProvenCache: a full reconcile of a zone the provider proves
// unchanged reads the zone's write-through cache rather than the provider — also when
// the zone is left unsettled, as while a deletion waits — until the cache is older than
// MaxCacheAge, the provider does not prove the zone, an Apply leaves changes in an
// unknown state, or the provider refuses a change. What it plans from the cache is what the zone holds.
func TestFullReconcileReadsAProvenCache(t *testing.T) {
	const names = MaxIncrementalNames + 10 // too many for an incremental plan
	for _, tc := range []struct {
		name string
		// unchanged is the detector's answer after the first reconcile.
		unchanged bool
		age       time.Duration
		// unsettle withholds a deletion at the second reconcile (over the budget).
		unsettle bool
		// unknown makes the second reconcile's Apply end without an answer; refuse
		// makes it refuse a change.
		unknown, refuse bool
		// wantReads are the provider's reads after the second and third reconciles.
		wantReads [2]int
	}{
		{name: "proven unchanged", unchanged: true, wantReads: [2]int{1, 1}},
		{name: "proven unchanged, a deletion withheld", unchanged: true, unsettle: true, wantReads: [2]int{1, 1}},
		{name: "proven unchanged, cache too old", unchanged: true, age: MaxCacheAge + time.Minute, wantReads: [2]int{2, 2}},
		{name: "not proven unchanged", wantReads: [2]int{2, 3}},
		{name: "an Apply in an unknown state", unchanged: true, unknown: true, wantReads: [2]int{1, 2}},
		{name: "a change refused", unchanged: true, refuse: true, wantReads: [2]int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			detector := &unchangedProvider{Provider: seeded(t, []string{"example.com"}, nil), unchanged: true}
			p := &faultyApply{unchangedProvider: detector}
			src := &fixedSource{}
			for i := range names {
				n := fmt.Sprintf("n%d.example.com", i)
				src.result.Endpoints = append(src.result.Endpoints, wanted(svc(n), n, endpoint.RecordTypeA, 0, "192.0.2.1"))
			}
			cfg := Config{Policy: plan.PolicySync}
			if tc.unsettle {
				cfg.Budget = DeletionBudget{MaxDeletions: 1}
			}
			c := newController(t, p, cfg, src)
			now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
			c.clock = func() time.Time { return now }
			runOnce(t, c)
			detector.unchanged, p.stop, p.refuse = tc.unchanged, tc.unknown, tc.refuse
			now = now.Add(tc.age)
			for i, want := range tc.wantReads {
				// Every name changes, so that the zone is neither skipped nor planned
				// incrementally; with unsettle, two names go as well.
				target := fmt.Sprintf("192.0.2.%d", 2+i)
				next := make([]*endpoint.Endpoint, 0, names)
				for j := range names {
					if tc.unsettle && j < 2 {
						continue
					}
					n := fmt.Sprintf("n%d.example.com", j)
					next = append(next, wanted(svc(n), n, endpoint.RecordTypeA, 0, target))
				}
				src.result.Endpoints = next
				z := runOnce(t, c).Zones[0]
				if z.Incremental || z.Skipped {
					t.Fatalf("reconcile %d: incremental %v, skipped %v; want a full reconcile", i+2, z.Incremental, z.Skipped)
				}
				if detector.reads != want {
					t.Errorf("reconcile %d: the provider was read %d times, want %d", i+2, detector.reads, want)
				}
				wantWithheld := 0
				if tc.unsettle {
					wantWithheld = 2
				}
				if len(z.Withheld) != wantWithheld || len(z.Changes) != len(next) {
					t.Errorf("reconcile %d: %d changes, %d deletions withheld; want an update of each of %d names, %d withheld",
						i+2, len(z.Changes), len(z.Withheld), len(next), wantWithheld)
				}
			}
			zc := c.caches["example.com"]
			if zc == nil {
				t.Fatal("no cache after the last reconcile")
			}
			records, err := detector.Provider.Records(context.Background(), provider.Zone{ID: "example.com", Name: "example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := renderRecords(zc.records()), renderRecords(records); !slices.Equal(got, want) {
				t.Errorf("the cache holds\n%s\nthe zone\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestOneShotKeepsNoIndexNorCache: a controller that reconciles once (Config.OneShot)
// keeps neither the index of the sources' endpoints nor the zone's cache, which only a
// later reconcile would read; a daemon's controller keeps both.
func TestOneShotKeepsNoIndexNorCache(t *testing.T) {
	for _, oneShot := range []bool{false, true} {
		src := unchangingSource{}
		src.result.Endpoints = []*endpoint.Endpoint{wanted(svc("a"), "a.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")}
		c := newController(t, seeded(t, []string{"example.com"}, nil), Config{Policy: plan.PolicySync, OneShot: oneShot}, src)
		if rep := runOnce(t, c); rep.Err() != nil || len(rep.Zones) != 1 || len(rep.Zones[0].Applied) != 1 {
			t.Fatalf("one-shot %v: %v, zones %+v; want the record created", oneShot, rep.Err(), rep.Zones)
		}
		if kept := c.desired != nil || len(c.caches) > 0; kept == oneShot {
			t.Errorf("one-shot %v: index kept %v, caches %d", oneShot, c.desired != nil, len(c.caches))
		}
	}
}

// countingMovingSource is a movingSource that counts the reads of every object.
type countingMovingSource struct {
	*movingSource
	reads int
}

func (s *countingMovingSource) Endpoints(ctx context.Context) (source.Result, error) {
	s.reads++
	return s.movingSource.Endpoints(ctx)
}

// TestRunResyncProvesZonesWithoutReadingEveryObject: the daemon's resync takes from
// Incremental sources only the objects that changed, if any, and reads no zone the
// provider proves unchanged; it reads every object and the zone, and repairs it, when
// the provider does not prove the zone, its cache is older than MaxCacheAge, or the
// provider cannot prove anything.
func TestRunResyncProvesZonesWithoutReadingEveryObject(t *testing.T) {
	for _, tc := range []struct {
		name string
		// detector: nil for a provider without ChangeDetector, else its answer.
		detector *bool
		age      time.Duration
		want     bool // the resync takes only the changed objects
	}{
		{"proven unchanged", new(true), 0, true},
		{"not proven unchanged", new(false), 0, false},
		{"proven unchanged, cache too old", new(true), MaxCacheAge + time.Minute, false},
		{"no change detector", nil, 0, false},
	} {
		for _, change := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, an object changed %v", tc.name, change), func(t *testing.T) {
				zone := inmemory.New("example.com")
				var p provider.Provider = zone
				var detector *unchangedProvider
				if tc.detector != nil {
					detector = &unchangedProvider{Provider: zone, unchanged: true}
					p = detector
				}
				src := &countingMovingSource{movingSource: &movingSource{objects: map[endpoint.ObjectRef][]*endpoint.Endpoint{}, changed: map[endpoint.ObjectRef]bool{}}}
				for _, n := range []string{"a", "b"} {
					src.set(svc(n), []*endpoint.Endpoint{wanted(svc(n), n+".example.com", endpoint.RecordTypeA, 0, "192.0.2.1")})
				}
				c := newController(t, p, Config{Policy: plan.PolicySync}, src)
				now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
				c.clock = func() time.Time { return now }
				// The second reads the zone as written, so that no name is dirty.
				runOnce(t, c)
				runOnce(t, c)

				// Someone else deletes a.
				a := rec("a.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
				if err := zone.Apply(t.Context(), provider.Zone{ID: "example.com", Name: "example.com"},
					[]provider.Change{{Records: []provider.RecordChange{{Op: provider.OpDelete, Old: a}}}}); err != nil {
					t.Fatal(err)
				}
				if detector != nil {
					detector.unchanged = *tc.detector
				}
				now = now.Add(tc.age)
				wantB := rec("b.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
				if change {
					wantB = rec("b.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")
					src.set(svc("b"), []*endpoint.Endpoint{wanted(svc("b"), "b.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")})
				}
				reads := src.reads
				rep, err := c.RunResync(t.Context())
				if err != nil || rep.Err() != nil {
					t.Fatal(err, rep.Err())
				}
				if rep.Partial != tc.want {
					t.Errorf("Partial %v, want %v", rep.Partial, tc.want)
				}
				if readEvery := src.reads > reads; readEvery == tc.want {
					t.Errorf("the resync read every object: %v, want %v", readEvery, !tc.want)
				}
				got := lines(records(t, zone, "example.com"))
				if !slices.Contains(got, wantB.String()) {
					t.Errorf("the zone holds %v, not %s", got, wantB)
				}
				// A resync that proved the zone trusts its cache, in which a still
				// stands; one that read the zone finds a gone and writes it again.
				if repaired := slices.Contains(got, a.String()); repaired == tc.want {
					t.Errorf("a written again: %v, want %v (zone %v)", repaired, !tc.want, got)
				}
			})
		}
	}
}

// TestSkippedZoneReportsWhatItHolds: a resync that skips a zone proven unchanged reports
// as verified the records the reconcile before it created, as a reconcile reading the
// zone would find them (external-dns's verified_records gauge after its second sync).
func TestSkippedZoneReportsWhatItHolds(t *testing.T) {
	p := &unchangedProvider{Provider: inmemory.New("example.com"), unchanged: true}
	src := &fixedSource{}
	for _, n := range []string{"a", "b"} {
		src.result.Endpoints = append(src.result.Endpoints, wanted(svc(n), n+".example.com", endpoint.RecordTypeA, 0, "192.0.2.1"))
	}
	c := newController(t, p, Config{Policy: plan.PolicySync}, src)
	if z := runOnce(t, c).Zones[0]; z.Verified[endpoint.RecordTypeA] != 0 {
		t.Fatalf("the reconcile creating the records verified %v", z.Verified)
	}
	z := runOnce(t, c).Zones[0]
	if !z.Skipped {
		t.Fatal("the resync read the zone proven unchanged")
	}
	if got := z.Verified[endpoint.RecordTypeA]; got != 2 {
		t.Errorf("the skipped zone verified %d A records, want 2", got)
	}
}
