package e2e

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestServiceLifecycle follows a LoadBalancer, a headless and a NodePort Service from
// creation to deletion, one after the other under one daemon, writing by hand what
// the missing controllers would: load balancer status, EndpointSlices, Pods, Nodes.
// After each step the zone must hold exactly the Service's records and the untouched
// records of others.
func TestServiceLifecycle(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	dir := t.TempDir()
	seeds := seedZone(t, dir)
	d := startDaemon(t, c.Kubeconfig, ns, dir)
	d.waitReady(t, convergeTimeout)

	step := func(t *testing.T, name string, want ...[]string) {
		t.Helper()
		d.waitStep(t, name, seeds, want...)
	}
	ports := []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}

	t.Run("LoadBalancer", func(t *testing.T) {
		const lb, lb2 = "lb." + zone, "lb2." + zone
		res := "service/" + ns + "/lb"
		svc := createService(t, c.Client, ns, "lb", lb, corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports})
		svc = setServiceIPs(t, c.Client, svc, "192.0.2.10")
		step(t, "created", owned(res, lb, "192.0.2.10"))

		svc = setServiceIPs(t, c.Client, svc, "192.0.2.11", "192.0.2.12")
		step(t, "status IPs changed", owned(res, lb, "192.0.2.11", "192.0.2.12"))

		svc = annotateService(t, c.Client, svc, hostnameAnnotation, lb+","+lb2)
		step(t, "hostname added", owned(res, lb, "192.0.2.11", "192.0.2.12"), owned(res, lb2, "192.0.2.11", "192.0.2.12"))

		deleteService(t, c.Client, svc)
		step(t, "deleted")
	})

	t.Run("headless", func(t *testing.T) {
		const hl, hl2 = "headless." + zone, "headless2." + zone
		res := "service/" + ns + "/db"
		// A Pod with spec.hostname gets its own name below the Service's.
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-0"},
			Spec: corev1.PodSpec{
				Hostname:   "db-0",
				Containers: []corev1.Container{{Name: "db", Image: "registry.example/db:1"}},
			},
		}
		if _, err := c.Client.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		svc := createService(t, c.Client, ns, "db", hl, corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: ports})
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: ns, Name: "db-abcde",
				Labels: map[string]string{discoveryv1.LabelServiceName: "db"},
			},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{
				readyEndpoint("10.0.0.1", &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "db-0"}),
				readyEndpoint("10.0.0.2", nil),
				{Addresses: []string{"10.0.0.9"}, Conditions: discoveryv1.EndpointConditions{Ready: new(false)}},
			},
		}
		slice, err := c.Client.DiscoveryV1().EndpointSlices(ns).Create(t.Context(), slice, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		step(t, "created", owned(res, hl, "10.0.0.1", "10.0.0.2"), owned(res, "db-0."+hl, "10.0.0.1"))

		slice.Endpoints[1].Addresses = []string{"10.0.0.3"}
		slice.Endpoints[2].Conditions.Ready = new(true)
		if _, err := c.Client.DiscoveryV1().EndpointSlices(ns).Update(t.Context(), slice, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		step(t, "endpoints changed", owned(res, hl, "10.0.0.1", "10.0.0.3", "10.0.0.9"), owned(res, "db-0."+hl, "10.0.0.1"))

		svc = annotateService(t, c.Client, svc, hostnameAnnotation, hl+","+hl2)
		step(t, "hostname added",
			owned(res, hl, "10.0.0.1", "10.0.0.3", "10.0.0.9"), owned(res, "db-0."+hl, "10.0.0.1"),
			owned(res, hl2, "10.0.0.1", "10.0.0.3", "10.0.0.9"), owned(res, "db-0."+hl2, "10.0.0.1"))

		deleteService(t, c.Client, svc)
		step(t, "deleted")
	})

	t.Run("NodePort", func(t *testing.T) {
		const np, np2 = "np." + zone, "np2." + zone
		res := "service/" + ns + "/np"
		// Nodes are cluster-wide: name them after the namespace so tests cannot collide.
		nodeA := createNode(t, c.Client, ns+"-a", "203.0.113.1", "10.1.0.1")
		createNode(t, c.Client, ns+"-b", "203.0.113.2", "10.1.0.2")
		svc := createService(t, c.Client, ns, "np", np, corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: ports})
		step(t, "created", owned(res, np, "203.0.113.1", "203.0.113.2"))

		nodeA.Status.Addresses[0].Address = "203.0.113.3"
		if _, err := c.Client.CoreV1().Nodes().UpdateStatus(t.Context(), nodeA, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		step(t, "node address changed", owned(res, np, "203.0.113.2", "203.0.113.3"))

		svc = annotateService(t, c.Client, svc, hostnameAnnotation, np+","+np2)
		step(t, "hostname added", owned(res, np, "203.0.113.2", "203.0.113.3"), owned(res, np2, "203.0.113.2", "203.0.113.3"))

		deleteService(t, c.Client, svc)
		step(t, "deleted")
	})
	d.waitReady(t, convergeTimeout)
}

// createService creates a Service with spec and the hostname annotation hostname.
func createService(t testing.TB, client kubernetes.Interface, namespace, name, hostname string, spec corev1.ServiceSpec) *corev1.Service {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: map[string]string{hostnameAnnotation: hostname}},
		Spec:       spec,
	}
	created, err := client.CoreV1().Services(namespace).Create(t.Context(), svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create service %s/%s: %v", namespace, name, err)
	}
	return created
}

// setServiceIPs replaces svc's status load balancer addresses with ips.
func setServiceIPs(t testing.TB, client kubernetes.Interface, svc *corev1.Service, ips ...string) *corev1.Service {
	t.Helper()
	svc = svc.DeepCopy()
	svc.Status.LoadBalancer.Ingress = nil
	for _, ip := range ips {
		svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	updated, err := client.CoreV1().Services(svc.Namespace).UpdateStatus(t.Context(), svc, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status of service %s/%s: %v", svc.Namespace, svc.Name, err)
	}
	return updated
}

func readyEndpoint(ip string, target *corev1.ObjectReference) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)}, TargetRef: target}
}

// createNode creates a Node with an ExternalIP and an InternalIP address, as a kubelet
// would report them, and returns it as stored.
func createNode(t testing.TB, client kubernetes.Interface, name, externalIP, internalIP string) *corev1.Node {
	t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	created, err := client.CoreV1().Nodes().Create(t.Context(), node, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	created.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeExternalIP, Address: externalIP},
		{Type: corev1.NodeInternalIP, Address: internalIP},
	}
	updated, err := client.CoreV1().Nodes().UpdateStatus(t.Context(), created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update status of node %s: %v", name, err)
	}
	return updated
}
