package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// Scenario names, as -scenarios takes them.
const (
	Cold     = "cold"
	NoChange = "nochange"
	ChurnTen = "churn"
	Event    = "event"
	Delete   = "delete"
	Idle     = "idle"
)

// Scenarios lists every scenario, in the order they run and are reported.
func Scenarios() []string { return []string{Cold, NoChange, ChurnTen, Event, Delete, Idle} }

// Options says what to measure. The scenarios Cold, NoChange and ChurnTen run Runs
// times, each on a fresh DNS server; Event, Delete and Idle share DaemonRuns daemons,
// each on a fresh DNS server.
type Options struct {
	Runs, DaemonRuns int
	// Samples is how many Ingresses the Event and Delete scenarios each time.
	Samples int
	// IdleFor is how long the Idle scenario leaves the daemon alone.
	IdleFor time.Duration
	// Scenarios holds the names of the scenarios to run.
	Scenarios map[string]bool
}

// Env is what every scenario runs against.
type Env struct {
	// Binary is the zonekeeper executable.
	Binary string
	// Kubeconfig is an admin kubeconfig file of the cluster, and Client a client of it
	// without client-side throttling.
	Kubeconfig string
	Client     kubernetes.Interface
	// WorkDir receives the logs of every zonekeeper process.
	WorkDir string
	// Logf reports progress.
	Logf func(format string, args ...any)
}

// OneShot is one `zonekeeper run --once` and what the DNS server served it.
type OneShot struct {
	Usage
	Served Counters
}

// IdleResult is what an idle daemon cost over IdleFor.
type IdleResult struct {
	CPU    time.Duration
	Served Counters
	// RSS is the daemon's resident set at the end, in bytes.
	RSS int64
}

// Result holds every sample of one provider at one N. Slices hold one entry per run
// (per daemon run for DaemonConverge and Idle; every sample of every daemon run for
// EventLatency and DeleteLatency); a scenario not run leaves its slice empty.
type Result struct {
	N int
	// Load is the time to create N Ingresses and write their status IPs.
	Load                        time.Duration
	Cold, NoChange, Churn       []OneShot
	DaemonConverge              []time.Duration
	EventLatency, DeleteLatency []time.Duration
	Idle                        []IdleResult
}

// answerTimeout bounds one latency sample: far beyond any reasonable latency, it only
// stops a broken run.
const answerTimeout = 2 * time.Minute

// convergeTimeout bounds a daemon's first reconcile of N records.
const convergeTimeout = 15 * time.Minute

// samplePause separates latency samples, so that each is a change of its own rather
// than one queued behind the previous reconcile (--min-event-sync-interval is 1 s).
const samplePause = 1500 * time.Millisecond

