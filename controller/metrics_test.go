package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// samples renders every sample of the named counters and gauges in reg as
// `name{label="value",...} value`, sorted.
func samples(t *testing.T, reg *prometheus.Registry, names ...string) []string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range families {
		if !slices.Contains(names, mf.GetName()) {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			value := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			out = append(out, fmt.Sprintf("%s{%s} %g", mf.GetName(), strings.Join(labels, ","), value))
		}
	}
	slices.Sort(out)
	return out
}

// reportMetrics are the metrics a reconcile's Report sets.
var reportMetrics = []string{
	"zonekeeper_reconciles_total", "zonekeeper_source_errors_total", "zonekeeper_changes_total",
	"zonekeeper_deletions_withheld_total", "zonekeeper_desired_endpoints", "zonekeeper_owned_records",
	"zonekeeper_conflicts",
}

func ingress(name string) endpoint.ObjectRef {
	return endpoint.ObjectRef{Kind: "ingress", Namespace: "ns", Name: name}
}

func TestMetricsOfAReconcile(t *testing.T) {
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	tests := []struct {
		name      string
		provider  func(t *testing.T) provider.Provider
		sources   []source.Source
		config    Config
		cancelled bool
		want      []string
		// wantSynced says whether the reconcile counts as a successful sync.
		wantSynced bool
	}{
		{
			name: "applied, refused and conflicting changes",
			provider: func(t *testing.T) provider.Provider {
				return &faultyProvider{hidden: hidden.RecordKey(), Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{
					"example.com": slices.Concat([]*endpoint.Endpoint{hidden},
						ownedBy(t, ourOwner, "service/ns/stale", rec("stale.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")),
						ownedBy(t, ourOwner, "service/ns/keep", rec("keep.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"))),
				})}
			},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
				wanted(svc("keep"), "keep.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"),
				wanted(ingress("web"), "web.example.com", endpoint.RecordTypeCNAME, 0, "lb1.example.net"),
				wanted(svc("web"), "web.example.com", endpoint.RecordTypeCNAME, 0, "lb2.example.net"),
			}}}},
			config: Config{Policy: plan.PolicySync},
			want: []string{
				`zonekeeper_changes_total{kind="create",result="applied",zone="example.com"} 1`,
				`zonekeeper_changes_total{kind="create",result="failed",zone="example.com"} 1`,
				`zonekeeper_changes_total{kind="delete",result="applied",zone="example.com"} 1`,
				`zonekeeper_conflicts{zone="example.com"} 1`,
				`zonekeeper_desired_endpoints{kind="ingress",type="CNAME"} 1`,
				`zonekeeper_desired_endpoints{kind="service",type="A"} 2`,
				`zonekeeper_desired_endpoints{kind="service",type="CNAME"} 1`,
				`zonekeeper_owned_records{zone="example.com"} 2`,
				`zonekeeper_reconciles_total{result="change_failed"} 1`,
				`zonekeeper_source_errors_total{} 0`,
			},
			wantSynced: true,
		},
		{
			name: "a source error withholds deletions",
			provider: func(t *testing.T) provider.Provider {
				return seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": ownedBy(t, ourOwner, "service/ns/stale",
					rec("stale.example.com", endpoint.RecordTypeA, 0, "192.0.2.2"))})
			},
			sources: []source.Source{fixedSource{}, fixedSource{err: errors.New("ingress cache not synced")}},
			config:  Config{Policy: plan.PolicySync},
			want: []string{
				`zonekeeper_changes_total{kind="delete",result="withheld",zone="example.com"} 1`,
				`zonekeeper_conflicts{zone="example.com"} 0`,
				`zonekeeper_deletions_withheld_total{reason="source_error",zone="example.com"} 1`,
				`zonekeeper_owned_records{zone="example.com"} 1`,
				`zonekeeper_reconciles_total{result="source_error"} 1`,
				`zonekeeper_source_errors_total{} 1`,
			},
		},
		{
			name: "an object with invalid input keeps its records",
			provider: func(t *testing.T) provider.Provider {
				return seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": ownedBy(t, ourOwner, "service/ns/typo",
					rec("typo.example.com", endpoint.RecordTypeA, 0, "192.0.2.2"))})
			},
			sources: []source.Source{fixedSource{result: source.Result{
				Problems: []endpoint.Problem{{Ref: svc("typo"), Err: errors.New("bad ttl")}},
			}}},
			config: Config{Policy: plan.PolicySync},
			want: []string{
				`zonekeeper_changes_total{kind="delete",result="withheld",zone="example.com"} 1`,
				`zonekeeper_conflicts{zone="example.com"} 0`,
				`zonekeeper_deletions_withheld_total{reason="object_error",zone="example.com"} 1`,
				`zonekeeper_owned_records{zone="example.com"} 1`,
				`zonekeeper_reconciles_total{result="success"} 1`,
				`zonekeeper_source_errors_total{} 0`,
			},
			wantSynced: true,
		},
		{
			name: "an unreadable zone has no gauges",
			provider: func(*testing.T) provider.Provider {
				return &faultyProvider{Provider: inmemory.New("example.com", "example.org"), unreadable: "example.org"}
			},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("web"), "web.example.org", endpoint.RecordTypeA, 0, "192.0.2.1"),
			}}}},
			config: Config{Policy: plan.PolicySync},
			want: []string{
				`zonekeeper_conflicts{zone="example.com"} 0`,
				`zonekeeper_desired_endpoints{kind="service",type="A"} 1`,
				`zonekeeper_owned_records{zone="example.com"} 0`,
				`zonekeeper_reconciles_total{result="zone_error"} 1`,
				`zonekeeper_source_errors_total{} 0`,
			},
		},
		{
			name:     "unlistable zones",
			provider: func(*testing.T) provider.Provider { return unlistableProvider{inmemory.New("example.com")} },
			sources:  []source.Source{fixedSource{}},
			want: []string{
				`zonekeeper_reconciles_total{result="provider_error"} 1`,
				`zonekeeper_source_errors_total{} 0`,
			},
		},
		{
			name:     "stopped before the first zone",
			provider: func(*testing.T) provider.Provider { return inmemory.New("example.com") },
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
			}}}},
			cancelled: true,
			want: []string{
				`zonekeeper_reconciles_total{result="interrupted"} 1`,
				`zonekeeper_source_errors_total{} 0`,
			},
		},
		{
			name:     "dry run",
			provider: func(*testing.T) provider.Provider { return inmemory.New("example.com") },
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
			}}}},
			config: Config{Policy: plan.PolicySync, DryRun: true},
			want: []string{
				`zonekeeper_changes_total{kind="create",result="dry_run",zone="example.com"} 1`,
				`zonekeeper_conflicts{zone="example.com"} 0`,
				`zonekeeper_desired_endpoints{kind="service",type="A"} 1`,
				`zonekeeper_owned_records{zone="example.com"} 0`,
				`zonekeeper_reconciles_total{result="success"} 1`,
				`zonekeeper_source_errors_total{} 0`,
			},
			wantSynced: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			m := NewMetrics(reg)
			d := NewDaemon(newController(t, tt.provider(t), tt.config, tt.sources...), DaemonConfig{}, m, nil)
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancelled {
				cancel()
			}
			d.reconcile(ctx)
			cancel()

			if got := samples(t, reg, reportMetrics...); !slices.Equal(got, tt.want) {
				t.Errorf("metrics\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if n := testutil.CollectAndCount(m.reconcileDuration); n != 1 {
				t.Errorf("reconcile duration has %d series, want 1", n)
			}
			if synced := testutil.ToFloat64(m.lastSuccess) > 0; synced != tt.wantSynced {
				t.Errorf("last successful sync set: %t, want %t", synced, tt.wantSynced)
			}
		})
	}
}

