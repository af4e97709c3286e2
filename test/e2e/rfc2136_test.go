package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// TestIngressToBIND9 runs the whole chain on real components: an Ingress in the real
// API server, the daemon, the RFC2136 provider, and BIND9, checked by asking BIND9 what
// it answers. A record of another owner in the zone stays as it was.
func TestIngressToBIND9(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{
		Zones: []string{zone},
		ExtraRecords: map[string][]string{zone: {
			"foreign 300 IN A 198.51.100.7",
			`a-foreign 300 IN TXT "heritage=external-dns,external-dns/owner=other,external-dns/resource=ingress/x/y"`,
		}},
	})
	d := startDaemon(t, c.Kubeconfig, ns, t.TempDir(), rfc2136Flags(t, srv)...)
	d.waitReady(t, convergeTimeout)

	app := "app." + zone
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
	ownership := fmt.Sprintf(`"heritage=external-dns,external-dns/owner=%s,external-dns/resource=ingress/%s/web"`, owner, ns)

	ing := createIngress(t, c.Client, newIngress(ns, "web", []string{app}, nil), "192.0.2.1")
	d.waitFor(t, convergeTimeout, "the A record", answers(app, dns.TypeA, "192.0.2.1"))
	d.waitFor(t, convergeTimeout, "its ownership record", answers("a-app."+zone, dns.TypeTXT, ownership))

	ing = setIngressIPs(t, c.Client, ing, "192.0.2.2", "192.0.2.3")
	d.waitFor(t, convergeTimeout, "the updated A record", answers(app, dns.TypeA, "192.0.2.2", "192.0.2.3"))

	if err := c.Client.NetworkingV1().Ingresses(ns).Delete(t.Context(), ing.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, convergeTimeout, "the record to go", answers(app, dns.TypeA))
	d.waitFor(t, convergeTimeout, "its ownership record to go", answers("a-app."+zone, dns.TypeTXT))
	if err := answers("foreign."+zone, dns.TypeA, "198.51.100.7")(); err != nil {
		t.Errorf("another owner's record changed: %v", err)
	}
}

// lookup asks the server at addr for name's records of type rrtype over TCP and returns
// their data, sorted; a name without such records gives none.
func lookup(addr, name string, rrtype uint16) ([]string, error) {
	m := new(dns.Msg).SetQuestion(dns.Fqdn(name), rrtype)
	answer, _, err := (&dns.Client{Net: "tcp"}).Exchange(m, addr)
	if err != nil {
		return nil, err
	}
	if answer.Rcode != dns.RcodeSuccess && answer.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("%s: server answered %s", name, dns.RcodeToString[answer.Rcode])
	}
	var out []string
	for _, rr := range answer.Answer {
		if rr.Header().Rrtype == rrtype {
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	slices.Sort(out)
	return out, nil
}
