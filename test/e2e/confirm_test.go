package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// TestDeletionConfirmation runs the daemon, with the default deletion budget
// (--max-deletions=50), against BIND9 and an API server holding 1,000 Ingresses, plus one
// Ingress asking for 100 names, and checks that deletions over the budget wait for
// confirmation (--deletion-confirm-after) but not forever:
//
//  1. 100 Ingresses deleted at once: their records are withheld, then deleted once
//     confirmed, no sooner than the wait.
//  2. The Ingress of 100 names deleted and created again within the wait (an informer
//     that empties and refills): nothing is deleted, and the wait is dropped.
//  3. 100 more Ingresses deleted, and the API server stopped before their wait ends, for
//     less than the wait: nothing is deleted while the source cannot be read, and the
//     wait starts anew once it can.
func TestDeletionConfirmation(t *testing.T) {
	t.Parallel()
	const (
		records = 1000
		batch   = 100
		// grace is --deletion-confirm-after: longer than the API server takes to stop
		// and start again (about 7s on a loaded 2-core machine, mostly its start).
		grace = 8 * time.Second
		// period is both --interval and --min-event-sync-interval: a reconcile, a full
		// one, every period, and none in between, so that the test can delete 100
		// Ingresses between two reconciles (deleteBetweenReconciles). With reconciles
		// closer together, a deletion of 100 objects that takes longer than the gap
		// reaches the daemon in slices, each within the budget and deleted at once: the
		// budget bounds the deletions of one reconcile, not those of a minute.
		period = 2 * time.Second
	)
	c := kubeapi.StartT(t) // its own: this test stops the API server
	client, err := kubeapi.FastClient(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	ns := c.Namespace(t)
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{zone}})
	ip := func(i int) string { return fmt.Sprintf("10.8.%d.%d", i/250, i%250) }
	createIngresses(t, client, ns, "web", records, ip)
	var bulkHosts []string
	for i := range batch {
		bulkHosts = append(bulkHosts, fmt.Sprintf("bulk-%d.%s", i, zone))
	}
	createIngress(t, client, newIngress(ns, "bulk", bulkHosts, nil), "10.7.0.1")

	d := startDaemon(t, c.Kubeconfig, ns, t.TempDir(), append(rfc2136Flags(t, srv),
		"--interval="+period.String(), "--min-event-sync-interval="+period.String(), "--deletion-confirm-after="+grace.String())...)

	web := func(i int) string { return fmt.Sprintf("web-%d.%s", i, zone) }
	// zoneHas checks which of the names web-from … web-(to-1) and bulk-* the zone holds.
	type span struct {
		from, to int
		present  bool
	}
	zoneHas := func(bulk bool, spans ...span) error {
		owners, err := ownersIn(t.Context(), srv)
		if err != nil {
			return err
		}
		check := func(name string, present bool) error {
			if got, ok := owners[name]; ok != present || ok && got != owner {
				return fmt.Errorf("%s: present %t (owner %q), want present %t", name, ok, got, present)
			}
			return nil
		}
		for _, s := range spans {
			for i := s.from; i < s.to; i++ {
				if err := check(web(i), s.present); err != nil {
					return err
				}
			}
		}
		for _, h := range bulkHosts {
			if err := check(h, bulk); err != nil {
				return err
			}
		}
		return nil
	}
	metric := func(name string, labels ...string) float64 {
		n, err := d.metric(name, labels...)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	pending := func() float64 { return metric("zonekeeper_deletions_pending_confirmation") }
	deleted := func() float64 { return metric("zonekeeper_changes_total", `kind="delete"`, `result="applied"`) }
	waitPending := func(want float64) {
		t.Helper()
		d.waitFor(t, convergeTimeout, fmt.Sprintf("%v deletions waiting for confirmation", want), func() error {
			if n := pending(); n != want {
				return fmt.Errorf("zonekeeper_deletions_pending_confirmation = %v", n)
			}
			return nil
		})
	}
	// deleteBetweenReconciles deletes web-from … web-(to-1) right after a reconcile
	// ended, and checks that no reconcile started meanwhile; it returns when the last
	// deletion was answered.
	deleteBetweenReconciles := func(from, to int) time.Time {
		t.Helper()
		before := d.reconciles(t)
		deadline := time.Now().Add(convergeTimeout)
		for d.reconciles(t) == before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		start := time.Now()
		done := deleteIngresses(t, client, ns, from, to)
		if took := done.Sub(start); took > period/2 {
			t.Logf("deleting %d Ingresses took %s; a reconcile may have seen only some of them", to-from, took)
		}
		return done
	}
	d.waitFor(t, 2*convergeTimeout, "every record", func() error { return zoneHas(true, span{0, records, true}) })

	// 1. 100 Ingresses deleted at once.
	deletedAt := deleteBetweenReconciles(0, batch)
	waitPending(batch)
	if n := deleted(); n != 0 {
		t.Fatalf("%v records deleted at once, want none: over the budget, they wait", n)
	}
	if err := zoneHas(true, span{0, records, true}); err != nil {
		t.Fatalf("right after the deletion: %v", err)
	}
	d.waitFor(t, convergeTimeout+grace, "the records of the deleted Ingresses to go", func() error {
		return zoneHas(true, span{0, batch, false}, span{batch, records, true})
	})
	took := time.Since(deletedAt)
	t.Logf("100 of 1,000 Ingresses deleted at once (over --max-deletions=50): their records went %s after the deletion (--deletion-confirm-after=%s, --interval=%s)",
		took.Round(100*time.Millisecond), grace, period)
	if took < grace {
		t.Errorf("the records went %s after the deletion, sooner than --deletion-confirm-after=%s", took, grace)
	}
	// The reconcile that deleted them counts them once it has checked that BIND serves
	// the deletions (--verify-propagation), after the records are gone.
	d.waitFor(t, convergeTimeout, "the confirmed deletions to be counted", func() error {
		if n := metric("zonekeeper_deletions_confirmed_total"); n != batch {
			return fmt.Errorf("zonekeeper_deletions_confirmed_total = %v, want %d", n, batch)
		}
		return nil
	})
	waitPending(0)
	deletedBefore := deleted()

	// 2. The 100 names of one Ingress go and come back within the wait.
	if err := client.NetworkingV1().Ingresses(ns).Delete(t.Context(), "bulk", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Had the wait not been dropped, it would have ended a grace and two full reads on.
	until := time.Now().Add(grace + 2*period)
	waitPending(batch)
	createIngress(t, client, newIngress(ns, "bulk", bulkHosts, nil), "10.7.0.1")
	waitPending(0)
	d.waitFor(t, 2*grace, "the wait to pass", func() error {
		if err := zoneHas(true, span{batch, records, true}); err != nil {
			t.Fatalf("after the names came back: %v", err)
		}
		if n := deleted(); n != deletedBefore {
			t.Fatalf("%v records deleted after the names came back, want none", n-deletedBefore)
		}
		if time.Now().Before(until) {
			return fmt.Errorf("waiting")
		}
		return nil
	})

	// 3. 100 more Ingresses deleted, then the API server stopped for less than the wait.
	deleteBetweenReconciles(batch, 2*batch)
	waitPending(batch)
	sourceErrors := metric("zonekeeper_source_errors_total")
	stopped := time.Now()
	if err := c.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	unchanged := func() {
		if err := zoneHas(true, span{batch, records, true}); err != nil {
			t.Fatalf("during the outage: %v", err)
		}
	}
	d.waitFor(t, grace, "a source error", func() error {
		unchanged()
		if n := metric("zonekeeper_source_errors_total"); n == sourceErrors {
			return fmt.Errorf("zonekeeper_source_errors_total still %v", n)
		}
		return nil
	})
	if n := pending(); n != 0 {
		t.Errorf("zonekeeper_deletions_pending_confirmation = %v while a source cannot be read, want 0", n)
	}
	// The daemon may read the API server again before StartAPIServer returns (it
	// answers before it reports ready): the wait cannot restart before the start began.
	starting := time.Now()
	if err := c.StartAPIServer(t.Context()); err != nil {
		t.Fatal(err)
	}
	outage := time.Since(stopped)
	unchanged()
	d.waitFor(t, convergeTimeout+grace, "the records of the deleted Ingresses to go after the outage", func() error {
		return zoneHas(true, span{0, 2 * batch, false}, span{2 * batch, records, true})
	})
	after := time.Since(starting)
	if outage >= grace {
		t.Logf("the outage lasted %s, not less than --deletion-confirm-after=%s: the machine is slow", outage, grace)
	}
	t.Logf("API server down %s (--deletion-confirm-after=%s) while 100 deletions waited: none made during it; made %s after it began to start again",
		outage.Round(100*time.Millisecond), grace, after.Round(100*time.Millisecond))
	if after < grace {
		t.Errorf("the deletions went %s after the API server began to start again, sooner than --deletion-confirm-after=%s: the outage did not restart their wait", after, grace)
	}
	// Counted by the reconcile that deleted them once BIND no longer serves them.
	d.waitFor(t, convergeTimeout, "the deletions to be counted", func() error {
		if n := deleted() - deletedBefore; n != batch {
			return fmt.Errorf("%v records deleted since the names came back, want %d", n, batch)
		}
		return nil
	})
}

// deleteIngresses deletes the Ingresses web-from … web-(to-1) of ns made by
// createIngresses, at once, and returns when the last deletion was answered.
func deleteIngresses(t testing.TB, client kubernetes.Interface, ns string, from, to int) time.Time {
	t.Helper()
	api := client.NetworkingV1().Ingresses(ns)
	if err := parallel.ForEach(t.Context(), to-from, loadWorkers, func(i int) error {
		return api.Delete(context.WithoutCancel(t.Context()), "web-"+strconv.Itoa(from+i), metav1.DeleteOptions{})
	}); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}
