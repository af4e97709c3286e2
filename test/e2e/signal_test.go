package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
)

// TestSIGTERMDuringOperation stops the daemon while Ingress changes keep it busy: it
// must exit 0, log "stopped", and leave a whole zone file in which every record still
// has its ownership record.
func TestSIGTERMDuringOperation(t *testing.T) {
	t.Parallel()
	const ingresses = 50
	c := suite.cluster
	client := fastClient(t)
	ns := c.Namespace(t)
	dir := t.TempDir()
	api := client.NetworkingV1().Ingresses(ns)
	name := func(i int) string { return fmt.Sprintf("busy-%d", i) }
	host := func(i int) string { return fmt.Sprintf("busy-%d.%s", i, zone) }
	ips := []string{"192.0.2.1", "192.0.2.2"}
	if err := parallel.ForEach(t.Context(), ingresses, loadWorkers, func(i int) error {
		_, err := api.Create(t.Context(), newIngress(ns, name(i), []string{host(i)}, nil), metav1.CreateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, c.Kubeconfig, ns, dir)

	// Flip every Ingress between the two IPs until told to stop.
	ctx, stopChanges := context.WithCancel(t.Context())
	changed := make(chan error, 1)
	go func() {
		for round := 0; ; round++ {
			err := parallel.ForEach(ctx, ingresses, loadWorkers, func(i int) error {
				ing, err := api.Get(ctx, name(i), metav1.GetOptions{})
				if err == nil {
					_, err = api.UpdateStatus(ctx, withIngressIPs(ing, ips[round%2]), metav1.UpdateOptions{})
				}
				return err
			})
			if ctx.Err() != nil {
				changed <- nil
				return
			}
			if err != nil {
				changed <- err
				return
			}
		}
	}()
	defer func() {
		stopChanges()
		if err := <-changed; err != nil {
			t.Errorf("changing the Ingresses: %v", err)
		}
	}()

	// Every record written at least once, and more reconciles running.
	whole := func() error {
		got, err := zoneRecords(t.Context(), dir)
		if err != nil {
			return err
		}
		for i := range ingresses {
			if !slices.ContainsFunc(ips, func(ip string) bool { return containsAll(got, owned("ingress/"+ns+"/"+name(i), host(i), ip)) }) {
				return fmt.Errorf("zone has no record of %s with its ownership record", host(i))
			}
		}
		if len(got) != 2*ingresses {
			return fmt.Errorf("zone holds %d records, want %d:\n%v", len(got), 2*ingresses, got)
		}
		return nil
	}
	d.waitFor(t, convergeTimeout, "every Ingress's record", whole)
	from := d.reconciles(t)
	d.waitFor(t, convergeTimeout, "two more reconciles", func() error {
		if n := d.reconciles(t); n < from+2 {
			return fmt.Errorf("zonekeeper_reconciles_total = %v, want ≥ %v", n, from+2)
		}
		return nil
	})

	d.stop(t) // exit code 0 and "stopped" in the log
	if err := whole(); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
}
