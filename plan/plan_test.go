package plan

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

const ourOwner = "zk"

func rec(name, recordType string, targets ...string) *endpoint.Endpoint {
	return endpoint.New(name, recordType, 0, targets...)
}

func objectRef(name string) endpoint.ObjectRef {
	return endpoint.ObjectRef{Kind: "service", Namespace: "ns", Name: name}
}

// by marks e as wanted by the Services ns/<name> of names.
func by(e *endpoint.Endpoint, names ...string) *endpoint.Endpoint {
	for _, n := range names {
		e.Refs = append(e.Refs, objectRef(n))
	}
	return e
}

// ownedBy labels a current record; owner "" leaves it unowned (no owner label).
func ownedBy(e *endpoint.Endpoint, owner, resource string) *endpoint.Endpoint {
	if owner != "" {
		e.Labels[endpoint.OwnerLabelKey] = owner
	}
	if resource != "" {
		e.Labels[endpoint.ResourceLabelKey] = resource
	}
	return e
}

func ours(e *endpoint.Endpoint, resource string) *endpoint.Endpoint {
	return ownedBy(e, ourOwner, resource)
}

func withTTL(e *endpoint.Endpoint, ttl endpoint.TTL) *endpoint.Endpoint {
	e.RecordTTL = ttl
	return e
}

func withProp(e *endpoint.Endpoint, name, value string) *endpoint.Endpoint {
	e.ProviderSpecific = append(e.ProviderSpecific, endpoint.Property{Name: name, Value: value})
	return e
}

func inSet(e *endpoint.Endpoint, id string) *endpoint.Endpoint {
	e.SetIdentifier = id
	return e
}

// show renders an endpoint with everything the planner may set.
func show(e *endpoint.Endpoint) string {
	var b strings.Builder
	b.WriteString(e.String())
	if owner, ok := e.Labels[endpoint.OwnerLabelKey]; ok {
		b.WriteString(" owner=" + owner)
	}
	if res, ok := e.Labels[endpoint.ResourceLabelKey]; ok {
		b.WriteString(" resource=" + res)
	}
	for _, p := range e.ProviderSpecific {
		b.WriteString(" " + p.Name + "=" + p.Value)
	}
	for i, r := range e.Refs {
		if i == 0 {
			b.WriteString(" refs=")
		} else {
			b.WriteString(",")
		}
		b.WriteString(r.String())
	}
	return b.String()
}

func render(c Changes) []string {
	var out []string
	for _, e := range c.Create {
		out = append(out, "create "+show(e))
	}
	for _, u := range c.Update {
		out = append(out, "update "+show(u.Old)+" -> "+show(u.New))
	}
	for _, e := range c.Delete {
		out = append(out, "delete "+show(e))
	}
	return out
}

func renderProblems(problems []endpoint.Problem) []string {
	var out []string
	for _, p := range problems {
		if !p.Warning {
			out = append(out, "NOT A WARNING: "+p.Error())
			continue
		}
		out = append(out, p.Error())
	}
	return out
}

type planCase struct {
	name     string
	in       Input
	changes  []string
	problems []string // each must be contained in the problem at the same index
	// emptyOwnerID runs with OwnerID "" (the noop registry) instead of ourOwner.
	emptyOwnerID bool
}

func checkPlan(t *testing.T, tc planCase) {
	t.Helper()
	if !tc.emptyOwnerID {
		tc.in.OwnerID = ourOwner
	}
	if tc.in.Policy == "" {
		tc.in.Policy = PolicySync
	}
	got := Calculate(tc.in)
	if diff := render(got.Changes); !slices.Equal(diff, tc.changes) {
		t.Errorf("changes:\n got %q\nwant %q", diff, tc.changes)
	}
	problems := renderProblems(got.Problems)
	if len(problems) != len(tc.problems) {
		t.Fatalf("problems:\n got %q\nwant %q", problems, tc.problems)
	}
	for i := range problems {
		if !strings.Contains(problems[i], tc.problems[i]) {
			t.Errorf("problem %d:\n got %q\nwant it to contain %q", i, problems[i], tc.problems[i])
		}
	}
}

