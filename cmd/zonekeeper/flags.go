package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/source"
)

// options holds every flag value; build.go turns them into components.
type options struct {
	sources   []string
	manifests []string
	src       source.Config
	targets   source.TargetConfig

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
	migrateFromTXTOwner    string

	policy               string
	domainFilter         []string
	excludeDomains       []string
	regexDomainFilter    string
	regexDomainExclusion string
	zoneIDFilter         []string
	managedRecordTypes   []string
	excludeRecordTypes   []string
	minTTL               string

	maxDeletions                 int
	maxDeletionRatio             float64
	deletionConfirmAfter         time.Duration
	keepRecordsOfExistingObjects bool
	force                        bool
	domainPolicy                 domainPolicyOptions

	rfc2136    rfc2136Options
	route53    route53Options
	cloudflare cloudflareOptions
	webhook    webhookOptions
	verify     verifyOptions

	kube                 source.ClientConfig
	interval             time.Duration
	minEventSyncInterval time.Duration
	sourceReadInterval   time.Duration
	events               bool
	eventsEmit           []string
	eventWarnings        bool
	metricsAddress       string
	once                 bool
	dryRun               bool
	logFormat            string
	logLevel             string
}

// rfc2136Options holds the --rfc2136-* flags.
type rfc2136Options struct {
	hosts           []string
	port            int
	zones           []string
	keyName         string
	secret          string
	secretFile      string
	algorithm       string
	insecure        bool
	axfr            bool
	minTTL          string
	batchChangeSize int
	useTLS          bool
	skipTLSVerify   bool
	caFile          string
	certFile        string
	keyFile         string
}

