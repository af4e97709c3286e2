package controller

import (
	"context"
	"maps"
	"slices"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
)

// MaxIncrementalNames is the most names whose desired records may change for RunChanged
// to plan only them; beyond it the zone is read and planned whole, which is then no
// dearer than the names one by one.
const MaxIncrementalNames = 256

// zoneRead is what a full reconcile read of a zone: the provider's records, the
// registry's reading of them and the records the planner compared with.
type zoneRead struct {
	records []*endpoint.Endpoint
	owned   registry.Zone
	current []*endpoint.Endpoint
}

// zoneCache is what an event-driven reconcile of a settled zone reuses of its last full
// read, so that one changed object costs the names it touches rather than the zone.
//
// The cache holds the zone as it was read, not as it is: every name a change was written
// at since (the record's own name and its ownership record's) is dirty, and a reconcile
// that would plan or write at a dirty name reads the zone whole instead. A name that is
// not dirty holds what was read, but for edits by someone else, which the full
// reconcile of every resync interval corrects, as it does when RunChanged skips a zone.
type zoneCache struct {
	read zoneRead
	// recordsAt and currentAt are read.records and read.current by name.
	recordsAt, currentAt map[string][]*endpoint.Endpoint
	// wanted is the desired records of each name as last reconciled (nameSums).
	wanted map[string]uint64
	// dirty are the names written at since the read.
	dirty map[string]bool
	// owned, recordTypes, verified are the figures of the full reconcile.
	owned                 int
	recordTypes, verified map[string]int
}

// nameSums sums endpointSum by name: a name's sum changes, but for a 64-bit collision,
// whenever anything the planner or the registry reads of its desired endpoints changes,
// in any order.
func nameSums(desired []*endpoint.Endpoint) map[string]uint64 {
	out := make(map[string]uint64, len(desired))
	for _, e := range desired {
		out[e.DNSName] += endpointSum(e)
	}
	return out
}

// keepCache updates the cache of zr's zone after its reconcile against desired endpoints
// whose nameSums are sums (kept, not copied): a full read of a zone
// left settled starts a new one, an incremental reconcile that left it settled updates
// it, and anything else drops it, so that only a settled zone is ever reconciled from
// its cache.
func (c *Controller) keepCache(zr ZoneReport, sums map[string]uint64, incremental bool) {
	id := zr.Zone.ID
	if _, settled := c.settled[id]; !settled || (!incremental && zr.read == nil) {
		delete(c.caches, id)
		return
	}
	if c.caches == nil {
		c.caches = map[string]*zoneCache{}
	}
	zc := c.caches[id]
	if !incremental {
		zc = &zoneCache{read: *zr.read, recordsAt: byName(zr.read.records), currentAt: byName(zr.read.current),
			dirty: map[string]bool{}, owned: zr.Owned, recordTypes: zr.RecordTypes, verified: zr.Verified}
		c.caches[id] = zc
		// The registry indexes its reading by name on the first ChangesAt: here, at
		// the end of a full reconcile, rather than in the first event's.
		zc.read.owned.ChangesAt(plan.Changes{}, nil)
	}
	zc.wanted = sums
	zc.markDirty(zr.Changes)
}

// keepNames is keepCache after reconcileDelta planned the zone of zr at names, whose
// new nameSums are sums (a name absent from sums wants no record any more).
func (c *Controller) keepNames(zr ZoneReport, sums map[string]uint64, names []string) {
	id := zr.Zone.ID
	zc := c.caches[id]
	if _, settled := c.settled[id]; !settled || zc == nil {
		delete(c.caches, id)
		return
	}
	for _, name := range names {
		if sum, ok := sums[name]; ok {
			zc.wanted[name] = sum
		} else {
			delete(zc.wanted, name)
		}
	}
	zc.markDirty(zr.Changes)
}

// markDirty notes the names changes write at.
func (zc *zoneCache) markDirty(changes []provider.Change) {
	for _, ch := range changes {
		for _, rc := range ch.Records {
			for _, e := range []*endpoint.Endpoint{rc.Old, rc.New} {
				if e != nil {
					zc.dirty[e.DNSName] = true
				}
			}
		}
	}
}

func byName(eps []*endpoint.Endpoint) map[string][]*endpoint.Endpoint {
	out := make(map[string][]*endpoint.Endpoint, len(eps))
	for _, e := range eps {
		out[e.DNSName] = append(out[e.DNSName], e)
	}
	return out
}

// reconcileNames is reconcileZone for a settled zone with a cache (sums are
// nameSums(desired)), planning only the names whose desired records changed against the
// cached current records of those names (planNames). It reports false, having done
// nothing, when no name or more than MaxIncrementalNames changed, or planNames refuses;
// the caller then reconciles the zone whole.
func (c *Controller) reconcileNames(ctx context.Context, z provider.Zone, desired []*endpoint.Endpoint, sums map[string]uint64, guard deletionGuard) (ZoneReport, bool) {
	zc := c.caches[z.ID]
	if zc == nil {
		return ZoneReport{}, false
	}
	touched := map[string]bool{}
	for name, sum := range sums {
		if last, ok := zc.wanted[name]; !ok || last != sum {
			touched[name] = true
		}
	}
	for name := range zc.wanted {
		if _, ok := sums[name]; !ok {
			touched[name] = true
		}
	}
	if len(touched) == 0 || len(touched) > MaxIncrementalNames {
		return ZoneReport{}, false
	}
	var wanted []*endpoint.Endpoint
	for _, e := range desired {
		if touched[e.DNSName] {
			wanted = append(wanted, e)
		}
	}
	zr, ok := c.planNames(ctx, z, wanted, touched, guard)
	if ok {
		c.apply(ctx, &zr)
	}
	return zr, ok
}

