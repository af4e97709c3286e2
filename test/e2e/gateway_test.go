package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	"sigs.k8s.io/yaml"

	"github.com/zonekeeper/zonekeeper/test/bench"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/parallel"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// gatewayCRDs are the Gateway API CRDs the tests install, by release channel: the
// standard ones of Gateways and HTTP and gRPC routes, the experimental ones of the TLS,
// TCP and UDP routes (which also serve their alpha versions).
var gatewayCRDs = map[string][]string{
	"standard":     {"gateways", "httproutes", "grpcroutes"},
	"experimental": {"tlsroutes", "tcproutes", "udproutes"},
}

// installGatewayCRDs creates the Gateway API CRDs from the manifests of the
// sigs.k8s.io/gateway-api module zonekeeper builds with, unless the cluster has them,
// and waits until each is served; it returns an admin client of them.
func installGatewayCRDs(t testing.TB, c *kubeapi.Cluster) gatewayclient.Interface {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatalf("locating the sigs.k8s.io/gateway-api module: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "config", "crd")
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	for channel, resources := range gatewayCRDs {
		for _, r := range resources {
			path := filepath.Join(dir, channel, "gateway.networking.k8s.io_"+r+".yaml")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(data, &u.Object); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if u.GetKind() != "CustomResourceDefinition" {
				t.Fatalf("%s holds a %s, not a CustomResourceDefinition", path, u.GetKind())
			}
			if _, err := dyn.Resource(crdGVR).Create(t.Context(), u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("creating %s: %v", path, err)
			}
		}
	}
	// Unthrottled, as kubeapi.FastClient, for the benchmarks that load many routes.
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst = 5000, 10000
	cfg.WarningHandler = rest.NoWarnings{}
	gw, err := gatewayclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{exited: make(chan struct{})} // only for its polling helper
	if err := d.poll(convergeTimeout, "the Gateway API CRDs to be served", func() error {
		v1 := gw.GatewayV1()
		for _, list := range []func() error{
			func() error { _, err := v1.Gateways("").List(t.Context(), metav1.ListOptions{Limit: 1}); return err },
			func() error { _, err := v1.HTTPRoutes("").List(t.Context(), metav1.ListOptions{Limit: 1}); return err },
			func() error { _, err := v1.GRPCRoutes("").List(t.Context(), metav1.ListOptions{Limit: 1}); return err },
			func() error { _, err := v1.TLSRoutes("").List(t.Context(), metav1.ListOptions{Limit: 1}); return err },
			func() error { _, err := v1.TCPRoutes("").List(t.Context(), metav1.ListOptions{Limit: 1}); return err },
			func() error { _, err := v1.UDPRoutes("").List(t.Context(), metav1.ListOptions{Limit: 1}); return err },
		} {
			if err := list(); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return gw
}

// testGateway is Gateway ns/name with an HTTP listener and a TLS passthrough listener for
// every host under domain, admitting routes of its namespace.
func testGateway(ns, name, domain string) *gatewayv1.Gateway {
	wildcard := gatewayv1.Hostname("*." + domain)
	return &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gatewayv1.GatewaySpec{
			GatewayClassName: "example",
			Listeners: []gatewayv1.Listener{
				{Name: "http", Protocol: gatewayv1.HTTPProtocolType, Port: 80, Hostname: &wildcard},
				{Name: "tls", Protocol: gatewayv1.TLSProtocolType, Port: 443, Hostname: &wildcard,
					TLS: &gatewayv1.ListenerTLSConfig{Mode: new(gatewayv1.TLSModePassthrough)}},
			},
		},
	}
}

// setGatewayAddresses writes gw's status.addresses through the status subresource, as
// a gateway controller does.
func setGatewayAddresses(t testing.TB, client gatewayclient.Interface, ns, name string, ips ...string) {
	t.Helper()
	gw, err := client.GatewayV1().Gateways(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gw.Status.Addresses = nil
	for _, ip := range ips {
		gw.Status.Addresses = append(gw.Status.Addresses, gatewayv1.GatewayStatusAddress{Type: new(gatewayv1.IPAddressType), Value: ip})
	}
	if _, err := client.GatewayV1().Gateways(ns).UpdateStatus(t.Context(), gw, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// acceptedBy is the route status a gateway controller writes on accepting a route
// through parent.
func acceptedBy(parent gatewayv1.ParentReference) gatewayv1.RouteStatus {
	return gatewayv1.RouteStatus{Parents: []gatewayv1.RouteParentStatus{{
		ParentRef: parent, ControllerName: "example.net/gateway-controller",
		Conditions: []metav1.Condition{{
			Type: string(gatewayv1.RouteConditionAccepted), Status: metav1.ConditionTrue,
			Reason: string(gatewayv1.RouteReasonAccepted), Message: "accepted", LastTransitionTime: metav1.Now(),
		}},
	}}}
}

func parentRef(name, section string) gatewayv1.ParentReference {
	s := gatewayv1.SectionName(section)
	return gatewayv1.ParentReference{Name: gatewayv1.ObjectName(name), SectionName: &s}
}

func hostnames(hs ...string) []gatewayv1.Hostname {
	out := make([]gatewayv1.Hostname, len(hs))
	for i, h := range hs {
		out[i] = gatewayv1.Hostname(h)
	}
	return out
}

// createHTTPRoute creates HTTPRoute ns/name for host through parent and, as the
// gateway controller would, then marks it accepted.
func createHTTPRoute(t testing.TB, client gatewayclient.Interface, ns, name string, parent gatewayv1.ParentReference, host string) {
	t.Helper()
	if err := tryCreateHTTPRoute(t.Context(), client, ns, name, parent, host); err != nil {
		t.Fatal(err)
	}
}

// tryCreateHTTPRoute is createHTTPRoute returning its error, for other goroutines.
func tryCreateHTTPRoute(ctx context.Context, client gatewayclient.Interface, ns, name string, parent gatewayv1.ParentReference, host string) error {
	api := client.GatewayV1().HTTPRoutes(ns)
	rt, err := api.Create(ctx, &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{parent}},
			Hostnames:       hostnames(host),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	rt.Status.RouteStatus = acceptedBy(parent)
	_, err = api.UpdateStatus(ctx, rt, metav1.UpdateOptions{})
	return err
}

// TestGatewayRoutesToBIND9 runs Gateway API routes through the whole chain on real
// components: the Gateway API CRDs of the module's own manifests and the chart's RBAC
// in the real API server, the daemon running as the chart's ServiceAccount with the
// HTTP, gRPC and TLS route sources, the RFC2136 provider and BIND9, asked what it
// answers. The routes' names appear with the Gateway's address once it has one and the
// routes are accepted, a cross-namespace route's once its namespace has the labels its
// listener selects; they follow a hostname edit and an address change, go with a route
// its Gateway says it no longer accepts and with a deleted route, and stay when the
// Gateway's status.addresses empties. Events regard the
// HTTPRoute.
func TestGatewayRoutesToBIND9(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	gw := installGatewayCRDs(t, c)
	ns := c.Namespace(t)
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{zone}})
	objs := installChart(t, c, ns, "sources={service,ingress,gateway-httproute,gateway-grpcroute,gateway-tlsroute}")
	d := startAsChart(t, c, ns, objs, false, t.TempDir(),
		append(rfc2136Flags(t, srv), "--source=gateway-httproute", "--source=gateway-grpcroute", "--source=gateway-tlsroute",
			"--events-emit=RecordReady")...)
	d.waitReady(t, convergeTimeout)

	answers := func(name string, want ...string) func() error {
		return func() error {
			got, err := lookup(srv.Addr, name, dns.TypeA)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s A answers %q, want %q", name, got, want)
			}
			return nil
		}
	}
	domain := ns + "." + zone
	v1 := gw.GatewayV1()
	if _, err := v1.Gateways(ns).Create(t.Context(), testGateway(ns, "gw", domain), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setGatewayAddresses(t, gw, ns, "gw", "192.0.2.10")

	web, api, tls := "web."+domain, "api."+domain, "tls."+domain
	createHTTPRoute(t, gw, ns, "web", parentRef("gw", "http"), web)
	grpc, err := v1.GRPCRoutes(ns).Create(t.Context(), &gatewayv1.GRPCRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"},
		Spec: gatewayv1.GRPCRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{parentRef("gw", "http")}},
			Hostnames:       hostnames(api),
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	grpc.Status.RouteStatus = acceptedBy(parentRef("gw", "http"))
	if _, err := v1.GRPCRoutes(ns).UpdateStatus(t.Context(), grpc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	tlsRoute, err := v1.TLSRoutes(ns).Create(t.Context(), &gatewayv1.TLSRoute{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tls"},
		Spec: gatewayv1.TLSRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{parentRef("gw", "tls")}},
			Hostnames:       hostnames(tls),
			Rules:           []gatewayv1.TLSRouteRule{{BackendRefs: []gatewayv1.BackendRef{{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "backend", Port: new(gatewayv1.PortNumber(443))}}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tlsRoute.Status.RouteStatus = acceptedBy(parentRef("gw", "tls"))
	if _, err := v1.TLSRoutes(ns).UpdateStatus(t.Context(), tlsRoute, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the HTTPRoute's record", answers(web, "192.0.2.10"))
	d.waitFor(t, convergeTimeout, "the GRPCRoute's record", answers(api, "192.0.2.10"))
	d.waitFor(t, convergeTimeout, "the TLSRoute's record", answers(tls, "192.0.2.10"))
	d.waitFor(t, convergeTimeout, "the HTTPRoute's ownership record", func() error {
		got, err := lookup(srv.Addr, "a-"+web, dns.TypeTXT)
		if err != nil {
			return err
		}
		if want := fmt.Sprintf(`"heritage=external-dns,external-dns/owner=%s,external-dns/resource=httproute/%s/web"`, owner, ns); !slices.Equal(got, []string{want}) {
			return fmt.Errorf("a-%s TXT answers %q, want %q", web, got, want)
		}
		return nil
	})
	d.waitFor(t, convergeTimeout, "a RecordReady Event on the HTTPRoute", func() error {
		list, err := c.Client.EventsV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: "regarding.name=web"})
		if err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Reason == "RecordReady" && e.Regarding.Kind == "HTTPRoute" && e.Regarding.APIVersion == "gateway.networking.k8s.io/v1" && e.Regarding.UID != "" {
				return nil
			}
		}
		return fmt.Errorf("no RecordReady Event regarding HTTPRoute %s/web with its UID among %d", ns, len(list.Items))
	})

	// A shared Gateway in another namespace whose listener admits routes from the
	// namespaces labelled for it: the route's name appears once its namespace carries
	// the label, which the daemon reads through the Namespaces informer that Gateway
	// starts.
	infra := c.Namespace(t)
	shared := testGateway(infra, "shared", domain)
	shared.Spec.Listeners[0].AllowedRoutes = &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{
		From:     new(gatewayv1.NamespacesFromSelector),
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"e2e.zonekeeper.io/gateway": infra}},
	}}
	if _, err := v1.Gateways(infra).Create(t.Context(), shared, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setGatewayAddresses(t, gw, infra, "shared", "192.0.2.20")
	sharedParent := parentRef("shared", "http")
	sharedParent.Namespace = new(gatewayv1.Namespace(infra))
	sharedName := "shared." + domain
	createHTTPRoute(t, gw, ns, "shared", sharedParent, sharedName)
	// Reading every namespace, the daemon may start other informers first, for other
	// tests' objects (EndpointSlices for their Services).
	d.waitFor(t, convergeTimeout, "the Namespaces informer to start", func() error {
		for _, e := range d.log.entries("kube source: started informer, an object read needs it") {
			if e["resource"] == "namespaces" {
				return nil
			}
		}
		return errors.New("no Namespaces informer started yet")
	})
	if err := answers(sharedName)(); err != nil {
		t.Fatalf("before its namespace has the label the listener selects: %v", err)
	}
	routeNS, err := c.Client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if routeNS.Labels == nil {
		routeNS.Labels = map[string]string{}
	}
	routeNS.Labels["e2e.zonekeeper.io/gateway"] = infra
	if _, err := c.Client.CoreV1().Namespaces().Update(t.Context(), routeNS, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the cross-namespace route's record", answers(sharedName, "192.0.2.20"))

	// A hostname edit, as kubectl edit would: the status stays.
	rt, err := v1.HTTPRoutes(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	web2 := "www." + domain
	rt.Spec.Hostnames = hostnames(web2)
	if _, err := v1.HTTPRoutes(ns).Update(t.Context(), rt, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the edited hostname's record", answers(web2, "192.0.2.10"))
	d.waitFor(t, convergeTimeout, "the old hostname's record to go", answers(web))

	setGatewayAddresses(t, gw, ns, "gw", "192.0.2.11", "192.0.2.12")
	for _, name := range []string{web2, api, tls} {
		d.waitFor(t, convergeTimeout, name+" to follow the Gateway's addresses", answers(name, "192.0.2.11", "192.0.2.12"))
	}

	// The gateway controller withdrawing its acceptance, explicitly: the name goes as
	// if the route were deleted.
	tlsRoute, err = v1.TLSRoutes(ns).Get(t.Context(), "tls", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tlsRoute.Status.Parents[0].Conditions[0].Status = metav1.ConditionFalse
	tlsRoute.Status.Parents[0].Conditions[0].Reason = string(gatewayv1.RouteReasonNotAllowedByListeners)
	if _, err := v1.TLSRoutes(ns).UpdateStatus(t.Context(), tlsRoute, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the TLSRoute's record to go once it is not accepted", answers(tls))

	if err := v1.GRPCRoutes(ns).Delete(t.Context(), "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the deleted GRPCRoute's record to go", answers(api))

	// A gateway controller blanking the status: the names keep their records, and the
	// routes say why they wait.
	setGatewayAddresses(t, gw, ns, "gw")
	d.waitFor(t, convergeTimeout, "the daemon to see the Gateway without addresses", func() error {
		if !strings.Contains(d.log.String(), "has no IPAddress or Hostname in status.addresses") {
			return errors.New("no warning about the Gateway's empty status.addresses in the log yet")
		}
		return nil
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := answers(web2, "192.0.2.11", "192.0.2.12")(); err != nil {
			t.Fatalf("after the Gateway's status.addresses emptied: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if l := d.log.String(); strings.Contains(l, "forbidden") {
		t.Errorf("the daemon was refused something with the chart's RBAC:\n%s", d.log.tail(50))
	}
}

// BenchmarkHTTPRouteEventLatency is BenchmarkEventLatency's two-step case for an
// HTTPRoute under the default flags: create the route, then mark it accepted in its
// status, as a gateway controller would, timed from the create until the zone file holds
// its record, 20 samples per iteration, 1.5 s apart. The parent Gateway has its address
// before the first sample.
func BenchmarkHTTPRouteEventLatency(b *testing.B) {
	const samples = 20
	c := suite.cluster
	gw := installGatewayCRDs(b, c)
	ns := c.Namespace(b)
	if _, err := gw.GatewayV1().Gateways(ns).Create(b.Context(), testGateway(ns, "gw", zone), metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	setGatewayAddresses(b, gw, ns, "gw", "192.0.2.1")
	d := startDaemon(b, c.Kubeconfig, ns, b.TempDir(), "--source=gateway-httproute")
	d.waitReady(b, convergeTimeout)

	var ds []time.Duration
	for i := range samples * b.N {
		host := fmt.Sprintf("route-%d.%s", i, zone)
		ds = append(ds, timeToZone(b, d, a(host, "192.0.2.1"), func() {
			createHTTPRoute(b, gw, ns, fmt.Sprintf("route-%d", i), parentRef("gw", "http"), host)
		}))
	}
	p50, worst := quantiles(ds)
	b.ReportMetric(p50.Seconds(), "p50-s")
	b.ReportMetric(worst.Seconds(), "max-s")
}

// BenchmarkHTTPRouteMemory is BenchmarkMemory for 5,000 accepted HTTPRoutes spread
// over 10 Gateways, each route asking for one A record: the Gateways and routes are
// created first, then the daemon starts reading only HTTPRoutes; once the zone holds
// every record it idles 30 s, and its resident set (rss-MB) and peak resident set
// (peak-rss-MB) are read from /proc.
func BenchmarkHTTPRouteMemory(b *testing.B) {
	const routes, gateways = 5000, 10
	const idle = 30 * time.Second
	c := suite.cluster
	gw := installGatewayCRDs(b, c)
	ns := c.Namespace(b)
	for g := range gateways {
		name := fmt.Sprintf("gw-%d", g)
		if _, err := gw.GatewayV1().Gateways(ns).Create(b.Context(), testGateway(ns, name, zone), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		setGatewayAddresses(b, gw, ns, name, fmt.Sprintf("192.0.2.%d", g+1))
	}
	for range b.N {
		created := time.Now()
		if err := parallel.ForEach(b.Context(), routes, loadWorkers, func(i int) error {
			return tryCreateHTTPRoute(b.Context(), gw, ns, fmt.Sprintf("mem-%d", i), parentRef(fmt.Sprintf("gw-%d", i%gateways), "http"), fmt.Sprintf("route-%d.%s", i, zone))
		}); err != nil {
			b.Fatal(err)
		}
		b.Logf("created %d HTTPRoutes in %v", routes, time.Since(created).Round(time.Second))

		start := time.Now()
		d := startDaemon(b, c.Kubeconfig, ns, b.TempDir(), "--source=gateway-httproute")
		d.waitFor(b, 10*time.Minute, "every record in the zone", func() error {
			got, err := zoneRecords(b.Context(), d.zoneDir)
			if err != nil {
				return err
			}
			if len(got) != 2*routes {
				return fmt.Errorf("zone holds %d records, want %d", len(got), 2*routes)
			}
			return nil
		})
		written := time.Since(start)
		time.Sleep(idle)
		status, err := bench.ProcessStatus(d.pid())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(written.Seconds(), "zone-s")
		b.ReportMetric(float64(status["VmRSS"])/(1<<20), "rss-MB")
		b.ReportMetric(float64(status["VmHWM"])/(1<<20), "peak-rss-MB")
		d.stop(b)
		if err := gw.GatewayV1().HTTPRoutes(ns).DeleteCollection(b.Context(), metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
