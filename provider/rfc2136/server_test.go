package rfc2136

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// These tests run against real BIND9, Knot and PowerDNS processes (package dnsserver);
// they are skipped when a server is not installed, unless CI is set.

// serverProvider returns a provider for srv with AXFR on; modify adjusts its Config.
func serverProvider(t testing.TB, srv *dnsserver.Server, modify func(*Config)) *Provider {
	t.Helper()
	cfg := Config{
		Hosts: []string{srv.Addr},
		Zones: srv.Zones,
		TSIG:  TSIG{KeyName: srv.KeyName, Secret: srv.Secret, Algorithm: srv.Algorithm},
		AXFR:  true,
	}
	if modify != nil {
		modify(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func zoneOf(name string) provider.Zone { return provider.Zone{ID: name, Name: name} }

// recordsText renders the zone's endpoints below the apex as "name TTL TYPE targets"
// with sorted targets.
func recordsText(t testing.TB, p *Provider, zone string) []string {
	t.Helper()
	eps, err := p.Records(context.Background(), zoneOf(zone))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range eps {
		if e.DNSName == zone {
			continue
		}
		targets := slices.Sorted(slices.Values(e.Targets))
		out = append(out, fmt.Sprintf("%s %d %s %s", e.DNSName, e.RecordTTL, e.RecordType, strings.Join(targets, ",")))
	}
	return out
}

func ep(name, recordType string, ttl endpoint.TTL, targets ...string) *endpoint.Endpoint {
	return endpoint.New(name, recordType, ttl, targets...)
}

// failedIndexes maps the failures of err back to positions in changes.
func failedIndexes(t testing.TB, err error, changes []provider.Change) []int {
	t.Helper()
	var out []int
	for _, f := range provider.FailedChanges(err) {
		i := slices.IndexFunc(changes, func(c provider.Change) bool { return c.String() == f.Change.String() })
		if i < 0 {
			t.Fatalf("failure of an unknown change: %v", f)
		}
		out = append(out, i)
	}
	if err != nil && out == nil {
		t.Fatalf("Apply: %v", err)
	}
	return out
}

const ownerTXT = `"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app"`

func TestApplyAgainstServers(t *testing.T) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := dnsserver.StartT(t, kind, dnsserver.Config{Zones: []string{"example.com", "other.example"}, NoTransfer: []string{"other.example"}})
			p := serverProvider(t, srv, nil)
			ctx := context.Background()
			zone := zoneOf("example.com")

			if _, err := p.Records(ctx, zone); err != nil {
				t.Fatal(err)
			}
			if ok, err := p.Unchanged(ctx, zone); err != nil || !ok {
				t.Fatalf("Unchanged after Records = %v, %v; want true", ok, err)
			}

			long := `"` + strings.Repeat("0123456789abcdef", 40) + `"`
			first := []provider.Change{
				providertest.CreateOf(ep("app.example.com", "A", 60, "192.0.2.1", "192.0.2.2"), ep("a-app.example.com", "TXT", 0, ownerTXT)),
				providertest.CreateOf(ep("old.example.com", "A", 0, "192.0.2.9")),
				providertest.CreateOf(ep("gone.example.com", "AAAA", 0, "2001:db8::1")),
				providertest.CreateOf(ep("long.example.com", "TXT", 0, long)),
				providertest.CreateOf(ep("www.example.com", "CNAME", 0, "lb.example.net")),
			}
			if err := p.Apply(ctx, zone, first); err != nil {
				t.Fatalf("first Apply: %v", err)
			}
			if ok, err := p.Unchanged(ctx, zone); err != nil || !ok {
				t.Fatalf("Unchanged after our own Apply = %v, %v; want true", ok, err)
			}

			second := []provider.Change{
				providertest.CreateOf(ep("app.example.com", "A", 0, "192.0.2.7")),                                              // 0: exists
				providertest.UpdateOf(ep("old.example.com", "A", 0, "192.0.2.8"), ep("old.example.com", "A", 0, "192.0.2.10")), // 1: wrong old targets
				providertest.DeleteOf(ep("missing.example.com", "A", 0, "192.0.2.1")),                                          // 2: missing
				providertest.UpdateOf(ep("old.example.com", "A", 0, "192.0.2.9"), ep("old.example.com", "A", 120, "192.0.2.10", "192.0.2.11")),
				providertest.DeleteOf(ep("gone.example.com", "AAAA", 0, "2001:DB8:0::1")),
				providertest.CreateOf(ep("new.example.com", "A", 0, "192.0.2.20"), ep("a-new.example.com", "TXT", 0, ownerTXT)),
				// 6: atomic: the TXT would be created but the A exists, so neither lands.
				providertest.CreateOf(ep("app.example.com", "A", 0, "192.0.2.1"), ep("a-half.example.com", "TXT", 0, ownerTXT)),
				providertest.CreateOf(ep("set-id.example.com", "A", 0, "192.0.2.1")), // 7: set identifier, below
			}
			second[7].Records[0].New.SetIdentifier = "eu"
			err := p.Apply(ctx, zone, second)
			if got := failedIndexes(t, err, second); !slices.Equal(got, []int{0, 1, 2, 6, 7}) {
				t.Fatalf("failed changes = %v, want [0 1 2 6 7]; error: %v", got, err)
			}
			for _, f := range provider.FailedChanges(err) {
				t.Logf("refused as expected: %v", f)
			}
			if fs := provider.FailedChanges(err); !errors.Is(fs[0].Err, provider.ErrRRsetExists) || !errors.Is(fs[1].Err, provider.ErrTargetsMismatch) {
				t.Errorf("failures do not say why: %v", err)
			}

			want := []string{
				"a-app.example.com 300 TXT " + ownerTXT,
				"a-new.example.com 300 TXT " + ownerTXT,
				"app.example.com 60 A 192.0.2.1,192.0.2.2",
				"long.example.com 300 TXT " + long,
				"new.example.com 300 A 192.0.2.20",
				"old.example.com 120 A 192.0.2.10,192.0.2.11",
				"www.example.com 300 CNAME lb.example.net",
			}
			if got := recordsText(t, p, "example.com"); !slices.Equal(got, want) {
				t.Errorf("records:\n got %q\nwant %q", got, want)
			}
			if err := p.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("x.example.com", "A", 0, "192.0.2.1"))}); err != nil {
				t.Fatal(err)
			}
			if ok, err := p.Unchanged(ctx, zone); err != nil || !ok {
				t.Fatalf("Unchanged after our own Apply with failures = %v, %v; want true", ok, err)
			}
			if err := srv.Update(ctx, "example.com", []dns.RR{mustRR(t, "foreign.example.com. 300 IN A 192.0.2.99")}); err != nil {
				t.Fatal(err)
			}
			if ok, err := p.Unchanged(ctx, zone); err != nil || ok {
				t.Fatalf("Unchanged after a foreign write = %v, %v; want false", ok, err)
			}

			if _, err := p.Records(ctx, zoneOf("other.example")); err == nil || !strings.Contains(err.Error(), "other.example") {
				t.Errorf("Records of a zone refusing AXFR: %v, want an error naming it", err)
			} else {
				t.Logf("AXFR refused: %v", err)
			}
			if err := p.Apply(ctx, zoneOf("other.example"), []provider.Change{providertest.CreateOf(ep("a.other.example", "A", 0, "192.0.2.1"))}); err != nil {
				t.Errorf("Apply to the zone without AXFR: %v", err)
			}
			if _, err := p.Records(ctx, zone); err != nil {
				t.Errorf("Records of example.com after the other zone's refusal: %v", err)
			}
		})
	}
}