func TestCalculateOwnership(t *testing.T) {
	for _, tc := range []planCase{
		{
			name:    "create when nothing is there",
			in:      Input{Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")}},
			changes: []string{"create app.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "unchanged owned record",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "A", "1.1.1.1"), "service/ns/a")},
			},
		},
		{
			name: "update owned record whose targets differ",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1", "2.2.2.2"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "A", "1.1.1.1"), "service/ns/a")},
			},
			changes: []string{"update app.example.com A 1.1.1.1 owner=zk resource=service/ns/a -> " +
				"app.example.com A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "record of another owner is left alone",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
				Current: []*endpoint.Endpoint{ownedBy(rec("app.example.com", "A", "9.9.9.9"), "other", "service/x/y")},
			},
			problems: []string{"service/ns/a app.example.com: A record exists and is owned by other"},
		},
		{
			name: "unowned record is left alone",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
				Current: []*endpoint.Endpoint{rec("app.example.com", "A", "9.9.9.9")},
			},
			problems: []string{"service/ns/a app.example.com: A record exists and is not owned by zonekeeper: no ownership TXT record"},
		},
		{
			name: "an endpoint without refs is created without resource label and still warned",
			in: Input{
				Desired: []*endpoint.Endpoint{rec("a.example.com", "A", "1.1.1.1"), rec("b.example.com", "A", "1.1.1.1")},
				Current: []*endpoint.Endpoint{rec("b.example.com", "A", "9.9.9.9")},
			},
			changes:  []string{"create a.example.com A 1.1.1.1 owner=zk"},
			problems: []string{"// b.example.com: A record exists and is not owned by zonekeeper"},
		},
		{
			name: "create refused beside a foreign record of another type",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
				Current: []*endpoint.Endpoint{ownedBy(rec("app.example.com", "AAAA", "2001:db8::1"), "other", "")},
			},
			problems: []string{"service/ns/a app.example.com: cannot create A record: AAAA record exists and is owned by other"},
		},
		{
			name: "create allowed beside our own record of another type",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "A", "1.1.1.1"), "a"),
					by(rec("app.example.com", "AAAA", "2001:db8::1"), "a"),
				},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "AAAA", "2001:db8::1"), "service/ns/a")},
			},
			changes: []string{"create app.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "delete only owned records nobody wants",
			in: Input{
				Current: []*endpoint.Endpoint{
					ours(rec("mine.example.com", "A", "1.1.1.1"), "service/ns/gone"),
					ownedBy(rec("theirs.example.com", "A", "1.1.1.1"), "other", ""),
					rec("nobody.example.com", "A", "1.1.1.1"),
				},
			},
			changes: []string{"delete mine.example.com A 1.1.1.1 owner=zk resource=service/ns/gone"},
		},
		{
			name: "switching an owned CNAME to A deletes the CNAME and creates the A",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "CNAME", "lb.example.net"), "service/ns/a")},
			},
			changes: []string{
				"create app.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a",
				"delete app.example.com CNAME lb.example.net owner=zk resource=service/ns/a",
			},
		},
		{
			name: "set identifiers are separate keys",
			in: Input{
				Desired: []*endpoint.Endpoint{by(inSet(rec("app.example.com", "A", "1.1.1.1"), "eu"), "a")},
				Current: []*endpoint.Endpoint{inSet(rec("app.example.com", "A", "9.9.9.9"), "us")},
			},
			changes: []string{"create app.example.com A 1.1.1.1 [eu] owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "foreign record in a set identifier names it",
			in: Input{
				Desired: []*endpoint.Endpoint{by(inSet(rec("app.example.com", "A", "1.1.1.1"), "eu"), "a")},
				Current: []*endpoint.Endpoint{inSet(rec("app.example.com", "A", "9.9.9.9"), "eu")},
			},
			problems: []string{"A record (set identifier eu) exists and is not owned by zonekeeper"},
		},
		{
			name:         "owner id empty: unlabelled records are ours, labelled ones are not",
			emptyOwnerID: true,
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("a.example.com", "A", "1.1.1.1"), "a"),
					by(rec("b.example.com", "A", "1.1.1.1"), "b"),
				},
				Current: []*endpoint.Endpoint{
					rec("a.example.com", "A", "9.9.9.9"),
					ownedBy(rec("b.example.com", "A", "9.9.9.9"), "other", ""),
				},
			},
			changes:  []string{"update a.example.com A 9.9.9.9 -> a.example.com A 1.1.1.1 owner= resource=service/ns/a refs=service/ns/a"},
			problems: []string{"service/ns/b b.example.com: A record exists and is owned by other"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { checkPlan(t, tc) })
	}
}

