package helm

import (
	"slices"
	"strings"
	"testing"
)

var (
	httpRouteRule = rule{"gateway.networking.k8s.io", "httproutes", read}
	grpcRouteRule = rule{"gateway.networking.k8s.io", "grpcroutes", read}
	tlsRouteRule  = rule{"gateway.networking.k8s.io", "tlsroutes", read}
	tcpRouteRule  = rule{"gateway.networking.k8s.io", "tcproutes", read}
	udpRouteRule  = rule{"gateway.networking.k8s.io", "udproutes", read}
	gatewayRule   = rule{"gateway.networking.k8s.io", "gateways", read}
	namespaceRule = rule{"", "namespaces", read}
)

// TestGatewayRBACRender: each Gateway API route source adds read access to its routes,
// any of them to Gateways and, cluster-wide, to Namespaces (a listener may admit routes
// by namespace labels); a namespaced release cannot read Namespaces. Without a gateway
// source none of these appear, and the Deployment passes each route source enabled.
// TestGatewayRoutesToBIND9 (test/e2e) runs the daemon as the ServiceAccount these rules
// are bound to.
func TestGatewayRBACRender(t *testing.T) {
	for _, tt := range []struct {
		name    string
		set     []string
		kind    string
		rules   []rule
		sources []string
	}{
		{"httproute only", []string{"sources={gateway-httproute}"}, "ClusterRole",
			[]rule{events, gatewayRule, httpRouteRule, namespaceRule}, []string{"gateway-httproute"}},
		{"every route kind", []string{"sources={gateway-httproute,gateway-grpcroute,gateway-tlsroute,gateway-tcproute,gateway-udproute}"}, "ClusterRole",
			[]rule{events, gatewayRule, grpcRouteRule, httpRouteRule, tcpRouteRule, tlsRouteRule, udpRouteRule, namespaceRule},
			[]string{"gateway-httproute", "gateway-grpcroute", "gateway-tlsroute", "gateway-tcproute", "gateway-udproute"}},
		{"with service and ingress", []string{"sources={service,ingress,gateway-tlsroute}"}, "ClusterRole",
			[]rule{pods, services, events, endpointSlices, gatewayRule, tlsRouteRule, ingresses, namespaceRule, nodes},
			[]string{"service", "ingress", "gateway-tlsroute"}},
		{"namespaced", []string{"sources={gateway-grpcroute}", "namespaced=true"}, "Role",
			[]rule{events, gatewayRule, grpcRouteRule}, []string{"gateway-grpcroute"}},
		{"no gateway source", nil, "ClusterRole",
			[]rule{pods, services, events, endpointSlices, ingresses, nodes}, []string{"service", "ingress"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs, _ := renderRole(t, tt.set, tt.kind, tt.rules)
			var got []string
			for _, a := range container(t, deployment(t, objs)).Args {
				if s, ok := strings.CutPrefix(a, "--source="); ok {
					got = append(got, s)
				}
			}
			if !slices.Equal(got, tt.sources) {
				t.Errorf("the Deployment's --source args %q, want %q", got, tt.sources)
			}
		})
	}
}
