package route53

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// AdjustEndpoints rewrites desired into the form Records returns once they are applied
// (see provider.EndpointAdjuster):
//   - a CNAME to the host name of an AWS load balancer, CloudFront distribution, API
//     Gateway or Global Accelerator becomes ALIAS A and AAAA records, unless
//     Config.PreferCNAME; so does any A, AAAA or CNAME record with alias=true. The
//     alias-record-type property (annotation alias: A or AAAA) keeps only that type.
//     ALIAS records have no TTL and carry aws/evaluate-target-health, from its
//     annotation or else Config.EvaluateTargetHealth;
//   - other records without a TTL get DefaultTTL, and lose alias and
//     aws/evaluate-target-health, which only ALIAS records hold;
//   - routing properties are written the way Route 53 returns them (failover in upper
//     case, multi-value answer false dropped), and properties of other providers are
//     dropped.
//
// An endpoint Route 53 would refuse (a bad routing property, a policy without a set
// identifier or the reverse, several policy kinds, an ALIAS without exactly one host
// name target) is left out and reported on each of its objects.
func (p *Provider) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	out := make([]*endpoint.Endpoint, 0, len(desired))
	var problems []endpoint.Problem
	for _, ep := range desired {
		adjusted, err := p.adjust(ep)
		if err != nil {
			problems = append(problems, problemsOf(ep, fmt.Errorf("route53: %w", err))...)
			continue
		}
		out = append(out, adjusted...)
	}
	return out, problems
}

// adjust is AdjustEndpoints for one endpoint: each form it takes is turned into a record
// set and back, so that what it returns is by construction what Records will read.
func (p *Provider) adjust(ep *endpoint.Endpoint) ([]*endpoint.Endpoint, error) {
	forms, err := p.forms(ep)
	if err != nil {
		return nil, err
	}
	out := make([]*endpoint.Endpoint, 0, len(forms))
	for _, f := range forms {
		rrs, err := recordSet(f, "", p.canonical)
		if err != nil {
			return nil, err
		}
		back := fromRecordSet(rrs)
		back.Labels = f.Labels
		back.Refs = f.Refs
		out = append(out, back)
	}
	return out, nil
}

// forms decides the record sets ep becomes: itself, or its ALIAS A and/or AAAA records.
// Each is a copy holding only this provider's properties.
func (p *Provider) forms(ep *endpoint.Endpoint) ([]*endpoint.Endpoint, error) {
	c := ep.Clone()
	aliasType, _ := c.Property(PropertyAliasRecordType)
	alias := isAlias(c) || c.RecordType == endpoint.RecordTypeCNAME && !p.s.preferCNAME && len(c.Targets) == 1 && p.isAWSService(c.Targets[0])
	c.ProviderSpecific = nil
	for _, prop := range ep.ProviderSpecific {
		if strings.HasPrefix(prop.Name, awsPropertyPrefix) {
			c.SetProperty(prop.Name, prop.Value)
		}
	}
	if !alias || c.RecordType == endpoint.RecordTypeTXT {
		c.DeleteProperty(PropertyEvaluateHealth)
		return []*endpoint.Endpoint{c}, nil
	}
	switch c.RecordType {
	case endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME:
	default:
		return nil, fmt.Errorf("alias: a %s record cannot be an ALIAS record; only A, AAAA and CNAME can", c.RecordType)
	}
	c.SetProperty(PropertyAlias, "true")
	if _, ok := c.Property(PropertyEvaluateHealth); !ok {
		c.SetProperty(PropertyEvaluateHealth, strconv.FormatBool(p.s.evaluateTargetHealth))
	}
	c.RecordTTL = 0
	types := []string{endpoint.RecordTypeA, endpoint.RecordTypeAAAA}
	switch {
	case aliasType != "":
		types = []string{aliasType}
	case c.RecordType != endpoint.RecordTypeCNAME:
		types = []string{c.RecordType}
	}
	out := make([]*endpoint.Endpoint, 0, len(types))
	for _, t := range types {
		f := c.Clone()
		f.RecordType = t
		out = append(out, f)
	}
	return out, nil
}

// isAWSService reports whether target is the host name of an AWS service that ALIAS
// records can point at.
func (p *Provider) isAWSService(target string) bool {
	_, ok := p.canonical.lookup(normalizeHost(target))
	return ok
}

// problemsOf reports err on every object that asked for ep.
func problemsOf(ep *endpoint.Endpoint, err error) []endpoint.Problem {
	if len(ep.Refs) == 0 {
		return []endpoint.Problem{{DNSName: ep.DNSName, Err: err}}
	}
	out := make([]endpoint.Problem, len(ep.Refs))
	for i, r := range ep.Refs {
		out[i] = endpoint.Problem{Ref: r, DNSName: ep.DNSName, Err: err}
	}
	return out
}
