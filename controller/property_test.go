package controller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

// propertyCases is how many seeded reconciles TestReconcileProperties runs.
const propertyCases = 10_000

// Pools the generator draws from: small, so that names, objects and targets collide
// often. Targets are distinct addresses and hosts; the generator varies their spelling
// (IPv6 form, case), which must not make a difference.
var (
	propZoneSets = [][]string{{"example.com"}, {"example.com", "example.org"}, {"example.com", "sub.example.com"}}
	// propLabels are put in front of each zone's name; "" is the apex.
	propLabels   = []string{"", "app", "www", "x.app"}
	propOutside  = "app.example.net" // in no zone
	propPrefixes = []string{"", "_zk-%{record_type}."}
	propPolicies = []plan.Policy{plan.PolicySync, plan.PolicyUpsertOnly, plan.PolicyCreateOnly}
	propObjects  = []endpoint.ObjectRef{
		{Kind: "service", Namespace: "ns", Name: "o1"},
		{Kind: "service", Namespace: "ns", Name: "o2"},
		{Kind: "ingress", Namespace: "ns", Name: "o3"},
		{Kind: "ingress", Namespace: "other", Name: "o4"},
	}
	propTargets = map[string][][]string{ // each target with its spellings
		endpoint.RecordTypeA:     {{"192.0.2.1"}, {"192.0.2.2"}, {"192.0.2.3"}},
		endpoint.RecordTypeAAAA:  {{"2001:db8::1", "2001:0db8:0::1"}, {"2001:db8::2", "2001:DB8::2"}},
		endpoint.RecordTypeCNAME: {{"lb.example.net", "LB.Example.NET"}, {"cdn.example.net"}, {"app.example.org"}},
	}
	propTTLs = []endpoint.TTL{0, 60, 300}
)

// Owner ids in generated zones besides ourOwner.
const propOtherOwner = "other"

// propCase is one generated reconcile: zones with their records, and what the sources say.
type propCase struct {
	seed    uint64
	zones   []string
	prefix  string
	policy  plan.Policy
	current map[string][]*endpoint.Endpoint // by zone
	sources []fixedSource
}

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// propTargetsOf returns one to all distinct targets of recordType (one for CNAME), each in
// a random spelling.
func propTargetsOf(rng *rand.Rand, recordType string) endpoint.Targets {
	pool := propTargets[recordType]
	n := 1
	if recordType != endpoint.RecordTypeCNAME {
		n += rng.IntN(len(pool))
	}
	var out endpoint.Targets
	for _, i := range rng.Perm(len(pool))[:n] {
		out = append(out, pick(rng, pool[i]))
	}
	return out
}

func propSetID(rng *rand.Rand) string {
	if rng.IntN(8) == 0 {
		return "eu"
	}
	return ""
}

// genOptions turn on zone contents that TestReconcileProperties leaves out because the
// registry does not handle them yet (see TestReconcilePropertiesForeignTXT).
type genOptions struct {
	// sharedTXT puts a value that is no ownership value, an SPF record, into some
	// legacy ownership RRsets, as RFC 2136 servers keep them.
	sharedTXT bool
	// txtAtOwnershipName puts a TXT record that is no ownership record where an
	// ownership record would go.
	txtAtOwnershipName bool
	// loadable keeps the zones to what a server loads (no CNAME at the apex or beside
	// other data, so no legacy ownership record of a CNAME) and adds records of the
	// common types zonekeeper does not manage (unmanagedData) beside the others.
	loadable bool
}

