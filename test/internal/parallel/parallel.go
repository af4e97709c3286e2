// Package parallel runs the many independent calls tests make to load a server, a
// bounded number at a time.
package parallel

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// ForEach calls f(0) … f(n−1) on workers goroutines, each index once, and returns once
// every call made has returned. Once ctx ends, the calls not yet started are not made;
// calls already running are not interrupted, so f should honour ctx itself.
//
// The error counts the calls that failed and wraps the one of the lowest index, rather
// than quoting thousands of alike messages; failing that, it is context.Cause(ctx) if
// ctx ended before every call was started. workers below 1 is an error, and no call is
// made.
func ForEach(ctx context.Context, n, workers int, f func(i int) error) error {
	if workers < 1 {
		return fmt.Errorf("parallel.ForEach: %d workers, want at least 1", workers)
	}
	next := make(chan int)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				errs[i] = f(i)
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	failed := slices.DeleteFunc(errs, func(err error) bool { return err == nil })
	switch {
	case len(failed) > 0:
		return fmt.Errorf("%d of %d calls failed, the first: %w", len(failed), n, failed[0])
	case ctx.Err() != nil:
		return context.Cause(ctx)
	}
	return nil
}
