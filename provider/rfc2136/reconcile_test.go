package rfc2136

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// These tests run whole reconciles (controller, TXT registry, provider.Cached) against a
// real BIND9, as the daemon does.

// wanted returns n A records under zone, each asked for by its own Ingress.
func wanted(zone string, n int) providertest.Fixed {
	out := make(providertest.Fixed, n)
	for i := range out {
		out[i] = &endpoint.Endpoint{
			DNSName:    fmt.Sprintf("host-%d.%s", i, zone),
			RecordType: endpoint.RecordTypeA,
			Targets:    endpoint.Targets{fmt.Sprintf("10.0.%d.%d", i/256, i%256)},
			Refs:       []endpoint.ObjectRef{{Kind: source.KindIngress, Namespace: "default", Name: fmt.Sprintf("web-%d", i)}},
		}
	}
	return out
}

func reconciler(t testing.TB, src source.Source, p provider.Provider) *controller.Controller {
	t.Helper()
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: "e2e", ManagedTypes: endpoint.DefaultManagedTypes()})
	if err != nil {
		t.Fatal(err)
	}
	return &controller.Controller{
		Sources:  []source.Source{src},
		Registry: reg,
		Provider: p,
		Config:   controller.Config{Policy: plan.PolicySync, ManagedTypes: endpoint.DefaultManagedTypes()},
	}
}

// callCounter counts provider calls by operation.
type callCounter map[string]int

func (c callCounter) ObserveCall(op string, err error) {
	if err == nil {
		c[op]++
	}
}

// TestNoChangeReconcileReadsNothing shows the cost of a reconcile when nothing changed:
// one SOA query, no zone transfer and no UPDATE.
func TestNoChangeReconcileReadsNothing(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{"example.com"}})
	calls := callCounter{}
	p := provider.NewCached(serverProvider(t, srv, func(c *Config) { c.Observer = calls }), time.Hour)
	c := reconciler(t, wanted("example.com", 300), p)
	ctx := context.Background()

	rep, err := c.RunOnce(ctx)
	if err != nil || rep.Err() != nil {
		t.Fatalf("first reconcile: %v, %v", err, rep.Err())
	}
	if create, _, _ := rep.ChangeCount(); create != 300 {
		t.Fatalf("first reconcile created %d records, want 300", create)
	}
	clear(calls)
	rep, err = c.RunOnce(ctx)
	if err != nil || rep.Err() != nil {
		t.Fatalf("second reconcile: %v, %v", err, rep.Err())
	}
	if create, update, del := rep.ChangeCount(); create+update+del != 0 {
		t.Errorf("second reconcile planned %d/%d/%d changes, want none", create, update, del)
	}
	want := callCounter{OperationSOA: 1}
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("second reconcile made calls %v, want %v", calls, want)
	}

	// A write by someone else moves the serial: the next reconcile reads the zone again.
	other := serverProvider(t, srv, nil)
	if err := other.Apply(ctx, zoneOf("example.com"), []provider.Change{providertest.CreateOf(ep("foreign.example.com", "A", 60, "192.0.2.7"))}); err != nil {
		t.Fatal(err)
	}
	clear(calls)
	if _, err := c.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if calls[OperationAXFR] != 1 || calls[OperationUpdate] != 0 {
		t.Errorf("reconcile after a foreign write made calls %v, want one AXFR and no UPDATE", calls)
	}
}

// TestRefusedTransferSparesZone: when one zone refuses AXFR, the other zones converge,
// and nothing at all is written to the refused one, where zonekeeper cannot see what it
// owns.
func TestRefusedTransferSparesZone(t *testing.T) {
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{
		Zones:      []string{"example.com", "example.org"},
		NoTransfer: []string{"example.org"},
	})
	ctx := context.Background()
	before, err := srv.Serial(ctx, "example.org")
	if err != nil {
		t.Fatal(err)
	}
	want := append(wanted("example.com", 5), wanted("example.org", 5)...)
	c := reconciler(t, want, serverProvider(t, srv, nil))
	rep, err := c.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, zr := range rep.Zones {
		switch zr.Zone.Name {
		case "example.com":
			if zr.Err != nil || len(zr.Changes) != 5 {
				t.Errorf("example.com: err %v, %d changes; want 5 changes applied", zr.Err, len(zr.Changes))
			}
		case "example.org":
			if zr.Err == nil {
				t.Errorf("example.org: no error although its transfer is refused")
			}
		}
	}
	if rep.Err() == nil {
		t.Error("the report hides the refused zone")
	}
	after, err := srv.Serial(ctx, "example.org")
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("example.org serial moved from %d to %d: something was written to a zone that could not be read", before, after)
	}
	if got := recordsText(t, serverProvider(t, srv, nil), "example.com"); len(got) != 10 {
		t.Errorf("example.com holds %d records below the apex, want 5 A + 5 TXT: %v", len(got), got)
	}
}

// BenchmarkReconcile runs the daemon's whole reconcile (controller, TXT registry,
// provider.Cached) against a real server: "converge" writes 10,000 names (A + ownership
// TXT) into an empty zone, "nochange" is the reconcile after that, when nothing differs.
// Both report the UPDATE messages (SOA serial delta) and zone transfers they cost.
func BenchmarkReconcile(b *testing.B) {
	const names = 10000
	for _, kind := range []dnsserver.Kind{dnsserver.BIND9, dnsserver.Knot} {
		b.Run(string(kind)+"/converge", func(b *testing.B) {
			ctx := context.Background()
			var calls callCounter
			var messages uint32
			for b.Loop() {
				b.StopTimer()
				srv := dnsserver.StartT(b, kind, dnsserver.Config{Zones: []string{"example.com"}})
				calls = callCounter{}
				c := reconciler(b, wanted("example.com", names), provider.NewCached(serverProvider(b, srv, func(c *Config) { c.Observer = calls }), time.Hour))
				before, err := srv.Serial(ctx, "example.com")
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				rep, err := c.RunOnce(ctx)
				b.StopTimer()
				if err != nil || rep.Err() != nil {
					b.Fatalf("reconcile: %v, %v", err, rep.Err())
				}
				after, _ := srv.Serial(ctx, "example.com")
				messages = after - before
				if err := srv.Stop(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(messages), "updates/op")
			b.ReportMetric(float64(calls[OperationAXFR]), "axfrs/op")
		})
		b.Run(string(kind)+"/nochange", func(b *testing.B) {
			ctx := context.Background()
			srv := dnsserver.StartT(b, kind, dnsserver.Config{Zones: []string{"example.com"}})
			calls := callCounter{}
			c := reconciler(b, wanted("example.com", names), provider.NewCached(serverProvider(b, srv, func(c *Config) { c.Observer = calls }), time.Hour))
			if _, err := c.RunOnce(ctx); err != nil {
				b.Fatal(err)
			}
			clear(calls)
			for b.Loop() {
				rep, err := c.RunOnce(ctx)
				if err != nil || rep.Err() != nil {
					b.Fatalf("reconcile: %v, %v", err, rep.Err())
				}
				if create, update, del := rep.ChangeCount(); create+update+del != 0 {
					b.Fatalf("no-change reconcile planned %d/%d/%d changes", create, update, del)
				}
			}
			b.ReportMetric(float64(calls[OperationUpdate])/float64(b.N), "updates/op")
			b.ReportMetric(float64(calls[OperationAXFR])/float64(b.N), "axfrs/op")
			b.ReportMetric(float64(calls[OperationSOA])/float64(b.N), "soa-queries/op")
		})
	}
}
