package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTenancy runs the daemon over two tenant namespaces and one zone, with a domain
// policy in a watched ConfigMap: tenant A (chosen by namespace name) may publish names
// under a.example.com, tenant B (chosen by a namespace label) under b.example.com. B's
// Ingress for A's name gets no record and a NameNotAllowed warning Event; A's and B's
// own names are published. A broken policy written to the ConfigMap is refused, and the
// last good one stays in force; a policy that takes A's name away keeps A's record,
// with a DeletionWithheld warning.
func TestTenancy(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	nsA, nsB := c.Namespace(t), c.Namespace(t)
	// Only this test's objects: the daemon watches every namespace, other tests' too.
	filterLabel := "zonekeeper.test/tenancy"
	tenantB, err := c.Client.CoreV1().Namespaces().Get(t.Context(), nsB, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tenantB.Labels = map[string]string{"zonekeeper.test/tenant": "b-" + nsA}
	if _, err := c.Client.CoreV1().Namespaces().Update(t.Context(), tenantB, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	aSuffix, bSuffix := "a."+zone, "b."+zone
	policyDoc := func(aSuffix string) string {
		return fmt.Sprintf(`default: deny
rules:
  - name: tenant-a
    namespaces: [%s]
    suffixes: [%s]
  - name: tenant-b
    namespaceSelector:
      matchLabels: {zonekeeper.test/tenant: b-%s}
    suffixes: [%s]
`, nsA, aSuffix, nsA, bSuffix)
	}
	cms := c.Client.CoreV1().ConfigMaps(nsA)
	cm, err := cms.Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "domain-policy"},
		Data: map[string]string{"policy.yaml": policyDoc(aSuffix)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setPolicy := func(doc string) {
		t.Helper()
		cm.Data["policy.yaml"] = doc
		if cm, err = cms.Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	seedZone(t, dir)
	d := startDaemon(t, c.Kubeconfig, nsA, dir, "--namespace=", "--label-filter="+filterLabel+"="+nsA,
		"--domain-policy-configmap="+nsA+"/domain-policy", "--interval=1s")
	d.waitReady(t, convergeTimeout)
	ingress := func(ns, name, host, ip string) *networkingv1.Ingress {
		ing := newIngress(ns, name, []string{host}, nil)
		ing.Labels = map[string]string{filterLabel: nsA}
		return createIngress(t, c.Client, ing, ip)
	}
	has := func(recs []string, name string) bool {
		return slices.ContainsFunc(recs, func(r string) bool { return strings.HasPrefix(r, name+" ") })
	}
	waitRecords := func(what string, want, absent []string) {
		t.Helper()
		d.waitFor(t, convergeTimeout, what, func() error {
			recs, err := zoneRecords(t.Context(), dir)
			if err != nil {
				return err
			}
			for _, n := range want {
				if !has(recs, n) {
					return fmt.Errorf("no record of %s in %q", n, recs)
				}
			}
			for _, n := range absent {
				if has(recs, n) {
					return fmt.Errorf("%s published: %q", n, recs)
				}
			}
			return nil
		})
	}

	webA := ingress(nsA, "web", "www."+aSuffix, "192.0.2.1")
	ingress(nsB, "web", "www."+bSuffix, "192.0.2.2")
	steal := ingress(nsB, "steal", "login."+aSuffix, "192.0.2.66")
	waitRecords("tenant A's and B's own names", []string{"www." + aSuffix, "www." + bSuffix}, nil)
	waitEvent(t, d, c.Client, nsB, wantEvent{"Ingress", steal.Name, "NameNotAllowed", "Warning",
		"login." + aSuffix + " may not be published from namespace " + nsB + " by the domain policy: namespace " + nsB + " may publish only names under " + bSuffix, steal.UID})
	waitRecords("no record of B's Ingress for A's name", nil, []string{"login." + aSuffix})
	if n, err := d.metric("zonekeeper_policy_refused", `namespace="`+nsB+`"`); err != nil || n != 1 {
		t.Errorf("zonekeeper_policy_refused{namespace=%q} = %v (%v), want 1", nsB, n, err)
	}

	// A broken policy is refused; the last good one stays in force, new objects included.
	setPolicy("default: sometimes\n")
	d.waitFor(t, convergeTimeout, "the broken policy refused", func() error {
		if !d.log.hasMessage("domain policy refused; the last good one stays in force") {
			return fmt.Errorf("no refusal in the log")
		}
		if n, err := d.metric("zonekeeper_policy_last_load_success"); err != nil || n != 0 {
			return fmt.Errorf("zonekeeper_policy_last_load_success = %v (%v), want 0", n, err)
		}
		if n, err := d.metric("zonekeeper_policy_loads_total", `result="refused"`); err != nil || n != 1 {
			return fmt.Errorf(`zonekeeper_policy_loads_total{result="refused"} = %v (%v), want 1`, n, err)
		}
		return nil
	})
	if got := d.log.field("domain policy refused; the last good one stays in force", "err"); !strings.Contains(got, `"default" "sometimes": want deny or allow`) {
		t.Errorf("the refusal names %q, want the problem", got)
	}
	more := ingress(nsA, "more", "more."+aSuffix, "192.0.2.3")
	waitRecords("a new name of A's under the last good policy", []string{"more." + aSuffix, "www." + aSuffix, "www." + bSuffix}, []string{"login." + aSuffix})
	start := d.reconciles(t)
	d.waitFor(t, convergeTimeout, "three more reconciles", func() error {
		if d.reconciles(t) < start+3 {
			return fmt.Errorf("waiting")
		}
		return nil
	})
	waitRecords("still no record of B's Ingress for A's name", nil, []string{"login." + aSuffix})

	// A good policy that takes A's names away: the records stay, the objects are told.
	setPolicy(policyDoc("elsewhere." + zone))
	waitEvent(t, d, c.Client, nsA, wantEvent{"Ingress", webA.Name, "DeletionWithheld", "Warning", "the domain policy no longer allows its object the name", webA.UID})
	waitEvent(t, d, c.Client, nsA, wantEvent{"Ingress", more.Name, "NameNotAllowed", "Warning", "namespace " + nsA + " may publish only names under elsewhere." + zone, more.UID})
	waitRecords("A's records kept after the policy changed", []string{"more." + aSuffix, "www." + aSuffix, "www." + bSuffix}, nil)
	if n, err := d.metric("zonekeeper_policy_last_load_success"); err != nil || n != 1 {
		t.Errorf("zonekeeper_policy_last_load_success = %v (%v), want 1", n, err)
	}

}
