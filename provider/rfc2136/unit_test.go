package rfc2136

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/internal/rrdata"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

const testSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0" // base64 of "secret-secret-secret-secret"

func validConfig() Config {
	return Config{Hosts: []string{"127.0.0.1"}, Zones: []string{"Example.COM."}, TSIG: TSIG{KeyName: "k", Secret: testSecret}}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string // substring of the error; empty: valid
	}{
		{"valid", func(*Config) {}, ""},
		{"no hosts", func(c *Config) { c.Hosts = nil }, "no host"},
		{"bad host port", func(c *Config) { c.Hosts = []string{"h:99999"} }, `host "h:99999"`},
		{"no zones", func(c *Config) { c.Zones = nil }, "no zone"},
		{"bad zone", func(c *Config) { c.Zones = []string{"a..b"} }, `zone "a..b"`},
		{"bad algorithm", func(c *Config) { c.TSIG.Algorithm = "hmac-md5" }, `algorithm "hmac-md5"`},
		{"algorithm spelled with dot and case", func(c *Config) { c.TSIG.Algorithm = "HMAC-SHA512." }, ""},
		{"missing key", func(c *Config) { c.TSIG = TSIG{} }, "required"},
		{"secret not base64", func(c *Config) { c.TSIG.Secret = "not base64!" }, "base64"},
		{"insecure with key", func(c *Config) { c.Insecure = true }, "insecure"},
		{"insecure", func(c *Config) { c.Insecure = true; c.TSIG = TSIG{} }, ""},
		{"negative TTL", func(c *Config) { c.MinTTL = -1 }, "min TTL"},
		{"negative batch", func(c *Config) { c.BatchChangeSize = -1 }, "batch change size"},
		{"message too big", func(c *Config) { c.MaxMessageBytes = 65535 }, "max message bytes"},
		{"message too small", func(c *Config) { c.MaxMessageBytes = 100 }, "max message bytes"},
		{"TLS options without TLS", func(c *Config) { c.SkipTLSVerify = true }, "TLS is off"},
		{"cert without key", func(c *Config) { c.UseTLS = true; c.CertFile = "x" }, "both files"},
		{"missing CA file", func(c *Config) { c.UseTLS = true; c.CAFile = "/nonexistent" }, "CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.modify(&cfg)
			p, err := New(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if p == nil {
					t.Fatal("New returned nil provider")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestZonesNormalised(t *testing.T) {
	cfg := validConfig()
	cfg.Zones = []string{"b.example.", "A.example", "a.example."}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	zones, _ := p.Zones(context.Background())
	want := []provider.Zone{{ID: "a.example", Name: "a.example"}, {ID: "b.example", Name: "b.example"}}
	if !slices.Equal(zones, want) {
		t.Fatalf("Zones = %v, want %v", zones, want)
	}
	if _, err := p.Records(context.Background(), provider.Zone{Name: "c.example"}); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("Records of an unknown zone: %v", err)
	}
	if _, err := p.Records(context.Background(), zones[0]); err == nil || !strings.Contains(err.Error(), "--rfc2136-axfr") {
		t.Fatalf("Records without AXFR: %v", err)
	}
}

func TestHostAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ns1.example.com", "ns1.example.com:53"},
		{"ns1.example.com:5353", "ns1.example.com:5353"},
		{"192.0.2.1", "192.0.2.1:53"},
		{"::1", "[::1]:53"},
		{"[::1]", "[::1]:53"},
		{"[::1]:54", "[::1]:54"},
		{"", ""},
		{"h:0", ""},
		{"h:x", ""},
	}
	for _, tt := range tests {
		got, err := hostAddress(tt.in, 53)
		if tt.want == "" {
			if err == nil {
				t.Errorf("hostAddress(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("hostAddress(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMaxMessageBytesDefaultLeavesRoomForTSIG(t *testing.T) {
	cfg := validConfig()
	cfg.TSIG.KeyName = strings.Repeat("k", 63) + "." + strings.Repeat("k", 63)
	cfg.TSIG.Algorithm = "hmac-sha512"
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := updateMessage("example.com", nil)
	m.Extra = append(m.Extra, make([]dns.RR, 0)...)
	m.SetTsig(p.s.keyName, p.s.algorithm, tsigFudge, 1)
	signed, _, err := dns.TsigGenerate(m, p.s.secret, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if overhead := len(signed) - m.Len(); p.s.maxMessageBytes+overhead > maxTCPMessage {
		t.Fatalf("default max %d + TSIG %d exceeds %d", p.s.maxMessageBytes, overhead, maxTCPMessage)
	}
}

func mustRR(t testing.TB, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestGroupTransfer(t *testing.T) {
	long := strings.Repeat("x", 300)
	rrs := []dns.RR{
		mustRR(t, "example.com. 3600 IN SOA ns.example.com. admin.example.com. 7 1 2 3 4"),
		mustRR(t, "example.com. 3600 IN NS ns.example.com."),
		mustRR(t, "App.example.com. 60 IN A 192.0.2.2"),
		mustRR(t, "app.example.com. 60 IN A 192.0.2.1"),
		mustRR(t, `a-app.example.com. 300 IN TXT "heritage=external-dns,external-dns/owner=default" `),
		mustRR(t, `long.example.com. 300 IN TXT "`+long[:255]+`" "`+long[255:]+`"`),
		mustRR(t, `esc.example.com. 300 IN TXT "a\"b\\c\009"`),
		mustRR(t, "www.example.com. 300 IN CNAME lb.example.net."),
		mustRR(t, "example.com. 300 IN MX 10 mail.example.com."),
		mustRR(t, "x.example.com. 300 IN TYPE65534 \\# 3 010203"),
		mustRR(t, "example.com. 3600 IN SOA ns.example.com. admin.example.com. 7 1 2 3 4"),
	}
	eps, serial, err := groupTransfer("example.com", rrs)
	if err != nil {
		t.Fatal(err)
	}
	if serial != 7 {
		t.Errorf("serial = %d, want 7", serial)
	}
	var got []string
	for _, e := range eps {
		got = append(got, fmt.Sprintf("%s %d %s %s", e.DNSName, e.RecordTTL, e.RecordType, strings.Join(e.Targets, "|")))
	}
	want := []string{
		`a-app.example.com 300 TXT "heritage=external-dns,external-dns/owner=default"`,
		"app.example.com 60 A 192.0.2.2|192.0.2.1",
		"esc.example.com 300 TXT \"a\"b\\c\t\"",
		"example.com 300 MX 10 mail.example.com",
		"example.com 3600 NS ns.example.com",
		"example.com 3600 SOA ns.example.com admin.example.com 7 1 2 3 4",
		`long.example.com 300 TXT "` + long + `"`,
		"www.example.com 300 CNAME lb.example.net",
		`x.example.com 300 TYPE65534 \# 3 010203`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("groupTransfer:\n got %q\nwant %q", got, want)
	}
}

func TestGroupTransferErrors(t *testing.T) {
	soa := "example.com. 3600 IN SOA ns.example.com. admin.example.com. 7 1 2 3 4"
	tests := []struct {
		name string
		rrs  []string
		want string
	}{
		{"no SOA", []string{"a.example.com. 1 IN A 192.0.2.1"}, "no SOA"},
		{"outside", []string{soa, "a.example.org. 1 IN A 192.0.2.1", soa}, "outside the zone"},
		{"suffix is not a subdomain", []string{soa, "a.badexample.com. 1 IN A 192.0.2.1", soa}, "outside the zone"},
		{"class", []string{soa, "a.example.com. 1 CH A 192.0.2.1", soa}, "class IN"},
		{"two SOA", []string{soa, soa, "a.example.com. 1 IN A 192.0.2.1", soa}, "more than one SOA"},
		{"SOA below apex", []string{"a.example.com. 3600 IN SOA ns. a. 1 1 1 1 1"}, "not at the zone apex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rrs []dns.RR
			for _, s := range tt.rrs {
				rrs = append(rrs, mustRR(t, s))
			}
			if _, _, err := groupTransfer("example.com", rrs); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestRecordsRoundTrip checks that targets written by endpointRecords read back as the
// same targets through the wire format.
func TestRecordsRoundTrip(t *testing.T) {
	tests := []struct {
		recordType string
		targets    []string
	}{
		{"A", []string{"192.0.2.1", "192.0.2.2"}},
		{"AAAA", []string{"2001:db8::1"}},
		{"CNAME", []string{"lb.example.net"}},
		{"TXT", []string{`"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/ns/name"`}},
		{"TXT", []string{`"` + strings.Repeat("0123456789", 60) + `"`}},
		{"TXT", []string{`"quote\" backslash\\ tab` + "\t" + `"`}},
		{"TXT", []string{`""`}},
		{"MX", []string{"10 mail.example.com"}},
		{"SRV", []string{"0 50 30080 app.example.com"}},
		{"NS", []string{"ns1.example.net"}},
	}
	for _, tt := range tests {
		t.Run(tt.recordType, func(t *testing.T) {
			e := endpoint.New("x.example.com", tt.recordType, 0, tt.targets...)
			rrs, err := endpointRecords(e, 300)
			if err != nil {
				t.Fatal(err)
			}
			var back []string
			for _, rr := range rrs {
				if rr.Header().Ttl != 300 {
					t.Errorf("TTL %d, want the default 300", rr.Header().Ttl)
				}
				buf := make([]byte, dns.Len(rr)+10)
				n, err := dns.PackRR(rr, buf, 0, nil, false)
				if err != nil {
					t.Fatal(err)
				}
				unpacked, _, err := dns.UnpackRR(buf[:n], 0)
				if err != nil {
					t.Fatal(err)
				}
				if txt, ok := unpacked.(*dns.TXT); ok {
					for _, s := range txt.Txt {
						if len(rrdata.UnescapeTXT(s)) > 255 {
							t.Errorf("character-string of %d bytes", len(rrdata.UnescapeTXT(s)))
						}
					}
				}
				back = append(back, rrdata.Target(unpacked))
			}
			if !slices.Equal(back, tt.targets) {
				t.Errorf("round trip: got %q, want %q", back, tt.targets)
			}
		})
	}
}

func TestEndpointRecordsRefuses(t *testing.T) {
	withSetID := endpoint.New("a.example.com", "A", 0, "192.0.2.1")
	withSetID.SetIdentifier = "eu"
	tests := []struct {
		name string
		e    *endpoint.Endpoint
		want string
	}{
		{"set identifier", withSetID, "set identifier"},
		{"SOA", endpoint.New("example.com", "SOA", 0, "a b 1 1 1 1 1"), "SOA"},
		{"bad A", endpoint.New("a.example.com", "A", 0, "not-an-ip"), "not-an-ip"},
		{"A with IPv6", endpoint.New("a.example.com", "A", 0, "2001:db8::1"), "2001:db8::1"},
		{"line break", endpoint.New("a.example.com", "CNAME", 0, "a\nb"), "line break"},
		{"TTL", endpoint.New("a.example.com", "A", 1<<40, "192.0.2.1"), "TTL"},
		{"no targets", endpoint.New("a.example.com", "A", 0), "no targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := endpointRecords(tt.e, 300); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func create(name, recordType string, targets ...string) provider.Change {
	return provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: endpoint.New(name, recordType, 0, targets...)}}}
}

func TestUpdateOf(t *testing.T) {
	old := endpoint.New("a.example.com", "A", 60, "192.0.2.1", "192.0.2.2")
	updated := endpoint.New("a.example.com", "A", 120, "192.0.2.3")
	tests := []struct {
		name    string
		change  provider.Change
		prereq  []string
		updates []string
		wantErr string
	}{
		{
			name:    "create",
			change:  create("a.example.com", "A", "192.0.2.1"),
			prereq:  []string{"a.example.com.\t0\tNONE\tA\t", "a.example.com.\t0\tNONE\tCNAME\t"},
			updates: []string{"a.example.com.\t300\tIN\tA\t192.0.2.1"},
		},
		{
			name:    "create CNAME",
			change:  create("www.example.com", "CNAME", "lb.example.net"),
			prereq:  []string{"www.example.com.\t0\tNONE\tANY\t"},
			updates: []string{"www.example.com.\t300\tIN\tCNAME\tlb.example.net."},
		},
		{
			name:    "update CNAME",
			change:  providertest.UpdateOf(endpoint.New("www.example.com", "CNAME", 0, "old.example.net"), endpoint.New("www.example.com", "CNAME", 0, "new.example.net")),
			prereq:  []string{"www.example.com.\t0\tIN\tCNAME\told.example.net."},
			updates: []string{"www.example.com.\t0\tCLASS255\tCNAME\t", "www.example.com.\t300\tIN\tCNAME\tnew.example.net."},
		},
		{
			name:    "update",
			change:  provider.Change{Records: []provider.RecordChange{{Op: provider.OpUpdate, Old: old, New: updated}}},
			prereq:  []string{"a.example.com.\t0\tIN\tA\t192.0.2.1", "a.example.com.\t0\tIN\tA\t192.0.2.2"},
			updates: []string{"a.example.com.\t0\tCLASS255\tA\t", "a.example.com.\t120\tIN\tA\t192.0.2.3"},
		},
		{
			name:    "delete",
			change:  provider.Change{Records: []provider.RecordChange{{Op: provider.OpDelete, Old: old}}},
			prereq:  []string{"a.example.com.\t0\tIN\tA\t192.0.2.1", "a.example.com.\t0\tIN\tA\t192.0.2.2"},
			updates: []string{"a.example.com.\t0\tCLASS255\tA\t"},
		},
		{name: "outside", change: create("a.badexample.com", "A", "192.0.2.1"), wantErr: "outside"},
		{name: "update renames", change: provider.Change{Records: []provider.RecordChange{{Op: provider.OpUpdate, Old: old, New: endpoint.New("b.example.com", "A", 0, "192.0.2.1")}}}, wantErr: "another name"},
		{name: "create without new", change: provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate}}}, wantErr: "needs a new record"},
		{name: "bad name", change: create("a b.example.com", "A", "192.0.2.1"), wantErr: "a b.example.com"},
		{name: "unknown type", change: create("a.example.com", "BOGUS", "x"), wantErr: "unknown record type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := updateOf("example.com", tt.change, 300)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := rrStrings(u.prereq); !slices.Equal(got, tt.prereq) {
				t.Errorf("prereq = %q, want %q", got, tt.prereq)
			}
			if got := rrStrings(u.updates); !slices.Equal(got, tt.updates) {
				t.Errorf("updates = %q, want %q", got, tt.updates)
			}
		})
	}
}

func rrStrings(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	return out
}

// testUnit is c as the unit of index i in example.com.
func testUnit(t testing.TB, i int, c provider.Change) unit {
	t.Helper()
	u, err := updateOf("example.com", c, 300)
	if err != nil {
		t.Fatal(err)
	}
	return unit{Index: i, Change: c, Wire: u}
}

// hostCreates are n creates of an A record each.
func hostCreates(n int) []provider.Change {
	changes := make([]provider.Change, n)
	for i := range changes {
		changes[i] = create(fmt.Sprintf("host-%d.example.com", i), "A", "192.0.2.1")
	}
	return changes
}

func testUnits(t testing.TB, n int) []unit {
	t.Helper()
	units := make([]unit, n)
	for i, c := range hostCreates(n) {
		units[i] = testUnit(t, i, c)
	}
	return units
}

// packAll runs packBatches over units and collects every run.
func packAll(zone string, units []unit, maxBytes, maxChanges int) (batches [][]unit, tooBig []unit) {
	tooBig = packBatches(zone, slices.Values(units), maxBytes, maxChanges, func(b []unit) bool {
		batches = append(batches, b)
		return true
	})
	return batches, tooBig
}

// The first run must go out after converting about one message's worth of Changes, not
// all of them, and a caller that stops must stop the conversion too.
func TestPackBatchesConvertsAsItGoes(t *testing.T) {
	units := testUnits(t, 20000)
	for _, tt := range []struct {
		name       string
		maxChanges int
		runs       int // emitted before emit says stop
	}{
		{"one run, bytes only", 0, 1},
		{"three runs, bytes only", 0, 3},
		{"one run, count cap", 10, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			asked, emitted, packed := 0, 0, 0
			counted := func(yield func(unit) bool) {
				for _, u := range units {
					asked++
					if !yield(u) {
						return
					}
				}
			}
			packBatches("example.com", counted, 65000, tt.maxChanges, func(b []unit) bool {
				emitted++
				packed += len(b)
				return emitted < tt.runs
			})
			if emitted != tt.runs {
				t.Fatalf("emitted %d runs, want %d", emitted, tt.runs)
			}
			// At most the lookahead, doubled as often as a message had room for more.
			if limit := 2 * max(packLookahead, packed); asked > limit {
				t.Errorf("converted %d units to cut %d runs of %d units in all, want at most %d", asked, emitted, packed, limit)
			}
		})
	}
}

func TestPackBatches(t *testing.T) {
	big := testUnit(t, 1000, create("big.example.com", "TXT", `"`+strings.Repeat("x", 5000)+`"`))
	// The big unit gets the last index, len(units) before it is added.
	withBig := func(units []unit) []unit {
		big.Index = len(units)
		return append(units[:500:500], append([]unit{big}, units[500:]...)...)
	}
	hosts, mixed := withBig(testUnits(t, 1000)), withBig(mixedUnits(t, 3000))
	tests := []struct {
		name       string
		units      []unit
		maxBytes   int
		maxChanges int
		wantTooBig int
	}{
		{"bytes only", hosts, 65000, 0, 0},
		{"count cap", hosts, 65000, 50, 0},
		{"small messages", hosts, 2000, 0, 1},
		{"count and bytes", hosts, 4000, 7, 1},
		{"mixed, past the pointer limit", mixed, 65000, 0, 0},
		{"mixed, small messages", mixed, 3000, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			units := tt.units
			batches, tooBig := packAll("example.com", units, tt.maxBytes, tt.maxChanges)
			if len(tooBig) != tt.wantTooBig {
				t.Fatalf("tooBig = %d, want %d", len(tooBig), tt.wantTooBig)
			}
			var seen []int
			for i, b := range batches {
				if l := updateMessage("example.com", b).Len(); l > tt.maxBytes {
					t.Errorf("batch %d is %d bytes, over %d", i, l, tt.maxBytes)
				}
				if tt.maxChanges > 0 && len(b) > tt.maxChanges {
					t.Errorf("batch %d has %d changes, over %d", i, len(b), tt.maxChanges)
				}
				// Every batch is full: the unit that follows it would not fit.
				if at := slices.IndexFunc(units, func(u unit) bool { return u.Index == b[len(b)-1].Index }) + 1; at < len(units) && units[at].Index != len(units)-1 {
					next := units[at]
					more := append(slices.Clone(b), next)
					if (tt.maxChanges == 0 || len(more) <= tt.maxChanges) && updateMessage("example.com", more).Len() <= tt.maxBytes {
						t.Errorf("batch %d (%d changes) could have taken the next change", i, len(b))
					}
				}
				for _, u := range b {
					seen = append(seen, u.Index)
				}
			}
			for _, u := range tooBig {
				seen = append(seen, u.Index)
			}
			slices.Sort(seen)
			if len(seen) != len(units) || seen[0] != 0 || seen[len(seen)-1] != len(units)-1 {
				t.Fatalf("units lost or duplicated: %d of %d", len(seen), len(units))
			}
		})
	}
}

// mixedUnits are n units of every kind and shape packBatches meets: creates, updates
// and deletes, names at several depths and below wildcards, host names in record data,
// long TXT values.
func mixedUnits(t testing.TB, n int) []unit {
	t.Helper()
	units := make([]unit, 0, n)
	for i := 0; len(units) < n; i++ {
		name := fmt.Sprintf("h%d.%s.example.com", i, []string{"apps", "a.b.c", "x", "*.wild", "deep.er.still"}[i%5])
		var c provider.Change
		switch i % 6 {
		case 0:
			c = providertest.CreateOf(ep(name, "A", 0, "192.0.2.1", "192.0.2.2"), ep("a-"+name, "TXT", 0, ownerTXT))
		case 1:
			c = providertest.CreateOf(ep(name, "CNAME", 60, fmt.Sprintf("target-%d.apps.example.com", i)))
		case 2:
			c = providertest.UpdateOf(ep(name, "MX", 0, "10 mail.example.com", "20 mail.example.org"), ep(name, "MX", 0, fmt.Sprintf("10 mx%d.example.com", i)))
		case 3:
			c = providertest.DeleteOf(ep(name, "SRV", 0, fmt.Sprintf("0 5 443 svc-%d.apps.example.com", i)), ep("a-"+name, "TXT", 0, ownerTXT))
		case 4:
			c = providertest.CreateOf(ep(name, "TXT", 0, strings.Repeat("v", 300+i%200)))
		default:
			c = providertest.UpdateOf(ep(name, "AAAA", 0, "2001:db8::1"), ep(name, "AAAA", 300, "2001:db8::2"))
		}
		units = append(units, testUnit(t, len(units), c))
	}
	return units
}

// TestMessageEstimateIsABound checks that the estimate never undercounts a message,
// across the 16 KiB compression pointer limit, and stays close to the real size.
func TestMessageEstimateIsABound(t *testing.T) {
	units := mixedUnits(t, 1200)
	est := newMessageEstimate("example.com")
	bound := updateMessage("example.com", nil).Len()
	for i, u := range units {
		s := est.share(u.Wire)
		est.commit(s)
		bound += s.total
		if i%37 != 0 && i != len(units)-1 {
			continue
		}
		real := updateMessage("example.com", units[:i+1]).Len()
		if bound < real {
			t.Fatalf("after %d units the bound is %d bytes, the message %d", i+1, bound, real)
		}
		if i == len(units)-1 && real < 60000 {
			t.Fatalf("the test message is only %d bytes: it should cross the pointer limit many times over", real)
		}
		if slack := float64(bound-real) / float64(real); slack > 0.15 {
			t.Errorf("after %d units the bound %d is %.0f%% over the real %d bytes", i+1, bound, 100*slack, real)
		}
	}
}

// fakeServer refuses any message holding one of the bad units, as an atomic server does.
type fakeServer struct {
	bad      map[string]int // owner name -> rcode
	messages int
	applied  []string
	failWith error
}

func (f *fakeServer) exchange(_ context.Context, m *dns.Msg) (*dns.Msg, error) {
	f.messages++
	if f.failWith != nil {
		return nil, f.failWith
	}
	answer := new(dns.Msg).SetReply(m)
	for _, rr := range m.Ns {
		if rcode, ok := f.bad[rr.Header().Name]; ok {
			answer.Rcode = rcode
			answer.SetEdns0(dns.DefaultMsgSize, false)
			answer.IsEdns0().Option = append(answer.IsEdns0().Option, &dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeProhibited, ExtraText: "no"})
			return answer, nil
		}
	}
	for _, rr := range m.Ns {
		f.applied = append(f.applied, rr.Header().Name)
	}
	return answer, nil
}

// TestPackBatchesSeparates: no two units touching one RRset share a message, nor two
// touching one name when one of them touches its CNAME, since each would pass its
// prerequisites beside the other; other types of one name do share.
func TestPackBatchesSeparates(t *testing.T) {
	tests := []struct {
		name    string
		changes []provider.Change
		sizes   []int
	}{
		{"one RRset", []provider.Change{
			create("a.example.com", "A", "192.0.2.1"),
			create("b.example.com", "A", "192.0.2.1"),
			create("a.example.com", "A", "192.0.2.2"),
			create("a.example.com", "AAAA", "2001:db8::1"),
			create("b.example.com", "A", "192.0.2.2"),
		}, []int{2, 3}},
		{"a CNAME's name", []provider.Change{
			create("x.example.com", "A", "192.0.2.1"),
			create("x.example.com", "AAAA", "2001:db8::1"),
			create("x.example.com", "CNAME", "lb.example.net"),
			create("y.example.com", "CNAME", "lb.example.net"),
			create("y.example.com", "TXT", `"v"`),
			providertest.UpdateOf(ep("z.example.com", "CNAME", 0, "a.example.net"), ep("z.example.com", "CNAME", 0, "b.example.net")),
		}, []int{2, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var units []unit
			for i, c := range tt.changes {
				units = append(units, testUnit(t, i, c))
			}
			batches, _ := packAll("example.com", units, 65000, 0)
			var sizes []int
			for _, b := range batches {
				sizes = append(sizes, len(b))
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Fatalf("batch sizes = %v, want %v", sizes, tt.sizes)
			}
		})
	}
}

// TestApplyBisects runs apply against fakeServer: refused messages are bisected down to
// the refused Changes, and the others are applied.
func TestApplyBisects(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		bad        map[string]int
		wantFailed []int
	}{
		{"all good", 64, nil, nil},
		{"one bad", 64, map[string]int{"host-17.example.com.": dns.RcodeServerFailure}, []int{17}},
		{"three bad", 64, map[string]int{"host-0.example.com.": dns.RcodeYXRrset, "host-1.example.com.": dns.RcodeNXRrset, "host-63.example.com.": dns.RcodeRefused}, []int{0, 1, 63}},
		{"single bad", 1, map[string]int{"host-0.example.com.": dns.RcodeRefused}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &fakeServer{bad: tt.bad}
			changes := hostCreates(tt.n)
			accepted, err := unitProvider(t).apply(context.Background(), "example.com", changes, srv.exchange)
			var ae *provider.ApplyError
			if err != nil && (!errors.As(err, &ae) || ae.Stopped != nil) {
				t.Fatalf("apply: %v, want only refusals", err)
			}
			var failed []int
			for _, f := range provider.FailedChanges(err) {
				failed = append(failed, slices.IndexFunc(changes, func(c provider.Change) bool { return c.Main().New == f.Change.Main().New }))
				if !strings.Contains(f.Err.Error(), "server answered") || !strings.Contains(f.Err.Error(), "18 Prohibited: no") {
					t.Errorf("failure %q lacks the server's answer", f.Err)
				}
			}
			if !slices.Equal(failed, tt.wantFailed) {
				t.Errorf("failed = %v, want %v", failed, tt.wantFailed)
			}
			if len(srv.applied) != tt.n-len(tt.wantFailed) {
				t.Errorf("applied %d records, want %d", len(srv.applied), tt.n-len(tt.wantFailed))
			}
			if accepted == 0 && len(srv.applied) > 0 {
				t.Errorf("no accepted message counted")
			}
		})
	}
}

// TestApplyStops: a refusal of the whole zone and a failed exchange stop apply with the
// message in flight unknown and the rest not attempted; a malformed Change fails alone.
func TestApplyStops(t *testing.T) {
	tests := []struct {
		name                          string
		srv                           *fakeServer
		maxChanges                    int
		wantErr                       string
		wantUnknown, wantNotAttempted int
	}{
		{"not authorised", &fakeServer{bad: map[string]int{"host-3.example.com.": dns.RcodeNotAuth}}, 0, "NOTAUTH", 8, 0},
		{"connection reset", &fakeServer{failWith: errors.New("connection reset")}, 0, "connection reset", 8, 0},
		{"reset, small messages", &fakeServer{failWith: errors.New("connection reset")}, 3, "connection reset", 3, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := unitProvider(t)
			p.s.batchChangeSize = tt.maxChanges
			changes := append(hostCreates(8), provider.Change{})
			_, err := p.apply(context.Background(), "example.com", changes, tt.srv.exchange)
			var ae *provider.ApplyError
			if !errors.As(err, &ae) || ae.Stopped == nil || !strings.Contains(ae.Stopped.Error(), tt.wantErr) || !strings.HasPrefix(ae.Stopped.Error(), "rfc2136: zone example.com: ") {
				t.Fatalf("apply: %v, want a stop with %q", err, tt.wantErr)
			}
			if tt.srv.messages != 1 || len(ae.Unknown) != tt.wantUnknown || len(ae.NotAttempted) != tt.wantNotAttempted {
				t.Errorf("%d messages, %d unknown, %d not attempted; want 1, %d, %d", tt.srv.messages, len(ae.Unknown), len(ae.NotAttempted), tt.wantUnknown, tt.wantNotAttempted)
			}
			if len(ae.Failed) != 1 || len(ae.Failed[0].Change.Records) != 0 {
				t.Errorf("failed %v, want the empty change", ae.Failed)
			}
		})
	}
}