// planNames plans the names touched of a settled zone with a cache, whose desired
// endpoints are wanted, against the cached current records of those names. It reports
// false whenever it cannot prove its plan is the one a full read would make: the
// provider cannot prove the zone unchanged (provider.ChangeDetector), a touched name or
// a planned write is dirty, a deletion would be withheld or break the budget. It applies
// nothing: the caller applies the report's Changes.
func (c *Controller) planNames(ctx context.Context, z provider.Zone, wanted []*endpoint.Endpoint, touched map[string]bool, guard deletionGuard) (ZoneReport, bool) {
	zc := c.caches[z.ID]
	if zc == nil || c.Config.DryRun {
		return ZoneReport{}, false
	}
	if _, settled := c.settled[z.ID]; !settled {
		return ZoneReport{}, false
	}
	// Deletions that wait (a deletion budget's confirmation, a policy's, any withheld
	// one) are decided over successive full reconciles, which the wait counts: a zone
	// with any is reconciled whole until none is left.
	if len(c.pending.zones[z.ID]) > 0 || len(c.pending.zones[policyZoneKey(z.ID)]) > 0 || len(c.settled[z.ID].report.Withheld) > 0 {
		return ZoneReport{}, false
	}
	// A provider that can prove cheaply that the zone holds what it held after our
	// last read and writes (RFC2136's SOA serial) must: an edit by someone else then
	// costs a full read now rather than at the next resync.
	if _, ok := c.Provider.(provider.ChangeDetector); ok && !c.provenUnchanged(ctx, z) {
		return ZoneReport{}, false
	}
	names := slices.Sorted(maps.Keys(touched))
	var current []*endpoint.Endpoint
	for _, name := range names {
		if zc.dirty[name] {
			return ZoneReport{}, false
		}
		current = append(current, zc.currentAt[name]...)
	}
	// The planner's problems come out sorted by name; its input in the zone's order.
	slices.SortFunc(current, endpoint.Compare)
	res := plan.Calculate(plan.Input{
		Desired:      wanted,
		Current:      current,
		OwnerID:      c.Registry.OwnerID(),
		Policy:       c.Config.Policy,
		ManagedTypes: c.Config.ManagedTypes,
		DomainFilter: c.Config.DomainFilter,
	})
	kept, withheld := guard.withhold(res.Changes.Delete)
	if len(withheld) > 0 || c.Config.Budget.exceeded(len(kept), zc.owned) != "" {
		return ZoneReport{}, false
	}
	changes, problems := zc.read.owned.ChangesAt(res.Changes, names)
	writes := map[string]bool{}
	for _, ch := range changes {
		// Owned is the record a change's ownership records belong to: a missing
		// ownership record the cache finds for a record at a dirty name may be one that
		// was written, or whose record was deleted, since the read.
		if ch.Owned != nil && zc.dirty[ch.Owned.DNSName] {
			return ZoneReport{}, false
		}
		for _, rc := range ch.Records {
			for _, e := range []*endpoint.Endpoint{rc.Old, rc.New} {
				if e == nil {
					continue
				}
				if zc.dirty[e.DNSName] {
					return ZoneReport{}, false
				}
				writes[e.DNSName] = true
			}
		}
	}
	// The zone rules judge the names written, on what the zone holds there.
	var written []*endpoint.Endpoint
	for name := range writes {
		written = append(written, zc.recordsAt[name]...)
	}
	last := c.settled[z.ID].report
	zr := ZoneReport{Zone: z, Incremental: true, Owned: zc.owned, RecordTypes: zc.recordTypes, Verified: zc.verified}
	// The problems and conflicts of the names not planned stand as the last reconcile
	// found them: an object in trouble there must not look settled to an Acknowledger.
	// At a dirty name they may have changed with what was written there (a conflict is
	// then settled by the record's resource label, say): the zone is read whole.
	for _, p := range last.Problems {
		if touched[p.DNSName] {
			continue
		}
		if zc.dirty[p.DNSName] {
			return ZoneReport{}, false
		}
		zr.Problems = append(zr.Problems, p)
	}
	for _, name := range last.Conflicts {
		if !touched[name] {
			zr.Conflicts = append(zr.Conflicts, name)
		}
	}
	zr.Problems = append(zr.Problems, res.Problems...)
	zr.Conflicts = append(zr.Conflicts, conflicts(res.Problems)...)
	slices.Sort(zr.Conflicts)
	zr.Conflicts = slices.Compact(zr.Conflicts)
	zr.Problems = append(zr.Problems, problems...)
	changes, problems = enforceZoneRules(z.Name, written, changes)
	zr.Changes = changes
	zr.Problems = append(zr.Problems, problems...)
	return zr, true
}
