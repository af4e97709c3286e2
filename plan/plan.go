// Package plan is zonekeeper's planner: a pure function from the records the sources want
// and the records a zone holds to the changes that bring the zone in step, touching only
// records zonekeeper owns.
package plan

import (
	"cmp"
	"errors"
	"net/netip"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Input is everything the planner looks at for one zone.
type Input struct {
	// Desired are the records the sources want: normalised, validated, each with one or
	// more Refs. Several endpoints may share a name, type and set identifier (one per
	// object asking for it); the planner merges them.
	Desired []*endpoint.Endpoint
	// Current are the zone's records as the registry returned them: ownership TXT records
	// removed, Labels[endpoint.OwnerLabelKey] set on owned records (absent on unowned
	// ones), Labels[endpoint.ResourceLabelKey] when known. Current is expected to hold at
	// most one record per name, type and set identifier; of duplicates only the first
	// counts.
	Current []*endpoint.Endpoint
	// OwnerID is ours: a record is ours exactly when its owner label equals OwnerID, so
	// with OwnerID "" (the noop registry) every record without an owner label is ours.
	OwnerID string
	// Policy limits the kinds of change; a value other than PolicySync or
	// PolicyUpsertOnly is treated as PolicyCreateOnly, the most cautious.
	Policy Policy
	// ManagedTypes are the record types the planner may touch; empty means A, AAAA and
	// CNAME.
	ManagedTypes []string
	// DomainFilter limits the names the planner may touch; the zero filter lets all through.
	DomainFilter endpoint.DomainFilter
}

// Result is the planner's decision for one zone.
type Result struct {
	Changes Changes
	// Problems are warnings (Warning: true) on the objects whose wishes were not, or not
	// fully, honoured: conflicts lost, records held by someone else. Sorted by name,
	// object and message.
	Problems []endpoint.Problem
}

// Calculate compares desired with current records and returns the changes that make the
// zone hold what is desired, as far as ownership and policy allow.
//
// Calculate is pure and deterministic: it does no I/O, does not modify its Input, returns
// only fresh endpoints (never aliases of Input's), and returns the same Result for any
// order of Input.Desired and of Input.Current (without duplicate records). Creates,
// updates (by Old) and deletes are sorted by endpoint.Less. Concurrent calls are safe as
// long as nobody modifies their Inputs meanwhile.
//
// Only records whose type is managed and whose name matches the domain filter are
// considered, on both sides; every other record is invisible and never changed. Names
// are compared case-insensitively; records are grouped by key (name, set identifier).
//
// First the desired endpoints of one name, type and set identifier are resolved into one
// record the way external-dns resolves them, so that a zone external-dns wrote plans no
// change:
//
//  1. Each object's endpoints are merged among themselves (for CNAME only the first
//     target, by target order, is kept, with a Warning).
//
//  2. Objects of one kind (ObjectRef.Kind: one external-dns source) asking for the same
//     TTL (and for CNAME the same target) merge into one candidate: the union of their
//     targets and refs, with the TTL and properties of the object with the smallest
//     ObjectRef.String(), external-dns's merge within a source. Objects of different
//     kinds or TTLs never merge.
//
//  3. One candidate wins, by the first rule that names one:
//
//     rule | candidates for one (name, type, set identifier)              | winner
//     -----+--------------------------------------------------------------+-------------------
//     1    | the current record is ours and its resource label names an   | that candidate
//     |    | object of one candidate                                      |
//     2    | otherwise                                                    | the smallest target
//     |    |                                                              | list, ties to the
//     |    |                                                              | smallest object
//
//     "Smallest target list" is external-dns's order: fewer targets first, then the sorted
//     lists compared target by target, an address before a host name, addresses by
//     value, host names as strings. Rule 1 is external-dns's update rule and keeps the
//     current holder of a name while its object asks for it; rule 2 its create rule.
//
// Every object of a losing candidate gets a Warning naming the winner and why it won, as
// does an object whose TTL or properties differ from those kept in its candidate.
//
// Then, per key:
//
//	desired at key        | current of that type | other current at key | change            | warning
//	----------------------+----------------------+----------------------+-------------------+--------
//	CNAME and A or AAAA   | our CNAME, its       | -                    | A, AAAA dropped   | yes
//	(A, AAAA not asked    | holder still asks    |                      |                   |
//	by the holder)        | for it               |                      |                   |
//	CNAME and A or AAAA   | otherwise            | -                    | CNAME dropped     | yes
//	type T                | ours, equal          | any                  | none              | -
//	type T                | ours, differs        | any                  | Update            | -
//	type T                | not ours             | any                  | none              | yes
//	type T                | none                 | all ours, or none    | Create            | -
//	type T                | none                 | one not ours         | none              | yes
//	not type T            | ours                 | any                  | Delete            | -
//	not type T            | not ours             | any                  | none              | -
//
// A current record differs from the desired one when the desired TTL is set (> 0) and
// differs, when targets differ per endpoint.SameTargets, or when the provider-specific
// properties differ as sorted name/value lists; nothing else (a different resource label
// alone) makes an update. Creates and Update.New carry the merged Refs and Labels
// {owner: OwnerID, resource: the winner's ObjectRef.String()} (which is Refs[0] unless a
// current record kept a later object as winner); Update.Old and Delete are copies of the
// current records.
//
// Policies then limit the changes:
//
//	policy      | Create | Update | Delete
//	------------+--------+--------+-------
//	sync        | yes    | yes    | yes
//	upsert-only | yes    | yes    | no
//	create-only | yes    | no     | no
//
// When a policy keeps an owned record that is no longer wanted, a create that could not
// live beside it (a CNAME beside any record, or anything beside a CNAME) is withheld with
// a Warning rather than sent to a provider that must reject it.
func Calculate(in Input) Result {
	p := planner{
		ownerID:      in.OwnerID,
		policy:       in.Policy,
		managedTypes: in.ManagedTypes,
		domainFilter: in.DomainFilter,
		filterNames:  in.DomainFilter.IsConfigured(),
		slotIndex:    make(map[endpoint.Key]int, max(len(in.Desired), len(in.Current))),
		slots:        make([]slot, 0, max(len(in.Desired), len(in.Current))),
	}
	if len(p.managedTypes) == 0 {
		p.managedTypes = endpoint.DefaultManagedTypes()
	}
	// The one-element slices of Input below have their capacity capped so that a later
	// append copies rather than writing into Input; most keys never need that append.
	for i, ep := range in.Current {
		switch s := p.slotFor(ep); {
		case s == nil || s.currentOf(ep.RecordType) != nil:
		case s.current == nil:
			s.current = in.Current[i : i+1 : i+1]
		default:
			s.current = append(s.current, ep)
		}
	}
	for i, ep := range in.Desired {
		if s := p.slotFor(ep); s != nil {
			s.addDesired(in.Desired[i : i+1 : i+1])
		}
	}
	for i := range p.slots {
		p.planSlot(&p.slots[i])
	}
	p.sortResult()
	return p.result
}

type planner struct {
	ownerID      string
	policy       Policy
	managedTypes []string
	domainFilter endpoint.DomainFilter
	filterNames  bool
	slotIndex    map[endpoint.Key]int // index into slots
	slots        []slot
	result       Result
}

// slot holds everything at one key (name, set identifier).
type slot struct {
	key     endpoint.Key
	current []*endpoint.Endpoint
	desired []group
}

// group holds the desired endpoints of one type at a slot.
type group struct {
	recordType string
	endpoints  []*endpoint.Endpoint
}

// candidate is one object's wish for a record (or, after merging, the record kept).
type candidate struct {
	// id is the smallest ObjectRef.String() of the object; computed only where needed.
	id       string
	endpoint *endpoint.Endpoint
}

// slotFor returns the slot of a managed record, creating it, or nil for a record the
// planner must not see.
func (p *planner) slotFor(ep *endpoint.Endpoint) *slot {
	if !slices.Contains(p.managedTypes, ep.RecordType) {
		return nil
	}
	name := endpoint.NormalizeNameLoose(ep.DNSName)
	if p.filterNames && !p.domainFilter.Match(name) {
		return nil
	}
	key := endpoint.Key{DNSName: name, SetIdentifier: ep.SetIdentifier}
	i, ok := p.slotIndex[key]
	if !ok {
		i = len(p.slots)
		p.slotIndex[key] = i
		p.slots = append(p.slots, slot{key: key})
	}
	return &p.slots[i]
}

func (s *slot) currentOf(recordType string) *endpoint.Endpoint {
	for _, c := range s.current {
		if c.RecordType == recordType {
			return c
		}
	}
	return nil
}

// addDesired adds the endpoint in the one-element slice one.
func (s *slot) addDesired(one []*endpoint.Endpoint) {
	for i := range s.desired {
		if g := &s.desired[i]; g.recordType == one[0].RecordType {
			g.endpoints = append(g.endpoints, one[0])
			return
		}
	}
	s.desired = append(s.desired, group{recordType: one[0].RecordType, endpoints: one})
}

func (s *slot) wants(recordType string) bool {
	for i := range s.desired {
		if s.desired[i].recordType == recordType {
			return true
		}
	}
	return false
}

func (p *planner) isOurs(ep *endpoint.Endpoint) bool {
	return ep.Labels[endpoint.OwnerLabelKey] == p.ownerID
}

func (p *planner) allowsUpdates() bool { return p.policy == PolicySync || p.policy == PolicyUpsertOnly }
func (p *planner) allowsDeletes() bool { return p.policy == PolicySync }

func (p *planner) planSlot(s *slot) {
	p.dropShadowedCNAME(s)

	// foreign is the record not ours with the smallest type, so that the warning naming
	// it does not depend on the order of Input.Current.
	var foreign *endpoint.Endpoint
	var unwanted []*endpoint.Endpoint
	for _, c := range s.current {
		switch {
		case !p.isOurs(c):
			if foreign == nil || c.RecordType < foreign.RecordType {
				foreign = c
			}
		case !s.wants(c.RecordType):
			unwanted = append(unwanted, c)
		}
	}

	for _, g := range s.desired {
		cur := s.currentOf(g.recordType)
		curIsOurs := cur != nil && p.isOurs(cur)
		var owned *endpoint.Endpoint
		if curIsOurs {
			owned = cur
		}
		kept := p.resolve(s.key, g, owned)
		switch {
		case cur != nil && !curIsOurs:
			p.warnNotOwned(kept.endpoint.Refs, s.key.DNSName, cur, recordDesc(g.recordType, s.key)+" exists and is "+ownership(cur))
		case curIsOurs:
			if p.allowsUpdates() && needsUpdate(kept.endpoint, cur) {
				p.result.Changes.Update = append(p.result.Changes.Update, Update{Old: cur.Clone(), New: p.output(s.key, kept)})
			}
		case foreign != nil:
			p.warnNotOwned(kept.endpoint.Refs, s.key.DNSName, foreign, "cannot create "+recordDesc(g.recordType, s.key)+": "+
				recordDesc(foreign.RecordType, s.key)+" exists and is "+ownership(foreign))
		default:
			if blocker := p.withheldClash(g.recordType, unwanted); blocker != nil {
				p.warn(kept.endpoint.Refs, s.key.DNSName, "cannot create "+recordDesc(g.recordType, s.key)+": "+
					recordDesc(blocker.RecordType, s.key)+" is ours and no longer wanted, but policy "+
					string(p.policy)+" does not delete it, and the two cannot coexist")
				continue
			}
			p.result.Changes.Create = append(p.result.Changes.Create, p.output(s.key, kept))
		}
	}

	if p.allowsDeletes() {
		for _, c := range unwanted {
			p.result.Changes.Delete = append(p.result.Changes.Delete, c.Clone())
		}
	}
}

// dropShadowedCNAME applies "a CNAME and an A/AAAA at one name: the CNAME is dropped":
// a CNAME cannot coexist with other data at its name (RFC 1034 3.6.2). When the name
// holds our CNAME already and an object still wants it, the holder keeps the name and
// the A and AAAA records are dropped instead, unless the holder itself asks for them: a
// newcomer does not evict the holder.
func (p *planner) dropShadowedCNAME(s *slot) {
	if !s.wants(endpoint.RecordTypeA) && !s.wants(endpoint.RecordTypeAAAA) || !s.wants(endpoint.RecordTypeCNAME) {
		return
	}
	if cur := s.currentOf(endpoint.RecordTypeCNAME); cur != nil && p.isOurs(cur) &&
		s.wantedBy(cur.Labels[endpoint.ResourceLabelKey], endpoint.RecordTypeCNAME) &&
		!s.wantedBy(cur.Labels[endpoint.ResourceLabelKey], endpoint.RecordTypeA, endpoint.RecordTypeAAAA) {
		holder := cur.Labels[endpoint.ResourceLabelKey]
		s.desired = slices.DeleteFunc(s.desired, func(g group) bool {
			if g.recordType != endpoint.RecordTypeA && g.recordType != endpoint.RecordTypeAAAA {
				return false
			}
			for _, ep := range g.endpoints {
				p.warnConflict(ep.Refs, s.key.DNSName, recordDesc(g.recordType, s.key)+" not created: the name holds the CNAME record of "+
					holder+", which still wants it, and a CNAME cannot coexist with other data")
			}
			return true
		})
		return
	}
	s.desired = slices.DeleteFunc(s.desired, func(g group) bool {
		if g.recordType != endpoint.RecordTypeCNAME {
			return false
		}
		for _, ep := range g.endpoints {
			p.warnConflict(ep.Refs, s.key.DNSName, recordDesc(endpoint.RecordTypeCNAME, s.key)+
				" dropped: A or AAAA records are wanted at the same name, and a CNAME cannot coexist with them")
		}
		return true
	})
}

// wantedBy reports whether the object named object (ObjectRef.String) asks for a record
// of one of recordTypes at s.
func (s *slot) wantedBy(object string, recordTypes ...string) bool {
	for _, g := range s.desired {
		if !slices.Contains(recordTypes, g.recordType) {
			continue
		}
		for _, ep := range g.endpoints {
			if slices.ContainsFunc(ep.Refs, func(r endpoint.ObjectRef) bool { return r.String() == object }) {
				return true
			}
		}
	}
	return false
}

// withheldClash returns an owned, unwanted record that the policy keeps and that a new
// record of recordType could not coexist with.
func (p *planner) withheldClash(recordType string, unwanted []*endpoint.Endpoint) *endpoint.Endpoint {
	if p.allowsDeletes() {
		return nil
	}
	var clash *endpoint.Endpoint
	for _, u := range unwanted {
		if (recordType == endpoint.RecordTypeCNAME || u.RecordType == endpoint.RecordTypeCNAME) &&
			(clash == nil || u.RecordType < clash.RecordType) {
			clash = u
		}
	}
	return clash
}

func ownership(ep *endpoint.Endpoint) string {
	if owner := ep.Labels[endpoint.OwnerLabelKey]; owner != "" {
		return "owned by " + owner
	}
	return "not owned by zonekeeper: no ownership TXT record"
}

func recordDesc(recordType string, key endpoint.Key) string {
	if key.SetIdentifier == "" {
		return recordType + " record"
	}
	return recordType + " record (set identifier " + key.SetIdentifier + ")"
}

// Why a winner won, for the losers' warnings.
const (
	reasonLabel   = "it is named in the current record's resource label"
	reasonTargets = "it has the smallest target list (external-dns's choice; objects of different kinds or TTLs are not merged)"
	reasonFirst   = "it sorts first"
)

// resolve resolves the desired endpoints of one group into the record to keep (see
// Calculate). owned is the current record of the same type when it is ours, else nil.
func (p *planner) resolve(key endpoint.Key, g group, owned *endpoint.Endpoint) candidate {
	if len(g.endpoints) == 1 {
		return candidate{endpoint: g.endpoints[0]}
	}
	wishes := make([]candidate, len(g.endpoints))
	for i, ep := range g.endpoints {
		wishes[i] = candidate{id: smallestRef(ep.Refs), endpoint: ep}
	}
	slices.SortFunc(wishes, compareCandidates)
	objects := p.mergeRuns(key, g.recordType, wishes, func(a, b candidate) bool { return a.id == b.id })
	if len(objects) == 1 {
		return objects[0]
	}
	// objects is sorted by id; a stable sort by source key keeps each run sorted by id,
	// so that every merged candidate takes the smallest object's settings.
	slices.SortStableFunc(objects, func(a, b candidate) int { return compareSourceKeys(g.recordType, a, b) })
	candidates := p.mergeRuns(key, g.recordType, objects, func(a, b candidate) bool {
		return compareSourceKeys(g.recordType, a, b) == 0
	})
	if len(candidates) == 1 {
		return candidates[0]
	}
	winner, reason := pickWinner(g.recordType, candidates, owned)
	for i, c := range candidates {
		if i != winner {
			p.warnLost(c, candidates[winner], key.DNSName, lostTargetMessage(key, g.recordType, c, candidates[winner], reason))
		}
	}
	return candidates[winner]
}

// mergeRuns merges each run of consecutive members that same says belong together,
// keeping the first member's settings.
func (p *planner) mergeRuns(key endpoint.Key, recordType string, members []candidate, same func(a, b candidate) bool) []candidate {
	out := make([]candidate, 0, len(members))
	for start := 0; start < len(members); {
		end := start + 1
		for end < len(members) && same(members[start], members[end]) {
			end++
		}
		out = append(out, p.merge(key, recordType, members[start:end], 0, reasonFirst))
		start = end
	}
	return out
}

// compareSourceKeys orders objects by what external-dns merges within a source: the
// kind, the TTL and, for a CNAME, the target (CNAMEs are never merged, only deduplicated).
func compareSourceKeys(recordType string, a, b candidate) int {
	kindA, _, _ := strings.Cut(a.id, "/")
	kindB, _, _ := strings.Cut(b.id, "/")
	c := cmp.Or(strings.Compare(kindA, kindB), cmp.Compare(a.endpoint.RecordTTL, b.endpoint.RecordTTL))
	if c == 0 && recordType == endpoint.RecordTypeCNAME {
		c = slices.Compare(canonicalTargets(recordType, a.endpoint.Targets), canonicalTargets(recordType, b.endpoint.Targets))
	}
	return c
}

// compareCandidates orders wishes by object, then by content, so that the result does
// not depend on the order of Input.Desired.
func compareCandidates(a, b candidate) int {
	return cmp.Or(
		strings.Compare(a.id, b.id),
		cmp.Compare(a.endpoint.RecordTTL, b.endpoint.RecordTTL),
		compareTargetLists(a.endpoint.RecordType, a.endpoint.Targets, b.endpoint.Targets),
		slices.CompareFunc(a.endpoint.ProviderSpecific, b.endpoint.ProviderSpecific, compareProperties),
		slices.Compare(a.endpoint.Targets, b.endpoint.Targets),
	)
}

func compareProperties(a, b endpoint.Property) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Value, b.Value))
}

