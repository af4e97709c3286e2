package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/provider/rfc2136"
	"github.com/zonekeeper/zonekeeper/provider/zonefile"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

// build turns flag values into a ready controller. It only validates and wires; nothing is
// read from or written to a provider here.
// Metrics may be nil (plan, run --once).
func build(o *options, logger *slog.Logger, metrics *controller.Metrics) (*controller.Controller, error) {
	cfg, err := controllerConfig(o)
	if err != nil {
		return nil, err
	}
	src, err := buildSource(o)
	if err != nil {
		return nil, err
	}
	reg, err := buildRegistry(o, cfg)
	if err != nil {
		return nil, err
	}
	prov, err := buildProvider(o, metrics)
	if err != nil {
		return nil, err
	}
	return &controller.Controller{
		Sources:  []source.Source{src},
		Registry: reg,
		Provider: prov,
		Config:   cfg,
		Logger:   logger,
	}, nil
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
	return controller.Config{
		Policy:       policy,
		ManagedTypes: managedTypes(o.managedRecordTypes, o.excludeRecordTypes),
		DomainFilter: filter,
		ZoneIDFilter: o.zoneIDFilter,
		MinTTL:       minTTL,
		DryRun:       o.dryRun,
	}, nil
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

// sourceKinds maps --source values to the object kinds the manifest source reads.
var sourceKinds = map[string][]string{
	"service":  {"service"},
	"ingress":  {"ingress"},
	"manifest": {"service", "ingress"},
}

func buildSource(o *options) (source.Source, error) {
	if len(o.sources) == 0 {
		return nil, errors.New("--source is required: service, ingress or manifest")
	}
	var kinds []string
	for _, s := range o.sources {
		k, ok := sourceKinds[s]
		if !ok {
			return nil, fmt.Errorf("--source %q: want service, ingress or manifest", s)
		}
		kinds = append(kinds, k...)
	}
	if len(o.manifests) == 0 {
		return nil, errors.New("reading objects from a Kubernetes cluster is not available yet: pass --manifest=PATH to read them from YAML files")
	}
	cfg := o.src
	cfg.Kinds = kinds
	opts, err := cfg.Compile()
	if err != nil {
		return nil, err
	}
	return source.NewManifest(o.manifests, opts), nil
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
		})
	case "noop":
		if cfg.Policy == plan.PolicySync && !o.forceNoopSync {
			return nil, errors.New("--registry=noop with --policy=sync would delete every managed record that no source wants, including records zonekeeper never created; use --policy=upsert-only, or pass --force-noop-sync if that is really meant")
		}
		return registry.NewNoop(), nil
	}
	return nil, fmt.Errorf("--registry %q: want txt or noop", o.registry)
}

func buildProvider(o *options, metrics *controller.Metrics) (provider.Provider, error) {
	switch o.provider {
	case "rfc2136":
		cfg, err := rfc2136Config(&o.rfc2136)
		if err != nil {
			return nil, err
		}
		cfg.Observer = metrics.ProviderCalls("rfc2136")
		p, err := rfc2136.New(cfg)
		if err != nil {
			return nil, err
		}
		return provider.NewCached(p, o.interval), nil
	case "inmemory":
		if len(o.inmemoryZones) == 0 {
			return nil, errors.New("--provider=inmemory needs at least one --inmemory-zone")
		}
		return inmemory.New(o.inmemoryZones...), nil
	case "zonefile":
		return zonefile.New(zonefile.Config{Dir: o.zonefileDir, Zones: o.zonefileZones})
	case "aws", "route53", "cloudflare":
		return nil, fmt.Errorf("--provider %q is not available in zonekeeper yet: use rfc2136, zonefile or inmemory", o.provider)
	}
	return nil, fmt.Errorf("--provider %q: want rfc2136, zonefile or inmemory", o.provider)
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
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
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
