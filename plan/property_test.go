package plan

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// Pools the generator draws from: few enough that names, targets and objects collide
// often, with spellings that differ only in case or IPv6 form.
var (
	genNames   = []string{"app.example.com", "www.example.com", "api.example.com", "x.app.example.com", "app.example.org"}
	genSets    = []string{"", "", "", "eu"}
	genObjects = []endpoint.ObjectRef{
		{Kind: "service", Namespace: "ns", Name: "o1"},
		{Kind: "service", Namespace: "ns", Name: "o2"},
		{Kind: "ingress", Namespace: "ns", Name: "o3"},
		{Kind: "ingress", Namespace: "other", Name: "o4"},
	}
	genTargets = map[string][]string{
		endpoint.RecordTypeA:     {"10.0.0.1", "10.0.0.2", "10.0.0.3"},
		endpoint.RecordTypeAAAA:  {"2001:db8::1", "2001:0db8:0::1", "2001:db8::2"},
		endpoint.RecordTypeCNAME: {"a.example.net", "A.Example.NET", "b.example.net", "c.example.net"},
		endpoint.RecordTypeTXT:   {`"x"`, `"y"`},
		endpoint.RecordTypeMX:    {"10 mx.example.net"},
	}
	genTTLs = []endpoint.TTL{0, 60, 300}
)

// Owners a generated current record may carry; genUnowned means no owner label.
const (
	genOurs    = "zk"
	genOther   = "other"
	genUnowned = ""
)

