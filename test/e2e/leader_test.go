package e2e

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/zonekeeper/zonekeeper/test/dnsserver"
)

// The Lease timing of the leader election test: short, to keep the test short, and
// within client-go's rules (renew deadline < lease duration, > 1.2 × retry period).
const (
	testLeaseDuration = 4 * time.Second
	testRenewDeadline = 3 * time.Second
	testRetryPeriod   = 250 * time.Millisecond
	// takeoverBudget is the most a crashed leader's standby may take from the crash to
	// its first successful reconcile: the lease must expire first, then the standby
	// acquires it at its next retry and reconciles from warm caches.
	takeoverBudget = testLeaseDuration + 2*time.Second
)

// TestLeaderElection runs replicas of the daemon on the real API server and BIND9: one
// leads and writes while the other stands by, ready and idle; after a kill -9 of the
// leader the standby takes over within the lease duration and 2 s; a replica stopped
// with SIGTERM hands its Lease over at once. No replica writes while another leads.
func TestLeaderElection(t *testing.T) {
	t.Parallel()
	c := suite.cluster
	ns := c.Namespace(t)
	srv := dnsserver.StartT(t, dnsserver.BIND9, dnsserver.Config{Zones: []string{zone}})
	flags := append(rfc2136Flags(t, srv),
		"--leader-elect", "--leader-elect-namespace="+ns,
		"--leader-elect-lease-duration="+testLeaseDuration.String(),
		"--leader-elect-renew-deadline="+testRenewDeadline.String(),
		"--leader-elect-retry-period="+testRetryPeriod.String())
	replicas := []*daemon{
		startDaemon(t, c.Kubeconfig, ns, t.TempDir(), flags...),
		startDaemon(t, c.Kubeconfig, ns, t.TempDir(), flags...),
	}

	var leader, standby *daemon
	replicas[0].waitFor(t, convergeTimeout, "exactly one leader that has reconciled", func() error {
		var err error
		leader, standby, err = oneLeader(replicas)
		if err != nil {
			return err
		}
		if n, err := leader.metric("zonekeeper_reconciles_total", `result="success"`); err != nil || n == 0 {
			return fmt.Errorf("the leader has not reconciled yet (%v)", err)
		}
		return nil
	})
	answers := func(name string, want ...string) func() error {
		return func() error {
			got, err := lookup(srv.Addr, name, dns.TypeA)
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s A answers %q, want %q", name, got, want)
			}
			return nil
		}
	}
	first, second, third := "first."+zone, "second."+zone, "third."+zone
	createIngress(t, c.Client, newIngress(ns, "first", []string{first}, nil), "192.0.2.1")
	leader.waitFor(t, convergeTimeout, "the leader to publish "+first, answers(first, "192.0.2.1"))
	standby.waitReady(t, convergeTimeout)
	leaderWrites, standbyWrites := updates(t, leader), updates(t, standby)
	if leaderWrites == 0 || standbyWrites != 0 || standby.reconciles(t) != 0 {
		t.Fatalf("while one leads: leader sent %v updates, standby %v updates in %v reconciles; want some, none, none",
			leaderWrites, standbyWrites, standby.reconciles(t))
	}
	if g, err := standby.metric("zonekeeper_leader"); err != nil || g != 0 {
		t.Errorf("standby's zonekeeper_leader = %v (%v), want 0", g, err)
	}

	// kill -9: no release, so the standby waits for the lease to expire.
	killed := time.Now()
	leader.stopped = true
	if err := leader.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-leader.exited
	createIngress(t, c.Client, newIngress(ns, "second", []string{second}, nil), "192.0.2.2")
	took := takeover(t, standby, killed)
	t.Logf("kill -9 of the leader → first successful reconcile of the standby: %s (budget %s)", took.Round(time.Millisecond), takeoverBudget)
	if took > takeoverBudget {
		t.Errorf("takeover after kill -9 took %s, want less than the lease duration + 2 s = %s", took, takeoverBudget)
	}
	standby.waitFor(t, convergeTimeout, "the new leader to publish "+second, answers(second, "192.0.2.2"))
	if err := answers(first, "192.0.2.1")(); err != nil {
		t.Error(err)
	}
	t.Logf("updates sent: %v by the killed leader (all before the kill), %v by the standby before the kill, %v by it after",
		leaderWrites, standbyWrites, updates(t, standby))
	noWritesBefore(t, standby, killed)

	// SIGTERM: the leader releases the Lease once its reconcile is done, so a third
	// replica takes over well within the lease duration.
	survivor := standby
	newcomer := startDaemon(t, c.Kubeconfig, ns, t.TempDir(), flags...)
	newcomer.waitReady(t, convergeTimeout)
	if n := updates(t, newcomer); n != 0 {
		t.Errorf("the new standby sent %v updates while another led, want none", n)
	}
	stopped := time.Now()
	survivor.stop(t)
	createIngress(t, c.Client, newIngress(ns, "third", []string{third}, nil), "192.0.2.3")
	took = takeover(t, newcomer, stopped)
	t.Logf("SIGTERM of the leader → first successful reconcile of the standby: %s", took.Round(time.Millisecond))
	if took >= testLeaseDuration {
		t.Errorf("handover after SIGTERM took %s, want less than the lease duration %s: the Lease was not released", took, testLeaseDuration)
	}
	newcomer.waitFor(t, convergeTimeout, "the third leader to publish "+third, answers(third, "192.0.2.3"))
	noWritesBefore(t, newcomer, stopped)
}

