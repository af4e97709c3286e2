package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/provider/route53"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// conformanceBackend is a DNS service the command's providers can be pointed at here:
// an emulator, a real server, a folder.
type conformanceBackend struct {
	name string
	// start serves zones, empty but for the apex SOA and NS, and returns the flags that
	// point zonekeeper at them; it sets the environment the provider reads credentials
	// from.
	start func(t *testing.T, zones []string) []string
	// settings and ownershipKeeps are those of providertest.Harness.
	settings       []providertest.SettingsCase
	ownershipKeeps []string
	// onlySettings runs the settings cases alone: the flags change what the other cases
	// expect (a minimum TTL, every record proxied).
	onlySettings bool
	// bulkRecords is providertest.Harness.BulkRecords.
	bulkRecords int
}

// TestConformanceThroughBuild runs the provider conformance suite against every
// provider exactly as the command builds it, once as a one-shot command gets it (plan,
// run --once) and once as the daemon gets it (wrapped in provider.Cached for remote
// providers), with the settings each provider has of its own. Both modes must store the
// same records, and a second reconcile in either plans nothing. This is the test a
// capability lost between the command's wiring and the controller fails: the daemon
// once wrote CNAMEs where one-shot runs wrote Route53 ALIAS records.
func TestConformanceThroughBuild(t *testing.T) {
	for _, b := range conformanceBackends() {
		t.Run(b.name, func(t *testing.T) {
			var modes []providertest.Mode
			for _, m := range []struct {
				name string
				mode runMode
			}{{"one-shot", modeOneShot}, {"daemon", modeDaemon}} {
				modes = append(modes, providertest.Mode{Name: m.name, Harness: providertest.Harness{
					New: func(t *testing.T, zones []string) provider.Provider {
						return builtProvider(t, b.start(t, zones), m.mode)
					},
					Settings:       b.settings,
					OwnershipKeeps: b.ownershipKeeps,
					OnlySettings:   b.onlySettings,
					BulkRecords:    b.bulkRecords,
				}})
			}
			providertest.RunModes(t, modes...)
		})
	}
}

// preparedApp is the app the command's own prepare (flags, negations, environment, then
// build) makes of args in mode, with metrics as the daemon has them and objects from the
// manifests in manifestDir. Logs go nowhere.
func preparedApp(t *testing.T, mode runMode, manifestDir string, args ...string) (*app, *options) {
	t.Helper()
	o := &options{}
	cmd := &cobra.Command{}
	addFlags(cmd.Flags(), o)
	if err := cmd.Flags().Parse(append(args, "--source=manifest", "--manifest="+manifestDir)); err != nil {
		t.Fatal(err)
	}
	var metrics *controller.Metrics
	if mode == modeDaemon {
		metrics = controller.NewMetrics(prometheus.NewRegistry())
	}
	a, err := prepare(cmd, o, os.LookupEnv, io.Discard, mode, metrics, nil)
	if err != nil {
		t.Fatalf("building %v: %v", args, err)
	}
	return a, o
}

// builtProvider is the provider the command builds for args in mode.
func builtProvider(t *testing.T, args []string, mode runMode) provider.Provider {
	t.Helper()
	a, o := preparedApp(t, mode, t.TempDir(), args...)
	// The daemon caches the zones of remote providers that cannot prove a zone
	// unchanged; the controller's zone cache serves RFC2136's.
	_, cached := a.controller.Provider.(*provider.Cached)
	if remote := mode == modeDaemon && o.provider != "zonefile" && o.provider != "inmemory" && o.provider != "rfc2136"; cached != remote {
		t.Fatalf("--provider=%s in mode %d: built %T", o.provider, mode, a.controller.Provider)
	}
	if oneShot := a.controller.Config.OneShot; oneShot != (mode == modeOneShot) {
		t.Fatalf("--provider=%s in mode %d: Config.OneShot %v", o.provider, mode, oneShot)
	}
	return a.controller.Provider
}

