package provider

import (
	"context"
	"time"

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

// DetectorOf returns p as a ChangeDetector when it can ever prove a zone unchanged. A
// wrapper that passes Unchanged through to whatever it wraps (Cached) says with a method
// DetectsChanges() bool whether the provider beneath has a detector; without one it
// answers Unchanged with a constant false, and callers that treat a ChangeDetector as
// proof-capable (a cache written through, plans that wait for a proof) must treat it as
// none.
func DetectorOf(p Provider) (ChangeDetector, bool) {
	d, ok := p.(ChangeDetector)
	if !ok {
		return nil, false
	}
	if w, ok := p.(interface{ DetectsChanges() bool }); ok && !w.DetectsChanges() {
		return nil, false
	}
	return d, true
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

// PropagationVerifier is implemented by providers that can tell whether the changes
// their Apply made are served: answered as written by what resolvers ask, not merely
// accepted by the API or the primary's UPDATE handler.
//
// VerifyServed checks changes that an Apply call of the same provider applied to zone
// (provider.OutcomeOf's Applied) and returns one Serving per change, in the order of
// applied. It checks each Change's main record; its ownership records travel in the
// same atomic write and are served with it. It asks again, with a backoff suited to the
// service (RFC2136: 50 ms doubling to 2 s; Route53: 1 s doubling to 15 s; Cloudflare:
// 1 s doubling to 10 s), until every change is served or ctx ends: the caller bounds it
// with a deadline on ctx. A change still not served when
// ctx ends is reported with Served unset and, in Pending, who does not serve it and
// what they answered; that is a result, not an error. An error means the question
// could not be asked at all (the provider cannot verify this zone, the service refused
// the request); the result is then nil.
//
// What served means, and what it costs, per provider:
//   - RFC2136: the primary the provider updates (and, when configured, every name
//     server in the zone's NS RRset) answers a query for the change's name and type
//     with exactly the written records and TTL; for a delete, NXDOMAIN or no records of
//     that type. One query per changed RRset and server per round, on one TCP
//     connection per server, plus one NS query per call when every name server is asked.
//   - Route53: GetChange of each ChangeResourceRecordSets request that carried a change
//     reports INSYNC (Route 53's own statement that every one of its name servers
//     serves it). One GetChange per request per round.
//   - Cloudflare: the records read back from the API by name hold exactly what was
//     written (Cloudflare serves what its API holds). One list request per changed
//     name per round.
//
// Implementations are safe for concurrent use.
type PropagationVerifier interface {
	VerifyServed(ctx context.Context, zone Zone, applied []Change) ([]Serving, error)
}

// Serving is what VerifyServed found for one change.
type Serving struct {
	// Served is set when every server asked serves the change as written.
	Served bool
	// At is when the change was first seen served everywhere; zero unless Served.
	At time.Time
	// By names who was seen serving it: the name servers (RFC2136, as host:port or
	// their NS name), or the service ("Route 53", "the Cloudflare API").
	By []string
	// Pending, when not Served, says who did not serve it yet and what was seen instead,
	// e.g. "ns2.example.com (127.0.0.2:53): NXDOMAIN".
	Pending string
}
