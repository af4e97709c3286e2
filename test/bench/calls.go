package bench

import (
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"

	"github.com/zonekeeper/zonekeeper/provider/route53"
)

// Route53Load is what a set of changes counts against Route 53's limits on one
// ChangeResourceRecordSets call: changes, record values, and characters of record
// values (an UPSERT would count its values and characters twice; creating counts them
// once).
type Route53Load struct {
	Changes, Values, Chars int
}

// Route53CreateLoad returns what creating sets counts against Route 53's limits,
// leaving out the SOA and NS sets every new hosted zone already holds.
func Route53CreateLoad(sets []types.ResourceRecordSet) Route53Load {
	var l Route53Load
	for _, s := range sets {
		if s.Type == types.RRTypeSoa || s.Type == types.RRTypeNs {
			continue
		}
		l.Changes++
		for _, r := range s.ResourceRecords {
			l.Values++
			l.Chars += len(aws.ToString(r.Value))
		}
	}
	return l
}

// ByChanges is ⌈Changes / 1,000⌉: the fewest calls if only the number of changes
// counted.
func (l Route53Load) ByChanges() int { return ceilDiv(l.Changes, route53.MaxChangesPerBatch) }

// ByChars is ⌈Chars / 32,000⌉: the fewest calls if only the characters of record
// values counted.
func (l Route53Load) ByChars() int { return ceilDiv(l.Chars, route53.MaxCharsPerBatch) }

// LeastCalls is the fewest ChangeResourceRecordSets calls that can carry l: the largest
// of ⌈Changes / 1,000⌉, ⌈Values / 1,000⌉ and ⌈Chars / 32,000⌉. It is a lower bound, not
// always reachable: changes are indivisible (a record travels with its ownership TXT),
// so packing them may need one call more.
func (l Route53Load) LeastCalls() int {
	return max(l.ByChanges(), ceilDiv(l.Values, route53.MaxValuesPerBatch), l.ByChars())
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// medianCalls returns, per operation, the median over runs of the calls it received; an
// operation a run did not call counts 0 in that run. Operations whose median is 0 are
// left out.
func medianCalls(runs []map[string]int) map[string]float64 {
	ops := map[string]bool{}
	for _, calls := range runs {
		for op := range calls {
			ops[op] = true
		}
	}
	out := map[string]float64{}
	for op := range ops {
		m := medianOf(runs, func(calls map[string]int) float64 { return float64(calls[op]) })
		if m > 0 {
			out[op] = m
		}
	}
	return out
}

// formatCalls shows calls per operation as "op count" pairs sorted by operation,
// "ListHostedZones 1, ListResourceRecordSets 7", or "no calls".
func formatCalls(calls map[string]float64) string {
	ops := slices.Sorted(maps.Keys(calls))
	if len(ops) == 0 {
		return "no calls"
	}
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = op + " " + count(calls[op])
	}
	return strings.Join(parts, ", ")
}

// NameCount is how many distinct names in a zone hold an A record, and how many hold
// a TXT record.
type NameCount struct {
	A, TXT int
}

// countNames counts the distinct names of records given as (type, name) pairs.
func countNames(records iter.Seq2[string, string]) NameCount {
	a, txt := map[string]bool{}, map[string]bool{}
	for typ, name := range records {
		switch typ {
		case "A":
			a[name] = true
		case "TXT":
			txt[name] = true
		}
	}
	return NameCount{A: len(a), TXT: len(txt)}
}
