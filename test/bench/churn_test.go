package bench

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestChurnPeriod(t *testing.T) {
	for _, tc := range []struct {
		rate    float64
		want    time.Duration
		wantErr bool
	}{
		{rate: 20, want: 50 * time.Millisecond},
		{rate: 1, want: time.Second},
		{rate: 0.5, want: 2 * time.Second},
		{rate: MinChurnRate, want: 1000 * time.Second},
		{rate: MaxChurnRate, want: time.Microsecond},
		{rate: 0, wantErr: true},
		{rate: -20, wantErr: true},
		{rate: math.NaN(), wantErr: true},
		{rate: math.Inf(1), wantErr: true},
		{rate: 1e-9, wantErr: true},
		{rate: 1e10, wantErr: true},
	} {
		got, err := churnPeriod(tc.rate)
		switch {
		case tc.wantErr && (err == nil || !strings.Contains(err.Error(), "churn rate")):
			t.Errorf("churnPeriod(%v) = %v, %v; want an error naming the churn rate", tc.rate, got, err)
		case !tc.wantErr && (err != nil || got != tc.want):
			t.Errorf("churnPeriod(%v) = %v, %v; want %v", tc.rate, got, err, tc.want)
		}
	}
}

func TestOtherIP(t *testing.T) {
	for current, want := range map[string]string{StatusIP: ChurnIP, ChurnIP: StatusIP, "": StatusIP, "198.51.100.7": StatusIP} {
		if got := otherIP(current); got != want {
			t.Errorf("otherIP(%q) = %q, want %q", current, got, want)
		}
	}
}

func TestChurnRate(t *testing.T) {
	for _, tc := range []struct {
		s    ChurnStats
		want float64
	}{
		{ChurnStats{Updates: 200, Elapsed: 10 * time.Second}, 20},
		{ChurnStats{Updates: 3, Elapsed: 2 * time.Second}, 1.5},
		{ChurnStats{}, 0},
	} {
		if got := tc.s.Rate(); got != tc.want {
			t.Errorf("%+v.Rate() = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// ticks returns a channel holding k ticks.
func ticks(k int) chan time.Time {
	c := make(chan time.Time, k)
	for range k {
		c <- time.Time{}
	}
	return c
}

func TestChurnLoopOneUpdatePerTick(t *testing.T) {
	const k, n = 50, 7
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got []int
	updates, err := churnLoop(ctx, ticks(k), n, rand.New(rand.NewPCG(1, 0)), func(_ context.Context, i int) error {
		got = append(got, i)
		if len(got) == k {
			// No tick is left: the loop must now wait, and stop when ctx ends.
			cancel()
		}
		return nil
	})
	if err != nil || updates != k || len(got) != k {
		t.Fatalf("churnLoop = %d, %v after %d updates; want %d, nil", updates, err, len(got), k)
	}
	if slices.ContainsFunc(got, func(i int) bool { return i < 0 || i >= n }) {
		t.Errorf("indices %v: not all in 0 … %d", got, n-1)
	}
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(got)))); distinct < 2 {
		t.Errorf("indices %v: %d distinct, want the churn spread over the Ingresses", got, distinct)
	}
	// The same seed churns the same Ingresses: runs are comparable.
	var again []int
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	_, _ = churnLoop(ctx2, ticks(k), n, rand.New(rand.NewPCG(1, 0)), func(_ context.Context, i int) error {
		if again = append(again, i); len(again) == k {
			cancel2()
		}
		return nil
	})
	if !slices.Equal(got, again) {
		t.Errorf("seed 1 churned %v, then %v", got, again)
	}
}

func TestChurnLoopErrors(t *testing.T) {
	refused := errors.New("update refused")
	t.Run("an update error ends the churn", func(t *testing.T) {
		calls := 0
		updates, err := churnLoop(t.Context(), ticks(10), 3, rand.New(rand.NewPCG(2, 0)), func(context.Context, int) error {
			if calls++; calls == 3 {
				return refused
			}
			return nil
		})
		if !errors.Is(err, refused) || updates != 2 {
			t.Errorf("churnLoop = %d, %v; want 2, %v", updates, err, refused)
		}
	})
	t.Run("an update cut by the end of ctx is no error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		updates, err := churnLoop(ctx, ticks(10), 3, rand.New(rand.NewPCG(3, 0)), func(ctx context.Context, _ int) error {
			cancel()
			<-ctx.Done()
			// As client-go reports it: not always wrapping ctx's error.
			return errors.New("client rate limiter Wait returned an error: context canceled")
		})
		if err != nil || updates != 0 {
			t.Errorf("churnLoop = %d, %v; want 0, nil", updates, err)
		}
	})
}

func TestStartChurnRefusesBadInput(t *testing.T) {
	noop := func(context.Context, int) error { return nil }
	for _, tc := range []struct {
		rate float64
		n    int
		want string
	}{
		{0, 10, "churn rate 0"},
		{20, 0, "churn over 0 Ingresses"},
	} {
		if c, err := StartChurn(t.Context(), tc.rate, tc.n, 1, noop, func(error) {}); err == nil || !strings.Contains(err.Error(), tc.want) {
			if c != nil {
				c.Stop()
			}
			t.Errorf("StartChurn(rate %v, n %d) error = %v, want one containing %q", tc.rate, tc.n, err, tc.want)
		}
	}
}

// TestStartChurnNoBurst runs a real churn whose first update stalls for forty periods.
// A ticker keeps at most one tick a slow receiver missed, so in the window of four
// periods after the stall at most that tick and the five that can fire in the window
// start updates, however late the goroutine runs (a late start only moves an update
// out of the window); a loop that caught up on the missed ticks would start about
// forty there.
func TestStartChurnNoBurst(t *testing.T) {
	const rate, stall, window = 200, 40, 4
	period := time.Second / rate
	var (
		mu       sync.Mutex
		starts   []time.Time
		stallEnd time.Time
	)
	enough := make(chan struct{})
	c, err := StartChurn(t.Context(), rate, 100, 4, func(ctx context.Context, i int) error {
		now := time.Now()
		mu.Lock()
		starts = append(starts, now)
		k := len(starts)
		mu.Unlock()
		switch {
		case k == 1:
			time.Sleep(stall * period)
			mu.Lock()
			stallEnd = time.Now()
			mu.Unlock()
		case now.Sub(starts[0]) > (stall+2*window)*period:
			close(enough)
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}, func(err error) { t.Errorf("churn failed: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	<-enough
	stats, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if stats.Updates+1 != len(starts) {
		// The last call, cut by Stop, is not an update made.
		t.Errorf("Stop reports %d updates; the update func ran %d times", stats.Updates, len(starts))
	}
	if limit := int(stats.Elapsed/period) + 1; stats.Updates > limit {
		t.Errorf("%d updates in %v: more than the %d ticks of %v that fit", stats.Updates, stats.Elapsed, limit, period)
	}
	inWindow := 0
	for _, s := range starts[1:] {
		if !s.After(stallEnd.Add(window * period)) {
			inWindow++
		}
	}
	if limit := 1 + window + 1; inWindow > limit {
		t.Errorf("%d updates started within %v after a stall of %v: at most %d fit at %d/s; starts %v", inWindow, window*period, stall*period, limit, rate, starts)
	}
}
