package rfc2136

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

func TestServedBy(t *testing.T) {
	want := func(t *testing.T, op provider.Op, e *endpoint.Endpoint) wantedRRset {
		rc := provider.RecordChange{Op: op, New: e}
		if op == provider.OpDelete {
			rc = provider.RecordChange{Op: op, Old: e}
		}
		w, err := wantedOf(rc, DefaultTTL)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	a := ep("app.example.com", "A", 60, "192.0.2.1", "192.0.2.2")
	answer := func(rcode int, aa bool, rrs ...string) *dns.Msg {
		m := new(dns.Msg)
		m.Rcode, m.Authoritative = rcode, aa
		for _, text := range rrs {
			m.Answer = append(m.Answer, mustRR(t, text))
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		op     provider.Op
		answer *dns.Msg
		want   string
		rrset  *endpoint.Endpoint // a, when nil
	}{
		{"created, both values", provider.OpCreate, answer(dns.RcodeSuccess, true, "app.example.com. 60 IN A 192.0.2.2", "App.Example.COM. 60 IN A 192.0.2.1"), "", nil},
		{"one value missing", provider.OpCreate, answer(dns.RcodeSuccess, true, "app.example.com. 60 IN A 192.0.2.1"), "holds 192.0.2.1 (TTL 60)", nil},
		{"old TTL", provider.OpUpdate, answer(dns.RcodeSuccess, true, "app.example.com. 300 IN A 192.0.2.1", "app.example.com. 300 IN A 192.0.2.2"), "holds 192.0.2.1 (TTL 300), 192.0.2.2 (TTL 300)", nil},
		{"not there yet", provider.OpCreate, answer(dns.RcodeNameError, true), "NXDOMAIN", nil},
		{"name holds other types only", provider.OpCreate, answer(dns.RcodeSuccess, true), "no A records", nil},
		{"a CNAME in the way is not the record", provider.OpCreate, answer(dns.RcodeSuccess, true, "app.example.com. 60 IN CNAME lb.example.net."), "no A records", nil},
		{"server does not serve the zone", provider.OpCreate, answer(dns.RcodeRefused, false), "server answered REFUSED", nil},
		{"cache, not authority", provider.OpCreate, answer(dns.RcodeSuccess, false, "app.example.com. 60 IN A 192.0.2.1", "app.example.com. 60 IN A 192.0.2.2"), "a non-authoritative answer: the server does not serve the zone", nil},
		{"deleted: name gone", provider.OpDelete, answer(dns.RcodeNameError, true), "", nil},
		{"deleted: type gone", provider.OpDelete, answer(dns.RcodeSuccess, true), "", nil},
		{"TXT with a quote, as unpacked", provider.OpCreate, txtAnswer(t), "", ep("app.example.com", "TXT", 60, `"say "hi""`)},
		{"deleted: still there", provider.OpDelete, answer(dns.RcodeSuccess, true, "app.example.com. 60 IN A 192.0.2.1"), "holds 192.0.2.1 (TTL 60)", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rrset := tc.rrset
			if rrset == nil {
				rrset = a
			}
			if got := servedBy(tc.answer, want(t, tc.op, rrset)); got != tc.want {
				t.Errorf("servedBy = %q, want %q", got, tc.want)
			}
		})
	}
}

// txtAnswer is an authoritative answer holding app.example.com's TXT record `say "hi"`,
// as it comes off the wire.
func txtAnswer(t *testing.T) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.Authoritative = true
	m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: "app.example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{`say "hi"`}}}
	wire, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	unpacked := new(dns.Msg)
	if err := unpacked.Unpack(wire); err != nil {
		t.Fatal(err)
	}
	return unpacked
}

