package bench

import (
	"context"
	"fmt"
	"math"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// Zone is the zone every benchmark writes into.
const Zone = "bench.example"

// Counters are what a DNS server has served so far, read from the server itself.
type Counters struct {
	// Updates is the number of UPDATE messages that changed the zone.
	Updates int
	// AXFRs is the number of zone transfers of the zone that started.
	AXFRs int
}

// Sub returns c − before: what was served in between.
func (c Counters) Sub(before Counters) Counters {
	return Counters{Updates: c.Updates - before.Updates, AXFRs: c.AXFRs - before.AXFRs}
}

// CountAXFRs returns how many zone transfers of zone a BIND9 log records: the lines
// of category xfer-out "transfer of '<zone>/IN': AXFR started".
func CountAXFRs(log, zone string) int {
	return strings.Count(log, fmt.Sprintf("transfer of '%s/IN': AXFR started", zone))
}

// ReadCounters reads srv's counters for zone: the SOA serial (which BIND9 raises once
// per UPDATE message that changes the zone, from 1 at start) and its log.
func ReadCounters(ctx context.Context, srv *dnsserver.Server, zone string) (Counters, error) {
	serial, err := srv.Serial(ctx, zone)
	if err != nil {
		return Counters{}, err
	}
	return Counters{Updates: int(serial) - 1, AXFRs: CountAXFRs(srv.LogTail(math.MaxInt), zone)}, nil
}

// pollInterval is how often a latency scenario asks the DNS server for an answer.
const pollInterval = 10 * time.Millisecond

// WaitAnswer asks the server at addr every 10 ms for name's A records over UDP until
// it answers with some (present) or with NXDOMAIN (not present), and returns the time
// from start until then. It gives up with an error when ctx ends.
func WaitAnswer(ctx context.Context, addr, name string, present bool, start time.Time) (time.Duration, error) {
	client := &dns.Client{Net: "udp", Timeout: time.Second}
	q := new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA)
	for {
		answer, _, err := client.ExchangeContext(ctx, q, addr)
		if err == nil && (present && answerPresent(answer) || !present && answer.Rcode == dns.RcodeNameError) {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			state := "to resolve"
			if !present {
				state = "to be gone (NXDOMAIN)"
			}
			return 0, fmt.Errorf("waiting for %s %s at %s: %w", name, state, addr, context.Cause(ctx))
		case <-time.After(pollInterval):
		}
	}
}

// answerPresent reports whether m answers with at least one A record.
func answerPresent(m *dns.Msg) bool {
	for _, rr := range m.Answer {
		if _, ok := rr.(*dns.A); ok {
			return true
		}
	}
	return false
}

// CountA returns how many names in zone hold an A record, by a TSIG-signed AXFR of
// srv. The transfer shows in srv's AXFR count.
func CountA(ctx context.Context, srv *dnsserver.Server, zone string) (int, error) {
	records, err := srv.Transfer(ctx, zone)
	if err != nil {
		return 0, err
	}
	names := map[string]bool{}
	for _, rr := range records {
		if a, ok := rr.(*dns.A); ok && a.A != nil && !a.A.Equal(net.IPv4zero) {
			names[a.Hdr.Name] = true
		}
	}
	return len(names), nil
}
