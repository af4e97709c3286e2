package zonefile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/internal/rrdata"
)

// This file holds the rules a zone must pass before it is written: the ones BIND's zone
// loader (named, named-checkzone) refuses a whole zone for, as far as records zonekeeper
// writes can break them. A zone that breaks one is not served at all (SERVFAIL for every
// name), so one bad record must cost only its own Change.

// The rules checkZone enforces; a problem is identified by its rule, name and type.
const (
	ruleCNAMEAtApex   = "RFC 1034 3.6.2: a CNAME cannot stand at the zone apex, which holds the SOA and NS records"
	ruleCNAMEAndOther = "RFC 1034 3.6.2: a CNAME cannot stand beside other data"
	ruleSingleton     = "RFC 1034 3.6.2, RFC 6672 2.4: a name holds at most one record of this type"
	ruleWildcardNS    = "RFC 4592 4.2: a wildcard name cannot hold NS records"
	ruleApexNS        = "RFC 1035 5.2: the zone apex must hold NS records"
	ruleOwnerHostName = "RFC 952, RFC 1123 2.1, BIND check-names: the owner of an A, AAAA or MX record must be a host name (letters, digits, inner hyphens; a leading *)"
	ruleDataHostName  = "RFC 952, RFC 1123 2.1, BIND check-names: the host name an MX, NS or SRV record points to must be letters, digits and inner hyphens"
)

// problem is one broken rule at one owner name.
type problem struct {
	name  string
	rule  string
	rtype string // the type the rule is about
	// others are the other types at the name that take part (CNAME rules), or the
	// offending names (host name rules).
	others []string
	// count is the number of records of a singleton type.
	count int
}

// id identifies a problem across versions of a zone, so that a Change is judged by the
// problems it adds, not by those it finds.
func (p problem) id() string { return p.name + "\x00" + p.rtype + "\x00" + p.rule }

// worseThan reports whether p, a problem with the id of was, involves more: more types
// or names, or more records.
func (p problem) worseThan(was problem) bool {
	for _, o := range p.others {
		if !slices.Contains(was.others, o) {
			return true
		}
	}
	return p.count > was.count
}

// describe says what stands at the name and which rule it breaks. written is the type a
// Change wrote at the name, so that the message names what was there before it; "" for
// a zone as found.
func (p problem) describe(written string) string {
	switch p.rule {
	case ruleCNAMEAtApex, ruleCNAMEAndOther:
		there := p.others
		switch {
		case written == endpoint.RecordTypeCNAME:
			return fmt.Sprintf("%s already holds %s (%s)", p.name, strings.Join(there, ", "), p.rule)
		case written != "":
			return fmt.Sprintf("%s already holds CNAME (%s)", p.name, p.rule)
		}
		return fmt.Sprintf("%s holds CNAME beside %s (%s)", p.name, strings.Join(there, ", "), p.rule)
	case ruleSingleton:
		return fmt.Sprintf("%s would hold %d %s records (%s)", p.name, p.count, p.rtype, p.rule)
	case ruleApexNS:
		return fmt.Sprintf("%s would hold no NS records (%s)", p.name, p.rule)
	case ruleWildcardNS:
		return fmt.Sprintf("%s holds NS records (%s)", p.name, p.rule)
	}
	return fmt.Sprintf("%s %s: %s is not a host name (%s)", p.name, p.rtype, strings.Join(p.others, ", "), p.rule)
}

// cnameCompanion reports whether an RRset of type t may stand beside a CNAME: RFC 2181
// 10.1 and RFC 4035 2.5 allow DNSSEC's records about the name itself, as BIND does.
func cnameCompanion(t string) bool { return t == "KEY" || t == "NSEC" || t == "RRSIG" }

// singleton reports whether type t holds one record per name (BIND: "multiple RRs of
// singleton type"); the SOA is the parser's concern.
func singleton(t string) bool { return t == endpoint.RecordTypeCNAME || t == "DNAME" }

// hostNameOwner reports whether the owner of a type t record must be a host name, as
// BIND's check-names, "fail" for primary zones by default, demands.
func hostNameOwner(t string) bool {
	return t == endpoint.RecordTypeA || t == endpoint.RecordTypeAAAA || t == endpoint.RecordTypeMX
}

