package source

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

// Cases marked "upstream:" restate an expectation of external-dns's published tests
// (source/gateway_test.go, source/gateway_httproute_test.go, at the commit of
// 2026-08-22) or of its docs/sources/gateway.md; cases marked "spec:" restate the Gateway
// API field documentation of Listener.hostname and HTTPRoute.spec.hostnames (v1.6.3).

func TestGatewayMatchHostnames(t *testing.T) {
	tests := []struct {
		name, a, b, want string
		ok               bool
	}{
		{name: "upstream: simple-match", a: "example.net", b: "example.net", want: "example.net", ok: true},
		{name: "upstream: wildcard-matches-longer", a: "*.example.net", b: "test.example.net", want: "test.example.net", ok: true},
		{name: "upstream: wildcard-matches-equal-length", a: "*.example.net", b: "a.example.net", want: "a.example.net", ok: true},
		{name: "upstream and spec: wildcard matches several labels", a: "*.example.net", b: "foo.bar.test.example.net", want: "foo.bar.test.example.net", ok: true},
		{name: "upstream and spec: wildcard does not match its parent", a: "*.example.net", b: "example.net"},
		{name: "upstream: wildcard must be a complete label", a: "*example.net", b: "test.example.net"},
		{name: "two wildcards: the narrower one", a: "*.example.net", b: "*.a.example.net", want: "*.a.example.net", ok: true},
		{name: "same wildcard", a: "*.example.net", b: "*.example.net", want: "*.example.net", ok: true},
		{name: "suffix that is not a label boundary", a: "*.example.net", b: "aexample.net"},
		{name: "different names", a: "a.example.net", b: "b.example.net"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Matching is symmetric: the listener may hold either name.
			for _, args := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
				if got, ok := matchHostnames(args[0], args[1]); got != tt.want || ok != tt.ok {
					t.Errorf("matchHostnames(%q, %q) = %q, %v; want %q, %v", args[0], args[1], got, ok, tt.want, tt.ok)
				}
			}
		})
	}
}

// Test objects: Gateways in namespace "infra" unless said otherwise, routes in "web".

func gwListener(name string, protocol gatewayv1.ProtocolType, hostname string, port gatewayv1.PortNumber, from gatewayv1.FromNamespaces) gatewayv1.Listener {
	l := gatewayv1.Listener{Name: gatewayv1.SectionName(name), Protocol: protocol, Port: port}
	if hostname != "" {
		h := gatewayv1.Hostname(hostname)
		l.Hostname = &h
	}
	if from != "" {
		l.AllowedRoutes = &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &from}}
	}
	return l
}

// allHTTP is a listener for HTTP routes from every namespace, without a hostname.
var allHTTP = gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromAll)

func testGateway(name string, addresses []string, listeners ...gatewayv1.Listener) *gatewayv1.Gateway {
	gw := &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: "infra", Name: name},
		Spec:       gatewayv1.GatewaySpec{Listeners: listeners},
	}
	for _, a := range addresses {
		t := gatewayv1.IPAddressType
		if typ, value, ok := cutAddressType(a); ok {
			t, a = typ, value
		}
		gw.Status.Addresses = append(gw.Status.Addresses, gatewayv1.GatewayStatusAddress{Type: &t, Value: a})
	}
	return gw
}

// cutAddressType reads "Hostname=lb.example.net" and "NamedAddress=x" address specs.
func cutAddressType(s string) (gatewayv1.AddressType, string, bool) {
	for _, t := range []gatewayv1.AddressType{gatewayv1.HostnameAddressType, gatewayv1.NamedAddressType} {
		if p := string(t) + "="; len(s) > len(p) && s[:len(p)] == p {
			return t, s[len(p):], true
		}
	}
	return "", "", false
}

// gwParent is a parentRef; ns "" leaves the namespace to default to the route's.
type gwParent struct {
	ns, name, section string
	port              gatewayv1.PortNumber
	// accepted is the Accepted condition of the route's status entry for this parent;
	// "" means no entry at all, "none" an entry without the condition.
	accepted metav1.ConditionStatus
}

func (p gwParent) ref() gatewayv1.ParentReference {
	r := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(p.name)}
	if p.ns != "" {
		ns := gatewayv1.Namespace(p.ns)
		r.Namespace = &ns
	}
	if p.section != "" {
		s := gatewayv1.SectionName(p.section)
		r.SectionName = &s
	}
	if p.port != 0 {
		port := p.port
		r.Port = &port
	}
	return r
}

// acceptedBy is a parent Gateway in "infra" whose status says Accepted=True.
func acceptedBy(name string) gwParent {
	return gwParent{ns: "infra", name: name, accepted: metav1.ConditionTrue}
}

