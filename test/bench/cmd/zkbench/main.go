// Command zkbench measures the zonekeeper binary against a real kube-apiserver, with
// BIND9 over RFC 2136 and with the Route53 and Cloudflare API emulators, in the
// scenarios of issue 9 and writes docs/benchmarks.md. Run it from the module root:
//
//	go run ./test/bench/cmd/zkbench -n 1000,10000,50000 -runs 3 -idle 3m -out docs/benchmarks.md
//	go run ./test/bench/cmd/zkbench -smoke   # N=200, one run, 10 s idle; the report goes to stdout
//	go run ./test/bench/cmd/zkbench -providers route53,cloudflare -n 1000 -out ''
//	go run ./test/bench/cmd/zkbench -n 1000,10000 -providers rfc2136 -churn-rate 20   # latencies under churn
//
// It needs the kube-apiserver and etcd of test/e2e/kube/build.sh, and BIND9's named
// when the rfc2136 provider is measured.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/zonekeeper/zonekeeper/test/bench"
	"github.com/zonekeeper/zonekeeper/test/kubeapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "zkbench:", err)
		os.Exit(1)
	}
}

// config is the command line, parsed and checked.
type config struct {
	ns      []int
	apiMaxN int
	// apiDaemonRuns replaces opts.DaemonRuns for the API emulators.
	apiDaemonRuns int
	providers     []string
	opts          bench.Options
	out           string
	binary        string
	keep          bool
	command       string
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	ns := fs.String("n", "1000,5000,10000,50000", "numbers of Ingresses to measure at, comma-separated")
	runs := fs.Int("runs", 3, "runs of each one-shot scenario; the report shows medians")
	daemonRuns := fs.Int("daemon-runs", 3, "daemon runs for the event, delete and idle scenarios")
	samples := fs.Int("samples", 20, "Ingresses timed per daemon run in the event and delete scenarios")
	idle := fs.Duration("idle", 3*time.Minute, "how long the idle scenario leaves the daemon alone")
	scenarios := fs.String("scenarios", strings.Join(bench.Scenarios(), ","), "scenarios to run, comma-separated")
	providers := fs.String("providers", strings.Join(bench.Providers(), ","), "providers to measure, comma-separated")
	apiMaxN := fs.Int("api-max-n", 10000, "largest N the Route53 and Cloudflare emulators are measured at: at their default pacing "+
		"(1 s between change calls) a cold run of 50,000 Ingresses takes minutes on either")
	apiDaemonRuns := fs.Int("api-daemon-runs", 1, "daemon runs against the Route53 and Cloudflare emulators: their call counts "+
		"do not vary from run to run, and each run idles -idle")
	minEventSync := fs.Duration("min-event-sync-interval", 0, "the rfc2136 daemons' --min-event-sync-interval; 0: the daemon's default")
	out := fs.String("out", "docs/benchmarks.md", "Markdown report to write; empty: standard output")
	binary := fs.String("binary", "", "zonekeeper executable to measure; empty: build ./cmd/zonekeeper into a temporary folder")
	keep := fs.Bool("keep", false, "keep the temporary folder with every zonekeeper log")
	churnRate := fs.Float64("churn-rate", 0, "status updates per second a background churn makes to pseudo-random benchmark Ingresses "+
		"(moving each between two IPs) during the rfc2136 event and delete samples; 0: no churn")
	smoke := fs.Bool("smoke", false, "a quick check for CI: -n 200 -runs 1 -daemon-runs 1 -samples 3 -idle 10s -out ''")
	if err := fs.Parse(args[1:]); err != nil {
		return config{}, err
	}
	if *smoke {
		*ns, *runs, *daemonRuns, *samples, *idle, *out = "200", 1, 1, 3, 10*time.Second, ""
	}
	c := config{apiMaxN: *apiMaxN, apiDaemonRuns: *apiDaemonRuns, out: *out, binary: *binary, keep: *keep, command: strings.Join(append([]string{"zkbench"}, args[1:]...), " ")}
	for _, s := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return config{}, fmt.Errorf("-n: %q is not a positive number of Ingresses", s)
		}
		c.ns = append(c.ns, n)
	}
	slices.Sort(c.ns)
	if *runs < 1 || *daemonRuns < 1 || *apiDaemonRuns < 1 || *samples < 1 || *idle <= 0 {
		return config{}, errors.New("-runs, -daemon-runs, -api-daemon-runs, -samples and -idle must be positive")
	}
	if *minEventSync < 0 {
		return config{}, errors.New("-min-event-sync-interval must not be negative")
	}
	if *churnRate != 0 && !(*churnRate >= bench.MinChurnRate && *churnRate <= bench.MaxChurnRate) {
		return config{}, fmt.Errorf("-churn-rate: %v updates/s is neither 0 (no churn) nor from %v to %v", *churnRate, bench.MinChurnRate, bench.MaxChurnRate)
	}
	c.opts = bench.Options{Runs: *runs, DaemonRuns: *daemonRuns, Samples: *samples, IdleFor: *idle, Scenarios: map[string]bool{}, ChurnRate: *churnRate,
		MinEventSyncInterval: *minEventSync}
	for _, s := range strings.Split(*scenarios, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(bench.Scenarios(), s) {
			return config{}, fmt.Errorf("-scenarios: unknown scenario %q (known: %s)", s, strings.Join(bench.Scenarios(), ", "))
		}
		c.opts.Scenarios[s] = true
	}
	for _, p := range strings.Split(*providers, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(bench.Providers(), p) {
			return config{}, fmt.Errorf("-providers: unknown provider %q (known: %s)", p, strings.Join(bench.Providers(), ", "))
		}
		if !slices.Contains(c.providers, p) {
			c.providers = append(c.providers, p)
		}
	}
	return c, nil
}

