package source

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"
)

// heapObjects is how many objects of one kind BenchmarkSourceHeap loads.
const heapObjects = 10000

// BenchmarkSourceHeap measures what the live source holds per object of each kind
// test/e2e's BenchmarkMixedScale loads, shaped as it creates them: an Ingress with a
// status address, a LoadBalancer Service with the hostname annotation and a status
// address, an HTTPRoute accepted by a Gateway with an address. KB/object is the live
// heap after the source has synced and converted every object, less the live heap
// before it started (the fake clients holding the same objects), per object: the
// informer's slimmed copy, its store, and the conversion kept for events. It sets the
// per-kind terms of the memory budget (docs/benchmarks.md).
func BenchmarkSourceHeap(b *testing.B) {
	gw := testGateway("gw", []string{"192.0.2.1"}, allHTTP)
	spec, status := routeSpecAndStatus([]gwParent{acceptedBy("gw")})
	kinds := []struct {
		name string
		kind string
		core func(i int) k8sruntime.Object
		gw   func(i int) k8sruntime.Object
	}{
		{"Ingress", KindIngress, func(i int) k8sruntime.Object {
			return &networkingv1.Ingress{
				ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: fmt.Sprintf("ing-%d", i), UID: heapUID(i)},
				Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: fmt.Sprintf("ing-%d.example.com", i)}}},
				Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{
					Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "203.0.113.1"}}}},
			}
		}, nil},
		{"LoadBalancer Service", KindService, func(i int) k8sruntime.Object {
			return &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: fmt.Sprintf("svc-%d", i), UID: heapUID(i),
					Annotations: map[string]string{AnnotationPrefix + "hostname": fmt.Sprintf("svc-%d.example.com", i)}},
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, AllocateLoadBalancerNodePorts: new(false),
					ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10"}, IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
					Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
				Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "198.51.100.1"}}}},
			}
		}, nil},
		{"HTTPRoute", KindGatewayHTTPRoute, nil, func(i int) k8sruntime.Object {
			return &gatewayv1.HTTPRoute{
				ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: fmt.Sprintf("route-%d", i), UID: heapUID(i)},
				Spec: gatewayv1.HTTPRouteSpec{CommonRouteSpec: spec,
					Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(fmt.Sprintf("route-%d.example.com", i))}},
				Status: gatewayv1.HTTPRouteStatus{RouteStatus: status},
			}
		}},
	}
	for _, kind := range kinds {
		b.Run(kind.name, func(b *testing.B) {
			for range b.N {
				core := fake.NewClientset()
				gateways := gatewayfake.NewSimpleClientset()
				ctx, cancel := context.WithCancel(b.Context())
				if _, err := gateways.GatewayV1().Gateways(gw.Namespace).Create(ctx, gw.DeepCopy(), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				for i := range heapObjects {
					var err error
					if kind.core != nil {
						err = core.Tracker().Add(kind.core(i))
					} else {
						err = gateways.Tracker().Add(kind.gw(i))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				before := liveHeap()
				k := NewKube(core, mustCompile(b, Config{Kinds: []string{kind.kind}}), KubeConfig{Gateway: gateways})
				if err := k.Start(ctx); err != nil {
					b.Fatal(err)
				}
				if err := k.WaitForSync(ctx); err != nil {
					b.Fatal(err)
				}
				res, err := k.Endpoints(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Endpoints) != heapObjects || len(res.Problems) != 0 {
					b.Fatalf("%d endpoints and %d problems (%v), want %d endpoints", len(res.Endpoints), len(res.Problems), res.Problems, heapObjects)
				}
				// res is not used from here on: the heap counts what the source
				// keeps (the conversions res was made of), not the controller's copy.
				after := liveHeap()
				b.ReportMetric(float64(after-before)/heapObjects/1024, "KB/object")
				runtime.KeepAlive(k)
				runtime.KeepAlive(core)
				runtime.KeepAlive(gateways)
				cancel()
			}
		})
	}
}

// heapUID gives object i a UID as long as the API server's.
func heapUID(i int) types.UID {
	return types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
