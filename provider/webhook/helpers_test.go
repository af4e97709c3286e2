package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/provider"
)

// calls counts the requests a Client reports, by operation and outcome.
type calls struct {
	mu     sync.Mutex
	ok     map[string]int
	failed map[string]int
}

func newCalls() *calls { return &calls{ok: map[string]int{}, failed: map[string]int{}} }

func (c *calls) ObserveCall(op string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed[op]++
		return
	}
	c.ok[op]++
}

func (c *calls) total(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ok[op] + c.failed[op]
}

// noSleep stands in for provider.Sleep in tests: retries pause for nothing.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// serve starts zonekeeper's server for p, wrapped by wrap when not nil, and returns its
// URL.
func serve(t *testing.T, p provider.Provider, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = NewHandler(ServerConfig{Provider: p})
	if wrap != nil {
		h = wrap(h)
	}
	return serveHandler(t, h)
}

// serveHandler serves h and returns its URL.
func serveHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// client returns a Client of url with retries that do not wait; modify adjusts its
// configuration first.
func client(t *testing.T, url string, modify func(*Config)) *Client {
	t.Helper()
	cfg := Config{URL: url, Sleep: noSleep}
	if modify != nil {
		modify(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
