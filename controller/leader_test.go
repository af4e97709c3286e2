package controller

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

func TestLeaderElectionConfigValidate(t *testing.T) {
	valid := LeaderElectionConfig{
		Namespace: "dns", Name: "zonekeeper", Identity: "pod-1_x",
		LeaseDuration: DefaultLeaseDuration, RenewDeadline: DefaultRenewDeadline, RetryPeriod: DefaultRetryPeriod,
	}
	tests := []struct {
		name   string
		change func(*LeaderElectionConfig)
		// wantErr is a substring of the error; empty means valid.
		wantErr string
	}{
		{name: "defaults", change: func(*LeaderElectionConfig) {}},
		{name: "short but workable", change: func(c *LeaderElectionConfig) {
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 4*time.Second, 3*time.Second, 250*time.Millisecond
		}},
		{name: "no namespace", change: func(c *LeaderElectionConfig) { c.Namespace = "" }, wantErr: "the Lease namespace is empty"},
		{name: "no identity", change: func(c *LeaderElectionConfig) { c.Identity = "" }, wantErr: "identity is empty"},
		{name: "bad lease name", change: func(c *LeaderElectionConfig) { c.Name = "Zone_Keeper" }, wantErr: `the Lease name "Zone_Keeper" is not a valid object name`},
		{name: "no lease name", change: func(c *LeaderElectionConfig) { c.Name = "" }, wantErr: `the Lease name "" is not a valid object name`},
		{name: "zero retry period", change: func(c *LeaderElectionConfig) { c.RetryPeriod = 0 },
			wantErr: "lease duration (15s), renew deadline (10s) and retry period (0s) must all be positive"},
		{name: "negative lease duration", change: func(c *LeaderElectionConfig) { c.LeaseDuration = -time.Second },
			wantErr: "must all be positive"},
		{name: "renew deadline as long as the lease", change: func(c *LeaderElectionConfig) { c.RenewDeadline = c.LeaseDuration },
			wantErr: "the renew deadline (15s) must be shorter than the lease duration (15s)"},
		{name: "renew deadline longer than the lease", change: func(c *LeaderElectionConfig) { c.RenewDeadline = 20 * time.Second },
			wantErr: "the renew deadline (20s) must be shorter than the lease duration (15s)"},
		{name: "retry period as long as the renew deadline", change: func(c *LeaderElectionConfig) { c.RetryPeriod = c.RenewDeadline },
			wantErr: "the renew deadline (10s) must be longer than 1.2 times the retry period (10s)"},
		{name: "retry period within the jitter of the renew deadline", change: func(c *LeaderElectionConfig) { c.RetryPeriod = 9 * time.Second },
			wantErr: "must be longer than 1.2 times the retry period (9s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.change(&cfg)
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
			if _, nerr := NewLeaseElector(fake.NewClientset(), cfg); (nerr == nil) != (err == nil) {
				t.Errorf("NewLeaseElector error %v, Validate error %v: want both or neither", nerr, err)
			}
		})
	}
}

// fakeElector grants leadership when the test sends a term on grant; the term ends when
// the test cancels it (leadership lost) or Campaign's ctx ends.
type fakeElector struct {
	// campaigning receives once per Campaign, when the replica stands by.
	campaigning chan struct{}
	grant       chan context.Context
}

func newFakeElector() *fakeElector {
	return &fakeElector{campaigning: make(chan struct{}), grant: make(chan context.Context)}
}

