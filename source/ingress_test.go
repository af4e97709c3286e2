package source

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestIngressEndpoints(t *testing.T) {
	className := func(s string) *string { return &s }
	withTLS := func(ing *networkingv1.Ingress, hosts ...string) *networkingv1.Ingress {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{Hosts: hosts})
		return ing
	}
	withClass := func(ing *networkingv1.Ingress, class *string) *networkingv1.Ingress {
		ing.Spec.IngressClassName = class
		return ing
	}
	withStatus := func(ing *networkingv1.Ingress, lbs ...networkingv1.IngressLoadBalancerIngress) *networkingv1.Ingress {
		ing.Status.LoadBalancer.Ingress = lbs
		return ing
	}
	annotated := map[string]string{newPrefix + "hostname": "ann.example.com"}
	tests := []struct {
		name         string
		config       Config
		ing          *networkingv1.Ingress
		want         []string
		wantProblems []problemCheck
	}{
		{
			name: "rules, TLS hosts and annotation; empty host skipped; duplicates merged",
			ing:  withTLS(lbIngress(annotated, "a.example.com", "", "b.example.com"), "b.example.com", "tls.example.com"),
			want: []string{"a.example.com A 192.0.2.20", "ann.example.com A 192.0.2.20", "b.example.com A 192.0.2.20", "tls.example.com A 192.0.2.20"},
		},
		{
			name:   "ignore rules spec",
			config: Config{IgnoreIngressRulesSpec: true},
			ing:    withTLS(lbIngress(nil, "a.example.com"), "tls.example.com"),
			want:   []string{"tls.example.com A 192.0.2.20"},
		},
		{
			name:   "ignore TLS spec",
			config: Config{IgnoreIngressTLSSpec: true},
			ing:    withTLS(lbIngress(nil, "a.example.com"), "tls.example.com"),
			want:   []string{"a.example.com A 192.0.2.20"},
		},
		{
			name:   "ignore hostname annotation",
			config: Config{IgnoreHostnameAnnotation: true},
			ing:    lbIngress(annotated, "a.example.com"),
			want:   []string{"a.example.com A 192.0.2.20"},
		},
		{
			name: "defined-hosts-only",
			ing:  lbIngress(map[string]string{newPrefix + "hostname": "ann.example.com", alphaPrefix + "ingress-hostname-source": "defined-hosts-only"}, "a.example.com"),
			want: []string{"a.example.com A 192.0.2.20"},
		},
		{
			name: "annotation-only, case-insensitive",
			ing:  withTLS(lbIngress(map[string]string{newPrefix + "hostname": "ann.example.com", newPrefix + "ingress-hostname-source": "Annotation-Only"}, "a.example.com"), "tls.example.com"),
			want: []string{"ann.example.com A 192.0.2.20"},
		},
		{
			name:         "invalid ingress-hostname-source",
			ing:          lbIngress(map[string]string{newPrefix + "ingress-hostname-source": "both"}, "a.example.com"),
			wantProblems: []problemCheck{failure(newPrefix+"ingress-hostname-source", `"both"`)},
		},
		{
			name: "status hostname is a CNAME, IPv6 an AAAA",
			ing:  withStatus(lbIngress(nil, "a.example.com"), networkingv1.IngressLoadBalancerIngress{Hostname: "lb.example.net"}, networkingv1.IngressLoadBalancerIngress{IP: "2001:db8::20"}),
			want: []string{"a.example.com AAAA 2001:db8::20", "a.example.com CNAME lb.example.net"},
		},
		{
			name:         "empty status: no records, a warning per name",
			ing:          withStatus(lbIngress(nil, "a.example.com", "b.example.com")),
			wantProblems: []problemCheck{warning("a.example.com", "no address to publish"), warning("b.example.com", "no address to publish")},
		},
		{
			name: "target annotation wins over status",
			ing:  lbIngress(map[string]string{alphaPrefix + "target": "lb.example.net"}, "a.example.com"),
			want: []string{"a.example.com CNAME lb.example.net"},
		},
		{
			name:         "invalid rule host names the field",
			ing:          lbIngress(nil, "ok.example.com", "bad..example.com"),
			wantProblems: []problemCheck{failure("spec.rules[1].host", "bad..example.com")},
		},
		{
			name:         "invalid TLS host names the field",
			ing:          withTLS(lbIngress(nil), "ok.example.com", "x_y-.example.com"),
			wantProblems: []problemCheck{failure("spec.tls[0].hosts", "x_y-.example.com")},
		},
		{
			name: "wildcard host",
			ing:  lbIngress(nil, "*.apps.example.com"),
			want: []string{"*.apps.example.com A 192.0.2.20"},
		},
		{
			name:   "class from spec matches",
			config: Config{IngressClasses: []string{"public"}},
			ing:    withClass(lbIngress(nil, "a.example.com"), className("public")),
			want:   []string{"a.example.com A 192.0.2.20"},
		},
		{
			name:   "class from spec does not match; annotation is not consulted",
			config: Config{IngressClasses: []string{"public"}},
			ing:    withClass(lbIngress(map[string]string{ingressClassAnnotation: "public"}, "a.example.com"), className("internal")),
		},
		{
			name:   "class from annotation matches",
			config: Config{IngressClasses: []string{"internal", "public"}},
			ing:    lbIngress(map[string]string{ingressClassAnnotation: "public"}, "a.example.com"),
			want:   []string{"a.example.com A 192.0.2.20"},
		},
		{
			name:   "no class with a class filter",
			config: Config{IngressClasses: []string{"public"}},
			ing:    lbIngress(nil, "a.example.com"),
		},
		{
			name:   "template only without hosts",
			config: Config{FQDNTemplate: "{{.Name}}.{{.Namespace}}.example.com"},
			ing:    lbIngress(nil),
			want:   []string{"site.prod.example.com A 192.0.2.20"},
		},
		{
			name:   "template combined with hosts",
			config: Config{FQDNTemplate: "{{.Name}}.example.com", CombineFQDNAnnotation: true},
			ing:    lbIngress(nil, "a.example.com"),
			want:   []string{"a.example.com A 192.0.2.20", "site.example.com A 192.0.2.20"},
		},
		{
			name: "ttl and properties apply to every record",
			ing: lbIngress(map[string]string{newPrefix + "ttl": "5m", alphaPrefix + "aws-weight": "3", newPrefix + "set-identifier": "one"},
				"a.example.com"),
			want: []string{"a.example.com 300 A 192.0.2.20 [one] {aws/weight=3}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, problems := IngressEndpoints(tt.ing, mustCompile(t, tt.config))
			checkResult(t, eps, problems, tt.want, tt.wantProblems)
		})
	}
}
