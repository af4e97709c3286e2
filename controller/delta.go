package controller

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/policy"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/source"
)

// desiredIndex is what the sources asked for at the last reconcile, by object and by
// name, kept so that RunChanged can take from Incremental sources only the objects that
// changed and plan only the names those ask for or asked for (reconcileDelta).
type desiredIndex struct {
	// objects are, per source, each object's Result by ObjectRef.String.
	objects []map[string]source.Result
	// atName are the sources' endpoints by name, as the sources returned them.
	atName map[string][]*endpoint.Endpoint
	// troubled are, per source, the objects with problems.
	troubled []map[string]bool
	// derived are the problems the reconcile found of the endpoints at each name: the
	// domain policy's, the provider's adjustments', and names in no zone.
	derived map[string][]endpoint.Problem
	// policy is the domain policy derived was found under.
	policy *policy.Policy
	// results are the sources' results the index was made from, unless changes were
	// applied to it since.
	results []source.Result
}

// newDesiredIndex indexes the results of every source and the problems the reconcile
// derived from them. It returns nil when a derived problem names no record, as then
// its name cannot say when it is to be found again.
func newDesiredIndex(results []source.Result, derived []endpoint.Problem, p *policy.Policy) *desiredIndex {
	size := 0
	for _, res := range results {
		size += len(res.Endpoints)
	}
	d := &desiredIndex{atName: make(map[string][]*endpoint.Endpoint, size), derived: map[string][]endpoint.Problem{}, policy: p}
	for _, res := range results {
		objects, troubled := res.ByObject(), map[string]bool{}
		for key, r := range objects {
			if len(r.Problems) > 0 {
				troubled[key] = true
			}
			for _, e := range r.Endpoints {
				d.atName[e.DNSName] = append(d.atName[e.DNSName], e)
			}
		}
		d.objects = append(d.objects, objects)
		d.troubled = append(d.troubled, troubled)
	}
	if !d.setDerived(nil, derived) {
		return nil
	}
	d.results = results
	return d
}

// reuse returns d when the sources returned the very results d was made from (a
// source that saw no event returns its last result again) under the same policy, with
// derived as its derived problems, and a new index otherwise: an idle daemon's resync
// then indexes nothing again.
func (d *desiredIndex) reuse(results []source.Result, derived []endpoint.Problem, p *policy.Policy) *desiredIndex {
	if d == nil || d.policy != p || !sameResults(d.results, results) {
		return newDesiredIndex(results, derived, p)
	}
	clear(d.derived)
	if !d.setDerived(nil, derived) {
		return nil
	}
	return d
}

// sameResults reports whether a and b are the same slices, not merely equal ones.
func sameResults(a, b []source.Result) bool {
	if len(a) != len(b) {
		return false
	}
	same := func(x, y []*endpoint.Endpoint) bool { return len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0]) }
	for i := range a {
		if !same(a[i].Endpoints, b[i].Endpoints) || len(a[i].Problems) != len(b[i].Problems) ||
			len(a[i].Problems) > 0 && &a[i].Problems[0] != &b[i].Problems[0] {
			return false
		}
	}
	return true
}

// apply replaces the Results of the objects source i says changed and adds to touched
// the names their endpoints had and have.
func (d *desiredIndex) apply(i int, changed []source.ObjectResult, touched map[string]bool) {
	for _, o := range changed {
		key := o.Ref.String()
		for _, e := range d.objects[i][key].Endpoints {
			touched[e.DNSName] = true
			at := slices.DeleteFunc(d.atName[e.DNSName], func(x *endpoint.Endpoint) bool { return x == e })
			if len(at) == 0 {
				delete(d.atName, e.DNSName)
			} else {
				d.atName[e.DNSName] = at
			}
		}
		for _, e := range o.Endpoints {
			touched[e.DNSName] = true
			d.atName[e.DNSName] = append(d.atName[e.DNSName], e)
		}
		if len(o.Endpoints)+len(o.Problems) == 0 {
			delete(d.objects[i], key)
		} else {
			d.objects[i][key] = o.Result
		}
		d.results = nil
		if len(o.Problems) > 0 {
			d.troubled[i][key] = true
		} else {
			delete(d.troubled[i], key)
		}
	}
}

