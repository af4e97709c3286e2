package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/batch"
)

// This file holds RFC 2136's share of Apply, package batch doing the rest: Changes to
// UPDATE messages, messages packed up to a size, and what the server's answer to one
// message means.

// update is one Change as UPDATE sections: what must hold before (the prerequisites) and
// what to do. RFC 2136 applies a message whole or not at all, so a unit is never split
// across messages.
type update struct {
	prereq  []dns.RR
	updates []dns.RR
	// rrsets are the RRsets the change touches.
	rrsets []endpoint.RecordKey
}

// unit is a Change with its update.
type unit = batch.Unit[update]

// updateOf turns c into its update for zone. Strictness comes from prerequisites:
//
//	create CNAME  name not in use (class NONE, type ANY)       add the new RRs
//	create other  RRset does not exist (class NONE),           add the new RRs
//	              no CNAME at the name (class NONE, CNAME)
//	update        RRset exists with exactly Old's data         delete the RRset (class ANY), add the new RRs
//	delete        RRset exists with exactly Old's data         delete the RRset (class ANY)
//
// The two CNAME rules are there because a server that meets a CNAME added beside other
// data, or other data added beside a CNAME, ignores that record and still answers NOERROR
// (RFC 2136 §3.4.2.2): without them such a create would count as applied, and the rest
// of its Change (the ownership record) would land alone. An update or delete needs no
// CNAME rule: its RRset exists, and in a valid zone a name with a CNAME holds nothing
// else, so the RRset already rules out the conflict; an update of a CNAME replaces it
// at a name that holds only it.
//
// After the value-dependent prerequisite the RRset is known to hold exactly Old's
// records, so deleting it by type (one RR) removes the same records as deleting each one
// with class NONE, in fewer bytes.
func updateOf(zone string, c provider.Change, defaultTTL endpoint.TTL) (update, error) {
	var u update
	for _, rc := range c.Records {
		if err := checkRecordChange(zone, rc); err != nil {
			return u, err
		}
		e := rc.Endpoint()
		u.rrsets = append(u.rrsets, e.RecordKey())
		what := fmt.Sprintf("%s %s %s", rc.Op, e.DNSName, e.RecordType)
		name := dns.Fqdn(e.DNSName)
		switch {
		case rc.Old != nil:
			old, err := endpointRecords(rc.Old, defaultTTL)
			if err != nil {
				return u, fmt.Errorf("%s: %w", what, err)
			}
			for _, rr := range old {
				rr.Header().Ttl = 0
			}
			u.prereq = append(u.prereq, old...)
			u.updates = append(u.updates, &dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: old[0].Header().Rrtype, Class: dns.ClassANY}})
		case e.RecordType == endpoint.RecordTypeCNAME:
			u.prereq = append(u.prereq, absent(name, dns.TypeANY))
		default:
			u.prereq = append(u.prereq, absent(name, dns.StringToType[e.RecordType]), absent(name, dns.TypeCNAME))
		}
		if rc.New != nil {
			rrs, err := endpointRecords(rc.New, defaultTTL)
			if err != nil {
				return u, fmt.Errorf("%s: %w", what, err)
			}
			u.updates = append(u.updates, rrs...)
		}
	}
	return u, nil
}

// absent is the prerequisite that name holds no RRset of type t (RFC 2136 §2.4.3) or,
// for type ANY, no record at all (§2.4.5).
func absent(name string, t uint16) dns.RR {
	return &dns.ANY{Hdr: dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassNONE}}
}

// checkRecordChange checks what can be judged from a record change alone.
func checkRecordChange(zone string, rc provider.RecordChange) error {
	switch rc.Op {
	case provider.OpCreate:
		if rc.New == nil || rc.Old != nil {
			return errors.New("a create needs a new record and no old one")
		}
	case provider.OpUpdate:
		if rc.Old == nil || rc.New == nil {
			return errors.New("an update needs both an old and a new record")
		}
		if rc.Old.RecordKey() != rc.New.RecordKey() {
			return fmt.Errorf("update %s %s: the new record %s %s has another name, type or set identifier", rc.Old.DNSName, rc.Old.RecordType, rc.New.DNSName, rc.New.RecordType)
		}
	case provider.OpDelete:
		if rc.Old == nil || rc.New != nil {
			return errors.New("a delete needs an old record and no new one")
		}
	default:
		return fmt.Errorf("unknown operation %s", rc.Op)
	}
	e := rc.Endpoint()
	if !endpoint.IsSubdomain(e.DNSName, zone) {
		return fmt.Errorf("%s %s %s: %w %s", rc.Op, e.DNSName, e.RecordType, provider.ErrOutsideZone, zone)
	}
	if _, known := dns.StringToType[e.RecordType]; !known {
		return fmt.Errorf("%s %s: unknown record type %q", rc.Op, e.DNSName, e.RecordType)
	}
	// Any DNS name goes, not only host names: upstream writes ownership records such as
	// a-*.apps.example.com for wildcards.
	if _, ok := dns.IsDomainName(e.DNSName); !ok || strings.ContainsAny(e.DNSName, " \t\r\n;\"()\\") {
		return fmt.Errorf("%s %s %s: not a valid DNS name", rc.Op, e.DNSName, e.RecordType)
	}
	return nil
}