// checkZoneFilesLoad fails t unless BIND's named-checkzone loads the file of each of
// zones in dir that was written, with strict name checks and no lookups outside the zone.
func checkZoneFilesLoad(t *testing.T, dir string, zones []string) {
	checkzone, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Fatal("named-checkzone is not installed: make dns-servers installs it (bind9-utils)")
	}
	for _, z := range zones {
		file := filepath.Join(dir, z+".zone")
		if _, err := os.Stat(file); err != nil {
			continue
		}
		if out, err := exec.Command(checkzone, "-i", "local", "-k", "fail", z, file).CombinedOutput(); err != nil {
			t.Errorf("named-checkzone refuses zone %s: %v\n%s", z, err, out)
		}
	}
}

// fakeAWSEnv gives the AWS SDK static credentials and a region, and keeps it from any
// file or instance metadata of the machine, for the Route 53 emulator.
func fakeAWSEnv(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
}

func conformanceBackends() []conformanceBackend {
	rfc2136 := func(extra ...string) func(t *testing.T, zones []string) []string {
		return func(t *testing.T, zones []string) []string {
			srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: zones})
			t.Setenv("EXTERNAL_DNS_RFC2136_TSIG_SECRET", srv.Secret)
			args := []string{"--provider=rfc2136", "--rfc2136-host=" + srv.Host, "--rfc2136-port=" + strconv.Itoa(srv.Port),
				"--rfc2136-tsig-keyname=" + srv.KeyName, "--rfc2136-tsig-secret-alg=" + srv.Algorithm}
			for _, z := range zones {
				args = append(args, "--rfc2136-zone="+z)
			}
			return append(args, extra...)
		}
	}
	cloudflareAPI := func(extra ...string) func(t *testing.T, zones []string) []string {
		return func(t *testing.T, zones []string) []string {
			const token = "conformance-token"
			em, url := cloudflaretest.Start(t, cloudflaretest.Options{Token: token})
			for _, z := range zones {
				em.CreateZone(z)
			}
			t.Setenv("CF_API_TOKEN", token)
			return append([]string{"--provider=cloudflare", "--cloudflare-api-url=" + url,
				"--batch-change-size=" + strconv.Itoa(cloudflare.MaxBatchSize), "--batch-change-interval=0",
				"--cloudflare-dns-records-per-page=" + strconv.Itoa(cloudflare.MaxRecordsPerPage)}, extra...)
		}
	}
	backends := []conformanceBackend{
		{
			name: "route53",
			start: func(t *testing.T, zones []string) []string {
				em, url := route53test.Start(t, route53test.Options{})
				for _, z := range zones {
					em.CreateZone(z, route53test.ZoneOptions{})
				}
				fakeAWSEnv(t)
				return []string{"--provider=aws", "--aws-endpoint-url=" + url, "--aws-batch-change-interval=0",
					"--aws-api-rate=10000", "--aws-api-burst=1000"}
			},
			settings:       route53Settings(),
			ownershipKeeps: []string{route53.PropertyWeight, route53.PropertyFailover, route53.PropertyHealthCheckID},
		},
		// Bulk at its default size takes a minute per mode against the emulator through
		// the command's wiring; the provider's own conformance test runs it at full size.
		{name: "cloudflare", start: cloudflareAPI("--cloudflare-record-comment=zonekeeper"), settings: cloudflareSettings(), bulkRecords: 1000},
		{name: "cloudflare-proxied-by-default", start: cloudflareAPI("--cloudflare-proxied"), settings: cloudflareProxiedSettings(), onlySettings: true},
		{name: "rfc2136", start: rfc2136()},
		{name: "rfc2136-min-ttl", start: rfc2136("--rfc2136-min-ttl=10m"), settings: rfc2136MinTTLSettings(), onlySettings: true},
		{
			name: "zonefile",
			start: func(t *testing.T, zones []string) []string {
				dir := filepath.Join(t.TempDir(), "zones")
				args := []string{"--provider=zonefile", "--zonefile-dir=" + dir}
				for _, z := range zones {
					args = append(args, "--zonefile-zone="+z)
				}
				// Whatever the case wrote, BIND must still load every zone.
				t.Cleanup(func() { checkZoneFilesLoad(t, dir, zones) })
				return args
			},
		},
		{
			name: "inmemory",
			start: func(t *testing.T, zones []string) []string {
				args := []string{"--provider=inmemory"}
				for _, z := range zones {
					args = append(args, "--inmemory-zone="+z)
				}
				return args
			},
		},
	}
	for _, b := range slices.Clone(backends) {
		backends = append(backends, overWebhook(b))
	}
	return backends
}