func routeSpecAndStatus(parents []gwParent) (gatewayv1.CommonRouteSpec, gatewayv1.RouteStatus) {
	var spec gatewayv1.CommonRouteSpec
	var status gatewayv1.RouteStatus
	for _, p := range parents {
		spec.ParentRefs = append(spec.ParentRefs, p.ref())
		if p.accepted == "" {
			continue
		}
		s := gatewayv1.RouteParentStatus{ParentRef: p.ref(), ControllerName: "example.net/gateway-controller"}
		if p.accepted != "none" {
			s.Conditions = []metav1.Condition{{Type: string(gatewayv1.RouteConditionAccepted), Status: p.accepted, Reason: "Test"}}
		}
		status.Parents = append(status.Parents, s)
	}
	return spec, status
}

func httpRoute(annotations map[string]string, hostnames []string, parents ...gwParent) *gatewayv1.HTTPRoute {
	spec, status := routeSpecAndStatus(parents)
	rt := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "shop", Annotations: annotations},
		Spec:       gatewayv1.HTTPRouteSpec{CommonRouteSpec: spec},
		Status:     gatewayv1.HTTPRouteStatus{RouteStatus: status},
	}
	for _, h := range hostnames {
		rt.Spec.Hostnames = append(rt.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	return rt
}

func testNamespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func TestGatewayHTTPRouteEndpoints(t *testing.T) {
	fromSelector := func(l gatewayv1.Listener, matchLabels map[string]string) gatewayv1.Listener {
		l.AllowedRoutes.Namespaces.Selector = &metav1.LabelSelector{MatchLabels: matchLabels}
		return l
	}
	withKinds := func(l gatewayv1.Listener, kinds ...gatewayv1.Kind) gatewayv1.Listener {
		for _, k := range kinds {
			l.AllowedRoutes.Kinds = append(l.AllowedRoutes.Kinds, gatewayv1.RouteGroupKind{Kind: k})
		}
		return l
	}
	withLabels := func(gw *gatewayv1.Gateway, labels map[string]string) *gatewayv1.Gateway {
		gw.Labels = labels
		return gw
	}
	withAnnotations := func(gw *gatewayv1.Gateway, annotations map[string]string) *gatewayv1.Gateway {
		gw.Annotations = annotations
		return gw
	}
	inNamespace := func(gw *gatewayv1.Gateway, ns string) *gatewayv1.Gateway {
		gw.Namespace = ns
		return gw
	}
	web := testNamespace("web", map[string]string{"team": "web"})
	tests := []struct {
		name         string
		config       Config
		gateways     []*gatewayv1.Gateway
		namespaces   []*corev1.Namespace
		route        *gatewayv1.HTTPRoute
		want         []string
		wantProblems []problemCheck
	}{
		{
			name:     "spec hostnames on a listener without hostname",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com", "Shop2.Example.com."}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 192.0.2.1", "shop2.example.com A 192.0.2.1"},
		},
		{
			name:     "upstream SectionNameMatch: a wildcard route takes the hostname of the listener of its sectionName",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("foo", gatewayv1.HTTPProtocolType, "foo.example.internal", 80, gatewayv1.NamespacesFromAll), gwListener("bar", gatewayv1.HTTPProtocolType, "bar.example.internal", 80, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(nil, []string{"*.example.internal"}, gwParent{ns: "infra", name: "gw", section: "foo", accepted: metav1.ConditionTrue}),
			want:     []string{"foo.example.internal A 192.0.2.1"},
		},
		{
			name:     "upstream PortNumberMatch: the listeners of the parentRef's port",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("foo", gatewayv1.HTTPProtocolType, "foo.example.internal", 80, gatewayv1.NamespacesFromAll), gwListener("bar", gatewayv1.HTTPProtocolType, "bar.example.internal", 80, gatewayv1.NamespacesFromAll), gwListener("qux", gatewayv1.HTTPProtocolType, "qux.example.internal", 8080, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(nil, []string{"*.example.internal"}, gwParent{ns: "infra", name: "gw", port: 80, accepted: metav1.ConditionTrue}),
			want:     []string{"bar.example.internal A 192.0.2.1", "foo.example.internal A 192.0.2.1"},
		},
		{
			name:     "sectionName of no listener: nothing",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, gwParent{ns: "infra", name: "gw", section: "https", accepted: metav1.ConditionTrue}),
		},
		{
			name:     "upstream WildcardInGateway: a route name under the listener's wildcard",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "*.example.internal", 80, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(nil, []string{"foo.example.internal", "example.internal", "a.b.example.internal", "other.example"}, acceptedBy("gw")),
			want:     []string{"a.b.example.internal A 192.0.2.1", "foo.example.internal A 192.0.2.1"},
		},
		{
			name:     "upstream WildcardInRouteAndGateway: the wildcard itself",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "*.example.internal", 80, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(nil, []string{"*.example.internal"}, acceptedBy("gw")),
			want:     []string{"*.example.internal A 192.0.2.1"},
		},
		{
			name:     "upstream NoRouteHostname: a route without hostnames takes the listener's",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "foo.example.internal", 80, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(nil, nil, acceptedBy("gw")),
			want:     []string{"foo.example.internal A 192.0.2.1"},
		},
		{
			name:     "upstream NoHostnames: neither route nor listener names a host",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, nil, acceptedBy("gw")),
		},
		{
			name:     "upstream HostnameAnnotation: annotation names beside spec names, and beside the listener's",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "*.example.internal", 80, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(map[string]string{newPrefix + "hostname": "ann.example.internal,other.example"}, nil, acceptedBy("gw")),
			want:     []string{"*.example.internal A 192.0.2.1", "ann.example.internal A 192.0.2.1"},
		},
		{
			name:     "ignore hostname annotation",
			config:   Config{IgnoreHostnameAnnotation: true},
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(map[string]string{newPrefix + "hostname": "ann.example.com"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 192.0.2.1"},
		},
		{
			name:     "upstream OnlyAnnotationHost: gateway-hostname-source annotation-only",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(map[string]string{newPrefix + "hostname": "ann.example.com", newPrefix + "gateway-hostname-source": "Annotation-Only"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"ann.example.com A 192.0.2.1"},
		},
		{
			name:     "upstream SourceAnnotation: gateway-hostname-source defined-hosts-only",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(map[string]string{newPrefix + "hostname": "ann.example.com", newPrefix + "gateway-hostname-source": "defined-hosts-only"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 192.0.2.1"},
		},
		{
			name:         "upstream InvalidSourceAnnotation: an unknown gateway-hostname-source reads every source, with a warning",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:        httpRoute(map[string]string{newPrefix + "hostname": "ann.example.com", newPrefix + "gateway-hostname-source": "both"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:         []string{"ann.example.com A 192.0.2.1", "shop.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning("gateway-hostname-source", `"both"`)},
		},
		{
			name:     "gateway-hostname-source set: a route without spec.hostnames does not take the listener's",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "a.example.com", 80, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(map[string]string{newPrefix + "gateway-hostname-source": "defined-hosts-only"}, nil, acceptedBy("gw")),
		},
		{
			name:     "FQDN template with --combine-fqdn-annotation, beside spec names",
			config:   Config{FQDNTemplate: "{{ .Name }}.{{ .Namespace }}.example.com", CombineFQDNAnnotation: true},
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 192.0.2.1", "shop.web.example.com A 192.0.2.1"},
		},
		{
			name:         "an invalid spec hostname: an error naming the field, no records",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com", "a..example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{failure("spec.hostnames[1]", "a..example.com")},
		},
		{
			name: "an invalid namespace selector: a warning, the listener admits nothing",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, func() gatewayv1.Listener {
				l := gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromSelector)
				l.AllowedRoutes.Namespaces.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: "Near"}}}
				return l
			}())},
			namespaces:   []*corev1.Namespace{web},
			route:        httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{warning("infra/gw listener http", "selector")},
		},
		{
			name:     "FQDN template when the route names no host",
			config:   Config{FQDNTemplate: "{{ .Name }}.{{ .Namespace }}.example.com"},
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, nil, acceptedBy("gw")),
			want:     []string{"shop.web.example.com A 192.0.2.1"},
		},
		{
			name:     "upstream DifferentHostnameDifferentGateway: several parents, each serving its names with its address",
			gateways: []*gatewayv1.Gateway{testGateway("one", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "*.one.internal", 80, gatewayv1.NamespacesFromAll)), testGateway("two", []string{"192.0.2.2"}, gwListener("http", gatewayv1.HTTPProtocolType, "*.two.internal", 80, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(nil, []string{"test.one.internal", "test.two.internal"}, acceptedBy("one"), acceptedBy("two")),
			want:     []string{"test.one.internal A 192.0.2.1", "test.two.internal A 192.0.2.2"},
		},
		{
			name:     "one name through two parents has both addresses",
			gateways: []*gatewayv1.Gateway{testGateway("one", []string{"192.0.2.1"}, allHTTP), testGateway("two", []string{"192.0.2.2", "192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("one"), acceptedBy("two")),
			want:     []string{"shop.example.com A 192.0.2.1,192.0.2.2"},
		},
		{
			name:     "upstream AllowedRoutesSameNamespace, default Same: a route from another namespace is refused",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "", 80, ""))},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
		},
		{
			name:     "Same namespace, parentRef without namespace: allowed",
			gateways: []*gatewayv1.Gateway{inNamespace(testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromSame)), "web")},
			route:    httpRoute(nil, []string{"shop.example.com"}, gwParent{name: "gw", accepted: metav1.ConditionTrue}),
			want:     []string{"shop.example.com A 192.0.2.1"},
		},
		{
			name:       "upstream AllowedRoutesNamespaceSelector: a namespace with the labels is allowed",
			gateways:   []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, fromSelector(gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromSelector), map[string]string{"team": "web"}))},
			namespaces: []*corev1.Namespace{web},
			route:      httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			want:       []string{"shop.example.com A 192.0.2.1"},
		},
		{
			name:       "upstream AllowedRoutesNamespaceSelector: a namespace without them is refused",
			gateways:   []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, fromSelector(gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromSelector), map[string]string{"team": "shop"}))},
			namespaces: []*corev1.Namespace{web},
			route:      httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
		},
		{
			name:         "upstream MissingNamespace: an unknown namespace is refused, with a warning",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, fromSelector(gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromSelector), map[string]string{"team": "web"}))},
			route:        httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{warning("infra/gw", "namespace web is unknown")},
		},
		{
			name:     "allowedRoutes kinds that name HTTPRoute",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, withKinds(gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromAll), "GRPCRoute", "HTTPRoute"))},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 192.0.2.1"},
		},
		{
			name:     "allowedRoutes kinds without HTTPRoute",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, withKinds(gwListener("http", gatewayv1.HTTPProtocolType, "", 80, gatewayv1.NamespacesFromAll), "GRPCRoute"))},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
		},
		{
			name:     "upstream TestGatewayMatchingProtocol: HTTPS listener takes an HTTPRoute, TCP and TLS listeners do not",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("https", gatewayv1.HTTPSProtocolType, "a.example.com", 443, gatewayv1.NamespacesFromAll), gwListener("tls", gatewayv1.TLSProtocolType, "b.example.com", 8443, gatewayv1.NamespacesFromAll), gwListener("tcp", gatewayv1.TCPProtocolType, "c.example.com", 5432, gatewayv1.NamespacesFromAll))},
			route:    httpRoute(nil, nil, acceptedBy("gw")),
			want:     []string{"a.example.com A 192.0.2.1"},
		},
		{
			name:     "upstream NoParentRefs: a detached route asks for nothing",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}),
		},
		{
			name:     "upstream ParentRefsMismatch: a status entry for a parent no longer in spec counts for nothing",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route: func() *gatewayv1.HTTPRoute {
				rt := httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw"))
				rt.Spec.ParentRefs = nil
				return rt
			}(),
		},
		{
			name:     "a parentRef to something other than a Gateway is not ours",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route: func() *gatewayv1.HTTPRoute {
				rt := httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw"))
				kind, group := gatewayv1.Kind("Service"), gatewayv1.Group("")
				rt.Spec.ParentRefs[0].Kind, rt.Spec.ParentRefs[0].Group = &kind, &group
				return rt
			}(),
		},
		{
			name:         "a Gateway that does not exist: a warning",
			route:        httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{warning("spec.parentRefs[0]", "Gateway infra/gw not found")},
		},
		{
			name:     "Accepted=False: the parent serves nothing, the name goes",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, gwParent{ns: "infra", name: "gw", accepted: metav1.ConditionFalse}),
		},
		{
			name:         "no status entry for the parent: the name waits, its records kept",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com"}, gwParent{ns: "infra", name: "gw"}),
			wantProblems: []problemCheck{warning("infra/gw has not said whether it accepts the route", "kept")},
		},
		{
			name:         "a status entry without Accepted: the name waits (upstream GatewayNameNoneAccepted publishes nothing; docs/migration.md)",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com"}, gwParent{ns: "infra", name: "gw", accepted: "none"}),
			wantProblems: []problemCheck{warning("has not said whether it accepts the route")},
		},
		{
			name:         "Accepted=Unknown: the name waits",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com"}, gwParent{ns: "infra", name: "gw", accepted: metav1.ConditionUnknown}),
			wantProblems: []problemCheck{warning("has not said whether it accepts the route")},
		},
		{
			name:     "a status entry for another sectionName does not count",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route: func() *gatewayv1.HTTPRoute {
				rt := httpRoute(nil, []string{"shop.example.com"}, gwParent{ns: "infra", name: "gw", accepted: metav1.ConditionTrue})
				section := gatewayv1.SectionName("https")
				rt.Status.Parents[0].ParentRef.SectionName = &section
				return rt
			}(),
			wantProblems: []problemCheck{warning("has not said whether it accepts the route")},
		},
		{
			name:     "one controller says False, another True: accepted",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route: func() *gatewayv1.HTTPRoute {
				rt := httpRoute(nil, []string{"shop.example.com"}, gwParent{ns: "infra", name: "gw", accepted: metav1.ConditionFalse})
				other := *rt.Status.Parents[0].DeepCopy()
				other.ControllerName = "example.net/other"
				other.Conditions[0].Status = metav1.ConditionTrue
				rt.Status.Parents = append(rt.Status.Parents, other)
				return rt
			}(),
			want: []string{"shop.example.com A 192.0.2.1"},
		},
		{
			name:         "a name served by an accepted parent and one that has not said: it waits",
			gateways:     []*gatewayv1.Gateway{testGateway("one", []string{"192.0.2.1"}, allHTTP), testGateway("two", []string{"192.0.2.2"}, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com"}, acceptedBy("one"), gwParent{ns: "infra", name: "two"}),
			wantProblems: []problemCheck{warning("infra/two has not said")},
		},
		{
			name:         "a Gateway without addresses: the name waits, its records kept",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", nil, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com", "www.example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{warning("shop.example.com", "infra/gw has no IPAddress or Hostname in status.addresses"), warning("www.example.com", "kept")},
		},
		{
			name:         "a Gateway with only a NamedAddress: the name waits",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"NamedAddress=pool-1"}, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{warning("no IPAddress or Hostname")},
		},
		{
			name:     "IPv6 and IPv4 addresses: A and AAAA",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"2001:db8::1", "192.0.2.1", "2001:0DB8:0::2"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 192.0.2.1", "shop.example.com AAAA 2001:db8::1,2001:db8::2"},
		},
		{
			name:     "a Hostname address: CNAME",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"Hostname=LB-1.elb.example.net."}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com CNAME lb-1.elb.example.net"},
		},
		{
			name:         "two Hostname addresses on one name: an error, no records",
			gateways:     []*gatewayv1.Gateway{testGateway("one", []string{"Hostname=a.elb.example.net"}, allHTTP), testGateway("two", []string{"Hostname=b.elb.example.net"}, allHTTP)},
			route:        httpRoute(nil, []string{"shop.example.com"}, acceptedBy("one"), acceptedBy("two")),
			wantProblems: []problemCheck{failure("shop.example.com", "CNAME")},
		},
		{
			name:     "upstream AnnotationOverride: the Gateway's target annotation replaces its addresses",
			gateways: []*gatewayv1.Gateway{withAnnotations(testGateway("gw", []string{"192.0.2.1"}, allHTTP), map[string]string{newPrefix + "target": "203.0.113.4"})},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 203.0.113.4"},
		},
		{
			name:     "upstream MutlipleGatewaysOneAnnotationOverride: override and addresses combined",
			gateways: []*gatewayv1.Gateway{withAnnotations(testGateway("one", []string{"192.0.2.1"}, allHTTP), map[string]string{newPrefix + "target": "203.0.113.4"}), testGateway("two", []string{"192.0.2.2"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("one"), acceptedBy("two")),
			want:     []string{"shop.example.com A 192.0.2.2,203.0.113.4"},
		},
		{
			name:     "the route's target annotation wins over the Gateway's and its addresses",
			gateways: []*gatewayv1.Gateway{withAnnotations(testGateway("gw", []string{"192.0.2.1"}, allHTTP), map[string]string{newPrefix + "target": "203.0.113.4"})},
			route:    httpRoute(map[string]string{alphaPrefix + "target": "shop.cdn.example.net"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com CNAME shop.cdn.example.net"},
		},
		{
			name:         "a Gateway target annotation naming nothing: the name waits",
			gateways:     []*gatewayv1.Gateway{withAnnotations(testGateway("gw", []string{"192.0.2.1"}, allHTTP), map[string]string{newPrefix + "target": " , "})},
			route:        httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{warning("infra/gw annotation " + newPrefix + "target names no target")},
		},
		{
			name:     "the route's target annotation also serves a parent without addresses",
			gateways: []*gatewayv1.Gateway{testGateway("gw", nil, allHTTP)},
			route:    httpRoute(map[string]string{newPrefix + "target": "203.0.113.9"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 203.0.113.9"},
		},
		{
			name:         "a bad target annotation on the route: an error naming it",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:        httpRoute(map[string]string{newPrefix + "target": "bad_target!"}, []string{"shop.example.com"}, acceptedBy("gw")),
			wantProblems: []problemCheck{failure(newPrefix+"target", "bad_target!")},
		},
		{
			name:     "upstream TTL and ProviderAnnotations: read from the route",
			gateways: []*gatewayv1.Gateway{withAnnotations(testGateway("gw", []string{"192.0.2.1"}, allHTTP), map[string]string{newPrefix + "ttl": "10", newPrefix + "cloudflare-proxied": "false"})},
			route: httpRoute(map[string]string{newPrefix + "ttl": "60", newPrefix + "cloudflare-proxied": "true", newPrefix + "set-identifier": "blue", newPrefix + "aws-weight": "10"},
				[]string{"shop.example.com"}, acceptedBy("gw")),
			want: []string{"shop.example.com 60 A 192.0.2.1 [blue] {aws/weight=10 cloudflare-proxied=true}"},
		},
		{
			name:         "a bad TTL: a warning, the record without TTL",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:        httpRoute(map[string]string{newPrefix + "ttl": "soon"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:         []string{"shop.example.com A 192.0.2.1"},
			wantProblems: []problemCheck{warning(newPrefix+"ttl", "soon")},
		},
		{
			name:     "upstream GatewayName: only parents of that name",
			config:   Config{GatewayName: "two"},
			gateways: []*gatewayv1.Gateway{testGateway("one", []string{"192.0.2.1"}, allHTTP), testGateway("two", []string{"192.0.2.2"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("one"), acceptedBy("two")),
			want:     []string{"shop.example.com A 192.0.2.2"},
		},
		{
			name:     "upstream GatewayNamespace: only parents in that namespace",
			config:   Config{GatewayNamespace: "edge"},
			gateways: []*gatewayv1.Gateway{testGateway("one", []string{"192.0.2.1"}, allHTTP), inNamespace(testGateway("two", []string{"192.0.2.2"}, allHTTP), "edge")},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("one"), gwParent{ns: "edge", name: "two", accepted: metav1.ConditionTrue}),
			want:     []string{"shop.example.com A 192.0.2.2"},
		},
		{
			name:     "upstream GatewayLabelFilter: only Gateways with matching labels",
			config:   Config{GatewayLabelFilter: "tier=public"},
			gateways: []*gatewayv1.Gateway{withLabels(testGateway("one", []string{"192.0.2.1"}, allHTTP), map[string]string{"tier": "internal"}), withLabels(testGateway("two", []string{"192.0.2.2"}, allHTTP), map[string]string{"tier": "public"})},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("one"), acceptedBy("two")),
			want:     []string{"shop.example.com A 192.0.2.2"},
		},
		{
			name:     "a Gateway handed to another controller serves nothing",
			gateways: []*gatewayv1.Gateway{withAnnotations(testGateway("gw", []string{"192.0.2.1"}, allHTTP), map[string]string{newPrefix + "controller": "someone-else"})},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
		},
		{
			name:     "upstream SkipControllerAnnotation: a route handed to another controller",
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(map[string]string{newPrefix + "controller": "someone-else"}, []string{"shop.example.com"}, acceptedBy("gw")),
		},
		{
			name:     "upstream RouteNamespace: --namespace filters routes",
			config:   Config{Namespace: "other"},
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
		},
		{
			name:     "upstream RouteLabelFilter: --label-filter applies to routes, not Gateways",
			config:   Config{LabelFilter: "app=shop"},
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(nil, []string{"shop.example.com"}, acceptedBy("gw")),
		},
		{
			name:     "upstream RouteAnnotationFilter: --annotation-filter applies to routes",
			config:   Config{AnnotationFilter: "dns=public"},
			gateways: []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, allHTTP)},
			route:    httpRoute(map[string]string{"dns": "public"}, []string{"shop.example.com"}, acceptedBy("gw")),
			want:     []string{"shop.example.com A 192.0.2.1"},
		},
		{
			name:         "an invalid listener hostname: the listener is skipped, with a warning",
			gateways:     []*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "bad_name!.example.com", 80, gatewayv1.NamespacesFromAll))},
			route:        httpRoute(nil, nil, acceptedBy("gw")),
			wantProblems: []problemCheck{warning("infra/gw listener http", "bad_name!")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, problems := HTTPRouteEndpoints(tt.route, mustCompile(t, tt.config), NewObjectGatewayCluster(tt.gateways, tt.namespaces))
			checkResult(t, eps, problems, tt.want, tt.wantProblems)
			for _, ep := range eps {
				if want := (endpoint.ObjectRef{Kind: "httproute", Namespace: "web", Name: "shop"}); ep.Refs[0] != want {
					t.Errorf("endpoint %s: Refs %v, want %v", ep, ep.Refs, want)
				}
			}
		})
	}
}

// TestGatewayWaitingNamesKeepRecords checks the contract the controller relies on: a name
// that waits for its parent is reported with an error that is ErrNoTargets, on the route
// and that name, and is not among the records.
func TestGatewayWaitingNamesKeepRecords(t *testing.T) {
	gateways := []*gatewayv1.Gateway{testGateway("ready", []string{"192.0.2.1"}, gwListener("http", gatewayv1.HTTPProtocolType, "a.example.com", 80, gatewayv1.NamespacesFromAll)), testGateway("blank", nil, gwListener("http", gatewayv1.HTTPProtocolType, "b.example.com", 80, gatewayv1.NamespacesFromAll))}
	rt := httpRoute(nil, nil, acceptedBy("ready"), acceptedBy("blank"))
	eps, problems := HTTPRouteEndpoints(rt, mustCompile(t, Config{}), NewObjectGatewayCluster(gateways, nil))
	if got, want := render(eps), []string{"a.example.com A 192.0.2.1"}; !slices.Equal(got, want) {
		t.Errorf("endpoints %q, want %q", got, want)
	}
	if len(problems) != 1 {
		t.Fatalf("problems %v, want one", problems)
	}
	p := problems[0]
	ref := endpoint.ObjectRef{Kind: "httproute", Namespace: "web", Name: "shop"}
	if !errors.Is(p.Err, ErrNoTargets) || !p.Warning || p.DNSName != "b.example.com" || p.Ref != ref {
		t.Errorf("problem %+v: want a warning that is ErrNoTargets for b.example.com on %v", p, ref)
	}
}

func TestGatewayRouteKinds(t *testing.T) {
	listeners := []gatewayv1.Listener{
		gwListener("http", gatewayv1.HTTPProtocolType, "http.example.com", 80, gatewayv1.NamespacesFromAll),
		gwListener("https", gatewayv1.HTTPSProtocolType, "https.example.com", 443, gatewayv1.NamespacesFromAll),
		gwListener("tls", gatewayv1.TLSProtocolType, "tls.example.com", 8443, gatewayv1.NamespacesFromAll),
		gwListener("tcp", gatewayv1.TCPProtocolType, "tcp.example.com", 5432, gatewayv1.NamespacesFromAll),
		gwListener("udp", gatewayv1.UDPProtocolType, "udp.example.com", 53, gatewayv1.NamespacesFromAll),
	}
	c := NewObjectGatewayCluster([]*gatewayv1.Gateway{testGateway("gw", []string{"192.0.2.1", "2001:db8::1"}, listeners...)}, nil)
	meta := metav1.ObjectMeta{Namespace: "web", Name: "r", Annotations: map[string]string{newPrefix + "hostname": "ann.tcp.example.com", newPrefix + "ttl": "30"}}
	spec, status := routeSpecAndStatus([]gwParent{acceptedBy("gw")})
	type conversion func(o *Options) ([]*endpoint.Endpoint, []endpoint.Problem)
	// Which listeners each kind attaches to: upstream's docs/sources/gateway.md table,
	// and its TestGatewayMatchingProtocol (a TCPRoute attaches to a TLS listener too).
	tests := []struct {
		kind    string
		refKind string
		convert conversion
		want    []string
	}{
		{
			kind: "HTTPRoute", refKind: "httproute",
			convert: func(o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
				return HTTPRouteEndpoints(&gatewayv1.HTTPRoute{ObjectMeta: meta, Spec: gatewayv1.HTTPRouteSpec{CommonRouteSpec: spec}, Status: gatewayv1.HTTPRouteStatus{RouteStatus: status}}, o, c)
			},
			want: []string{"http.example.com", "https.example.com"},
		},
		{
			kind: "GRPCRoute", refKind: "grpcroute",
			convert: func(o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
				return GRPCRouteEndpoints(&gatewayv1.GRPCRoute{ObjectMeta: meta, Spec: gatewayv1.GRPCRouteSpec{CommonRouteSpec: spec}, Status: gatewayv1.GRPCRouteStatus{RouteStatus: status}}, o, c)
			},
			want: []string{"http.example.com", "https.example.com"},
		},
		{
			kind: "TLSRoute", refKind: "tlsroute",
			convert: func(o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
				return TLSRouteEndpoints(&gatewayv1.TLSRoute{ObjectMeta: meta, Spec: gatewayv1.TLSRouteSpec{CommonRouteSpec: spec}, Status: gatewayv1.TLSRouteStatus{RouteStatus: status}}, o, c)
			},
			want: []string{"tls.example.com"},
		},
		{
			kind: "TCPRoute", refKind: "tcproute",
			convert: func(o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
				return TCPRouteEndpoints(&gatewayv1.TCPRoute{ObjectMeta: meta, Spec: gatewayv1.TCPRouteSpec{CommonRouteSpec: spec}, Status: gatewayv1.TCPRouteStatus{RouteStatus: status}}, o, c)
			},
			// The annotation name is under no listener hostname but tcp's and tls's
			// exact names, so it is not published: route names are always narrowed.
			want: []string{"tcp.example.com", "tls.example.com"},
		},
		{
			kind: "UDPRoute", refKind: "udproute",
			convert: func(o *Options) ([]*endpoint.Endpoint, []endpoint.Problem) {
				return UDPRouteEndpoints(&gatewayv1.UDPRoute{ObjectMeta: meta, Spec: gatewayv1.UDPRouteSpec{CommonRouteSpec: spec}, Status: gatewayv1.UDPRouteStatus{RouteStatus: status}}, o, c)
			},
			want: []string{"udp.example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			eps, problems := tt.convert(mustCompile(t, Config{}))
			var want []string
			for _, name := range tt.want {
				want = append(want, name+" 30 A 192.0.2.1", name+" 30 AAAA 2001:db8::1")
			}
			checkResult(t, eps, problems, want, nil)
			for _, ep := range eps {
				if ep.Refs[0].Kind != tt.refKind {
					t.Errorf("endpoint %s: ref kind %q, want %q", ep, ep.Refs[0].Kind, tt.refKind)
				}
			}
			// allowedRoutes.kinds naming only this kind keeps the records; naming
			// another kind refuses the route.
			for _, other := range []gatewayv1.Kind{gatewayv1.Kind(tt.kind), "OtherRoute"} {
				for i := range listeners {
					listeners[i].AllowedRoutes.Kinds = []gatewayv1.RouteGroupKind{{Kind: other}}
				}
				eps, _ := tt.convert(mustCompile(t, Config{}))
				if got := len(eps) > 0; got != (string(other) == tt.kind) {
					t.Errorf("allowedRoutes.kinds %s: %d records", other, len(eps))
				}
			}
			for i := range listeners {
				listeners[i].AllowedRoutes.Kinds = nil
			}
		})
	}
}

func TestGatewayConfigCompile(t *testing.T) {
	if _, err := (Config{GatewayLabelFilter: "tier in (a"}).Compile(); err == nil || !containsAll(err.Error(), "--gateway-label-filter", "tier in (a") {
		t.Errorf("Compile with a bad --gateway-label-filter: %v, want an error naming the flag and value", err)
	}
	if _, err := (Config{Kinds: GatewayRouteKinds()}).Compile(); err != nil {
		t.Errorf("Compile with every Gateway route kind: %v", err)
	}
	if _, err := (Config{Kinds: []string{"gateway-foo"}}).Compile(); err == nil || !containsAll(err.Error(), "gateway-foo", KindGatewayHTTPRoute) {
		t.Errorf("Compile with an unknown kind: %v, want an error naming it and the known ones", err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestGatewayReadmeExample checks the example of source/README.md, section "Gateway API
// routes", from the same YAML.
func TestGatewayReadmeExample(t *testing.T) {
	const routeYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: shop
  namespace: web
  annotations:
    external-dns.kubernetes.io/ttl: "60"
spec:
  parentRefs: [{name: public, namespace: infra, sectionName: https}]
  hostnames: [shop.example.com, shop.example.org]
status:
  parents:
  - parentRef: {name: public, namespace: infra, sectionName: https}
    controllerName: example.net/gateway
    conditions: [{type: Accepted, status: "True", reason: Accepted, lastTransitionTime: "2026-01-01T00:00:00Z", message: ""}]
`
	var rt gatewayv1.HTTPRoute
	if err := yaml.UnmarshalStrict([]byte(routeYAML), &rt); err != nil {
		t.Fatal(err)
	}
	gw := testGateway("public", []string{"192.0.2.1"}, gwListener("https", gatewayv1.HTTPSProtocolType, "*.example.com", 443, gatewayv1.NamespacesFromAll))
	eps, problems := HTTPRouteEndpoints(&rt, mustCompile(t, Config{}), NewObjectGatewayCluster([]*gatewayv1.Gateway{gw}, nil))
	checkResult(t, eps, problems, []string{"shop.example.com 60 A 192.0.2.1"}, nil)
}