// compareTargetLists is external-dns's order of target lists: the shorter list first,
// then the sorted lists target by target, an address before a host name, two addresses
// by value, two host names as strings.
// Targets are compared as endpoint.CanonicalTarget spells them, duplicates removed.
func compareTargetLists(recordType string, a, b endpoint.Targets) int {
	a, b = canonicalTargets(recordType, a), canonicalTargets(recordType, b)
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		ipA, errA := netip.ParseAddr(a[i])
		ipB, errB := netip.ParseAddr(b[i])
		switch {
		case errA == nil && errB == nil:
			return ipA.Compare(ipB)
		case errA == nil:
			return -1
		case errB == nil:
			return 1
		}
		return strings.Compare(a[i], b[i])
	}
	return 0
}

// pickWinner applies the resolution rules to candidates (each a merged source key).
// The winner's id is the label's object when rule 1 picked it, so that the resource
// label of a kept record does not change.
func pickWinner(recordType string, candidates []candidate, owned *endpoint.Endpoint) (int, string) {
	if owned != nil {
		if label := owned.Labels[endpoint.ResourceLabelKey]; label != "" {
			// Our own labels name a candidate's id; a label written by external-dns may
			// name any object of a merged candidate.
			i := slices.IndexFunc(candidates, func(c candidate) bool { return c.id == label })
			if i < 0 {
				i = slices.IndexFunc(candidates, func(c candidate) bool {
					return slices.ContainsFunc(c.endpoint.Refs, func(r endpoint.ObjectRef) bool { return r.String() == label })
				})
			}
			if i >= 0 {
				candidates[i].id = label
				return i, reasonLabel
			}
		}
	}
	winner := 0
	for i, c := range candidates[1:] {
		w := candidates[winner]
		if cmp.Or(compareTargetLists(recordType, c.endpoint.Targets, w.endpoint.Targets), strings.Compare(c.id, w.id)) < 0 {
			winner = i + 1
		}
	}
	return winner, reasonTargets
}