// overWebhook is backend b behind zonekeeper's webhook protocol: zonekeeper's server,
// built from b's flags as `zonekeeper webhook` builds it, serves b's provider, and
// zonekeeper's client (--provider=webhook), built by the command, talks to it. b's
// settings cases must hold through the protocol: provider-specific properties travel in
// the endpoints, and the server's provider adjusts them (POST /adjustendpoints).
func overWebhook(b conformanceBackend) conformanceBackend {
	w := b
	w.name = "webhook-over-" + b.name
	w.start = func(t *testing.T, zones []string) []string {
		_, o := preparedApp(t, modeDaemon, t.TempDir(), b.start(t, zones)...)
		cfg, err := controllerConfig(o)
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := webhookHandler(o, cfg, nil, slog.New(slog.DiscardHandler), nil)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return []string{"--provider=webhook", "--webhook-provider-url=" + srv.URL}
	}
	return w
}

// elb is the host name of an AWS load balancer, which Route53 publishes as ALIAS records.
const elb = "my-lb-123.us-east-1.elb.amazonaws.com"

func route53Settings() []providertest.SettingsCase {
	targets := func(t ...string) []string { return t }
	return []providertest.SettingsCase{
		{
			Name:    "alias for a load balancer",
			Desired: []*endpoint.Endpoint{providertest.Wanted("web", "web.example.com", "CNAME", 0, targets(elb))},
			Stored: []*endpoint.Endpoint{
				providertest.Stored("web.example.com", "A", 0, targets(elb), route53.PropertyAlias, "true", route53.PropertyEvaluateHealth, "true"),
				providertest.Stored("web.example.com", "AAAA", 0, targets(elb), route53.PropertyAlias, "true", route53.PropertyEvaluateHealth, "true"),
			},
		},
		{
			Name: "alias without evaluating target health",
			Desired: []*endpoint.Endpoint{providertest.Wanted("web", "web.example.com", "CNAME", 0, targets(elb),
				route53.PropertyEvaluateHealth, "false", route53.PropertyAliasRecordType, "A")},
			Stored: []*endpoint.Endpoint{
				providertest.Stored("web.example.com", "A", 0, targets(elb), route53.PropertyAlias, "true", route53.PropertyEvaluateHealth, "false"),
			},
		},
		{
			Name: "weighted",
			Desired: []*endpoint.Endpoint{
				withSet(providertest.Wanted("blue", "app.example.com", "A", 60, targets("192.0.2.1"), route53.PropertyWeight, "10"), "blue"),
				withSet(providertest.Wanted("green", "app.example.com", "A", 60, targets("192.0.2.2"), route53.PropertyWeight, "90"), "green"),
			},
			Stored: []*endpoint.Endpoint{
				withSet(providertest.Stored("app.example.com", "A", 60, targets("192.0.2.1"), route53.PropertyWeight, "10"), "blue"),
				withSet(providertest.Stored("app.example.com", "A", 60, targets("192.0.2.2"), route53.PropertyWeight, "90"), "green"),
			},
		},
		{
			Name: "failover",
			Desired: []*endpoint.Endpoint{
				withSet(providertest.Wanted("main", "api.example.com", "A", 60, targets("192.0.2.3"), route53.PropertyFailover, "primary",
					route53.PropertyHealthCheckID, "abcdef11-2222-3333-4444-555555fedcba"), "main"),
				withSet(providertest.Wanted("standby", "api.example.com", "A", 60, targets("192.0.2.4"), route53.PropertyFailover, "SECONDARY"), "standby"),
			},
			Stored: []*endpoint.Endpoint{
				withSet(providertest.Stored("api.example.com", "A", 60, targets("192.0.2.3"), route53.PropertyFailover, "PRIMARY",
					route53.PropertyHealthCheckID, "abcdef11-2222-3333-4444-555555fedcba"), "main"),
				withSet(providertest.Stored("api.example.com", "A", 60, targets("192.0.2.4"), route53.PropertyFailover, "SECONDARY"), "standby"),
			},
		},
	}
}

