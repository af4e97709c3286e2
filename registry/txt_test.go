package registry

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
)

var testZone = provider.Zone{ID: "Z1", Name: "example.com"}

func record(name, recordType string, targets ...string) *endpoint.Endpoint {
	return endpoint.New(name, recordType, 0, targets...)
}

// ownership is an ownership TXT record owned by owner for service/default/<resource>.
func ownership(name, owner, resource string) *endpoint.Endpoint {
	return record(name, "TXT", FormatOwnership(endpoint.Labels{"owner": owner, "resource": "service/default/" + resource}))
}

// wanted is a desired record asked for by service default/<ref>.
func wanted(name, recordType, ref string, targets ...string) *endpoint.Endpoint {
	ep := record(name, recordType, targets...)
	ep.Refs = []endpoint.ObjectRef{{Kind: "service", Namespace: "default", Name: ref}}
	return ep
}

func withSetID(ep *endpoint.Endpoint, id string) *endpoint.Endpoint {
	ep.SetIdentifier = id
	return ep
}

func withProperty(ep *endpoint.Endpoint, name, value string) *endpoint.Endpoint {
	ep.SetProperty(name, value)
	return ep
}

// loadRecords returns the owner and resource labels of each record Records returns,
// rendered "name TYPE [set] owner resource".
func loadRecords(t *testing.T, reg *TXT, records ...*endpoint.Endpoint) []string {
	t.Helper()
	var out []string
	for _, ep := range reg.Load(testZone, records).Records() {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s %s", ep.DNSName, ep.RecordType, ep.SetIdentifier,
			ep.Labels[endpoint.OwnerLabelKey], ep.Labels[endpoint.ResourceLabelKey])))
	}
	return out
}

