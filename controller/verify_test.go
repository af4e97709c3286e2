package controller

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/provider/rfc2136"
	"github.com/zonekeeper/zonekeeper/provider/route53"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
	"github.com/zonekeeper/zonekeeper/source"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

func TestServedText(t *testing.T) {
	since := time.Unix(100, 0)
	zr := func(prop *Propagation) *ZoneReport { return &ZoneReport{Propagation: prop} }
	for _, tc := range []struct {
		name    string
		z       *ZoneReport
		deleted bool
		want    string
	}{
		{"not verified", zr(nil), false, ""},
		{"served", zr(&Propagation{Since: since, Served: []provider.Serving{{Served: true, At: since.Add(120 * time.Millisecond), By: []string{"ns1.example.com", "ns2.example.com"}}}}), false,
			" and served by ns1.example.com, ns2.example.com in 0.12s"},
		{"gone", zr(&Propagation{Since: since, Served: []provider.Serving{{Served: true, At: since.Add(2 * time.Second), By: []string{"Route 53"}}}}), true,
			" and no longer served by Route 53 in 2.00s"},
		{"not yet served", zr(&Propagation{Since: since, Served: []provider.Serving{{Pending: "ns2.example.com (192.0.2.53:53): NXDOMAIN"}}}), false,
			"; not yet served: ns2.example.com (192.0.2.53:53): NXDOMAIN"},
		{"still served", zr(&Propagation{Since: since, Served: []provider.Serving{{Pending: "ns2.example.com (192.0.2.53:53): holds 192.0.2.1 (TTL 300)"}}}), true,
			"; still served: ns2.example.com (192.0.2.53:53): holds 192.0.2.1 (TTL 300)"},
		{"could not ask", zr(&Propagation{Err: errors.New("GetChange: AccessDenied")}), false, "; not verified: GetChange: AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := servedText(tc.z, 0, tc.deleted); got != tc.want {
				t.Errorf("servedText = %q, want %q", got, tc.want)
			}
		})
	}
}

// histogram returns the sample count and sum of zonekeeper_record_propagation_seconds
// for provider and zone, and the cumulative count of each bucket by upper bound.
func histogram(t *testing.T, reg *prometheus.Registry, providerName, zone string) (count uint64, sum float64, buckets map[float64]uint64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != "zonekeeper_record_propagation_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["provider"] != providerName || labels["zone"] != zone {
				continue
			}
			buckets = map[float64]uint64{}
			for _, b := range m.GetHistogram().GetBucket() {
				buckets[b.GetUpperBound()] = b.GetCumulativeCount()
			}
			return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum(), buckets
		}
	}
	return 0, 0, nil
}

