package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ChurnStats is what one background churn did: how many status updates it made and
// over how long, from its start until it was stopped.
type ChurnStats struct {
	Updates int
	Elapsed time.Duration
}

// Rate is the achieved rate in updates per second; 0 for no time elapsed.
func (s ChurnStats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Updates) / s.Elapsed.Seconds()
}

// The churn rates StartChurn takes, in updates per second: beyond them the ticker's
// period would overflow a time.Duration or round to zero.
const (
	MinChurnRate = 0.001
	MaxChurnRate = 1e6
)

// churnPeriod is the time between two updates at rate updates per second, or an error
// naming the rate when it is outside MinChurnRate … MaxChurnRate (NaN included).
func churnPeriod(rate float64) (time.Duration, error) {
	if !(rate >= MinChurnRate && rate <= MaxChurnRate) {
		return 0, fmt.Errorf("churn rate %v updates/s: want a rate from %v to %v", rate, MinChurnRate, MaxChurnRate)
	}
	return time.Duration(float64(time.Second) / rate), nil
}

// otherIP is the status IP a churned Ingress moves to from current: ChurnIP from
// StatusIP, StatusIP from anything else, so that every update changes the A record
// while the name keeps one.
func otherIP(current string) string {
	if current == StatusIP {
		return ChurnIP
	}
	return StatusIP
}

// churnLoop calls update with a pseudo-random index in 0 … n−1 (from rng) on every
// value of tick until ctx ends, and returns how many updates it made. It returns the
// first error of update that did not come with the end of ctx; the end of ctx itself
// is not an error.
//
// One update at a time, each waiting for a tick: fed by a time.Ticker, which drops the
// ticks a slow update misses rather than queueing them, the loop never makes up for a
// slow API call with a burst, so the rate never exceeds the ticker's.
func churnLoop(ctx context.Context, tick <-chan time.Time, n int, rng *rand.Rand, update func(ctx context.Context, i int) error) (int, error) {
	updates := 0
	for {
		select {
		case <-ctx.Done():
			return updates, nil
		case <-tick:
		}
		if err := update(ctx, rng.IntN(n)); err != nil {
			// An update cut short by the end of ctx is how the churn stops; client-go
			// does not always wrap the context's error so that errors.Is finds it.
			if ctx.Err() != nil {
				return updates, nil
			}
			return updates, err
		}
		updates++
	}
}

// Churner is a background churn: a goroutine updating benchmark Ingresses at a fixed
// rate until Stop.
type Churner struct {
	cancel context.CancelFunc
	done   chan struct{}
	start  time.Time
	// updates, elapsed and err are written by the goroutine before done closes.
	updates int
	elapsed time.Duration
	err     error
}

// StartChurn starts calling update rate times a second, on a ticker, with a
// pseudo-random index in 0 … n−1 drawn from seed, until Stop or the end of ctx. When
// update fails (other than by the end of ctx), the churn stops and fail is called with
// the error, so that the caller's measurements can stop at once too.
func StartChurn(ctx context.Context, rate float64, n int, seed uint64, update func(ctx context.Context, i int) error, fail func(error)) (*Churner, error) {
	period, err := churnPeriod(rate)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("churn over %d Ingresses: want at least 1", n)
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Churner{cancel: cancel, done: make(chan struct{}), start: time.Now()}
	ticker := time.NewTicker(period)
	go func() {
		defer close(c.done)
		defer ticker.Stop()
		c.updates, c.err = churnLoop(ctx, ticker.C, n, rand.New(rand.NewPCG(seed, 0)), update)
		c.elapsed = time.Since(c.start)
		if c.err != nil {
			fail(c.err)
		}
	}()
	return c, nil
}

// Stop ends the churn, waits until its last update returned, and returns what it did;
// the error is the update error that ended it early, if one did.
func (c *Churner) Stop() (ChurnStats, error) {
	c.cancel()
	<-c.done
	return ChurnStats{Updates: c.updates, Elapsed: c.elapsed}, c.err
}

// ToggleStatusIP moves benchmark Ingress i of namespace to the other status IP
// (otherIP of its first one): an update of the Ingress's status that changes its A
// record and nothing else.
func ToggleStatusIP(ctx context.Context, client kubernetes.Interface, namespace string, i int) error {
	ing, err := client.NetworkingV1().Ingresses(namespace).Get(ctx, IngressName(i), metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get ingress %s/%s: %w", namespace, IngressName(i), err)
	}
	current := ""
	if lbs := ing.Status.LoadBalancer.Ingress; len(lbs) > 0 {
		current = lbs[0].IP
	}
	return setStatusIP(ctx, client, ing, otherIP(current))
}