func TestRecords(t *testing.T) {
	reg := newTestTXT(t, TXTConfig{})
	got := loadRecords(t, reg,
		record("app.example.com", "A", "192.0.2.1"),
		ownership("a-app.example.com", "default", "app"),
		record("www.example.com", "CNAME", "lb.example.net"),
		ownership("cname-www.example.com", "other", "www"),
		record("legacy.example.com", "A", "192.0.2.2"),
		ownership("legacy.example.com", "default", "legacy"),
		record("legacy6.example.com", "AAAA", "2001:db8::1"),
		ownership("legacy6.example.com", "default", "legacy6"),
		withProperty(record("alias.example.com", "A", "lb.elb.amazonaws.com"), "alias", "true"),
		ownership("cname-alias.example.com", "default", "alias"),
		record("notalias.example.com", "A", "192.0.2.3"),
		ownership("cname-notalias.example.com", "default", "notalias"),
		record("both.example.com", "A", "192.0.2.4"),
		ownership("a-both.example.com", "default", "new"),
		ownership("both.example.com", "old", "legacy"),
		withSetID(record("weighted.example.com", "A", "192.0.2.5"), "eu"),
		withSetID(ownership("a-weighted.example.com", "default", "eu"), "eu"),
		withSetID(record("weighted.example.com", "A", "192.0.2.6"), "us"),
		record("spf.example.com", "TXT", `"v=spf1 -all"`),
		record("unowned.example.com", "A", "192.0.2.7"),
	)
	want := []string{
		"app.example.com A  default service/default/app",
		"www.example.com CNAME  other service/default/www",
		"legacy.example.com A  default service/default/legacy",
		"legacy6.example.com AAAA",
		"alias.example.com A  default service/default/alias",
		"notalias.example.com A",
		"both.example.com A  default service/default/new",
		"weighted.example.com A eu default service/default/eu",
		"weighted.example.com A us",
		"spf.example.com TXT",
		"unowned.example.com A",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRecordsAreCopies(t *testing.T) {
	z := newTestTXT(t, TXTConfig{}).Load(testZone, []*endpoint.Endpoint{
		record("app.example.com", "A", "192.0.2.1"), ownership("a-app.example.com", "default", "app"),
	})
	z.Records()[0].Labels[endpoint.OwnerLabelKey] = "mutated"
	if got := z.Records()[0].Labels[endpoint.OwnerLabelKey]; got != "default" {
		t.Errorf("owner after mutating an earlier result = %q", got)
	}
}

// summary renders a provider.Change as "op TYPE name" per record change, the planned one
// starred: "+TXT a-app.example.com, *+A app.example.com".
func summary(c provider.Change) string {
	parts := make([]string, 0, len(c.Records))
	for i, rc := range c.Records {
		op := map[provider.Op]string{provider.OpCreate: "+", provider.OpUpdate: "~", provider.OpDelete: "-"}[rc.Op]
		star := ""
		if i == c.Primary {
			star = "*"
		}
		ep := rc.Endpoint()
		parts = append(parts, star+op+ep.RecordType+" "+ep.DNSName)
	}
	return strings.Join(parts, ", ")
}

func summaries(changes []provider.Change) []string {
	out := make([]string, 0, len(changes))
	for _, c := range changes {
		out = append(out, summary(c))
	}
	return out
}

func TestChanges(t *testing.T) {
	app := record("app.example.com", "A", "192.0.2.1")
	appOwned := func() *endpoint.Endpoint {
		ep := app.Clone()
		ep.Labels = endpoint.Labels{"owner": "default", "resource": "service/default/app"}
		return ep
	}
	legacyMX := record("legacy.example.com", "MX", "10 mail.example.com")
	legacyA := record("legacy.example.com", "A", "192.0.2.2")
	legacyTXT := ownership("legacy.example.com", "default", "legacy")
	tests := []struct {
		name         string
		cfg          TXTConfig
		current      []*endpoint.Endpoint
		changes      plan.Changes
		want         []string
		wantProblems []string
	}{
		{
			name:    "create writes the TXT first",
			changes: plan.Changes{Create: []*endpoint.Endpoint{wanted("app.example.com", "A", "app", "192.0.2.1")}},
			want:    []string{"+TXT a-app.example.com, *+A app.example.com"},
		},
		{
			name:    "create over our TXT with the same labels leaves it",
			current: []*endpoint.Endpoint{ownership("a-app.example.com", "default", "app")},
			changes: plan.Changes{Create: []*endpoint.Endpoint{wanted("app.example.com", "A", "app", "192.0.2.1")}},
			want:    []string{"*+A app.example.com"},
		},
		{
			name:    "create over our TXT with other labels updates it",
			current: []*endpoint.Endpoint{ownership("a-app.example.com", "default", "old")},
			changes: plan.Changes{Create: []*endpoint.Endpoint{wanted("app.example.com", "A", "app", "192.0.2.1")}},
			want:    []string{"~TXT a-app.example.com, *+A app.example.com"},
		},
		{
			name:         "create over a foreign TXT is refused",
			current:      []*endpoint.Endpoint{ownership("a-app.example.com", "other", "app")},
			changes:      plan.Changes{Create: []*endpoint.Endpoint{wanted("app.example.com", "A", "app", "192.0.2.1")}},
			wantProblems: []string{`service/default/app app.example.com: ownership record a-app.example.com belongs to owner "other"`},
		},
		{
			name:    "apex without a prefix is refused",
			changes: plan.Changes{Create: []*endpoint.Endpoint{wanted("example.com", "A", "apex", "192.0.2.1")}},
			wantProblems: []string{`service/default/apex example.com: ownership record a-example.com of example.com would fall outside zone example.com, ` +
				`so the record cannot be owned; set a --txt-prefix ending in "." such as "_zk-%{record_type}." to keep ownership records inside the zone`},
		},
		{
			name:    "apex with a prefix ending in a dot",
			cfg:     TXTConfig{Prefix: "_zk-%{record_type}."},
			changes: plan.Changes{Create: []*endpoint.Endpoint{wanted("example.com", "A", "apex", "192.0.2.1")}},
			want:    []string{"+TXT _zk-a.example.com, *+A example.com"},
		},
		{
			name:    "update of the targets leaves the TXT",
			current: []*endpoint.Endpoint{app, ownership("a-app.example.com", "default", "app")},
			changes: plan.Changes{Update: []plan.Update{{Old: appOwned(), New: wanted("app.example.com", "A", "app", "192.0.2.9")}}},
			want:    []string{"*~A app.example.com"},
		},
		{
			name:    "update of the properties updates the TXT",
			current: []*endpoint.Endpoint{app, ownership("a-app.example.com", "default", "app")},
			changes: plan.Changes{Update: []plan.Update{{Old: appOwned(),
				New: withProperty(wanted("app.example.com", "A", "app", "192.0.2.1"), "aws/weight", "10")}}},
			want: []string{"~TXT a-app.example.com, *~A app.example.com"},
		},
		{
			name:    "update of the resource updates the TXT",
			current: []*endpoint.Endpoint{app, ownership("a-app.example.com", "default", "app")},
			changes: plan.Changes{Update: []plan.Update{{Old: appOwned(), New: wanted("app.example.com", "A", "app2", "192.0.2.9")}}},
			want:    []string{"~TXT a-app.example.com, *~A app.example.com"},
		},
		{
			name:    "update of a legacy-owned record creates the new TXT once",
			current: []*endpoint.Endpoint{legacyA, legacyTXT},
			changes: plan.Changes{Update: []plan.Update{{Old: legacyA, New: wanted("legacy.example.com", "A", "legacy", "192.0.2.9")}}},
			want:    []string{"+TXT a-legacy.example.com, *~A legacy.example.com"},
		},
		{
			name:    "delete removes the TXT after the record",
			current: []*endpoint.Endpoint{app, ownership("a-app.example.com", "default", "app")},
			changes: plan.Changes{Delete: []*endpoint.Endpoint{appOwned()}},
			want:    []string{"*-A app.example.com, -TXT a-app.example.com"},
		},
		{
			name:    "delete keeps a legacy TXT another record relies on",
			current: []*endpoint.Endpoint{legacyA, legacyMX, legacyTXT},
			changes: plan.Changes{Delete: []*endpoint.Endpoint{legacyA}},
			want:    []string{"*-A legacy.example.com"},
		},
		{
			name:    "delete removes a legacy TXT nothing else relies on",
			current: []*endpoint.Endpoint{legacyA, legacyTXT},
			changes: plan.Changes{Delete: []*endpoint.Endpoint{legacyA}},
			want:    []string{"*-A legacy.example.com, -TXT legacy.example.com"},
		},
		{
			name:    "a shared legacy TXT goes with the last record deleted",
			current: []*endpoint.Endpoint{legacyA, legacyMX, legacyTXT},
			changes: plan.Changes{Delete: []*endpoint.Endpoint{legacyMX, legacyA}},
			want:    []string{"*-MX legacy.example.com", "*-A legacy.example.com, -TXT legacy.example.com"},
		},
		{
			name:    "delete never removes a foreign TXT",
			current: []*endpoint.Endpoint{legacyA, ownership("legacy.example.com", "other", "x")},
			changes: plan.Changes{Delete: []*endpoint.Endpoint{legacyA}},
			want:    []string{"*-A legacy.example.com"},
		},
		{
			name: "delete of an ALIAS owned by the cname- TXT",
			current: []*endpoint.Endpoint{withProperty(record("alias.example.com", "A", "lb.elb.amazonaws.com"), "alias", "true"),
				ownership("cname-alias.example.com", "default", "alias")},
			changes: plan.Changes{Delete: []*endpoint.Endpoint{withProperty(record("alias.example.com", "A", "lb.elb.amazonaws.com"), "alias", "true")}},
			want:    []string{"*-A alias.example.com, -TXT cname-alias.example.com"},
		},
		{
			name:    "a missing TXT is written for owned managed records only",
			current: []*endpoint.Endpoint{legacyA, legacyMX, legacyTXT, record("other.example.com", "A", "192.0.2.3"), ownership("other.example.com", "other", "x")},
			want:    []string{"*+TXT a-legacy.example.com"},
		},
		{
			name:    "missing TXT respects the managed types",
			cfg:     TXTConfig{ManagedTypes: []string{"mx"}},
			current: []*endpoint.Endpoint{legacyA, legacyMX, legacyTXT},
			want:    []string{"*+TXT mx-legacy.example.com"},
		},
		{
			name:    "missing TXT respects the domain filter",
			cfg:     TXTConfig{DomainFilter: mustDomainFilter(t, "other.example.com")},
			current: []*endpoint.Endpoint{legacyA, legacyTXT},
		},
		{
			name:    "missing TXT is not written outside the zone",
			current: []*endpoint.Endpoint{record("example.com", "A", "192.0.2.1"), ownership("example.com", "default", "apex")},
		},
		{
			name:    "order: deletes, updates, creates, missing",
			current: []*endpoint.Endpoint{app, ownership("a-app.example.com", "default", "app"), legacyA, legacyTXT, record("gone.example.com", "CNAME", "x.example.net"), ownership("cname-gone.example.com", "default", "gone")},
			changes: plan.Changes{
				Create: []*endpoint.Endpoint{wanted("new.example.com", "AAAA", "new", "2001:db8::1")},
				Update: []plan.Update{{Old: appOwned(), New: wanted("app.example.com", "A", "app", "192.0.2.9")}},
				Delete: []*endpoint.Endpoint{record("gone.example.com", "CNAME", "x.example.net")},
			},
			want: []string{
				"*-CNAME gone.example.com, -TXT cname-gone.example.com",
				"*~A app.example.com",
				"+TXT aaaa-new.example.com, *+AAAA new.example.com",
				"*+TXT a-legacy.example.com",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestTXT(t, tt.cfg)
			z := reg.Load(testZone, tt.current)
			changes, problems := z.Changes(tt.changes)
			checkChangesAt(t, z, tt.changes, tt.current)
			checkRelatedNames(t, reg, func(records []*endpoint.Endpoint) Zone { return reg.Load(testZone, records) }, tt.changes, tt.current)
			if got := summaries(changes); !slices.Equal(got, tt.want) {
				t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var gotProblems []string
			for _, p := range problems {
				gotProblems = append(gotProblems, p.Error())
			}
			if !slices.Equal(gotProblems, tt.wantProblems) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(gotProblems, "\n"), strings.Join(tt.wantProblems, "\n"))
			}
		})
	}
}

// checkChangesAt checks that z.ChangesAt makes Changes's changes and problems when
// given every name of the zone, and, given only the names pc plans at, the same but for
// the missing ownership records of records at other names.
func checkChangesAt(t *testing.T, z Zone, pc plan.Changes, current []*endpoint.Endpoint) {
	t.Helper()
	changes, problems := z.Changes(pc)
	planned := plannedNames(pc)
	var all []string
	for _, e := range current {
		all = append(all, e.DNSName)
	}
	all = append(all, planned...)
	gotChanges, gotProblems := z.ChangesAt(pc, all)
	if got, want := summaries(gotChanges), summaries(changes); !slices.Equal(got, want) || fmt.Sprint(gotProblems) != fmt.Sprint(problems) {
		t.Errorf("ChangesAt(every name):\n%s\n%v\nChanges:\n%s\n%v", strings.Join(got, "\n"), gotProblems, strings.Join(want, "\n"), problems)
	}
	var wantAt []provider.Change
	for _, c := range changes {
		if c.Owned != nil && len(c.Records) == 1 && c.Records[0].New != nil && c.Records[0].New.RecordType == endpoint.RecordTypeTXT &&
			!slices.Contains(planned, c.Owned.DNSName) {
			continue // a missing ownership record at a name not planned
		}
		wantAt = append(wantAt, c)
	}
	gotChanges, _ = z.ChangesAt(pc, planned)
	if got, want := summaries(gotChanges), summaries(wantAt); !slices.Equal(got, want) {
		t.Errorf("ChangesAt(planned names):\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// plannedNames are the names pc plans at, sorted.
func plannedNames(pc plan.Changes) []string {
	var out []string
	for _, rc := range plannedChanges(pc) {
		out = append(out, rc.Endpoint().DNSName)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkRelatedNames checks that load over the records at the RelatedNames of some names
// reads the records at those names as load over every record does, and makes the same
// ChangesAt of pc there: for each name of the zone alone, and for the names pc plans at.
func checkRelatedNames(t *testing.T, reg Registry, load func([]*endpoint.Endpoint) Zone, pc plan.Changes, current []*endpoint.Endpoint) {
	t.Helper()
	whole := load(current)
	typesAt := map[string][]string{}
	for _, e := range current {
		typesAt[e.DNSName] = append(typesAt[e.DNSName], e.RecordType)
	}
	for _, rc := range plannedChanges(pc) {
		e := rc.Endpoint()
		typesAt[e.DNSName] = append(typesAt[e.DNSName], e.RecordType)
	}
	planned := plannedNames(pc)
	subset := func(names []string) Zone {
		related := map[string]bool{}
		for _, n := range names {
			for _, r := range reg.RelatedNames(n, typesAt[n]) {
				related[r] = true
			}
		}
		var records []*endpoint.Endpoint
		for _, e := range current {
			if related[e.DNSName] {
				records = append(records, e)
			}
		}
		return load(records)
	}
	at := func(z Zone, names []string) []string {
		var out []string
		for _, e := range z.Records() {
			if slices.Contains(names, e.DNSName) {
				out = append(out, fmt.Sprint(e, " ", e.Labels))
			}
		}
		slices.Sort(out)
		return out
	}
	for name := range typesAt {
		if got, want := at(subset([]string{name}), []string{name}), at(whole, []string{name}); !slices.Equal(got, want) {
			t.Errorf("the records at %s loaded with its related names:\n%s\nwith the whole zone:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	gotChanges, gotProblems := subset(planned).ChangesAt(pc, planned)
	wantChanges, wantProblems := whole.ChangesAt(pc, planned)
	if got, want := summaries(gotChanges), summaries(wantChanges); !slices.Equal(got, want) || fmt.Sprint(gotProblems) != fmt.Sprint(wantProblems) {
		t.Errorf("ChangesAt over the related names:\n%s\n%v\nover the whole zone:\n%s\n%v", strings.Join(got, "\n"), gotProblems, strings.Join(want, "\n"), wantProblems)
	}
}

func mustDomainFilter(t *testing.T, include ...string) endpoint.DomainFilter {
	t.Helper()
	f, err := endpoint.NewDomainFilter(include, nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The ownership record written with a record: upstream's value byte for byte, TTL unset,
// the record's set identifier, none of its provider settings (provider.Change), no labels;
// the Change names the owned record, and passes provider.CheckChange.
func TestCreatedOwnershipRecord(t *testing.T) {
	ep := withSetID(wanted("app.example.com", "A", "web", "192.0.2.1"), "eu")
	ep.RecordTTL = 60
	ep.SetProperty("aws/weight", "10")
	ep.Labels["custom"] = "kept"
	changes, problems := newTestTXT(t, TXTConfig{}).Load(testZone, nil).Changes(plan.Changes{Create: []*endpoint.Endpoint{ep}})
	if len(problems) != 0 || len(changes) != 1 || len(changes[0].Records) != 2 {
		t.Fatalf("changes %v, problems %v", summaries(changes), problems)
	}
	if changes[0].Main().New != ep {
		t.Error("the planned record is not the primary change")
	}
	txt := changes[0].Records[0].New
	want := &endpoint.Endpoint{
		DNSName:       "a-app.example.com",
		RecordType:    "TXT",
		Targets:       endpoint.Targets{`"heritage=external-dns,external-dns/custom=kept,external-dns/owner=default,external-dns/resource=service/default/web"`},
		SetIdentifier: "eu",
		Labels:        endpoint.Labels{},
	}
	if fmt.Sprintf("%#v", *txt) != fmt.Sprintf("%#v", *want) {
		t.Errorf("ownership record\n%#v\nwant\n%#v", *txt, *want)
	}
	if changes[0].Owned != ep {
		t.Errorf("Owned is %v, want the planned record", changes[0].Owned)
	}
	if err := provider.CheckChange(changes[0]); err != nil {
		t.Errorf("CheckChange: %v", err)
	}
}

// Cloudflare refuses a proxied TXT record, and Route53 an ALIAS TXT: no setting of an
// owned record may reach its ownership record, whichever way the Change comes about.
func TestOwnershipRecordsCarryNoSettings(t *testing.T) {
	proxied := func(ep *endpoint.Endpoint) *endpoint.Endpoint {
		ep.SetProperty("cloudflare-proxied", "true")
		ep.SetProperty("cloudflare-record-comment", "managed")
		ep.RecordTTL = 1
		return ep
	}
	reg := newTestTXT(t, TXTConfig{})
	zone := reg.Load(testZone, []*endpoint.Endpoint{
		// Owned through a legacy same-name record, so a new-format one is missing.
		proxied(record("old.example.com", "A", "192.0.2.1")),
		ownership("old.example.com", "default", "old"),
		proxied(record("upd.example.com", "A", "192.0.2.2")),
		ownership("a-upd.example.com", "default", "upd"),
	})
	var before *endpoint.Endpoint
	for _, r := range zone.Records() {
		if r.DNSName == "upd.example.com" {
			before = r
		}
	}
	upd := proxied(wanted("upd.example.com", "A", "upd", "192.0.2.3"))
	upd.SetProperty("cloudflare-record-comment", "changed")
	changes, problems := zone.Changes(plan.Changes{
		Create: []*endpoint.Endpoint{proxied(wanted("new.example.com", "A", "new", "192.0.2.9"))},
		Update: []plan.Update{{Old: before, New: upd}},
	})
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(changes) < 3 {
		t.Fatalf("changes %v: want a create, an update and the missing ownership record of old.example.com", summaries(changes))
	}
	for _, c := range changes {
		if err := provider.CheckChange(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
		if c.Owned == nil {
			t.Errorf("%s: Owned is nil", c)
		}
	}
}

// The planner names the object that keeps a contested record in its resource label; the
// ownership record must carry that choice, or the next run would pick another winner.
func TestResourceLabelFromPlannerWins(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		want     string
	}{
		{name: "planner's choice", resource: "service/default/z", want: "service/default/z"},
		{name: "first ref when the planner chose none", resource: "", want: "service/default/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := wanted("app.example.com", "A", "a", "192.0.2.1")
			ep.Refs = append(ep.Refs, endpoint.ObjectRef{Kind: "service", Namespace: "default", Name: "z"})
			if tt.resource != "" {
				ep.Labels[endpoint.ResourceLabelKey] = tt.resource
			}
			changes, _ := newTestTXT(t, TXTConfig{}).Load(testZone, nil).Changes(plan.Changes{Create: []*endpoint.Endpoint{ep}})
			if len(changes) != 1 || len(changes[0].Records) != 2 {
				t.Fatalf("changes %v", summaries(changes))
			}
			labels, ok := ParseOwnership(changes[0].Records[0].New.Targets[0])
			if !ok || labels[endpoint.ResourceLabelKey] != tt.want {
				t.Errorf("ownership labels %v, want resource %s", labels, tt.want)
			}
		})
	}
}

func TestForeignOwnerProblemPerRef(t *testing.T) {
	ep := wanted("app.example.com", "A", "a", "192.0.2.1")
	ep.Refs = append(ep.Refs, endpoint.ObjectRef{Kind: "ingress", Namespace: "web", Name: "b"})
	_, problems := newTestTXT(t, TXTConfig{}).
		Load(testZone, []*endpoint.Endpoint{ownership("a-app.example.com", "other", "x")}).
		Changes(plan.Changes{Create: []*endpoint.Endpoint{ep}})
	if len(problems) != 2 || problems[0].Ref != ep.Refs[0] || problems[1].Ref != ep.Refs[1] {
		t.Fatalf("problems = %v, want one per ref", problems)
	}
	var foreign *ForeignOwnerError
	if !errors.As(problems[0].Err, &foreign) || foreign.Owner != "other" {
		t.Errorf("problem error = %v, want a ForeignOwnerError naming owner other", problems[0].Err)
	}
}

func TestEncryptedOwnership(t *testing.T) {
	reg := newTestTXT(t, TXTConfig{EncryptionKey: testKey})
	plainTXT := ownership("a-plain.example.com", "default", "plain")
	got := loadRecords(t, reg,
		record("web.example.com", "A", "192.0.2.1"),
		record("a-web.example.com", "TXT", `"`+fixtureSealed+`"`),
		record("plain.example.com", "A", "192.0.2.2"),
		plainTXT,
	)
	want := []string{"web.example.com A  default service/default/web", "plain.example.com A  default service/default/plain"}
	if !slices.Equal(got, want) {
		t.Errorf("Records = %q, want %q", got, want)
	}

	changes, _ := reg.Load(testZone, nil).Changes(plan.Changes{Create: []*endpoint.Endpoint{wanted("new.example.com", "A", "new", "192.0.2.3")}})
	if len(changes) != 1 {
		t.Fatalf("changes = %v", summaries(changes))
	}
	target := changes[0].Records[0].New.Targets[0]
	if strings.Contains(target, "heritage") {
		t.Fatalf("value written in plain text: %s", target)
	}
	plain, _, err := Decrypt(testKey, endpoint.Unquote(target))
	if err != nil || plain != "heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/new" {
		t.Errorf("written value decrypts to %q, %v", plain, err)
	}
}

func TestEncryptedRewriteReusesNonce(t *testing.T) {
	sealed, err := Encrypt(testKey, testNonce, fixturePlain)
	if err != nil {
		t.Fatal(err)
	}
	reg := newTestTXT(t, TXTConfig{EncryptionKey: testKey})
	web := record("web.example.com", "A", "192.0.2.1")
	for _, existing := range []string{sealed, fixtureSealed} {
		current := []*endpoint.Endpoint{web, record("a-web.example.com", "TXT", `"`+existing+`"`)}
		old := reg.Load(testZone, current).Records()[0]

		// Same labels, new properties: the TXT is rewritten with the nonce read back.
		changes, _ := reg.Load(testZone, current).Changes(plan.Changes{Update: []plan.Update{{Old: old,
			New: withProperty(wanted("web.example.com", "A", "web", "192.0.2.1"), "aws/weight", "5")}}})
		if got := summaries(changes); !slices.Equal(got, []string{"~TXT a-web.example.com, *~A web.example.com"}) {
			t.Fatalf("changes = %v", got)
		}
		rewritten := endpoint.Unquote(changes[0].Records[0].New.Targets[0])
		if existing == sealed && rewritten != sealed {
			t.Errorf("rewrite changed the value:\n%s\n%s", rewritten, sealed)
		}
		if _, nonce, err := Decrypt(testKey, rewritten); err != nil || !slices.Equal(nonce, testNonce) {
			t.Errorf("rewrite sealed with nonce %x (%v), want %x", nonce, err, testNonce)
		}

		// Other labels: a fresh nonce, never the old one with a new plaintext.
		changes, _ = reg.Load(testZone, current).Changes(plan.Changes{Update: []plan.Update{{Old: old,
			New: wanted("web.example.com", "A", "other", "192.0.2.1")}}})
		if len(changes) != 1 || len(changes[0].Records) != 2 {
			t.Fatalf("changes = %v", summaries(changes))
		}
		plain, nonce, err := Decrypt(testKey, endpoint.Unquote(changes[0].Records[0].New.Targets[0]))
		if err != nil || !strings.HasSuffix(plain, "resource=service/default/other") || slices.Equal(nonce, testNonce) {
			t.Errorf("relabelled value %q, nonce %x, %v", plain, nonce, err)
		}
	}
}

// Long resource names and encrypted values exceed one 255-byte character-string; what
// is written must be read back after a provider splits and joins the strings.
func TestLongOwnershipValueRoundTrip(t *testing.T) {
	for _, key := range [][]byte{nil, testKey} {
		reg := newTestTXT(t, TXTConfig{EncryptionKey: key})
		ep := wanted("app.example.com", "A", incompressibleName(), "192.0.2.1")
		changes, problems := reg.Load(testZone, nil).Changes(plan.Changes{Create: []*endpoint.Endpoint{ep}})
		if len(problems) != 0 || len(changes) != 1 {
			t.Fatalf("changes %v, problems %v", summaries(changes), problems)
		}
		txt := changes[0].Records[0].New.Clone()
		if len(txt.Targets[0]) <= 255 {
			t.Fatalf("value of %d bytes does not exercise splitting", len(txt.Targets[0]))
		}
		txt.Targets[0] = endpoint.TXTTarget(endpoint.TXTStrings(txt.Targets[0]))
		got := reg.Load(testZone, []*endpoint.Endpoint{record("app.example.com", "A", "192.0.2.1"), txt}).Records()
		want := endpoint.Labels{"owner": "default", "resource": ep.Refs[0].String()}
		if len(got) != 1 || !maps.Equal(got[0].Labels, want) {
			t.Errorf("encrypted=%v: read back %v, want labels %v", key != nil, got, want)
		}
	}
}

// incompressibleName is a 253-byte name that gzip cannot shrink much, so that its
// encrypted ownership value stays long.
func incompressibleName() string {
	var b strings.Builder
	for i := 0; b.Len() < 253; i++ {
		fmt.Fprintf(&b, "%x", sha256.Sum256([]byte{byte(i)}))
	}
	return b.String()[:253]
}

// Values that are not ours in an RRset holding a legacy ownership value survive the
// removal of that value, and no ownership record is written over a TXT record someone
// else put at its name.
func TestOthersTXTValuesAreKept(t *testing.T) {
	ownValue := FormatOwnership(endpoint.Labels{"owner": "default", "resource": "service/default/web"})
	shared := record("web.example.com", "TXT", ownValue, `"v=spf1 -all"`)
	t.Run("legacy value removed, SPF kept", func(t *testing.T) {
		web := record("web.example.com", "A", "192.0.2.1")
		z := newTestTXT(t, TXTConfig{}).Load(testZone, []*endpoint.Endpoint{web, shared})
		current := z.Records()
		if len(current) != 1 || current[0].Labels[endpoint.OwnerLabelKey] != "default" {
			t.Fatalf("records %v: want web owned through the legacy value", current)
		}
		changes, problems := z.Changes(plan.Changes{Delete: current})
		if len(problems) != 0 || len(changes) != 1 || len(changes[0].Records) != 2 {
			t.Fatalf("changes %v, problems %v", summaries(changes), problems)
		}
		txt := changes[0].Records[1]
		if txt.Op != provider.OpUpdate || !slices.Equal(txt.New.Targets, endpoint.Targets{`"v=spf1 -all"`}) {
			t.Errorf("ownership change %v, want an update keeping only the SPF value", txt)
		}
	})
	t.Run("no ownership record over another TXT", func(t *testing.T) {
		verification := record("a-app.example.com", "TXT", `"site-verification=1"`)
		changes, problems := newTestTXT(t, TXTConfig{}).Load(testZone, []*endpoint.Endpoint{verification}).
			Changes(plan.Changes{Create: []*endpoint.Endpoint{wanted("app.example.com", "A", "app", "192.0.2.1")}})
		var occupied *OccupiedError
		if len(changes) != 0 || len(problems) != 1 || !errors.As(problems[0].Err, &occupied) {
			t.Errorf("changes %v, problems %v: want the create refused with an OccupiedError", summaries(changes), problems)
		}
	})
}

// A provider handing back zonekeeper's labels on a record (as a careless store might)
// does not make the record owned: only an ownership record does.
func TestLabelsFromProviderDoNotOwn(t *testing.T) {
	web := record("web.example.com", "A", "192.0.2.1")
	web.Labels[endpoint.OwnerLabelKey] = "default"
	got := loadRecords(t, newTestTXT(t, TXTConfig{}), web)
	if !slices.Equal(got, []string{"web.example.com A"}) {
		t.Errorf("records %q: want web unowned", got)
	}
}

// D1: a TXT record whose name carries a type label owns the record it names and nothing
// at its own name. Our ownership record of team.example.com is a-team.example.com; a
// hand-written A record at a-team.example.com stays unowned, as upstream reads it.
func TestTypedOwnershipNameOwnsNothingAtItsOwnName(t *testing.T) {
	tests := []struct {
		name string
		cfg  TXTConfig
		txt  string // our ownership record of team.example.com's A record
	}{
		{"default", TXTConfig{}, "a-team.example.com"},
		{"cname", TXTConfig{}, "cname-team.example.com"},
		{"prefix", TXTConfig{Prefix: "zk-"}, "zk-a-team.example.com"},
		{"type in prefix", TXTConfig{Prefix: "_%{record_type}."}, "_a.team.example.com"},
		{"suffix", TXTConfig{Suffix: "-%{record_type}"}, "team-a.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := newTestTXT(t, tt.cfg)
			recordType := "A"
			if tt.name == "cname" {
				recordType = "CNAME"
			}
			got := loadRecords(t, reg,
				record(tt.txt, "A", "10.0.0.1"), // hand-written, unowned
				ownership(tt.txt, "default", "team"),
				record("team.example.com", recordType, "192.0.2.66"),
			)
			want := []string{tt.txt + " A", "team.example.com " + recordType + "  default service/default/team"}
			if !slices.Equal(got, want) {
				t.Errorf("records %q, want %q", got, want)
			}
		})
	}
	// A legacy (untyped) ownership record still owns the record at its own name.
	got := loadRecords(t, newTestTXT(t, TXTConfig{}), record("legacy.example.com", "A", "192.0.2.2"), ownership("legacy.example.com", "default", "legacy"))
	if want := []string{"legacy.example.com A  default service/default/legacy"}; !slices.Equal(got, want) {
		t.Errorf("legacy: records %q, want %q", got, want)
	}
}

// D7: one ownership RRset holding values of two owners is contested, whatever the order
// of its values: the record is nobody's to change.
func TestContestedOwnershipIsNotOurs(t *testing.T) {
	ours := FormatOwnership(endpoint.Labels{"owner": "default", "resource": "service/default/a"})
	theirs := FormatOwnership(endpoint.Labels{"owner": "other", "resource": "service/default/b"})
	for _, order := range [][]string{{ours, theirs}, {theirs, ours}} {
		got := loadRecords(t, newTestTXT(t, TXTConfig{}),
			record("app.example.com", "A", "192.0.2.1"),
			record("a-app.example.com", "TXT", order...),
		)
		if want := []string{"app.example.com A  several owners (default, other)"}; !slices.Equal(got, want) {
			t.Errorf("values %q: records %q, want %q", order, got, want)
		}
	}
}

// D9: ownership names that would be invalid are refused by the registry, so plan says
// so before run tries; affixes that cannot make a DNS name are refused at start.
func TestOwnershipNamesAreValidated(t *testing.T) {
	label := strings.Repeat("x", 62)
	ep := wanted(label+".example.com", "CNAME", "web", "lb.example.net")
	changes, problems := newTestTXT(t, TXTConfig{}).Load(testZone, nil).Changes(plan.Changes{Create: []*endpoint.Endpoint{ep}})
	if len(changes) != 0 || len(problems) != 1 || !strings.Contains(problems[0].Error(), "cannot be named") {
		t.Errorf("changes %v, problems %v: want the create refused, naming the ownership record", summaries(changes), problems)
	}
	for _, cfg := range []TXTConfig{{Prefix: "x y"}, {Prefix: `"`}, {Prefix: "."}, {Prefix: "a.."}, {Suffix: ";"}, {WildcardReplacement: "a b"}} {
		cfg.OwnerID = "default"
		if _, err := NewTXT(cfg); err == nil || !strings.Contains(err.Error(), "not a valid DNS name") {
			t.Errorf("NewTXT(%+v) = %v, want it refused", cfg, err)
		}
	}
	for _, cfg := range []TXTConfig{{Prefix: "_zk-%{record_type}."}, {Prefix: "zk-"}, {Suffix: "-%{record_type}"}, {WildcardReplacement: "wildcard"}} {
		cfg.OwnerID = "default"
		if _, err := NewTXT(cfg); err != nil {
			t.Errorf("NewTXT(%+v): %v", cfg, err)
		}
	}
}
