package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/internal/child"
)

// TestSwitchFromExternalDNS is the drop-in promise on real components: a zone written
// the way external-dns writes it (its records and its TXT ownership records, owner
// "e2e") for Services and Ingresses of every class in which external-dns's choice of
// records is easy to miss, then `zonekeeper plan --detailed-exitcode` against the real
// API server and BIND9 exits 0: switching plans no change.
//
// Each object's expected records are external-dns's, as the compatibility cases in
// source/testdata/compat say and where they say it comes from. Not parallel: it creates
// Nodes, which are cluster-wide, and deletes them again before the parallel tests run.
func TestSwitchFromExternalDNS(t *testing.T) {
	c := suite.cluster
	ns := c.Namespace(t)
	client := c.Client
	ctx := t.Context()
	ann := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m["external-dns.kubernetes.io/"+kv[i]] = kv[i+1]
		}
		return m
	}
	ports := []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
	lbService := func(name string, annotations map[string]string, status ...corev1.LoadBalancerIngress) *corev1.Service {
		t.Helper()
		svc, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create service %s: %v", name, err)
		}
		svc.Status.LoadBalancer.Ingress = status
		if svc, err = client.CoreV1().Services(ns).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update status of service %s: %v", name, err)
		}
		return svc
	}
	ip := func(ips ...string) []corev1.LoadBalancerIngress {
		var out []corev1.LoadBalancerIngress
		for _, a := range ips {
			out = append(out, corev1.LoadBalancerIngress{IP: a})
		}
		return out
	}
	var records []string
	// published adds a record external-dns wrote, with its ownership record in the
	// format it writes by default (the record type in front of the first label).
	published := func(name, recordType, resource string, targets ...string) {
		for _, target := range targets {
			records = append(records, fmt.Sprintf("%s 300 IN %s %s", name, recordType, target))
		}
		records = append(records, fmt.Sprintf(`%s-%s 300 IN TXT "heritage=external-dns,external-dns/owner=%s,external-dns/resource=%s"`,
			strings.ToLower(recordType), name, owner, resource))
	}

	// Several objects, one name: across sources the smallest target list on create
	// (the Service), the current holder on update (the Ingress of api).
	lbService("web", ann("hostname", "www."+zone), ip("192.0.2.10")...)
	createIngress(t, client, newIngress(ns, "web", []string{"www." + zone}, nil), "192.0.2.20", "192.0.2.21")
	published("www", "A", "service/"+ns+"/web", "192.0.2.10")
	lbService("api", ann("hostname", "api."+zone), ip("192.0.2.11")...)
	createIngress(t, client, newIngress(ns, "api", []string{"api." + zone}, nil), "192.0.2.22", "192.0.2.23")
	published("api", "A", "ingress/"+ns+"/api", "192.0.2.22", "192.0.2.23")
	// Within one source, same TTL: merged.
	lbService("pool-a", ann("hostname", "pool."+zone), ip("192.0.2.12")...)
	lbService("pool-b", ann("hostname", "pool."+zone), ip("192.0.2.13")...)
	published("pool", "A", "service/"+ns+"/pool-a", "192.0.2.12", "192.0.2.13")

	// A load balancer with an IP and two host names: the A record only.
	lbService("lb", ann("hostname", "lb."+zone),
		corev1.LoadBalancerIngress{IP: "192.0.2.30"}, corev1.LoadBalancerIngress{Hostname: "a.elb.example.net"},
		corev1.LoadBalancerIngress{Hostname: "b.elb.example.net"})
	published("lb", "A", "service/"+ns+"/lb", "192.0.2.30")

	// An empty controller annotation: skipped.
	lbService("skipped", ann("hostname", "skipped."+zone, "controller", ""), ip("192.0.2.40")...)

	// Smaller classes: a TTL with spaces is ignored, alias: A sets no alias.
	lbService("ttl", ann("hostname", "ttl."+zone, "ttl", " 60"), ip("192.0.2.60")...)
	published("ttl", "A", "service/"+ns+"/ttl", "192.0.2.60")
	lbService("alias", ann("hostname", "alias."+zone, "alias", "A"), ip("192.0.2.70")...)
	published("alias", "A", "service/"+ns+"/alias", "192.0.2.70")

	// internal-hostname: the ClusterIP of a LoadBalancer Service, the target
	// annotation, a headless Service's endpoints.
	dual := lbService("internal", ann("internal-hostname", "internal."+zone), ip("192.0.2.80")...)
	published("internal", "A", "service/"+ns+"/internal", dual.Spec.ClusterIP)
	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "targeted", Annotations: ann("internal-hostname", "targeted."+zone, "target", "203.0.113.7")},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: ports},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	published("targeted", "A", "service/"+ns+"/targeted", "203.0.113.7")
	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db", Annotations: ann("internal-hostname", "db."+zone)},
		Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: ports},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createSlice(t, ns, "db", readyEndpoint("10.0.0.5", nil), readyEndpoint("10.0.0.6", nil))
	published("db", "A", "service/"+ns+"/db", "10.0.0.5", "10.0.0.6")

	// NodePort: a cordoned Node is left out (--exclude-unschedulable, default true);
	// with externalTrafficPolicy Local and no ready Pod, the Node of the running one.
	nodeA := createNode(t, client, ns+"-a", "203.0.113.21", "10.1.0.21")
	nodeB := createNode(t, client, ns+"-b", "203.0.113.22", "10.1.0.22")
	cordoned := createNode(t, client, ns+"-c", "203.0.113.23", "10.1.0.23")
	cordoned.Spec.Unschedulable = true
	if _, err := client.CoreV1().Nodes().Update(ctx, cordoned, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, n := range []string{nodeA.Name, nodeB.Name, cordoned.Name} {
			// Later tests count every Node of the cluster.
			// t.Context() is done by the time cleanups run.
			if err := client.CoreV1().Nodes().Delete(context.Background(), n, metav1.DeleteOptions{}); err != nil {
				t.Errorf("delete node %s: %v", n, err)
			}
		}
	})
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var schedulable []string
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			continue
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeExternalIP {
				schedulable = append(schedulable, a.Address)
			}
		}
	}
	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "np", Annotations: ann("hostname", "np."+zone)},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: ports},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	published("np", "A", "service/"+ns+"/np", schedulable...)
	if _, err := client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "local", Annotations: ann("hostname", "local."+zone)},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: ports,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod, err := client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "local-0"},
		Spec:       corev1.PodSpec{NodeName: nodeB.Name, Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.Phase = corev1.PodRunning
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	notReady := discoveryv1.Endpoint{
		Addresses:  []string{"10.0.1.5"},
		NodeName:   &nodeB.Name,
		Conditions: discoveryv1.EndpointConditions{Ready: new(false), Serving: new(false)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod.Name},
	}
	createSlice(t, ns, "local", notReady)
	published("local", "A", "service/"+ns+"/local", "203.0.113.22")

	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{
		Zones:        []string{zone},
		ExtraRecords: map[string][]string{zone: records},
	})
	cmd := exec.Command(suite.binary, append([]string{"plan", "--detailed-exitcode",
		"--source=service", "--source=ingress", "--txt-owner-id=" + owner,
		"--kubeconfig=" + c.Kubeconfig, "--namespace=" + ns}, rfc2136Flags(t, srv)...)...)
	cmd.Env = child.CleanEnv(os.Environ())
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("plan exit %d, want 0 (no changes) on a zone external-dns wrote:\n%s\nzone:\n%s",
			exit.ExitCode(), out, strings.Join(records, "\n"))
	case err != nil:
		t.Fatal(err)
	}
	if !slices.ContainsFunc(strings.Split(string(out), "\n"), func(l string) bool { return strings.Contains(l, "conflicts with service/"+ns+"/web") }) {
		t.Errorf("plan output does not name the Service that keeps www:\n%s", out)
	}
}

// createSlice creates an EndpointSlice of Service service, as the endpoint slice
// controller that the test cluster lacks would.
func createSlice(t testing.TB, namespace, service string, endpoints ...discoveryv1.Endpoint) {
	t.Helper()
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: service + "-1",
			Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   endpoints,
	}
	if _, err := suite.cluster.Client.DiscoveryV1().EndpointSlices(namespace).Create(t.Context(), slice, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create endpointslice of %s/%s: %v", namespace, service, err)
	}
}