func (e *fakeElector) Campaign(ctx context.Context, lead func(context.Context)) error {
	select {
	case e.campaigning <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	select {
	case granted := <-e.grant:
		term, end := context.WithCancel(granted)
		stop := context.AfterFunc(ctx, end)
		lead(term)
		stop()
		end()
	case <-ctx.Done():
	}
	return nil
}

// standBy waits until the daemon campaigns again, failing the test if a zone is written
// meanwhile.
func standBy(t *testing.T, e *fakeElector, p *slowProvider) {
	t.Helper()
	select {
	case <-e.campaigning:
	case z := <-p.applying:
		t.Fatalf("zone %s written while leadership was being lost", z.Name)
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon did not stand by again")
	}
}

// A standby never reconciles, whatever triggers it gets; gaining leadership reconciles
// at once; losing it in the middle of a reconcile lets the zone in flight finish,
// writes no other zone, and makes the daemon stand by again.
func TestRunElectedReconcilesOnlyWhileLeading(t *testing.T) {
	p := &slowProvider{Provider: inmemory.New("example.com", "example.org"), applying: make(chan provider.Zone), release: make(chan struct{})}
	src := &countingSource{fixedSource: fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("com"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
		wanted(svc("org"), "web.example.org", endpoint.RecordTypeA, 0, "192.0.2.2"),
	}}}}
	d := NewDaemon(newController(t, p, Config{Policy: plan.PolicySync}, src), DaemonConfig{Interval: time.Hour, MinEventInterval: time.Millisecond}, nil, nil)
	gauge := LeaderGauge(d)
	e := newFakeElector()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.RunElected(ctx, e) }()

	<-e.campaigning
	for range 10 {
		d.Trigger()
	}
	if n := src.reads.Load(); n != 0 {
		t.Errorf("standby: %d reconciles, want none", n)
	}
	if d.Leading() || testutil.ToFloat64(gauge) != 0 {
		t.Errorf("standby: Leading() = %v, zonekeeper_leader = %g; want false, 0", d.Leading(), testutil.ToFloat64(gauge))
	}
	if err := d.Ready(); err != nil {
		t.Errorf("standby with synced sources: Ready() = %v, want nil", err)
	}

	term, lose := context.WithCancel(context.Background())
	e.grant <- term
	first := <-p.applying // no trigger and an hour's interval: the reconcile of the new term
	if !d.Leading() || testutil.ToFloat64(gauge) != 1 {
		t.Errorf("leader: Leading() = %v, zonekeeper_leader = %g; want true, 1", d.Leading(), testutil.ToFloat64(gauge))
	}
	lose()
	p.release <- struct{}{}
	standBy(t, e, p)
	if n := p.applied.Load(); n != 1 {
		t.Errorf("%d zones applied in the lost term, want 1: the one in flight", n)
	}
	if got := records(t, p.Provider, first.Name); len(got) != 2 {
		t.Errorf("zone in flight %s holds %q, want the record and its ownership record", first.Name, lines(got))
	}
	if d.Leading() || testutil.ToFloat64(gauge) != 0 {
		t.Errorf("after the loss: Leading() = %v, zonekeeper_leader = %g; want false, 0", d.Leading(), testutil.ToFloat64(gauge))
	}
	if err := d.Ready(); err != nil {
		t.Errorf("standby again, after an interrupted reconcile: Ready() = %v, want nil", err)
	}
	d.Trigger()
	if n := src.reads.Load(); n != 1 {
		t.Errorf("standby again: %d reconciles in all, want still 1", n)
	}

	e.grant <- context.Background()
	second := <-p.applying
	p.release <- struct{}{}
	if second.Name == first.Name {
		t.Errorf("the new term wrote %s again, want only the zone left out", second.Name)
	}
	waitFor(t, "the new term's reconcile to finish", func() bool { return finished(d) })
	if err := d.Ready(); err != nil {
		t.Errorf("leader after a good reconcile: Ready() = %v, want nil", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("RunElected returned %v, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("RunElected did not return after its context was cancelled")
	}
	if n := p.applied.Load(); n != 2 {
		t.Errorf("%d zones applied in all, want 2", n)
	}
}

func TestRunElectedReady(t *testing.T) {
	tests := []struct {
		name    string
		sources []source.Source
		wantErr string
	}{
		{name: "caches synced", sources: []source.Source{syncingSource{synced: true}}},
		{name: "caches not synced", sources: []source.Source{syncingSource{synced: false}},
			wantErr: "source 1 (controller.syncingSource) has not synced its cache yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDaemon(newController(t, inmemory.New("example.com"), Config{Policy: plan.PolicySync}, tt.sources...), DaemonConfig{}, nil, nil)
			if err := d.Ready(); err == nil || !strings.Contains(err.Error(), "no reconcile has finished yet") {
				t.Errorf("before RunElected: Ready() = %v, want no reconcile yet", err)
			}
			e := newFakeElector()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.RunElected(ctx, e) }()
			<-e.campaigning
			err := d.Ready()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("standby: Ready() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("standby: Ready() = %v, want an error containing %q", err, tt.wantErr)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("RunElected returned %v, want nil", err)
			}
		})
	}
}

