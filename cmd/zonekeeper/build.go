package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider/rfc2136"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// app is what build assembles from the flags.
type app struct {
	controller *controller.Controller
	// live is the informer-backed source; nil when objects come from manifests.
	live *source.Kube
	// domainPolicy is the domain policy's wiring; nil without one.
	domainPolicy *domainPolicy
}

// runMode says how long a built app lives, which changes how it reads: a one-shot
// command (plan, run --once) reconciles once; the daemon reconciles until stopped, and
// keeps what it read between reconciles.
type runMode int

const (
	modeOneShot runMode = iota + 1
	modeDaemon
)

// build turns flag values into a ready controller for mode. It only validates and wires:
// nothing is read from or written to a provider or the cluster here. Metrics may be nil;
// onChange, if not nil, is called by the live source after objects change.
func build(o *options, logger *slog.Logger, mode runMode, metrics *controller.Metrics, onChange func()) (*app, error) {
	cfg, err := controllerConfig(o)
	if err != nil {
		return nil, err
	}
	src, live, err := buildSource(o, cfg.ManagedTypes, logger, onChange, mode == modeOneShot)
	if err != nil {
		return nil, err
	}
	targetRules, err := o.targets.Compile()
	if err != nil {
		return nil, err
	}
	src = source.WithTargetRules(src, targetRules)
	reg, err := buildRegistry(o, cfg)
	if err != nil {
		return nil, err
	}
	prov, err := buildProvider(o, cfg, mode, metrics)
	if err != nil {
		return nil, err
	}
	if k, ok := lookupProvider(o.provider); ok {
		if cfg.Verify, err = verifyConfig(&o.verify, k.name, prov); err != nil {
			return nil, err
		}
	}
	if mode == modeOneShot {
		// One reconcile remembers nothing to confirm a deletion with: plan and run --once
		// withhold deletions over the budget, and say so (exitWithheld).
		cfg.Budget.ConfirmAfter = 0
		cfg.OneShot = true
	}
	dp, err := buildDomainPolicy(o, logger, mode)
	if err != nil {
		return nil, err
	}
	if dp != nil {
		cfg.DomainPolicy = dp.controllerConfig(o, mode)
	}
	return &app{
		controller: &controller.Controller{
			Sources:  []source.Source{src},
			Registry: reg,
			Provider: prov,
			Config:   cfg,
			Logger:   logger,
		},
		live:         live,
		domainPolicy: dp,
	}, nil
}

// oneShotSyncTimeout bounds how long plan and run --once wait for the cluster's objects;
// the daemon waits as long as it takes, reporting itself unready meanwhile.
const oneShotSyncTimeout = time.Minute

// startSources starts the live source, if any, and waits until its caches hold every
// object (at most timeout, when positive): a reconcile on half-filled caches would see
// records as unwanted.
func (a *app) startSources(ctx context.Context, timeout time.Duration) error {
	if err := a.domainPolicy.start(ctx); err != nil {
		return err
	}
	if a.live == nil {
		return nil
	}
	if err := a.live.Start(ctx); err != nil {
		return err
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return a.live.WaitForSync(ctx)
}

func controllerConfig(o *options) (controller.Config, error) {
	policy, err := plan.ParsePolicy(o.policy)
	if err != nil {
		return controller.Config{}, fmt.Errorf("--policy: %w", err)
	}
	filter, err := endpoint.NewDomainFilter(o.domainFilter, o.excludeDomains, o.regexDomainFilter, o.regexDomainExclusion)
	if err != nil {
		return controller.Config{}, err
	}
	minTTL, err := parseMinTTL(o.minTTL)
	if err != nil {
		return controller.Config{}, fmt.Errorf("--min-ttl: %w", err)
	}
	budget, err := deletionBudget(o)
	if err != nil {
		return controller.Config{}, err
	}
	events, err := eventConfig(o)
	if err != nil {
		return controller.Config{}, err
	}
	return controller.Config{
		Policy:                       policy,
		ManagedTypes:                 managedTypes(o.managedRecordTypes, o.excludeRecordTypes),
		DomainFilter:                 filter,
		ZoneIDFilter:                 o.zoneIDFilter,
		MinTTL:                       minTTL,
		DryRun:                       o.dryRun,
		KeepRecordsOfExistingObjects: o.keepRecordsOfExistingObjects,
		Budget:                       budget,
		Events:                       events,
	}, nil
}

// deletionBudget maps --max-deletions, --max-deletion-ratio, --deletion-confirm-after and
// --force. The budget counts the deletions of the last --interval: the daemon's event
// reconciles come as often as --min-event-sync-interval, and a budget per reconcile
// would let a burst of deletions through a few at a time. Forcing is for a one-shot run
// an operator watches, never for a daemon, which would then have no budget for as long
// as it runs.
func deletionBudget(o *options) (controller.DeletionBudget, error) {
	switch {
	case o.maxDeletions < 0:
		return controller.DeletionBudget{}, fmt.Errorf("--max-deletions=%d: want 0 (no limit) or more", o.maxDeletions)
	case math.IsNaN(o.maxDeletionRatio) || math.IsInf(o.maxDeletionRatio, 0):
		// NaN compares false with everything: it would pass the range check below and
		// turn the ratio guard off.
		return controller.DeletionBudget{}, fmt.Errorf("--max-deletion-ratio=%g: not a finite number; want a share from 0 (no limit) to 1", o.maxDeletionRatio)
	case o.maxDeletionRatio < 0 || o.maxDeletionRatio > 1:
		return controller.DeletionBudget{}, fmt.Errorf("--max-deletion-ratio=%g: want a share from 0 (no limit) to 1", o.maxDeletionRatio)
	case o.force && !o.once:
		return controller.DeletionBudget{}, errors.New("--force lifts the deletion budget for one run only: use it with run --once")
	case o.deletionConfirmAfter < 0:
		return controller.DeletionBudget{}, fmt.Errorf("--deletion-confirm-after=%s: want 0 (never) or more", o.deletionConfirmAfter)
	case o.force:
		return controller.DeletionBudget{}, nil
	}
	return controller.DeletionBudget{MaxDeletions: o.maxDeletions, MaxRatio: o.maxDeletionRatio, Window: o.interval, ConfirmAfter: o.deletionConfirmAfter}, nil
}

func managedTypes(managed, excluded []string) []string {
	var out []string
	for _, t := range managed {
		t = strings.ToUpper(strings.TrimSpace(t))
		if t != "" && !slices.ContainsFunc(excluded, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), t) }) {
			out = append(out, t)
		}
	}
	return out
}