// The gauges show the last whole reconcile: a zone no longer reconciled loses its series.
func TestMetricsGaugesForgetVanishedZones(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	c := newController(t, inmemory.New("example.com", "example.org"), Config{Policy: plan.PolicySync}, fixedSource{})
	d := NewDaemon(c, DaemonConfig{}, m, nil)
	d.reconcile(context.Background())
	c.Config.ZoneIDFilter = []string{"example.org"}
	d.reconcile(context.Background())

	want := []string{`zonekeeper_conflicts{zone="example.org"} 0`, `zonekeeper_owned_records{zone="example.org"} 0`}
	if got := samples(t, reg, "zonekeeper_owned_records", "zonekeeper_conflicts"); !slices.Equal(got, want) {
		t.Errorf("gauges %q, want %q", got, want)
	}
}

func TestMetricsProviderCalls(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	route53, rfc2136 := m.ProviderCalls("route53"), m.ProviderCalls("rfc2136")
	provider.ObserveCall(route53, "ListResourceRecordSets", nil)
	provider.ObserveCall(route53, "ListResourceRecordSets", nil)
	provider.ObserveCall(route53, "ChangeResourceRecordSets", errors.New("Throttling"))
	provider.ObserveCall(rfc2136, "axfr", nil)

	want := []string{
		`zonekeeper_provider_calls_total{operation="ChangeResourceRecordSets",provider="route53",result="error"} 1`,
		`zonekeeper_provider_calls_total{operation="ListResourceRecordSets",provider="route53",result="success"} 2`,
		`zonekeeper_provider_calls_total{operation="axfr",provider="rfc2136",result="success"} 1`,
	}
	if got := samples(t, reg, "zonekeeper_provider_calls_total"); !slices.Equal(got, want) {
		t.Errorf("provider calls\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	if o := m.ProviderCalls("inmemory"); o != nil {
		t.Errorf("ProviderCalls of nil Metrics = %v, want nil", o)
	}
	m.observeReconcile(&Report{}, nil, time.Second, time.Now())
}

func TestMetricsFollowPrometheusConventions(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	d := NewDaemon(newController(t, inmemory.New("example.com"), Config{Policy: plan.PolicySync}, fixedSource{result: source.Result{
		Endpoints: []*endpoint.Endpoint{wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")},
	}}), DaemonConfig{}, m, nil)
	d.reconcile(context.Background())
	provider.ObserveCall(m.ProviderCalls("inmemory"), "apply", nil)

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		// external-dns's names are kept as they are, for its dashboards and alerts,
		// though some gauges end in _total.
		if strings.HasPrefix(p.Metric, "external_dns_") && strings.Contains(p.Text, "_total") {
			continue
		}
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// compatMetrics are external-dns's metric names the compatibility set exposes.
var compatMetricNames = []string{
	"external_dns_controller_consecutive_soft_errors", "external_dns_controller_verified_records",
	"external_dns_controller_no_op_runs_total", "external_dns_registry_endpoints_total", "external_dns_source_endpoints_total",
	"external_dns_registry_errors_total", "external_dns_source_errors_total", "external_dns_registry_records", "external_dns_source_records",
}

// TestCompatibilityMetrics runs reconciles in a row through the daemon and checks
// external-dns's metrics after each: their values carry external-dns's meaning.
func TestCompatibilityMetrics(t *testing.T) {
	desired := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("keep"), "keep.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"),
		wanted(svc("new"), "new.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
		wanted(ingress("web"), "web.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net"),
	}}}
	broken := fixedSource{err: errors.New("ingress cache not synced")}
	zone := map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
		ownedBy(t, ourOwner, "service/ns/keep", rec("keep.example.com", endpoint.RecordTypeA, 0, "192.0.2.3")),
		[]*endpoint.Endpoint{rec("other.example.com", endpoint.RecordTypeA, 0, "192.0.2.9")}, // not ours
	)}
	type step struct {
		name     string
		source   source.Source
		provider func(p *inmemory.Provider) provider.Provider
		want     []string
		// synced says whether last_sync_timestamp_seconds moves to this reconcile's end.
		synced bool
	}
	asIs := func(p *inmemory.Provider) provider.Provider { return p }
	steps := []step{
		{
			name: "first reconcile creates two records", source: desired, provider: asIs, synced: true,
			want: []string{
				`external_dns_controller_consecutive_soft_errors{} 0`,
				`external_dns_controller_no_op_runs_total{} 0`,
				`external_dns_controller_verified_records{record_type="A"} 1`,
				`external_dns_registry_endpoints_total{} 2`,
				`external_dns_registry_errors_total{} 0`,
				`external_dns_registry_records{record_type="A"} 2`,
				`external_dns_source_endpoints_total{} 3`,
				`external_dns_source_errors_total{} 0`,
				`external_dns_source_records{record_type="A"} 2`,
				`external_dns_source_records{record_type="CNAME"} 1`,
			},
		},
		{
			name: "second finds every record: verified, nothing to do", source: desired, provider: asIs, synced: true,
			want: []string{
				`external_dns_controller_consecutive_soft_errors{} 0`,
				`external_dns_controller_no_op_runs_total{} 1`,
				`external_dns_controller_verified_records{record_type="A"} 2`,
				`external_dns_controller_verified_records{record_type="CNAME"} 1`,
				`external_dns_registry_endpoints_total{} 4`,
				`external_dns_registry_errors_total{} 0`,
				`external_dns_registry_records{record_type="A"} 3`,
				`external_dns_registry_records{record_type="CNAME"} 1`,
				`external_dns_source_endpoints_total{} 3`,
				`external_dns_source_errors_total{} 0`,
				`external_dns_source_records{record_type="A"} 2`,
				`external_dns_source_records{record_type="CNAME"} 1`,
			},
		},
		{
			name: "a source error: the source gauges keep the last whole read", source: broken, provider: asIs,
			want: []string{
				`external_dns_controller_consecutive_soft_errors{} 1`,
				`external_dns_controller_no_op_runs_total{} 1`,
				`external_dns_controller_verified_records{record_type="A"} 2`,
				`external_dns_controller_verified_records{record_type="CNAME"} 1`,
				`external_dns_registry_endpoints_total{} 4`,
				`external_dns_registry_errors_total{} 0`,
				`external_dns_registry_records{record_type="A"} 3`,
				`external_dns_registry_records{record_type="CNAME"} 1`,
				`external_dns_source_endpoints_total{} 3`,
				`external_dns_source_errors_total{} 1`,
				`external_dns_source_records{record_type="A"} 2`,
				`external_dns_source_records{record_type="CNAME"} 1`,
			},
		},
		{
			name: "zones that cannot be listed: a registry error, the registry gauges kept", source: desired,
			provider: func(p *inmemory.Provider) provider.Provider { return unlistableProvider{p} },
			want: []string{
				`external_dns_controller_consecutive_soft_errors{} 2`,
				`external_dns_controller_no_op_runs_total{} 1`,
				`external_dns_controller_verified_records{record_type="A"} 2`,
				`external_dns_controller_verified_records{record_type="CNAME"} 1`,
				`external_dns_registry_endpoints_total{} 4`,
				`external_dns_registry_errors_total{} 1`,
				`external_dns_registry_records{record_type="A"} 3`,
				`external_dns_registry_records{record_type="CNAME"} 1`,
				`external_dns_source_endpoints_total{} 3`,
				`external_dns_source_errors_total{} 1`,
				`external_dns_source_records{record_type="A"} 2`,
				`external_dns_source_records{record_type="CNAME"} 1`,
			},
		},
		{
			name: "success again resets the soft errors", source: desired, provider: asIs, synced: true,
			want: []string{
				`external_dns_controller_consecutive_soft_errors{} 0`,
				`external_dns_controller_no_op_runs_total{} 2`,
				`external_dns_controller_verified_records{record_type="A"} 2`,
				`external_dns_controller_verified_records{record_type="CNAME"} 1`,
				`external_dns_registry_endpoints_total{} 4`,
				`external_dns_registry_errors_total{} 1`,
				`external_dns_registry_records{record_type="A"} 3`,
				`external_dns_registry_records{record_type="CNAME"} 1`,
				`external_dns_source_endpoints_total{} 3`,
				`external_dns_source_errors_total{} 1`,
				`external_dns_source_records{record_type="A"} 2`,
				`external_dns_source_records{record_type="CNAME"} 1`,
			},
		},
	}
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	p := seeded(t, []string{"example.com"}, zone)
	c := newController(t, p, Config{Policy: plan.PolicySync})
	d := NewDaemon(c, DaemonConfig{}, m, nil)
	now := time.Unix(1_700_000_000, 0)
	d.now = func() time.Time { return now }
	var lastSync float64
	for i, s := range steps {
		c.Sources, c.Provider = []source.Source{s.source}, s.provider(p)
		now = now.Add(time.Minute)
		d.reconcile(context.Background())
		if got := samples(t, reg, compatMetricNames...); !slices.Equal(got, s.want) {
			t.Errorf("step %d (%s):\n  %s\nwant\n  %s", i, s.name, strings.Join(got, "\n  "), strings.Join(s.want, "\n  "))
		}
		if s.synced {
			lastSync = float64(now.Unix())
		}
		if got := testutil.ToFloat64(m.compat.lastSync); got != lastSync {
			t.Errorf("step %d (%s): last sync %v, want %v", i, s.name, got, lastSync)
		}
		if got := testutil.ToFloat64(m.compat.lastReconcile); got != float64(now.Unix()) {
			t.Errorf("step %d (%s): last reconcile %v, want %v", i, s.name, got, float64(now.Unix()))
		}
	}
}

