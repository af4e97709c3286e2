package route53

import (
	"fmt"
	"time"
)

// A change Route 53 rejected is not sent again before its backoff expires: first
// rejectBackoffMin, doubling with each further rejection up to rejectBackoffMax. Without
// it, every reconcile would spend bisecting calls on the same bad change, and the
// account's request budget with them.
const (
	rejectBackoffMin = time.Minute
	rejectBackoffMax = 30 * time.Minute
)

// rejection is what the provider remembers about one change Route 53 rejected.
type rejection struct {
	count   int       // rejections in a row
	message string    // Route 53's message at the last one
	at      time.Time // the last one
	until   time.Time // not sent again before
}

// rejectBackoff is the wait after the count-th rejection in a row.
func rejectBackoff(count int) time.Duration {
	if count > 6 {
		return rejectBackoffMax
	}
	return min(rejectBackoffMin<<(count-1), rejectBackoffMax)
}

// rejections holds the backoff state of rejected changes by change key (see changeKey):
// the exact content of the change, so that a change the planner alters (the object was
// fixed) is sent at once. Not safe for concurrent use; Provider guards it.
type rejections map[string]rejection

// blocked returns the reason key may not be sent at now, if it may not.
func (r rejections) blocked(key string, now time.Time) (error, bool) {
	st, ok := r[key]
	if !ok || !now.Before(st.until) {
		return nil, false
	}
	return fmt.Errorf("not sent: Route 53 rejected this change %d time(s) in a row, last at %s (%s); backing off until %s",
		st.count, st.at.UTC().Format(time.RFC3339), st.message, st.until.UTC().Format(time.RFC3339)), true
}

// reject records that Route 53 rejected key at now with message, and returns the error
// to report: the message and when the change will be tried again.
func (r rejections) reject(key, message string, now time.Time) error {
	st := r[key]
	st.count++
	st.message = message
	st.at = now
	st.until = now.Add(rejectBackoff(st.count))
	r[key] = st
	return fmt.Errorf("rejected by Route 53: %s (rejection %d in a row; not retried before %s)", message, st.count, st.until.UTC().Format(time.RFC3339))
}

// forget drops the state of entries that expired more than rejectBackoffMax before now:
// their changes are no longer planned, or a new rejection would start over anyway.
func (r rejections) forget(now time.Time) {
	for k, st := range r {
		if now.Sub(st.until) > rejectBackoffMax {
			delete(r, k)
		}
	}
}