// TestOversizedRRsetIsolated: BIND refuses an UPDATE that would put a 101st record in one
// RRset (max-records-per-type, default 100) with SERVFAIL; bisection isolates that change.
func TestOversizedRRsetIsolated(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}})
	p := serverProvider(t, srv, nil)
	ctx := context.Background()
	var targets []string
	for i := range 101 {
		targets = append(targets, fmt.Sprintf("10.0.%d.%d", i/250, i%250+1))
	}
	var changes []provider.Change
	for i := range 40 {
		changes = append(changes, providertest.CreateOf(ep(fmt.Sprintf("h%d.example.com", i), "A", 0, "192.0.2.1"), ep(fmt.Sprintf("a-h%d.example.com", i), "TXT", 0, ownerTXT)))
	}
	changes = slices.Insert(changes, 23, providertest.CreateOf(ep("big.example.com", "A", 0, targets...)))
	before, err := srv.Serial(ctx, "example.com")
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(ctx, zoneOf("example.com"), changes)
	if got := failedIndexes(t, err, changes); !slices.Equal(got, []int{23}) {
		t.Fatalf("failed = %v, want [23]: %v", got, err)
	}
	t.Logf("server answer: %v", err)
	if !strings.Contains(err.Error(), "SERVFAIL") {
		t.Errorf("the failure does not carry the server's SERVFAIL: %v", err)
	}
	if got := len(recordsText(t, p, "example.com")); got != 80 {
		t.Errorf("%d RRsets landed, want 80", got)
	}
	after, _ := srv.Serial(ctx, "example.com")
	t.Logf("%d accepted UPDATE messages for 40 good changes around one bad one", after-before)
}

