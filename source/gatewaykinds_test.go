package source

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayfake "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned/fake"
)

// startGatewayKube starts a Kube reading through fake core and Gateway API clients
// holding objs, and waits until it is synced.
func startGatewayKube(t *testing.T, config Config, core []runtime.Object, objs ...runtime.Object) (*Kube, *gatewayfake.Clientset) {
	t.Helper()
	gw := gatewayfake.NewSimpleClientset()
	for _, obj := range objs {
		// The fake's tracker would file a Gateway under the resource "gatewaies", which
		// it guesses from the kind; a create names the resource.
		if g, ok := obj.(*gatewayv1.Gateway); ok {
			if _, err := gw.GatewayV1().Gateways(g.Namespace).Create(context.Background(), g, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := gw.Tracker().Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	gw.ClearActions()
	k := NewKube(fake.NewClientset(core...), mustCompile(t, config), KubeConfig{Gateway: gw})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := k.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, k)
	return k, gw
}

// routeParent is an accepted parentRef to Gateway infra/gw.
var routeParent = acceptedBy("gw")

// TestKubeGatewayRoutes: each route kind read starts its own informer and the Gateways',
// nothing else, and its records come through the Gateway; a Gateway admitting routes by
// namespace labels starts the Namespaces informer.
func TestKubeGatewayRoutes(t *testing.T) {
	spec, status := routeSpecAndStatus([]gwParent{routeParent})
	meta := metav1.ObjectMeta{Namespace: "web", Name: "r"}
	gw := testGateway("gw", []string{"192.0.2.1"},
		gwListener("http", gatewayv1.HTTPProtocolType, "*.example.com", 80, gatewayv1.NamespacesFromAll),
		gwListener("tls", gatewayv1.TLSProtocolType, "*.example.com", 443, gatewayv1.NamespacesFromAll),
		gwListener("tcp", gatewayv1.TCPProtocolType, "tcp.example.com", 5432, gatewayv1.NamespacesFromAll),
		gwListener("udp", gatewayv1.UDPProtocolType, "udp.example.com", 53, gatewayv1.NamespacesFromAll))
	hosts := []gatewayv1.Hostname{"shop.example.com"}
	tests := []struct {
		kind     string
		resource kubeResource
		route    runtime.Object
		want     []string
	}{
		{KindGatewayHTTPRoute, resourceHTTPRoutes, &gatewayv1.HTTPRoute{ObjectMeta: meta, Spec: gatewayv1.HTTPRouteSpec{CommonRouteSpec: spec, Hostnames: hosts}, Status: gatewayv1.HTTPRouteStatus{RouteStatus: status}},
			[]string{"shop.example.com A 192.0.2.1"}},
		{KindGatewayGRPCRoute, resourceGRPCRoutes, &gatewayv1.GRPCRoute{ObjectMeta: meta, Spec: gatewayv1.GRPCRouteSpec{CommonRouteSpec: spec, Hostnames: hosts}, Status: gatewayv1.GRPCRouteStatus{RouteStatus: status}},
			[]string{"shop.example.com A 192.0.2.1"}},
		{KindGatewayTLSRoute, resourceTLSRoutes, &gatewayv1.TLSRoute{ObjectMeta: meta, Spec: gatewayv1.TLSRouteSpec{CommonRouteSpec: spec, Hostnames: hosts}, Status: gatewayv1.TLSRouteStatus{RouteStatus: status}},
			[]string{"shop.example.com A 192.0.2.1"}},
		{KindGatewayTCPRoute, resourceTCPRoutes, &gatewayv1.TCPRoute{ObjectMeta: meta, Spec: gatewayv1.TCPRouteSpec{CommonRouteSpec: spec}, Status: gatewayv1.TCPRouteStatus{RouteStatus: status}},
			// A TCPRoute attaches to TLS listeners too.
			[]string{"*.example.com A 192.0.2.1", "tcp.example.com A 192.0.2.1"}},
		{KindGatewayUDPRoute, resourceUDPRoutes, &gatewayv1.UDPRoute{ObjectMeta: meta, Spec: gatewayv1.UDPRouteSpec{CommonRouteSpec: spec}, Status: gatewayv1.UDPRouteStatus{RouteStatus: status}},
			[]string{"udp.example.com A 192.0.2.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			k, _ := startGatewayKube(t, Config{Kinds: []string{tt.kind}}, nil, tt.route, gw.DeepCopy())
			if got, want := started(k), slices.Sorted(slices.Values([]kubeResource{tt.resource, resourceGateways})); !slices.Equal(got, want) {
				t.Errorf("informers started: %v, want %v", got, want)
			}
			if got := mustEndpoints(t, k); !slices.Equal(got, tt.want) {
				t.Errorf("records %q, want %q", got, tt.want)
			}
		})
	}

	t.Run("namespace selector", func(t *testing.T) {
		sel := gwListener("http", gatewayv1.HTTPProtocolType, "*.example.com", 80, gatewayv1.NamespacesFromSelector)
		sel.AllowedRoutes.Namespaces.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"gateway": "public"}}
		gw := testGateway("gw", []string{"192.0.2.1"}, sel)
		rt := httpRoute(nil, []string{"shop.example.com"}, routeParent)
		web := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"gateway": "public"}}}
		k, _ := startGatewayKube(t, Config{Kinds: []string{KindGatewayHTTPRoute}}, []runtime.Object{web}, rt, gw)
		eventually(t, "the Namespaces informer to start and sync", func() bool {
			return slices.Contains(started(k), resourceNamespaces) && k.Synced()
		})
		eventually(t, "the route's record", func() bool {
			res, err := k.Endpoints(context.Background())
			return err == nil && slices.Equal(render(res.Endpoints), []string{"shop.example.com A 192.0.2.1"})
		})
	})
}

