package helm

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestWebhookSidecar checks the pod of provider name webhook: zonekeeper reaches
// the sidecar on its url and holds no provider flag, environment or credential;
// the sidecar is either the configured external-dns webhook provider image, run
// with exactly the configured args, env and mounts, or zonekeeper's own server,
// run with the served provider's flags and, alone, its credentials.
func TestWebhookSidecar(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		set   []string
		image string
		// zkArgs are in zonekeeper's args; sidecarArgs are the sidecar's, exactly.
		zkArgs, sidecarArgs []string
		// env is the sidecar's environment: literal values, or "secret:<name>/<key>".
		env map[string]string
		// mounts are the sidecar's volume mounts, "<volume>:<path>".
		mounts []string
		// volumes are the pod's, "<volume>:<secret or configMap name>".
		volumes []string
	}{
		{
			name:        "external provider",
			file:        "ci/webhook-values.yaml",
			image:       "ghcr.io/example/external-dns-example-webhook:v1.2.3",
			zkArgs:      []string{"--provider=webhook", "--webhook-provider-url=http://localhost:8888", "--webhook-provider-read-timeout=10s", "--webhook-provider-write-timeout=30s", "--policy=sync"},
			sidecarArgs: []string{"--config=/etc/webhook/config.yaml"},
			env:         map[string]string{"EXAMPLE_API_TOKEN": "secret:example-dns-credentials/api-token", "EXAMPLE_ZONE": "example.com"},
			mounts:      []string{"webhook-config:/etc/webhook"},
			volumes:     []string{"webhook-config:example-webhook-config"},
		},
		{
			name:   "external provider, url and body size",
			set:    []string{"provider.name=webhook", "provider.webhook.image.repository=r.example/w", "provider.webhook.image.tag=v1", "provider.webhook.url=https://dns-webhook.example:8443", "provider.webhook.maxBodySize=67108864"},
			image:  "r.example/w:v1",
			zkArgs: []string{"--provider=webhook", "--webhook-provider-url=https://dns-webhook.example:8443", "--webhook-provider-max-body-size=67108864"},
			env:    map[string]string{},
		},
		{
			name:   "zonekeeper server, rfc2136",
			file:   "ci/webhook-zonekeeper-values.yaml",
			image:  "ghcr.io/zonekeeper/zonekeeper:0.1.0",
			zkArgs: []string{"--provider=webhook", "--webhook-provider-url=http://localhost:8888"},
			sidecarArgs: []string{
				"webhook", "--provider=rfc2136", "--rfc2136-host=ns1.example.com", "--rfc2136-port=53", "--rfc2136-zone=example.com",
				"--rfc2136-tsig-keyname=zonekeeper", "--rfc2136-tsig-secret-alg=hmac-sha256",
				"--rfc2136-tsig-secret-file=/etc/zonekeeper/rfc2136/tsig-secret", "--rfc2136-tsig-axfr=true", "--rfc2136-batch-change-size=1000",
			},
			env:     map[string]string{},
			mounts:  []string{"provider-credentials:/etc/zonekeeper/rfc2136"},
			volumes: []string{"provider-credentials:rfc2136-tsig"},
		},
		{
			name:        "zonekeeper server, route53 keys from a Secret, with more args",
			set:         []string{"provider.name=webhook", "provider.webhook.zonekeeperServer.provider=aws", "aws.region=eu-west-1", "aws.credentials.secretName=aws-keys", "aws.credentials.mode=env", "provider.webhook.args={--log-level=debug}"},
			image:       "ghcr.io/zonekeeper/zonekeeper:0.1.0",
			zkArgs:      []string{"--provider=webhook"},
			sidecarArgs: []string{"webhook", "--provider=route53", "--aws-batch-change-size=1000", "--aws-batch-change-interval=1s", "--aws-evaluate-target-health=true", "--aws-api-retries=3", "--aws-zones-cache-duration=0s", "--log-level=debug"},
			env: map[string]string{
				"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "secret:aws-keys/aws_access_key_id", "AWS_SECRET_ACCESS_KEY": "secret:aws-keys/aws_secret_access_key",
			},
		},
		{
			name:        "zonekeeper server, cloudflare token file",
			set:         []string{"provider.name=webhook", "provider.webhook.zonekeeperServer.provider=cloudflare", "cloudflare.credentials.secretName=cf"},
			image:       "ghcr.io/zonekeeper/zonekeeper:0.1.0",
			zkArgs:      []string{"--provider=webhook"},
			sidecarArgs: []string{"webhook", "--provider=cloudflare", "--cloudflare-proxied=false", "--cloudflare-dns-records-per-page=100", "--batch-change-size=100", "--batch-change-interval=1s"},
			env:         map[string]string{"CF_API_TOKEN": "file:/etc/zonekeeper/cloudflare/apiToken"},
			mounts:      []string{"provider-credentials:/etc/zonekeeper/cloudflare"},
			volumes:     []string{"provider-credentials:cf"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := valuesArgs(tt.file)
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			objs := Template(t, release, namespace, args...)
			dep := deployment(t, objs)
			pod := dep.Spec.Template.Spec
			var names []string
			for _, c := range pod.Containers {
				names = append(names, c.Name)
			}
			if !slices.Equal(names, []string{"zonekeeper", "webhook"}) {
				t.Fatalf("containers %q, want zonekeeper and webhook", names)
			}

			zk := container(t, dep)
			for _, want := range tt.zkArgs {
				if !slices.Contains(zk.Args, want) {
					t.Errorf("zonekeeper args %q lack %s", zk.Args, want)
				}
			}
			for _, a := range zk.Args {
				if strings.HasPrefix(a, "--provider=") && a != "--provider=webhook" || strings.HasPrefix(a, "--rfc2136-") ||
					strings.HasPrefix(a, "--aws-") || strings.HasPrefix(a, "--cloudflare-") || strings.HasPrefix(a, "--inmemory-") {
					t.Errorf("zonekeeper's args hold the sidecar's provider flag %s", a)
				}
			}
			for _, e := range zk.Env {
				if e.Name != "POD_NAME" && e.Name != "POD_NAMESPACE" {
					t.Errorf("zonekeeper's environment holds %s; the provider's environment is the sidecar's", e.Name)
				}
			}
			if len(zk.VolumeMounts) != 0 {
				t.Errorf("zonekeeper mounts %+v; the provider's credentials are the sidecar's alone", zk.VolumeMounts)
			}

			wh := named(t, dep, "webhook")
			if wh.Image != tt.image {
				t.Errorf("sidecar image %q, want %q", wh.Image, tt.image)
			}
			if !slices.Equal(wh.Args, tt.sidecarArgs) {
				t.Errorf("sidecar args:\n got  %q\n want %q", wh.Args, tt.sidecarArgs)
			}
			if got := envOf(wh); !maps.Equal(got, tt.env) {
				t.Errorf("sidecar env = %v, want %v", got, tt.env)
			}
			var mounts []string
			for _, m := range wh.VolumeMounts {
				if !m.ReadOnly {
					t.Errorf("sidecar mounts %s writable", m.Name)
				}
				mounts = append(mounts, m.Name+":"+m.MountPath)
			}
			if !slices.Equal(mounts, tt.mounts) {
				t.Errorf("sidecar mounts %q, want %q", mounts, tt.mounts)
			}
			var volumes []string
			for _, v := range pod.Volumes {
				switch {
				case v.Secret != nil:
					volumes = append(volumes, v.Name+":"+v.Secret.SecretName)
				case v.ConfigMap != nil:
					volumes = append(volumes, v.Name+":"+v.ConfigMap.Name)
				default:
					volumes = append(volumes, v.Name+":?")
				}
			}
			if !slices.Equal(volumes, tt.volumes) {
				t.Errorf("pod volumes %q, want %q", volumes, tt.volumes)
			}

			if len(wh.Ports) != 1 || wh.Ports[0].Name != "http-webhook" || wh.Ports[0].ContainerPort != 8080 || wh.Ports[0].Protocol != corev1.ProtocolTCP {
				t.Errorf("sidecar ports %+v, want http-webhook 8080/TCP", wh.Ports)
			}
			for name, p := range map[string]*corev1.Probe{"liveness": wh.LivenessProbe, "readiness": wh.ReadinessProbe} {
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "http-webhook" {
					t.Errorf("sidecar %s probe %+v, want GET /healthz on http-webhook", name, p)
				}
			}

			svc := Typed[corev1.Service](t, Find(objs, "Service", ""))
			if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
				return p.Name == "http-webhook" && p.Port == 8080 && p.TargetPort.String() == "http-webhook"
			}) {
				t.Errorf("Service ports %+v lack http-webhook 8080 → http-webhook", svc.Spec.Ports)
			}
		})
	}
}

