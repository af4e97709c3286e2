package helm

import (
	"cmp"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	release   = "zk"
	namespace = "dns"
	// nonRoot is the user and group the image and the chart run as.
	nonRoot = 65532
)

// valuesFiles are the chart's values files helm lint and ct run against; "" is the
// defaults alone.
var valuesFiles = []string{"", "ci/route53-values.yaml", "ci/cloudflare-values.yaml", "ci/rfc2136-values.yaml", "ci/inmemory-values.yaml", "ci/webhook-values.yaml", "ci/webhook-zonekeeper-values.yaml"}

func valuesArgs(file string) []string {
	if file == "" {
		return nil
	}
	return []string{"-f", filepath.Join(ChartDir(), file)}
}

func TestLint(t *testing.T) {
	for _, file := range valuesFiles {
		t.Run(name(file), func(t *testing.T) {
			if out, err := Run(t, append([]string{"lint", "--strict", ChartDir(), "--namespace", namespace}, valuesArgs(file)...)...); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}

func name(file string) string {
	if file == "" {
		return "defaults"
	}
	return strings.TrimSuffix(filepath.Base(file), "-values.yaml")
}

// TestHardening checks, for every values file, the pod's security settings and
// every container's (the webhook sidecar's too, with what it inherits from the
// pod), that the token is mounted only into zonekeeper's pod, the probes, and the
// objects every release has.
func TestHardening(t *testing.T) {
	for _, file := range valuesFiles {
		t.Run(name(file), func(t *testing.T) {
			objs := Template(t, release, namespace, valuesArgs(file)...)
			for _, kind := range []string{"Deployment", "ServiceAccount", "Service", "PodDisruptionBudget"} {
				if Find(objs, kind, "") == nil {
					t.Errorf("no %s rendered", kind)
				}
			}
			dep := deployment(t, objs)
			pod := dep.Spec.Template.Spec
			psc := pod.SecurityContext
			if psc == nil || !isTrue(psc.RunAsNonRoot) || !is(psc.RunAsUser, nonRoot) || !is(psc.RunAsGroup, nonRoot) ||
				psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("pod securityContext = %+v, want non-root %d with seccomp RuntimeDefault", psc, nonRoot)
			}
			for _, c := range pod.Containers {
				sc := c.SecurityContext
				if sc == nil || !isTrue(sc.ReadOnlyRootFilesystem) || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
					!isTrue(cmp.Or(sc.RunAsNonRoot, psc.RunAsNonRoot)) || !is(cmp.Or(sc.RunAsUser, psc.RunAsUser), nonRoot) || sc.Capabilities == nil ||
					!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 ||
					sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("container %s securityContext = %+v, want read-only root, no escalation, all capabilities dropped, RuntimeDefault", c.Name, sc)
				}
			}
			c := container(t, dep)
			sa := Typed[corev1.ServiceAccount](t, Find(objs, "ServiceAccount", ""))
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Error("the ServiceAccount mounts its token into every pod using it; want automountServiceAccountToken: false")
			}
			if !isTrue(pod.AutomountServiceAccountToken) {
				t.Error("zonekeeper's pod does not mount the token it needs to read the API")
			}
			if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
				t.Errorf("liveness probe = %+v, want GET /healthz", c.LivenessProbe)
			}
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
				t.Errorf("readiness probe = %+v, want GET /readyz", c.ReadinessProbe)
			}
			if !slices.Contains(c.Args, "--metrics-address=:7979") {
				t.Errorf("args %q lack --metrics-address=:7979", c.Args)
			}
			if *dep.Spec.Replicas > 1 && !slices.Contains(c.Args, "--leader-elect") {
				t.Errorf("%d replicas without --leader-elect: every replica would write", *dep.Spec.Replicas)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	dep := deployment(t, Template(t, release, namespace))
	if *dep.Spec.Replicas != 2 {
		t.Errorf("replicas = %d, want 2", *dep.Spec.Replicas)
	}
	args := container(t, dep).Args
	for _, want := range []string{"run", "--leader-elect", "--leader-elect-lease-name=zk-zonekeeper", "--source=service", "--source=ingress", "--provider=route53", "--policy=upsert-only"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %q lack %s", args, want)
		}
	}
}

// secretEnv are the variables whose value is a secret: they may come only from a
// Secret, or name a file (CF_API_TOKEN=file:…).
var secretEnv = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CF_API_TOKEN", "CF_API_KEY", "EXTERNAL_DNS_TXT_ENCRYPT_AES_KEY", "EXTERNAL_DNS_RFC2136_TSIG_SECRET"}

// secretFlags take a secret value; the chart must never put them on the command line.
var secretFlags = []string{"--rfc2136-tsig-secret=", "--txt-encrypt-aes-key=", "--cloudflare-api-token=", "--aws-secret-access-key="}

// TestCredentials checks where each provider's credentials come from: a mounted
// Secret file or a secretKeyRef, never an argument or a literal value.
func TestCredentials(t *testing.T) {
	tests := []struct {
		file string
		// mount is the Secret mounted for the provider, "" for none.
		mount, mountPath string
		// env maps variables to their literal value, or to "secret:<name>/<key>".
		env  map[string]string
		args []string
	}{
		{file: "", env: map[string]string{}},
		{
			file: "ci/route53-values.yaml", mount: "route53-credentials", mountPath: "/etc/zonekeeper/aws",
			env: map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "/etc/zonekeeper/aws/credentials", "AWS_REGION": "eu-west-1"},
		},
		{
			file: "ci/cloudflare-values.yaml", mount: "cloudflare-api-token", mountPath: "/etc/zonekeeper/cloudflare",
			env: map[string]string{"CF_API_TOKEN": "file:/etc/zonekeeper/cloudflare/apiToken"},
		},
		{
			file: "ci/rfc2136-values.yaml", mount: "rfc2136-tsig", mountPath: "/etc/zonekeeper/rfc2136",
			env:  map[string]string{"EXTERNAL_DNS_TXT_ENCRYPT_AES_KEY": "secret:zonekeeper-txt-key/aes-key"},
			args: []string{"--rfc2136-tsig-secret-file=/etc/zonekeeper/rfc2136/tsig-secret", "--txt-encrypt-enabled"},
		},
		{file: "ci/inmemory-values.yaml", env: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(name(tt.file), func(t *testing.T) {
			dep := deployment(t, Template(t, release, namespace, valuesArgs(tt.file)...))
			c := container(t, dep)
			for _, arg := range c.Args {
				for _, f := range secretFlags {
					if strings.HasPrefix(arg, f) {
						t.Errorf("secret on the command line: %s", arg)
					}
				}
			}
			for _, want := range tt.args {
				if !slices.Contains(c.Args, want) {
					t.Errorf("args %q lack %s", c.Args, want)
				}
			}
			got := map[string]string{}
			for _, e := range c.Env {
				switch {
				case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
					got[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
				case e.ValueFrom == nil:
					got[e.Name] = e.Value
					if slices.Contains(secretEnv, e.Name) && !strings.HasPrefix(e.Value, "file:") {
						t.Errorf("env %s holds a literal secret", e.Name)
					}
				}
			}
			for k, v := range tt.env {
				if got[k] != v {
					t.Errorf("env %s = %q, want %q", k, got[k], v)
				}
			}
			vols := dep.Spec.Template.Spec.Volumes
			if tt.mount == "" {
				if len(vols) != 0 || len(c.VolumeMounts) != 0 {
					t.Errorf("volumes %+v mounted, want none", vols)
				}
				return
			}
			if len(vols) != 1 || vols[0].Secret == nil || vols[0].Secret.SecretName != tt.mount {
				t.Fatalf("volumes = %+v, want Secret %s", vols, tt.mount)
			}
			if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != tt.mountPath || !c.VolumeMounts[0].ReadOnly {
				t.Errorf("volume mounts = %+v, want %s read-only", c.VolumeMounts, tt.mountPath)
			}
		})
	}
}

// rule is a policy rule flattened to one resource, for comparing rule sets
// regardless of how they are grouped.
type rule struct{ group, resource, verbs string }

func flatten(rules []rbacv1.PolicyRule) []rule {
	var out []rule
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				out = append(out, rule{g, res, strings.Join(slices.Sorted(slices.Values(r.Verbs)), ",")})
			}
		}
	}
	slices.SortFunc(out, func(a, b rule) int { return strings.Compare(a.group+"/"+a.resource, b.group+"/"+b.resource) })
	return out
}

