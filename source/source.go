// Package source turns Kubernetes objects into the DNS records they ask for.
//
// The conversion is done by pure functions (ServiceEndpoints, IngressEndpoints) that the
// live sources, the offline manifest source and the tests all call.
package source

import (
	"context"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Result is what a source wants at one moment.
type Result struct {
	// Endpoints are the desired record sets, one or more per object, each with the
	// object in Refs. Names are normalised and valid, targets suit their type.
	Endpoints []*endpoint.Endpoint
	// Problems are per-object troubles. An object with a Problem that is not a Warning
	// contributed no endpoints, except a DNSEndpoint, whose every entry is a record of
	// its own: it contributed the entries without one. Every other object contributed
	// all it asks for.
	Problems []endpoint.Problem
}

// Source produces desired endpoints.
type Source interface {
	// Endpoints returns the desired state. An error means the source as a whole could
	// not be read (unsynced caches, an unreadable manifest): the caller must then make no
	// deletions, since absent endpoints may only be unread ones.
	Endpoints(ctx context.Context) (Result, error)
}

// Acknowledger is a Source that reports back on its objects once their records are in
// place, as external-dns's crd source sets a DNSEndpoint's status.observedGeneration.
type Acknowledger interface {
	// Acknowledge is called after a reconcile that was not a dry run, read every source
	// and read and wrote every zone it reconciled without error. troubled holds, by
	// ObjectRef.String, the objects some of whose records were not applied: an error
	// Problem, a name in no managed zone, a change the provider refused, a deletion
	// withheld, a conflict lost. Every other object the source returned from its last
	// Endpoints call had each of its records applied or found already in place, and is
	// acknowledged as it was read then (a later edit is acknowledged after the
	// reconcile that applies it). The error says some acknowledgements could not be
	// written; the caller logs it, as they are retried after the next reconcile.
	Acknowledge(ctx context.Context, troubled map[string]bool) error
}

// ObjectResult is what one object asks for: Result's endpoints and problems of one
// object, each of which carries Ref.
type ObjectResult struct {
	Ref endpoint.ObjectRef
	Result
}

// Incremental is a Source that can say which objects changed, so that an event costs the
// conversion and the planning of the objects it touched rather than of every object.
type Incremental interface {
	Source
	// Changed returns what each object asks for now whose endpoints or problems may
	// differ from those the previous call of Endpoints or Changed returned for it: an
	// object deleted since asks for nothing (an empty Result). Every object not listed
	// asks for exactly what that call returned for it. An object may be listed although
	// it did not change; none is listed twice.
	//
	// ok is false when the source cannot tell (no previous successful call, an informer
	// started or restarted since, a watch that failed, an object that needs a resource
	// not read yet): the caller must then call Endpoints, which also reports any error.
	Changed(ctx context.Context) (changed []ObjectResult, ok bool)
}

// ByObject groups r by object, under ObjectRef.String: each endpoint under its first
// Ref (a source's endpoints carry one, their object's), each problem under its Ref.
// It is the state an Incremental source's Changed results replace object by object.
func (r Result) ByObject() map[string]Result {
	out := make(map[string]Result, len(r.Endpoints))
	for _, e := range r.Endpoints {
		var key string
		if len(e.Refs) > 0 {
			key = e.Refs[0].String()
		}
		o := out[key]
		o.Endpoints = append(o.Endpoints, e)
		out[key] = o
	}
	for _, p := range r.Problems {
		key := p.Ref.String()
		o := out[key]
		o.Problems = append(o.Problems, p)
		out[key] = o
	}
	return out
}
