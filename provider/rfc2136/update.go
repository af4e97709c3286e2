package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
)

// This file holds the pure half of Apply: Changes to UPDATE messages, messages packed
// up to a size, and refused messages bisected down to the Changes that caused it.

// unit is one Change as UPDATE sections: what must hold before (the prerequisites) and
// what to do. RFC 2136 applies a message whole or not at all, so a unit is never split
// across messages.
type unit struct {
	index   int // position of the Change in the Apply call
	change  provider.Change
	prereq  []dns.RR
	updates []dns.RR
	// rrsets are the RRsets the change touches.
	rrsets []endpoint.RecordKey
}

// changeUnit turns c into a unit for zone. Strictness comes from prerequisites:
//
//	create  RRset does not exist (class NONE)      add the new RRs
//	update  RRset exists with exactly Old's data   delete the RRset (class ANY), add the new RRs
//	delete  RRset exists with exactly Old's data   delete the RRset (class ANY)
//
// After the value-dependent prerequisite the RRset is known to hold exactly Old's
// records, so deleting it by type (one RR) removes the same records as deleting each one
// with class NONE, in fewer bytes.
func changeUnit(zone string, index int, c provider.Change, defaultTTL endpoint.TTL) (unit, error) {
	u := unit{index: index, change: c}
	if len(c.Records) == 0 {
		return u, errors.New("a change without records")
	}
	for _, rc := range c.Records {
		if err := checkRecordChange(zone, rc); err != nil {
			return u, err
		}
		e := rc.Endpoint()
		u.rrsets = append(u.rrsets, e.RecordKey())
		what := fmt.Sprintf("%s %s %s", rc.Op, e.DNSName, e.RecordType)
		if rc.Old != nil {
			old, err := endpointRecords(rc.Old, defaultTTL)
			if err != nil {
				return u, fmt.Errorf("%s: %w", what, err)
			}
			for _, rr := range old {
				rr.Header().Ttl = 0
			}
			u.prereq = append(u.prereq, old...)
			u.updates = append(u.updates, &dns.ANY{Hdr: dns.RR_Header{Name: dns.Fqdn(e.DNSName), Rrtype: old[0].Header().Rrtype, Class: dns.ClassANY}})
		} else {
			u.prereq = append(u.prereq, &dns.ANY{Hdr: dns.RR_Header{Name: dns.Fqdn(e.DNSName), Rrtype: dns.StringToType[e.RecordType], Class: dns.ClassNONE}})
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
		m.Answer = append(m.Answer, u.prereq...)
		m.Ns = append(m.Ns, u.updates...)
	}
	m.SetEdns0(dns.DefaultMsgSize, false)
	return m
}

// packBatches cuts units into runs, in order, each as long as fits one message:
// at most maxChanges units (0: no cap), at most maxBytes bytes once compressed, and no
// two units touching the same RRset. The last rule keeps each Change as strict as if it
// were sent alone: a server checks every prerequisite of a message before applying any
// of its updates, so a second create of one RRset in the same message would pass.
// A unit too big for a message on its own is returned in tooBig.
func packBatches(zone string, units []unit, maxBytes, maxChanges int) (batches [][]unit, tooBig []unit) {
	fits := func(us []unit) bool {
		return (maxChanges == 0 || len(us) <= maxChanges) && updateMessage(zone, us).Len() <= maxBytes
	}
	for len(units) > 0 {
		if !fits(units[:1]) {
			tooBig = append(tooBig, units[0])
			units = units[1:]
			continue
		}
		// A unit is at least a prerequisite and an update of 12 bytes each (a
		// compressed name, type, class, TTL, data length), which bounds the scan.
		scan := min(len(units), maxBytes/24+1)
		if maxChanges > 0 {
			scan = min(scan, maxChanges)
		}
		batch := units[:withoutOverlap(units[:scan])]
		// Adding records never makes a message shorter, so the longest run that fits
		// is found by doubling, then halving, in a logarithmic number of measurements.
		// fits(units[:good]) holds and fits(units[:bad]) does not, bad past the end
		// meaning "not measured". Adding records never makes a message shorter, so
		// doubling and then halving finds the longest run in few measurements.
		good, bad := 1, len(batch)+1
		for n := 2; good < len(batch) && bad > len(batch); n *= 2 {
			n = min(n, len(batch))
			if fits(batch[:n]) {
				good = n
			} else {
				bad = n
			}
		}
		for bad-good > 1 {
			mid := (good + bad) / 2
			if fits(batch[:mid]) {
				good = mid
			} else {
				bad = mid
			}
		}
		batches = append(batches, batch[:good])
		units = units[good:]
	}
	return batches, tooBig
}

// withoutOverlap returns how many leading units touch pairwise distinct RRsets.
func withoutOverlap(units []unit) int {
	seen := map[endpoint.RecordKey]bool{}
	for i, u := range units {
		for _, k := range u.rrsets {
			if seen[k] {
				return i
			}
		}
		for _, k := range u.rrsets {
			seen[k] = true
		}
	}
	return len(units)
}

// exchangeFunc sends one UPDATE message and returns the server's answer; an error means
// no answer was had (the message may or may not have been applied).
type exchangeFunc func(ctx context.Context, m *dns.Msg) (*dns.Msg, error)

// sendResult is what sending a batch achieved.
type sendResult struct {
	// applied counts the messages the server accepted.
	applied int
	failed  []failure
}

// failure is a Change that failed, with its position in the Apply call.
type failure struct {
	index int
	err   provider.ChangeError
}

// sendBisecting sends units as one message; when the server refuses it, it sends each
// half again, down to single units, which are then reported as failed with the server's
// answer. Rcodes that concern the whole zone (NOTAUTH, NOTZONE) are not bisected: they
// end the call with an error, as does a failed exchange.
func sendBisecting(ctx context.Context, zone string, units []unit, exchange exchangeFunc, res *sendResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	answer, err := exchange(ctx, updateMessage(zone, units))
	if err != nil {
		return err
	}
	if answer.Rcode == dns.RcodeSuccess {
		res.applied++
		return nil
	}
	refusal := answerError(answer)
	if answer.Rcode == dns.RcodeNotAuth || answer.Rcode == dns.RcodeNotZone {
		return fmt.Errorf("zone %s: UPDATE refused for the whole zone: %w", zone, refusal)
	}
	if len(units) == 1 {
		res.failed = append(res.failed, failure{units[0].index, provider.ChangeError{Change: units[0].change, Err: explain(refusal)}})
		return nil
	}
	half := len(units) / 2
	if err := sendBisecting(ctx, zone, units[:half], exchange, res); err != nil {
		return err
	}
	return sendBisecting(ctx, zone, units[half:], exchange, res)
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
// reports for the same failures.
func explain(e *RcodeError) error {
	switch e.Rcode {
	case dns.RcodeYXRrset:
		return fmt.Errorf("%w: %w", provider.ErrRRsetExists, e)
	case dns.RcodeNXRrset:
		return fmt.Errorf("%w (or does not exist): %w", provider.ErrTargetsMismatch, e)
	}
	return e
}
