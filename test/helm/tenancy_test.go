package helm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/zonekeeper/zonekeeper/policy"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// tenancyValues is a values file with the domain policy and its admission policy on:
// tenant A, chosen by namespace name, may use names under a.example.com and the name
// www.example.com; tenant B, chosen by a label, names under b.example.com but not
// under admin.b.example.com; nobody login.a.example.com.
func tenancyValues(nsA, labelB string) string {
	return fmt.Sprintf(`tenancy:
  enabled: true
  admission: {enabled: true}
  policy:
    default: deny
    exclude: [Login.A.Example.com.]
    rules:
      - name: tenant-a
        namespaces: [%s]
        suffixes: [a.example.com]
        names: [www.example.com]
      - name: tenant-b
        namespaceSelector:
          matchLabels: {zonekeeper.test/tenant: %s}
          matchExpressions: [{key: zonekeeper.test/frozen, operator: DoesNotExist}]
        suffixes: [b.example.com]
        exclude: [admin.b.example.com]
`, nsA, labelB)
}

// TestTenancyAdmission installs the ValidatingAdmissionPolicy the chart renders from
// the tenancy values on a real kube-apiserver, and creates Ingresses and Services in
// two tenant namespaces and one no rule selects: each is admitted exactly when the
// domain policy (package policy, zonekeeper's own check, made of the ConfigMap the same
// values render) allows its namespace every hostname it names, and a refusal names the
// allowed suffixes.
func TestTenancyAdmission(t *testing.T) {
	c := kubeapi.StartT(t)
	nsA, nsB, nsC := c.Namespace(t), c.Namespace(t), c.Namespace(t)
	labelB := "b-" + nsB
	b, err := c.Client.CoreV1().Namespaces().Get(t.Context(), nsB, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b.Labels = map[string]string{"zonekeeper.test/tenant": labelB}
	if _, err := c.Client.CoreV1().Namespaces().Update(t.Context(), b, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	values := filepath.Join(t.TempDir(), "tenancy.yaml")
	if err := os.WriteFile(values, []byte(tenancyValues(nsA, labelB)), 0o644); err != nil {
		t.Fatal(err)
	}
	objs := Template(t, "tenancy", nsA, "-f", values)

	// zonekeeper's side: the ConfigMap holds a policy zonekeeper accepts.
	cm := Typed[corev1.ConfigMap](t, Find(objs, "ConfigMap", "-domain-policy"))
	pol, err := policy.Parse([]byte(cm.Data["policy.yaml"]))
	if err != nil {
		t.Fatalf("the rendered ConfigMap's policy: %v", err)
	}

	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
		obj := Find(objs, kind, "-domain-policy")
		res := schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: strings.ToLower(kind) + "s"}
		if res.Resource == "validatingadmissionpolicys" {
			res.Resource = "validatingadmissionpolicies"
		}
		if _, err := dyn.Resource(res).Create(t.Context(), obj, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
			t.Fatalf("create %s: %v", kind, err)
		}
	}

	ingress := func(ns, name string, hosts ...string) *networkingv1.Ingress {
		ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		ing.Spec.Rules = []networkingv1.IngressRule{{Host: hosts[0]}}
		if len(hosts) > 1 {
			ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: hosts[1:]}}
		}
		return ing
	}
	createIngress := func(ing *networkingv1.Ingress) error {
		_, err := c.Client.NetworkingV1().Ingresses(ing.Namespace).Create(t.Context(), ing, metav1.CreateOptions{})
		return err
	}
	// The API server loads a new admission policy asynchronously: wait until the
	// probe is refused, removing what was admitted before.
	probe := ingress(nsB, "probe", "login.a.example.com")
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := createIngress(probe)
		if apierrors.IsForbidden(err) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Client.NetworkingV1().Ingresses(nsB).Delete(t.Context(), probe.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the admission policy still admits the probe after 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// An update is checked like a creation.
	if _, err := c.Client.NetworkingV1().Ingresses(nsB).Get(t.Context(), "probe", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the refused probe: %v, want it not stored", err)
	}
	upd := ingress(nsB, "update", "up.b.example.com")
	if err := createIngress(upd); err != nil {
		t.Fatal(err)
	}
	stored, err := c.Client.NetworkingV1().Ingresses(nsB).Get(t.Context(), "update", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored.Spec.Rules[0].Host = "up.a.example.com"
	if _, err := c.Client.NetworkingV1().Ingresses(nsB).Update(t.Context(), stored, metav1.UpdateOptions{}); !apierrors.IsForbidden(err) ||
		!strings.Contains(err.Error(), "it may use names under b.example.com") {
		t.Errorf("update of an Ingress to A's name: %v, want a refusal naming b.example.com", err)
	}
	// So is an Ingress's hostname annotation.
	annotated := ingress(nsB, "annotated", "ok.b.example.com")
	annotated.Annotations = map[string]string{"external-dns.kubernetes.io/hostname": "www.a.example.com"}
	if err := createIngress(annotated); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "it may use names under b.example.com") {
		t.Errorf("an Ingress annotated with A's name: %v, want a refusal naming b.example.com", err)
	}
	httpRoutes(t, c, dyn, nsA, nsB)

	hostnameAnnotations := []string{"external-dns.alpha.kubernetes.io/hostname", "external-dns.kubernetes.io/hostname"}
	for i, tc := range []struct {
		ns    string
		hosts []string
		// annotation is a Service's hostname annotation; an Ingress when empty.
		annotation string
		// message is part of the refusal; empty when the object is to be admitted.
		message string
	}{
		{nsA, []string{"www.a.example.com"}, "", ""},
		{nsA, []string{"a.example.com", "*.a.example.com", "www.example.com"}, "", ""},
		{nsB, []string{"www.b.example.com"}, "", ""},
		// B asks for A's name: refused, with B's suffix in the message.
		{nsB, []string{"www.a.example.com"}, "", "namespace " + nsB + " may not use this hostname (domain policy): it may use names under b.example.com; never under login.a.example.com, admin.b.example.com"},
		// A TLS host is a hostname too.
		{nsB, []string{"www.b.example.com", "www.a.example.com"}, "", "it may use names under b.example.com"},
		{nsB, []string{"x.admin.b.example.com"}, "", "never under login.a.example.com, admin.b.example.com"},
		{nsA, []string{"badexample.com"}, "", "it may use names under a.example.com and the names www.example.com"},
		{nsA, []string{"x.www.example.com"}, "", "it may use names under a.example.com"},
		{nsA, []string{"login.a.example.com"}, "", "never under login.a.example.com"},
		{nsC, []string{"www.c.example.com"}, "", "no rule of the policy selects it, so it may use none"},
		{nsA, []string{"api.a.example.com, API.A.Example.COM.,"}, hostnameAnnotations[0], ""},
		{nsB, []string{"api.b.example.com,api.a.example.com"}, hostnameAnnotations[0], "it may use names under b.example.com"},
		{nsB, []string{" www.a.example.com. "}, hostnameAnnotations[1], "it may use names under b.example.com"},
		{nsC, []string{"x.a.example.com"}, hostnameAnnotations[1], "no rule of the policy selects it"},
	} {
		name := fmt.Sprintf("obj-%d", i)
		var err error
		what := "Ingress"
		if tc.annotation == "" {
			err = createIngress(ingress(tc.ns, name, tc.hosts...))
		} else {
			what = "Service"
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: tc.ns, Name: name, Annotations: map[string]string{tc.annotation: tc.hosts[0]}},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
			_, err = c.Client.CoreV1().Services(tc.ns).Create(t.Context(), svc, metav1.CreateOptions{})
		}
		// zonekeeper's own check must agree with the door.
		allowed := true
		for _, h := range tc.hosts {
			for _, one := range strings.Split(h, ",") {
				if strings.TrimSpace(one) == "" {
					continue
				}
				labels := map[string]string{}
				if tc.ns == nsB {
					labels["zonekeeper.test/tenant"] = labelB
				}
				if ok, _ := pol.Allows(policy.Namespace{Name: tc.ns, Labels: labels}, one); !ok {
					allowed = false
				}
			}
		}
		switch {
		case tc.message == "" && err != nil:
			t.Errorf("%s %s %q in %s: refused: %v", what, name, tc.hosts, tc.ns, err)
		case tc.message != "" && (err == nil || !strings.Contains(err.Error(), tc.message)):
			t.Errorf("%s %s %q in %s: %v; want a refusal containing %q", what, name, tc.hosts, tc.ns, err, tc.message)
		case tc.message == "" != allowed:
			t.Errorf("%s %q in %s: zonekeeper's policy allows: %v, the admission policy: %v", what, tc.hosts, tc.ns, allowed, err == nil)
		}
	}
}

