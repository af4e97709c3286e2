package helm

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

// externalDNSFiles are values files written for external-dns's chart (its
// documented keys, nothing of zonekeeper's), in testdata/externaldns.
var externalDNSFiles = []string{"aws.yaml", "rfc2136.yaml", "secretconfiguration.yaml"}

func externalDNSArgs(file string) []string {
	return []string{"-f", filepath.Join("testdata", "externaldns", file)}
}

// externalDNSCase is what one external-dns values file must render: the
// arguments external-dns's chart would give external-dns, as zonekeeper spells
// them, and the pod around them.
type externalDNSCase struct {
	file string
	// args must appear in the container's args in this order (others may sit
	// between them: the chart's own defaults).
	args []string
	// absent are argument prefixes that must not appear.
	absent []string
	check  func(t *testing.T, objs []*unstructured.Unstructured, dep *appsv1.Deployment, c corev1.Container)
}

var externalDNSCases = []externalDNSCase{
	{
		file: "aws.yaml",
		args: []string{
			"--source=service", "--source=ingress", "--provider=route53", "--registry=txt", "--txt-owner-id=cluster-a",
			"--txt-prefix=edns-", "--policy=sync", "--domain-filter=example.com", "--domain-filter=example.org",
			"--exclude-domains=internal.example.com", "--managed-record-types=A,AAAA,CNAME,TXT",
			"--label-filter=team=dns", "--annotation-filter=kubernetes.io/ingress.class in (nginx)",
			"--interval=2m", "--log-level=warning", "--log-format=json",
			// extraArgs as a map, keys in order: false is =false, true the flag
			// alone, a list repeats the flag.
			"--aws-evaluate-target-health=false", "--aws-prefer-cname", "--aws-zone-tags=env=prod",
			"--aws-zone-tags=team=dns", "--aws-zone-type=public",
		},
		// triggerLoopOnEvent true is the daemon's default.
		absent: []string{"--events", "--namespace="},
		check: func(t *testing.T, objs []*unstructured.Unstructured, dep *appsv1.Deployment, c corev1.Container) {
			spec := dep.Spec.Template.Spec
			if dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
				t.Errorf("strategy %q, want Recreate", dep.Spec.Strategy.Type)
			}
			if spec.PriorityClassName != "system-cluster-critical" {
				t.Errorf("priorityClassName %q", spec.PriorityClassName)
			}
			if spec.ServiceAccountName != "external-dns" {
				t.Errorf("serviceAccountName %q, want external-dns", spec.ServiceAccountName)
			}
			sa := Typed[corev1.ServiceAccount](t, Find(objs, "ServiceAccount", "external-dns"))
			if sa.Annotations["eks.amazonaws.com/role-arn"] != "arn:aws:iam::123456789012:role/external-dns" {
				t.Errorf("ServiceAccount annotations %v lack the IRSA role", sa.Annotations)
			}
			if !reflect.DeepEqual(spec.NodeSelector, map[string]string{"kubernetes.io/os": "linux"}) {
				t.Errorf("nodeSelector %v", spec.NodeSelector)
			}
			if len(spec.Tolerations) != 1 || spec.Tolerations[0].Key != "CriticalAddonsOnly" || spec.Tolerations[0].Operator != corev1.TolerationOpExists {
				t.Errorf("tolerations %+v", spec.Tolerations)
			}
			anti := spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution
			if len(anti) != 1 || anti[0].Weight != 100 || anti[0].PodAffinityTerm.TopologyKey != "kubernetes.io/hostname" {
				t.Fatalf("podAntiAffinity %+v", anti)
			}
			// external-dns's chart gives a term without a labelSelector the pod's own.
			sel := anti[0].PodAffinityTerm.LabelSelector
			if sel == nil || !reflect.DeepEqual(sel.MatchLabels, dep.Spec.Selector.MatchLabels) {
				t.Errorf("podAntiAffinity labelSelector %+v, want the pod's %v", sel, dep.Spec.Selector.MatchLabels)
			}
			want := corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
			}
			if !reflect.DeepEqual(c.Resources, want) {
				t.Errorf("resources %+v, want %+v", c.Resources, want)
			}
			psc := spec.SecurityContext
			if psc == nil || !is(psc.FSGroup, 65534) || !isTrue(psc.RunAsNonRoot) || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("podSecurityContext %+v, want external-dns's fsGroup 65534, runAsNonRoot, RuntimeDefault", psc)
			}
			sc := c.SecurityContext
			if sc == nil || !isTrue(sc.ReadOnlyRootFilesystem) || !is(sc.RunAsUser, nonRoot) || !is(sc.RunAsGroup, nonRoot) ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
				t.Errorf("securityContext %+v, want external-dns's", sc)
			}
			if !hasEnv(c, "AWS_DEFAULT_REGION", "eu-west-1") {
				t.Errorf("env %+v lacks AWS_DEFAULT_REGION", c.Env)
			}
			role := Typed[rbacv1.ClusterRole](t, Find(objs, "ClusterRole", ""))
			if !slices.ContainsFunc(role.Rules, func(r rbacv1.PolicyRule) bool {
				return slices.Equal(r.Resources, []string{"namespaces"}) && slices.Equal(r.Verbs, []string{"get", "list", "watch"})
			}) {
				t.Errorf("ClusterRole rules %+v lack rbac.additionalPermissions", role.Rules)
			}
			sm := Find(objs, "ServiceMonitor", "")
			if sm == nil {
				t.Fatal("no ServiceMonitor")
			}
			if sm.GetLabels()["release"] != "prometheus" || sm.GetAnnotations()["example.com/owner"] != "dns" {
				t.Errorf("ServiceMonitor labels %v annotations %v, want additionalLabels and annotations", sm.GetLabels(), sm.GetAnnotations())
			}
			endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
			ep, _ := endpoints[0].(map[string]any)
			if ep["interval"] != "30s" || ep["scrapeTimeout"] != "5s" || ep["scheme"] != "http" || ep["relabelings"] == nil {
				t.Errorf("ServiceMonitor endpoint %v, want interval 30s, scrapeTimeout 5s, scheme http, relabelings", ep)
			}
			if got, _, _ := unstructured.NestedStringSlice(sm.Object, "spec", "targetLabels"); !slices.Equal(got, []string{"app.kubernetes.io/instance"}) {
				t.Errorf("ServiceMonitor targetLabels %v", got)
			}
		},
	},
	{
		file: "rfc2136.yaml",
		args: []string{
			"--source=service", "--source=ingress", "--namespace=" + namespace, "--provider=rfc2136", "--registry=txt",
			"--txt-owner-id=k8s", "--txt-suffix=-owner", "--policy=upsert-only", "--domain-filter=k8s.example.org",
			"--interval=30s", "--events=false", "--log-level=debug", "--log-format=text",
			"--rfc2136-host=192.0.2.53", "--rfc2136-port=53", "--rfc2136-zone=k8s.example.org",
			"--rfc2136-tsig-keyname=externaldns-key", "--rfc2136-tsig-secret-alg=hmac-sha256", "--rfc2136-tsig-axfr",
		},
		// Configured through extraArgs and env, as external-dns's tutorial does:
		// none of the chart's own rfc2136 flags, which would point at a TSIG
		// file nobody mounted.
		absent: []string{"--rfc2136-tsig-secret-file", "--rfc2136-batch-change-size", "--rfc2136-insecure"},
		check: func(t *testing.T, objs []*unstructured.Unstructured, dep *appsv1.Deployment, c corev1.Container) {
			if len(c.VolumeMounts) != 0 || len(dep.Spec.Template.Spec.Volumes) != 0 {
				t.Errorf("mounts %+v volumes %+v, want none", c.VolumeMounts, dep.Spec.Template.Spec.Volumes)
			}
			if !hasEnvFrom(c, "EXTERNAL_DNS_RFC2136_TSIG_SECRET", "rfc2136-keys", "rfc2136-tsig-secret") {
				t.Errorf("env %+v lacks the TSIG secret from Secret rfc2136-keys", c.Env)
			}
			if dep.Spec.Template.Spec.ServiceAccountName != "dns-sync" || Find(objs, "ServiceAccount", "") != nil {
				t.Errorf("serviceAccount.create false with name dns-sync: pod uses %q", dep.Spec.Template.Spec.ServiceAccountName)
			}
			if Find(objs, "ClusterRole", "") != nil || Find(objs, "Role", "") == nil {
				t.Error("namespaced: want a Role and no ClusterRole")
			}
		},
	},
	{
		file: "secretconfiguration.yaml",
		args: []string{
			"--source=service", "--provider=route53", "--txt-owner-id=cluster-b", "--policy=sync",
			"--aws-batch-change-size=500", "--aws-zone-type=private", "--dry-run",
		},
		check: func(t *testing.T, objs []*unstructured.Unstructured, dep *appsv1.Deployment, c corev1.Container) {
			secret := Typed[corev1.Secret](t, Find(objs, "Secret", ""))
			// Typed has decoded data's base64 once: the plain text shows the chart
			// encoded it once, after tpl.
			if want := "aws_secret_access_key = " + namespace + "-example"; !strings.Contains(string(secret.Data["credentials"]), want) {
				t.Errorf("Secret data %q, want the templated %q", secret.Data["credentials"], want)
			}
			mount := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/.aws" })
			if mount < 0 || !c.VolumeMounts[mount].ReadOnly {
				t.Fatalf("mounts %+v, want the Secret read-only at /.aws", c.VolumeMounts)
			}
			vol := slices.IndexFunc(dep.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == c.VolumeMounts[mount].Name })
			if vol < 0 || dep.Spec.Template.Spec.Volumes[vol].Secret == nil || dep.Spec.Template.Spec.Volumes[vol].Secret.SecretName != secret.Name {
				t.Errorf("volumes %+v, want Secret %s", dep.Spec.Template.Spec.Volumes, secret.Name)
			}
			if dep.Spec.Template.Annotations["checksum/secret"] == "" {
				t.Error("no checksum/secret annotation: a changed secretConfiguration would not restart the pods")
			}
			if !hasEnv(c, "AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials") {
				t.Errorf("env %+v", c.Env)
			}
		},
	},
}

