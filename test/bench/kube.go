package bench

import (
	"context"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
)

// loadWorkers is how many requests to the API server are in flight at once while
// loading: enough to keep a 2-core kube-apiserver busy.
const loadWorkers = 32

// IngressName is the name of benchmark Ingress i.
func IngressName(i int) string { return fmt.Sprintf("app-%d", i) }

// IngressHost is the one host of benchmark Ingress i, in Zone.
func IngressHost(i int) string { return fmt.Sprintf("app-%d.%s", i, Zone) }

// StatusIP is the load balancer address benchmark Ingresses start with.
const StatusIP = "192.0.2.1"

// ChurnIP is the address Churn moves Ingresses to.
const ChurnIP = "192.0.2.2"

// CreateIngress creates Ingress name in namespace with one rule for host, then writes
// ip as its status load balancer address, as an ingress controller would.
func CreateIngress(ctx context.Context, client kubernetes.Interface, namespace, name, host, ip string) error {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host}}},
	}
	created, err := client.NetworkingV1().Ingresses(namespace).Create(ctx, ing, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create ingress %s/%s: %w", namespace, name, err)
	}
	return setStatusIP(ctx, client, created, ip)
}

// setStatusIP replaces ing's status load balancer addresses with ip.
func setStatusIP(ctx context.Context, client kubernetes.Interface, ing *networkingv1.Ingress, ip string) error {
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: ip}}
	if _, err := client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update status of ingress %s/%s: %w", ing.Namespace, ing.Name, err)
	}
	return nil
}

// LoadIngresses creates benchmark Ingresses 0 … n−1 in namespace, each with its status
// IP, 32 at a time.
func LoadIngresses(ctx context.Context, client kubernetes.Interface, namespace string, n int) error {
	return parallel.ForEach(ctx, n, loadWorkers, func(i int) error {
		return CreateIngress(ctx, client, namespace, IngressName(i), IngressHost(i), StatusIP)
	})
}

// Churn moves every tenth benchmark Ingress of 0 … n−1 (0, 10, 20, …) to ip, 32 at a
// time, and returns how many it changed.
func Churn(ctx context.Context, client kubernetes.Interface, namespace string, n int, ip string) (int, error) {
	changed := (n + 9) / 10
	return changed, parallel.ForEach(ctx, changed, loadWorkers, func(i int) error {
		ing, err := client.NetworkingV1().Ingresses(namespace).Get(ctx, IngressName(10*i), metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get ingress %s/%s: %w", namespace, IngressName(10*i), err)
		}
		return setStatusIP(ctx, client, ing, ip)
	})
}

// DeleteIngresses deletes benchmark Ingresses 0 … n−1 of namespace, 32 at a time.
func DeleteIngresses(ctx context.Context, client kubernetes.Interface, namespace string, n int) error {
	return parallel.ForEach(ctx, n, loadWorkers, func(i int) error {
		if err := client.NetworkingV1().Ingresses(namespace).Delete(ctx, IngressName(i), metav1.DeleteOptions{}); err != nil {
			return fmt.Errorf("delete ingress %s/%s: %w", namespace, IngressName(i), err)
		}
		return nil
	})
}

// touchLabel is the label TouchIngress sets.
const touchLabel = "zonekeeper-bench/touched"

// TouchIngress sets the label zonekeeper-bench/touched of Ingress name in namespace to
// value: a change to the object that changes none of its records.
func TouchIngress(ctx context.Context, client kubernetes.Interface, namespace, name, value string) error {
	ing, err := client.NetworkingV1().Ingresses(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get ingress %s/%s: %w", namespace, name, err)
	}
	if ing.Labels == nil {
		ing.Labels = map[string]string{}
	}
	ing.Labels[touchLabel] = value
	if _, err := client.NetworkingV1().Ingresses(namespace).Update(ctx, ing, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("label ingress %s/%s: %w", namespace, name, err)
	}
	return nil
}
