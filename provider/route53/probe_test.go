package route53

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
	"github.com/zonekeeper/zonekeeper/test/bench/idle"
)

// probed is an emulated zone with its provider.
type probed struct {
	p    *Provider
	em   *route53test.Emulator
	zone string // id
}

func newProbed(t testing.TB) *probed {
	p, em := emulated(t, route53test.Options{}, Config{EvaluateTargetHealth: true})
	return &probed{p: p, em: em, zone: em.CreateZone("example.com", route53test.ZoneOptions{})}
}

// outOfBand sends change to Route 53 as another client would, past the provider.
func (z *probed) outOfBand(t testing.TB, change types.Change) {
	t.Helper()
	_, err := z.p.api.ChangeResourceRecordSets(context.Background(), &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(z.zone), ChangeBatch: &types.ChangeBatch{Changes: []types.Change{change}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// value returns the value of the one-value record set name A, "" when there is none.
func (z *probed) value(name string) string {
	for _, rrs := range z.em.RecordSets(z.zone) {
		if aws.ToString(rrs.Name) == name+"." && rrs.Type == types.RRTypeA && len(rrs.ResourceRecords) == 1 {
			return aws.ToString(rrs.ResourceRecords[0].Value)
		}
	}
	return ""
}

func aSet(name, value string) *types.ResourceRecordSet {
	return &types.ResourceRecordSet{Name: aws.String(name), Type: types.RRTypeA, TTL: aws.Int64(300), ResourceRecords: []types.ResourceRecord{{Value: aws.String(value)}}}
}

// TestProbeRepairsDrift: through the daemon's resync loop, an out-of-band edit that
// changes the zone's record set count is repaired at the next resync, one that does not
// at the next full read; our own writes never cost a full read.
func TestProbeRepairsDrift(t *testing.T) {
	z := newProbed(t)
	desired := names("app", 10)
	loop := idle.New(t, z.p, z.em, desired, 10*time.Minute)
	const victim = "app-00000.example.com" // an A record of names
	want := z.value(victim)
	// calls are the requests of a resync: the zone list, the probe, and extra.
	calls := func(extra ...string) map[string]int {
		return idle.Plus(map[string]int{OperationListHostedZones: 1, OperationGetHostedZone: 1}, extra...)
	}
	steps := []struct {
		name    string
		arrange func()
		want    map[string]int
		holds   string // the value of victim after the resync, when set
	}{
		{"idle", func() {}, calls(), ""},
		{"own writes: a name more, one less, one changed", func() {
			loop.Desired = append(names("app", 9), endpoint.New("extra.example.com", endpoint.RecordTypeA, 0, "192.0.2.77"))
			loop.Desired[2] = endpoint.New(loop.Desired[2].DNSName, endpoint.RecordTypeA, 0, "192.0.2.78")
		}, calls(OperationChangeResourceRecordSets), ""},
		{"idle after own writes", func() {}, calls(), ""},
		{"own writes undone", func() { loop.Desired = desired }, calls(OperationChangeResourceRecordSets), ""},
		{"out of band: a record set added", func() {
			z.outOfBand(t, types.Change{Action: types.ChangeActionCreate, ResourceRecordSet: aSet("hand.example.com", "198.51.100.1")})
		}, calls(OperationListResourceRecordSets), ""},
		{"out of band: an owned record set deleted", func() {
			z.outOfBand(t, types.Change{Action: types.ChangeActionDelete, ResourceRecordSet: aSet(victim, want)})
		}, calls(OperationListResourceRecordSets, OperationChangeResourceRecordSets), want},
		{"out of band: an owned value changed, count kept", func() {
			z.outOfBand(t, types.Change{Action: types.ChangeActionUpsert, ResourceRecordSet: aSet(victim, "198.51.100.2")})
		}, calls(), "198.51.100.2"},
	}
	for _, s := range steps {
		s.arrange()
		if got, _ := loop.Resync(t); !maps.Equal(got, s.want) {
			t.Errorf("%s: calls %v, want %v", s.name, got, s.want)
		}
		if s.holds != "" && z.value(victim) != s.holds {
			t.Errorf("%s: %s holds %q, want %q", s.name, victim, z.value(victim), s.holds)
		}
	}
	// The changed value waits for the full read, ten minutes after the last one (the
	// resync after the out-of-band deletion), and no longer.
	for i := 1; ; i++ {
		got, changes := loop.Resync(t)
		if maps.Equal(got, calls()) && i < 9 {
			continue
		}
		if got[OperationListResourceRecordSets] != 1 || changes != 1 || z.value(victim) != want || i != 9 {
			t.Fatalf("resync %d after the value changed: calls %v, %d changes, %s holds %q; want at resync 9 a full read repairing it",
				i, got, changes, victim, z.value(victim))
		}
		break
	}
}

// TestIdleCalls measures what an idle daemon asks of Route 53 per zone with the
// defaults (--interval 1m, --aws-full-read-interval 1h) against full reads at every
// resync (--aws-full-read-interval 0). ZONEKEEPER_IDLE_NAMES=10000 gives the README's
// figures.
func TestIdleCalls(t *testing.T) {
	n := idle.Names(t)
	z := newProbed(t)
	before := idle.Calls(t, z.p, z.em, names("app", n), 10, 0)
	z = newProbed(t)
	after := idle.Calls(t, z.p, z.em, names("app", n), 60, time.Hour)
	pages := (2*n + 2 + listMaxItems - 1) / listMaxItems // names and ownership records, SOA and NS
	if want := map[string]int{OperationListHostedZones: 10, OperationListResourceRecordSets: 10 * pages}; !maps.Equal(before, want) {
		t.Errorf("reading in full: %v, want %v", before, want)
	}
	if want := map[string]int{OperationListHostedZones: 60, OperationGetHostedZone: 59, OperationListResourceRecordSets: pages}; !maps.Equal(after, want) {
		t.Errorf("probing: %v, want %v", after, want)
	}
	idle.Report(t, n, before, after, func(calls map[string]int) int {
		return calls[OperationGetHostedZone] + calls[OperationListResourceRecordSets]
	})
}
