package provider

import (
	"context"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// ChangeDetector is implemented by providers that can tell, much more cheaply than by
// reading every record, whether a zone still holds what they last saw (RFC2136: the SOA
// serial). A caller that kept the result of Records may then reuse it.
//
// What the provider "last saw" is the result of its most recent Records call for the
// zone, with every change its own Apply calls have made successfully since then applied
// on top. Unchanged answers true only when it can prove the zone holds exactly that; any
// doubt (no earlier read, a write by someone else, an Apply that failed in an unknown
// state, a server that cannot be asked) answers false, so a caller never trusts stale
// records. An error means the question could not be asked; callers treat it as false.
//
// Implementations are safe for concurrent use.
type ChangeDetector interface {
	Unchanged(ctx context.Context, zone Zone) (bool, error)
}

// CallObserver is told about every request a provider sends to its DNS service, for
// metrics. Operation names the kind of request in the provider's own terms ("axfr",
// "update", "soa", "ListResourceRecordSets"); err is its outcome (nil for success).
//
// Implementations must be safe for concurrent use and must not block.
type CallObserver interface {
	ObserveCall(operation string, err error)
}

// ObserveCall reports a call to o, which may be nil.
func ObserveCall(o CallObserver, operation string, err error) {
	if o != nil {
		o.ObserveCall(operation, err)
	}
}

// NoAdjustment is embedded by providers that store every record exactly as the sources
// ask for it, so that Provider.AdjustEndpoints returns desired unchanged.
type NoAdjustment struct{}

// AdjustEndpoints returns desired as it is, with no problems.
func (NoAdjustment) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return desired, nil
}