func run(ctx context.Context, args []string) (err error) {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
	work, err := os.MkdirTemp("", "zkbench-")
	if err != nil {
		return err
	}
	if c.keep {
		logf("logs in %s", work)
	} else {
		defer os.RemoveAll(work)
	}
	if c.binary == "" {
		c.binary = filepath.Join(work, "zonekeeper")
		if err := bench.BuildBinary(ctx, ".", c.binary); err != nil {
			return err
		}
	}
	machine, err := bench.ReadMachine()
	if err != nil {
		return err
	}
	commit, err := gitCommit(ctx)
	if err != nil {
		return err
	}

	cluster, err := kubeapi.Start(ctx, kubeapi.Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, cluster.Stop()) }()
	client, err := kubeapi.FastClient(cluster.Config)
	if err != nil {
		return err
	}
	env := bench.Env{Binary: c.binary, Kubeconfig: cluster.Kubeconfig, Client: client, WorkDir: work, Logf: logf}

	setups := providerSetups(c.apiDaemonRuns)
	measured := make([]measuredProvider, len(c.providers))
	for i, name := range c.providers {
		measured[i] = setups[name]
	}
	// The page is rewritten after every N, so that a failure at a large N keeps the
	// figures of the smaller ones.
	for _, n := range c.ns {
		err := bench.WithIngresses(ctx, env, n, func(ns string, load time.Duration) error {
			for i, p := range measured {
				if c.providers[i] != bench.ProviderRFC2136 && n > c.apiMaxN {
					continue
				}
				opts := c.opts
				if c.providers[i] != bench.ProviderRFC2136 {
					opts.DaemonRuns = c.apiDaemonRuns
				}
				res, err := p.run(ctx, env, ns, n, opts)
				if err != nil {
					return fmt.Errorf("%s at N=%d: %w", c.providers[i], n, err)
				}
				res.Load = load
				measured[i].report.Results = append(measured[i].report.Results, res)
			}
			return nil
		})
		if err != nil {
			return err
		}
		reports := make([]bench.ProviderReport, len(measured))
		for i, p := range measured {
			reports[i] = p.report
		}
		page := bench.Render(bench.Report{
			Machine: machine, Commit: commit, Date: time.Now(), GoVersion: runtime.Version(),
			Command: c.command, Options: c.opts, Providers: reports,
		})
		if err := write(c.out, page, n == c.ns[len(c.ns)-1]); err != nil {
			return err
		}
	}
	return nil
}