// TestKubeGatewayScope: Gateways are listed in --gateway-namespace, else in
// --namespace, else everywhere, with --gateway-label-filter (not --label-filter) as the
// server-side selector; routes in --namespace with --label-filter.
func TestKubeGatewayScope(t *testing.T) {
	tests := []struct {
		name                  string
		config                Config
		gatewayNS, gatewaySel string
		routeNS, routeSel     string
	}{
		{"defaults", Config{}, "", "", "", ""},
		{"namespace", Config{Namespace: "web"}, "web", "", "web", ""},
		{"gateway namespace", Config{Namespace: "web", GatewayNamespace: "infra"}, "infra", "", "web", ""},
		{"label filters", Config{LabelFilter: "app=shop", GatewayLabelFilter: "public=yes"}, "", "public=yes", "", "app=shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			config := tt.config
			config.Kinds = []string{KindGatewayHTTPRoute}
			_, gw := startGatewayKube(t, config, nil)
			want := map[string][2]string{"gateways": {tt.gatewayNS, tt.gatewaySel}, "httproutes": {tt.routeNS, tt.routeSel}}
			got := map[string][2]string{}
			for _, a := range gw.Actions() {
				if l, ok := a.(k8stesting.ListAction); ok {
					got[a.GetResource().Resource] = [2]string{a.GetNamespace(), l.GetListRestrictions().Labels.String()}
				}
			}
			for r, w := range want {
				if got[r] != w {
					t.Errorf("%s listed in namespace %q with selector %q, want %q and %q", r, got[r][0], got[r][1], w[0], w[1])
				}
			}
		})
	}
}

// TestGatewayTransforms: the slimmed routes and Gateways convert to what the whole
// objects do, and keep no rules, listener TLS settings, listener status or condition
// details.
func TestGatewayTransforms(t *testing.T) {
	o := mustCompile(t, Config{})
	port := gatewayv1.PortNumber(8080)
	gw := testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "*.example.com", 80, gatewayv1.NamespacesFromAll))
	gw.Spec.GatewayClassName = "example"
	gw.Status.Listeners = []gatewayv1.ListenerStatus{{Name: "http", AttachedRoutes: 7}}
	rt := httpRoute(map[string]string{newPrefix + "ttl": "60"}, []string{"shop.example.com"}, routeParent)
	rt.Spec.Rules = []gatewayv1.HTTPRouteRule{{BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "shop", Port: &port}}}}}}
	rt.Status.Parents[0].Conditions[0].Message = "accepted at 12:00"
	rt.Status.Parents[0].Conditions[0].LastTransitionTime = metav1.Now()
	rt.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}

	slimGW, _ := transformFor(resourceGateways, o)(gw.DeepCopy())
	slimRT, _ := transformFor(resourceHTTPRoutes, o)(rt.DeepCopy())
	want, wantProblems := HTTPRouteEndpoints(rt, o, NewObjectGatewayCluster([]*gatewayv1.Gateway{gw}, nil))
	got, gotProblems := HTTPRouteEndpoints(slimRT.(*gatewayv1.HTTPRoute), o, NewObjectGatewayCluster([]*gatewayv1.Gateway{slimGW.(*gatewayv1.Gateway)}, nil))
	if !slices.Equal(render(got), render(want)) || len(gotProblems) != len(wantProblems) || len(want) == 0 {
		t.Errorf("slimmed objects give %q %v, the whole ones %q %v", render(got), gotProblems, render(want), wantProblems)
	}
	s := slimRT.(*gatewayv1.HTTPRoute)
	if s.Spec.Rules != nil || s.ManagedFields != nil || s.Status.Parents[0].Conditions[0].Message != "" || !s.Status.Parents[0].Conditions[0].LastTransitionTime.IsZero() {
		t.Errorf("slimmed HTTPRoute keeps what no conversion reads: %+v", s)
	}
	g := slimGW.(*gatewayv1.Gateway)
	if g.Spec.GatewayClassName != "" || g.Status.Listeners != nil {
		t.Errorf("slimmed Gateway keeps what no conversion reads: %+v", g)
	}
	// With an FQDN template the route is kept whole, as Services and Ingresses are.
	whole, _ := transformFor(resourceHTTPRoutes, mustCompile(t, Config{FQDNTemplate: "{{.Name}}.example.com"}))(rt.DeepCopy())
	if w := whole.(*gatewayv1.HTTPRoute); w.Spec.Rules == nil || w.ManagedFields != nil {
		t.Errorf("with an FQDN template the HTTPRoute should be whole but for managedFields: %+v", w)
	}
}