// merge combines members into one record kept from members[winner], warning the members
// whose wishes are not kept.
func (p *planner) merge(key endpoint.Key, recordType string, members []candidate, winner int, reason string) candidate {
	if len(members) == 1 {
		return members[0]
	}
	win := members[winner]
	merged := &endpoint.Endpoint{
		DNSName:          key.DNSName,
		RecordType:       recordType,
		SetIdentifier:    key.SetIdentifier,
		RecordTTL:        win.endpoint.RecordTTL,
		ProviderSpecific: win.endpoint.ProviderSpecific,
	}
	isCNAME := recordType == endpoint.RecordTypeCNAME
	for i, m := range members {
		if i != winner && isCNAME && !sameTargets(recordType, m.endpoint.Targets, win.endpoint.Targets) {
			p.warnLost(m, win, key.DNSName, lostTargetMessage(key, recordType, m, win, reason))
			continue
		}
		if i == winner || !isCNAME {
			merged.Targets = append(merged.Targets, m.endpoint.Targets...)
		}
		merged.Refs = append(merged.Refs, m.endpoint.Refs...)
		if m.endpoint.RecordTTL != win.endpoint.RecordTTL ||
			!sameProperties(m.endpoint.ProviderSpecific, win.endpoint.ProviderSpecific) {
			p.warnLost(m, win, key.DNSName, lostSettingsMessage(key, recordType, m, win, reason))
		}
	}
	merged.Refs = sortedRefs(merged.Refs)
	return candidate{id: win.id, endpoint: merged}
}

