package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/policy"
)

// policyConfigMapKey is the key of the policy document in --domain-policy-configmap.
const policyConfigMapKey = "policy.yaml"

// namespaceSyncTimeout bounds the wait for the namespace cache the first time a policy
// selects namespaces by label.
const namespaceSyncTimeout = 30 * time.Second

// domainPolicyOptions holds the --domain-policy-* flags.
type domainPolicyOptions struct {
	file         string
	configMap    string
	confirmAfter time.Duration
}

func addDomainPolicyFlags(fs *pflag.FlagSet, o *domainPolicyOptions) {
	fs.StringVar(&o.file, "domain-policy-file", "", "YAML or JSON file of the domain policy: which namespaces may publish which names (docs/tenancy.md); re-read at every reconcile")
	fs.StringVar(&o.configMap, "domain-policy-configmap", "", "NAMESPACE/NAME of a ConfigMap holding the domain policy under the key "+policyConfigMapKey+"; watched")
	fs.DurationVar(&o.confirmAfter, "domain-policy-confirm-after", 0, "the daemon deletes a record the domain policy no longer allows once every reconcile refused it for this long, full resyncs among them (0: never; kept until run --once --force)")
}

// domainPolicy is the domain policy's wiring: where it is read from, and the policy in
// force. Only the last good policy is ever in force: a broken one is refused, logged
// and counted, and the one before stays.
type domainPolicy struct {
	origin  string // for messages: the flag and its value
	logger  *slog.Logger
	metrics *controller.PolicyMetrics

	// readFile re-reads --domain-policy-file; nil for a ConfigMap.
	readFile func() ([]byte, error)
	// configMap is the namespace and name of --domain-policy-configmap.
	cmNamespace, cmName string
	kube                *kubernetes.Clientset
	// newClient makes kube on first use, for a file policy: only selectors need one.
	newClient func() (*kubernetes.Clientset, error)
	daemon    bool

	mu      sync.Mutex
	current *policy.Policy
	tried   []byte // the document of the last load, good or bad: it is not parsed again
	ctx     context.Context
	nsCache corelisters.NamespaceLister
}

// buildDomainPolicy checks the --domain-policy-* flags and returns the wiring, nil when
// no policy is configured. A file policy is read now, so that a broken one is a startup
// error; a ConfigMap is read when the app starts (startDomainPolicy).
func buildDomainPolicy(o *options, logger *slog.Logger, mode runMode) (*domainPolicy, error) {
	po := o.domainPolicy
	switch {
	case po.confirmAfter < 0:
		return nil, fmt.Errorf("--domain-policy-confirm-after=%s: want 0 (never) or more", po.confirmAfter)
	case po.file != "" && po.configMap != "":
		return nil, errors.New("--domain-policy-file and --domain-policy-configmap: give one")
	case po.file == "" && po.configMap == "":
		if po.confirmAfter > 0 {
			return nil, errors.New("--domain-policy-confirm-after needs a domain policy (--domain-policy-file or --domain-policy-configmap)")
		}
		return nil, nil
	}
	dp := &domainPolicy{logger: logger, daemon: mode == modeDaemon}
	if po.file != "" {
		dp.origin = "--domain-policy-file=" + po.file
		path := po.file
		dp.readFile = func() ([]byte, error) { return os.ReadFile(path) }
		kube := o.kube
		dp.newClient = func() (*kubernetes.Clientset, error) { return newKubeClient(kube, "domain policy") }
		data, err := dp.readFile()
		if err != nil {
			return nil, fmt.Errorf("--domain-policy-file: %w", err)
		}
		if err := dp.load(data); err != nil {
			return nil, fmt.Errorf("%s: %w", dp.origin, err)
		}
		return dp, nil
	}
	ns, name, ok := strings.Cut(po.configMap, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("--domain-policy-configmap=%s: want NAMESPACE/NAME", po.configMap)
	}
	dp.origin = "--domain-policy-configmap=" + po.configMap
	dp.cmNamespace, dp.cmName = ns, name
	kube, err := newKubeClient(o.kube, "domain policy")
	if err != nil {
		return nil, err
	}
	dp.kube = kube
	return dp, nil
}

// controllerConfig is the controller's side of the policy; force deletes the records the
// policy refuses in this one run (run --once --force).
func (dp *domainPolicy) controllerConfig(o *options, mode runMode) controller.DomainPolicy {
	cfg := controller.DomainPolicy{
		Current:         dp.Current,
		NamespaceLabels: dp.namespaceLabels,
		ConfirmAfter:    o.domainPolicy.confirmAfter,
		DeleteRefused:   o.force && o.once,
	}
	if mode == modeOneShot {
		// One reconcile remembers nothing to confirm with, as for the deletion budget.
		cfg.ConfirmAfter = 0
	}
	return cfg
}

// setPolicyMetrics makes the domain policy, if any, count its loads and refusals in m.
func (a *app) setPolicyMetrics(m *controller.PolicyMetrics) {
	if a.domainPolicy == nil {
		return
	}
	a.domainPolicy.mu.Lock()
	a.domainPolicy.metrics = m
	loaded := a.domainPolicy.current != nil
	a.domainPolicy.mu.Unlock()
	if loaded {
		m.ObserveLoad(nil) // the policy file, read before the metrics existed
	}
	a.controller.Config.DomainPolicy.Metrics = m
}

