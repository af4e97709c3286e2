// Package provider defines how zonekeeper talks to a DNS service, and the helpers every
// provider shares.
package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
//
// Ownership records carry no provider settings. Every ownership record a Change writes
// (the New of each record change other than Records[Primary]) is a plain TXT RRset: its
// ProviderSpecific is empty (never proxied, never an alias, no routing properties, no
// comment or tags), its TTL is 0 (the provider's default), and only its SetIdentifier is
// copied from the record it owns, which keeps two owned RRsets of one name and type
// (weighted, failover, …) from sharing one ownership RRset. An Old is what Records
// returned, with whatever the service keeps on it. The registry builds Changes so
// (registry.TXT); CheckChange refuses a Change that breaks the rule, and every provider's
// Apply calls it, so that a setting meant for the owned record never reaches a record
// the service would refuse it on (Cloudflare refuses a proxied TXT).
//
// A service may demand more of a record with a set identifier than the identifier:
// Route 53 refuses one without a routing policy. Such a provider derives what it needs
// from the owned record, in its own wire format: Main for a planned change, Owned for a
// Change that writes only ownership records.
type Change struct {
	// Records holds the record changes; Records[Primary] is the planned one, the
	// others are its ownership records.
	Records []RecordChange
	Primary int
	// Owned is the record the ownership records of the Change belong to, as it stands
	// once the Change is applied (as it stood, for a deletion). It is set whenever the
	// Change holds ownership records; when Records holds only an ownership record (a
	// missing one being written), it is the only way to know the owned record.
	Owned *endpoint.Endpoint
}

// Main returns the planned record change (not an ownership record).
func (c Change) Main() RecordChange { return c.Records[c.Primary] }

// ErrOwnershipSettings is the failure of a Change whose ownership record carries provider
// settings (see Change).
var ErrOwnershipSettings = errors.New("an ownership record carries provider settings")

// CheckChange checks the shape of c that every provider relies on: at least one record
// change, Primary within Records, and no provider settings on an ownership record it
// writes (see Change). Each provider's Apply fails a Change that does not pass, alone,
// with this error.
func CheckChange(c Change) error {
	if len(c.Records) == 0 || c.Primary < 0 || c.Primary >= len(c.Records) {
		return fmt.Errorf("a change of %d record changes with primary %d", len(c.Records), c.Primary)
	}
	for i, rc := range c.Records {
		e := rc.New
		if i == c.Primary || e == nil {
			continue
		}
		if len(e.ProviderSpecific) > 0 {
			return fmt.Errorf("%w: %s %s has %s=%q", ErrOwnershipSettings, e.DNSName, e.RecordType, e.ProviderSpecific[0].Name, e.ProviderSpecific[0].Value)
		}
	}
	return nil
}

func (c Change) String() string { return c.Main().String() }

// Provider is a DNS service holding zones.
//
// Implementations are safe for concurrent use by several goroutines, but zonekeeper calls
// Apply for one zone at a time.
//
// Every capability the controller uses is a method of this interface or of
// ChangeDetector or PropagationVerifier, and Cached also asks DriftProber; a wrapper
// (such as Cached) that embeds nothing and implements Provider therefore cannot drop one
// without failing to compile (AdjustEndpoints), or without failing
// TestWrappersKeepCapabilities (the others).
type Provider interface {
	// AdjustEndpoints returns desired rewritten into exactly the form Records returns
	// for them once they are applied: defaults filled in, and targets or types rewritten
	// where the provider stores them differently (one endpoint may become several, e.g.
	// Route53's ALIAS A and AAAA). It never modifies desired or the endpoints in it,
	// which belong to the sources; endpoints it changes are copies, and it keeps their
	// Refs. An endpoint the provider cannot hold is left out and reported as a Problem
	// naming its objects (from Refs) and the reason, so that one bad object costs only
	// its own records.
	//
	// It depends only on desired and the provider's configuration (no I/O), and is safe
	// for concurrent use. One exception: the webhook provider learns the rules from
	// the webhook (POST /adjustendpoints), bounded by its read timeout; when that call
	// fails it returns desired unchanged, with no problem, so that a broken sidecar
	// never makes a record look unwanted. The controller calls it once per reconcile,
	// before the endpoints are assigned to zones and planned; ownership TXT records are
	// never passed to it. Providers that store records exactly as asked embed
	// NoAdjustment.
	AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem)

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

