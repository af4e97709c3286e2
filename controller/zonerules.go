package controller

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// ZoneRuleError is the refusal of a change that would leave its zone breaking a rule of
// DNS itself, which servers enforce by refusing to load the zone (BIND: "CNAME and
// other data") or by ignoring the update silently (RFC 2136 3.4.2.2).
type ZoneRuleError struct {
	// Name is where the rule would break; Record is the record type the change adds there.
	Name, Record string
	// Standing are the record types that stand at Name and would stay.
	Standing []string
	// Apex is set for a CNAME at the zone's apex.
	Apex bool
}

func (e *ZoneRuleError) Error() string {
	if e.Apex {
		return fmt.Sprintf("%s %s not written: it is the zone's apex, which holds SOA and NS, and a CNAME cannot stand beside other data (RFC 1034 3.6.2)", e.Name, e.Record)
	}
	return fmt.Sprintf("%s %s not written: %s holds %s, and a CNAME cannot stand beside other data (RFC 1034 3.6.2)",
		e.Name, e.Record, e.Name, strings.Join(e.Standing, ", "))
}

// nameTypes counts a zone's RRsets by name and type. A name holds one type or two
// nearly always, so each name's counts are a short slice rather than a map of their
// own: a one-shot run writing 10,000 names allocated 12 MB of such maps.
type nameTypes map[string][]typeCount

type typeCount struct {
	recordType string
	n          int
}

// count returns how many RRsets of recordType name holds.
func (n nameTypes) count(name, recordType string) int {
	for _, tc := range n[name] {
		if tc.recordType == recordType {
			return tc.n
		}
	}
	return 0
}

// add changes the count of recordType at name by delta; a count that falls to 0 or
// below is dropped.
func (n nameTypes) add(name, recordType string, delta int) {
	types := n[name]
	for i := range types {
		if types[i].recordType != recordType {
			continue
		}
		types[i].n += delta
		if types[i].n <= 0 {
			n[name] = slices.Delete(types, i, i+1)
		}
		return
	}
	if delta > 0 {
		n[name] = append(types, typeCount{recordType, delta})
	}
}

// others lists the types at name other than recordType and those that may stand beside a
// CNAME (the DNSSEC records of the name itself), sorted.
func (n nameTypes) others(name, recordType string) []string {
	var out []string
	for _, tc := range n[name] {
		switch tc.recordType {
		case recordType, "RRSIG", "NSEC", "NSEC3":
		default:
			out = append(out, tc.recordType)
		}
	}
	slices.Sort(out)
	return out
}

// clone returns a copy of n that add may change without changing n.
func (n nameTypes) clone() nameTypes {
	out := make(nameTypes, len(n))
	for name, types := range n {
		out[name] = slices.Clone(types)
	}
	return out
}

// enforceZoneRules returns the changes of zone that keep it loadable, and a Problem for
// each of the others, on the objects that asked for them: no CNAME beside other data at
// its name (RFC 1034 3.6.2), whatever the other data is (a record of another type, an
// ownership TXT record, a record zonekeeper does not manage or own), and no CNAME at the
// apex. records are everything the zone holds, of every type.
//
// The rules are judged on the zone as it will be once every kept change is applied, so
// that a record replaced in the same reconcile (an A record deleted, a CNAME created in
// its place) does not count. A change is refused only for what it adds: a CNAME where
// other data will stand, or a new type at a name whose CNAME will stay. When a CNAME and
// other data are both new at a name, the CNAME is refused. A refused Change is refused
// whole, ownership records included, so nothing of it is written.
//
// New CNAMEs are judged first, until no more is refused, and only then new data beside
// CNAMEs that stay: an A record must not be refused for a CNAME that is refused itself.
func enforceZoneRules(zone string, records []*endpoint.Endpoint, changes []provider.Change) (keep []provider.Change, problems []endpoint.Problem) {
	if len(changes) == 0 {
		return nil, nil
	}
	// The rules are judged only at names the changes write, so only those names of the
	// zone need counting: a reconcile costs in proportion to its changes, not the zone.
	touched := map[string]bool{}
	for _, c := range changes {
		for _, rc := range c.Records {
			if rc.New != nil {
				touched[rc.New.DNSName] = true
			}
		}
	}
	before := nameTypes{}
	for _, r := range records {
		if touched[r.DNSName] {
			before.add(r.DNSName, r.RecordType, 1)
		}
	}
	refused := make([]error, len(changes))
	for _, rule := range []func(zone string, c provider.Change, before, after nameTypes) error{newCNAMEBreaks, newDataBreaks} {
		applyRule(zone, changes, refused, before, rule)
	}
	for i, c := range changes {
		if refused[i] == nil {
			keep = append(keep, c)
			continue
		}
		main := c.Main().Endpoint()
		if len(main.Refs) == 0 {
			problems = append(problems, endpoint.Problem{DNSName: main.DNSName, Warning: true, Err: refused[i]})
		}
		for _, ref := range main.Refs {
			problems = append(problems, endpoint.Problem{Ref: ref, DNSName: main.DNSName, Warning: true, Err: refused[i]})
		}
	}
	return keep, problems
}

// applyRule refuses, in refused, the changes that break rule on the zone as the changes
// not refused leave it, until no more is refused.
func applyRule(zone string, changes []provider.Change, refused []error, before nameTypes, rule func(zone string, c provider.Change, before, after nameTypes) error) {
	for {
		after := before.clone()
		for i, c := range changes {
			if refused[i] != nil {
				continue
			}
			for _, rc := range c.Records {
				if rc.Old != nil {
					after.add(rc.Old.DNSName, rc.Old.RecordType, -1)
				}
				if rc.New != nil {
					after.add(rc.New.DNSName, rc.New.RecordType, 1)
				}
			}
		}
		more := false
		for i, c := range changes {
			if refused[i] != nil {
				continue
			}
			if err := rule(zone, c, before, after); err != nil {
				refused[i], more = err, true
			}
		}
		if !more {
			return
		}
	}
}

// newCNAMEBreaks refuses a CNAME that c puts at the apex, or at a name that held none
// and will hold other data.
func newCNAMEBreaks(zone string, c provider.Change, before, after nameTypes) error {
	for _, rc := range c.Records {
		if rc.New == nil || rc.New.RecordType != endpoint.RecordTypeCNAME {
			continue
		}
		name := rc.New.DNSName
		if name == zone {
			return &ZoneRuleError{Name: name, Record: endpoint.RecordTypeCNAME, Apex: true}
		}
		if before.count(name, endpoint.RecordTypeCNAME) > 0 {
			continue // another of the name's CNAMEs (Route53 routing policies) or this one updated
		}
		if others := after.others(name, endpoint.RecordTypeCNAME); len(others) > 0 {
			return &ZoneRuleError{Name: name, Record: endpoint.RecordTypeCNAME, Standing: others}
		}
	}
	return nil
}

// newDataBreaks refuses a record of a type new at its name that c puts beside a CNAME
// that stays.
func newDataBreaks(_ string, c provider.Change, before, after nameTypes) error {
	for _, rc := range c.Records {
		if rc.New == nil || rc.New.RecordType == endpoint.RecordTypeCNAME {
			continue
		}
		name, t := rc.New.DNSName, rc.New.RecordType
		if before.count(name, t) == 0 && after.count(name, endpoint.RecordTypeCNAME) > 0 {
			return &ZoneRuleError{Name: name, Record: t, Standing: []string{endpoint.RecordTypeCNAME}}
		}
	}
	return nil
}
