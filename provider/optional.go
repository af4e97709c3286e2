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

// EndpointAdjuster is implemented by providers whose records hold settings that the
// sources leave implicit: a default TTL, Route53's ALIAS records for AWS load balancers,
// Cloudflare's proxied flag. Without it, a record read back would differ from the desired
// one in those settings and be updated on every reconcile.
//
// AdjustEndpoints returns desired rewritten into exactly the form Records returns for
// them once they are applied: defaults filled in, and targets or types rewritten where
// the provider stores them differently (one endpoint may become several, e.g. ALIAS A and
// AAAA). It never modifies desired or the endpoints in it, which belong to the sources;
// endpoints it changes are copies, and it keeps their Refs. An endpoint the provider
// cannot hold is left out and reported as a Problem naming its objects (from Refs) and
// the reason, so that one bad object costs only its own records.
//
// It depends only on desired and the provider's configuration (no I/O), and is safe
// for concurrent use. The controller calls it once per reconcile, before the endpoints
// are assigned to zones and planned; ownership TXT records are never passed to it.
type EndpointAdjuster interface {
	AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem)
}