// TestWebhookOnlyForWebhook checks that every other provider renders one
// container and no http-webhook Service port, whatever provider.webhook holds.
func TestWebhookOnlyForWebhook(t *testing.T) {
	for _, file := range valuesFiles {
		if strings.Contains(file, "webhook") {
			continue
		}
		t.Run(name(file), func(t *testing.T) {
			args := append(valuesArgs(file), "--set", "provider.webhook.image.repository=r", "--set", "provider.webhook.image.tag=t")
			objs := Template(t, release, namespace, args...)
			if cs := deployment(t, objs).Spec.Template.Spec.Containers; len(cs) != 1 {
				t.Errorf("%d containers, want zonekeeper alone", len(cs))
			}
			for _, p := range Typed[corev1.Service](t, Find(objs, "Service", "")).Spec.Ports {
				if p.Name == "http-webhook" {
					t.Errorf("Service has port http-webhook without the sidecar")
				}
			}
		})
	}
}

// TestWebhookServiceMonitor checks that the sidecar's /metrics is scraped next to
// zonekeeper's, inheriting the interval and timeout it does not set.
func TestWebhookServiceMonitor(t *testing.T) {
	objs := Template(t, release, namespace, valuesArgs("ci/webhook-values.yaml")...)
	o := Find(objs, "ServiceMonitor", "")
	if o == nil {
		t.Fatal("no ServiceMonitor rendered")
	}
	endpoints, _, err := unstructured.NestedSlice(o.Object, "spec", "endpoints")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range endpoints {
		m, _ := e.(map[string]any)
		got = append(got, fmt.Sprint(m["port"], " ", m["path"], " ", m["interval"], " ", m["scrapeTimeout"]))
	}
	want := []string{"http-metrics /metrics 1m 10s", "http-webhook /metrics 1m 10s"}
	if !slices.Equal(got, want) {
		t.Errorf("ServiceMonitor endpoints %q, want %q", got, want)
	}
}

