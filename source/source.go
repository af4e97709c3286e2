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