// updateMessage builds the unsigned UPDATE message for units in zone, with name
// compression on and an EDNS record so that servers can explain a refusal (RFC 8914).
func updateMessage(zone string, units []unit) *dns.Msg {
	m := new(dns.Msg)
	m.SetUpdate(dns.Fqdn(zone))
	m.Compress = true
	for _, u := range units {
		m.Answer = append(m.Answer, u.Wire.prereq...)
		m.Ns = append(m.Ns, u.Wire.updates...)
	}
	m.SetEdns0(dns.DefaultMsgSize, false)
	return m
}

// packBatches cuts units into runs, in order, each as long as fits one
// message: at most maxChanges units (0: no cap), at most maxBytes bytes once compressed,
// and no two units touching the same RRset, nor the same name when one of them touches
// its CNAME. The last rule keeps each Change as strict as if it were sent alone: a server
// checks every prerequisite of a message before applying any of its updates, so a second
// create of one RRset in the same message would pass, and so would an A and a CNAME
// created at one name, of which the server would then ignore the later.
// A unit too big for a message on its own is returned in tooBig.
//
// Each run goes to emit as soon as it is cut, and units is drawn only as far ahead as
// the run being cut needs: a caller sending the runs has the first on the wire
// while later Changes are still being converted, so the server's work overlaps ours.
// packBatches stops early when emit returns false.
//
// Measuring a compressed message costs as much as packing it, so each run is grown by
// an upper bound of every unit's share (messageEstimate) and measured once; only the
// room the bound left over is then filled, measuring again, so that every run still
// ends where the next unit would not fit.
func packBatches(zone string, units iter.Seq[unit], maxBytes, maxChanges int, emit func([]unit) bool) (tooBig []unit) {
	next, stop := iter.Pull(units)
	defer stop()
	var pending []unit
	lookahead, exhausted := packLookahead, false
	for {
		for !exhausted && len(pending) < lookahead {
			u, ok := next()
			if !ok {
				exhausted = true
				break
			}
			pending = append(pending, u)
		}
		if len(pending) == 0 {
			return tooBig
		}
		n := fillMessage(zone, pending, maxBytes, maxChanges)
		switch {
		case n == len(pending) && !exhausted:
			// The message may have room for more than were at hand.
			lookahead *= 2
		case n == 0:
			tooBig = append(tooBig, pending[0])
			pending = pending[1:]
		default:
			if !emit(pending[:n:n]) {
				return tooBig
			}
			pending = pending[n:]
		}
	}
}

// packLookahead is how many units packBatches first holds to cut a run from: more than
// a 64 KB message of typical changes (a record and its ownership TXT) takes, so that
// most runs are cut in one go.
const packLookahead = 512

// fillMessage returns how many leading units go into one message (see packBatches);
// 0 when the first is too big alone.
func fillMessage(zone string, units []unit, maxBytes, maxChanges int) int {
	limit := len(units)
	if maxChanges > 0 {
		limit = min(limit, maxChanges)
	}
	touched := map[endpoint.RecordKey]bool{}
	// Names of touched RRsets: true when one of them is the name's CNAME.
	names := map[string]bool{}
	admissible := func(u unit) bool {
		for _, k := range u.Wire.rrsets {
			cname, used := names[k.DNSName]
			if touched[k] || cname || used && k.RecordType == endpoint.RecordTypeCNAME {
				return false
			}
		}
		return true
	}
	add := func(est *messageEstimate, u unit, s share) {
		est.commit(s)
		for _, k := range u.Wire.rrsets {
			touched[k] = true
			names[k.DNSName] = names[k.DNSName] || k.RecordType == endpoint.RecordTypeCNAME
		}
	}
	measure := func(n int) int { return updateMessage(zone, units[:n]).Len() }

	est := newMessageEstimate(zone)
	n, length := 0, measure(0)
	for {
		grown := false
		for n < limit && admissible(units[n]) {
			s := est.share(units[n].Wire)
			if length+s.total > maxBytes {
				break
			}
			add(est, units[n], s)
			length += s.total
			n++
			grown = true
		}
		if grown {
			if length = measure(n); length > maxBytes {
				// Only a name straddling the pointer limit can beat the bound: back
				// off to what fits.
				for n > 0 && measure(n) > maxBytes {
					n--
				}
				return n
			}
		}
		// The bound may have left room: try the next unit for real.
		if n == limit || !admissible(units[n]) {
			return n
		}
		next := measure(n + 1)
		if next > maxBytes {
			return n
		}
		add(est, units[n], est.share(units[n].Wire))
		length = next
		n++
	}
}

