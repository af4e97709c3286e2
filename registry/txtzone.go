package registry

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
)

// txtKey identifies an ownership record: its name and the set identifier it shares with
// the record it owns.
type txtKey struct {
	name          string
	setIdentifier string
}

// ownershipRecord is an ownership TXT record as read from the zone.
type ownershipRecord struct {
	ep     *endpoint.Endpoint
	labels endpoint.Labels
	// nonce is the AES-GCM nonce the value was sealed with; nil for a plain value.
	nonce []byte
	// others are the RRset's other values (an SPF or site-verification string beside a
	// legacy ownership value): not ours to remove.
	others []string
	// adopted marks a record of the former owner id taken over (TXT.LoadAdopting):
	// labels already name us, the record in the zone does not yet.
	adopted bool
	// typed: its name is a current-format ownership name (TXT.isTypedName), so it is
	// never the legacy ownership record of what stands at that name.
	typed bool
}

func (o *ownershipRecord) owner() string { return o.labels[endpoint.OwnerLabelKey] }

// loadedRecord is a record other than an ownership record, labelled from its owner.
type loadedRecord struct {
	ep    *endpoint.Endpoint
	via   txtKey // the ownership record the labels came from, when owned
	owned bool
}

// txtZone is one zone as the TXT registry read it. It is not modified after Load.
type txtZone struct {
	reg    *TXT
	zone   provider.Zone
	owners map[txtKey]*ownershipRecord
	// otherTXT are TXT RRsets holding no ownership value. An ownership record is never
	// written over one: creating it would fail, and merging into it would claim data
	// someone else put there.
	otherTXT map[txtKey]bool
	records  []loadedRecord

	// index are records' positions by name and by ownership record, built on the
	// first ChangesAt call.
	indexOnce sync.Once
	atName    map[string][]int
	byVia     map[txtKey][]int
}

// buildIndex fills atName and byVia.
func (z *txtZone) buildIndex() {
	z.atName = make(map[string][]int, len(z.records))
	z.byVia = map[txtKey][]int{}
	for i, r := range z.records {
		z.atName[r.ep.DNSName] = append(z.atName[r.ep.DNSName], i)
		if r.owned {
			z.byVia[r.via] = append(z.byVia[r.via], i)
		}
	}
}

// owner returns the ownership record at k, one of the ownership candidates of ep, or nil
// when there is none or k is ep's legacy candidate and the record there has a typed name.
func (z *txtZone) owner(k txtKey, ep *endpoint.Endpoint) *ownershipRecord {
	o := z.owners[k]
	if o == nil || o.typed && k.name == z.reg.legacyName(ep.DNSName) {
		return nil
	}
	return o
}

// Records returns copies of the zone's records other than ownership records, in the
// order the provider listed them, each carrying the labels of its ownership record.
func (z *txtZone) Records() []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, 0, len(z.records))
	for _, r := range z.records {
		out = append(out, r.ep.Clone())
	}
	return out
}

// Changes implements Zone. Each provider.Change carries its ownership records in a
// crash-consistent order: ownership TXT created or updated before the record it owns,
// deleted after it. A TXT record shared by several records deleted in one plan (the
// legacy format) travels with the last of them.
func (z *txtZone) Changes(pc plan.Changes) ([]provider.Change, []endpoint.Problem) {
	return z.changes(pc, nil)
}

// ChangesAt implements Zone: the records it looks at are those at names and those
// owned through the ownership records the planned deletions may remove.
func (z *txtZone) ChangesAt(pc plan.Changes, names []string) ([]provider.Change, []endpoint.Problem) {
	z.indexOnce.Do(z.buildIndex)
	at := []int{} // not nil: no name is not every record
	for _, name := range names {
		at = append(at, z.atName[name]...)
	}
	slices.Sort(at)
	return z.changes(pc, slices.Compact(at))
}

