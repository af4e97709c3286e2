package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/rfc2136"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// rfc2136Cases is how many generated reconciles TestReconcileOverRFC2136 runs against
// each server; each starts a server of its own.
const rfc2136Cases = 30

// TestReconcileOverRFC2136 runs generated reconciles (the zones and wishes of
// TestReconcileKeepsZonesLoadable) against BIND9, Knot and PowerDNS over RFC 2136. After
// each, the zone read back by AXFR must be exactly the zone before with the changes the
// report says were applied, and nothing else: an update the server ignored, or one it
// applied but the report left out, fails the case. Records not ours stay as they were,
// and a second reconcile plans nothing.
func TestReconcileOverRFC2136(t *testing.T) {
	for _, kind := range dnsserver.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			for seed := range uint64(rfc2136Cases) {
				c := genCase(t, seed, genOptions{loadable: true})
				if msg := checkOverRFC2136(t, kind, c); msg != "" {
					t.Fatalf("seed %d: %s\n%s", seed, msg, c.dump())
				}
			}
		})
	}
}

func checkOverRFC2136(t *testing.T, kind dnsserver.Kind, c propCase) string {
	ctx := context.Background()
	srv := dnsserver.StartT(t, kind, dnsserver.Config{Zones: c.zones})
	p, err := rfc2136.New(rfc2136.Config{
		Hosts: []string{srv.Addr}, Zones: srv.Zones, AXFR: true,
		TSIG: rfc2136.TSIG{KeyName: srv.KeyName, Secret: srv.Secret, Algorithm: srv.Algorithm},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.seedThrough(t, p)
	reg, ctrl := c.controller(t, p)
	before := snapshot(t, p, c.zones)
	rep, msg := runClean(ctx, ctrl)
	if msg != "" {
		return msg
	}
	after := snapshot(t, p, c.zones)
	for _, z := range rep.Zones {
		model := provider.NewRRsetMirror(z.Zone.Name, withoutSOA(before[z.Zone.Name])...)
		for _, ch := range z.Applied {
			if err := model.Apply(ch); err != nil {
				return fmt.Sprintf("zone %s: the report says %s was applied, which does not apply to the zone before: %v", z.Zone.Name, ch, err)
			}
		}
		if d := diffZones(model.List(), withoutSOA(after[z.Zone.Name])); d != "" {
			return fmt.Sprintf("zone %s: what the server holds is not the zone before with the changes reported applied:\n%s\nreport:\n%s", z.Zone.Name, d, dumpReport(rep))
		}
		notOurs, _, _ := classify(reg, c.prefix, withoutSOA(before[z.Zone.Name]))
		if msg := keptAsTheyWere(notOurs, after[z.Zone.Name], sameRecord); msg != "" {
			return msg + "\nreport:\n" + dumpReport(rep)
		}
	}
	return plansNothing(ctx, ctrl, rep)
}

// sameRecord reports whether a and b are one record as DNS compares them: the same
// RRset with the same TTL, its records in any order, names in data without case (a
// server may hand back the case of another name it compressed against), TXT values byte
// for byte.
func sameRecord(a, b *endpoint.Endpoint) bool {
	if a == nil || b == nil {
		return a == b
	}
	values := func(e *endpoint.Endpoint) []string {
		out := slices.Clone([]string(e.Targets))
		for i := range out {
			if e.RecordType != endpoint.RecordTypeTXT {
				out[i] = strings.ToLower(out[i])
			}
		}
		slices.Sort(out)
		return out
	}
	return a.RecordKey() == b.RecordKey() && a.RecordTTL == b.RecordTTL && slices.Equal(values(a), values(b))
}

func withoutSOA(records []*endpoint.Endpoint) []*endpoint.Endpoint {
	return slices.DeleteFunc(slices.Clone(records), func(r *endpoint.Endpoint) bool { return r.RecordType == "SOA" })
}

// diffZones lists the RRsets that differ between want and got, by name, type, set
// identifier and targets (as the planner compares them), and by TTL where want sets one
// (a record written without a TTL gets the server's default); "" when none.
func diffZones(want, got []*endpoint.Endpoint) string {
	byKey := func(rs []*endpoint.Endpoint) map[endpoint.RecordKey]*endpoint.Endpoint {
		out := map[endpoint.RecordKey]*endpoint.Endpoint{}
		for _, r := range rs {
			out[r.RecordKey()] = r
		}
		return out
	}
	targets := func(r *endpoint.Endpoint) string {
		out := make([]string, len(r.Targets))
		for i, tg := range r.Targets {
			out[i] = endpoint.CanonicalTarget(r.RecordType, tg)
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	w, g := byKey(want), byKey(got)
	var out []string
	for k, wr := range w {
		gr, ok := g[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("missing %s", wr))
		case targets(wr) != targets(gr) || wr.RecordTTL != 0 && wr.RecordTTL != gr.RecordTTL:
			out = append(out, fmt.Sprintf("want %s, the server holds %s", wr, gr))
		}
	}
	for k, gr := range g {
		if _, ok := w[k]; !ok {
			out = append(out, fmt.Sprintf("the server holds %s, which nothing put there", gr))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}
