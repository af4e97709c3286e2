package zonefile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
)

var exampleZone = provider.Zone{ID: "example.com", Name: "example.com"}

func newProvider(t *testing.T, dir string, zones ...string) *Provider {
	t.Helper()
	p, err := New(Config{Dir: dir, Zones: zones})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rec(name, recordType string, ttl endpoint.TTL, targets ...string) *endpoint.Endpoint {
	return endpoint.New(name, recordType, ttl, targets...)
}

// parseFile parses a written zone file with miekg/dns's own parser, as a DNS server
// would, failing the test if it does not parse.
func parseFile(t *testing.T, path string) []dns.RR {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zp := dns.NewZoneParser(f, "", path)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("written zone file does not parse: %v", err)
	}
	return rrs
}

func serialOf(t *testing.T, p *Provider, zone provider.Zone) uint32 {
	t.Helper()
	z, _, err := p.read(zone.Name)
	if err != nil {
		t.Fatal(err)
	}
	return z.soa.Serial
}

// recordLines renders records, leaving out the SOA (its serial changes) for brevity.
func recordLines(t *testing.T, p *Provider, zone provider.Zone) []string {
	t.Helper()
	eps, err := p.Records(context.Background(), zone)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range eps {
		if e.RecordType != recordTypeSOA {
			out = append(out, e.String())
		}
	}
	return out
}