// ApplyError reports an Apply call that did not apply every change: which were refused,
// and, when Apply stopped before it was done, which were never sent and which were in
// flight. Every change passed to Apply that it does not list was applied.
type ApplyError struct {
	Zone string
	// Failed holds each refused Change as it was passed to Apply (the same record
	// pointers), so that callers can tell which of theirs failed. The service holds none
	// of a refused Change's records.
	Failed []ChangeError
	// Stopped, when set, is why Apply ended before it had an answer for every change: a
	// server that went away mid-way, a timeout, credentials revoked. Unknown and
	// NotAttempted then list the changes without an answer.
	Stopped error
	// Unknown are the changes sent in the request that was in flight when Apply
	// stopped: the service may or may not have applied them.
	Unknown []Change
	// NotAttempted are the changes Apply never sent.
	NotAttempted []Change
}

func (e *ApplyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zone %s: ", e.Zone)
	if e.Stopped != nil {
		fmt.Fprintf(&b, "stopped with %d change(s) in flight and %d not attempted: %v", len(e.Unknown), len(e.NotAttempted), e.Stopped)
		if len(e.Failed) > 0 {
			b.WriteString("; ")
		}
	}
	if len(e.Failed) > 0 {
		parts := make([]string, 0, len(e.Failed))
		for _, f := range e.Failed {
			parts = append(parts, f.Error())
		}
		fmt.Fprintf(&b, "%d change(s) failed: %s", len(e.Failed), strings.Join(parts, "; "))
	}
	return b.String()
}

// Unwrap returns Stopped, so that errors.Is sees a context's end or a network error.
func (e *ApplyError) Unwrap() error { return e.Stopped }

// FailedChanges returns the per-change failures in err, if err is (or wraps) an
// *ApplyError.
func FailedChanges(err error) []ChangeError {
	var ae *ApplyError
	if errors.As(err, &ae) {
		return ae.Failed
	}
	return nil
}

// Outcome is what the error of one Apply call says of each of its changes.
type Outcome struct {
	Applied []Change
	Failed  []ChangeError
	// Unknown may or may not have been applied; NotAttempted were not.
	Unknown, NotAttempted []Change
	// Stopped is the error that ended Apply early, nil when every change has an answer.
	Stopped error
}

// OutcomeOf sorts changes, as passed to one Apply call, by err, what the call returned:
// nil applied them all; an *ApplyError lists those that were not (see ApplyError); any
// other error is an Apply that stopped without saying how far it got, so every change is
// Unknown. Changes are told apart by the identity of their main record.
func OutcomeOf(changes []Change, err error) Outcome {
	if err == nil {
		return Outcome{Applied: changes}
	}
	var ae *ApplyError
	if !errors.As(err, &ae) {
		return Outcome{Unknown: changes, Stopped: err}
	}
	out := Outcome{Failed: ae.Failed, Unknown: ae.Unknown, NotAttempted: ae.NotAttempted}
	if ae.Stopped != nil {
		out.Stopped = err
	}
	settled := make(map[*endpoint.Endpoint]bool, len(ae.Failed)+len(ae.Unknown)+len(ae.NotAttempted))
	for _, f := range ae.Failed {
		settled[f.Change.Main().Endpoint()] = true
	}
	for _, c := range slices.Concat(ae.Unknown, ae.NotAttempted) {
		settled[c.Main().Endpoint()] = true
	}
	for _, c := range changes {
		if !settled[c.Main().Endpoint()] {
			out.Applied = append(out.Applied, c)
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