// TestWebhookRejects checks that bad provider.webhook values, and secrets in either
// container's args or literal env, stop helm with a message naming the value: wrong types through the schema, and what the schema
// cannot express (a secret in args or in a literal env value, a missing image)
// through the templates.
func TestWebhookRejects(t *testing.T) {
	image := []string{"provider.name=webhook", "provider.webhook.image.repository=r", "provider.webhook.image.tag=t"}
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"no image", []string{"provider.name=webhook"}, "provider name webhook needs provider.webhook.image.repository and provider.webhook.image.tag"},
		{"tag without repository", []string{"provider.name=webhook", "provider.webhook.image.tag=t"}, "provider name webhook needs provider.webhook.image.repository"},
		{"image and zonekeeper server", append(image, "provider.webhook.zonekeeperServer.provider=inmemory", "inmemory.zones={example.com}"), "provider.webhook.image and provider.webhook.zonekeeperServer.provider exclude each other"},
		{"zonekeeper server without provider webhook", []string{"provider.webhook.zonekeeperServer.provider=inmemory"}, "provider.webhook.zonekeeperServer.provider needs provider.name webhook"},
		{"zonekeeper server on another url", []string{"provider.name=webhook", "provider.webhook.zonekeeperServer.provider=inmemory", "inmemory.zones={example.com}", "provider.webhook.url=http://localhost:9999"}, `provider.webhook.url "http://localhost:9999": zonekeeper's server in the sidecar listens on 127.0.0.1:8888`},
		{"zonekeeper server without its provider's values", []string{"provider.name=webhook", "provider.webhook.zonekeeperServer.provider=rfc2136"}, "provider rfc2136 needs rfc2136.host"},
		{"unknown served provider", []string{"provider.name=webhook", "provider.webhook.zonekeeperServer.provider=bind"}, "at '/provider/webhook/zonekeeperServer/provider': value must be one of '', 'aws', 'route53', 'cloudflare', 'rfc2136', 'inmemory'"},
		{"secret flag with =", append(image, "provider.webhook.args={--api-token=hunter2}"), `provider.webhook.args[0] "--api-token" passes a secret on the command line`},
		{"secret flag and value", append(image, "provider.webhook.args={--verbose,--password,hunter2}"), `provider.webhook.args[1] "--password" passes a secret on the command line`},
		{"literal secret env", append(image, "provider.webhook.env[0].name=HETZNER_API_KEY", "provider.webhook.env[0].value=hunter2"), "provider.webhook.env[0] HETZNER_API_KEY holds a literal value"},
		{"secret in zonekeeper's extraArgs", []string{"extraArgs={--rfc2136-tsig-secret=c2VjcmV0}"}, `extraArgs[0] "--rfc2136-tsig-secret" passes a secret on the command line: put it in a Secret and set it through env`},
		{"literal secret in zonekeeper's env", []string{"env[0].name=EXTERNAL_DNS_RFC2136_TSIG_SECRET", "env[0].value=c2VjcmV0"}, "env[0] EXTERNAL_DNS_RFC2136_TSIG_SECRET holds a literal value"},
		{"args not a list", append(image, "provider.webhook.args=--x"), "at '/provider/webhook/args': got string, want array"},
		{"port not a number", append(image, "provider.webhook.service.port=http"), "at '/provider/webhook/service/port': got string, want integer"},
		{"timeout not a duration", append(image, "provider.webhook.readTimeout=soon"), "at '/provider/webhook/readTimeout'"},
		{"body size not a number", append(image, "provider.webhook.maxBodySize=32Mi"), "at '/provider/webhook/maxBodySize'"},
		{"url without scheme", append(image, "provider.webhook.url=localhost:8888"), "at '/provider/webhook/url'"},
		{"bad pull policy", append(image, "provider.webhook.image.pullPolicy=Sometimes"), "at '/provider/webhook/image/pullPolicy'"},
		{"misspelt key", append(image, "provider.webhook.extraVolumeMount[0].name=x"), "additional properties 'extraVolumeMount' not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantRefused(t, tt.set, tt.want) })
	}
}

