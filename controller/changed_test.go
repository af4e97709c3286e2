package controller

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// countingProvider counts the zone reads of the in-memory provider it wraps.
type countingProvider struct {
	*inmemory.Provider
	reads atomic.Int64
}

func (p *countingProvider) Records(ctx context.Context, zone provider.Zone) ([]*endpoint.Endpoint, error) {
	p.reads.Add(1)
	return p.Provider.Records(ctx, zone)
}

// settableSource returns whatever the test last put in it.
type settableSource struct {
	endpoints []*endpoint.Endpoint
	err       error
}

func (s *settableSource) Endpoints(context.Context) (source.Result, error) {
	return source.Result{Endpoints: s.endpoints}, s.err
}

func skippedZones(rep *Report) []string {
	var out []string
	for _, z := range rep.Zones {
		if z.Skipped {
			out = append(out, z.Zone.Name)
		}
	}
	return out
}

// TestRunChanged walks one controller through a sequence of reconciles, checking after
// each which zones RunChanged left alone and how many zone reads it cost.
func TestRunChanged(t *testing.T) {
	web := wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	api := wanted(svc("api"), "api.example.org", endpoint.RecordTypeA, 0, "192.0.2.2")
	apiMoved := wanted(svc("api"), "api.example.org", endpoint.RecordTypeA, 0, "192.0.2.3")
	hidden := rec("hidden.example.org", endpoint.RecordTypeA, 0, "192.0.2.4")

	p := &countingProvider{Provider: inmemory.New("example.com", "example.org")}
	src := &settableSource{endpoints: []*endpoint.Endpoint{web, api}}
	c := newController(t, p, Config{Policy: plan.PolicySync}, src)
	ctx := context.Background()

	steps := []struct {
		name        string
		arrange     func()
		full        bool
		wantSkipped []string
		wantReads   int64
	}{
		{"first reconcile reads every zone", func() {}, false, nil, 2},
		{"nothing changed: both zones skipped", func() {}, false, []string{"example.com", "example.org"}, 0},
		{"order of the objects does not matter", func() { src.endpoints = []*endpoint.Endpoint{api, web} }, false, []string{"example.com", "example.org"}, 0},
		{"a changed target reconciles only its zone", func() { src.endpoints = []*endpoint.Endpoint{web, apiMoved} }, false, []string{"example.com"}, 1},
		{"a source error reconciles every zone, deleting nothing", func() { src.err = errors.New("list ingresses: forbidden") }, false, nil, 2},
		{"after a source error no zone is settled", func() { src.err = nil }, false, nil, 2},
		{"an out-of-band record is not seen by RunChanged", func() {
			if err := p.Seed("example.org", hidden); err != nil {
				t.Fatal(err)
			}
		}, false, []string{"example.com", "example.org"}, 0},
		{"the full reconcile reads every zone", func() {}, true, nil, 2},
	}
	for _, s := range steps {
		s.arrange()
		before := p.reads.Load()
		run := c.RunChanged
		if s.full {
			run = c.RunOnce
		}
		rep, err := run(ctx)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := skippedZones(rep); !slices.Equal(got, s.wantSkipped) {
			t.Errorf("%s: skipped %q, want %q", s.name, got, s.wantSkipped)
		}
		if got := p.reads.Load() - before; got != s.wantReads {
			t.Errorf("%s: %d zone reads, want %d", s.name, got, s.wantReads)
		}
	}
	want := slices.Concat(
		[]*endpoint.Endpoint{hidden},
		ownedBy(t, ourOwner, "service/ns/api", rec("api.example.org", endpoint.RecordTypeA, 0, "192.0.2.3")))
	if got := lines(records(t, p.Provider, "example.org")); !slices.Equal(got, lines(want)) {
		t.Errorf("example.org holds %q, want %q", got, lines(want))
	}
}

// TestRunChangedRetriesUnsettledZones: a zone where a change was refused is reconciled
// again by the next RunChanged even though nothing it wants changed.
func TestRunChangedRetriesUnsettledZones(t *testing.T) {
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	p := &faultyProvider{
		Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": {hidden}}),
		hidden:   hidden.RecordKey(),
	}
	src := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
	}}}
	c := newController(t, p, Config{Policy: plan.PolicySync}, src)
	for i := range 2 {
		rep, err := c.RunChanged(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Zones) != 1 || rep.Zones[0].Skipped || len(rep.Zones[0].Failed) != 1 {
			t.Fatalf("reconcile %d: zones %+v, want example.com reconciled with its refused change", i+1, rep.Zones)
		}
	}
}

// adjustingProvider rewrites every desired A record's TTL to 300, as a provider with a
// default TTL would, and refuses names starting with "bad".
type adjustingProvider struct{ *inmemory.Provider }

func (adjustingProvider) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	var out []*endpoint.Endpoint
	var problems []endpoint.Problem
	for _, e := range desired {
		if e.DNSName[:3] == "bad" {
			for _, ref := range e.Refs {
				problems = append(problems, endpoint.Problem{Ref: ref, DNSName: e.DNSName, Err: errors.New("not allowed here")})
			}
			continue
		}
		c := e.Clone()
		c.RecordTTL = 300
		out = append(out, c)
	}
	return out, problems
}