func TestApplyRoundTrip(t *testing.T) {
	long := strings.Repeat("0123456789", 30)
	idn, err := endpoint.NormalizeName("bücher.example.com")
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		changes    []provider.Change
		wantFailed int
		want       []string // records after the step, SOA left out
		wantInFile []string // lines that must appear in the file
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "create, update, delete",
			steps: []step{
				{
					changes: []provider.Change{providertest.CreateOf(rec("app.example.com", "A", 60, "192.0.2.1"), rec("a-app.example.com", "TXT", 0, `"heritage=external-dns,external-dns/owner=default"`))},
					want: []string{
						`a-app.example.com 300 TXT "heritage=external-dns,external-dns/owner=default"`,
						"app.example.com 60 A 192.0.2.1",
						"example.com 300 NS localhost",
					},
					wantInFile: []string{"app.example.com.\t60\tIN\tA\t192.0.2.1", "a-app.example.com.\t300\tIN\tTXT\t\"heritage=external-dns,external-dns/owner=default\""},
				},
				{
					changes: []provider.Change{providertest.UpdateOf(rec("app.example.com", "A", 60, "192.0.2.1"), rec("app.example.com", "A", 120, "192.0.2.2", "192.0.2.3"))},
					want: []string{
						`a-app.example.com 300 TXT "heritage=external-dns,external-dns/owner=default"`,
						"app.example.com 120 A 192.0.2.2,192.0.2.3",
						"example.com 300 NS localhost",
					},
				},
				{
					changes: []provider.Change{providertest.DeleteOf(rec("app.example.com", "A", 120, "192.0.2.3", "192.0.2.2"), rec("a-app.example.com", "TXT", 0, `"heritage=external-dns,external-dns/owner=default"`))},
					want:    []string{"example.com 300 NS localhost"},
				},
			},
		},
		{
			name: "host names written absolute, read without the dot",
			steps: []step{{
				changes: []provider.Change{
					providertest.CreateOf(rec("www.example.com", "CNAME", 0, "lb.example.net")),
					providertest.CreateOf(rec("example.com", "MX", 0, "10 mail.example.net")),
					providertest.CreateOf(rec("_http._tcp.example.com", "SRV", 0, "0 5 80 www.example.com")),
				},
				want: []string{
					"_http._tcp.example.com 300 SRV 0 5 80 www.example.com",
					"example.com 300 MX 10 mail.example.net",
					"example.com 300 NS localhost",
					"www.example.com 300 CNAME lb.example.net",
				},
				wantInFile: []string{"\tCNAME\tlb.example.net.", "\tMX\t10 mail.example.net.", "\tSRV\t0 5 80 www.example.com."},
			}},
		},
		{
			name: "TXT over 255 bytes",
			steps: []step{{
				changes:    []provider.Change{providertest.CreateOf(rec("long.example.com", "TXT", 0, `"`+long+`"`))},
				want:       []string{"example.com 300 NS localhost", `long.example.com 300 TXT "` + long + `"`},
				wantInFile: []string{`"` + long[:255] + `" "` + long[255:] + `"`},
			}},
		},
		{
			name: "TXT with characters that need escaping",
			steps: []step{{
				changes:    []provider.Change{providertest.CreateOf(rec("odd.example.com", "TXT", 0, `"say "hi"; C:\dir é"`))},
				want:       []string{"example.com 300 NS localhost", `odd.example.com 300 TXT "say "hi"; C:\dir é"`},
				wantInFile: []string{`"say \"hi\"; C:\\dir \195\169"`},
			}},
		},
		{
			name: "IDN name in punycode",
			steps: []step{{
				changes:    []provider.Change{providertest.CreateOf(rec(idn, "A", 0, "192.0.2.1"))},
				want:       []string{"example.com 300 NS localhost", "xn--bcher-kva.example.com 300 A 192.0.2.1"},
				wantInFile: []string{"xn--bcher-kva.example.com.\t300\tIN\tA\t192.0.2.1"},
			}},
		},
		{
			name: "wildcard",
			steps: []step{{
				changes:    []provider.Change{providertest.CreateOf(rec("*.app.example.com", "A", 0, "192.0.2.1"), rec("a-wildcard.app.example.com", "TXT", 0, `"heritage=external-dns"`))},
				want:       []string{`*.app.example.com 300 A 192.0.2.1`, `a-wildcard.app.example.com 300 TXT "heritage=external-dns"`, "example.com 300 NS localhost"},
				wantInFile: []string{"*.app.example.com.\t300\tIN\tA\t192.0.2.1"},
			}},
		},
		{
			name: "apex records",
			steps: []step{{
				changes:    []provider.Change{providertest.CreateOf(rec("example.com", "A", 0, "192.0.2.1")), providertest.CreateOf(rec("example.com", "AAAA", 0, "2001:db8::1"))},
				want:       []string{"example.com 300 A 192.0.2.1", "example.com 300 AAAA 2001:db8::1", "example.com 300 NS localhost"},
				wantInFile: []string{"example.com.\t300\tIN\tA\t192.0.2.1"},
			}},
		},
		{
			name: "set identifier, SOA and bad data fail; properties are ignored",
			steps: []step{{
				changes: []provider.Change{
					providertest.CreateOf(&endpoint.Endpoint{DNSName: "w.example.com", RecordType: "A", Targets: endpoint.Targets{"192.0.2.1"}, SetIdentifier: "eu"}),
					providertest.UpdateOf(rec("example.com", "SOA", 0, "ns1.example.com hostmaster.example.com 0 3600 600 604800 300"), rec("example.com", "SOA", 0, "ns1.example.com hostmaster.example.com 7 3600 600 604800 300")),
					providertest.CreateOf(rec("caa.example.com", "CAA", 0, "0 issue")),
					providertest.CreateOf(rec("x.example.com", "TXT", 0, "a\nb 300 IN A 192.0.2.1")),
					providertest.CreateOf(&endpoint.Endpoint{DNSName: "p.example.com", RecordType: "A", Targets: endpoint.Targets{"192.0.2.1"}, ProviderSpecific: endpoint.ProviderSpecific{{Name: "aws/weight", Value: "10"}}}),
				},
				wantFailed: 4,
				want:       []string{"example.com 300 NS localhost", "p.example.com 300 A 192.0.2.1"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			p := newProvider(t, dir, "example.com")
			for i, s := range tt.steps {
				err := p.Apply(ctx, exampleZone, s.changes)
				if got := len(provider.FailedChanges(err)); got != s.wantFailed || (s.wantFailed == 0 && err != nil) {
					t.Fatalf("step %d: Apply error %v, want %d failed changes", i, err, s.wantFailed)
				}
				if got := recordLines(t, p, exampleZone); !slices.Equal(got, s.want) {
					t.Errorf("step %d: records\n got %q\nwant %q", i, got, s.want)
				}
				path := filepath.Join(dir, "example.com.zone")
				parseFile(t, path)
				content, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				for _, line := range s.wantInFile {
					if !strings.Contains(string(content), line) {
						t.Errorf("step %d: file lacks %q:\n%s", i, line, content)
					}
				}
			}
		})
	}
}

