package source

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// TargetConfig holds the flags that rewrite or filter the targets of every source's
// records, after the sources and before the planner, as external-dns's source wrappers
// do: default targets first, then the net filters.
type TargetConfig struct {
	// DefaultTargets (--default-targets) are addresses and at most one host name given
	// to every record that has no targets, or to every record with ForceDefaultTargets.
	DefaultTargets []string
	// ForceDefaultTargets (--force-default-targets) replaces every record by records
	// of DefaultTargets, whatever its type and targets.
	ForceDefaultTargets bool
	// TargetNetFilter (--target-net-filter) are CIDRs; when any is given, a target is
	// kept only if it is an address inside one of them.
	TargetNetFilter []string
	// ExcludeTargetNets (--exclude-target-net) are CIDRs; a target that is an address
	// inside one of them is removed.
	ExcludeTargetNets []string
}

// TargetRules is a compiled TargetConfig. It is immutable and safe for concurrent use;
// the zero TargetRules changes nothing.
type TargetRules struct {
	// defaults are the default targets grouped into record sets (A, AAAA, CNAME order),
	// with no name: each use copies them.
	defaults []*endpoint.Endpoint
	force    bool
	include  []netip.Prefix
	exclude  []netip.Prefix
}

// Compile checks c. Errors name the flag and the value at fault.
func (c TargetConfig) Compile() (*TargetRules, error) {
	r := &TargetRules{force: c.ForceDefaultTargets}
	var err error
	if r.defaults, err = defaultRecordSets(c.DefaultTargets); err != nil {
		return nil, err
	}
	if r.force && len(r.defaults) == 0 {
		return nil, errors.New("--force-default-targets needs --default-targets: it replaces every record's targets by them")
	}
	if r.include, err = parseNets("--target-net-filter", c.TargetNetFilter); err != nil {
		return nil, err
	}
	if r.exclude, err = parseNets("--exclude-target-net", c.ExcludeTargetNets); err != nil {
		return nil, err
	}
	return r, nil
}

// defaultRecordSets groups targets by the type a target asks for, as external-dns does:
// an IPv4 address is an A record, any other address an AAAA record, anything else a
// CNAME. Unlike external-dns, which would publish them and fail at the provider, it
// refuses more than one host name (a CNAME has one target) and a host name beside
// addresses (a CNAME cannot share its name with other records).
func defaultRecordSets(targets []string) ([]*endpoint.Endpoint, error) {
	byType := map[string][]string{}
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		typ := endpoint.RecordTypeCNAME
		if a, err := netip.ParseAddr(t); err == nil {
			if a.Zone() != "" {
				return nil, fmt.Errorf("--default-targets %s: an address with a zone cannot be published", endpoint.Quote(t))
			}
			typ = endpoint.RecordTypeAAAA
			if a.Is4() {
				typ = endpoint.RecordTypeA
			}
			t = a.String()
		} else {
			name, err := endpoint.NormalizeName(t)
			if err == nil {
				err = endpoint.ValidateName(name)
			}
			if err != nil {
				return nil, fmt.Errorf("--default-targets %s: neither an IP address nor a host name: %w", endpoint.Quote(t), err)
			}
			t = name
		}
		if !slices.Contains(byType[typ], t) {
			byType[typ] = append(byType[typ], t)
		}
	}
	if cnames := byType[endpoint.RecordTypeCNAME]; len(cnames) > 0 && len(byType) > 1 {
		return nil, fmt.Errorf("--default-targets: host name %s and addresses: a CNAME record cannot share its name with A or AAAA records", endpoint.Quote(cnames[0]))
	}
	var sets []*endpoint.Endpoint
	for _, typ := range []string{endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME} {
		if len(byType[typ]) == 0 {
			continue
		}
		slices.Sort(byType[typ])
		if err := endpoint.ValidateTargets(typ, byType[typ]); err != nil {
			return nil, fmt.Errorf("--default-targets: %w", err)
		}
		sets = append(sets, &endpoint.Endpoint{RecordType: typ, Targets: byType[typ]})
	}
	return sets, nil
}

// parseNets reads CIDRs. external-dns logs an invalid one and goes on without it, which
// turns a mistyped exclusion into publishing what was to be kept out: here it is an
// error. Host bits are allowed and ignored, as net.ParseCIDR does.
func parseNets(flag string, cidrs []string) ([]netip.Prefix, error) {
	var nets []netip.Prefix
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("%s %s: want a CIDR such as 10.0.0.0/8 or fd00::/8", flag, endpoint.Quote(c))
		}
		nets = append(nets, p.Masked())
	}
	return nets, nil
}

