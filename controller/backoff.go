package controller

import (
	"fmt"
	"strings"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
)

// A change a provider refused is set aside: not sent again before its backoff expires,
// first RefusalBackoffMin, doubling with each further refusal in a row up to
// RefusalBackoffMax. Without it every reconcile would resend — and, with providers that
// bisect a rejected batch, spend several API calls isolating — the same bad change,
// against the service's rate limits, while it cannot succeed until someone fixes its
// object. Changes the planner alters (the object was fixed) are new changes and go at
// once; the other changes of the zone are never held up (safety: poison isolation).
const (
	RefusalBackoffMin = time.Minute
	RefusalBackoffMax = 30 * time.Minute
)

// refusal is what the controller remembers of one change a provider refused.
type refusal struct {
	count int       // refusals in a row
	last  string    // the provider's reason, the last time
	at    time.Time // the last time
	until time.Time // not sent again before
}

// refusalBackoff is the wait after the count-th refusal in a row.
func refusalBackoff(count int) time.Duration {
	if count > 6 {
		return RefusalBackoffMax
	}
	return min(RefusalBackoffMin<<(count-1), RefusalBackoffMax)
}

// refusals holds the backoff state of refused changes by refusalKey. Owned by one
// Controller, whose reconciles do not overlap.
type refusals map[string]refusal

// refusalKey identifies a change by its zone, the exact content of its main record, and
// which ownership records travel with it. Ownership values are left out: encrypted ones
// are sealed afresh, with a new nonce, every time they are planned.
func refusalKey(zone provider.Zone, c provider.Change) string {
	var b strings.Builder
	b.WriteString(zone.ID)
	for i, rc := range c.Records {
		b.WriteString("\x00")
		if i != c.Primary {
			e := rc.Endpoint()
			fmt.Fprintf(&b, "%s %s %s", rc.Op, e.DNSName, e.RecordType)
			continue
		}
		b.WriteString(rc.String())
		if e := rc.Endpoint(); len(e.ProviderSpecific) > 0 {
			fmt.Fprintf(&b, " %q", e.ProviderSpecific)
		}
	}
	return b.String()
}

// setAside splits changes into those that may be sent at now and those still backing
// off, the latter as failures saying why.
func (r refusals) setAside(zone provider.Zone, changes []provider.Change, now time.Time) (ready []provider.Change, waiting []provider.ChangeError) {
	if len(r) == 0 {
		return changes, nil
	}
	for _, c := range changes {
		st, ok := r[refusalKey(zone, c)]
		if !ok || !now.Before(st.until) {
			ready = append(ready, c)
			continue
		}
		waiting = append(waiting, provider.ChangeError{Change: c, Err: fmt.Errorf(
			"set aside: refused %d time(s) in a row, last at %s (%s); not sent again before %s",
			st.count, st.at.UTC().Format(time.RFC3339), st.last, st.until.UTC().Format(time.RFC3339))})
	}
	return ready, waiting
}

// record notes the outcome of one Apply at now: the refused changes back off longer, the
// applied ones are forgotten, and those without an answer (unknown, not attempted) keep
// what they had. Entries whose backoff ended long ago are dropped too: their changes are
// no longer planned.
func (r refusals) record(zone provider.Zone, outcome provider.Outcome, now time.Time) []provider.ChangeError {
	for k, st := range r {
		if now.Sub(st.until) > RefusalBackoffMax {
			delete(r, k)
		}
	}
	if len(r) > 0 {
		for _, c := range outcome.Applied {
			delete(r, refusalKey(zone, c))
		}
	}
	out := make([]provider.ChangeError, len(outcome.Failed))
	for i, f := range outcome.Failed {
		key := refusalKey(zone, f.Change)
		st := r[key]
		st.count++
		st.last, st.at = f.Err.Error(), now
		st.until = now.Add(refusalBackoff(st.count))
		r[key] = st
		out[i] = provider.ChangeError{Change: f.Change, Err: fmt.Errorf("%w (refusal %d in a row; set aside until %s)",
			f.Err, st.count, st.until.UTC().Format(time.RFC3339))}
	}
	return out
}