func TestApplyFailureMessages(t *testing.T) {
	tests := []struct {
		name   string
		change provider.Change
		want   string
	}{
		{
			name:   "set identifier",
			change: providertest.CreateOf(&endpoint.Endpoint{DNSName: "w.example.com", RecordType: "A", Targets: endpoint.Targets{"192.0.2.1"}, SetIdentifier: "eu"}),
			want:   `create w.example.com A [eu]: set identifier "eu" cannot be expressed in a zone file`,
		},
		{
			name:   "SOA",
			change: providertest.DeleteOf(rec("example.com", "SOA", 0, "ns1.example.com hostmaster.example.com 0 3600 600 604800 300")),
			want:   "delete example.com SOA: the SOA record is maintained by the zonefile provider",
		},
		{
			name:   "line break",
			change: providertest.CreateOf(rec("x.example.com", "TXT", 0, "a\nb")),
			want:   "a line break cannot be part of record data",
		},
		{
			name:   "label of 64 bytes",
			change: providertest.CreateOf(rec(strings.Repeat("a", 64)+".example.com", "A", 0, "192.0.2.1")),
			want:   "is 64 bytes long, the limit is 63",
		},
		{
			name:   "ownership name of 254 bytes",
			change: providertest.CreateOf(rec("b"+strings.Repeat("a.", 120)+"example.com", "A", 0, "192.0.2.1"), rec("a-b"+strings.Repeat("a.", 120)+"example.com", "TXT", 0, `"heritage=external-dns"`)),
			want:   "is 254 bytes long, the limit is 253",
		},
		{
			name:   "outside the zone",
			change: providertest.CreateOf(rec("x.example.org", "A", 0, "192.0.2.1")),
			want:   "x.example.org A: name is outside the zone example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, t.TempDir(), "example.com")
			err := p.Apply(context.Background(), exampleZone, []provider.Change{tt.change})
			failed := provider.FailedChanges(err)
			if len(failed) != 1 || !strings.Contains(failed[0].Err.Error(), tt.want) {
				t.Fatalf("Apply error %v, want one failed change mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSerial(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := newProvider(t, dir, "example.com")
	if got := serialOf(t, p, exampleZone); got != 0 {
		t.Fatalf("serial of a zone without a file = %d, want 0", got)
	}
	steps := []struct {
		name      string
		changes   []provider.Change
		want      uint32
		wantWrite bool
	}{
		{name: "no changes", changes: nil, want: 0},
		{name: "first change creates the file", changes: []provider.Change{providertest.CreateOf(rec("a.example.com", "A", 0, "192.0.2.1"))}, want: 1, wantWrite: true},
		{name: "several changes bump once", changes: []provider.Change{providertest.CreateOf(rec("b.example.com", "A", 0, "192.0.2.1")), providertest.CreateOf(rec("c.example.com", "A", 0, "192.0.2.1"))}, want: 2, wantWrite: true},
		{name: "no changes again", changes: []provider.Change{}, want: 2},
		{name: "only failing changes", changes: []provider.Change{providertest.CreateOf(rec("a.example.com", "A", 0, "192.0.2.9"))}, want: 2},
		{name: "some failing", changes: []provider.Change{providertest.CreateOf(rec("a.example.com", "A", 0, "192.0.2.9")), providertest.DeleteOf(rec("a.example.com", "A", 0, "192.0.2.1"))}, want: 3, wantWrite: true},
	}
	path := filepath.Join(dir, "example.com.zone")
	for _, s := range steps {
		before, _ := os.ReadFile(path)
		if err := p.Apply(ctx, exampleZone, s.changes); err != nil && provider.FailedChanges(err) == nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := serialOf(t, p, exampleZone); got != s.want {
			t.Errorf("%s: serial %d, want %d", s.name, got, s.want)
		}
		after, _ := os.ReadFile(path)
		if wrote := string(before) != string(after); wrote != s.wantWrite {
			t.Errorf("%s: file rewritten = %v, want %v", s.name, wrote, s.wantWrite)
		}
	}
	rrs := parseFile(t, path)
	want := "example.com.\t300\tIN\tSOA\tns1.example.com. hostmaster.example.com. 3 3600 600 604800 300"
	if rrs[0].String() != want || rrs[1].Header().Rrtype != dns.TypeNS {
		t.Errorf("file starts with %s, %s; want the SOA %q, then NS", rrs[0], rrs[1], want)
	}
}

const handWritten = `; written by hand
$ORIGIN example.com.
$TTL 3600
@       IN SOA ns1 hostmaster ( 2024010101 7200 900 1209600 600 )
        IN NS  ns1
        IN NS  ns2.example.net.
        IN MX  10 mail
        IN MX  20 mail.example.net.
        IN CAA 0 issue "letsencrypt.org"
        IN TXT "v=spf1 " "-all"
_sip._udp 600 IN SRV 10 60 5060 sip
opaque  IN TYPE65534 \# 3 010203
ns1     IN A   192.0.2.53
www     IN CNAME @
`

func TestUnmanagedRecordsPreserved(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "example.com.zone")
	if err := os.WriteFile(path, []byte(handWritten), 0o644); err != nil {
		t.Fatal(err)
	}
	before := parseFile(t, path)
	p := newProvider(t, dir)
	if err := p.Apply(ctx, exampleZone, []provider.Change{providertest.CreateOf(rec("app.example.com", "A", 0, "192.0.2.1"))}); err != nil {
		t.Fatal(err)
	}
	after := parseFile(t, path)
	written := map[string]bool{}
	for _, rr := range after {
		written[rr.String()] = true
	}
	for _, rr := range before {
		if soa, ok := rr.(*dns.SOA); ok {
			soa.Serial++
		}
		if !written[rr.String()] {
			t.Errorf("record %q was not preserved", rr)
		}
	}
	if len(after) != len(before)+1 {
		t.Errorf("%d records written, want %d", len(after), len(before)+1)
	}

	got := recordLines(t, p, exampleZone)
	want := []string{
		"_sip._udp.example.com 600 SRV 10 60 5060 sip.example.com",
		"app.example.com 300 A 192.0.2.1",
		`example.com 3600 CAA 0 issue "letsencrypt.org"`,
		"example.com 3600 MX 10 mail.example.com,20 mail.example.net",
		"example.com 3600 NS ns1.example.com,ns2.example.net",
		`example.com 3600 TXT "v=spf1 -all"`,
		"ns1.example.com 3600 A 192.0.2.53",
		`opaque.example.com 3600 TYPE65534 \# 3 010203`,
		"www.example.com 3600 CNAME example.com",
	}
	if !slices.Equal(got, want) {
		t.Errorf("records\n got %q\nwant %q", got, want)
	}
}

func TestMalformedFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{name: "bad address", content: "$ORIGIN example.com.\n@ 300 IN SOA ns1 hostmaster 1 2 3 4 5\nwww 300 IN A not-an-ip\n", want: []string{"example.com.zone", "line: 3"}},
		{name: "unterminated quote", content: "$ORIGIN example.com.\n@ 300 IN SOA ns1 hostmaster 1 2 3 4 5\n\nt 300 IN TXT \"open\n", want: []string{"example.com.zone", "line: 4"}},
		{name: "no SOA", content: "$ORIGIN example.com.\nwww 300 IN A 192.0.2.1\n", want: []string{"example.com.zone", "no SOA record"}},
		{name: "outside the zone", content: "$ORIGIN example.com.\n@ 300 IN SOA ns1 hostmaster 1 2 3 4 5\nwww.example.org. 300 IN A 192.0.2.1\n", want: []string{"example.com.zone", "outside the zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "example.com.zone")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			p := newProvider(t, dir)
			_, err := p.Records(context.Background(), exampleZone)
			if err == nil {
				t.Fatal("Records succeeded on a malformed file")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			applyErr := p.Apply(context.Background(), exampleZone, []provider.Change{providertest.CreateOf(rec("a.example.com", "A", 0, "192.0.2.1"))})
			if applyErr == nil || provider.FailedChanges(applyErr) != nil {
				t.Errorf("Apply on a malformed file: %v, want a zone-level error", applyErr)
			}
			if content, _ := os.ReadFile(path); string(content) != tt.content {
				t.Error("Apply rewrote a malformed file")
			}
		})
	}
}

func TestConcurrentProviders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	providers := []*Provider{newProvider(t, dir, "example.com"), newProvider(t, dir, "example.com")}
	const perProvider = 10
	var wg sync.WaitGroup
	for i, p := range providers {
		for j := range perProvider {
			wg.Go(func() {
				name := fmt.Sprintf("host-%d-%d.example.com", i, j)
				if err := p.Apply(ctx, exampleZone, []provider.Change{providertest.CreateOf(rec(name, "A", 0, "192.0.2.1"))}); err != nil {
					t.Errorf("Apply %s: %v", name, err)
				}
			})
		}
	}
	wg.Wait()
	got := recordLines(t, providers[0], exampleZone)
	if want := len(providers)*perProvider + 1; len(got) != want { // + the NS record
		t.Errorf("%d records after concurrent creates, want %d: %q", len(got), want, got)
	}
	if got, want := serialOf(t, providers[1], exampleZone), uint32(len(providers)*perProvider); got != want {
		t.Errorf("serial %d, want %d", got, want)
	}
}

func TestZones(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		config  []string
		want    []string
		wantErr string
	}{
		{name: "configured only", config: []string{"Example.COM.", "b.example"}, want: []string{"b.example", "example.com"}},
		{name: "files and configured, deduplicated", files: []string{"example.com.zone", "example.org.zone", "example.com.zone.lock", "notes.txt"}, config: []string{"example.com"}, want: []string{"example.com", "example.org"}},
		{name: "file name not normalised", files: []string{"Example.com.zone"}, wantErr: "Example.com.zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			zones, err := newProvider(t, dir, tt.config...).Zones(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Zones error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, z := range zones {
				if z.ID != z.Name {
					t.Errorf("zone %s has ID %s", z.Name, z.ID)
				}
				got = append(got, z.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Zones = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnknownZone(t *testing.T) {
	p := newProvider(t, t.TempDir(), "example.com")
	for _, zone := range []string{"example.org", "../example.com", ""} {
		if _, err := p.Records(context.Background(), provider.Zone{ID: zone, Name: zone}); err == nil {
			t.Errorf("Records(%q) succeeded", zone)
		}
		if err := p.Apply(context.Background(), provider.Zone{ID: zone, Name: zone}, nil); err == nil {
			t.Errorf("Apply(%q) succeeded", zone)
		}
	}
}

func TestMissingFolderIsCreatedOnFirstWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	p, err := New(Config{Dir: dir, Zones: []string{"example.com"}})
	if err != nil {
		t.Fatalf("New on a missing folder: %v", err)
	}
	zones, err := p.Zones(context.Background())
	if err != nil || len(zones) != 1 {
		t.Fatalf("Zones = %v, %v; want the configured zone", zones, err)
	}
	create := provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: endpoint.New("www.example.com", "A", 0, "192.0.2.1")}}}
	if err := p.Apply(context.Background(), zones[0], []provider.Change{create}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "example.com.zone")); err != nil {
		t.Errorf("zone file not written: %v", err)
	}
}

func TestNewConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{name: "no folder", cfg: Config{}, want: "no folder"},
		{name: "not a folder", cfg: Config{Dir: file}, want: "is not a folder"},
		{name: "negative TTL", cfg: Config{Dir: dir, DefaultTTL: -1}, want: "default TTL -1"},
		{name: "bad zone", cfg: Config{Dir: dir, Zones: []string{"bad..zone"}}, want: `zone "bad..zone"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestNameWithQuote: a name holding ', which the writer escapes (o\'brien), reads back
// as the name that was written, whichever way a file spells it.
func TestNameWithQuote(t *testing.T) {
	dir := t.TempDir()
	p := newProvider(t, dir, "example.com")
	txt := rec("o'brien.example.com", "TXT", 0, `"x"`)
	if err := p.Apply(context.Background(), exampleZone, []provider.Change{providertest.CreateOf(txt)}); err != nil {
		t.Fatal(err)
	}
	if got := recordLines(t, p, exampleZone); !slices.Contains(got, `o'brien.example.com 300 TXT "x"`) {
		t.Errorf("records %q lack o'brien's TXT", got)
	}
	err := p.Apply(context.Background(), exampleZone, []provider.Change{providertest.CreateOf(txt)})
	if failed := provider.FailedChanges(err); len(failed) != 1 || !errors.Is(failed[0].Err, provider.ErrRRsetExists) {
		t.Errorf("creating o'brien's TXT again: %v, want it refused as existing", err)
	}
	path := filepath.Join(dir, "example.com.zone")
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	spelled := string(content) + "O\\039Brien 60 IN A 192.0.2.1\no'brien 60 IN AAAA 2001:db8::1\n"
	if err := os.WriteFile(path, []byte(spelled), 0o644); err != nil {
		t.Fatal(err)
	}
	got := recordLines(t, p, exampleZone)
	for _, want := range []string{"o'brien.example.com 60 A 192.0.2.1", "o'brien.example.com 60 AAAA 2001:db8::1"} {
		if !slices.Contains(got, want) {
			t.Errorf("records %q lack %q", got, want)
		}
	}
}