// messageEstimate bounds from above what each unit adds to a compressed UPDATE message
// (updateMessage) without packing it. It assumes a name compresses only against the zone
// in the question and against owner names written whole in the prerequisite section
// below the 14-bit pointer limit, at offsets it bounds from above; the real message
// holds those pointer targets too, and may compress further (record data, the update
// section).
type messageEstimate struct {
	targets    map[string]bool // names a pointer can reach
	sectionEnd int             // bound of the offset where the prerequisite section ends
}

// share is what one unit adds to a messageEstimate.
type share struct {
	total   int      // bound of the bytes the unit adds
	prereq  int      // of which in the prerequisite section
	targets []string // pointer targets its prerequisites add
}

// maxPointerOffset is the first message offset a compression pointer cannot reach.
const maxPointerOffset = 1 << 14

// headerLen is the fixed DNS message header.
const headerLen = 12

func newMessageEstimate(zone string) *messageEstimate {
	zone = dns.Fqdn(zone)
	e := &messageEstimate{targets: map[string]bool{}}
	for _, start := range dns.Split(zone) {
		e.targets[zone[start:]] = true
	}
	// The question: the zone, its type and class.
	e.sectionEnd = headerLen + len(zone) + 1 + 4
	return e
}

// share bounds what u adds to the message.
func (e *messageEstimate) share(u update) share {
	var s share
	reachable := func(name string) bool { return e.targets[name] || slices.Contains(s.targets, name) }
	for _, rr := range u.prereq {
		name := rr.Header().Name
		prefix := compressedPrefix(name, reachable)
		offset := e.sectionEnd + s.prereq
		if offset+len(name)+1 < maxPointerOffset {
			for _, start := range dns.Split(name) {
				if start >= prefix {
					break
				}
				s.targets = append(s.targets, name[start:])
			}
		}
		s.prereq += recordBound(rr, prefix)
	}
	s.total = s.prereq
	for _, rr := range u.updates {
		s.total += recordBound(rr, compressedPrefix(rr.Header().Name, reachable))
	}
	return s
}

// commit records that the unit of s went into the message.
func (e *messageEstimate) commit(s share) {
	e.sectionEnd += s.prereq
	for _, name := range s.targets {
		e.targets[name] = true
	}
}

// compressedPrefix returns how many bytes of name's presentation form precede its
// longest suffix that reachable accepts: a bound of the bytes its labels take before a
// compression pointer. It is len(name)+1 (no pointer) when no suffix is reachable.
func compressedPrefix(name string, reachable func(string) bool) int {
	for _, start := range dns.Split(name) {
		if reachable(name[start:]) {
			return start
		}
	}
	return len(name) + 1
}

// recordBound is rr's length in the message when its owner name takes prefix bytes of
// labels plus a pointer (or, with no pointer, prefix bytes in all) and its data is not
// compressed. Presentation form is never shorter than wire form, so it is an upper bound.
func recordBound(rr dns.RR, prefix int) int {
	h := rr.Header()
	owner := prefix
	if prefix <= len(h.Name) {
		owner += 2
	}
	uncompressedOwner := dns.Len(&dns.ANY{Hdr: dns.RR_Header{Name: h.Name}})
	return dns.Len(rr) - uncompressedOwner + owner + 10
}

// exchangeFunc sends one UPDATE message and returns the server's answer; an error means
// no answer was had (the message may or may not have been applied, unless the error is
// marked batch.NotSent).
type exchangeFunc func(ctx context.Context, m *dns.Msg) (*dns.Msg, error)

// sendUpdate sends units as one message through exchange and counts it in *accepted when
// the server accepts it. A refusal of the message's content (YXRRSET, NXRRSET, SERVFAIL
// and the like) is a batch refusal, explained; that of a single unit for something in
// the way of a create is final, so it is explained by what stands there (conflict).
// NOTAUTH and NOTZONE concern the whole zone, so they stop Apply rather than be bisected.
func sendUpdate(ctx context.Context, zone string, units []unit, exchange exchangeFunc, accepted *int) error {
	answer, err := exchange(ctx, updateMessage(zone, units))
	switch {
	case err != nil:
		return err
	case answer.Rcode == dns.RcodeSuccess:
		*accepted++
		return nil
	case answer.Rcode == dns.RcodeNotAuth || answer.Rcode == dns.RcodeNotZone:
		return fmt.Errorf("UPDATE refused for the whole zone: %w", answerError(answer))
	case len(units) == 1 && (answer.Rcode == dns.RcodeYXDomain || answer.Rcode == dns.RcodeYXRrset):
		return batch.Refused(conflict(ctx, units[0].Change, answerError(answer), exchange))
	}
	return batch.Refused(explain(answerError(answer)))
}

