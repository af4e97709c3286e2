package source

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
)

// byName returns the endpoints of res by DNS name.
func byName(t *testing.T, k *Kube) map[string]*endpoint.Endpoint {
	t.Helper()
	res, err := k.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*endpoint.Endpoint{}
	for _, e := range res.Endpoints {
		out[e.DNSName] = e
	}
	return out
}

// TestKubeEndpointsConvertsOnlyChangedObjects shows the per-object conversion cache:
// after one Ingress changes, the other Ingress's records are the very endpoints of the
// call before (not converted again), the changed one's are new, and a headless Service,
// whose records are made from EndpointSlices, follows a change of its EndpointSlice
// although the Service itself did not change.
func TestKubeEndpointsConvertsOnlyChangedObjects(t *testing.T) {
	ctx := context.Background()
	stable := lbIngress(nil, "stable.example.com")
	stable.Name = "stable"
	moving := lbIngress(nil, "moving.example.com")
	moving.Name, moving.ResourceVersion = "moving", "1"
	k, client := startKube(t, Config{}, KubeConfig{}, stable, moving, pod("web-0", "web-0"),
		slice(discoveryv1.AddressTypeIPv4, ep("10.0.0.1", "web-0", "n1", yes)), headlessService())
	eventually(t, "the headless Service's records", func() bool {
		_, err := k.Endpoints(ctx)
		return err == nil && byName(t, k)["svc.example.com"] != nil
	})
	before := byName(t, k)

	moving = moving.DeepCopy()
	moving.ResourceVersion = "2"
	moving.Spec.Rules[0].Host = "moved.example.com"
	if _, err := client.NetworkingV1().Ingresses("prod").Update(ctx, moving, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the moved Ingress's record", func() bool { return byName(t, k)["moved.example.com"] != nil })
	after := byName(t, k)
	if after["stable.example.com"] != before["stable.example.com"] {
		t.Error("the unchanged Ingress was converted again: its endpoint is a new one")
	}
	if after["moving.example.com"] != nil {
		t.Error("the changed Ingress still asks for its old name")
	}

	moved := slice(discoveryv1.AddressTypeIPv4, ep("10.0.0.2", "web-0", "n1", yes))
	moved.ResourceVersion = "2"
	if _, err := client.DiscoveryV1().EndpointSlices("prod").Update(ctx, moved, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the headless Service follows its EndpointSlice", func() bool {
		svc := byName(t, k)["svc.example.com"]
		return svc != nil && slices.Equal(svc.Targets, endpoint.Targets{"10.0.0.2"})
	})
	if byName(t, k)["stable.example.com"] != before["stable.example.com"] {
		t.Error("the unchanged Ingress was converted again after an EndpointSlice change")
	}
}

// snapshot renders what k asks for, records with their objects and problems, for
// comparing two sources.
func snapshot(t *testing.T, k *Kube) []string {
	t.Helper()
	res, err := k.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := render(res.Endpoints)
	for i, e := range res.Endpoints {
		out[i] += fmt.Sprint(" ", e.Refs)
	}
	for _, p := range res.Problems {
		out = append(out, fmt.Sprint("problem ", p.Ref, " ", p.DNSName, " ", p.Warning, " ", p.Err))
	}
	slices.Sort(out)
	return out
}

// TestKubeCachedConversionsMatchAFreshSource applies random sequences of creations,
// updates and deletions of Ingresses (valid and invalid, some sharing names) and of a
// headless Service's EndpointSlice to a watched Kube, and after each checks that it
// converges to exactly what a Kube started afresh over the same objects, which converts
// every object, returns.
func TestKubeCachedConversionsMatchAFreshSource(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 21))
			k, client := startKube(t, Config{}, KubeConfig{}, pod("web-0", "web-0"),
				slice(discoveryv1.AddressTypeIPv4, ep("10.0.0.1", "web-0", "n1", yes)), headlessService())
			for step := range 12 {
				randomStep(t, rng, client, step, 4)
				objs := clusterObjects(t, client)
				fresh, _ := startKube(t, Config{}, KubeConfig{}, objs...)
				want := snapshot(t, fresh)
				var got []string
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
					if got = snapshot(t, k); slices.Equal(got, want) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("step %d: the watched source says\n%s\na fresh one says\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
				}
			}
		})
	}
}