// TestExternalDNSValues lints and renders each external-dns values file and
// checks the Deployment says what external-dns's chart would have told
// external-dns.
func TestExternalDNSValues(t *testing.T) {
	for _, tc := range externalDNSCases {
		t.Run(tc.file, func(t *testing.T) {
			if out, err := Run(t, append([]string{"lint", "--strict", ChartDir(), "--namespace", namespace}, externalDNSArgs(tc.file)...)...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			objs := Template(t, release, namespace, externalDNSArgs(tc.file)...)
			dep := deployment(t, objs)
			c := container(t, dep)
			if len(c.Args) == 0 || c.Args[0] != "run" {
				t.Errorf("args %v do not start with run", c.Args)
			}
			if err := inOrder(c.Args, tc.args); err != "" {
				t.Errorf("%s\nargs: %q", err, c.Args)
			}
			for _, a := range c.Args {
				for _, p := range tc.absent {
					if strings.HasPrefix(a, p) {
						t.Errorf("arg %q present; want no %s…", a, p)
					}
				}
			}
			checkNoSecretInContainer(t, c)
			tc.check(t, objs, dep, c)
		})
	}
}

// inOrder reports the first of want not found in args after the previous one,
// or "".
func inOrder(args, want []string) string {
	at := 0
	for _, w := range want {
		i := slices.Index(args[at:], w)
		if i < 0 {
			if slices.Contains(args, w) {
				return "arg " + w + " out of order"
			}
			return "no arg " + w
		}
		at += i + 1
	}
	return ""
}

func hasEnv(c corev1.Container, name, value string) bool {
	return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name && e.Value == value })
}

