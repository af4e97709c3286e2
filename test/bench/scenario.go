package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
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
// times, each on a fresh DNS server or emulator; Event, Delete and Idle share
// DaemonRuns daemons, each on a fresh DNS server or emulator.
type Options struct {
	Runs, DaemonRuns int
	// Samples is how many Ingresses the Event and Delete scenarios each time.
	Samples int
	// IdleFor is how long the Idle scenario leaves the daemon alone.
	IdleFor time.Duration
	// Scenarios holds the names of the scenarios to run.
	Scenarios map[string]bool
	// ChurnRate is the status updates per second a background churn makes to the
	// benchmark Ingresses while the Event and Delete scenarios run against BIND9; 0 for
	// none.
	ChurnRate float64
	// MinEventSyncInterval, when positive, is the rfc2136 daemons'
	// --min-event-sync-interval; 0 leaves the daemon's default.
	MinEventSyncInterval time.Duration
}

// repeat runs oneShot Runs times if any of oneShots is asked for, then daemon
// DaemonRuns times if any of daemons is, and stops at the first error.
func (o Options) repeat(oneShots, daemons []string, oneShot, daemon func(run int) error) error {
	for _, step := range []struct {
		scenarios []string
		times     int
		f         func(run int) error
	}{{oneShots, o.Runs, oneShot}, {daemons, o.DaemonRuns, daemon}} {
		if !slices.ContainsFunc(step.scenarios, func(s string) bool { return o.Scenarios[s] }) {
			continue
		}
		for run := range step.times {
			if err := step.f(run); err != nil {
				return err
			}
		}
	}
	return nil
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

// OneShot is one `zonekeeper run --once` and what the DNS server or API emulator
// served it.
type OneShot struct {
	Usage
	// Served is what a DNS server served; zero against an API emulator.
	Served Counters
	// Calls is how many requests an API emulator received, by operation; nil against
	// a DNS server.
	Calls map[string]int
}

// IdleResult is what an idle daemon cost over IdleFor.
type IdleResult struct {
	CPU    time.Duration
	Served Counters
	// Calls is how many requests an API emulator received meanwhile, by operation;
	// nil against a DNS server.
	Calls map[string]int
	// RSS is the daemon's resident set at the end, in bytes.
	RSS int64
	// Reconciles counts the reconciles the daemon's log says ended within the window:
	// with nothing changing, its periodic full resyncs (one every --interval).
	Reconciles int
}

// EventResult is one event-driven reconcile of a daemon against an API emulator:
// the calls it made, and for a change that adds a record, how long the record took to
// appear in the emulator.
type EventResult struct {
	Latency time.Duration
	Calls   map[string]int
}

// Result holds every sample of one provider at one N. Slices hold one entry per run
// (per daemon run for DaemonConverge, Idle, Touch and NewIngress; every sample of every
// daemon run for EventLatency and DeleteLatency); a scenario not run leaves its slice
// empty.
type Result struct {
	N int
	// Load is the time to create N Ingresses and write their status IPs.
	Load                  time.Duration
	Cold, NoChange, Churn []OneShot
	// Raw holds the raw limit of each cold run against a DNS server.
	Raw                         []Raw
	DaemonConverge              []time.Duration
	EventLatency, DeleteLatency []time.Duration
	// BackgroundChurn is, per daemon run with Options.ChurnRate > 0, what the churn
	// during its Event and Delete scenarios did.
	BackgroundChurn []ChurnStats
	Idle            []IdleResult
	// Touch and NewIngress are the event-driven reconciles against an API emulator:
	// after a label change that changes no record, and after a new Ingress.
	Touch, NewIngress []EventResult
	// ColdLoad is, per cold run against Route53, what its changes count against
	// Route 53's limits on one change call.
	ColdLoad []Route53Load
}

// convergeTimeout bounds a daemon's first reconcile of N records.
const convergeTimeout = 15 * time.Minute

// convergePoll is how often a daemon's progress is checked while it converges.
const convergePoll = 250 * time.Millisecond

// WithIngresses loads n benchmark Ingresses into a fresh namespace, runs f with the
// namespace and the time the load took, and deletes the Ingresses again, so that the
// next n does not share the API server with them.
func WithIngresses(ctx context.Context, env Env, n int, f func(namespace string, load time.Duration) error) error {
	ns := fmt.Sprintf("bench-%d-%d", n, time.Now().Unix())
	if _, err := env.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", ns, err)
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
		return err
	}
	load := time.Since(start)
	env.Logf("N=%d: loaded %d Ingresses in %v", n, n, load.Round(time.Millisecond))
	return f(ns, load)
}

// logDir returns a fresh folder for the logs of one run.
func logDir(env Env, label string) (string, error) {
	dir := filepath.Join(env.WorkDir, label)
	return dir, os.MkdirAll(dir, 0o755)
}

// waitConverged asks converged every 250 ms until it says the daemon d has written
// everything, and returns the time since start. converged describes what it found, for
// the error when convergeTimeout passes first.
func waitConverged(ctx context.Context, d *Daemon, start time.Time, converged func(ctx context.Context) (bool, string)) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, convergeTimeout)
	defer cancel()
	for {
		done, state := converged(ctx)
		if done {
			return time.Since(start), nil
		}
		if err := d.Alive(); err != nil {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%s after %v", state, time.Since(start).Round(time.Second))
		case <-time.After(convergePoll):
		}
	}
}

// idleDaemon leaves d alone for idle and returns the CPU it used meanwhile, its
// resident set at the end, in bytes, and the reconciles it finished meanwhile.
func idleDaemon(ctx context.Context, d *Daemon, idle time.Duration) (IdleResult, error) {
	before, err := ProcessCPU(d.PID())
	if err != nil {
		return IdleResult{}, err
	}
	logStart, err := d.logSize()
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
	after, err := ProcessCPU(d.PID())
	if err != nil {
		return IdleResult{}, err
	}
	rss, err := ProcessRSS(d.PID())
	if err != nil {
		return IdleResult{}, err
	}
	logged, err := d.logSince(logStart)
	if err != nil {
		return IdleResult{}, err
	}
	return IdleResult{CPU: after - before, RSS: rss, Reconciles: countReconciles(logged)}, nil
}

// The daemon logs one of these messages, in its default text format, at the end of
// every reconcile (controller.Daemon): the first when it went well, the second when not.
const (
	reconcileFinished = `msg="reconcile finished"`
	reconcileFailed   = `msg="reconcile failed"`
)

// countReconciles returns how many reconciles the daemon's log text reports ended,
// well or not.
func countReconciles(log []byte) int {
	count := 0
	for line := range bytes.Lines(log) {
		if bytes.Contains(line, []byte(reconcileFinished)) || bytes.Contains(line, []byte(reconcileFailed)) {
			count++
		}
	}
	return count
}

// PerResync is the CPU an idle daemon used per periodic full resync over the window of
// i: its CPU in the window divided by the reconciles that ended in it, every one of them
// a periodic resync as nothing changed. It is false when none ended in the window.
func (i IdleResult) PerResync() (time.Duration, bool) {
	if i.Reconciles == 0 {
		return 0, false
	}
	return i.CPU / time.Duration(i.Reconciles), true
}