const read = "get,list,watch"

var (
	events         = rule{"events.k8s.io", "events", "create,patch"}
	services       = rule{"", "services", read}
	pods           = rule{"", "pods", read}
	nodes          = rule{"", "nodes", read}
	endpointSlices = rule{"discovery.k8s.io", "endpointslices", read}
	ingresses      = rule{"networking.k8s.io", "ingresses", read}
	leases         = rule{"coordination.k8s.io", "leases", "create,get,update"}
)

// TestRBAC checks that the rules grant exactly what the configured sources read,
// cluster-wide or in the release namespace only, and Leases only in the release
// namespace and only with leader election.
func TestRBAC(t *testing.T) {
	tests := []struct {
		name string
		set  []string
		// kind of the sources' role: ClusterRole or Role.
		kind  string
		rules []rule
		lease bool
	}{
		{"defaults", nil, "ClusterRole", []rule{pods, services, events, endpointSlices, ingresses, nodes}, true},
		{"service only", []string{"sources={service}"}, "ClusterRole", []rule{pods, services, events, endpointSlices, nodes}, true},
		{"ingress only", []string{"sources={ingress}"}, "ClusterRole", []rule{events, ingresses}, true},
		{"namespaced", []string{"namespaced=true"}, "Role", []rule{pods, services, events, endpointSlices, ingresses}, true},
		{"namespaced ingress", []string{"namespaced=true", "sources={ingress}"}, "Role", []rule{events, ingresses}, true},
		{"no leader election", []string{"replicaCount=1", "leaderElection.enabled=false"}, "ClusterRole", []rule{pods, services, events, endpointSlices, ingresses, nodes}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, role := renderRole(t, tt.set, tt.kind, tt.rules)
			if tt.kind == "Role" {
				if role.GetNamespace() != namespace {
					t.Errorf("Role in namespace %q, want %q", role.GetNamespace(), namespace)
				}
				if o := Find(objs, "ClusterRole", ""); o != nil {
					t.Errorf("namespaced release renders ClusterRole %s", o.GetName())
				}
				checkBinding(t, objs, "RoleBinding", role.GetName())
			} else {
				checkBinding(t, objs, "ClusterRoleBinding", role.GetName())
			}
			leaseRole := Find(objs, "Role", "-leader-election")
			if !tt.lease {
				if leaseRole != nil {
					t.Error("Lease Role rendered without leader election")
				}
				return
			}
			if leaseRole == nil {
				t.Fatal("no Lease Role rendered with leader election")
			}
			if leaseRole.GetNamespace() != namespace {
				t.Errorf("Lease Role in namespace %q, want the release namespace %q", leaseRole.GetNamespace(), namespace)
			}
			if got := flatten(Typed[rbacv1.Role](t, leaseRole).Rules); !slices.Equal(got, []rule{leases}) {
				t.Errorf("Lease Role rules = %v, want %v", got, []rule{leases})
			}
			checkBinding(t, objs, "RoleBinding", leaseRole.GetName())
		})
	}
}

