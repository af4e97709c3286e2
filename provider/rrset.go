package provider

import (
	"errors"
	"fmt"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Errors an RRsetStore reports for a record change that does not fit what it holds;
// match them with errors.Is.
var (
	ErrRRsetExists     = errors.New("RRset already exists")
	ErrRRsetMissing    = errors.New("RRset does not exist")
	ErrTargetsMismatch = errors.New("targets do not match the stored RRset")
	ErrOutsideZone     = errors.New("name is outside the zone")
)

// RecordCheck vets one record change before an RRsetStore applies it, for the rules of a
// particular provider (what its storage can express). A non-nil error fails the Change
// the record belongs to.
type RecordCheck func(RecordChange) error

// RRsetStore holds the RRsets of one zone, keyed by endpoint.RecordKey, and applies
// Changes to them with the strictness the Provider interface promises: creating an RRset
// that exists, or updating or deleting one that does not exist or whose targets differ
// from Old (endpoint.SameTargets), fails the Change. It exists so that providers without
// an API of their own (in memory, zone files) share one set of rules.
//
// An RRsetStore is not safe for concurrent use; the provider owning it serialises access.
type RRsetStore struct {
	zone  string
	check RecordCheck
	sets  map[endpoint.RecordKey]*endpoint.Endpoint
	// mirror: the store follows a service that accepted every change before the store
	// sees it (see NewRRsetMirror).
	mirror bool
}

// NewRRsetStore returns a store for the zone named zone (normalised) holding copies of
// records, which are taken as they are: they describe what the provider already holds,
// so they are neither validated nor checked against the zone. A later record with the
// RecordKey of an earlier one replaces it. check, if not nil, vets every record change
// applied afterwards.
func NewRRsetStore(zone string, check RecordCheck, records ...*endpoint.Endpoint) *RRsetStore {
	s := &RRsetStore{zone: zone, check: check, sets: make(map[endpoint.RecordKey]*endpoint.Endpoint, len(records))}
	for _, r := range records {
		s.sets[r.RecordKey()] = asStored(r)
	}
	return s
}

// NewRRsetMirror returns a store that follows a DNS service: every change it is given
// has been accepted by the service already, in the service's own terms, so only the
// existence and target rules apply. The form of the data is not judged: a Route53 ALIAS A
// record holds a host name, not an address. Cached keeps its copy of a zone in one.
func NewRRsetMirror(zone string, records ...*endpoint.Endpoint) *RRsetStore {
	s := NewRRsetStore(zone, nil, records...)
	s.mirror = true
	return s
}

// asStored copies e as a DNS service keeps it: the record data without zonekeeper's
// labels and object references, which live only in ownership records. Keeping them would
// let a record whose ownership record was removed still look owned.
func asStored(e *endpoint.Endpoint) *endpoint.Endpoint {
	c := e.Clone()
	c.Labels = endpoint.Labels{}
	c.Refs = nil
	return c
}

// Zone returns the name of the store's zone.
func (s *RRsetStore) Zone() string { return s.zone }

// List returns deep copies of every RRset, ordered by endpoint.Less.
func (s *RRsetStore) List() []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, 0, len(s.sets))
	for _, e := range s.sets {
		out = append(out, e.Clone())
	}
	endpoint.SortEndpoints(out)
	return out
}