// RunRFC2136 loads n Ingresses into a fresh namespace and measures zonekeeper with the
// RFC2136 provider against BIND9 in the scenarios of opts. The Ingresses are deleted
// at the end, so that the next n does not share the API server with them.
func RunRFC2136(ctx context.Context, env Env, n int, opts Options) (Result, error) {
	res := Result{N: n}
	ns := fmt.Sprintf("bench-%d-%d", n, time.Now().Unix())
	if _, err := env.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return res, fmt.Errorf("create namespace %s: %w", ns, err)
	}
	defer func() {
		// A namespace never finishes deleting without a controller-manager; its objects
		// do. One by one: a DeleteCollection of 50,000 outlasts the API server's request
		// timeout.
		if err := DeleteIngresses(context.WithoutCancel(ctx), env.Client, ns, n); err != nil {
			env.Logf("delete the ingresses of %s: %v", ns, err)
		}
	}()
	start := time.Now()
	if err := LoadIngresses(ctx, env.Client, ns, n); err != nil {
		return res, err
	}
	res.Load = time.Since(start)
	env.Logf("N=%d: loaded %d Ingresses in %v", n, n, res.Load.Round(time.Millisecond))

	if opts.Scenarios[Cold] || opts.Scenarios[NoChange] || opts.Scenarios[ChurnTen] {
		for run := range opts.Runs {
			if err := oneShots(ctx, env, ns, n, run, opts, &res); err != nil {
				return res, err
			}
		}
	}
	if opts.Scenarios[Event] || opts.Scenarios[Delete] || opts.Scenarios[Idle] {
		for run := range opts.DaemonRuns {
			if err := daemonRun(ctx, env, ns, n, run, opts, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// withBIND9 starts a fresh BIND9 serving an empty Zone, runs f on it and stops it,
// keeping the server's log as bind9.log in dir: when did which transfer happen is
// the first question a surprising count raises.
func withBIND9(ctx context.Context, dir string, f func(srv *dnsserver.Server) error) (err error) {
	srv, err := dnsserver.Start(ctx, dnsserver.BIND9, dnsserver.Config{Zones: []string{Zone}})
	if err != nil {
		return err
	}
	defer func() {
		logErr := os.WriteFile(filepath.Join(dir, "bind9.log"), []byte(srv.LogTail(math.MaxInt)), 0o644)
		err = errors.Join(err, srv.Stop(), logErr)
	}()
	return f(srv)
}

// logDir returns a fresh folder for the logs of one run.
func logDir(env Env, label string) (string, error) {
	dir := filepath.Join(env.WorkDir, label)
	return dir, os.MkdirAll(dir, 0o755)
}

// oneShots runs the one-shot scenarios once against a fresh BIND9: cold (empty zone),
// no change (right after), and churn (every tenth Ingress moved, then one run).
func oneShots(ctx context.Context, env Env, ns string, n, run int, opts Options, res *Result) error {
	label := fmt.Sprintf("rfc2136-n%d-run%d", n, run)
	dir, err := logDir(env, label)
	if err != nil {
		return err
	}
	return withBIND9(ctx, dir, func(srv *dnsserver.Server) error {
		target := RFC2136Target(env.Binary, env.Kubeconfig, ns, dir, srv)
		measure := func(name string) (OneShot, error) {
			before, err := ReadCounters(ctx, srv, Zone)
			if err != nil {
				return OneShot{}, err
			}
			usage, err := target.RunOnce(ctx, name)
			if err != nil {
				return OneShot{}, err
			}
			after, err := ReadCounters(ctx, srv, Zone)
			if err != nil {
				return OneShot{}, err
			}
			shot := OneShot{Usage: usage, Served: after.Sub(before)}
			env.Logf("N=%d run %d %s: wall %v, CPU %v, peak RSS %s, %d UPDATEs, %d AXFRs", n, run, name,
				shot.Wall.Round(time.Millisecond), shot.CPU.Round(time.Millisecond), megabytes(float64(shot.PeakRSS)), shot.Served.Updates, shot.Served.AXFRs)
			return shot, nil
		}
		// Every run starts from an empty zone, so cold always runs; it is only reported
		// when asked for.
		cold, err := measure(Cold)
		if err != nil {
			return err
		}
		if got, err := CountA(ctx, srv, Zone); err != nil || got != n {
			return fmt.Errorf("after the cold run %s holds %d names with an A record (%v), want %d", Zone, got, err, n)
		}
		if opts.Scenarios[Cold] {
			res.Cold = append(res.Cold, cold)
		}
		if opts.Scenarios[NoChange] {
			shot, err := measure(NoChange)
			if err != nil {
				return err
			}
			res.NoChange = append(res.NoChange, shot)
		}
		if opts.Scenarios[ChurnTen] {
			// Alternate, so that every run really changes the addresses.
			ip := ChurnIP
			if run%2 == 1 {
				ip = StatusIP
			}
			if _, err := Churn(ctx, env.Client, ns, n, ip); err != nil {
				return err
			}
			shot, err := measure(ChurnTen)
			if err != nil {
				return err
			}
			res.Churn = append(res.Churn, shot)
		}
		return nil
	})
}

// daemonRun starts a daemon against a fresh BIND9, waits until the zone holds all n
// names, and runs the daemon scenarios: event latency, delete latency, idle.
func daemonRun(ctx context.Context, env Env, ns string, n, run int, opts Options, res *Result) error {
	label := fmt.Sprintf("rfc2136-n%d-daemon%d", n, run)
	dir, err := logDir(env, label)
	if err != nil {
		return err
	}
	return withBIND9(ctx, dir, func(srv *dnsserver.Server) (err error) {
		target := RFC2136Target(env.Binary, env.Kubeconfig, ns, dir, srv)
		start := time.Now()
		d, err := target.StartDaemon(ctx, "daemon")
		if err != nil {
			return err
		}
		defer func() {
			if stopErr := d.Stop(); err == nil {
				err = stopErr
			}
		}()
		converged, err := waitNames(ctx, d, srv, n, start)
		if err != nil {
			return err
		}
		res.DaemonConverge = append(res.DaemonConverge, converged)
		env.Logf("N=%d daemon %d: all %d names in the zone after %v", n, run, n, converged.Round(time.Millisecond))

		names := make([]string, opts.Samples)
		for i := range names {
			names[i] = fmt.Sprintf("event-%d-%d", run, i)
		}
		host := func(name string) string { return name + "." + Zone }
		if opts.Scenarios[Event] || opts.Scenarios[Delete] {
			created, err := samples(ctx, d, srv, names, true, func(name string) error {
				return CreateIngress(ctx, env.Client, ns, name, host(name), StatusIP)
			})
			if err != nil {
				return err
			}
			// Deleting the samples again, timed or not, leaves the next daemon run the same
			// n names.
			deleted, err := samples(ctx, d, srv, names, false, func(name string) error {
				return env.Client.NetworkingV1().Ingresses(ns).Delete(ctx, name, metav1.DeleteOptions{})
			})
			if err != nil {
				return err
			}
			if opts.Scenarios[Event] {
				res.EventLatency = append(res.EventLatency, created...)
				env.Logf("N=%d daemon %d: event → resolvable p50 %v, max %v", n, run,
					Percentile(created, 50).Round(time.Millisecond), Percentile(created, 100).Round(time.Millisecond))
			}
			if opts.Scenarios[Delete] {
				res.DeleteLatency = append(res.DeleteLatency, deleted...)
				env.Logf("N=%d daemon %d: delete → gone p50 %v, max %v", n, run,
					Percentile(deleted, 50).Round(time.Millisecond), Percentile(deleted, 100).Round(time.Millisecond))
			}
		}
		if opts.Scenarios[Idle] {
			idle, err := idleFor(ctx, d, srv, opts.IdleFor)
			if err != nil {
				return err
			}
			res.Idle = append(res.Idle, idle)
			env.Logf("N=%d daemon %d: idle %v: CPU %v, %d AXFRs, %d UPDATEs, RSS %s", n, run, opts.IdleFor,
				idle.CPU.Round(time.Millisecond), idle.Served.AXFRs, idle.Served.Updates, megabytes(float64(idle.RSS)))
		}
		return d.Alive()
	})
}

// convergePoll is how often waitNames transfers the zone to count its names.
const convergePoll = 250 * time.Millisecond

// waitNames transfers Zone from srv every 250 ms until it holds n names with an A
// record, and returns the time since start.
func waitNames(ctx context.Context, d *Daemon, srv *dnsserver.Server, n int, start time.Time) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, convergeTimeout)
	defer cancel()
	for {
		got, err := CountA(ctx, srv, Zone)
		if err == nil && got == n {
			return time.Since(start), nil
		}
		if err := d.Alive(); err != nil {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s holds %d of %d names (%v) after %v", Zone, got, n, err, time.Since(start).Round(time.Second))
		case <-time.After(convergePoll):
		}
	}
}

// samples times change(name) for each of names, one at a time with samplePause before
// each, until srv answers name.Zone with an A record (present) or NXDOMAIN (not).
func samples(ctx context.Context, d *Daemon, srv *dnsserver.Server, names []string, present bool, change func(name string) error) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(names))
	for _, name := range names {
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(samplePause):
		}
		start := time.Now()
		if err := change(name); err != nil {
			return nil, err
		}
		waitCtx, cancel := context.WithTimeout(ctx, answerTimeout)
		latency, err := WaitAnswer(waitCtx, srv.Addr, name+"."+Zone, present, start)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%w\n%v", err, d.Alive())
		}
		out = append(out, latency)
	}
	return out, nil
}

// idleFor leaves the daemon alone for idle and returns what it cost meanwhile.
func idleFor(ctx context.Context, d *Daemon, srv *dnsserver.Server, idle time.Duration) (IdleResult, error) {
	cpuBefore, err := ProcessCPU(d.PID())
	if err != nil {
		return IdleResult{}, err
	}
	before, err := ReadCounters(ctx, srv, Zone)
	if err != nil {
		return IdleResult{}, err
	}
	select {
	case <-ctx.Done():
		return IdleResult{}, context.Cause(ctx)
	case <-time.After(idle):
	}
	if err := d.Alive(); err != nil {
		return IdleResult{}, err
	}
	cpuAfter, err := ProcessCPU(d.PID())
	if err != nil {
		return IdleResult{}, err
	}
	after, err := ReadCounters(ctx, srv, Zone)
	if err != nil {
		return IdleResult{}, err
	}
	rss, err := ProcessRSS(d.PID())
	if err != nil {
		return IdleResult{}, err
	}
	return IdleResult{CPU: cpuAfter - cpuBefore, Served: after.Sub(before), RSS: rss}, nil
}
