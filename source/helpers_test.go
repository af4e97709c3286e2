package source

import (
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	newPrefix   = AnnotationPrefix
	alphaPrefix = AlphaAnnotationPrefix
)

func mustCompile(t testing.TB, c Config) *Options {
	t.Helper()
	o, err := c.Compile()
	if err != nil {
		t.Fatalf("Compile(%+v): %v", c, err)
	}
	return o
}

// lbService is a LoadBalancer Service at 192.0.2.10 with the given annotations.
func lbService(annotations map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", Annotations: annotations},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.7"},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{
			Ingress: []corev1.LoadBalancerIngress{{IP: "192.0.2.10"}},
		}},
	}
}

// lbIngress is an Ingress at 192.0.2.20 with the given annotations and rule hosts.
func lbIngress(annotations map[string]string, hosts ...string) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "site", Namespace: "prod", Annotations: annotations},
		Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
			Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "192.0.2.20"}},
		}},
	}
	for _, h := range hosts {
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: h})
	}
	return ing
}

// render gives each endpoint as "name [ttl] TYPE targets [set-id] {prop=value ...}".
func render(eps []*endpoint.Endpoint) []string {
	var out []string
	for _, ep := range eps {
		s := ep.String()
		if len(ep.ProviderSpecific) > 0 {
			var props []string
			for _, p := range ep.ProviderSpecific {
				props = append(props, p.Name+"="+p.Value)
			}
			s += " {" + strings.Join(props, " ") + "}"
		}
		out = append(out, s)
	}
	return out
}

// problemCheck is what a test expects of one Problem: its message holds every string in
// contains, and its Warning flag is warning.
type problemCheck struct {
	contains []string
	warning  bool
}

func warning(contains ...string) problemCheck { return problemCheck{contains: contains, warning: true} }
func failure(contains ...string) problemCheck { return problemCheck{contains: contains} }

func checkResult(t *testing.T, eps []*endpoint.Endpoint, problems []endpoint.Problem, want []string, wantProblems []problemCheck) {
	t.Helper()
	if got := render(eps); !slices.Equal(got, want) {
		t.Errorf("endpoints:\n got %q\nwant %q", got, want)
	}
	if len(problems) != len(wantProblems) {
		t.Fatalf("got %d problems %v, want %d", len(problems), problems, len(wantProblems))
	}
	for i, p := range problems {
		w := wantProblems[i]
		if p.Warning != w.warning {
			t.Errorf("problem %d %q: Warning = %v, want %v", i, p.Error(), p.Warning, w.warning)
		}
		for _, c := range w.contains {
			if !strings.Contains(p.Error(), c) {
				t.Errorf("problem %d %q does not mention %q", i, p.Error(), c)
			}
		}
	}
	checkValid(t, eps, problems)
}

// checkValid asserts the contract of every conversion: valid records only, none at all
// from an object with an error, each referring to one object and carrying empty labels.
func checkValid(t testing.TB, eps []*endpoint.Endpoint, problems []endpoint.Problem) {
	t.Helper()
	for _, p := range problems {
		if !p.Warning && len(eps) > 0 {
			t.Errorf("error problem %q, yet %d endpoints", p.Error(), len(eps))
		}
	}
	for _, ep := range eps {
		if err := endpoint.ValidateName(ep.DNSName); err != nil {
			t.Errorf("invalid endpoint name: %v", err)
		}
		if err := endpoint.ValidateTargets(ep.RecordType, ep.Targets); err != nil {
			t.Errorf("endpoint %s: invalid targets: %v", ep, err)
		}
		if len(ep.Refs) != 1 || ep.Labels == nil || len(ep.Labels) != 0 {
			t.Errorf("endpoint %s: Refs %v, Labels %v; want one ref and empty labels", ep, ep.Refs, ep.Labels)
		}
		if !slices.IsSortedFunc(ep.ProviderSpecific, func(a, b endpoint.Property) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("endpoint %s: properties not sorted: %v", ep, ep.ProviderSpecific)
		}
	}
	if !slices.IsSortedFunc(eps, func(a, b *endpoint.Endpoint) int {
		if endpoint.Less(a, b) {
			return -1
		}
		if endpoint.Less(b, a) {
			return 1
		}
		return 0
	}) {
		t.Errorf("endpoints not sorted: %v", eps)
	}
}
