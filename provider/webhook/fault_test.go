package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zonekeeper/zonekeeper/controller"
	"github.com/zonekeeper/zonekeeper/endpoint"
	"github.com/zonekeeper/zonekeeper/plan"
	"github.com/zonekeeper/zonekeeper/provider"
	"github.com/zonekeeper/zonekeeper/provider/inmemory"
	"github.com/zonekeeper/zonekeeper/provider/providertest"
	"github.com/zonekeeper/zonekeeper/registry"
	"github.com/zonekeeper/zonekeeper/source"
)

var zoneMain = provider.Zone{ID: "example.com", Name: "example.com"}

// owned returns n Changes that each create an A record with its ownership TXT record,
// as the registry plans them.
func owned(n int) []provider.Change {
	out := make([]provider.Change, n)
	for i := range out {
		rec := endpoint.New(fmt.Sprintf("h%d.example.com", i), "A", 300, "192.0.2.1")
		txt := endpoint.New(fmt.Sprintf("a-h%d.example.com", i), "TXT", 0, `"heritage=external-dns,external-dns/owner=test"`)
		out[i] = provider.Change{Primary: 1, Owned: rec, Records: []provider.RecordChange{
			{Op: provider.OpCreate, New: txt}, {Op: provider.OpCreate, New: rec},
		}}
	}
	return out
}

// bareErrors strips zonekeeper's outcome header from the server's answers, so that the
// client sees what any other webhook provider answers: a bare 500 for a refusal.
func bareErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(stripOutcome{w}, r)
	})
}

type stripOutcome struct{ http.ResponseWriter }

func (s stripOutcome) WriteHeader(code int) {
	s.Header().Del(outcomeHeader)
	s.ResponseWriter.WriteHeader(code)
}

// TestPoisonIsolation: of 1,000 Changes in one Apply, the provider refuses one; the 999
// others are applied by the same Apply, the refused one is named, and bisection bounds
// the number of POST /records.
func TestPoisonIsolation(t *testing.T) {
	const n, poison = 1000, 517
	bisections := 2 * int(math.Ceil(math.Log2(n))) // the halves on the way down
	tests := []struct {
		name string
		wrap func(http.Handler) http.Handler
		// attempts each refused request costs: zonekeeper's server says "refused",
		// another provider's bare 500 is retried first.
		attempts int
	}{
		{"zonekeeper server", nil, 1},
		{"bare 500 as other webhook providers answer", bareErrors, DefaultAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := inmemory.New("example.com")
			if err := backend.Seed("example.com", endpoint.New(fmt.Sprintf("h%d.example.com", poison), "A", 60, "198.51.100.1")); err != nil {
				t.Fatal(err)
			}
			obs := newCalls()
			c := client(t, serve(t, backend, tt.wrap), func(c *Config) { c.Observer = obs })
			changes := owned(n)
			err := c.Apply(context.Background(), zoneMain, changes)
			failed := provider.FailedChanges(err)
			var ae *provider.ApplyError
			if !errors.As(err, &ae) || ae.Stopped != nil || len(failed) != 1 || failed[0].Change.Main().New != changes[poison].Main().New {
				t.Fatalf("Apply: %v; want change %d alone refused", err, poison)
			}
			if !strings.Contains(failed[0].Err.Error(), fmt.Sprintf("h%d.example.com", poison)) {
				t.Errorf("the refusal does not name the record: %v", failed[0].Err)
			}
			records, err := backend.Records(context.Background(), zoneMain)
			if err != nil {
				t.Fatal(err)
			}
			// 999 records with their ownership records, and the seeded one.
			if len(records) != 2*(n-1)+1 {
				t.Errorf("the zone holds %d RRsets, want %d", len(records), 2*(n-1)+1)
			}
			posts := obs.total("apply")
			t.Logf("%s: %d POST /records for %d changes with one refused (bound %d)", tt.name, posts, n, 1+bisections*tt.attempts)
			if posts > 1+bisections*tt.attempts {
				t.Errorf("%d POST /records, want at most %d", posts, 1+bisections*tt.attempts)
			}
		})
	}
}

// burster answers 503 without an outcome header, as a provider restarting or
// overloaded does, to the first n requests of each method and path since reset.
type burster struct {
	n    int
	mu   sync.Mutex
	seen map[string]int
}

func (b *burster) reset() {
	b.mu.Lock()
	b.seen = map[string]int{}
	b.mu.Unlock()
}

