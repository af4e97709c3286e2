package source

import (
	"errors"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// FuzzGatewayRoute feeds arbitrary route hostnames, listener hostnames, addresses and
// acceptance through HTTPRouteEndpoints. Beyond the contract of every conversion
// (checkValid), it checks the two safety rules: a name that waits (ErrNoTargets) is
// never also published, and a route whose only parent says Accepted=False asks for
// nothing and waits for nothing.
func FuzzGatewayRoute(f *testing.F) {
	f.Add("shop.example.com", "*.example.com", "192.0.2.1", "", uint8(0))
	f.Add("*.example.com", "a.example.com", "2001:db8::1", "Hostname=lb.example.net", uint8(1))
	f.Add("", "*.example.com", "", "", uint8(2))
	f.Add("a.b.example.com", "*.b.example.com", "lb.example.net.", "NamedAddress=x", uint8(3))
	f.Add("example.com", "*.example.com", "fe80::1%eth0", "256.1.1.1", uint8(7))
	f.Add("Bücher.example.com", "", "192.0.2.1", "192.0.2.2", uint8(12))
	f.Fuzz(func(t *testing.T, routeHost, listenerHost, address1, address2 string, shape uint8) {
		acceptance := []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown, ""}[shape&3]
		var hosts []string
		if routeHost != "" {
			hosts = []string{routeHost}
		}
		var annotations map[string]string
		if shape&4 != 0 {
			annotations = map[string]string{AnnotationPrefix + "hostname": routeHost + ",ann." + listenerHost}
		}
		var addresses []string
		for _, a := range []string{address1, address2} {
			if a != "" {
				addresses = append(addresses, a)
			}
		}
		gw := testGateway("gw", addresses, gwListener("http", gatewayv1.HTTPProtocolType, listenerHost, 80, gatewayv1.NamespacesFromAll))
		rt := httpRoute(annotations, hosts, gwParent{ns: "infra", name: "gw", accepted: acceptance})
		eps, problems := HTTPRouteEndpoints(rt, mustCompile(t, Config{}), NewObjectGatewayCluster([]*gatewayv1.Gateway{gw}, nil))
		checkValid(t, eps, problems)
		published := map[string]bool{}
		for _, ep := range eps {
			published[ep.DNSName] = true
		}
		for _, p := range problems {
			if !errors.Is(p.Err, ErrNoTargets) {
				continue
			}
			if published[p.DNSName] {
				t.Errorf("%s waits (%v) and is published: %v", p.DNSName, p.Err, eps)
			}
			if acceptance == metav1.ConditionFalse {
				t.Errorf("Accepted=False, yet %s waits: %v", p.DNSName, p.Err)
			}
		}
		if acceptance == metav1.ConditionFalse && len(eps) > 0 {
			t.Errorf("Accepted=False, yet records %v", eps)
		}
		if acceptance != metav1.ConditionTrue && len(eps) > 0 {
			t.Errorf("acceptance %q, yet records %v", acceptance, eps)
		}
		for _, ep := range eps {
			if want := (endpoint.ObjectRef{Kind: "httproute", Namespace: "web", Name: "shop"}); ep.Refs[0] != want {
				t.Errorf("endpoint %s: Refs %v, want %v", ep, ep.Refs, want)
			}
		}
	})
}
