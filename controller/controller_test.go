package controller

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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

// ourOwner is the owner id the controllers under test write.
const ourOwner = "zk"

// fixedSource is a source that always answers the same: a desired state or an error.
type fixedSource struct {
	result source.Result
	err    error
}

func (s fixedSource) Endpoints(context.Context) (source.Result, error) { return s.result, s.err }

// faultyProvider is the strict in-memory provider with two faults it can be told to
// have: Records leaves out the record hidden, so that the planner plans a create the
// provider must refuse, and Records of the zone unreadable fails.
type faultyProvider struct {
	*inmemory.Provider
	hidden     endpoint.RecordKey
	unreadable string
}

func (p *faultyProvider) Records(ctx context.Context, zone provider.Zone) ([]*endpoint.Endpoint, error) {
	if zone.Name == p.unreadable {
		return nil, errors.New("zone listing timed out")
	}
	records, err := p.Provider.Records(ctx, zone)
	return slices.DeleteFunc(records, func(e *endpoint.Endpoint) bool { return e.RecordKey() == p.hidden }), err
}

// unlistableProvider cannot even list its zones.
type unlistableProvider struct{ *inmemory.Provider }

func (unlistableProvider) Zones(context.Context) ([]provider.Zone, error) {
	return nil, errors.New("credentials expired")
}

func svc(name string) endpoint.ObjectRef {
	return endpoint.ObjectRef{Kind: "service", Namespace: "ns", Name: name}
}

func rec(name, recordType string, ttl endpoint.TTL, targets ...string) *endpoint.Endpoint {
	return endpoint.New(name, recordType, ttl, targets...)
}

// wanted is what a source returns for one object's record.
func wanted(ref endpoint.ObjectRef, name, recordType string, ttl endpoint.TTL, targets ...string) *endpoint.Endpoint {
	e := rec(name, recordType, ttl, targets...)
	e.Refs = []endpoint.ObjectRef{ref}
	return e
}

func newTXT(tb testing.TB, prefix string) *registry.TXT {
	tb.Helper()
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: ourOwner, Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	return reg
}

// ownershipOf returns the new-format ownership record, without prefix, that gives r to
// owner on behalf of the object named resource.
func ownershipOf(tb testing.TB, r *endpoint.Endpoint, owner, resource string) *endpoint.Endpoint {
	tb.Helper()
	labels := endpoint.Labels{endpoint.OwnerLabelKey: owner}
	if resource != "" {
		labels[endpoint.ResourceLabelKey] = resource
	}
	txt := rec(newTXT(tb, "").OwnershipName(r.DNSName, r.RecordType), endpoint.RecordTypeTXT, 0, registry.FormatOwnership(labels))
	txt.SetIdentifier = r.SetIdentifier
	return txt
}

// ownedBy returns r together with its new-format ownership record.
func ownedBy(tb testing.TB, owner, resource string, r *endpoint.Endpoint) []*endpoint.Endpoint {
	tb.Helper()
	return []*endpoint.Endpoint{ownershipOf(tb, r, owner, resource), r}
}

func records(tb testing.TB, p provider.Provider, zone string) []*endpoint.Endpoint {
	tb.Helper()
	got, err := p.Records(context.Background(), provider.Zone{ID: zone, Name: zone})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func lines(eps []*endpoint.Endpoint) []string {
	out := make([]string, 0, len(eps))
	for _, e := range eps {
		out = append(out, e.String())
	}
	slices.Sort(out)
	return out
}

func seeded(tb testing.TB, zones []string, seed map[string][]*endpoint.Endpoint) *inmemory.Provider {
	tb.Helper()
	p := inmemory.New(zones...)
	for zone, recs := range seed {
		if err := p.Seed(zone, recs...); err != nil {
			tb.Fatal(err)
		}
	}
	return p
}

func newController(tb testing.TB, p provider.Provider, cfg Config, sources ...source.Source) *Controller {
	tb.Helper()
	return &Controller{
		Sources:  sources,
		Registry: newTXT(tb, ""),
		Provider: p,
		Config:   cfg,
		Logger:   slog.New(slog.DiscardHandler),
	}
}

func runOnce(tb testing.TB, c *Controller) *Report {
	tb.Helper()
	rep, err := c.RunOnce(context.Background())
	if err != nil {
		tb.Fatalf("RunOnce: %v", err)
	}
	return rep
}

// problemLines renders every problem of rep, the sources' and the zones', sorted.
func problemLines(rep *Report) []string {
	problems := slices.Clone(rep.Problems)
	for _, z := range rep.Zones {
		problems = append(problems, z.Problems...)
	}
	out := make([]string, 0, len(problems))
	for _, p := range problems {
		out = append(out, fmt.Sprintf("%s %s warning=%t: %v", p.Ref, p.DNSName, p.Warning, p.Err))
	}
	slices.Sort(out)
	return out
}

func withheldLines(rep *Report) []string {
	var out []string
	for _, z := range rep.Zones {
		for _, w := range z.Withheld {
			out = append(out, w.Record.String()+": "+w.Reason)
		}
	}
	slices.Sort(out)
	return out
}

func changeCount(rep *Report) int {
	n := 0
	for _, z := range rep.Zones {
		n += len(z.Changes)
	}
	return n
}

// matchEach reports whether got has exactly one line per want, each containing it.
func matchEach(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !strings.Contains(got[i], want[i]) {
			return false
		}
	}
	return true
}

