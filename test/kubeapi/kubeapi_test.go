package kubeapi

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestCluster proves the harness against the real servers, in the order a
// test's life takes: objects a DNS synchronizer reads, RBAC deny and grant,
// an apiserver outage, and a teardown that leaves no process behind.
func TestCluster(t *testing.T) {
	c := StartT(t)
	ctx := t.Context()

	version, err := c.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if version.GitVersion != "v1.37.2" {
		t.Errorf("server version %q, want v1.37.2 (build.sh's version stamp)", version.GitVersion)
	}

	ns := c.Namespace(t)
	if !strings.HasPrefix(ns, "testcluster-") {
		t.Errorf("namespace %q does not carry the test's name", ns)
	}

	t.Run("objects", func(t *testing.T) { createObjects(t, c, ns) })
	t.Run("kubeconfig", func(t *testing.T) {
		cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		client := kubernetes.NewForConfigOrDie(cfg)
		if _, err := client.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{}); err != nil {
			t.Fatalf("admin kubeconfig: %v", err)
		}
	})
	t.Run("rbac", func(t *testing.T) { rbacDenyThenAllow(t, c, ns) })

	t.Run("apiserver outage", func(t *testing.T) {
		before := c.apiserver.pid()
		if err := c.StopAPIServer(); err != nil {
			t.Fatal(err)
		}
		if alive(before) {
			t.Errorf("kube-apiserver pid %d still alive after StopAPIServer", before)
		}
		if _, err := c.Client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{}); err == nil {
			t.Fatal("List succeeded with the apiserver stopped")
		}
		if err := c.StopAPIServer(); err == nil {
			t.Error("second StopAPIServer: want an error, got nil")
		}
		if err := c.StartAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.StartAPIServer(ctx); err == nil {
			t.Error("StartAPIServer while running: want an error, got nil")
		}
		svc, err := c.Client.CoreV1().Services(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("after restart: %v", err)
		}
		if got := svc.Status.LoadBalancer.Ingress; len(got) != 1 || got[0].IP != "192.0.2.10" {
			t.Errorf("after restart: load balancer status %+v, want the one written before", got)
		}
	})

	pids := []int{c.etcd.pid(), c.apiserver.pid()}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still alive after Stop", pid)
		}
	}
	if _, err := os.Stat(c.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s not removed: %v", c.Dir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := c.StartAPIServer(ctx); err == nil {
		t.Error("StartAPIServer after Stop: want an error, got nil")
	}
}

// createObjects writes every kind a DNS synchronizer reads, including the
// status that only controllers would set in a full cluster.
func createObjects(t *testing.T, c *Cluster, ns string) {
	ctx := t.Context()
	core := c.Client.CoreV1()

	svc, err := core.Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: map[string]string{
			"external-dns.alpha.kubernetes.io/hostname": "web.example.com",
		}},
		Spec: corev1.ServiceSpec{
			Type:  corev1.ServiceTypeLoadBalancer,
			Ports: []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.10"}}
	if _, err := core.Services(ns).UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	ing, err := c.Client.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "www.example.com"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{Hostname: "lb.example.net"}}
	if _, err := c.Client.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	ready := true
	if _, err := c.Client.DiscoveryV1().EndpointSlices(ns).Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "web-1", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.0.0.5"},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	node, err := core.Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: ns + "-node"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeExternalIP, Address: "203.0.113.7"}}
	if _, err := core.Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// Read back: the status writes went through the status subresources.
	gotSvc, err := core.Services(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := gotSvc.Status.LoadBalancer.Ingress; len(got) != 1 || got[0].IP != "192.0.2.10" {
		t.Errorf("service load balancer status %+v", got)
	}
	gotIng, err := c.Client.NetworkingV1().Ingresses(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := gotIng.Status.LoadBalancer.Ingress; len(got) != 1 || got[0].Hostname != "lb.example.net" {
		t.Errorf("ingress load balancer status %+v", got)
	}
	gotNode, err := core.Nodes().Get(ctx, node.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := gotNode.Status.Addresses; len(got) != 1 || got[0].Address != "203.0.113.7" {
		t.Errorf("node addresses %+v", got)
	}
}

// rbacDenyThenAllow checks that a user certificate from UserConfig starts
// without permissions and gains them through a binding to its group.
func rbacDenyThenAllow(t *testing.T, c *Cluster, ns string) {
	ctx := t.Context()
	cfg, err := c.UserConfig("alice", "zonekeeper-e2e-readers")
	if err != nil {
		t.Fatal(err)
	}
	alice := kubernetes.NewForConfigOrDie(cfg)
	_, err = alice.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("list services without a binding: want Forbidden, got %v", err)
	}

	rbac := c.Client.RbacV1()
	if _, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-reader"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list", "watch"},
		}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ns + "-reader"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "zonekeeper-e2e-readers"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The authorizer learns of the binding through a watch, so the grant
	// becomes visible shortly after the create returns, not with it.
	var lastErr error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, lastErr = alice.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		return lastErr == nil, nil
	})
	if err != nil {
		t.Fatalf("list services after binding the group: %v (last: %v)", err, lastErr)
	}
	if _, err := alice.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list configmaps, which the role does not grant: want Forbidden, got %v", err)
	}
}

