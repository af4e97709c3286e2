package zonefile

import (
	"bytes"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
)

// FuzzParseZone feeds arbitrary zone files to the parser. Whatever it accepts must come
// back unchanged through both ways of writing: RRsets written as read, and RRsets
// rebuilt from their endpoint form (the path every Apply takes for changed records).
func FuzzParseZone(f *testing.F) {
	seeds := []string{
		"$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 604800 300\n@ NS localhost.\nwww A 192.0.2.1\n",
		"example.com. 300 IN SOA ns1.example.com. h.example.com. 7 1 1 1 1\nwww 60 IN AAAA 2001:db8::1\nw CNAME www\n",
		"@ 300 SOA a b 1 1 1 1 1\nt TXT \"a\" \"b\\\"c\" \"d\\\\e\"\nm MX 10 mail\ns SRV 0 5 443 www\n*.apps CNAME lb.example.net.\n",
		"@ 300 SOA a b 1 1 1 1 1\nx CAA 0 issue \"ca.example\"\ny TYPE65534 \\# 3 010203\n",
		"@ 300 SOA a b 1 1 1 1 1\nxn--bcher-kva A 192.0.2.9\nlong TXT \"" + string(bytes.Repeat([]byte("x"), 255)) + "\" \"tail\"\n",
		"@ SOA a b 1 1 1 1 1\n@ SOA a b 2 1 1 1 1\n",
		"www A 192.0.2.1\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		z, err := parseZone(bytes.NewReader([]byte(data)), "example.com", "fuzz.zone", defaultTTL)
		if err != nil {
			return
		}
		want := z.endpoints()

		asRead, err := renderZone(z, z.endpoints(), defaultTTL)
		if err != nil {
			t.Fatalf("render as read: %v", err)
		}
		assertReparses(t, asRead, want)

		fresh, err := newZone("example.com", defaultTTL)
		if err != nil {
			t.Fatal(err)
		}
		fresh.soa = z.soa
		rebuilt, err := renderZone(fresh, z.endpoints(), defaultTTL)
		if err != nil {
			return // an RRset the endpoint form cannot rebuild is refused, not mangled
		}
		// A rebuilt RRset with TTL 0 is one whose TTL is unset: it gets the default. The
		// SOA is never rebuilt.
		for _, e := range want {
			if e.RecordTTL == 0 && e.RecordType != recordTypeSOA {
				e.RecordTTL = defaultTTL
			}
		}
		assertReparses(t, rebuilt, want)
	})
}

// assertReparses parses content and requires the same RRsets as want: same names, types
// and TTLs, and targets equal as endpoint.SameTargets compares them.
func assertReparses(t *testing.T, content []byte, want []*endpoint.Endpoint) {
	t.Helper()
	again, err := parseZone(bytes.NewReader(content), "example.com", "rendered.zone", defaultTTL)
	if err != nil {
		t.Fatalf("written zone does not parse: %v\n%s", err, content)
	}
	got := again.endpoints()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		g, w := got[i], want[i]
		same = g.RecordKey() == w.RecordKey() && g.RecordTTL == w.RecordTTL &&
			len(g.Targets) == len(w.Targets) && endpoint.SameTargets(g.RecordType, g.Targets, w.Targets)
	}
	if !same {
		t.Fatalf("round trip changed the records\nwant %v\ngot  %v\nzone:\n%s", want, got, content)
	}
}
