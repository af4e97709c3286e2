package route53test

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
)

// AWS's limits on one ChangeResourceRecordSets request. UPSERT changes count their
// values and characters twice.
const (
	maxBatchRecords    = 1000
	maxBatchCharacters = 32000
	maxTXTString       = 255
	maxTTL             = 2147483647
	maxWeight          = 255
)

// recordTypes are the types Route53 accepts in a resource record set.
var recordTypes = map[string]bool{
	"SOA": true, "A": true, "TXT": true, "NS": true, "CNAME": true, "MX": true, "NAPTR": true,
	"PTR": true, "SRV": true, "SPF": true, "AAAA": true, "CAA": true, "DS": true, "TLSA": true,
	"SSHFP": true, "SVCB": true, "HTTPS": true,
}

// setKey is the identity of a resource record set: two sets with the same key cannot
// both exist in a zone.
type setKey struct {
	name, typ, id string
}

func keyOf(rs *recordSet) setKey { return setKey{rs.Name, rs.Type, rs.SetIdentifier} }

func compareKeys(a, b setKey) int {
	if c := compareNames(a.name, b.name); c != 0 {
		return c
	}
	if c := strings.Compare(a.typ, b.typ); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// describe names a set the way AWS's InvalidChangeBatch messages do.
func (k setKey) describe() string {
	if k.id == "" {
		return fmt.Sprintf("[name='%s', type='%s']", k.name, k.typ)
	}
	return fmt.Sprintf("[name='%s', type='%s', set-identifier='%s']", k.name, k.typ, k.id)
}

// changeContext names a change the way AWS's InvalidInput messages do.
func changeContext(c *change) string {
	id := "null"
	if c.Set.SetIdentifier != "" {
		id = c.Set.SetIdentifier
	}
	return fmt.Sprintf("Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=%s]", c.Action, c.Set.Name, c.Set.Type, id)
}

// routingPolicy names the routing policy a set uses, "" for simple routing, and counts
// how many policies it names (Route53 allows at most one).
func routingPolicy(rs *recordSet) (policy string, count int) {
	for _, p := range []struct {
		name string
		set  bool
	}{
		{"weighted", rs.Weight != nil},
		{"latency", rs.Region != ""},
		{"failover", rs.Failover != ""},
		{"geolocation", rs.GeoLocation != nil},
		{"multivalue answer", rs.MultiValueAnswer != nil},
		{"geoproximity", rs.GeoProximityLocation != nil},
		{"cidr", rs.CidrRoutingConfig != nil},
	} {
		if p.set {
			policy, count = p.name, count+1
		}
	}
	return policy, count
}

// normalizeChange checks the form of one change, as AWS does before it looks at the
// zone (InvalidInput, which rejects the whole request), and returns it with names in
// their stored form.
func normalizeChange(c change) (change, *apiError) {
	switch c.Action {
	case "CREATE", "DELETE", "UPSERT":
	default:
		return c, invalidInput("Invalid request: Action %q is not one of CREATE, DELETE, UPSERT in %s", c.Action, changeContext(&c))
	}
	if !recordTypes[c.Set.Type] {
		return c, invalidInput("Invalid request: Type %q is not a supported record type in %s", c.Set.Type, changeContext(&c))
	}
	name, err := canonicalName(c.Set.Name)
	if err != nil {
		return c, invalidInput("Invalid request: %v in %s", err, changeContext(&c))
	}
	hasRecords := c.Set.TTL != nil || len(c.Set.Values) > 0
	switch {
	case c.Set.AliasTarget != nil && hasRecords:
		return c, invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in %s", changeContext(&c))
	case c.Set.AliasTarget == nil && (c.Set.TTL == nil || len(c.Set.Values) == 0):
		return c, invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in %s", changeContext(&c))
	}
	if c.Set.TTL != nil && (*c.Set.TTL < 0 || *c.Set.TTL > maxTTL) {
		return c, invalidInput("Invalid request: TTL %d is outside 0..%d in %s", *c.Set.TTL, maxTTL, changeContext(&c))
	}
	policy, policies := routingPolicy(&c.Set)
	switch {
	case c.Set.SetIdentifier == "" && policies > 0:
		return c, invalidInput("Invalid request: Missing field 'SetIdentifier' in %s", changeContext(&c))
	case c.Set.SetIdentifier != "" && policies != 1:
		return c, invalidInput("Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, CidrRoutingConfig, GeoProximityLocation, or MultiValueAnswer], but found %s in %s", countWord(policies), changeContext(&c))
	case policy == "weighted" && (*c.Set.Weight < 0 || *c.Set.Weight > maxWeight):
		return c, invalidInput("Invalid request: Weight %d is outside 0..%d in %s", *c.Set.Weight, maxWeight, changeContext(&c))
	case policy == "failover" && c.Set.Failover != "PRIMARY" && c.Set.Failover != "SECONDARY":
		return c, invalidInput("Invalid request: Failover %q is not PRIMARY or SECONDARY in %s", c.Set.Failover, changeContext(&c))
	}
	c.Set.Name = name
	if a := c.Set.AliasTarget; a != nil {
		if a.HostedZoneID == "" {
			return c, invalidInput("Invalid request: Missing field 'HostedZoneId' in AliasTarget of %s", changeContext(&c))
		}
		target, err := canonicalName(a.DNSName)
		if err != nil {
			return c, invalidInput("Invalid request: alias target: %v in %s", err, changeContext(&c))
		}
		alias := *a
		alias.DNSName = target
		c.Set.AliasTarget = &alias
	}
	return c, nil
}

func countWord(n int) string {
	if n == 0 {
		return "none"
	}
	return "more than one"
}

// valueProblems returns AWS's messages for values of rs that its type does not allow.
func valueProblems(rs *recordSet) []string {
	var problems []string
	fatal := func(code, why, value string) {
		problems = append(problems, fmt.Sprintf("Invalid Resource Record: 'FATAL problem: %s (%s) encountered with '%s''", code, why, value))
	}
	if rs.Type == "CNAME" && len(rs.Values) > 1 {
		problems = append(problems, fmt.Sprintf("RRSet of type CNAME with DNS name %s has more than one value", rs.Name))
	}
	for _, v := range rs.Values {
		switch rs.Type {
		case "A":
			if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
				fatal("ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address", v)
			}
		case "AAAA":
			if a, err := netip.ParseAddr(v); err != nil || !a.Is6() || a.Zone() != "" {
				fatal("AAAARRDATAIllegalIPv6Address", "Value is not a valid IPv6 address", v)
			}
		case "TXT", "SPF":
			strs, ok := splitCharacterStrings(v)
			if !ok {
				fatal("InvalidCharacterString", "Value should be enclosed in quotation marks", v)
				continue
			}
			for _, s := range strs {
				if len(s) > maxTXTString {
					fatal("CharacterStringTooLong", "Value is too long", v)
					break
				}
			}
		}
	}
	return problems
}

