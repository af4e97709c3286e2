package source

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FuzzAnnotations feeds arbitrary annotation names and values, targets and hosts
// through both conversions: they must not panic, and whatever they return must be
// valid records, none of them from an object with an error.
func FuzzAnnotations(f *testing.F) {
	f.Add("hostname", "web.example.com", "target", "192.0.2.1", uint8(0), "lb.example.net", "a.example.com")
	f.Add("hostname", "a.example.com,b.example.com.", "ttl", "1.5s", uint8(5), "2001:db8::1", "")
	f.Add("internal-hostname", "Bücher.example.com", "alias", "AAAA", uint8(10), "", "*.example.com")
	f.Add("hostname", "x..example.com", "target", "a.example.net,b.example.net", uint8(255), "192.0.2.1", "-bad")
	f.Add("hostname", "web.example.com", "controller", "other", uint8(3), "", "")
	f.Add("hostname", "web.example.com", "ingress-hostname-source", "annotation-only", uint8(17), "fe80::1%eth0", "h.example.com")
	f.Add("aws-weight", "10", "set-identifier", "id", uint8(42), "::ffff:192.0.2.1", "LB.EXAMPLE.NET.")
	f.Add("hostname", "web.example.com", "target", "\x00", uint8(7), "256.1.1.1", "xn--.example.com")
	prefixes := []string{AnnotationPrefix, AlphaAnnotationPrefix, "fuzz.example.org/", ""}
	types := []corev1.ServiceType{
		corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName, corev1.ServiceTypeNodePort,
	}
	f.Fuzz(func(t *testing.T, name1, value1, name2, value2 string, shape uint8, address, host string) {
		o := mustCompile(t, Config{
			AnnotationPrefixes:      []string{"fuzz.example.org"},
			FQDNTemplate:            "{{.Name}}.example.com",
			PublishInternalServices: shape&0x40 != 0,
			CombineFQDNAnnotation:   shape&0x80 != 0,
		})
		annotations := map[string]string{
			prefixes[shape&3] + name1:    value1,
			prefixes[shape>>2&3] + name2: value2,
		}
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "fuzz", Namespace: "default", Annotations: annotations},
			Spec: corev1.ServiceSpec{
				Type:         types[shape>>4&3],
				ClusterIP:    address,
				ExternalName: host,
			},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{
				Ingress: []corev1.LoadBalancerIngress{{IP: address, Hostname: host}},
			}},
		}
		eps, problems := ServiceEndpoints(svc, o, nil)
		checkValid(t, eps, problems)

		ing := lbIngress(annotations, host, value1)
		ing.Status.LoadBalancer.Ingress[0].Hostname = address
		eps, problems = IngressEndpoints(ing, o)
		checkValid(t, eps, problems)
	})
}

// FuzzManifest feeds arbitrary bytes through the manifest decoder and the conversions
// of whatever it decodes: nothing may panic, and every record must be valid.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(webService + "---\n" + siteIngress + "---\n" + deployment))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n" + indentItem(webService)))
	f.Add([]byte("apiVersion: v1\nkind: ServiceList\nitems:\n- metadata: {name: a}\n- null\n- apiVersion: v1\n  kind: List\n  items: []\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"j"}} {"kind":"List","apiVersion":"v1","items":[{}]}`))
	f.Add([]byte(headlessManifest + "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s, labels: {kubernetes.io/service-name: db}}\naddressType: IPv6\nendpoints: [{addresses: ['::1'], targetRef: {kind: Pod, name: p}}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostname: p}\n"))
	f.Add([]byte("apiVersion: example.com/v1\nkind: Widget\n"))
	f.Add([]byte("apiVersion: a/b/c\nkind: X\n"))
	f.Add([]byte("kind: [unclosed\n"))
	f.Add([]byte("--- !x\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("\xff\xfe"))
	f.Add([]byte(""))
	o := mustCompile(f, Config{FQDNTemplate: "{{.Name}}.{{.Namespace}}.example.com"})
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := DecodeManifest("fuzz.yaml", data)
		if err != nil {
			if len(objs.Services)+len(objs.Ingresses)+len(objs.EndpointSlices)+len(objs.Pods)+len(objs.Nodes)+len(objs.Problems) > 0 {
				t.Fatalf("error %v with objects %+v", err, objs)
			}
			return
		}
		cluster := NewObjectCluster(objs.EndpointSlices, objs.Pods, objs.Nodes)
		for _, svc := range objs.Services {
			eps, problems := ServiceEndpoints(svc, o, cluster)
			checkValid(t, eps, problems)
		}
		for _, ing := range objs.Ingresses {
			eps, problems := IngressEndpoints(ing, o)
			checkValid(t, eps, problems)
		}
	})
}

// FuzzClusterServices feeds arbitrary access and endpoints-type values, addresses, pod
// hostnames and ports through headless and NodePort conversions: nothing may panic, and
// every record must be valid.
func FuzzClusterServices(f *testing.F) {
	f.Add("NodeExternalIP", "public", "10.0.0.1", "203.0.113.1", "web-0", int32(30080), "TCP", uint8(0))
	f.Add("HostIP", "private", "fd00::1", "2001:db8::1", "", int32(0), "", uint8(1))
	f.Add("", "", "not-an-ip", "fe80::1%eth0", "-bad-", int32(70000), "Fancy", uint8(7))
	f.Add("hostip", "Public", "::ffff:10.0.0.1", "", "a.b", int32(-1), "udp", uint8(2))
	o := mustCompile(f, Config{ManagedTypes: []string{"A", "AAAA", "SRV"}})
	f.Fuzz(func(t *testing.T, endpointsType, access, address, nodeAddress, podHostname string, nodePort int32, protocol string, shape uint8) {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "prod", Annotations: map[string]string{
				AnnotationPrefix + "hostname":       "svc.example.com,*.w.example.com",
				AnnotationPrefix + "endpoints-type": endpointsType,
				AnnotationPrefix + "access":         access,
			}},
			Spec: corev1.ServiceSpec{
				Type:                     corev1.ServiceTypeNodePort,
				PublishNotReadyAddresses: shape&2 != 0,
				Ports:                    []corev1.ServicePort{{Protocol: corev1.Protocol(protocol), NodePort: nodePort}},
			},
		}
		if shape&1 != 0 {
			svc.Spec.Type, svc.Spec.ClusterIP = corev1.ServiceTypeClusterIP, corev1.ClusterIPNone
		}
		if shape&4 != 0 {
			svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}
		p := pod("p", podHostname, nodeAddress)
		p.Status.HostIP = address
		n := node("n", extIP(nodeAddress), intIP(address))
		c := NewObjectCluster([]*discoveryv1.EndpointSlice{
			slice(discoveryv1.AddressTypeIPv4, ep(address, "p", "n", nil)),
			slice(discoveryv1.AddressTypeIPv6, ep(nodeAddress, "p", "n", no)),
		}, []*corev1.Pod{p}, []*corev1.Node{n})
		eps, problems := ServiceEndpoints(svc, o, c)
		checkValid(t, eps, problems)
	})
}
