package providertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

// The owner ids of the suite's controllers.
const (
	ourOwner     = "conformance"
	foreignOwner = "conformance-other"
)

// objectNamespace is the namespace of every object the suite's desired records name.
const objectNamespace = "conformance"

// env is one subtest's provider with its zones, as the provider listed them, and what
// the service kept in each zone before the suite wrote anything.
type env struct {
	h        Harness
	p        provider.Provider
	zones    map[string]provider.Zone
	baseline map[string]map[endpoint.RecordKey]bool // by zone name
}

// suiteTypes are the record types the suite writes; a fresh zone must hold none of
// them, so that whatever it does hold cannot be mistaken for the suite's records.
var suiteTypes = []string{endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME, endpoint.RecordTypeTXT, endpoint.RecordTypeMX}

// newEnv gets a fresh provider for zones and checks that it lists exactly those zones,
// each holding nothing but the service's own apex records.
func newEnv(t *testing.T, h Harness, zones ...string) *env {
	t.Helper()
	e := &env{h: h, p: h.New(t, zones), zones: map[string]provider.Zone{}, baseline: map[string]map[endpoint.RecordKey]bool{}}
	listed, err := e.p.Zones(context.Background())
	if err != nil {
		t.Fatalf("Zones: %v", err)
	}
	var names []string
	for _, z := range listed {
		names = append(names, z.Name)
		e.zones[z.Name] = z
	}
	slices.Sort(names)
	want := slices.Sorted(slices.Values(zones))
	if !slices.Equal(names, want) {
		t.Fatalf("Zones lists %q, want exactly %q", names, want)
	}
	for _, name := range zones {
		records, err := e.p.Records(context.Background(), e.zones[name])
		if err != nil {
			t.Fatalf("Records of fresh zone %s: %v", name, err)
		}
		kept := map[endpoint.RecordKey]bool{}
		for _, r := range records {
			if r.DNSName != name || slices.Contains(suiteTypes, r.RecordType) {
				t.Fatalf("fresh zone %s holds %s; Harness.New must return zones empty apart from the service's own apex records (SOA, NS)", name, r)
			}
			kept[r.RecordKey()] = true
		}
		e.baseline[name] = kept
	}
	return e
}

// zone returns the provider's zone named name.
func (e *env) zone(t *testing.T, name string) provider.Zone {
	t.Helper()
	z, ok := e.zones[name]
	if !ok {
		t.Fatalf("the suite asked for zone %s but did not create it", name)
	}
	return z
}

