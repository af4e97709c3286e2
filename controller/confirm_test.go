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

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/source"
)

// TestPendingDeletionsObserve runs the confirmation rule alone, reconcile by reconcile,
// with a 10-minute wait and two full reads.
func TestPendingDeletionsObserve(t *testing.T) {
	type step struct {
		at      time.Duration // since the start
		full    bool
		deletes string // names planned for deletion beyond the budget, space-separated
		// wantConfirmed are the names confirmed; the others must wait.
		wantConfirmed string
	}
	budget := DeletionBudget{MaxDeletions: 1, ConfirmAfter: 10 * time.Minute, ConfirmFullReads: 2}
	tests := []struct {
		name   string
		budget DeletionBudget
		steps  []step
	}{
		{"confirmed after the wait and two full reads", budget, []step{
			{0, false, "a b", ""},
			{time.Minute, true, "a b", ""},
			{9*time.Minute + 59*time.Second, true, "a b", ""},
			{10 * time.Minute, false, "a b", "a b"},
		}},
		{"the wait alone is not enough", budget, []step{
			{0, false, "a b", ""},
			{11 * time.Minute, true, "a b", ""},
			{12 * time.Minute, false, "a b", ""},
			{13 * time.Minute, true, "a b", "a b"},
		}},
		{"full reads alone are not enough", budget, []step{
			{0, true, "a", ""},
			{time.Minute, true, "a", ""},
			{2 * time.Minute, true, "a", ""},
			{10 * time.Minute, true, "a", "a"},
		}},
		{"a record wanted again starts over", budget, []step{
			{0, true, "a b", ""},
			{5 * time.Minute, true, "a", ""},
			{6 * time.Minute, true, "a b", ""},
			{10 * time.Minute, true, "a b", "a"},
			{15 * time.Minute, true, "a b", "a"},
			{16 * time.Minute, true, "a b", "a b"},
		}},
		{"records that join later wait on their own", budget, []step{
			{0, true, "a", ""},
			{9 * time.Minute, true, "a b c", ""},
			{10 * time.Minute, true, "a b c", "a"},
			{19 * time.Minute, true, "b c", "b c"},
		}},
		{"a confirmed deletion that is planned again is confirmed again", budget, []step{
			{0, true, "a", ""},
			{10 * time.Minute, true, "a", "a"},
			{11 * time.Minute, false, "a", "a"},
		}},
		{"never confirm", DeletionBudget{MaxDeletions: 1}, []step{
			{0, true, "a", ""},
			{time.Hour, true, "a", ""},
			{100 * time.Hour, true, "a", ""},
		}},
		{"default full reads", DeletionBudget{ConfirmAfter: time.Minute}, []step{
			{0, false, "a", ""},
			{time.Minute, true, "a", ""},
			{2 * time.Minute, true, "a", "a"},
		}},
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p pendingDeletions
			for i, s := range tt.steps {
				var deletes []*endpoint.Endpoint
				for _, n := range strings.Fields(s.deletes) {
					deletes = append(deletes, rec(n+".example.com", endpoint.RecordTypeA, 0, "192.0.2.1"))
				}
				now := start.Add(s.at)
				confirmed, waiting, states := p.observe("example.com", deletes, s.full, now, tt.budget)
				if got, want := names(confirmed), strings.Fields(s.wantConfirmed); !slices.Equal(got, want) {
					t.Errorf("step %d (%s): confirmed %q, want %q", i, s.at, got, want)
				}
				if len(confirmed)+len(waiting) != len(deletes) {
					t.Errorf("step %d: %d confirmed and %d waiting of %d", i, len(confirmed), len(waiting), len(deletes))
				}
				if tt.budget.ConfirmAfter == 0 {
					if states != nil || len(p.zones) != 0 {
						t.Errorf("step %d: without confirmation, states %v and memory %v, want none", i, states, p.zones)
					}
					continue
				}
				for j, st := range states {
					if st.Since.After(now) || !st.ConfirmAt.Equal(st.Since.Add(tt.budget.ConfirmAfter)) ||
						st.FullReadsNeeded != tt.budget.confirmFullReads() {
						t.Errorf("step %d: %s waits with %+v", i, waiting[j].DNSName, st)
					}
				}
			}
		})
	}
}

func names(eps []*endpoint.Endpoint) []string {
	out := []string{}
	for _, e := range eps {
		out = append(out, strings.TrimSuffix(e.DNSName, ".example.com"))
	}
	return out
}

// The deletion tests' zone example.com holds an A record per Service web-<i>.
func webName(i int) string { return fmt.Sprintf("web-%d.example.com", i) }
func webIP(i int) string   { return fmt.Sprintf("192.0.2.%d", i+1) }

// keepingWeb is the source result of Services web-0 … web-(n-1), each asking for its
// record.
func keepingWeb(n int) source.Result {
	var r source.Result
	for i := range n {
		r.Endpoints = append(r.Endpoints, wanted(svc(fmt.Sprintf("web-%d", i)), webName(i), endpoint.RecordTypeA, 0, webIP(i)))
	}
	return r
}

