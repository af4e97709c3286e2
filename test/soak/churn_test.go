package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The churn's bounds: how many objects live at once, how many names one Ingress asks
// for, and the pause between two operations.
const (
	maxLiveObjects  = 300
	maxIngressHosts = 3
	minPause        = 20 * time.Millisecond
	maxPause        = 200 * time.Millisecond
)

// churn makes random changes to Ingresses and Services, as their controllers and users
// would. It runs on one goroutine; its fields are read only after run returns.
type churn struct {
	client     kubernetes.Interface
	namespaces []string
	rng        *rand.Rand

	ingresses map[string]*networkingv1.Ingress // by namespace/name, as last stored
	services  map[string]*corev1.Service
	nextName  int

	// ops counts the operations that succeeded by kind; errors counts those the
	// API server refused or that failed otherwise.
	ops    map[string]int
	errors int
	// lastErr is the last operation's error, for the report.
	lastErr error
}

func newChurn(client kubernetes.Interface, namespaces []string, seed uint64) *churn {
	return &churn{
		client:     client,
		namespaces: namespaces,
		rng:        rand.New(rand.NewPCG(seed, seed+1)),
		ingresses:  map[string]*networkingv1.Ingress{},
		services:   map[string]*corev1.Service{},
		ops:        map[string]int{},
	}
}

// run performs operations until ctx ends.
func (c *churn) run(ctx context.Context) {
	for ctx.Err() == nil {
		kind, err := c.step(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			c.errors++
			c.lastErr = fmt.Errorf("%s: %w", kind, err)
		case err == nil:
			c.ops[kind]++
		}
		pause := minPause + time.Duration(c.rng.Int64N(int64(maxPause-minPause)))
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// step performs one random operation and returns its kind. Creation is the likelier
// the fewer objects live, so their number settles well inside maxLiveObjects (around
// three quarters of it) and never passes it.
func (c *churn) step(ctx context.Context) (string, error) {
	live := len(c.ingresses) + len(c.services)
	if c.rng.IntN(maxLiveObjects) >= live {
		if c.rng.IntN(3) == 0 {
			return "create-service", c.createService(ctx)
		}
		return "create-ingress", c.createIngress(ctx)
	}
	// Some object lives: with none, IntN(maxLiveObjects) >= 0 created one above.
	if len(c.ingresses) == 0 || len(c.services) > 0 && c.rng.IntN(4) == 0 {
		svc := c.services[pick(c.rng, c.services)]
		if c.rng.IntN(2) == 0 {
			return "delete-service", c.deleteService(ctx, svc)
		}
		return "service-ip", c.setServiceIP(ctx, svc)
	}
	ing := c.ingresses[pick(c.rng, c.ingresses)]
	switch n := c.rng.IntN(10); {
	case n < 4:
		return "ingress-ip", c.setIngressIP(ctx, ing)
	case n < 6 && len(ing.Spec.Rules) < maxIngressHosts:
		return "add-host", c.updateIngress(ctx, withRules(ing, append(slices.Clone(ing.Spec.Rules), networkingv1.IngressRule{Host: c.newHost()})))
	case n < 8 && len(ing.Spec.Rules) > 1:
		rules := slices.Clone(ing.Spec.Rules)
		i := c.rng.IntN(len(rules))
		return "remove-host", c.updateIngress(ctx, withRules(ing, slices.Delete(rules, i, i+1)))
	default:
		return "delete-ingress", c.deleteIngress(ctx, ing)
	}
}

// pick returns a random key of m, in a way that does not depend on map order.
func pick[V any](rng *rand.Rand, m map[string]V) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys[rng.IntN(len(keys))]
}

func (c *churn) newName(prefix string) string {
	c.nextName++
	return fmt.Sprintf("%s-%d", prefix, c.nextName)
}

func (c *churn) newHost() string { return c.newName("soak") + "." + zone }

func (c *churn) randomIP() string {
	return fmt.Sprintf("10.%d.%d.%d", c.rng.IntN(256), c.rng.IntN(256), 1+c.rng.IntN(254))
}

func (c *churn) namespace() string { return c.namespaces[c.rng.IntN(len(c.namespaces))] }

func key(obj metav1.Object) string { return obj.GetNamespace() + "/" + obj.GetName() }

// createIngress creates an Ingress for one new name, then gives it a status address as
// an ingress controller would. If the status write fails the Ingress is still tracked,
// without address, and a later "ingress-ip" gives it one.
func (c *churn) createIngress(ctx context.Context) error {
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: c.namespace(), Name: c.newName("ing")},
		Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: c.newHost()}}},
	}
	created, err := c.client.NetworkingV1().Ingresses(ing.Namespace).Create(ctx, ing, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	c.ingresses[key(created)] = created
	return c.setIngressIP(ctx, created)
}

func (c *churn) setIngressIP(ctx context.Context, ing *networkingv1.Ingress) error {
	ing = ing.DeepCopy()
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: c.randomIP()}}
	updated, err := c.client.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, ing, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	c.ingresses[key(updated)] = updated
	return nil
}

func withRules(ing *networkingv1.Ingress, rules []networkingv1.IngressRule) *networkingv1.Ingress {
	ing = ing.DeepCopy()
	ing.Spec.Rules = rules
	return ing
}

func (c *churn) updateIngress(ctx context.Context, ing *networkingv1.Ingress) error {
	updated, err := c.client.NetworkingV1().Ingresses(ing.Namespace).Update(ctx, ing, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	c.ingresses[key(updated)] = updated
	return nil
}

func (c *churn) deleteIngress(ctx context.Context, ing *networkingv1.Ingress) error {
	if err := c.client.NetworkingV1().Ingresses(ing.Namespace).Delete(ctx, ing.Name, metav1.DeleteOptions{}); err != nil {
		return err
	}
	delete(c.ingresses, key(ing))
	return nil
}

// createService creates a LoadBalancer Service asking for one new name by annotation,
// then gives it a status address as a cloud controller would.
func (c *churn) createService(ctx context.Context) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   c.namespace(),
			Name:        c.newName("svc"),
			Annotations: map[string]string{hostnameAnnotation: c.newHost()},
		},
		Spec: corev1.ServiceSpec{
			Type:  corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	created, err := c.client.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	c.services[key(created)] = created
	return c.setServiceIP(ctx, created)
}

func (c *churn) setServiceIP(ctx context.Context, svc *corev1.Service) error {
	svc = svc.DeepCopy()
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: c.randomIP()}}
	updated, err := c.client.CoreV1().Services(svc.Namespace).UpdateStatus(ctx, svc, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	c.services[key(updated)] = updated
	return nil
}

func (c *churn) deleteService(ctx context.Context, svc *corev1.Service) error {
	if err := c.client.CoreV1().Services(svc.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{}); err != nil {
		return err
	}
	delete(c.services, key(svc))
	return nil
}
