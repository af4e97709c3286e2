package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/zonekeeper/zonekeeper/test/helm"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// TestChartRBAC installs the chart's rendered manifests into the real API server and
// runs the daemon as the chart's ServiceAccount, with a token from the TokenRequest
// API: Ingress and Service records must converge, which proves the chart's rules
// sufficient for what its sources read, cluster-wide and in namespaced mode; and the
// objects must get their RecordReady Events and a repeated warning's series, which
// proves its rules on events (create, patch) sufficient.
func TestChartRBAC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		namespaced bool
	}{
		{"cluster", false},
		{"namespaced", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := suite.cluster
			ns := c.Namespace(t)
			objs := installChart(t, c, ns, fmt.Sprintf("namespaced=%t", tt.namespaced))
			d := startAsChart(t, c, ns, objs, tt.namespaced, t.TempDir(), "--events-emit=RecordReady")
			d.waitReady(t, convergeTimeout)

			app, lb := "app."+ns+"."+zone, "lb."+ns+"."+zone
			web := createIngress(t, c.Client, newIngress(ns, "web", []string{app}, nil), "192.0.2.1")
			svc := createService(t, c.Client, ns, "lb", lb, corev1.ServiceSpec{
				Type:  corev1.ServiceTypeLoadBalancer,
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
			})
			setServiceIPs(t, c.Client, svc, "192.0.2.10")
			d.waitZone(t, slices.Concat(owned("ingress/"+ns+"/web", app, "192.0.2.1"), owned("service/"+ns+"/lb", lb, "192.0.2.10")))
			waitEvent(t, d, c.Client, ns, wantEvent{"Ingress", "web", "RecordReady", "Normal", app + " → 192.0.2.1 published", web.UID})
			waitEvent(t, d, c.Client, ns, wantEvent{"Service", "lb", "RecordReady", "Normal", lb + " → 192.0.2.10 published", svc.UID})
			// Moving the address away and back tells the first message again, which the
			// broadcaster writes as the series of its first Event: a patch.
			web = setIngressIPs(t, c.Client, web, "192.0.2.2")
			d.waitZone(t, slices.Concat(owned("ingress/"+ns+"/web", app, "192.0.2.2"), owned("service/"+ns+"/lb", lb, "192.0.2.10")))
			setIngressIPs(t, c.Client, web, "192.0.2.1")
			d.waitFor(t, convergeTimeout, "the first RecordReady of ingress web to become a series", func() error {
				evs, err := eventsOf(t.Context(), c.Client, ns, "web")
				if err != nil {
					return err
				}
				for _, e := range evs {
					if strings.Contains(e.Note, "192.0.2.1 published") && e.Series != nil && e.Series.Count >= 2 {
						return nil
					}
				}
				return fmt.Errorf("no Event of ingress web with a series: %d Events", len(evs))
			})
			if strings.Contains(d.log.String(), "forbidden") {
				t.Errorf("the daemon was refused something with the chart's RBAC:\n%s", d.log.tail(50))
			}
		})
	}
}