// Enabled reports whether r changes anything.
func (r *TargetRules) Enabled() bool {
	return r != nil && (len(r.defaults) > 0 || len(r.include) > 0 || len(r.exclude) > 0)
}

// Apply returns res with the rules applied; res is not modified.
//
// Default targets: a record with no targets, or every record with force, is replaced by
// one record set per type of the default targets, keeping its name, TTL, set
// identifier, properties, labels and objects, whatever its own type was (a TXT or MX
// record becomes A records, as in external-dns). Sets that come out the same for one
// object (its A and AAAA records both replaced) are kept once.
//
// Net filters: a target is kept when no --target-net-filter is given or it is an
// address inside one of them, and it is not an address inside an --exclude-target-net.
// A target that is not an address (a CNAME's host name, a TXT value) is therefore
// removed by any --target-net-filter and kept by exclusions alone, as in external-dns.
// A record left with no targets is not published, as in external-dns, which says so
// only in its debug log; here each of its objects gets a warning Problem naming it.
func (r *TargetRules) Apply(res Result) Result {
	if !r.Enabled() {
		return res
	}
	out := Result{Problems: slices.Clone(res.Problems)}
	seen := map[string]bool{}
	for _, ep := range res.Endpoints {
		for _, e := range r.withDefaults(ep) {
			key := e.RecordKey()
			id := fmt.Sprint(key, e.Refs, e.Targets)
			if seen[id] {
				continue
			}
			seen[id] = true
			kept, removed := r.filter(e.Targets)
			if len(kept) == 0 {
				for _, ref := range e.Refs {
					out.Problems = append(out.Problems, endpoint.Problem{
						Ref: ref, DNSName: e.DNSName, Warning: true,
						Err: fmt.Errorf("%s record not published: --target-net-filter or --exclude-target-net removed each of its targets (%s)", e.RecordType, strings.Join(removed, ", ")),
					})
				}
				continue
			}
			e.Targets = kept
			out.Endpoints = append(out.Endpoints, e)
		}
	}
	endpoint.SortEndpoints(out.Endpoints)
	return out
}

// withDefaults returns ep's record sets after the default targets: copies, so that
// Apply never changes the source's endpoints.
func (r *TargetRules) withDefaults(ep *endpoint.Endpoint) []*endpoint.Endpoint {
	if len(r.defaults) == 0 || (!r.force && len(ep.Targets) > 0) {
		return []*endpoint.Endpoint{ep.Clone()}
	}
	sets := make([]*endpoint.Endpoint, 0, len(r.defaults))
	for _, d := range r.defaults {
		e := ep.Clone()
		e.RecordType = d.RecordType
		e.Targets = slices.Clone(d.Targets)
		if e.Labels == nil {
			e.Labels = endpoint.Labels{}
		}
		sets = append(sets, e)
	}
	return sets
}

// filter splits targets into those the net filters keep and those they remove.
func (r *TargetRules) filter(targets []string) (kept, removed []string) {
	if len(r.include) == 0 && len(r.exclude) == 0 {
		return targets, nil
	}
	for _, t := range targets {
		a, err := netip.ParseAddr(t)
		isAddr := err == nil && a.Zone() == ""
		a = a.Unmap()
		in := func(nets []netip.Prefix) bool {
			return isAddr && slices.ContainsFunc(nets, func(p netip.Prefix) bool { return p.Contains(a) })
		}
		if (len(r.include) == 0 || in(r.include)) && !in(r.exclude) {
			kept = append(kept, t)
		} else {
			removed = append(removed, t)
		}
	}
	return kept, removed
}

// WithTargetRules returns a Source that applies r to what s returns; s itself when r
// changes nothing. It acknowledges through s and reports s's cache state, so that
// wrapping loses neither.
func WithTargetRules(s Source, r *TargetRules) Source {
	if !r.Enabled() {
		return s
	}
	return &targetSource{inner: s, rules: r}
}

type targetSource struct {
	inner Source
	rules *TargetRules
}

func (t *targetSource) Endpoints(ctx context.Context) (Result, error) {
	res, err := t.inner.Endpoints(ctx)
	if err != nil {
		return Result{}, err
	}
	return t.rules.Apply(res), nil
}

// Acknowledge passes on to the wrapped source, if it acknowledges.
func (t *targetSource) Acknowledge(ctx context.Context, troubled map[string]bool) error {
	if a, ok := t.inner.(Acknowledger); ok {
		return a.Acknowledge(ctx, troubled)
	}
	return nil
}

// Synced reports the wrapped source's cache state; a source without a cache is synced.
func (t *targetSource) Synced() bool {
	if s, ok := t.inner.(interface{ Synced() bool }); ok {
		return s.Synced()
	}
	return true
}