// changes is Changes over the records at the positions at, or over every record when
// at is nil (then no index is needed).
func (z *txtZone) changes(pc plan.Changes, at []int) ([]provider.Change, []endpoint.Problem) {
	planned := plannedChanges(pc)
	touched := map[endpoint.RecordKey]bool{}
	deleted := map[endpoint.RecordKey]bool{}
	for _, rc := range planned {
		for _, ep := range []*endpoint.Endpoint{rc.Old, rc.New} {
			if ep != nil {
				touched[ep.RecordKey()] = true
			}
		}
		if rc.Op == provider.OpDelete {
			deleted[rc.Old.RecordKey()] = true
		}
	}
	stillNeeded := map[txtKey]bool{}
	needs := func(r loadedRecord) {
		if r.owned && !deleted[r.ep.RecordKey()] {
			stillNeeded[r.via] = true
		}
	}
	if at == nil {
		for _, r := range z.records {
			needs(r)
		}
	}
	lastDeleter := map[txtKey]int{}
	for i, rc := range planned {
		if rc.Op == provider.OpDelete {
			for _, k := range z.reg.ownershipCandidates(rc.Old) {
				lastDeleter[k] = i
				if at != nil {
					// The only records that can need k are those owned through it.
					for _, j := range z.byVia[k] {
						needs(z.records[j])
					}
				}
			}
		} else {
			ep := rc.Endpoint()
			stillNeeded[txtKey{z.reg.OwnershipName(ep.DNSName, ep.RecordType), ep.SetIdentifier}] = true
		}
	}

	var out []provider.Change
	var problems []endpoint.Problem
	for i, rc := range planned {
		if rc.Op == provider.OpDelete {
			out = append(out, z.deleteChange(i, rc, stillNeeded, lastDeleter))
			continue
		}
		c, err := z.writeChange(rc)
		if err != nil {
			problems = append(problems, problemsFor(rc.New, err)...)
			continue
		}
		out = append(out, c)
	}
	missing, missingProblems := z.missingChanges(touched, at)
	return append(out, missing...), append(problems, missingProblems...)
}

// deleteChange deletes the record, then each of its ownership records that is ours and
// that no record left after this plan relies on.
func (z *txtZone) deleteChange(i int, rc provider.RecordChange, stillNeeded map[txtKey]bool, lastDeleter map[txtKey]int) provider.Change {
	c := provider.Change{Records: []provider.RecordChange{rc}, Owned: rc.Old}
	for _, k := range z.reg.ownershipCandidates(rc.Old) {
		o := z.owner(k, rc.Old)
		if o == nil || o.owner() != z.reg.ownerID || stillNeeded[k] || lastDeleter[k] != i {
			continue
		}
		c.Records = append(c.Records, o.removal())
	}
	return c
}

// removal deletes the ownership record, or, when its RRset holds values of others, updates
// the RRset to just those.
func (o *ownershipRecord) removal() provider.RecordChange {
	if len(o.others) == 0 {
		return provider.RecordChange{Op: provider.OpDelete, Old: o.ep}
	}
	kept := o.ep.Clone()
	kept.Targets = slices.Clone(o.others)
	kept.ProviderSpecific, kept.RecordTTL = nil, 0
	return provider.RecordChange{Op: provider.OpUpdate, Old: o.ep, New: kept}
}

