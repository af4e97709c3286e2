package kubeapi

import (
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// FastClient returns a client for a copy of cfg (cfg itself is left alone) for tests
// and benchmarks that send thousands of requests at once. client-go's default
// client-side limit (5 QPS, bursts of 10) would make such a load measure the limiter
// rather than the API server and the code under test, so the limit is raised far
// above what one loopback kube-apiserver serves. API warnings are dropped: thousands
// of alike "spec.externalIPs is deprecated" lines would bury the output.
func FastClient(cfg *rest.Config) (kubernetes.Interface, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 5000, 10000
	cfg.WarningHandler = rest.NoWarnings{}
	return kubernetes.NewForConfig(cfg)
}