// BenchmarkStart measures a cluster's start-up: build.sh with warm binaries,
// certificates, etcd, and kube-apiserver until /readyz. Stop is not timed.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		c, err := Start(b.Context(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := c.Stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// alive reports whether pid names a live process. A reaped child's pid is
// free again; it could in principle be reused within the test's lifetime,
// which would show up as a false failure, never as a false pass.
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func TestNamespacePrefix(t *testing.T) {
	tests := []struct {
		name, testName, want string
	}{
		{"plain", "TestSync", "testsync-"},
		{"subtest separators fold", "TestSync/service_with__two", "testsync-service-with-two-"},
		{"leading and trailing junk", "/_Test_/", "test-"},
		{"only junk", "///", "test-"},
		{"digits kept", "Test42", "test42-"},
		{"non-ascii folds", "TestÜber", "test-ber-"},
		{"cut to the limit", strings.Repeat("a", 100), strings.Repeat("a", maxNamespacePrefix-1) + "-"},
		{"cut does not end in two hyphens", strings.Repeat("a", maxNamespacePrefix-2) + "/b", strings.Repeat("a", maxNamespacePrefix-2) + "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := namespacePrefix(tt.testName)
			if got != tt.want {
				t.Errorf("namespacePrefix(%q) = %q, want %q", tt.testName, got, tt.want)
			}
			if len(got) > maxNamespacePrefix {
				t.Errorf("namespacePrefix(%q) = %q: longer than %d", tt.testName, got, maxNamespacePrefix)
			}
		})
	}
}

func TestClientCert(t *testing.T) {
	now := time.Now()
	ca, err := newCA(now)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)

	tests := []struct {
		name    string
		user    string
		groups  []string
		wantErr bool
	}{
		{name: "user without groups", user: "alice"},
		{name: "user with groups", user: "bob", groups: []string{"system:masters", "readers"}},
		{name: "empty user", user: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp, err := clientCert(now, ca, tt.user, tt.groups)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error, got nil")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// DER sorts the organizations as a SET; groups are a set to kube-apiserver too.
			gotGroups := slices.Sorted(slices.Values(kp.cert.Subject.Organization))
			wantGroups := slices.Sorted(slices.Values(tt.groups))
			if kp.cert.Subject.CommonName != tt.user || !slices.Equal(gotGroups, wantGroups) {
				t.Errorf("subject %v, want CN=%s O=%v", kp.cert.Subject, tt.user, tt.groups)
			}
			if _, err := kp.cert.Verify(x509.VerifyOptions{
				Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, CurrentTime: now,
			}); err != nil {
				t.Errorf("does not verify as a client certificate under the CA: %v", err)
			}
		})
	}
}

func TestServingCert(t *testing.T) {
	now := time.Now()
	ca, err := newCA(now)
	if err != nil {
		t.Fatal(err)
	}
	serving, err := servingCert(now, ca)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := serving.cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: host, CurrentTime: now}); err != nil {
			t.Errorf("serving certificate for %s: %v", host, err)
		}
	}
	if _, err := serving.cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "example.com", CurrentTime: now}); err == nil {
		t.Error("serving certificate verifies for example.com")
	}
}

func TestReadTail(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		n             int64
		want          string
	}{
		{"short file whole", "a\nb\n", 100, "a\nb"},
		{"cut starts at a line", "first line\nsecond\nthird\n", 10, "third"},
		{"empty", "", 10, ""},
		{"one long line cut mid-line", "abcdefghij", 4, "ghij"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i)))
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := readTail(path, tt.n); got != tt.want {
				t.Errorf("readTail(%q, %d) = %q, want %q", tt.content, tt.n, got, tt.want)
			}
		})
	}
	if got := readTail(filepath.Join(dir, "missing"), 10); !strings.Contains(got, "no such file") {
		t.Errorf("readTail of a missing file = %q, want the open error", got)
	}
}

func TestStartWithoutBinaries(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(t.Context(), Options{BinDir: dir})
	if err == nil || !strings.Contains(err.Error(), "server binary missing") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Start with an empty BinDir folder: want an error naming the missing binary, got %v", err)
	}
}
