package provider

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Cached is a Provider that remembers each zone's records between reconciles, so that a
// zone nobody else has touched is not read again in full (DESIGN.md, performance model).
//
// A zone's records are reused only when all of these hold: every Apply since they were
// read either succeeded or failed change by change (an *ApplyError), and the changes that
// succeeded were applied to the cached copy; the copy was last checked less than MaxAge
// ago, less a twentieth of MaxAge (see young); and, when the wrapped provider implements
// ChangeDetector, it says the zone is unchanged. Reading the zone in full is a check, and
// so is a drift probe that finds the count it expects (see below). Anything else — a
// detector or probe error, a count that moved, an Apply that failed as a whole, a cached
// copy that refuses a change the service accepted — drops the cached copy, and the next
// Records reads the zone again.
//
// A copy due for a check is checked by one probe when the wrapped provider implements
// DriftProber and the copy's full read began less than FullReadInterval ago (less the
// same twentieth of MaxAge): ProbeCount must equal the sum of CountOf over the records
// read, adjusted by every change applied to the copy since. Otherwise it is read in
// full. A change someone else makes to the zone is therefore seen within MaxAge when it
// changes the count, and within FullReadInterval when it does not (a value edited, a
// record deleted and another created between two probes); without a probe, within
// MaxAge. MaxAge is the same bound the resync interval puts on any out-of-band change,
// and it is what saves a provider whose every read is a billed, rate-limited call
// (Route53, Cloudflare) from listing every zone on every Kubernetes event; the probe is
// what saves it from listing every zone at every resync.
//
// Cached is safe for concurrent use. Calls for one zone are serialised; calls for
// different zones run in parallel.
type Cached struct {
	next             Provider
	maxAge           time.Duration
	fullReadInterval time.Duration
	now              func() time.Time

	mu       sync.Mutex
	zones    map[string]*cachedZone // by Zone.ID
	zoneList []Zone                 // the last Zones answer, from zonesAt
	zonesAt  time.Time
}

var (
	_ ChangeDetector = (*Cached)(nil)
	_ DriftProber    = (*Cached)(nil)
)

type cachedZone struct {
	mu    sync.Mutex
	store *RRsetStore // nil: nothing cached
	// readAt is when the full read of store began, checkedAt when its last check (that
	// read, or a probe that found count) began.
	readAt, checkedAt time.Time
	// count is what the wrapped DriftProber should answer if nobody else changed the
	// zone (see DriftProber); meaningless for other providers.
	count int
}

