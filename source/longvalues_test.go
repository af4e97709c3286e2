package source

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zonekeeper/zonekeeper/endpoint"
	corev1 "k8s.io/api/core/v1"
)

// TestLongValuesAreCut gives an object a megabyte in one annotation or field at a time:
// its Problem must stay short and say how many bytes it leaves out, since it is logged on
// every reconcile.
func TestLongValuesAreCut(t *testing.T) {
	huge := strings.Repeat("a", 1<<20)
	o := mustCompile(t, Config{})
	service := func(annotations map[string]string) func() []endpoint.Problem {
		return func() []endpoint.Problem {
			_, problems := ServiceEndpoints(lbService(annotations), o, nil)
			return problems
		}
	}
	tests := []struct {
		name     string
		problems func() []endpoint.Problem
	}{
		{"hostname", service(map[string]string{newPrefix + "hostname": huge})},
		{"hostname with a long label", service(map[string]string{newPrefix + "hostname": huge[:300] + ".example.com"})},
		{"hostname that is no IDN", service(map[string]string{newPrefix + "hostname": "\u200d" + huge})},
		{"internal-hostname", service(map[string]string{newPrefix + "internal-hostname": huge})},
		{"ttl", service(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": huge})},
		{"target", service(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "target": huge})},
		{"target with a zone", service(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "target": "fe80::1%" + huge})},
		{"alias", service(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "alias": huge})},
		{"prefixes disagree", service(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "ttl": huge, alphaPrefix + "ttl": huge + "b"})},
		{"access", func() []endpoint.Problem {
			svc := lbService(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "access": huge})
			svc.Spec.Type = corev1.ServiceTypeNodePort
			_, problems := ServiceEndpoints(svc, o, NewObjectCluster(nil, nil, nil))
			return problems
		}},
		{"endpoints-type", func() []endpoint.Problem {
			svc := lbService(map[string]string{newPrefix + "hostname": "web.example.com", newPrefix + "endpoints-type": huge})
			svc.Spec.Type, svc.Spec.ClusterIP = corev1.ServiceTypeClusterIP, corev1.ClusterIPNone
			_, problems := ServiceEndpoints(svc, o, NewObjectCluster(nil, nil, nil))
			return problems
		}},
		{"Service type", func() []endpoint.Problem {
			svc := lbService(map[string]string{newPrefix + "hostname": "web.example.com"})
			svc.Spec.Type = corev1.ServiceType(huge)
			_, problems := ServiceEndpoints(svc, o, nil)
			return problems
		}},
		{"externalName", func() []endpoint.Problem {
			svc := lbService(map[string]string{newPrefix + "hostname": "web.example.com"})
			svc.Spec.Type, svc.Spec.ExternalName = corev1.ServiceTypeExternalName, huge
			_, problems := ServiceEndpoints(svc, o, nil)
			return problems
		}},
		{"ingress-hostname-source", func() []endpoint.Problem {
			_, problems := IngressEndpoints(lbIngress(map[string]string{newPrefix + "ingress-hostname-source": huge}, "site.example.com"), o)
			return problems
		}},
		{"ingress rule host", func() []endpoint.Problem {
			_, problems := IngressEndpoints(lbIngress(nil, huge), o)
			return problems
		}},
		{"manifest kind", manifestProblems(t, "apiVersion: v1\nkind: "+huge+"\nmetadata: {name: x}\n")},
		{"manifest apiVersion", manifestProblems(t, "apiVersion: "+huge+"/v1\nkind: Widget\nmetadata: {name: x}\n")},
		{"manifest name", manifestProblems(t, "apiVersion: v1\nkind: Service\nmetadata: {name: "+huge+", annotations: {external-dns.kubernetes.io/hostname: a..b}}\n")},
		{"manifest timestamp", manifestProblems(t, "apiVersion: v1\nkind: Service\nmetadata: {name: x, creationTimestamp: "+huge+"}\n")},
		{"manifest apiVersion with slashes", manifestProblems(t, "apiVersion: a/b/"+huge+"\nkind: Widget\nmetadata: {name: x}\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cut := false
			for _, p := range tt.problems() {
				msg := p.Error()
				if len(msg) > 1024 {
					t.Errorf("problem of %d bytes, want at most 1024: %.1100s", len(msg), msg)
				}
				cut = cut || strings.Contains(msg, "not shown)")
			}
			if !cut {
				t.Error("no problem says how many bytes it leaves out")
			}
		})
	}
}

// manifestProblems returns a function reading manifest through the manifest source.
func manifestProblems(t *testing.T, manifest string) func() []endpoint.Problem {
	return func() []endpoint.Problem {
		dir := writeFiles(t, map[string]string{"m.yaml": manifest})
		res, err := NewManifest([]string{filepath.Join(dir, "m.yaml")}, mustCompile(t, Config{})).Endpoints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return res.Problems
	}
}