func lostTargetMessage(key endpoint.Key, recordType string, loser, winner candidate, reason string) string {
	lost, kept := strings.Join(loser.endpoint.Targets, ","), strings.Join(winner.endpoint.Targets, ",")
	if loser.id == winner.id {
		return recordDesc(recordType, key) + ": the object asks for several targets; " + kept + " is kept, " + lost + " ignored"
	}
	return recordDesc(recordType, key) + ": target " + lost + " conflicts with " + winner.id + ", which wants " + kept +
		" and is kept because " + reason
}

func lostSettingsMessage(key endpoint.Key, recordType string, loser, winner candidate, reason string) string {
	if loser.id == winner.id {
		return recordDesc(recordType, key) + ": the object asks for it more than once with different TTLs or " +
			"provider-specific properties; one set is kept"
	}
	return recordDesc(recordType, key) + ": TTL and provider-specific properties differ from those of " + winner.id +
		", which are kept because " + reason
}

// output renders the kept record as a fresh endpoint to create or update.
func (p *planner) output(key endpoint.Key, kept candidate) *endpoint.Endpoint {
	ep := kept.endpoint
	id := kept.id
	if id == "" {
		id = smallestRef(ep.Refs)
	}
	labels := endpoint.Labels{endpoint.OwnerLabelKey: p.ownerID}
	if id != "" {
		labels[endpoint.ResourceLabelKey] = id
	}
	return &endpoint.Endpoint{
		DNSName:          key.DNSName,
		RecordType:       ep.RecordType,
		Targets:          uniqueTargets(ep.RecordType, ep.Targets),
		RecordTTL:        ep.RecordTTL,
		SetIdentifier:    key.SetIdentifier,
		Labels:           labels,
		ProviderSpecific: slices.Clone(ep.ProviderSpecific),
		Refs:             slices.Clone(ep.Refs),
	}
}

