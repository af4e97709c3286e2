package cloudflare

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
)

// owned returns n create Changes of a record with its ownership TXT record, as the
// registry makes them: 2 record operations each.
func owned(n int) []provider.Change {
	out := make([]provider.Change, n)
	for i := range out {
		name := fmt.Sprintf("host-%05d.example.com", i)
		rec := endpoint.New(name, endpoint.RecordTypeA, 300, fmt.Sprintf("198.51.%d.%d", i/256%256, i%256))
		txt := endpoint.New("a-"+name, endpoint.RecordTypeTXT, 0, `"heritage=external-dns,external-dns/owner=default"`)
		out[i] = provider.Change{Primary: 1, Records: []provider.RecordChange{{Op: provider.OpCreate, New: txt}, {Op: provider.OpCreate, New: rec}}}
	}
	return out
}

func TestConvergeCalls(t *testing.T) {
	const n = 5000
	env := newTestEnv(t, cloudflaretest.Options{}, Config{}, "example.com")
	zone := env.zones["example.com"]
	ctx := context.Background()
	if _, err := env.p.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	if err := env.p.Apply(ctx, zone, owned(n)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{OperationRecordsList: 1, OperationRecordsBatch: 2 * n / DefaultBatchSize}
	if got := env.em.Calls(); got[OperationRecordsBatch] != want[OperationRecordsBatch] || got[OperationRecordsList] != want[OperationRecordsList] || len(got) != 2 {
		t.Errorf("converging %d names from an empty zone made calls %v, want %v", n, got, want)
	}
	if waits := env.sleeps.n; waits != want[OperationRecordsBatch]-1 {
		t.Errorf("%d pauses between batch calls, want %d", waits, want[OperationRecordsBatch]-1)
	}
	env.em.ResetCounters()
	got, err := env.p.Records(ctx, zone)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2*n {
		t.Errorf("read back %d RRsets, want %d", len(got), 2*n)
	}
	if err := env.p.Apply(ctx, zone, nil); err != nil {
		t.Fatal(err)
	}
	if calls := env.em.Calls(); calls[OperationRecordsBatch] != 0 || calls[OperationRecordsList] != 2*n/DefaultRecordsPerPage {
		t.Errorf("an unchanged reconcile made calls %v, want only %d listing pages", calls, 2*n/DefaultRecordsPerPage)
	}
}

func TestConvergeRateLimited(t *testing.T) {
	const n = 5000
	env := newTestEnv(t, cloudflaretest.Options{RateLimitRate: 0.2, RetryAfter: 2 * time.Second, Seed: 7}, Config{}, "example.com")
	zone := env.zones["example.com"]
	if err := env.p.Apply(context.Background(), zone, owned(n)); err != nil {
		t.Fatal(err)
	}
	if got := len(env.em.Records(zone.ID)); got != 2*n {
		t.Fatalf("zone holds %d records, want %d", got, 2*n)
	}
	faults, calls := env.em.Faults()["429"], env.em.Calls()
	if faults == 0 || env.calls.rateLimited != faults {
		t.Errorf("the emulator answered 429 %d times, the observer saw %d", faults, env.calls.rateLimited)
	}
	t.Logf("calls %v, 429 answers %d, waits %d totalling %s (batch pauses included)", calls, faults, env.sleeps.n, env.sleeps.total)
}

func TestOneBadChangeAmong500(t *testing.T) {
	env := newTestEnv(t, cloudflaretest.Options{MaxBatchOperations: 1000}, Config{BatchSize: 1000}, "example.com")
	zone := env.zones["example.com"]
	changes := owned(500)
	bad := changes[250]
	bad.Records[1].New.Targets = endpoint.Targets{"not-an-address"}
	err := env.p.Apply(context.Background(), zone, changes)
	failed := provider.FailedChanges(err)
	if len(failed) != 1 || failed[0].Change.Main().New != bad.Main().New {
		t.Fatalf("Apply: %v; want exactly the bad change failed", err)
	}
	if got := len(env.em.Records(zone.ID)); got != 2*499 {
		t.Errorf("zone holds %d records, want %d", got, 2*499)
	}
	t.Logf("batch calls to isolate 1 bad change among 500: %d", env.em.Calls()[OperationRecordsBatch])
}