func TestCalculateUpdateTriggers(t *testing.T) {
	current := func() *endpoint.Endpoint {
		return withProp(withTTL(ours(rec("app.example.com", "A", "1.1.1.1", "2.2.2.2"), "service/ns/a"), 300), "aws/weight", "10")
	}
	desired := func(ttl endpoint.TTL, targets ...string) *endpoint.Endpoint {
		return withProp(withTTL(by(rec("app.example.com", "A", targets...), "a"), ttl), "aws/weight", "10")
	}
	for _, tc := range []planCase{
		{
			name: "unset TTL does not trigger",
			in:   Input{Desired: []*endpoint.Endpoint{desired(0, "1.1.1.1", "2.2.2.2")}, Current: []*endpoint.Endpoint{current()}},
		},
		{
			name: "equal TTL, reordered and repeated targets do not trigger",
			in:   Input{Desired: []*endpoint.Endpoint{desired(300, "2.2.2.2", "1.1.1.1", "2.2.2.2")}, Current: []*endpoint.Endpoint{current()}},
		},
		{
			name: "configured TTL that differs triggers",
			in:   Input{Desired: []*endpoint.Endpoint{desired(60, "1.1.1.1", "2.2.2.2")}, Current: []*endpoint.Endpoint{current()}},
			changes: []string{"update app.example.com 300 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a aws/weight=10 -> " +
				"app.example.com 60 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a aws/weight=10 refs=service/ns/a"},
		},
		{
			name: "a property value that differs triggers",
			in: Input{
				Desired: []*endpoint.Endpoint{withProp(withTTL(by(rec("app.example.com", "A", "1.1.1.1", "2.2.2.2"), "a"), 300), "aws/weight", "20")},
				Current: []*endpoint.Endpoint{current()},
			},
			changes: []string{"update app.example.com 300 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a aws/weight=10 -> " +
				"app.example.com 300 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a aws/weight=20 refs=service/ns/a"},
		},
		{
			name: "a missing property triggers",
			in: Input{
				Desired: []*endpoint.Endpoint{withTTL(by(rec("app.example.com", "A", "1.1.1.1", "2.2.2.2"), "a"), 300)},
				Current: []*endpoint.Endpoint{current()},
			},
			changes: []string{"update app.example.com 300 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a aws/weight=10 -> " +
				"app.example.com 300 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "properties in another order do not trigger",
			in: Input{
				Desired: []*endpoint.Endpoint{withProp(withProp(by(rec("app.example.com", "A", "1.1.1.1"), "a"), "a", "1"), "b", "2")},
				Current: []*endpoint.Endpoint{withProp(withProp(ours(rec("app.example.com", "A", "1.1.1.1"), ""), "b", "2"), "a", "1")},
			},
		},
		{
			name: "a different resource label alone does not trigger",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "A", "1.1.1.1"), "ingress/old/thing")},
			},
		},
		{
			name: "IPv6 addresses compare canonically",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "AAAA", "2001:0DB8:0:0::0001"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "AAAA", "2001:db8::1"), "service/ns/a")},
			},
		},
		{
			name: "IPv6 addresses that differ trigger",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "AAAA", "2001:db8::2"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "AAAA", "2001:db8::1"), "service/ns/a")},
			},
			changes: []string{"update app.example.com AAAA 2001:db8::1 owner=zk resource=service/ns/a -> " +
				"app.example.com AAAA 2001:db8::2 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "host names compare case-insensitively, names and targets",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "CNAME", "lb.example.net"), "a")},
				Current: []*endpoint.Endpoint{ours(&endpoint.Endpoint{
					DNSName: "App.Example.COM.", RecordType: "CNAME", Targets: endpoint.Targets{"LB.Example.NET."}, Labels: endpoint.Labels{},
				}, "service/ns/a")},
			},
		},
		{
			name: "a current name in upper case is still the same key",
			in: Input{
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
				Current: []*endpoint.Endpoint{ours(&endpoint.Endpoint{
					DNSName: "APP.example.com", RecordType: "A", Targets: endpoint.Targets{"2.2.2.2"}, Labels: endpoint.Labels{},
				}, "service/ns/a")},
			},
			changes: []string{"update APP.example.com A 2.2.2.2 owner=zk resource=service/ns/a -> " +
				"app.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { checkPlan(t, tc) })
	}
}

