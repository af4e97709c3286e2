package controller

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zonekeeper/zonekeeper/provider"
)

// The results of a reconcile, as the "result" label of zonekeeper_reconciles_total says
// them. One reconcile has one result: the first of these, in this order, that applies.
const (
	// ResultProviderError: the provider's zones could not be listed; nothing was done.
	ResultProviderError = "provider_error"
	// ResultInterrupted: the daemon was stopping; some zones were not reconciled.
	ResultInterrupted = "interrupted"
	// ResultSourceError: a source could not be read; deletions were withheld.
	ResultSourceError = "source_error"
	// ResultZoneError: a zone could not be read or written at all.
	ResultZoneError = "zone_error"
	// ResultChangeFailed: the provider refused some changes; the others were applied.
	ResultChangeFailed = "change_failed"
	// ResultSuccess: everything planned was applied (or, in a dry run, planned).
	ResultSuccess = "success"
)

// Metrics are zonekeeper's Prometheus metrics, named zonekeeper_*, and external-dns's
// controller metrics (external_dns_*, the compatibility set); docs/metrics.md describes
// each. They are registered with the Registerer given to NewMetrics, never with
// a global one.
//
// A *Metrics is safe for concurrent use. A nil *Metrics records nothing.
type Metrics struct {
	reconcileDuration prometheus.Histogram
	reconciles        *prometheus.CounterVec
	lastSuccess       prometheus.Gauge
	sourceErrors      prometheus.Counter
	changes           *prometheus.CounterVec
	withheld          *prometheus.CounterVec
	confirmed         *prometheus.CounterVec
	providerCalls     *prometheus.CounterVec
	events            *prometheus.CounterVec
	propagation       *prometheus.HistogramVec

	// The gauges below describe the last reconcile; series that reconcile did not
	// produce are removed.
	desired   *snapshotGauge
	owned     *snapshotGauge
	conflicts *snapshotGauge
	pending   *snapshotGauge

	compat compatMetrics
}

// compatMetrics are external-dns's controller metrics, under external-dns's names, label
// sets and meanings, so that dashboards and alerts built on them keep working;
// docs/metrics.md (the compatibility set) says how each maps onto a reconcile.
type compatMetrics struct {
	lastSync, lastReconcile            prometheus.Gauge
	softErrors                         prometheus.Gauge
	registryEndpoints, sourceEndpoints prometheus.Gauge
	registryErrors, sourceErrors       prometheus.Counter
	noOpRuns                           prometheus.Counter
	verified                           *snapshotGauge
	registryRecords, sourceRecords     *snapshotGauge

	// failedInARow counts the reconciles since the last successful one.
	failedInARow atomic.Int64
}

func newCompatMetrics() compatMetrics {
	gauge := func(subsystem, name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "external_dns", Subsystem: subsystem, Name: name, Help: help})
	}
	counter := func(subsystem, name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "external_dns", Subsystem: subsystem, Name: name, Help: help})
	}
	byType := func(subsystem, name, help string) *snapshotGauge {
		return newSnapshotGauge(prometheus.GaugeOpts{Namespace: "external_dns", Subsystem: subsystem, Name: name, Help: help}, "record_type")
	}
	return compatMetrics{
		lastSync:          gauge("controller", "last_sync_timestamp_seconds", "Unix time at which the last reconcile that succeeded wholly finished (zonekeeper_last_successful_sync_timestamp_seconds also counts reconciles with refused changes)."),
		lastReconcile:     gauge("controller", "last_reconcile_timestamp_seconds", "Unix time at which the last reconcile started, whatever its result."),
		softErrors:        gauge("controller", "consecutive_soft_errors", "Reconciles in a row that failed (any result but success and interrupted); 0 after one that succeeds."),
		registryEndpoints: gauge("registry", "endpoints_total", "Records in the managed zones at the last reconcile that read every zone, ownership records not counted."),
		sourceEndpoints:   gauge("source", "endpoints_total", "Endpoints the sources asked for at the last reconcile that read every source."),
		registryErrors:    counter("registry", "errors_total", "Reconciles in which the zones could not be listed, a zone could not be read or written, or changes were refused."),
		sourceErrors:      counter("source", "errors_total", "Reconciles in which a source could not be read."),
		noOpRuns:          counter("controller", "no_op_runs_total", "Reconciles that succeeded with no change to make."),
		verified:          byType("controller", "verified_records", "Endpoints the sources ask for whose name and record type the zones already hold, by record type, at the last reconcile that read every source and zone."),
		registryRecords:   byType("registry", "records", "Records in the managed zones by record type, ownership records not counted, at the last reconcile that read every zone."),
		sourceRecords:     byType("source", "records", "Endpoints the sources asked for by record type, at the last reconcile that read every source."),
	}
}