// parseMinTTL reads --min-ttl: empty means unset.
func parseMinTTL(s string) (endpoint.TTL, error) {
	if s == "" {
		return 0, nil
	}
	return endpoint.ParseTTL(s)
}

// sourceKinds maps --source values to the object kinds they read: each kind the sources
// read (source.SourceKinds) by its own name, and manifest to all of them.
func sourceKinds() map[string][]string {
	m := map[string][]string{"manifest": source.SourceKinds()}
	for _, k := range source.SourceKinds() {
		m[k] = []string{k}
	}
	return m
}

// sourceNames lists the --source values for messages.
func sourceNames() string {
	return strings.Join(append(source.SourceKinds(), "manifest"), ", ")
}

// buildSource returns the manifest source when --manifest is given, else the live source
// reading the cluster (returned twice: as a Source, and to be started); oneShot says the
// objects are read once (plan, run --once).
func buildSource(o *options, managedTypes []string, logger *slog.Logger, onChange func(), oneShot bool) (source.Source, *source.Kube, error) {
	if len(o.sources) == 0 {
		return nil, nil, fmt.Errorf("--source is required: one or more of %s", sourceNames())
	}
	var kinds []string
	for _, s := range o.sources {
		k, ok := sourceKinds()[s]
		if !ok {
			return nil, nil, fmt.Errorf("--source %q: want one of %s", s, sourceNames())
		}
		kinds = append(kinds, k...)
	}
	if o.src.IgnoreHostnameAnnotation && strings.TrimSpace(o.src.FQDNTemplate) == "" {
		// external-dns refuses this configuration too: no object could name a record.
		return nil, nil, errors.New("--ignore-hostname-annotation needs --fqdn-template: without the hostname annotations only the template names records")
	}
	cfg := o.src
	cfg.Kinds = kinds
	cfg.ManagedTypes = managedTypes
	opts, err := cfg.Compile()
	if err != nil {
		return nil, nil, err
	}
	if len(o.manifests) > 0 {
		return source.NewManifest(o.manifests, opts), nil, nil
	}
	if slices.Contains(o.sources, "manifest") {
		return nil, nil, errors.New("--source=manifest needs --manifest=PATH")
	}
	client, err := newKubeClient(o.kube, "")
	if err != nil {
		return nil, nil, err
	}
	if !o.events {
		onChange = nil
	}
	kcfg := source.KubeConfig{OnChange: onChange, Logger: logger, ListAtOnce: oneShot}
	if slices.Contains(kinds, source.KindCRD) {
		if kcfg.Dynamic, err = newDynamicClient(o.kube); err != nil {
			return nil, nil, err
		}
	}
	if slices.ContainsFunc(kinds, func(k string) bool { return slices.Contains(source.GatewayRouteKinds(), k) }) {
		if kcfg.Gateway, err = newGatewayClient(o.kube); err != nil {
			return nil, nil, err
		}
	}
	live := source.NewKube(client, opts, kcfg)
	return live, live, nil
}

