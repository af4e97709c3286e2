package controller

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// countingSource counts the reconciles that read it. When gate is set, each read first
// announces itself on entered and then waits for a value on gate.
type countingSource struct {
	fixedSource
	reads   atomic.Int64
	entered chan struct{}
	gate    chan struct{}
}

func (s *countingSource) Endpoints(ctx context.Context) (source.Result, error) {
	s.reads.Add(1)
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	return s.fixedSource.Endpoints(ctx)
}

// syncingSource is a source with a cache that may not have synced yet.
type syncingSource struct {
	fixedSource
	synced bool
}

func (s syncingSource) Synced() bool { return s.synced }

// waitFor polls cond until it holds, failing the test after a long while: the bound is
// there to end a broken test, never to measure speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// runDaemon starts d.Run and returns a function that stops it and returns Run's result.
func runDaemon(t *testing.T, d *Daemon) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return after its context was cancelled")
			return nil
		}
	}
}

func finished(d *Daemon) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.last.finished.IsZero()
}

func newCountingDaemon(t *testing.T, src *countingSource, cfg DaemonConfig) *Daemon {
	t.Helper()
	c := newController(t, inmemory.New("example.com"), Config{Policy: plan.PolicySync}, src)
	return NewDaemon(c, cfg, nil, nil)
}

func TestDaemonCoalescesABurstOfTriggers(t *testing.T) {
	const minInterval = 20 * time.Millisecond
	src := &countingSource{}
	d := newCountingDaemon(t, src, DaemonConfig{Interval: time.Hour, MinEventInterval: minInterval})
	stop := runDaemon(t, d)
	waitFor(t, "the first reconcile", func() bool { return finished(d) })

	for range 1000 {
		d.Trigger()
	}
	waitFor(t, "a reconcile after the burst", func() bool { return src.reads.Load() >= 2 })
	// Long enough for any further reconcile a broken coalescing would start.
	time.Sleep(10 * minInterval)
	if err := stop(); err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
	if n := src.reads.Load(); n != 2 {
		t.Errorf("%d reconciles, want 2: the start-up one and one for the whole burst", n)
	}
}

func TestDaemonTriggersDuringAReconcileCauseExactlyOneMore(t *testing.T) {
	src := &countingSource{entered: make(chan struct{}), gate: make(chan struct{})}
	d := newCountingDaemon(t, src, DaemonConfig{Interval: time.Hour, MinEventInterval: time.Millisecond})
	stop := runDaemon(t, d)

	<-src.entered
	for range 100 {
		d.Trigger()
	}
	src.gate <- struct{}{}
	<-src.entered
	src.gate <- struct{}{}
	waitFor(t, "the second reconcile to finish", func() bool { return d.Ready() == nil && src.reads.Load() == 2 })
	time.Sleep(20 * time.Millisecond)
	select {
	case <-src.entered:
		t.Error("a third reconcile started, want exactly one after the triggers")
		src.gate <- struct{}{}
	default:
	}
	if err := stop(); err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
}

// A continuous stream of triggers must not starve the reconcile (upstream's debounce
// resets its timer on each event and never runs), nor run it more often than
// MinEventInterval.
func TestDaemonContinuousTriggersStillReconcile(t *testing.T) {
	const minInterval = 10 * time.Millisecond
	src := &countingSource{}
	d := newCountingDaemon(t, src, DaemonConfig{Interval: time.Hour, MinEventInterval: minInterval})
	began := time.Now()
	stop := runDaemon(t, d)
	var quit atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !quit.Load() {
			d.Trigger()
		}
	})

	waitFor(t, "5 reconciles under a continuous stream of triggers", func() bool { return src.reads.Load() >= 5 })
	quit.Store(true)
	wg.Wait()
	if err := stop(); err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
	elapsed := time.Since(began)
	if n, most := src.reads.Load(), int64(elapsed/minInterval)+1; n > most {
		t.Errorf("%d reconciles in %s, want at most %d: starts must be %s apart", n, elapsed, most, minInterval)
	}
}

func TestDaemonResyncsEveryInterval(t *testing.T) {
	src := &countingSource{}
	d := newCountingDaemon(t, src, DaemonConfig{Interval: 5 * time.Millisecond, MinEventInterval: time.Millisecond})
	stop := runDaemon(t, d)
	waitFor(t, "3 reconciles without any trigger", func() bool { return src.reads.Load() >= 3 })
	if err := stop(); err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
}