func (c *compatMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.lastSync, c.lastReconcile, c.softErrors, c.registryEndpoints, c.sourceEndpoints,
		c.registryErrors, c.sourceErrors, c.noOpRuns, c.verified.vec, c.registryRecords.vec, c.sourceRecords.vec}
}

// observe records one reconcile that started at start, ended at end and had result; rep
// and err are what RunOnce returned.
func (c *compatMetrics) observe(rep *Report, err error, result string, start, end time.Time) {
	c.lastReconcile.Set(unixSeconds(start))
	switch result {
	case ResultSuccess:
		c.lastSync.Set(unixSeconds(end))
		c.failedInARow.Store(0)
	case ResultInterrupted:
		// Stopping is not a failure, nor a success.
	default:
		c.failedInARow.Add(1)
	}
	c.softErrors.Set(float64(c.failedInARow.Load()))
	if rep == nil {
		c.registryErrors.Inc()
		return
	}
	if len(rep.SourceErrors) > 0 {
		c.sourceErrors.Inc()
	} else if rep.Asked != nil {
		// A report of changed objects has no count of every endpoint: the gauges keep
		// the last one.
		c.sourceEndpoints.Set(float64(len(rep.Asked)))
		byType := map[string]float64{}
		for _, e := range rep.Asked {
			byType[labelKey(e.RecordType)]++
		}
		c.sourceRecords.replace(byType)
	}
	refused := slices.ContainsFunc(rep.Zones, func(z ZoneReport) bool { return len(z.Failed) > 0 })
	zoneErrs := rep.zoneErrors()
	if err != nil || len(zoneErrs) > 0 || refused {
		c.registryErrors.Inc()
	}
	if result == ResultSuccess {
		if create, update, del := rep.ChangeCount(); create+update+del == 0 {
			c.noOpRuns.Inc()
		}
	}
	if err != nil || rep.Interrupted || len(zoneErrs) > 0 {
		// Some zone is unread: keep the last whole picture.
		return
	}
	records, verified := map[string]float64{}, map[string]float64{}
	total := 0
	for _, z := range rep.Zones {
		for t, n := range z.RecordTypes {
			records[labelKey(t)] += float64(n)
			total += n
		}
		for t, n := range z.Verified {
			verified[labelKey(t)] += float64(n)
		}
	}
	c.registryEndpoints.Set(float64(total))
	c.registryRecords.replace(records)
	if len(rep.SourceErrors) == 0 {
		c.verified.replace(verified)
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// NewMetrics creates the metrics and registers them with reg. It panics, as
// prometheus.MustRegister does, when reg already holds metrics of these names: that is a
// programming error, not bad input.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reconcileDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "zonekeeper_reconcile_duration_seconds",
			Help:    "How long one reconcile took, from reading the sources to the last zone applied.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zonekeeper_reconciles_total",
			Help: "Reconciles by result: success, change_failed, zone_error, source_error, interrupted, provider_error.",
		}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "zonekeeper_last_successful_sync_timestamp_seconds",
			Help: "Unix time at which the last reconcile without source or zone errors finished.",
		}),
		sourceErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "zonekeeper_source_errors_total",
			Help: "Times a source could not be read during a reconcile.",
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zonekeeper_changes_total",
			Help: "Record changes by zone, kind (create, update, delete) and result (applied, failed, unknown, not_attempted, withheld, dry_run).",
		}, []string{"zone", "kind", "result"}),
		withheld: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zonekeeper_deletions_withheld_total",
			Help: "Deletions the safety checks held back, by zone and reason (source_error, object_error).",
		}, []string{"zone", "reason"}),
		confirmed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zonekeeper_deletions_confirmed_total",
			Help: "Deletions over the deletion budget carried out after waiting for confirmation (--deletion-confirm-after), by zone.",
		}, []string{"zone"}),
		providerCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zonekeeper_provider_calls_total",
			Help: "Requests sent to DNS services, by provider, operation and result (success, error).",
		}, []string{"provider", "operation", "result"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zonekeeper_events_total",
			Help: "Kubernetes Events reported on objects, by reason and result (emitted, repeat, rate_limited).",
		}, []string{"reason", "result"}),
		desired: newSnapshotGauge(prometheus.GaugeOpts{
			Name: "zonekeeper_desired_endpoints",
			Help: "Endpoints the sources asked for in the last reconcile, by object kind and record type.",
		}, "kind", "type"),
		owned: newSnapshotGauge(prometheus.GaugeOpts{
			Name: "zonekeeper_owned_records",
			Help: "Records zonekeeper owned in each zone at the last reconcile, ownership records not counted.",
		}, "zone"),
		conflicts: newSnapshotGauge(prometheus.GaugeOpts{
			Name: "zonekeeper_conflicts",
			Help: "Names several objects asked for with wishes that could not all be kept, at the last reconcile.",
		}, "zone"),
		pending: newSnapshotGauge(prometheus.GaugeOpts{
			Name: "zonekeeper_deletions_pending_confirmation",
			Help: "Deletions over the deletion budget waiting for confirmation (--deletion-confirm-after) at the last reconcile, by zone.",
		}, "zone"),
		compat:      newCompatMetrics(),
		propagation: newPropagationHistogram(),
	}
	reg.MustRegister(m.propagation)
	reg.MustRegister(m.compat.collectors()...)
	reg.MustRegister(m.reconcileDuration, m.reconciles, m.lastSuccess, m.sourceErrors, m.changes, m.withheld, m.confirmed,
		m.providerCalls, m.events, m.desired.vec, m.owned.vec, m.conflicts.vec, m.pending.vec)
	return m
}

