package providertest

import (
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// CreateOf is one Change creating every endpoint of eps, in order: the form of a record
// with its ownership records, for tests that call Apply directly.
func CreateOf(eps ...*endpoint.Endpoint) provider.Change {
	var c provider.Change
	for _, e := range eps {
		c.Records = append(c.Records, provider.RecordChange{Op: provider.OpCreate, New: e})
	}
	return c
}

// UpdateOf is one Change replacing old with updated.
func UpdateOf(old, updated *endpoint.Endpoint) provider.Change {
	return provider.Change{Records: []provider.RecordChange{{Op: provider.OpUpdate, Old: old, New: updated}}}
}

// DeleteOf is one Change deleting every endpoint of eps, in order.
func DeleteOf(eps ...*endpoint.Endpoint) provider.Change {
	var c provider.Change
	for _, e := range eps {
		c.Records = append(c.Records, provider.RecordChange{Op: provider.OpDelete, Old: e})
	}
	return c
}
