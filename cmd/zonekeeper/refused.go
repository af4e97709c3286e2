package main

import (
	"fmt"

	"github.com/spf13/pflag"
)

// refusedFlag is an external-dns flag zonekeeper does not implement. The parser knows it
// by name only to stop with its message: ignoring a flag someone relies on (a zone
// filter, a credential) would be worse than stopping, and "unknown flag" would not say
// what to do.
type refusedFlag struct {
	name string
	// boolean flags can be given without a value, and have a --no-<name> form.
	boolean bool
	// instead says what to use instead, or why there is no equivalent.
	instead string
}

// Reasons shared by several flags.
const (
	notYetSupported = "not yet supported: planned for the service source, see docs/migration.md"
	noSuchSource    = "this flag belongs to an external-dns source zonekeeper does not have; --source lists the sources it has"
	noCRDRegistry   = "zonekeeper's registries are txt and noop: ownership lives in TXT records beside the records, not in a database or custom resources"
	noWebhook       = "zonekeeper serves a provider over the webhook protocol with its own command, `zonekeeper webhook` (--webhook-server-address, --webhook-health-address)"
	noGSSTSIG       = "GSS-TSIG (Kerberos) is not supported; sign updates with a TSIG key (--rfc2136-tsig-keyname with --rfc2136-tsig-secret-file)"
	noPTR           = "zonekeeper does not manage PTR records; keep reverse zones under their own management"
	providerCache   = "zonekeeper's Route 53 and Cloudflare providers keep their own record cache, refreshed on every change they make; bound its age with --aws-full-read-interval or --cloudflare-full-read-interval"
)

// noProvider says that an external-dns provider has no zonekeeper counterpart.
func noProvider(name string) string {
	return "zonekeeper has no " + name + " provider; its providers are aws (Route 53), cloudflare, rfc2136, zonefile and inmemory"
}

