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

// DriftProber is implemented by providers that can ask the service, in one request far
// cheaper than Records, for a number that moves whenever a zone gains or loses records
// (Route53: GetHostedZone's ResourceRecordSetCount; Cloudflare: the total count of a
// one-page record listing). A caller that kept the result of Records may compare that
// number with what it expects, and read the zone again only when the two differ.
//
// CountOf returns how much one RRset adds to the number: an endpoint as Records returns
// it, or as a Change passed to Apply carries it. It does no I/O. The expected number
// for a zone is the sum of CountOf over the endpoints of a Records call, plus CountOf of
// the New of each record change that the provider's own Apply calls have applied
// successfully since, minus CountOf of its Old (a create adds, a delete subtracts, an
// update does both). An Apply that stopped with changes in an unknown state leaves the
// number unknown until the next Records.
//
// ProbeCount returns the number the service holds for zone now. An answer that differs
// from the expected number proves that the zone changed since the Records call (or that
// a write overlapped that call). An equal answer proves nothing: an edit that changes
// values but not how many records there are, or a record deleted and another created
// between two probes, leaves it as it was. A caller that reuses records on an equal
// answer must therefore still read the zone in full from time to time (Cached: at
// CacheConfig.FullReadInterval), and a drift the probes miss lasts until then. An error
// means the question could not be asked; callers treat it as a changed answer.
//
// Implementations are safe for concurrent use.
type DriftProber interface {
	ProbeCount(ctx context.Context, zone Zone) (int, error)
	CountOf(rrset *endpoint.Endpoint) int
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
