package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ClientConfig says how to reach the Kubernetes API server, as the --kubeconfig,
// --server, --kube-api-qps, --kube-api-burst and --kube-api-request-timeout flags state it.
type ClientConfig struct {
	// Kubeconfig is the kubeconfig file to use; "" means the search REST describes.
	Kubeconfig string
	// Server overrides the API server URL of whichever configuration is used.
	Server string
	// QPS and Burst limit the client's request rate; 0 keeps client-go's defaults.
	QPS   float32
	Burst int
	// Timeout bounds each request; 0 means none.
	Timeout time.Duration
	// UserAgent is sent with each request; "" keeps client-go's default.
	UserAgent string
}

// REST returns the client configuration, taken from the first of: the Kubeconfig file;
// the files listed in $KUBECONFIG (merged as kubectl merges them); the in-cluster service
// account when $KUBERNETES_SERVICE_HOST is set; ~/.kube/config when it exists; Server
// alone. Errors name the place tried and what is wrong with it.
func (c ClientConfig) REST() (*rest.Config, error) {
	cfg, err := c.base()
	if err != nil {
		return nil, err
	}
	if c.Server != "" {
		cfg.Host = c.Server
	}
	if c.QPS > 0 {
		cfg.QPS = c.QPS
	}
	if c.Burst > 0 {
		cfg.Burst = c.Burst
	}
	if c.Timeout > 0 {
		cfg.Timeout = c.Timeout
	}
	if c.UserAgent != "" {
		cfg.UserAgent = c.UserAgent
	}
	return cfg, nil
}

func (c ClientConfig) base() (*rest.Config, error) {
	if c.Kubeconfig != "" {
		return loadKubeconfig(&clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig}, c.Kubeconfig+" (--kubeconfig)", c.Server)
	}
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		paths := filepath.SplitList(env)
		return loadKubeconfig(&clientcmd.ClientConfigLoadingRules{Precedence: paths}, "$KUBECONFIG ("+strings.Join(paths, ", ")+")", c.Server)
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in-cluster Kubernetes configuration (KUBERNETES_SERVICE_HOST is set, no --kubeconfig or $KUBECONFIG): %w", err)
		}
		return cfg, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "~"
	}
	path := filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)
	if _, err := os.Stat(path); err == nil {
		return loadKubeconfig(&clientcmd.ClientConfigLoadingRules{ExplicitPath: path}, path, c.Server)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if c.Server != "" {
		return &rest.Config{Host: c.Server}, nil
	}
	return nil, fmt.Errorf("no Kubernetes client configuration: no --kubeconfig, $KUBECONFIG unset, not in a cluster ($KUBERNETES_SERVICE_HOST unset), %s does not exist; pass --kubeconfig or --server", path)
}

// loadKubeconfig reads the kubeconfig files of rules, named what in errors, applying
// server. It never falls back to the in-cluster configuration as client-go's deferred
// loader does: a kubeconfig that was asked for and holds nothing is an error.
func loadKubeconfig(rules *clientcmd.ClientConfigLoadingRules, what, server string) (*rest.Config, error) {
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", what, err)
	}
	overrides := &clientcmd.ConfigOverrides{}
	overrides.ClusterInfo.Server = server
	cfg, err := clientcmd.NewDefaultClientConfig(*raw, overrides).ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, fmt.Errorf("kubeconfig %s: holds no usable context", what)
	}
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", what, err)
	}
	return cfg, nil
}
