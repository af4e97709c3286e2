package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The defaults of DaemonConfig.
const (
	DefaultInterval           = time.Minute
	DefaultMinEventInterval   = 50 * time.Millisecond
	DefaultSourceReadInterval = 10 * time.Minute
)

// EventSettle is how long the daemon waits after a trigger before it reconciles, however
// long ago the last reconcile started: changes to one object come in bursts (an Ingress
// is created, then its load balancer status is written a few milliseconds later), and
// one reconcile for the whole burst publishes the record at once, where a reconcile per
// write would publish nothing on the first and make the second wait MinEventInterval.
const EventSettle = 50 * time.Millisecond

// DaemonConfig says how often the daemon reconciles.
type DaemonConfig struct {
	// Interval is the time from the start of one reconcile to the full resync that
	// follows when nothing triggers one sooner. Zero or less means DefaultInterval.
	Interval time.Duration
	// MinEventInterval is the least time between the starts of two reconciles, however
	// many triggers arrive. Zero or less means DefaultMinEventInterval.
	MinEventInterval time.Duration
	// SourceReadInterval is the time from the start of one reconcile that read every
	// object of the sources (Controller.RunOnce) to the resync that reads them all
	// again; the resyncs between take only the objects that changed
	// (Controller.RunResync). Zero or less means DefaultSourceReadInterval; a value
	// below Interval makes every resync read every object.
	SourceReadInterval time.Duration
}

// Daemon runs a Controller's reconcile at startup, after changes (Trigger) and on a resync
// interval, and tells whether the last one went well (Ready).
//
// Trigger, Ready and Leading are safe for concurrent use with each other and with Run
// and RunElected; Run must not be called twice at once.
type Daemon struct {
	controller *Controller
	cfg        DaemonConfig
	metrics    *Metrics
	logger     *slog.Logger
	// wake holds at most one pending trigger, so any number of triggers between two
	// reconciles ask for one reconcile.
	wake chan struct{}
	now  func() time.Time

	mu   sync.Mutex
	last reconcileStatus
	// electing is set while RunElected runs: until a term's first reconcile finishes,
	// readiness is then that of the caches alone.
	electing bool
	// leading is set while reconciles may run: during Run, or a term of RunElected.
	leading bool

	// liveHeap is the heap in use right after the last time memory was returned to the
	// operating system (releaseMemory); releasing is set while that runs.
	liveHeap  atomic.Uint64
	releasing atomic.Bool
	// partialSince is set when a reconcile of changed objects ran since the last
	// release; only the reconcile loop touches it.
	partialSince bool
}

// reconcileStatus is what Ready needs to know about the last finished reconcile.
type reconcileStatus struct {
	finished time.Time // zero until a reconcile finished
	unready  error
}

// releaseMemory returns the garbage of the reconcile that reported rep to the operating
// system when it is worth a GC of the live heap. A reconcile that reads every source
// allocates several times what the informer caches hold (desired and current records,
// the plan), all garbage once it ends, and the daemon then idles: left to itself the
// runtime keeps that peak as RSS until its next forced GC, two minutes on. One that
// skipped every zone made little garbage, and an idle daemon runs only such ones; one
// caused by triggers that took the changed objects only (Partial) makes that of the names
// it touched, and a GC of the live heap after each would cost every event a pause
// growing with the number of objects. Their garbage adds up between events, though, up
// to the heap's GC goal (twice the live heap): the next resync releases it, so that a
// daemon at rest after a burst of events holds its live heap, not that peak; it also
// releases once the heap in use has grown a quarter beyond the live heap of the last
// release.
//
// The release runs in the background, at most one at a time: the GC it forces runs
// beside the next reconcile instead of in front of it, which at 100,000 objects is a
// second an event would otherwise wait.
func (d *Daemon) releaseMemory(rep *Report, resync bool) {
	if rep != nil && rep.Partial && !resync {
		d.partialSince = true
		return
	}
	wrote := rep == nil || slices.ContainsFunc(rep.Zones, func(z ZoneReport) bool { return !z.Skipped })
	if !wrote && !d.partialSince {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if live := d.liveHeap.Load(); ms.HeapAlloc <= live+live/4 {
			return
		}
	}
	if !d.releasing.CompareAndSwap(false, true) {
		return
	}
	d.partialSince = false
	go func() {
		defer d.releasing.Store(false)
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		d.liveHeap.Store(ms.HeapAlloc)
	}()
}