func cloudflareSettings() []providertest.SettingsCase {
	targets := func(t ...string) []string { return t }
	return []providertest.SettingsCase{
		{
			Name: "proxied, with the comment from the flag",
			Desired: []*endpoint.Endpoint{providertest.Wanted("web", "web.example.com", "A", 300, targets("203.0.113.10"),
				cloudflare.PropertyProxied, "true")},
			// A proxied record's TTL is automatic (1), whatever was asked.
			Stored: []*endpoint.Endpoint{providertest.Stored("web.example.com", "A", 1, targets("203.0.113.10"),
				cloudflare.PropertyProxied, "true", cloudflare.PropertyComment, "zonekeeper")},
		},
		{
			Name: "comment and tags from annotations",
			Desired: []*endpoint.Endpoint{providertest.Wanted("web", "www.example.com", "CNAME", 600, targets("web.example.net"),
				cloudflare.PropertyComment, "owned by team a", cloudflare.PropertyTags, "team:a, env:prod,team:a")},
			Stored: []*endpoint.Endpoint{providertest.Stored("www.example.com", "CNAME", 600, targets("web.example.net"),
				cloudflare.PropertyComment, "owned by team a", cloudflare.PropertyTags, "env:prod,team:a")},
		},
		{
			Name:     "TTL below the minimum is raised, with a warning",
			Desired:  []*endpoint.Endpoint{providertest.Wanted("web", "short.example.com", "A", 30, targets("203.0.113.11"))},
			Stored:   []*endpoint.Endpoint{providertest.Stored("short.example.com", "A", 60, targets("203.0.113.11"), cloudflare.PropertyComment, "zonekeeper")},
			Problems: []string{"short.example.com"},
		},
	}
}

func cloudflareProxiedSettings() []providertest.SettingsCase {
	targets := func(t ...string) []string { return t }
	return []providertest.SettingsCase{{
		Name: "proxied by default where Cloudflare can proxy",
		Desired: []*endpoint.Endpoint{
			providertest.Wanted("web", "web.example.com", "A", 300, targets("203.0.113.10")),
			providertest.Wanted("web", "internal.example.com", "A", 300, targets("10.0.0.1")),
			providertest.Wanted("off", "direct.example.com", "A", 300, targets("203.0.113.12"), cloudflare.PropertyProxied, "false"),
		},
		Stored: []*endpoint.Endpoint{
			providertest.Stored("web.example.com", "A", 1, targets("203.0.113.10"), cloudflare.PropertyProxied, "true"),
			providertest.Stored("internal.example.com", "A", 300, targets("10.0.0.1")),
			providertest.Stored("direct.example.com", "A", 300, targets("203.0.113.12")),
		},
	}}
}

func rfc2136MinTTLSettings() []providertest.SettingsCase {
	targets := func(t ...string) []string { return t }
	return []providertest.SettingsCase{{
		Name: "TTLs below --rfc2136-min-ttl are raised",
		Desired: []*endpoint.Endpoint{
			providertest.Wanted("a", "unset.example.com", "A", 0, targets("192.0.2.1")),
			providertest.Wanted("b", "short.example.com", "A", 60, targets("192.0.2.2")),
			providertest.Wanted("c", "long.example.com", "A", 3600, targets("192.0.2.3")),
		},
		Stored: []*endpoint.Endpoint{
			providertest.Stored("unset.example.com", "A", 600, targets("192.0.2.1")),
			providertest.Stored("short.example.com", "A", 600, targets("192.0.2.2")),
			providertest.Stored("long.example.com", "A", 3600, targets("192.0.2.3")),
		},
	}}
}

func withSet(e *endpoint.Endpoint, id string) *endpoint.Endpoint {
	e.SetIdentifier = id
	return e
}
