package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// answerTimeout bounds one latency sample: far beyond any reasonable latency, it only
// stops a broken run.
const answerTimeout = 2 * time.Minute

// samplePause separates latency samples, so that each is a change of its own rather
// than one queued behind the previous reconcile (--min-event-sync-interval is 50 ms by default).
const samplePause = 1500 * time.Millisecond

// RunRFC2136 measures zonekeeper with the RFC2136 provider against BIND9 in the
// scenarios of opts, on the n benchmark Ingresses WithIngresses loaded into namespace.
func RunRFC2136(ctx context.Context, env Env, ns string, n int, opts Options) (Result, error) {
	res := Result{N: n}
	err := opts.repeat([]string{Cold, NoChange, ChurnTen}, []string{Event, Delete, Idle},
		func(run int) error { return oneShots(ctx, env, ns, n, run, opts, &res) },
		func(run int) error { return daemonRun(ctx, env, ns, n, run, opts, &res) })
	return res, err
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

// oneShots runs the one-shot scenarios once against a fresh BIND9: cold (empty zone),
// no change (right after), and churn (every tenth Ingress moved, then one run); with
// cold, it then measures the raw limit of the records the cold run wrote on another
// fresh BIND9.
func oneShots(ctx context.Context, env Env, ns string, n, run int, opts Options, res *Result) error {
	label := fmt.Sprintf("rfc2136-n%d-run%d", n, run)
	dir, err := logDir(env, label)
	if err != nil {
		return err
	}
	var written []dns.RR
	err = withBIND9(ctx, dir, func(srv *dnsserver.Server) error {
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
			if written, err = writtenRecords(ctx, srv, Zone); err != nil {
				return err
			}
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
	if err != nil || written == nil {
		return err
	}
	rawDir, err := logDir(env, label+"-raw")
	if err != nil {
		return err
	}
	// A fresh server, as the cold run had.
	return withBIND9(ctx, rawDir, func(srv *dnsserver.Server) error {
		raw, err := RawInsert(ctx, srv, Zone, written)
		if err != nil {
			return err
		}
		env.Logf("N=%d run %d raw limit: %d records in %d UPDATEs in %v", n, run, raw.Records, raw.Messages, raw.Wall.Round(time.Millisecond))
		res.Raw = append(res.Raw, raw)
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
		if opts.MinEventSyncInterval > 0 {
			target.Args = append(target.Args, "--min-event-sync-interval="+opts.MinEventSyncInterval.String())
		}
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
		if opts.Scenarios[Event] || opts.Scenarios[Delete] {
			created, deleted, churned, err := churnedSamples(ctx, env, d, srv, ns, n, run, names, opts.ChurnRate)
			if err != nil {
				return err
			}
			if opts.ChurnRate > 0 {
				res.BackgroundChurn = append(res.BackgroundChurn, churned)
				env.Logf("N=%d daemon %d: background churn: %d status updates in %v, %.1f/s (asked: %v/s)", n, run,
					churned.Updates, churned.Elapsed.Round(time.Millisecond), churned.Rate(), opts.ChurnRate)
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
			if opts.Scenarios[Event] || opts.Scenarios[Delete] {
				// The samples' and the churn's last reconcile must not end in the idle
				// window, where every reconcile counts as a periodic resync.
				select {
				case <-ctx.Done():
					return context.Cause(ctx)
				case <-time.After(settlePause):
				}
			}
			idle, err := idleFor(ctx, d, srv, opts.IdleFor)
			if err != nil {
				return err
			}
			res.Idle = append(res.Idle, idle)
			env.Logf("N=%d daemon %d: idle %v: CPU %v, %d AXFRs, %d UPDATEs, RSS %s, %d reconciles", n, run, opts.IdleFor,
				idle.CPU.Round(time.Millisecond), idle.Served.AXFRs, idle.Served.Updates, megabytes(float64(idle.RSS)), idle.Reconciles)
		}
		return d.Alive()
	})
}

// settlePause separates the last change of the event and delete samples (and of the
// background churn) from the idle window: far beyond the 50 ms settle and the 50 ms
// --min-event-sync-interval before the reconcile such a change triggers, and that
// reconcile's own time.
const settlePause = 5 * time.Second

// churnedSamples creates the Ingresses names one at a time and times each until srv
// answers its name (created), then deletes them one at a time and times each until
// srv answers NXDOMAIN (deleted), while, for churnRate > 0, a background churn moves
// pseudo-random benchmark Ingresses of 0 … n−1 between StatusIP and ChurnIP at
// churnRate updates per second. The churn stops before churnedSamples returns; an
// error of it ends the samples at once and is returned.
func churnedSamples(ctx context.Context, env Env, d *Daemon, srv *dnsserver.Server, ns string, n, run int, names []string, churnRate float64) (created, deleted []time.Duration, churned ChurnStats, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var churn *Churner
	if churnRate > 0 {
		churn, err = StartChurn(ctx, churnRate, n, uint64(run), func(ctx context.Context, i int) error {
			return ToggleStatusIP(ctx, env.Client, ns, i)
		}, func(err error) { cancel(fmt.Errorf("background churn: %w", err)) })
		if err != nil {
			return nil, nil, ChurnStats{}, err
		}
	}
	created, err = samples(ctx, d, srv, names, true, func(name string) error {
		return CreateIngress(ctx, env.Client, ns, name, name+"."+Zone, StatusIP)
	})
	if err == nil {
		// Deleting the samples again, timed or not, leaves the next daemon run the same
		// n names.
		deleted, err = samples(ctx, d, srv, names, false, func(name string) error {
			return env.Client.NetworkingV1().Ingresses(ns).Delete(ctx, name, metav1.DeleteOptions{})
		})
	}
	if churn != nil {
		var churnErr error
		churned, churnErr = churn.Stop()
		// A churn error is the cause of the samples' error, if they have one.
		if churnErr != nil {
			return nil, nil, churned, fmt.Errorf("background churn: %w", churnErr)
		}
	}
	return created, deleted, churned, err
}

// waitNames transfers Zone from srv every 250 ms until it holds n names with an A
// record, and returns the time since start.
func waitNames(ctx context.Context, d *Daemon, srv *dnsserver.Server, n int, start time.Time) (time.Duration, error) {
	return waitConverged(ctx, d, start, func(ctx context.Context) (bool, string) {
		got, err := CountA(ctx, srv, Zone)
		return err == nil && got == n, fmt.Sprintf("%s holds %d of %d names (%v)", Zone, got, n, err)
	})
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
	before, err := ReadCounters(ctx, srv, Zone)
	if err != nil {
		return IdleResult{}, err
	}
	res, err := idleDaemon(ctx, d, idle)
	if err != nil {
		return IdleResult{}, err
	}
	after, err := ReadCounters(ctx, srv, Zone)
	if err != nil {
		return IdleResult{}, err
	}
	res.Served = after.Sub(before)
	return res, nil
}
