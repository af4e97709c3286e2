package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/provider/rfc2136"
	"github.com/zonekeeper/zonekeeper/provider/route53"
	"github.com/zonekeeper/zonekeeper/provider/zonefile"
)

// providerKind is one --provider value: its names, its flags, and how to build it.
type providerKind struct {
	name    string
	aliases []string
	// addFlags registers the provider's own flags, stored in o.
	addFlags func(fs *pflag.FlagSet, o *options)
	// build makes the provider from the flags and the reconcile's configuration (zone
	// and domain filters); it reports each request it sends to observer, which may be
	// nil. It validates and wires only: it sends no request.
	build func(o *options, cfg controller.Config, observer provider.CallObserver) (provider.Provider, error)
	// cacheFor is set for remote providers, whose every read is a request to a DNS
	// service: it says how long the daemon reuses a zone's records, and how long drift
	// probes stand in for reading it in full (provider.Cached). One-shot commands read
	// each zone once and get the provider bare, since a cache would cost them a copy of
	// every record written and save nothing. A provider that proves a zone unchanged
	// (provider.ChangeDetector: RFC2136) has none either: the controller's own zone
	// cache, written through and proven by the detector, already stands in for its
	// reads, and a second copy of every record would double the daemon's largest cost
	// in memory.
	cacheFor func(o *options) provider.CacheConfig
}

// providerKinds are the providers zonekeeper can build, in the order the help lists them.
var providerKinds = []providerKind{
	{
		name: "route53", aliases: []string{"aws"},
		addFlags: func(fs *pflag.FlagSet, o *options) { addRoute53Flags(fs, &o.route53) },
		build: func(o *options, cfg controller.Config, observer provider.CallObserver) (provider.Provider, error) {
			r53cfg, err := route53Config(&o.route53, os.Getenv)
			if err != nil {
				return nil, err
			}
			if err := checkFullReadInterval("--aws-full-read-interval", o.route53.fullReadInterval); err != nil {
				return nil, err
			}
			r53cfg.ZoneIDs, r53cfg.DomainFilter, r53cfg.Observer = cfg.ZoneIDFilter, cfg.DomainFilter, observer
			// The context only bounds reading the AWS configuration (files, IMDS for
			// the region); requests get the reconcile's own.
			return route53.New(context.Background(), r53cfg)
		},
		cacheFor: func(o *options) provider.CacheConfig {
			return provider.CacheConfig{MaxAge: o.interval, FullReadInterval: o.route53.fullReadInterval}
		},
	},
	{
		name:     "cloudflare",
		addFlags: func(fs *pflag.FlagSet, o *options) { addCloudflareFlags(fs, &o.cloudflare) },
		build: func(o *options, cfg controller.Config, observer provider.CallObserver) (provider.Provider, error) {
			cfCfg, err := cloudflareConfig(&o.cloudflare, os.Getenv)
			if err != nil {
				return nil, err
			}
			if err := checkFullReadInterval("--cloudflare-full-read-interval", o.cloudflare.fullReadInterval); err != nil {
				return nil, err
			}
			cfCfg.ZoneIDs, cfCfg.DomainFilter, cfCfg.Observer = cfg.ZoneIDFilter, cfg.DomainFilter, observer
			return cloudflare.New(cfCfg)
		},
		cacheFor: func(o *options) provider.CacheConfig {
			return provider.CacheConfig{MaxAge: o.interval, FullReadInterval: o.cloudflare.fullReadInterval}
		},
	},
	{
		name:     "rfc2136",
		addFlags: func(fs *pflag.FlagSet, o *options) { addRFC2136Flags(fs, &o.rfc2136) },
		build: func(o *options, _ controller.Config, observer provider.CallObserver) (provider.Provider, error) {
			cfg, err := rfc2136Config(&o.rfc2136)
			if err != nil {
				return nil, err
			}
			cfg.Observer = observer
			cfg.VerifyAllNS = o.verify.allNS
			return rfc2136.New(cfg)
		},
	},
	{
		name:     "webhook",
		addFlags: func(fs *pflag.FlagSet, o *options) { addWebhookFlags(fs, &o.webhook) },
		build:    buildWebhook,
		cacheFor: func(o *options) provider.CacheConfig { return provider.CacheConfig{MaxAge: o.interval} },
	},
	{
		name: "zonefile",
		addFlags: func(fs *pflag.FlagSet, o *options) {
			fs.StringVar(&o.zonefileDir, "zonefile-dir", "zones", "folder of RFC 1035 zone files (<zone>.zone) for the zonefile provider")
			fs.StringSliceVar(&o.zonefileZones, "zonefile-zone", nil, "zone the zonefile provider serves, created if missing (repeatable)")
		},
		build: func(o *options, _ controller.Config, _ provider.CallObserver) (provider.Provider, error) {
			return zonefile.New(zonefile.Config{Dir: o.zonefileDir, Zones: o.zonefileZones})
		},
	},
	{
		name: "inmemory",
		addFlags: func(fs *pflag.FlagSet, o *options) {
			fs.StringSliceVar(&o.inmemoryZones, "inmemory-zone", nil, "zone the inmemory provider serves (repeatable)")
		},
		build: func(o *options, _ controller.Config, _ provider.CallObserver) (provider.Provider, error) {
			if len(o.inmemoryZones) == 0 {
				return nil, errors.New("--provider=inmemory needs at least one --inmemory-zone")
			}
			return inmemory.New(o.inmemoryZones...), nil
		},
	},
}

