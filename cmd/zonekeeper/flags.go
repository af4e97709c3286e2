package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/source"
)

// options holds every flag value; build.go turns them into components.
type options struct {
	sources   []string
	manifests []string
	src       source.Config

	provider      string
	inmemoryZones []string
	zonefileDir   string
	zonefileZones []string

	registry               string
	forceNoopSync          bool
	txtOwnerID             string
	txtPrefix              string
	txtSuffix              string
	txtWildcardReplacement string
	txtEncryptEnabled      bool
	txtEncryptAESKey       string

	policy               string
	domainFilter         []string
	excludeDomains       []string
	regexDomainFilter    string
	regexDomainExclusion string
	zoneIDFilter         []string
	managedRecordTypes   []string
	excludeRecordTypes   []string
	minTTL               string

	interval  time.Duration
	once      bool
	dryRun    bool
	logFormat string
	logLevel  string
}

// addFlags registers the flags `run` and `plan` share, with upstream external-dns's names
// and defaults.
func addFlags(fs *pflag.FlagSet, o *options) {
	fs.StringSliceVar(&o.sources, "source", nil, "where desired records come from: service, ingress, manifest (repeatable)")
	fs.StringSliceVar(&o.manifests, "manifest", nil, "Kubernetes YAML/JSON file or folder to read objects from instead of a cluster (repeatable)")

	fs.StringVar(&o.src.Namespace, "namespace", "", "only objects in this namespace (default: all)")
	fs.StringVar(&o.src.LabelFilter, "label-filter", "", "only objects whose labels match this selector")
	fs.StringVar(&o.src.AnnotationFilter, "annotation-filter", "", "only objects whose annotations match this selector")
	fs.StringSliceVar(&o.src.AnnotationPrefixes, "annotation-prefix", nil, "one more annotation prefix to read, besides external-dns.alpha.kubernetes.io/ and external-dns.kubernetes.io/")
	fs.StringVar(&o.src.FQDNTemplate, "fqdn-template", "", "Go template giving hostnames for objects that name none")
	fs.BoolVar(&o.src.CombineFQDNAnnotation, "combine-fqdn-annotation", false, "use the FQDN template together with the objects' own hostnames")
	fs.BoolVar(&o.src.IgnoreHostnameAnnotation, "ignore-hostname-annotation", false, "ignore the hostname annotation")
	fs.BoolVar(&o.src.IgnoreIngressTLSSpec, "ignore-ingress-tls-spec", false, "ignore hosts in Ingress spec.tls")
	fs.BoolVar(&o.src.IgnoreIngressRulesSpec, "ignore-ingress-rules-spec", false, "ignore hosts in Ingress spec.rules")
	fs.StringSliceVar(&o.src.IngressClasses, "ingress-class", nil, "only Ingresses of these classes (repeatable)")
	fs.BoolVar(&o.src.PublishInternalServices, "publish-internal-services", false, "publish ClusterIP Services' cluster IPs")
	fs.StringSliceVar(&o.src.ServiceTypeFilter, "service-type-filter", nil, "only Services of these types (repeatable)")

	fs.StringVar(&o.provider, "provider", "zonefile", "DNS provider: zonefile, inmemory")
	fs.StringSliceVar(&o.inmemoryZones, "inmemory-zone", nil, "zone the inmemory provider serves (repeatable)")
	fs.StringVar(&o.zonefileDir, "zonefile-dir", "zones", "folder of RFC 1035 zone files (<zone>.zone) for the zonefile provider")
	fs.StringSliceVar(&o.zonefileZones, "zonefile-zone", nil, "zone the zonefile provider serves, created if missing (repeatable)")

	fs.StringVar(&o.registry, "registry", "txt", "ownership registry: txt, noop")
	fs.BoolVar(&o.forceNoopSync, "force-noop-sync", false, "allow --registry=noop with --policy=sync, which deletes every managed record no source wants")
	fs.StringVar(&o.txtOwnerID, "txt-owner-id", "default", "owner id written into ownership TXT records")
	fs.StringVar(&o.txtPrefix, "txt-prefix", "", "prefix of ownership TXT names; %{record_type} becomes the record type")
	fs.StringVar(&o.txtSuffix, "txt-suffix", "", "suffix of ownership TXT names' first label; excludes --txt-prefix")
	fs.StringVar(&o.txtWildcardReplacement, "txt-wildcard-replacement", "", "label replacing * in ownership TXT names of wildcard records")
	fs.BoolVar(&o.txtEncryptEnabled, "txt-encrypt-enabled", false, "encrypt ownership TXT values with AES-256-GCM")
	fs.StringVar(&o.txtEncryptAESKey, "txt-encrypt-aes-key", "", "AES-256 key: 32 bytes, raw or standard base64")

	fs.StringVar(&o.policy, "policy", "sync", "which changes to make: sync, upsert-only, create-only")
	fs.StringSliceVar(&o.domainFilter, "domain-filter", nil, "manage only names in these domains (repeatable)")
	fs.StringSliceVar(&o.excludeDomains, "exclude-domains", nil, "never manage names in these domains (repeatable)")
	fs.StringVar(&o.regexDomainFilter, "regex-domain-filter", "", "manage only names matching this regular expression")
	fs.StringVar(&o.regexDomainExclusion, "regex-domain-exclusion", "", "never manage names matching this regular expression")
	fs.StringSliceVar(&o.zoneIDFilter, "zone-id-filter", nil, "manage only zones with these provider ids (repeatable)")
	fs.StringSliceVar(&o.managedRecordTypes, "managed-record-types", endpoint.DefaultManagedTypes(), "record types to manage")
	fs.StringSliceVar(&o.excludeRecordTypes, "exclude-record-types", nil, "record types never to manage")
	fs.StringVar(&o.minTTL, "min-ttl", "", "lowest TTL to publish, in seconds or as a duration (1m); raises unset and lower TTLs")

	fs.DurationVar(&o.interval, "interval", time.Minute, "time between two full reconciles")
	fs.BoolVar(&o.once, "once", false, "reconcile once and exit")
	fs.BoolVar(&o.dryRun, "dry-run", false, "plan and log, change nothing")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text, json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")

	addUnsupportedFlags(fs)
	addNegations(fs)
}