func TestRunOnce(t *testing.T) {
	domainFilter := func(include ...string) endpoint.DomainFilter {
		f, err := endpoint.NewDomainFilter(include, nil, "", "")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	own := func(resource string, r *endpoint.Endpoint) []*endpoint.Endpoint {
		return ownedBy(t, ourOwner, resource, r)
	}
	tests := []struct {
		name    string
		zones   []string
		seed    map[string][]*endpoint.Endpoint
		sources []source.Source
		config  Config
		// want is every zone's content after the reconcile.
		want map[string][]*endpoint.Endpoint
		// wantZones are the zones reconciled; nil means all of zones.
		wantZones []string
		// wantWithheld and wantProblems hold one substring per withheld deletion and per
		// problem, in sorted order.
		wantWithheld []string
		wantProblems []string
		// wantErr is a substring of Report.Err(); empty means no error.
		wantErr string
	}{
		{
			name:  "creates records with their ownership",
			zones: []string{"example.com"},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1", "192.0.2.2"),
				wanted(svc("api"), "api.example.com", endpoint.RecordTypeCNAME, 60, "lb.example.net"),
			}}}},
			config: Config{Policy: plan.PolicySync},
			want: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/web", rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1", "192.0.2.2")),
				own("service/ns/api", rec("api.example.com", endpoint.RecordTypeCNAME, 60, "lb.example.net")),
			)},
		},
		{
			name:  "a source error withholds every deletion, not the other changes",
			zones: []string{"example.com"},
			seed: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/old", rec("old.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				own("service/ns/moved", rec("moved.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")),
			)},
			sources: []source.Source{
				fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
					wanted(svc("new"), "new.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"),
					wanted(svc("moved"), "moved.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
				}}},
				fixedSource{err: errors.New("ingress cache not synced")},
			},
			config: Config{Policy: plan.PolicySync},
			want: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/old", rec("old.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				own("service/ns/moved", rec("moved.example.com", endpoint.RecordTypeA, 0, "192.0.2.4")),
				own("service/ns/new", rec("new.example.com", endpoint.RecordTypeA, 0, "192.0.2.3")),
			)},
			wantWithheld: []string{"old.example.com A 192.0.2.1: a source could not be read"},
			wantErr:      "ingress cache not synced",
		},
		{
			name:  "a create that cannot live beside a withheld deletion waits for it",
			zones: []string{"example.com"},
			seed: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/web", rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				own("service/ns/api", rec("api.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net")),
			)},
			sources: []source.Source{
				fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
					wanted(svc("web"), "web.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net"),
					wanted(svc("api"), "api.example.com", endpoint.RecordTypeAAAA, 0, "2001:db8::1"),
				}}},
				fixedSource{err: errors.New("ingress cache not synced")},
			},
			config: Config{Policy: plan.PolicySync},
			want: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/web", rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				own("service/ns/api", rec("api.example.com", endpoint.RecordTypeCNAME, 0, "lb.example.net")),
			)},
			wantWithheld: []string{
				"api.example.com CNAME lb.example.net: a source could not be read",
				"web.example.com A 192.0.2.1: a source could not be read",
			},
			wantProblems: []string{
				"service/ns/api api.example.com warning=true: AAAA record not created yet: it cannot coexist with the CNAME record it replaces, whose deletion is withheld because a source could not be read",
				"service/ns/web web.example.com warning=true: CNAME record not created yet: it cannot coexist with the A record it replaces",
			},
			wantErr: "ingress cache not synced",
		},
		{
			name:  "an object with invalid input keeps its records, stale ones of others go",
			zones: []string{"example.com"},
			seed: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/typo", rec("typo.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				own("service/ns/gone", rec("gone.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")),
			)},
			sources: []source.Source{fixedSource{result: source.Result{
				Endpoints: []*endpoint.Endpoint{wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.3")},
				Problems:  []endpoint.Problem{{Ref: svc("typo"), Err: errors.New(`annotation ttl: "1x" is not a duration`)}},
			}}},
			config: Config{Policy: plan.PolicySync},
			want: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/typo", rec("typo.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				own("service/ns/web", rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.3")),
			)},
			wantWithheld: []string{"typo.example.com A 192.0.2.1: its object service/ns/typo has invalid input"},
			wantProblems: []string{`service/ns/typo  warning=false: annotation ttl: "1x" is not a duration`},
		},
		{
			name:  "MinTTL raises unset and lower TTLs",
			zones: []string{"example.com"},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("unset"), "unset.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
				wanted(svc("low"), "low.example.com", endpoint.RecordTypeA, 60, "192.0.2.2"),
				wanted(svc("high"), "high.example.com", endpoint.RecordTypeA, 3600, "192.0.2.3"),
			}}}},
			config: Config{Policy: plan.PolicySync, MinTTL: 300},
			want: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				own("service/ns/unset", rec("unset.example.com", endpoint.RecordTypeA, 300, "192.0.2.1")),
				own("service/ns/low", rec("low.example.com", endpoint.RecordTypeA, 300, "192.0.2.2")),
				own("service/ns/high", rec("high.example.com", endpoint.RecordTypeA, 3600, "192.0.2.3")),
			)},
		},
		{
			name:  "ZoneIDFilter: a name whose zone is filtered out is in no zone",
			zones: []string{"example.com", "example.org"},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("com"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
				wanted(svc("org"), "web.example.org", endpoint.RecordTypeA, 0, "192.0.2.2"),
				wanted(svc("nowhere"), "web.example.net", endpoint.RecordTypeA, 0, "192.0.2.3"),
			}}}},
			config: Config{Policy: plan.PolicySync, ZoneIDFilter: []string{"example.org"}},
			want: map[string][]*endpoint.Endpoint{
				"example.com": nil,
				"example.org": own("service/ns/org", rec("web.example.org", endpoint.RecordTypeA, 0, "192.0.2.2")),
			},
			wantZones: []string{"example.org"},
			wantProblems: []string{
				"service/ns/com web.example.com warning=true: no managed zone holds this name",
				"service/ns/nowhere web.example.net warning=true: no managed zone holds this name",
			},
		},
		{
			name:  "DomainFilter: zones and names outside it are left alone without a word",
			zones: []string{"example.com", "example.org"},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("in"), "web.app.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
				wanted(svc("sibling"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.2"),
				wanted(svc("org"), "web.example.org", endpoint.RecordTypeA, 0, "192.0.2.3"),
				wanted(svc("nowhere"), "web.example.net", endpoint.RecordTypeA, 0, "192.0.2.4"),
				wanted(svc("unzoned"), "x.app.example.com.invalid", endpoint.RecordTypeA, 0, "192.0.2.5"),
			}}}},
			config: Config{Policy: plan.PolicySync, DomainFilter: domainFilter("app.example.com")},
			want: map[string][]*endpoint.Endpoint{
				"example.com": own("service/ns/in", rec("web.app.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				"example.org": nil,
			},
			wantZones: []string{"example.com"},
		},
		{
			name:  "a name in the domain filter but in no zone is reported",
			zones: []string{"example.com"},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("lost"), "web.other.example", endpoint.RecordTypeA, 0, "192.0.2.1"),
			}}}},
			config:       Config{Policy: plan.PolicySync, DomainFilter: domainFilter("example.com", "other.example")},
			want:         map[string][]*endpoint.Endpoint{"example.com": nil},
			wantProblems: []string{"service/ns/lost web.other.example warning=true: no managed zone holds this name"},
		},
		{
			name:  "foreign-owned and unowned records are never touched",
			zones: []string{"example.com"},
			seed: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				ownedBy(t, "other", "service/ns/theirs", rec("theirs.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				ownedBy(t, "other", "service/ns/stale", rec("stale.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")),
				[]*endpoint.Endpoint{
					rec("manual.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"),
					rec("leftover.example.com", endpoint.RecordTypeCNAME, 0, "old.example.net"),
					// An ownership record of another owner where ours would go.
					ownershipOf(t, rec("claimed.example.com", endpoint.RecordTypeA, 0), "other", ""),
				},
			)},
			sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
				wanted(svc("a"), "theirs.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
				wanted(svc("b"), "manual.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
				wanted(svc("c"), "claimed.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
			}}}},
			config: Config{Policy: plan.PolicySync},
			want: map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
				ownedBy(t, "other", "service/ns/theirs", rec("theirs.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
				ownedBy(t, "other", "service/ns/stale", rec("stale.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")),
				[]*endpoint.Endpoint{
					rec("manual.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"),
					rec("leftover.example.com", endpoint.RecordTypeCNAME, 0, "old.example.net"),
					ownershipOf(t, rec("claimed.example.com", endpoint.RecordTypeA, 0), "other", ""),
				},
			)},
			wantProblems: []string{
				`service/ns/a theirs.example.com warning=true: A record exists and is owned by other`,
				`service/ns/b manual.example.com warning=true: A record exists and is not owned by zonekeeper`,
				`service/ns/c claimed.example.com warning=false: ownership record a-claimed.example.com belongs to owner "other"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := seeded(t, tt.zones, tt.seed)
			sourceLines := make([][]string, len(tt.sources))
			for i, s := range tt.sources {
				res, _ := s.Endpoints(context.Background())
				sourceLines[i] = lines(res.Endpoints)
			}
			c := newController(t, p, tt.config, tt.sources...)

			rep := runOnce(t, c)

			var zones []string
			for _, z := range rep.Zones {
				zones = append(zones, z.Zone.Name)
			}
			if wantZones := cmpOr(tt.wantZones, tt.zones); !slices.Equal(zones, wantZones) {
				t.Errorf("zones reconciled %q, want %q", zones, wantZones)
			}
			for zone, want := range tt.want {
				if got := lines(records(t, p, zone)); !slices.Equal(got, lines(want)) {
					t.Errorf("zone %s holds\n  %s\nwant\n  %s", zone, strings.Join(got, "\n  "), strings.Join(lines(want), "\n  "))
				}
			}
			if got := withheldLines(rep); !matchEach(got, tt.wantWithheld) {
				t.Errorf("withheld %q, want %q", got, tt.wantWithheld)
			}
			if got := problemLines(rep); !matchEach(got, tt.wantProblems) {
				t.Errorf("problems\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.wantProblems, "\n  "))
			}
			switch err := rep.Err(); {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Err() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Err() = %v, want one containing %q", err, tt.wantErr)
			}
			for i, s := range tt.sources {
				res, _ := s.Endpoints(context.Background())
				if got := lines(res.Endpoints); !slices.Equal(got, sourceLines[i]) {
					t.Errorf("RunOnce modified the endpoints of source %d: %q, were %q", i, got, sourceLines[i])
				}
			}

			again := runOnce(t, c)
			if n := changeCount(again); n != 0 {
				t.Errorf("second RunOnce planned %d changes: %v", n, again.Zones)
			}
		})
	}
}

// cmpOr returns a unless it is nil.
func cmpOr(a, b []string) []string {
	if a != nil {
		return a
	}
	return b
}

func TestRunOnceDryRun(t *testing.T) {
	zones := []string{"example.com", "example.org"}
	p := seeded(t, zones, map[string][]*endpoint.Endpoint{
		"example.com": slices.Concat(
			ownedBy(t, ourOwner, "service/ns/stale", rec("stale.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")),
			ownedBy(t, ourOwner, "service/ns/web", rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")),
			[]*endpoint.Endpoint{rec("legacy.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
				rec("legacy.example.com", endpoint.RecordTypeTXT, 0, registry.FormatOwnership(endpoint.Labels{endpoint.OwnerLabelKey: ourOwner}))},
		),
	})
	before := map[string][]*endpoint.Endpoint{}
	for _, z := range zones {
		before[z] = records(t, p, z)
	}
	src := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.3"),
		wanted(svc("new"), "new.example.com", endpoint.RecordTypeA, 0, "192.0.2.5"),
		wanted(svc("org"), "web.example.org", endpoint.RecordTypeA, 0, "192.0.2.6"),
		wanted(svc("legacy"), "legacy.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
	}}}
	c := newController(t, p, Config{Policy: plan.PolicySync, DryRun: true}, src)

	rep := runOnce(t, c)

	if !rep.DryRun {
		t.Error("Report.DryRun is false")
	}
	// Creates: new.example.com, web.example.org, and the new-format ownership record
	// the legacy-owned record lacks.
	create, update, del := rep.ChangeCount()
	if create != 3 || update != 1 || del != 1 {
		t.Errorf("ChangeCount = %d creates, %d updates, %d deletes; want 3, 1, 1", create, update, del)
	}
	if err := rep.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
	for _, z := range zones {
		if after := records(t, p, z); !reflect.DeepEqual(after, before[z]) {
			t.Errorf("dry run changed zone %s:\n got %q\nwas %q", z, lines(after), lines(before[z]))
		}
	}
}

func TestRunOnceRefusedChange(t *testing.T) {
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	p := &faultyProvider{
		Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": {hidden}}),
		hidden:   hidden.RecordKey(),
	}
	src := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.2"),
	}}}
	c := newController(t, p, Config{Policy: plan.PolicySync, Events: EventConfig{Emit: []string{ReasonRecordError}}}, src)
	events := &recorded{}
	c.Events = events

	rep := runOnce(t, c)

	if len(rep.Zones) != 1 || rep.Zones[0].Err != nil {
		t.Fatalf("zones %+v, want example.com without a zone error", rep.Zones)
	}
	if got := events.lines(); len(got) != 1 || !strings.HasPrefix(got[0], "Warning RecordError service/ns/hidden: create of A hidden.example.com → 192.0.2.9 refused by the provider: ") {
		t.Errorf("events %q, want one RecordError on service/ns/hidden naming the refused create", got)
	}
	var failed []string
	for _, f := range rep.Zones[0].Failed {
		failed = append(failed, f.Change.String())
	}
	if want := []string{"create hidden.example.com A 192.0.2.9"}; !slices.Equal(failed, want) {
		t.Errorf("failed changes %q, want %q", failed, want)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "hidden.example.com A") {
		t.Errorf("Err() = %v, want one naming hidden.example.com A", err)
	}
	want := slices.Concat([]*endpoint.Endpoint{hidden}, ownedBy(t, ourOwner, "service/ns/web", rec("web.example.com", endpoint.RecordTypeA, 0, "192.0.2.2")))
	if got := lines(records(t, p.Provider, "example.com")); !slices.Equal(got, lines(want)) {
		t.Errorf("zone holds %q, want %q: the refused change must be applied wholly or not at all, the rest applied", got, lines(want))
	}
}

func TestRunOnceFailingZone(t *testing.T) {
	p := &faultyProvider{Provider: inmemory.New("example.com", "example.org"), unreadable: "example.com"}
	src := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("com"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
		wanted(svc("org"), "web.example.org", endpoint.RecordTypeA, 0, "192.0.2.2"),
	}}}
	c := newController(t, p, Config{Policy: plan.PolicySync}, src)

	rep := runOnce(t, c)

	if len(rep.Zones) != 2 || rep.Zones[0].Zone.Name != "example.com" || rep.Zones[0].Err == nil {
		t.Fatalf("zones %+v, want example.com first, with an error", rep.Zones)
	}
	if org := rep.Zones[1]; org.Err != nil || len(org.Failed) != 0 || len(org.Changes) != 1 {
		t.Errorf("example.org: %+v, want one change applied", org)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "zone example.com: reading records: zone listing timed out") {
		t.Errorf("Err() = %v, want one naming example.com and its error", err)
	}
	if got := records(t, p.Provider, "example.com"); len(got) != 0 {
		t.Errorf("example.com was written: %q", lines(got))
	}
	want := ownedBy(t, ourOwner, "service/ns/org", rec("web.example.org", endpoint.RecordTypeA, 0, "192.0.2.2"))
	if got := lines(records(t, p.Provider, "example.org")); !slices.Equal(got, lines(want)) {
		t.Errorf("example.org holds %q, want %q", got, lines(want))
	}
}

func TestRunOnceUnlistableZones(t *testing.T) {
	c := newController(t, unlistableProvider{inmemory.New("example.com")}, Config{Policy: plan.PolicySync},
		fixedSource{err: errors.New("manifest unreadable")})
	rep, err := c.RunOnce(context.Background())
	if err == nil || !strings.Contains(err.Error(), "credentials expired") {
		t.Errorf("RunOnce error %v, want one naming the provider's error", err)
	}
	if rep == nil || len(rep.SourceErrors) != 1 {
		t.Errorf("report %+v, want the source error in it", rep)
	}
}

// A record whose ownership record was removed out of band is no longer ours (safety
// invariant 1), however the provider stores it.
func TestRunOnceRecordWhoseOwnershipWasRemoved(t *testing.T) {
	ctx := context.Background()
	p := inmemory.New("example.com")
	zone := provider.Zone{ID: "example.com", Name: "example.com"}
	web := fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
	}}}
	runOnce(t, newController(t, p, Config{Policy: plan.PolicySync}, web))
	txt := ownershipOf(t, rec("web.example.com", endpoint.RecordTypeA, 0), ourOwner, "service/ns/web")
	if err := p.Apply(ctx, zone, []provider.Change{{Records: []provider.RecordChange{{Op: provider.OpDelete, Old: txt}}}}); err != nil {
		t.Fatalf("removing the ownership record: %v", err)
	}

	rep := runOnce(t, newController(t, p, Config{Policy: plan.PolicySync}, fixedSource{}))

	want := []string{"web.example.com A 192.0.2.1"}
	if got := lines(records(t, p, "example.com")); !slices.Equal(got, want) {
		t.Errorf("zone holds %q, want %q: without its ownership record the record is not ours; changes %v", got, want, rep.Zones[0].Changes)
	}
}

// One log line per change names the record and the objects that asked for it; refused
// changes are warnings with the reason; neither the encryption key nor ownership values
// ever reach the log.
func TestRunOnceLogsEachChange(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: ourOwner, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	hidden := rec("hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	p := &faultyProvider{hidden: hidden.RecordKey(), Provider: seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": {hidden}})}
	var out strings.Builder
	c := &Controller{
		Sources: []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
			wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
			wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.2", "192.0.2.3"),
		}}}},
		Registry: reg,
		Provider: p,
		Config:   Config{Policy: plan.PolicySync},
		Logger:   slog.New(slog.NewJSONHandler(&out, nil)),
	}
	runOnce(t, c)
	// The stale record goes; its deletion names the object from its ownership record.
	c.Sources = []source.Source{fixedSource{result: source.Result{Endpoints: []*endpoint.Endpoint{
		wanted(svc("hidden"), "hidden.example.com", endpoint.RecordTypeA, 0, "192.0.2.9"),
	}}}}
	runOnce(t, c)

	var got []string
	for line := range strings.Lines(out.String()) {
		var entry struct {
			Level, Msg, Zone, Op, Err string
			Record                    struct {
				Name, Type       string
				Targets, Objects []string
			}
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if entry.Record.Name == "" {
			continue
		}
		got = append(got, fmt.Sprintf("%s %s zone=%s op=%s %s %s %q %q err=%q", entry.Level, entry.Msg, entry.Zone, entry.Op,
			entry.Record.Name, entry.Record.Type, entry.Record.Targets, entry.Record.Objects, entry.Err))
	}
	want := []string{
		`WARN change refused zone=example.com op=create hidden.example.com A ["192.0.2.9"] ["service/ns/hidden"] err="create hidden.example.com A: RRset already exists (refusal 1 in a row; set aside until `,
		`INFO change applied zone=example.com op=create web.example.com A ["192.0.2.2" "192.0.2.3"] ["service/ns/web"] err=""`,
		`WARN change refused zone=example.com op=create hidden.example.com A ["192.0.2.9"] ["service/ns/hidden"] err="set aside: refused 1 time(s) in a row, last at `,
		`INFO change applied zone=example.com op=delete web.example.com A ["192.0.2.2" "192.0.2.3"] ["service/ns/web"] err=""`,
	}
	if !matchEach(got, want) {
		t.Errorf("log lines about records\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, secret := range []string{string(key), base64.StdEncoding.EncodeToString(key), "heritage="} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, out.String())
		}
	}
}
