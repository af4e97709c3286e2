package route53

import (
	"fmt"
	"strconv"
	"strings"

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
	key     string
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

// changeKey identifies the exact content of changes, for the backoff of rejected ones.
func changeKey(changes []types.Change) string {
	var b strings.Builder
	for _, c := range changes {
		r := c.ResourceRecordSet
		fmt.Fprintf(&b, "%s %s %s %q %d", c.Action, aws.ToString(r.Name), r.Type, aws.ToString(r.SetIdentifier), aws.ToInt64(r.TTL))
		for _, v := range r.ResourceRecords {
			b.WriteString(" " + strconv.Quote(aws.ToString(v.Value)))
		}
		if a := r.AliasTarget; a != nil {
			fmt.Fprintf(&b, " alias %s %s %t", aws.ToString(a.DNSName), aws.ToString(a.HostedZoneId), a.EvaluateTargetHealth)
		}
		fmt.Fprintf(&b, " w%d r%s f%s g%v p%v m%t h%s;", aws.ToInt64(r.Weight), r.Region, r.Failover,
			geoKey(r.GeoLocation), proxKey(r.GeoProximityLocation), aws.ToBool(r.MultiValueAnswer), aws.ToString(r.HealthCheckId))
	}
	return b.String()
}

func geoKey(g *types.GeoLocation) string {
	if g == nil {
		return ""
	}
	return aws.ToString(g.ContinentCode) + "/" + aws.ToString(g.CountryCode) + "/" + aws.ToString(g.SubdivisionCode)
}

func proxKey(g *types.GeoProximityLocation) string {
	if g == nil {
		return ""
	}
	s := aws.ToString(g.AWSRegion) + "/" + aws.ToString(g.LocalZoneGroup) + "/" + strconv.Itoa(int(aws.ToInt32(g.Bias)))
	if c := g.Coordinates; c != nil {
		s += "/" + aws.ToString(c.Latitude) + "," + aws.ToString(c.Longitude)
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
