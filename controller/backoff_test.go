package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// sendCounting counts how often each main record reaches the provider's Apply.
type sendCounting struct {
	*faultyProvider
	sent map[string]int
}

func (p *sendCounting) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	for _, c := range changes {
		p.sent[c.Main().Endpoint().DNSName]++
	}
	return p.faultyProvider.Apply(ctx, zone, changes)
}

// TestRefusedChangesBackOff: a change the provider refuses is set aside for a minute,
// then two, and so on, while the zone's other changes go on; a fixed object's new
// change goes at once.
func TestRefusedChangesBackOff(t *testing.T) {
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	p := &sendCounting{
		faultyProvider: &faultyProvider{
			Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": {hidden}}),
			hidden:   hidden.RecordKey(),
		},
		sent: map[string]int{},
	}
	src := &settableSource{}
	c := newController(t, p, Config{Policy: plan.PolicySync}, src)
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		at         time.Duration
		target     string // of the refused object
		other      string // a healthy object created at this step
		wantSent   int    // sends of hidden.example.com so far
		wantFailed string
	}{
		{0, "192.0.2.9", "a", 1, "RRset already exists (refusal 1 in a row; set aside until 2026-11-26T12:01:00Z)"},
		{30 * time.Second, "192.0.2.9", "b", 1, "set aside: refused 1 time(s) in a row"},
		{61 * time.Second, "192.0.2.9", "c", 2, "(refusal 2 in a row; set aside until 2026-11-26T12:03:01Z)"},
		{2 * time.Minute, "192.0.2.9", "d", 2, "set aside: refused 2 time(s) in a row"},
		{2*time.Minute + time.Second, "192.0.2.10", "e", 3, "(refusal 1 in a row;"},
	}
	var healthy []*endpoint.Endpoint
	for _, s := range steps {
		c.clock = func() time.Time { return t0.Add(s.at) }
		healthy = append(healthy, wanted(svc(s.other), s.other+".example.com", endpoint.RecordTypeA, 0, "198.51.100.1"))
		src.endpoints = append([]*endpoint.Endpoint{wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, s.target)}, healthy...)

		rep := runOnce(t, c)

		z := rep.Zones[0]
		if len(z.Failed) != 1 || !strings.Contains(z.Failed[0].Err.Error(), s.wantFailed) {
			t.Fatalf("at %v: failed %v, want the hidden change failing with %q", s.at, z.Failed, s.wantFailed)
		}
		if got := p.sent["hidden.example.com"]; got != s.wantSent {
			t.Errorf("at %v: hidden.example.com sent %d times, want %d", s.at, got, s.wantSent)
		}
		if got := p.sent[s.other+".example.com"]; got != 1 {
			t.Errorf("at %v: %s.example.com sent %d times, want 1: a refused change must not hold others up", s.at, s.other, got)
		}
	}
}

func TestRefusalBackoff(t *testing.T) {
	for count, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 5: 16 * time.Minute, 6: 30 * time.Minute, 7: 30 * time.Minute, 100: 30 * time.Minute} {
		if got := refusalBackoff(count); got != want {
			t.Errorf("refusalBackoff(%d) = %v, want %v", count, got, want)
		}
	}
}

// TestOutageSetsNothingAside: a zone that cannot be written at all is an outage, not a
// bad change; the next reconcile sends everything again.
func TestOutageSetsNothingAside(t *testing.T) {
	p := &failingApply{Provider: inmemory.New("example.com")}
	c := newController(t, p, Config{Policy: plan.PolicySync}, fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
	}}})
	for i := range 2 {
		rep := runOnce(t, c)
		if rep.Zones[0].Err == nil || len(rep.Zones[0].Failed) != 0 {
			t.Errorf("reconcile %d: zone error %v, failed %v; want the outage as the zone's error and nothing set aside", i+1, rep.Zones[0].Err, rep.Zones[0].Failed)
		}
	}
	if p.calls != 2 {
		t.Errorf("Apply called %d times, want 2", p.calls)
	}
}

// failingApply is an in-memory provider whose zones cannot be written at all.
type failingApply struct {
	*inmemory.Provider
	calls int
}

func (p *failingApply) Apply(context.Context, provider.Zone, []provider.Change) error {
	p.calls++
	return errors.New("connection refused")
}
