package source

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestServiceTypes(t *testing.T) {
	host := map[string]string{newPrefix + "hostname": "svc.example.com"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{newPrefix + "hostname": "svc.example.com"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	lbStatus := func(ingress ...corev1.LoadBalancerIngress) corev1.ServiceStatus {
		return corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: ingress}}
	}
	tests := []struct {
		name         string
		config       Config
		annotations  map[string]string
		spec         corev1.ServiceSpec
		status       corev1.ServiceStatus
		want         []string
		wantProblems []problemCheck
	}{
		{
			name:        "LoadBalancer status IP and hostname",
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "192.0.2.1"}, corev1.LoadBalancerIngress{Hostname: "lb-1.elb.example.net"}),
			want:        []string{"svc.example.com A 192.0.2.1", "svc.example.com CNAME lb-1.elb.example.net"},
		},
		{
			name:        "LoadBalancer IPv6 is AAAA, several addresses in one record",
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "2001:db8::2"}, corev1.LoadBalancerIngress{IP: "2001:db8::1"}, corev1.LoadBalancerIngress{IP: "192.0.2.1"}),
			want:        []string{"svc.example.com A 192.0.2.1", "svc.example.com AAAA 2001:db8::1,2001:db8::2"},
		},
		{
			name:         "LoadBalancer with two hostnames cannot be a CNAME",
			annotations:  host,
			spec:         corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			status:       lbStatus(corev1.LoadBalancerIngress{Hostname: "a.example.net"}, corev1.LoadBalancerIngress{Hostname: "b.example.net"}),
			wantProblems: []problemCheck{failure("status.loadBalancer.ingress", "CNAME")},
		},
		{
			name:        "LoadBalancer externalIPs win over status",
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalIPs: []string{"198.51.100.7"}},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "192.0.2.1"}),
			want:        []string{"svc.example.com A 198.51.100.7"},
		},
		{
			name:         "LoadBalancer pending: no records, a warning",
			annotations:  host,
			spec:         corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			wantProblems: []problemCheck{warning("svc.example.com", "no address to publish")},
		},
		{
			name:        "target annotation wins over status",
			annotations: with(map[string]string{alphaPrefix + "target": "203.0.113.5"}),
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "192.0.2.1"}),
			want:        []string{"svc.example.com A 203.0.113.5"},
		},
		{
			name:        "ClusterIP is not published by default",
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.0.0.1"},
		},
		{
			name:        "ClusterIP with publish-internal-services",
			config:      Config{PublishInternalServices: true},
			annotations: host,
			spec:        corev1.ServiceSpec{ClusterIP: "10.0.0.1", ClusterIPs: []string{"10.0.0.1", "fd00::1"}},
			want:        []string{"svc.example.com A 10.0.0.1", "svc.example.com AAAA fd00::1"},
		},
		{
			name:        "internal-hostname publishes the cluster IP whatever the type",
			annotations: map[string]string{alphaPrefix + "internal-hostname": "svc.internal.example.com", newPrefix + "hostname": "svc.example.com"},
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "192.0.2.1"}),
			want:        []string{"svc.example.com A 192.0.2.1", "svc.internal.example.com A 10.0.0.1"},
		},
		{
			name:        "internal-hostname on a ClusterIP Service",
			annotations: map[string]string{newPrefix + "internal-hostname": "svc.internal.example.com"},
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.0.0.1"},
			want:        []string{"svc.internal.example.com A 10.0.0.1"},
		},
		{
			name:        "the same name as hostname and internal-hostname merges into one record",
			annotations: map[string]string{newPrefix + "internal-hostname": "svc.example.com", newPrefix + "hostname": "svc.example.com"},
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "192.0.2.1"}),
			want:        []string{"svc.example.com A 10.0.0.1,192.0.2.1"},
		},
		{
			name:         "headless: warning, no records",
			config:       Config{PublishInternalServices: true},
			annotations:  host,
			spec:         corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: corev1.ClusterIPNone},
			wantProblems: []problemCheck{warning("headless", "EndpointSlices")},
		},
		{
			name:        "headless with a target annotation",
			annotations: with(map[string]string{newPrefix + "target": "192.0.2.9"}),
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: corev1.ClusterIPNone},
			want:        []string{"svc.example.com A 192.0.2.9"},
		},
		{
			name:         "NodePort: warning, no records",
			annotations:  host,
			spec:         corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.0.0.1"},
			wantProblems: []problemCheck{warning("NodePort", "Node addresses")},
		},
		{
			name: "NodePort without hostnames says nothing",
			spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "10.0.0.1"},
		},
		{
			name:        "ExternalName is a CNAME",
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.net."},
			want:        []string{"svc.example.com CNAME db.example.net"},
		},
		{
			name:        "ExternalName with externalIPs",
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.net", ExternalIPs: []string{"192.0.2.3", "2001:db8::3"}},
			want:        []string{"svc.example.com A 192.0.2.3", "svc.example.com AAAA 2001:db8::3"},
		},
		{
			name:         "unknown type",
			annotations:  host,
			spec:         corev1.ServiceSpec{Type: "Fancy"},
			wantProblems: []problemCheck{warning(`"Fancy"`)},
		},
		{
			name:        "type filter keeps LoadBalancer",
			config:      Config{ServiceTypeFilter: []string{"LoadBalancer"}},
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "192.0.2.1"}),
			want:        []string{"svc.example.com A 192.0.2.1"},
		},
		{
			name:        "type filter drops ExternalName",
			config:      Config{ServiceTypeFilter: []string{"LoadBalancer", "ClusterIP"}},
			annotations: host,
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.net"},
		},
		{
			name:        "type filter treats an empty type as ClusterIP",
			config:      Config{ServiceTypeFilter: []string{"ClusterIP"}, PublishInternalServices: true},
			annotations: host,
			spec:        corev1.ServiceSpec{ClusterIP: "10.0.0.1"},
			want:        []string{"svc.example.com A 10.0.0.1"},
		},
		{
			name:        "ignore-hostname-annotation ignores hostname and internal-hostname",
			config:      Config{IgnoreHostnameAnnotation: true},
			annotations: map[string]string{newPrefix + "hostname": "a.example.com", newPrefix + "internal-hostname": "b.example.com"},
			spec:        corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIP: "10.0.0.1"},
			status:      lbStatus(corev1.LoadBalancerIngress{IP: "192.0.2.1"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "svc", Namespace: "default", Annotations: tt.annotations},
				Spec:       tt.spec,
				Status:     tt.status,
			}
			eps, problems := ServiceEndpoints(svc, mustCompile(t, tt.config), nil)
			checkResult(t, eps, problems, tt.want, tt.wantProblems)
		})
	}
}