// measuredProvider is how to measure one provider and the report its results go to.
type measuredProvider struct {
	run    func(ctx context.Context, env bench.Env, namespace string, n int, opts bench.Options) (bench.Result, error)
	report bench.ProviderReport
}

// providerSetups returns, by provider name, how each provider is measured and the
// report it starts with.
func providerSetups(apiDaemonRuns int) map[string]measuredProvider {
	emulated := "The emulator runs inside zkbench, answers at once (no latency, no throttling, no faults), " +
		"and its CPU is not in zonekeeper's figures. API calls are the emulator's request counts per operation " +
		"(test/bench/README.md); no upstream figures were measured against it. Daemon figures here come from " +
		bench.Plural(apiDaemonRuns, "daemon run") + " (-api-daemon-runs): call counts do not vary from run to run."
	return map[string]measuredProvider{
		bench.ProviderRFC2136: {bench.RunRFC2136, bench.ProviderReport{
			Name:     "RFC2136 (BIND9 9.18, TSIG, AXFR)",
			Upstream: bench.UpstreamRFC2136(),
			Targets:  bench.TargetsRFC2136(),
			Note: "Upstream's figures are issue 9's, measured on the same machine. The issue's raw limit (a plain " +
				"miekg/dns client puts 20,000 RRs into BIND9 in 0.19 s, 1,000 RRs per message) is the upstream figure of " +
				"the raw-limit row; zonekeeper's columns of that row measure the same on this machine and server, with " +
				"the records each cold run wrote (A and ownership TXT), on a fresh BIND9: the floor under the cold wall time.",
		}},
		bench.ProviderRoute53: {bench.RunRoute53, bench.ProviderReport{
			Name:    "Route53 (provider/route53/route53test emulator)",
			Table:   bench.TableRoute53,
			Targets: bench.TargetsRoute53(),
			Note: "zonekeeper runs with every --aws-* flag at its default, as a user gets it: 5 requests/s " +
				"(burst 10), 1 s between change calls to a zone, no zone list cache for one-shot runs. " + emulated +
				" The lower bound of change calls is the larger of ⌈changes / 1,000⌉ and ⌈value characters / 32,000⌉ " +
				"over the records the cold run created (an A record and its ownership TXT per Ingress); a record " +
				"travels with its TXT, so packing may need one call more.",
		}},
		bench.ProviderCloudflare: {bench.RunCloudflare, bench.ProviderReport{
			Name:  "Cloudflare (provider/cloudflare/cloudflaretest emulator)",
			Table: bench.TableAPI,
			Note: "zonekeeper runs with every Cloudflare flag at its default, as a user gets it: 100 records per " +
				"list page, 200 operations per batch call (the free plan's limit), 1 s between batch calls to a zone. " + emulated,
		}},
	}
}

// write writes page to the file out, keeping the sections of out that other tests
// measure (see withKeptSections), or to standard output when out is empty and the page
// is final.
func write(out, page string, final bool) error {
	if out != "" {
		old, err := os.ReadFile(out)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return os.WriteFile(out, []byte(withKeptSections(string(old), page)), 0o644)
	}
	if final {
		_, err := os.Stdout.WriteString(page)
		return err
	}
	return nil
}

// keptMarker starts the part of the report that zkbench does not measure: figures that
// tests of their own assert (the webhook provider's request counts), which a new report
// keeps as they are.
const keptMarker = "<!-- Below: figures asserted by tests, not measured by zkbench; zkbench keeps them. -->"

// withKeptSections returns page followed by the part of old from keptMarker on, if old
// has one.
func withKeptSections(old, page string) string {
	i := strings.Index(old, keptMarker)
	if i < 0 {
		return page
	}
	return strings.TrimRight(page, "\n") + "\n\n" + old[i:]
}

// gitCommit returns the checked-out commit, marked "-dirty" when the work tree differs
// from it.
func gitCommit(ctx context.Context) (string, error) {
	head, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse HEAD: %w", err)
	}
	status, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return "", fmt.Errorf("git status: %w", err)
	}
	commit := strings.TrimSpace(string(head))
	if len(status) > 0 {
		commit += "-dirty"
	}
	return commit, nil
}