// splitCharacterStrings splits a TXT value of quoted strings separated by blanks
// ("a" "b") into their decoded contents. It fails unless every string is quoted.
func splitCharacterStrings(v string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i == len(v) {
			return out, len(out) > 0
		}
		if v[i] != '"' {
			return nil, false
		}
		i++
		var s strings.Builder
		closed := false
		for i < len(v) {
			c := v[i]
			i++
			if c == '\\' && i < len(v) {
				s.WriteByte(v[i])
				i++
				continue
			}
			if c == '"' {
				closed = true
				break
			}
			s.WriteByte(c)
		}
		if !closed {
			return nil, false
		}
		out = append(out, s.String())
	}
}

// batchLimitProblems checks AWS's per-request limits on a batch of changes.
func batchLimitProblems(changes []change) []string {
	records, characters := 0, 0
	for i := range changes {
		weight := 1
		if changes[i].Action == "UPSERT" {
			weight = 2
		}
		n := len(changes[i].Set.Values)
		if n == 0 {
			n = 1
		}
		records += weight * n
		for _, v := range changes[i].Set.Values {
			characters += weight * len(v)
		}
	}
	var problems []string
	if records > maxBatchRecords || len(changes) > maxBatchRecords {
		problems = append(problems, fmt.Sprintf("Number of records limit of %d exceeded.", maxBatchRecords))
	}
	if characters > maxBatchCharacters {
		problems = append(problems, fmt.Sprintf("RDATA character limit of %d exceeded.", maxBatchCharacters))
	}
	return problems
}

// overlay is a zone's record sets as a batch changes them: entries set to nil are
// deleted. Nothing reaches the zone until the whole batch has passed.
type overlay struct {
	base    map[setKey]*recordSet
	changed map[setKey]*recordSet
}

func (o *overlay) get(k setKey) *recordSet {
	if rs, ok := o.changed[k]; ok {
		return rs
	}
	return o.base[k]
}

// setsAt returns the sets present at name after the batch so far.
func (o *overlay) setsAt(name string, index map[string][]setKey) []*recordSet {
	var out []*recordSet
	seen := map[setKey]bool{}
	for _, k := range index[name] {
		seen[k] = true
		if rs := o.get(k); rs != nil {
			out = append(out, rs)
		}
	}
	for k, rs := range o.changed {
		if k.name == name && !seen[k] && rs != nil {
			out = append(out, rs)
		}
	}
	return out
}

