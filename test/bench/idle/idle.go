// Package idle drives the daemon's resync loop in process, for tests: a controller
// reconciling a settable source through provider.Cached with the daemon's settings, on a
// clock the caller moves a resync interval at a time, counting what each resync asks of
// an emulated DNS service.
package idle

import (
	"context"
	"maps"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

// Interval is the daemon's default resync interval (--interval).
const Interval = time.Minute

// Emulator is what the loop needs of an API emulator: its request counts by operation.
type Emulator interface {
	Calls() map[string]int
	ResetCounters()
}

// Loop is one daemon against one provider. Desired is what the source returns at the
// next resync; the test may replace it between resyncs.
type Loop struct {
	Desired []*endpoint.Endpoint

	em    Emulator
	clock time.Time
	c     *controller.Controller
}

// New wraps p in provider.Cached as the daemon does (MaxAge Interval, fullReadInterval)
// on the loop's clock, and converges desired with one reconcile.
func New(t testing.TB, p provider.Provider, em Emulator, desired []*endpoint.Endpoint, fullReadInterval time.Duration) *Loop {
	t.Helper()
	l := &Loop{Desired: desired, em: em, clock: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: "default"})
	if err != nil {
		t.Fatal(err)
	}
	l.c = &controller.Controller{
		Sources:  []source.Source{l},
		Registry: reg,
		Provider: provider.NewCachedWith(p, provider.CacheConfig{MaxAge: Interval, FullReadInterval: fullReadInterval, Now: func() time.Time { return l.clock }}),
		Config:   controller.Config{Policy: plan.PolicySync},
	}
	if rep, err := l.c.RunOnce(context.Background()); err != nil || rep.Err() != nil {
		t.Fatalf("converging: %v %v", err, rep.Err())
	}
	return l
}

// Endpoints makes the loop its controller's source.
func (l *Loop) Endpoints(context.Context) (source.Result, error) {
	return source.Result{Endpoints: slices.Clone(l.Desired)}, nil
}

// Resync moves the clock one Interval on and reconciles, returning the requests the
// reconcile sent and the number of changes it planned.
func (l *Loop) Resync(t testing.TB) (calls map[string]int, changes int) {
	t.Helper()
	l.clock = l.clock.Add(Interval)
	l.em.ResetCounters()
	// The loop's source cannot say what changed, so that the resync reads it whole,
	// as the daemon's does every --source-full-read-interval.
	rep, err := l.c.RunResync(context.Background())
	if err != nil || rep.Err() != nil {
		t.Fatalf("resync: %v %v", err, rep.Err())
	}
	return l.em.Calls(), providertest.ChangeCount(rep)
}

// Calls runs a converged zone of names through resyncs resyncs that change nothing,
// and returns the requests they sent in all.
func Calls(t testing.TB, p provider.Provider, em Emulator, names []*endpoint.Endpoint, resyncs int, fullReadInterval time.Duration) map[string]int {
	t.Helper()
	l := New(t, p, em, names, fullReadInterval)
	total := map[string]int{}
	for i := range resyncs {
		calls, changes := l.Resync(t)
		if changes != 0 {
			t.Fatalf("idle resync %d planned %d changes", i+1, changes)
		}
		for op, n := range calls {
			total[op] += n
		}
	}
	return total
}

// Names is the size of zone the idle measurements use: 1,000 names, or
// $ZONEKEEPER_IDLE_NAMES for the figures in the provider READMEs (10,000 names take a
// minute or more per provider).
func Names(t testing.TB) int {
	v := os.Getenv("ZONEKEEPER_IDLE_NAMES")
	if v == "" {
		return 1000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("ZONEKEEPER_IDLE_NAMES=%q: want a positive number", v)
	}
	return n
}

// Report logs the requests of 10 resyncs reading in full (before) and of 60 resyncs,
// an hour, probing with one full read (after), and fails when at 10,000 names or more
// probing saves less than tenfold per zone. perZone counts a zone's own requests (not
// the account's zone list).
func Report(t testing.TB, n int, before, after map[string]int, perZone func(map[string]int) int) {
	t.Helper()
	t.Logf("%d names, 10 idle minutes reading in full: %v", n, before)
	t.Logf("%d names, 60 idle minutes probing, one full read: %v", n, after)
	b, a := float64(perZone(before)), float64(perZone(after))/6
	t.Logf("per zone and 10 minutes: %.0f requests reading in full, %.1f probing (averaged over the hour): %.1fx fewer", b, a, b/a)
	if n >= 10000 && b < 10*a {
		t.Errorf("at %d names probing saves only %.1fx", n, b/a)
	}
}

// Plus returns a copy of calls with one request more of each of ops.
func Plus(calls map[string]int, ops ...string) map[string]int {
	out := maps.Clone(calls)
	for _, op := range ops {
		out[op]++
	}
	return out
}
