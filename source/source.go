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
	// contributed no endpoints; every other object did.
	Problems []endpoint.Problem
}

// Source produces desired endpoints.
type Source interface {
	// Endpoints returns the desired state. An error means the source as a whole could
	// not be read (unsynced caches, an unreadable manifest): the caller must then make no
	// deletions, since absent endpoints may only be unread ones.
	Endpoints(ctx context.Context) (Result, error)
}