// addFlags registers the flags `run` and `plan` share, with upstream external-dns's names
// and defaults.
func addFlags(fs *pflag.FlagSet, o *options) {
	fs.StringSliceVar(&o.sources, "source", nil, "where desired records come from: "+strings.Join(append(source.SourceKinds(), "manifest"), ", ")+" (repeatable)")
	fs.StringSliceVar(&o.manifests, "manifest", nil, "Kubernetes YAML/JSON file or folder to read objects from instead of a cluster (repeatable)")

	fs.StringVar(&o.src.Namespace, "namespace", "", "only objects in this namespace (default: all)")
	fs.StringVar(&o.src.LabelFilter, "label-filter", "", "only objects whose labels match this selector")
	fs.StringVar(&o.src.AnnotationFilter, "annotation-filter", "", "only objects whose annotations match this selector")
	fs.StringVar(&o.src.CRDAPIVersion, "crd-source-apiversion", source.DefaultCRDAPIVersion, "group/version of the custom resource --source=crd reads")
	fs.StringVar(&o.src.GatewayName, "gateway-name", "", "only publish Gateway API routes through parent Gateways of this name")
	fs.StringVar(&o.src.GatewayNamespace, "gateway-namespace", "", "only read Gateways in this namespace, and only publish routes through them (default: --namespace, else all)")
	fs.StringVar(&o.src.GatewayLabelFilter, "gateway-label-filter", "", "only read Gateways whose labels match this selector, and only publish routes through them")
	fs.StringVar(&o.src.CRDKind, "crd-source-kind", source.DefaultCRDKind, "kind of the custom resource --source=crd reads, in the group and version of --crd-source-apiversion")
	fs.StringSliceVar(&o.src.AnnotationPrefixes, "annotation-prefix", nil, "one more annotation prefix to read, besides external-dns.alpha.kubernetes.io/ and external-dns.kubernetes.io/")
	fs.Var(&joinedValue{value: &o.src.FQDNTemplate}, "fqdn-template", "Go template giving hostnames for objects that name none; given several times, the templates are joined with commas, as external-dns does")
	fs.BoolVar(&o.src.CombineFQDNAnnotation, "combine-fqdn-annotation", false, "use the FQDN template together with the objects' own hostnames")
	fs.BoolVar(&o.src.IgnoreHostnameAnnotation, "ignore-hostname-annotation", false, "ignore the hostname annotation")
	fs.BoolVar(&o.src.IgnoreIngressTLSSpec, "ignore-ingress-tls-spec", false, "ignore hosts in Ingress spec.tls")
	fs.BoolVar(&o.src.IgnoreIngressRulesSpec, "ignore-ingress-rules-spec", false, "ignore hosts in Ingress spec.rules")
	fs.StringSliceVar(&o.src.IngressClasses, "ingress-class", nil, "only Ingresses of these classes (repeatable)")
	fs.BoolVar(&o.src.PublishInternalServices, "publish-internal-services", false, "publish ClusterIP Services' cluster IPs")
	fs.BoolVar(&o.src.ExcludeUnschedulable, "exclude-unschedulable", true, "leave unschedulable (cordoned) Nodes out of NodePort Services' records")
	fs.StringSliceVar(&o.src.ServiceTypeFilter, "service-type-filter", nil, "only Services of these types (repeatable)")
	fs.StringSliceVar(&o.targets.DefaultTargets, "default-targets", nil, "addresses, or one host name, for records without targets; with --force-default-targets for every record (repeatable)")
	fs.BoolVar(&o.targets.ForceDefaultTargets, "force-default-targets", false, "replace every record's targets by --default-targets, whatever its object gives")
	fs.StringSliceVar(&o.targets.TargetNetFilter, "target-net-filter", nil, "publish only targets that are addresses in these CIDRs; records left with no target are not published (repeatable)")
	fs.StringSliceVar(&o.targets.ExcludeTargetNets, "exclude-target-net", nil, "never publish targets that are addresses in these CIDRs; records left with no target are not published (repeatable)")

	fs.StringVar(&o.provider, "provider", "zonefile", "DNS provider: "+providerNames())

	fs.StringVar(&o.registry, "registry", "txt", "ownership registry: txt, noop")
	fs.BoolVar(&o.forceNoopSync, "force-noop-sync", false, "allow --registry=noop with --policy=sync, which deletes every managed record no source wants")
	fs.StringVar(&o.txtOwnerID, "txt-owner-id", "default", "owner id written into ownership TXT records")
	fs.StringVar(&o.txtPrefix, "txt-prefix", "", "prefix of ownership TXT names; %{record_type} becomes the record type")
	fs.StringVar(&o.txtSuffix, "txt-suffix", "", "suffix of ownership TXT names' first label; excludes --txt-prefix")
	fs.StringVar(&o.txtWildcardReplacement, "txt-wildcard-replacement", "", "label replacing * in ownership TXT names of wildcard records")
	fs.BoolVar(&o.txtEncryptEnabled, "txt-encrypt-enabled", false, "encrypt ownership TXT values with AES-256-GCM")
	fs.StringVar(&o.txtEncryptAESKey, "txt-encrypt-aes-key", "", "AES-256 key: 32 bytes, raw or standard base64")
	fs.StringVar(&o.migrateFromTXTOwner, "migrate-from-txt-owner", "", "former --txt-owner-id: take over its records whose objects exist in this cluster, rewriting their ownership records")

	fs.StringVar(&o.policy, "policy", "sync", "which changes to make: sync, upsert-only, create-only")
	fs.StringSliceVar(&o.domainFilter, "domain-filter", nil, "manage only names in these domains (repeatable)")
	fs.StringSliceVar(&o.excludeDomains, "exclude-domains", nil, "never manage names in these domains (repeatable)")
	fs.StringVar(&o.regexDomainFilter, "regex-domain-filter", "", "manage only names matching this regular expression")
	fs.StringVar(&o.regexDomainExclusion, "regex-domain-exclusion", "", "never manage names matching this regular expression")
	fs.StringSliceVar(&o.zoneIDFilter, "zone-id-filter", nil, "manage only zones with these provider ids (repeatable)")
	fs.StringSliceVar(&o.managedRecordTypes, "managed-record-types", endpoint.DefaultManagedTypes(), "record types to manage")
	fs.StringSliceVar(&o.excludeRecordTypes, "exclude-record-types", nil, "record types never to manage")
	fs.StringVar(&o.minTTL, "min-ttl", "", "lowest TTL to publish, in seconds or as a duration (1m); raises unset and lower TTLs")

	fs.IntVar(&o.maxDeletions, "max-deletions", 50, "most records one zone may lose per --interval in the daemon, per run with --once; more withholds them all until confirmed (--deletion-confirm-after) or raised (0: no limit)")
	fs.Float64Var(&o.maxDeletionRatio, "max-deletion-ratio", 0.3, fmt.Sprintf("largest share of a zone's owned records it may lose per --interval in the daemon, per run with --once, for zones owning at least %d (0: no limit)", controller.MinOwnedForRatio))
	fs.DurationVar(&o.deletionConfirmAfter, "deletion-confirm-after", controller.DefaultDeletionConfirmAfter, fmt.Sprintf("the daemon carries out deletions over --max-deletions or --max-deletion-ratio once every reconcile planned them for this long, %d full resyncs among them, from sources that could all be read (0: never, until an operator acts)", controller.DefaultConfirmFullReads))
	fs.BoolVar(&o.keepRecordsOfExistingObjects, "keep-records-of-existing-objects", true, "keep a name's records while its object still asks for it but has no address (an emptied load balancer status)")
	fs.BoolVar(&o.force, "force", false, "with run --once: ignore --max-deletions and --max-deletion-ratio for this run")
	addDomainPolicyFlags(fs, &o.domainPolicy)

	for _, k := range providerKinds {
		k.addFlags(fs, o)
	}

	fs.StringVar(&o.kube.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, the in-cluster service account, then ~/.kube/config)")
	fs.StringVar(&o.kube.Server, "server", "", "Kubernetes API server URL, overriding the kubeconfig's")
	fs.Float32Var(&o.kube.QPS, "kube-api-qps", 5, "requests per second to the Kubernetes API")
	fs.IntVar(&o.kube.Burst, "kube-api-burst", 10, "burst of requests to the Kubernetes API")
	fs.DurationVar(&o.kube.Timeout, "kube-api-request-timeout", 30*time.Second, "timeout of one Kubernetes API request (0: none)")
	fs.DurationVar(&o.kube.Timeout, "request-timeout", 30*time.Second, "timeout of one Kubernetes API request (0: none)")
	_ = fs.MarkDeprecated("request-timeout", "use --kube-api-request-timeout, as in external-dns.")

	fs.DurationVar(&o.interval, "interval", time.Minute, "time between two resyncs of every zone")
	fs.DurationVar(&o.minEventSyncInterval, "min-event-sync-interval", controller.DefaultMinEventInterval, "least time between the starts of two reconciles triggered by Kubernetes events")
	fs.DurationVar(&o.sourceReadInterval, "source-full-read-interval", controller.DefaultSourceReadInterval, "with run (daemon): read every object of the sources again at least this often; the resyncs every --interval between take only the objects that changed and prove each zone unchanged")
	fs.BoolVar(&o.events, "events", true, "reconcile when watched objects change, not only every --interval")
	fs.StringVar(&o.metricsAddress, "metrics-address", ":7979", "address serving /healthz, /readyz and /metrics while running (empty: none)")
	fs.BoolVar(&o.once, "once", false, "reconcile once and exit")
	fs.BoolVar(&o.dryRun, "dry-run", false, "plan and log, change nothing")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text, json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: trace, debug, info, warn (or warning), error, fatal, panic")

	addRefusedFlags(fs, refusedFlags)
	addNegations(fs)
}

