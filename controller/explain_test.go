package controller

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/source"
)

// explainScenario is a zone and sources in which each warning reason arises from its
// situation: a conflict, a foreign and an unowned record, a name in no zone, invalid
// input, a missing address, a CNAME beside an MX.
func explainScenario(t *testing.T, dryRun bool) *Controller {
	t.Helper()
	foreign := rec("foreign.example.com", endpoint.RecordTypeA, 0, "198.51.100.1")
	p := seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
		ownedBy(t, "other", "service/elsewhere/x", foreign),
		[]*endpoint.Endpoint{rec("manual.example.com", endpoint.RecordTypeA, 0, "198.51.100.2"), rec("mx.example.com", "MX", 0, "10 mail.example.net")},
	)})
	src := &fixedSource{result: source.Result{
		Endpoints: []*endpoint.Endpoint{
			wanted(svc("a"), "shared.example.com", endpoint.RecordTypeCNAME, 0, "a.example.net"),
			wanted(svc("b"), "shared.example.com", endpoint.RecordTypeCNAME, 0, "b.example.net"),
			wanted(svc("foreign"), "foreign.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
			wanted(svc("manual"), "manual.example.com", endpoint.RecordTypeA, 0, "192.0.2.2"),
			wanted(svc("outside"), "www.example.org", endpoint.RecordTypeA, 0, "192.0.2.3"),
			wanted(svc("cname"), "mx.example.com", endpoint.RecordTypeCNAME, 0, "mail.example.net"),
			wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
		},
		Problems: []endpoint.Problem{
			{Ref: svc("bad"), Err: errors.New(`annotation external-dns.alpha.kubernetes.io/hostname: invalid name "a..b"`)},
			{Ref: svc("pending"), DNSName: "pending.example.com", Warning: true, Err: source.ErrNoTargets},
		},
	}}
	return newController(t, p, Config{
		Policy: plan.PolicySync, ManagedTypes: endpoint.DefaultManagedTypes(), DryRun: dryRun,
		Events: EventConfig{Warnings: true},
	}, src)
}

// TestExplainObjectGivesEveryEventReason checks that the notes ExplainObject picks out
// of a dry run give each object the warning reasons its Events get from the same
// reconcile made for real, each with a detail.
func TestExplainObjectGivesEveryEventReason(t *testing.T) {
	rep := runOnce(t, explainScenario(t, true))
	events := ReportEvents(runOnce(t, explainScenario(t, false)), EventConfig{Warnings: true})
	if len(events) == 0 {
		t.Fatal("the scenario gives no Events")
	}
	for _, e := range events {
		obj := ExplainObject(rep, e.Ref)
		var reasons []string
		for _, n := range obj.Notes {
			reasons = append(reasons, n.Reason)
			if n.Detail("default", obj.Zones) == "" {
				t.Errorf("%s %s: no detail", e.Ref, n.Reason)
			}
		}
		if !slices.Contains(reasons, e.Reason) {
			t.Errorf("%s: Event %s, explain gives %v", e.Ref, e.Reason, reasons)
		}
	}
}

func TestExplainObject(t *testing.T) {
	c := explainScenario(t, true)
	rep := runOnce(t, c)

	web := ExplainObject(rep, svc("web"))
	if len(web.Wanted) != 1 || web.Wanted[0].Zone != "example.com" || len(web.Changes) != 1 || len(web.Notes) != 0 {
		t.Errorf("web: wanted %+v, changes %d, notes %+v; want one record in example.com, created, no notes", web.Wanted, len(web.Changes), web.Notes)
	}
	outside := ExplainObject(rep, svc("outside"))
	if len(outside.Wanted) != 1 || outside.Wanted[0].Zone != "" || len(outside.Changes) != 0 {
		t.Errorf("outside: wanted %+v, changes %d; want one record in no zone, no change", outside.Wanted, len(outside.Changes))
	}
	loser := ExplainObject(rep, svc("b"))
	if len(loser.Changes) != 0 || !slices.Equal(loser.Names(), []string{"shared.example.com"}) {
		t.Errorf("b: changes %d, names %v; want none and shared.example.com", len(loser.Changes), loser.Names())
	}

	holdings, err := c.Holdings(context.Background(), []string{"foreign.example.com", "manual.example.com", "www.example.org", "absent.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range holdings {
		got = append(got, h.Zone+" "+h.Record.String()+" owner="+h.Owner+" object="+h.Resource)
	}
	want := []string{
		"example.com foreign.example.com A 198.51.100.1 owner=other object=service/elsewhere/x",
		"example.com manual.example.com A 198.51.100.2 owner= object=",
	}
	if !slices.Equal(got, want) {
		t.Errorf("holdings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNoteDetail(t *testing.T) {
	rep := runOnce(t, explainScenario(t, true))
	for _, tc := range []struct {
		ref  endpoint.ObjectRef
		want string
	}{
		{svc("foreign"), `belongs to owner id "other", not to this zonekeeper's "default"`},
		{svc("manual"), "without an ownership record"},
		{svc("outside"), "the managed zones are example.com"},
		{svc("cname"), "the zone holds MX at mx.example.com"},
		{svc("bad"), "an error: none of the object's records"},
		{svc("pending"), "no address to publish yet"},
		{svc("b"), "the planner kept its wish"},
	} {
		obj := ExplainObject(rep, tc.ref)
		if len(obj.Notes) != 1 {
			t.Errorf("%s: notes %+v, want one", tc.ref, obj.Notes)
			continue
		}
		if d := obj.Notes[0].Detail("default", obj.Zones); !strings.Contains(d, tc.want) {
			t.Errorf("%s: detail %q, want it to hold %q", tc.ref, d, tc.want)
		}
	}
	w := &Withheld{Cause: CauseBudget, Reason: "3 deletions planned"}
	if d := (Note{Reason: ReasonDeletionWithheld, Withheld: w}).Detail("default", nil); !strings.Contains(d, "safety check deletion_budget") {
		t.Errorf("budget detail %q", d)
	}
	if d := (Note{Reason: ReasonNoZone}).Detail("default", nil); !strings.Contains(d, "no zone is managed at all") {
		t.Errorf("no-zone detail without zones %q", d)
	}
}
