// Package kubeapi runs a real Kubernetes control plane for end-to-end tests:
// one etcd and one kube-apiserver on loopback, with their own certificate
// authority, RBAC authorization and nothing else — no controller-manager,
// scheduler or kubelet.
//
// What that leaves out matters to tests: a deleted namespace stays
// Terminating forever (use Cluster.Namespace for a fresh one per test),
// EndpointSlices are not generated from Services, Service and Ingress status
// is only what a test writes through UpdateStatus, and namespaces get no
// default ServiceAccount — the ServiceAccount admission plugin is disabled so
// that Pods can still be created without one.
//
// The servers are built from the nested module in test/e2e/kube by its
// build.sh, which caches them by version (see the README).
package kubeapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The environment variables that fill in an empty Options field, so that
// StartT callers and CI can redirect binaries and logs without code changes.
const (
	EnvBinDir = "ZONEKEEPER_E2E_BIN_DIR"
	EnvLogDir = "ZONEKEEPER_E2E_LOG_DIR"
)

// readyTimeout bounds each wait for a server to become ready. kube-apiserver
// is ready in about 2.5 s on an idle machine; the margin is for a machine
// shared with other builds, not for a server that will never come up.
const readyTimeout = 2 * time.Minute

// Options configures Start. The zero value is ready to use.
type Options struct {
	// BinDir is the folder holding the kube-apiserver and etcd executables.
	// Empty means $ZONEKEEPER_E2E_BIN_DIR, and if that is empty too, the
	// folder printed by test/e2e/kube/build.sh, which is run (and builds on
	// first use, for minutes) to get it.
	BinDir string
	// LogDir, when set, receives a fresh subfolder per cluster with the
	// servers' output, kept after Stop. Empty means $ZONEKEEPER_E2E_LOG_DIR,
	// and if that is empty too, the logs live in Cluster.Dir and go with it.
	LogDir string
}

// Cluster is a running etcd and kube-apiserver started by Start. Its exported
// fields never change after Start returns. Stop, StopAPIServer and
// StartAPIServer are safe for concurrent use and serialise on one lock; the
// clients built from Config are usable from any goroutine while the
// apiserver runs.
type Cluster struct {
	// Dir is the cluster's private directory: certificates, etcd's data and,
	// without a LogDir, the logs. Stop removes it.
	Dir string
	// Kubeconfig is the path of a kubeconfig file for the admin user, for
	// code under test that takes --kubeconfig.
	Kubeconfig string
	// Config authenticates as an admin (group system:masters), which RBAC
	// allows everything. Copy it with rest.CopyConfig before changing it.
	Config *rest.Config
	// Client is a clientset for Config.
	Client kubernetes.Interface

	ca            keyPair
	host          string // kube-apiserver's URL, fixed across restarts
	logDir        string
	apiserverBin  string
	apiserverArgs []string

	mu        sync.Mutex
	etcd      *process
	apiserver *process // nil while stopped by StopAPIServer
	stopped   bool
}

// Start builds (if needed) and starts etcd and then kube-apiserver, waits
// until kube-apiserver's /readyz answers ok, and writes the admin kubeconfig.
// ctx bounds only the start-up; the servers run until Stop. On error nothing
// it started is left running and the error quotes the failing server's log.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	binDir, err := resolveBinDir(ctx, opts.BinDir)
	if err != nil {
		return nil, err
	}
	etcdBin := filepath.Join(binDir, "etcd")
	apiserverBin := filepath.Join(binDir, "kube-apiserver")
	for _, bin := range []string{etcdBin, apiserverBin} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("kubeapi: server binary missing (run test/e2e/kube/build.sh): %w", err)
		}
	}

	dir, err := os.MkdirTemp("", "zonekeeper-kubeapi-")
	if err != nil {
		return nil, fmt.Errorf("kubeapi: cluster directory: %w", err)
	}
	c := &Cluster{Dir: dir, apiserverBin: apiserverBin}
	if err := c.start(ctx, etcdBin, firstNonEmpty(opts.LogDir, os.Getenv(EnvLogDir))); err != nil {
		return nil, errors.Join(err, c.Stop())
	}
	return c, nil
}