func TestFQDNTemplate(t *testing.T) {
	svc := func(name string, annotations map[string]string) *corev1.Service {
		s := lbService(annotations)
		s.Name = name
		return s
	}
	tests := []struct {
		name         string
		config       Config
		svc          *corev1.Service
		want         []string
		wantProblems []problemCheck
	}{
		{
			name:   "template used when no hostname",
			config: Config{FQDNTemplate: "{{.Name}}.{{.Namespace}}.example.com"},
			svc:    svc("web", nil),
			want:   []string{"web.prod.example.com A 192.0.2.10"},
		},
		{
			name:   "template not used when the annotation names a hostname",
			config: Config{FQDNTemplate: "{{.Name}}.example.com"},
			svc:    svc("web", map[string]string{newPrefix + "hostname": "app.example.com"}),
			want:   []string{"app.example.com A 192.0.2.10"},
		},
		{
			name:   "combine uses both",
			config: Config{FQDNTemplate: "{{.Name}}.example.com", CombineFQDNAnnotation: true},
			svc:    svc("web", map[string]string{newPrefix + "hostname": "app.example.com"}),
			want:   []string{"app.example.com A 192.0.2.10", "web.example.com A 192.0.2.10"},
		},
		{
			name:   "template with a list and functions",
			config: Config{FQDNTemplate: `{{ trimPrefix .Name "svc-" | replace "-" "." }}.example.com, {{ printf "%s" .Spec.Type | toLower }}.example.com,{{if hasSuffix .Name "-b"}}b.example.com{{end}}`},
			svc:    svc("svc-web-b", nil),
			want:   []string{"b.example.com A 192.0.2.10", "loadbalancer.example.com A 192.0.2.10", "web.b.example.com A 192.0.2.10"},
		},
		{
			name:   "template functions contains, hasPrefix, trimSuffix",
			config: Config{FQDNTemplate: `{{if and (contains .Name "eb") (hasPrefix .Name "w")}}{{trimSuffix .Name "b"}}.example.com{{end}}`},
			svc:    svc("web", nil),
			want:   []string{"we.example.com A 192.0.2.10"},
		},
		{
			name:         "template execution error is a problem on the object",
			config:       Config{FQDNTemplate: "{{.Spec.Rules}}.example.com"},
			svc:          svc("web", nil),
			wantProblems: []problemCheck{failure("--fqdn-template", "Rules")},
		},
		{
			name:         "template output that is not a hostname",
			config:       Config{FQDNTemplate: "{{.Name}}..example.com"},
			svc:          svc("web", nil),
			wantProblems: []problemCheck{failure("--fqdn-template", "web..example.com")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, problems := ServiceEndpoints(tt.svc, mustCompile(t, tt.config), nil)
			checkResult(t, eps, problems, tt.want, tt.wantProblems)
		})
	}
}