// TestKubeChangedMatchesAFreshSource is TestKubeCachedConversionsMatchAFreshSource for
// Changed: the state of one Endpoints call, updated object by object with what each
// Changed call returns, must converge after every step to what a Kube started afresh
// over the same objects returns, and every endpoint and problem Changed returns must
// carry the object's Ref. Services change too (a headless Service becomes one with a
// load balancer and back), as do the EndpointSlices its records read.
func TestKubeChangedMatchesAFreshSource(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			k, client := startKube(t, Config{}, KubeConfig{}, pod("web-0", "web-0"),
				slice(discoveryv1.AddressTypeIPv4, ep("10.0.0.1", "web-0", "n1", yes)), headlessService())
			res, err := k.Endpoints(ctx)
			if err != nil {
				t.Fatal(err)
			}
			state := res.ByObject()
			for step := range 16 {
				randomStep(t, rng, client, step, 5)
				fresh, _ := startKube(t, Config{}, KubeConfig{}, clusterObjects(t, client)...)
				want := snapshot(t, fresh)
				var got []string
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
					changed, ok := k.Changed(ctx)
					if !ok {
						t.Fatalf("step %d: Changed cannot tell what changed", step)
					}
					for _, o := range changed {
						for _, e := range o.Endpoints {
							if len(e.Refs) != 1 || e.Refs[0] != o.Ref {
								t.Fatalf("step %d: %s's endpoint %s carries %v", step, o.Ref, e.DNSName, e.Refs)
							}
						}
						for _, p := range o.Problems {
							if p.Ref != o.Ref {
								t.Fatalf("step %d: %s's problem carries %v", step, o.Ref, p.Ref)
							}
						}
						state[o.Ref.String()] = o.Result
					}
					if got = renderState(state); slices.Equal(got, want) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("step %d: the changes say\n%s\na fresh source says\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
				}
			}
		})
	}
}

// renderState renders a state of Results by object as snapshot renders one Result.
func renderState(state map[string]Result) []string {
	var out []string
	for _, r := range state {
		for _, e := range r.Endpoints {
			out = append(out, render([]*endpoint.Endpoint{e})[0]+fmt.Sprint(" ", e.Refs))
		}
		for _, p := range r.Problems {
			out = append(out, fmt.Sprint("problem ", p.Ref, " ", p.DNSName, " ", p.Warning, " ", p.Err))
		}
	}
	slices.Sort(out)
	return out
}