// unitProvider is a provider for example.com that is never meant to reach a server.
func unitProvider(t testing.TB) *Provider {
	t.Helper()
	p, err := New(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExplainWrapsStoreErrors(t *testing.T) {
	if err := explain(&RcodeError{Rcode: dns.RcodeYXRrset}); !errors.Is(err, provider.ErrRRsetExists) {
		t.Errorf("YXRRSET: %v", err)
	}
	if err := explain(&RcodeError{Rcode: dns.RcodeNXRrset}); !errors.Is(err, provider.ErrTargetsMismatch) {
		t.Errorf("NXRRSET: %v", err)
	}
	if err := explain(&RcodeError{Rcode: dns.RcodeYXDomain}); !errors.Is(err, ErrCNAMEConflict) {
		t.Errorf("YXDOMAIN: %v", err)
	}
	var rc *RcodeError
	if err := explain(&RcodeError{Rcode: dns.RcodeServerFailure}); !errors.As(err, &rc) || err.Error() != "server answered SERVFAIL" {
		t.Errorf("SERVFAIL: %v", err)
	}
}

func FuzzParseTSIG(f *testing.F) {
	f.Add("key", testSecret, "hmac-sha256", false)
	f.Add("Key.Example.", testSecret, "HMAC-SHA1.", false)
	f.Add("", "", "", true)
	f.Add("k", "!!", "hmac-md5", false)
	f.Fuzz(func(t *testing.T, name, secret, alg string, insecure bool) {
		keyName, sec, algorithm, err := parseTSIG(TSIG{KeyName: name, Secret: secret, Algorithm: alg}, insecure)
		if err != nil {
			return
		}
		if insecure {
			if keyName != "" || sec != "" || algorithm != "" {
				t.Fatalf("insecure gave a key %q", keyName)
			}
			return
		}
		if !strings.HasSuffix(keyName, ".") || keyName != strings.ToLower(keyName) {
			t.Fatalf("key name %q is not canonical", keyName)
		}
		if !slices.Contains([]string{dns.HmacSHA1, dns.HmacSHA224, dns.HmacSHA256, dns.HmacSHA384, dns.HmacSHA512}, algorithm) {
			t.Fatalf("algorithm %q", algorithm)
		}
		m := new(dns.Msg).SetQuestion("example.com.", dns.TypeSOA)
		m.SetTsig(keyName, algorithm, tsigFudge, 1)
		if _, _, err := dns.TsigGenerate(m, sec, "", false); err != nil {
			t.Fatalf("accepted key cannot sign: %v", err)
		}
	})
}

func FuzzGroupTransfer(f *testing.F) {
	f.Add("example.com. 3600 IN SOA ns.example.com. a.example.com. 1 1 1 1 1\na.example.com. 60 IN A 192.0.2.1\nexample.com. 3600 IN SOA ns.example.com. a.example.com. 1 1 1 1 1")
	f.Add("example.com. 1 IN SOA ns. a. 1 1 1 1 1\nt.example.com. 1 IN TXT \"a\\\"b\" \"c\\255\"")
	f.Add("x.example.com. 1 IN TYPE65534 \\# 2 0102")
	f.Fuzz(func(t *testing.T, text string) {
		zp := dns.NewZoneParser(strings.NewReader(text), "example.com.", "")
		var rrs []dns.RR
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			rrs = append(rrs, rr)
		}
		eps, _, err := groupTransfer("example.com", rrs)
		if err != nil {
			return
		}
		n := 0
		for _, e := range eps {
			if !endpoint.IsSubdomain(e.DNSName, "example.com") {
				t.Fatalf("%s outside the zone", e.DNSName)
			}
			n += len(e.Targets)
		}
		if n < len(rrs)-1 || n > len(rrs) {
			t.Fatalf("%d targets from %d records", n, len(rrs))
		}
	})
}

// convergeChanges are BenchmarkConverge's changes: n A records, each created with its
// ownership TXT record.
func convergeChanges(n int) []provider.Change {
	changes := make([]provider.Change, n)
	for i := range changes {
		name := fmt.Sprintf("app-%05d.example.com", i)
		txt := fmt.Sprintf(`"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/app-%05d"`, i)
		changes[i] = providertest.CreateOf(ep("a-"+name, "TXT", 0, txt), ep(name, "A", 0, fmt.Sprintf("10.%d.%d.1", i/256, i%256)))
	}
	return changes
}

// BenchmarkPrepareUpdates is the client's share of BenchmarkConverge without a server:
// 10,000 changes turned into units, packed into messages and each message packed to
// wire form (TSIG signing aside).
func BenchmarkPrepareUpdates(b *testing.B) {
	changes := convergeChanges(10000)
	var messages int
	for b.Loop() {
		units := make([]unit, len(changes))
		for i, c := range changes {
			units[i] = testUnit(b, i, c)
		}
		batches, tooBig := packAll("example.com", units, 65000, 0)
		if len(tooBig) > 0 {
			b.Fatal("a unit is too big")
		}
		for _, batch := range batches {
			if _, err := updateMessage("example.com", batch).Pack(); err != nil {
				b.Fatal(err)
			}
		}
		messages = len(batches)
	}
	b.ReportMetric(float64(messages), "messages/op")
}

// FuzzAddressRecord checks that the fast path for A and AAAA targets accepts only what
// the zone parser accepts, and builds the same record.
func FuzzAddressRecord(f *testing.F) {
	for _, seed := range []string{"192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1%eth0", "01.2.3.4", " 192.0.2.1", "192.0.2.1 x", "::", "0.0.0.0", "1.2.3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		for _, rrtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			hdr := dns.RR_Header{Name: "www.example.com.", Rrtype: rrtype, Class: dns.ClassINET, Ttl: 300}
			fast := addressRecord(hdr, target)
			if fast == nil {
				continue
			}
			parsed, err := dns.NewRR(fmt.Sprintf("www.example.com. 300 IN %s %s", dns.TypeToString[rrtype], target))
			if err != nil || parsed == nil {
				t.Fatalf("%s %q: fast path built %v, the parser refuses it: %v", dns.TypeToString[rrtype], target, fast, err)
			}
			if !dns.IsDuplicate(fast, parsed) || fast.String() != parsed.String() {
				t.Fatalf("%s %q: fast path built %v, the parser %v", dns.TypeToString[rrtype], target, fast, parsed)
			}
		}
	})
}

func TestAddressRecordFallsBack(t *testing.T) {
	tests := []struct {
		rrtype uint16
		target string
		fast   bool
	}{
		{dns.TypeA, "192.0.2.1", true},
		{dns.TypeAAAA, "2001:db8::1", true},
		{dns.TypeAAAA, "::ffff:192.0.2.1", true},
		{dns.TypeA, "::ffff:192.0.2.1", false},
		{dns.TypeAAAA, "192.0.2.1", false},
		{dns.TypeAAAA, "fe80::1%eth0", false},
		{dns.TypeA, "192.0.2.1 extra", false},
		{dns.TypeCNAME, "192.0.2.1", false},
	}
	for _, tt := range tests {
		hdr := dns.RR_Header{Name: "www.example.com.", Rrtype: tt.rrtype, Class: dns.ClassINET}
		if got := addressRecord(hdr, tt.target) != nil; got != tt.fast {
			t.Errorf("%s %q: fast path %v, want %v", dns.TypeToString[tt.rrtype], tt.target, got, tt.fast)
		}
	}
}