func TestCalculateMergeAndConflicts(t *testing.T) {
	for _, tc := range []planCase{
		{
			name: "A targets from several objects are merged, refs sorted, duplicates dropped",
			in: Input{Desired: []*endpoint.Endpoint{
				by(rec("app.example.com", "AAAA", "2001:db8::2", "2001:db8::1"), "b"),
				by(rec("app.example.com", "AAAA", "2001:DB8:0::1"), "a"),
			}},
			changes: []string{"create app.example.com AAAA 2001:DB8:0::1,2001:db8::2 owner=zk resource=service/ns/a refs=service/ns/a,service/ns/b"},
		},
		{
			name: "properties come from the smallest object of one kind and TTL; the other is warned",
			in: Input{Desired: []*endpoint.Endpoint{
				withProp(withTTL(by(rec("app.example.com", "A", "2.2.2.2"), "b"), 300), "aws/weight", "1"),
				withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "a"), 300),
			}},
			changes: []string{"create app.example.com 300 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a refs=service/ns/a,service/ns/b"},
			problems: []string{"service/ns/b app.example.com: A record: TTL and provider-specific properties differ from those of " +
				"service/ns/a, which are kept because it sorts first"},
		},
		{
			// external-dns merges same-TTL endpoints of one source only (endpoint.MergeEndpoints).
			name: "objects with different TTLs are not merged: the smallest target list wins on create",
			in: Input{Desired: []*endpoint.Endpoint{
				withTTL(by(rec("app.example.com", "A", "2.2.2.2", "3.3.3.3"), "a"), 60),
				withTTL(by(rec("app.example.com", "A", "9.9.9.9"), "b"), 300),
			}},
			changes: []string{"create app.example.com 300 A 9.9.9.9 owner=zk resource=service/ns/b refs=service/ns/b"},
			problems: []string{"service/ns/a app.example.com: A record: target 2.2.2.2,3.3.3.3 conflicts with service/ns/b, " +
				"which wants 9.9.9.9 and is kept because it has the smallest target list"},
		},
		{
			// external-dns's planner (plan/conflict.go) picks one candidate per source.
			name: "objects of different kinds are not merged: addresses sort by value",
			in: Input{Desired: []*endpoint.Endpoint{
				by(rec("www.example.com", "A", "10.0.0.9"), "a"),
				{DNSName: "www.example.com", RecordType: "A", Targets: endpoint.Targets{"9.0.0.1"},
					Refs: []endpoint.ObjectRef{{Kind: "ingress", Namespace: "ns", Name: "web"}}},
			}},
			changes: []string{"create www.example.com A 9.0.0.1 owner=zk resource=ingress/ns/web refs=ingress/ns/web"},
			problems: []string{"service/ns/a www.example.com: A record: target 10.0.0.9 conflicts with ingress/ns/web, " +
				"which wants 9.0.0.1 and is kept because it has the smallest target list"},
		},
		{
			name: "on update the object named by the current record's resource label keeps the record",
			in: Input{
				Desired: []*endpoint.Endpoint{
					withTTL(by(rec("app.example.com", "A", "2.2.2.2", "3.3.3.3"), "b"), 60),
					withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "a"), 300),
				},
				Current: []*endpoint.Endpoint{withTTL(ours(rec("app.example.com", "A", "2.2.2.2"), "service/ns/b"), 60)},
			},
			changes: []string{"update app.example.com 60 A 2.2.2.2 owner=zk resource=service/ns/b -> " +
				"app.example.com 60 A 2.2.2.2,3.3.3.3 owner=zk resource=service/ns/b refs=service/ns/b"},
			problems: []string{"service/ns/a app.example.com: A record: target 1.1.1.1 conflicts with service/ns/b, " +
				"which wants 2.2.2.2,3.3.3.3 and is kept because it is named in the current record's resource label"},
		},
		{
			name: "same CNAME target from two objects merges without warning",
			in: Input{Desired: []*endpoint.Endpoint{
				by(rec("app.example.com", "CNAME", "LB.example.net"), "b"),
				by(rec("app.example.com", "CNAME", "lb.example.net"), "a"),
			}},
			changes: []string{"create app.example.com CNAME lb.example.net owner=zk resource=service/ns/a refs=service/ns/a,service/ns/b"},
		},
		{
			name: "CNAME conflict without a current record: the smallest object wins",
			in: Input{Desired: []*endpoint.Endpoint{
				by(rec("app.example.com", "CNAME", "b.example.net"), "b"),
				by(rec("app.example.com", "CNAME", "a.example.net"), "a"),
			}},
			changes: []string{"create app.example.com CNAME a.example.net owner=zk resource=service/ns/a refs=service/ns/a"},
			problems: []string{"service/ns/b app.example.com: CNAME record: target b.example.net conflicts with service/ns/a, " +
				"which wants a.example.net and is kept because it has the smallest target list"},
		},
		{
			name: "CNAME conflict: the object named by our current record keeps it",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "CNAME", "b.example.net"), "b"),
					by(rec("app.example.com", "CNAME", "a.example.net"), "a"),
				},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "CNAME", "old.example.net"), "service/ns/b")},
			},
			changes: []string{"update app.example.com CNAME old.example.net owner=zk resource=service/ns/b -> " +
				"app.example.com CNAME b.example.net owner=zk resource=service/ns/b refs=service/ns/b"},
			problems: []string{"service/ns/a app.example.com: CNAME record: target a.example.net conflicts with service/ns/b, " +
				"which wants b.example.net and is kept because it is named in the current record's resource label"},
		},
		{
			// external-dns's ResolveUpdate falls back to its create rule.
			name: "CNAME conflict: an unlabelled current record goes to the smallest target",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "CNAME", "b.example.net"), "b"),
					by(rec("app.example.com", "CNAME", "a.example.net"), "a"),
				},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "CNAME", "b.example.net"), "")},
			},
			changes: []string{"update app.example.com CNAME b.example.net owner=zk -> " +
				"app.example.com CNAME a.example.net owner=zk resource=service/ns/a refs=service/ns/a"},
			problems: []string{"service/ns/b app.example.com: CNAME record: target b.example.net conflicts with service/ns/a, " +
				"which wants a.example.net and is kept because it has the smallest target list"},
		},
		{
			name: "a resource label naming an object's own id beats an object merely listing it",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "CNAME", "x.example.net"), "a", "b"),
					by(rec("app.example.com", "CNAME", "y.example.net"), "b"),
				},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "CNAME", "old.example.net"), "service/ns/b")},
			},
			changes: []string{"update app.example.com CNAME old.example.net owner=zk resource=service/ns/b -> " +
				"app.example.com CNAME y.example.net owner=zk resource=service/ns/b refs=service/ns/b"},
			problems: []string{
				"service/ns/a app.example.com: CNAME record: target x.example.net conflicts with service/ns/b",
				"service/ns/b app.example.com: CNAME record: target x.example.net conflicts with service/ns/b",
			},
		},
		{
			name: "a foreign current record does not pick the winner",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "CNAME", "b.example.net"), "b"),
					by(rec("app.example.com", "CNAME", "a.example.net"), "a"),
				},
				Current: []*endpoint.Endpoint{ownedBy(rec("app.example.com", "CNAME", "b.example.net"), "other", "service/ns/b")},
			},
			problems: []string{
				"service/ns/a app.example.com: CNAME record exists and is owned by other",
				"service/ns/b app.example.com: CNAME record: target b.example.net conflicts with service/ns/a",
			},
		},
		{
			name: "CNAME and A at one name: the CNAME is dropped",
			in: Input{Desired: []*endpoint.Endpoint{
				by(rec("app.example.com", "CNAME", "lb.example.net"), "b"),
				by(rec("app.example.com", "A", "1.1.1.1"), "a"),
			}},
			changes:  []string{"create app.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"},
			problems: []string{"service/ns/b app.example.com: CNAME record dropped: A or AAAA records are wanted at the same name"},
		},
		{
			name: "CNAME and AAAA at one name: our CNAME is deleted",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "CNAME", "lb.example.net"), "a"),
					by(rec("app.example.com", "AAAA", "2001:db8::1"), "a"),
				},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "CNAME", "lb.example.net"), "service/ns/a")},
			},
			changes: []string{
				"create app.example.com AAAA 2001:db8::1 owner=zk resource=service/ns/a refs=service/ns/a",
				"delete app.example.com CNAME lb.example.net owner=zk resource=service/ns/a",
			},
			problems: []string{"service/ns/a app.example.com: CNAME record dropped"},
		},
		{
			// D5: the README promises the current holder keeps a name.
			name: "a newcomer's A record does not evict the holder's CNAME",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "CNAME", "lb.example.net"), "a"),
					by(rec("app.example.com", "A", "192.0.2.9"), "b"),
				},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "CNAME", "lb.example.net"), "service/ns/a")},
			},
			problems: []string{"service/ns/b app.example.com: A record not created: the name holds the CNAME record of service/ns/a, which still wants it"},
		},
		{
			name: "one object asking for two CNAME targets gets the first kept",
			in: Input{Desired: []*endpoint.Endpoint{
				by(rec("app.example.com", "CNAME", "b.example.net"), "a"),
				by(rec("app.example.com", "CNAME", "a.example.net"), "a"),
			}},
			changes: []string{"create app.example.com CNAME a.example.net owner=zk resource=service/ns/a refs=service/ns/a"},
			problems: []string{"service/ns/a app.example.com: CNAME record: the object asks for several targets; " +
				"a.example.net is kept, b.example.net ignored"},
		},
		{
			name: "one object asking for two TTLs gets a warning",
			in: Input{Desired: []*endpoint.Endpoint{
				withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "a"), 60),
				withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "a"), 30),
			}},
			changes:  []string{"create app.example.com 30 A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"},
			problems: []string{"service/ns/a app.example.com: A record: the object asks for it more than once with different TTLs"},
		},
		{
			name: "one object with several endpoints for one record merges them",
			in: Input{Desired: []*endpoint.Endpoint{
				by(rec("app.example.com", "A", "2.2.2.2"), "a"),
				by(rec("app.example.com", "A", "1.1.1.1"), "a"),
			}},
			changes: []string{"create app.example.com A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { checkPlan(t, tc) })
	}
}