// TestWebhookAllowed checks that what only looks like a secret passes: a flag
// naming a file, a key's name or algorithm, and a secret taken from a Secret.
func TestWebhookAllowed(t *testing.T) {
	for _, set := range [][]string{
		{"provider.webhook.args={--tsig-secret-file=/etc/secret/key}"},
		{"provider.webhook.args={--token-file,/etc/secret/token}"},
		{"provider.webhook.env[0].name=API_TOKEN_FILE", "provider.webhook.env[0].value=/etc/secret/token"},
		{"provider.webhook.env[0].name=API_TOKEN", "provider.webhook.env[0].valueFrom.secretKeyRef.name=s", "provider.webhook.env[0].valueFrom.secretKeyRef.key=k"},
		{"provider.webhook.args={--rfc2136-tsig-secret-alg=hmac-sha256,--rfc2136-tsig-keyname=zk}"},
		{"extraArgs={--rfc2136-tsig-secret-file=/etc/tsig/secret,--rfc2136-tsig-secret-alg=hmac-sha512}"},
	} {
		args := []string{"provider.name=webhook", "provider.webhook.image.repository=r", "provider.webhook.image.tag=t"}
		var helmArgs []string
		for _, s := range append(args, set...) {
			helmArgs = append(helmArgs, "--set", s)
		}
		Template(t, release, namespace, helmArgs...)
	}
}

func envOf(c corev1.Container) map[string]string {
	got := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			got[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		case e.ValueFrom == nil:
			got[e.Name] = e.Value
		default:
			got[e.Name] = "?"
		}
	}
	return got
}