// start reads the ConfigMap, if the policy lives in one: once for a one-shot command;
// for the daemon through an informer on that one ConfigMap, so that every change is
// loaded (and takes effect on the next reconcile). The ConfigMap must exist and hold a
// valid policy at start.
func (dp *domainPolicy) start(ctx context.Context) error {
	if dp == nil {
		return nil
	}
	dp.mu.Lock()
	dp.ctx = ctx
	dp.mu.Unlock()
	if dp.cmName == "" {
		return nil
	}
	if !dp.daemon {
		cm, err := dp.kube.CoreV1().ConfigMaps(dp.cmNamespace).Get(ctx, dp.cmName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("%s: %w", dp.origin, err)
		}
		return dp.loadConfigMap(cm)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(dp.kube, 0, informers.WithNamespace(dp.cmNamespace),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) {
			lo.FieldSelector = fields.OneTermEqualSelector("metadata.name", dp.cmName).String()
		}))
	inf := factory.Core().V1().ConfigMaps()
	lister := inf.Lister()
	factory.Start(ctx.Done())
	syncCtx, cancel := context.WithTimeout(ctx, oneShotSyncTimeout)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), inf.Informer().HasSynced) {
		return fmt.Errorf("%s: the ConfigMap could not be listed (does zonekeeper's Role allow configmaps get, list and watch in %s?)", dp.origin, dp.cmNamespace)
	}
	cm, err := lister.ConfigMaps(dp.cmNamespace).Get(dp.cmName)
	if err != nil {
		return fmt.Errorf("%s: %w", dp.origin, err)
	}
	if err := dp.loadConfigMap(cm); err != nil {
		return err
	}
	reload := func(obj any) {
		if cm, ok := obj.(*corev1.ConfigMap); ok {
			// A refused policy is logged and counted by load; the last good one stays.
			_ = dp.loadConfigMap(cm)
		}
	}
	_, err = inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    reload,
		UpdateFunc: func(_, obj any) { reload(obj) },
		DeleteFunc: func(any) {
			dp.refuse(errors.New("the ConfigMap was deleted"))
		},
	})
	return err
}

func (dp *domainPolicy) loadConfigMap(cm *corev1.ConfigMap) error {
	data, ok := cm.Data[policyConfigMapKey]
	if !ok {
		err := fmt.Errorf("the ConfigMap has no key %s", policyConfigMapKey)
		dp.refuse(err)
		return fmt.Errorf("%s: %w", dp.origin, err)
	}
	if err := dp.load([]byte(data)); err != nil {
		return fmt.Errorf("%s: %w", dp.origin, err)
	}
	return nil
}

// load parses data and puts it in force; a document that does not parse is refused and
// the policy in force stays. A document already tried is not parsed again.
func (dp *domainPolicy) load(data []byte) error {
	dp.mu.Lock()
	if dp.tried != nil && bytes.Equal(dp.tried, data) {
		dp.mu.Unlock()
		return nil
	}
	dp.tried = bytes.Clone(data)
	dp.mu.Unlock()
	p, err := policy.Parse(data)
	if err != nil {
		dp.refuse(err)
		return err
	}
	dp.mu.Lock()
	dp.current = p
	m := dp.metrics
	dp.mu.Unlock()
	m.ObserveLoad(nil)
	dp.logger.Info("domain policy loaded", "from", dp.origin, "default", string(p.Mode()), "rules", len(p.Document().Rules))
	return nil
}

// refuse reports a policy that cannot be put in force.
func (dp *domainPolicy) refuse(err error) {
	dp.mu.Lock()
	m, inForce := dp.metrics, dp.current != nil
	dp.mu.Unlock()
	m.ObserveLoad(err)
	if inForce {
		dp.logger.Error("domain policy refused; the last good one stays in force", "from", dp.origin, "err", err)
	}
}

// Current re-reads a policy file (a ConfigMap's informer loads changes as they come),
// and returns the policy in force.
func (dp *domainPolicy) Current() *policy.Policy {
	if dp.readFile != nil {
		if data, err := dp.readFile(); err != nil {
			dp.refuse(fmt.Errorf("reading the file: %w", err))
		} else {
			_ = dp.load(data) // a refused policy is logged and counted by load
		}
	}
	dp.mu.Lock()
	defer dp.mu.Unlock()
	return dp.current
}

// namespaceLabels returns a namespace's labels: from a cache of the namespaces in the
// daemon (started the first time a policy selects by label, so that a policy without
// selectors needs no right on namespaces), by a GET in a one-shot command.
func (dp *domainPolicy) namespaceLabels(name string) (map[string]string, error) {
	kube, err := dp.client()
	if err != nil {
		return nil, err
	}
	dp.mu.Lock()
	ctx, lister, daemon := dp.ctx, dp.nsCache, dp.daemon
	dp.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	if !daemon {
		ns, err := kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		return ns.Labels, nil
	}
	if lister == nil {
		factory := informers.NewSharedInformerFactory(kube, 0)
		inf := factory.Core().V1().Namespaces()
		lister = inf.Lister()
		factory.Start(ctx.Done())
		syncCtx, cancel := context.WithTimeout(ctx, namespaceSyncTimeout)
		defer cancel()
		if !cache.WaitForCacheSync(syncCtx.Done(), inf.Informer().HasSynced) {
			return nil, errors.New("the namespaces could not be listed (does zonekeeper's ClusterRole allow namespaces get, list and watch?)")
		}
		dp.mu.Lock()
		dp.nsCache = lister
		dp.mu.Unlock()
	}
	ns, err := lister.Get(name)
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("namespace %s not found", name)
	}
	if err != nil {
		return nil, err
	}
	return ns.Labels, nil
}

// client returns the client namespaces are read with; a file policy makes it on first
// use, as only a policy with selectors needs one.
func (dp *domainPolicy) client() (*kubernetes.Clientset, error) {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	if dp.kube != nil {
		return dp.kube, nil
	}
	if dp.newClient == nil {
		return nil, errors.New("no cluster to read namespace labels from")
	}
	kube, err := dp.newClient()
	if err != nil {
		return nil, err
	}
	dp.kube = kube
	return kube, nil
}
