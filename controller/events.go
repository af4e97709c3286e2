package controller

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

// EventType is the type of a Kubernetes Event: Normal or Warning, as the API spells them.
type EventType string

// The Event types.
const (
	EventNormal  EventType = "Normal"
	EventWarning EventType = "Warning"
)

// The reasons of the Events a reconcile reports on the objects behind its records
// (docs/events.md). The first three are external-dns's, emitted only when named in
// EventConfig.Emit; the others are zonekeeper's warnings, emitted unless
// EventConfig.Warnings is off.
const (
	// ReasonRecordReady: a record the object asks for was created or updated. Normal.
	ReasonRecordReady = "RecordReady"
	// ReasonRecordDeleted: a record the object asked for was deleted. Normal.
	ReasonRecordDeleted = "RecordDeleted"
	// ReasonRecordError: the provider refused a change of the object's record, or it was
	// set aside after earlier refusals. Warning.
	ReasonRecordError = "RecordError"

	// ReasonConflictLost: another object's wish for the record was kept
	// (plan.ConflictError); the message names it.
	ReasonConflictLost = "RecordConflict"
	// ReasonNotOwned: the name holds a record zonekeeper does not own (another owner
	// id's, or one without an ownership record), which is left alone.
	ReasonNotOwned = "RecordNotOwned"
	// ReasonNoZone: no managed zone holds the name.
	ReasonNoZone = "NoManagedZone"
	// ReasonInvalidInput: the object's annotations or hostnames are invalid, or something
	// in them was ignored; the message says what.
	ReasonInvalidInput = "InvalidInput"
	// ReasonNoAddress: the object asks for a name but has no address for it
	// (source.ErrNoTargets).
	ReasonNoAddress = "NoAddress"
	// ReasonDeletionWithheld: a safety check withheld the deletion of a record the object
	// asked for; the message says which and why.
	ReasonDeletionWithheld = "DeletionWithheld"
	// ReasonCNAMEAndOtherData: the record would put a CNAME beside other data
	// (ZoneRuleError).
	ReasonCNAMEAndOtherData = "CNAMEAndOtherData"
	// ReasonRecordProblem: any other trouble with one of the object's records (an
	// ownership record that cannot be written, a wish the object contradicts itself
	// in, a create waiting for a withheld deletion).
	ReasonRecordProblem = "RecordProblem"
)

// EmittableReasons returns the reasons EventConfig.Emit may name, as external-dns's
// --events-emit takes them.
func EmittableReasons() []string {
	return []string{ReasonRecordReady, ReasonRecordDeleted, ReasonRecordError}
}

// Recorder receives the Events of a reconcile, one call per object and reason. Its
// implementation posts them to the API server; it must not block the reconcile for long.
type Recorder interface {
	Event(ref endpoint.ObjectRef, eventType EventType, reason, message string)
}

// EventConfig says which Events a reconcile reports.
type EventConfig struct {
	// Emit are the reasons of EmittableReasons to report; external-dns's --events-emit.
	Emit []string
	// Warnings turns zonekeeper's own warning reasons on.
	Warnings bool
}

// Enabled reports whether any Event would be reported.
func (c EventConfig) Enabled() bool { return c.Warnings || len(c.Emit) > 0 }

// allows reports whether reason is to be reported.
func (c EventConfig) allows(reason string) bool {
	if slices.Contains(EmittableReasons(), reason) {
		return slices.Contains(c.Emit, reason)
	}
	return c.Warnings
}

// Event is one Event a reconcile reports.
type Event struct {
	Ref     endpoint.ObjectRef
	Type    EventType
	Reason  string
	Message string
}

// MaxEventMessage is the longest message of an Event in bytes: the API server refuses an
// events.k8s.io/v1 note above 1 kB.
const MaxEventMessage = 1024

// ReportEvents maps rep to the Events cfg allows, sorted by object and reason: one per
// object and reason, whose message joins the distinct messages of that object and reason
// with "; " (sorted, cut to MaxEventMessage with a count of what was left out). A dry
// run reports none: nothing happened to tell the objects about. Problems of no object
// (a Ref without a Kind) are only logged.
//
// What each reason is made of:
//   - RecordReady, RecordDeleted: the changes the provider applied, on the objects in
//     the record's Refs (created or updated) or its resource label (deleted).
//   - RecordError: the changes refused, or set aside after earlier refusals.
//   - DeletionWithheld: Withheld, on the object in the record's resource label.
//   - RecordConflict, RecordNotOwned, CNAMEAndOtherData, RecordProblem: the zones'
//     Problems, by the error's type.
//   - NoAddress, NoManagedZone, InvalidInput: the sources' and the zone assignment's
//     Problems.
//   - NameNotAllowed: the domain policy's Problems (PolicyError).
func ReportEvents(rep *Report, cfg EventConfig) []Event {
	if rep == nil || rep.DryRun || !cfg.Enabled() {
		return nil
	}
	var b eventBuilder
	for _, n := range ObjectNotes(rep) {
		b.add(n.Ref, n.Reason, n.Message)
	}
	return b.events(cfg)
}