func TestVerifyServedAgainstServers(t *testing.T) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := dnsserver.StartT(t, kind, dnsserver.Config{Zones: []string{"example.com"}})
			p := serverProvider(t, srv, nil)
			ctx := context.Background()
			zone := zoneOf("example.com")
			created := []provider.Change{
				providertest.CreateOf(ep("app.example.com", "A", 60, "192.0.2.1", "192.0.2.2"), ep("a-app.example.com", "TXT", 0, ownerTXT)),
				providertest.CreateOf(ep("www.example.com", "CNAME", 0, "lb.example.net")),
				providertest.CreateOf(ep("txt.example.com", "TXT", 120, `"v=spf1 -all"`)),
				providertest.CreateOf(ep("old.example.com", "AAAA", 0, "2001:db8::1")),
			}
			if err := p.Apply(ctx, zone, created); err != nil {
				t.Fatal(err)
			}
			changed := []provider.Change{
				providertest.UpdateOf(ep("app.example.com", "A", 60, "192.0.2.1", "192.0.2.2"), ep("app.example.com", "A", 30, "192.0.2.3")),
				providertest.DeleteOf(ep("old.example.com", "AAAA", 0, "2001:db8::1")),
			}
			if err := p.Apply(ctx, zone, changed); err != nil {
				t.Fatal(err)
			}
			for _, applied := range [][]provider.Change{created[1:3], changed} {
				before := time.Now()
				servings, err := p.VerifyServed(ctx, zone, applied)
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range servings {
					if !s.Served || s.At.Before(before) || len(s.By) != 1 || s.By[0] != srv.Addr || s.Pending != "" {
						t.Errorf("%s: %+v, want served by %s alone", applied[i], s, srv.Addr)
					}
				}
			}
			// The create of app.example.com was replaced by the update: its records are no
			// longer served, which a short verification reports with what is there.
			short, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			servings, err := p.VerifyServed(short, zone, created[:1])
			if err != nil {
				t.Fatal(err)
			}
			if want := srv.Addr + ": holds 192.0.2.3 (TTL 30)"; servings[0].Served || servings[0].Pending != want {
				t.Errorf("a replaced create: %+v, want pending %q", servings[0], want)
			}
		})
	}
}

// TestVerifyServedByEveryNameServer runs a primary whose zone names two more name
// servers: a lagging secondary (a server holding the zone that the provider's updates
// never reach) and a wrong one (a server that holds another zone). Verification of the
// primary alone passes; of every name server, it names both as not serving, with their
// answers, until the secondary is given the record.
func TestVerifyServedByEveryNameServer(t *testing.T) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			extra := map[string][]string{"example.com": {"@ NS ns2.example.net.", "@ NS ns3.example.net."}}
			primary := dnsserver.StartT(t, kind, dnsserver.Config{Zones: []string{"example.com"}, ExtraRecords: extra})
			secondary := dnsserver.StartT(t, kind, dnsserver.Config{Zones: []string{"example.com"}, ExtraRecords: extra})
			wrong := dnsserver.StartT(t, kind, dnsserver.Config{Zones: []string{"other.example"}})
			addrs := map[string]string{"localhost": primary.Addr, "ns2.example.net": secondary.Addr, "ns3.example.net": wrong.Addr}
			p := serverProvider(t, primary, func(c *Config) {
				c.VerifyAllNS = true
				c.ResolveNameServer = func(_ context.Context, host string) ([]string, error) { return []string{addrs[host]}, nil }
			})
			ctx := context.Background()
			zone := zoneOf("example.com")
			applied := []provider.Change{providertest.CreateOf(ep("app.example.com", "A", 60, "192.0.2.1"))}
			if err := p.Apply(ctx, zone, applied); err != nil {
				t.Fatal(err)
			}

			short, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			servings, err := p.VerifyServed(short, zone, applied)
			if err != nil {
				t.Fatal(err)
			}
			pending := servings[0].Pending
			for _, want := range []string{
				"ns2.example.net (" + secondary.Addr + "): NXDOMAIN",
				"ns3.example.net (" + wrong.Addr + "): ",
			} {
				if servings[0].Served || !strings.Contains(pending, want) {
					t.Errorf("pending = %q, want it to name %q", pending, want)
				}
			}
			if strings.Contains(pending, primary.Addr) {
				t.Errorf("pending = %q names the primary, which serves the record", pending)
			}

			// Without the wrong server, the secondary catching up while verification
			// waits ends it served by every name server, not before it was updated.
			addrs["ns3.example.net"] = secondary.Addr
			caughtUp := make(chan time.Time, 1)
			go func() {
				time.Sleep(300 * time.Millisecond)
				caughtUp <- time.Now()
				err := secondary.Update(ctx, "example.com", []dns.RR{mustRR(t, "app.example.com. 60 IN A 192.0.2.1")})
				if err != nil {
					t.Error(err)
				}
			}()
			long, cancelLong := context.WithTimeout(ctx, 10*time.Second)
			defer cancelLong()
			servings, err = p.VerifyServed(long, zone, applied)
			if err != nil {
				t.Fatal(err)
			}
			at := <-caughtUp
			want := []string{primary.Addr, "ns2.example.net (" + secondary.Addr + ")"}
			if s := servings[0]; !s.Served || s.At.Before(at) || strings.Join(s.By, " ") != strings.Join(want, " ") {
				t.Errorf("after the secondary caught up: %+v, want served after %s by %v", s, at.Format(time.StampMilli), want)
			}
		})
	}
}

