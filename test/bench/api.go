package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/provider/route53/route53test"
)

// Provider names, as -providers takes them.
const (
	ProviderRFC2136    = "rfc2136"
	ProviderRoute53    = "route53"
	ProviderCloudflare = "cloudflare"
)

// Providers lists every provider, in the order they run and are reported.
func Providers() []string { return []string{ProviderRFC2136, ProviderRoute53, ProviderCloudflare} }

// Operations the API emulators count calls of by name.
const (
	opRoute53Change    = "ChangeResourceRecordSets"
	opCloudflareChange = cloudflaretest.OpRecordsBatch
)

// cloudflareToken is the API token the Cloudflare emulator demands and zonekeeper
// sends, so that the benchmark's requests carry authentication as real ones do.
const cloudflareToken = "zkbench-token"

// apiEmulator is an API emulator zonekeeper is measured against, holding Zone, served
// in this process on 127.0.0.1; its work is not in zonekeeper's figures.
type apiEmulator struct {
	provider string
	server   *httptest.Server
	// calls and reset read and zero the emulator's request counts by operation.
	calls func() map[string]int
	reset func()
	// names counts the names in Zone holding an A and a TXT record.
	names func() NameCount
	// changeOp is the operation that writes records.
	changeOp string
	// createLoad returns what creating Zone's records counts against Route 53's limits
	// on one change call; nil for other providers.
	createLoad func() Route53Load
	// args are the provider flags and env the credentials pointing zonekeeper at it.
	args, env []string
}

// target returns the target writing to e.
func (e *apiEmulator) target(env Env, namespace, logDir string) Target {
	return newTarget(env.Binary, env.Kubeconfig, namespace, logDir, e.args, e.env...)
}

// namesIn returns a count of the names in what list returns, typeName giving each
// record's type and name.
func namesIn[R any](list func() []R, typeName func(R) (typ, name string)) func() NameCount {
	return func() NameCount {
		return countNames(func(yield func(typ, name string) bool) {
			for _, r := range list() {
				if !yield(typeName(r)) {
					return
				}
			}
		})
	}
}

// counting is what both emulators are: an http.Handler that counts its calls.
type counting interface {
	http.Handler
	Calls() map[string]int
	ResetCounters()
}

// serve serves em on 127.0.0.1 as provider's emulator; the caller fills in the rest.
func serve(provider string, em counting) *apiEmulator {
	return &apiEmulator{provider: provider, server: httptest.NewServer(em), calls: em.Calls, reset: em.ResetCounters}
}

// newRoute53 serves a fresh Route53 emulator holding the empty hosted zone Zone.
// zonekeeper gets static credentials, which the emulator does not check, and keeps
// every --aws-* flag at its default: 5 requests per second, 1 s between change calls.
func newRoute53() *apiEmulator {
	em := route53test.New(route53test.Options{})
	id := em.CreateZone(Zone, route53test.ZoneOptions{})
	e := serve(ProviderRoute53, em)
	e.names = namesIn(func() []types.ResourceRecordSet { return em.RecordSets(id) },
		func(s types.ResourceRecordSet) (string, string) { return string(s.Type), aws.ToString(s.Name) })
	e.changeOp = opRoute53Change
	e.createLoad = func() Route53Load { return Route53CreateLoad(em.RecordSets(id)) }
	e.args = []string{"--provider=route53", "--aws-endpoint-url=" + e.server.URL}
	e.env = []string{
		"AWS_ACCESS_KEY_ID=zkbench", "AWS_SECRET_ACCESS_KEY=zkbench", "AWS_REGION=us-east-1",
		// Nothing to ask the EC2 metadata service on a laptop or a CI runner.
		"AWS_EC2_METADATA_DISABLED=true",
	}
	return e
}

// newCloudflare serves a fresh Cloudflare emulator holding the empty zone Zone and
// demanding an API token. zonekeeper keeps every Cloudflare flag at its default: 100
// records per list page, 200 operations per batch call, 1 s between batch calls.
func newCloudflare() *apiEmulator {
	em := cloudflaretest.New(cloudflaretest.Options{Token: cloudflareToken})
	id := em.CreateZone(Zone)
	e := serve(ProviderCloudflare, em)
	e.names = namesIn(func() []cloudflaretest.Record { return em.Records(id) },
		func(r cloudflaretest.Record) (string, string) { return r.Type, r.Name })
	e.changeOp = opCloudflareChange
	e.args = []string{"--provider=cloudflare", "--cloudflare-api-url=" + e.server.URL + "/client/v4/"}
	e.env = []string{"CF_API_TOKEN=" + cloudflareToken}
	return e
}