// TestDaemonVerifiesPropagationOverRFC2136 runs daemon reconciles against each real
// server with verification on: 20 records created, then 5 of them deleted. Every change
// is observed in zonekeeper_record_propagation_seconds, and each object's RecordReady
// and RecordDeleted Event says which server serves it, and how soon.
func TestDaemonVerifiesPropagationOverRFC2136(t *testing.T) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := dnsserver.StartT(t, kind, dnsserver.Config{Zones: []string{"example.com"}})
			p, err := rfc2136.New(rfc2136.Config{
				Hosts: []string{srv.Addr}, Zones: srv.Zones, AXFR: true,
				TSIG: rfc2136.TSIG{KeyName: srv.KeyName, Secret: srv.Secret, Algorithm: srv.Algorithm},
			})
			if err != nil {
				t.Fatal(err)
			}
			var eps []*endpoint.Endpoint
			for i := range 20 {
				eps = append(eps, wanted(svc(fmt.Sprintf("app-%d", i)), fmt.Sprintf("app-%d.example.com", i), endpoint.RecordTypeA, 60, fmt.Sprintf("192.0.2.%d", i+1)))
			}
			src := &fixedSource{result: source.Result{Endpoints: eps}}
			events := &recorded{}
			c := newController(t, p, Config{
				Policy: plan.PolicySync, ManagedTypes: endpoint.DefaultManagedTypes(),
				Events: EventConfig{Emit: []string{ReasonRecordReady, ReasonRecordDeleted}},
				Verify: VerifyConfig{Enabled: true, Timeout: 10 * time.Second, Provider: "rfc2136"},
			}, src)
			c.Events = events
			reg := prometheus.NewPedanticRegistry()
			d := NewDaemon(c, DaemonConfig{}, NewMetrics(reg), nil)

			d.reconcile(context.Background())
			count, sum, buckets := histogram(t, reg, "rfc2136", "example.com")
			if count != 20 {
				t.Fatalf("propagation histogram has %d samples after 20 creates, want 20", count)
			}
			t.Logf("%s: 20 creates, propagation sum %.4fs, mean %.4fs, ≤5ms %d, ≤10ms %d, ≤25ms %d, ≤50ms %d, ≤100ms %d",
				kind, sum, sum/20, buckets[0.005], buckets[0.01], buckets[0.025], buckets[0.05], buckets[0.1])
			ready := regexp.MustCompile(`^Normal RecordReady service/ns/app-\d+: A app-\d+\.example\.com → 192\.0\.2\.\d+ published and served by ` +
				regexp.QuoteMeta(srv.Addr) + ` in \d+\.\d\ds$`)
			lines := events.lines()
			if len(lines) != 20 {
				t.Fatalf("%d Events after 20 creates, want 20:\n%v", len(lines), lines)
			}
			for _, l := range lines {
				if !ready.MatchString(l) {
					t.Errorf("Event %q does not match %s", l, ready)
				}
			}

			events.events = nil
			src.result.Endpoints = eps[5:]
			d.reconcile(context.Background())
			if count, _, _ := histogram(t, reg, "rfc2136", "example.com"); count != 25 {
				t.Errorf("propagation histogram has %d samples after 5 more deletions, want 25", count)
			}
			gone := regexp.MustCompile(`^Normal RecordDeleted service/ns/app-[0-4]: A app-[0-4]\.example\.com → 192\.0\.2\.[1-5] deleted and no longer served by ` +
				regexp.QuoteMeta(srv.Addr) + ` in \d+\.\d\ds$`)
			lines = events.lines()
			if len(lines) != 5 || !slices.ContainsFunc(lines, gone.MatchString) {
				t.Fatalf("Events after 5 deletions:\n%v\nwant 5 matching %s", lines, gone)
			}
			for _, l := range lines {
				if !gone.MatchString(l) {
					t.Errorf("Event %q does not match %s", l, gone)
				}
			}
		})
	}
}

// TestVerifyWithoutVerifier turns verification on for a provider that cannot verify:
// the records are published all the same, the Event says they were not verified, and
// the histogram stays empty.
func TestVerifyWithoutVerifier(t *testing.T) {
	src := &fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
	}}}
	events := &recorded{}
	c := newController(t, inmemory.New("example.com"), Config{
		Policy: plan.PolicySync, ManagedTypes: endpoint.DefaultManagedTypes(),
		Events: EventConfig{Emit: []string{ReasonRecordReady}},
		Verify: VerifyConfig{Enabled: true, Provider: "inmemory"},
	}, src)
	c.Events = events
	reg := prometheus.NewPedanticRegistry()
	NewDaemon(c, DaemonConfig{}, NewMetrics(reg), nil).reconcile(context.Background())
	want := []string{"Normal RecordReady service/ns/web: A web.example.com → 192.0.2.4 published; not verified: provider inmemory cannot verify that changes are served"}
	if got := events.lines(); !slices.Equal(got, want) {
		t.Errorf("Events\n  %v\nwant\n  %v", got, want)
	}
	if count, _, _ := histogram(t, reg, "inmemory", "example.com"); count != 0 {
		t.Errorf("propagation histogram has %d samples, want none", count)
	}
}