// refusedFlags lists, by name, every flag of external-dns (current master, docs/flags.md)
// that zonekeeper does not implement, and a few older ones. An entry for a flag that a
// command defines for real is skipped (refusedFlagsTable's test says to remove it).
var refusedFlags = []refusedFlag{
	// The service source's flags another change implements.
	{name: "publish-host-ip", boolean: true, instead: notYetSupported},

	{name: "version", boolean: true, instead: "print the version with `zonekeeper version` (or `zonekeeper --version`, without other flags)"},
	{name: "txt-cache-interval", instead: providerCache},
	{name: "provider-cache-time", instead: providerCache},
	{name: "zone-name-filter", instead: "use --domain-filter: it selects zones by name for every provider"},
	{name: "prefer-alias", boolean: true, instead: "no equivalent yet: Route 53 aliases are chosen by target (--aws-prefer-cname turns them off) or by the alias annotation"},
	{name: "nat64-networks", instead: "no equivalent: zonekeeper does not derive A records from AAAA targets"},
	{name: "create-ptr", boolean: true, instead: noPTR},
	{name: "rfc2136-create-ptr", boolean: true, instead: noPTR},
	{name: "compatibility", instead: "no equivalent: only external-dns's own annotations are read (mate, molecule and kops-dns-controller annotations are not)"},
	{name: "resolve-service-load-balancer-hostname", boolean: true, instead: "no equivalent: a load balancer's host name is published as a CNAME (or a Route 53 alias), never resolved to addresses at publish time"},
	{name: "listen-endpoint-events", boolean: true, instead: "not needed: the service source watches EndpointSlices whenever it reads them (headless and externalTrafficPolicy: Local Services)"},
	{name: "always-publish-not-ready-addresses", boolean: true, instead: "no equivalent: headless Services publish ready endpoints, or every endpoint when the Service sets publishNotReadyAddresses"},
	{name: "target-template", instead: "no equivalent: set targets with the target annotation"},
	{name: "fqdn-target-template", instead: "no equivalent: use --fqdn-template for names and the target annotation for targets"},
	{name: "webhook-server", boolean: true, instead: noWebhook},
	{name: "webhook-provider-idle-timeout", instead: noWebhook},
	{name: "webhook-provider-read-header-timeout", instead: noWebhook},
	{name: "txt-new-format-only", boolean: true, instead: "not needed: zonekeeper reads both ownership formats and writes the new one"},
	{name: "exclude-target-nets", instead: "use --exclude-target-net, once for each CIDR"},

	// Sources zonekeeper does not have.
	{name: "gateway-listener-sets", boolean: true, instead: "not supported: ListenerSet parents are not read (docs/migration.md)"},
	{name: "connector-source-server", instead: noSuchSource},
	{name: "gloo-namespace", instead: noSuchSource},
	{name: "openshift-router-name", instead: noSuchSource},
	{name: "skipper-routegroup-groupversion", instead: noSuchSource},
	{name: "traefik-disable-legacy", boolean: true, instead: noSuchSource},
	{name: "traefik-disable-new", boolean: true, instead: noSuchSource},
	{name: "traefik-enable-legacy", boolean: true, instead: noSuchSource},
	{name: "pod-source-domain", instead: noSuchSource},
	{name: "ignore-non-host-network-pods", boolean: true, instead: noSuchSource},
	{name: "expose-internal-ipv6", boolean: true, instead: noSuchSource},
	{name: "unstructured-resource", instead: noSuchSource},

	// Registries zonekeeper does not have.
	{name: "crd-registry-namespace", instead: noCRDRegistry},
	{name: "dynamodb-region", instead: noCRDRegistry},
	{name: "dynamodb-table", instead: noCRDRegistry},

	// Parts of providers zonekeeper has.
	{name: "aws-zone-match-parent", boolean: true, instead: "no equivalent: a name goes to the zone that is its longest suffix; list parent domains in --domain-filter"},
	{name: "aws-sd-service-cleanup", boolean: true, instead: noProvider("AWS Cloud Map (aws-sd)")},
	{name: "aws-sd-create-tag", instead: noProvider("AWS Cloud Map (aws-sd)")},
	{name: "cloudflare-custom-hostnames", boolean: true, instead: "no equivalent: Cloudflare custom hostnames (SSL for SaaS) are not managed"},
	{name: "cloudflare-custom-hostnames-certificate-authority", instead: "no equivalent: Cloudflare custom hostnames (SSL for SaaS) are not managed"},
	{name: "cloudflare-custom-hostnames-min-tls-version", instead: "no equivalent: Cloudflare custom hostnames (SSL for SaaS) are not managed"},
	{name: "cloudflare-regional-services", boolean: true, instead: "no equivalent: Cloudflare regional services (Data Localization Suite) are not managed"},
	{name: "cloudflare-region-key", instead: "no equivalent: Cloudflare regional services (Data Localization Suite) are not managed"},
	{name: "rfc2136-gss-tsig", boolean: true, instead: noGSSTSIG},
	{name: "rfc2136-kerberos-username", instead: noGSSTSIG},
	{name: "rfc2136-kerberos-password", instead: noGSSTSIG},
	{name: "rfc2136-kerberos-realm", instead: noGSSTSIG},
	{name: "rfc2136-load-balancing-strategy", instead: "no equivalent: several --rfc2136-host servers are tried in the order given, failing over"},

	// Providers zonekeeper does not have.
	{name: "alibaba-cloud-config-file", instead: noProvider("Alibaba Cloud")},
	{name: "alibaba-cloud-zone-type", instead: noProvider("Alibaba Cloud")},
	{name: "azure-config-file", instead: noProvider("Azure DNS")},
	{name: "azure-resource-group", instead: noProvider("Azure DNS")},
	{name: "azure-subscription-id", instead: noProvider("Azure DNS")},
	{name: "azure-user-assigned-identity-client-id", instead: noProvider("Azure DNS")},
	{name: "azure-maxretries-count", instead: noProvider("Azure DNS")},
	{name: "azure-zones-cache-duration", instead: noProvider("Azure DNS")},
	{name: "coredns-prefix", instead: noProvider("CoreDNS (etcd)")},
	{name: "coredns-strictly-owned", boolean: true, instead: noProvider("CoreDNS (etcd)")},
	{name: "exoscale-apienv", instead: noProvider("Exoscale")},
	{name: "exoscale-apizone", instead: noProvider("Exoscale")},
	{name: "exoscale-apikey", instead: noProvider("Exoscale")},
	{name: "exoscale-apisecret", instead: noProvider("Exoscale")},
	{name: "exoscale-zones-cache-duration", instead: noProvider("Exoscale")},
	{name: "godaddy-api-key", instead: noProvider("GoDaddy")},
	{name: "godaddy-api-secret", instead: noProvider("GoDaddy")},
	{name: "godaddy-api-ttl", instead: noProvider("GoDaddy")},
	{name: "godaddy-api-ote", boolean: true, instead: noProvider("GoDaddy")},
	{name: "google-project", instead: noProvider("Google Cloud DNS")},
	{name: "google-batch-change-size", instead: noProvider("Google Cloud DNS")},
	{name: "google-batch-change-interval", instead: noProvider("Google Cloud DNS")},
	{name: "google-zone-visibility", instead: noProvider("Google Cloud DNS")},
	{name: "ns1-endpoint", instead: noProvider("NS1")},
	{name: "ns1-ignoressl", boolean: true, instead: noProvider("NS1")},
	{name: "ns1-min-ttl", instead: noProvider("NS1")},
	{name: "oci-config-file", instead: noProvider("Oracle Cloud")},
	{name: "oci-compartment-ocid", instead: noProvider("Oracle Cloud")},
	{name: "oci-auth-instance-principal", boolean: true, instead: noProvider("Oracle Cloud")},
	{name: "oci-zone-scope", instead: noProvider("Oracle Cloud")},
	{name: "oci-zones-cache-duration", instead: noProvider("Oracle Cloud")},
	{name: "ovh-endpoint", instead: noProvider("OVHcloud")},
	{name: "ovh-api-rate-limit", instead: noProvider("OVHcloud")},
	{name: "ovh-enable-cname-relative", boolean: true, instead: noProvider("OVHcloud")},
	{name: "pdns-server", instead: noProvider("PowerDNS API") + " (rfc2136 works with PowerDNS's DNS UPDATE support)"},
	{name: "pdns-server-id", instead: noProvider("PowerDNS API") + " (rfc2136 works with PowerDNS's DNS UPDATE support)"},
	{name: "pdns-api-key", instead: noProvider("PowerDNS API") + " (rfc2136 works with PowerDNS's DNS UPDATE support)"},
	{name: "pdns-skip-tls-verify", boolean: true, instead: noProvider("PowerDNS API") + " (rfc2136 works with PowerDNS's DNS UPDATE support)"},
	{name: "pihole-server", instead: noProvider("Pi-hole")},
	{name: "pihole-password", instead: noProvider("Pi-hole")},
	{name: "pihole-tls-skip-verify", boolean: true, instead: noProvider("Pi-hole")},
}

// refusedValue is the flag value of a refused flag: setting it, from the command line
// or the environment, fails with the flag's message.
type refusedValue struct {
	flag refusedFlag
	// name is the name the flag was given by: flag.name or its --no- form.
	name string
}

func (v refusedValue) String() string { return "" }
func (v refusedValue) Type() string   { return "" }
func (v refusedValue) Set(string) error {
	return fmt.Errorf("--%s is an external-dns flag that zonekeeper does not support: %s", v.name, v.flag.instead)
}

// addRefusedFlags registers the refused flags that fs does not define, hidden, and the
// --no-<name> form of the boolean ones. Call it after every real flag is defined.
func addRefusedFlags(fs *pflag.FlagSet, table []refusedFlag) {
	for _, rf := range table {
		names := []string{rf.name}
		if rf.boolean {
			names = append(names, negationPrefix+rf.name)
		}
		for _, name := range names {
			if fs.Lookup(name) != nil {
				continue
			}
			f := fs.VarPF(refusedValue{flag: rf, name: name}, name, "", "refused: "+rf.instead)
			if rf.boolean {
				f.NoOptDefVal = "true"
			}
			f.Hidden = true
		}
	}
}