func TestCalculateFilters(t *testing.T) {
	filter, err := endpoint.NewDomainFilter([]string{"example.com"}, []string{"skip.example.com"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []planCase{
		{
			name: "names outside the domain filter are invisible on both sides",
			in: Input{
				DomainFilter: filter,
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.org", "A", "1.1.1.1"), "a"),
					by(rec("x.skip.example.com", "A", "1.1.1.1"), "a"),
					by(rec("app.example.com", "A", "1.1.1.1"), "a"),
				},
				Current: []*endpoint.Endpoint{
					ours(rec("old.example.org", "A", "1.1.1.1"), ""),
					ours(rec("skip.example.com", "A", "1.1.1.1"), ""),
					ownedBy(rec("app.example.org", "A", "9.9.9.9"), "other", ""),
				},
			},
			changes: []string{"create app.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "unmanaged types are invisible on both sides by default",
			in: Input{
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "TXT", `"hello"`), "a"),
					by(rec("app.example.com", "A", "1.1.1.1"), "a"),
				},
				Current: []*endpoint.Endpoint{
					ours(rec("app.example.com", "MX", "10 mail.example.com"), ""),
					ownedBy(rec("app.example.com", "TXT", `"foreign"`), "other", ""),
				},
			},
			changes: []string{"create app.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
		{
			name: "managed types replace the default set",
			in: Input{
				ManagedTypes: []string{"A", "MX"},
				Desired: []*endpoint.Endpoint{
					by(rec("app.example.com", "CNAME", "lb.example.net"), "a"),
				},
				Current: []*endpoint.Endpoint{
					ours(rec("app.example.com", "MX", "10 mail.example.com"), ""),
					ownedBy(rec("app.example.com", "CNAME", "other.example.net"), "other", ""),
				},
			},
			changes: []string{"delete app.example.com MX 10 mail.example.com owner=zk"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { checkPlan(t, tc) })
	}
}

func TestCalculatePolicies(t *testing.T) {
	in := func(policy Policy) Input {
		return Input{
			Policy: policy,
			Desired: []*endpoint.Endpoint{
				by(rec("new.example.com", "A", "1.1.1.1"), "a"),
				by(rec("changed.example.com", "A", "2.2.2.2"), "a"),
			},
			Current: []*endpoint.Endpoint{
				ours(rec("changed.example.com", "A", "1.1.1.1"), "service/ns/a"),
				ours(rec("gone.example.com", "A", "1.1.1.1"), "service/ns/a"),
			},
		}
	}
	create := "create new.example.com A 1.1.1.1 owner=zk resource=service/ns/a refs=service/ns/a"
	update := "update changed.example.com A 1.1.1.1 owner=zk resource=service/ns/a -> " +
		"changed.example.com A 2.2.2.2 owner=zk resource=service/ns/a refs=service/ns/a"
	del := "delete gone.example.com A 1.1.1.1 owner=zk resource=service/ns/a"
	switchType := func(policy Policy) Input {
		return Input{
			Policy:  policy,
			Desired: []*endpoint.Endpoint{by(rec("app.example.com", "A", "1.1.1.1"), "a")},
			Current: []*endpoint.Endpoint{ours(rec("app.example.com", "CNAME", "lb.example.net"), "service/ns/a")},
		}
	}
	for _, tc := range []planCase{
		{name: "sync", in: in(PolicySync), changes: []string{create, update, del}},
		{name: "upsert-only", in: in(PolicyUpsertOnly), changes: []string{create, update}},
		{name: "create-only", in: in(PolicyCreateOnly), changes: []string{create}},
		{name: "unknown policy acts as create-only", in: in("bogus"), changes: []string{create}},
		{
			name:     "upsert-only withholds a create that clashes with a kept CNAME",
			in:       switchType(PolicyUpsertOnly),
			problems: []string{"service/ns/a app.example.com: cannot create A record: CNAME record is ours and no longer wanted, but policy upsert-only does not delete it"},
		},
		{
			name: "create-only withholds a CNAME beside a kept A",
			in: Input{
				Policy:  PolicyCreateOnly,
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "CNAME", "lb.example.net"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "A", "1.1.1.1"), "service/ns/a")},
			},
			problems: []string{"cannot create CNAME record: A record is ours and no longer wanted, but policy create-only"},
		},
		{
			name: "upsert-only creates an AAAA beside a kept A",
			in: Input{
				Policy:  PolicyUpsertOnly,
				Desired: []*endpoint.Endpoint{by(rec("app.example.com", "AAAA", "2001:db8::1"), "a")},
				Current: []*endpoint.Endpoint{ours(rec("app.example.com", "A", "1.1.1.1"), "service/ns/a")},
			},
			changes: []string{"create app.example.com AAAA 2001:db8::1 owner=zk resource=service/ns/a refs=service/ns/a"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { checkPlan(t, tc) })
	}
}