// incrementalCountingSource is a countingSource that is Incremental: nothing changes
// between its reads.
type incrementalCountingSource struct{ *countingSource }

func (incrementalCountingSource) Changed(context.Context) ([]source.ObjectResult, bool) {
	return nil, true
}

// lockedBuffer is a bytes.Buffer a daemon may log to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDaemonReadsEveryObjectEverySourceReadInterval: the first reconcile reads every
// object, the resyncs every Interval after it do not (RunResync proves the zone instead),
// and the first resync a SourceReadInterval after the first reconcile reads every object
// again; each logs which it was. Triggers drive the loop, and a clock of the test's says
// when it runs.
func TestDaemonReadsEveryObjectEverySourceReadInterval(t *testing.T) {
	const interval = time.Hour
	src := incrementalCountingSource{&countingSource{fixedSource: fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
	}}}}}
	p := &unchangedProvider{Provider: inmemory.New("example.com"), unchanged: true}
	var logs lockedBuffer
	d := NewDaemon(newController(t, p, Config{Policy: plan.PolicySync}, src),
		DaemonConfig{Interval: interval, MinEventInterval: time.Millisecond, SourceReadInterval: 3 * interval}, nil,
		slog.New(slog.NewTextHandler(&logs, nil)))
	var mu sync.Mutex
	clock := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	d.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return clock
	}
	stop := runDaemon(t, d)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	}()
	// reconcileAt sets the clock to at and waits for the reconcile a trigger then starts.
	reconcileAt := func(at time.Time) {
		t.Helper()
		mu.Lock()
		clock = at
		mu.Unlock()
		d.Trigger()
		waitFor(t, "the reconcile at "+at.Format(time.TimeOnly), func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			return d.last.finished.Equal(at)
		})
	}
	start := clock
	waitFor(t, "the first reconcile", func() bool { return finished(d) })
	for i, step := range []struct {
		after     time.Duration
		wantReads int64
		scope     string
	}{
		{0, 1, "full"},
		{interval / 2, 1, "changed"},   // a trigger: RunChanged
		{interval, 1, "resync"},        // the resync: RunResync
		{2 * interval, 1, "resync"},    // the resync: RunResync
		{3 * interval, 2, "full"},      // the resync a SourceReadInterval after the first: RunOnce
		{3*interval + 1, 2, "changed"}, // a trigger: RunChanged
		{4 * interval, 2, "resync"},    // the resync: RunResync
		{6 * interval, 3, "full"},      // RunOnce again
	} {
		if step.after > 0 {
			reconcileAt(start.Add(step.after))
		}
		if got := src.reads.Load(); got != step.wantReads {
			t.Fatalf("after %s: every object read %d times, want %d", step.after, got, step.wantReads)
		}
		// The line is logged just after the reconcile is recorded as finished.
		var finishedLines []string
		waitFor(t, "the reconcile's log line", func() bool {
			finishedLines = slices.DeleteFunc(strings.Split(logs.String(), "\n"), func(l string) bool {
				return !strings.Contains(l, `msg="reconcile finished"`)
			})
			return len(finishedLines) == i+1
		})
		if last := finishedLines[i]; !strings.Contains(last, "scope="+step.scope+" ") {
			t.Errorf("after %s: logged %s, want scope=%s", step.after, last, step.scope)
		}
	}
}

func TestDaemonKeepsRunningAfterFailedReconciles(t *testing.T) {
	src := &countingSource{fixedSource: fixedSource{err: errors.New("ingress cache not synced")}}
	d := newCountingDaemon(t, src, DaemonConfig{Interval: time.Hour, MinEventInterval: time.Millisecond})
	stop := runDaemon(t, d)
	for want := int64(1); want <= 3; want++ {
		waitFor(t, "a reconcile", func() bool { return src.reads.Load() >= want })
		d.Trigger()
	}
	if err := d.Ready(); err == nil || !strings.Contains(err.Error(), "ingress cache not synced") {
		t.Errorf("Ready() = %v, want the source's error", err)
	}
	if err := stop(); err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
}