// Note is one thing a reconcile has to tell one object: a reason of the Events above
// and one message of it, before ReportEvents joins the messages of an object and
// reason into one Event. zonekeeper explain shows the notes of one object in full.
type Note struct {
	Ref    endpoint.ObjectRef
	Reason string
	// Message is the message as an Event carries it.
	Message string
	// Problem is the Problem the note was made of, for the reasons made of Problems;
	// Withheld, Failed and Change are set for the notes made of them. At most one is set.
	Problem  *endpoint.Problem
	Withheld *Withheld
	Failed   *provider.ChangeError
	Change   *provider.Change
}

// Type is the Event type of the note's reason.
func (n Note) Type() EventType { return reasonType(n.Reason) }

// ObjectNotes maps rep to the notes of its objects, in the order of rep: the sources'
// Problems, then per zone its Problems, Withheld, Failed and Applied (see ReportEvents
// for what each reason is made of). Unlike ReportEvents it reports on dry runs too (a
// dry run has nothing Applied or Failed) and on Problems of no object (Ref without a
// Kind), and it neither filters by reason nor joins messages.
func ObjectNotes(rep *Report) []Note {
	if rep == nil {
		return nil
	}
	var out []Note
	for i := range rep.Problems {
		p := &rep.Problems[i]
		out = append(out, Note{Ref: p.Ref, Reason: sourceProblemReason(*p), Message: problemMessage(*p), Problem: p})
	}
	for zi := range rep.Zones {
		z := &rep.Zones[zi]
		for i := range z.Problems {
			p := &z.Problems[i]
			out = append(out, Note{Ref: p.Ref, Reason: zoneProblemReason(p.Err), Message: problemMessage(*p), Problem: p})
		}
		for i := range z.Withheld {
			w := &z.Withheld[i]
			msg := "deletion of " + recordText(w.Record) + " withheld: " + w.Reason
			if w.Pending != nil && !w.Pending.ConfirmAt.IsZero() {
				msg += fmt.Sprintf("; it is carried out once confirmed, from %s", w.Pending.ConfirmAt.UTC().Format("2006-01-02T15:04:05Z"))
			}
			for _, ref := range changeRefs(w.Record) {
				out = append(out, Note{Ref: ref, Reason: ReasonDeletionWithheld, Message: msg, Withheld: w})
			}
		}
		for i := range z.Failed {
			f := &z.Failed[i]
			main := f.Change.Main()
			for _, ref := range changeRefs(main.Endpoint()) {
				out = append(out, Note{Ref: ref, Reason: ReasonRecordError, Failed: f,
					Message: fmt.Sprintf("%s of %s refused by the provider: %v", main.Op, recordText(main.Endpoint()), f.Err)})
			}
		}
		for i := range z.Applied {
			c := &z.Applied[i]
			main := c.Main()
			e := main.Endpoint()
			deleted := main.Op == provider.OpDelete
			reason, msg := ReasonRecordReady, recordText(e)+" published"+servedText(z, i, deleted)
			if deleted {
				reason, msg = ReasonRecordDeleted, recordText(e)+" deleted"+servedText(z, i, deleted)
			}
			for _, ref := range changeRefs(e) {
				out = append(out, Note{Ref: ref, Reason: reason, Message: msg, Change: c})
			}
		}
	}
	return out
}

// errNoZone is the Err of the Problem an object gets for a name no managed zone holds.
var errNoZone = errors.New("no managed zone holds this name; the record is not published")

// sourceProblemReason classifies a Problem of the sources or of the zone assignment.
func sourceProblemReason(p endpoint.Problem) string {
	switch {
	case errors.Is(p.Err, errNoZone):
		return ReasonNoZone
	case errors.Is(p.Err, source.ErrNoTargets):
		return ReasonNoAddress
	case errors.As(p.Err, new(*PolicyError)):
		return ReasonNameNotAllowed
	}
	return ReasonInvalidInput
}

