package batch_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/batch"
)

// service is a fake service that applies each request atomically. It refuses a request
// holding a refused index, fails request number failAt (from 1) without an answer, or
// notSent before sending it, and cuts pause number failSleep short.
type service struct {
	refuse                     map[int]bool
	failAt, notSent, failSleep int
	requests                   [][]int // indexes of each request, in order
	applied                    []int
	sleeps                     int
}

func (s *service) send(_ context.Context, units []batch.Unit[int]) error {
	var idx []int
	for _, u := range units {
		idx = append(idx, u.Index)
	}
	s.requests = append(s.requests, idx)
	switch len(s.requests) {
	case s.notSent:
		return batch.NotSent(errors.New("no server reachable"))
	case s.failAt:
		return errors.New("connection reset")
	}
	for _, i := range idx {
		if s.refuse[i] {
			return batch.Refused(fmt.Errorf("refused because of %d", i))
		}
	}
	s.applied = append(s.applied, idx...)
	return nil
}

func (s *service) sleep(ctx context.Context, d time.Duration) error {
	if d != time.Second {
		return fmt.Errorf("asked to sleep %s", d)
	}
	s.sleeps++
	if s.sleeps == s.failSleep {
		return context.DeadlineExceeded
	}
	return ctx.Err()
}

// changeSet is n Changes, one create each.
func changeSet(n int) []provider.Change {
	out := make([]provider.Change, n)
	for i := range out {
		out[i] = provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: endpoint.New(fmt.Sprintf("h%d.example.com", i), "A", 0, "192.0.2.1")}}}
	}
	return out
}

