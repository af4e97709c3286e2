package providertest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// match says how strictly diffRecords compares a wanted record with the one read.
type match int

const (
	// asAsked compares with what the suite asked for: a wanted TTL of 0 (unset) accepts
	// whatever default the provider applies, and targets are compared in the form the
	// planner compares them (endpoint.CanonicalTarget: host names without case or
	// trailing dot, IPv6 canonical; A and TXT byte for byte).
	asAsked match = iota
	// asRead compares with what the provider returned earlier, byte for byte: TTL and
	// every target exactly. It checks that records nobody asked to change did not change.
	asRead
)

// diffRecords describes every difference between the RRsets want and got, one line
// each, sorted: RRsets missing from got, RRsets in got that nobody wanted, RRsets listed
// twice, and for RRsets in both (same name, type and set identifier) differing targets
// (as multisets, order ignored) or TTL. Provider-specific properties and labels are not
// compared: providers keep only the properties they support, and labels live in
// ownership records. An empty result means got holds exactly want.
func diffRecords(want, got []*endpoint.Endpoint, m match) []string {
	var out []string
	read := make(map[endpoint.RecordKey]*endpoint.Endpoint, len(got))
	for _, g := range got {
		if _, dup := read[g.RecordKey()]; dup {
			out = append(out, fmt.Sprintf("%s is listed twice by Records", describeKey(g.RecordKey())))
		}
		read[g.RecordKey()] = g
	}
	wanted := make(map[endpoint.RecordKey]bool, len(want))
	for _, w := range want {
		k := w.RecordKey()
		wanted[k] = true
		g, ok := read[k]
		if !ok {
			out = append(out, fmt.Sprintf("missing %s", w))
			continue
		}
		if gt, wt := targetsFor(g, m), targetsFor(w, m); !slices.Equal(gt, wt) {
			out = append(out, fmt.Sprintf("%s: targets are %s, want %s", describeKey(k), quoteAll(gt), quoteAll(wt)))
		}
		if g.RecordTTL != w.RecordTTL && (m == asRead || w.RecordTTL != 0) {
			out = append(out, fmt.Sprintf("%s: TTL is %d, want %d", describeKey(k), g.RecordTTL, w.RecordTTL))
		}
	}
	for _, g := range got {
		if !wanted[g.RecordKey()] {
			out = append(out, fmt.Sprintf("unexpected %s", g))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// targetsFor returns e's targets sorted, in the form m compares.
func targetsFor(e *endpoint.Endpoint, m match) []string {
	out := slices.Clone([]string(e.Targets))
	if m == asAsked {
		for i, t := range out {
			out[i] = endpoint.CanonicalTarget(e.RecordType, t)
		}
	}
	slices.Sort(out)
	return out
}

// quoteAll renders targets with Go quoting, so that spaces, quotes and control bytes in
// TXT values show. Long values are shortened around their middle.
func quoteAll(targets []string) string {
	const keep = 60
	parts := make([]string, len(targets))
	for i, t := range targets {
		if len(t) > 2*keep {
			parts[i] = fmt.Sprintf("%q…(%d bytes)…%q", t[:keep], len(t), t[len(t)-keep:])
			continue
		}
		parts[i] = fmt.Sprintf("%q", t)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// describeKey names an RRset: "name TYPE", with " [set identifier]" when it has one.
func describeKey(k endpoint.RecordKey) string {
	if k.SetIdentifier != "" {
		return fmt.Sprintf("%s %s [%s]", k.DNSName, k.RecordType, k.SetIdentifier)
	}
	return k.DNSName + " " + k.RecordType
}