// ProviderCalls returns the observer a provider named providerName reports its requests
// to. It returns nil for a nil *Metrics, which provider.ObserveCall accepts.
func (m *Metrics) ProviderCalls(providerName string) provider.CallObserver {
	if m == nil {
		return nil
	}
	return callObserver{calls: m.providerCalls.MustCurryWith(prometheus.Labels{"provider": providerName})}
}

type callObserver struct{ calls *prometheus.CounterVec }

func (o callObserver) ObserveCall(operation string, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	o.calls.WithLabelValues(operation, result).Inc()
}

// observeEvent counts one Event an EventLimiter decided on.
func (m *Metrics) observeEvent(reason, result string) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(reason, result).Inc()
}

// observeReconcile records one reconcile, which took took and ended at end; rep and err
// are what RunOnce returned.
func (m *Metrics) observeReconcile(rep *Report, err error, took time.Duration, end time.Time) {
	if m == nil {
		return
	}
	result, _ := outcome(rep, err)
	m.compat.observe(rep, err, result, end.Add(-took), end)
	m.reconcileDuration.Observe(took.Seconds())
	m.reconciles.WithLabelValues(result).Inc()
	if result == ResultSuccess || result == ResultChangeFailed {
		m.lastSuccess.Set(unixSeconds(end))
	}
	if rep == nil {
		return
	}
	m.sourceErrors.Add(float64(len(rep.SourceErrors)))
	for _, z := range rep.Zones {
		m.observeZone(z, rep.DryRun)
		m.observePropagation(z)
	}
	if err != nil || rep.Interrupted {
		// A partial picture would make the gauges drop; keep the last whole one.
		return
	}
	if rep.Asked != nil {
		desired := map[string]float64{}
		for _, e := range rep.Asked {
			kind := "unknown"
			if len(e.Refs) > 0 {
				kind = e.Refs[0].Kind
			}
			desired[labelKey(kind, e.RecordType)]++
		}
		m.desired.replace(desired)
	}
	owned := make(map[string]float64, len(rep.Zones))
	conflicts := make(map[string]float64, len(rep.Zones))
	pending := make(map[string]float64, len(rep.Zones))
	for _, z := range rep.Zones {
		if z.Err == nil {
			owned[labelKey(z.Zone.Name)] = float64(z.Owned)
			conflicts[labelKey(z.Zone.Name)] = float64(len(z.Conflicts))
		}
		// A zone that could not be read has no deletion waiting: its wait was broken.
		pending[labelKey(z.Zone.Name)] = float64(z.pendingConfirmation())
	}
	m.owned.replace(owned)
	m.conflicts.replace(conflicts)
	m.pending.replace(pending)
}