// A refused change makes the reconcile a registry error and no sync, as a failed
// ApplyChanges is in external-dns, though zonekeeper's own last successful sync moves.
func TestCompatibilityMetricsOfRefusedChanges(t *testing.T) {
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics(reg)
	p := &faultyProvider{hidden: hidden.RecordKey(), Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": {hidden}})}
	d := NewDaemon(newController(t, p, Config{Policy: plan.PolicySync}, fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
	}}}), DaemonConfig{}, m, nil)
	d.reconcile(context.Background())
	// The provider lists no record (it hides the one it refuses to write).
	want := []string{
		`external_dns_controller_consecutive_soft_errors{} 1`,
		`external_dns_controller_no_op_runs_total{} 0`,
		`external_dns_registry_endpoints_total{} 0`,
		`external_dns_registry_errors_total{} 1`,
		`external_dns_source_endpoints_total{} 1`,
		`external_dns_source_errors_total{} 0`,
		`external_dns_source_records{record_type="A"} 1`,
	}
	if got := samples(t, reg, compatMetricNames...); !slices.Equal(got, want) {
		t.Errorf("metrics\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if testutil.ToFloat64(m.compat.lastSync) != 0 || testutil.ToFloat64(m.lastSuccess) == 0 {
		t.Errorf("last sync %v and zonekeeper's last successful sync %v: want 0 and set",
			testutil.ToFloat64(m.compat.lastSync), testutil.ToFloat64(m.lastSuccess))
	}
}

