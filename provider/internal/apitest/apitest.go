// Package apitest holds what the in-process API emulators (route53test, cloudflaretest)
// and their standalone commands share: per-operation call and fault counters, the choice
// of an injected fault from one roll of the dice, a context-aware delay, an httptest
// server bound to a test, and the listen/serve/shut-down loop of a command. It knows
// nothing of any provider's wire format; each emulator keeps its own.
package apitest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"
)

// shutdownGrace is how long Serve lets in-flight requests finish once its context ends.
const shutdownGrace = 5 * time.Second

// Counters counts calls per operation and injected faults per kind. The zero value is
// ready to use, and all methods are safe for concurrent use; each method is atomic on
// its own, so a Calls followed by a Faults may see a call whose fault is not yet counted.
type Counters struct {
	mu     sync.Mutex
	calls  map[string]int
	faults map[string]int
}

// Call counts one call to op.
func (c *Counters) Call(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = increment(c.calls, op)
}

// Fault counts one injected fault of kind.
func (c *Counters) Fault(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = increment(c.faults, kind)
}

// Calls returns a copy of the call counts by operation; never nil.
func (c *Counters) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneCounts(c.calls)
}

// Faults returns a copy of the fault counts by kind; never nil.
func (c *Counters) Faults() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneCounts(c.faults)
}

// Reset sets both the call and the fault counts back to empty.
func (c *Counters) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.calls)
	clear(c.faults)
}

func increment(m map[string]int, key string) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[key]++
	return m
}

// cloneCounts copies m; unlike maps.Clone it turns nil into an empty map, so callers
// can compare and range over the result without a nil check.
func cloneCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	maps.Copy(out, m)
	return out
}

// PickFault chooses which fault, if any, one roll of the dice injects. roll is in [0, 1)
// and rates are the shares of calls that get each fault kind, tried in order on
// consecutive slices of [0, 1): the first kind takes [0, rates[0]), the next the slice
// after it, and so on. It returns the index into rates of the chosen kind, or -1 when
// roll lands past all of them. One roll per call keeps a seeded run repeatable.
func PickFault(roll float64, rates ...float64) int {
	upper := 0.0
	for i, rate := range rates {
		upper += rate
		if roll < upper {
			return i
		}
	}
	return -1
}

// Start serves handler on a local httptest server that is closed when t ends, and
// returns the server's root URL ("http://127.0.0.1:port", no trailing slash).
func Start(t testing.TB, handler http.Handler) (url string) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// RunFunc is the body of an emulator command: it parses args, serves until ctx ends and
// writes what a user needs (the address, created zones) to out.
type RunFunc func(ctx context.Context, args []string, out io.Writer) error

// Main runs run with the process's arguments and stdout, under a context that ends on
// SIGTERM or SIGINT, and exits with status 1 after printing "name: error" to stderr if
// run fails. It is meant to be the whole of a command's main function.
func Main(name string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// FlagSet is what ParseFlags needs of a flag set; both *flag.FlagSet and
// *pflag.FlagSet have it.
type FlagSet interface {
	Parse(arguments []string) error
	Args() []string
}

// ParseFlags parses args into fs and refuses any positional argument left over, since
// an emulator command takes flags only.
func ParseFlags(fs FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if rest := fs.Args(); len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	return nil
}

// Serve listens on the TCP address listen, calls ready with the listener's root URL
// ("http://host:port") before it accepts any request, then serves handler until ctx ends.
// It then shuts the server down, giving in-flight requests 5 seconds, and returns nil if
// that went cleanly. It returns an error naming the address if listening or serving
// fails, and the shutdown's error if requests were still running at the deadline.
func Serve(ctx context.Context, handler http.Handler, listen string, ready func(rootURL string)) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	ready("http://" + ln.Addr().String())

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
	return nil
}

// StartCommand runs run with args in the background, as a command's tests do, and
// returns the first n lines it prints; it fails t if run ends before printing them.
// Later output is read and dropped so run never blocks writing. stop cancels run's
// context, waits for run to return and returns its error; t's cleanup calls stop too,
// so run never outlives the test.
func StartCommand(t testing.TB, run RunFunc, args []string, n int) (lines []string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, w)
		w.Close()
		done <- err
	}()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })

	lines = make([]string, 0, n)
	buffered := bufio.NewScanner(r)
	for len(lines) < n && buffered.Scan() {
		lines = append(lines, buffered.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	if len(lines) < n {
		t.Fatalf("the command printed %q and ended (%v) before printing %d lines", lines, stop(), n)
	}
	return lines, stop
}