// RunRoute53 measures zonekeeper with the Route53 provider against route53test's
// emulator in the scenarios cold, nochange, idle and event of opts, on the n benchmark
// Ingresses WithIngresses loaded into namespace.
func RunRoute53(ctx context.Context, env Env, ns string, n int, opts Options) (Result, error) {
	return runAPI(ctx, env, ns, n, opts, newRoute53)
}

// RunCloudflare measures zonekeeper with the Cloudflare provider against
// cloudflaretest's emulator, as RunRoute53 does with Route53.
func RunCloudflare(ctx context.Context, env Env, ns string, n int, opts Options) (Result, error) {
	return runAPI(ctx, env, ns, n, opts, newCloudflare)
}

// runAPI runs the one-shot and daemon scenarios against a fresh emulator each.
func runAPI(ctx context.Context, env Env, ns string, n int, opts Options, fresh func() *apiEmulator) (Result, error) {
	res := Result{N: n}
	err := opts.repeat([]string{Cold, NoChange}, []string{Event, Idle},
		func(run int) error { return apiOneShots(ctx, env, ns, n, run, opts, fresh(), &res) },
		func(run int) error { return apiDaemonRun(ctx, env, ns, n, run, opts, fresh(), &res) })
	return res, err
}

// allNames reports whether em holds exactly n names with an A record and n with a TXT
// record (their ownership records), and describes what it holds.
func allNames(em *apiEmulator, n int) (bool, string) {
	got := em.names()
	return got == NameCount{A: n, TXT: n}, fmt.Sprintf("%s holds %d names with an A record and %d with a TXT record, want %d of each",
		Zone, got.A, got.TXT, n)
}

// logCalls shows one run's calls per operation.
func logCalls(calls map[string]int) string {
	return formatCalls(medianCalls([]map[string]int{calls}))
}

// apiOneShots runs the one-shot scenarios once against em, which it closes: cold (empty
// zone) and no change (right after).
func apiOneShots(ctx context.Context, env Env, ns string, n, run int, opts Options, em *apiEmulator, res *Result) error {
	defer em.server.Close()
	dir, err := logDir(env, fmt.Sprintf("%s-n%d-run%d", em.provider, n, run))
	if err != nil {
		return err
	}
	target := em.target(env, ns, dir)
	measure := func(name string) (OneShot, error) {
		em.reset()
		usage, err := target.RunOnce(ctx, name)
		if err != nil {
			return OneShot{}, err
		}
		shot := OneShot{Usage: usage, Calls: em.calls()}
		env.Logf("N=%d %s run %d %s: wall %v, CPU %v, peak RSS %s, calls: %s", n, em.provider, run, name,
			shot.Wall.Round(time.Millisecond), shot.CPU.Round(time.Millisecond), megabytes(float64(shot.PeakRSS)), logCalls(shot.Calls))
		return shot, nil
	}
	// Every run starts from an empty zone, so cold always runs; it is only reported
	// when asked for.
	cold, err := measure(Cold)
	if err != nil {
		return err
	}
	if ok, state := allNames(em, n); !ok {
		return fmt.Errorf("after the cold run %s", state)
	}
	if opts.Scenarios[Cold] {
		res.Cold = append(res.Cold, cold)
		if em.createLoad != nil {
			res.ColdLoad = append(res.ColdLoad, em.createLoad())
		}
	}
	if opts.Scenarios[NoChange] {
		shot, err := measure(NoChange)
		if err != nil {
			return err
		}
		res.NoChange = append(res.NoChange, shot)
	}
	return nil
}

