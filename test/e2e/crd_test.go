package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
	"github.com/zonekeeper/zonekeeper/test/helm"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

var (
	crdGVR         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	dnsEndpointGVR = schema.GroupVersionResource{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"}
)

// installDNSEndpointCRD creates the chart's DNSEndpoint CRD (as helm install would,
// from its crds/), unless the cluster has it, and waits until it is served.
func installDNSEndpointCRD(t *testing.T, c *kubeapi.Cluster, dyn dynamic.Interface) {
	t.Helper()
	var crd *unstructured.Unstructured
	for _, o := range helm.Template(t, "crd", "default", "--include-crds") {
		if o.GetKind() == "CustomResourceDefinition" && o.GetName() == "dnsendpoints.externaldns.k8s.io" {
			crd = o
		}
	}
	if crd == nil {
		t.Fatal("the chart has no DNSEndpoint CRD")
	}
	if _, err := dyn.Resource(crdGVR).Create(t.Context(), crd, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	d := &daemon{exited: make(chan struct{})} // only for its polling helper
	if err := d.poll(convergeTimeout, "the DNSEndpoint CRD to be served", func() error {
		_, err := dyn.Resource(dnsEndpointGVR).List(t.Context(), metav1.ListOptions{Limit: 1})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// dnsEndpointObject is a DNSEndpoint in ns with the given spec.endpoints.
func dnsEndpointObject(ns, name string, endpoints ...map[string]any) *unstructured.Unstructured {
	items := make([]any, len(endpoints))
	for i, e := range endpoints {
		items[i] = e
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "externaldns.k8s.io/v1alpha1", "kind": "DNSEndpoint",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"endpoints": items},
	}}
}

func entry(name, recordType string, targets ...string) map[string]any {
	ts := make([]any, len(targets))
	for i, t := range targets {
		ts[i] = t
	}
	return map[string]any{"dnsName": name, "recordType": recordType, "targets": ts}
}

// TestDNSEndpointToBIND9 runs a DNSEndpoint through the whole chain on real
// components: the chart's CRD and RBAC in the real API server, the daemon running as
// the chart's ServiceAccount with --source=crd, the RFC2136 provider and BIND9, asked
// what it answers. Its A, MX and TXT records appear, follow an edit and go with the
// object; status.observedGeneration follows metadata.generation once the records of a
// generation are in the zone.
func TestDNSEndpointToBIND9(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	installDNSEndpointCRD(t, c, dyn)
	ns := c.Namespace(t)
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{zone}})
	objs := installChart(t, c, ns, "sources={service,ingress,crd}")
	d := startAsChart(t, c, ns, objs, false, t.TempDir(),
		append(rfc2136Flags(t, srv), "--source=crd", "--managed-record-types=A,AAAA,CNAME,MX,TXT")...)
	d.waitReady(t, convergeTimeout)

	answers := func(name string, rrtype uint16, want ...string) func() error {
		return func() error {
			got, err := lookup(srv.Addr, name, rrtype)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s %s answers %q, want %q", name, dns.TypeToString[rrtype], got, want)
			}
			return nil
		}
	}
	api := dyn.Resource(dnsEndpointGVR).Namespace(ns)
	observed := func(generation int64) func() error {
		return func() error {
			u, err := api.Get(t.Context(), "mail", metav1.GetOptions{})
			if err != nil {
				return err
			}
			got, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
			if u.GetGeneration() != generation || got != generation {
				return fmt.Errorf("generation %d, status.observedGeneration %d; want both %d", u.GetGeneration(), got, generation)
			}
			return nil
		}
	}

	domain := ns + "." + zone
	web, mx := "web."+domain, "mail."+domain
	_, err = api.Create(t.Context(), dnsEndpointObject(ns, "mail",
		entry(web, "A", "192.0.2.1"),
		// BIND9 refuses an MX whose in-zone exchange has no address.
		entry(mx, "A", "192.0.2.25"),
		entry(domain, "MX", "10 "+mx),
		entry(domain, "TXT", "v=spf1 mx -all"),
	), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the A record", answers(web, dns.TypeA, "192.0.2.1"))
	d.waitFor(t, convergeTimeout, "the MX record", answers(domain, dns.TypeMX, "10 "+mx+"."))
	d.waitFor(t, convergeTimeout, "the TXT record", answers(domain, dns.TypeTXT, `"v=spf1 mx -all"`))
	d.waitFor(t, convergeTimeout, "the MX record's ownership record", answers("mx-"+domain, dns.TypeTXT,
		fmt.Sprintf(`"heritage=external-dns,external-dns/owner=%s,external-dns/resource=crd/%s/mail"`, owner, ns)))
	d.waitFor(t, convergeTimeout, "status.observedGeneration 1", observed(1))

	// A merge patch, as kubectl edit would: the daemon has written the status since.
	edited := dnsEndpointObject(ns, "mail",
		entry(web, "A", "192.0.2.2", "192.0.2.3"),
		entry(mx, "A", "192.0.2.25"),
		entry(domain, "MX", "10 "+mx, "20 mx.example.net."),
		entry(domain, "TXT", "v=spf1 -all"),
	)
	patch, err := json.Marshal(map[string]any{"spec": edited.Object["spec"]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Patch(t.Context(), "mail", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the edited A record", answers(web, dns.TypeA, "192.0.2.2", "192.0.2.3"))
	d.waitFor(t, convergeTimeout, "the edited MX record", answers(domain, dns.TypeMX, "10 "+mx+".", "20 mx.example.net."))
	d.waitFor(t, convergeTimeout, "the edited TXT record", answers(domain, dns.TypeTXT, `"v=spf1 -all"`))
	d.waitFor(t, convergeTimeout, "status.observedGeneration 2", observed(2))

	if err := api.Delete(t.Context(), "mail", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the A record to go", answers(web, dns.TypeA))
	d.waitFor(t, convergeTimeout, "the MX record to go", answers(domain, dns.TypeMX))
	d.waitFor(t, convergeTimeout, "the TXT record to go", answers(domain, dns.TypeTXT))
	if l := d.log.String(); strings.Contains(l, "forbidden") || strings.Contains(l, "acknowledging") {
		t.Errorf("the daemon was refused something, or failed to acknowledge, with the chart's RBAC:\n%s", d.log.tail(50))
	}
}
