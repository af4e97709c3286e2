package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// TestAPIServerOutage stops the API server under a running daemon: the daemon must
// keep running, turn unready, and delete nothing while it cannot see the cluster; once
// the API server is back it must turn ready again and follow new changes.
func TestAPIServerOutage(t *testing.T) {
	t.Parallel()
	c := kubeapi.StartT(t) // its own: this test stops the API server
	ns := c.Namespace(t)
	dir := t.TempDir()
	seeds := seedZone(t, dir)
	const interval = 2 * time.Second
	d := startDaemon(t, c.Kubeconfig, ns, dir, "--interval="+interval.String())

	const app = "app." + zone
	res := "ingress/" + ns + "/web"
	ing := createIngress(t, c.Client, newIngress(ns, "web", []string{app}, nil), "192.0.2.1")
	want := append(owned(res, app, "192.0.2.1"), seedRecords()...)
	d.waitZone(t, want)
	d.waitReady(t, convergeTimeout)
	sourceErrors := func() float64 {
		n, err := d.metric("zonekeeper_source_errors_total")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sourceErrorsBefore := sourceErrors()

	if err := c.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	// From here until the API server is back, every poll checks the zone first.
	unchanged := func() {
		if err := zoneIs(t.Context(), dir, want); err != nil {
			t.Fatalf("during the outage: %v", err)
		}
	}
	if err := d.poll(10*interval, "/readyz to answer 503 during the outage", func() error {
		unchanged()
		status, body, err := d.readyz()
		if err != nil {
			return err
		}
		if status != http.StatusServiceUnavailable {
			return fmt.Errorf("/readyz: %d %s", status, body)
		}
		t.Logf("/readyz during the outage: %d %s", status, body)
		return nil
	}); err != nil {
		t.Error(err) // go on: deletions and recovery are worth checking regardless
	}
	// Several reconciles during the outage, each a chance to delete.
	from := d.reconciles(t)
	d.waitFor(t, convergeTimeout, "three reconciles during the outage", func() error {
		unchanged()
		if n := d.reconciles(t); n < from+3 {
			return fmt.Errorf("zonekeeper_reconciles_total = %v, want ≥ %v", n, from+3)
		}
		return nil
	})
	unchanged()
	seedLinesUnchanged(t, dir, seeds)
	if n := sourceErrors(); n <= sourceErrorsBefore {
		t.Errorf("zonekeeper_source_errors_total = %v during the outage, want more than the %v before it", n, sourceErrorsBefore)
	}

	if err := c.StartAPIServer(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The source restarts its informers once the API server answers, instead of
	// waiting out client-go's watch backoff (up to a minute after an outage this long).
	restarted := time.Now()
	d.waitReady(t, convergeTimeout)
	setIngressIPs(t, c.Client, ing, "192.0.2.2")
	d.waitZone(t, append(owned(res, app, "192.0.2.2"), seedRecords()...))
	t.Logf("ready again and a change after the outage applied %s after the API server restarted", time.Since(restarted).Round(100*time.Millisecond))
	seedLinesUnchanged(t, dir, seeds)
}
