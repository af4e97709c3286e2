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
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/zonekeeper/zonekeeper/provider/cloudflare/cloudflaretest"
	"github.com/zonekeeper/zonekeeper/provider/internal/apitest"
)

func main() {
	apitest.Main("cloudflare-emulator", run)
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
	if err := apitest.ParseFlags(fs, args); err != nil {
		return err
	}
	if opts.RateLimitRate < 0 || opts.ServerErrorRate < 0 || opts.RateLimitRate+opts.ServerErrorRate > 1 {
		return fmt.Errorf("--rate-limit-rate %v and --server-error-rate %v must be at least 0 and add up to at most 1", opts.RateLimitRate, opts.ServerErrorRate)
	}

	emulator := cloudflaretest.New(opts)
	return apitest.Serve(ctx, emulator, *listen, func(rootURL string) {
		fmt.Fprintf(out, "listening on %s/client/v4\n", rootURL)
		for _, name := range *zones {
			fmt.Fprintf(out, "zone %s %s\n", name, emulator.CreateZone(name))
		}
	})
}