// conflictInput has three objects fighting over one CNAME that b owns today, and a
// merged A record.
func conflictInput() Input {
	return Input{
		OwnerID: ourOwner,
		Policy:  PolicySync,
		Desired: []*endpoint.Endpoint{
			by(rec("app.example.com", "CNAME", "a.example.net"), "a"),
			by(rec("app.example.com", "CNAME", "b.example.net"), "b"),
			withTTL(by(rec("app.example.com", "CNAME", "c.example.net"), "c"), 30),
			withTTL(by(rec("www.example.com", "A", "1.1.1.1"), "a"), 60),
			withTTL(by(rec("www.example.com", "A", "2.2.2.2"), "b"), 120),
			by(rec("www.example.com", "A", "3.3.3.3"), "c"),
		},
		Current: []*endpoint.Endpoint{
			ours(rec("app.example.com", "CNAME", "b.example.net"), "service/ns/b"),
			withTTL(ours(rec("www.example.com", "A", "1.1.1.1", "2.2.2.2"), "service/ns/b"), 120),
		},
	}
}

func TestCalculateConflictStability(t *testing.T) {
	base := Calculate(conflictInput())
	wantChanges := []string{"update www.example.com 120 A 1.1.1.1,2.2.2.2 owner=zk resource=service/ns/b -> " +
		"www.example.com 120 A 2.2.2.2 owner=zk resource=service/ns/b refs=service/ns/b"}
	if got := render(base.Changes); !slices.Equal(got, wantChanges) {
		t.Fatalf("changes:\n got %q\nwant %q", got, wantChanges)
	}
	if len(base.Problems) != 4 {
		t.Fatalf("want 4 problems (a and c lose the CNAME, and the A record, whose TTLs differ), got %q", renderProblems(base.Problems))
	}

	t.Run("reordered objects give the same result", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 50 {
			in := conflictInput()
			rng.Shuffle(len(in.Desired), func(i, j int) { in.Desired[i], in.Desired[j] = in.Desired[j], in.Desired[i] })
			rng.Shuffle(len(in.Current), func(i, j int) { in.Current[i], in.Current[j] = in.Current[j], in.Current[i] })
			if got := Calculate(in); !reflect.DeepEqual(got, base) {
				t.Fatalf("order changed the result:\n got %q %q\nwant %q %q",
					render(got.Changes), renderProblems(got.Problems), render(base.Changes), renderProblems(base.Problems))
			}
		}
	})

	t.Run("a changing loser does not flip the winner", func(t *testing.T) {
		for _, target := range []string{"aa.example.net", "0.example.net", "z.example.net", "b.example.net"} {
			in := conflictInput()
			in.Desired[0].Targets = endpoint.Targets{target}
			got := Calculate(in)
			if !slices.Equal(render(got.Changes), wantChanges) {
				t.Errorf("loser wants %s: changes %q", target, render(got.Changes))
			}
		}
	})

	t.Run("applying the result and planning again changes nothing", func(t *testing.T) {
		in := conflictInput()
		in.Current = []*endpoint.Endpoint{in.Current[0], base.Changes.Update[0].New}
		if got := Calculate(in); !got.Changes.IsEmpty() {
			t.Errorf("second plan: %q", render(got.Changes))
		}
	})
}

