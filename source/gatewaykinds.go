package source

import (
	"errors"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// The Gateway API resources, and the Namespaces whose labels listeners may admit routes by.
const (
	resourceHTTPRoutes kubeResource = "httproutes"
	resourceGRPCRoutes kubeResource = "grpcroutes"
	resourceTLSRoutes  kubeResource = "tlsroutes"
	resourceTCPRoutes  kubeResource = "tcproutes"
	resourceUDPRoutes  kubeResource = "udproutes"
	resourceGateways   kubeResource = "gateways"
	resourceNamespaces kubeResource = "namespaces"
)

// errNoGatewayClient is the error of a route kind's informer without a Gateway API client.
var errNoGatewayClient = errors.New("reading Gateway API objects needs a Gateway API client (KubeConfig.Gateway)")

// gatewayRouteRows are the rows of the five route kinds, all read in v1.
func gatewayRouteRows() []*kubeKind {
	return []*kubeKind{
		routeRow(resourceHTTPRoutes, KindGatewayHTTPRoute, viewHTTPRoute, slimHTTPRoute,
			func(g gatewayclient.Interface, ns string) listWatch {
				s := g.GatewayV1().HTTPRoutes(ns)
				return typedListWatch(g, s.List, s.Watch)
			},
			func(m *ManifestObjects) *[]*gatewayv1.HTTPRoute { return &m.HTTPRoutes }),
		routeRow(resourceGRPCRoutes, KindGatewayGRPCRoute, viewGRPCRoute, slimGRPCRoute,
			func(g gatewayclient.Interface, ns string) listWatch {
				s := g.GatewayV1().GRPCRoutes(ns)
				return typedListWatch(g, s.List, s.Watch)
			},
			func(m *ManifestObjects) *[]*gatewayv1.GRPCRoute { return &m.GRPCRoutes }),
		routeRow(resourceTLSRoutes, KindGatewayTLSRoute, viewTLSRoute, slimTLSRoute,
			func(g gatewayclient.Interface, ns string) listWatch {
				s := g.GatewayV1().TLSRoutes(ns)
				return typedListWatch(g, s.List, s.Watch)
			},
			func(m *ManifestObjects) *[]*gatewayv1.TLSRoute { return &m.TLSRoutes }),
		routeRow(resourceTCPRoutes, KindGatewayTCPRoute, viewTCPRoute, slimTCPRoute,
			func(g gatewayclient.Interface, ns string) listWatch {
				s := g.GatewayV1().TCPRoutes(ns)
				return typedListWatch(g, s.List, s.Watch)
			},
			func(m *ManifestObjects) *[]*gatewayv1.TCPRoute { return &m.TCPRoutes }),
		routeRow(resourceUDPRoutes, KindGatewayUDPRoute, viewUDPRoute, slimUDPRoute,
			func(g gatewayclient.Interface, ns string) listWatch {
				s := g.GatewayV1().UDPRoutes(ns)
				return typedListWatch(g, s.List, s.Watch)
			},
			func(m *ManifestObjects) *[]*gatewayv1.UDPRoute { return &m.UDPRoutes }),
	}
}

// routeRow is the row of a route kind: read in --namespace with --label-filter on the
// server, with the Gateways its records are made from.
func routeRow[T any, PT interface {
	*T
	runtime.Object
	SetNamespace(string)
}](resource kubeResource, kind string, view func(*T) gatewayRoute, slim cache.TransformFunc,
	lw func(gatewayclient.Interface, string) listWatch, manifest func(*ManifestObjects) *[]PT) *kubeKind {
	example := PT(new(T))
	probe := view(new(T))
	return &kubeKind{
		resource: resource, group: gatewayGroup, kind: kind, refKind: probe.refKind,
		apiVersion: gatewayv1.GroupVersion.String(), apiKind: string(probe.kind),
		labelFiltered: true,
		with:          []kubeResource{resourceGateways},
		listWatch: func(c kubeClients, ns string) (listWatch, error) {
			if c.gateway == nil {
				return listWatch{}, errNoGatewayClient
			}
			return lw(c.gateway, ns), nil
		},
		example: example, slim: slim, keepWhole: hasTemplate,
		convert: func(obj any, o *Options, c kindCluster, origin string) ([]*endpoint.Endpoint, []endpoint.Problem) {
			rt, _ := obj.(PT)
			return routeEndpoints((*T)(rt), view, o, c, origin)
		},
		decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
			appendDecoded(d, manifest(&d.ManifestObjects), raw, ns, problem)
		},
		manifest: func(m *ManifestObjects) []any { return anySlice(*manifest(m)) },
	}
}