func toPolicy(rules []rule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		out = append(out, rbacv1.PolicyRule{APIGroups: []string{r.group}, Resources: []string{r.resource}, Verbs: strings.Split(r.verbs, ",")})
	}
	return out
}

// checkBinding fails the test unless a binding of kind grants role to the chart's
// ServiceAccount.
func checkBinding(t *testing.T, objs []*unstructured.Unstructured, kind, role string) {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() != kind {
			continue
		}
		var ref rbacv1.RoleRef
		var subjects []rbacv1.Subject
		if kind == "RoleBinding" {
			b := Typed[rbacv1.RoleBinding](t, o)
			ref, subjects = b.RoleRef, b.Subjects
		} else {
			b := Typed[rbacv1.ClusterRoleBinding](t, o)
			ref, subjects = b.RoleRef, b.Subjects
		}
		if ref.Name == role && slices.Contains(subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: release + "-zonekeeper", Namespace: namespace}) {
			return
		}
	}
	t.Errorf("no %s grants %s to ServiceAccount %s/%s-zonekeeper", kind, role, namespace, release)
}

// TestRejects checks that bad values stop helm with a message naming the value.
func TestRejects(t *testing.T) {
	tests := []struct {
		name string
		set  []string
		want string
	}{
		{"unknown provider", []string{"provider.name=bind"}, "at '/provider/name': value must be one of 'aws', 'route53', 'cloudflare', 'rfc2136', 'inmemory', 'webhook'"},
		{"negative replicas", []string{"replicaCount=-1"}, "at '/replicaCount': minimum: got -1, want 0"},
		{"bad policy", []string{"policy=delete-all"}, "at '/policy': value must be one of 'sync', 'upsert-only', 'create-only'"},
		{"unknown source", []string{"sources={service,gateway}"}, "at '/sources/1': value must be one of 'service', 'ingress'"},
		{"misspelt key", []string{"domainFilter={example.com}"}, "additional properties 'domainFilter' not allowed"},
		{"bad interval", []string{"interval=soon"}, "at '/interval'"},
		{"replicas without leader election", []string{"leaderElection.enabled=false"}, "replicaCount above 1 needs leaderElection.enabled: true"},
		{"cloudflare without Secret", []string{"provider.name=cloudflare"}, "provider cloudflare needs cloudflare.credentials.secretName"},
		{"rfc2136 without TSIG", []string{"provider.name=rfc2136", "rfc2136.host={ns1}", "rfc2136.zones={example.com}"}, "provider rfc2136 needs rfc2136.tsigKeyname and rfc2136.tsigSecret.secretName"},
		{"prefix and suffix", []string{"txtPrefix=a-", "txtSuffix=-b"}, "txtPrefix and txtSuffix exclude each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantRefused(t, tt.set, tt.want) })
	}
}

func deployment(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	o := Find(objs, "Deployment", "")
	if o == nil {
		t.Fatal("no Deployment rendered")
	}
	return Typed[appsv1.Deployment](t, o)
}

// container returns the zonekeeper container of dep, failing the test if there is
// none.
func container(t *testing.T, dep *appsv1.Deployment) corev1.Container {
	t.Helper()
	return named(t, dep, "zonekeeper")
}

// named returns dep's container called name, failing the test if there is none.
func named(t *testing.T, dep *appsv1.Deployment, name string) corev1.Container {
	t.Helper()
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s in %d containers", name, len(dep.Spec.Template.Spec.Containers))
	return corev1.Container{}
}

func isTrue(b *bool) bool { return b != nil && *b }

func is(n *int64, want int64) bool { return n != nil && *n == want }

// wantRefused fails t unless helm refuses to render the chart with the --set values
// set, with an error that says want.
func wantRefused(t *testing.T, set []string, want string) {
	t.Helper()
	args := []string{"template", release, ChartDir(), "--namespace", namespace}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	_, err := Run(t, args...)
	if err == nil {
		t.Fatalf("helm template accepted %v", set)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error does not say %q:\n%v", want, err)
	}
}

// renderRole renders the chart with the --set values set, and checks that its kind
// (Role or ClusterRole) named after the release grants exactly want. It returns the
// rendered objects and that role.
func renderRole(t *testing.T, set []string, kind string, want []rule) ([]*unstructured.Unstructured, *unstructured.Unstructured) {
	t.Helper()
	var args []string
	for _, s := range set {
		args = append(args, "--set", s)
	}
	objs := Template(t, release, namespace, args...)
	role := Find(objs, kind, release+"-zonekeeper")
	if role == nil {
		t.Fatalf("no %s %s-zonekeeper rendered", kind, release)
	}
	var rules []rbacv1.PolicyRule
	if kind == "Role" {
		rules = Typed[rbacv1.Role](t, role).Rules
	} else {
		rules = Typed[rbacv1.ClusterRole](t, role).Rules
	}
	if got, want := flatten(rules), flatten(toPolicy(want)); !slices.Equal(got, want) {
		t.Errorf("rules:\n got  %v\n want %v", got, want)
	}
	return objs, role
}
