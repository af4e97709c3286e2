package controller

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/source"
)

// recorded is a Recorder that keeps what it is told.
type recorded struct{ events []Event }

func (r *recorded) Event(ref endpoint.ObjectRef, eventType EventType, reason, message string) {
	r.events = append(r.events, Event{Ref: ref, Type: eventType, Reason: reason, Message: message})
}

// lines renders the events as "type reason object: message", in the order told.
func (r *recorded) lines() []string {
	out := make([]string, 0, len(r.events))
	for _, e := range r.events {
		out = append(out, fmt.Sprintf("%s %s %s: %s", e.Type, e.Reason, e.Ref, e.Message))
	}
	return out
}

// warningScenario is a zone, and what the sources ask of it, in which each warning
// reason arises from its situation: a conflict, a foreign and an unowned record, a
// name in no zone, invalid input, a missing address, a CNAME beside an MX. Events and
// explain are both tested on it.
func warningScenario(t *testing.T) (*inmemory.Provider, source.Result) {
	t.Helper()
	foreign := rec("foreign.example.com", endpoint.RecordTypeA, 0, "198.51.100.1")
	mx := rec("mx.example.com", "MX", 0, "10 mail.example.net")
	p := seeded(t, []string{"example.com"}, map[string][]*endpoint.Endpoint{"example.com": slices.Concat(
		ownedBy(t, "other", "service/elsewhere/x", foreign),
		[]*endpoint.Endpoint{rec("manual.example.com", endpoint.RecordTypeA, 0, "198.51.100.2"), mx},
	)})
	result := source.Result{
		Endpoints: []*endpoint.Endpoint{
			wanted(svc("a"), "shared.example.com", endpoint.RecordTypeCNAME, 0, "a.example.net"),
			wanted(svc("b"), "shared.example.com", endpoint.RecordTypeCNAME, 0, "b.example.net"),
			wanted(svc("foreign"), "foreign.example.com", endpoint.RecordTypeA, 0, "192.0.2.1"),
			wanted(svc("manual"), "manual.example.com", endpoint.RecordTypeA, 0, "192.0.2.2"),
			wanted(svc("outside"), "www.example.org", endpoint.RecordTypeA, 0, "192.0.2.3"),
			wanted(svc("cname"), "mx.example.com", endpoint.RecordTypeCNAME, 0, "mail.example.net"),
			wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
			wanted(svc("web"), "www.example.com", endpoint.RecordTypeA, 0, "192.0.2.4"),
		},
		Problems: []endpoint.Problem{
			{Ref: svc("bad"), Err: errors.New("annotation external-dns.alpha.kubernetes.io/hostname: invalid name \"a..b\"")},
			{Ref: svc("pending"), DNSName: "pending.example.com", Warning: true, Err: source.ErrNoTargets},
		},
	}
	return p, result
}