// TestApplyStopsWhenServerGoesAway: the connection to BIND9 closes after the server has
// applied the sixth UPDATE message but before its answer arrives. Apply stops with that
// message's Change unknown and the later ones not attempted, and the Changes it does not
// list are exactly those the server holds.
func TestApplyStopsWhenServerGoesAway(t *testing.T) {
	const cut = 6 // the message whose answer is lost
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{
		Zones:        []string{"example.com"},
		ExtraRecords: map[string][]string{"example.com": {"h2 300 A 192.0.2.99"}},
	})
	p := serverProvider(t, srv, func(c *Config) {
		c.Hosts = []string{cuttingProxy(t, srv.Addr, cut)}
		c.BatchChangeSize = 1
	})
	p.serials["example.com"] = serialState{transferred: 1}
	var changes []provider.Change
	for i := range 12 {
		name := fmt.Sprintf("h%d.example.com", i)
		changes = append(changes, providertest.CreateOf(ep(name, "A", 0, "192.0.2.1"), ep("a-"+name, "TXT", 0, ownerTXT)))
	}
	err := p.Apply(context.Background(), zoneOf("example.com"), changes)
	t.Logf("Apply: %v", err)

	var ae *provider.ApplyError
	if !errors.As(err, &ae) || ae.Stopped == nil || !strings.HasPrefix(ae.Stopped.Error(), "rfc2136: zone example.com: server 127.0.0.1:") {
		t.Fatalf("Apply: %v, want an *provider.ApplyError stopped at the server", err)
	}
	// h2 exists: its create is refused in its own message, the third.
	if got := failedIndexes(t, err, changes); !slices.Equal(got, []int{2}) || !errors.Is(ae.Failed[0].Err, provider.ErrRRsetExists) {
		t.Errorf("failed %v (%v), want [2] refused as existing", got, ae.Failed)
	}
	index := func(c provider.Change) int {
		return slices.IndexFunc(changes, func(o provider.Change) bool { return o.Main().New == c.Main().New })
	}
	if len(ae.Unknown) != 1 || index(ae.Unknown[0]) != cut-1 {
		t.Fatalf("unknown %v, want the change of message %d alone", ae.Unknown, cut)
	}
	var notAttempted []int
	for _, c := range ae.NotAttempted {
		notAttempted = append(notAttempted, index(c))
	}
	if want := []int{6, 7, 8, 9, 10, 11}; !slices.Equal(notAttempted, want) {
		t.Errorf("not attempted %v, want %v", notAttempted, want)
	}
	if _, known := p.serials["example.com"]; known {
		t.Errorf("the serial is still counted after an Apply that stopped")
	}

	// The server holds the unlisted changes, and the unknown one, which it applied
	// before the connection went: nothing else of ours.
	held := map[string]bool{}
	for _, line := range recordsText(t, serverProvider(t, srv, nil), "example.com") {
		held[strings.Fields(line)[0]] = true
	}
	outcome := provider.OutcomeOf(changes, err)
	for i, c := range changes {
		name := c.Main().New.DNSName
		applied := slices.ContainsFunc(outcome.Applied, func(a provider.Change) bool { return a.Main().New == c.Main().New })
		wantHeld := applied || i == cut-1 || i == 2 // h2 was there before
		if held[name] != wantHeld || held["a-"+name] != (applied || i == cut-1) {
			t.Errorf("change %d (applied %t): server holds %s %t and its ownership record %t", i, applied, name, held[name], held["a-"+name])
		}
	}
	if len(outcome.Applied) != 4 {
		t.Errorf("applied %d changes, want 4", len(outcome.Applied))
	}
}