// TestVerifyServedByARealSecondary runs a BIND9 primary and a BIND9 secondary of it, named
// in the zone's NS records. The secondary does not have a change until it is told of it
// by a NOTIFY, as the primary sends one, and transfers it by IXFR: verification of every
// name server names it as not serving the change before, and ends served once it has.
func TestVerifyServedByARealSecondary(t *testing.T) {
	primary := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"},
		ExtraRecords: map[string][]string{"example.com": {"@ NS ns2.example.net.", "a A 192.0.2.10", "b A 192.0.2.11", "c A 192.0.2.12"}}})
	secondary := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}, Primary: primary})
	addrs := map[string]string{"localhost": primary.Addr, "ns2.example.net": secondary.Addr}
	p := serverProvider(t, primary, func(c *Config) {
		c.VerifyAllNS = true
		c.ResolveNameServer = func(_ context.Context, host string) ([]string, error) { return []string{addrs[host]}, nil }
	})
	ctx := context.Background()
	zone := zoneOf("example.com")
	applied := []provider.Change{providertest.CreateOf(ep("app.example.com", "A", 60, "192.0.2.1"))}
	if err := p.Apply(ctx, zone, applied); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	servings, err := p.VerifyServed(short, zone, applied)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ns2.example.net (" + secondary.Addr + "): NXDOMAIN"; servings[0].Served || servings[0].Pending != want {
		t.Fatalf("before the NOTIFY: %+v, want pending %q", servings[0], want)
	}

	notified := time.Now()
	notify := new(dns.Msg).SetNotify("example.com.")
	if answer, err := dns.Exchange(notify, secondary.Addr); err != nil || answer.Rcode != dns.RcodeSuccess {
		t.Fatalf("NOTIFY to the secondary: %v, %v", answer, err)
	}
	long, cancelLong := context.WithTimeout(ctx, 10*time.Second)
	defer cancelLong()
	servings, err = p.VerifyServed(long, zone, applied)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{primary.Addr, "ns2.example.net (" + secondary.Addr + ")"}
	if s := servings[0]; !s.Served || strings.Join(s.By, " ") != strings.Join(want, " ") {
		t.Fatalf("after the NOTIFY: %+v, want served by %v\n%s", s, want, secondary.LogTail(20))
	}
	t.Logf("served by the secondary %s after the NOTIFY", servings[0].At.Sub(notified).Round(time.Millisecond))
	// An IXFR of the one change carries 5 records (new SOA, old SOA, new SOA, the A record,
	// new SOA); an AXFR of the zone would carry 8.
	if log := secondary.LogTail(40); !strings.Contains(log, "(serial 2)") || !strings.Contains(log, "Transfer completed: 1 messages, 5 records") {
		t.Errorf("the secondary's log shows no incremental transfer of serial 2:\n%s", log)
	}
}

// TestVerifyServedManyChanges verifies 1,000 creates: one query each, pipelined on one
// connection, all answered in the first round.
func TestVerifyServedManyChanges(t *testing.T) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := dnsserver.StartT(t, kind, dnsserver.Config{Zones: []string{"example.com"}})
			obs := &recorder{}
			p := serverProvider(t, srv, func(c *Config) { c.Observer = obs })
			ctx := context.Background()
			zone := zoneOf("example.com")
			changes := make([]provider.Change, 1000)
			for i := range changes {
				changes[i] = providertest.CreateOf(ep(fmt.Sprintf("host-%04d.example.com", i), "A", 60, fmt.Sprintf("192.0.2.%d", i%250+1)))
			}
			if err := p.Apply(ctx, zone, changes); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			servings, err := p.VerifyServed(ctx, zone, changes)
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range servings {
				if !s.Served {
					t.Fatalf("%s: %+v, want served", changes[i], s)
				}
			}
			queries := 0
			for _, c := range obs.calls {
				if c == OperationVerify+" true" {
					queries++
				}
			}
			if queries != len(changes) {
				t.Errorf("%d verify queries for %d changes, want one each", queries, len(changes))
			}
			t.Logf("%s: 1,000 changes verified in %s", kind, took.Round(time.Millisecond))
		})
	}
}