// newKubeClient returns a client of the cluster kube configures, telling the API server
// its purpose (empty for the sources) in the user agent.
func newKubeClient(kube source.ClientConfig, purpose string) (*kubernetes.Clientset, error) {
	kube.UserAgent = "zonekeeper/" + buildVersion()
	what := "Kubernetes client"
	if purpose != "" {
		kube.UserAgent += " " + purpose
		what += " for " + purpose
	}
	rc, err := kube.REST()
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return client, nil
}

// newDynamicClient returns the client the crd source reads custom resources with.
func newDynamicClient(kube source.ClientConfig) (*dynamic.DynamicClient, error) {
	kube.UserAgent = "zonekeeper/" + buildVersion()
	rc, err := kube.REST()
	if err != nil {
		return nil, err
	}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes dynamic client: %w", err)
	}
	return client, nil
}

// newGatewayClient returns the client the Gateway API route sources read routes and
// Gateways with.
func newGatewayClient(kube source.ClientConfig) (*gatewayclient.Clientset, error) {
	kube.UserAgent = "zonekeeper/" + buildVersion()
	rc, err := kube.REST()
	if err != nil {
		return nil, err
	}
	client, err := gatewayclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("Kubernetes Gateway API client: %w", err)
	}
	return client, nil
}

func buildRegistry(o *options, cfg controller.Config) (registry.Registry, error) {
	switch o.registry {
	case "txt":
		var key []byte
		if o.txtEncryptEnabled {
			var err error
			if key, err = registry.ParseAESKey(o.txtEncryptAESKey); err != nil {
				return nil, err
			}
		}
		return registry.NewTXT(registry.TXTConfig{
			OwnerID:             o.txtOwnerID,
			Prefix:              o.txtPrefix,
			Suffix:              o.txtSuffix,
			WildcardReplacement: o.txtWildcardReplacement,
			EncryptionKey:       key,
			ManagedTypes:        cfg.ManagedTypes,
			DomainFilter:        cfg.DomainFilter,
			MigrateFromOwner:    o.migrateFromTXTOwner,
		})
	case "noop":
		if cfg.Policy == plan.PolicySync && !o.forceNoopSync {
			return nil, errors.New("--registry=noop with --policy=sync would delete every managed record that no source wants, including records zonekeeper never created; use --policy=upsert-only, or pass --force-noop-sync if that is really meant")
		}
		return registry.NewNoop(), nil
	}
	return nil, fmt.Errorf("--registry %q: want txt or noop", o.registry)
}

// rfc2136Config maps the --rfc2136-* flags; the secret comes from the environment or a
// file (see rfc2136SecretFlag).
func rfc2136Config(o *rfc2136Options) (rfc2136.Config, error) {
	secret := o.secret
	if o.secretFile != "" {
		if secret != "" {
			return rfc2136.Config{}, errors.New("the TSIG secret is set both in the environment and by --rfc2136-tsig-secret-file: keep one")
		}
		data, err := os.ReadFile(o.secretFile)
		if err != nil {
			return rfc2136.Config{}, fmt.Errorf("--rfc2136-tsig-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(data))
	}
	minTTL, err := parseMinTTL(o.minTTL)
	if err != nil {
		return rfc2136.Config{}, fmt.Errorf("--rfc2136-min-ttl: %w", err)
	}
	return rfc2136.Config{
		Hosts:           o.hosts,
		Port:            o.port,
		Zones:           o.zones,
		TSIG:            rfc2136.TSIG{KeyName: o.keyName, Secret: secret, Algorithm: o.algorithm},
		Insecure:        o.insecure,
		AXFR:            o.axfr,
		MinTTL:          minTTL,
		BatchChangeSize: o.batchChangeSize,
		UseTLS:          o.useTLS,
		SkipTLSVerify:   o.skipTLSVerify,
		CAFile:          o.caFile,
		CertFile:        o.certFile,
		KeyFile:         o.keyFile,
	}, nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	lvl, err := parseLogLevel(level)
	if err != nil {
		return nil, err
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// parseLogLevel reads a --log-level value: a name below, in any case, or slog's own
// form with an offset (info+2). external-dns's (logrus's) names are accepted too. slog
// has no trace, fatal or panic: trace logs below debug, fatal and panic above error.
// zonekeeper logs nothing that high, so they silence the log; an error that stops the
// program is still printed on stderr, as external-dns prints its fatal one.
func parseLogLevel(name string) (slog.Level, error) {
	switch strings.ToLower(name) {
	case "trace":
		return slog.LevelDebug - 4, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "fatal":
		return slog.LevelError + 4, nil
	case "panic":
		return slog.LevelError + 8, nil
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(name)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want trace, debug, info, warn (or warning), error, fatal or panic", name)
	}
	return lvl, nil
}
