package route53

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

// daemon is one zonekeeper deployment against a provider.
type daemon struct {
	p   *Provider
	reg *registry.TXT
}

func newDaemon(t testing.TB, p *Provider, cfg registry.TXTConfig) *daemon {
	t.Helper()
	if cfg.OwnerID == "" {
		cfg.OwnerID = "default"
	}
	reg, err := registry.NewTXT(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &daemon{p: p, reg: reg}
}

// run reconciles desired once.
func (d *daemon) run(t testing.TB, desired []*endpoint.Endpoint) *controller.Report {
	t.Helper()
	c := &controller.Controller{
		Sources:  []source.Source{providertest.Fixed(desired)},
		Registry: d.reg,
		Provider: d.p,
		Config:   controller.Config{Policy: plan.PolicySync},
	}
	rep, err := c.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return rep
}

// elbHost is the host name of a classic load balancer in us-east-1.
func elbHost(i int) string { return fmt.Sprintf("lb-%05d-1234567890.us-east-1.elb.amazonaws.com", i) }

// names returns n desired names in zone example.com: even ones plain A records, odd ones
// ALIAS A records to a load balancer (a CNAME target with alias: A, as a Service of type
// LoadBalancer on AWS yields), each wanted by a Service of its own.
func names(prefix string, n int) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, n)
	for i := range n {
		name := fmt.Sprintf("%s-%05d.example.com", prefix, i)
		var e *endpoint.Endpoint
		if i%2 == 0 {
			e = endpoint.New(name, endpoint.RecordTypeA, 0, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		} else {
			e = endpoint.New(name, endpoint.RecordTypeCNAME, 0, elbHost(i))
			e.SetProperty(PropertyAlias, "true")
			e.SetProperty(PropertyAliasRecordType, endpoint.RecordTypeA)
		}
		e.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "default", Name: fmt.Sprintf("%s-%05d", prefix, i)}}
		out[i] = e
	}
	return out
}

// minimumBatches is the fewest ChangeResourceRecordSets requests that can create the
// record sets in zoneID (apart from the apex SOA and NS) under Route 53's limits.
func minimumBatches(em *route53test.Emulator, zoneID string) (sets, chars, least int) {
	for _, rrs := range em.RecordSets(zoneID) {
		if rrs.Type == "SOA" || rrs.Type == "NS" {
			continue
		}
		sets++
		for _, r := range rrs.ResourceRecords {
			chars += len(*r.Value)
		}
	}
	return sets, chars, max((sets+MaxChangesPerBatch-1)/MaxChangesPerBatch, (chars+MaxCharsPerBatch-1)/MaxCharsPerBatch)
}

// converge10k measures issue items 3 and 4: 10,000 names from an empty zone, then a
// reconcile with nothing to change.
func converge10k(t testing.TB) (create, unchanged map[string]int, least int, took time.Duration) {
	p, em := emulated(t, route53test.Options{}, Config{EvaluateTargetHealth: true})
	id := em.CreateZone("example.com", route53test.ZoneOptions{})
	d := newDaemon(t, p, registry.TXTConfig{})
	desired := names("app", 10000)
	start := time.Now()
	rep := d.run(t, desired)
	took = time.Since(start)
	if err := rep.Err(); err != nil {
		t.Fatalf("converging 10,000 names: %v", err)
	}
	create = em.Calls()
	_, _, least = minimumBatches(em, id)
	em.ResetCounters()
	if rep := d.run(t, desired); providertest.ChangeCount(rep) != 0 || rep.Err() != nil {
		t.Fatalf("the reconcile after converging planned %d changes (err %v)", providertest.ChangeCount(rep), rep.Err())
	}
	return create, em.Calls(), least, took
}

// TestConverge10k: creating 10,000 names with their ownership records takes the fewest
// change requests Route 53's limits allow and one listing; the next reconcile only lists.
func TestConverge10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 names")
	}
	create, unchanged, least, took := converge10k(t)
	t.Logf("converge: %v, %s; minimum change requests %d; no-change reconcile: %v", create, took, least, unchanged)
	if got := create[OperationChangeResourceRecordSets]; got != least {
		t.Errorf("converging took %d ChangeResourceRecordSets requests, want the minimum %d", got, least)
	}
	if got := create[OperationListResourceRecordSets]; got != 1 {
		t.Errorf("converging listed the empty zone in %d requests, want 1", got)
	}
	// 20,000 record sets plus the apex SOA and NS, 300 per page.
	wantPages := (20000 + 2 + listMaxItems - 1) / listMaxItems
	if got := unchanged[OperationListResourceRecordSets]; got != wantPages {
		t.Errorf("the no-change reconcile listed %d pages, want %d", got, wantPages)
	}
	if got := unchanged[OperationChangeResourceRecordSets]; got != 0 {
		t.Errorf("the no-change reconcile sent %d change requests, want 0", got)
	}
}