// httpRoutes installs a minimal HTTPRoute CustomResourceDefinition (Gateway API's group,
// kind and version; schema open) and checks that the admission policy reads
// spec.hostnames: tenant B's route for its own name is admitted, for A's refused.
func httpRoutes(t *testing.T, c *kubeapi.Cluster, dyn dynamic.Interface, nsA, nsB string) {
	t.Helper()
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		// gateway.networking.k8s.io is a protected group: Gateway API's own CRDs carry this.
		"metadata": map[string]any{"name": "httproutes.gateway.networking.k8s.io",
			"annotations": map[string]any{"api-approved.kubernetes.io": "https://github.com/kubernetes-sigs/gateway-api/pull/2466"}},
		"spec": map[string]any{
			"group": "gateway.networking.k8s.io", "scope": "Namespaced",
			"names": map[string]any{"plural": "httproutes", "singular": "httproute", "kind": "HTTPRoute", "listKind": "HTTPRouteList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	if _, err := dyn.Resource(crds).Create(t.Context(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	routes := schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes"}
	route := func(ns, name, host string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"spec":     map[string]any{"hostnames": []any{host}},
		}}
	}
	// The resource is served once the CRD is established.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := dyn.Resource(routes).Namespace(nsB).Create(t.Context(), route(nsB, "own", "www.b.example.com"), metav1.CreateOptions{})
		if err == nil {
			break
		}
		if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
			t.Fatalf("HTTPRoute for B's own name: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	_, err := dyn.Resource(routes).Namespace(nsB).Create(t.Context(), route(nsB, "steal", "www.a.example.com"), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "namespace "+nsB+" may not use this hostname (domain policy): it may use names under b.example.com") {
		t.Errorf("HTTPRoute of B for A's name: %v, want a refusal naming b.example.com", err)
	}
	if _, err := dyn.Resource(routes).Namespace(nsA).Create(t.Context(), route(nsA, "own", "shop.a.example.com"), metav1.CreateOptions{}); err != nil {
		t.Errorf("HTTPRoute of A for its own name: %v", err)
	}
}