func TestCalculateLeavesInputAlone(t *testing.T) {
	in := conflictInput()
	in.Desired = append(in.Desired, withProp(by(rec("new.example.com", "A", "1.1.1.1"), "n"), "aws/weight", "1"))
	in.Current = append(in.Current, ours(rec("gone.example.com", "A", "1.1.1.1"), ""))
	snapshot := func() []string {
		var s []string
		for _, e := range append(slices.Clone(in.Desired), in.Current...) {
			s = append(s, show(e))
		}
		return s
	}
	before := snapshot()
	got := Calculate(in)
	if len(got.Changes.Create) == 0 || len(got.Changes.Update) == 0 || len(got.Changes.Delete) == 0 {
		t.Fatalf("want a create, an update and a delete, got %q", render(got.Changes))
	}
	scribble := func(e *endpoint.Endpoint) {
		for i := range e.Targets {
			e.Targets[i] = "scribbled"
		}
		for k := range e.Labels {
			e.Labels[k] = "scribbled"
		}
		for i := range e.ProviderSpecific {
			e.ProviderSpecific[i].Value = "scribbled"
		}
		for i := range e.Refs {
			e.Refs[i].Name = "scribbled"
		}
	}
	for _, e := range got.Changes.Create {
		scribble(e)
	}
	for _, u := range got.Changes.Update {
		scribble(u.Old)
		scribble(u.New)
	}
	for _, e := range got.Changes.Delete {
		scribble(e)
	}
	if after := snapshot(); !slices.Equal(before, after) {
		t.Errorf("input changed:\nbefore %q\n after %q", before, after)
	}
}