// TestUnchanged: the provider proves a zone unchanged only while its file is the one the
// last Records read, with the provider's own Applies written over it; an edit by hand,
// or by another process, is seen until the next Records, also after an Apply wrote over
// it.
func TestUnchanged(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := newProvider(t, dir, "example.com")
	other := newProvider(t, dir)
	unchanged := func(want bool, when string) {
		t.Helper()
		got, err := p.Unchanged(ctx, exampleZone)
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if got != want {
			t.Errorf("%s: Unchanged = %v, want %v", when, got, want)
		}
	}
	create := func(p *Provider, name string) {
		t.Helper()
		c := provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: rec(name, endpoint.RecordTypeA, 300, "192.0.2.1")}}}
		if err := p.Apply(ctx, exampleZone, []provider.Change{c}); err != nil {
			t.Fatal(err)
		}
	}
	read := func() {
		t.Helper()
		if _, err := p.Records(ctx, exampleZone); err != nil {
			t.Fatal(err)
		}
	}

	unchanged(false, "before any Records")
	read()
	unchanged(true, "after Records of a zone with no file yet")
	create(p, "a.example.com")
	unchanged(true, "after its own Apply created the file")
	create(p, "b.example.com")
	unchanged(true, "after its own Apply")

	create(other, "c.example.com")
	unchanged(false, "after another process's Apply")
	create(p, "d.example.com")
	unchanged(false, "after its own Apply over another's")
	read()
	unchanged(true, "after Records read the file again")

	path := filepath.Join(dir, "example.com.zone")
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(content, []byte("e 300 IN A 192.0.2.5\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged(false, "after an edit by hand")
	failing := provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: rec("a.example.com", endpoint.RecordTypeA, 300, "192.0.2.1")}}}
	if err := p.Apply(ctx, exampleZone, []provider.Change{failing}); err == nil {
		t.Fatal("creating a record that exists succeeded")
	}
	unchanged(false, "after an Apply that wrote nothing over the edit")
	read()
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged(false, "after the file was put back as it was before the edit")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	unchanged(false, "after the file was removed")
}