// gatewayParentRows are the rows of the objects routes' records are made from: Gateways,
// read with every route kind, with --gateway-label-filter on the server as upstream
// does, and in --gateway-namespace, else in --namespace (upstream reads every namespace
// then: a daemon confined to one namespace by its Role could not); and Namespaces, read
// once a Gateway has a listener that admits routes by namespace labels.
func gatewayParentRows() []*kubeKind {
	return []*kubeKind{
		{
			resource: resourceGateways, group: gatewayGroup,
			apiVersion: gatewayv1.GroupVersion.String(), apiKind: gatewayKind,
			selector: func(o *Options) labels.Selector { return o.gatewayLabelFilter },
			namespace: func(o *Options) string {
				if o.gatewayNamespace != "" {
					return o.gatewayNamespace
				}
				return o.namespace
			},
			listWatch: func(c kubeClients, ns string) (listWatch, error) {
				if c.gateway == nil {
					return listWatch{}, errNoGatewayClient
				}
				s := c.gateway.GatewayV1().Gateways(ns)
				return typedListWatch(c.gateway, s.List, s.Watch), nil
			},
			example: &gatewayv1.Gateway{}, slim: slimGateway,
			needs: func(obj any, _ *Options) []kubeResource {
				if gw, ok := obj.(*gatewayv1.Gateway); ok && selectsNamespaces(gw) {
					return []kubeResource{resourceNamespaces}
				}
				return nil
			},
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.Gateways, raw, ns, problem)
			},
		},
		{
			resource: resourceNamespaces, apiVersion: "v1", apiKind: "Namespace", clusterScoped: true,
			listWatch: func(c kubeClients, _ string) (listWatch, error) {
				s := c.core.CoreV1().Namespaces()
				return typedListWatch(c.core, s.List, s.Watch), nil
			},
			example: &corev1.Namespace{}, slim: slimNamespace,
			decodeManifest: func(d *manifestDecoder, raw []byte, ns string, problem func(string, ...any)) {
				appendDecoded(d, &d.Namespaces, raw, ns, problem)
			},
		},
	}
}

// selectsNamespaces reports whether a listener of gw admits routes by namespace labels.
func selectsNamespaces(gw *gatewayv1.Gateway) bool {
	for _, l := range gw.Spec.Listeners {
		if a := l.AllowedRoutes; a != nil && a.Namespaces != nil && a.Namespaces.From != nil && *a.Namespaces.From == gatewayv1.NamespacesFromSelector {
			return true
		}
	}
	return false
}

func (c *kubeCluster) Gateway(namespace, name string) *gatewayv1.Gateway {
	idx := c.indexer(resourceGateways)
	if idx == nil {
		return nil
	}
	obj, _, _ := idx.GetByKey(namespace + "/" + name)
	gw, _ := obj.(*gatewayv1.Gateway)
	return gw
}

func (c *kubeCluster) Namespace(name string) *corev1.Namespace {
	idx := c.indexer(resourceNamespaces)
	if idx == nil {
		return nil
	}
	obj, _, _ := idx.GetByKey(name)
	ns, _ := obj.(*corev1.Namespace)
	return ns
}

// slimRouteStatus keeps of each parent's status the reference and the conditions' types
// and statuses, which say whether the parent accepted the route: their timestamps,
// reasons and messages change without changing that, and would wake a reconcile.
func slimRouteStatus(s gatewayv1.RouteStatus) gatewayv1.RouteStatus {
	if len(s.Parents) == 0 {
		return gatewayv1.RouteStatus{}
	}
	out := gatewayv1.RouteStatus{Parents: make([]gatewayv1.RouteParentStatus, len(s.Parents))}
	for i, p := range s.Parents {
		out.Parents[i] = gatewayv1.RouteParentStatus{ParentRef: p.ParentRef}
		for _, c := range p.Conditions {
			out.Parents[i].Conditions = append(out.Parents[i].Conditions, metav1.Condition{Type: c.Type, Status: c.Status})
		}
	}
	return out
}

// The route transforms keep the filters' metadata, spec.hostnames, spec.parentRefs and
// slimRouteStatus; rules (matches, filters, backends) are most of a route's size.