func TestRunOnceAdjustsEndpoints(t *testing.T) {
	web := wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	bad := wanted(svc("bad"), "bad.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")
	p := adjustingProvider{inmemory.New("example.com")}
	c := newController(t, p, Config{Policy: plan.PolicySync}, fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{web, bad}}})

	rep := runOnce(t, c)

	if web.RecordTTL != 0 {
		t.Errorf("the source's endpoint was modified: TTL %d", web.RecordTTL)
	}
	if want := []string{"service/ns/bad bad.example.com warning=false: not allowed here"}; !slices.Equal(problemLines(rep), want) {
		t.Errorf("problems %q, want %q", problemLines(rep), want)
	}
	want := ownedBy(t, ourOwner, "service/ns/web", rec("web.example.com", endpoint.RecordTypeA, 300, "192.0.2.1"))
	if got := lines(records(t, p, "example.com")); !slices.Equal(got, lines(want)) {
		t.Errorf("zone holds %q, want %q", got, lines(want))
	}
	if again := runOnce(t, c); changeCount(again) != 0 {
		t.Errorf("second reconcile planned %d changes, want none: adjusted records must read back unchanged", changeCount(again))
	}
}

// detectingProvider is a countingProvider that can prove its zones unchanged when told.
type detectingProvider struct {
	*countingProvider
	unchanged bool
}

func (p *detectingProvider) Unchanged(context.Context, provider.Zone) (bool, error) {
	return p.unchanged, nil
}

// TestRunOnceSkipsZonesProvenUnchanged: with a change detector, even the full reconcile
// leaves a settled zone alone while the detector proves it unchanged and its desired
// records are the same; a change in the zone is read and corrected.
func TestRunOnceSkipsZonesProvenUnchanged(t *testing.T) {
	p := &detectingProvider{countingProvider: &countingProvider{Provider: inmemory.New("example.com")}}
	src := &settableSource{endpoints: []*endpoint.Endpoint{wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")}}
	c := newController(t, p, Config{Policy: plan.PolicySync}, src)
	steps := []struct {
		name      string
		unchanged bool
		wantReads int64
	}{
		{"first reconcile", true, 1},
		{"proven unchanged: skipped", true, 0},
		{"the detector sees a change: read", false, 1},
		{"proven unchanged again: skipped", true, 0},
	}
	for _, s := range steps {
		p.unchanged = s.unchanged
		before := p.reads.Load()
		runOnce(t, c)
		if got := p.reads.Load() - before; got != s.wantReads {
			t.Errorf("%s: %d reads, want %d", s.name, got, s.wantReads)
		}
	}
}

func TestDesiredFingerprint(t *testing.T) {
	base := func() []*endpoint.Endpoint {
		a := wanted(svc("a"), "a.example.com", endpoint.RecordTypeA, 60, "192.0.2.1")
		a.Labels = endpoint.Labels{"resource": "service/ns/a"}
		return []*endpoint.Endpoint{a, wanted(svc("b"), "b.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net")}
	}
	want := desiredFingerprint(base())
	same := []struct {
		name   string
		change func([]*endpoint.Endpoint) []*endpoint.Endpoint
	}{
		{"another order", func(e []*endpoint.Endpoint) []*endpoint.Endpoint { return []*endpoint.Endpoint{e[1], e[0]} }},
	}
	differ := []struct {
		name   string
		change func([]*endpoint.Endpoint) []*endpoint.Endpoint
	}{
		{"a target", func(e []*endpoint.Endpoint) []*endpoint.Endpoint { e[0].Targets[0] = "192.0.2.2"; return e }},
		{"a TTL", func(e []*endpoint.Endpoint) []*endpoint.Endpoint { e[0].RecordTTL = 61; return e }},
		{"a property", func(e []*endpoint.Endpoint) []*endpoint.Endpoint { e[1].SetProperty("alias", "true"); return e }},
		{"the object", func(e []*endpoint.Endpoint) []*endpoint.Endpoint {
			e[1].Refs = []endpoint.ObjectRef{svc("c")}
			return e
		}},
		{"a label", func(e []*endpoint.Endpoint) []*endpoint.Endpoint { e[0].Labels["resource"] = "service/ns/z"; return e }},
		{"a set identifier", func(e []*endpoint.Endpoint) []*endpoint.Endpoint { e[0].SetIdentifier = "eu"; return e }},
		{"a field boundary", func(e []*endpoint.Endpoint) []*endpoint.Endpoint {
			e[0].DNSName, e[0].RecordType = "a.example.co", "mA"
			return e
		}},
		{"one endpoint less", func(e []*endpoint.Endpoint) []*endpoint.Endpoint { return e[:1] }},
	}
	for _, tt := range same {
		if got := desiredFingerprint(tt.change(base())); got != want {
			t.Errorf("%s changed the fingerprint", tt.name)
		}
	}
	for _, tt := range differ {
		if got := desiredFingerprint(tt.change(base())); got == want {
			t.Errorf("a change of %s kept the fingerprint", tt.name)
		}
	}
}