// ErrCNAMEConflict is the failure of a Change that creates a CNAME at a name holding
// other records, or other records at a name holding a CNAME (RFC 1034 §3.6.2).
var ErrCNAMEConflict = errors.New("a CNAME cannot share its name with other records")

// conflict explains e, the refusal of c sent alone, by what stands at each name c
// creates an RRset at, as the server answers a query of type ANY there: a CNAME at the
// name of another type's create, or any other record at the name of a CNAME's, is
// ErrCNAMEConflict; the RRset being created is provider.ErrRRsetExists. When a query
// fails or nothing is found in the way (it went since), it returns explain(e).
func conflict(ctx context.Context, c provider.Change, e *RcodeError, exchange exchangeFunc) error {
	var found error
	for _, rc := range c.Records {
		if rc.Op != provider.OpCreate {
			continue
		}
		name := dns.Fqdn(rc.New.DNSName)
		answer, err := exchange(ctx, new(dns.Msg).SetQuestion(name, dns.TypeANY))
		if err != nil || answer.Rcode != dns.RcodeSuccess && answer.Rcode != dns.RcodeNameError {
			return explain(e)
		}
		var same, clash []dns.RR
		for _, rr := range answer.Answer {
			h := rr.Header()
			switch {
			case !strings.EqualFold(h.Name, name):
			case dns.Type(h.Rrtype).String() == rc.New.RecordType:
				same = append(same, rr)
			case h.Rrtype == dns.TypeCNAME || rc.New.RecordType == endpoint.RecordTypeCNAME:
				clash = append(clash, rr)
			}
		}
		for _, f := range []struct {
			sentinel error
			rrs      []dns.RR
		}{{provider.ErrRRsetExists, same}, {ErrCNAMEConflict, clash}} {
			if len(f.rrs) == 0 {
				continue
			}
			err := fmt.Errorf("%w: %s holds %s", f.sentinel, rc.New.DNSName, describe(f.rrs))
			if found != nil {
				err = fmt.Errorf("%w; %w", found, err)
			}
			found = err
		}
	}
	if found == nil {
		return explain(e)
	}
	return fmt.Errorf("%w: %w", found, e)
}

// describe renders rrs as "TYPE data" each, comma-separated, the first few only: enough
// to recognise what stands in the way.
func describe(rrs []dns.RR) string {
	const most = 3
	parts := make([]string, 0, most+1)
	for i, rr := range rrs {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(rrs)-most))
			break
		}
		data := strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
		parts = append(parts, dns.Type(rr.Header().Rrtype).String()+" "+data)
	}
	return strings.Join(parts, ", ")
}

// RcodeError is a server's refusal of a request: its response code and the extended
// DNS errors (RFC 8914) it gave, if any.
type RcodeError struct {
	Rcode int
	// Extended holds each extended error as "<code> <name>: <text>".
	Extended []string
}

func (e *RcodeError) Error() string {
	name, ok := dns.RcodeToString[e.Rcode]
	if !ok {
		name = fmt.Sprintf("RCODE%d", e.Rcode)
	}
	msg := "server answered " + name
	if len(e.Extended) > 0 {
		msg += " (" + strings.Join(e.Extended, "; ") + ")"
	}
	return msg
}

// answerError describes a response that is not NOERROR.
func answerError(m *dns.Msg) *RcodeError {
	e := &RcodeError{Rcode: m.Rcode}
	if opt := m.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if ede, ok := o.(*dns.EDNS0_EDE); ok {
				e.Extended = append(e.Extended, strings.TrimSpace(fmt.Sprintf("%d %s: %s", ede.InfoCode, dns.ExtendedErrorCodeToString[ede.InfoCode], ede.ExtraText)))
			}
		}
	}
	return e
}

// explain says what a refusal of a single Change means in terms of its prerequisites,
// keeping the server's answer; YXRRSET and NXRRSET wrap the errors provider.RRsetStore
// reports for the same failures, YXDOMAIN (only a CNAME's create asks for a name not in
// use) wraps ErrCNAMEConflict.
func explain(e *RcodeError) error {
	switch e.Rcode {
	case dns.RcodeYXDomain:
		return fmt.Errorf("%w (a name the change puts a CNAME at holds other records): %w", ErrCNAMEConflict, e)
	case dns.RcodeYXRrset:
		return fmt.Errorf("%w (or a CNAME holds its name): %w", provider.ErrRRsetExists, e)
	case dns.RcodeNXRrset:
		return fmt.Errorf("%w (or does not exist): %w", provider.ErrTargetsMismatch, e)
	}
	return e
}