func TestFilters(t *testing.T) {
	svc := lbService(map[string]string{newPrefix + "hostname": "web.example.com", "team": "blue"})
	svc.Labels = map[string]string{"app": "web", "tier": "front"}
	tests := []struct {
		config Config
		want   bool
	}{
		{Config{}, true},
		{Config{Namespace: "prod"}, true},
		{Config{Namespace: "staging"}, false},
		{Config{LabelFilter: "app=web"}, true},
		{Config{LabelFilter: "app=web,tier!=front"}, false},
		{Config{LabelFilter: "app in (api, db)"}, false},
		{Config{AnnotationFilter: "team=blue"}, true},
		{Config{AnnotationFilter: "team=red"}, false},
		{Config{AnnotationFilter: "!team"}, false},
	}
	for _, tt := range tests {
		eps, _ := ServiceEndpoints(svc, mustCompile(t, tt.config), nil)
		ing := lbIngress(svc.Annotations, "site.example.com")
		ing.Labels = svc.Labels
		ingEps, _ := IngressEndpoints(ing, mustCompile(t, tt.config))
		if got := len(eps) > 0; got != tt.want {
			t.Errorf("%+v: Service selected = %v, want %v", tt.config, got, tt.want)
		}
		if got := len(ingEps) > 0; got != tt.want {
			t.Errorf("%+v: Ingress selected = %v, want %v", tt.config, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		config Config
		flag   string
	}{
		{Config{LabelFilter: "==web"}, "--label-filter"},
		{Config{AnnotationFilter: "a in (b"}, "--annotation-filter"},
		{Config{FQDNTemplate: "{{.Name"}, "--fqdn-template"},
		{Config{FQDNTemplate: "{{nosuchfunc .Name}}"}, "--fqdn-template"},
		{Config{AnnotationPrefixes: []string{"Not A Domain/"}}, "--annotation-prefix"},
		{Config{ServiceTypeFilter: []string{"loadbalancer"}}, "--service-type-filter"},
		{Config{Kinds: []string{"gateway"}}, "--source"},
	}
	for _, tt := range tests {
		_, err := tt.config.Compile()
		if err == nil || !strings.Contains(err.Error(), tt.flag) {
			t.Errorf("Compile(%+v) = %v, want an error naming %s", tt.config, err, tt.flag)
		}
	}
}

func TestNilObjects(t *testing.T) {
	o := mustCompile(t, Config{})
	if eps, problems := ServiceEndpoints(nil, o, nil); eps != nil || problems != nil {
		t.Errorf("ServiceEndpoints(nil) = %v, %v", eps, problems)
	}
	if eps, problems := IngressEndpoints(nil, o); eps != nil || problems != nil {
		t.Errorf("IngressEndpoints(nil) = %v, %v", eps, problems)
	}
}
