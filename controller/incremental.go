package controller

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
)

// MaxIncrementalNames is the most names whose desired records may change for RunChanged
// to plan only them; beyond it the zone is read and planned whole, which is then no
// dearer than the names one by one.
const MaxIncrementalNames = 256

// MaxCacheAge is how long a zone's cache serves reconciles before the zone is read whole
// again. A provider that proves a zone unchanged (RFC2136's SOA serial) lets the cache
// stand in for reading it indefinitely; the hour bounds how long an edit its proof
// cannot see (a zone restored with the same serial) goes unrepaired, as the provider's
// own cache of the records does.
const MaxCacheAge = time.Hour

// zoneRead is what a full reconcile read of a zone: the provider's records, or those of
// the zone's cache when the provider proved the zone holds them (readZone).
type zoneRead struct {
	records []*endpoint.Endpoint
	// cache is the cache the records came from; nil when the provider was read.
	cache *zoneCache
}

// zoneCache is what the reconciles of a zone reuse of its last read, so that one changed
// object costs the names it touches rather than the zone: the zone's records by name,
// from which planNames reads ownership at the names it plans, and from which a full
// reconcile reads the zone when the provider proves it unchanged (readZone).
//
// After the read, what the reconciles write is either written into the cache too, when
// the provider proves it holds exactly that (writeThrough), or else makes the names
// written at dirty: a reconcile that would plan or write at a dirty name reads the zone
// whole instead. A name holds what was read and written, but for edits by someone else,
// which a ChangeDetector finds at the next event and the full reconcile of every resync
// interval corrects otherwise, as it does when RunChanged skips a zone.
type zoneCache struct {
	// recordsAt are the zone's records by name.
	recordsAt map[string][]cachedRecord
	// writeThrough says the applied changes are written into recordsAt.
	writeThrough bool
	// read is when the zone was read.
	read time.Time
	// wanted is the desired records of each name as last reconciled (nameSums).
	wanted map[string]uint64
	// writtenAt are the names written at since the read: dirty unless writeThrough
	// (dirty). Even when their records are known, a problem the planner reported there
	// before the write may read differently now (a conflict then decided by the written
	// resource label).
	writtenAt map[string]bool
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
// whose nameSums are sums (kept, not copied): a read of the provider starts a new cache,
// any other reconcile updates the one it planned from, and a reconcile that leaves the
// zone's records unknown drops it (cacheHolds).
//
// A zone left unsettled keeps its cache: the incremental plans refuse such a zone
// (planNames), but its full reconciles may still read the cache (readZone) rather than
// transfer the zone again, as they would on every event while a deletion waits or a
// refused change is set aside.
func (c *Controller) keepCache(zr ZoneReport, sums map[string]uint64, incremental bool) {
	id := zr.Zone.ID
	if c.Config.OneShot || !incremental && zr.read == nil || !cacheHolds(zr) {
		delete(c.caches, id)
		return
	}
	if c.caches == nil {
		c.caches = map[string]*zoneCache{}
	}
	zc := c.caches[id]
	if !incremental {
		if zr.read.cache == nil {
			_, proven := provider.DetectorOf(c.Provider)
			zc = &zoneCache{recordsAt: byName(zr.read.records), writeThrough: proven, read: c.now()}
			c.caches[id] = zc
		}
		// A full plan judged every name anew: no problem stands from before a write.
		zc.writtenAt = map[string]bool{}
		zc.owned, zc.recordTypes, zc.verified = zr.Owned, zr.RecordTypes, zr.Verified
		if zr.verifiedAfter != nil {
			zc.verified = zr.verifiedAfter
		}
	}
	zc.wanted = sums
	zc.written(zr.Applied)
}

// cacheHolds reports whether a cache that held the zone of zr before its reconcile, with
// the changes it applied written in, still holds what the zone holds (or, without
// write-through, what it held at names not written): the zone was read, every change
// sent has an answer, and the provider refused none. A refusal may be the provider's
// check of a change against the records it replaces finding other records than the
// cache's (see written): the zone is read again rather than planned from the cache once
// more. A change merely set aside after an earlier refusal was not sent, and proves
// nothing.
func cacheHolds(zr ZoneReport) bool {
	return zr.Err == nil && len(zr.Unknown) == 0 && !zr.refusedNow
}

// keepNames is keepCache after reconcileDelta planned the zone of zr at names, whose
// new nameSums are sums (a name absent from sums wants no record any more).
func (c *Controller) keepNames(zr ZoneReport, sums map[string]uint64, names []string) {
	id := zr.Zone.ID
	zc := c.caches[id]
	if zc == nil || !cacheHolds(zr) {
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
	zc.written(zr.Applied)
}

// written takes in changes applied to the zone. A provider that is a
// provider.ChangeDetector (RFC2136) holds exactly what it was given, in the form Records
// returns (AdjustEndpoints' contract), and checks every update and deletion against the
// records it replaces (a value-dependent prerequisite): a cache that were wrong would
// make a change fail, which drops the cache (cacheHolds), never a silent wrong write.
// Its changes are written into the cache; those of any other provider make their names
// dirty.
func (zc *zoneCache) written(changes []provider.Change) {
	for _, ch := range changes {
		for _, rc := range ch.Records {
			for _, e := range []*endpoint.Endpoint{rc.Old, rc.New} {
				if e != nil {
					zc.writtenAt[e.DNSName] = true
				}
			}
			if !zc.writeThrough {
				continue
			}
			if rc.Old != nil {
				at := slices.DeleteFunc(zc.recordsAt[rc.Old.DNSName], func(r cachedRecord) bool {
					return r.recordType == rc.Old.RecordType && r.setIdentifier == rc.Old.SetIdentifier
				})
				if len(at) == 0 {
					delete(zc.recordsAt, rc.Old.DNSName)
				} else {
					zc.recordsAt[rc.Old.DNSName] = at
				}
			}
			if rc.New != nil {
				zc.recordsAt[rc.New.DNSName] = append(zc.recordsAt[rc.New.DNSName], cacheRecord(rc.New))
			}
		}
	}
}

// dirty reports whether the cache may not hold what the zone holds at name: it was
// written at since the read, and the writes were not written into the cache.
func (zc *zoneCache) dirty(name string) bool {
	return !zc.writeThrough && zc.writtenAt[name]
}

// cachedRecord is one RRset of a zone cache, as Records returns it: without its name,
// which is the cache's key, and without labels and objects, which Records never sets
// (ownership is read from the ownership records). At 100,000 records the difference to
// a whole endpoint is 5 MB of live heap.
type cachedRecord struct {
	recordType, setIdentifier string
	ttl                       endpoint.TTL
	targets                   endpoint.Targets
	providerSpecific          endpoint.ProviderSpecific
}

// cacheRecord returns e as the cache keeps it.
func cacheRecord(e *endpoint.Endpoint) cachedRecord {
	return cachedRecord{recordType: e.RecordType, setIdentifier: e.SetIdentifier, ttl: e.RecordTTL,
		targets: slices.Clone(e.Targets), providerSpecific: slices.Clone(e.ProviderSpecific)}
}

// at returns the records at name as Records would. They share their targets and
// properties with the cache: callers must not modify them.
func (zc *zoneCache) at(name string) []*endpoint.Endpoint {
	cached := zc.recordsAt[name]
	out := make([]*endpoint.Endpoint, len(cached))
	for i, r := range cached {
		out[i] = &endpoint.Endpoint{DNSName: name, RecordType: r.recordType, SetIdentifier: r.setIdentifier,
			RecordTTL: r.ttl, Targets: r.targets, ProviderSpecific: r.providerSpecific}
	}
	return out
}

// records returns every record of the cache, in endpoint.Compare order (see at).
func (zc *zoneCache) records() []*endpoint.Endpoint {
	var out []*endpoint.Endpoint
	for name := range zc.recordsAt {
		out = append(out, zc.at(name)...)
	}
	slices.SortFunc(out, endpoint.Compare)
	return out
}

// readZone returns the records of z and the cache they came from: the zone's cache when
// its changes were written through, it is no older than MaxCacheAge, and the provider
// proves the zone unchanged since (provider.ChangeDetector), so that a full reconcile of
// an RFC2136 zone costs one SOA query rather than a transfer; the provider's Records
// otherwise (cache nil).
func (c *Controller) readZone(ctx context.Context, z provider.Zone) ([]*endpoint.Endpoint, *zoneCache, error) {
	if c.cacheProven(ctx, z) {
		zc := c.caches[z.ID]
		return zc.records(), zc, nil
	}
	records, err := c.Provider.Records(ctx, z)
	return records, nil, err
}

// cacheProven reports whether z's cache holds what the zone holds, as far as anything
// short of reading it can tell: the applied changes were written into the cache, it is
// no older than MaxCacheAge, and the provider proves the zone unchanged since.
func (c *Controller) cacheProven(ctx context.Context, z provider.Zone) bool {
	zc := c.caches[z.ID]
	return zc != nil && zc.writeThrough && c.now().Sub(zc.read) <= MaxCacheAge && c.provenUnchanged(ctx, z)
}

func byName(eps []*endpoint.Endpoint) map[string][]cachedRecord {
	out := make(map[string][]cachedRecord, len(eps))
	for _, e := range eps {
		out[e.DNSName] = append(out[e.DNSName], cacheRecord(e))
	}
	return out
}

// reconcileNames is reconcileZone for a settled zone with a cache (sums are
// nameSums(desired)), planning only the names whose desired records changed against the
// cached records of those names (planNames). It reports false, having done nothing, when
// no name or more than MaxIncrementalNames changed, or planNames refuses; the caller then
// reconciles the zone whole.
func (c *Controller) reconcileNames(ctx context.Context, z provider.Zone, desired []*endpoint.Endpoint, sums map[string]uint64, guard deletionGuard, exists func(resource string) bool) (ZoneReport, bool) {
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
	zr, ok := c.planNames(ctx, z, wanted, touched, guard, exists, false)
	if ok {
		c.apply(ctx, &zr)
	}
	return zr, ok
}

// planNames plans the names touched of a settled zone with a cache, whose desired
// endpoints are wanted: it loads the registry over the cached records at those names
// and at the names of their ownership records (registry.RelatedNames), which reads
// ownership there as over the whole zone, and plans against them. It reports false
// whenever it cannot prove its plan is the one a full read would make: the provider
// cannot prove the zone unchanged (provider.ChangeDetector), a name read or written is
// dirty, a deletion would be withheld or break the budget. It applies nothing: the
// caller applies the report's Changes. proven says the caller has just had the zone
// proven unchanged (RunResync asks before it plans), which is then not asked again.
func (c *Controller) planNames(ctx context.Context, z provider.Zone, wanted []*endpoint.Endpoint, touched map[string]bool, guard deletionGuard, exists func(resource string) bool, proven bool) (ZoneReport, bool) {
	zc := c.caches[z.ID]
	if zc == nil || c.Config.DryRun || c.now().Sub(zc.read) > MaxCacheAge {
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
	if _, ok := provider.DetectorOf(c.Provider); ok && !proven && !c.provenUnchanged(ctx, z) {
		return ZoneReport{}, false
	}
	names := slices.Sorted(maps.Keys(touched))
	typesAt := map[string][]string{}
	for _, e := range wanted {
		typesAt[e.DNSName] = append(typesAt[e.DNSName], e.RecordType)
	}
	related := map[string]bool{}
	for _, name := range names {
		types := typesAt[name]
		for _, r := range zc.recordsAt[name] {
			types = append(types, r.recordType)
		}
		for _, r := range c.Registry.RelatedNames(name, types) {
			related[r] = true
		}
	}
	var records []*endpoint.Endpoint
	for _, name := range slices.Sorted(maps.Keys(related)) {
		if zc.dirty(name) {
			return ZoneReport{}, false
		}
		records = append(records, zc.at(name)...)
	}
	var owned registry.Zone
	if adopter, ok := c.Registry.(registry.Adopter); ok {
		owned = adopter.LoadAdopting(z, records, exists)
	} else {
		owned = c.Registry.Load(z, records)
	}
	var current []*endpoint.Endpoint
	for _, e := range owned.Records() {
		if touched[e.DNSName] {
			current = append(current, e)
		}
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
	if len(withheld) > 0 || c.budgetExceeded(z.ID, len(kept), zc.owned) != "" {
		return ZoneReport{}, false
	}
	changes, problems := owned.ChangesAt(res.Changes, names)
	writes := map[string]bool{}
	for _, ch := range changes {
		for _, rc := range ch.Records {
			for _, e := range []*endpoint.Endpoint{rc.Old, rc.New} {
				if e == nil {
					continue
				}
				if zc.dirty(e.DNSName) {
					return ZoneReport{}, false
				}
				writes[e.DNSName] = true
			}
		}
	}
	// The zone rules judge the names written, on what the zone holds there.
	var written []*endpoint.Endpoint
	for name := range writes {
		written = append(written, zc.at(name)...)
	}
	last := c.settled[z.ID].report
	zr := ZoneReport{Zone: z, Incremental: true, Owned: zc.owned, RecordTypes: zc.recordTypes, Verified: zc.verified}
	// The problems and conflicts of the names not planned stand as the last reconcile
	// found them: an object in trouble there must not look settled to an Acknowledger.
	// At a name written since the read they may have changed with what was written there
	// (a conflict is then settled by the record's resource label, say): the zone is read
	// whole.
	for _, p := range last.Problems {
		if touched[p.DNSName] {
			continue
		}
		if zc.writtenAt[p.DNSName] {
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