// at returns the endpoints at names, in a fixed order: by name, type and set
// identifier, then by object.
func (d *desiredIndex) at(names []string) []*endpoint.Endpoint {
	var out []*endpoint.Endpoint
	for _, name := range names {
		out = append(out, d.atName[name]...)
	}
	slices.SortStableFunc(out, func(a, b *endpoint.Endpoint) int {
		return cmp.Or(endpoint.Compare(a, b), strings.Compare(firstRef(a), firstRef(b)))
	})
	return out
}

// all returns every endpoint of the index, in no fixed order.
func (d *desiredIndex) all() []*endpoint.Endpoint {
	out := []*endpoint.Endpoint{}
	for _, eps := range d.atName {
		out = append(out, eps...)
	}
	return out
}

func firstRef(e *endpoint.Endpoint) string {
	if len(e.Refs) == 0 {
		return ""
	}
	return e.Refs[0].String()
}

// setDerived replaces the derived problems at names with problems, which must all be at
// those names. It reports false when one names no record.
func (d *desiredIndex) setDerived(names []string, problems []endpoint.Problem) bool {
	for _, name := range names {
		delete(d.derived, name)
	}
	for _, p := range problems {
		if p.DNSName == "" {
			return false
		}
		d.derived[p.DNSName] = append(d.derived[p.DNSName], p)
	}
	return true
}

// exists reports whether a source asks for records for the object resource
// (ObjectRef.String), or has a problem with it.
func (d *desiredIndex) exists(resource string) bool {
	for _, objects := range d.objects {
		if _, ok := objects[resource]; ok {
			return true
		}
	}
	return false
}