func slimHTTPRoute(obj any) (any, error) {
	rt, ok := obj.(*gatewayv1.HTTPRoute)
	if !ok {
		return obj, nil
	}
	return &gatewayv1.HTTPRoute{
		ObjectMeta: filteredMeta(&rt.ObjectMeta),
		Spec:       gatewayv1.HTTPRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: rt.Spec.ParentRefs}, Hostnames: rt.Spec.Hostnames},
		Status:     gatewayv1.HTTPRouteStatus{RouteStatus: slimRouteStatus(rt.Status.RouteStatus)},
	}, nil
}

func slimGRPCRoute(obj any) (any, error) {
	rt, ok := obj.(*gatewayv1.GRPCRoute)
	if !ok {
		return obj, nil
	}
	return &gatewayv1.GRPCRoute{
		ObjectMeta: filteredMeta(&rt.ObjectMeta),
		Spec:       gatewayv1.GRPCRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: rt.Spec.ParentRefs}, Hostnames: rt.Spec.Hostnames},
		Status:     gatewayv1.GRPCRouteStatus{RouteStatus: slimRouteStatus(rt.Status.RouteStatus)},
	}, nil
}

func slimTLSRoute(obj any) (any, error) {
	rt, ok := obj.(*gatewayv1.TLSRoute)
	if !ok {
		return obj, nil
	}
	return &gatewayv1.TLSRoute{
		ObjectMeta: filteredMeta(&rt.ObjectMeta),
		Spec:       gatewayv1.TLSRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: rt.Spec.ParentRefs}, Hostnames: rt.Spec.Hostnames},
		Status:     gatewayv1.TLSRouteStatus{RouteStatus: slimRouteStatus(rt.Status.RouteStatus)},
	}, nil
}

func slimTCPRoute(obj any) (any, error) {
	rt, ok := obj.(*gatewayv1.TCPRoute)
	if !ok {
		return obj, nil
	}
	return &gatewayv1.TCPRoute{
		ObjectMeta: filteredMeta(&rt.ObjectMeta),
		Spec:       gatewayv1.TCPRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: rt.Spec.ParentRefs}},
		Status:     gatewayv1.TCPRouteStatus{RouteStatus: slimRouteStatus(rt.Status.RouteStatus)},
	}, nil
}

func slimUDPRoute(obj any) (any, error) {
	rt, ok := obj.(*gatewayv1.UDPRoute)
	if !ok {
		return obj, nil
	}
	return &gatewayv1.UDPRoute{
		ObjectMeta: filteredMeta(&rt.ObjectMeta),
		Spec:       gatewayv1.UDPRouteSpec{CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: rt.Spec.ParentRefs}},
		Status:     gatewayv1.UDPRouteStatus{RouteStatus: slimRouteStatus(rt.Status.RouteStatus)},
	}, nil
}

// slimGateway keeps the annotations and labels (controller, target, filters), each
// listener's name, hostname, port, protocol and allowedRoutes, and status.addresses.
// Listener TLS settings, the class and status conditions are not read; status.listeners'
// attachedRoutes counts change with every route and would wake a reconcile.
func slimGateway(obj any) (any, error) {
	gw, ok := obj.(*gatewayv1.Gateway)
	if !ok {
		return obj, nil
	}
	out := &gatewayv1.Gateway{
		ObjectMeta: filteredMeta(&gw.ObjectMeta),
		Status:     gatewayv1.GatewayStatus{Addresses: gw.Status.Addresses},
	}
	if len(gw.Spec.Listeners) > 0 {
		out.Spec.Listeners = make([]gatewayv1.Listener, len(gw.Spec.Listeners))
		for i, l := range gw.Spec.Listeners {
			out.Spec.Listeners[i] = gatewayv1.Listener{Name: l.Name, Hostname: l.Hostname, Port: l.Port, Protocol: l.Protocol, AllowedRoutes: l.AllowedRoutes}
		}
	}
	return out, nil
}

// slimNamespace keeps a Namespace's name and labels, which listeners select by.
func slimNamespace(obj any) (any, error) {
	ns, ok := obj.(*corev1.Namespace)
	if !ok {
		return obj, nil
	}
	meta := slimMeta(&ns.ObjectMeta)
	meta.Labels = ns.Labels
	return &corev1.Namespace{ObjectMeta: meta}, nil
}
