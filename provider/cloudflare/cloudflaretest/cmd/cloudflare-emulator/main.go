// Command cloudflare-emulator serves the cloudflaretest emulator of Cloudflare's v4 API on a TCP
// address, for trying zonekeeper or other clients against it by hand:
//
//	cloudflare-emulator --listen 127.0.0.1:8787 --zone example.com --token secret
//
// It prints "listening on <base URL>" and one "zone <name> <id>" line per zone, and exits
// cleanly on SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cloudflare-emulator:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx ends, and reports the address and zones on out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := pflag.NewFlagSet("cloudflare-emulator", pflag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8787", "TCP address to serve the API on (port 0 picks a free port)")
	zones := fs.StringArray("zone", nil, "zone to create at start (repeatable); its id is printed")
	var opts cloudflaretest.Options
	fs.StringVar(&opts.Token, "token", "", `API token clients must send as "Authorization: Bearer <token>"; empty accepts any request`)
	fs.Float64Var(&opts.RateLimitRate, "rate-limit-rate", 0, "share of calls (0 to 1) answered 429 with Retry-After")
	fs.DurationVar(&opts.RetryAfter, "retry-after", time.Second, "Retry-After of those 429 answers (whole seconds, at least 1)")
	fs.Float64Var(&opts.ServerErrorRate, "server-error-rate", 0, "share of calls (0 to 1) answered 500 or 502")
	fs.DurationVar(&opts.Latency, "latency", 0, "delay before every answer")
	fs.Int64Var(&opts.Seed, "seed", 0, "seed of the fault sequence and record ids (0: a fixed default)")
	fs.IntVar(&opts.MaxBatchOperations, "max-batch-operations", 200, "operations allowed in one batch call")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if opts.RateLimitRate < 0 || opts.ServerErrorRate < 0 || opts.RateLimitRate+opts.ServerErrorRate > 1 {
		return fmt.Errorf("--rate-limit-rate %v and --server-error-rate %v must be at least 0 and add up to at most 1", opts.RateLimitRate, opts.ServerErrorRate)
	}

	emulator := cloudflaretest.New(opts)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	fmt.Fprintf(out, "listening on http://%s/client/v4\n", ln.Addr())
	for _, name := range *zones {
		fmt.Fprintf(out, "zone %s %s\n", name, emulator.CreateZone(name))
	}

	srv := &http.Server{Handler: emulator, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
