package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/source"
)

// leaderOptions holds the --leader-elect* flags of `run`.
type leaderOptions struct {
	enabled       bool
	leaseDuration time.Duration
	renewDeadline time.Duration
	retryPeriod   time.Duration
	namespace     string
	leaseName     string
}

func addLeaderElectionFlags(fs *pflag.FlagSet, o *leaderOptions) {
	fs.BoolVar(&o.enabled, "leader-elect", false, "compete with the other replicas for a Lease; only the holder writes, the others keep their caches warm to take over")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", controller.DefaultLeaseDuration, "how long standbys wait, from the leader's last renewal, before they take over its Lease")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", controller.DefaultRenewDeadline, "how long the leader tries to renew its Lease before it stops writing; shorter than the lease duration")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", controller.DefaultRetryPeriod, "time between two attempts to acquire or renew the Lease")
	fs.StringVar(&o.namespace, "leader-elect-namespace", "", "namespace of the Lease (default: $POD_NAMESPACE, else the kubeconfig context's namespace, else default)")
	fs.StringVar(&o.leaseName, "leader-elect-lease-name", "zonekeeper", "name of the Lease")
}

// leaderElectionConfig resolves the Lease's namespace and this process's identity and
// validates the flags. hostname is os.Hostname outside tests.
func leaderElectionConfig(o *leaderOptions, kube source.ClientConfig, lookupEnv func(string) (string, bool), hostname func() (string, error)) (controller.LeaderElectionConfig, error) {
	ns, err := leaseNamespace(o.namespace, kube.Kubeconfig, lookupEnv)
	if err != nil {
		return controller.LeaderElectionConfig{}, err
	}
	id, err := identity(lookupEnv, hostname)
	if err != nil {
		return controller.LeaderElectionConfig{}, err
	}
	cfg := controller.LeaderElectionConfig{
		Namespace:     ns,
		Name:          o.leaseName,
		Identity:      id,
		LeaseDuration: o.leaseDuration,
		RenewDeadline: o.renewDeadline,
		RetryPeriod:   o.retryPeriod,
	}
	if err := cfg.Validate(); err != nil {
		return controller.LeaderElectionConfig{}, fmt.Errorf("--leader-elect-*: %w", err)
	}
	return cfg, nil
}

// leaseNamespace is flag, else $POD_NAMESPACE, else the namespace of the kubeconfig's
// current context (or of the in-cluster service account), else "default".
func leaseNamespace(flag, kubeconfig string, lookupEnv func(string) (string, bool)) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if ns, ok := lookupEnv("POD_NAMESPACE"); ok && ns != "" {
		return ns, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	ns, _, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).Namespace()
	if clientcmd.IsEmptyConfig(err) {
		return "default", nil // --server alone
	}
	if err != nil {
		return "", fmt.Errorf("--leader-elect-namespace not given, $POD_NAMESPACE unset, and the kubeconfig's namespace unreadable: %w", err)
	}
	return ns, nil
}

// identity is $POD_NAME, else the host name, and a random suffix: two processes on one
// host, or a restarted pod whose predecessor's Lease has not expired, must not pass for
// the holder.
func identity(lookupEnv func(string) (string, bool), hostname func() (string, error)) (string, error) {
	name, ok := lookupEnv("POD_NAME")
	if !ok || name == "" {
		var err error
		if name, err = hostname(); err != nil {
			return "", fmt.Errorf("leader election identity: $POD_NAME unset and no host name: %w", err)
		}
	}
	return name + "_" + rand.Text(), nil
}

// leaderElector returns the Elector --leader-elect asks for, or nil without it. It talks
// to the API server through a client of its own, so that Lease renewals never queue
// behind the informers' requests in a shared client-side rate limiter.
func leaderElector(o *leaderOptions, kube source.ClientConfig, lookupEnv func(string) (string, bool), logger *slog.Logger) (controller.Elector, error) {
	if !o.enabled {
		return nil, nil
	}
	cfg, err := leaderElectionConfig(o, kube, lookupEnv, os.Hostname)
	if err != nil {
		return nil, err
	}
	client, err := newKubeClient(kube, "leader-election")
	if err != nil {
		return nil, err
	}
	e, err := controller.NewLeaseElector(client, cfg)
	if err != nil {
		return nil, err
	}
	logger.Info("leader election", "lease", cfg.Namespace+"/"+cfg.Name, "identity", cfg.Identity,
		"leaseDuration", cfg.LeaseDuration, "renewDeadline", cfg.RenewDeadline, "retryPeriod", cfg.RetryPeriod)
	return e, nil
}