// randomStep makes one random change at step to the objects of client: an Ingress
// (valid or invalid, some sharing names) created or updated, or deleted; the headless
// Service's EndpointSlice updated; with kinds 5, the Service turned into one with a load
// balancer, or back.
func randomStep(t *testing.T, rng *rand.Rand, client *fake.Clientset, step, kinds int) {
	t.Helper()
	ctx := context.Background()
	hosts := []string{"a.example.com", "b.example.com", "svc.example.com", "a.example.com,b.example.com"}
	targets := []string{"192.0.2.1", "192.0.2.2", "not-an-address"}
	ings := client.NetworkingV1().Ingresses("prod")
	version := fmt.Sprint(step + 2)
	name := fmt.Sprint("ing-", rng.IntN(3))
	switch rng.IntN(kinds) {
	case 0, 1:
		ing := lbIngress(map[string]string{newPrefix + "target": targets[rng.IntN(len(targets))]},
			strings.Split(hosts[rng.IntN(len(hosts))], ",")...)
		ing.Name, ing.ResourceVersion = name, version
		if _, err := ings.Update(ctx, ing, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
			_, err = ings.Create(ctx, ing, metav1.CreateOptions{})
		} else if err != nil {
			t.Fatal(err)
		}
	case 2:
		if err := ings.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	case 3:
		s := slice(discoveryv1.AddressTypeIPv4, ep(fmt.Sprint("10.0.0.", 1+rng.IntN(3)), "web-0", "n1", yes))
		s.ResourceVersion = version
		if _, err := client.DiscoveryV1().EndpointSlices("prod").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	case 4:
		svc := headlessService()
		if rng.IntN(2) == 0 {
			svc.Spec.ClusterIP = "10.96.0.10"
			svc.Spec.Type = corev1.ServiceTypeLoadBalancer
			svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.99"}}
		}
		svc.ResourceVersion = version
		if _, err := client.CoreV1().Services("prod").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// clusterObjects lists the objects of client the test makes.
func clusterObjects(t *testing.T, client *fake.Clientset) []runtime.Object {
	t.Helper()
	ctx := context.Background()
	var out []runtime.Object
	ings, err := client.NetworkingV1().Ingresses("prod").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ings.Items {
		out = append(out, &ings.Items[i])
	}
	eps, err := client.DiscoveryV1().EndpointSlices("prod").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range eps.Items {
		out = append(out, &eps.Items[i])
	}
	svcs, err := client.CoreV1().Services("prod").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range svcs.Items {
		out = append(out, &svcs.Items[i])
	}
	return append(out, pod("web-0", "web-0"))
}

// staleConversions counts the objects k keeps a conversion of that its informers no
// longer hold: ones replaced by a newer version, or deleted.
func staleConversions(t *testing.T, k *Kube) int {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	stale := 0
	for obj := range k.converted {
		held := false
		for _, inf := range k.informers {
			key, err := cache.MetaNamespaceKeyFunc(obj)
			if err != nil {
				t.Fatal(err)
			}
			if item, ok, _ := inf.informer.GetStore().GetByKey(key); ok && item == obj {
				held = true
			}
		}
		if !held {
			stale++
		}
	}
	return stale
}

// cachedVersion returns the resourceVersion of the object an informer of k holds at key.
func cachedVersion(t *testing.T, k *Kube, key string) string {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, inf := range k.informers {
		if item, ok, _ := inf.informer.GetStore().GetByKey(key); ok {
			return item.(metav1.Object).GetResourceVersion()
		}
	}
	return ""
}

// TestKubeForgetsReplacedObjects: between two Endpoints calls, which a daemon makes
// minutes apart, the conversion cache lets go of every object the informer replaced, so
// that churn does not keep old objects alive; an update that changes nothing
// the conversion reads keeps the conversion for the new object, and what Changed converts
// is reused by the next Endpoints call.
func TestKubeForgetsReplacedObjects(t *testing.T) {
	ctx := context.Background()
	stable := lbIngress(nil, "stable.example.com")
	stable.Name, stable.ResourceVersion = "stable", "1"
	moving := lbIngress(nil, "moving.example.com")
	moving.Name, moving.ResourceVersion = "moving", "1"
	k, client := startKube(t, Config{}, KubeConfig{}, stable, moving)
	eventually(t, "both Ingresses' records", func() bool {
		_, err := k.Endpoints(ctx)
		return err == nil && len(byName(t, k)) == 2
	})
	ingresses := client.NetworkingV1().Ingresses("prod")
	update := func(ing *networkingv1.Ingress) {
		t.Helper()
		if _, err := ingresses.Update(ctx, ing, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// Nothing the conversion reads (the informer keeps no backend): the conversion
	// moves to the new object.
	before := byName(t, k)["stable.example.com"]
	relabelled := stable.DeepCopy()
	relabelled.ResourceVersion = "2"
	relabelled.Spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
		Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}
	update(relabelled)
	eventually(t, "the relabelled Ingress handled", func() bool {
		return cachedVersion(t, k, "prod/stable") == "2" && staleConversions(t, k) == 0
	})
	if got := byName(t, k)["stable.example.com"]; got != before {
		t.Error("an update the conversion does not read converted the Ingress again")
	}

	// A changed object: its old version is let go of at the event, and the conversion
	// Changed makes is the next Endpoints call's.
	moved := moving.DeepCopy()
	moved.ResourceVersion = "2"
	moved.Spec.Rules[0].Host = "moved.example.com"
	changesBefore := k.changes.Load()
	update(moved)
	eventually(t, "the moved Ingress's event", func() bool { return k.changes.Load() > changesBefore })
	if n := staleConversions(t, k); n != 0 {
		t.Errorf("after the update, %d replaced objects are still kept", n)
	}
	changed, ok := k.Changed(ctx)
	if !ok || len(changed) != 1 || len(changed[0].Endpoints) != 1 {
		t.Fatalf("Changed = %v, %v; want the moved Ingress's record", changed, ok)
	}
	after := byName(t, k)
	if after["moved.example.com"] != changed[0].Endpoints[0] {
		t.Error("Endpoints converted the moved Ingress again after Changed had")
	}
	if after["stable.example.com"] != before {
		t.Error("Endpoints converted the relabelled Ingress again")
	}
}
