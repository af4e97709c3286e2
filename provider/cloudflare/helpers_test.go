package cloudflare

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
)

const testToken = "test-token"

// calls counts what the provider told its observer, by operation and outcome.
type calls struct {
	mu          sync.Mutex
	ok          map[string]int
	rateLimited int
	failed      int
}

func (c *calls) ObserveCall(operation string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch err.(type) {
	case nil:
		c.ok[operation]++
	case *RateLimitedError:
		c.rateLimited++
	default:
		c.failed++
	}
}

// sleeps records the waits the provider asked for instead of sleeping.
type sleeps struct {
	mu    sync.Mutex
	total time.Duration
	n     int
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total += d
	s.n++
	return ctx.Err()
}

// testEnv is a provider against an emulator, with the emulator's zones.
type testEnv struct {
	p      *Provider
	em     *cloudflaretest.Emulator
	calls  *calls
	sleeps *sleeps
	zones  map[string]provider.Zone
}

// newTestEnv starts an emulator with zones and returns a provider for it that never
// sleeps (waits are recorded) and has no token bucket, unless cfg sets otherwise.
func newTestEnv(t testing.TB, opts cloudflaretest.Options, cfg Config, zones ...string) *testEnv {
	t.Helper()
	opts.Token = testToken
	em, url := cloudflaretest.Start(t, opts)
	env := &testEnv{em: em, calls: &calls{ok: map[string]int{}}, sleeps: &sleeps{}, zones: map[string]provider.Zone{}}
	for _, z := range zones {
		env.zones[z] = provider.Zone{ID: em.CreateZone(z), Name: z}
	}
	cfg.APIToken, cfg.BaseURL, cfg.Observer = testToken, url, env.calls
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.sleep = env.sleeps.sleep
	p.limiter = rate.NewLimiter(rate.Inf, 0)
	env.p = p
	return env
}