// unsupportedFlags are external-dns flags zonekeeper does not implement yet. They are
// accepted by the parser only to fail with a message naming them: silently ignoring a
// flag someone relies on (a zone filter, a credential) would be worse than stopping.
var unsupportedFlags = []string{
	"kubeconfig", "server", "kube-api-qps", "kube-api-burst", "kube-api-request-timeout",
	"events", "min-event-sync-interval", "metrics-address",
	"aws-zone-type", "aws-zone-tags", "aws-assume-role", "aws-assume-role-external-id",
	"aws-batch-change-size", "aws-batch-change-size-bytes", "aws-batch-change-size-values",
	"aws-batch-change-interval", "aws-evaluate-target-health", "aws-api-retries", "aws-prefer-cname",
	"aws-zones-cache-duration", "aws-profile",
	"cloudflare-proxied", "cloudflare-dns-records-per-page", "cloudflare-record-comment",
	"batch-change-size", "batch-change-interval",
	"rfc2136-host", "rfc2136-port", "rfc2136-zone", "rfc2136-tsig-keyname", "rfc2136-tsig-secret",
	"rfc2136-tsig-secret-alg", "rfc2136-insecure", "rfc2136-axfr", "rfc2136-min-ttl",
	"rfc2136-batch-change-size", "rfc2136-use-tls", "rfc2136-skip-tls-verify",
	"default-targets", "force-default-targets", "exclude-target-net", "target-net-filter",
	"nat64-networks", "txt-cache-interval", "provider-cache-time", "request-timeout",
	"crd-source-apiversion", "crd-source-kind", "gateway-name", "gateway-namespace",
	"gateway-label-filter", "webhook-provider-url", "google-project", "azure-config-file",
	"exclude-target-nets", "txt-new-format-only", "traefik-disable-legacy", "traefik-disable-new",
}

type unsupportedValue struct{ name string }

func (u unsupportedValue) String() string { return "" }
func (u unsupportedValue) Type() string   { return "" }
func (u unsupportedValue) Set(string) error {
	return fmt.Errorf("--%s is an external-dns flag that zonekeeper does not support yet", u.name)
}

func addUnsupportedFlags(fs *pflag.FlagSet) {
	for _, name := range unsupportedFlags {
		f := fs.VarPF(unsupportedValue{name}, name, "", "not supported yet")
		f.NoOptDefVal = "true"
		f.Hidden = true
	}
}

// negationPrefix spells upstream's --no-<flag> form of boolean flags.
const negationPrefix = "no-"

// addNegations adds a hidden --no-<flag> for every boolean flag, as upstream's kingpin
// did; applyNegations folds them back after parsing.
func addNegations(fs *pflag.FlagSet) {
	var bools []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Value.Type() == "bool" {
			bools = append(bools, f.Name)
		}
	})
	for _, name := range bools {
		fs.Bool(negationPrefix+name, false, "")
		_ = fs.MarkHidden(negationPrefix + name)
	}
}

func applyNegations(fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		name, ok := strings.CutPrefix(f.Name, negationPrefix)
		if !ok || err != nil || f.Value.String() != "true" {
			return
		}
		if fs.Changed(name) {
			err = fmt.Errorf("--%s and --%s contradict each other", name, f.Name)
			return
		}
		err = fs.Set(name, "false")
	})
	return err
}

// envPrefixes are the environment variable prefixes a flag can be set with, in order of
// precedence: our own, then upstream's.
var envPrefixes = []string{"ZONEKEEPER_", "EXTERNAL_DNS_"}

// envName turns a flag name into its variable suffix: --txt-owner-id → TXT_OWNER_ID.
func envName(flag string) string {
	return strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv sets every flag not given on the command line from ZONEKEEPER_<FLAG> or
// EXTERNAL_DNS_<FLAG>. Repeatable flags take comma-separated lists.
func applyEnv(fs *pflag.FlagSet, lookupEnv func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || fs.Changed(f.Name) || strings.HasPrefix(f.Name, negationPrefix) {
			return
		}
		for _, p := range envPrefixes {
			v, ok := lookupEnv(p + envName(f.Name))
			if !ok {
				continue
			}
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("environment variable %s%s: %w", p, envName(f.Name), serr)
			}
			return
		}
	})
	return err
}