// genCase generates the case of seed. The zones hold records owned by us, by another
// owner and by nobody, through new-format and (without prefix) legacy ownership records,
// some legacy ones sharing their RRset with a value that is no ownership value; ownership
// records that own nothing; TXT records that are no ownership records; an MX record, of a
// type not managed. No name holds a CNAME beside an A or AAAA record. Four objects want records at shared names, of
// clashing types; sometimes one object's input is invalid and sometimes a source fails.
func genCase(tb testing.TB, seed uint64, opts genOptions) propCase {
	rng := rand.New(rand.NewPCG(seed, 0x7a6b))
	c := propCase{
		seed:    seed,
		zones:   pick(rng, propZoneSets),
		prefix:  pick(rng, propPrefixes),
		policy:  pick(rng, propPolicies),
		current: map[string][]*endpoint.Endpoint{},
	}
	reg := newTXT(tb, c.prefix)
	zones := make([]provider.Zone, 0, len(c.zones))
	var names []string
	for _, z := range c.zones {
		zones = append(zones, provider.Zone{ID: z, Name: z})
		for _, l := range propLabels {
			names = append(names, strings.TrimPrefix(l+"."+z, "."))
		}
	}

	taken := map[endpoint.RecordKey]bool{}
	add := func(r *endpoint.Endpoint) bool {
		z, ok := provider.ZoneFor(r.DNSName, zones)
		if !ok || taken[r.RecordKey()] {
			return false
		}
		taken[r.RecordKey()] = true
		c.current[z.Name] = append(c.current[z.Name], r)
		return true
	}
	ownership := func(name, setID, owner string) *endpoint.Endpoint {
		labels := endpoint.Labels{endpoint.OwnerLabelKey: owner}
		if rng.IntN(3) > 0 {
			labels[endpoint.ResourceLabelKey] = pick(rng, propObjects).String()
		}
		txt := endpoint.New(name, endpoint.RecordTypeTXT, 0, registry.FormatOwnership(labels))
		txt.SetIdentifier = setID
		return txt
	}
	owners := []string{ourOwner, ourOwner, propOtherOwner}

	// A zone file has no set identifiers (routing policies): loadable zones use none.
	setIDOf := func() string {
		if id := propSetID(rng); !opts.loadable {
			return id
		}
		return ""
	}
	for _, name := range names {
		setID := setIDOf()
		types := [][]string{nil, nil, {endpoint.RecordTypeCNAME}, {endpoint.RecordTypeA}, {endpoint.RecordTypeAAAA},
			{endpoint.RecordTypeA, endpoint.RecordTypeAAAA}}[rng.IntN(6)]
		zone, _ := provider.ZoneFor(name, zones)
		if opts.loadable && name == zone.Name && slices.Contains(types, endpoint.RecordTypeCNAME) {
			types = nil
		}
		for _, recordType := range types {
			r := endpoint.New(name, recordType, pick(rng, propTTLs), propTargetsOf(rng, recordType)...)
			r.SetIdentifier = setID
			if !add(r) {
				continue
			}
			switch mode := rng.IntN(5); {
			case mode == 0: // unowned
			case mode == 4 && c.prefix == "" && recordType != endpoint.RecordTypeAAAA && !(opts.loadable && recordType == endpoint.RecordTypeCNAME):
				legacy := ownership(name, setID, pick(rng, owners))
				if opts.sharedTXT && rng.IntN(3) == 0 {
					legacy.Targets = append(legacy.Targets, `"v=spf1 -all"`)
				}
				add(legacy)
			default:
				add(ownership(reg.OwnershipName(name, recordType), setID, pick(rng, owners)))
			}
		}
		hasCNAME := slices.Contains(types, endpoint.RecordTypeCNAME)
		if rng.IntN(6) == 0 && !(opts.loadable && hasCNAME) {
			add(endpoint.New(name, endpoint.RecordTypeTXT, 0, `"v=spf1 -all"`))
		}
		if opts.loadable && !hasCNAME {
			for _, r := range unmanagedData(rng, name, zone.Name) {
				if r.RecordType != endpoint.RecordTypeNS || len(types) == 0 && strings.HasPrefix(name, "www.") {
					add(r)
				}
			}
		}
	}
	for range rng.IntN(3) {
		recordType := pick(rng, []string{endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME})
		add(ownership(reg.OwnershipName(pick(rng, names), recordType), "", pick(rng, owners)))
	}
	if opts.txtAtOwnershipName && rng.IntN(10) == 0 {
		recordType := pick(rng, []string{endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME})
		add(endpoint.New(reg.OwnershipName(pick(rng, names), recordType), endpoint.RecordTypeTXT, 0, `"site-verification=1"`))
	}
	if rng.IntN(4) == 0 {
		add(endpoint.New(c.zones[0], endpoint.RecordTypeMX, 0, "10 mx.example.net"))
	}

	desiredNames := append(slices.Clone(names), propOutside)
	results := []source.Result{{}, {}}
	invalid := -1
	if rng.IntN(6) == 0 {
		invalid = rng.IntN(len(propObjects))
	}
	for i, obj := range propObjects {
		res := &results[rng.IntN(len(results))]
		if i == invalid {
			res.Problems = append(res.Problems, endpoint.Problem{Ref: obj, Err: errors.New("invalid annotation")})
			continue
		}
		for range rng.IntN(4) {
			recordType := pick(rng, []string{endpoint.RecordTypeA, endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME})
			e := endpoint.New(pick(rng, desiredNames), recordType, pick(rng, propTTLs), propTargetsOf(rng, recordType)...)
			e.SetIdentifier = setIDOf()
			e.Refs = []endpoint.ObjectRef{obj}
			res.Endpoints = append(res.Endpoints, e)
		}
	}
	for _, res := range results {
		c.sources = append(c.sources, fixedSource{result: res})
	}
	if rng.IntN(8) == 0 {
		c.sources = append(c.sources, fixedSource{err: errors.New("cache not synced")})
	}
	return c
}