func hasEnvFrom(c corev1.Container, name, secret, key string) bool {
	return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
			e.ValueFrom.SecretKeyRef.Name == secret && e.ValueFrom.SecretKeyRef.Key == key
	})
}

// TestExternalDNSValuesRefused checks that external-dns values zonekeeper has no
// equivalent for stop helm with a message saying what to use.
func TestExternalDNSValuesRefused(t *testing.T) {
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"dynamodb registry", []string{"registry=dynamodb"}, "registry dynamodb (external-dns's) is not in zonekeeper: use registry txt"},
		{"webhook as a bare name", []string{"provider=webhook"}, "at '/provider'"},
		{"secretConfiguration without a path", []string{"secretConfiguration.enabled=true", "secretConfiguration.data.k=v"}, "secretConfiguration.enabled needs secretConfiguration.mountPath"},
		{"secret in an extraArgs map", []string{"provider=rfc2136", "extraArgs.rfc2136-tsig-secret=c2VjcmV0"}, `"--rfc2136-tsig-secret" passes a secret on the command line`},
		{"bad extraArgs key", []string{"extraArgs.--log-level=debug"}, "invalid propertyName '--log-level'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantRefused(t, tt.set, tt.want) })
	}
}

// TestInstallExternalDNSValues creates what each external-dns values file renders
// on a real kube-apiserver with strict field validation: every object, the
// Secret, strategy and affinity included, must be accepted as rendered.
func TestInstallExternalDNSValues(t *testing.T) {
	c := kubeapi.StartT(t)
	for _, file := range externalDNSFiles {
		t.Run(file, func(t *testing.T) {
			ns := c.Namespace(t)
			// No ServiceMonitor: this API server has no Prometheus Operator CRDs.
			objs := Template(t, ns, ns, append(externalDNSArgs(file), "--set", "serviceMonitor.enabled=false")...)
			Create(t, c.Config, objs)
			rendered := deployment(t, objs)
			got, err := c.Client.AppsV1().Deployments(ns).Get(t.Context(), rendered.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want, have := container(t, rendered), container(t, got)
			if !slices.Equal(have.Args, want.Args) || len(have.Env) != len(want.Env) || len(have.VolumeMounts) != len(want.VolumeMounts) {
				t.Errorf("stored container differs from the rendered one:\n stored   %+v\n rendered %+v", have, want)
			}
			if rendered.Spec.Strategy.Type != "" && got.Spec.Strategy.Type != rendered.Spec.Strategy.Type {
				t.Errorf("stored strategy %q, rendered %q", got.Spec.Strategy.Type, rendered.Spec.Strategy.Type)
			}
		})
	}
}

// TestExternalDNSSmallValues checks external-dns chart values small enough for
// --set: providers configured through extraArgs and env alone, and the default
// labelSelector of topologySpreadConstraints.
func TestExternalDNSSmallValues(t *testing.T) {
	tests := []struct {
		name   string
		set    []string
		args   []string
		absent []string
		check  func(t *testing.T, dep *appsv1.Deployment, c corev1.Container)
	}{
		{
			name: "inmemory through extraArgs",
			set:  []string{"provider=inmemory", "extraArgs={--inmemory-zone=example.com}"},
			args: []string{"--provider=inmemory", "--inmemory-zone=example.com"},
		},
		{
			name: "cloudflare through env",
			set: []string{"provider.name=cloudflare", "env[0].name=CF_API_TOKEN", "env[0].valueFrom.secretKeyRef.name=cf",
				"env[0].valueFrom.secretKeyRef.key=token", "extraArgs.cloudflare-proxied=true"},
			args:   []string{"--provider=cloudflare", "--cloudflare-proxied"},
			absent: []string{"--cloudflare-proxied=false", "--cloudflare-dns-records-per-page", "--batch-change-size"},
			check: func(t *testing.T, dep *appsv1.Deployment, c corev1.Container) {
				if len(c.VolumeMounts) != 0 || slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return strings.HasPrefix(e.Value, "file:") }) {
					t.Errorf("the chart's own token mount or file: variable rendered beside env's: mounts %+v env %+v", c.VolumeMounts, c.Env)
				}
				if !hasEnvFrom(c, "CF_API_TOKEN", "cf", "token") {
					t.Errorf("env %+v lacks CF_API_TOKEN from Secret cf", c.Env)
				}
			},
		},
		{
			name: "topologySpreadConstraints without labelSelector",
			set: []string{"topologySpreadConstraints[0].maxSkew=1", "topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone",
				"topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway"},
			check: func(t *testing.T, dep *appsv1.Deployment, c corev1.Container) {
				tsc := dep.Spec.Template.Spec.TopologySpreadConstraints
				if len(tsc) != 1 || tsc[0].LabelSelector == nil || !reflect.DeepEqual(tsc[0].LabelSelector.MatchLabels, dep.Spec.Selector.MatchLabels) {
					t.Errorf("topologySpreadConstraints %+v, want the pod's selector labels", tsc)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var extra []string
			for _, s := range tt.set {
				extra = append(extra, "--set", s)
			}
			dep := deployment(t, Template(t, release, namespace, extra...))
			c := container(t, dep)
			if err := inOrder(c.Args, tt.args); err != "" {
				t.Errorf("%s\nargs: %q", err, c.Args)
			}
			for _, a := range c.Args {
				for _, p := range tt.absent {
					if strings.HasPrefix(a, p) {
						t.Errorf("arg %q present; want no %s…", a, p)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, dep, c)
			}
		})
	}
}