// slowProvider holds each Apply until released, then applies it with the context it
// was given, as a real provider would.
type slowProvider struct {
	*inmemory.Provider
	applying chan provider.Zone
	release  chan struct{}
	applied  atomic.Int64
}

func (p *slowProvider) Apply(ctx context.Context, zone provider.Zone, changes []provider.Change) error {
	p.applying <- zone
	<-p.release
	err := p.Provider.Apply(ctx, zone, changes)
	if err == nil {
		p.applied.Add(1)
	}
	return err
}

// On SIGTERM the reconcile finishes the zone it is writing, with a context SIGTERM does
// not cancel, starts no other zone, and Run returns nil.
func TestDaemonStopFinishesTheZoneInFlight(t *testing.T) {
	p := &slowProvider{Provider: inmemory.New("example.com", "example.org"), applying: make(chan provider.Zone), release: make(chan struct{})}
	src := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("com"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
		wanted(svc("org"), "web.example.org", endpoint.RecordTypeA, 0, "192.0.2.2"),
	}}}
	d := NewDaemon(newController(t, p, Config{Policy: plan.PolicySync}, src), DaemonConfig{Interval: time.Hour}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	zone := <-p.applying
	cancel()
	close(p.release)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}

	if n := p.applied.Load(); n != 1 {
		t.Errorf("%d zones applied, want 1: the one in flight, completed despite the cancel", n)
	}
	want := ownedBy(t, ourOwner, "service/ns/com", rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"))
	if got := lines(records(t, p.Provider, zone.Name)); zone.Name != "example.com" || !equalLines(got, lines(want)) {
		t.Errorf("zone %s holds %q, want example.com to hold %q", zone.Name, got, lines(want))
	}
	if got := records(t, p.Provider, "example.org"); len(got) != 0 {
		t.Errorf("example.org was written after the stop: %q", lines(got))
	}
}

