package controller

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// EventLimits bound the Events an EventLimiter passes on. Zero fields take the defaults
// below.
type EventLimits struct {
	// Repeat is the least time between two passes of the same message for the same object
	// and reason. The default, DefaultEventRepeat, is below client-go's 6-minute series
	// window: a standing problem, reported every reconcile, stays one Event whose count
	// rises and whose expiry the broadcaster keeps putting off, at no API request between
	// its 30-minute refreshes.
	Repeat time.Duration
	// ObjectBurst Events may pass for one object at once, then one per ObjectEvery: an
	// object that flaps cannot fill its event list nor eat the whole budget.
	ObjectBurst int
	ObjectEvery time.Duration
	// Burst Events may pass at once in all, then PerSecond a second: the bound on what an
	// event storm costs the API server.
	Burst     int
	PerSecond float64
}

// The defaults of EventLimits.
const (
	DefaultEventRepeat      = 5 * time.Minute
	DefaultEventObjectBurst = 5
	DefaultEventObjectEvery = time.Minute
	DefaultEventBurst       = 200
	DefaultEventPerSecond   = 5
)

// The results of EventLimiter.Event, as the "result" label of zonekeeper_events_total says
// them.
const (
	eventEmitted     = "emitted"
	eventRepeat      = "repeat"
	eventRateLimited = "rate_limited"
)

// EventLimiter is a Recorder that passes Events on to another one, leaving out repeats and
// what exceeds its rate limits (EventLimits): the reconcile reports every standing problem
// every time, and must not write an Event for it every time.
//
// An Event passes when its object and reason had no Event with the same message within
// Repeat, and both its object's limit and the overall limit have a token left; one that
// does not pass is dropped, not queued. A changed message passes at once, limits
// allowing, so a record that moves is told at once. A dropped warning comes again with
// the next reconcile that finds the problem; a dropped RecordReady, RecordDeleted or
// RecordError does not, which is the price of the bound.
//
// An EventLimiter is safe for concurrent use.
type EventLimiter struct {
	next    Recorder
	limits  EventLimits
	metrics *Metrics
	now     func() time.Time

	mu        sync.Mutex
	last      map[eventKey]passed
	perObject map[endpoint.ObjectRef]*rate.Limiter
	overall   *rate.Limiter
	pruned    time.Time
}

// passed is the last Event that passed for an object and reason.
type passed struct {
	message string
	at      time.Time
}

// NewEventLimiter returns an EventLimiter passing Events on to next. m may be nil (no
// metrics).
func NewEventLimiter(next Recorder, limits EventLimits, m *Metrics) *EventLimiter {
	if limits.Repeat <= 0 {
		limits.Repeat = DefaultEventRepeat
	}
	if limits.ObjectBurst <= 0 {
		limits.ObjectBurst = DefaultEventObjectBurst
	}
	if limits.ObjectEvery <= 0 {
		limits.ObjectEvery = DefaultEventObjectEvery
	}
	if limits.Burst <= 0 {
		limits.Burst = DefaultEventBurst
	}
	if limits.PerSecond <= 0 {
		limits.PerSecond = DefaultEventPerSecond
	}
	return &EventLimiter{
		next:      next,
		limits:    limits,
		metrics:   m,
		now:       time.Now,
		last:      map[eventKey]passed{},
		perObject: map[endpoint.ObjectRef]*rate.Limiter{},
		overall:   rate.NewLimiter(rate.Limit(limits.PerSecond), limits.Burst),
	}
}

// Event passes the Event on to the next Recorder unless it is a repeat or over a limit.
func (l *EventLimiter) Event(ref endpoint.ObjectRef, eventType EventType, reason, message string) {
	result := l.admit(ref, reason, message)
	l.metrics.observeEvent(reason, result)
	if result == eventEmitted {
		l.next.Event(ref, eventType, reason, message)
	}
}

// admit decides on one Event and, when it passes, takes its tokens and remembers it.
func (l *EventLimiter) admit(ref endpoint.ObjectRef, reason, message string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	k := eventKey{ref, reason}
	if last, ok := l.last[k]; ok && last.message == message && now.Sub(last.at) < l.limits.Repeat {
		return eventRepeat
	}
	object := l.perObject[ref]
	if object == nil {
		object = rate.NewLimiter(rate.Every(l.limits.ObjectEvery), l.limits.ObjectBurst)
		l.perObject[ref] = object
	}
	// Both limits are checked before either is charged, so that an Event dropped by one
	// costs the other nothing.
	if object.TokensAt(now) < 1 || l.overall.TokensAt(now) < 1 {
		return eventRateLimited
	}
	object.AllowN(now, 1)
	l.overall.AllowN(now, 1)
	l.last[k] = passed{message: message, at: now}
	return eventEmitted
}

// prune forgets, once per Repeat, what no longer decides anything: Events that passed
// Repeat ago or more (their repeat passes anyway) and full object limits (a new one is
// as full). Objects long deleted thus cost no memory.
func (l *EventLimiter) prune(now time.Time) {
	if now.Sub(l.pruned) < l.limits.Repeat {
		return
	}
	l.pruned = now
	for k, p := range l.last {
		if now.Sub(p.at) >= l.limits.Repeat {
			delete(l.last, k)
		}
	}
	for ref, lim := range l.perObject {
		if lim.TokensAt(now) >= float64(l.limits.ObjectBurst) {
			delete(l.perObject, ref)
		}
	}
}