// rfc2136SecretFlag holds the TSIG secret. On the command line it is accepted, as
// external-dns's tutorials put it there, with a warning (see tsigSecretWarning).
const rfc2136SecretFlag = "rfc2136-tsig-secret"

func addRFC2136Flags(fs *pflag.FlagSet, o *rfc2136Options) {
	fs.StringSliceVar(&o.hosts, "rfc2136-host", nil, "DNS server to send updates and zone transfers to, host or host:port; several fail over in order (repeatable)")
	fs.IntVar(&o.port, "rfc2136-port", 53, "port of --rfc2136-host entries given without one")
	fs.StringSliceVar(&o.zones, "rfc2136-zone", nil, "zone to manage (repeatable)")
	fs.StringVar(&o.keyName, "rfc2136-tsig-keyname", "", "TSIG key name")
	fs.StringVar(&o.secret, rfc2136SecretFlag, "", "TSIG secret, base64; better from the environment (EXTERNAL_DNS_RFC2136_TSIG_SECRET) or --rfc2136-tsig-secret-file than on the command line, where ps and the Pod spec show it")
	fs.StringVar(&o.secretFile, "rfc2136-tsig-secret-file", "", "file holding the TSIG secret (base64), e.g. a mounted Secret")
	fs.StringVar(&o.algorithm, "rfc2136-tsig-secret-alg", "hmac-sha256", "TSIG algorithm: hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512")
	fs.BoolVar(&o.insecure, "rfc2136-insecure", false, "send unsigned updates and transfers (no TSIG)")
	fs.BoolVar(&o.axfr, "rfc2136-tsig-axfr", true, "list zones by zone transfer (AXFR); zonekeeper cannot see what it owns without it")
	fs.BoolVar(&o.axfr, "rfc2136-axfr", true, "alias of --rfc2136-tsig-axfr")
	fs.StringVar(&o.minTTL, "rfc2136-min-ttl", "", "TTL of records that set none, in seconds or as a duration (default 300s)")
	fs.IntVar(&o.batchChangeSize, "rfc2136-batch-change-size", 1000, "most changes in one UPDATE message; messages are also kept under the TCP message size")
	fs.BoolVar(&o.useTLS, "rfc2136-use-tls", false, "talk to the server over DNS over TLS (RFC 7858)")
	fs.BoolVar(&o.skipTLSVerify, "rfc2136-skip-tls-verify", false, "accept any server certificate with --rfc2136-use-tls")
	fs.StringVar(&o.caFile, "tls-ca", "", "PEM CA certificates to verify the DNS server with (--rfc2136-use-tls)")
	fs.StringVar(&o.certFile, "tls-client-cert", "", "PEM client certificate for DNS over TLS")
	fs.StringVar(&o.keyFile, "tls-client-cert-key", "", "PEM key of --tls-client-cert")
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
// EXTERNAL_DNS_<FLAG>. Repeatable flags take comma-separated lists, and also one value
// a line (envValues), as external-dns reads them.
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
			for _, line := range envValues(v, repeatable(f)) {
				if serr := fs.Set(f.Name, line); serr != nil {
					err = fmt.Errorf("environment variable %s%s: %w", p, envName(f.Name), serr)
					return
				}
			}
			return
		}
	})
	return err
}

