package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// limiterAt returns an EventLimiter over a fresh recorded, on a clock the test moves.
func limiterAt(limits EventLimits, m *Metrics) (*EventLimiter, *recorded, *time.Time) {
	rec := &recorded{}
	l := NewEventLimiter(rec, limits, m)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	return l, rec, &now
}

// TestEventLimiterRepeats: a steady state tells nothing new; a changed message is told at
// once; the same message again once Repeat has passed, which keeps the Event's series
// alive.
func TestEventLimiterRepeats(t *testing.T) {
	l, rec, now := limiterAt(EventLimits{}, nil)
	web := svc("web")
	tell := func(msg string) { l.Event(web, EventWarning, ReasonConflictLost, msg) }

	tell("lost to a")
	for range 100 {
		*now = now.Add(time.Second)
		tell("lost to a")
	}
	l.Event(web, EventNormal, ReasonRecordReady, "lost to a") // another reason is another Event
	if got := len(rec.events); got != 2 {
		t.Fatalf("one message told 101 times in 100 s, and another reason once: %d passed, want 2: %q", got, rec.lines())
	}
	tell("lost to b")
	tell("lost to a")
	if got := len(rec.events); got != 4 {
		t.Fatalf("after two changes of message: %d passed, want 4", got)
	}
	*now = now.Add(DefaultEventRepeat - time.Second)
	tell("lost to a")
	if got := len(rec.events); got != 4 {
		t.Fatalf("the same message within Repeat: %d passed, want still 4", got)
	}
	*now = now.Add(time.Second)
	tell("lost to a")
	if got := len(rec.events); got != 5 {
		t.Fatalf("the same message after Repeat: %d passed, want 5", got)
	}
}

// TestEventLimiterRates: one object gets ObjectBurst Events at once, then one per
// ObjectEvery; all objects together Burst, then PerSecond; what is dropped is counted.
func TestEventLimiterRates(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	l, rec, now := limiterAt(EventLimits{ObjectBurst: 3, ObjectEvery: time.Minute, Burst: 10, PerSecond: 2}, m)
	flap := svc("flap")
	for i := range 20 {
		l.Event(flap, EventNormal, ReasonRecordReady, fmt.Sprintf("A flap.example.com → 192.0.2.%d published", i))
	}
	if got := len(rec.events); got != 3 {
		t.Fatalf("20 changes of one object at once: %d passed, want ObjectBurst=3", got)
	}
	*now = now.Add(time.Minute)
	l.Event(flap, EventNormal, ReasonRecordReady, "A flap.example.com → 192.0.2.99 published")
	l.Event(flap, EventNormal, ReasonRecordReady, "A flap.example.com → 192.0.2.98 published")
	if got := len(rec.events); got != 4 {
		t.Fatalf("two more a minute later: %d passed in all, want 4", got)
	}

	rec.events = nil
	for i := range 100 {
		l.Event(svc(fmt.Sprint(i)), EventWarning, ReasonNoZone, "no zone")
	}
	// The overall bucket gave 4 tokens to flap; a minute refilled it to 10, less 1.
	if got := len(rec.events); got != 9 {
		t.Fatalf("100 objects at once: %d passed, want the overall burst's 9 left", got)
	}
	*now = now.Add(5 * time.Second)
	for i := range 100 {
		l.Event(svc(fmt.Sprint(i)), EventWarning, ReasonNoZone, "no zone")
	}
	if got := len(rec.events); got != 19 {
		t.Fatalf("5 s later: %d passed in all, want 9 + 5 s × 2/s = 19", got)
	}
	if got := testutil.ToFloat64(m.events.WithLabelValues(ReasonNoZone, eventRateLimited)); got != 200-19-9 {
		t.Errorf("rate_limited NoManagedZone counted %v, want %d", got, 200-19-9)
	}
	if got := testutil.ToFloat64(m.events.WithLabelValues(ReasonNoZone, eventRepeat)); got != 9 {
		t.Errorf("repeat NoManagedZone counted %v, want the 9 that had passed before", got)
	}
}

// TestEventLimiterForgets: what passed Repeat ago, and limits that are full again, are
// forgotten, so that the objects of a long-running daemon cost no memory once quiet.
func TestEventLimiterForgets(t *testing.T) {
	l, _, now := limiterAt(EventLimits{}, nil)
	for i := range 1000 {
		l.Event(endpoint.ObjectRef{Kind: "ingress", Namespace: "ns", Name: fmt.Sprint(i)}, EventWarning, ReasonNoZone, strings.Repeat("x", 10))
	}
	*now = now.Add(DefaultEventRepeat + DefaultEventObjectEvery)
	l.Event(svc("late"), EventWarning, ReasonNoZone, "no zone")
	if len(l.last) != 1 || len(l.perObject) != 1 {
		t.Errorf("after Repeat: remembers %d Events and %d object limits, want only the last one's", len(l.last), len(l.perObject))
	}
}
