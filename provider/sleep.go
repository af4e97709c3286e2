package provider

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends, whichever comes first; it returns ctx.Err() in the
// second case, and at once when d is not positive and ctx has ended. Providers pace
// their requests with it (batch intervals, retry backoff, Retry-After) so that a
// shutdown never waits out a pause.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