func snapshot(tb testing.TB, p provider.Provider, zones []string) map[string][]*endpoint.Endpoint {
	tb.Helper()
	out := make(map[string][]*endpoint.Endpoint, len(zones))
	for _, z := range zones {
		out[z] = records(tb, p, z)
	}
	return out
}

// classify sorts the records of one zone with the rules of COMPAT.md, independently of
// the registry. notOurs are the ownership records of another owner and every other record
// whose first ownership record found (new format, then legacy for all but AAAA, at the
// same set identifier, in the same zone) is missing or not ours. ownsNothing are our
// ownership records that no record is found through. foreignValues are, for our
// ownership records that share their RRset with other values, those values.
func classify(reg *registry.TXT, prefix string, zone []*endpoint.Endpoint) (notOurs []*endpoint.Endpoint, ownsNothing map[endpoint.RecordKey]bool, foreignValues map[endpoint.RecordKey][]string) {
	type key struct{ name, setID string }
	owner := map[key]string{}
	ownership := map[key]*endpoint.Endpoint{}
	for _, r := range zone {
		if r.RecordType != endpoint.RecordTypeTXT {
			continue
		}
		for _, t := range r.Targets {
			if labels, ok := registry.ParseOwnership(t); ok {
				owner[key{r.DNSName, r.SetIdentifier}] = labels[endpoint.OwnerLabelKey]
				ownership[key{r.DNSName, r.SetIdentifier}] = r
				break
			}
		}
	}
	used := map[key]bool{}
	legacyPrefix := strings.ReplaceAll(prefix, "%{record_type}", "")
	for _, r := range zone {
		k := key{r.DNSName, r.SetIdentifier}
		if ownership[k] == r {
			if owner[k] != ourOwner {
				notOurs = append(notOurs, r)
			}
			continue
		}
		candidates := []string{reg.OwnershipName(r.DNSName, r.RecordType)}
		if r.RecordType != endpoint.RecordTypeAAAA {
			first, rest, _ := strings.Cut(r.DNSName, ".")
			candidates = append(candidates, legacyPrefix+first+"."+rest)
		}
		recordOwner := ""
		for _, name := range candidates {
			if o, ok := owner[key{name, r.SetIdentifier}]; ok {
				recordOwner = o
				used[key{name, r.SetIdentifier}] = true
				break
			}
		}
		if recordOwner != ourOwner {
			notOurs = append(notOurs, r)
		}
	}
	ownsNothing = map[endpoint.RecordKey]bool{}
	foreignValues = map[endpoint.RecordKey][]string{}
	for k, r := range ownership {
		if owner[k] != ourOwner {
			continue
		}
		if !used[k] {
			ownsNothing[r.RecordKey()] = true
		}
		for _, t := range r.Targets {
			if labels, ok := registry.ParseOwnership(t); !ok || labels[endpoint.OwnerLabelKey] != ourOwner {
				foreignValues[r.RecordKey()] = append(foreignValues[r.RecordKey()], t)
			}
		}
	}
	return notOurs, ownsNothing, foreignValues
}

// TestReconcileProperties reconciles generated zones and desired states through the real
// TXT registry and the strict in-memory provider, and checks on each: records not ours,
// and ownership records of other owners, are exactly as before (safety invariants 1, 2);
// values not ours in our ownership RRsets survive; the provider refused nothing; no CNAME
// came to stand beside another record; upsert-only deleted nothing and create-only
// changed no existing record (our ownership records that owned nothing may be
// relabelled by the create of their record); a second reconcile plans nothing.
func TestReconcileProperties(t *testing.T) { checkProperties(t, genOptions{}) }

