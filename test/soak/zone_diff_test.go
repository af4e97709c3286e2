package soak

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func parseRRs(t *testing.T, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("record %q: %v", l, err)
		}
		out = append(out, rr)
	}
	return out
}

func TestZoneDiff(t *testing.T) {
	const (
		soa       = "example.com. 300 IN SOA localhost. admin.localhost. 7 60 60 60 60"
		ns        = "example.com. 300 IN NS localhost."
		seedA     = "manual.example.com.\t300\tIN\tA\t198.51.100.8"
		ownTXT    = `a-app.example.com. 300 IN TXT "heritage=external-dns,external-dns/owner=soak,external-dns/resource=ingress/n/app"`
		appA      = "app.example.com. 300 IN A 10.0.0.1"
		otherTXT  = `a-app.example.com. 300 IN TXT "heritage=external-dns,external-dns/owner=other,external-dns/resource=ingress/n/app"`
		staleA    = "old.example.com. 300 IN A 10.0.0.9"
		staleTXT  = `a-old.example.com. 300 IN TXT "heritage=external-dns,external-dns/owner=soak,external-dns/resource=ingress/n/old"`
		wrongRes  = `a-app.example.com. 300 IN TXT "heritage=external-dns,external-dns/owner=soak,external-dns/resource=ingress/n/else"`
		seedMoved = "manual.example.com. 300 IN A 198.51.100.9"
	)
	app := map[string]wanted{"app.example.com": {ips: []string{"10.0.0.1"}, resource: "ingress/n/app"}}
	tests := []struct {
		name     string
		transfer []string
		want     map[string]wanted
		wantDiff []string // substrings, one per difference, in order
	}{
		{"converged", []string{soa, ns, seedA, appA, ownTXT}, app, nil},
		{"empty zone, nothing wanted", []string{soa, ns, seedA}, nil, nil},
		{"record missing", []string{soa, ns, seedA}, app, []string{"0 ownership TXT", "A [], want [10.0.0.1]"}},
		{"wrong address", []string{soa, ns, seedA, "app.example.com. 300 IN A 10.0.0.2", ownTXT}, app, []string{"A [10.0.0.2], want [10.0.0.1]"}},
		{"ownership missing", []string{soa, ns, seedA, appA}, app, []string{"0 ownership TXT"}},
		{"other owner", []string{soa, ns, seedA, appA, otherTXT}, app, []string{"want owner soak"}},
		{"wrong resource", []string{soa, ns, seedA, appA, wrongRes}, app, []string{"resource ingress/n/app"}},
		{"two ownership records", []string{soa, ns, seedA, appA, ownTXT, otherTXT}, app, []string{"2 ownership TXT"}},
		{"orphaned record", []string{soa, ns, seedA, staleA}, nil, []string{"without ownership TXT (orphaned record)"}},
		{"orphaned ownership", []string{soa, ns, seedA, staleTXT}, nil, []string{"without the record it owns"}},
		{"record left behind", []string{soa, ns, seedA, staleA, staleTXT}, nil, []string{"no object asks for them"}},
		{"seed changed", []string{soa, ns, seedMoved}, nil, []string{"seed name has a record", "seed record changed or gone"}},
		{"seed gone", []string{soa, ns}, nil, []string{"seed record changed or gone"}},
		{"unexpected type", []string{soa, ns, seedA, "x.example.com. 300 IN CNAME y.example.com."}, nil, []string{"unexpected record"}},
	}
	seeds := []string{parseRRs(t, seedA)[0].String()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff := zoneDiff("example.com", "soak", parseRRs(t, tt.transfer...), tt.want, seeds)
			if len(diff) != len(tt.wantDiff) {
				t.Fatalf("diff = %q, want %d lines containing %q", diff, len(tt.wantDiff), tt.wantDiff)
			}
			for i, want := range tt.wantDiff {
				if !strings.Contains(diff[i], want) {
					t.Errorf("diff[%d] = %q, want it to contain %q", i, diff[i], want)
				}
			}
		})
	}
}

func TestDesiredRecords(t *testing.T) {
	ing := func(ns, name string, ip string, hosts ...string) networkingv1.Ingress {
		i := networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		for _, h := range hosts {
			i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: h})
		}
		if ip != "" {
			i.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: ip}}
		}
		return i
	}
	svc := func(ns, name, ip, hostnames string) corev1.Service {
		s := corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{hostnameAnnotation: hostnames}}}
		if ip != "" {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
		}
		return s
	}
	tests := []struct {
		name      string
		ingresses []networkingv1.Ingress
		services  []corev1.Service
		want      map[string]wanted
	}{
		{"nothing", nil, nil, map[string]wanted{}},
		{"ingress hosts", []networkingv1.Ingress{ing("n", "a", "10.0.0.1", "A.example.com", "b.example.com.", "")}, nil, map[string]wanted{
			"a.example.com": {[]string{"10.0.0.1"}, "ingress/n/a"},
			"b.example.com": {[]string{"10.0.0.1"}, "ingress/n/a"},
		}},
		{"no address asks for nothing", []networkingv1.Ingress{ing("n", "a", "", "a.example.com")}, []corev1.Service{svc("n", "s", "", "s.example.com")}, map[string]wanted{}},
		{"service hostnames", nil, []corev1.Service{svc("n", "s", "10.0.0.2", "s.example.com, t.example.com")}, map[string]wanted{
			"s.example.com": {[]string{"10.0.0.2"}, "service/n/s"},
			"t.example.com": {[]string{"10.0.0.2"}, "service/n/s"},
		}},
		{"shared name merges, first resource wins", []networkingv1.Ingress{ing("n", "z", "10.0.0.3", "x.example.com")}, []corev1.Service{svc("n", "s", "10.0.0.2", "x.example.com")}, map[string]wanted{
			"x.example.com": {[]string{"10.0.0.2", "10.0.0.3"}, "ingress/n/z"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := desiredRecords(tt.ingresses, tt.services)
			if len(got) != len(tt.want) {
				t.Fatalf("desiredRecords = %v, want %v", got, tt.want)
			}
			for name, w := range tt.want {
				if g, ok := got[name]; !ok || !slices.Equal(g.ips, w.ips) || g.resource != w.resource {
					t.Errorf("%s: %+v (present %t), want %+v", name, g, ok, w)
				}
			}
		})
	}
}