// cuttingProxy relays DNS over TCP from one client connection to upstream and back, up
// to UPDATE message number cut (queries, such as the one explaining a refusal, are not
// counted): that one it forwards and waits for upstream to answer, then closes the
// client's connection without relaying the answer, as a server that fails right after
// applying an UPDATE would look. It accepts only one connection, as one Apply opens, and
// returns its address.
func cuttingProxy(t *testing.T, upstream string, cut int) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	go func() {
		defer close(done)
		client, err := l.Accept()
		l.Close()
		if err != nil {
			return
		}
		defer client.Close()
		server, err := net.Dial("tcp", upstream)
		if err != nil {
			return
		}
		defer server.Close()
		for n := 0; ; {
			msg, err := readTCPMessage(client)
			if err != nil {
				return
			}
			if len(msg) > 4 && int(msg[4]>>3&0xf) == dns.OpcodeUpdate {
				n++
			}
			if _, err := server.Write(msg); err != nil {
				return
			}
			answer, err := readTCPMessage(server)
			if err != nil || n == cut {
				return
			}
			if _, err := client.Write(answer); err != nil {
				return
			}
		}
	}()
	return l.Addr().String()
}

// readTCPMessage reads one DNS message with its TCP length prefix.
func readTCPMessage(r io.Reader) ([]byte, error) {
	msg := make([]byte, 2)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	msg = append(msg, make([]byte, binary.BigEndian.Uint16(msg))...)
	_, err := io.ReadFull(r, msg[2:])
	return msg, err
}

func TestTSIGAlgorithms(t *testing.T) {
	for _, alg := range []string{"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}, Algorithm: alg})
			p := serverProvider(t, srv, func(c *Config) { c.TSIG.Algorithm = strings.ToUpper(alg) })
			ctx := context.Background()
			if err := p.Apply(ctx, zoneOf("example.com"), []provider.Change{providertest.CreateOf(ep("a.example.com", "A", 0, "192.0.2.1"))}); err != nil {
				t.Fatal(err)
			}
			if got := recordsText(t, p, "example.com"); !slices.Equal(got, []string{"a.example.com 300 A 192.0.2.1"}) {
				t.Fatalf("records = %q", got)
			}
			wrong := serverProvider(t, srv, func(c *Config) { c.TSIG.Secret = testSecret })
			if err := wrong.Apply(ctx, zoneOf("example.com"), []provider.Change{providertest.CreateOf(ep("b.example.com", "A", 0, "192.0.2.1"))}); err == nil || provider.FailedChanges(err) != nil {
				t.Fatalf("Apply with a wrong secret = %v, want a zone error", err)
			}
		})
	}
}