// positions maps changes of a list back to their indexes in all, by their first record.
func positions(all, list []provider.Change) []int {
	var out []int
	for _, c := range list {
		out = append(out, slices.IndexFunc(all, func(a provider.Change) bool { return a.Records[0].New == c.Records[0].New }))
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestApply(t *testing.T) {
	tests := []struct {
		name string
		n    int
		// Every unit counts 1 against a limit of 4 but those in size.
		size       map[int]int
		refuse     []int
		malformed  []int // fail provider.CheckChange
		convertErr []int
		nothing    []int // ErrNothingToSend
		order      []int
		failAt     int
		notSentAt  int
		failSleep  int // the pause, from 1, that ends with an error
		cancelled  bool

		wantRequests                  [][]int
		wantFailed                    []int
		wantUnknown, wantNotAttempted []int
		wantStop                      string // "" when Apply must not stop
	}{
		{
			name:         "all applied",
			n:            8,
			wantRequests: [][]int{seq(0, 3), seq(4, 7)},
		},
		{
			name:         "one refused, isolated by bisection",
			n:            8,
			refuse:       []int{5},
			wantRequests: [][]int{seq(0, 3), seq(4, 7), {4, 5}, {4}, {5}, {6, 7}},
			wantFailed:   []int{5},
		},
		{
			name:   "refusals in both halves and next to each other",
			n:      8,
			refuse: []int{0, 3, 6, 7},
			wantRequests: [][]int{
				seq(0, 3), {0, 1}, {0}, {1}, {2, 3}, {2}, {3},
				seq(4, 7), {4, 5}, {6, 7}, {6}, {7},
			},
			wantFailed: []int{0, 3, 6, 7},
		},
		{
			name:             "stop mid-way",
			n:                12,
			failAt:           2,
			wantRequests:     [][]int{seq(0, 3), seq(4, 7)},
			wantUnknown:      seq(4, 7),
			wantNotAttempted: seq(8, 11),
			wantStop:         "connection reset",
		},
		{
			name:             "stop while bisecting",
			n:                12,
			refuse:           []int{1, 6},
			failAt:           6,
			wantRequests:     [][]int{seq(0, 3), {0, 1}, {0}, {1}, {2, 3}, seq(4, 7)},
			wantFailed:       []int{1},
			wantUnknown:      seq(4, 7),
			wantNotAttempted: seq(8, 11),
			wantStop:         "connection reset",
		},
		{
			name:             "stop in a refused request's half",
			n:                8,
			refuse:           []int{1},
			failAt:           3,
			wantRequests:     [][]int{seq(0, 3), {0, 1}, {0}},
			wantUnknown:      []int{0},
			wantNotAttempted: seq(1, 7),
			wantStop:         "connection reset",
		},
		{
			name:             "not sent",
			n:                12,
			notSentAt:        2,
			wantRequests:     [][]int{seq(0, 3), seq(4, 7)},
			wantNotAttempted: seq(4, 11),
			wantStop:         "no server reachable",
		},
		{
			name:         "too big alone",
			n:            8,
			size:         map[int]int{2: 5},
			wantRequests: [][]int{{0, 1, 3, 4}, seq(5, 7)},
			wantFailed:   []int{2},
		},
		{
			name:         "bigger units close a batch early",
			n:            6,
			size:         map[int]int{1: 3, 2: 2},
			wantRequests: [][]int{{0, 1}, {2, 3, 4}, {5}},
		},
		{
			name:         "checked and converted first",
			n:            8,
			malformed:    []int{1},
			convertErr:   []int{2},
			nothing:      []int{3, 7},
			wantRequests: [][]int{{0, 4, 5, 6}},
			wantFailed:   []int{1, 2},
		},
		{
			name:         "order",
			n:            8,
			order:        []int{7, 6, 5, 4, 3, 2, 1, 0},
			refuse:       []int{6},
			wantRequests: [][]int{{7, 6, 5, 4}, {7, 6}, {7}, {6}, {5, 4}, {3, 2, 1, 0}},
			wantFailed:   []int{6},
		},
		{
			name:             "pause cut short",
			n:                12,
			failSleep:        2,
			wantRequests:     [][]int{seq(0, 3), seq(4, 7)},
			wantNotAttempted: seq(8, 11),
			wantStop:         "deadline exceeded",
		},
		{
			name:             "context ended",
			n:                4,
			malformed:        []int{2},
			cancelled:        true,
			wantFailed:       []int{2},
			wantNotAttempted: []int{0, 1, 3},
			wantStop:         "context canceled",
		},
	}
	for _, tt := range tests {
		for _, pipelined := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/pipelined=%t", tt.name, pipelined), func(t *testing.T) {
				changes := changeSet(tt.n)
				for _, i := range tt.malformed {
					changes[i].Primary = 1
				}
				svc := &service{refuse: map[int]bool{}, failAt: tt.failAt, notSent: tt.notSentAt, failSleep: tt.failSleep}
				for _, i := range tt.refuse {
					svc.refuse[i] = true
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancelled {
					cancel()
				}
				err := batch.Apply(ctx, changes, batch.Config[int]{
					Zone:   "example.com",
					Prefix: "test: zone example.com",
					Order:  tt.order,
					Convert: func(c provider.Change) (int, error) {
						i := positions(changes, []provider.Change{c})[0]
						switch {
						case slices.Contains(tt.convertErr, i):
							return 0, fmt.Errorf("cannot convert %d", i)
						case slices.Contains(tt.nothing, i):
							return 0, batch.ErrNothingToSend
						case tt.size[i] > 0:
							return tt.size[i], nil
						}
						return 1, nil
					},
					Pack:      batch.Additive([]int{4}, func(size int) []int { return []int{size} }),
					TooBig:    func(u batch.Unit[int]) error { return fmt.Errorf("size %d", u.Wire) },
					Send:      svc.send,
					Interval:  time.Second,
					Sleep:     svc.sleep,
					Pipelined: pipelined,
				})

				if !slices.EqualFunc(svc.requests, tt.wantRequests, slices.Equal) {
					t.Errorf("requests %v, want %v", svc.requests, tt.wantRequests)
				}
				wantSleeps := max(len(tt.wantRequests)-1, 0)
				if tt.failSleep > 0 {
					wantSleeps = tt.failSleep
				}
				if svc.sleeps != wantSleeps {
					t.Errorf("%d pauses, want %d", svc.sleeps, wantSleeps)
				}
				if tt.wantStop == "" && tt.wantFailed == nil {
					if err != nil {
						t.Fatalf("Apply: %v, want nil", err)
					}
					return
				}
				var ae *provider.ApplyError
				if !errors.As(err, &ae) || ae.Zone != "example.com" {
					t.Fatalf("Apply: %v, want an *provider.ApplyError for example.com", err)
				}
				switch {
				case tt.wantStop == "" && ae.Stopped != nil:
					t.Errorf("stopped: %v", ae.Stopped)
				case tt.wantStop != "" && (ae.Stopped == nil || !strings.HasPrefix(ae.Stopped.Error(), "test: zone example.com: ") || !strings.Contains(ae.Stopped.Error(), tt.wantStop)):
					t.Errorf("stopped: %v, want %q after the prefix", ae.Stopped, tt.wantStop)
				}
				var failed []provider.Change
				for _, f := range ae.Failed {
					failed = append(failed, f.Change)
				}
				got := [][]int{positions(changes, failed), positions(changes, ae.Unknown), positions(changes, ae.NotAttempted)}
				want := [][]int{tt.wantFailed, tt.wantUnknown, tt.wantNotAttempted}
				for k, what := range []string{"failed", "unknown", "not attempted"} {
					if !slices.Equal(got[k], want[k]) {
						t.Errorf("%s %v, want %v", what, got[k], want[k])
					}
				}

				// Accounting: what the error does not list is exactly what the service
				// applied and what needed nothing.
				listed := slices.Concat(got...)
				var unlisted []int
				for i := range changes {
					if !slices.Contains(listed, i) {
						unlisted = append(unlisted, i)
					}
				}
				held := slices.Sorted(slices.Values(slices.Concat(svc.applied, tt.nothing)))
				if !slices.Equal(unlisted, held) {
					t.Errorf("unlisted changes %v, but the service holds %v", unlisted, held)
				}
			})
		}
	}
}