// problems are the sources' problems, then the derived ones, in a fixed order.
func (d *desiredIndex) problems() []endpoint.Problem {
	var out []endpoint.Problem
	for i, troubled := range d.troubled {
		for _, key := range slices.Sorted(maps.Keys(troubled)) {
			out = append(out, d.objects[i][key].Problems...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(d.derived)) {
		out = append(out, d.derived[name]...)
	}
	return out
}

// plannedZone is a zone reconcileDelta planned, not yet applied.
type plannedZone struct {
	report ZoneReport
	// sums are the nameSums of the zone's names the event touched (absent: no record
	// is wanted there any more), fingerprint the zone's fingerprint with them.
	sums        map[string]uint64
	names       []string
	fingerprint uint64
}

// reconcileDelta is RunChanged's reconcile when every source is Incremental: it takes
// from the sources only the objects that changed since the last reconcile, and plans
// only the names they ask for or asked for, against the cache of each zone
// (planNames). Its cost is that of those names, not of the zones.
//
// It reports false, having applied nothing, whenever it cannot make the reconcile a full
// one would: a source cannot tell what changed, a zone is not settled or has no cache,
// the domain policy changed or selects namespaces by label (whose labels change without
// an event of a source), too many names changed, a derived problem names no record, or
// planNames refuses a zone. The caller then reconciles as RunChanged did before, reading
// every source again.
//
// With prove (RunResync), it also reports false, before taking any change, unless every
// zone's cache can stand in for reading the zone (cacheProven).
func (c *Controller) reconcileDelta(ctx context.Context, prove bool) (*Report, bool) {
	d := c.desired
	if d == nil || c.Config.DryRun || len(d.objects) != len(c.Sources) {
		return nil, false
	}
	p := c.currentPolicy()
	if p != d.policy || p != nil && p.UsesSelectors() {
		return nil, false
	}
	providerCtx := context.WithoutCancel(ctx)
	zones, err := c.zones(providerCtx)
	if err != nil {
		return nil, false
	}
	for _, z := range zones {
		if _, settled := c.settled[z.ID]; !settled || c.caches[z.ID] == nil {
			return nil, false
		}
		if prove && !c.cacheProven(providerCtx, z) {
			return nil, false
		}
	}
	// From here on the sources' changes are consumed: every way out but success drops
	// the index, so that the reconcile that follows reads the sources whole.
	c.desired = nil
	touched := map[string]bool{}
	for i, s := range c.Sources {
		inc, ok := s.(source.Incremental)
		if !ok {
			return nil, false
		}
		changed, ok := inc.Changed(ctx)
		if !ok {
			return nil, false
		}
		d.apply(i, changed, touched)
	}
	if len(touched) > MaxIncrementalNames {
		return nil, false
	}
	names := slices.Sorted(maps.Keys(touched))
	wanted := c.withMinTTL(d.at(names))
	var derived []endpoint.Problem
	if p != nil {
		var refused []endpoint.Problem
		wanted, refused, _ = c.applyPolicy(p, wanted)
		derived = append(derived, refused...)
	}
	wanted, adjustProblems := c.Provider.AdjustEndpoints(wanted)
	derived = append(derived, adjustProblems...)
	byZone, unplaced := assignZones(wanted, zones, c.Config.DomainFilter)
	derived = append(derived, unplaced...)
	if !d.setDerived(names, derived) {
		return nil, false
	}
	rep := &Report{Desired: wanted, Problems: d.problems(), Partial: true}

	guard := deletionGuard{protected: objectsWithErrors(rep.Problems)}
	if c.Config.KeepRecordsOfExistingObjects {
		guard.awaiting = namesAwaitingTargets(rep.Problems)
	}
	guard.refusedByPolicy = namesRefusedByPolicy(rep.Problems)
	// Every zone is planned before any is written, so that a zone planNames refuses
	// leaves nothing half done for the full reconcile that follows.
	zoneNames := map[string][]string{}
	for _, name := range names {
		if z, ok := provider.ZoneFor(name, zones); ok {
			zoneNames[z.ID] = append(zoneNames[z.ID], name)
		}
	}
	var plans []*plannedZone
	for _, z := range zones {
		last, zc := c.settled[z.ID], c.caches[z.ID]
		pz := &plannedZone{sums: nameSums(byZone[z.Name]), names: zoneNames[z.ID], fingerprint: last.desired}
		changedNames := map[string]bool{}
		for _, name := range pz.names {
			sum, ok := pz.sums[name]
			before, had := zc.wanted[name]
			if ok != had || sum != before {
				changedNames[name] = true
				pz.fingerprint += fingerprintTerm(sum, ok) - fingerprintTerm(before, had)
			}
		}
		if len(changedNames) == 0 {
			pz.report = ZoneReport{Zone: z, Owned: last.report.Owned, Conflicts: last.report.Conflicts,
				RecordTypes: last.report.RecordTypes, Verified: last.report.Verified, Skipped: true}
			plans = append(plans, pz)
			continue
		}
		var zoneWanted []*endpoint.Endpoint
		for _, e := range byZone[z.Name] {
			if changedNames[e.DNSName] {
				zoneWanted = append(zoneWanted, e)
			}
		}
		zr, ok := c.planNames(providerCtx, z, zoneWanted, changedNames, guard, d.exists, prove)
		if !ok {
			return nil, false
		}
		pz.report = zr
		plans = append(plans, pz)
	}
	c.desired = d
	if prove {
		// A resync stands in for reading every source: what they ask for is the index.
		rep.Asked = d.all()
	}
	logProblems(c.Logger, rep.Problems)
	for _, pz := range plans {
		zr := pz.report
		if !zr.Skipped {
			c.apply(providerCtx, &zr)
			c.logZone(zr)
			c.verifyServed(ctx, &zr)
			c.remember(zr, pz.fingerprint, true)
			c.keepNames(zr, pz.sums, pz.names)
		}
		rep.Zones = append(rep.Zones, zr)
	}
	return rep, true
}
