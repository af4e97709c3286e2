package cloudflare

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

// TestApplyOutcomes runs Apply with batches of two record operations against the
// emulator and checks what it says of each Change, and the calls it made.
func TestApplyOutcomes(t *testing.T) {
	a := func(name string, targets ...string) *endpoint.Endpoint {
		return endpoint.New(name+".example.com", "A", 300, targets...)
	}
	withSetID := func(e *endpoint.Endpoint) *endpoint.Endpoint { e.SetIdentifier = "eu"; return e }
	tests := []struct {
		name     string
		existing []*endpoint.Endpoint
		changes  []provider.Change
		failFrom int // the batch call, from 1, from which the API answers 500

		wantCalls        int
		wantFailed       map[int]string // index: part of the error
		wantUnknown      []int
		wantNotAttempted []int
		wantRecords      int // in the zone afterwards
	}{
		{
			name: "an RRset changed twice before its batch is sent",
			changes: []provider.Change{
				providertest.CreateOf(a("x", "192.0.2.1")), providertest.CreateOf(a("y", "192.0.2.1")),
				providertest.CreateOf(a("x", "192.0.2.2")),
			},
			wantCalls:   1,
			wantFailed:  map[int]string{2: "changed twice in one Apply"},
			wantRecords: 2,
		},
		{
			name: "an RRset changed again after its batch was sent",
			changes: []provider.Change{
				providertest.CreateOf(a("x", "192.0.2.1")), providertest.CreateOf(a("y", "192.0.2.1")),
				providertest.CreateOf(a("z", "192.0.2.1")), providertest.CreateOf(a("x", "192.0.2.2")),
			},
			wantCalls:   2,
			wantFailed:  map[int]string{3: "exists already"},
			wantRecords: 3,
		},
		{
			name:        "nothing to send",
			existing:    []*endpoint.Endpoint{a("x", "192.0.2.1")},
			changes:     []provider.Change{providertest.UpdateOf(a("x", "192.0.2.1"), a("x", "192.0.2.1"))},
			wantRecords: 1,
		},
		{
			name: "a change bigger than a batch travels alone",
			changes: []provider.Change{
				providertest.CreateOf(a("y", "192.0.2.1")), providertest.CreateOf(a("big", "192.0.2.1", "192.0.2.2", "192.0.2.3")),
				providertest.CreateOf(a("z", "192.0.2.1")),
			},
			wantCalls:   3,
			wantRecords: 5,
		},
		{
			name: "stopped by a server error, failures in the given order",
			changes: []provider.Change{
				providertest.CreateOf(a("h0", "192.0.2.1")), providertest.CreateOf(withSetID(a("id", "192.0.2.1"))),
				providertest.CreateOf(a("h2", "192.0.2.1")), providertest.CreateOf(a("h3", "192.0.2.1")),
				providertest.DeleteOf(a("missing", "192.0.2.1")), // sent first, refused first
				providertest.CreateOf(a("h5", "192.0.2.1")), providertest.CreateOf(a("h6", "192.0.2.1")),
			},
			failFrom:         2,
			wantCalls:        2,
			wantFailed:       map[int]string{1: "no routing policies", 4: "does not exist"},
			wantUnknown:      []int{3, 5},
			wantNotAttempted: []int{6},
			wantRecords:      2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, cloudflaretest.Options{}, Config{BatchSize: 2}, "example.com")
			zone := env.zones["example.com"]
			ctx := context.Background()
			for _, e := range tt.existing {
				if err := env.p.Apply(ctx, zone, []provider.Change{providertest.CreateOf(e)}); err != nil {
					t.Fatal(err)
				}
			}
			env.em.ResetCounters()
			pauses := 0
			env.p.sleep = func(context.Context, time.Duration) error {
				if pauses++; pauses+1 == tt.failFrom {
					env.em.SetFaults(cloudflaretest.Options{ServerErrorRate: 1})
				}
				return nil
			}

			err := env.p.Apply(ctx, zone, tt.changes)
			t.Logf("Apply: %v", err)
			if got := env.em.Calls()[OperationRecordsBatch]; got != tt.wantCalls {
				t.Errorf("%d batch calls, want %d", got, tt.wantCalls)
			}
			var ae *provider.ApplyError
			if err != nil && !errors.As(err, &ae) {
				t.Fatalf("Apply: %v, want nil or an *provider.ApplyError", err)
			}
			if ae == nil {
				ae = &provider.ApplyError{}
			}
			indexes := func(list []provider.Change) (out []int) {
				for _, c := range list {
					out = append(out, slices.IndexFunc(tt.changes, func(o provider.Change) bool { return o.Main().Endpoint() == c.Main().Endpoint() }))
				}
				return out
			}
			var failed []provider.Change
			for _, f := range ae.Failed {
				failed = append(failed, f.Change)
				if want := tt.wantFailed[indexes(failed[len(failed)-1:])[0]]; want == "" || !strings.Contains(f.Err.Error(), want) {
					t.Errorf("%v failed with %v, want %q", f.Change, f.Err, want)
				}
			}
			wantFailed := slices.Sorted(maps.Keys(tt.wantFailed))
			if got := indexes(failed); !slices.Equal(got, wantFailed) {
				t.Errorf("failed %v, want %v", got, wantFailed)
			}
			if unknown, notAttempted := indexes(ae.Unknown), indexes(ae.NotAttempted); !slices.Equal(unknown, tt.wantUnknown) || !slices.Equal(notAttempted, tt.wantNotAttempted) {
				t.Errorf("unknown %v, not attempted %v; want %v, %v", unknown, notAttempted, tt.wantUnknown, tt.wantNotAttempted)
			}
			if stopped := ae.Stopped != nil; stopped != (tt.failFrom > 0) {
				t.Errorf("stopped: %v", ae.Stopped)
			}
			if stopped := ae.Stopped != nil; stopped && !strings.HasPrefix(ae.Stopped.Error(), "cloudflare: zone example.com: ") {
				t.Errorf("Stopped %q does not name the zone", ae.Stopped)
			}
			if got := len(env.em.Records(zone.ID)); got != tt.wantRecords {
				t.Errorf("the zone holds %d records, want %d", got, tt.wantRecords)
			}
			env.p.mu.Lock()
			known := env.p.indexes[zone.ID].idx != nil
			env.p.mu.Unlock()
			if known == (tt.failFrom > 0) {
				t.Errorf("the provider knows the zone's records: %t after an Apply that stopped: %t", known, tt.failFrom > 0)
			}
		})
	}
}
