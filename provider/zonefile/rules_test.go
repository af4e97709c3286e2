package zonefile

import (
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

func TestCheckZone(t *testing.T) {
	apex := []string{"example.com SOA ns1.example.com hostmaster.example.com 1 3600 600 604800 300", "example.com NS ns1.example.com"}
	tests := []struct {
		name string
		sets []string // "name TYPE target" or "name TYPE target|target"
		want []string // "name TYPE rule"
	}{
		{name: "clean zone", sets: append(apex, "www.example.com CNAME lb.example.net", "ns1.example.com A 192.0.2.1", "*.w.example.com A 192.0.2.1", "_x.example.com TXT x", "example.com MX 0 .")},
		{name: "CNAME beside TXT and MX", sets: []string{"www.example.com CNAME lb.example.net", "www.example.com TXT x", "www.example.com MX 10 mx.example.net"}, want: []string{"www.example.com CNAME " + ruleCNAMEAndOther}},
		{name: "CNAME beside DNSSEC records", sets: []string{"www.example.com CNAME lb.example.net", "www.example.com RRSIG x", "www.example.com NSEC x", "www.example.com KEY x"}},
		{name: "CNAME beside DNAME", sets: []string{"www.example.com CNAME lb.example.net", "www.example.com DNAME example.net"}, want: []string{"www.example.com CNAME " + ruleCNAMEAndOther}},
		{name: "CNAME at the apex", sets: append(apex, "example.com CNAME lb.example.net"), want: []string{"example.com CNAME " + ruleCNAMEAtApex}},
		{name: "two CNAME targets", sets: []string{"www.example.com CNAME a.example.net|b.example.net"}, want: []string{"www.example.com CNAME " + ruleSingleton}},
		{name: "two DNAME targets", sets: []string{"d.example.com DNAME a.example.net|b.example.net"}, want: []string{"d.example.com DNAME " + ruleSingleton}},
		{name: "apex without NS", sets: apex[:1], want: []string{"example.com NS " + ruleApexNS}},
		{name: "part of a zone without the apex", sets: []string{"www.example.com A 192.0.2.1"}},
		{name: "NS at a wildcard", sets: []string{"*.w.example.com NS ns.example.net"}, want: []string{"*.w.example.com NS " + ruleWildcardNS}},
		{name: "A, AAAA, MX owners not host names", sets: []string{"_x.example.com A 192.0.2.1", "_x.example.com AAAA 2001:db8::1", "a.*.example.com MX 10 mx.example.net", "_x.example.com SRV 0 0 1 t.example.net"}, want: []string{"_x.example.com A " + ruleOwnerHostName, "_x.example.com AAAA " + ruleOwnerHostName, "a.*.example.com MX " + ruleOwnerHostName}},
		{name: "MX, NS, SRV targets not host names", sets: []string{"m.example.com MX 10 _m.example.net", "n.example.com NS n_s.example.net", "_s._tcp.example.com SRV 0 0 1 -t.example.net", "c.example.com CNAME _c.example.net"}, want: []string{"_s._tcp.example.com SRV " + ruleDataHostName, "m.example.com MX " + ruleDataHostName, "n.example.com NS " + ruleDataHostName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range checkZone("example.com", endpoints(t, tt.sets)) {
				got = append(got, p.name+" "+p.rtype+" "+p.rule)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("checkZone\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// endpoints turns lines of "name TYPE target|target…" into RRsets; a target may hold
// spaces.
func endpoints(t *testing.T, lines []string) []*endpoint.Endpoint {
	t.Helper()
	var out []*endpoint.Endpoint
	for _, l := range lines {
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			t.Fatalf("bad RRset %q", l)
		}
		out = append(out, rec(f[0], f[1], 0, strings.Split(f[2], "|")...))
	}
	return out
}

func TestDescribeProblem(t *testing.T) {
	p := problem{name: "www.example.com", rule: ruleCNAMEAndOther, rtype: "CNAME", others: []string{"MX", "TXT"}}
	for written, want := range map[string]string{
		"CNAME": "www.example.com already holds MX, TXT (" + ruleCNAMEAndOther + ")",
		"TXT":   "www.example.com already holds CNAME (" + ruleCNAMEAndOther + ")",
		"":      "www.example.com holds CNAME beside MX, TXT (" + ruleCNAMEAndOther + ")",
	} {
		if got := p.describe(written); got != want {
			t.Errorf("describe(%q) = %q, want %q", written, got, want)
		}
	}
}