// envValues splits an environment variable's value v the way external-dns's parser
// (kingpin) does: a repeatable flag's value is one value a line, a final line break
// dropped and CRLF taken as a line break; any other flag's value is taken whole.
func envValues(v string, repeatable bool) []string {
	if !repeatable {
		return []string{v}
	}
	if trimmed, ok := strings.CutSuffix(v, "\n"); ok {
		v = strings.TrimSuffix(trimmed, "\r")
	}
	return strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n")
}

// repeatable says whether f may be given several times, each adding values.
func repeatable(f *pflag.Flag) bool {
	t := f.Value.Type()
	return strings.HasSuffix(t, "Slice") || strings.HasSuffix(t, "Array")
}

// joinedValue is a repeatable string flag whose values are joined with commas, as
// external-dns joins several --fqdn-template: the first value given replaces the
// default, each later one is appended.
type joinedValue struct {
	value *string
	set   bool
}

func (j *joinedValue) String() string { return *j.value }

// Type says "stringSlice" so that the environment (envValues) and the reference treat
// the flag as repeatable.
func (j *joinedValue) Type() string { return "stringSlice" }

func (j *joinedValue) Set(s string) error {
	if j.set && *j.value != "" {
		s = *j.value + "," + s
	}
	*j.value, j.set = s, true
	return nil
}