// TestResyncRefreshesDesiredGauges: a resync that takes only the changed objects
// (RunResync) still sets the gauges of what the sources ask for, from its index, to the
// counts a reconcile reading every object gives; a reconcile of changed objects after
// events leaves them as they were.
func TestResyncRefreshesDesiredGauges(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	src := &movingSource{objects: map[endpoint.ObjectRef][]*endpoint.Endpoint{}, changed: map[endpoint.ObjectRef]bool{}}
	src.set(svc("a"), []*endpoint.Endpoint{wanted(svc("a"), "a.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")})
	p := &unchangedProvider{Provider: inmemory.New("example.com"), unchanged: true}
	d := NewDaemon(newController(t, p, Config{Policy: plan.PolicySync}, src), DaemonConfig{}, m, nil)
	gauges := func() (float64, float64) {
		return testutil.ToFloat64(m.desired.vec.WithLabelValues("service", endpoint.RecordTypeA)), testutil.ToFloat64(m.compat.sourceEndpoints)
	}
	d.reconcile(t.Context())
	if desired, source := gauges(); desired != 1 || source != 1 {
		t.Fatalf("after the first reconcile: desired %v, source endpoints %v; want 1, 1", desired, source)
	}
	src.set(svc("b"), []*endpoint.Endpoint{wanted(svc("b"), "b.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")})
	if rep := d.reconcileWith(t.Context(), d.controller.RunChanged, false); !rep.Partial {
		t.Fatal("the reconcile after an event read every object")
	}
	if desired, source := gauges(); desired != 1 || source != 1 {
		t.Errorf("after a reconcile of changed objects: desired %v, source endpoints %v; want 1, 1 (kept)", desired, source)
	}
	src.set(svc("c"), []*endpoint.Endpoint{wanted(svc("c"), "c.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")})
	if rep := d.reconcileWith(t.Context(), d.controller.RunResync, true); !rep.Partial {
		t.Fatal("the resync read every object")
	}
	if desired, source := gauges(); desired != 3 || source != 3 {
		t.Errorf("after the resync: desired %v, source endpoints %v; want 3, 3", desired, source)
	}
}
