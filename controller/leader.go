package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// The defaults of LeaderElectionConfig's durations, those of Kubernetes' own components.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// LeaderElectionConfig says which Lease the replicas of one zonekeeper deployment compete
// for, and how quickly leadership moves.
type LeaderElectionConfig struct {
	// Namespace and Name name the coordination.k8s.io/v1 Lease.
	Namespace string
	Name      string
	// Identity tells this replica apart from every other one, including other processes
	// on the same host.
	Identity string
	// LeaseDuration is how long the other replicas wait, from the last renewal they saw,
	// before they take the Lease of a leader that stopped renewing it (a crashed or
	// partitioned one).
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps failing to renew the Lease before it
	// stops leading. It is shorter than LeaseDuration, so that a leader cut off from the
	// API server stops before anyone else may start.
	RenewDeadline time.Duration
	// RetryPeriod is the time between two attempts to acquire or renew the Lease.
	RetryPeriod time.Duration
}

// Validate returns an error naming the first field that client-go's leader election
// would refuse, and why.
func (c LeaderElectionConfig) Validate() error {
	switch {
	case c.Namespace == "":
		return errors.New("the Lease namespace is empty")
	case c.Identity == "":
		return errors.New("the leader election identity is empty")
	case c.LeaseDuration <= 0 || c.RenewDeadline <= 0 || c.RetryPeriod <= 0:
		return fmt.Errorf("lease duration (%s), renew deadline (%s) and retry period (%s) must all be positive", c.LeaseDuration, c.RenewDeadline, c.RetryPeriod)
	case c.RenewDeadline >= c.LeaseDuration:
		return fmt.Errorf("the renew deadline (%s) must be shorter than the lease duration (%s): a leader that cannot renew must stop before the others may take over", c.RenewDeadline, c.LeaseDuration)
	case float64(c.RenewDeadline) <= leaderelection.JitterFactor*float64(c.RetryPeriod):
		return fmt.Errorf("the renew deadline (%s) must be longer than %g times the retry period (%s): the leader must get to retry a failed renewal before it gives up", c.RenewDeadline, leaderelection.JitterFactor, c.RetryPeriod)
	}
	if errs := validation.IsDNS1123Subdomain(c.Name); len(errs) > 0 {
		return fmt.Errorf("the Lease name %q is not a valid object name: %s", c.Name, strings.Join(errs, "; "))
	}
	return nil
}

// An Elector decides which one of several replicas leads, that is, writes to the
// provider.
type Elector interface {
	// Campaign waits until this replica leads or ctx ends. When it leads, it calls lead
	// once, with a context that ends when leadership is lost or ctx ends, and it gives up
	// leadership only after lead has returned: whatever lead does before it returns is
	// done under leadership. Campaign returns after lead has returned and leadership has
	// been given up, or, without calling lead, when ctx ended first. It returns an error
	// only when it could not campaign at all.
	Campaign(ctx context.Context, lead func(ctx context.Context)) error
}

// LeaseElector is an Elector competing for a coordination.k8s.io/v1 Lease through
// client-go's leader election. A leader that is stopped (its ctx ends) releases the Lease
// once lead has returned, so that a standby takes over at its next retry instead of
// waiting out the lease duration.
//
// A LeaseElector is safe for concurrent use, though one replica has no reason to run two
// campaigns at once.
type LeaseElector struct {
	client kubernetes.Interface
	cfg    LeaderElectionConfig
}

// NewLeaseElector returns an Elector for the Lease cfg names, read and written through
// client. The Lease is created on the first campaign if it does not exist.
func NewLeaseElector(client kubernetes.Interface, cfg LeaderElectionConfig) (*LeaseElector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("leader election on Lease %s/%s: %w", cfg.Namespace, cfg.Name, err)
	}
	return &LeaseElector{client: client, cfg: cfg}, nil
}

// Campaign implements Elector.
func (e *LeaseElector) Campaign(ctx context.Context, lead func(ctx context.Context)) error {
	termOver := make(chan struct{})
	// client-go calls OnStartedLeading on a goroutine of its own and does not wait for
	// it; lead runs here instead, so that Campaign returns only once lead has.
	terms := make(chan context.Context, 1)
	// client-go ends the term's context only after it has tried to release the Lease,
	// which waits for the term (releaseAfterTerm), and the release may itself hang on an
	// unreachable API server: lead would go on writing for up to another renew deadline
	// after the last renewal, possibly past the Lease's expiry while a standby already
	// leads. So the term is ended here as soon as the Lease has gone a renew deadline
	// without a renewal (the moment client-go gives it up), or a release begins.
	released, endTerm := context.WithCancel(context.Background())
	defer endTerm()
	lock := &releaseAfterTerm{
		Interface: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name},
			Client:     e.client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: e.cfg.Identity},
		},
		termOver: termOver,
		endTerm:  endTerm,
	}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   e.cfg.LeaseDuration,
		RenewDeadline:   e.cfg.RenewDeadline,
		RetryPeriod:     e.cfg.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            e.cfg.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(term context.Context) { terms <- term },
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election on Lease %s/%s: %w", e.cfg.Namespace, e.cfg.Name, err)
	}
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		le.Run(ctx)
	}()
	select {
	case term := <-terms:
		term, cancel := context.WithCancel(term)
		stopAfter := context.AfterFunc(released, cancel)
		go lock.endTermWithoutRenewal(term, e.cfg.RenewDeadline, e.cfg.RetryPeriod)
		lead(term)
		stopAfter()
		cancel()
	case <-ended:
	}
	close(termOver)
	<-ended
	return nil
}

