package source

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/watchlist"
)

var _ Source = (*Kube)(nil)

// startKube starts a Kube over objs and waits until it is synced.
func startKube(t *testing.T, config Config, kcfg KubeConfig, objs ...runtime.Object) (*Kube, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	k := NewKube(client, mustCompile(t, config), kcfg)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := k.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, k)
	return k, client
}

func waitSynced(t *testing.T, k *Kube) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := k.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds; the deadline only guards against a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
	}
}

func mustEndpoints(t *testing.T, k *Kube) []string {
	t.Helper()
	res, err := k.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return render(res.Endpoints)
}

func started(k *Kube) []kubeResource {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []kubeResource
	for r := range k.informers {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

func headlessService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "prod", ResourceVersion: "1",
			Annotations: map[string]string{newPrefix + "hostname": "svc.example.com"}},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone},
	}
}

func TestKubeEndpoints(t *testing.T) {
	ing := lbIngress(nil, "site.example.com")
	ing.Spec.IngressClassName = new("nginx")
	other := lbIngress(nil, "other.example.com")
	other.Name = "other"
	other.Annotations = map[string]string{ingressClassAnnotation: "traefik"}
	labelled := lbService(map[string]string{newPrefix + "hostname": "web.example.com"})
	labelled.Labels = map[string]string{"dns": "yes"}
	unlabelled := lbService(map[string]string{newPrefix + "hostname": "hidden.example.com"})
	unlabelled.Name = "hidden"
	elsewhere := lbService(map[string]string{newPrefix + "hostname": "elsewhere.example.com"})
	elsewhere.Namespace = "staging"
	elsewhere.Labels = labelled.Labels
	objs := []runtime.Object{ing, other, labelled, unlabelled, elsewhere}
	tests := []struct {
		name   string
		config Config
		want   []string
	}{
		{"everything", Config{}, []string{
			"elsewhere.example.com A 192.0.2.10", "hidden.example.com A 192.0.2.10",
			"other.example.com A 192.0.2.20", "site.example.com A 192.0.2.20", "web.example.com A 192.0.2.10"}},
		{"namespace, label filter and ingress class", Config{Namespace: "prod", LabelFilter: "dns=yes", IngressClasses: []string{"traefik"}},
			[]string{"web.example.com A 192.0.2.10"}},
		{"ingress class from spec", Config{Kinds: []string{KindIngress}, IngressClasses: []string{"nginx"}},
			[]string{"site.example.com A 192.0.2.20"}},
		{"services only", Config{Kinds: []string{KindService}, Namespace: "prod"},
			[]string{"hidden.example.com A 192.0.2.10", "web.example.com A 192.0.2.10"}},
	}
	for _, tt := range tests {
		for _, listAtOnce := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, list at once %v", tt.name, listAtOnce), func(t *testing.T) {
				k, _ := startKube(t, tt.config, KubeConfig{ListAtOnce: listAtOnce}, objs...)
				if got := mustEndpoints(t, k); !slices.Equal(got, tt.want) {
					t.Errorf("endpoints:\n got %q\nwant %q", got, tt.want)
				}
			})
		}
	}
}

// A client-go upgrade that renamed the method would silently bring the watch-list
// back to one-shot runs.
func TestListAtOnceOptsOutOfWatchList(t *testing.T) {
	if !watchlist.DoesClientNotSupportWatchListSemantics(listAtOnce{&cache.ListWatch{}}) {
		t.Error("client-go would stream the initial list of a ListAtOnce informer")
	}
}

func TestKubeOnlyNeededInformersStart(t *testing.T) {
	k, _ := startKube(t, Config{Kinds: []string{KindService}}, KubeConfig{}, lbService(nil))
	if got := started(k); !slices.Equal(got, []kubeResource{resourceServices}) {
		t.Errorf("started %v, want only services", got)
	}
	k, _ = startKube(t, Config{}, KubeConfig{})
	if got := started(k); !slices.Equal(got, []kubeResource{resourceIngresses, resourceServices}) {
		t.Errorf("started %v, want ingresses and services", got)
	}
}

