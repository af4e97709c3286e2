package controller

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/zonekeeper/zonekeeper/provider/zonefile"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

const benchZone = "example.org"

// benchObjects returns perKind Ingresses and perKind LoadBalancer Services shaped as
// test/e2e's BenchmarkMemory creates them, each asking for one A record.
func benchObjects(perKind int) []k8sruntime.Object {
	objs := make([]k8sruntime.Object, 0, 2*perKind)
	for i := range perKind {
		objs = append(objs, &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("mem-%d", i),
				Annotations: map[string]string{source.AnnotationPrefix + "target": "192.0.2.1"}},
			Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: fmt.Sprintf("ing-%d.%s", i, benchZone)}}},
		}, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("mem-%d", i),
				Annotations: map[string]string{source.AnnotationPrefix + "hostname": fmt.Sprintf("svc-%d.%s", i, benchZone)}},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalIPs: []string{"198.51.100.1"},
				ClusterIP: "10.0.0.1", Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
		})
	}
	return objs
}

// BenchmarkPipeline20k runs the daemon's pipeline (live source over a fake clientset,
// TXT registry, zone file provider) over 10,000 Ingresses and 10,000 Services: one
// reconcile that creates every record, then two steady ones. heap-MB is the live heap
// after the last, with the informer caches (and the fake clientset's copies) held.
func BenchmarkPipeline20k(b *testing.B) {
	const perKind = 10000
	objs := benchObjects(perKind)
	for range b.N {
		ctx, cancel := context.WithCancel(b.Context())
		opts, err := source.Config{}.Compile()
		if err != nil {
			b.Fatal(err)
		}
		kube := source.NewKube(fake.NewClientset(objs...), opts, source.KubeConfig{})
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
		prov, err := zonefile.New(zonefile.Config{Dir: b.TempDir(), Zones: []string{benchZone}})
		if err != nil {
			b.Fatal(err)
		}
		c := &Controller{Sources: []source.Source{kube}, Registry: reg, Provider: prov}
		for run := range 3 {
			rep, err := c.RunOnce(ctx)
			if err != nil || rep.Err() != nil {
				b.Fatal(err, rep.Err())
			}
			if run == 2 && rep.Zones[0].Owned != 2*perKind {
				b.Fatalf("owned %d records, want %d", rep.Zones[0].Owned, 2*perKind)
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
		cancel()
	}
}