// seedWeb returns the records of Services web-0 … web-(n-1), with their ownership
// records, as a zone holds them.
func seedWeb(t *testing.T, n int) []*endpoint.Endpoint {
	var out []*endpoint.Endpoint
	for i := range n {
		out = append(out, ownedBy(t, ourOwner, fmt.Sprintf("service/ns/web-%d", i), rec(webName(i), endpoint.RecordTypeA, 0, webIP(i)))...)
	}
	return out
}

// stepSource is a source whose answer a test changes between reconciles.
type stepSource struct {
	result source.Result
	err    error
}

func (s *stepSource) Endpoints(context.Context) (source.Result, error) { return s.result, s.err }

// TestDeletionConfirmation runs a zone owning 20 records with a budget of 5 deletions,
// confirmed after 10 minutes and two full reads, through reconciles at chosen times:
// deletions over the budget are carried out once confirmed, and anything that breaks
// the wait delays them.
func TestDeletionConfirmation(t *testing.T) {
	const owned = 20
	// The actions of a step.
	const (
		full       = "full"         // RunOnce
		changed    = "changed"      // RunChanged
		sourceErr  = "source error" // RunOnce with a source failing
		zoneErr    = "zone error"   // RunOnce with the zone unreadable
		newTerm    = "new term"     // the daemon starts to lead anew, then RunOnce
		keepAll    = owned
		keepHalf   = owned / 2
		keepNone   = 0
		confirm10m = 10 * time.Minute
	)
	type step struct {
		at     time.Duration
		action string
		keep   int // Services web-0 … web-(keep-1) are wanted
		// wantDeleted is how many records this reconcile deletes; wantWaiting how many
		// deletions wait for confirmation after it.
		wantDeleted, wantWaiting int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"deleted once confirmed", []step{
			{0, changed, keepHalf, 0, 10},
			{time.Minute, full, keepHalf, 0, 10},
			{5 * time.Minute, full, keepHalf, 0, 10},
			{10 * time.Minute, changed, keepHalf, 10, 0},
			{11 * time.Minute, full, keepHalf, 0, 0},
		}},
		{"a glitch that reverts deletes nothing", []step{
			{0, full, keepNone, 0, 20},
			{5 * time.Minute, full, keepAll, 0, 0},
			{6 * time.Minute, changed, keepNone, 0, 20},
			{10 * time.Minute, full, keepNone, 0, 20},
			{15 * time.Minute, full, keepNone, 0, 20},
			{16 * time.Minute, full, keepNone, 20, 0},
		}},
		{"back within the budget: deleted at once, the wait dropped", []step{
			{0, full, keepHalf, 0, 10},
			{5 * time.Minute, full, owned - 3, 3, 0},
			{6 * time.Minute, full, keepHalf, 0, 7},
			{15 * time.Minute, full, keepHalf, 0, 7},
			{16 * time.Minute, full, keepHalf, 7, 0},
		}},
		{"a source error restarts the wait", []step{
			{0, full, keepHalf, 0, 10},
			{9 * time.Minute, sourceErr, keepHalf, 0, 0},
			{10 * time.Minute, full, keepHalf, 0, 10},
			{19 * time.Minute, full, keepHalf, 0, 10},
			{20 * time.Minute, full, keepHalf, 10, 0},
		}},
		{"an unreadable zone restarts the wait", []step{
			{0, full, keepHalf, 0, 10},
			{9 * time.Minute, zoneErr, keepHalf, 0, 0},
			{10 * time.Minute, full, keepHalf, 0, 10},
			{19 * time.Minute, full, keepHalf, 0, 10},
			{20 * time.Minute, full, keepHalf, 10, 0},
		}},
		{"a new term restarts the wait", []step{
			{0, full, keepHalf, 0, 10},
			{9 * time.Minute, full, keepHalf, 0, 10},
			{10 * time.Minute, newTerm, keepHalf, 0, 10},
			{20 * time.Minute, full, keepHalf, 10, 0},
		}},
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := seedWeb(t, owned)
			p := &faultyProvider{Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": seed})}
			src, failing := &stepSource{}, &stepSource{}
			c := newController(t, p, Config{Policy: plan.PolicySync,
				Budget: DeletionBudget{MaxDeletions: 5, ConfirmAfter: confirm10m, ConfirmFullReads: 2}}, src, failing)
			var now time.Time
			c.clock = func() time.Time { return now }
			d := NewDaemon(c, DaemonConfig{}, nil, nil)
			left := owned
			for i, s := range tt.steps {
				now = start.Add(s.at)
				src.result = keepingWeb(s.keep)
				failing.err, p.unreadable = nil, ""
				run := c.RunOnce
				switch s.action {
				case changed:
					run = c.RunChanged
				case sourceErr:
					failing.err = errors.New("informer not synced")
				case zoneErr:
					p.unreadable = "example.com"
				case newTerm:
					ctx, cancel := context.WithCancel(context.Background())
					cancel()
					d.loop(ctx) // starts the term, and stops it at once
				}
				rep, err := run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				_, _, deleted := rep.ChangeCount()
				waiting := rep.Zones[0].pendingConfirmation()
				wantConfirmed := 0
				if s.wantDeleted > 5 {
					wantConfirmed = s.wantDeleted
				}
				if deleted != s.wantDeleted || waiting != s.wantWaiting || len(rep.Zones[0].Confirmed) != wantConfirmed {
					t.Errorf("step %d (%s at %s): %d deleted (%d confirmed), %d waiting; want %d deleted, %d waiting",
						i, s.action, s.at, deleted, len(rep.Zones[0].Confirmed), waiting, s.wantDeleted, s.wantWaiting)
				}
				left -= deleted
				if got := len(records(t, p.Provider, "example.com")); got != 2*left {
					t.Errorf("step %d: zone holds %d records, want %d", i, got, 2*left)
				}
			}
		})
	}
}