func TestReconcilePropertiesForeignTXT(t *testing.T) {
	checkProperties(t, genOptions{sharedTXT: true, txtAtOwnershipName: true})
}

// checkProperties reconciles propertyCases generated cases and stops at the first that
// breaks a property, printing its seed and contents.
func checkProperties(t *testing.T, opts genOptions) {
	for seed := range uint64(propertyCases) {
		c := genCase(t, seed, opts)
		if msg := checkCase(t, c); msg != "" {
			t.Fatalf("seed %d: %s\n%s", seed, msg, c.dump())
		}
	}
}

// checkCase reconciles c twice and returns what went wrong, or "".
func checkCase(tb testing.TB, c propCase) string {
	ctx := context.Background()
	p := inmemory.New(c.zones...)
	for zone, recs := range c.current {
		if err := p.Seed(zone, recs...); err != nil {
			tb.Fatalf("seed %d: the generator made an invalid zone: %v", c.seed, err)
		}
	}
	reg, ctrl := c.controller(tb, p)
	before := snapshot(tb, p, c.zones)
	rep, msg := runClean(ctx, ctrl)
	if msg != "" {
		return msg
	}
	after := snapshot(tb, p, c.zones)
	for _, zone := range c.zones {
		now := map[endpoint.RecordKey]*endpoint.Endpoint{}
		for _, r := range after[zone] {
			now[r.RecordKey()] = r
		}
		notOurs, ownsNothing, foreignValues := classify(reg, c.prefix, before[zone])
		if msg := keptAsTheyWere(notOurs, after[zone], identical); msg != "" {
			return msg + "\nreport:\n" + dumpReport(rep)
		}
		clashed := cnameClashes(before[zone])
		for k := range cnameClashes(after[zone]) {
			if !clashed[k] {
				return fmt.Sprintf("%s [%s] now holds a CNAME beside another record\nreport:\n%s", k.DNSName, k.SetIdentifier, dumpReport(rep))
			}
		}
		for k, values := range foreignValues {
			for _, v := range values {
				if now[k] == nil || !slices.Contains(now[k].Targets, v) {
					return fmt.Sprintf("value %s, not ours, of %s %s is gone: now %v\nreport:\n%s", v, k.DNSName, k.RecordType, now[k], dumpReport(rep))
				}
			}
		}
		for _, r := range before[zone] {
			switch {
			case c.policy == plan.PolicyUpsertOnly && now[r.RecordKey()] == nil:
				return fmt.Sprintf("policy %s, yet %s was deleted\nreport:\n%s", c.policy, r, dumpReport(rep))
			// Creating a record may relabel our ownership record that owned nothing yet.
			case c.policy == plan.PolicyCreateOnly && !ownsNothing[r.RecordKey()] && !reflect.DeepEqual(now[r.RecordKey()], r):
				return fmt.Sprintf("policy %s, yet %s became %v\nreport:\n%s", c.policy, r, now[r.RecordKey()], dumpReport(rep))
			}
		}
	}

	return plansNothing(ctx, ctrl, rep)
}

// keptAsTheyWere says which record of notOurs after no longer holds as it was, by same,
// or "" when all do.
func keptAsTheyWere(notOurs, after []*endpoint.Endpoint, same func(was, now *endpoint.Endpoint) bool) string {
	now := make(map[endpoint.RecordKey]*endpoint.Endpoint, len(after))
	for _, r := range after {
		now[r.RecordKey()] = r
	}
	for _, r := range notOurs {
		if !same(r, now[r.RecordKey()]) {
			return fmt.Sprintf("record %s, not ours, became %v", r, now[r.RecordKey()])
		}
	}
	return ""
}

// identical reports whether was and now are the same record in every field.
func identical(was, now *endpoint.Endpoint) bool { return reflect.DeepEqual(was, now) }

// controller returns the registry and the controller that reconcile c against p.
func (c propCase) controller(tb testing.TB, p provider.Provider) (*registry.TXT, *Controller) {
	reg := newTXT(tb, c.prefix)
	ctrl := &Controller{Registry: reg, Provider: p, Config: Config{Policy: c.policy}}
	for _, s := range c.sources {
		ctrl.Sources = append(ctrl.Sources, s)
	}
	return reg, ctrl
}

