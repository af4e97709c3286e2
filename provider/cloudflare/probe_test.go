package cloudflare

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/test/bench/idle"
)

// hosts returns n desired A records in example.com, each wanted by a Service of its own.
func hosts(n int) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, n)
	for i := range out {
		out[i] = hostA(fmt.Sprintf("app-%05d.example.com", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
	}
	return out
}

// hostA is an A record wanted by a Service of its name.
func hostA(name string, targets ...string) *endpoint.Endpoint {
	e := endpoint.New(name, endpoint.RecordTypeA, 300, targets...)
	e.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "default", Name: name}}
	return e
}

// outOfBand applies change in zone through another client of the account.
func outOfBand(t testing.TB, env *testEnv, zone provider.Zone, change provider.RecordChange) {
	t.Helper()
	other, err := New(Config{APIToken: testToken, BaseURL: env.p.s.BaseURL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Records(context.Background(), zone); err != nil {
		t.Fatal(err)
	}
	if err := other.Apply(context.Background(), zone, []provider.Change{{Records: []provider.RecordChange{change}}}); err != nil {
		t.Fatal(err)
	}
}

// values returns the sorted values of name's A records.
func values(env *testEnv, zone provider.Zone, name string) string {
	var out []string
	for _, rec := range env.em.Records(zone.ID) {
		if rec.Name == name && rec.Type == endpoint.RecordTypeA {
			out = append(out, rec.Content)
		}
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}

// TestProbeRepairsDrift: through the daemon's resync loop, an out-of-band edit that
// changes the zone's record count (one per value) is repaired at the next resync, one
// that does not at the next full read; our own writes never cost a full read.
func TestProbeRepairsDrift(t *testing.T) {
	env := newTestEnv(t, cloudflaretest.Options{}, Config{}, "example.com")
	zone := env.zones["example.com"]
	desired := hosts(10)
	loop := idle.New(t, env.p, env.em, desired, 10*time.Minute)
	victim := desired[0]
	want := values(env, zone, victim.DNSName)
	// calls are the requests of a resync: the zone list, the probe, and extra.
	calls := func(extra ...string) map[string]int {
		return idle.Plus(map[string]int{OperationZonesList: 1, OperationRecordsList: 1}, extra...)
	}
	steps := []struct {
		name    string
		arrange func()
		want    map[string]int
		holds   string // victim's values after the resync, when set
	}{
		{"idle", func() {}, calls(), ""},
		{"own writes: a name more, one less, one with a value more", func() {
			loop.Desired = append(hosts(9), hostA("extra.example.com", "192.0.2.77"))
			loop.Desired[2] = hostA(loop.Desired[2].DNSName, "192.0.2.78", "192.0.2.79")
		}, calls(OperationRecordsBatch), ""},
		{"idle after own writes", func() {}, calls(), ""},
		{"own writes undone", func() { loop.Desired = desired }, calls(OperationRecordsBatch), ""},
		{"out of band: a record added", func() {
			outOfBand(t, env, zone, provider.RecordChange{Op: provider.OpCreate, New: hostA("hand.example.com", "198.51.100.1")})
		}, calls(OperationRecordsList), ""},
		{"out of band: a value added to an owned RRset", func() {
			outOfBand(t, env, zone, provider.RecordChange{Op: provider.OpUpdate, Old: victim, New: hostA(victim.DNSName, victim.Targets[0], "198.51.100.2")})
		}, calls(OperationRecordsList, OperationRecordsBatch), want},
		{"out of band: an owned value changed, count kept", func() {
			outOfBand(t, env, zone, provider.RecordChange{Op: provider.OpUpdate, Old: victim, New: hostA(victim.DNSName, "198.51.100.3")})
		}, calls(), "[198.51.100.3]"},
	}
	for _, s := range steps {
		s.arrange()
		if got, _ := loop.Resync(t); !maps.Equal(got, s.want) {
			t.Errorf("%s: calls %v, want %v", s.name, got, s.want)
		}
		if got := values(env, zone, victim.DNSName); s.holds != "" && got != s.holds {
			t.Errorf("%s: %s holds %s, want %s", s.name, victim.DNSName, got, s.holds)
		}
	}
	// The changed value waits for the full read, ten minutes after the last one (the
	// resync after the value was added), and no longer.
	for i := 1; ; i++ {
		got, changes := loop.Resync(t)
		if maps.Equal(got, calls()) && i < 9 {
			continue
		}
		if got[OperationRecordsList] != 1 || got[OperationRecordsBatch] != 1 || changes != 1 || values(env, zone, victim.DNSName) != want || i != 9 {
			t.Fatalf("resync %d after the value changed: calls %v, %d changes, %s holds %s; want at resync 9 a full read repairing it",
				i, got, changes, victim.DNSName, values(env, zone, victim.DNSName))
		}
		break
	}
}

// TestIdleCalls measures what an idle daemon asks of Cloudflare per zone with the
// defaults (--interval 1m, --cloudflare-full-read-interval 1h) against full reads at
// every resync (--cloudflare-full-read-interval 0). ZONEKEEPER_IDLE_NAMES=10000 gives
// the README's figures.
func TestIdleCalls(t *testing.T) {
	n := idle.Names(t)
	env := newTestEnv(t, cloudflaretest.Options{}, Config{}, "example.com")
	before := idle.Calls(t, env.p, env.em, hosts(n), 10, 0)
	env = newTestEnv(t, cloudflaretest.Options{}, Config{}, "example.com")
	after := idle.Calls(t, env.p, env.em, hosts(n), 60, time.Hour)
	pages := (2*n + DefaultRecordsPerPage - 1) / DefaultRecordsPerPage // names and ownership records
	if want := map[string]int{OperationZonesList: 10, OperationRecordsList: 10 * pages}; !maps.Equal(before, want) {
		t.Errorf("reading in full: %v, want %v", before, want)
	}
	if want := map[string]int{OperationZonesList: 60, OperationRecordsList: 59 + pages}; !maps.Equal(after, want) {
		t.Errorf("probing: %v, want %v", after, want)
	}
	idle.Report(t, n, before, after, func(calls map[string]int) int { return calls[OperationRecordsList] })
}