// TestApplyMessages: a refused Change fails with the service's error, unwrapped; one
// failing CheckChange with that error; one too big with TooBig's.
func TestApplyMessages(t *testing.T) {
	changes := changeSet(3)
	changes[1] = provider.Change{Primary: 1, Records: changes[1].Records}
	svc := &service{refuse: map[int]bool{0: true}}
	err := batch.Apply(context.Background(), changes, batch.Config[int]{
		Convert: func(c provider.Change) (int, error) { return positions(changes, []provider.Change{c})[0], nil },
		Pack:    batch.Additive([]int{1}, func(i int) []int { return []int{i} }),
		Send:    svc.send,
	})
	failed := provider.FailedChanges(err)
	if len(failed) != 3 {
		t.Fatalf("Apply: %v, want 3 failures", err)
	}
	want := []string{"refused because of 0", provider.CheckChange(changes[1]).Error(), "the change does not fit in one request"}
	for i, f := range failed {
		if f.Err.Error() != want[i] {
			t.Errorf("failure %d: %q, want %q", i, f.Err, want[i])
		}
	}
	if _, marked := failed[0].Err.(interface{ Unwrap() error }); marked {
		t.Errorf("the refusal keeps its marker: %T", failed[0].Err)
	}
}

// A Packer that leaves a unit out must not have its Change counted as applied.
func TestApplyPackerLeavesOut(t *testing.T) {
	changes := changeSet(3)
	svc := &service{}
	err := batch.Apply(context.Background(), changes, batch.Config[int]{
		Convert: func(provider.Change) (int, error) { return 1, nil },
		Pack: func(units iter.Seq[batch.Unit[int]], emit func([]batch.Unit[int]) bool) []batch.Unit[int] {
			for u := range units {
				if u.Index != 1 && !emit([]batch.Unit[int]{u}) {
					break
				}
			}
			return nil
		},
		Send: svc.send,
	})
	var ae *provider.ApplyError
	if !errors.As(err, &ae) || ae.Stopped == nil || !slices.Equal(positions(changes, ae.NotAttempted), []int{1}) {
		t.Fatalf("Apply: %v, want a stop with change 1 not attempted", err)
	}
}

func TestAdditive(t *testing.T) {
	type size struct{ changes, chars, values int }
	for _, tc := range []struct {
		name   string
		units  []size
		want   [][]int // indexes per batch
		tooBig []int
	}{
		{"by changes, never split", []size{{2, 0, 0}, {2, 0, 0}, {2, 0, 0}, {1, 0, 0}}, [][]int{{0, 1}, {2, 3}}, nil},
		{"by chars", []size{{1, 60, 1}, {1, 60, 1}, {1, 40, 1}}, [][]int{{0}, {1, 2}}, nil},
		{"by values", []size{{1, 0, 6}, {1, 0, 6}}, [][]int{{0}, {1}}, nil},
		{"exactly full", []size{{4, 100, 10}, {1, 0, 0}}, [][]int{{0}, {1}}, nil},
		{"too big alone", []size{{5, 0, 0}, {1, 0, 0}, {1, 101, 0}}, [][]int{{1}}, []int{0, 2}},
		{"empty", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pack := batch.Additive([]int{4, 100, 10}, func(s size) []int { return []int{s.changes, s.chars, s.values} })
			units := func(yield func(batch.Unit[size]) bool) {
				for i, s := range tc.units {
					if !yield(batch.Unit[size]{Index: i, Wire: s}) {
						return
					}
				}
			}
			var got [][]int
			tooBig := pack(units, func(b []batch.Unit[size]) bool {
				var idx []int
				for _, u := range b {
					idx = append(idx, u.Index)
				}
				got = append(got, idx)
				return true
			})
			var big []int
			for _, u := range tooBig {
				big = append(big, u.Index)
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) || !slices.Equal(big, tc.tooBig) {
				t.Errorf("batches %v, too big %v; want %v, %v", got, big, tc.want, tc.tooBig)
			}
		})
	}
}

// Additive emits a batch as soon as the unit after it is drawn, and stops drawing when
// emit says stop.
func TestAdditiveDrawsOneAhead(t *testing.T) {
	drawn := 0
	units := func(yield func(batch.Unit[int]) bool) {
		for i := range 100 {
			drawn++
			if !yield(batch.Unit[int]{Index: i, Wire: 1}) {
				return
			}
		}
	}
	emitted := 0
	batch.Additive([]int{3}, func(w int) []int { return []int{w} })(units, func(b []batch.Unit[int]) bool {
		emitted++
		if drawn != 3*emitted+1 {
			t.Errorf("batch %d emitted after %d units drawn, want %d", emitted, drawn, 3*emitted+1)
		}
		return emitted < 2
	})
	if drawn != 7 {
		t.Errorf("%d units drawn, want 7", drawn)
	}
}