func TestKubeLazyHeadless(t *testing.T) {
	ctx := context.Background()
	k, client := startKube(t, Config{}, KubeConfig{})
	if _, err := client.CoreV1().Pods("prod").Create(ctx, pod("web-0", "web-0"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DiscoveryV1().EndpointSlices("prod").Create(ctx,
		slice(discoveryv1.AddressTypeIPv4, ep("10.0.0.1", "web-0", "n1", yes)), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Services("prod").Create(ctx, headlessService(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []kubeResource{resourceEndpointSlices, resourceIngresses, resourcePods, resourceServices}
	eventually(t, "the headless Service starts the endpointslices and pods informers", func() bool {
		return slices.Equal(started(k), want)
	})
	waitSynced(t, k)
	if got, want := mustEndpoints(t, k), []string{"svc.example.com A 10.0.0.1", "web-0.svc.example.com A 10.0.0.1"}; !slices.Equal(got, want) {
		t.Errorf("endpoints:\n got %q\nwant %q", got, want)
	}
}

func TestKubeNodePort(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: "prod", Annotations: map[string]string{newPrefix + "hostname": "np.example.com"}},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, NodePort: 30080}}},
	}
	k, _ := startKube(t, Config{ManagedTypes: []string{"A", "SRV"}}, KubeConfig{}, svc, node("n1", extIP("203.0.113.1")))
	if got := started(k); !slices.Contains(got, resourceNodes) || slices.Contains(got, resourcePods) {
		t.Errorf("started %v, want nodes and not pods", got)
	}
	want := []string{"_np._tcp.np.example.com SRV 0 50 30080 np.example.com", "np.example.com A 203.0.113.1"}
	if got := mustEndpoints(t, k); !slices.Equal(got, want) {
		t.Errorf("endpoints:\n got %q\nwant %q", got, want)
	}
}

// TestKubeEndpointsStartsWhatIsMissing covers a Service whose needs the event handler
// did not see (here: removed by hand): Endpoints must not answer without the objects.
func TestKubeEndpointsStartsWhatIsMissing(t *testing.T) {
	k, _ := startKube(t, Config{}, KubeConfig{}, headlessService())
	k.mu.Lock()
	delete(k.informers, resourceEndpointSlices)
	k.mu.Unlock()
	_, err := k.Endpoints(context.Background())
	if err == nil || !strings.Contains(err.Error(), "prod/svc") || !strings.Contains(err.Error(), "endpointslices") {
		t.Fatalf("Endpoints error = %v, want one naming the Service and endpointslices", err)
	}
	if !slices.Contains(started(k), resourceEndpointSlices) {
		t.Error("Endpoints did not start the endpointslices informer")
	}
	waitSynced(t, k)
	if _, err := k.Endpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestKubeOnChange(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int64
	svc := lbService(nil)
	svc.ResourceVersion = "1"
	k, client := startKube(t, Config{}, KubeConfig{OnChange: func() { calls.Add(1) }}, svc)
	// Once for the Service, once more for each informer whose cache is complete.
	eventually(t, "OnChange for the initial Service and the synced caches", func() bool { return calls.Load() == 3 })
	calls.Store(1)

	informer := k.informers[resourceServices].informer
	handlers := k.handler(resourceServices)
	same := svc.DeepCopy()
	handlers.OnUpdate(svc, same)
	if calls.Load() != 1 {
		t.Errorf("OnChange called for an update without a new resourceVersion")
	}
	unread := svc.DeepCopy()
	unread.ResourceVersion = "2"
	handlers.OnUpdate(svc, unread)
	if calls.Load() != 1 {
		t.Errorf("OnChange called for a new resourceVersion that changed nothing the conversion reads")
	}
	changed := svc.DeepCopy()
	changed.ResourceVersion = "3"
	changed.Annotations = map[string]string{newPrefix + "hostname": "other.example.com"}
	handlers.OnUpdate(svc, changed)
	if calls.Load() != 2 {
		t.Errorf("OnChange not called for a changed hostname annotation")
	}

	if _, err := client.NetworkingV1().Ingresses("prod").Create(ctx, lbIngress(nil, "a.example.com"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "OnChange for an added Ingress", func() bool { return calls.Load() == 3 })
	if err := client.CoreV1().Services("prod").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "OnChange for a deleted Service", func() bool { return calls.Load() == 4 })
	eventually(t, "the cache loses the Service", func() bool { return len(informer.GetStore().List()) == 0 })
}

func TestKubeNotSynced(t *testing.T) {
	k := NewKube(fake.NewClientset(), mustCompile(t, Config{}), KubeConfig{})
	if _, err := k.Endpoints(context.Background()); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("Endpoints before Start = %v, want not started", err)
	}
	if k.Synced() {
		t.Error("Synced before Start")
	}

	client := fake.NewClientset()
	client.PrependReactor("list", "ingresses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("ingresses are forbidden")
	})
	k = NewKube(client, mustCompile(t, Config{}), KubeConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := k.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.Start(ctx); err == nil {
		t.Error("a second Start succeeded")
	}
	eventually(t, "the list failure reaches the watch error handler", func() bool {
		_, err := k.Endpoints(ctx)
		return err != nil && strings.Contains(err.Error(), "ingresses are forbidden")
	})
	_, err := k.Endpoints(ctx)
	if !strings.Contains(err.Error(), "not synced") || !strings.Contains(err.Error(), "ingresses") {
		t.Errorf("Endpoints = %v, want not synced naming ingresses", err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer wcancel()
	if err := k.WaitForSync(wctx); err == nil || !strings.Contains(err.Error(), "ingresses") || strings.Contains(err.Error(), "services") {
		t.Errorf("WaitForSync = %v, want an error naming ingresses only", err)
	}
}

// TestKubeUnhealthy: after a watch failure Endpoints fails until a live List passes.
func TestKubeUnhealthy(t *testing.T) {
	k, client := startKube(t, Config{}, KubeConfig{}, lbService(map[string]string{newPrefix + "hostname": "web.example.com"}))
	var forbidden atomic.Bool
	var lists atomic.Int64
	client.PrependReactor("list", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		lists.Add(1)
		if forbidden.Load() {
			return true, nil, errors.New(`services is forbidden: User "zk" cannot list`)
		}
		return false, nil, nil
	})
	before := lists.Load()
	if _, err := k.Endpoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	if lists.Load() != before {
		t.Error("a healthy Endpoints listed from the API server")
	}

	forbidden.Store(true)
	k.watchFailed(resourceServices, errors.New("watch of services failed"))
	_, err := k.Endpoints(context.Background())
	if err == nil || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "watch of services failed") {
		t.Fatalf("Endpoints = %v, want the list error and the watch error", err)
	}

	forbidden.Store(false)
	if _, err := k.Endpoints(context.Background()); !errors.Is(err, errRestarted) {
		t.Fatalf("first Endpoints after recovery = %v, want errRestarted: the stale cache must be listed anew", err)
	}
	eventually(t, "the restarted informer to sync", k.Synced)
	if got := mustEndpoints(t, k); !slices.Equal(got, []string{"web.example.com A 192.0.2.10"}) {
		t.Errorf("after recovery: %q", got)
	}
	before = lists.Load()
	mustEndpoints(t, k)
	if lists.Load() != before {
		t.Error("recovered source still lists from the API server")
	}
}