// StartT starts a cluster with the zero Options for the test and stops it in
// t.Cleanup. It fails the test, quoting the server's log, if the cluster does
// not come up; it never skips, because the end-to-end tests are meant to run
// on every `make test`.
func StartT(t testing.TB) *Cluster {
	t.Helper()
	c, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func (c *Cluster) start(ctx context.Context, etcdBin, logRoot string) error {
	c.logDir = c.Dir
	if logRoot != "" {
		if err := os.MkdirAll(logRoot, 0o755); err != nil {
			return fmt.Errorf("kubeapi: log directory: %w", err)
		}
		logDir, err := os.MkdirTemp(logRoot, "kubeapi-")
		if err != nil {
			return fmt.Errorf("kubeapi: log directory: %w", err)
		}
		c.logDir = logDir
	}

	now := time.Now()
	ca, err := newCA(now)
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	c.ca = ca
	serving, err := servingCert(now, ca)
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	serviceAccountKey, serviceAccountKeyPEM, err := newKey()
	if err != nil {
		return fmt.Errorf("kubeapi: service account %w", err)
	}
	serviceAccountPubPEM, err := publicKeyPEM(serviceAccountKey)
	if err != nil {
		return fmt.Errorf("kubeapi: service account %w", err)
	}
	pki := filepath.Join(c.Dir, "pki")
	if err := writeFiles(pki, map[string][]byte{
		"ca.crt":        ca.certPEM,
		"apiserver.crt": serving.certPEM,
		"apiserver.key": serving.keyPEM,
		"sa.key":        serviceAccountKeyPEM,
		"sa.pub":        serviceAccountPubPEM,
	}); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}

	ports, err := freePorts(3)
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	etcdPort, peerPort, apiPort := ports[0], ports[1], ports[2]

	dataDir := filepath.Join(c.Dir, "etcd")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		return fmt.Errorf("kubeapi: etcd data directory: %w", err)
	}
	c.etcd, err = startProcess("etcd", etcdBin, etcdArgs(dataDir, etcdPort, peerPort), filepath.Join(c.logDir, "etcd.log"))
	if err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	etcdURL := loopbackURL("http", etcdPort)
	if err := waitWithin(ctx, c.etcd, etcdHealthy(etcdURL)); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}

	c.apiserverArgs = apiserverArgs(pki, etcdURL, apiPort)
	c.host = loopbackURL("https", apiPort)
	admin, err := c.configFor(now, "zonekeeper-e2e-admin", "system:masters")
	if err != nil {
		return fmt.Errorf("kubeapi: admin %w", err)
	}
	// Test set-up creates objects in bursts; client-go's default of 5 QPS
	// would make that crawl without testing anything.
	admin.QPS, admin.Burst = 200, 400
	c.Config = admin
	if c.Client, err = kubernetes.NewForConfig(admin); err != nil {
		return fmt.Errorf("kubeapi: admin client: %w", err)
	}
	if err := c.runAPIServer(ctx); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}

	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	return WriteKubeconfig(admin, c.Kubeconfig)
}

// Stop stops kube-apiserver and then etcd — SIGTERM, then SIGKILL after a
// grace period, each waited for — and removes Dir. It signals only the
// process IDs it started. A server that had died on its own is reported in
// the error with its log tail. Calling Stop again does nothing and returns
// nil.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true
	var errs []error
	for _, p := range []*process{c.apiserver, c.etcd} {
		if p != nil {
			errs = append(errs, p.stop())
		}
	}
	c.apiserver = nil
	if err := os.RemoveAll(c.Dir); err != nil {
		errs = append(errs, fmt.Errorf("kubeapi: remove cluster directory: %w", err))
	}
	return errors.Join(errs...)
}

// StopAPIServer stops only kube-apiserver, leaving etcd and its data alone,
// so a test can observe how its code behaves while the API is unreachable.
// It returns an error if the apiserver is not running.
func (c *Cluster) StopAPIServer() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped || c.apiserver == nil {
		return errors.New("kubeapi: stop apiserver: not running")
	}
	err := c.apiserver.stop()
	c.apiserver = nil
	return err
}