// Apply applies every record change of c in order, or none of them: each is checked
// against a working copy that already reflects the ones before it, and the store changes
// only when all of them pass. Besides the existence and target rules of RRsetStore, a
// record change fails when the operation lacks the endpoint it needs, when an update
// changes the name, type or set identifier, when a record lies outside the zone, when a
// new record has an invalid name or targets (endpoint.ValidateName, or for TXT records
// endpoint.ValidateOwnerName; endpoint.ValidateTargets), or when the store's RecordCheck
// rejects it. The error names the record. A Change that fails CheckChange fails whole.
func (s *RRsetStore) Apply(c Change) error {
	if err := CheckChange(c); err != nil && !s.mirror {
		return err
	}
	pending := map[endpoint.RecordKey]*endpoint.Endpoint{} // nil value: deleted
	lookup := func(k endpoint.RecordKey) *endpoint.Endpoint {
		if e, ok := pending[k]; ok {
			return e
		}
		return s.sets[k]
	}
	for _, rc := range c.Records {
		if err := s.validate(rc); err != nil {
			return err
		}
		target := rc.Endpoint()
		key := target.RecordKey()
		stored := lookup(key)
		switch rc.Op {
		case OpCreate:
			if stored != nil {
				return fmt.Errorf("create %s: %w", describeKey(key), ErrRRsetExists)
			}
		case OpUpdate, OpDelete:
			if stored == nil {
				return fmt.Errorf("%s %s: %w", rc.Op, describeKey(key), ErrRRsetMissing)
			}
			if !endpoint.SameTargets(key.RecordType, stored.Targets, rc.Old.Targets) {
				return fmt.Errorf("%s %s: %w: stored %v, expected %v", rc.Op, describeKey(key), ErrTargetsMismatch, stored.Targets, rc.Old.Targets)
			}
		}
		if rc.Op == OpDelete {
			pending[key] = nil
		} else {
			pending[key] = asStored(rc.New)
		}
	}
	for k, e := range pending {
		if e == nil {
			delete(s.sets, k)
		} else {
			s.sets[k] = e
		}
	}
	return nil
}

// validate checks what can be judged from the record change alone.
func (s *RRsetStore) validate(rc RecordChange) error {
	switch rc.Op {
	case OpCreate:
		if rc.New == nil {
			return errors.New("create without a new record")
		}
	case OpUpdate:
		if rc.Old == nil || rc.New == nil {
			return errors.New("update without both an old and a new record")
		}
		if rc.Old.RecordKey() != rc.New.RecordKey() {
			return fmt.Errorf("update %s: new record %s has another name, type or set identifier", describeKey(rc.Old.RecordKey()), describeKey(rc.New.RecordKey()))
		}
	case OpDelete:
		if rc.Old == nil {
			return errors.New("delete without an old record")
		}
	default:
		return fmt.Errorf("unknown operation %s", rc.Op)
	}
	key := rc.Endpoint().RecordKey()
	if !endpoint.IsSubdomain(key.DNSName, s.zone) {
		return fmt.Errorf("%s %s: %w %s", rc.Op, describeKey(key), ErrOutsideZone, s.zone)
	}
	if rc.New != nil && !s.mirror {
		if err := validateRecordName(rc.New); err != nil {
			return fmt.Errorf("%s %s: %w", rc.Op, describeKey(key), err)
		}
		if err := endpoint.ValidateTargets(rc.New.RecordType, rc.New.Targets); err != nil {
			return fmt.Errorf("%s %s: %w", rc.Op, describeKey(key), err)
		}
	}
	if s.check != nil {
		if err := s.check(rc); err != nil {
			return fmt.Errorf("%s %s: %w", rc.Op, describeKey(key), err)
		}
	}
	return nil
}

// ApplyAll applies each of changes on its own (see Apply), so that one failing Change
// does not hold back the others. It returns nil when all were applied, otherwise an
// *ApplyError for the store's zone listing the failed ones in their original order;
// every Change not listed was applied.
func (s *RRsetStore) ApplyAll(changes []Change) error {
	var failed []ChangeError
	for _, c := range changes {
		if err := s.Apply(c); err != nil {
			failed = append(failed, ChangeError{Change: c, Err: err})
		}
	}
	if len(failed) > 0 {
		return &ApplyError{Zone: s.zone, Failed: failed}
	}
	return nil
}

// validateRecordName checks a new record's name: a host name, except for TXT records,
// whose names need only be DNS names (ownership records of wildcards hold a literal "*").
func validateRecordName(e *endpoint.Endpoint) error {
	if e.RecordType == endpoint.RecordTypeTXT {
		return endpoint.ValidateOwnerName(e.DNSName)
	}
	return endpoint.ValidateName(e.DNSName)
}

func describeKey(k endpoint.RecordKey) string {
	if k.SetIdentifier != "" {
		return fmt.Sprintf("%s %s [%s]", k.DNSName, k.RecordType, k.SetIdentifier)
	}
	return k.DNSName + " " + k.RecordType
}