func needsUpdate(desired, current *endpoint.Endpoint) bool {
	return desired.RecordTTL.IsConfigured() && desired.RecordTTL != current.RecordTTL ||
		!sameTargets(desired.RecordType, desired.Targets, current.Targets) ||
		!sameProperties(desired.ProviderSpecific, current.ProviderSpecific)
}

// sameTargets is endpoint.SameTargets with a fast path for identical lists, the common
// case of an unchanged record.
func sameTargets(recordType string, a, b endpoint.Targets) bool {
	return slices.Equal(a, b) || endpoint.SameTargets(recordType, a, b)
}

func sameProperties(a, b endpoint.ProviderSpecific) bool {
	if len(a) != len(b) {
		return false
	}
	if !slices.IsSortedFunc(a, compareProperties) {
		a = slices.SortedFunc(slices.Values(a), compareProperties)
	}
	if !slices.IsSortedFunc(b, compareProperties) {
		b = slices.SortedFunc(slices.Values(b), compareProperties)
	}
	return slices.Equal(a, b)
}

// uniqueTargets returns a copy of targets without duplicates under
// endpoint.CanonicalTarget, keeping the first spelling of each.
func uniqueTargets(recordType string, targets endpoint.Targets) endpoint.Targets {
	if len(targets) < 2 {
		return slices.Clone(targets)
	}
	seen := make(map[string]struct{}, len(targets))
	out := make(endpoint.Targets, 0, len(targets))
	for _, t := range targets {
		c := endpoint.CanonicalTarget(recordType, t)
		if _, dup := seen[c]; !dup {
			seen[c] = struct{}{}
			out = append(out, t)
		}
	}
	return out
}