// records returns what Records lists for the zone named name, without the records the
// service kept there before the suite began (the SOA, whose serial may move, and NS).
func (e *env) records(t *testing.T, name string) []*endpoint.Endpoint {
	t.Helper()
	got, err := e.readRecords(name)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// readRecords is records for goroutines other than the test's, which must not call
// t.Fatal. The zone must be one of e's.
func (e *env) readRecords(name string) ([]*endpoint.Endpoint, error) {
	all, err := e.p.Records(context.Background(), e.zones[name])
	if err != nil {
		return nil, fmt.Errorf("Records of zone %s: %w", name, err)
	}
	return slices.DeleteFunc(all, func(r *endpoint.Endpoint) bool { return e.baseline[name][r.RecordKey()] }), nil
}

// expectZone fails t unless the zone named name holds exactly want (see diffRecords).
func (e *env) expectZone(t *testing.T, name string, want []*endpoint.Endpoint) {
	t.Helper()
	report(t, "zone "+name, diffRecords(want, e.records(t, name), asAsked))
}

// maxReported is how many differences report lists before summarising the rest: a
// provider that lost 10,000 records needs a few examples, not 10,000 lines.
const maxReported = 20

// report fails t with each difference in diffs, prefixed with where.
func report(t *testing.T, where string, diffs []string) {
	t.Helper()
	for i, d := range diffs {
		if i == maxReported {
			t.Errorf("%s: … and %d more differences", where, len(diffs)-maxReported)
			return
		}
		t.Errorf("%s: %s", where, d)
	}
}

// seed places records, in the zones that hold them, the way another tool would.
func (e *env) seed(t *testing.T, records ...*endpoint.Endpoint) {
	t.Helper()
	byZone := map[string][]*endpoint.Endpoint{}
	for _, r := range records {
		z, ok := provider.ZoneFor(r.DNSName, slices.Collect(maps.Values(e.zones)))
		if !ok {
			t.Fatalf("seed record %s lies in none of the zones", r)
		}
		byZone[z.Name] = append(byZone[z.Name], r)
	}
	for _, name := range slices.Sorted(maps.Keys(byZone)) {
		e.h.seed(t, e.p, e.zone(t, name), byZone[name]...)
	}
}

// owner is one zonekeeper deployment: its ownership registry and reconcile settings.
type owner struct {
	id  string
	reg *registry.TXT
	cfg controller.Config
}

// newOwner returns the deployment with owner id id, registry settings cfg (whose
// OwnerID is set to id) and the sync policy. The registry and the planner manage the
// same record types: cfg.ManagedTypes, or A, AAAA and CNAME.
func newOwner(t *testing.T, id string, cfg registry.TXTConfig) *owner {
	t.Helper()
	cfg.OwnerID = id
	reg, err := registry.NewTXT(cfg)
	if err != nil {
		t.Fatalf("registry for owner %s: %v", id, err)
	}
	return &owner{id: id, reg: reg, cfg: controller.Config{Policy: plan.PolicySync, ManagedTypes: cfg.ManagedTypes}}
}

// Fixed is a source that wants the same records on every reconcile, for tests that drive
// a provider through controller.Controller. The controller never modifies what a
// source returns.
type Fixed []*endpoint.Endpoint

// Endpoints returns s.
func (s Fixed) Endpoints(context.Context) (source.Result, error) {
	return source.Result{Endpoints: s}, nil
}

// reconcile runs one RunOnce of o against the provider with desired as the only source.
// It fails t when the reconcile could not run, a zone could not be read or written, a
// change was refused, or a deletion was withheld.
func (e *env) reconcile(t *testing.T, o *owner, desired []*endpoint.Endpoint) *controller.Report {
	t.Helper()
	c := &controller.Controller{Sources: []source.Source{Fixed(desired)}, Registry: o.reg, Provider: e.p, Config: o.cfg}
	rep, err := c.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("owner %s: RunOnce: %v", o.id, err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("owner %s: reconcile failed: %v", o.id, err)
	}
	for _, z := range rep.Zones {
		for _, w := range z.Withheld {
			t.Errorf("owner %s: zone %s: deletion of %s withheld: %s", o.id, z.Zone.Name, w.Record, w.Reason)
		}
	}
	return rep
}

// converge reconciles o with desired twice. The first run must report problems exactly
// on the names in problemNames (none when empty); the second must plan no change at
// all, or the provider returns something other than what it was given and the daemon
// would update forever. It returns the report of the first run.
func (e *env) converge(t *testing.T, o *owner, desired []*endpoint.Endpoint, problemNames ...string) *controller.Report {
	t.Helper()
	rep := e.reconcile(t, o, desired)
	for _, d := range diffProblems(problemNames, allProblems(rep)) {
		t.Errorf("owner %s: %s", o.id, d)
	}
	again := e.reconcile(t, o, desired)
	for _, z := range again.Zones {
		for _, c := range z.Changes {
			t.Errorf("owner %s: zone %s: the run after convergence planned %s (%d record changes): the provider did not return what it was given",
				o.id, z.Zone.Name, c, len(c.Records))
		}
	}
	return rep
}

// allProblems collects the per-object problems of every part of a report.
func allProblems(rep *controller.Report) []endpoint.Problem {
	out := slices.Clone(rep.Problems)
	for _, z := range rep.Zones {
		out = append(out, z.Problems...)
	}
	return out
}

// diffProblems describes how problems differ from problems on exactly the names in
// wantNames.
func diffProblems(wantNames []string, problems []endpoint.Problem) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range problems {
		seen[p.DNSName] = true
		if !slices.Contains(wantNames, p.DNSName) {
			out = append(out, "unexpected problem: "+p.Error())
		}
	}
	for _, n := range wantNames {
		if !seen[n] {
			out = append(out, "no problem reported on "+n)
		}
	}
	return out
}

// ChangeCount counts the changes a report planned over all zones, ownership-only
// changes included.
func ChangeCount(rep *controller.Report) int {
	n := 0
	for _, z := range rep.Zones {
		n += len(z.Changes)
	}
	return n
}

// wanted is a desired record as a source returns it, asked for by the Service named
// object in the suite's namespace. name is normalised (IDNA included) as a source would.
func wanted(object, name, recordType string, ttl endpoint.TTL, targets ...string) *endpoint.Endpoint {
	e := endpoint.New(name, recordType, ttl, targets...)
	e.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: objectNamespace, Name: object}}
	return e
}

// ownedBy returns what the zone holds for desired records written by o: each record,
// with its ownership record naming o and the record's object. Ownership records have
// no TTL of their own, so their TTL is not compared.
func (o *owner) ownedBy(records ...*endpoint.Endpoint) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, 0, 2*len(records))
	for _, r := range records {
		labels := endpoint.Labels{endpoint.OwnerLabelKey: o.id, endpoint.ResourceLabelKey: r.Refs[0].String()}
		txt := endpoint.New(o.reg.OwnershipName(r.DNSName, r.RecordType), endpoint.RecordTypeTXT, 0, registry.FormatOwnership(labels))
		txt.SetIdentifier = r.SetIdentifier
		out = append(out, r, txt)
	}
	return out
}
