package provider

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Cached is a Provider that remembers each zone's records between reconciles, so that a
// zone nobody else has touched is not read again in full (DESIGN.md, performance model).
//
// A zone's records are reused only when all of these hold: their read began less than
// MaxAge ago, less a twentieth of MaxAge (see young); every Apply since then either
// succeeded or failed change by change (an *ApplyError), and the changes that succeeded
// were applied to the cached copy; and, when the wrapped provider implements
// ChangeDetector, it says the zone is unchanged. Anything else — a detector error, an
// Apply that failed as a whole, a cached copy that refuses a change the service
// accepted — drops the cached copy, and the next Records reads the zone again.
//
// For a provider without a ChangeDetector (an HTTP API whose every read is a billed,
// rate-limited call, such as Route53's), a change someone else makes to the zone is
// therefore seen only once MaxAge has passed: the full read then finds it, and the
// reconcile that follows corrects it. That is the same bound the resync interval puts on
// any out-of-band change, and it is what saves such a provider from listing every zone on
// every Kubernetes event.
//
// Cached is safe for concurrent use. Calls for one zone are serialised; calls for
// different zones run in parallel.
type Cached struct {
	next   Provider
	maxAge time.Duration
	now    func() time.Time

	mu       sync.Mutex
	zones    map[string]*cachedZone // by Zone.ID
	zoneList []Zone                 // the last Zones answer, from zonesAt
	zonesAt  time.Time
}

var _ ChangeDetector = (*Cached)(nil)

type cachedZone struct {
	mu     sync.Mutex
	store  *RRsetStore // nil: nothing cached
	readAt time.Time
}

// NewCached wraps next. maxAge bounds how long a zone's records are reused before they
// are read in full again, whatever the change detector says; zonekeeper sets it to the
// resync interval. A maxAge of zero or less disables reuse.
func NewCached(next Provider, maxAge time.Duration) *Cached {
	return &Cached{next: next, maxAge: maxAge, now: time.Now, zones: map[string]*cachedZone{}}
}

// Zones lists the wrapped provider's zones, reusing the list for MaxAge: a zone added at
// the service is seen at the next resync, as an out-of-band record change is.
func (c *Cached) Zones(ctx context.Context) ([]Zone, error) {
	c.mu.Lock()
	if c.zoneList != nil && c.young(c.zonesAt) {
		zones := slices.Clone(c.zoneList)
		c.mu.Unlock()
		return zones, nil
	}
	c.mu.Unlock()
	started := c.now()
	zones, err := c.next.Zones(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.zoneList, c.zonesAt = slices.Clone(zones), started
	c.mu.Unlock()
	return zones, nil
}

// young reports whether a read that began at start may still be reused. A copy is as
// old as the moment its read began, and one whose age is within the last twentieth of
// maxAge counts as due already: a caller that comes back every maxAge (the daemon's
// resync, with maxAge = --interval) would otherwise find it a hair younger than maxAge
// whenever the work before the read went a little faster than the time before, reuse
// it, and leave the zone unread for a second interval.
func (c *Cached) young(start time.Time) bool {
	return c.now().Sub(start) < c.maxAge-c.maxAge/20
}

// Records returns the cached records of zone when they can be trusted (see Cached), and
// otherwise reads them from the wrapped provider and caches them.
func (c *Cached) Records(ctx context.Context, zone Zone) ([]*endpoint.Endpoint, error) {
	z := c.zone(zone)
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.store != nil && c.fresh(ctx, zone, z) {
		return z.store.List(), nil
	}
	z.store = nil
	started := c.now()
	records, err := c.next.Records(ctx, zone)
	if err != nil {
		return nil, err
	}
	z.store = NewRRsetMirror(zone.Name, records...)
	z.readAt = started
	return records, nil
}

// fresh reports whether z's cached records may be reused.
func (c *Cached) fresh(ctx context.Context, zone Zone, z *cachedZone) bool {
	if !c.young(z.readAt) {
		return false
	}
	detector, ok := c.next.(ChangeDetector)
	if !ok {
		return true
	}
	unchanged, err := detector.Unchanged(ctx, zone)
	return err == nil && unchanged
}

// Unchanged implements ChangeDetector: it answers true when the zone's cached records may
// be reused and the wrapped provider's own ChangeDetector proved the zone unchanged.
// Without a detector below, it answers false: reuse within MaxAge is a trade-off
// Records makes, not a proof.
func (c *Cached) Unchanged(ctx context.Context, zone Zone) (bool, error) {
	if _, ok := c.next.(ChangeDetector); !ok {
		return false, nil
	}
	z := c.zone(zone)
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.store != nil && c.fresh(ctx, zone, z), nil
}

// Unwrap returns the wrapped provider, for a caller that must see what the service holds
// rather than the cached copy (which keeps an ownership record as it was sent, without
// what the service adds to it: a default TTL, Route53's routing policy).
func (c *Cached) Unwrap() Provider { return c.next }

// AdjustEndpoints is the wrapped provider's: caching changes where records come from,
// not the form they take.
func (c *Cached) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return c.next.AdjustEndpoints(desired)
}

// Apply applies changes through the wrapped provider, then mirrors the changes it
// accepted in the cached copy of the zone. An Apply that stopped part-way (a change in
// an unknown state) drops the copy instead.
func (c *Cached) Apply(ctx context.Context, zone Zone, changes []Change) error {
	z := c.zone(zone)
	z.mu.Lock()
	defer z.mu.Unlock()
	err := c.next.Apply(ctx, zone, changes)
	if z.store == nil {
		return err
	}
	outcome := OutcomeOf(changes, err)
	if outcome.Stopped != nil {
		z.store = nil
		return err
	}
	for _, ch := range outcome.Applied {
		if z.store.Apply(ch) != nil {
			z.store = nil
			break
		}
	}
	return err
}

func (c *Cached) zone(zone Zone) *cachedZone {
	c.mu.Lock()
	defer c.mu.Unlock()
	z, ok := c.zones[zone.ID]
	if !ok {
		z = &cachedZone{}
		c.zones[zone.ID] = z
	}
	return z
}