// TestManifestGatewayRoutes: the manifest source reads routes with the Gateways and
// Namespaces of all its files, each route kind only when read.
func TestManifestGatewayRoutes(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"gateway.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: infra}
spec:
  gatewayClassName: example
  listeners:
  - {name: http, protocol: HTTP, port: 80, hostname: "*.example.com", allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {gateway: public}}}}}
  - {name: tcp, protocol: TCP, port: 5432, hostname: db.example.com, allowedRoutes: {namespaces: {from: All}}}
status:
  addresses: [{type: IPAddress, value: 192.0.2.1}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {gateway: public}}
`,
		"routes.yaml": `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: infra, sectionName: http}]
  hostnames: [www.example.com]
status:
  parents:
  - parentRef: {name: public, namespace: infra, sectionName: http}
    controllerName: example.net/gateway
    conditions: [{type: Accepted, status: "True", reason: Accepted, lastTransitionTime: "2026-01-01T00:00:00Z", message: ""}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: other, namespace: unlabelled}
spec:
  parentRefs: [{name: public, namespace: infra, sectionName: http}]
  hostnames: [other.example.com]
status:
  parents:
  - parentRef: {name: public, namespace: infra, sectionName: http}
    controllerName: example.net/gateway
    conditions: [{type: Accepted, status: "True", reason: Accepted, lastTransitionTime: "2026-01-01T00:00:00Z", message: ""}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: db, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: infra, sectionName: tcp}]
status:
  parents:
  - parentRef: {name: public, namespace: infra, sectionName: tcp}
    controllerName: example.net/gateway
    conditions: [{type: Accepted, status: "True", reason: Accepted, lastTransitionTime: "2026-01-01T00:00:00Z", message: ""}]
`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		kinds []string
		want  []string
	}{
		{[]string{KindGatewayHTTPRoute}, []string{"www.example.com A 192.0.2.1"}},
		{[]string{KindGatewayTCPRoute}, []string{"db.example.com A 192.0.2.1"}},
		{SourceKinds(), []string{"db.example.com A 192.0.2.1", "www.example.com A 192.0.2.1"}},
		{[]string{KindService, KindIngress}, nil},
	}
	for _, tt := range tests {
		res, err := NewManifest([]string{dir}, mustCompile(t, Config{Kinds: tt.kinds})).Endpoints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := render(res.Endpoints); !slices.Equal(got, tt.want) {
			t.Errorf("kinds %v: records %q, want %q (problems %v)", tt.kinds, got, tt.want, res.Problems)
		}
		for _, p := range res.Problems {
			if !p.Warning {
				t.Errorf("kinds %v: problem %v", tt.kinds, p)
			}
		}
		for _, eps := range res.Endpoints {
			if refs := eps.Refs; len(refs) != 1 || refs[0].Source != filepath.Join(dir, "routes.yaml") {
				t.Errorf("%s refers to %v, want the route in routes.yaml", eps.DNSName, refs)
			}
		}
	}
}

// TestAPIKind: the ObjectRef kinds of the route kinds are upstream's resource labels,
// and name the objects an Event regards.
func TestAPIKind(t *testing.T) {
	o := mustCompile(t, Config{CRDAPIVersion: "example.org/v2", CRDKind: "Record"})
	for _, tt := range []struct{ kind, apiVersion, apiKind string }{
		{"service", "v1", "Service"},
		{"ingress", "networking.k8s.io/v1", "Ingress"},
		{"crd", "example.org/v2", "Record"},
		{"httproute", "gateway.networking.k8s.io/v1", "HTTPRoute"},
		{"grpcroute", "gateway.networking.k8s.io/v1", "GRPCRoute"},
		{"tlsroute", "gateway.networking.k8s.io/v1", "TLSRoute"},
		{"tcproute", "gateway.networking.k8s.io/v1", "TCPRoute"},
		{"udproute", "gateway.networking.k8s.io/v1", "UDPRoute"},
		{"gateway-httproute", "", ""},
		{"pod", "", ""},
	} {
		v, k, ok := o.APIKind(tt.kind)
		if v != tt.apiVersion || k != tt.apiKind || ok != (tt.apiKind != "") {
			t.Errorf("APIKind(%q) = %q, %q, %v; want %q, %q", tt.kind, v, k, ok, tt.apiVersion, tt.apiKind)
		}
	}
}