// releaseAfterTerm holds back the release of the Lease until the term is over. client-go
// releases a Lease (writes it with an empty holder) as soon as its context ends or a
// renewal fails, without waiting for the code the Lease guards; a standby could then
// start writing a zone while the old leader still writes the one it is in.
//
// It also notes when the Lease was last written with this replica as holder, for
// endTermWithoutRenewal.
type releaseAfterTerm struct {
	resourcelock.Interface
	termOver <-chan struct{}
	// endTerm ends the term's context: a release means leadership is over.
	endTerm context.CancelFunc
	// held is when the Lease was last created or renewed by us, in Unix nanoseconds.
	held atomic.Int64
}

func (l *releaseAfterTerm) Create(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	start := time.Now()
	err := l.Interface.Create(ctx, r)
	if err == nil {
		l.held.Store(start.UnixNano())
	}
	return err
}

// endTermWithoutRenewal ends the term once the Lease has gone renewDeadline without a
// renewal, checking every retryPeriod until term ends.
func (l *releaseAfterTerm) endTermWithoutRenewal(term context.Context, renewDeadline, retryPeriod time.Duration) {
	tick := time.NewTicker(retryPeriod)
	defer tick.Stop()
	for {
		select {
		case <-term.Done():
			return
		case <-tick.C:
			if time.Since(time.Unix(0, l.held.Load())) > renewDeadline {
				l.endTerm()
				return
			}
		}
	}
}

func (l *releaseAfterTerm) Update(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	if r.HolderIdentity != "" {
		// Measured from before the request: the Lease counts from when the server
		// wrote it, which is no earlier.
		start := time.Now()
		err := l.Interface.Update(ctx, r)
		if err == nil {
			l.held.Store(start.UnixNano())
		}
		return err
	}
	l.endTerm()
	select {
	case <-l.termOver:
	case <-ctx.Done():
		// The Lease is left to expire on its own: the safe side.
		return fmt.Errorf("releasing the Lease: the term did not end in time: %w", ctx.Err())
	}
	return l.Interface.Update(ctx, r)
}

// RunElected runs the daemon as one of several replicas of which e elects one to lead.
// While it stands by it reconciles nothing and writes nothing; its sources keep their
// caches filled, so that on becoming leader it reconciles at once (as Run does on
// start) from warm caches. When leadership is lost the reconcile in progress finishes
// the zone it is writing, starts no other (see Controller.RunOnce), and the daemon
// stands by again and campaigns anew.
//
// Standing by rather than exiting is deliberate: the replica is healthy and its caches
// are warm, so it is the best candidate to lead again, and exiting would only add a
// restart and a full re-list to every API server hiccup long enough to lose the Lease.
// Safety does not depend on the choice: after the loss no new zone write starts, and the
// Lease is not released before the write in flight is done.
//
// RunElected returns nil when ctx ends, after the reconcile in progress has finished the
// zone it is in, or e's error when it cannot campaign. Like Run, it must not be called
// twice at once, nor together with Run.
func (d *Daemon) RunElected(ctx context.Context, e Elector) error {
	d.setElecting(true)
	defer d.setElecting(false)
	for ctx.Err() == nil {
		d.logger.Info("standing by: campaigning for leadership")
		if err := e.Campaign(ctx, func(term context.Context) { d.lead(ctx, term) }); err != nil {
			return err
		}
	}
	d.logger.Info("stopping")
	return nil
}

// lead is one term of leadership, ending with term; ctx is RunElected's.
func (d *Daemon) lead(ctx, term context.Context) {
	if term.Err() != nil {
		return // ended before it began: nothing may be written
	}
	d.logger.Info("leading: reconciling")
	// The status of an earlier term says nothing about this one.
	d.setLast(reconcileStatus{})
	d.loop(term)
	d.setLast(reconcileStatus{})
	if ctx.Err() == nil {
		d.logger.Warn("lost leadership: no further zone is written; standing by")
	}
}

// LeaderGauge returns the zonekeeper_leader gauge of d: 1 while d leads (Run runs, or
// RunElected won a term), else 0. Register it beside NewMetrics' metrics.
func LeaderGauge(d *Daemon) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "zonekeeper_leader",
		Help: "1 while this replica leads and may write to the provider, 0 while it stands by.",
	}, func() float64 {
		if d.Leading() {
			return 1
		}
		return 0
	})
}