// StartAPIServer starts kube-apiserver again after StopAPIServer, on the same
// port and with the same certificates, so Config, Client and Kubeconfig keep
// working, and waits until it is ready. ctx bounds only that wait. It returns
// an error if the apiserver is already running or the cluster was stopped.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return errors.New("kubeapi: start apiserver: cluster stopped")
	}
	if c.apiserver != nil {
		return errors.New("kubeapi: start apiserver: already running")
	}
	if err := c.runAPIServer(ctx); err != nil {
		return fmt.Errorf("kubeapi: %w", err)
	}
	return nil
}

// runAPIServer starts kube-apiserver and waits for /readyz. On failure it
// stops the process again, so c.apiserver is set only to a ready server.
func (c *Cluster) runAPIServer(ctx context.Context) error {
	p, err := startProcess("kube-apiserver", c.apiserverBin, c.apiserverArgs, filepath.Join(c.logDir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	if err := waitWithin(ctx, p, apiserverReady(c.Client)); err != nil {
		return errors.Join(err, p.stop())
	}
	c.apiserver = p
	return nil
}

// UserConfig returns a client configuration that authenticates as user in
// groups, through a client certificate signed by the cluster's CA. The user
// has no permissions until a test binds a role to it or to one of its groups,
// which is how tests exercise RBAC denial and grant.
func (c *Cluster) UserConfig(user string, groups ...string) (*rest.Config, error) {
	cfg, err := c.configFor(time.Now(), user, groups...)
	if err != nil {
		return nil, fmt.Errorf("kubeapi: user %q: %w", user, err)
	}
	return cfg, nil
}

func (c *Cluster) configFor(now time.Time, user string, groups ...string) (*rest.Config, error) {
	cert, err := clientCert(now, c.ca, user, groups)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host: c.host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   c.ca.certPEM,
			CertData: cert.certPEM,
			KeyData:  cert.keyPEM,
		},
	}, nil
}

// Namespace creates a namespace with a fresh, unique name derived from the
// test's name and returns the name. Tests take one each because a deleted
// namespace never finishes terminating here; the namespace is left for Stop
// to discard with the cluster. It fails the test if the create fails.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	ns, err := c.Client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: namespacePrefix(t.Name()),
			Annotations:  map[string]string{"zonekeeper.test/name": t.Name()},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubeapi: create namespace for %s: %v", t.Name(), err)
	}
	return ns.Name
}

// maxNamespacePrefix leaves room in the 63-character label for the five
// random characters GenerateName appends.
const maxNamespacePrefix = 40

// namespacePrefix turns a test name into a GenerateName prefix: lower case,
// runs of anything but letters and digits folded into one hyphen, cut to
// maxNamespacePrefix, always ending in a hyphen and never starting with one.
func namespacePrefix(testName string) string {
	var b strings.Builder
	hyphen := true // suppresses a leading hyphen
	for _, r := range strings.ToLower(testName) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			hyphen = false
		} else if !hyphen {
			b.WriteByte('-')
			hyphen = true
		}
		if b.Len() >= maxNamespacePrefix-1 {
			break
		}
	}
	prefix := strings.TrimSuffix(b.String(), "-")
	if prefix == "" {
		prefix = "test"
	}
	return prefix + "-"
}

// WriteKubeconfig writes cfg as a kubeconfig file at path (mode 0600) with a
// single context that is also the current one. It carries the server, CA,
// client certificate and bearer token, inline or as file paths, as cfg has
// them; other rest.Config settings have no kubeconfig form and are dropped.
func WriteKubeconfig(cfg *rest.Config, path string) error {
	const name = "zonekeeper-e2e"
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthority:     cfg.CAFile,
		CertificateAuthorityData: cfg.CAData,
	}
	kubeconfig.AuthInfos[name] = &clientcmdapi.AuthInfo{
		ClientCertificate:     cfg.CertFile,
		ClientCertificateData: cfg.CertData,
		ClientKey:             cfg.KeyFile,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
		TokenFile:             cfg.BearerTokenFile,
	}
	kubeconfig.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kubeconfig.CurrentContext = name
	if err := clientcmd.WriteToFile(*kubeconfig, path); err != nil {
		return fmt.Errorf("kubeapi: write kubeconfig %s: %w", path, err)
	}
	return nil
}