// oneLeader returns the one replica whose zonekeeper_leader is 1 and the other one, or
// an error unless exactly one leads.
func oneLeader(replicas []*daemon) (leader, standby *daemon, err error) {
	var leaders []*daemon
	for _, d := range replicas {
		g, err := d.metric("zonekeeper_leader")
		if err != nil {
			return nil, nil, err
		}
		switch {
		case g == 1:
			leaders = append(leaders, d)
		case g != 0:
			return nil, nil, fmt.Errorf("zonekeeper_leader = %v", g)
		default:
			standby = d
		}
	}
	if len(leaders) != 1 {
		return nil, nil, fmt.Errorf("%d of %d replicas lead, want 1", len(leaders), len(replicas))
	}
	return leaders[0], standby, nil
}

// updates returns how many DNS UPDATE messages d has sent: its writes.
func updates(t *testing.T, d *daemon) float64 {
	t.Helper()
	n, err := d.metric("zonekeeper_provider_calls_total", `operation="update"`)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// takeover waits for d's first successful reconcile and returns the time from since to
// its end, as d logged it.
func takeover(t *testing.T, d *daemon, since time.Time) time.Duration {
	t.Helper()
	var end time.Time
	d.waitFor(t, convergeTimeout, "a successful reconcile", func() error {
		for _, e := range d.log.entries("reconcile finished") {
			if e["result"] != "success" {
				continue
			}
			var err error
			if end, err = logTime(e); err != nil {
				return err
			}
			return nil
		}
		return errors.New(`no "reconcile finished" line with result success yet`)
	})
	return end.Sub(since)
}

// noWritesBefore fails the test if d applied a change or began leading before t0.
func noWritesBefore(t *testing.T, d *daemon, t0 time.Time) {
	t.Helper()
	entries := slices.Concat(d.log.entries("change applied"), d.log.entries("leading: reconciling"))
	if len(entries) == 0 {
		t.Error(`no "leading: reconciling" line in the new leader's log`)
	}
	for _, e := range entries {
		at, err := logTime(e)
		if err != nil {
			t.Error(err)
			continue
		}
		if at.Before(t0) {
			t.Errorf("%q at %s, before the old leader stopped at %s", e["msg"], at.Format(time.StampMilli), t0.Format(time.StampMilli))
		}
	}
}

// logTime is the time of a JSON log entry.
func logTime(e map[string]any) (time.Time, error) {
	s, _ := e["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("log entry %v: time: %w", e, err)
	}
	return at, nil
}