func TestCalculateConflictErrors(t *testing.T) {
	tests := []struct {
		name         string
		desired      []*endpoint.Endpoint
		wantConflict bool
	}{
		{"two objects, two CNAME targets", []*endpoint.Endpoint{
			by(rec("app.example.com", "CNAME", "b.example.net"), "b"),
			by(rec("app.example.com", "CNAME", "a.example.net"), "a"),
		}, true},
		{"two objects, two TTLs", []*endpoint.Endpoint{
			withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "b"), 60),
			withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "a"), 30),
		}, true},
		{"CNAME beside A from another object", []*endpoint.Endpoint{
			by(rec("app.example.com", "CNAME", "lb.example.net"), "b"),
			by(rec("app.example.com", "A", "1.1.1.1"), "a"),
		}, true},
		{"one object, two TTLs", []*endpoint.Endpoint{
			withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "a"), 60),
			withTTL(by(rec("app.example.com", "A", "1.1.1.1"), "a"), 30),
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Calculate(Input{Desired: tt.desired, OwnerID: "zk", Policy: PolicySync, ManagedTypes: endpoint.DefaultManagedTypes()})
			var conflicts int
			for _, p := range res.Problems {
				var ce *ConflictError
				if errors.As(p.Err, &ce) {
					conflicts++
				}
			}
			if (conflicts > 0) != tt.wantConflict {
				t.Errorf("problems %v: %d ConflictError(s), want conflict %v", res.Problems, conflicts, tt.wantConflict)
			}
		})
	}
}