func TestKubeWatchErrorMakesUnhealthy(t *testing.T) {
	client := fake.NewClientset()
	client.PrependWatchReactor("services", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, nil, errors.New("watch refused")
	})
	k := NewKube(client, mustCompile(t, Config{}), KubeConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := k.Start(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the watch failure is recorded", func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		_, ok := k.failures[resourceServices]
		return ok
	})
}

func TestTransforms(t *testing.T) {
	plain := mustCompile(t, Config{})
	meta := metav1.ObjectMeta{
		Name: "x", Namespace: "prod", ResourceVersion: "7", Labels: map[string]string{"a": "b", discoveryv1.LabelServiceName: "svc"},
		Annotations:   map[string]string{corev1.LastAppliedConfigAnnotation: "{...}", "keep": "me"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
	}
	svc, _ := transformFor(resourceServices, plain)(&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1"}})
	s := svc.(*corev1.Service)
	if s.ManagedFields != nil || s.Annotations[corev1.LastAppliedConfigAnnotation] != "" || s.Annotations["keep"] != "me" || s.Spec.ClusterIP != "10.0.0.1" {
		t.Errorf("Service transform: %+v", s)
	}
	ingObj, _ := transformFor(resourceIngresses, plain)(&networkingv1.Ingress{ObjectMeta: *meta.DeepCopy()})
	if ing := ingObj.(*networkingv1.Ingress); ing.ManagedFields != nil || len(ing.Annotations) != 1 {
		t.Errorf("Ingress transform: %+v", ing)
	}

	// Without an FQDN template the conversion's fields stay and the rest goes; with one,
	// every field stays.
	full := &corev1.Service{ObjectMeta: *meta.DeepCopy(), Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeNodePort, ClusterIP: "10.0.0.1", SessionAffinity: corev1.ServiceAffinityClientIP,
		Ports: []corev1.ServicePort{{Name: "http", Port: 80, NodePort: 30080, Protocol: corev1.ProtocolUDP}, {Port: 81}},
	}, Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{
		{IP: "192.0.2.1", Ports: []corev1.PortStatus{{Port: 80}}},
	}}}}
	slimSvc, _ := transformFor(resourceServices, plain)(full.DeepCopy())
	if s := slimSvc.(*corev1.Service); s.Spec.SessionAffinity != "" || len(s.Spec.Ports) != 1 || s.Spec.Ports[0].NodePort != 30080 ||
		s.Spec.Ports[0].Protocol != corev1.ProtocolUDP || s.Spec.Type != corev1.ServiceTypeNodePort || s.Labels["a"] != "b" ||
		s.Status.LoadBalancer.Ingress[0].IP != "192.0.2.1" || s.Status.LoadBalancer.Ingress[0].Ports != nil {
		t.Errorf("slim Service transform: %+v", s)
	}
	templated := mustCompile(t, Config{FQDNTemplate: "{{.Name}}.example.com"})
	fullSvc, _ := transformFor(resourceServices, templated)(full.DeepCopy())
	if s := fullSvc.(*corev1.Service); s.Spec.SessionAffinity != corev1.ServiceAffinityClientIP || len(s.Spec.Ports) != 2 || s.ManagedFields != nil {
		t.Errorf("templated Service transform: %+v", s)
	}
	class := "nginx"
	fullIng := &networkingv1.Ingress{ObjectMeta: *meta.DeepCopy(), Spec: networkingv1.IngressSpec{
		IngressClassName: &class,
		Rules: []networkingv1.IngressRule{{Host: "a.example.com", IngressRuleValue: networkingv1.IngressRuleValue{
			HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: "/"}}}}}},
		TLS: []networkingv1.IngressTLS{{Hosts: []string{"b.example.com"}, SecretName: "tls"}},
	}}
	slimIng, _ := transformFor(resourceIngresses, plain)(fullIng.DeepCopy())
	if i := slimIng.(*networkingv1.Ingress); i.Spec.Rules[0].Host != "a.example.com" || i.Spec.Rules[0].HTTP != nil ||
		i.Spec.TLS[0].Hosts[0] != "b.example.com" || i.Spec.TLS[0].SecretName != "" || *i.Spec.IngressClassName != "nginx" {
		t.Errorf("slim Ingress transform: %+v", i)
	}
	templatedIng, _ := transformFor(resourceIngresses, templated)(fullIng.DeepCopy())
	if i := templatedIng.(*networkingv1.Ingress); i.Spec.Rules[0].HTTP == nil || i.Spec.TLS[0].SecretName != "tls" {
		t.Errorf("templated Ingress transform: %+v", i)
	}

	p := pod("web-0", "h", "198.51.100.1")
	p.ObjectMeta = *meta.DeepCopy()
	p.Spec.Containers = []corev1.Container{{Name: "c", Image: "i"}}
	podObj, _ := transformFor(resourcePods, plain)(p)
	slim := podObj.(*corev1.Pod)
	if slim.ManagedFields != nil || slim.Annotations != nil || slim.Labels != nil || slim.Spec.Containers != nil ||
		slim.Spec.Hostname != "h" || slim.Status.HostIPs[0].IP != "198.51.100.1" || slim.ResourceVersion != "7" {
		t.Errorf("Pod transform: %+v", slim)
	}

	n := node("n1", extIP("203.0.113.1"))
	n.ObjectMeta = *meta.DeepCopy()
	n.Status.Images = []corev1.ContainerImage{{Names: []string{"big"}}}
	nodeObj, _ := transformFor(resourceNodes, plain)(n)
	if sn := nodeObj.(*corev1.Node); sn.ManagedFields != nil || sn.Status.Images != nil || len(sn.Status.Addresses) != 1 || sn.Name != "x" {
		t.Errorf("Node transform: %+v", sn)
	}

	es := slice(discoveryv1.AddressTypeIPv4, ep("10.0.0.1", "web-0", "n1", yes))
	es.ObjectMeta = *meta.DeepCopy()
	es.Endpoints[0].Hints = &discoveryv1.EndpointHints{ForZones: []discoveryv1.ForZone{{Name: "z"}}}
	esObj, _ := transformFor(resourceEndpointSlices, plain)(es)
	se := esObj.(*discoveryv1.EndpointSlice)
	if se.ManagedFields != nil || len(se.Labels) != 1 || se.Endpoints[0].Hints != nil || se.Endpoints[0].TargetRef.Name != "web-0" ||
		*se.Endpoints[0].NodeName != "n1" || !*se.Endpoints[0].Conditions.Ready {
		t.Errorf("EndpointSlice transform: %+v", se)
	}

	// The cached objects really are the transformed ones.
	svcIn := lbService(nil)
	svcIn.ObjectMeta.ManagedFields = meta.ManagedFields
	k, _ := startKube(t, Config{}, KubeConfig{}, svcIn)
	for _, obj := range k.informers[resourceServices].informer.GetStore().List() {
		if obj.(*corev1.Service).ManagedFields != nil {
			t.Error("cached Service keeps managedFields")
		}
	}
}

