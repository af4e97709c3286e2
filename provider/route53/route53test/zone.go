package route53test

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
)

// TTLs AWS gives the SOA and NS sets of a new hosted zone.
const (
	apexSOATTL = 900
	apexNSTTL  = 172800
)

// ZoneOptions describe a hosted zone made by CreateZone.
type ZoneOptions struct {
	Private   bool              // a private hosted zone (GetHostedZone lists VPCs, no delegation set)
	VPCRegion string            // region of the VPC a private zone is associated with
	VPCID     string            // the VPC a private zone is associated with
	Tags      map[string]string // returned by ListTagsForResource(s)
	Comment   string            // the zone's Config.Comment
}

// zone is one hosted zone. Its record sets are indexed by name so that the rules that
// span sets (CNAME exclusivity, one routing policy per name and type) need not scan the
// zone; the sorted listing order is computed once per write, not per page.
type zone struct {
	id          string
	name        string
	callerRef   string
	opts        ZoneOptions
	nameServers []string
	sets        map[setKey]*recordSet
	byName      map[string][]setKey
	sorted      []setKey
}

func newZone(id, name string, serial int, o ZoneOptions) *zone {
	z := &zone{
		id:        id,
		name:      name,
		callerRef: fmt.Sprintf("route53test-%d", serial),
		opts:      o,
		sets:      map[setKey]*recordSet{},
		byName:    map[string][]setKey{},
	}
	z.opts.Tags = maps.Clone(o.Tags)
	base := 2048 + serial%512*4
	for i, tld := range []string{"com", "net", "org", "co.uk"} {
		z.nameServers = append(z.nameServers, fmt.Sprintf("ns-%d.awsdns-%02d.%s.", base+i, serial%64, tld))
	}
	soa := fmt.Sprintf("%s awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400", z.nameServers[0])
	z.commit(map[setKey]*recordSet{
		{name, "SOA", ""}: {Name: name, Type: "SOA", TTL: aws.Int64(apexSOATTL), Values: []string{soa}},
		{name, "NS", ""}:  {Name: name, Type: "NS", TTL: aws.Int64(apexNSTTL), Values: slices.Clone(z.nameServers)},
	})
	return z
}

// zoneID makes an id shaped like AWS's ("Z" and 20 upper-case letters and digits),
// unique by serial and repeatable from run to run.
func zoneID(name string, serial int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, serial)
	return fmt.Sprintf("Z%04X%016X", serial%0x10000, h.Sum64())
}

// commit writes a batch's sets (nil deletes) into the zone.
func (z *zone) commit(changed map[setKey]*recordSet) {
	for k, rs := range changed {
		_, existed := z.sets[k]
		switch {
		case rs == nil && existed:
			delete(z.sets, k)
			z.byName[k.name] = slices.DeleteFunc(z.byName[k.name], func(o setKey) bool { return o == k })
			if len(z.byName[k.name]) == 0 {
				delete(z.byName, k.name)
			}
		case rs != nil:
			z.sets[k] = rs
			if !existed {
				z.byName[k.name] = append(z.byName[k.name], k)
			}
		}
	}
	z.sorted = nil
}

// order returns the zone's set keys in the order ListResourceRecordSets lists them.
func (z *zone) order() []setKey {
	if z.sorted != nil {
		return z.sorted
	}
	type sortable struct {
		key    setKey
		labels []string
	}
	all := make([]sortable, 0, len(z.sets))
	for k := range z.sets {
		all = append(all, sortable{k, reversedLabels(k.name)})
	}
	slices.SortFunc(all, func(a, b sortable) int {
		if c := slices.Compare(a.labels, b.labels); c != 0 {
			return c
		}
		return compareKeys(a.key, b.key)
	})
	z.sorted = make([]setKey, len(all))
	for i, s := range all {
		z.sorted[i] = s.key
	}
	return z.sorted
}

func (z *zone) xml() hostedZoneXML {
	return hostedZoneXML{
		ID:                     "/hostedzone/" + z.id,
		Name:                   z.name,
		CallerReference:        z.callerRef,
		Comment:                z.opts.Comment,
		PrivateZone:            z.opts.Private,
		ResourceRecordSetCount: len(z.sets),
	}
}

func (z *zone) tagSet() resourceTagSetXML {
	set := resourceTagSetXML{ResourceType: "hostedzone", ResourceID: z.id}
	for _, k := range slices.Sorted(maps.Keys(z.opts.Tags)) {
		set.Tags = append(set.Tags, tagXML{Key: k, Value: z.opts.Tags[k]})
	}
	return set
}

// sdkRecordSet converts a stored set into the SDK's type, as the SDK would decode it
// from a listing.
func sdkRecordSet(rs *recordSet) types.ResourceRecordSet {
	out := types.ResourceRecordSet{
		Name:                    aws.String(rs.Name),
		Type:                    types.RRType(rs.Type),
		Weight:                  rs.Weight,
		MultiValueAnswer:        rs.MultiValueAnswer,
		TTL:                     rs.TTL,
		Region:                  types.ResourceRecordSetRegion(rs.Region),
		Failover:                types.ResourceRecordSetFailover(rs.Failover),
		SetIdentifier:           optional(rs.SetIdentifier),
		HealthCheckId:           optional(rs.HealthCheckID),
		TrafficPolicyInstanceId: optional(rs.TrafficPolicyInstanceID),
	}
	for _, v := range rs.Values {
		out.ResourceRecords = append(out.ResourceRecords, types.ResourceRecord{Value: aws.String(v)})
	}
	if a := rs.AliasTarget; a != nil {
		out.AliasTarget = &types.AliasTarget{HostedZoneId: aws.String(a.HostedZoneID), DNSName: aws.String(a.DNSName), EvaluateTargetHealth: a.EvaluateTargetHealth}
	}
	if g := rs.GeoLocation; g != nil {
		out.GeoLocation = &types.GeoLocation{ContinentCode: optional(g.ContinentCode), CountryCode: optional(g.CountryCode), SubdivisionCode: optional(g.SubdivisionCode)}
	}
	if c := rs.CidrRoutingConfig; c != nil {
		out.CidrRoutingConfig = &types.CidrRoutingConfig{CollectionId: aws.String(c.CollectionID), LocationName: aws.String(c.LocationName)}
	}
	if g := rs.GeoProximityLocation; g != nil {
		loc := &types.GeoProximityLocation{AWSRegion: optional(g.AWSRegion), LocalZoneGroup: optional(g.LocalZoneGroup), Bias: g.Bias}
		if c := g.Coordinates; c != nil {
			loc.Coordinates = &types.Coordinates{Latitude: aws.String(c.Latitude), Longitude: aws.String(c.Longitude)}
		}
		out.GeoProximityLocation = loc
	}
	return out
}

// optional maps "" to an absent field, as an omitted XML element decodes.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// parseMaxItems reads a maxitems query value: absent means limit, anything above limit
// is capped to it (as AWS caps ListResourceRecordSets at 300).
func parseMaxItems(v string, limit int) (int, *apiError) {
	if v == "" {
		return limit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, invalidInput("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must be a positive integer", v)
	}
	return min(n, limit), nil
}
