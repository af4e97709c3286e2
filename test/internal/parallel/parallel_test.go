package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestForEach(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		workers int
		fail    func(i int) bool
		wantErr string
	}{
		{"all succeed", 100, 16, func(int) bool { return false }, ""},
		{"one worker", 10, 1, func(int) bool { return false }, ""},
		{"more workers than calls", 3, 32, func(int) bool { return false }, ""},
		{"none", 0, 4, func(int) bool { return true }, ""},
		{"failures are counted and the first quoted", 100, 16, func(i int) bool { return i%10 == 3 }, "10 of 100 calls failed, the first: call 3"},
		{"every call fails", 5, 2, func(int) bool { return true }, "5 of 5 calls failed, the first: call 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[int]int{}
			err := ForEach(t.Context(), tc.n, tc.workers, func(i int) error {
				mu.Lock()
				seen[i]++
				mu.Unlock()
				if tc.fail(i) {
					return fmt.Errorf("call %d", i)
				}
				return nil
			})
			if len(seen) != tc.n {
				t.Errorf("%d distinct indexes called, want %d", len(seen), tc.n)
			}
			for i, calls := range seen {
				if i < 0 || i >= tc.n || calls != 1 {
					t.Errorf("f(%d) called %d times, want once and 0 ≤ i < %d", i, calls, tc.n)
				}
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestForEachWrapsTheFirstError(t *testing.T) {
	sentinel := errors.New("sentinel")
	err := ForEach(t.Context(), 10, 3, func(i int) error {
		if i == 4 {
			return sentinel
		}
		return nil
	})
	if !errors.Is(err, sentinel) {
		t.Errorf("error = %v, want one wrapping %v", err, sentinel)
	}
}

func TestForEachBoundsConcurrency(t *testing.T) {
	const workers = 4
	var running, most atomic.Int64
	err := ForEach(t.Context(), 200, workers, func(int) error {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			seen := most.Load()
			if now <= seen || most.CompareAndSwap(seen, now) {
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := most.Load(); got > workers {
		t.Errorf("%d calls ran at once, want at most %d", got, workers)
	}
}

func TestForEachStopsWithContext(t *testing.T) {
	cause := errors.New("test over")
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(cause)
	var calls atomic.Int64
	err := ForEach(ctx, 1000, 8, func(int) error { calls.Add(1); return nil })
	if !errors.Is(err, cause) {
		t.Errorf("error = %v, want the context's cause %v", err, cause)
	}
	if calls.Load() != 0 {
		t.Errorf("%d calls after the context ended, want 0", calls.Load())
	}
}

func TestForEachStopsMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const stopAt = 10
	var calls atomic.Int64
	err := ForEach(ctx, 1000, 1, func(i int) error {
		calls.Add(1)
		if i == stopAt {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	// With one worker, at most the index already handed over when f(stopAt) cancels runs.
	if got := calls.Load(); got < stopAt+1 || got > stopAt+2 {
		t.Errorf("%d calls, want %d or %d: the rest must not start once ctx ends", got, stopAt+1, stopAt+2)
	}
}

func TestForEachRejectsNoWorkers(t *testing.T) {
	for _, workers := range []int{0, -1} {
		called := false
		err := ForEach(t.Context(), 5, workers, func(int) error { called = true; return nil })
		if err == nil || called {
			t.Errorf("ForEach with %d workers: error %v, called %v; want an error and no call", workers, err, called)
		}
	}
}