// checkZone returns every problem of the RRsets sets of zone (normalised apex), in the
// order of the names, then the rules. Every rule is judged at one owner name from the
// RRsets at that name alone, so sets may be part of a zone: every RRset at each name it
// holds. It enforces, at each name:
//
//   - no CNAME at the apex;
//   - no CNAME beside any RRset other than KEY, NSEC and RRSIG (RFC 1034 3.6.2, RFC 2181
//     10.1); DNAME counts as other data;
//   - at most one CNAME and one DNAME record;
//   - NS records at the apex, and none at a wildcard name (RFC 4592 4.2);
//   - A, AAAA and MX owners that are host names (a leading "*" allowed), and MX, NS and
//     SRV targets that are host names: labels of letters, digits and inner hyphens, as
//     BIND's check-names demands of a primary zone by default.
//
// Name and label lengths are not checked: endpoint.ValidateName and
// endpoint.ValidateOwnerName hold every new record to them, and the parser every record
// read.
func checkZone(zone string, sets []*endpoint.Endpoint) []problem {
	byName := map[string][]*endpoint.Endpoint{}
	for _, e := range sets {
		byName[e.DNSName] = append(byName[e.DNSName], e)
	}
	var out []problem
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		at := byName[name]
		endpoint.SortEndpoints(at)
		out = append(out, checkName(zone, name, at)...)
	}
	return out
}

// checkName returns the problems of sets, every RRset at name, ordered by type.
func checkName(zone, name string, sets []*endpoint.Endpoint) []problem {
	var out []problem
	types := make([]string, 0, len(sets))
	for _, e := range sets {
		types = append(types, e.RecordType)
	}
	slices.Sort(types)
	if slices.Contains(types, endpoint.RecordTypeCNAME) {
		var others []string
		for _, t := range types {
			if t != endpoint.RecordTypeCNAME && !cnameCompanion(t) {
				others = append(others, t)
			}
		}
		switch {
		case name == zone:
			out = append(out, problem{name: name, rule: ruleCNAMEAtApex, rtype: endpoint.RecordTypeCNAME, others: others})
		case len(others) > 0:
			out = append(out, problem{name: name, rule: ruleCNAMEAndOther, rtype: endpoint.RecordTypeCNAME, others: others})
		}
	}
	for _, e := range sets {
		if n := len(e.Targets); singleton(e.RecordType) && n > 1 {
			out = append(out, problem{name: name, rule: ruleSingleton, rtype: e.RecordType, count: n})
		}
	}
	hasNS := slices.Contains(types, endpoint.RecordTypeNS)
	if name == zone && !hasNS {
		out = append(out, problem{name: name, rule: ruleApexNS, rtype: endpoint.RecordTypeNS})
	}
	if hasNS && strings.HasPrefix(name, "*.") {
		out = append(out, problem{name: name, rule: ruleWildcardNS, rtype: endpoint.RecordTypeNS})
	}
	for _, e := range sets {
		if hostNameOwner(e.RecordType) && !isHostName(name, true) {
			out = append(out, problem{name: name, rule: ruleOwnerHostName, rtype: e.RecordType, others: []string{name}})
		}
		if bad := badHostTargets(e); len(bad) > 0 {
			out = append(out, problem{name: name, rule: ruleDataHostName, rtype: e.RecordType, others: bad})
		}
	}
	return out
}

// badHostTargets returns the host names in e's targets that are not host names, for
// the types whose host names BIND's check-names judges.
func badHostTargets(e *endpoint.Endpoint) []string {
	switch e.RecordType {
	case endpoint.RecordTypeMX, endpoint.RecordTypeNS, endpoint.RecordTypeSRV:
	default:
		return nil
	}
	var bad []string
	for _, t := range e.Targets {
		words := strings.Fields(t)
		for _, i := range rrdata.HostFields(e.RecordType) {
			if i < len(words) && !isHostName(words[i], false) {
				bad = append(bad, words[i])
			}
		}
	}
	return bad
}