// NewDaemon returns a daemon running c. m may be nil (no metrics); logger may be nil (no
// logs). Zero durations in cfg take their defaults.
func NewDaemon(c *Controller, cfg DaemonConfig, m *Metrics, logger *slog.Logger) *Daemon {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MinEventInterval <= 0 {
		cfg.MinEventInterval = DefaultMinEventInterval
	}
	if cfg.SourceReadInterval <= 0 {
		cfg.SourceReadInterval = DefaultSourceReadInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Daemon{controller: c, cfg: cfg, metrics: m, logger: logger, wake: make(chan struct{}, 1), now: time.Now}
}

// Trigger asks for a reconcile because something changed. It never blocks: triggers that
// arrive before the next reconcile starts are coalesced into that one, and triggers that
// arrive while a reconcile runs cause exactly one more after it.
func (d *Daemon) Trigger() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run reconciles once at once, then after each Trigger and every Interval, never starting
// two reconciles less than MinEventInterval apart, nor one sooner than EventSettle after
// the trigger, until ctx ends. A steady stream of triggers yields one reconcile per
// MinEventInterval: the wait is counted from the last start, not reset by each trigger.
//
// A failed reconcile is logged and counted, and retried on the next trigger or interval;
// it never ends Run. When ctx ends during a reconcile, that reconcile finishes the zone
// it is in (see Controller.RunOnce) and stops; Run then returns nil.
func (d *Daemon) Run(ctx context.Context) error {
	d.loop(ctx)
	d.logger.Info("stopping")
	return nil
}

// loop is Run without its last log line; RunElected runs it for each term.
func (d *Daemon) loop(ctx context.Context) {
	d.setLeading(true)
	defer d.setLeading(false)
	// Deletions waiting for confirmation from an earlier term were not watched since:
	// their wait starts anew.
	d.controller.pending.forgetAll()
	resync := time.NewTimer(d.cfg.Interval)
	defer resync.Stop()
	var lastResync, lastSourceRead time.Time
loop:
	for {
		start := d.now()
		resync.Reset(d.cfg.Interval)
		// Triggers that came before this start are served by this reconcile.
		select {
		case <-d.wake:
		default:
		}
		// The first reconcile, and one a SourceReadInterval after the last that read
		// every object, read every object and every zone (RunOnce); one an Interval
		// after the last resync proves every zone (RunResync); the others, caused by
		// triggers, reconcile only the zones whose desired records changed
		// (RunChanged). Counting from the last resync, not from the timer, keeps a
		// steady stream of triggers from starving the resync.
		run, resyncs := d.controller.RunChanged, false
		switch {
		case lastSourceRead.IsZero() || start.Sub(lastSourceRead) >= d.cfg.SourceReadInterval:
			run, resyncs = d.controller.RunOnce, true
		case lastResync.IsZero() || start.Sub(lastResync) >= d.cfg.Interval:
			run, resyncs = d.controller.RunResync, true
		}
		if resyncs {
			lastResync = start
		}
		// Any reconcile that fell back to reading every object counts as one.
		if rep := d.reconcileWith(ctx, run, resyncs); rep != nil && !rep.Partial && len(rep.SourceErrors) == 0 {
			lastSourceRead = start
		}

		select {
		case <-ctx.Done():
			break loop
		case <-d.wake:
		case <-resync.C:
		}
		gap := time.NewTimer(max(start.Add(d.cfg.MinEventInterval).Sub(d.now()), EventSettle))
		select {
		case <-ctx.Done():
			gap.Stop()
			break loop
		case <-gap.C:
		}
	}
}

// Leading reports whether the daemon may reconcile now: Run is running, or RunElected
// leads.
func (d *Daemon) Leading() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.leading
}

func (d *Daemon) setLeading(leading bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.leading = leading
}

func (d *Daemon) setElecting(electing bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.electing = electing
}

func (d *Daemon) setLast(status reconcileStatus) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = status
}

// reconcile runs one full reconcile and records its outcome.
func (d *Daemon) reconcile(ctx context.Context) {
	d.reconcileWith(ctx, d.controller.RunOnce, true)
}

// reconcileWith runs one reconcile with run, a resync or one caused by triggers, records
// its outcome and returns its report.
func (d *Daemon) reconcileWith(ctx context.Context, run func(context.Context) (*Report, error), resync bool) *Report {
	start := d.now()
	rep, err := run(ctx)
	end := d.now()
	d.metrics.observeReconcile(rep, err, end.Sub(start), end)
	result, unready := outcome(rep, err)

	d.setLast(reconcileStatus{finished: end, unready: unready})

	d.releaseMemory(rep, resync)

	attrs := []any{"result", result, "duration", end.Sub(start)}
	if rep != nil {
		// Which reconcile it was: one of changed objects caused by triggers, the
		// resync of every Interval, or one that read every object.
		scope := "full"
		switch {
		case rep.Partial && resync:
			scope = "resync"
		case rep.Partial:
			scope = "changed"
		}
		attrs = append(attrs, "scope", scope)
		attrs = append(attrs, rep.SummaryAttrs()...)
	}
	if unready != nil {
		d.logger.Error("reconcile failed", append(attrs, "err", unready)...)
		return rep
	}
	d.logger.Info("reconcile finished", attrs...)
	return rep
}

// Synced is implemented by sources that fill a cache before they can answer (the
// informer-backed live sources); Ready waits for it.
type Synced interface {
	Synced() bool
}

// Ready returns nil when the daemon is doing its job: the last reconcile read every
// source and reached every zone (changes the provider refused one by one do not count),
// it finished less than three Intervals ago, and every source that implements Synced has
// synced. Otherwise the error says why not.
//
// Under RunElected, a replica standing by, or leading but still in the first reconcile
// of its term, is ready when its sources have synced: it is then as ready to lead as it
// can be, and a standby that never turned ready would stall every rollout.
func (d *Daemon) Ready() error {
	d.mu.Lock()
	last, electing := d.last, d.electing
	d.mu.Unlock()
	switch {
	case last.finished.IsZero() && !electing:
		return errors.New("no reconcile has finished yet")
	case last.finished.IsZero():
	case last.unready != nil:
		return fmt.Errorf("the last reconcile failed: %w", last.unready)
	default:
		if age, limit := d.now().Sub(last.finished), 3*d.cfg.Interval; age > limit {
			return fmt.Errorf("the last reconcile finished %s ago, more than 3 resync intervals (%s)", age.Round(time.Second), limit)
		}
	}
	for i, s := range d.controller.Sources {
		if synced, ok := s.(Synced); ok && !synced.Synced() {
			return fmt.Errorf("source %d (%T) has not synced its cache yet", i+1, s)
		}
	}
	return nil
}