// zoneProblemReason classifies a Problem of the planner, the registry or the zone rules
// by the type of its error.
func zoneProblemReason(err error) string {
	var (
		conflict *plan.ConflictError
		rule     *ZoneRuleError
		foreign  *registry.ForeignOwnerError
		occupied *registry.OccupiedError
		notOurs  *plan.NotOwnedError
	)
	switch {
	case errors.As(err, &conflict):
		return ReasonConflictLost
	case errors.As(err, &rule):
		return ReasonCNAMEAndOtherData
	case errors.As(err, &foreign), errors.As(err, &occupied), errors.As(err, &notOurs):
		return ReasonNotOwned
	}
	return ReasonRecordProblem
}

// problemMessage is a Problem's message on its own object: the record's name, unless
// there is none or the error begins with it, and the error, without the object the
// Event is attached to anyway.
func problemMessage(p endpoint.Problem) string {
	msg := p.Err.Error()
	if p.DNSName == "" || strings.HasPrefix(msg, p.DNSName+" ") {
		return msg
	}
	return p.DNSName + ": " + msg
}

// recordText describes a record for an Event message: type, name, targets and, if set,
// set identifier.
func recordText(e *endpoint.Endpoint) string {
	s := e.RecordType + " " + e.DNSName
	if len(e.Targets) > 0 {
		s += " → " + strings.Join(e.Targets, ",")
	}
	if e.SetIdentifier != "" {
		s += " (set identifier " + e.SetIdentifier + ")"
	}
	return s
}

// changeRefs returns the objects a record of a change belongs to: its Refs when it came
// from the sources, else the object its resource label names (a record read from the
// zone). A label that names no kind/namespace/name yields none.
func changeRefs(e *endpoint.Endpoint) []endpoint.ObjectRef {
	if len(e.Refs) > 0 {
		return e.Refs
	}
	kind, rest, ok := strings.Cut(e.Labels[endpoint.ResourceLabelKey], "/")
	if !ok {
		return nil
	}
	namespace, name, ok := strings.Cut(rest, "/")
	if !ok || kind == "" || name == "" {
		return nil
	}
	return []endpoint.ObjectRef{{Kind: kind, Namespace: namespace, Name: name}}
}

// eventKey is what one Event of a reconcile is about.
type eventKey struct {
	ref    endpoint.ObjectRef
	reason string
}

// eventBuilder gathers the messages of a reconcile's Events by object and reason.
type eventBuilder struct {
	messages map[eventKey][]string
}

func (b *eventBuilder) add(ref endpoint.ObjectRef, reason, msg string) {
	if ref.Kind == "" {
		return
	}
	if b.messages == nil {
		b.messages = map[eventKey][]string{}
	}
	k := eventKey{ref, reason}
	b.messages[k] = append(b.messages[k], msg)
}

func (b *eventBuilder) events(cfg EventConfig) []Event {
	var out []Event
	for k, msgs := range b.messages {
		if !cfg.allows(k.reason) {
			continue
		}
		slices.Sort(msgs)
		out = append(out, Event{Ref: k.ref, Type: reasonType(k.reason), Reason: k.reason, Message: joinMessages(slices.Compact(msgs))})
	}
	slices.SortFunc(out, func(a, b Event) int {
		return cmp.Or(strings.Compare(a.Ref.String(), b.Ref.String()), strings.Compare(a.Ref.Source, b.Ref.Source), strings.Compare(a.Reason, b.Reason))
	})
	return out
}

// reasonType is Normal for RecordReady and RecordDeleted, Warning for every other reason.
func reasonType(reason string) EventType {
	if reason == ReasonRecordReady || reason == ReasonRecordDeleted {
		return EventNormal
	}
	return EventWarning
}

// joinMessages joins msgs with "; ", leaving out whole messages from the end, counted,
// rather than exceed MaxEventMessage; a first message too long on its own is cut.
func joinMessages(msgs []string) string {
	var b strings.Builder
	for i, m := range msgs {
		sep := ""
		if i > 0 {
			sep = "; "
		}
		more := fmt.Sprintf("; and %d more", len(msgs)-i)
		if b.Len()+len(sep)+len(m)+len(more) > MaxEventMessage && i < len(msgs)-1 ||
			b.Len()+len(sep)+len(m) > MaxEventMessage {
			if i == 0 {
				return cutUTF8(m, MaxEventMessage-len("…")) + "…"
			}
			b.WriteString(more)
			return b.String()
		}
		b.WriteString(sep)
		b.WriteString(m)
	}
	return b.String()
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