func equalLines(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func TestDaemonReady(t *testing.T) {
	const interval = time.Minute
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	wantHidden := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
	}}}
	tests := []struct {
		name     string
		provider provider.Provider
		sources  []source.Source
		// reconcile says whether a reconcile runs before Ready is asked.
		reconcile bool
		// since is the time between the end of that reconcile and the question.
		since time.Duration
		// wantErr is a substring of Ready's error; empty means ready.
		wantErr string
	}{
		{name: "no reconcile yet", provider: inmemory.New("example.com"), sources: []source.Source{fixedSource{}},
			wantErr: "no reconcile has finished yet"},
		{name: "last reconcile succeeded", provider: inmemory.New("example.com"), sources: []source.Source{fixedSource{}},
			reconcile: true, since: 2 * interval},
		{name: "last reconcile too long ago", provider: inmemory.New("example.com"), sources: []source.Source{fixedSource{}},
			reconcile: true, since: 3*interval + time.Second, wantErr: "more than 3 resync intervals"},
		{name: "a source could not be read", provider: inmemory.New("example.com"),
			sources:   []source.Source{fixedSource{}, fixedSource{err: errors.New("manifest unreadable")}},
			reconcile: true, wantErr: "a source could not be read: manifest unreadable"},
		{name: "zones could not be listed", provider: unlistableProvider{inmemory.New("example.com")}, sources: []source.Source{fixedSource{}},
			reconcile: true, wantErr: "credentials expired"},
		{name: "a zone could not be read", provider: &faultyProvider{Provider: inmemory.New("example.com", "example.org"), unreadable: "example.org"},
			sources: []source.Source{fixedSource{}}, reconcile: true, wantErr: "zone example.org: reading records: zone listing timed out"},
		{name: "refused changes do not count", sources: []source.Source{wantHidden}, reconcile: true,
			provider: &faultyProvider{Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": {hidden}}), hidden: hidden.RecordKey()}},
		{name: "a source has not synced", provider: inmemory.New("example.com"),
			sources:   []source.Source{syncingSource{synced: true}, syncingSource{synced: false}},
			reconcile: true, wantErr: "source 2 (controller.syncingSource) has not synced its cache yet"},
		{name: "every source has synced", provider: inmemory.New("example.com"),
			sources: []source.Source{syncingSource{synced: true}, fixedSource{}}, reconcile: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			d := NewDaemon(newController(t, tt.provider, Config{Policy: plan.PolicySync}, tt.sources...), DaemonConfig{Interval: interval}, nil, nil)
			d.now = func() time.Time { return clock }
			if tt.reconcile {
				d.reconcile(context.Background())
			}
			clock = clock.Add(tt.since)
			err := d.Ready()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Ready() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Ready() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewDaemonDefaults(t *testing.T) {
	d := NewDaemon(&Controller{}, DaemonConfig{}, nil, nil)
	if d.cfg.Interval != DefaultInterval || d.cfg.MinEventInterval != DefaultMinEventInterval || d.cfg.SourceReadInterval != DefaultSourceReadInterval {
		t.Errorf("config %+v, want the defaults", d.cfg)
	}
}

// TestDaemonTriggersReconcileOnlyChangedZones: a trigger that changes nothing a zone
// wants does not read the zone; the resync after Interval reads every zone again.
func TestDaemonTriggersReconcileOnlyChangedZones(t *testing.T) {
	const interval = time.Second
	src := &countingSource{fixedSource: fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
	}}}}
	p := &countingProvider{Provider: inmemory.New("example.com")}
	d := NewDaemon(newController(t, p, Config{Policy: plan.PolicySync}, src), DaemonConfig{Interval: interval, MinEventInterval: time.Millisecond}, nil, nil)
	stop := runDaemon(t, d)
	waitFor(t, "the first reconcile", func() bool { return finished(d) })
	if n := p.reads.Load(); n != 1 {
		t.Fatalf("the first reconcile read the zone %d times, want 1", n)
	}
	d.Trigger()
	waitFor(t, "the triggered reconcile", func() bool { return src.reads.Load() >= 2 })
	reads := p.reads.Load()
	waitFor(t, "the resync", func() bool { return p.reads.Load() > reads })
	if err := stop(); err != nil {
		t.Errorf("Run returned %v, want nil", err)
	}
	if reads != 1 {
		t.Errorf("the triggered reconcile read the unchanged zone: %d reads, want 1", reads)
	}
}

// TestReleaseMemory: a reconcile that wrote returns memory to the operating system (in
// the background) and notes the live heap; one of changed objects only, caused by
// triggers, never does; a resync that skipped every zone, whether it read every object
// or only the changed ones (RunResync), does after one of those, or once the heap has
// grown a quarter beyond that live heap.
func TestReleaseMemory(t *testing.T) {
	d := &Daemon{}
	release := func(rep *Report, resync bool) {
		t.Helper()
		d.releaseMemory(rep, resync)
		for deadline := time.Now().Add(10 * time.Second); d.releasing.Load(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the release did not end")
			}
		}
	}
	wrote := []ZoneReport{{}}
	release(&Report{Partial: true, Zones: wrote}, false)
	if d.liveHeap.Load() != 0 {
		t.Fatalf("a reconcile of changed objects released memory (live heap %d)", d.liveHeap.Load())
	}
	release(&Report{Zones: wrote}, true)
	live := d.liveHeap.Load()
	if live == 0 {
		t.Fatal("a reconcile that wrote did not release memory")
	}
	skipped := []ZoneReport{{Skipped: true}}
	// As if the live heap had been ten times what it is: the heap has not grown.
	d.liveHeap.Store(10 * live)
	release(&Report{Zones: skipped}, true)
	if got := d.liveHeap.Load(); got != 10*live {
		t.Fatalf("a skipping resync without growth released memory: live heap now %d", got)
	}
	release(&Report{Partial: true, Zones: wrote}, false)
	if got := d.liveHeap.Load(); got != 10*live {
		t.Fatalf("a reconcile of changed objects released memory: live heap now %d", got)
	}
	release(&Report{Partial: true, Zones: skipped}, true)
	if got := d.liveHeap.Load(); got == 10*live {
		t.Fatal("a skipping resync after a reconcile of changed objects did not release memory")
	}
	d.liveHeap.Store(live)
	held := make([]byte, 2*live)
	release(&Report{Zones: skipped}, true)
	if got := d.liveHeap.Load(); got < live+uint64(len(held))/2 {
		t.Errorf("a skipping resync after the heap doubled did not release memory: live heap %d, then %d", live, got)
	}
	runtime.KeepAlive(held)
}