// BenchmarkConverge10k reports the requests and time of converging 10,000 names from an
// empty zone.
func BenchmarkConverge10k(b *testing.B) {
	for b.Loop() {
		create, unchanged, least, _ := converge10k(b)
		b.ReportMetric(float64(create[OperationChangeResourceRecordSets]), "change-calls")
		b.ReportMetric(float64(least), "minimum-change-calls")
		b.ReportMetric(float64(create[OperationListResourceRecordSets]), "list-calls")
		b.ReportMetric(float64(unchanged[OperationListResourceRecordSets]), "nochange-list-calls")
		b.ReportMetric(float64(unchanged[OperationChangeResourceRecordSets]), "nochange-change-calls")
	}
}

// TestConvergeUnderFaults: with a fifth of the requests throttled and one in twenty
// failing with HTTP 500, 5,000 names still converge, every record correct, none lost.
func TestConvergeUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 names")
	}
	p, em := emulated(t, route53test.Options{ThrottleRate: 0.2, ServerErrorRate: 0.05, Seed: 7}, Config{EvaluateTargetHealth: true})
	id := em.CreateZone("example.com", route53test.ZoneOptions{})
	d := newDaemon(t, p, registry.TXTConfig{})
	desired := names("app", 5000)
	runs := 0
	for ; runs < 10; runs++ {
		rep := d.run(t, desired)
		if providertest.ChangeCount(rep) == 0 && rep.Err() == nil {
			break
		}
	}
	calls, faults := em.Calls(), em.Faults()
	t.Logf("converged: %d reconciles, the last planning nothing; calls %v; faults answered (each retried) %v", runs+1, calls, faults)
	if runs == 10 {
		t.Fatal("did not converge in 10 reconciles")
	}
	want, _ := p.AdjustEndpoints(desired)
	got := map[string]string{}
	for _, rrs := range em.RecordSets(id) {
		ep := fromRecordSet(rrs)
		got[ep.DNSName+" "+ep.RecordType] = strings.Join(ep.Targets, ",")
	}
	for _, w := range want {
		if g, ok := got[w.DNSName+" "+w.RecordType]; !ok || g != strings.Join(w.Targets, ",") {
			t.Errorf("%s %s: zone holds %q (present %t), want %q", w.DNSName, w.RecordType, g, ok, strings.Join(w.Targets, ","))
		}
		if _, ok := got[d.reg.OwnershipName(w.DNSName, w.RecordType)+" TXT"]; !ok {
			t.Errorf("%s %s has no ownership record", w.DNSName, w.RecordType)
		}
	}
	if len(got) != 2*len(want)+2 {
		t.Errorf("zone holds %d record sets, want %d", len(got), 2*len(want)+2)
	}
}

// TestPoisonedChange: one change Route 53 rejects (an A record holding no IPv4 address)
// among 1,000 costs only itself: the other 999 are applied in the same reconcile, and the
// bad one is reported on its object with Route 53's message. (Setting it aside with a backoff is
// the controller's business, tested there for every provider.)
func TestPoisonedChange(t *testing.T) {
	p, em := emulated(t, route53test.Options{}, Config{EvaluateTargetHealth: true})
	id := em.CreateZone("example.com", route53test.ZoneOptions{})
	d := newDaemon(t, p, registry.TXTConfig{})
	desired := names("app", 999)
	// A value only Route 53 judges: the sources would have refused it, the provider
	// passes it on, and the controller's zone rules have nothing against it.
	poison := endpoint.New("poison.example.com", endpoint.RecordTypeA, 0, "192.0.2.300")
	poison.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "default", Name: "poison"}}
	desired = append(desired, poison)

	rep := d.run(t, desired)
	if len(rep.Zones) != 1 {
		t.Fatalf("report has %d zones", len(rep.Zones))
	}
	z := rep.Zones[0]
	if len(z.Failed) != 1 || z.Failed[0].Change.Main().Endpoint().DNSName != "poison.example.com" ||
		!strings.Contains(z.Failed[0].Err.Error(), "ARRDATAIllegalIPv4Address") {
		t.Fatalf("failed changes %v, want only poison.example.com with Route 53's message", z.Failed)
	}
	if refs := z.Failed[0].Change.Main().Endpoint().Refs; len(refs) != 1 || refs[0].Name != "poison" {
		t.Errorf("the failed change names objects %v, want service/default/poison", refs)
	}
	calls := em.Calls()[OperationChangeResourceRecordSets]
	t.Logf("poisoned reconcile: %d ChangeResourceRecordSets requests; failure: %v", calls, z.Failed[0].Err)
	if sets, _, _ := minimumBatches(em, id); sets != 2*999 {
		t.Errorf("zone holds %d record sets after the reconcile, want %d", sets, 2*999)
	}

}

