package helm

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// TestInstallWebhookSidecar creates what the chart renders with each webhook
// sidecar values file on a real kube-apiserver, with strict field validation: the
// API server must accept every object (no unknown or misplaced field, the probes'
// named ports and the mounts' volumes resolve, container and port names valid) and
// keep both containers as rendered.
func TestInstallWebhookSidecar(t *testing.T) {
	c := kubeapi.StartT(t)
	for _, file := range []string{"ci/webhook-values.yaml", "ci/webhook-zonekeeper-values.yaml"} {
		t.Run(name(file), func(t *testing.T) {
			ns := c.Namespace(t)
			// No ServiceMonitor: this API server has no Prometheus Operator CRDs.
			objs := Template(t, ns, ns, append(valuesArgs(file), "--set", "serviceMonitor.enabled=false")...)
			Create(t, c.Config, objs)
			rendered := deployment(t, objs)
			got, err := c.Client.AppsV1().Deployments(ns).Get(t.Context(), rendered.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := rendered.Spec.Template.Spec.Containers
			have := got.Spec.Template.Spec.Containers
			if len(have) != 2 || len(want) != 2 {
				t.Fatalf("stored %d containers, rendered %d; want 2", len(have), len(want))
			}
			for i := range want {
				w, h := want[i], have[i]
				if h.Name != w.Name || h.Image != w.Image || !slices.Equal(h.Args, w.Args) || len(h.Env) != len(w.Env) ||
					len(h.VolumeMounts) != len(w.VolumeMounts) || len(h.Ports) != len(w.Ports) || h.Ports[0] != w.Ports[0] {
					t.Errorf("stored container %d differs from the rendered one:\n stored   %+v\n rendered %+v", i, h, w)
				}
			}
			svc, err := c.Client.CoreV1().Services(ns).Get(t.Context(), Find(objs, "Service", "").GetName(), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(svc.Spec.Ports) != 2 || svc.Spec.Ports[1].Name != "http-webhook" {
				t.Errorf("stored Service ports %+v, want http-metrics and http-webhook", svc.Spec.Ports)
			}
		})
	}
}