// TestReconcileEvents runs reconciles in which each reason arises from the situation it
// names, and checks the Events told to Controller.Events: one per object and reason, on
// the right object, with the message naming what happened.
func TestReconcileEvents(t *testing.T) {
	p, result := warningScenario(t)
	src := &fixedSource{result: result}
	rec := &recorded{}
	c := newController(t, p, Config{
		Policy: plan.PolicySync, ManagedTypes: endpoint.DefaultManagedTypes(),
		Events: EventConfig{Emit: []string{ReasonRecordReady, ReasonRecordDeleted}, Warnings: true},
		Budget: DeletionBudget{MaxDeletions: 1},
	}, src)
	c.Events = rec

	runOnce(t, c)
	want := []string{
		`Normal RecordReady service/ns/a: CNAME shared.example.com → a.example.net published`,
		`Warning RecordConflict service/ns/b: shared.example.com: CNAME record: target b.example.net conflicts with service/ns/a, which wants a.example.net and is kept because it has the smallest target list (external-dns's choice; objects of different kinds or TTLs are not merged)`,
		`Warning InvalidInput service/ns/bad: annotation external-dns.alpha.kubernetes.io/hostname: invalid name "a..b"`,
		`Warning CNAMEAndOtherData service/ns/cname: mx.example.com CNAME not written: mx.example.com holds MX, and a CNAME cannot stand beside other data (RFC 1034 3.6.2)`,
		`Warning RecordNotOwned service/ns/foreign: foreign.example.com: A record exists and is owned by other`,
		`Warning RecordNotOwned service/ns/manual: manual.example.com: A record exists and is not owned by zonekeeper: no ownership TXT record`,
		`Warning NoManagedZone service/ns/outside: www.example.org: no managed zone holds this name; the record is not published`,
		`Warning NoAddress service/ns/pending: pending.example.com: ` + source.ErrNoTargets.Error(),
		`Normal RecordReady service/ns/web: A web.example.com → 192.0.2.4 published; A www.example.com → 192.0.2.4 published`,
	}
	if got := rec.lines(); !slices.Equal(got, want) {
		t.Errorf("events of the first reconcile:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The winner of the conflict goes, and web drops both names: the two deletions
	// exceed --max-deletions=1 and are withheld, on the objects that asked for them.
	rec.events = nil
	src.result.Endpoints = slices.DeleteFunc(slices.Clone(result.Endpoints), func(e *endpoint.Endpoint) bool {
		return e.Refs[0] == svc("web")
	})
	runOnce(t, c)
	withheld := slices.DeleteFunc(rec.lines(), func(l string) bool { return !strings.Contains(l, ReasonDeletionWithheld) })
	want = []string{
		`Warning DeletionWithheld service/ns/web: deletion of A web.example.com → 192.0.2.4 withheld: 2 deletions planned in the zone, more than --max-deletions=1; ` +
			`deletion of A www.example.com → 192.0.2.4 withheld: 2 deletions planned in the zone, more than --max-deletions=1`,
	}
	if !slices.Equal(withheld, want) {
		t.Errorf("withheld deletions told:\n%s\nwant:\n%s", strings.Join(withheld, "\n"), strings.Join(want, "\n"))
	}

	rec.events = nil
	c.Config.Budget = DeletionBudget{}
	runOnce(t, c)
	deleted := slices.DeleteFunc(rec.lines(), func(l string) bool { return !strings.Contains(l, ReasonRecordDeleted) })
	want = []string{`Normal RecordDeleted service/ns/web: A web.example.com → 192.0.2.4 deleted; A www.example.com → 192.0.2.4 deleted`}
	if !slices.Equal(deleted, want) {
		t.Errorf("deletions told:\n%s\nwant:\n%s", strings.Join(deleted, "\n"), strings.Join(want, "\n"))
	}
}

// TestReportEventsConfig checks what EventConfig lets through: external-dns's reasons
// only when named, zonekeeper's warnings unless off, nothing in a dry run.
func TestReportEventsConfig(t *testing.T) {
	ready := wanted(svc("web"), "web.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
	rep := &Report{
		Problems: []endpoint.Problem{{Ref: svc("bad"), Err: errors.New("bad TTL")}, {Err: errors.New("no object")}},
		Zones:    []ZoneReport{{Applied: []provider.Change{{Records: []provider.RecordChange{{Op: provider.OpCreate, New: ready}}}}}},
	}
	reasons := func(cfg EventConfig) []string {
		var out []string
		for _, e := range ReportEvents(rep, cfg) {
			out = append(out, e.Reason)
		}
		return out
	}
	for _, tt := range []struct {
		cfg  EventConfig
		want []string
	}{
		{EventConfig{}, nil},
		{EventConfig{Warnings: true}, []string{ReasonInvalidInput}},
		{EventConfig{Emit: []string{ReasonRecordReady}}, []string{ReasonRecordReady}},
		{EventConfig{Emit: []string{ReasonRecordDeleted, ReasonRecordError}, Warnings: true}, []string{ReasonInvalidInput}},
		{EventConfig{Emit: EmittableReasons(), Warnings: true}, []string{ReasonInvalidInput, ReasonRecordReady}},
	} {
		if got := reasons(tt.cfg); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: reasons %q, want %q", tt.cfg, got, tt.want)
		}
	}
	rep.DryRun = true
	if got := reasons(EventConfig{Emit: EmittableReasons(), Warnings: true}); got != nil {
		t.Errorf("dry run: reasons %q, want none", got)
	}
}

func TestJoinMessages(t *testing.T) {
	long := strings.Repeat("é", MaxEventMessage)
	if got := joinMessages([]string{long}); len(got) > MaxEventMessage || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("one message too long: %d bytes, valid UTF-8 %t, want at most %d, cut with …", len(got), utf8.ValidString(got), MaxEventMessage)
	}
	var msgs []string
	for i := range 100 {
		msgs = append(msgs, fmt.Sprintf("A r%02d.example.com → 192.0.2.1 published", i))
	}
	got := joinMessages(msgs)
	if len(got) > MaxEventMessage || !strings.HasPrefix(got, msgs[0]+"; "+msgs[1]) || !strings.HasSuffix(got, " more") {
		t.Errorf("100 messages joined to %d bytes: %q; want at most %d, the first ones whole, the rest counted", len(got), got, MaxEventMessage)
	}
	if got := joinMessages([]string{"a", "b"}); got != "a; b" {
		t.Errorf("joinMessages(a, b) = %q", got)
	}
}

func TestChangeRefs(t *testing.T) {
	labelled := func(resource string) *endpoint.Endpoint {
		e := rec("x.example.com", endpoint.RecordTypeA, 0, "192.0.2.1")
		e.Labels[endpoint.ResourceLabelKey] = resource
		return e
	}
	for resource, want := range map[string][]endpoint.ObjectRef{
		"ingress/ns/web": {{Kind: "ingress", Namespace: "ns", Name: "web"}},
		"service/ns/a/b": {{Kind: "service", Namespace: "ns", Name: "a/b"}},
		"service/web":    nil,
		"":               nil,
		"/ns/web":        nil,
	} {
		if got := changeRefs(labelled(resource)); !slices.Equal(got, want) {
			t.Errorf("changeRefs(resource %q) = %v, want %v", resource, got, want)
		}
	}
}
