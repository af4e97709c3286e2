package provider

import (
	"context"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// slowZone is a provider of one empty zone whose reads take readTakes on a clock the test
// controls, counting them.
type slowZone struct {
	NoAdjustment

	clock      *time.Time
	readTakes  time.Duration
	zoneReads  int
	recordRead int
}

func (s *slowZone) Zones(context.Context) ([]Zone, error) {
	s.zoneReads++
	*s.clock = s.clock.Add(s.readTakes)
	return []Zone{{ID: "example.com", Name: "example.com"}}, nil
}

func (s *slowZone) Records(context.Context, Zone) ([]*endpoint.Endpoint, error) {
	s.recordRead++
	*s.clock = s.clock.Add(s.readTakes)
	return nil, nil
}

func (s *slowZone) Apply(context.Context, Zone, []Change) error { return nil }

// A resync every maxAge must read the zone every time, however long the read takes and
// however the time before it varies, or an out-of-band change waits a second interval.
func TestCachedResyncEveryMaxAgeReadsEveryTime(t *testing.T) {
	const interval = time.Minute
	for _, tt := range []struct {
		name      string
		readTakes time.Duration
		// before is how long each resync works before it reads, resync by resync.
		before []time.Duration
	}{
		{"instant reads, steady work", 0, []time.Duration{0, 0, 0, 0}},
		{"slow reads", 13 * time.Second, []time.Duration{0, 0, 0, 0}},
		{"work before the read shrinks", time.Second, []time.Duration{20 * time.Millisecond, 5 * time.Millisecond, time.Millisecond, 0}},
		{"slow reads, jittery work", 13 * time.Second, []time.Duration{3 * time.Millisecond, 0, 2 * time.Millisecond, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			inner := &slowZone{clock: &clock, readTakes: tt.readTakes}
			c := NewCached(inner, interval)
			c.now = func() time.Time { return clock }
			ctx := context.Background()
			start := clock
			for i, before := range tt.before {
				clock = start.Add(time.Duration(i)*interval + before)
				zones, err := c.Zones(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Records(ctx, zones[0]); err != nil {
					t.Fatal(err)
				}
			}
			if want := len(tt.before); inner.recordRead != want || inner.zoneReads != want {
				t.Errorf("%d resyncs read the records %d times and the zones %d times, want every time",
					want, inner.recordRead, inner.zoneReads)
			}
			// Between resyncs the copies are reused.
			clock = start.Add(time.Duration(len(tt.before)-1)*interval + interval/2)
			zones, _ := c.Zones(ctx)
			if _, err := c.Records(ctx, zones[0]); err != nil {
				t.Fatal(err)
			}
			if inner.recordRead != len(tt.before) || inner.zoneReads != len(tt.before) {
				t.Errorf("a reconcile half an interval after a resync read the zone again")
			}
		})
	}
}