// TestDeletionConfirmationMetrics: the gauge shows the deletions waiting, the counter
// those confirmed.
func TestDeletionConfirmationMetrics(t *testing.T) {
	var seed []*endpoint.Endpoint
	for i := range 10 {
		seed = append(seed, ownedBy(t, ourOwner, fmt.Sprintf("service/ns/web-%d", i), rec(fmt.Sprintf("web-%d.example.com", i), endpoint.RecordTypeA, 0, "192.0.2.1"))...)
	}
	p := seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": seed})
	c := newController(t, p, Config{Policy: plan.PolicySync, Budget: DeletionBudget{MaxDeletions: 5, ConfirmAfter: time.Minute}}, fixedSource{})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.clock = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	d := NewDaemon(c, DaemonConfig{}, NewMetrics(reg), nil)
	metrics := []string{"zonekeeper_deletions_pending_confirmation", "zonekeeper_deletions_confirmed_total"}

	d.reconcile(context.Background())
	d.reconcile(context.Background())
	if got, want := samples(t, reg, metrics...), []string{`zonekeeper_deletions_pending_confirmation{zone="example.com"} 10`}; !slices.Equal(got, want) {
		t.Errorf("while waiting: %q, want %q", got, want)
	}
	now = now.Add(time.Minute)
	d.reconcile(context.Background())
	want := []string{`zonekeeper_deletions_confirmed_total{zone="example.com"} 10`, `zonekeeper_deletions_pending_confirmation{zone="example.com"} 0`}
	if got := samples(t, reg, metrics...); !slices.Equal(got, want) {
		t.Errorf("once confirmed: %q, want %q", got, want)
	}
}

// TestDeletionBudgetWindow deletes a zone's objects a few at a time, each burst its own
// event reconcile, as a custom resource definition's removal or a source emptying
// object by object arrives: with a window, the budget counts the deletions already made
// in it, so the bursts together cannot delete more than the budget allows.
func TestDeletionBudgetWindow(t *testing.T) {
	const owned = 20
	type step struct {
		at                       time.Duration
		keep                     int
		wantDeleted, wantWaiting int
	}
	tests := []struct {
		name   string
		window time.Duration
		steps  []step
	}{
		{"bursts over the budget wait", time.Minute, []step{
			{0, 17, 3, 0},
			{time.Second, 15, 2, 0},
			{2 * time.Second, 13, 0, 2},
			{3 * time.Second, 10, 0, 5},
			// The window has let go of the first two bursts: the five fit again.
			{61 * time.Second, 10, 5, 0},
			// Those five count in turn.
			{62 * time.Second, 9, 0, 1},
			{121 * time.Second, 9, 1, 0},
		}},
		{"within the budget, bursts go at once", time.Minute, []step{
			{0, 18, 2, 0},
			{time.Second, 16, 2, 0},
			{2 * time.Second, 15, 1, 0},
		}},
		{"without a window each reconcile has the whole budget", 0, []step{
			{0, 17, 3, 0},
			{time.Second, 15, 2, 0},
			{2 * time.Second, 13, 2, 0},
			{3 * time.Second, 10, 3, 0},
		}},
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seed := seedWeb(t, owned)
			p := seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": seed})
			src := &stepSource{result: keepingWeb(owned)}
			c := newController(t, p, Config{Policy: plan.PolicySync,
				Budget: DeletionBudget{MaxDeletions: 5, Window: tt.window, ConfirmAfter: 10 * time.Minute}}, src)
			var now time.Time
			c.clock = func() time.Time { return now }
			now = start.Add(-time.Hour)
			if _, err := c.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			left := owned
			for i, s := range tt.steps {
				now = start.Add(s.at)
				src.result = keepingWeb(s.keep)
				rep, err := c.RunChanged(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				_, _, deleted := rep.ChangeCount()
				waiting := rep.Zones[0].pendingConfirmation()
				if deleted != s.wantDeleted || waiting != s.wantWaiting {
					t.Errorf("step %d (at %s, keeping %d): %d deleted, %d waiting; want %d deleted, %d waiting",
						i, s.at, s.keep, deleted, waiting, s.wantDeleted, s.wantWaiting)
				}
				left -= deleted
				if got := len(records(t, p, "example.com")); got != 2*left {
					t.Errorf("step %d: zone holds %d records, want %d", i, got, 2*left)
				}
			}
		})
	}
}
