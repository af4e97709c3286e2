package rrdata

import (
	"encoding/binary"
	"testing"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

func mustRR(t testing.TB, text string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(text)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func TestTarget(t *testing.T) {
	tests := []struct {
		record string
		want   string
	}{
		{"a.example.com. 300 IN A 192.0.2.1", "192.0.2.1"},
		{"a.example.com. 300 IN AAAA 2001:db8::1", "2001:db8::1"},
		{"a.example.com. 300 IN CNAME target.example.net.", "target.example.net"},
		{"a.example.com. 300 IN CNAME .", "."},
		{"example.com. 300 IN NS ns1.example.com.", "ns1.example.com"},
		{"1.2.0.192.in-addr.arpa. 300 IN PTR host.example.com.", "host.example.com"},
		{"a.example.com. 300 IN DNAME other.example.net.", "other.example.net"},
		{"example.com. 300 IN MX 10 mail.example.com.", "10 mail.example.com"},
		{"example.com. 300 IN MX 0 .", "0 ."},
		{"_sip._tcp.example.com. 300 IN SRV 0 5 5060 sip.example.com.", "0 5 5060 sip.example.com"},
		{"example.com. 300 IN SOA ns.example.com. admin.example.com. 7 1 2 3 4", "ns.example.com admin.example.com 7 1 2 3 4"},
		{"example.com. 300 IN CAA 0 issue \"letsencrypt.org\"", "0 issue \"letsencrypt.org\""},
		{`a.example.com. 300 IN TXT "heritage=external-dns,external-dns/owner=default"`, `"heritage=external-dns,external-dns/owner=default"`},
		{`a.example.com. 300 IN TXT "say \"hi\"" "a\\b"`, `"say "hi"a\b"`},
		{`a.example.com. 300 IN TXT "tab\009end"`, "\"tab\tend\""},
		{"a.example.com. 300 IN TYPE65400 \\# 2 abcd", "\\# 2 abcd"},
		{"a.example.com. 300 CLASS7 TYPE65400 \\# 2 abcd", "\\# 2 abcd"},
	}
	for _, tt := range tests {
		if got := Target(mustRR(t, tt.record)); got != tt.want {
			t.Errorf("Target(%q) = %q, want %q", tt.record, got, tt.want)
		}
	}
}

func TestHostFields(t *testing.T) {
	tests := []struct {
		recordType string
		want       []int
	}{
		{"CNAME", []int{0}}, {"NS", []int{0}}, {"PTR", []int{0}}, {"DNAME", []int{0}},
		{"MX", []int{1}}, {"SRV", []int{3}}, {"SOA", []int{0, 1}},
		{"A", nil}, {"TXT", nil}, {"TYPE65400", nil}, {"cname", nil},
	}
	for _, tt := range tests {
		got := HostFields(tt.recordType)
		if len(got) != len(tt.want) || (len(got) > 0 && (got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1])) {
			t.Errorf("HostFields(%q) = %v, want %v", tt.recordType, got, tt.want)
		}
	}
}

func TestUnescapeTXT(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`a\"b`, `a"b`},
		{`a\\b`, `a\b`},
		{`\065\066`, "AB"},
		{`\000`, "\x00"},
		{`\255`, "\xff"},
		{`\256`, "256"},
		{`\06`, "06"},
		{`end\`, `end\`},
		{`\;`, ";"},
	}
	for _, tt := range tests {
		if got := UnescapeTXT(tt.in); got != tt.want {
			t.Errorf("UnescapeTXT(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzUnescapeTXT checks that a character-string of any bytes, read from the wire by
// miekg/dns into its escaped form, unescapes to the same bytes.
func FuzzUnescapeTXT(f *testing.F) {
	for _, seed := range []string{"", "plain", `a"b\c`, "\x00\xff\t\n", "\\065", "semi;colon (paren)"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 255 {
			data = data[:255]
		}
		// a. IN TXT with one character-string holding data.
		wire := []byte{1, 'a', 0}
		wire = binary.BigEndian.AppendUint16(wire, dns.TypeTXT)
		wire = binary.BigEndian.AppendUint16(wire, dns.ClassINET)
		wire = binary.BigEndian.AppendUint32(wire, 300)
		wire = binary.BigEndian.AppendUint16(wire, uint16(len(data)+1))
		wire = append(append(wire, byte(len(data))), data...)
		rr, _, err := dns.UnpackRR(wire, 0)
		if err != nil {
			t.Fatal(err)
		}
		txt := rr.(*dns.TXT)
		if len(txt.Txt) != 1 {
			t.Fatalf("%d strings, want 1", len(txt.Txt))
		}
		if got := UnescapeTXT(txt.Txt[0]); got != string(data) {
			t.Fatalf("UnescapeTXT(%q) = %q, want %q", txt.Txt[0], got, data)
		}
	})
}

func TestTTL(t *testing.T) {
	tests := []struct {
		ttl, def endpoint.TTL
		want     uint32
		wantErr  bool
	}{
		{0, 300, 300, false},
		{60, 300, 60, false},
		{2147483647, 300, 2147483647, false},
		{2147483648, 300, 0, true},
		{-1, 300, 0, true},
	}
	for _, tt := range tests {
		got, err := TTL(tt.ttl, tt.def)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("TTL(%d, %d) = %d, %v; want %d, error %v", tt.ttl, tt.def, got, err, tt.want, tt.wantErr)
		}
	}
}