// TestDaemonVerifiesRoute53Changes runs a daemon reconcile against the Route 53 emulator
// behind provider.Cached, as the daemon runs it, with changes that reach INSYNC a moment
// after they are accepted, and with changes that never do: the first are observed and
// reported served, the second hit the timeout and are reported pending, unobserved.
func TestDaemonVerifiesRoute53Changes(t *testing.T) {
	for _, tt := range []struct {
		name        string
		inSyncAfter time.Duration
		timeout     time.Duration
		want        *regexp.Regexp
		observed    uint64
	}{
		{"in sync after 200ms", 200 * time.Millisecond, 10 * time.Second,
			regexp.MustCompile(`^Normal RecordReady service/ns/app-\d: A app-\d\.example\.com → 192\.0\.2\.\d published and served by Route 53 in \d+\.\d\ds$`), 3},
		{"never in sync", -1, 1500 * time.Millisecond,
			regexp.MustCompile(`^Normal RecordReady service/ns/app-\d: A app-\d\.example\.com → 192\.0\.2\.\d published; not yet served: Route 53 change C[0-9A-F]{13} is still PENDING$`), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em, url := route53test.Start(t, route53test.Options{InSyncAfter: tt.inSyncAfter})
			em.CreateZone("example.com", route53test.ZoneOptions{})
			p, err := route53.New(context.Background(), route53.Config{
				EndpointURL: url, Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			})
			if err != nil {
				t.Fatal(err)
			}
			var eps []*endpoint.Endpoint
			for i := range 3 {
				eps = append(eps, wanted(svc(fmt.Sprintf("app-%d", i)), fmt.Sprintf("app-%d.example.com", i), endpoint.RecordTypeA, 60, fmt.Sprintf("192.0.2.%d", i+1)))
			}
			events := &recorded{}
			c := newController(t, provider.NewCached(p, time.Hour), Config{
				Policy: plan.PolicySync, ManagedTypes: endpoint.DefaultManagedTypes(),
				Events: EventConfig{Emit: []string{ReasonRecordReady}},
				Verify: VerifyConfig{Enabled: true, Timeout: tt.timeout, Provider: "route53"},
			}, &fixedSource{result: source.Result{Endpoints: eps}})
			c.Events = events
			reg := prometheus.NewPedanticRegistry()
			NewDaemon(c, DaemonConfig{}, NewMetrics(reg), nil).reconcile(context.Background())

			lines := events.lines()
			if len(lines) != 3 {
				t.Fatalf("%d Events after 3 creates, want 3:\n%v", len(lines), lines)
			}
			for _, l := range lines {
				if !tt.want.MatchString(l) {
					t.Errorf("Event %q does not match %s", l, tt.want)
				}
			}
			if count, sum, _ := histogram(t, reg, "route53", "example.com"); count != tt.observed {
				t.Errorf("propagation histogram has %d samples (sum %.2fs), want %d", count, sum, tt.observed)
			}
		})
	}
}

// verifiedInMemory is the in-memory provider with a verifier that finds every change it
// is asked about served, and counts them.
type verifiedInMemory struct {
	*inmemory.Provider
	asked int
}

func (p *verifiedInMemory) VerifyServed(_ context.Context, _ provider.Zone, applied []provider.Change) ([]provider.Serving, error) {
	p.asked += len(applied)
	out := make([]provider.Serving, len(applied))
	for i := range out {
		out[i] = provider.Serving{Served: true, At: time.Now(), By: []string{"memory"}}
	}
	return out, nil
}

// TestVerificationIsBounded: a reconcile applying more than MaxVerifiedChanges changes
// to a zone verifies the first MaxVerifiedChanges only, observes only those, and says of
// the others that they were not verified, and why.
func TestVerificationIsBounded(t *testing.T) {
	const n = MaxVerifiedChanges + 5
	var eps []*endpoint.Endpoint
	for i := range n {
		eps = append(eps, wanted(svc(fmt.Sprint("web-", i)), fmt.Sprintf("web-%04d.example.com", i), endpoint.RecordTypeA, 0, "192.0.2.4"))
	}
	p := &verifiedInMemory{Provider: inmemory.New("example.com")}
	c := newController(t, p, Config{
		Policy: plan.PolicySync, ManagedTypes: endpoint.DefaultManagedTypes(),
		Verify: VerifyConfig{Enabled: true, Provider: "memory"},
	}, &fixedSource{result: source.Result{Endpoints: eps}})
	rep, err := c.RunOnce(context.Background())
	if err != nil || len(rep.Zones) != 1 || len(rep.Zones[0].Applied) != n {
		t.Fatalf("RunOnce: %v, %d zones, want one zone with %d applied changes", err, len(rep.Zones), n)
	}
	z := &rep.Zones[0]
	reg := prometheus.NewPedanticRegistry()
	NewMetrics(reg).observePropagation(*z)
	if p.asked != MaxVerifiedChanges {
		t.Errorf("the verifier was asked about %d changes, want %d", p.asked, MaxVerifiedChanges)
	}
	if count, _, _ := histogram(t, reg, "memory", "example.com"); count != MaxVerifiedChanges {
		t.Errorf("propagation histogram has %d samples, want %d", count, MaxVerifiedChanges)
	}
	if got := servedText(z, 0, false); !strings.HasPrefix(got, " and served by memory in ") {
		t.Errorf("the first change: %q, want it served", got)
	}
	want := fmt.Sprintf("; not verified: the reconcile applied %d changes to the zone at once, and only the first %d are verified", n, MaxVerifiedChanges)
	if got := servedText(z, n-1, false); got != want {
		t.Errorf("the last change: %q, want %q", got, want)
	}
}
