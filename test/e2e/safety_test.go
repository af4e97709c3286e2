package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
)

// rfc2136Flags are the flags that point a daemon at srv's zone example.com, its TSIG
// secret in a file.
func rfc2136Flags(t testing.TB, srv *dnsserver.Server) []string {
	t.Helper()
	secretFile := filepath.Join(t.TempDir(), "tsig")
	if err := os.WriteFile(secretFile, []byte(srv.Secret), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		"--provider=rfc2136", "--rfc2136-host=" + srv.Host, "--rfc2136-port=" + strconv.Itoa(srv.Port),
		"--rfc2136-zone=" + zone, "--rfc2136-tsig-keyname=" + srv.KeyName,
		"--rfc2136-tsig-secret-alg=" + srv.Algorithm, "--rfc2136-tsig-secret-file=" + secretFile,
	}
}

// createIngresses creates n Ingresses named prefix-<i> in ns, each asking for
// prefix-<i>.example.com with the status IP ip(i).
func createIngresses(t testing.TB, client kubernetes.Interface, ns, prefix string, n int, ip func(int) string) {
	t.Helper()
	api := client.NetworkingV1().Ingresses(ns)
	if err := parallel.ForEach(t.Context(), n, loadWorkers, func(i int) error {
		name := fmt.Sprintf("%s-%d", prefix, i)
		ing, err := api.Create(t.Context(), newIngress(ns, name, []string{name + "." + zone}, nil), metav1.CreateOptions{})
		if err != nil {
			return err
		}
		_, err = api.UpdateStatus(t.Context(), withIngressIPs(ing, ip(i)), metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// ownersIn reads srv's zone by AXFR and returns, for each name holding an A record, the
// owner id of its ownership record ("" for none).
func ownersIn(ctx context.Context, srv *dnsserver.Server) (map[string]string, error) {
	rrs, err := srv.Transfer(ctx, zone)
	if err != nil {
		return nil, err
	}
	owners := map[string]string{}
	txt := map[string]string{}
	for _, rr := range rrs {
		name := strings.TrimSuffix(rr.Header().Name, ".")
		switch rr := rr.(type) {
		case *dns.A:
			owners[name] = ""
		case *dns.TXT:
			if labels, ok := registry.ParseOwnership(strings.Join(rr.Txt, "")); ok {
				txt[name] = labels["owner"]
			}
		}
	}
	for name := range owners {
		owners[name] = txt["a-"+name]
	}
	return owners, nil
}

// TestTwoOwners runs two daemons with the owner ids "a" and "b" against one BIND9 zone,
// each publishing 500 Ingresses of its own namespace, and lets each reconcile at least
// 100 times once the zone has converged: neither may write anything more (no flap), and
// every record must end with the owner that made it.
func TestTwoOwners(t *testing.T) {
	t.Parallel()
	const (
		perOwner   = 500
		reconciles = 100
	)
	c := suite.cluster
	client := fastClient(t)
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{zone}})
	flags := rfc2136Flags(t, srv)
	daemons := map[string]*daemon{}
	for i, owner := range []string{"a", "b"} {
		ns := c.Namespace(t)
		createIngresses(t, client, ns, owner, perOwner, func(j int) string { return fmt.Sprintf("10.%d.%d.%d", i, j/250, j%250) })
		daemons[owner] = startDaemon(t, c.Kubeconfig, ns, t.TempDir(), append(slices.Clone(flags),
			"--txt-owner-id="+owner, "--interval=100ms", "--min-event-sync-interval=50ms")...)
	}
	converged := func() error {
		owners, err := ownersIn(t.Context(), srv)
		if err != nil {
			return err
		}
		for _, owner := range []string{"a", "b"} {
			for j := range perOwner {
				name := fmt.Sprintf("%s-%d.%s", owner, j, zone)
				if got, ok := owners[name]; !ok || got != owner {
					return fmt.Errorf("%s: owner %q (present %t), want %q", name, got, ok, owner)
				}
			}
		}
		if len(owners) != 2*perOwner {
			return fmt.Errorf("%d names with A records, want %d", len(owners), 2*perOwner)
		}
		return nil
	}
	daemons["a"].waitFor(t, 2*convergeTimeout, "both owners' records", converged)

	type counts struct{ reconciles, updates, changes float64 }
	read := func(d *daemon) counts {
		updates, err := d.metric("zonekeeper_provider_calls_total", `operation="update"`)
		if err != nil {
			t.Fatal(err)
		}
		changes, err := d.metric("zonekeeper_changes_total")
		if err != nil {
			t.Fatal(err)
		}
		return counts{d.reconciles(t), updates, changes}
	}
	// A daemon may still be finishing the reconcile that saw the other's last write.
	for _, d := range daemons {
		d.waitFor(t, convergeTimeout, "a reconcile with nothing to do", func() error {
			before := read(d)
			after := before
			for after.reconciles < before.reconciles+2 {
				after = read(d)
			}
			if after.updates != before.updates {
				return fmt.Errorf("still writing: %v UPDATE messages", after.updates-before.updates)
			}
			return nil
		})
	}
	before := map[string]counts{"a": read(daemons["a"]), "b": read(daemons["b"])}
	for owner, d := range daemons {
		d.waitFor(t, 4*convergeTimeout, fmt.Sprintf("%d reconciles of %s", reconciles, owner), func() error {
			if n := read(d).reconciles - before[owner].reconciles; n < reconciles {
				return fmt.Errorf("%v reconciles so far", n)
			}
			return nil
		})
	}
	for owner, d := range daemons {
		after := read(d)
		t.Logf("owner %s: %v reconciles, %v UPDATE messages, %v record changes", owner,
			after.reconciles-before[owner].reconciles, after.updates-before[owner].updates, after.changes-before[owner].changes)
		if after.updates != before[owner].updates || after.changes != before[owner].changes {
			t.Errorf("owner %s wrote after convergence: %v UPDATE messages, %v changes; want none",
				owner, after.updates-before[owner].updates, after.changes-before[owner].changes)
		}
	}
	if err := converged(); err != nil {
		t.Error(err)
	}
}

// TestSourceGlitch: 1,000 records exist when the daemon's Ingress source suddenly sees
// none — here a daemon restarted on an empty namespace, as after a wrong --namespace or
// an API server restored from an empty etcd. The deletion budget must hold back every
// deletion, report it, and the records must stay; the daemon pointed back at the right
// namespace has nothing to do.
func TestSourceGlitch(t *testing.T) {
	t.Parallel()
	const records = 1000
	c := suite.cluster
	client := fastClient(t)
	ns, empty := c.Namespace(t), c.Namespace(t)
	dir := t.TempDir()
	createIngresses(t, client, ns, "glitch", records, func(i int) string { return fmt.Sprintf("10.9.%d.%d", i/250, i%250) })
	var want []string
	for i := range records {
		name := fmt.Sprintf("glitch-%d", i)
		want = append(want, owned("ingress/"+ns+"/"+name, name+"."+zone, fmt.Sprintf("10.9.%d.%d", i/250, i%250))...)
	}
	d := startDaemon(t, c.Kubeconfig, ns, dir)
	d.waitZoneWithin(t, 2*convergeTimeout, want)
	d.stop(t)

	glitched := startDaemon(t, c.Kubeconfig, empty, dir)
	glitched.waitFor(t, convergeTimeout, "the deletions to be withheld", func() error {
		n, err := glitched.metric("zonekeeper_deletions_withheld_total", `reason="deletion_budget"`)
		if err != nil {
			return err
		}
		if n < records {
			return fmt.Errorf("%v deletions withheld for the budget, want %d", n, records)
		}
		return nil
	})
	if err := zoneIs(t.Context(), dir, want); err != nil {
		t.Errorf("after the glitch: %v", err)
	}
	if n, err := glitched.metric("zonekeeper_changes_total", `kind="delete"`, `result="applied"`); err != nil || n != 0 {
		t.Errorf("%v deletions applied (%v), want 0", n, err)
	}
	glitched.stop(t)

	restored := startDaemon(t, c.Kubeconfig, ns, dir)
	restored.waitReady(t, convergeTimeout)
	if n, err := restored.metric("zonekeeper_changes_total"); err != nil || n != 0 {
		t.Errorf("restored daemon made %v changes (%v), want none", n, err)
	}
	if err := zoneIs(t.Context(), dir, want); err != nil {
		t.Errorf("after the restore: %v", err)
	}
}

// TestDeletionsOverEvents: Ingresses deleted one after another, each reconciled on its
// own after its event, count together against --max-deletions=2 for one --interval: the
// first two records go at once, the third waits, and goes once the window has let go of
// the first two (docs/cli.md, "Deletion safety"). The interval must outlast the steps
// before the third deletion, or the window would let go of the first too early.
func TestDeletionsOverEvents(t *testing.T) {
	t.Parallel()
	const interval = 10 * time.Second
	c := suite.cluster
	ns := c.Namespace(t)
	dir := t.TempDir()
	d := startDaemon(t, c.Kubeconfig, ns, dir, "--max-deletions=2", "--interval="+interval.String())
	d.waitReady(t, convergeTimeout)
	api := c.Client.NetworkingV1().Ingresses(ns)
	var names []string
	var want [][]string
	for i := range 3 {
		name := fmt.Sprintf("burst-%d", i)
		createIngress(t, c.Client, newIngress(ns, name, []string{name + "." + zone}, nil), fmt.Sprintf("192.0.2.%d", 30+i))
		names = append(names, name)
		want = append(want, owned("ingress/"+ns+"/"+name, name+"."+zone, fmt.Sprintf("192.0.2.%d", 30+i)))
	}
	d.waitZone(t, slices.Concat(want...))

	start := time.Now()
	for i := range 2 {
		if err := api.Delete(t.Context(), names[i], metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		d.waitZone(t, slices.Concat(want[i+1:]...))
	}
	if err := api.Delete(t.Context(), names[2], metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the third deletion to be withheld", func() error {
		n, err := d.metric("zonekeeper_deletions_withheld_total", `reason="deletion_budget"`)
		if err == nil && n == 0 {
			err = errors.New("no deletion withheld for the budget yet")
		}
		return err
	})
	if since := time.Since(start); since >= interval {
		t.Fatalf("the steps took %v, longer than the window of %v: the test proves nothing", since, interval)
	}
	if err := zoneIs(t.Context(), dir, want[2]); err != nil {
		t.Errorf("while the third deletion waits: %v", err)
	}
	if log := d.log.String(); !strings.Contains(log, "1 deletions planned and 2 made in the last 10s in the zone, more than --max-deletions=2") {
		t.Errorf("no deletion withheld with the window's reason in the log:\n%s", d.log.tail(40))
	}
	d.waitZoneWithin(t, 2*interval+convergeTimeout, nil)
}

// TestVanishedAddress: an Ingress whose load balancer status empties keeps its record;
// deleting the Ingress then deletes it.
func TestVanishedAddress(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	dir := t.TempDir()
	d := startDaemon(t, c.Kubeconfig, ns, dir)
	d.waitReady(t, convergeTimeout)
	app := "app." + zone
	res := "ingress/" + ns + "/web"

	ing := createIngress(t, c.Client, newIngress(ns, "web", []string{app}, nil), "192.0.2.1")
	d.waitZone(t, owned(res, app, "192.0.2.1"))

	ing = setIngressIPs(t, c.Client, ing)
	d.waitFor(t, convergeTimeout, "the deletion to be withheld", func() error {
		n, err := d.metric("zonekeeper_deletions_withheld_total", `reason="object_without_address"`)
		if err == nil && n == 0 {
			err = fmt.Errorf("no deletion withheld for an object without address yet")
		}
		return err
	})
	if err := zoneIs(t.Context(), dir, owned(res, app, "192.0.2.1")); err != nil {
		t.Errorf("with the status emptied: %v", err)
	}

	if err := c.Client.NetworkingV1().Ingresses(ns).Delete(t.Context(), ing.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitZone(t, nil)
}

// TestConflictDoesNotFlap: two Ingresses ask for one name as CNAMEs to different load
// balancers, which cannot merge. The first one keeps the name through many reconciles
// and through changes of the second; the conflict is counted; once the first lets go of
// the name, the second gets it.
func TestConflictDoesNotFlap(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	dir := t.TempDir()
	d := startDaemon(t, c.Kubeconfig, ns, dir, "--interval=100ms", "--min-event-sync-interval=50ms")
	d.waitReady(t, convergeTimeout)
	app := "app." + zone
	cname := func(object, lb string) []string {
		return []string{
			fmt.Sprintf("%s %d CNAME %s", app, defaultTTL, lb),
			fmt.Sprintf("cname-%s %d TXT %s", app, defaultTTL, ownershipValue(owner, "ingress/"+ns+"/"+object)),
		}
	}
	create := func(name, lb string) *networkingv1.Ingress {
		ing, err := c.Client.NetworkingV1().Ingresses(ns).Create(t.Context(),
			withAnnotation(newIngress(ns, name, []string{app}, nil), targetAnnotation, lb), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ing
	}

	first := create("first", "lb-1.example.net")
	d.waitZone(t, cname("first", "lb-1.example.net"))
	second := create("second", "lb-2.example.net")
	d.waitFor(t, convergeTimeout, "the conflict to be counted", func() error {
		n, err := d.metric("zonekeeper_conflicts")
		if err == nil && n == 0 {
			err = fmt.Errorf("zonekeeper_conflicts is 0")
		}
		return err
	})
	before := d.reconciles(t)
	for i := 3; i < 6; i++ {
		second = annotateIngress(t, c.Client, second, targetAnnotation, fmt.Sprintf("lb-%d.example.net", i))
	}
	d.waitFor(t, convergeTimeout, "20 more reconciles", func() error {
		if n := d.reconciles(t) - before; n < 20 {
			return fmt.Errorf("%v reconciles so far", n)
		}
		return nil
	})
	if n, err := d.metric("zonekeeper_changes_total", `result="applied"`); err != nil || n != 1 {
		t.Errorf("%v changes applied (%v), want only the first record's creation: no flapping", n, err)
	}
	if err := zoneIs(t.Context(), dir, cname("first", "lb-1.example.net")); err != nil {
		t.Errorf("the first object lost its name: %v", err)
	}

	if err := c.Client.NetworkingV1().Ingresses(ns).Delete(t.Context(), first.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitZone(t, cname("second", "lb-5.example.net"))
}