// TestSplitHorizon: a public and a private zone of one name are two zones; a record the
// controller plans for both is written once into each.
func TestSplitHorizon(t *testing.T) {
	p, em := emulated(t, route53test.Options{}, Config{})
	public := em.CreateZone("example.com", route53test.ZoneOptions{})
	private := em.CreateZone("example.com", route53test.ZoneOptions{Private: true, VPCRegion: "us-east-1", VPCID: "vpc-1"})
	d := newDaemon(t, p, registry.TXTConfig{})
	desired := names("app", 4)
	if rep := d.run(t, desired); rep.Err() != nil || len(rep.Zones) != 2 {
		t.Fatalf("reconcile: %v, %d zones", rep.Err(), len(rep.Zones))
	}
	for _, id := range []string{public, private} {
		if sets, _, _ := minimumBatches(em, id); sets != 8 {
			t.Errorf("zone %s holds %d record sets, want 8", id, sets)
		}
	}
	if rep := d.run(t, desired); providertest.ChangeCount(rep) != 0 {
		t.Errorf("second reconcile planned %d changes", providertest.ChangeCount(rep))
	}
	for _, tc := range []struct {
		zoneType string
		want     string
	}{{ZoneTypePublic, public}, {ZoneTypePrivate, private}} {
		p.s.zoneType = tc.zoneType
		zones, err := p.Zones(context.Background())
		if err != nil || len(zones) != 1 || zones[0].ID != tc.want {
			t.Errorf("zone type %s: Zones = %v, %v; want only %s", tc.zoneType, zones, err, tc.want)
		}
	}
}

var _ provider.Provider = (*Provider)(nil)

// TestEventReconcilesMakeNoCalls: as the daemon runs it (provider.Cached for the resync
// interval, RunChanged on events), a reconcile after an event that changed nothing in
// the zone sends Route 53 nothing at all, and one after a change sends one change request
// and lists nothing, zones or records; only the resync lists again.
func TestEventReconcilesMakeNoCalls(t *testing.T) {
	p, em := emulated(t, route53test.Options{}, Config{EvaluateTargetHealth: true})
	em.CreateZone("example.com", route53test.ZoneOptions{})
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: "default"})
	if err != nil {
		t.Fatal(err)
	}
	src := &settableSource{endpoints: names("app", 1000)}
	c := &controller.Controller{
		Sources:  []source.Source{src},
		Registry: reg,
		Provider: provider.NewCached(p, time.Hour),
		Config:   controller.Config{Policy: plan.PolicySync},
	}
	ctx := context.Background()
	if _, err := c.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		arrange func()
		run     func(context.Context) (*controller.Report, error)
		want    map[string]int
	}{
		{"event, nothing changed", func() {}, c.RunChanged, map[string]int{}},
		{"event, one record changed", func() { src.endpoints[0] = names("other", 1)[0] }, c.RunChanged,
			map[string]int{OperationChangeResourceRecordSets: 1}},
	}
	for _, s := range steps {
		s.arrange()
		em.ResetCounters()
		if _, err := s.run(ctx); err != nil {
			t.Fatal(err)
		}
		if got := em.Calls(); !maps.Equal(got, s.want) {
			t.Errorf("%s: calls %v, want %v", s.name, got, s.want)
		}
	}
}

// settableSource returns whatever the test last put in it.
type settableSource struct{ endpoints []*endpoint.Endpoint }

func (s *settableSource) Endpoints(context.Context) (source.Result, error) {
	return source.Result{Endpoints: slices.Clone(s.endpoints)}, nil
}