// seedThrough writes c's zones through p's Apply, a create per record, as another tool
// would, for providers without a back door.
func (c propCase) seedThrough(tb testing.TB, p provider.Provider) {
	ctx := context.Background()
	for zone, recs := range c.current {
		var changes []provider.Change
		for _, r := range recs {
			changes = append(changes, provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: r}}})
		}
		if err := p.Apply(ctx, provider.Zone{ID: zone, Name: zone}, changes); err != nil {
			tb.Fatalf("seed %d: the provider refused the generated zone: %v", c.seed, err)
		}
	}
}

// runClean reconciles once and returns the report, or what went wrong: the reconcile
// could not run, or a zone could not be read or written, or the provider refused a change.
func runClean(ctx context.Context, ctrl *Controller) (*Report, string) {
	rep, err := ctrl.RunOnce(ctx)
	if err != nil {
		return nil, fmt.Sprintf("RunOnce: %v", err)
	}
	for _, z := range rep.Zones {
		if z.Err != nil || len(z.Failed) > 0 {
			return nil, fmt.Sprintf("zone %s: the provider refused changes: %v\nreport:\n%s", z.Zone.Name, rep.Err(), dumpReport(rep))
		}
	}
	return rep, ""
}

// plansNothing reconciles again and says what it planned, or "" when nothing: a provider
// that stores something other than it was given, or a planner that does not converge,
// plans on every reconcile.
func plansNothing(ctx context.Context, ctrl *Controller, first *Report) string {
	again, err := ctrl.RunOnce(ctx)
	if err != nil {
		return fmt.Sprintf("second RunOnce: %v", err)
	}
	if n := changeCount(again); n != 0 {
		return fmt.Sprintf("second RunOnce planned %d changes\nfirst report:\n%s\nsecond report:\n%s", n, dumpReport(first), dumpReport(again))
	}
	return ""
}

// cnameClashes lists the keys (name, set identifier) of zone where a CNAME stands beside
// an A, AAAA or another CNAME record, which no DNS service can hold (RFC 1034 3.6.2).
func cnameClashes(zone []*endpoint.Endpoint) map[endpoint.Key]bool {
	types := map[endpoint.Key][]string{}
	for _, r := range zone {
		if slices.Contains([]string{endpoint.RecordTypeA, endpoint.RecordTypeAAAA, endpoint.RecordTypeCNAME}, r.RecordType) {
			types[r.Key()] = append(types[r.Key()], r.RecordType)
		}
	}
	out := map[endpoint.Key]bool{}
	for k, ts := range types {
		if len(ts) > 1 && slices.Contains(ts, endpoint.RecordTypeCNAME) {
			out[k] = true
		}
	}
	return out
}

// dump renders the case readably: zones, records, and each source's answer.
func (c propCase) dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zones %q, txt prefix %q, policy %s\n", c.zones, c.prefix, c.policy)
	for _, z := range c.zones {
		fmt.Fprintf(&b, "zone %s:\n", z)
		for _, l := range lines(c.current[z]) {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	for i, s := range c.sources {
		res, err := s.Endpoints(context.Background())
		fmt.Fprintf(&b, "source %d:", i)
		if err != nil {
			fmt.Fprintf(&b, " error %v", err)
		}
		b.WriteString("\n")
		for _, e := range res.Endpoints {
			fmt.Fprintf(&b, "  %s wants %s\n", e.Refs[0], e)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(&b, "  problem %v\n", p)
		}
	}
	return b.String()
}

// dumpReport renders the changes, withheld deletions and problems of rep.
func dumpReport(rep *Report) string {
	var b strings.Builder
	for _, z := range rep.Zones {
		fmt.Fprintf(&b, "  zone %s:\n", z.Zone.Name)
		for _, c := range z.Changes {
			for i, rc := range c.Records {
				kind := "ownership"
				if i == c.Primary {
					kind = "record"
				}
				fmt.Fprintf(&b, "    %s %s\n", kind, rc)
			}
		}
		for _, w := range z.Withheld {
			fmt.Fprintf(&b, "    withheld %s: %s\n", w.Record, w.Reason)
		}
		for _, f := range z.Failed {
			fmt.Fprintf(&b, "    failed %v\n", f)
		}
	}
	for _, l := range problemLines(rep) {
		fmt.Fprintf(&b, "  problem %s\n", l)
	}
	return b.String()
}
