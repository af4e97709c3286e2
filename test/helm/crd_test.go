package helm

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

var (
	dnsEndpoints      = rule{"externaldns.k8s.io", "dnsendpoints", read}
	dnsEndpointStatus = rule{"externaldns.k8s.io", "dnsendpoints/status", "patch"}
	dnsEndpointGVR    = schema.GroupVersionResource{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"}
)

// TestCRDRender: the RBAC rules for DNSEndpoints appear only with the crd source, in a
// ClusterRole or, namespaced, a Role, and the Deployment reads the crd source then;
// helm template shows the CRD only with --include-crds (TestCRDInstall installs it).
func TestCRDRender(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 0},
		{[]string{"--include-crds"}, 1},
	} {
		n := 0
		for _, o := range Template(t, release, namespace, tt.args...) {
			if o.GetKind() == "CustomResourceDefinition" && o.GetName() == "dnsendpoints.externaldns.k8s.io" {
				n++
			}
		}
		if n != tt.want {
			t.Errorf("helm template %v: %d DNSEndpoint CRDs, want %d", tt.args, n, tt.want)
		}
	}

	tests := []struct {
		name  string
		set   []string
		kind  string
		rules []rule
	}{
		{"crd source", []string{"sources={service,ingress,crd}"}, "ClusterRole",
			[]rule{pods, services, events, endpointSlices, dnsEndpoints, dnsEndpointStatus, ingresses, nodes}},
		{"crd only", []string{"sources={crd}"}, "ClusterRole", []rule{events, dnsEndpoints, dnsEndpointStatus}},
		{"crd only, namespaced", []string{"sources={crd}", "namespaced=true"}, "Role", []rule{events, dnsEndpoints, dnsEndpointStatus}},
		{"no crd source", nil, "ClusterRole", []rule{pods, services, events, endpointSlices, ingresses, nodes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, _ := renderRole(t, tt.set, tt.kind, tt.rules)
			wantArg := tt.kind == "Role" || slices.Contains(tt.rules, dnsEndpoints)
			if got := slices.Contains(container(t, deployment(t, objs)).Args, "--source=crd"); got != wantArg {
				t.Errorf("--source=crd among the Deployment's args: %t, want %t", got, wantArg)
			}
		})
	}
}

// TestCRDInstall installs the chart with a real helm binary on a real kube-apiserver:
// with --skip-crds the DNSEndpoint CRD is left out, without it the CRD is installed and
// served. Then it acts as the chart's ServiceAccount: with the crd source it may list,
// watch and get DNSEndpoints and patch their status, and nothing more of them (not
// their spec, not delete them); without the crd source, not even list them.
func TestCRDInstall(t *testing.T) {
	c := kubeapi.StartT(t)
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := kubeapi.WriteKubeconfig(c.Config, kubeconfig); err != nil {
		t.Fatal(err)
	}
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	helmInstall := func(t *testing.T, ns, sources string, extra ...string) []*unstructured.Unstructured {
		t.Helper()
		values := []string{"--set", "provider.name=inmemory", "--set", "inmemory.zones={example.com}",
			"--set", "serviceMonitor.enabled=false", "--set", sources}
		args := append([]string{"install", ns, ChartDir(), "--namespace", ns, "--kubeconfig", kubeconfig}, values...)
		if _, err := Run(t, append(args, extra...)...); err != nil {
			t.Fatal(err)
		}
		return Template(t, ns, ns, values...)
	}

	skipped := c.Namespace(t)
	helmInstall(t, skipped, "sources={crd}", "--skip-crds")
	if _, err := crds.Get(t.Context(), "dnsendpoints.externaldns.k8s.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("after helm install --skip-crds, getting the DNSEndpoint CRD: %v, want not found", err)
	}
	withCRD := c.Namespace(t)
	objs := helmInstall(t, withCRD, "sources={service,ingress,crd}")
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := dyn.Resource(dnsEndpointGVR).List(t.Context(), metav1.ListOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after helm install, the DNSEndpoint CRD is not served: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	without := c.Namespace(t)
	objsWithout := helmInstall(t, without, "sources={service,ingress}")

	for _, tt := range []struct {
		name    string
		ns      string
		objs    []*unstructured.Unstructured
		allowed bool
	}{
		{"with the crd source", withCRD, objs, true},
		{"without", without, objsWithout, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ns := tt.ns
			ep := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
				"metadata": map[string]any{"name": "mail", "namespace": ns},
				"spec": map[string]any{"endpoints": []any{map[string]any{
					"dnsName": "example.com", "recordType": "MX", "targets": []any{"10 mail.example.com"},
				}}},
			}}
			if _, err := dyn.Resource(dnsEndpointGVR).Namespace(ns).Create(t.Context(), ep, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			sa := Find(tt.objs, "ServiceAccount", "").GetName()
			tr, err := c.Client.CoreV1().ServiceAccounts(ns).CreateToken(t.Context(), sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			as, err := dynamic.NewForConfig(&rest.Config{Host: c.Config.Host, TLSClientConfig: rest.TLSClientConfig{CAData: c.Config.CAData}, BearerToken: tr.Status.Token})
			if err != nil {
				t.Fatal(err)
			}
			// RBAC is evaluated per request; the binding was created just now.
			r := as.Resource(dnsEndpointGVR)
			check := func(what string, err error, allowed bool) {
				t.Helper()
				switch {
				case allowed && err != nil:
					t.Errorf("%s as the chart's ServiceAccount: %v, want it allowed", what, err)
				case !allowed && !apierrors.IsForbidden(err):
					t.Errorf("%s as the chart's ServiceAccount: %v, want forbidden", what, err)
				}
			}
			_, err = r.List(t.Context(), metav1.ListOptions{})
			check("list DNSEndpoints cluster-wide", err, tt.allowed)
			w, err := r.Namespace(ns).Watch(t.Context(), metav1.ListOptions{})
			if err == nil {
				w.Stop()
			}
			check("watch DNSEndpoints", err, tt.allowed)
			_, err = r.Namespace(ns).Get(t.Context(), "mail", metav1.GetOptions{})
			check("get a DNSEndpoint", err, tt.allowed)
			_, err = r.Namespace(ns).Patch(t.Context(), "mail", types.MergePatchType, []byte(`{"status":{"observedGeneration":1}}`), metav1.PatchOptions{}, "status")
			check("merge-patch a DNSEndpoint's status", err, tt.allowed)
			_, err = r.Namespace(ns).Patch(t.Context(), "mail", types.MergePatchType, []byte(`{"spec":{"endpoints":[]}}`), metav1.PatchOptions{})
			check("patch a DNSEndpoint's spec", err, false)
			err = r.Namespace(ns).Delete(t.Context(), "mail", metav1.DeleteOptions{})
			check("delete a DNSEndpoint", err, false)
			if tt.allowed {
				got, err := dyn.Resource(dnsEndpointGVR).Namespace(ns).Get(t.Context(), "mail", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if g, _, _ := unstructured.NestedInt64(got.Object, "status", "observedGeneration"); g != 1 {
					t.Errorf("status.observedGeneration = %d after the patch, want 1", g)
				}
			}
		})
	}
}
