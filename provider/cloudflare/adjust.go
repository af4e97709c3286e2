package cloudflare

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// TTL limits of records that are not automatic.
const (
	minTTL endpoint.TTL = 60
	maxTTL endpoint.TTL = 86400
)

// sharedAddressSpace is the carrier-grade NAT range of RFC 6598, which Cloudflare does
// not proxy to, like the ranges netip calls private.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// AdjustEndpoints returns desired in the form Records returns them once written (see
// provider.EndpointAdjuster):
//
//   - proxied: the cloudflare-proxied property ("true"/"false", any case strconv.ParseBool
//     accepts), else Config.Proxied. The default applies only where Cloudflare can
//     proxy (A, AAAA, CNAME; no private, loopback, link-local or shared-space address);
//     asking explicitly for a proxied record elsewhere refuses the endpoint. The
//     property is kept as "true" on proxied records and removed on others;
//   - TTL: proxied records have the automatic TTL 1. Others keep theirs (0, unset, is
//     written as automatic), moved into 60..86400 with a warning when outside;
//   - the comment property, else Config.Comment; removed when empty;
//   - tags: split at commas, trimmed, sorted, duplicates dropped; each must be
//     "name:value";
//   - every other provider-specific property is dropped: Cloudflare cannot hold it.
//
// An endpoint with a set identifier is refused: Cloudflare has no routing policies.
// AdjustEndpoints is pure and safe for concurrent use.
func (p *Provider) AdjustEndpoints(desired []*endpoint.Endpoint) ([]*endpoint.Endpoint, []endpoint.Problem) {
	return adjustEndpoints(desired, p.s.Proxied, p.s.Comment)
}

func adjustEndpoints(desired []*endpoint.Endpoint, defaultProxied bool, defaultComment string) ([]*endpoint.Endpoint, []endpoint.Problem) {
	out := make([]*endpoint.Endpoint, 0, len(desired))
	var problems []endpoint.Problem
	for _, d := range desired {
		ep, errs, warnings := adjust(d, defaultProxied, defaultComment)
		for _, w := range warnings {
			problems = append(problems, problemsOf(d, w, true)...)
		}
		if len(errs) > 0 {
			problems = append(problems, problemsOf(d, errors.Join(errs...), false)...)
			continue
		}
		out = append(out, ep)
	}
	return out, problems
}

// adjust is AdjustEndpoints for one endpoint: the adjusted copy, or the reasons it
// cannot be held, and warnings about what was changed.
func adjust(d *endpoint.Endpoint, defaultProxied bool, defaultComment string) (ep *endpoint.Endpoint, errs, warnings []error) {
	if d.SetIdentifier != "" {
		errs = append(errs, fmt.Errorf("set identifier %q: Cloudflare has no routing policies", d.SetIdentifier))
	}
	proxied := defaultProxied && canProxy(d.RecordType, d.Targets) == nil
	if v, ok := d.Property(PropertyProxied); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		switch {
		case err != nil:
			warnings = append(warnings, fmt.Errorf("%s %q is neither true nor false; using the default %t", PropertyProxied, v, proxied))
		case b:
			if err := canProxy(d.RecordType, d.Targets); err != nil {
				errs = append(errs, err)
			}
			proxied = true
		default:
			proxied = false
		}
	}
	tags, err := normalizeTags(d)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errs, warnings
	}

	ep = d.Clone()
	ep.ProviderSpecific = nil
	switch {
	case proxied:
		ep.SetProperty(PropertyProxied, "true")
		ep.RecordTTL = automaticTTL
	case ep.RecordTTL > automaticTTL && ep.RecordTTL < minTTL:
		warnings = append(warnings, fmt.Errorf("TTL %d is below Cloudflare's minimum; using %d", ep.RecordTTL, minTTL))
		ep.RecordTTL = minTTL
	case ep.RecordTTL > maxTTL:
		warnings = append(warnings, fmt.Errorf("TTL %d is above Cloudflare's maximum; using %d", ep.RecordTTL, maxTTL))
		ep.RecordTTL = maxTTL
	}
	comment, ok := d.Property(PropertyComment)
	if !ok {
		comment = defaultComment
	}
	if comment != "" {
		ep.SetProperty(PropertyComment, comment)
	}
	if tags != "" {
		ep.SetProperty(PropertyTags, tags)
	}
	return ep, nil, warnings
}

// canProxy says why Cloudflare cannot proxy a record of recordType with targets, or nil.
func canProxy(recordType string, targets endpoint.Targets) error {
	switch recordType {
	case endpoint.RecordTypeA, endpoint.RecordTypeAAAA:
		for _, t := range targets {
			if a, err := netip.ParseAddr(t); err == nil && !publicAddress(a) {
				return fmt.Errorf("%s: target %s is not a public address, which Cloudflare cannot proxy", PropertyProxied, t)
			}
		}
		return nil
	case endpoint.RecordTypeCNAME:
		return nil
	}
	return fmt.Errorf("%s: Cloudflare proxies only A, AAAA and CNAME records, not %s", PropertyProxied, recordType)
}

// publicAddress reports whether Cloudflare would proxy to a.
func publicAddress(a netip.Addr) bool {
	return !(a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		a.IsMulticast() || sharedAddressSpace.Contains(a))
}

// normalizeTags returns the tags property of d in the form Records returns it.
func normalizeTags(d *endpoint.Endpoint) (string, error) {
	v, ok := d.Property(PropertyTags)
	if !ok {
		return "", nil
	}
	var tags []string
	for t := range strings.SplitSeq(v, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if name, _, ok := strings.Cut(t, ":"); !ok || name == "" {
			return "", fmt.Errorf("%s: tag %q is not of the form name:value", PropertyTags, t)
		}
		tags = append(tags, t)
	}
	slices.Sort(tags)
	return strings.Join(slices.Compact(tags), ","), nil
}

// problemsOf reports err on each object that asked for ep.
func problemsOf(ep *endpoint.Endpoint, err error, warning bool) []endpoint.Problem {
	if len(ep.Refs) == 0 {
		return []endpoint.Problem{{DNSName: ep.DNSName, Err: err, Warning: warning}}
	}
	out := make([]endpoint.Problem, len(ep.Refs))
	for i, r := range ep.Refs {
		out[i] = endpoint.Problem{Ref: r, DNSName: ep.DNSName, Err: err, Warning: warning}
	}
	return out
}