// TestChartRBACMissingRule takes the Ingress rule out of the chart's ClusterRole under
// records the daemon owns: the restarted daemon must say which permission it lacks,
// stay unready, and delete nothing although it sees no Ingress; once the rule is back
// it must turn ready with the records as they were.
func TestChartRBACMissingRule(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	objs := installChart(t, c, ns)
	d := startAsChart(t, c, ns, objs, false, t.TempDir())
	app := "app." + ns + "." + zone
	createIngress(t, c.Client, newIngress(ns, "web", []string{app}, nil), "192.0.2.1")
	want := owned("ingress/"+ns+"/web", app, "192.0.2.1")
	d.waitZone(t, want)
	d.stop(t)

	roles := c.Client.RbacV1().ClusterRoles()
	full, err := roles.Get(t.Context(), helm.Find(objs, "ClusterRole", "").GetName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cut := full.DeepCopy()
	cut.Rules = slices.DeleteFunc(cut.Rules, func(r rbacv1.PolicyRule) bool { return slices.Contains(r.Resources, "ingresses") })
	cut, err = roles.Update(t.Context(), cut, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	d = startAsChart(t, c, ns, objs, false, d.zoneDir)
	sa := helm.Find(objs, "ServiceAccount", "").GetName()
	refusal := fmt.Sprintf(`ingresses.networking.k8s.io is forbidden: User "system:serviceaccount:%s:%s" cannot list resource "ingresses" in API group "networking.k8s.io" at the cluster scope: zonekeeper needs get, list and watch on ingresses.networking.k8s.io`, ns, sa)
	// Each refused list is a retry, and a chance to act on an empty Ingress cache.
	const refusals = 3
	d.waitFor(t, convergeTimeout, fmt.Sprintf("%d refusals naming the missing permission", refusals), func() error {
		if err := zoneIs(t.Context(), d.zoneDir, want); err != nil {
			t.Fatalf("without the Ingress rule: %v", err)
		}
		if status, body, err := d.readyz(); err == nil && status == http.StatusOK {
			t.Fatalf("/readyz answers 200 without the Ingress rule: %s", body)
		}
		var n int
		for _, e := range d.log.entries("kube source: list or watch failed") {
			if msg, _ := e["error"].(string); e["resource"] == "ingresses" && strings.Contains(msg, refusal) {
				n++
			}
		}
		if n < refusals {
			return fmt.Errorf("%d log entries with resource ingresses and error %q, want %d", n, refusal, refusals)
		}
		return nil
	})

	cut.Rules = full.Rules
	if _, err := roles.Update(t.Context(), cut, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitReady(t, convergeTimeout)
	d.waitZone(t, want)
}

// installChart renders the chart as release ns into namespace ns, with the
// inmemory provider (no credentials to provide) and the values set, and creates
// every rendered object as the admin; it returns the objects.
func installChart(t *testing.T, c *kubeapi.Cluster, ns string, set ...string) []*unstructured.Unstructured {
	t.Helper()
	args := []string{"--set", "provider.name=inmemory", "--set", "inmemory.zones={" + zone + "}"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	objs := helm.Template(t, ns, ns, args...)
	helm.Create(t, c.Config, objs)
	return objs
}

// startAsChart runs the daemon out of the cluster as the chart's ServiceAccount,
// writing zone example.com in zoneDir, with the extra flags, reading what the chart's Deployment tells it to: its sources, its namespace in
// namespaced mode, every namespace otherwise (with a domain filter keeping other
// tests' objects out, and no warning Events), and leader election once the binary has it.
func startAsChart(t *testing.T, c *kubeapi.Cluster, ns string, objs []*unstructured.Unstructured, namespaced bool, zoneDir string, extra ...string) *daemon {
	t.Helper()
	args := deploymentArgs(t, objs)
	for _, want := range []string{"--source=service", "--source=ingress"} {
		if !slices.Contains(args, want) {
			t.Fatalf("the chart's args %q lack %s, which the daemon under test reads", args, want)
		}
	}
	flags := []string{"--domain-filter=" + ns + "." + zone}
	if namespaced {
		if !slices.Contains(args, "--namespace="+ns) {
			t.Fatalf("namespaced chart's args %q lack --namespace=%s", args, ns)
		}
	} else {
		// Reading every namespace, it would also warn other tests' objects of their
		// troubles (an invalid hostname is one whatever the domain filter), and those
		// tests count their Events.
		flags = append(flags, "--namespace=", "--events-warnings=false")
	}
	// The chart's leader election, so that its Lease Role is proven too.
	for _, a := range args {
		if strings.HasPrefix(a, "--leader-elect") {
			flags = append(flags, a)
		}
	}
	// In a pod, POD_NAMESPACE names the Lease's namespace.
	flags = append(flags, "--leader-elect-namespace="+ns)
	sa := helm.Find(objs, "ServiceAccount", "")
	return startDaemon(t, serviceAccountKubeconfig(t, c, ns, sa.GetName()), ns, zoneDir, append(flags, extra...)...)
}

// deploymentArgs returns the zonekeeper container's arguments of the rendered
// Deployment.
func deploymentArgs(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	dep := helm.Find(objs, "Deployment", "")
	if dep == nil {
		t.Fatal("the chart rendered no Deployment")
	}
	containers, _, err := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if err != nil || len(containers) != 1 {
		t.Fatalf("Deployment containers: %v (%d of them)", err, len(containers))
	}
	args, _, err := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates as ServiceAccount
// ns/name with a token from the TokenRequest API, as a pod's projected token would.
func serviceAccountKubeconfig(t *testing.T, c *kubeapi.Cluster, ns, name string) string {
	t.Helper()
	tr, err := c.Client.CoreV1().ServiceAccounts(ns).CreateToken(t.Context(), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: new(int64(3600))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for ServiceAccount %s/%s: %v", ns, name, err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := &rest.Config{
		Host:            c.Config.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.Config.CAData},
		BearerToken:     tr.Status.Token,
	}
	if err := kubeapi.WriteKubeconfig(cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