// defaultFullReadInterval is how long the daemon lets a Route 53 or Cloudflare zone go
// unread in full while its drift probe (one request per zone and --interval) finds the
// count it expects. An hour turns the 67 list pages a minute of an idle 20,000-record
// Route 53 zone into one GetHostedZone a minute and 67 pages an hour, and bounds how
// long an edit the probe cannot see (a value changed in place) stays unrepaired.
const defaultFullReadInterval = time.Hour

// fullReadIntervalUsage is the help of a --*-full-read-interval flag whose probe asks
// for probe.
func fullReadIntervalUsage(probe string) string {
	return "with run (daemon): read each zone in full at least this often; between full reads, each --interval asks only " + probe +
		" and reads in full when it moved (0: read in full every --interval)"
}

// checkFullReadInterval refuses a negative --*-full-read-interval named flag.
func checkFullReadInterval(flag string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s %s: want 0 or more", flag, d)
	}
	return nil
}

// providerNames lists every --provider value, aliases in parentheses.
func providerNames() string {
	names := make([]string, len(providerKinds))
	for i, k := range providerKinds {
		names[i] = k.name
		if len(k.aliases) > 0 {
			names[i] += " (or " + strings.Join(k.aliases, ", ") + ")"
		}
	}
	return strings.Join(names, ", ")
}

// lookupProvider finds the --provider named name, by name or alias.
func lookupProvider(name string) (providerKind, bool) {
	for _, k := range providerKinds {
		if k.name == name {
			return k, true
		}
		for _, a := range k.aliases {
			if a == name {
				return k, true
			}
		}
	}
	return providerKind{}, false
}

// buildProvider builds the --provider for mode, wrapped as that mode runs it: the daemon
// gets remote providers behind a provider.Cached. Its requests are counted in metrics
// under the provider's name (not an alias), when metrics is not nil.
func buildProvider(o *options, cfg controller.Config, mode runMode, metrics *controller.Metrics) (provider.Provider, error) {
	k, ok := lookupProvider(o.provider)
	if !ok {
		return nil, fmt.Errorf("--provider %q: want %s", o.provider, providerNames())
	}
	p, err := k.build(o, cfg, metrics.ProviderCalls(k.name))
	if err != nil {
		return nil, err
	}
	if mode == modeDaemon && k.cacheFor != nil {
		return provider.NewCachedWith(p, k.cacheFor(o)), nil
	}
	return p, nil
}
