package e2e

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestIngressLifecycle follows one Ingress from creation to deletion and checks the
// zone after each step, including that records zonekeeper does not own — one of
// another owner, one of nobody — stay byte for byte as they were, even when the
// Ingress asks for their names.
func TestIngressLifecycle(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	dir := t.TempDir()
	seeds := seedZone(t, dir)
	d := startDaemon(t, c.Kubeconfig, ns, dir)
	d.waitReady(t, convergeTimeout)

	const (
		app    = "app." + zone
		secure = "secure." + zone
		extra  = "extra." + zone
	)
	res := "ingress/" + ns + "/web"
	step := func(name string, want ...[]string) {
		t.Helper()
		d.waitStep(t, name, seeds, want...)
	}

	// The TLS section also names the foreign record, which must stay the other owner's.
	ing := createIngress(t, c.Client, newIngress(ns, "web", []string{app}, []string{secure, foreignName}), "192.0.2.1")
	step("created", owned(res, app, "192.0.2.1"), owned(res, secure, "192.0.2.1"))

	ing = setIngressIPs(t, c.Client, ing, "192.0.2.2")
	step("status IP changed", owned(res, app, "192.0.2.2"), owned(res, secure, "192.0.2.2"))

	// Spaces and a trailing dot as people write them; the unowned name must stay unowned.
	ing = annotateIngress(t, c.Client, ing, hostnameAnnotation, " "+extra+". , "+manualName)
	step("hostname annotation added", owned(res, app, "192.0.2.2"), owned(res, secure, "192.0.2.2"), owned(res, extra, "192.0.2.2"))

	if err := c.Client.NetworkingV1().Ingresses(ns).Delete(t.Context(), ing.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	step("deleted")
	d.waitReady(t, convergeTimeout)
}
