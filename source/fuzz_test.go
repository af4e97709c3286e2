package source

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
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
		eps, problems := ServiceEndpoints(svc, o)
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
			if len(objs.Services)+len(objs.Ingresses)+len(objs.Problems) > 0 {
				t.Fatalf("error %v with objects %+v", err, objs)
			}
			return
		}
		for _, svc := range objs.Services {
			eps, problems := ServiceEndpoints(svc, o)
			checkValid(t, eps, problems)
		}
		for _, ing := range objs.Ingresses {
			eps, problems := IngressEndpoints(ing, o)
			checkValid(t, eps, problems)
		}
	})
}