// recorder is a provider.CallObserver that keeps what it was told.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) ObserveCall(op string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf("%s %t", op, err == nil))
}

func TestFailoverAndObserver(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.Knot, dnsserver.Config{Zones: []string{"example.com"}})
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there any more: connections are refused
	obs := &recorder{}
	p := serverProvider(t, srv, func(c *Config) {
		c.Hosts = []string{deadAddr, srv.Addr}
		c.Observer = obs
	})
	ctx := context.Background()
	zone := zoneOf("example.com")
	if _, err := p.Records(ctx, zone); err != nil {
		t.Fatal(err)
	}
	if p.preferred.Load() != 1 {
		t.Errorf("the live host is not remembered")
	}
	if err := p.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("a.example.com", "A", 0, "192.0.2.1")), providertest.CreateOf(ep("a.example.com", "A", 0, "192.0.2.1"))}); len(provider.FailedChanges(err)) != 1 {
		t.Fatalf("Apply = %v, want the second create refused", err)
	}
	if ok, err := p.Unchanged(ctx, zone); !ok || err != nil {
		t.Fatalf("Unchanged = %v, %v", ok, err)
	}
	// The two creates of one RRset go in separate messages: the second is refused, and a
	// query finds what stands in its way.
	want := []string{"axfr true", "update true", "update false", "query true", "soa true"}
	if !slices.Equal(obs.calls, want) {
		t.Errorf("observed %q, want %q", obs.calls, want)
	}

	down := serverProvider(t, srv, func(c *Config) { c.Hosts = []string{deadAddr} })
	err = down.Apply(ctx, zone, []provider.Change{providertest.CreateOf(ep("b.example.com", "A", 0, "192.0.2.1"))})
	if err == nil || provider.FailedChanges(err) != nil || !strings.Contains(err.Error(), "no server reachable") {
		t.Fatalf("Apply with no live host = %v, want a zone error", err)
	}
}

// BenchmarkConverge writes 10,000 A records and their 10,000 ownership TXT records into
// an empty zone through one Apply, and reports the UPDATE messages it took (the SOA
// serial's rise): with messages as full as fit, and capped at 50 changes as
// --rfc2136-batch-change-size=50 does.
func BenchmarkConverge(b *testing.B) {
	for _, bc := range []struct {
		kind       dnsserver.Kind
		batchLimit int
	}{{dnsserver.BIND9, 0}, {dnsserver.Knot, 0}, {dnsserver.BIND9, 50}, {dnsserver.Knot, 50}} {
		name := string(bc.kind)
		if bc.batchLimit > 0 {
			name += fmt.Sprintf("/batch%d", bc.batchLimit)
		}
		b.Run(name, func(b *testing.B) {
			changes := convergeChanges(10000)
			ctx := context.Background()
			var messages, checks uint32
			for b.Loop() {
				b.StopTimer()
				srv := dnsserver.StartT(b, bc.kind, dnsserver.Config{Zones: []string{"example.com"}})
				p := serverProvider(b, srv, func(c *Config) { c.BatchChangeSize = bc.batchLimit })
				before, err := srv.Serial(ctx, "example.com")
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := p.Apply(ctx, zoneOf("example.com"), changes); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				after, _ := srv.Serial(ctx, "example.com")
				messages = after - before
				if _, err := p.Records(ctx, zoneOf("example.com")); err != nil {
					b.Fatal(err)
				}
				if ok, err := p.Unchanged(ctx, zoneOf("example.com")); err != nil || !ok {
					b.Fatalf("Unchanged = %v, %v", ok, err)
				}
				checks++
				if err := srv.Stop(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(messages), "updates/op")
			b.ReportMetric(float64(checks)/float64(b.N), "soa-checks/op")
		})
	}
}
