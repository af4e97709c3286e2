// Package registry decides which records zonekeeper owns, through ownership TXT records
// byte-compatible with upstream external-dns, and turns the planner's changes into the
// provider changes that keep those ownership records in step.
package registry

import (
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
)

// Registry knows how ownership is recorded in a zone.
//
// Implementations are pure: they do no I/O and are safe for concurrent use.
type Registry interface {
	// OwnerID is the owner id this registry writes; the planner treats a record as ours
	// when its owner label equals it. The noop registry returns "", under which every
	// record counts as ours.
	OwnerID() string

	// Load reads ownership out of a zone's records, as provider.Records returned them.
	Load(zone provider.Zone, records []*endpoint.Endpoint) Zone

	// RelatedNames lists, name among them, the names whose records decide the ownership
	// of records of the given types at name: Load over the records at these names reads
	// the records at name, and Zone.ChangesAt changes them, exactly as over the whole zone.
	RelatedNames(name string, types []string) []string
}

// Adopter is a Registry that can take over the records of a former owner id when its
// owner id changes. LoadAdopting is Load, except that records the former owner id owns
// for an object exists reports true for count as ours, and their ownership records are
// rewritten with our owner id (see TXT.LoadAdopting).
type Adopter interface {
	LoadAdopting(zone provider.Zone, records []*endpoint.Endpoint, exists func(resource string) bool) Zone
}

// Zone is one zone's records as the registry understood them.
type Zone interface {
	// Records returns what the planner compares desired state with: the zone's records
	// without the ownership TXT records, each labelled with the owner (and resource) its
	// ownership record names. Unowned records have no owner label.
	Records() []*endpoint.Endpoint

	// Changes turns the planner's changes for this zone into provider changes, each
	// carrying the ownership TXT changes that must travel with it, ordered deletes, then
	// updates, then creates. It adds a change writing the new-format ownership TXT of each
	// owned, managed record that lacks one. A planned change that cannot be recorded
	// (an apex record whose ownership name would fall outside the zone) is left out and
	// reported as a Problem on the objects that asked for it.
	Changes(changes plan.Changes) ([]provider.Change, []endpoint.Problem)

	// ChangesAt is Changes for planned changes confined to names (every record a change
	// writes or deletes stands at one of them): it makes the same changes, but adds the
	// missing ownership records of the records at names only, and its cost is that of
	// the records there rather than of the zone. Concurrent calls are safe.
	ChangesAt(changes plan.Changes, names []string) ([]provider.Change, []endpoint.Problem)
}