func TestRunElectedReturnsTheElectorsError(t *testing.T) {
	d := NewDaemon(&Controller{}, DaemonConfig{}, nil, nil)
	want := errors.New("forbidden: leases")
	if err := d.RunElected(context.Background(), failingElector{want}); !errors.Is(err, want) {
		t.Errorf("RunElected() = %v, want %v", err, want)
	}
}

type failingElector struct{ err error }

func (e failingElector) Campaign(context.Context, func(context.Context)) error { return e.err }

// fastLease is a configuration in which leadership moves within a fraction of a second.
func fastLease(identity string) LeaderElectionConfig {
	return LeaderElectionConfig{Namespace: "dns", Name: "zonekeeper", Identity: identity,
		LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 50 * time.Millisecond}
}

// campaigner runs one LeaseElector's campaign whose term, once its context ends, holds
// on until finish is closed, as a reconcile finishing the zone it writes does.
type campaigner struct {
	leading  chan struct{} // closed when the term begins
	termDone chan struct{} // closed when the term's context ends
	finish   chan struct{}
	stop     context.CancelFunc
	// returned is closed when Campaign has returned err.
	returned chan struct{}
	err      error
}

func campaign(t *testing.T, client kubernetes.Interface, identity string) *campaigner {
	t.Helper()
	e, err := NewLeaseElector(client, fastLease(identity))
	if err != nil {
		t.Fatal(err)
	}
	c := &campaigner{leading: make(chan struct{}), termDone: make(chan struct{}), finish: make(chan struct{}), returned: make(chan struct{})}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go func() {
		defer close(c.returned)
		c.err = e.Campaign(ctx, func(term context.Context) {
			close(c.leading)
			<-term.Done()
			close(c.termDone)
			<-c.finish
		})
	}()
	t.Cleanup(func() {
		stop()
		select {
		case <-c.finish:
		default:
			close(c.finish)
		}
		<-c.returned
	})
	return c
}

func holder(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	lease, err := client.CoordinationV1().Leases("dns").Get(context.Background(), "zonekeeper", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

// A stopped leader gives up its Lease only once its term's work is done, and the
// standby then leads without waiting out the lease duration's worth of retries.
func TestLeaseElectorHandsOverOnlyAfterTheTerm(t *testing.T) {
	client := fake.NewClientset()
	a := campaign(t, client, "a")
	<-a.leading
	b := campaign(t, client, "b")

	a.stop()
	<-a.termDone
	// While a still finishes its zone, the Lease stays a's and b stands by. The wait
	// gives b many retries to misbehave in; it measures nothing.
	for range 10 {
		time.Sleep(fastLease("").RetryPeriod)
		select {
		case <-b.leading:
			t.Fatal("b leads while a still finishes its term")
		default:
		}
		if h := holder(t, client); h != "a" {
			t.Fatalf("the Lease is held by %q while a still finishes its term, want a", h)
		}
	}
	close(a.finish)
	<-a.returned
	if a.err != nil {
		t.Errorf("a's Campaign returned %v, want nil", a.err)
	}
	<-b.leading
	if h := holder(t, client); h != "b" {
		t.Errorf("the Lease is held by %q, want b", h)
	}
}

// TestLeaseElectorEndsTheTermWhenRenewalsStop: with the API server hanging, client-go
// never gets to end the term itself; the term must still end once the Lease has gone a
// renew deadline without renewal, so that a leader cut off from the API server stops
// writing before its Lease can expire and a standby lead.
func TestLeaseElectorEndsTheTermWhenRenewalsStop(t *testing.T) {
	client := fake.NewClientset()
	hang := make(chan struct{})
	var hanging atomic.Bool
	// Installed before the campaign: the fake clientset's reactor chain may not change
	// while requests run.
	client.PrependReactor("*", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if !hanging.Load() {
			return false, nil, nil
		}
		<-hang
		return true, nil, errors.New("the API server went away")
	})
	a := campaign(t, client, "a")
	<-a.leading
	hanging.Store(true)
	// The bound only keeps a broken elector from hanging the test; the term ends after
	// about one renew deadline.
	select {
	case <-a.termDone:
	case <-time.After(10 * fastLease("").LeaseDuration):
		t.Error("the term did not end although the Lease was no longer renewed")
	}
	close(a.finish)
	close(hang)
}