// isHostName reports whether name (presentation form, trailing dot optional) is a host
// name as BIND's dns_name_ishostname judges it: every label letters, digits and hyphens,
// starting and ending with a letter or digit; with wildcard, the first label may be
// "*". The root is a host name.
func isHostName(name string, wildcard bool) bool {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return true
	}
	labels := strings.Split(name, ".")
	if wildcard && labels[0] == "*" {
		labels = labels[1:]
	}
	for _, l := range labels {
		if l == "" || !isAlnum(l[0]) || !isAlnum(l[len(l)-1]) {
			return false
		}
		for i := 1; i < len(l)-1; i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// zoneSets holds the RRsets of one zone by owner name, as the Changes of one Apply leave
// it, and applies Changes with both provider.RRsetStore's rules and checkZone's.
type zoneSets struct {
	zone  string
	check provider.RecordCheck
	names map[string]map[endpoint.RecordKey]*endpoint.Endpoint
}

func newZoneSets(zone string, check provider.RecordCheck, sets []*endpoint.Endpoint) *zoneSets {
	z := &zoneSets{zone: zone, check: check, names: map[string]map[endpoint.RecordKey]*endpoint.Endpoint{}}
	z.put(sets)
	return z
}

func (z *zoneSets) put(sets []*endpoint.Endpoint) {
	for _, e := range sets {
		at := z.names[e.DNSName]
		if at == nil {
			at = map[endpoint.RecordKey]*endpoint.Endpoint{}
			z.names[e.DNSName] = at
		}
		at[e.RecordKey()] = e
	}
}

// list returns every RRset, ordered by endpoint.Less.
func (z *zoneSets) list() []*endpoint.Endpoint {
	var out []*endpoint.Endpoint
	for _, at := range z.names {
		out = slices.AppendSeq(out, maps.Values(at))
	}
	endpoint.SortEndpoints(out)
	return out
}

// apply applies c whole or not at all. The record changes are judged as
// provider.RRsetStore.Apply judges them, against the RRsets c names; then the names c
// touches, as c leaves them, must have no problem (checkZone) that they did not have
// before, nor one that involves more than before (another type beside a CNAME). The error names the record change at the name of the first new problem.
func (z *zoneSets) apply(c provider.Change) error {
	var keys []endpoint.RecordKey
	for _, rc := range c.Records {
		if e := rc.Endpoint(); e != nil && !slices.Contains(keys, e.RecordKey()) {
			keys = append(keys, e.RecordKey())
		}
	}
	var current []*endpoint.Endpoint
	for _, k := range keys {
		if e := z.names[k.DNSName][k]; e != nil {
			current = append(current, e)
		}
	}
	// The store judges each record change by the RRset of its own key, so a store of
	// just those RRsets judges c as one holding the whole zone would.
	trial := provider.NewRRsetStore(z.zone, z.check, current...)
	if err := trial.Apply(c); err != nil {
		return err
	}
	changed := trial.List()
	var before, after []*endpoint.Endpoint
	for _, name := range uniqueNames(keys) {
		for k, e := range z.names[name] {
			before = append(before, e)
			if !slices.Contains(keys, k) {
				after = append(after, e)
			}
		}
	}
	after = append(after, changed...)
	found := map[string]problem{}
	for _, p := range checkZone(z.zone, before) {
		found[p.id()] = p
	}
	for _, p := range checkZone(z.zone, after) {
		if was, ok := found[p.id()]; !ok || p.worseThan(was) {
			return blame(c, p)
		}
	}
	for _, k := range keys {
		delete(z.names[k.DNSName], k)
	}
	z.put(changed)
	return nil
}

// blame turns p, a problem c would bring, into c's error, naming the record change of c
// at p's name: preferably the one writing the type p is about, then any that writes,
// then any.
func blame(c provider.Change, p problem) error {
	var at provider.RecordChange
	score := -1
	for _, rc := range c.Records {
		e := rc.Endpoint()
		if e == nil || e.DNSName != p.name {
			continue
		}
		s := 0
		if rc.New != nil {
			s = 1
			if e.RecordType == p.rtype {
				s = 2
			}
		}
		if s > score {
			at, score = rc, s
		}
	}
	e := at.Endpoint()
	written := ""
	if at.New != nil {
		written = e.RecordType
	}
	return fmt.Errorf("%s %s %s: %s", at.Op, e.DNSName, e.RecordType, p.describe(written))
}

func uniqueNames(keys []endpoint.RecordKey) []string {
	var out []string
	for _, k := range keys {
		if !slices.Contains(out, k.DNSName) {
			out = append(out, k.DNSName)
		}
	}
	return out
}

// brokenZoneError is the failure of every Change an Apply would have written into a zone
// whose file already breaks checkZone's rules: the file is left as it is until a zone
// that passes can replace it.
func brokenZoneError(file string, problems []problem) error {
	descs := make([]string, len(problems))
	for i, p := range problems {
		descs[i] = p.describe("")
	}
	return fmt.Errorf("not written: the zone file %s already breaks rules a DNS server's zone loader enforces, and no change fixed that: %s", file, strings.Join(descs, "; "))
}