func (b *burster) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		key := r.Method + " " + r.URL.Path
		b.seen[key]++
		fail := b.seen[key] <= b.n
		b.mu.Unlock()
		if fail {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// reconcile runs one controller.RunOnce against p for desired, with a TXT registry.
func reconcile(t *testing.T, p provider.Provider, desired []*endpoint.Endpoint) *controller.Report {
	t.Helper()
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: "test", ManagedTypes: []string{"A", "AAAA", "CNAME"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &controller.Controller{
		Sources:  []source.Source{providertest.Fixed(desired)},
		Registry: reg,
		Provider: p,
		Config:   controller.Config{Policy: plan.PolicySync, ManagedTypes: []string{"A", "AAAA", "CNAME"}},
	}
	rep, err := c.RunOnce(context.Background())
	if err != nil {
		return &controller.Report{SourceErrors: []error{err}}
	}
	return rep
}

func wanted(name, target string) *endpoint.Endpoint {
	return providertest.Wanted("web", name, "A", 300, []string{target})
}

// TestBurstOf5xx: a burst of 503s on every kind of request, shorter than the retries,
// is ridden out by each request, and the zone converges.
func TestBurstOf5xx(t *testing.T) {
	backend := inmemory.New("example.com")
	b := &burster{n: DefaultAttempts - 1}
	obs := newCalls()
	c := client(t, serve(t, backend, b.wrap), func(c *Config) { c.Observer = obs })
	desired := []*endpoint.Endpoint{wanted("web.example.com", "192.0.2.1"), wanted("api.example.com", "192.0.2.2")}
	for phase := range 2 {
		b.reset()
		rep := reconcile(t, c, desired)
		if err := rep.Err(); err != nil {
			t.Fatalf("reconcile %d: %v", phase, err)
		}
		if n := providertest.ChangeCount(rep); (phase == 0) != (n > 0) {
			t.Errorf("reconcile %d planned %d changes", phase, n)
		}
	}
	for op, bursts := range map[string]int{"negotiate": 2, "records": 2, "apply": 1} {
		if got := obs.failed[op]; got != bursts*(DefaultAttempts-1) {
			t.Errorf("%s: %d failed requests, want %d bursts of %d", op, got, bursts, DefaultAttempts-1)
		}
	}
	records, _ := backend.Records(context.Background(), zoneMain)
	if len(records) != 4 {
		t.Errorf("the zone holds %d RRsets, want 2 records and their ownership records", len(records))
	}
}

// closedURL is the URL of a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// failing answers 500 to GET /records and passes every other request on.
func failing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == pathRecords {
			http.Error(w, "backend down", http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// TestSidecarDown: a sidecar that is not there, or that cannot list records, fails the
// reconcile with an error and deletes nothing, although the source wants nothing.
func TestSidecarDown(t *testing.T) {
	backend := inmemory.New("example.com")
	kept := []*endpoint.Endpoint{wanted("web.example.com", "192.0.2.1")}
	if rep := reconcile(t, client(t, serve(t, backend, nil), nil), kept); rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	before, _ := backend.Records(context.Background(), zoneMain)
	for _, tt := range []struct {
		name string
		url  string
	}{
		{"not listening", closedURL(t)},
		{"records fail", serve(t, backend, failing)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			obs := newCalls()
			c := client(t, tt.url, func(c *Config) { c.Observer = obs })
			rep := reconcile(t, c, nil)
			if rep.Err() == nil {
				t.Fatal("the reconcile succeeded without a sidecar")
			}
			if n := providertest.ChangeCount(rep); n != 0 {
				t.Errorf("%d changes planned", n)
			}
			after, _ := backend.Records(context.Background(), zoneMain)
			if len(after) != len(before) {
				t.Errorf("the zone went from %d to %d RRsets", len(before), len(after))
			}
			if obs.total("apply") != 0 {
				t.Errorf("%d POST /records sent", obs.total("apply"))
			}
		})
	}
}

// slow answers nothing until the request is given up. It reads the body first: the
// server sees a client leave only once the body has been read.
func slow(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
}

// TestSlowSidecar: each request is bounded by its timeout (reads by the read timeout,
// changes by the write timeout), and a change that timed out is reported in an unknown
// state, not retried.
func TestSlowSidecar(t *testing.T) {
	const timeout, margin = 300 * time.Millisecond, 2 * time.Second
	obs := newCalls()
	c := client(t, serve(t, inmemory.New("example.com"), slow), func(c *Config) {
		c.ReadTimeout, c.WriteTimeout, c.Attempts, c.Observer = timeout, 2*timeout, 1, obs
	})
	start := time.Now()
	_, err := c.Zones(context.Background())
	if took := time.Since(start); err == nil || took > timeout+margin {
		t.Errorf("Zones: %v after %s, want an error within %s", err, took, timeout+margin)
	}
	start = time.Now()
	changes := owned(3)
	err = c.Apply(context.Background(), zoneMain, changes)
	took := time.Since(start)
	var ae *provider.ApplyError
	if !errors.As(err, &ae) || ae.Stopped == nil || len(ae.Unknown) != 3 || took > 2*timeout+margin {
		t.Errorf("Apply: %v after %s, want a stop with 3 changes unknown within %s", err, took, 2*timeout+margin)
	}
	if obs.total("apply") != 1 {
		t.Errorf("%d POST /records: a request that may have been applied was retried", obs.total("apply"))
	}
}

// TestOversizedBodies: an answer over the limit is refused with a message naming the
// flag; a Change over the limit fails alone, the others are applied; a request over the
// server's limit is refused with 413 and split.
func TestOversizedBodies(t *testing.T) {
	backend := inmemory.New("example.com")
	big := make([]*endpoint.Endpoint, 50)
	for i := range big {
		big[i] = endpoint.New(fmt.Sprintf("txt%d.example.com", i), "TXT", 0, `"`+strings.Repeat("x", 200)+`"`)
	}
	if err := backend.Seed("example.com", big...); err != nil {
		t.Fatal(err)
	}
	url := serve(t, backend, nil)
	c := client(t, url, func(c *Config) { c.MaxBodySize = 4096 })
	if _, err := c.Zones(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Records(context.Background(), zoneMain); err == nil || !strings.Contains(err.Error(), "--webhook-provider-max-body-size (4096 bytes)") {
		t.Errorf("Records of a 12 KB answer with a 4 KB limit: %v", err)
	}

	changes := owned(20)
	huge := endpoint.New("huge.example.com", "TXT", 0, `"`+strings.Repeat("y", 5000)+`"`)
	changes[7] = provider.Change{Records: []provider.RecordChange{{Op: provider.OpCreate, New: huge}}}
	obs := newCalls()
	c = client(t, url, func(c *Config) { c.MaxBodySize, c.Observer = 4096, obs })
	failed := provider.FailedChanges(c.Apply(context.Background(), zoneMain, changes))
	if len(failed) != 1 || failed[0].Change.Main().New != huge || !strings.Contains(failed[0].Err.Error(), "--webhook-provider-max-body-size=4096") {
		t.Fatalf("Apply: %v, want the huge change alone failed with a message naming the flag", failed)
	}
	posts := obs.total("apply")
	if posts < 2 {
		t.Errorf("%d POST /records for 19 changes of ~300 bytes under a 4 KB limit: not split", posts)
	}

	// The server's own limit: its 413 is a refusal, so the client splits the request.
	small := NewHandler(ServerConfig{Provider: backend, MaxBodySize: 1024})
	c = client(t, serveHandler(t, small), nil)
	if err := c.Apply(context.Background(), zoneMain, owned(40)[20:]); err != nil {
		t.Errorf("Apply of 20 changes through a server taking 1 KB bodies: %v", err)
	}
}

// TestDaemonNotReadyWithoutSidecar: the daemon over a sidecar that is not there reports
// itself not ready, naming the failed reconcile.
func TestDaemonNotReadyWithoutSidecar(t *testing.T) {
	reg, err := registry.NewTXT(registry.TXTConfig{OwnerID: "test", ManagedTypes: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &controller.Controller{
		Sources:  []source.Source{providertest.Fixed(nil)},
		Registry: reg,
		Provider: provider.NewCachedWith(client(t, closedURL(t), nil), provider.CacheConfig{MaxAge: time.Minute}),
		Config:   controller.Config{Policy: plan.PolicySync, ManagedTypes: []string{"A"}},
	}
	d := controller.NewDaemon(c, controller.DaemonConfig{Interval: time.Hour}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := d.Ready()
		if err != nil && strings.Contains(err.Error(), "the last reconcile failed") {
			if !strings.Contains(err.Error(), "negotiation") {
				t.Errorf("not ready, but the reason does not name the webhook negotiation: %v", err)
			}
			return
		}
		if err == nil || time.Now().After(deadline) {
			t.Fatalf("Ready: %v, want the failed reconcile within 10s", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
