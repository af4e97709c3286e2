package e2e

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// The annotation keys the tests set, under upstream's alpha prefix, which zonekeeper
// reads as well as the newer one.
const (
	hostnameAnnotation = "external-dns.alpha.kubernetes.io/hostname"
	targetAnnotation   = "external-dns.alpha.kubernetes.io/target"
	ttlAnnotation      = "external-dns.alpha.kubernetes.io/ttl"
)

// loadWorkers is how many requests a test that loads the API server with
// parallel.ForEach keeps in flight at once.
const loadWorkers = 16

// fastClient returns an admin client of the suite's cluster without client-side
// throttling worth the name (kubeapi.FastClient), for tests that load many objects.
func fastClient(tb testing.TB) kubernetes.Interface {
	tb.Helper()
	client, err := kubeapi.FastClient(suite.cluster.Config)
	if err != nil {
		tb.Fatal(err)
	}
	return client
}

// newIngress returns an Ingress with one rule per host in rules (no paths) and one TLS
// entry listing tlsHosts.
func newIngress(namespace, name string, rules, tlsHosts []string) *networkingv1.Ingress {
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	for _, h := range rules {
		ing.Spec.Rules = append(ing.Spec.Rules, networkingv1.IngressRule{Host: h})
	}
	if len(tlsHosts) > 0 {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: tlsHosts, SecretName: name + "-tls"}}
	}
	return ing
}

// createIngress creates ing and writes its status load balancer addresses ips, as an
// ingress controller would; it returns the object as stored.
func createIngress(t testing.TB, client kubernetes.Interface, ing *networkingv1.Ingress, ips ...string) *networkingv1.Ingress {
	t.Helper()
	created, err := client.NetworkingV1().Ingresses(ing.Namespace).Create(t.Context(), ing, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create ingress %s/%s: %v", ing.Namespace, ing.Name, err)
	}
	if len(ips) == 0 {
		return created
	}
	return setIngressIPs(t, client, created, ips...)
}

// setIngressIPs replaces ing's status load balancer addresses with ips.
func setIngressIPs(t testing.TB, client kubernetes.Interface, ing *networkingv1.Ingress, ips ...string) *networkingv1.Ingress {
	t.Helper()
	updated, err := client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(t.Context(), withIngressIPs(ing, ips...), metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status of ingress %s/%s: %v", ing.Namespace, ing.Name, err)
	}
	return updated
}

// withIngressIPs returns a copy of ing with status load balancer addresses ips.
func withIngressIPs(ing *networkingv1.Ingress, ips ...string) *networkingv1.Ingress {
	ing = ing.DeepCopy()
	ing.Status.LoadBalancer.Ingress = nil
	for _, ip := range ips {
		ing.Status.LoadBalancer.Ingress = append(ing.Status.LoadBalancer.Ingress, networkingv1.IngressLoadBalancerIngress{IP: ip})
	}
	return ing
}

// annotateIngress sets annotation key to value on ing.
func annotateIngress(t testing.TB, client kubernetes.Interface, ing *networkingv1.Ingress, key, value string) *networkingv1.Ingress {
	t.Helper()
	updated, err := client.NetworkingV1().Ingresses(ing.Namespace).Update(t.Context(), withAnnotation(ing, key, value), metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("annotate ingress %s/%s: %v", ing.Namespace, ing.Name, err)
	}
	return updated
}

// withAnnotation returns a copy of obj with annotation key set to value.
func withAnnotation[T interface {
	metav1.Object
	DeepCopy() T
}](obj T, key, value string) T {
	obj = obj.DeepCopy()
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[key] = value
	obj.SetAnnotations(annotations)
	return obj
}

// annotateService sets annotation key to value on svc.
func annotateService(t testing.TB, client kubernetes.Interface, svc *corev1.Service, key, value string) *corev1.Service {
	t.Helper()
	updated, err := client.CoreV1().Services(svc.Namespace).Update(t.Context(), withAnnotation(svc, key, value), metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("annotate service %s/%s: %v", svc.Namespace, svc.Name, err)
	}
	return updated
}

// deleteService deletes svc.
func deleteService(t testing.TB, client kubernetes.Interface, svc *corev1.Service) {
	t.Helper()
	if err := client.CoreV1().Services(svc.Namespace).Delete(t.Context(), svc.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete service %s/%s: %v", svc.Namespace, svc.Name, err)
	}
}
