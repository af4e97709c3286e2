package rfc2136

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// owned is a create of record with its ownership TXT at ownerName, as the registry sends
// it: the ownership record first, record primary.
func owned(record *endpoint.Endpoint, ownerName string) provider.Change {
	c := providertest.CreateOf(ep(ownerName, "TXT", 0, ownerTXT), record)
	c.Primary, c.Owned = 1, record
	return c
}

// TestCNAMEConflictsRefused: servers ignore a CNAME added beside other data, and data
// added beside a CNAME, and answer NOERROR (RFC 2136 §3.4.2.2). Such creates must fail,
// naming what stands in the way, and leave nothing of their Change behind, while the
// CNAME changes that are valid still apply.
func TestCNAMEConflictsRefused(t *testing.T) {
	forEachServer(t, []string{
		`www 300 TXT "google-site-verification=abc"`,
		"mail 300 MX 10 mx.example.net.",
		"alias 300 CNAME elsewhere.example.net.",
		"moved 300 CNAME old.example.net.",
	}, func(t *testing.T, srv *dnsserver.Server) {
		p := serverProvider(t, srv, nil)
		ctx := context.Background()
		changes := []provider.Change{
			owned(ep("www.example.com", "CNAME", 0, "lb.example.net"), "cname-www.example.com"),
			owned(ep("mail.example.com", "CNAME", 0, "lb.example.net"), "cname-mail.example.com"),
			owned(ep("app.example.com", "A", 0, "192.0.2.1"), "a-app.example.com"),
			owned(ep("alias.example.com", "A", 0, "192.0.2.2"), "a-alias.example.com"),
			providertest.UpdateOf(ep("moved.example.com", "CNAME", 0, "old.example.net"), ep("moved.example.com", "CNAME", 0, "new.example.net")),
			owned(ep("fresh.example.com", "CNAME", 0, "lb.example.net"), "cname-fresh.example.com"),
			// Judged after the A record of the third change, never beside it in
			// one message, where both would pass their prerequisites.
			owned(ep("app.example.com", "CNAME", 0, "lb.example.net"), "cname-app.example.com"),
		}
		err := p.Apply(ctx, zoneOf("example.com"), changes)
		if got := failedIndexes(t, err, changes); !slices.Equal(got, []int{0, 1, 3, 6}) {
			t.Fatalf("failed changes = %v, want [0 1 3 6]; error: %v", got, err)
		}
		wantSays := []string{
			`www.example.com holds TXT "google-site-verification=abc"`,
			"mail.example.com holds MX 10 mx.example.net.",
			"alias.example.com holds CNAME elsewhere.example.net.",
			"app.example.com holds A 192.0.2.1",
		}
		for i, f := range provider.FailedChanges(err) {
			t.Logf("refused as expected: %v", f)
			if !errors.Is(f.Err, ErrCNAMEConflict) || !strings.Contains(f.Err.Error(), wantSays[i]) {
				t.Errorf("failure %q: want %v naming %q", f.Err, ErrCNAMEConflict, wantSays[i])
			}
		}

		want := []string{
			"a-app.example.com. TXT " + ownerTXT,
			"alias.example.com. CNAME elsewhere.example.net.",
			"app.example.com. A 192.0.2.1",
			"cname-fresh.example.com. TXT " + ownerTXT,
			"fresh.example.com. CNAME lb.example.net.",
			`mail.example.com. MX 10 mx.example.net.`,
			"moved.example.com. CNAME new.example.net.",
			`www.example.com. TXT "google-site-verification=abc"`,
		}
		if got := transferText(t, srv); !slices.Equal(got, want) {
			t.Errorf("AXFR:\n got %q\nwant %q", got, want)
		}
	})
}

// TestCNAMETypeChange: replacing a CNAME by an A record and an A record by a CNAME, each
// as the registry plans it (the delete before the create, in one Apply), works: the
// create is not judged beside the record its own Apply deletes.
func TestCNAMETypeChange(t *testing.T) {
	forEachServer(t, []string{"one 300 CNAME lb.example.net.", "two 300 A 192.0.2.2"}, func(t *testing.T, srv *dnsserver.Server) {
		p := serverProvider(t, srv, nil)
		changes := []provider.Change{
			providertest.DeleteOf(ep("one.example.com", "CNAME", 0, "lb.example.net")),
			providertest.DeleteOf(ep("two.example.com", "A", 0, "192.0.2.2")),
			providertest.CreateOf(ep("one.example.com", "A", 0, "192.0.2.1")),
			providertest.CreateOf(ep("two.example.com", "CNAME", 0, "lb.example.net")),
		}
		if err := p.Apply(context.Background(), zoneOf("example.com"), changes); err != nil {
			t.Fatal(err)
		}
		want := []string{"one.example.com. A 192.0.2.1", "two.example.com. CNAME lb.example.net."}
		if got := transferText(t, srv); !slices.Equal(got, want) {
			t.Errorf("AXFR:\n got %q\nwant %q", got, want)
		}
	})
}

// forEachServer runs test in parallel subtests, one per server kind, each against a fresh
// server whose zone example.com also holds records.
func forEachServer(t *testing.T, records []string, test func(*testing.T, *dnsserver.Server)) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			test(t, dnsserver.StartT(t, kind, dnsserver.Config{
				Zones:        []string{"example.com"},
				ExtraRecords: map[string][]string{"example.com": records},
			}))
		})
	}
}

// transferText is srv's example.com by AXFR below the apex, as sorted "name TYPE data"
// lines.
func transferText(t *testing.T, srv *dnsserver.Server) []string {
	t.Helper()
	rrs, err := srv.Transfer(context.Background(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rr := range rrs {
		h := rr.Header()
		if strings.EqualFold(h.Name, "example.com.") {
			continue
		}
		out = append(out, strings.ToLower(h.Name)+" "+dns.Type(h.Rrtype).String()+" "+strings.TrimSpace(strings.TrimPrefix(rr.String(), h.String())))
	}
	slices.Sort(out)
	return out
}