// apiDaemonRun starts a daemon against em, which it closes, waits until em holds all n
// names, and runs the daemon scenarios: idle, then the event-driven reconciles after a
// label change and after a new Ingress.
func apiDaemonRun(ctx context.Context, env Env, ns string, n, run int, opts Options, em *apiEmulator, res *Result) (err error) {
	defer em.server.Close()
	dir, err := logDir(env, fmt.Sprintf("%s-n%d-daemon%d", em.provider, n, run))
	if err != nil {
		return err
	}
	start := time.Now()
	d, err := em.target(env, ns, dir).StartDaemon(ctx, "daemon")
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := d.Stop(); err == nil {
			err = stopErr
		}
	}()
	converged, err := waitConverged(ctx, d, start, func(context.Context) (bool, string) { return allNames(em, n) })
	if err != nil {
		return err
	}
	res.DaemonConverge = append(res.DaemonConverge, converged)
	env.Logf("N=%d %s daemon %d: all %d names in the zone after %v", n, em.provider, run, n, converged.Round(time.Millisecond))

	// Idle first: the event scenarios' reconciles would otherwise fall into its window.
	if opts.Scenarios[Idle] {
		em.reset()
		idle, err := idleDaemon(ctx, d, opts.IdleFor)
		if err != nil {
			return err
		}
		idle.Calls = em.calls()
		res.Idle = append(res.Idle, idle)
		env.Logf("N=%d %s daemon %d: idle %v: CPU %v, RSS %s, %d reconciles, calls: %s", n, em.provider, run, opts.IdleFor,
			idle.CPU.Round(time.Millisecond), megabytes(float64(idle.RSS)), idle.Reconciles, logCalls(idle.Calls))
	}
	if opts.Scenarios[Event] {
		// An event window that took in the periodic resync (every --interval, a full
		// re-list) would count its calls as the event's.
		if err := afterResync(ctx, d, em); err != nil {
			return err
		}
		touch, err := apiEvent(ctx, d, em, func() error {
			// A value no earlier run used, or the update changes nothing and sends no event.
			return TouchIngress(ctx, env.Client, ns, IngressName(0), strconv.FormatInt(time.Now().UnixNano(), 10))
		}, nil)
		if err != nil {
			return err
		}
		res.Touch = append(res.Touch, touch)
		name := fmt.Sprintf("event-%s-%d", em.provider, run)
		added, err := apiEvent(ctx, d, em, func() error {
			return CreateIngress(ctx, env.Client, ns, name, name+"."+Zone, StatusIP)
		}, func() bool {
			// Counting the whole zone is dear at large N: only once a change call came in.
			if em.calls()[em.changeOp] == 0 {
				return false
			}
			ok, _ := allNames(em, n+1)
			return ok
		})
		if err != nil {
			return err
		}
		res.NewIngress = append(res.NewIngress, added)
		env.Logf("N=%d %s daemon %d: label touched: calls: %s; new Ingress in the zone after %v, calls: %s", n, em.provider, run,
			logCalls(touch.Calls), added.Latency.Round(time.Millisecond), logCalls(added.Calls))
		// The next daemon run starts from the same n Ingresses.
		if err := env.Client.NetworkingV1().Ingresses(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			return fmt.Errorf("delete ingress %s/%s: %w", ns, name, err)
		}
	}
	return d.Alive()
}

// eventWindow is how long the calls of an event-driven reconcile are counted after its
// change, or after its record appeared: far beyond the 50 ms settle after an event and the
// 50 ms --min-event-sync-interval, so that a reconcile queued behind the first is counted
// too.
const eventWindow = 3 * time.Second

// resyncTimeout bounds the wait for a daemon's periodic resync: beyond the default
// --interval (1 minute) plus a re-list at the providers' default request rates.
const resyncTimeout = 5 * time.Minute

// resyncQuiet is how long em must receive no call for a resync that began to count as
// finished: a re-list's calls come far closer together.
const resyncQuiet = 2 * time.Second

// afterResync waits until the daemon d has made its next periodic resync against em
// and finished it, so that the next --interval holds no resync.
func afterResync(ctx context.Context, d *Daemon, em *apiEmulator) error {
	ctx, cancel := context.WithTimeout(ctx, resyncTimeout)
	defer cancel()
	em.reset()
	last, quietSince := 0, time.Time{}
	for {
		total := 0
		for _, c := range em.calls() {
			total += c
		}
		switch {
		case total != last:
			last, quietSince = total, time.Now()
		case total > 0 && time.Since(quietSince) >= resyncQuiet:
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the daemon's periodic resync against the %s emulator: %w\n%v", em.provider, context.Cause(ctx), d.Alive())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// apiEvent zeroes em's counters, makes change, waits until landed reports the change
// written (nil: nothing to wait for) and then eventWindow, and returns the calls em
// received meanwhile and the time from the change until landed.
func apiEvent(ctx context.Context, d *Daemon, em *apiEmulator, change func() error, landed func() bool) (EventResult, error) {
	em.reset()
	start := time.Now()
	if err := change(); err != nil {
		return EventResult{}, err
	}
	var res EventResult
	if landed != nil {
		waitCtx, cancel := context.WithTimeout(ctx, answerTimeout)
		defer cancel()
		for !landed() {
			select {
			case <-waitCtx.Done():
				return EventResult{}, fmt.Errorf("waiting for the new Ingress's records in %s: %w\n%v", Zone, context.Cause(waitCtx), d.Alive())
			case <-time.After(pollInterval):
			}
		}
		res.Latency = time.Since(start)
	}
	select {
	case <-ctx.Done():
		return EventResult{}, context.Cause(ctx)
	case <-time.After(eventWindow):
	}
	res.Calls = em.calls()
	return res, d.Alive()
}
