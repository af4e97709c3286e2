package bench

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestForEach(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		fail    func(i int) bool
		wantErr string
	}{
		{"all succeed", 100, func(int) bool { return false }, ""},
		{"none", 0, func(int) bool { return true }, ""},
		{"failures are counted and the first quoted", 100, func(i int) bool { return i%10 == 3 }, "10 of 100 calls failed, the first: call 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			err := forEach(t.Context(), tc.n, func(i int) error {
				calls.Add(1)
				if tc.fail(i) {
					return fmt.Errorf("call %d", i)
				}
				return nil
			})
			if calls.Load() != int64(tc.n) {
				t.Errorf("%d calls, want %d", calls.Load(), tc.n)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestForEachStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var calls atomic.Int64
	err := forEach(ctx, 1000, func(int) error { calls.Add(1); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if calls.Load() != 0 {
		t.Errorf("%d calls after the context ended, want 0", calls.Load())
	}
}
