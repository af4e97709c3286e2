// Package provider defines how zonekeeper talks to a DNS service, and the helpers every
// provider shares.
package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Zone is one DNS zone a provider serves.
type Zone struct {
	// ID is the provider's identifier of the zone; for providers without one, the name.
	ID string
	// Name is the zone's apex, normalised (see endpoint.NormalizeName).
	Name string
}

// Op is the kind of a record change.
type Op int

// The record operations.
const (
	OpCreate Op = iota + 1 // add an RRset that does not exist
	OpUpdate               // replace an existing RRset (Old) with New, same name, type and set identifier
	OpDelete               // remove the RRset Old, which must exist with exactly those targets
)

func (o Op) String() string {
	switch o {
	case OpCreate:
		return "create"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// RecordChange is one operation on one RRset.
type RecordChange struct {
	Op  Op
	Old *endpoint.Endpoint // OpUpdate, OpDelete
	New *endpoint.Endpoint // OpCreate, OpUpdate
}

// Endpoint returns the record set the change is about: New, or Old for a delete.
func (rc RecordChange) Endpoint() *endpoint.Endpoint {
	if rc.New != nil {
		return rc.New
	}
	return rc.Old
}

func (rc RecordChange) String() string {
	switch rc.Op {
	case OpUpdate:
		return fmt.Sprintf("update %s -> %s", rc.Old, rc.New)
	case OpDelete:
		return "delete " + rc.Old.String()
	}
	return "create " + rc.New.String()
}

// Change is one planned record change together with the changes to its ownership TXT
// records: the unit that must be applied whole or not at all. Records lists them in the
// order a provider without atomic batches must follow to stay crash-consistent:
// ownership TXT is created before the record it owns and deleted after it.
type Change struct {
	// Records holds the record changes; Records[Primary] is the planned one, the
	// others are its ownership records.
	Records []RecordChange
	Primary int
}

// Main returns the planned record change (not an ownership record).
func (c Change) Main() RecordChange { return c.Records[c.Primary] }

func (c Change) String() string { return c.Main().String() }

// Provider is a DNS service holding zones.
//
// Implementations are safe for concurrent use by several goroutines, but zonekeeper calls
// Apply for one zone at a time.
type Provider interface {
	// Zones lists the zones this provider manages, after any zone filter it was
	// configured with.
	Zones(ctx context.Context) ([]Zone, error)

	// Records returns every RRset of zone, of every type, grouped into endpoints by
	// (name, type, set identifier), names normalised, TXT targets joined and quoted
	// (endpoint.TXTTarget). An error means the zone could not be read at all.
	Records(ctx context.Context, zone Zone) ([]*endpoint.Endpoint, error)

	// Apply carries out changes in zone. Each Change is atomic: all of its record changes
	// take effect or none do. Changes are independent of one another: one that fails does
	// not stop the others. Creating an RRset that exists, deleting one that does not, or
	// deleting with targets that do not match is a failure of that Change.
	//
	// Apply returns nil when every change was applied, an *ApplyError naming each failed
	// change when only some were, and any other error when the zone could not be reached
	// (then none, or an unknown part, of the changes was applied).
	Apply(ctx context.Context, zone Zone, changes []Change) error
}

// ChangeError is one change a provider refused, with its reason.
type ChangeError struct {
	Change Change
	Err    error
}

func (e ChangeError) Error() string { return e.Change.String() + ": " + e.Err.Error() }

// ApplyError reports the changes of one Apply call that failed; the others were applied.
type ApplyError struct {
	Zone string
	// Failed holds each failed Change as it was passed to Apply (the same record
	// pointers), so that callers can tell which of theirs failed.
	Failed []ChangeError
}

func (e *ApplyError) Error() string {
	parts := make([]string, 0, len(e.Failed))
	for _, f := range e.Failed {
		parts = append(parts, f.Error())
	}
	return fmt.Sprintf("zone %s: %d change(s) failed: %s", e.Zone, len(e.Failed), strings.Join(parts, "; "))
}

// FailedChanges returns the per-change failures in err, if err is (or wraps) an
// *ApplyError.
func FailedChanges(err error) []ChangeError {
	var ae *ApplyError
	if errors.As(err, &ae) {
		return ae.Failed
	}
	return nil
}

// Succeeded returns the changes of one Apply call that are not among its failures, in
// order: the ones the provider applied, when Apply returned nil or an *ApplyError. A
// failed change is recognised by the identity of its main record, which ApplyError.Failed
// keeps.
func Succeeded(changes []Change, failed []ChangeError) []Change {
	if len(failed) == 0 {
		return changes
	}
	bad := make(map[*endpoint.Endpoint]bool, len(failed))
	for _, f := range failed {
		bad[f.Change.Main().Endpoint()] = true
	}
	out := make([]Change, 0, len(changes))
	for _, ch := range changes {
		if !bad[ch.Main().Endpoint()] {
			out = append(out, ch)
		}
	}
	return out
}

// ZoneFor returns the zone that holds name: the one whose name is the longest label-wise
// suffix of name. ok is false when no zone holds it.
func ZoneFor(name string, zones []Zone) (zone Zone, ok bool) {
	for _, z := range zones {
		if endpoint.IsSubdomain(name, z.Name) && (!ok || len(z.Name) > len(zone.Name)) {
			zone, ok = z, true
		}
	}
	return zone, ok
}

// Flatten lists the record changes of changes in order.
func Flatten(changes []Change) []RecordChange {
	var out []RecordChange
	for _, c := range changes {
		out = append(out, c.Records...)
	}
	return out
}
