package source

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// renderOrigins gives each hostname as "name <- from" plus " [internal]" and
// " DROPPED: why".
func renderOrigins(hs []HostnameOrigin) []string {
	var out []string
	for _, h := range hs {
		s := h.Name + " <- " + h.From
		if h.Internal {
			s += " [internal]"
		}
		if !h.Kept() {
			s += " DROPPED: " + h.Dropped
		}
		out = append(out, s)
	}
	return out
}

// askedNames are the names the conversion asks records for: those published and those
// awaiting an address. ok is false when the object was rejected (an error Problem).
func askedNames(eps []*endpoint.Endpoint, problems []endpoint.Problem) (names []string, ok bool) {
	for _, e := range eps {
		names = append(names, e.DNSName)
	}
	for _, p := range problems {
		if !p.Warning {
			return nil, false
		}
		if errors.Is(p.Err, ErrNoTargets) {
			names = append(names, p.DNSName)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), true
}

func keptNames(p Provenance) []string {
	var out []string
	for _, h := range p.Hostnames {
		if h.Kept() {
			out = append(out, h.Name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkProvenance compares p with want and excluded, and, for an object the source
// reads and accepts, its kept names with the names conv asks records for: explain must
// say what the source does.
func checkProvenance(t *testing.T, p Provenance, want []string, excluded string, eps []*endpoint.Endpoint, problems []endpoint.Problem) {
	t.Helper()
	if got := renderOrigins(p.Hostnames); !slices.Equal(got, want) {
		t.Errorf("hostnames:\n got %q\nwant %q", got, want)
	}
	if excluded == "" && p.Excluded != "" || !strings.Contains(p.Excluded, excluded) {
		t.Errorf("Excluded = %q, want it to hold %q", p.Excluded, excluded)
	}
	if p.Excluded != "" {
		if len(eps)+len(problems) > 0 {
			t.Errorf("explain says the object is excluded, but the source yields %v %v", eps, problems)
		}
		return
	}
	if asked, ok := askedNames(eps, problems); ok && !slices.Equal(asked, keptNames(p)) {
		t.Errorf("explain keeps %v, the source asks for %v", keptNames(p), asked)
	}
}

func TestExplainIngress(t *testing.T) {
	hostname := alphaPrefix + "hostname"
	class := func(ing *networkingv1.Ingress, c string) *networkingv1.Ingress {
		ing.Spec.IngressClassName = &c
		return ing
	}
	tls := func(ing *networkingv1.Ingress, hosts ...string) *networkingv1.Ingress {
		ing.Spec.TLS = append(ing.Spec.TLS, networkingv1.IngressTLS{Hosts: hosts})
		return ing
	}
	for _, tc := range []struct {
		name     string
		cfg      Config
		ing      *networkingv1.Ingress
		want     []string
		excluded string
	}{
		{name: "rules, tls and annotation", ing: tls(lbIngress(map[string]string{hostname: "a.example.com, B.Example.com."}, "www.example.com", ""), "secure.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host", "secure.example.com <- spec.tls[0].hosts",
				"a.example.com <- annotation " + hostname, "b.example.com <- annotation " + hostname}},
		{name: "ignored tls and rules", cfg: Config{IgnoreIngressTLSSpec: true, IgnoreIngressRulesSpec: true},
			ing: tls(lbIngress(nil, "www.example.com"), "secure.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host DROPPED: --ignore-ingress-rules-spec",
				"secure.example.com <- spec.tls[0].hosts DROPPED: --ignore-ingress-tls-spec"}},
		{name: "ignored annotation", cfg: Config{IgnoreHostnameAnnotation: true}, ing: lbIngress(map[string]string{hostname: "a.example.com"}, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host", "a.example.com <- annotation " + hostname + " DROPPED: --ignore-hostname-annotation"}},
		{name: "annotation-only", ing: lbIngress(map[string]string{hostname: "a.example.com", alphaPrefix + "ingress-hostname-source": "Annotation-Only"}, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host DROPPED: annotation " + alphaPrefix + "ingress-hostname-source=annotation-only",
				"a.example.com <- annotation " + hostname}},
		{name: "defined-hosts-only", ing: lbIngress(map[string]string{hostname: "a.example.com", newPrefix + "ingress-hostname-source": "defined-hosts-only"}, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host",
				"a.example.com <- annotation " + hostname + " DROPPED: annotation " + newPrefix + "ingress-hostname-source=defined-hosts-only"}},
		{name: "invalid hostname", ing: lbIngress(nil, "www.example.com", "bad_name..example.com"),
			want: []string{"www.example.com <- spec.rules[0].host", `bad_name..example.com <- spec.rules[1].host DROPPED: invalid: name "bad_name..example.com": empty label`}},
		{name: "template without hostnames", cfg: Config{FQDNTemplate: "{{.Name}}.{{.Namespace}}.example.com"}, ing: lbIngress(nil),
			want: []string{"site.prod.example.com <- --fqdn-template"}},
		{name: "template beside hostnames", cfg: Config{FQDNTemplate: "{{.Name}}.example.com"}, ing: lbIngress(nil, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host", "site.example.com <- --fqdn-template DROPPED: the object names hostnames of its own; --fqdn-template adds to them only with --combine-fqdn-annotation"}},
		{name: "template combined", cfg: Config{FQDNTemplate: "{{.Name}}.example.com", CombineFQDNAnnotation: true}, ing: lbIngress(nil, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host", "site.example.com <- --fqdn-template"}},
		{name: "namespace filter", cfg: Config{Namespace: "dev"}, ing: lbIngress(nil, "www.example.com"),
			want:     []string{"www.example.com <- spec.rules[0].host DROPPED: the object is not read: --namespace=dev: the object is in namespace prod"},
			excluded: "--namespace=dev"},
		{name: "label filter", cfg: Config{LabelFilter: "team=web"}, ing: lbIngress(nil, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host DROPPED: the object is not read: --label-filter=team=web: the object's labels do not match"}, excluded: "--label-filter=team=web"},
		{name: "annotation filter", cfg: Config{AnnotationFilter: "dns=yes"}, ing: lbIngress(nil, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host DROPPED: the object is not read: --annotation-filter=dns=yes: the object's annotations do not match"}, excluded: "--annotation-filter=dns=yes"},
		{name: "ingress class", cfg: Config{IngressClasses: []string{"nginx"}}, ing: class(lbIngress(nil, "www.example.com"), "traefik"),
			want:     []string{`www.example.com <- spec.rules[0].host DROPPED: the object is not read: --ingress-class: the Ingress is of class "traefik" (spec.ingressClassName)`},
			excluded: `--ingress-class: the Ingress is of class "traefik"`},
		{name: "no ingress class", cfg: Config{IngressClasses: []string{"nginx"}}, ing: lbIngress(nil, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host DROPPED: the object is not read: --ingress-class: the Ingress names no class"}, excluded: "names no class"},
		{name: "ingress class annotation", cfg: Config{IngressClasses: []string{"nginx"}}, ing: lbIngress(map[string]string{ingressClassAnnotation: "nginx"}, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host"}},
		{name: "other controller", ing: lbIngress(map[string]string{alphaPrefix + "controller": "other"}, "www.example.com"),
			want:     []string{"www.example.com <- spec.rules[0].host DROPPED: the object is not read: annotation " + alphaPrefix + `controller="other": the object is handed to another controller (only dns-controller is ours)`},
			excluded: "handed to another controller"},
		{name: "kind not read", cfg: Config{Kinds: []string{KindService}}, ing: lbIngress(nil, "www.example.com"),
			want: []string{"www.example.com <- spec.rules[0].host DROPPED: the object is not read: --source: ingress objects are not read"}, excluded: "--source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := mustCompile(t, tc.cfg)
			p := ExplainIngress(tc.ing, o)
			if p.Ref != (endpoint.ObjectRef{Kind: KindIngress, Namespace: "prod", Name: "site"}) {
				t.Errorf("Ref = %+v", p.Ref)
			}
			var eps []*endpoint.Endpoint
			var problems []endpoint.Problem
			if o.reads(KindIngress) {
				eps, problems = IngressEndpoints(tc.ing, o)
			}
			checkProvenance(t, p, tc.want, tc.excluded, eps, problems)
		})
	}
}

func TestExplainService(t *testing.T) {
	hostname, internal := alphaPrefix+"hostname", newPrefix+"internal-hostname"
	for _, tc := range []struct {
		name     string
		cfg      Config
		svc      *corev1.Service
		want     []string
		excluded string
	}{
		{name: "hostname and internal", svc: lbService(map[string]string{hostname: "www.example.com", internal: "web.internal.example.com"}),
			want: []string{"www.example.com <- annotation " + hostname, "web.internal.example.com <- annotation " + internal + " [internal]"}},
		{name: "ignored annotations, template", cfg: Config{IgnoreHostnameAnnotation: true, FQDNTemplate: "{{.Name}}.example.com"},
			svc: lbService(map[string]string{hostname: "www.example.com", internal: "web.internal.example.com"}),
			want: []string{"www.example.com <- annotation " + hostname + " DROPPED: --ignore-hostname-annotation",
				"web.internal.example.com <- annotation " + internal + " [internal] DROPPED: --ignore-hostname-annotation",
				"web.example.com <- --fqdn-template"}},
		{name: "internal only keeps the template out", cfg: Config{FQDNTemplate: "{{.Name}}.example.com"}, svc: lbService(map[string]string{internal: "web.internal.example.com"}),
			want: []string{"web.internal.example.com <- annotation " + internal + " [internal]",
				"web.example.com <- --fqdn-template DROPPED: the object names hostnames of its own; --fqdn-template adds to them only with --combine-fqdn-annotation"}},
		{name: "template error", cfg: Config{FQDNTemplate: "{{.Spec.Nope}}"}, svc: lbService(nil),
			want: []string{" <- --fqdn-template DROPPED: template: fqdn:1:7: executing \"fqdn\" at <.Spec.Nope>: can't evaluate field Nope in type v1.ServiceSpec"}},
		{name: "service type filter", cfg: Config{ServiceTypeFilter: []string{"NodePort"}}, svc: lbService(map[string]string{hostname: "www.example.com"}),
			want:     []string{"www.example.com <- annotation " + hostname + " DROPPED: the object is not read: --service-type-filter: the Service is of type LoadBalancer"},
			excluded: "--service-type-filter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := mustCompile(t, tc.cfg)
			p, err := ExplainObject(tc.svc, o)
			if err != nil {
				t.Fatal(err)
			}
			eps, problems := ServiceEndpoints(tc.svc, o, nil)
			checkProvenance(t, p, tc.want, tc.excluded, eps, problems)
		})
	}
	if _, err := ExplainObject(&corev1.Pod{}, mustCompile(t, Config{})); err == nil || !strings.Contains(err.Error(), "*v1.Pod") {
		t.Errorf("ExplainObject(Pod) error %v, want one naming the type", err)
	}
}

func TestFindManifestObject(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: prod}\n")
	write("ing.yaml", "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n")
	o := mustCompile(t, Config{})
	for _, tc := range []struct {
		ref      endpoint.ObjectRef
		wantType string
		wantFile string
		wantErr  string
	}{
		{ref: endpoint.ObjectRef{Kind: KindService, Namespace: "prod", Name: "web"}, wantType: "*v1.Service", wantFile: "svc.yaml"},
		{ref: endpoint.ObjectRef{Kind: KindIngress, Namespace: "default", Name: "web"}, wantType: "*v1.Ingress", wantFile: "ing.yaml"},
		{ref: endpoint.ObjectRef{Kind: KindIngress, Namespace: "prod", Name: "web"}, wantErr: "ingress/prod/web: not found in the manifests " + dir},
		{ref: endpoint.ObjectRef{Kind: KindCRD, Namespace: "prod", Name: "web"}, wantErr: `kind "crd" cannot be explained`},
	} {
		obj, file, err := FindManifestObject([]string{dir}, o, tc.ref)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.ref, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.ref, err)
			continue
		}
		if got := typeName(obj); got != tc.wantType || filepath.Base(file) != tc.wantFile {
			t.Errorf("%s: got %s from %s, want %s from %s", tc.ref, got, file, tc.wantType, tc.wantFile)
		}
	}
	if _, _, err := FindManifestObject([]string{filepath.Join(dir, "absent")}, o, endpoint.ObjectRef{Kind: KindService, Name: "x"}); err == nil {
		t.Error("a missing manifest path is no error")
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *corev1.Service:
		return "*v1.Service"
	case *networkingv1.Ingress:
		return "*v1.Ingress"
	}
	return "other"
}
