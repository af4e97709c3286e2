package registry

import (
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
)

// plannedChanges lists the planner's changes as record changes in the order registries
// hand them on: deletes, then updates, then creates, each in the planner's order.
func plannedChanges(pc plan.Changes) []provider.RecordChange {
	out := make([]provider.RecordChange, 0, len(pc.Delete)+len(pc.Update)+len(pc.Create))
	for _, ep := range pc.Delete {
		out = append(out, provider.RecordChange{Op: provider.OpDelete, Old: ep})
	}
	for _, u := range pc.Update {
		out = append(out, provider.RecordChange{Op: provider.OpUpdate, Old: u.Old, New: u.New})
	}
	for _, ep := range pc.Create {
		out = append(out, provider.RecordChange{Op: provider.OpCreate, New: ep})
	}
	return out
}