// canonicalTargets returns targets as endpoint.CanonicalTarget spells them, sorted and
// without duplicates.
func canonicalTargets(recordType string, targets endpoint.Targets) []string {
	out := make([]string, len(targets))
	for i, t := range targets {
		out[i] = endpoint.CanonicalTarget(recordType, t)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func smallestRef(refs []endpoint.ObjectRef) string {
	var smallest string
	for i, r := range refs {
		if s := r.String(); i == 0 || s < smallest {
			smallest = s
		}
	}
	return smallest
}

func compareRefs(a, b endpoint.ObjectRef) int {
	return cmp.Or(strings.Compare(a.String(), b.String()), strings.Compare(a.Source, b.Source))
}

// sortedRefs sorts refs by ObjectRef.String() and removes duplicates, in place.
func sortedRefs(refs []endpoint.ObjectRef) []endpoint.ObjectRef {
	slices.SortFunc(refs, compareRefs)
	return slices.Compact(refs)
}

// ConflictError is the warning an object gets when objects want different things of one
// record and another object's wish was taken (see Calculate).
type ConflictError struct{ msg string }

func (e *ConflictError) Error() string { return e.msg }

// warn records a warning on every object in refs (or one without an object when refs is
// empty, so that the warning is not lost).
func (p *planner) warn(refs []endpoint.ObjectRef, name, msg string) {
	p.problem(refs, name, errors.New(msg))
}

// NotOwnedError is the warning for objects whose record cannot be written because the
// name holds a record zonekeeper does not own: another owner id's, or one without an
// ownership record.
type NotOwnedError struct {
	// Owner is the other owner id; empty for a record without an ownership record.
	Owner string
	msg   string
}

func (e *NotOwnedError) Error() string { return e.msg }

// warnNotOwned is warn for objects kept from a name by holder, a record not ours.
func (p *planner) warnNotOwned(refs []endpoint.ObjectRef, name string, holder *endpoint.Endpoint, msg string) {
	p.problem(refs, name, &NotOwnedError{Owner: holder.Labels[endpoint.OwnerLabelKey], msg: msg})
}

// warnConflict is warn for objects that lost a record to another object.
func (p *planner) warnConflict(refs []endpoint.ObjectRef, name, msg string) {
	p.problem(refs, name, &ConflictError{msg: msg})
}

// warnLost warns the loser of a merge: a conflict when another object won, a plain
// warning when an object contradicts itself.
func (p *planner) warnLost(loser, winner candidate, name, msg string) {
	if loser.id == winner.id {
		p.warn(loser.endpoint.Refs, name, msg)
		return
	}
	p.warnConflict(loser.endpoint.Refs, name, msg)
}

func (p *planner) problem(refs []endpoint.ObjectRef, name string, err error) {
	if len(refs) == 0 {
		p.result.Problems = append(p.result.Problems, endpoint.Problem{DNSName: name, Err: err, Warning: true})
		return
	}
	for _, r := range refs {
		p.result.Problems = append(p.result.Problems, endpoint.Problem{Ref: r, DNSName: name, Err: err, Warning: true})
	}
}

func (p *planner) sortResult() {
	c := &p.result.Changes
	slices.SortFunc(c.Create, endpoint.Compare)
	slices.SortFunc(c.Delete, endpoint.Compare)
	slices.SortFunc(c.Update, func(a, b Update) int { return endpoint.Compare(a.Old, b.Old) })
	p.result.Problems = sortedProblems(p.result.Problems)
}

// sortedProblems sorts problems by name, object and message and drops repeats (one
// object can lose the same way through several of its endpoints).
func sortedProblems(problems []endpoint.Problem) []endpoint.Problem {
	if len(problems) == 0 {
		return nil
	}
	type sortable struct {
		ref, msg string
		problem  endpoint.Problem
	}
	keyed := make([]sortable, len(problems))
	for i, pr := range problems {
		keyed[i] = sortable{ref: pr.Ref.String(), msg: pr.Err.Error(), problem: pr}
	}
	slices.SortFunc(keyed, func(a, b sortable) int {
		return cmp.Or(
			strings.Compare(a.problem.DNSName, b.problem.DNSName),
			strings.Compare(a.ref, b.ref),
			strings.Compare(a.problem.Ref.Source, b.problem.Ref.Source),
			strings.Compare(a.msg, b.msg),
		)
	})
	out := make([]endpoint.Problem, 0, len(keyed))
	for i, k := range keyed {
		if i > 0 && k.problem.DNSName == keyed[i-1].problem.DNSName && k.problem.Ref == keyed[i-1].problem.Ref && k.msg == keyed[i-1].msg {
			continue
		}
		out = append(out, k.problem)
	}
	return out
}
