package controller

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
)

// explainScenario is warningScenario's controller, a dry run or not, with one record
// for the web object (not the Events test's two), which TestExplainObject counts.
func explainScenario(t *testing.T, dryRun bool) *Controller {
	t.Helper()
	p, result := warningScenario(t)
	result.Endpoints = slices.DeleteFunc(result.Endpoints, func(e *endpoint.Endpoint) bool { return e.DNSName == "www.example.com" })
	src := &fixedSource{result: result}
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