func (m *Metrics) observeZone(z ZoneReport, dryRun bool) {
	count := func(changes []provider.Change, result string) {
		for _, c := range changes {
			m.changes.WithLabelValues(z.Zone.Name, c.Main().Op.String(), result).Inc()
		}
	}
	if dryRun {
		count(z.Changes, "dry_run")
	} else {
		count(z.Applied, "applied")
		for _, f := range z.Failed {
			count([]provider.Change{f.Change}, "failed")
		}
		count(z.Unknown, "unknown")
		count(z.NotAttempted, "not_attempted")
	}
	if len(z.Confirmed) > 0 {
		m.confirmed.WithLabelValues(z.Zone.Name).Add(float64(len(z.Confirmed)))
	}
	for _, w := range z.Withheld {
		m.changes.WithLabelValues(z.Zone.Name, "delete", "withheld").Inc()
		m.withheld.WithLabelValues(z.Zone.Name, string(w.Cause)).Inc()
	}
}

// outcome classifies a reconcile by its result label, with the error that makes the
// daemon unready, nil for success and for changes refused one by one.
func outcome(rep *Report, err error) (result string, unready error) {
	switch {
	case err != nil:
		return ResultProviderError, err
	case rep.Interrupted:
		return ResultInterrupted, errInterrupted
	case len(rep.SourceErrors) > 0:
		return ResultSourceError, fmt.Errorf("a source could not be read: %w", errors.Join(rep.SourceErrors...))
	}
	if zoneErrs := rep.zoneErrors(); len(zoneErrs) > 0 {
		return ResultZoneError, errors.Join(zoneErrs...)
	}
	if slices.ContainsFunc(rep.Zones, func(z ZoneReport) bool { return len(z.Failed) > 0 }) {
		return ResultChangeFailed, nil
	}
	return ResultSuccess, nil
}

// snapshotGauge is a gauge vector that shows exactly the series of the last replace.
type snapshotGauge struct {
	vec *prometheus.GaugeVec

	mu    sync.Mutex
	shown map[string]bool // label keys (labelKey) currently exported
}

func newSnapshotGauge(opts prometheus.GaugeOpts, labels ...string) *snapshotGauge {
	return &snapshotGauge{vec: prometheus.NewGaugeVec(opts, labels), shown: map[string]bool{}}
}

// replace sets the series in values (keyed by labelKey) and removes every other series.
// Series are set before stale ones are removed, so a scrape never sees a known series
// missing.
func (g *snapshotGauge) replace(values map[string]float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for key, v := range values {
		g.vec.WithLabelValues(strings.Split(key, labelSeparator)...).Set(v)
	}
	for key := range g.shown {
		if _, ok := values[key]; !ok {
			g.vec.DeleteLabelValues(strings.Split(key, labelSeparator)...)
		}
	}
	g.shown = make(map[string]bool, len(values))
	for key := range values {
		g.shown[key] = true
	}
}

// labelSeparator cannot occur in a zone name, object kind or record type.
const labelSeparator = "\x00"

func labelKey(values ...string) string { return strings.Join(values, labelSeparator) }