// writeChange puts the new-format ownership record of a created or updated record in
// front of it: a create when there is none, an update when the labels change, or when
// an update changes the record's provider-specific properties (a provider that derives
// the ownership record's wire form from the owned record, as Route53 gives it the
// record's routing policy, then rewrites it), nothing otherwise.
func (z *txtZone) writeChange(rc provider.RecordChange) (provider.Change, error) {
	ep := rc.New
	name := z.reg.OwnershipName(ep.DNSName, ep.RecordType)
	if !endpoint.IsSubdomain(name, z.zone.Name) {
		return provider.Change{}, &OutsideZoneError{Record: ep.DNSName, OwnershipName: name, Zone: z.zone.Name}
	}
	if err := endpoint.ValidateOwnerName(name); err != nil {
		// A 62-byte first label becomes a 65-byte "cname-" label; refused here, in plan
		// as in run, rather than by the provider after the plan said it would work.
		return provider.Change{}, fmt.Errorf("the ownership record of %s %s cannot be named: %w", ep.DNSName, ep.RecordType, err)
	}
	labels := z.desiredLabels(ep)
	key := txtKey{name, ep.SetIdentifier}
	existing := z.owners[key]
	if existing == nil && z.otherTXT[key] {
		return provider.Change{}, &OccupiedError{OwnershipName: name}
	}
	if existing == nil {
		txt, err := z.ownershipEndpoint(name, ep, labels, nil)
		if err != nil {
			return provider.Change{}, err
		}
		return withOwnership(rc, provider.RecordChange{Op: provider.OpCreate, New: txt}), nil
	}
	if existing.owner() != z.reg.ownerID {
		return provider.Change{}, &ForeignOwnerError{OwnershipName: name, Owner: existing.owner()}
	}
	sameLabels := !existing.adopted && maps.Equal(existing.labels, labels)
	propertiesChange := rc.Op == provider.OpUpdate && !slices.Equal(rc.Old.ProviderSpecific, ep.ProviderSpecific)
	if sameLabels && !propertiesChange {
		return provider.Change{Records: []provider.RecordChange{rc}}, nil
	}
	var nonce []byte
	if sameLabels {
		nonce = existing.nonce
	}
	txt, err := z.ownershipEndpoint(name, ep, labels, nonce)
	if err != nil {
		return provider.Change{}, err
	}
	txt.Targets = append(txt.Targets, existing.others...)
	return withOwnership(rc, provider.RecordChange{Op: provider.OpUpdate, Old: existing.ep, New: txt}), nil
}

// missingChanges writes, among the records at the positions at (every record when at
// is nil), the new-format ownership record of each owned, managed record
// that lacks one, or whose one still names the former owner id it was adopted from, and
// that this plan leaves alone. Records whose ownership name would
// fall outside the zone are skipped: they have no object to report the problem on, and
// the planned changes of the objects that want them already report it.
func (z *txtZone) missingChanges(touched map[endpoint.RecordKey]bool, at []int) ([]provider.Change, []endpoint.Problem) {
	var missing []*endpoint.Endpoint
	records := z.records
	if at != nil {
		records = make([]loadedRecord, len(at))
		for i, j := range at {
			records[i] = z.records[j]
		}
	}
	for _, r := range records {
		ep := r.ep
		if !r.owned || ep.Labels[endpoint.OwnerLabelKey] != z.reg.ownerID || touched[ep.RecordKey()] ||
			!z.reg.managedTypes[ep.RecordType] || !z.reg.domainFilter.Match(ep.DNSName) {
			continue
		}
		name := z.reg.OwnershipName(ep.DNSName, ep.RecordType)
		key := txtKey{name, ep.SetIdentifier}
		if o := z.owners[key]; o != nil && !o.adopted || z.otherTXT[key] || !endpoint.IsSubdomain(name, z.zone.Name) ||
			endpoint.ValidateOwnerName(name) != nil {
			continue
		}
		missing = append(missing, ep)
	}
	endpoint.SortEndpoints(missing)
	var out []provider.Change
	var problems []endpoint.Problem
	for _, ep := range missing {
		name := z.reg.OwnershipName(ep.DNSName, ep.RecordType)
		txt, err := z.ownershipEndpoint(name, ep, z.desiredLabels(ep), nil)
		if err != nil {
			problems = append(problems, problemsFor(ep, err)...)
			continue
		}
		rc := provider.RecordChange{Op: provider.OpCreate, New: txt}
		if adopted := z.owners[txtKey{name, ep.SetIdentifier}]; adopted != nil {
			txt.Targets = append(txt.Targets, adopted.others...)
			rc = provider.RecordChange{Op: provider.OpUpdate, Old: adopted.ep, New: txt}
		}
		out = append(out, provider.Change{Records: []provider.RecordChange{rc}, Owned: ep})
	}
	return out, problems
}