// randomInput generates one planning problem: a handful of names, several objects per
// name, CNAME-versus-address clashes, current records owned by us, by another owner or
// by nobody (some of unmanaged types), any of the three policies, sometimes a domain
// filter, sometimes the noop registry's empty owner id. Current never holds two records
// with one normalised name, type and set identifier. It is meant for property tests in
// this package, including those that route the result through a registry and provider.
func randomInput(tb testing.TB, rng *rand.Rand) Input {
	in := Input{
		OwnerID: genOurs,
		Policy:  []Policy{PolicySync, PolicyUpsertOnly, PolicyCreateOnly}[rng.IntN(3)],
	}
	if rng.IntN(8) == 0 {
		in.OwnerID = ""
	}
	if rng.IntN(4) == 0 {
		f, err := endpoint.NewDomainFilter([]string{"example.com"}, []string{"x.app.example.com"}, "", "")
		if err != nil {
			tb.Fatal(err)
		}
		in.DomainFilter = f
	}
	if rng.IntN(6) == 0 {
		in.ManagedTypes = []string{endpoint.RecordTypeA, endpoint.RecordTypeCNAME, endpoint.RecordTypeMX}
	}

	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	targets := func(recordType string) endpoint.Targets {
		pool := genTargets[recordType]
		n := 1
		if recordType != endpoint.RecordTypeCNAME {
			n += rng.IntN(len(pool))
		}
		out := make(endpoint.Targets, n)
		for i := range out {
			out[i] = pool[rng.IntN(len(pool))]
		}
		return out
	}
	props := func() endpoint.ProviderSpecific {
		switch rng.IntN(4) {
		case 0:
			return endpoint.ProviderSpecific{{Name: "aws/weight", Value: "1"}}
		case 1:
			return endpoint.ProviderSpecific{{Name: "aws/weight", Value: "2"}}
		}
		return nil
	}
	address := []string{endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME}

	for range rng.IntN(12) {
		e := endpoint.New(pick(genNames), pick(address), genTTLs[rng.IntN(len(genTTLs))])
		e.Targets = targets(e.RecordType)
		e.SetIdentifier = pick(genSets)
		e.ProviderSpecific = props()
		e.Refs = []endpoint.ObjectRef{genObjects[rng.IntN(len(genObjects))]}
		if rng.IntN(10) == 0 {
			e.Refs = sortedRefs(append(e.Refs, genObjects[rng.IntN(len(genObjects))]))
		}
		in.Desired = append(in.Desired, e)
	}

	seen := map[endpoint.RecordKey]bool{}
	allTypes := append(slices.Clone(address), endpoint.RecordTypeTXT, endpoint.RecordTypeMX)
	for range rng.IntN(10) {
		name := pick(genNames)
		if rng.IntN(10) == 0 {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		e := endpoint.New(name, pick(allTypes), genTTLs[rng.IntN(len(genTTLs))])
		e.DNSName = name
		e.Targets = targets(e.RecordType)
		e.SetIdentifier = pick(genSets)
		e.ProviderSpecific = props()
		if seen[zoneKey(e)] {
			continue
		}
		seen[zoneKey(e)] = true
		if owner := []string{genOurs, genOurs, genOther, genUnowned}[rng.IntN(4)]; owner != genUnowned {
			e.Labels[endpoint.OwnerLabelKey] = owner
			if rng.IntN(3) > 0 {
				e.Labels[endpoint.ResourceLabelKey] = genObjects[rng.IntN(len(genObjects))].String()
			}
		}
		in.Current = append(in.Current, e)
	}
	return in
}

// zoneKey is the RRset key a DNS server would use: names compare case-insensitively.
func zoneKey(e *endpoint.Endpoint) endpoint.RecordKey {
	k := e.RecordKey()
	k.DNSName = endpoint.NormalizeNameLoose(k.DNSName)
	return k
}

// applyToModel applies changes to a plain model of a zone, the way a strict provider
// would: a create must not hit an existing RRset, an update or delete must find its Old.
func applyToModel(zone map[endpoint.RecordKey]*endpoint.Endpoint, c Changes) error {
	for _, e := range c.Delete {
		if zone[zoneKey(e)] == nil {
			return fmt.Errorf("delete of missing %s", e)
		}
		delete(zone, zoneKey(e))
	}
	for _, u := range c.Update {
		if zone[zoneKey(u.Old)] == nil {
			return fmt.Errorf("update of missing %s", u.Old)
		}
		if zoneKey(u.Old) != zoneKey(u.New) {
			return fmt.Errorf("update changes the key: %s -> %s", u.Old, u.New)
		}
		zone[zoneKey(u.New)] = u.New.Clone()
	}
	for _, e := range c.Create {
		if zone[zoneKey(e)] != nil {
			return fmt.Errorf("create of existing %s", e)
		}
		zone[zoneKey(e)] = e.Clone()
	}
	return nil
}

func modelRecords(zone map[endpoint.RecordKey]*endpoint.Endpoint) []*endpoint.Endpoint {
	out := make([]*endpoint.Endpoint, 0, len(zone))
	for _, e := range zone {
		out = append(out, e.Clone())
	}
	return out
}

func describeInput(in Input) string {
	var b strings.Builder
	fmt.Fprintf(&b, "owner %q policy %s managed %v filtered %v\n", in.OwnerID, in.Policy, in.ManagedTypes, in.DomainFilter.IsConfigured())
	for _, e := range in.Desired {
		b.WriteString("  desired " + show(e) + "\n")
	}
	for _, e := range in.Current {
		b.WriteString("  current " + show(e) + "\n")
	}
	return b.String()
}

// checkInvariants reports the first safety or consistency rule res breaks for in.
func checkInvariants(in Input, res Result) error {
	managed := in.ManagedTypes
	if len(managed) == 0 {
		managed = endpoint.DefaultManagedTypes()
	}
	visible := func(e *endpoint.Endpoint) bool {
		return slices.Contains(managed, e.RecordType) && in.DomainFilter.Match(e.DNSName)
	}
	isOurs := func(e *endpoint.Endpoint) bool { return e.Labels[endpoint.OwnerLabelKey] == in.OwnerID }
	current := map[endpoint.RecordKey]*endpoint.Endpoint{}
	for _, e := range in.Current {
		current[zoneKey(e)] = e
	}

	c := res.Changes
	switch in.Policy {
	case PolicyUpsertOnly:
		if len(c.Delete) > 0 {
			return fmt.Errorf("upsert-only deletes %s", c.Delete[0])
		}
	case PolicyCreateOnly:
		if len(c.Delete) > 0 || len(c.Update) > 0 {
			return fmt.Errorf("create-only updates or deletes: %q", render(c))
		}
	}

	keys := map[endpoint.RecordKey]bool{}
	claim := func(e *endpoint.Endpoint) error {
		if keys[zoneKey(e)] {
			return fmt.Errorf("%s appears in more than one change", e)
		}
		keys[zoneKey(e)] = true
		if !visible(e) {
			return fmt.Errorf("change to invisible record %s", e)
		}
		return nil
	}
	for _, e := range c.Delete {
		if err := claim(e); err != nil {
			return err
		}
		if !isOurs(e) || current[zoneKey(e)] == nil {
			return fmt.Errorf("invariants 1/2: deletes %s, which is not ours or not current", show(e))
		}
	}
	for _, u := range c.Update {
		if err := claim(u.Old); err != nil {
			return err
		}
		if !isOurs(u.Old) || current[zoneKey(u.Old)] == nil {
			return fmt.Errorf("invariants 1/2: updates %s, which is not ours or not current", show(u.Old))
		}
		if err := checkOutput(in, u.New); err != nil {
			return err
		}
	}
	for _, e := range c.Create {
		if err := claim(e); err != nil {
			return err
		}
		for _, cur := range in.Current {
			if cur.Key() == e.Key() && visible(cur) && !isOurs(cur) {
				return fmt.Errorf("invariants 1/2: creates %s beside %s, which is not ours", e, show(cur))
			}
		}
		if err := checkOutput(in, e); err != nil {
			return err
		}
	}
	for _, p := range res.Problems {
		if !p.Warning || p.Ref == (endpoint.ObjectRef{}) {
			return fmt.Errorf("problem is not a warning on an object: %v", p)
		}
	}
	return nil
}

// checkOutput checks a created or updated record's labels and refs.
func checkOutput(in Input, e *endpoint.Endpoint) error {
	if e.Labels[endpoint.OwnerLabelKey] != in.OwnerID {
		return fmt.Errorf("%s carries owner %q", show(e), e.Labels[endpoint.OwnerLabelKey])
	}
	if !slices.IsSortedFunc(e.Refs, compareRefs) || len(e.Refs) == 0 {
		return fmt.Errorf("%s has unsorted or no refs", show(e))
	}
	if !slices.ContainsFunc(e.Refs, func(r endpoint.ObjectRef) bool { return r.String() == e.Labels[endpoint.ResourceLabelKey] }) {
		return fmt.Errorf("%s: resource label names none of its refs", show(e))
	}
	return nil
}

func TestCalculateProperties(t *testing.T) {
	const cases = 10_000
	for i := range cases {
		rng := rand.New(rand.NewPCG(2026, uint64(i)))
		in := randomInput(t, rng)
		res := Calculate(in)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d: %s\n%s  changes %q\n  problems %q", i, fmt.Sprintf(format, args...),
				describeInput(in), render(res.Changes), renderProblems(res.Problems))
		}
		if err := checkInvariants(in, res); err != nil {
			fail("%v", err)
		}

		shuffled := in
		shuffled.Desired = slices.Clone(in.Desired)
		shuffled.Current = slices.Clone(in.Current)
		rng.Shuffle(len(shuffled.Desired), func(i, j int) {
			shuffled.Desired[i], shuffled.Desired[j] = shuffled.Desired[j], shuffled.Desired[i]
		})
		rng.Shuffle(len(shuffled.Current), func(i, j int) {
			shuffled.Current[i], shuffled.Current[j] = shuffled.Current[j], shuffled.Current[i]
		})
		if again := Calculate(shuffled); !reflect.DeepEqual(again, res) {
			fail("shuffled input gives another result: %q %q", render(again.Changes), renderProblems(again.Problems))
		}

		zone := map[endpoint.RecordKey]*endpoint.Endpoint{}
		for _, e := range in.Current {
			zone[zoneKey(e)] = e.Clone()
		}
		if err := applyToModel(zone, res.Changes); err != nil {
			fail("applying: %v", err)
		}
		next := in
		next.Current = modelRecords(zone)
		if again := Calculate(next); !again.Changes.IsEmpty() {
			fail("planning again after applying (policy %s) changes %q", in.Policy, render(again.Changes))
		}
	}
}
