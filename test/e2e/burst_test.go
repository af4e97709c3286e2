package e2e

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
)

// TestBurst sends 2,000 Ingress updates at once — 200 Ingresses, 10 changes each,
// alternating status IP and TTL annotation — and checks that the daemon coalesces them
// into few reconciles and still ends with exactly the right zone.
func TestBurst(t *testing.T) {
	t.Parallel()
	const (
		ingresses = 200
		changes   = 10
		// Far below one reconcile per update; with the default
		// --min-event-sync-interval of 1 s the burst takes a handful.
		maxReconciles = 100
	)
	c := suite.cluster
	client := fastClient(t)
	ns := c.Namespace(t)
	dir := t.TempDir()

	// Without status the Ingresses ask for nothing yet.
	api := client.NetworkingV1().Ingresses(ns)
	created := make([]*networkingv1.Ingress, ingresses)
	if err := parallel.ForEach(t.Context(), ingresses, loadWorkers, func(i int) (err error) {
		created[i], err = api.Create(t.Context(), newIngress(ns, burstName(i), []string{burstHost(i)}, nil), metav1.CreateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, c.Kubeconfig, ns, dir)
	d.waitReady(t, convergeTimeout)
	d.waitZone(t, nil)
	before := d.reconciles(t)

	start := time.Now()
	if err := parallel.ForEach(t.Context(), ingresses, loadWorkers, func(i int) error {
		ing := created[i]
		var err error
		for j := range changes {
			if j%2 == 0 {
				ing, err = api.UpdateStatus(t.Context(), withIngressIPs(ing, burstIP(j)), metav1.UpdateOptions{})
			} else {
				ing, err = api.Update(t.Context(), withAnnotation(ing, ttlAnnotation, strconv.Itoa(burstTTL(j))), metav1.UpdateOptions{})
			}
			if err != nil {
				return fmt.Errorf("change %d of ingress %s: %w", j, burstName(i), err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sent := time.Since(start)
	var want []string
	for i := range ingresses {
		name := burstHost(i)
		want = append(want, aTTL(name, burstTTL(changes-1), burstIP(changes-2)), ownershipTXT(owner, name, "ingress/"+ns+"/"+burstName(i)))
	}
	d.waitZoneWithin(t, 2*convergeTimeout, want)
	after := d.reconciles(t)
	t.Logf("%d updates of %d Ingresses, sent in %v, took %v reconciles", ingresses*changes, ingresses, sent.Round(time.Millisecond), after-before)
	if after-before > maxReconciles {
		t.Errorf("%d updates took %v reconciles, want at most %d", ingresses*changes, after-before, maxReconciles)
	}
	if after == before {
		t.Error("no reconcile counted in zonekeeper_reconciles_total, yet the zone changed")
	}
}

func burstName(i int) string { return fmt.Sprintf("burst-%d", i) }

func burstHost(i int) string { return fmt.Sprintf("burst-%d.%s", i, zone) }

// burstIP is the status IP change j writes (changes 0, 2, 4, …).
func burstIP(j int) string { return fmt.Sprintf("192.0.2.%d", 100+j) }

// burstTTL is the TTL change j writes (changes 1, 3, 5, …).
func burstTTL(j int) int { return 60 + j }
