package registry

import (
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
)

// NewNoop returns the registry of --registry=noop: it records no ownership. Its owner id
// is "", under which the planner treats every record as ours, so it must not be combined
// with --policy=sync unless the operator insists. It is safe for concurrent use.
func NewNoop() Registry { return noop{} }

type noop struct{}

func (noop) OwnerID() string { return "" }

func (noop) Load(_ provider.Zone, records []*endpoint.Endpoint) Zone { return noopZone(records) }

// RelatedNames is name alone: without ownership records, nothing else decides it.
func (noop) RelatedNames(name string, _ []string) []string { return []string{name} }

// noopZone is a zone's records, taken as they are.
type noopZone []*endpoint.Endpoint

// Records returns the records Load was given, unchanged and unlabelled.
func (z noopZone) Records() []*endpoint.Endpoint { return z }

// Changes hands on each planned change alone, deletes first, then updates, then
// creates; it never reports a problem.
func (noopZone) Changes(pc plan.Changes) ([]provider.Change, []endpoint.Problem) {
	planned := plannedChanges(pc)
	out := make([]provider.Change, 0, len(planned))
	for _, rc := range planned {
		out = append(out, provider.Change{Records: []provider.RecordChange{rc}})
	}
	return out, nil
}

// ChangesAt is Changes: a noop zone looks at no record.
func (z noopZone) ChangesAt(pc plan.Changes, _ []string) ([]provider.Change, []endpoint.Problem) {
	return z.Changes(pc)
}