// etcdArgs runs a single-member etcd on loopback. --unsafe-no-fsync trades
// crash durability, which a throwaway test store does not need, for speed on
// a shared disk.
func etcdArgs(dataDir string, clientPort, peerPort int) []string {
	clientURL := loopbackURL("http", clientPort)
	peerURL := loopbackURL("http", peerPort)
	return []string{
		"--name=zonekeeper-e2e",
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=zonekeeper-e2e=" + peerURL,
		"--unsafe-no-fsync",
	}
}

// apiserverArgs configures kube-apiserver for a cluster without nodes or
// controllers. --endpoint-reconciler-type=none because with a loopback
// advertise address the default reconciler makes it exit; the ServiceAccount
// admission plugin is off because no controller creates the default
// ServiceAccount it would demand of every Pod.
func apiserverArgs(pki, etcdURL string, port int) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + filepath.Join(pki, "apiserver.crt"),
		"--tls-private-key-file=" + filepath.Join(pki, "apiserver.key"),
		"--client-ca-file=" + filepath.Join(pki, "ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(pki, "sa.key"),
		// The widest range an IPv4 Service CIDR may have: the scale benchmarks create
		// tens of thousands of LoadBalancer Services, which a /16 would crowd.
		"--service-cluster-ip-range=10.96.0.0/12",
		"--authorization-mode=RBAC",
		"--disable-admission-plugins=ServiceAccount",
	}
}

func loopbackURL(scheme string, port int) string {
	return scheme + "://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// freePorts returns n distinct loopback ports that were free a moment ago.
// All listeners stay open until all are picked, so the ports differ; another
// process may still take one before the server binds it, which then fails
// to start with a clear bind error in its log.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// writeFiles creates dir (mode 0700) and writes each file into it (mode
// 0600): they are private keys and the certificates that go with them.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// waitWithin is waitReady bounded by readyTimeout as well as ctx.
func waitWithin(ctx context.Context, p *process, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, readyTimeout, fmt.Errorf("not ready within %s", readyTimeout))
	defer cancel()
	return waitReady(ctx, p, probe)
}

// etcdHealthy probes etcd's /health endpoint, which answers 200 once the
// member has a leader.
func etcdHealthy(etcdURL string) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, etcdURL+"/health", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /health: %s", resp.Status)
		}
		return nil
	}
}

// apiserverReady probes /readyz as the admin: anonymous requests are only
// allowed once RBAC's bootstrap roles exist, which is part of what readiness
// means.
func apiserverReady(client kubernetes.Interface) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return fmt.Errorf("GET /readyz: %w: %s", err, body)
		}
		return nil
	}
}

// resolveBinDir applies Options.BinDir's defaults: the explicit folder, the
// environment, or build.sh's output.
func resolveBinDir(ctx context.Context, binDir string) (string, error) {
	if dir := firstNonEmpty(binDir, os.Getenv(EnvBinDir)); dir != "" {
		return dir, nil
	}
	// The script sits at a fixed place relative to this source file. Under
	// -trimpath the recorded path is not a file system path and the check
	// below says so.
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "..", "e2e", "kube", "build.sh")
	if _, err := os.Stat(script); err != nil {
		return "", fmt.Errorf("kubeapi: no binaries: set Options.BinDir or $%s, or build them with test/e2e/kube/build.sh: %w", EnvBinDir, err)
	}
	cmd := exec.CommandContext(ctx, script)
	// A cancelled start must not leave go build running for minutes: the
	// script gets its own process group and cancelling kills that group,
	// which holds only the script and the compilers it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kubeapi: %s: %w\n%s", script, err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
