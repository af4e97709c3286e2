package plan

import "github.com/zonekeeper/zonekeeper/endpoint"

// Changes is what the planner decides for one zone: records to create, to update (old
// and new) and to delete. It never holds ownership TXT records; the registry adds those.
type Changes struct {
	Create []*endpoint.Endpoint
	Update []Update
	Delete []*endpoint.Endpoint
}

// Update replaces the record set Old with New (same name, type and set identifier).
type Update struct {
	Old, New *endpoint.Endpoint
}

// IsEmpty reports whether there is nothing to do.
func (c Changes) IsEmpty() bool {
	return len(c.Create) == 0 && len(c.Update) == 0 && len(c.Delete) == 0
}

// Policy limits which kinds of change the planner may make.
type Policy string

// The policies of upstream's --policy flag.
const (
	// PolicySync creates, updates and deletes.
	PolicySync Policy = "sync"
	// PolicyUpsertOnly creates and updates, never deletes.
	PolicyUpsertOnly Policy = "upsert-only"
	// PolicyCreateOnly only creates.
	PolicyCreateOnly Policy = "create-only"
)

// ParsePolicy accepts the --policy values.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case PolicySync, PolicyUpsertOnly, PolicyCreateOnly:
		return p, nil
	}
	return "", &InvalidPolicyError{Value: s}
}

// InvalidPolicyError reports an unknown --policy value.
type InvalidPolicyError struct{ Value string }

func (e *InvalidPolicyError) Error() string {
	return "unknown policy " + `"` + e.Value + `"` + ": want sync, upsert-only or create-only"
}