func TestKubeProblemsAndSorting(t *testing.T) {
	bad := lbService(map[string]string{newPrefix + "hostname": "a..example.com"})
	bad.Name = "bad"
	good := lbService(map[string]string{newPrefix + "hostname": "b.example.com,a.example.com"})
	k, _ := startKube(t, Config{}, KubeConfig{}, good, bad)
	res, err := k.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, res.Endpoints, nil)
	if len(res.Problems) != 1 || res.Problems[0].Ref != (endpoint.ObjectRef{Kind: KindService, Namespace: "prod", Name: "bad"}) {
		t.Errorf("problems %v, want one on service/prod/bad", res.Problems)
	}
}

func TestKubeChangedIgnoresUnreadFields(t *testing.T) {
	slim := mustCompile(t, Config{})
	templated := mustCompile(t, Config{FQDNTemplate: "{{.Name}}.example.com"})
	transformed := func(r kubeResource, o *Options, obj runtime.Object) any {
		out, err := transformFor(r, o)(obj)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	withRV := func(n *corev1.Node, rv string) *corev1.Node { n.ResourceVersion = rv; return n }
	heartbeat := withRV(node("n1", extIP("203.0.113.1")), "2")
	heartbeat.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}}
	svc := lbService(nil)
	svc.ResourceVersion = "1"
	affinity := svc.DeepCopy()
	affinity.ResourceVersion = "2"
	affinity.Spec.SessionAffinity = corev1.ServiceAffinityClientIP

	tests := []struct {
		name     string
		r        kubeResource
		o        *Options
		old, new runtime.Object
		want     bool
	}{
		{"node heartbeat", resourceNodes, slim, withRV(node("n1", extIP("203.0.113.1")), "1"), heartbeat, false},
		{"node address", resourceNodes, slim, withRV(node("n1", extIP("203.0.113.1")), "1"), withRV(node("n1", extIP("203.0.113.2")), "2"), true},
		{"same resourceVersion", resourceNodes, slim, withRV(node("n1", extIP("203.0.113.1")), "1"), withRV(node("n1", extIP("203.0.113.2")), "1"), false},
		{"service field the conversion does not read", resourceServices, slim, svc, affinity, false},
		{"the same field with an FQDN template", resourceServices, templated, svc, affinity, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &Kube{opts: tt.o}
			if got := k.changed(tt.r, transformed(tt.r, tt.o, tt.old), transformed(tt.r, tt.o, tt.new)); got != tt.want {
				t.Errorf("changed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExplainForbidden(t *testing.T) {
	forbidden := func(resource, group string) error {
		return apierrors.NewForbidden(schema.GroupResource{Group: group, Resource: resource}, "", errors.New(`User "system:serviceaccount:zk:zk" cannot list resource`))
	}
	tests := []struct {
		name string
		r    kubeResource
		err  error
		want string
	}{
		{"ingresses", resourceIngresses, forbidden("ingresses", "networking.k8s.io"), "needs get, list and watch on ingresses.networking.k8s.io"},
		{"endpointslices", resourceEndpointSlices, forbidden("endpointslices", "discovery.k8s.io"), "needs get, list and watch on endpointslices.discovery.k8s.io"},
		{"core nodes", resourceNodes, forbidden("nodes", ""), "needs get, list and watch on nodes;"},
		{"other errors unchanged", resourceServices, errors.New("connection refused"), "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explainForbidden(tt.r, tt.err)
			if !strings.Contains(got.Error(), tt.want) || !errors.Is(got, tt.err) {
				t.Errorf("explainForbidden = %q, want one containing %q and wrapping the original", got, tt.want)
			}
		})
	}
}

// TestKubeEndpointsReusesTheLastResult: without a change in the caches Endpoints returns
// the very same result; an added Ingress makes it convert again.
func TestKubeEndpointsReusesTheLastResult(t *testing.T) {
	k, client := startKube(t, Config{}, KubeConfig{}, lbService(map[string]string{newPrefix + "hostname": "web.example.com"}))
	first, err := k.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	again, err := k.Endpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Endpoints) != 1 || len(again.Endpoints) != 1 || first.Endpoints[0] != again.Endpoints[0] {
		t.Fatalf("unchanged caches: got %v then %v, want the same endpoint twice", first.Endpoints, again.Endpoints)
	}
	if _, err := client.NetworkingV1().Ingresses("prod").Create(context.Background(), lbIngress(nil, "a.example.com"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new Ingress's record", func() bool {
		return slices.Contains(mustEndpoints(t, k), "a.example.com A 192.0.2.20")
	})
}
