package controller

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// eventIngress is the i-th Ingress of the event benchmark, asking for ing-i.benchZone at
// target.
func eventIngress(i int, target string) *networkingv1.Ingress {
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("ev-%d", i),
			Annotations: map[string]string{source.AnnotationPrefix + "target": target}},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: fmt.Sprintf("ing-%d.%s", i, benchZone)}}},
	}
}

// benchmarkEvent measures the daemon's event path with n Ingresses in one zone: one
// Ingress's target changes, the informer delivers the update, and the reconcile of mode
// (RunChanged for an event) publishes it. Setup (informer sync, the full reconcile
// creating every record) is not timed; each op is one update, of which only the
// reconcile it triggers is timed.
func benchmarkEvent(b *testing.B, n int, mode runMode) {
	objs := make([]k8sruntime.Object, n)
	for i := range n {
		objs[i] = eventIngress(i, "192.0.2.1")
	}
	client := fake.NewClientset(objs...)
	changed := make(chan struct{}, 1)
	opts, err := source.Config{}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	kube := source.NewKube(client, opts, source.KubeConfig{OnChange: func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}})
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	if err := kube.Start(ctx); err != nil {
		b.Fatal(err)
	}
	if err := kube.WaitForSync(ctx); err != nil {
		b.Fatal(err)
	}
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var prov provider.Provider = inmemory.New(benchZone)
	if mode != runChanged {
		// As RFC2136's SOA serial does, the provider proves the zone holds what was
		// written: the resync then reads no record.
		prov = &unchangedProvider{Provider: inmemory.New(benchZone), unchanged: true}
	}
	c := &Controller{Sources: []source.Source{kube}, Registry: reg, Provider: prov,
		Config: Config{Policy: plan.PolicySync}}
	// The first reconcile writes every name; the second, as the daemon's resync
	// does, reads the zone again, so that the cache the events use holds the names
	// as written.
	for range 2 {
		rep, err := c.RunOnce(ctx)
		if err != nil || rep.Err() != nil {
			b.Fatal(err, rep.Err())
		}
	}
	ings := client.NetworkingV1().Ingresses("ns")
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		// Only the reconcile is timed: the fake clientset's update and the informer's
		// delivery are the API server's part, which the end-to-end benchmark measures.
		b.StopTimer()
		select {
		case <-changed:
		default:
		}
		ing := eventIngress(i%n, fmt.Sprintf("192.0.2.%d", 2+i%200))
		// The fake clientset keeps no resourceVersion, and the source ignores an update
		// that does not move it.
		ing.ResourceVersion = strconv.Itoa(i + 1)
		if _, err := ings.Update(ctx, ing, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		<-changed
		b.StartTimer()
		rep, err := c.run(ctx, mode)
		if err != nil || rep.Err() != nil {
			b.Fatal(err, rep.Err())
		}
		if create, update, del := rep.ChangeCount(); create+update+del == 0 {
			b.Fatalf("op %d: the update of ev-%d planned no change", i, i%n)
		}
		if rep.Partial != (mode != runFull) {
			b.Fatalf("op %d: a reconcile of mode %d read every object: %t", i, mode, !rep.Partial)
		}
	}
}

func BenchmarkEvent10k(b *testing.B)  { benchmarkEvent(b, 10_000, runChanged) }
func BenchmarkEvent100k(b *testing.B) { benchmarkEvent(b, 100_000, runChanged) }

// BenchmarkResync100k is the daemon's resync every --interval under churn (RunResync):
// one Ingress changed since the last reconcile, in a zone the provider proves
// unchanged. Every event that arrives meanwhile waits for it.
func BenchmarkResync100k(b *testing.B) { benchmarkEvent(b, 100_000, runResync) }

// BenchmarkFullRead100k is the daemon's reconcile every --source-full-read-interval
// (RunOnce): every object read again, with one changed, in a zone the provider proves
// unchanged. Every event that arrives meanwhile waits for it.
func BenchmarkFullRead100k(b *testing.B) { benchmarkEvent(b, 100_000, runFull) }