// CacheConfig configures a Cached.
type CacheConfig struct {
	// MaxAge bounds how long a zone's records are reused before they are checked again,
	// whatever the change detector says; zonekeeper sets it to the resync interval. Zero
	// or less disables reuse.
	MaxAge time.Duration
	// FullReadInterval bounds how long a provider's drift probes (DriftProber) may stand
	// in for reading a zone in full. Zero or less, or no more than MaxAge, reads in full
	// at every check.
	FullReadInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewCached wraps next, reading a zone in full whenever its records are maxAge old (no
// drift probes): NewCachedWith with only CacheConfig.MaxAge.
func NewCached(next Provider, maxAge time.Duration) *Cached {
	return NewCachedWith(next, CacheConfig{MaxAge: maxAge})
}

// NewCachedWith wraps next as cfg says.
func NewCachedWith(next Provider, cfg CacheConfig) *Cached {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Cached{next: next, maxAge: cfg.MaxAge, fullReadInterval: cfg.FullReadInterval, now: now, zones: map[string]*cachedZone{}}
}

// Zones lists the wrapped provider's zones, reusing the list for MaxAge: a zone added at
// the service is seen at the next resync, as an out-of-band record change is.
func (c *Cached) Zones(ctx context.Context) ([]Zone, error) {
	c.mu.Lock()
	if c.zoneList != nil && c.young(c.zonesAt, c.maxAge) {
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

// young reports whether something begun at start is younger than d. Anything whose age
// is within the last twentieth of maxAge counts as due already: a caller that comes back
// every maxAge (the daemon's resync, with maxAge = --interval) would otherwise find a
// copy a hair younger than maxAge (or than a multiple of it, FullReadInterval) whenever
// the work before the read went a little faster than the time before, reuse it, and
// leave the zone unchecked for another interval.
func (c *Cached) young(start time.Time, d time.Duration) bool {
	return c.now().Sub(start) < d-c.maxAge/20
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
	z.readAt, z.checkedAt = started, started
	if prober, ok := c.next.(DriftProber); ok {
		z.count = 0
		for _, e := range records {
			z.count += prober.CountOf(e)
		}
	}
	return records, nil
}

// fresh reports whether z's cached records may be reused, probing the zone when they are
// due for a check.
func (c *Cached) fresh(ctx context.Context, zone Zone, z *cachedZone) bool {
	if !c.young(z.checkedAt, c.maxAge) && !c.probe(ctx, zone, z) {
		return false
	}
	detector, ok := c.next.(ChangeDetector)
	if !ok {
		return true
	}
	unchanged, err := detector.Unchanged(ctx, zone)
	return err == nil && unchanged
}

// probe checks z by a drift probe, when the wrapped provider has one and z's full read
// is recent enough to stand on, and reports whether the zone's count is the expected one.
func (c *Cached) probe(ctx context.Context, zone Zone, z *cachedZone) bool {
	prober, ok := c.next.(DriftProber)
	if !ok || !c.young(z.readAt, c.fullReadInterval) {
		return false
	}
	started := c.now()
	n, err := prober.ProbeCount(ctx, zone)
	if err != nil || n != z.count {
		return false
	}
	z.checkedAt = started
	return true
}

// Unchanged implements ChangeDetector: it answers true when the zone's cached records may
// be reused and the wrapped provider's own ChangeDetector proved the zone unchanged.
// Without a detector below, it answers false: reuse within MaxAge, or on an equal drift
// probe, is a trade-off Records makes, not a proof.
func (c *Cached) Unchanged(ctx context.Context, zone Zone) (bool, error) {
	if _, ok := c.next.(ChangeDetector); !ok {
		return false, nil
	}
	z := c.zone(zone)
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.store != nil && c.fresh(ctx, zone, z), nil
}

// DetectsChanges reports whether the wrapped provider can prove a zone unchanged
// (DetectorOf): Unchanged answers a constant false otherwise.
func (c *Cached) DetectsChanges() bool {
	_, ok := DetectorOf(c.next)
	return ok
}

// ProbeCount is the wrapped provider's (see DriftProber); without one it fails, which
// callers take for a changed zone.
func (c *Cached) ProbeCount(ctx context.Context, zone Zone) (int, error) {
	prober, ok := c.next.(DriftProber)
	if !ok {
		return 0, fmt.Errorf("%T has no drift probe", c.next)
	}
	return prober.ProbeCount(ctx, zone)
}

// CountOf is the wrapped provider's (see DriftProber); 0 without one, whose ProbeCount
// fails anyway.
func (c *Cached) CountOf(rrset *endpoint.Endpoint) int {
	if prober, ok := c.next.(DriftProber); ok {
		return prober.CountOf(rrset)
	}
	return 0
}

// VerifyServed is the wrapped provider's (see PropagationVerifier): whether a change is
// served is a question for the service, never for the cached copy. Without one it fails.
func (c *Cached) VerifyServed(ctx context.Context, zone Zone, applied []Change) ([]Serving, error) {
	verifier, ok := c.next.(PropagationVerifier)
	if !ok {
		return nil, fmt.Errorf("%T cannot verify that changes are served", c.next)
	}
	return verifier.VerifyServed(ctx, zone, applied)
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
// accepted in the cached copy of the zone and in the count its drift probe is to find.
// An Apply that stopped part-way (a change in an unknown state) drops the copy instead.
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
	prober, probed := c.next.(DriftProber)
	for _, ch := range outcome.Applied {
		if z.store.Apply(ch) != nil {
			z.store = nil
			break
		}
		if !probed {
			continue
		}
		for _, rc := range ch.Records {
			if rc.Op != OpDelete {
				z.count += prober.CountOf(rc.New)
			}
			if rc.Op != OpCreate {
				z.count -= prober.CountOf(rc.Old)
			}
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
