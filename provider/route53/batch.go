package route53

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/zonekeeper/zonekeeper/provider"
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

// size is what a change batch, or part of one, counts against limits.
type size struct {
	changes, chars, values int
}

func (s size) add(o size) size {
	return size{s.changes + o.changes, s.chars + o.chars, s.values + o.values}
}

func (s size) within(l limits) bool {
	return s.changes <= l.changes && s.chars <= l.chars && s.values <= l.values
}

// unit is one provider.Change in Route 53's terms: the changes that must travel in one
// batch.
type unit struct {
	index   int // in the changes passed to Apply
	change  provider.Change
	changes []types.Change
	size    size
}

// sizeOf counts changes as Route 53 does: every value character and every value, an
// UPSERT's twice.
func sizeOf(changes []types.Change) size {
	s := size{changes: len(changes)}
	for _, c := range changes {
		factor := 1
		if c.Action == types.ChangeActionUpsert {
			factor = 2
		}
		for _, r := range c.ResourceRecordSet.ResourceRecords {
			s.chars += factor * len(aws.ToString(r.Value))
			s.values += factor
		}
	}
	return s
}

// pack fills batches with units in order, each batch as full as l allows; a unit is
// never split. Units that exceed l on their own are returned apart.
func pack(units []unit, l limits) (batches [][]unit, tooBig []unit) {
	var cur []unit
	var curSize size
	for _, u := range units {
		if !u.size.within(l) {
			tooBig = append(tooBig, u)
			continue
		}
		if next := curSize.add(u.size); len(cur) > 0 && !next.within(l) {
			batches = append(batches, cur)
			cur, curSize = nil, size{}
		}
		cur = append(cur, u)
		curSize = curSize.add(u.size)
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, tooBig
}

// flatten lists the Route 53 changes of units in order.
func flatten(units []unit) []types.Change {
	var out []types.Change
	for _, u := range units {
		out = append(out, u.changes...)
	}
	return out
}