// externalDNSShape sets every key of the external-dns chart's provider.webhook,
// as a webhook provider's README would give them for that chart.
const externalDNSShape = `
provider:
  name: webhook
  webhook:
    image:
      repository: ghcr.io/example/webhook
      tag: v0.9.0
      pullPolicy: Always
    env:
      - name: EXAMPLE_API_KEY
        valueFrom:
          secretKeyRef: {name: example, key: api-key}
    args: [--log-level=debug]
    extraVolumeMounts:
      - {name: scratch, mountPath: /tmp}
    resources:
      limits: {memory: 50Mi}
    securityContext:
      runAsUser: 1000
      readOnlyRootFilesystem: true
    livenessProbe:
      httpGet: {path: /healthz, port: http-webhook}
      initialDelaySeconds: 10
      periodSeconds: 10
      timeoutSeconds: 5
      failureThreshold: 2
      successThreshold: 1
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      initialDelaySeconds: 5
      periodSeconds: 10
      timeoutSeconds: 5
      failureThreshold: 6
      successThreshold: 1
    service:
      port: 9090
    serviceMonitor:
      interval: 30s
      scheme: https
      tlsConfig: {insecureSkipVerify: true}
      bearerTokenFile: /var/run/secrets/token
      scrapeTimeout: 5s
      metricRelabelings: [{action: drop, sourceLabels: [__name__], regex: go_.*}]
      relabelings: [{action: replace, targetLabel: sidecar, replacement: webhook}]
extraVolumes:
  - {name: scratch, emptyDir: {}}
serviceMonitor:
  enabled: true
`

// TestWebhookExternalDNSShape checks that values written for the external-dns
// chart's provider.webhook pass the schema and land where that chart puts them.
func TestWebhookExternalDNSShape(t *testing.T) {
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, []byte(externalDNSShape), 0o600); err != nil {
		t.Fatal(err)
	}
	objs := Template(t, release, namespace, "-f", file)
	wh := named(t, deployment(t, objs), "webhook")
	if wh.Image != "ghcr.io/example/webhook:v0.9.0" || wh.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("sidecar image %s pulled %s, want ghcr.io/example/webhook:v0.9.0 Always", wh.Image, wh.ImagePullPolicy)
	}
	if !slices.Equal(wh.Args, []string{"--log-level=debug"}) {
		t.Errorf("sidecar args %q", wh.Args)
	}
	if got := envOf(wh); !maps.Equal(got, map[string]string{"EXAMPLE_API_KEY": "secret:example/api-key"}) {
		t.Errorf("sidecar env %v", got)
	}
	if len(wh.VolumeMounts) != 1 || wh.VolumeMounts[0].MountPath != "/tmp" {
		t.Errorf("sidecar mounts %+v, want scratch at /tmp", wh.VolumeMounts)
	}
	if wh.Resources.Limits.Memory().String() != "50Mi" {
		t.Errorf("sidecar memory limit %s, want 50Mi", wh.Resources.Limits.Memory())
	}
	// Helm merges maps of values files into the defaults: the user's keys win, the
	// hardening the values leave out stays.
	if sc := wh.SecurityContext; sc == nil || !is(sc.RunAsUser, 1000) || sc.Capabilities == nil ||
		!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("sidecar securityContext %+v, want user 1000 and the chart's hardening", sc)
	}
	if p := wh.ReadinessProbe; p == nil || p.HTTPGet.Path != "/ready" || p.HTTPGet.Port.IntValue() != 8080 || p.FailureThreshold != 6 {
		t.Errorf("sidecar readiness probe %+v", p)
	}
	if p := wh.LivenessProbe; p == nil || p.HTTPGet.Path != "/healthz" || p.FailureThreshold != 2 || p.SuccessThreshold != 1 {
		t.Errorf("sidecar liveness probe %+v", p)
	}
	svc := Typed[corev1.Service](t, Find(objs, "Service", ""))
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "http-webhook" && p.Port == 9090 }) {
		t.Errorf("Service ports %+v lack http-webhook 9090", svc.Spec.Ports)
	}
	sm := Find(objs, "ServiceMonitor", "")
	if sm == nil {
		t.Fatal("no ServiceMonitor rendered")
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 2 {
		t.Fatalf("ServiceMonitor endpoints %v, want zonekeeper's and the sidecar's", endpoints)
	}
	want := map[string]any{
		"port": "http-webhook", "path": "/metrics", "interval": "30s", "scrapeTimeout": "5s", "scheme": "https",
		"bearerTokenFile": "/var/run/secrets/token", "tlsConfig": map[string]any{"insecureSkipVerify": true},
		"metricRelabelings": []any{map[string]any{"action": "drop", "sourceLabels": []any{"__name__"}, "regex": "go_.*"}},
		"relabelings":       []any{map[string]any{"action": "replace", "targetLabel": "sidecar", "replacement": "webhook"}},
	}
	if got := endpoints[1]; !reflect.DeepEqual(got, want) {
		t.Errorf("sidecar's ServiceMonitor endpoint:\n got  %v\n want %v", got, want)
	}
}