// desiredLabels are the labels the ownership record of ep must hold: ep's own, our
// owner id, and as resource the object the planner chose, or else the first object that
// asked for ep (Refs are sorted), as upstream names it. The planner's choice must win:
// it is the conflict winner it keeps stable from one run to the next through this label.
func (z *txtZone) desiredLabels(ep *endpoint.Endpoint) endpoint.Labels {
	labels := maps.Clone(ep.Labels)
	if labels == nil {
		labels = endpoint.Labels{}
	}
	labels[endpoint.OwnerLabelKey] = z.reg.ownerID
	if labels[endpoint.ResourceLabelKey] == "" && len(ep.Refs) > 0 {
		labels[endpoint.ResourceLabelKey] = ep.Refs[0].String()
	}
	return labels
}

// ownershipEndpoint builds the ownership record of ep: TTL unset, the record's set
// identifier, no provider-specific properties and no labels of its own (see
// provider.Change for why it carries no settings).
func (z *txtZone) ownershipEndpoint(name string, ep *endpoint.Endpoint, labels endpoint.Labels, nonce []byte) (*endpoint.Endpoint, error) {
	value, err := z.reg.encodeValue(labels, nonce)
	if err != nil {
		return nil, fmt.Errorf("encrypting ownership record %s: %w", name, err)
	}
	return &endpoint.Endpoint{
		DNSName:       name,
		RecordType:    endpoint.RecordTypeTXT,
		Targets:       endpoint.Targets{value},
		SetIdentifier: ep.SetIdentifier,
		Labels:        endpoint.Labels{},
	}, nil
}

// withOwnership orders an ownership write before the record change it belongs to.
func withOwnership(rc, txt provider.RecordChange) provider.Change {
	return provider.Change{Records: []provider.RecordChange{txt, rc}, Primary: 1, Owned: rc.New}
}

// problemsFor reports err on every object that asked for ep.
func problemsFor(ep *endpoint.Endpoint, err error) []endpoint.Problem {
	if len(ep.Refs) == 0 {
		return []endpoint.Problem{{DNSName: ep.DNSName, Err: err}}
	}
	out := make([]endpoint.Problem, 0, len(ep.Refs))
	for _, ref := range ep.Refs {
		out = append(out, endpoint.Problem{Ref: ref, DNSName: ep.DNSName, Err: err})
	}
	return out
}

// OutsideZoneError reports a record whose ownership record would lie outside its zone
// (an apex record, without a prefix ending in "."). Such a record cannot be owned, so
// it is not written: upstream writes it anyway and silently fails to own it.
type OutsideZoneError struct {
	Record, OwnershipName, Zone string
}

func (e *OutsideZoneError) Error() string {
	return fmt.Sprintf("ownership record %s of %s would fall outside zone %s, so the record cannot be owned; "+
		`set a --txt-prefix ending in "." such as "_zk-%%{record_type}." to keep ownership records inside the zone`,
		e.OwnershipName, e.Record, e.Zone)
}

// ForeignOwnerError reports an ownership record, at the name ours would take, that
// belongs to another owner id: the record is left to that owner.
type ForeignOwnerError struct {
	OwnershipName, Owner string
}

func (e *ForeignOwnerError) Error() string {
	return fmt.Sprintf("ownership record %s belongs to owner %q", e.OwnershipName, e.Owner)
}

// OccupiedError reports a TXT record that is not an ownership record standing where
// ours would go: the record is not written, since it could not be owned.
type OccupiedError struct {
	OwnershipName string
}

func (e *OccupiedError) Error() string {
	return fmt.Sprintf("a TXT record that is not an ownership record already stands at %s, where this record's ownership record goes; "+
		"remove it or choose another --txt-prefix", e.OwnershipName)
}
