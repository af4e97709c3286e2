package route53

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/zonekeeper/zonekeeper/provider/batch"
)

// Route 53's limits on one ChangeResourceRecordSets request (the defaults of the
// --aws-batch-change-size* flags).
const (
	MaxChangesPerBatch = 1000
	MaxCharsPerBatch   = 32000
	MaxValuesPerBatch  = 1000
)

// limits caps one change batch.
type limits struct {
	changes, chars, values int
}

// counts lists l in the order sizeOf counts.
func (l limits) counts() []int { return []int{l.changes, l.chars, l.values} }

// unit is one provider.Change in Route 53's terms: the changes that must travel in one
// batch.
type unit = batch.Unit[[]types.Change]

// sizeOf counts changes as Route 53 does, against limits.counts: changes, every value
// character and every value, an UPSERT's twice.
func sizeOf(changes []types.Change) []int {
	changeCount, chars, values := len(changes), 0, 0
	for _, c := range changes {
		factor := 1
		if c.Action == types.ChangeActionUpsert {
			factor = 2
		}
		for _, r := range c.ResourceRecordSet.ResourceRecords {
			chars += factor * len(aws.ToString(r.Value))
			values += factor
		}
	}
	return []int{changeCount, chars, values}
}

// flatten lists the Route 53 changes of units in order.
func flatten(units []unit) []types.Change {
	var out []types.Change
	for _, u := range units {
		out = append(out, u.Wire...)
	}
	return out
}