// applyBatch validates changes against zone z as a whole and, if every check passes,
// applies them all; otherwise z is left as it was and the answer is InvalidInput (the
// first malformed change) or InvalidChangeBatch (every problem found, in order).
func applyBatch(z *zone, changes []change) *apiError {
	normalized := make([]change, len(changes))
	for i, c := range changes {
		n, err := normalizeChange(c)
		if err != nil {
			return err
		}
		normalized[i] = n
	}
	if problems := batchLimitProblems(normalized); len(problems) > 0 {
		return invalidChangeBatch(problems)
	}
	o := &overlay{base: z.sets, changed: map[setKey]*recordSet{}}
	var problems []string
	history := map[setKey][]string{}
	reportedDuplicate := map[setKey]bool{}
	touched := map[setKey]bool{}
	for i := range normalized {
		c := &normalized[i]
		rs := c.Set
		k := keyOf(&rs)
		history[k] = append(history[k], c.Action)
		if !allowedSequence(history[k]) {
			if !reportedDuplicate[k] {
				problems = append(problems, fmt.Sprintf("The request contains an invalid set of changes for a resource record set '%s %s'", k.typ, k.name))
				reportedDuplicate[k] = true
			}
			continue
		}
		if !inZone(rs.Name, z.name) {
			problems = append(problems, fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", rs.Name, z.name))
			continue
		}
		apex := rs.Name == z.name
		if c.Action != "DELETE" {
			if found := valueProblems(&rs); len(found) > 0 {
				problems = append(problems, found...)
				continue
			}
			if apex && rs.Type == "CNAME" {
				problems = append(problems, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", rs.Name, z.name))
				continue
			}
		}
		current := o.get(k)
		switch c.Action {
		case "CREATE":
			if current != nil {
				problems = append(problems, fmt.Sprintf("Tried to create resource record set %s but it already exists", k.describe()))
				continue
			}
		case "DELETE":
			switch {
			case current == nil:
				problems = append(problems, fmt.Sprintf("Tried to delete resource record set %s but it was not found", k.describe()))
			case !sameSet(current, &rs):
				problems = append(problems, fmt.Sprintf("Tried to delete resource record set %s but the values provided do not match the current values", k.describe()))
			case apex && rs.Type == "SOA":
				problems = append(problems, "A HostedZone must contain exactly one SOA record.")
			case apex && rs.Type == "NS":
				problems = append(problems, "A HostedZone must contain at least one NS record for the zone itself.")
			default:
				o.changed[k] = nil
				touched[k] = true
			}
			continue
		}
		stored := rs
		o.changed[k] = &stored
		touched[k] = true
	}
	problems = append(problems, conflictProblems(o, z, touched)...)
	if len(problems) > 0 {
		return invalidChangeBatch(problems)
	}
	z.commit(o.changed)
	return nil
}

// allowedSequence reports whether the actions a batch takes on one record set, in order,
// are ones AWS accepts: a single change, or a DELETE followed by its replacement.
func allowedSequence(actions []string) bool {
	switch len(actions) {
	case 1:
		return true
	case 2:
		return actions[0] == "DELETE" && actions[1] != "DELETE"
	}
	return false
}

// sameSet reports whether a DELETE's set matches the stored one exactly: every field,
// values in any order.
func sameSet(stored, given *recordSet) bool {
	a, b := *stored, *given
	a.Values, b.Values = slices.Clone(a.Values), slices.Clone(b.Values)
	slices.Sort(a.Values)
	slices.Sort(b.Values)
	return reflect.DeepEqual(a, b)
}

// conflictProblems checks the rules that span record sets, on the zone as the batch
// leaves it: a CNAME owns its name alone, and all sets of one name and type share one
// routing policy.
func conflictProblems(o *overlay, z *zone, touched map[setKey]bool) []string {
	var problems []string
	keys := make([]setKey, 0, len(touched))
	for k := range touched {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	for _, k := range keys {
		rs := o.get(k)
		if rs == nil {
			continue
		}
		siblings := o.setsAt(k.name, z.byName)
		for _, other := range siblings {
			if (other.Type == "CNAME") == (rs.Type == "CNAME") {
				continue
			}
			if rs.Type == "CNAME" {
				problems = append(problems, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted as it conflicts with other records with the same DNS name in zone %s", k.name, z.name))
			} else {
				problems = append(problems, fmt.Sprintf("RRSet of type %s with DNS name %s is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone %s", k.typ, k.name, z.name))
			}
			break
		}
		policy, _ := routingPolicy(rs)
		for _, other := range siblings {
			if other.Type != rs.Type {
				continue
			}
			if otherPolicy, _ := routingPolicy(other); otherPolicy != policy {
				problems = append(problems, policyConflict(k, policy, otherPolicy))
				break
			}
		}
	}
	return problems
}

func policyConflict(k setKey, policy, otherPolicy string) string {
	if k.id == "" {
		return fmt.Sprintf("RRSet with DNS name %s, type %s cannot be created as %s sets exist with the same name and type.", k.name, k.typ, otherPolicy)
	}
	return fmt.Sprintf("RRSet with DNS name %s, type %s, SetIdentifier %s cannot be created as a non-%s set exists with the same name and type.", k.name, k.typ, k.id, policy)
}
